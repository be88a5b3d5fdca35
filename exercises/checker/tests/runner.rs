//! The runner's commands, on a small exercises folder of their own in a temporary folder: a
//! workspace with the starters of exercises 1.1 and 1.2 (std-only programs, quick to build)
//! and a path dependency, as the real one has `common`. The checker is pointed at it with its
//! hidden `--exercises` option, so these tests never touch the real starters, nor a student's
//! copies in `exercises/work/`.
//!
//! The programs under test listen on ports the system picks (`--port 0`); nothing sleeps.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Exercise 1.1's starter: lesson 1's echo server, reduced to std. Its TODO is
/// [`UNSOLVED`]; [`SOLVED`] solves it.
const ECHO_SERVER: &str = r#"use std::io::{Read, Write};
use std::net::TcpListener;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port = match args.iter().position(|arg| arg == "--port") {
        Some(at) => args[at + 1].clone(),
        None => "9001".to_string(),
    };
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).expect("bind");
    println!("{} {}", tiny::LISTENING, listener.local_addr().expect("address"));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut buffer = [0; 1024];
        while let Ok(count @ 1..) = stream.read(&mut buffer) {
            let data = &buffer[..count];
            // TODO(exercise 1.1): answer in upper case.
            let reply = data.to_vec();
            if stream.write_all(&reply).is_err() {
                break;
            }
        }
    }
}
"#;
const UNSOLVED: &str = "let reply = data.to_vec();";
const SOLVED: &str = "let reply = data.to_ascii_uppercase();";

/// An exercises folder in a temporary folder of its own, removed when dropped:
/// `<scratch>/exercises` and `<scratch>/crates/tiny`.
struct Exercises {
    scratch: PathBuf,
}

impl Exercises {
    fn new(test: &str) -> Exercises {
        let scratch =
            std::env::temp_dir().join(format!("exercise-check-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&scratch);
        let exercises = Exercises { scratch };
        exercises.write(
            "crates/tiny/Cargo.toml",
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        );
        exercises.write(
            "crates/tiny/src/lib.rs",
            "pub const LISTENING: &str = \"listening on\";\n",
        );
        exercises.write(
            "exercises/Cargo.toml",
            "# The exercises.\n[workspace]\nresolver = \"2\"\nmembers = [\"starters/*\"]\n\n\
             [workspace.package]\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [workspace.dependencies]\ntiny = { path = \"../crates/tiny\" }\n",
        );
        for (folder, main) in [
            ("1-1-upper-echo", ECHO_SERVER),
            ("1-2-threaded-echo", "fn main() {}\n"),
        ] {
            exercises.write(
                &format!("exercises/starters/{folder}/Cargo.toml"),
                &format!(
                    "[package]\nname = \"ex-{folder}\"\nversion.workspace = true\n\
                     edition.workspace = true\n\n[dependencies]\ntiny.workspace = true\n"
                ),
            );
            exercises.write(&format!("exercises/starters/{folder}/src/main.rs"), main);
        }
        exercises
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.scratch.join(relative)
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().expect("a parent folder")).expect("make folders");
        fs::write(&path, text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    }

    fn read(&self, relative: &str) -> String {
        let path = self.path(relative);
        fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }

    /// Runs the checker with `args` on this exercises folder.
    fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_exercise-check"))
            .args(args)
            .arg("--exercises")
            .arg(self.path("exercises"))
            .output()
            .expect("run exercise-check");
        Run::from(output)
    }

    /// The row of `list` for exercise `id`.
    fn listed(&self, id: &str) -> String {
        let list = self.run(&["list"]);
        assert_eq!(list.code, Some(0), "{list:?}");
        let prefix = format!("{id:<5} ");
        list.stdout
            .lines()
            .find(|line| line.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no row for {id}:\n{}", list.stdout))
            .to_string()
    }
}

impl Drop for Exercises {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.scratch);
    }
}

/// How a run of the checker ended, and what it printed.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A row of `list`, as the shell script printed it: `%-5s %-7s %-34s %s`.
fn row(id: &str, lesson: u32, status: &str, title: &str) -> String {
    format!("{id:<5} {lesson:<7} {status:<34} {title}")
}

const TITLE_1_1: &str = "An echo server that answers in upper case";

#[test]
fn list_shows_every_exercise_of_the_table_and_how_to_start() {
    let exercises = Exercises::new("list");
    let list = exercises.run(&["list"]);
    assert_eq!(list.code, Some(0), "{list:?}");
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "id    lesson  status                             title"
    );
    assert_eq!(lines[1], row("1.1", 1, "not started", TITLE_1_1));
    let ids: Vec<&str> = lines[1..lines.len() - 1]
        .iter()
        .map(|line| line.split(' ').next().unwrap_or(""))
        .collect();
    assert!(ids.len() >= 10, "{ids:?}");
    assert_eq!(ids[..3], ["1.1", "1.2", "2.1"]);
    assert_eq!(
        lines[lines.len() - 1],
        "To start an exercise: scripts/exercise.sh start ID \
         (your copy of its starter goes into exercises/work/)"
    );
    assert!(
        !exercises.path("exercises/work").exists(),
        "list made a work folder"
    );
}

#[test]
fn start_copies_the_starter_and_never_overwrites_a_copy_without_force() {
    let exercises = Exercises::new("start");
    let started = exercises.run(&["start", "1.1"]);
    assert_eq!(started.code, Some(0), "{started:?}");
    assert!(
        started.stdout.starts_with(
            "exercise 1.1: your copy of the starter is exercises/work/1-1-upper-echo\n"
        ),
        "{started:?}"
    );
    let copy = "exercises/work/1-1-upper-echo/src/main.rs";
    assert_eq!(exercises.read(copy), ECHO_SERVER);
    // The copy's workspace: itself as a member, the same dependencies, one folder deeper.
    let manifest = exercises.read("exercises/work/Cargo.toml");
    assert!(
        manifest.contains("members = [\"1-1-upper-echo\"]\n"),
        "{manifest}"
    );
    assert!(
        manifest.contains("tiny = { path = \"../../crates/tiny\" }"),
        "{manifest}"
    );

    exercises.write(copy, "// my work\n");
    let again = exercises.run(&["start", "1.1"]);
    assert_eq!(again.code, Some(2), "{again:?}");
    assert!(
        again
            .stderr
            .starts_with("error: exercises/work/1-1-upper-echo already exists, with your work"),
        "{again:?}"
    );
    assert!(again.stderr.contains("start 1.1 --force"), "{again:?}");
    assert_eq!(
        exercises.read(copy),
        "// my work\n",
        "the copy was overwritten"
    );

    let forced = exercises.run(&["start", "1.1", "--force"]);
    assert_eq!(forced.code, Some(0), "{forced:?}");
    assert!(
        forced.stdout.contains("fresh copy of the starter"),
        "{forced:?}"
    );
    assert_eq!(exercises.read(copy), ECHO_SERVER);

    let unknown = exercises.run(&["start", "9.9"]);
    assert_eq!(unknown.code, Some(2), "{unknown:?}");
    assert_eq!(
        unknown.stderr,
        "error: no exercise 9.9; see: scripts/exercise.sh list\n"
    );
}

#[test]
fn check_takes_the_copy_once_started_and_list_follows() {
    let exercises = Exercises::new("check");
    // Not started: the starter is checked, and the student is told to start.
    let starter = exercises.run(&["check", "1.1"]);
    assert_eq!(starter.code, Some(1), "{starter:?}");
    assert!(
        starter
            .stdout
            .starts_with("exercise 1.1: checking exercises/target/debug/ex-1-1-upper-echo"),
        "{starter:?}"
    );
    assert!(
        starter.stdout.contains(
            "You have not started exercise 1.1, so this was its starter, which stays as it is: \
             run scripts/exercise.sh start 1.1, then edit your copy, \
             exercises/work/1-1-upper-echo/src/main.rs."
        ),
        "{starter:?}"
    );

    assert_eq!(exercises.run(&["start", "1.1"]).code, Some(0));
    assert_eq!(
        exercises.listed("1.1"),
        row("1.1", 1, "not checked yet", TITLE_1_1)
    );
    let copy = "exercises/work/1-1-upper-echo/src/main.rs";
    exercises.write(copy, &exercises.read(copy).replace(UNSOLVED, SOLVED));
    let solved = exercises.run(&["check", "1.1"]);
    assert_eq!(solved.code, Some(0), "{solved:?}");
    let lines: Vec<&str> = solved.stdout.lines().collect();
    assert!(
        lines[0]
            .starts_with("exercise 1.1: checking exercises/work/target/debug/ex-1-1-upper-echo"),
        "{solved:?}"
    );
    assert!(
        lines[lines.len() - 1].starts_with("exercise 1.1: all ") && lines.len() > 2,
        "{solved:?}"
    );
    assert_eq!(exercises.listed("1.1"), row("1.1", 1, "passed", TITLE_1_1));
    assert_eq!(
        exercises.read("exercises/starters/1-1-upper-echo/src/main.rs"),
        ECHO_SERVER,
        "the starter must stay as it is"
    );

    // An edit after the check shows in the list.
    exercises.write(copy, &exercises.read(copy).replace(SOLVED, UNSOLVED));
    let changed = exercises.listed("1.1");
    assert_eq!(
        changed,
        row("1.1", 1, "changed since the last check", TITLE_1_1)
    );
}

#[test]
fn a_copy_that_does_not_compile_is_reported_as_such() {
    let exercises = Exercises::new("broken");
    assert_eq!(exercises.run(&["start", "1.1"]).code, Some(0));
    exercises.write(
        "exercises/work/1-1-upper-echo/src/main.rs",
        "fn main() { let }\n",
    );
    let broken = exercises.run(&["check", "1.1"]);
    assert_eq!(broken.code, Some(1), "{broken:?}");
    assert!(broken.stderr.contains("error"), "{broken:?}");
    assert!(
        broken.stderr.ends_with(
            "exercise 1.1: exercises/work/1-1-upper-echo does not compile; the errors are above\n"
        ),
        "{broken:?}"
    );
    assert_eq!(
        exercises.listed("1.1"),
        row("1.1", 1, "does not compile", TITLE_1_1)
    );
    // The exercises workspace itself does not see the copy: it still builds.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let workspace = Command::new(cargo)
        .args(["build", "--quiet", "--workspace", "--manifest-path"])
        .arg(exercises.path("exercises/Cargo.toml"))
        .output()
        .expect("run cargo");
    assert!(workspace.status.success(), "{workspace:?}");
}

#[test]
fn checking_a_lesson_ends_with_a_table() {
    let exercises = Exercises::new("lesson");
    let lesson = exercises.run(&["check", "1"]);
    assert_eq!(lesson.code, Some(1), "{lesson:?}");
    assert_eq!(lesson.stderr, "checking 1.1...\nchecking 1.2...\n");
    let lines: Vec<&str> = lesson.stdout.lines().collect();
    assert_eq!(lines[0], "id    result                             title");
    assert!(lines[1].starts_with("1.1   failed ("), "{lesson:?}");
    assert!(lines[2].starts_with("1.2   failed ("), "{lesson:?}");
    assert_eq!(
        lines[3..],
        [
            "Details of one exercise: scripts/exercise.sh check ID",
            "Not started, so their starters were checked: 1.1, 1.2 \
             (to start one: scripts/exercise.sh start ID)",
        ]
    );
}

#[test]
fn verify_finds_a_table_and_folders_that_disagree() {
    let exercises = Exercises::new("verify");
    exercises.write(
        "exercises/solutions/9-9-stray/src/main.rs",
        "fn main() {}\n",
    );
    let verify = exercises.run(&["verify"]);
    assert_eq!(verify.code, Some(1), "{verify:?}");
    for wanted in [
        "verify: exercise 1.1 has no solution (exercises/solutions/1-1-upper-echo)\n",
        "verify: exercise 2.1 has no starter (exercises/starters/2-1-time-command)\n",
        "verify: exercises/solutions/9-9-stray is in no row of the checker's table",
    ] {
        assert!(verify.stderr.contains(wanted), "{wanted}\n{verify:?}");
    }
}

#[test]
fn wrong_requests_are_refused_with_status_2() {
    let exercises = Exercises::new("refused");
    let missing = Path::new("no-such-program").display().to_string();
    for (args, error) in [
        (
            &["check", "9.9"][..],
            "error: no exercise 9.9; see: scripts/exercise.sh list\n".to_string(),
        ),
        (
            &["check", "99"],
            "error: lesson 99 has no exercises yet; see: scripts/exercise.sh list\n".to_string(),
        ),
        (
            &["check", "one"],
            "error: check an exercise (1.2), a lesson (1) or all of them (all), not 'one'\n"
                .to_string(),
        ),
        (
            &["check", "1.1", "--program", &missing],
            format!(
                "error: {missing} does not exist; build it first \
                 (scripts/exercise.sh check 1.1 does)\n"
            ),
        ),
    ] {
        let run = exercises.run(args);
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
        assert_eq!(run.stderr, error, "{args:?}");
    }
}
