//! The exercise runner and checker: lists the classroom exercises, copies a starter for a
//! student to work on, builds a student's program and checks, over real sockets on this
//! machine, that it does what its exercise asks; and, for CI, proves that every checker fails
//! on its starter and passes on its solution.
//!
//!     scripts/exercise.sh list            (or, without bash, from exercises/:
//!     scripts/exercise.sh start 1.1        cargo run -q -p exercise-check -- list, ...)
//!     scripts/exercise.sh check 1.1
//!     scripts/exercise.sh verify
//!
//! The exercises are one table (`exercises.rs`); the checks of each lesson's exercises are in
//! `lessonN.rs`. Each check prints `ok` or `FAILED`; a failure says what was sent, what was
//! expected, what came back, and where to look. The exit status is 0 when everything checked
//! passed, 1 when something failed, 2 when the command could not run at all (an unknown
//! exercise, say).
//!
//! A server under test is started with `--port 0` and found through its first line,
//! `listening on ADDR`; a client under test is pointed with `--port` at a server the checker
//! runs itself. Every wait has a deadline, nothing sleeps to wait for something to happen, and
//! every program started is killed when its check ends.

mod cargo;
mod exercises;
mod layout;
mod lesson1;
mod lesson2;
mod lesson3;
mod lesson4;
mod lesson5;
mod lesson6;
mod lesson8;
mod lesson9;
mod net;
mod program;
mod report;
mod results;
mod runner;
mod work;

use std::io::{self, ErrorKind};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use layout::Layout;
use runner::Error;

/// Lists, starts and checks the classroom exercises (docs/en/exercises.md).
///
/// Your work goes into a copy of an exercise's starter: `start 1.1` makes it, in
/// exercises/work/, and `check 1.1` builds and checks it. Without bash, run the same commands
/// from the exercises folder as `cargo run -q -p exercise-check -- COMMAND`.
#[derive(Parser, Debug)]
#[command(
    version,
    about,
    bin_name = "scripts/exercise.sh",
    arg_required_else_help = true
)]
struct Args {
    #[command(subcommand)]
    command: Command,

    /// The exercises folder (the one this checker was built from unless given): for tests
    #[arg(long, global = true, hide = true)]
    exercises: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The exercises, and how your last check of each went
    List,
    /// Copy an exercise's starter into exercises/work/, where your work goes
    Start {
        /// The exercise, e.g. 1.1
        exercise: String,
        /// Start again from the starter: your copy is deleted
        #[arg(long)]
        force: bool,
    },
    /// Build your program for an exercise and check it: your copy once started, else the
    /// starter
    Check {
        /// An exercise (1.2), a lesson's exercises (1), or all of them (all)
        what: String,
        /// Check the reference solution instead
        #[arg(long)]
        solution: bool,
        /// Check this program, built already, instead of building one
        #[arg(long, value_name = "PATH", conflicts_with = "solution")]
        program: Option<PathBuf>,
    },
    /// For CI: every checker fails on its starter and passes on its solution
    Verify,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    let layout = args.exercises.map_or_else(Layout::built_in, Layout::new);
    let done = match &args.command {
        Command::List => runner::list(&layout),
        Command::Start { exercise, force } => runner::start(&layout, exercise, *force),
        Command::Check {
            what,
            solution,
            program,
        } => runner::check(&layout, what, *solution, program.as_deref()),
        Command::Verify => runner::verify(&layout),
    };
    match done {
        Ok(status) => status,
        Err(Error::Io(error)) if error.kind() == ErrorKind::BrokenPipe => {
            // `... | head`: the reader has all it wanted.
            std::process::exit(common::CLOSED_OUTPUT_STATUS)
        }
        Err(Error::Io(error)) => fail(&common::describe(&error)),
        Err(Error::Refused(why)) => fail(&why),
    }
}

fn fail(why: &str) -> ExitCode {
    let _ = io::Write::write_all(&mut io::stderr(), format!("error: {why}\n").as_bytes());
    ExitCode::from(2)
}
