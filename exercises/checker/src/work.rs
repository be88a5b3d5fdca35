//! The work folder, `exercises/work/`: a student's copies of the starters, where their work
//! goes. Git ignores it, and it is a Cargo workspace of its own, not a member of the exercises
//! workspace: `cargo clippy --workspace`, `cargo test --workspace` and `verify` in
//! `exercises/` never see it, so a copy that does not compile (or solves its exercise) cannot
//! break the project's checks, and the book and `verify` keep reading the pristine starters.
//!
//! A copy is its starter's folder as it is, `Cargo.toml` included: its `version.workspace =
//! true` and `common.workspace = true` come from `work/Cargo.toml`, which [`refresh`] writes
//! from `exercises/Cargo.toml` before every build (members: the copies there are; relative
//! paths made one folder deeper), with `exercises/Cargo.lock` beside it. So a copy builds with
//! the same dependencies, at the same versions, as its starter, without a network. (A crate a
//! student adds to a copy is not in that lock: cargo looks it up again at each check.)
//!
//! Why not members of the exercises workspace? `scripts/test.sh` runs `cargo clippy
//! --workspace` and `cargo test --workspace` there: a copy that does not compile would fail
//! them. And a copy has its starter's package name, so it builds into a `target` of its own.

use std::fs;
use std::io;
use std::path::Path;
use std::process::Command;

use crate::exercises::{EXERCISES, Exercise};
use crate::layout::{Kind, Layout};

/// What `start` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Started {
    /// The starter is copied into the work folder.
    Copied,
    /// The starter is copied over an earlier copy (`--force`): that work is gone.
    Replaced,
    /// A copy is there already, and was left alone.
    AlreadyThere,
}

/// The opening of `work/Cargo.toml`, for a student who opens it.
const MANIFEST_HEADER: &str = "\
# Your copies of the starters, made by `scripts/exercise.sh start ID`: a Cargo workspace of
# their own, which git ignores, so that nothing you write here can break the project's checks.
# `scripts/exercise.sh check` writes this file and Cargo.lock from exercises/Cargo.toml before
# each build, so that your copies build as their starters do: changes to them are lost.
# To run your program by hand, from this folder: cargo run -p ex-1-1-upper-echo
";

/// True once a student has started `exercise`: its copy is in the work folder.
pub fn started(layout: &Layout, exercise: &Exercise) -> bool {
    layout.folder(Kind::Copy, exercise).is_dir()
}

/// Copies the starter of `exercise` into the work folder, unless a copy is there already and
/// `force` is false.
pub fn start(layout: &Layout, exercise: &Exercise, force: bool) -> io::Result<Started> {
    let copy = layout.folder(Kind::Copy, exercise);
    let replacing = copy.exists();
    if replacing && !force {
        return Ok(Started::AlreadyThere);
    }
    // Copied beside it first, then renamed: a copy is never left half made.
    let partial = layout.work().join(format!(".{}.partial", exercise.folder));
    if partial.exists() {
        fs::remove_dir_all(&partial)?;
    }
    copy_folder(&layout.folder(Kind::Starter, exercise), &partial)?;
    if replacing {
        fs::remove_dir_all(&copy)?;
    }
    fs::rename(&partial, &copy)?;
    refresh(layout)?;
    Ok(if replacing {
        Started::Replaced
    } else {
        Started::Copied
    })
}

/// Writes `work/Cargo.toml` and `work/Cargo.lock` from the exercises workspace's, with the
/// copies there are as members. Nothing to do before the first `start`.
pub fn refresh(layout: &Layout) -> io::Result<()> {
    let work = layout.work();
    if !work.is_dir() {
        return Ok(());
    }
    let members: Vec<&str> = EXERCISES
        .iter()
        .filter(|exercise| started(layout, exercise))
        .map(|exercise| exercise.folder)
        .collect();
    let source = fs::read_to_string(layout.exercises().join("Cargo.toml"))?;
    let wanted = manifest(&source, &members);
    let path = work.join("Cargo.toml");
    // Written only when it changes, so that cargo sees nothing new.
    if fs::read_to_string(&path).ok().as_deref() != Some(wanted.as_str()) {
        fs::write(&path, wanted)?;
    }
    // Whole every time: cargo drops from a workspace's lock what its members do not use, and a
    // copy started later must find its dependencies there.
    let lock = layout.exercises().join("Cargo.lock");
    if lock.is_file() {
        fs::copy(lock, work.join("Cargo.lock"))?;
    }
    Ok(())
}

/// The manifest of the work workspace, made from the exercises workspace's: its
/// `[workspace]` table keeps only its `resolver` and gets `members`; every other table
/// (`[workspace.package]`, `[workspace.dependencies]`, the lints...) is copied, with each
/// relative `path = "..."` made one folder deeper.
pub fn manifest(exercises_manifest: &str, members: &[&str]) -> String {
    let mut text = String::from(MANIFEST_HEADER);
    let mut seen_workspace = false;
    let mut in_workspace = false;
    for line in exercises_manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_workspace = trimmed == "[workspace]";
            if in_workspace {
                seen_workspace = true;
                let quoted: Vec<String> =
                    members.iter().map(|name| format!("\"{name}\"")).collect();
                text += &format!("[workspace]\nmembers = [{}]\n", quoted.join(", "));
                continue;
            }
        }
        // The exercises manifest's own opening words are about exercises/, not this folder.
        let keep = seen_workspace
            && (!in_workspace || trimmed.is_empty() || trimmed.starts_with("resolver"));
        if keep {
            text += &deeper_paths(line);
            text.push('\n');
        }
    }
    text
}

/// A line of TOML with its relative `path = "..."` values made one folder deeper:
/// `common = { path = "../crates/common" }` becomes `common = { path = "../../crates/common" }`.
fn deeper_paths(line: &str) -> String {
    if line.trim_start().starts_with('#') {
        return line.to_string();
    }
    // Between the quotes, the odd pieces are strings and the even ones what comes around them.
    let pieces: Vec<&str> = line.split('"').collect();
    let mut text = String::new();
    for (index, piece) in pieces.iter().enumerate() {
        if index > 0 {
            text.push('"');
        }
        let is_path = index % 2 == 1 && is_path_key(pieces[index - 1]);
        let relative = !piece.starts_with('/') && !piece.starts_with('\\') && !piece.contains(':');
        if is_path && relative {
            text += "../";
        }
        text += piece;
    }
    text
}

/// True if `before`, the text before a string, ends with the key `path` and its `=`.
fn is_path_key(before: &str) -> bool {
    let Some(key) = before.trim_end().strip_suffix('=') else {
        return false;
    };
    let key = key.trim_end();
    key.strip_suffix("path").is_some_and(|rest| {
        !rest
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
    })
}

/// Copies the folder `from` to `to`, which must not exist, leaving out build output.
fn copy_folder(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            if entry.file_name() != "target" {
                copy_folder(&entry.path(), &target)?;
            }
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// True if git says that `folder` (a starter) differs from what was committed: someone worked
/// in the starter itself. False where git is missing or this is no git repository.
pub fn changed_in_git(folder: &Path) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(folder)
        .args(["status", "--porcelain", "--", "."])
        .output()
        .is_ok_and(|output| output.status.success() && !output.stdout.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXERCISES_MANIFEST: &str = "\
# The classroom exercises.
[workspace]
resolver = \"3\"
members = [\"starters/*\", \"solutions/*\", \"checker\"]

[workspace.package]
edition = \"2024\"

[workspace.dependencies]
# The lessons' plumbing: path = \"../here\" in a comment stays.
common = { path = \"../crates/common\" }
xpath = \"1.0\"
local = { path=\"/abs/local\" }
clap = { version = \"4.5\", features = [\"derive\"] }

[workspace.lints.rust]
unsafe_code = \"forbid\"
";

    #[test]
    fn the_work_manifest_is_the_exercises_one_one_folder_deeper() {
        let text = manifest(EXERCISES_MANIFEST, &["1-1-upper-echo", "2-1-time-command"]);
        let wanted = format!(
            "{MANIFEST_HEADER}\
[workspace]
members = [\"1-1-upper-echo\", \"2-1-time-command\"]
resolver = \"3\"

[workspace.package]
edition = \"2024\"

[workspace.dependencies]
# The lessons' plumbing: path = \"../here\" in a comment stays.
common = {{ path = \"../../crates/common\" }}
xpath = \"1.0\"
local = {{ path=\"/abs/local\" }}
clap = {{ version = \"4.5\", features = [\"derive\"] }}

[workspace.lints.rust]
unsafe_code = \"forbid\"
"
        );
        assert_eq!(text, wanted);
        assert!(manifest(EXERCISES_MANIFEST, &[]).contains("members = []\n"));
    }

    /// The real manifest: every relative path of the exercises workspace (the lessons'
    /// `common`) is found and moved.
    #[test]
    fn the_real_manifest_keeps_its_dependencies() {
        let exercises = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let source =
            fs::read_to_string(exercises.join("Cargo.toml")).expect("exercises/Cargo.toml");
        let text = manifest(&source, &["1-1-upper-echo"]);
        assert!(
            text.contains("common = { path = \"../../crates/common\" }"),
            "{text}"
        );
        assert!(text.contains("[workspace.package]"), "{text}");
        assert!(!text.contains("starters/*"), "{text}");
    }
}
