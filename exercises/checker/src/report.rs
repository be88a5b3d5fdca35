//! Checks, and how their results are shown to a student: `ok` or `FAILED`, and for a failure
//! what was sent, what was expected, what came back and where to look.

use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// One thing the program must do. Each check starts the program afresh, so that one failure
/// (or a crash) does not spoil the checks after it.
pub struct Check {
    /// What the program must do, in a few words: printed after `ok` or `FAILED`.
    pub name: &'static str,
    /// Runs the check against the program at this path.
    pub run: fn(&Path) -> Result<(), Problem>,
}

/// Why a check failed, for a student: one line saying what went wrong, details such as
/// `expected` and `got`, and a hint saying where to look.
#[derive(Debug)]
pub struct Problem {
    what: String,
    details: Vec<(&'static str, String)>,
    hint: Option<String>,
}

impl Problem {
    pub fn new(what: impl Into<String>) -> Problem {
        Problem {
            what: what.into(),
            details: Vec::new(),
            hint: None,
        }
    }

    /// The bytes the checker sent.
    pub fn sent(self, bytes: &[u8]) -> Problem {
        self.detail("sent", show(bytes))
    }

    /// What a working program does.
    pub fn expected(self, text: impl Into<String>) -> Problem {
        self.detail("expected", text)
    }

    /// What this program did.
    pub fn got(self, text: impl Into<String>) -> Problem {
        self.detail("got", text)
    }

    /// Any other detail, such as what the program printed on stderr.
    pub fn detail(mut self, label: &'static str, text: impl Into<String>) -> Problem {
        self.details.push((label, text.into()));
        self
    }

    /// Where to look. A later hint replaces an earlier one.
    pub fn hint(mut self, text: impl Into<String>) -> Problem {
        self.hint = Some(text.into());
        self
    }

    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        const INDENT: &str = "          ";
        writeln!(out, "{INDENT}{}", self.what)?;
        for (label, text) in &self.details {
            write_wrapped(out, &format!("{label}:"), text, INDENT)?;
        }
        if let Some(hint) = &self.hint {
            write_wrapped(out, "hint:", hint, INDENT)?;
        }
        Ok(())
    }
}

/// How many checks of an exercise passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub total: usize,
}

impl Tally {
    pub fn all_passed(self) -> bool {
        self.passed == self.total
    }
}

/// Runs every check of exercise `id` on `program` and writes the report to `out`, a line as
/// each check ends: `exercise 1.1: checking PROGRAM` (the program as `shown`), `ok` or
/// `FAILED` for each check, and a last line with the count.
pub fn run(
    id: &str,
    checks: &[Check],
    program: &Path,
    shown: &str,
    out: &mut dyn Write,
) -> io::Result<Tally> {
    writeln!(out, "exercise {id}: checking {shown}")?;
    let mut passed = 0;
    for check in checks {
        match run_one(check, program) {
            Ok(()) => {
                writeln!(out, "  ok      {}", check.name)?;
                passed += 1;
            }
            Err(problem) => {
                writeln!(out, "  FAILED  {}", check.name)?;
                problem.write(out)?;
            }
        }
    }
    let total = checks.len();
    if passed == total {
        writeln!(out, "exercise {id}: all {total} checks passed")?;
    } else {
        writeln!(out, "exercise {id}: {passed} of {total} checks passed")?;
    }
    Ok(Tally { passed, total })
}

/// Runs one check. A check that panics is a bug of the checker: it fails, saying so, and the
/// checks after it still run.
fn run_one(check: &Check, program: &Path) -> Result<(), Problem> {
    catch_unwind(AssertUnwindSafe(|| (check.run)(program))).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        Err(Problem::new(format!(
            "the checker itself failed, a bug in the checker and not in your program: {message}"
        )))
    })
}

/// Writes `label` and `text`, the text folded to fit a terminal and indented under itself.
fn write_wrapped(out: &mut dyn Write, label: &str, text: &str, indent: &str) -> io::Result<()> {
    const WIDTH: usize = 100;
    const LABEL_WIDTH: usize = 10;
    let mut line = format!("{indent}{label:<LABEL_WIDTH$}");
    let start = line.chars().count();
    let mut empty = true;
    for word in text.split(' ') {
        let fits = line.chars().count() + 1 + word.chars().count() <= WIDTH;
        if !empty && !fits {
            writeln!(out, "{line}")?;
            line = " ".repeat(start);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    writeln!(out, "{line}")
}

/// Bytes as a student can read them: in quotes, text as text (Chinese included), control
/// characters escaped (`\n`), bytes that are not UTF-8 as `\xff`, and after 60 characters
/// `...` and the full length.
pub fn show(bytes: &[u8]) -> String {
    const SHOWN: usize = 60;
    let mut text = String::from("\"");
    let mut count = 0;
    let mut cut = false;
    'chunks: for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid().chars().map(|c| c.escape_debug().to_string());
        let invalid = chunk.invalid().iter().map(|byte| format!("\\x{byte:02x}"));
        for piece in valid.chain(invalid) {
            if count == SHOWN {
                cut = true;
                break 'chunks;
            }
            text.push_str(&piece);
            count += 1;
        }
    }
    text.push('"');
    if cut {
        text.push_str(&format!("... ({} bytes in all)", bytes.len()));
    }
    text
}

/// Where two byte strings first differ, shown around that place: for messages too long to
/// print whole.
pub fn first_difference(expected: &[u8], got: &[u8]) -> String {
    let at = expected.iter().zip(got).take_while(|(a, b)| a == b).count();
    let start = at.saturating_sub(10);
    let around = |bytes: &[u8]| show(&bytes[start.min(bytes.len())..(at + 20).min(bytes.len())]);
    let place = if at == 0 {
        "they differ from the first byte".to_string()
    } else {
        format!("the first {at} bytes are right; from byte {start} on")
    };
    format!(
        "{place}, expected {} but got {} ({} bytes expected, {} received)",
        around(expected),
        around(got),
        expected.len(),
        got.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_shown_exactly_and_readably() {
        assert_eq!(show(b"hi\n"), r#""hi\n""#);
        assert_eq!(show("你好".as_bytes()), r#""你好""#);
        assert_eq!(show(b"ok\xff\x00"), r#""ok\xff\0""#);
        assert_eq!(
            show("x".repeat(61).as_bytes()),
            format!("\"{}\"... (61 bytes in all)", "x".repeat(60))
        );
    }

    #[test]
    fn the_first_difference_is_found() {
        let text = first_difference(b"abcdef", b"abcXef");
        assert!(
            text.starts_with("the first 3 bytes are right; from byte 0 on"),
            "{text}"
        );
        assert!(
            text.contains(r#"expected "abcdef" but got "abcXef""#),
            "{text}"
        );
    }
}
