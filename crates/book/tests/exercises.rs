//! The classroom exercises (`exercises/`, a Cargo workspace of its own) hang together. What
//! the programs do is proven by `scripts/exercise.sh verify`, which builds them and requires
//! every checker to fail on its starter and pass on its solution; this test only reads files,
//! so it is cheap enough for every `cargo test`:
//!
//! - every starter has a solution of the same name, and the other way round, with the package
//!   names `ex-<folder>` and `sol-<folder>`;
//! - a starter has exactly one `TODO(exercise X.Y): ...`, X.Y being its own number, inside the
//!   `todo` region the book quotes; a solution has none left;
//! - both books have a heading for each exercise and quote its TODO;
//! - the exercises workspace keeps its build output out of git and commits its lock file, and
//!   git ignores the students' copies of the starters (`exercises/work/`, made by
//!   `scripts/exercise.sh start`), so that a student's work never reaches the project.

use std::fs;
use std::path::PathBuf;

use testkit::workspace_root;

fn exercises() -> PathBuf {
    workspace_root().join("exercises")
}

/// The folders in `exercises/<kind>`, sorted: `1-1-upper-echo`, ...
fn folders(kind: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(exercises().join(kind))
        .unwrap_or_else(|error| panic!("exercises/{kind}: {error}"))
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// `1-2-threaded-echo` -> `1.2`.
fn id_of(folder: &str) -> String {
    let mut parts = folder.splitn(3, '-');
    let (major, minor) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    assert!(
        major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok() && parts.next().is_some(),
        "exercise folder '{folder}' should be named like 1-2-slug"
    );
    format!("{major}.{minor}")
}

fn read(path: PathBuf) -> String {
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn every_starter_has_its_solution_and_package_names() {
    let starters = folders("starters");
    assert!(!starters.is_empty(), "no exercises");
    assert_eq!(
        starters,
        folders("solutions"),
        "starters and solutions differ"
    );
    for folder in &starters {
        for (kind, prefix) in [("starters", "ex"), ("solutions", "sol")] {
            let manifest = read(exercises().join(kind).join(folder).join("Cargo.toml"));
            let wanted = format!("name = \"{prefix}-{folder}\"");
            assert!(
                manifest.lines().any(|line| line.trim() == wanted),
                "exercises/{kind}/{folder}/Cargo.toml should say {wanted}"
            );
        }
    }
}

#[test]
fn a_starter_has_one_todo_and_a_solution_none() {
    for folder in folders("starters") {
        let id = id_of(&folder);
        let starter = read(
            exercises()
                .join("starters")
                .join(&folder)
                .join("src/main.rs"),
        );
        let todos: Vec<&str> = starter
            .lines()
            .filter(|line| line.contains("TODO("))
            .collect();
        assert_eq!(
            todos.len(),
            1,
            "exercises/starters/{folder}: one TODO, not {todos:?}"
        );
        assert!(
            todos[0].contains(&format!("TODO(exercise {id}):")),
            "exercises/starters/{folder}: the TODO should read `TODO(exercise {id}): ...`"
        );
        let region_start = starter.find("// ANCHOR: todo").expect("a todo region");
        let region_end = starter.find("// ANCHOR_END: todo").expect("its end");
        let todo_at = starter.find("TODO(").expect("the TODO");
        assert!(
            region_start < todo_at && todo_at < region_end,
            "exercises/starters/{folder}: the TODO must be inside the todo region the book quotes"
        );

        let solution = read(
            exercises()
                .join("solutions")
                .join(&folder)
                .join("src/main.rs"),
        );
        assert!(
            !solution.contains("TODO("),
            "exercises/solutions/{folder} still has a TODO"
        );
    }
}

#[test]
fn both_books_present_every_exercise() {
    for (page, heading) in [
        ("docs/en/exercises.md", "### Exercise "),
        ("docs/zh/exercises.md", "### 练习 "),
    ] {
        let text = read(workspace_root().join(page));
        for folder in folders("starters") {
            let id = id_of(&folder);
            let wanted = format!("{heading}{id} — ");
            assert!(
                text.lines().any(|line| line.starts_with(&wanted)),
                "{page} has no heading '{wanted}...'"
            );
            let excerpt = format!("<!-- excerpt: exercises/starters/{folder}/src/main.rs#todo -->");
            assert!(text.contains(&excerpt), "{page} does not quote {excerpt}");
        }
    }
}

#[test]
fn the_exercises_workspace_ignores_its_build_and_commits_its_lock() {
    let ignore = read(exercises().join(".gitignore"));
    assert!(
        ignore.lines().any(|line| line.trim() == "target/"),
        "{ignore}"
    );
    assert!(exercises().join("Cargo.lock").is_file());
    let manifest = read(exercises().join("Cargo.toml"));
    assert!(manifest.contains("[workspace]"), "a workspace of its own");
    let root = read(workspace_root().join("Cargo.toml"));
    assert!(
        root.contains(r#"exclude = ["exercises"]"#),
        "the root workspace must exclude exercises/"
    );
    let root_ignore = read(workspace_root().join(".gitignore"));
    assert!(
        root_ignore
            .lines()
            .any(|line| line.trim() == "/exercises/work/"),
        ".gitignore must ignore the students' copies, /exercises/work/:\n{root_ignore}"
    );
}
