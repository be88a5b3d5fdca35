//! The table of the exercises: the one place that says which exercises there are, in the
//! order of the book, what each is called and where its folders are. A new lesson's exercise
//! is one more line here, and its checks a constant in that lesson's module.
//!
//! An exercise `1.2` of lesson 1 has the folder `1-2-<slug>` in `starters/` (package
//! `ex-1-2-<slug>`), in `solutions/` (package `sol-1-2-<slug>`) and, once a student starts
//! it, in the work folder (`work/1-2-<slug>`, the starter's package under the same name).

use crate::lesson6;
use crate::lesson9;
use crate::report::Check;
use crate::{lesson1, lesson2, lesson3, lesson4, lesson5, lesson8};

/// One exercise.
pub struct Exercise {
    /// `1.2`: the lesson's number, a dot, and the exercise's number in that lesson.
    pub id: &'static str,
    /// The folder of its starter, its solution and a student's copy: `1-2-threaded-echo`.
    pub folder: &'static str,
    /// What the program does, in one line: the `description` of its `Cargo.toml`, which its
    /// `--help` shows.
    pub title: &'static str,
    /// The lesson it belongs to, for `check 1` (a lesson's exercises).
    pub lesson: u32,
    /// Its checks, in the order they run.
    pub checks: &'static [Check],
}

/// Every exercise, in the order of the book.
#[rustfmt::skip]
pub const EXERCISES: &[Exercise] = &[
    Exercise { id: "1.1", folder: "1-1-upper-echo", title: "An echo server that answers in upper case", lesson: 1, checks: lesson1::UPPER_ECHO },
    Exercise { id: "1.2", folder: "1-2-threaded-echo", title: "An echo server that serves every client at once", lesson: 1, checks: lesson1::THREADED_ECHO },
    Exercise { id: "2.1", folder: "2-1-time-command", title: "A timestamp server with a `time` command", lesson: 2, checks: lesson2::TIME_COMMAND },
    Exercise { id: "2.2", folder: "2-2-one-line-one-answer", title: "A timestamp server that answers once per line, however the bytes arrive", lesson: 2, checks: lesson2::ONE_LINE_ONE_ANSWER },
    Exercise { id: "3.1", folder: "3-1-count-and-checksum", title: "A server that answers with the size and a checksum of what it received", lesson: 3, checks: lesson3::COUNT_AND_CHECKSUM },
    Exercise { id: "3.2", folder: "3-2-half-close", title: "A client that ends its message with shutdown(Write) and still reads the answer", lesson: 3, checks: lesson3::HALF_CLOSE },
    Exercise { id: "4.1", folder: "4-1-udp-retry", title: "A UDP client that sends its datagram again, waiting twice as long each time", lesson: 4, checks: lesson4::RETRY_WITH_BACK_OFF },
    Exercise { id: "4.2", folder: "4-2-numbered-answers", title: "A UDP client that numbers its datagrams and takes only the answer to each", lesson: 4, checks: lesson4::NUMBERED_ANSWERS },
    Exercise { id: "5.1", folder: "5-1-private-message", title: "A chat room with private messages: /msg NAME text", lesson: 5, checks: lesson5::PRIVATE_MESSAGE },
    Exercise { id: "5.2", folder: "5-2-flood-control", title: "A chat room with flood control: --rate lines a second for each member", lesson: 5, checks: lesson5::FLOOD_CONTROL },
    Exercise { id: "6.1", folder: "6-1-idle-timeout", title: "A one-thread echo server that closes a client who sends nothing for --idle seconds", lesson: 6, checks: lesson6::IDLE_TIMEOUT },
    Exercise { id: "6.2", folder: "6-2-write-buffer", title: "A one-thread echo server that keeps what the kernel could not take yet and sends it when the socket is writable", lesson: 6, checks: lesson6::WRITE_BUFFER },
    Exercise { id: "8.1", folder: "8-1-length-prefix", title: "A length-prefix server that reads whole messages and refuses a header that announces too much", lesson: 8, checks: lesson8::LENGTH_PREFIX },
    Exercise { id: "8.2", folder: "8-2-line-limit", title: "A line server that refuses an over-long line without holding it", lesson: 8, checks: lesson8::LINE_LIMIT },
    Exercise { id: "9.1", folder: "9-1-verify-server", title: "A TLS client that trusts only its --ca and checks the server's name", lesson: 9, checks: lesson9::VERIFY_SERVER },
    Exercise { id: "9.2", folder: "9-2-allow-list", title: "A TLS echo server that serves only the addresses of its --allow CIDR blocks", lesson: 9, checks: lesson9::ALLOW_LIST },
];

/// The exercise with this id.
pub fn find(id: &str) -> Option<&'static Exercise> {
    EXERCISES.iter().find(|exercise| exercise.id == id)
}

/// The exercises of one lesson, in order.
pub fn of_lesson(lesson: u32) -> Vec<&'static Exercise> {
    EXERCISES
        .iter()
        .filter(|exercise| exercise.lesson == lesson)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::fs;
    use std::path::Path;

    use super::*;

    fn exercises_folder() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("exercises/")
    }

    #[test]
    fn ids_folders_and_lessons_follow_one_scheme() {
        let mut ids = BTreeSet::new();
        for exercise in EXERCISES {
            let (lesson, number) = exercise.id.split_once('.').expect("an id like 1.2");
            assert_eq!(lesson, exercise.lesson.to_string(), "{}", exercise.id);
            assert!(number.parse::<u32>().is_ok(), "{}", exercise.id);
            let prefix = format!("{lesson}-{number}-");
            let slug = exercise.folder.strip_prefix(&prefix);
            assert!(
                slug.is_some_and(|slug| !slug.is_empty()),
                "exercise {}: its folder should be {prefix}<slug>, not {}",
                exercise.id,
                exercise.folder
            );
            assert!(!exercise.checks.is_empty(), "{} has no checks", exercise.id);
            assert!(ids.insert(exercise.id), "{} twice", exercise.id);
        }
        assert!(
            EXERCISES.is_sorted_by_key(|exercise| {
                let (lesson, number) = exercise.id.split_once('.').expect("id");
                (lesson.parse::<u32>().ok(), number.parse::<u32>().ok())
            }),
            "the table is in the order of the book"
        );
    }

    #[test]
    fn lookups_find_exercises_by_id_and_by_lesson() {
        assert_eq!(
            find("1.2").map(|exercise| exercise.folder),
            Some("1-2-threaded-echo")
        );
        assert!(find("1.9").is_none());
        let ids: Vec<&str> = of_lesson(4).iter().map(|exercise| exercise.id).collect();
        assert_eq!(ids, ["4.1", "4.2"]);
        assert!(of_lesson(99).is_empty());
    }

    /// Every row has its starter and solution, every folder its row, and a title that is its
    /// packages' description (which `--help` shows): the same words in both places.
    #[test]
    fn the_table_matches_the_folders_and_their_descriptions() {
        for kind in ["starters", "solutions"] {
            let folders: BTreeSet<String> = fs::read_dir(exercises_folder().join(kind))
                .expect("read the folder")
                .map(|entry| {
                    entry
                        .expect("entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            let rows: BTreeSet<String> = EXERCISES
                .iter()
                .map(|exercise| exercise.folder.to_string())
                .collect();
            assert_eq!(folders, rows, "exercises/{kind} and the table differ");
            for exercise in EXERCISES {
                let manifest = exercises_folder()
                    .join(kind)
                    .join(exercise.folder)
                    .join("Cargo.toml");
                let text = fs::read_to_string(&manifest).expect("read Cargo.toml");
                let wanted = format!("description = \"{}\"", exercise.title);
                assert!(
                    text.lines().any(|line| line.trim() == wanted),
                    "{} should say {wanted}, as the table does",
                    manifest.display()
                );
            }
        }
    }
}
