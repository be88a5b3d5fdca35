//! The commands students and teachers run, through `scripts/exercise.sh`: `list`, `start`,
//! `check` and `verify`. They build the programs with cargo, run the checks of the table's
//! exercises on them, keep the results for `list`, and say what to do next.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use std::thread;
use std::time::Instant;

use crate::cargo;
use crate::exercises::{self, EXERCISES, Exercise};
use crate::layout::{Kind, Layout};
use crate::report::{self, Tally};
use crate::results::{self, Outcome, Status};
use crate::work::{self, Started};

/// How students run these commands, in the messages that name one.
const SCRIPT: &str = "scripts/exercise.sh";

/// Where the statements and hints are, in both languages.
const BOOK: &str = "Statement and hints: docs/en/exercises.md (中文: docs/zh/exercises.md).";

/// Why a command did not do what it was asked: exit status 2.
#[derive(Debug)]
pub enum Error {
    /// A wrong request (no such exercise, a copy already there...), in a sentence.
    Refused(String),
    /// Something failed on this machine: a file, cargo, the terminal.
    Io(io::Error),
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Error {
        Error::Io(error)
    }
}

type Result<T> = std::result::Result<T, Error>;

/// `list`: every exercise, and how the last check of the student's program went.
pub fn list(layout: &Layout) -> Result<ExitCode> {
    work::refresh(layout)?;
    let mut out = io::stdout().lock();
    writeln!(out, "{:<5} {:<7} {:<34} title", "id", "lesson", "status")?;
    let mut not_started = false;
    for exercise in EXERCISES {
        let (kind, never_checked) = if work::started(layout, exercise) {
            (Kind::Copy, "not checked yet")
        } else {
            not_started = true;
            (Kind::Starter, "not started")
        };
        let status = match results::status(layout, exercise, kind) {
            Status::NotChecked => never_checked.to_string(),
            Status::Changed => "changed since the last check".to_string(),
            Status::Last(outcome) => outcome.to_string(),
        };
        writeln!(
            out,
            "{:<5} {:<7} {status:<34} {}",
            exercise.id, exercise.lesson, exercise.title
        )?;
    }
    if not_started {
        writeln!(
            out,
            "To start an exercise: {SCRIPT} start ID (your copy of its starter goes into {}/)",
            layout.show(&layout.work())
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `start ID`: copies the exercise's starter into the work folder, where the student works.
pub fn start(layout: &Layout, id: &str, force: bool) -> Result<ExitCode> {
    let exercise = exercise(id)?;
    let copy = layout.show(&layout.folder(Kind::Copy, exercise));
    fs::create_dir_all(layout.work())?;
    let mut out = io::stdout().lock();
    match work::start(layout, exercise, force)? {
        Started::AlreadyThere => {
            return Err(Error::Refused(format!(
                "{copy} already exists, with your work in it. Check it with {SCRIPT} check {id}; \
                 to start again from the starter, {SCRIPT} start {id} --force deletes it"
            )));
        }
        Started::Copied => writeln!(out, "exercise {id}: your copy of the starter is {copy}")?,
        Started::Replaced => writeln!(
            out,
            "exercise {id}: {copy} is a fresh copy of the starter; your earlier work is gone"
        )?,
    }
    writeln!(
        out,
        "Find the TODO in {copy}/src/main.rs, then check your work: {SCRIPT} check {id}"
    )?;
    writeln!(
        out,
        "To run it by hand: cd {} && cargo run -p {}",
        layout.show(&layout.work()),
        Layout::package(Kind::Copy, exercise)
    )?;
    note_a_changed_starter(layout, exercise, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// `check WHAT [--solution] [--program PATH]`: one exercise (`1.2`), a lesson's (`1`) or all
/// of them (`all`); the student's copy where there is one, the starter otherwise.
pub fn check(
    layout: &Layout,
    what: &str,
    solution: bool,
    program: Option<&Path>,
) -> Result<ExitCode> {
    if let Some(program) = program {
        if !is_id(what) {
            return Err(Error::Refused(format!(
                "--program goes with one exercise (check 1.2 --program PATH), not '{what}'"
            )));
        }
        return check_program(what, program);
    }
    let chosen = if what == "all" {
        EXERCISES.iter().collect()
    } else if let Ok(lesson) = what.parse::<u32>() {
        let chosen = exercises::of_lesson(lesson);
        if chosen.is_empty() {
            return Err(Error::Refused(format!(
                "lesson {lesson} has no exercises yet; see: {SCRIPT} list"
            )));
        }
        chosen
    } else if is_id(what) {
        return check_one(layout, exercise(what)?, solution);
    } else {
        return Err(Error::Refused(format!(
            "check an exercise (1.2), a lesson (1) or all of them (all), not '{what}'"
        )));
    };
    check_many(layout, &chosen, solution)
}

/// `check ID --program PATH`: checks a program built by hand, as it is.
fn check_program(id: &str, program: &Path) -> Result<ExitCode> {
    let exercise = exercise(id)?;
    if !program.is_file() {
        return Err(Error::Refused(format!(
            "{} does not exist; build it first ({SCRIPT} check {id} does)",
            program.display()
        )));
    }
    let shown = program.display().to_string();
    let tally = report::run(
        exercise.id,
        exercise.checks,
        program,
        &shown,
        &mut io::stdout().lock(),
    )?;
    Ok(exit_status(tally.all_passed()))
}

/// One exercise, with everything the student needs: cargo's messages, the report as the
/// checks run, and what to do next.
fn check_one(layout: &Layout, exercise: &Exercise, solution: bool) -> Result<ExitCode> {
    let kind = kind_to_check(layout, exercise, solution);
    let outcome = build_and_check(layout, exercise, kind, Show::Everything)?;
    let mut out = io::stdout().lock();
    let id = exercise.id;
    match kind {
        Kind::Starter => {
            let copy = layout.show(&layout.folder(Kind::Copy, exercise));
            writeln!(
                out,
                "You have not started exercise {id}, so this was its starter, which stays as it \
                 is: run {SCRIPT} start {id}, then edit your copy, {copy}/src/main.rs. {BOOK}"
            )?;
            note_a_changed_starter(layout, exercise, &mut out)?;
        }
        Kind::Copy if matches!(outcome, Outcome::Checked(tally) if !tally.all_passed()) => {
            writeln!(
                out,
                "Fix what FAILED, then run {SCRIPT} check {id} again. {BOOK}"
            )?;
        }
        Kind::Copy | Kind::Solution => {}
    }
    Ok(exit_status(outcome.passed()))
}

/// Several exercises, one after the other, and a table of their results at the end.
fn check_many(layout: &Layout, chosen: &[&Exercise], solution: bool) -> Result<ExitCode> {
    let mut rows = Vec::new();
    let mut starters = Vec::new();
    for exercise in chosen {
        eprintln!("checking {}...", exercise.id);
        let kind = kind_to_check(layout, exercise, solution);
        if kind == Kind::Starter {
            starters.push(exercise.id);
        }
        let outcome = build_and_check(layout, exercise, kind, Show::Nothing)?;
        rows.push((exercise, outcome));
    }
    let mut out = io::stdout().lock();
    writeln!(out, "{:<5} {:<34} title", "id", "result")?;
    for (exercise, outcome) in &rows {
        writeln!(out, "{:<5} {outcome:<34} {}", exercise.id, exercise.title)?;
    }
    let all_passed = rows.iter().all(|(_, outcome)| outcome.passed());
    if !all_passed {
        writeln!(out, "Details of one exercise: {SCRIPT} check ID")?;
    }
    if !starters.is_empty() {
        writeln!(
            out,
            "Not started, so their starters were checked: {} (to start one: {SCRIPT} start ID)",
            starters.join(", ")
        )?;
    }
    Ok(exit_status(all_passed))
}

/// What a check shows as it goes.
#[derive(Clone, Copy)]
enum Show {
    /// Cargo's messages on stderr, the report on stdout as the checks run: `check 1.2`.
    Everything,
    /// Nothing: `check all` shows a table at the end.
    Nothing,
}

/// Builds one program and checks it; keeps the outcome for `list`.
fn build_and_check(
    layout: &Layout,
    exercise: &Exercise,
    kind: Kind,
    show: Show,
) -> Result<Outcome> {
    if kind == Kind::Copy {
        work::refresh(layout)?;
    }
    let package = Layout::package(kind, exercise);
    let built = cargo::build(
        &layout.workspace(kind),
        &layout.target(kind),
        &["-p", &package],
    )?;
    let mut out: Box<dyn Write> = match show {
        Show::Everything => {
            // Compiler errors, or warnings.
            eprint!("{}", built.messages);
            if !built.ok {
                eprintln!(
                    "exercise {}: {} does not compile; the errors are above",
                    exercise.id,
                    layout.show(&layout.folder(kind, exercise))
                );
            }
            Box::new(io::stdout())
        }
        Show::Nothing => Box::new(io::sink()),
    };
    let outcome = if built.ok {
        let program = layout.program(kind, exercise);
        let shown = layout.show(&program);
        Outcome::Checked(report::run(
            exercise.id,
            exercise.checks,
            &program,
            &shown,
            &mut out,
        )?)
    } else {
        Outcome::DoesNotCompile
    };
    results::save(layout, exercise, kind, outcome)?;
    Ok(outcome)
}

/// `verify`, for CI: the table and the folders agree, the exercises workspace builds, every
/// checker fails on its starter and passes on its solution. Reads the pristine starters, never
/// a student's copies.
pub fn verify(layout: &Layout) -> Result<ExitCode> {
    let began = Instant::now();
    let mut problems = !table_matches_folders(layout)?;

    let built = cargo::build(
        layout.exercises(),
        &layout.target(Kind::Starter),
        &["--workspace", "--locked"],
    )?;
    eprint!("{}", built.messages);
    if !built.ok {
        eprintln!("verify: the exercises workspace does not build; the errors are above");
        return Ok(ExitCode::FAILURE);
    }

    let ready: Vec<&Exercise> = EXERCISES
        .iter()
        .filter(|exercise| {
            [Kind::Starter, Kind::Solution]
                .iter()
                .all(|&kind| layout.folder(kind, exercise).is_dir())
        })
        .collect();
    // Each check waits on sockets, hardly using the processor: all of them side by side.
    let runs: Vec<[Run; 2]> = thread::scope(|scope| {
        let handles: Vec<_> = ready
            .iter()
            .map(|&exercise| {
                [Kind::Starter, Kind::Solution]
                    .map(|kind| scope.spawn(move || run_quietly(layout, exercise, kind)))
            })
            .collect();
        handles
            .into_iter()
            .map(|pair| {
                pair.map(|handle| {
                    handle.join().unwrap_or(Run {
                        tally: None,
                        report: b"the checker panicked\n".to_vec(),
                    })
                })
            })
            .collect()
    });

    let mut out = io::stdout().lock();
    writeln!(out, "{:<5} {:<30} solution", "id", "starter")?;
    for (exercise, [starter, solution]) in ready.iter().zip(&runs) {
        let starter_folder = layout.folder(Kind::Starter, exercise);
        let starter_fails = starter.tally.is_some_and(|tally| !tally.all_passed());
        // A starter that passes has usually been solved in place, not checked too weakly.
        let changed = !starter_fails && work::changed_in_git(&starter_folder);
        let starter_column = match starter.tally {
            _ if starter_fails => "fails, as it must",
            Some(_) if changed => "PASSES: it has been changed",
            Some(_) => "PASSES: the checker is too weak",
            None => "ERROR: the checker could not run",
        };
        let solution_passes = solution.tally.is_some_and(Tally::all_passed);
        let solution_column = if solution_passes {
            "passes, as it must"
        } else {
            "FAILS"
        };
        writeln!(
            out,
            "{:<5} {starter_column:<30} {solution_column}",
            exercise.id
        )?;
        if !starter_fails {
            problems = true;
            io::stderr().write_all(&starter.report)?;
        }
        if changed {
            eprintln!(
                "verify: {} differs from what git has, and passes: was an exercise solved in \
                 the starter itself? Solve exercises in a copy: {SCRIPT} start {} copies the \
                 starter, changes included; then restore it: git checkout -- {0}",
                layout.show(&starter_folder),
                exercise.id
            );
        }
        if !solution_passes {
            problems = true;
            io::stderr().write_all(&solution.report)?;
        }
    }
    writeln!(
        out,
        "verify: {} exercises in {} s",
        EXERCISES.len(),
        began.elapsed().as_secs()
    )?;
    Ok(exit_status(!problems))
}

/// One program's check for `verify`: its tally (none if the checker could not run) and its
/// report, shown only when something is wrong.
struct Run {
    tally: Option<Tally>,
    report: Vec<u8>,
}

fn run_quietly(layout: &Layout, exercise: &Exercise, kind: Kind) -> Run {
    let program = layout.program(kind, exercise);
    let mut report = Vec::new();
    let tally = report::run(
        exercise.id,
        exercise.checks,
        &program,
        &layout.show(&program),
        &mut report,
    )
    .ok();
    Run { tally, report }
}

/// True if every row of the table has its starter and its solution, and every folder of
/// `starters/` and `solutions/` its row; says on stderr what is missing.
fn table_matches_folders(layout: &Layout) -> io::Result<bool> {
    let mut matches = true;
    for kind in [Kind::Starter, Kind::Solution] {
        for exercise in EXERCISES {
            let folder = layout.folder(kind, exercise);
            if !folder.is_dir() {
                eprintln!(
                    "verify: exercise {} has no {} ({})",
                    exercise.id,
                    kind.name(),
                    layout.show(&folder)
                );
                matches = false;
            }
        }
        let parent = layout.folders(kind);
        for entry in fs::read_dir(&parent)? {
            let name = entry?.file_name();
            if !EXERCISES.iter().any(|exercise| name == exercise.folder) {
                eprintln!(
                    "verify: {} is in no row of the checker's table of exercises \
                     (exercises/checker/src/exercises.rs)",
                    layout.show(&parent.join(&name))
                );
                matches = false;
            }
        }
    }
    Ok(matches)
}

/// The copy if the student has started the exercise, else the starter; the solution if asked.
fn kind_to_check(layout: &Layout, exercise: &Exercise, solution: bool) -> Kind {
    if solution {
        Kind::Solution
    } else if work::started(layout, exercise) {
        Kind::Copy
    } else {
        Kind::Starter
    }
}

/// Tells a student who has worked in a starter itself how to move the work into a copy: the
/// starters are the project's own files, which the book quotes and `verify` checks.
fn note_a_changed_starter(
    layout: &Layout,
    exercise: &Exercise,
    out: &mut dyn Write,
) -> io::Result<()> {
    let starter = layout.folder(Kind::Starter, exercise);
    if work::changed_in_git(&starter) {
        let starter = layout.show(&starter);
        writeln!(
            out,
            "Note: {starter} differs from what git has. The starters are the project's own \
             files, which its checks read: work in your copy ({SCRIPT} start {} copies the \
             starter, changes included), then restore the starter: git checkout -- {starter}",
            exercise.id
        )?;
    }
    Ok(())
}

/// `1.2`: digits, a dot, digits.
fn is_id(text: &str) -> bool {
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    text.split_once('.')
        .is_some_and(|(lesson, number)| digits(lesson) && digits(number))
}

fn exercise(id: &str) -> Result<&'static Exercise> {
    exercises::find(id)
        .ok_or_else(|| Error::Refused(format!("no exercise {id}; see: {SCRIPT} list")))
}

fn exit_status(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
