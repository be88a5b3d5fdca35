//! loadgen, the load generator: measures the lesson servers (tutorial 004's notes on performance).
//!
//! Start a server in one terminal, then point loadgen at it from a second one:
//!
//!     cargo run --release -p async-echo-server
//!     cargo run --release -p loadgen -- echo --port 8888 --expect upper --connections 50
//!
//! Four ways to load a server, one subcommand each:
//!
//! - `echo`: TCP round trips (N connections × M messages × S bytes) and their latency;
//! - `bulk`: a stream of bytes through an echo server, every byte checked when it comes back;
//! - `chat`: fan-out through the chat room (N clients, K of them talking);
//! - `udp`: datagram round trips, counting the ones that never come back.
//!
//! With `--server-pid PID`, every mode also reports the server's CPU time per 1,000 operations
//! (`cpu.rs`). A fifth subcommand, `report`, turns the `--json` results that `scripts/bench.sh`
//! saved into the bench page and its charts. loadgen only ever sends to this machine
//! (127.0.0.0/8 or ::1), and every run stops after `--duration-limit` seconds at most, with
//! the results it has so far.
//!
//! The modules are layered like tokio's mini-redis: data types, the parts that produce them,
//! the parts that judge them, the parts that render them. Each module uses only modules
//! listed before it, and none imports one that imports it back:
//!
//! 1. `numbers`: how numbers read (`12,345`, `1.25 ms`), in summaries and on the page;
//! 2. `results`: the schema, what `--json` writes and `report` reads (uses `numbers`);
//! 3. `stats`: run options, the clock and Ctrl-C, latency histograms, the progress line; and
//!    `cpu`: the server's CPU time per operation (both use `results`, `numbers`);
//! 4. `target`: loopback addresses only, the connect ramp, the "start the server" hint;
//! 5. the runners, which produce `results`: `echo`, `bulk`, `chat`, `udp`;
//! 6. `report`, which consumes them, in steps: `report::folder` reads the results folder
//!    (uses `results`); `report::compare` states ratios; `report::judge` judges the targets
//!    (uses `folder`, `compare`); `report::chart` draws SVG; `report::render` puts it all in
//!    words, from one template per language in `templates/` (uses `judge`, `folder`,
//!    `chart`).

mod bulk;
mod chat;
mod cpu;
mod echo;
mod memory;
mod numbers;
mod report;
mod results;
mod stats;
mod target;
mod udp;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use common::Failure;

/// Load generator for the lesson servers: round trips, throughput, chat fan-out, UDP loss.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// TCP round trips: N connections × M messages × S bytes, with latency percentiles
    Echo(echo::Args),
    /// Throughput: stream bytes through an echo server and check every byte that comes back
    Bulk(bulk::Args),
    /// Chat fan-out: N clients, K of them sending; deliveries per second, latency, lost lines
    Chat(chat::Args),
    /// UDP round trips with a time-out per datagram; lost datagrams counted
    Udp(udp::Args),
    /// Write the bench pages and charts from the --json results saved by scripts/bench.sh
    Report(report::Args),
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let cli = Cli::parse();
    // Two worker threads on the course's 2-core machines: one per core, tokio's default.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return common::exit_with(Err(Failure::new("starting tokio", &error))),
    };
    let outcome = runtime.block_on(async {
        match cli.mode {
            Mode::Echo(args) => echo::run(args).await,
            Mode::Bulk(args) => bulk::run(args).await,
            Mode::Chat(args) => chat::run(args).await,
            Mode::Udp(args) => udp::run(args).await,
            Mode::Report(args) => report::run(&args),
        }
    });
    // Tasks still blocked on a dead connection must not keep the program alive.
    runtime.shutdown_background();
    common::exit_with(outcome)
}
