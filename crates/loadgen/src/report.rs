//! `loadgen report`: turns the results `scripts/bench.sh` saved into the bench page, in
//! English and in Chinese, with its charts and a verdict on each of the project's targets.
//!
//! Four steps, a module each, each using only the ones before it:
//!
//! 1. `folder.rs` reads the results folder: the runs' `--json` results, the scenarios that
//!    could not run (with a reason code), what the servers said, what strace counted;
//! 2. `compare.rs` and `judge.rs` judge the targets: ratios to a baseline measured in the
//!    same run, met, missed or not measured, with the facts that explain why;
//! 3. `render.rs` makes the page from those facts, through one template per language
//!    (`crates/loadgen/templates/`), where all the words are;
//! 4. `chart.rs` draws the charts as SVG, with the words `render.rs` gives it.

mod chart;
mod compare;
mod folder;
mod judge;
mod render;

use std::fs;
use std::path::PathBuf;

use common::Failure;

use render::Lang;

/// Write the bench pages from saved results.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The folder scripts/bench.sh filled: machine.txt and one NN-name.json or NN-name.skip
    /// per scenario
    #[arg(long)]
    results: PathBuf,

    /// Where the pages go: OUT/en/bench.md, OUT/zh/bench.md and their SVG charts
    #[arg(long, default_value = "docs")]
    out: PathBuf,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let bench = folder::read(&args.results)?;
    let targets = judge::targets(&bench);
    let log_costs = judge::log_costs(&bench);
    for lang in Lang::ALL {
        let pages = render::pages(&bench, &targets, &log_costs, lang).map_err(|error| {
            // A template a translator broke: say where (`{error:#}` has the line).
            Failure::custom(
                format!("the {} template: {error:#}", lang.folder()),
                None,
                common::exit_code::IO,
            )
        })?;
        let folder = args.out.join(lang.folder());
        fs::create_dir_all(&folder)
            .map_err(|error| Failure::new(format!("creating {}", folder.display()), &error))?;
        let files = [
            ("bench.md", pages.page),
            ("bench.svg", pages.echo_chart),
            ("bench-bulk.svg", pages.bulk_chart),
        ];
        for (name, text) in files {
            let path = folder.join(name);
            fs::write(&path, text)
                .map_err(|error| Failure::new(format!("writing {}", path.display()), &error))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
