//! Lesson 2's exercises, on the timestamp server: 2.1 adds a `time` command, 2.2 answers once
//! per line however the bytes arrive.

use std::path::Path;
use std::time::Duration;

use chrono::{Local, NaiveDateTime, TimeDelta};

use crate::net::{ANSWER, Conn, Ending};
use crate::program::Program;
use crate::report::{Check, Problem, show};

pub const TIME_COMMAND: &[Check] = &[
    Check {
        name: "a line that is exactly `time` gets the time alone",
        run: time_alone,
    },
    Check {
        name: "every other line gets `[time] line`, as before",
        run: other_lines_stamped,
    },
    Check {
        name: "only the exact line `time` is the command",
        run: only_exact_time,
    },
    Check {
        name: "`time` works between other lines, and with a `\\r\\n` line end",
        run: time_between_lines,
    },
];

pub const ONE_LINE_ONE_ANSWER: &[Check] = &[
    Check {
        name: "half a line gets no answer until the rest of it arrives",
        run: half_a_line,
    },
    Check {
        name: "two lines sent together get two answers",
        run: two_lines_together,
    },
    Check {
        name: "a line longer than the 1024-byte buffer gets one answer",
        run: long_line,
    },
    Check {
        name: "the last line is answered even without its `\\n`",
        run: last_line_without_newline,
    },
    Check {
        name: "bytes that are not UTF-8 come back intact",
        run: not_utf8,
    },
];

/// Python's `time.ctime()` layout, as the server writes it: `Thu Feb  7 10:00:18 2013`.
const CTIME_FORMAT: &str = "%a %b %e %H:%M:%S %Y";

/// How far the time in an answer may be from the checker's clock: both read the same clock,
/// but a slow machine may take a moment between the two readings.
const CLOCK_SLACK: TimeDelta = TimeDelta::seconds(10);

/// Where 2.2's replies are made, for hints.
const LINE_HINT: &str = "the loop at the TODO answers every `read()`, whatever it holds: \
    read up to each `\\n` instead, however many reads that takes (a `BufReader` and \
    `read_until`, or `MessageReader::next_message`, which also limits the line's length)";

/// How long the checker listens after half a line before it sends the rest. A server that
/// answers every read answers the half within a millisecond. And it is well under
/// `common::PAUSE`, after which bytes without a `\n` are a message of their own (how the
/// tutorials' clients send), so the two halves still make one line for `MessageReader`.
const HALF_LINE_GAP: Duration = Duration::from_millis(30);

/// What an answer should be.
#[derive(Clone, Copy)]
enum Wanted<'a> {
    /// `[Thu Feb  7 10:00:18 2013] message`, with the time now.
    Stamped(&'a [u8]),
    /// `Thu Feb  7 10:00:18 2013`, the time now and nothing else.
    TimeAlone,
}

impl Wanted<'_> {
    fn matches(self, line: &[u8]) -> bool {
        match self {
            Wanted::TimeAlone => is_now(line),
            Wanted::Stamped(message) => {
                let Some(rest) = line.strip_prefix(b"[") else {
                    return false;
                };
                let Some(at) = rest.windows(2).position(|pair| pair == b"] ") else {
                    return false;
                };
                is_now(&rest[..at]) && &rest[at + 2..] == message
            }
        }
    }

    /// The answer as it would be right now, for "expected".
    fn example(self) -> String {
        let now = ctime(Local::now().naive_local());
        match self {
            Wanted::TimeAlone => {
                format!("{} (the time now, and nothing else)", show(now.as_bytes()))
            }
            Wanted::Stamped(message) => {
                let line = [b"[", now.as_bytes(), b"] ", message].concat();
                format!("{} (with the time now)", show(&line))
            }
        }
    }
}

/// `time` as `ctime` writes it.
fn ctime(time: NaiveDateTime) -> String {
    time.format(CTIME_FORMAT).to_string()
}

/// True if `text` is a `ctime` time within [`CLOCK_SLACK`] of now.
fn is_now(text: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(text) else {
        return false;
    };
    // `%e` pads the day with a space, so the text is always 24 characters long.
    if text.len() != 24 {
        return false;
    }
    match NaiveDateTime::parse_from_str(text, CTIME_FORMAT) {
        Ok(time) => (time - Local::now().naive_local()).abs() <= CLOCK_SLACK,
        Err(_) => false,
    }
}

/// Reads one line and checks it is the `wanted` answer to `sent`.
fn expect_answer(
    server: &mut Program,
    conn: &mut Conn,
    sent: &[u8],
    wanted: Wanted<'_>,
    hint: &str,
) -> Result<(), Problem> {
    let reply = conn.read_line(ANSWER);
    if reply.ending == Ending::Done && wanted.matches(&reply.bytes) {
        return Ok(());
    }
    let problem = Problem::new("the answer is not what it should be")
        .sent(sent)
        .expected(format!("{}, then `\\n`", wanted.example()))
        .got(reply.describe())
        .hint(hint);
    Err(server.explain(problem))
}

fn time_alone(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    conn.send(b"time\n")?;
    let reply = conn.read_line(ANSWER);
    if reply.ending == Ending::Done && Wanted::TimeAlone.matches(&reply.bytes) {
        return Ok(());
    }
    let hint = if reply.ending == Ending::Done && Wanted::Stamped(b"time").matches(&reply.bytes) {
        "`time` is still stamped like any other line: at the TODO in `answer`, first check \
         whether `message` is exactly `b\"time\"`, and if so return the time alone, then `\\n`"
    } else {
        "the answer to `time` is the time as `ctime` writes it (24 characters, like \
         `Thu Feb  7 10:00:18 2013`), then `\\n`: no brackets, no space, no message"
    };
    let problem = Problem::new("the answer is not the time alone")
        .sent(b"time\n")
        .expected(format!("{}, then `\\n`", Wanted::TimeAlone.example()))
        .got(reply.describe())
        .hint(hint);
    Err(server.explain(problem))
}

fn other_lines_stamped(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    for message in [&b"hello"[..], "你好".as_bytes(), b""] {
        let sent = [message, b"\n"].concat();
        conn.send(&sent)?;
        expect_answer(
            &mut server,
            &mut conn,
            &sent,
            Wanted::Stamped(message),
            "every line other than `time` is answered as before: `[`, the time, `] `, the \
             line, `\\n` (the `format!` already at the end of `answer`)",
        )?;
    }
    Ok(())
}

fn only_exact_time(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    for message in [
        &b"timer"[..],
        b"what time is it",
        b"Time",
        b" time",
        b"time ",
    ] {
        let sent = [message, b"\n"].concat();
        conn.send(&sent)?;
        expect_answer(
            &mut server,
            &mut conn,
            &sent,
            Wanted::Stamped(message),
            "compare the whole line with `b\"time\"` (`==`), not its start (`starts_with`) or a \
             part of it (`contains`), and do not trim it: only `time` itself is the command",
        )?;
    }
    Ok(())
}

fn time_between_lines(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    let sent = b"one\ntime\r\ntwo\n";
    conn.send(sent)?;
    let hint = "`MessageReader::next_message` removes the `\\r` of a `\\r\\n` line end, so \
                `message` is `time` either way; answer it in `answer`, which sees every line";
    for wanted in [
        Wanted::Stamped(b"one"),
        Wanted::TimeAlone,
        Wanted::Stamped(b"two"),
    ] {
        expect_answer(&mut server, &mut conn, sent, wanted, hint)?;
    }
    Ok(())
}

fn half_a_line(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    conn.send(b"hel")?;
    if let Some(early) = conn.quiet(HALF_LINE_GAP) {
        let problem = Problem::new("an answer came before the line was complete")
            .sent(b"hel")
            .expected(format!(
                "nothing yet: the line ends at its `\\n`, which has not been sent (the checker \
                 listened for {} s, less than the {} s pause that ends a message without `\\n`)",
                HALF_LINE_GAP.as_secs_f64(),
                common::PAUSE.as_secs_f64()
            ))
            .got(early.describe())
            .hint(LINE_HINT);
        return Err(server.explain(problem));
    }
    conn.send(b"lo\n")?;
    expect_answer(
        &mut server,
        &mut conn,
        b"hello\n",
        Wanted::Stamped(b"hello"),
        LINE_HINT,
    )
}

fn two_lines_together(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    let sent = b"one\ntwo\n";
    conn.send(sent)?;
    for message in [&b"one"[..], b"two"] {
        expect_answer(
            &mut server,
            &mut conn,
            sent,
            Wanted::Stamped(message),
            LINE_HINT,
        )?;
    }
    Ok(())
}

fn long_line(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    let line = vec![b'x'; 5000];
    let sent = [&line[..], b"\n"].concat();
    conn.send(&sent)?;
    expect_answer(
        &mut server,
        &mut conn,
        &sent,
        Wanted::Stamped(&line),
        LINE_HINT,
    )?;
    // Nothing else may come for that line: the next answer is the next line's.
    conn.send(b"ok\n")?;
    expect_answer(
        &mut server,
        &mut conn,
        b"ok\n",
        Wanted::Stamped(b"ok"),
        "the 5000-byte line got more than one answer: answer a line once, when its `\\n` \
         has arrived",
    )
}

fn last_line_without_newline(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    conn.send(b"bye")?;
    conn.finish_sending()?;
    expect_answer(
        &mut server,
        &mut conn,
        b"bye",
        Wanted::Stamped(b"bye"),
        "a stream can end in the middle of a line: when the client closes its side, answer \
         what is left (`MessageReader::next_message` returns it as a `Line`)",
    )?;
    let end = conn.read_to_end(ANSWER);
    if end.ending == Ending::Closed && end.bytes.is_empty() {
        return Ok(());
    }
    let problem = Problem::new("the server did not close the connection after the last answer")
        .expected("the end of the stream")
        .got(end.describe())
        .hint(
            "when `read` returns 0 (or `MessageReader::next_message` says `End`), the client has \
             left: stop",
        );
    Err(server.explain(problem))
}

fn not_utf8(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    let sent = b"\xff\xfe caf\xe9\n";
    conn.send(sent)?;
    expect_answer(
        &mut server,
        &mut conn,
        sent,
        Wanted::Stamped(b"\xff\xfe caf\xe9"),
        "keep the line as bytes (`Vec<u8>`): turning it into a `String` loses bytes that \
         are not UTF-8",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_recognised() {
        let now = ctime(Local::now().naive_local());
        assert!(Wanted::TimeAlone.matches(now.as_bytes()));
        let stamped = format!("[{now}] hi");
        assert!(Wanted::Stamped(b"hi").matches(stamped.as_bytes()));
        assert!(!Wanted::Stamped(b"h").matches(stamped.as_bytes()));
        assert!(!Wanted::TimeAlone.matches(stamped.as_bytes()));
        assert!(
            !Wanted::TimeAlone.matches(b"Thu Feb  7 10:00:18 2013"),
            "not now"
        );
    }

    #[test]
    fn the_rest_of_half_a_line_comes_well_before_a_pause_ends_it() {
        assert!(HALF_LINE_GAP * 3 <= common::PAUSE);
    }

    #[test]
    fn single_digit_days_parse() {
        let text = "Thu Feb  7 10:00:18 2013";
        let time = NaiveDateTime::parse_from_str(text, CTIME_FORMAT).expect("parses");
        assert_eq!(ctime(time), text);
    }
}
