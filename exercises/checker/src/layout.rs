//! Where things are: the pristine starters and solutions (the exercises workspace, which the
//! book and `verify` read), a student's copies (the work folder, a workspace of its own),
//! their build output, and where the result of each student's last check is kept.

use std::path::{Component, Path, PathBuf};

use crate::exercises::Exercise;

/// Which program of an exercise: the student's copy, the starter itself, or the solution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `work/<folder>`, made by `start`: what a student edits.
    Copy,
    /// `starters/<folder>`: the exercise as the book shows it. Never edited by a student.
    Starter,
    /// `solutions/<folder>`: the reference solution.
    Solution,
}

impl Kind {
    /// A word for file names and messages: `copy`, `starter`, `solution`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Copy => "copy",
            Kind::Starter => "starter",
            Kind::Solution => "solution",
        }
    }
}

/// The exercises folder and everything found from it.
#[derive(Clone, Debug)]
pub struct Layout {
    exercises: PathBuf,
}

impl Layout {
    /// The exercises folder at `exercises` (tests use one in a temporary folder).
    pub fn new(exercises: PathBuf) -> Layout {
        Layout { exercises }
    }

    /// The exercises folder this checker was built from: the parent of its own package.
    pub fn built_in() -> Layout {
        let checker = Path::new(env!("CARGO_MANIFEST_DIR"));
        Layout::new(checker.parent().unwrap_or(checker).to_path_buf())
    }

    /// `exercises/`: the workspace of the starters, the solutions and the checker.
    pub fn exercises(&self) -> &Path {
        &self.exercises
    }

    /// `exercises/work/`: the students' copies, a Cargo workspace of their own that git
    /// ignores, so that nothing a student writes can break the project's own checks.
    pub fn work(&self) -> PathBuf {
        self.exercises.join("work")
    }

    /// The folder that holds every program of one kind: `starters/`, `solutions/`, `work/`.
    pub fn folders(&self, kind: Kind) -> PathBuf {
        match kind {
            Kind::Copy => self.work(),
            Kind::Starter => self.exercises.join("starters"),
            Kind::Solution => self.exercises.join("solutions"),
        }
    }

    /// The folder of one of an exercise's programs.
    pub fn folder(&self, kind: Kind, exercise: &Exercise) -> PathBuf {
        self.folders(kind).join(exercise.folder)
    }

    /// The folder of the workspace that builds that program (where its `Cargo.toml` is).
    pub fn workspace(&self, kind: Kind) -> PathBuf {
        match kind {
            Kind::Copy => self.work(),
            Kind::Starter | Kind::Solution => self.exercises.clone(),
        }
    }

    /// Where that workspace builds, the `target` folder beside its `Cargo.toml`: a copy and
    /// its starter are packages of the same name, so they never share one.
    pub fn target(&self, kind: Kind) -> PathBuf {
        self.workspace(kind).join("target")
    }

    /// The package of that program: `ex-1-1-upper-echo` (a copy keeps its starter's name),
    /// or `sol-1-1-upper-echo`.
    pub fn package(kind: Kind, exercise: &Exercise) -> String {
        match kind {
            Kind::Copy | Kind::Starter => format!("ex-{}", exercise.folder),
            Kind::Solution => format!("sol-{}", exercise.folder),
        }
    }

    /// The program as `cargo build` leaves it.
    pub fn program(&self, kind: Kind, exercise: &Exercise) -> PathBuf {
        let name = Layout::package(kind, exercise) + std::env::consts::EXE_SUFFIX;
        self.target(kind).join("debug").join(name)
    }

    /// Where the result of the last check of each program is kept, for `list`: inside
    /// `target/`, so never committed.
    pub fn results(&self) -> PathBuf {
        self.exercises.join("target").join("exercise-results")
    }

    /// A path as a student types it from the repository's root folder, `exercises/work/...`,
    /// with `/` on every system; a path elsewhere as it is.
    pub fn show(&self, path: &Path) -> String {
        let root = self.exercises.parent().unwrap_or(&self.exercises);
        match path.strip_prefix(root) {
            Ok(relative) => relative
                .components()
                .filter_map(|part| match part {
                    Component::Normal(name) => Some(name.to_string_lossy()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => path.display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::find;

    #[test]
    fn a_copy_builds_apart_from_its_starter() {
        let layout = Layout::new(PathBuf::from("/repo/exercises"));
        let exercise = find("1.1").expect("1.1");
        let copy = layout.program(Kind::Copy, exercise);
        let starter = layout.program(Kind::Starter, exercise);
        assert_ne!(copy, starter);
        assert_eq!(
            layout.show(&copy),
            format!(
                "exercises/work/target/debug/ex-1-1-upper-echo{}",
                std::env::consts::EXE_SUFFIX
            )
        );
        assert_eq!(
            layout.show(&layout.folder(Kind::Solution, exercise)),
            "exercises/solutions/1-1-upper-echo"
        );
        assert_eq!(
            Layout::package(Kind::Solution, exercise),
            "sol-1-1-upper-echo"
        );
        assert_eq!(layout.show(Path::new("/elsewhere/x")), "/elsewhere/x");
    }
}
