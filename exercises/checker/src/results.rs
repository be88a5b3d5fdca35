//! How each check went, kept for `list`: one small file per exercise and program in
//! `exercises/target/exercise-results/`, written after every `check`.

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use crate::exercises::Exercise;
use crate::layout::{Kind, Layout};
use crate::report::Tally;

/// How a check of a program went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It built, and the checks ran.
    Checked(Tally),
    /// It did not build.
    DoesNotCompile,
}

impl Outcome {
    pub fn passed(self) -> bool {
        matches!(self, Outcome::Checked(tally) if tally.all_passed())
    }

    /// As kept in a file: `2 of 4`, or `does not compile`.
    fn to_line(self) -> String {
        match self {
            Outcome::Checked(Tally { passed, total }) => format!("{passed} of {total}"),
            Outcome::DoesNotCompile => DOES_NOT_COMPILE.to_string(),
        }
    }

    fn from_line(line: &str) -> Option<Outcome> {
        if line == DOES_NOT_COMPILE {
            return Some(Outcome::DoesNotCompile);
        }
        let (passed, total) = line.split_once(" of ")?;
        Some(Outcome::Checked(Tally {
            passed: passed.parse().ok()?,
            total: total.parse().ok()?,
        }))
    }
}

const DOES_NOT_COMPILE: &str = "does not compile";

/// `passed`, `failed (2 of 4 checks passed)`, `does not compile`: a cell of `list` and of
/// `check all`'s table.
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Outcome::Checked(tally) if tally.all_passed() => f.pad("passed"),
            Outcome::Checked(Tally { passed, total }) => {
                f.pad(&format!("failed ({passed} of {total} checks passed)"))
            }
            Outcome::DoesNotCompile => f.pad(DOES_NOT_COMPILE),
        }
    }
}

/// What `list` knows of a program.
#[derive(Debug, PartialEq, Eq)]
pub enum Status {
    NotChecked,
    /// A file of the program is newer than its last check.
    Changed,
    Last(Outcome),
}

/// Keeps `outcome` as the result of the last check of this program.
pub fn save(layout: &Layout, exercise: &Exercise, kind: Kind, outcome: Outcome) -> io::Result<()> {
    let folder = layout.results();
    fs::create_dir_all(&folder)?;
    fs::write(
        folder.join(file_name(exercise, kind)),
        outcome.to_line() + "\n",
    )
}

/// The result of the last check of this program, or why there is none to show.
pub fn status(layout: &Layout, exercise: &Exercise, kind: Kind) -> Status {
    let file = layout.results().join(file_name(exercise, kind));
    let Ok(text) = fs::read_to_string(&file) else {
        return Status::NotChecked;
    };
    let Some(outcome) = Outcome::from_line(text.trim()) else {
        return Status::NotChecked;
    };
    let checked = fs::metadata(&file).and_then(|meta| meta.modified());
    match (checked, newest_change(&layout.folder(kind, exercise))) {
        (Ok(checked), Some(changed)) if changed > checked => Status::Changed,
        _ => Status::Last(outcome),
    }
}

/// `1.1.copy`, `1.1.starter`, `1.1.solution`.
fn file_name(exercise: &Exercise, kind: Kind) -> String {
    format!("{}.{}", exercise.id, kind.name())
}

/// When a file in `folder` (build output left out) last changed.
fn newest_change(folder: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for entry in fs::read_dir(folder).ok()?.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let changed = if meta.is_dir() {
            if entry.file_name() == "target" {
                continue;
            }
            newest_change(&entry.path())
        } else {
            meta.modified().ok()
        };
        newest = newest.max(changed);
    }
    newest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_back_as_written_and_show_as_before() {
        let failed = Outcome::Checked(Tally {
            passed: 2,
            total: 4,
        });
        let passed = Outcome::Checked(Tally {
            passed: 4,
            total: 4,
        });
        for outcome in [failed, passed, Outcome::DoesNotCompile] {
            assert_eq!(Outcome::from_line(&outcome.to_line()), Some(outcome));
        }
        assert_eq!(failed.to_string(), "failed (2 of 4 checks passed)");
        assert_eq!(passed.to_string(), "passed");
        assert_eq!(
            format!("{:<18}|", Outcome::DoesNotCompile),
            "does not compile  |"
        );
        assert_eq!(
            Outcome::from_line("exercise 1.1: all 4 checks passed"),
            None
        );
    }
}
