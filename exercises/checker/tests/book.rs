//! The book shows what the checker reports on an unsolved starter (docs/en/exercises.md,
//! "How to check your work"). This test makes that report with a real run, so the page always
//! shows what a student will see: `BLESS=1` rewrites it after the checker's words change.
//!
//! It checks the pristine starter, built here, never a student's copy in `exercises/work/`;
//! the page shows the path of that copy, which is the starter until the student edits it.

use std::path::Path;
use std::process::Command;

use testkit::{check_transcript, workspace_root};

/// The exercise the book shows, and its starter's package.
const EXERCISE: &str = "1.1";
const STARTER: &str = "ex-1-1-upper-echo";

/// Where `scripts/exercise.sh check` builds a student's copy of the starter, as the page
/// shows it.
const SHOWN_PATH: &str = "exercises/work/target/debug/ex-1-1-upper-echo";

#[test]
fn the_books_sample_report_is_a_real_run() {
    let checker = Path::new(env!("CARGO_BIN_EXE_exercise-check"));
    // The starter is another package of this workspace: build it into the same target/debug
    // folder as the checker (cargo builds only the package under test).
    let profile_dir = checker.parent().expect("target/<profile>");
    let target_dir = profile_dir.parent().expect("target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(workspace_root().join("exercises/Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .args(["-p", STARTER]);
    if profile_dir
        .file_name()
        .is_some_and(|name| name == "release")
    {
        build.arg("--release");
    }
    let built = build.status().expect("run cargo build");
    assert!(built.success(), "cargo build -p {STARTER} failed");

    let program = profile_dir.join(format!("{STARTER}{}", std::env::consts::EXE_SUFFIX));
    let run = Command::new(checker)
        .args(["check", EXERCISE, "--program"])
        .arg(&program)
        .output()
        .expect("run the checker");
    let report = String::from_utf8(run.stdout).expect("the report is UTF-8");
    assert_eq!(
        run.status.code(),
        Some(1),
        "the checker must fail an unsolved starter:\n{report}"
    );
    let report = report.replace(&program.display().to_string(), SHOWN_PATH);
    check_transcript("docs/en/exercises.md", "checker-on-a-starter", &report);
}
