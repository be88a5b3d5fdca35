//! The exercise checker: runs a student's program and checks, over real sockets on this
//! machine, that it does what its exercise asks.
//!
//!     exercise-check 1.1 --program target/debug/ex-1-1-upper-echo
//!     exercise-check --list
//!
//! Students run it through `scripts/exercise.sh check 1.1`, which builds their program first.
//! Each check prints `ok` or `FAILED`; a failure says what was sent, what was expected, what
//! came back, and where to look. The exit status is 0 only when every check passed, 1 when one
//! failed, 2 when the checker could not run at all (unknown exercise, missing program).
//!
//! A server under test is started with `--port 0` and found through its first line,
//! `listening on ADDR`; a client under test is pointed with `--port` at a server the checker
//! runs itself. Every wait has a deadline, nothing sleeps to wait for something to happen, and
//! every program started is killed when its check ends.

mod lesson1;
mod lesson2;
mod lesson3;
mod lesson4;
mod lesson5;
mod net;
mod program;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use report::Exercise;

/// Every exercise the checker knows, in the order of the book.
const EXERCISES: &[&Exercise] = &[
    &lesson1::UPPER_ECHO,
    &lesson1::THREADED_ECHO,
    &lesson2::TIME_COMMAND,
    &lesson2::ONE_LINE_ONE_ANSWER,
    &lesson3::COUNT_AND_CHECKSUM,
    &lesson3::HALF_CLOSE,
    &lesson4::RETRY_WITH_BACK_OFF,
    &lesson4::NUMBERED_ANSWERS,
    &lesson5::PRIVATE_MESSAGE,
    &lesson5::FLOOD_CONTROL,
];

/// Checks a solution to one of the classroom exercises by running it.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The exercise to check, e.g. 1.1
    #[arg(required_unless_present = "list")]
    exercise: Option<String>,

    /// The program to check: the built starter (or solution) of that exercise
    #[arg(long, required_unless_present = "list")]
    program: Option<PathBuf>,

    /// Print the exercises this checker knows, one per line, and exit
    #[arg(long, conflicts_with_all = ["exercise", "program"])]
    list: bool,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    if args.list {
        for exercise in EXERCISES {
            println!("{}", exercise.id);
        }
        return ExitCode::SUCCESS;
    }
    let (Some(id), Some(program)) = (args.exercise, args.program) else {
        unreachable!("clap requires both unless --list is given");
    };
    let Some(exercise) = EXERCISES.iter().find(|exercise| exercise.id == id) else {
        let known: Vec<&str> = EXERCISES.iter().map(|exercise| exercise.id).collect();
        eprintln!(
            "error: no exercise {id}; the exercises are {}",
            known.join(", ")
        );
        return ExitCode::from(2);
    };
    if !program.is_file() {
        eprintln!(
            "error: {} does not exist; build it first (scripts/exercise.sh check {id} does)",
            program.display()
        );
        return ExitCode::from(2);
    }
    if report::run(exercise, &program) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
