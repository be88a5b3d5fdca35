//! Lesson 8's exercises, on message boundaries (粘包): 8.1 completes a length-prefix reader,
//! 8.2 a line reader that refuses an over-long line without holding it.
//!
//! 8.1's server speaks the wire format of `framing-server --framing length` (a 4-byte
//! big-endian length before each message, answers `#3 (5 bytes) hello` in the same framing),
//! and both take `--max-frame`, so these checks also run against the lesson's own server:
//! `scripts/exercise.sh check 8.1 --program target/debug/framing-server` passes. 8.2's server
//! answers as `framing-server --framing line` does (a line's `\r` may be kept, as there, or
//! taken off, as in the starter), and passes the same way through a two-line script that adds
//! `--framing line`.
//!
//! A refusal is seen from outside: the connection closes without an answer, the server prints
//! a line that names the number (the announced length, or the limit), and, where `/proc`
//! exists, its peak resident memory (`VmHWM`) has not grown. The server is then asked for one
//! more answer, on a new connection: it survived. Every wait has a deadline; the only pauses are
//! the gaps between the pieces the checker sends, and each of them is also a window in which
//! nothing may come back.

use std::fs;
use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::framing::{self, Framing, HEADER_LEN};

use crate::net::{ANSWER, Conn, Ending, Reply};
use crate::program::Program;
use crate::report::{Check, Problem, first_difference, show};

pub const LENGTH_PREFIX: &[Check] = &[
    Check {
        name: "a frame sent one byte at a time is one message, answered once it is whole",
        run: one_byte_at_a_time,
    },
    Check {
        name: "frames glued together in one write are answered one by one",
        run: glued_frames,
    },
    Check {
        name: "a frame of 0 bytes is an empty message, not the end of the stream",
        run: zero_length_frame,
    },
    Check {
        name: "a frame cut short by the client closing is not answered",
        run: cut_frames,
    },
    Check {
        name: "--max-frame is the limit: a frame of that size is answered, one byte more is refused",
        run: max_frame_is_the_limit,
    },
    Check {
        name: "a header announcing 4 GB is refused at once, and memory stays small",
        run: four_gigabytes,
    },
];

pub const LINE_LIMIT: &[Check] = &[
    Check {
        name: "lines sent together are answered one by one, `\\r\\n` line ends too",
        run: lines_one_by_one,
    },
    Check {
        name: "a line sent in pieces, with pauses, is one line",
        run: line_in_pieces,
    },
    Check {
        name: "--max-line is the limit: a line of that size is answered, one byte more is refused",
        run: max_line_is_the_limit,
    },
    Check {
        name: "a 100 MB line without `\\n` is refused early, and memory stays small",
        run: huge_line,
    },
];

/// The `--max-frame` and `--max-line` the checker starts the servers with: small, so that a
/// message at the limit is quick to send, and a number that no other line of the log holds.
const LIMIT: u32 = 1000;

/// The pause after each byte of a frame sent one byte at a time, listening for an early
/// answer: far longer than a server takes to read a byte that has arrived (microseconds), so
/// each byte is a read of its own.
const BYTE_GAP: Duration = Duration::from_millis(15);

/// The pause between the pieces of a line, listening for an early answer. Longer than
/// `common::PAUSE`, after which lesson 2's `MessageReader` takes bytes without `\n` for a
/// message: in line framing, only a `\n` ends a line.
const PIECE_GAP: Duration = Duration::from_millis(200);

/// 4294967295: the largest length a 4-byte header can announce.
const FOUR_GB: u32 = u32::MAX;

/// The line 8.2's checker sends without `\n`: 100 MB, a hundred thousand times the limit.
const HUGE_LINE: usize = 100 * 1000 * 1000;

/// The most the checker may have written of the huge line when the server closes the
/// connection. The server should stop after about `LIMIT` bytes, but the checker's writes end
/// only when the reset comes back, and meanwhile the two kernels' socket buffers take
/// several megabytes (a few MB on Linux's loopback). A server that holds the line reads all
/// 100 MB.
const EARLY: usize = 32 * 1000 * 1000;

// A server that holds the huge line is far from refusing it early.
const _: () = assert!(EARLY < HUGE_LINE / 2);

/// The most the checker writes at a time.
const CHUNK: usize = 64 * 1024;

/// How long the checker goes on writing the huge line at most. Writing 100 MB over loopback
/// takes well under a second.
const HUGE_DEADLINE: Duration = Duration::from_secs(20);

/// How long a write may make no progress before the checker takes it that the server has
/// stopped reading: it then neither reads nor closes.
const STALLED: Duration = Duration::from_secs(3);

/// How much the server's peak resident memory may grow during a refusal, in KiB. A server
/// that keeps at most its limit grows by nothing to speak of (measured: 0 to 220 KiB); one that
/// holds the huge line grows by 100 MB, one that believes a 4 GB header by up to 4 GB.
const MEMORY_GROWTH_KIB: u64 = 16 * 1024;

/// The largest answer to a message of at most `LIMIT` bytes: the checker believes no header
/// that announces more.
const MAX_ANSWER: usize = LIMIT as usize + framing::ANSWER_HEAD_MAX;

/// Where 8.1's reading goes wrong, for hints.
const READ_HINT: &str = "one `read` returns whatever has arrived: a single byte of the header, \
    or a part of the message. At the TODO in `read_frame`, read in a loop until all 4 bytes of \
    the header are there, then loop again until all the bytes it announces are (tutorial 000's \
    `myreceive`)";

/// Where 8.1's limit goes, for hints.
const LIMIT_HINT: &str = "a header is only a promise. Compare the length it announces with \
    `max_frame` as soon as its 4 bytes are there, before allocating or reading anything for the \
    message, and return `FrameError::TooLong`: `serve` prints why and closes the connection. \
    A message of exactly `max_frame` bytes is allowed";

/// Where 8.2's work goes, for hints.
const LINE_LIMIT_HINT: &str = "`read_until` keeps everything until a `\\n` comes, however far \
    away it is. At the TODO in `read_line`, look at what the reader holds (`fill_buf`), keep \
    at most `max_line` bytes of the line, `consume` what you used, and return \
    `FrameError::LineTooLong` as soon as the line passes the limit: `serve` prints why and \
    closes the connection. A line of exactly `max_line` bytes is allowed";

// ---------------------------------------------------------------------------------------------
// 8.1: the length-prefix reader.

/// Starts the server with `--max-frame LIMIT`.
fn start_length(program: &Path) -> Result<(Program, SocketAddr), Problem> {
    Program::start_server_with(program, &["--max-frame", &LIMIT.to_string()])
}

/// A connection on which every send leaves at once, as a packet of its own (no Nagle): a
/// byte sent alone arrives alone.
fn connect_unbuffered(addr: SocketAddr) -> Result<Conn, Problem> {
    let stream = TcpStream::connect_timeout(&addr, ANSWER).map_err(|error| {
        Problem::new(format!(
            "cannot connect to the server at {addr}: {}",
            common::describe(&error)
        ))
    })?;
    stream.set_nodelay(true).map_err(|error| {
        Problem::new(format!(
            "cannot send without delay: {}",
            common::describe(&error)
        ))
    })?;
    Ok(Conn::from(stream))
}

/// `message` in length framing: its length in 4 bytes, big-endian, then its bytes.
fn frame(message: &[u8]) -> Vec<u8> {
    let length = u32::try_from(message.len()).expect("the checker's messages are small");
    [&length.to_be_bytes()[..], message].concat()
}

/// A header's bytes in hex: `00 00 00 0e`.
fn hex(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    shown.join(" ")
}

/// A frame as a student should read it: `header 00 00 00 05 (5), then "hello"`.
fn describe_frame(message: &[u8]) -> String {
    let header = (message.len() as u32).to_be_bytes();
    format!(
        "header {} ({}), then {}",
        hex(&header),
        message.len(),
        show(message)
    )
}

/// framing-server's answer to message `number`: `#3 (5 bytes) hello`.
fn answer_to(number: u64, message: &[u8]) -> Vec<u8> {
    framing::answer(Framing::Length, number, message)
}

/// What came back, as a student should read it: the bytes, and the first of them read as an
/// answer frame (`"\0\0\0\r#1 (0 bytes) "`, where `\r` is the length 13, is hard to read).
fn as_frames(reply: &Reply) -> String {
    let text = reply.describe();
    if reply.bytes.len() <= HEADER_LEN {
        return text;
    }
    let (header, rest) = reply.bytes.split_at(HEADER_LEN);
    let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let message = &rest[..length.min(rest.len())];
    format!(
        "{text}; that is an answer frame: header {} ({length}), then {}",
        hex(header),
        show(message)
    )
}

/// Reads one answer frame. `Err` describes what came instead, for "got".
fn read_answer(conn: &mut Conn) -> Result<Vec<u8>, String> {
    let header = conn.read_exactly(HEADER_LEN, ANSWER);
    if header.ending != Ending::Done {
        return Err(header.describe());
    }
    let length = u32::from_be_bytes([
        header.bytes[0],
        header.bytes[1],
        header.bytes[2],
        header.bytes[3],
    ]) as usize;
    if length > MAX_ANSWER {
        return Err(format!(
            "a header ({}) announcing {length} bytes, more than any answer here can be",
            hex(&header.bytes)
        ));
    }
    let body = conn.read_exactly(length, ANSWER);
    if body.ending != Ending::Done {
        return Err(format!(
            "a header announcing {length} bytes, then {}",
            body.describe()
        ));
    }
    Ok(body.bytes)
}

/// Reads one answer and checks that it is the answer to message `number`, `message`.
fn expect_answer(
    server: &mut Program,
    conn: &mut Conn,
    sent: &str,
    (number, message): (u64, &[u8]),
    hint: &str,
) -> Result<(), Problem> {
    let wanted = answer_to(number, message);
    let got = match read_answer(conn) {
        Ok(got) if got == wanted => return Ok(()),
        Ok(got) if got.len() > 60 && wanted.len() > 60 => format!(
            "an answer frame that differs: {}",
            first_difference(&wanted, &got)
        ),
        Ok(got) => format!("an answer frame holding {}", show(&got)),
        Err(got) => got,
    };
    let problem = Problem::new(format!(
        "the answer to message {number} is not what it should be"
    ))
    .detail("sent", sent)
    .expected(format!("an answer frame holding {}", show(&wanted)))
    .got(got)
    .hint(hint);
    Err(server.explain(problem))
}

/// True if a read found the connection closed (or reset) with nothing before.
fn closed_without_answer(reply: &Reply) -> bool {
    reply.bytes.is_empty() && matches!(reply.ending, Ending::Closed | Ending::Failed(_))
}

fn one_byte_at_a_time(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_length(program)?;
    let mut conn = connect_unbuffered(addr)?;
    let message = b"hello, framing";
    let wire = frame(message);
    let sent = format!(
        "{}: {} bytes, one at a time, {} ms apart",
        describe_frame(message),
        wire.len(),
        BYTE_GAP.as_millis()
    );
    for (at, byte) in wire.iter().enumerate() {
        conn.send(&[*byte])?;
        if at + 1 == wire.len() {
            break;
        }
        if let Some(early) = conn.quiet(BYTE_GAP) {
            let problem = Problem::new(format!(
                "an answer came after {} of the frame's {} bytes",
                at + 1,
                wire.len()
            ))
            .detail("sent", sent)
            .expected("nothing until the frame is whole")
            .got(as_frames(&early))
            .hint(READ_HINT);
            return Err(server.explain(problem));
        }
    }
    expect_answer(&mut server, &mut conn, &sent, (1, message), READ_HINT)
}

fn glued_frames(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_length(program)?;
    let mut conn = Conn::connect(addr)?;
    let messages: [&[u8]; 3] = [b"first", "second, 第二".as_bytes(), b"\xff\xfe not UTF-8"];
    let wire: Vec<u8> = messages.iter().flat_map(|message| frame(message)).collect();
    conn.send(&wire)?;
    let sent = format!(
        "in one write, three frames: {}",
        messages
            .iter()
            .map(|message| describe_frame(message))
            .collect::<Vec<_>>()
            .join("; ")
    );
    for (number, message) in (1..).zip(messages) {
        expect_answer(
            &mut server,
            &mut conn,
            &sent,
            (number, message),
            "a read may hold several frames: take exactly the bytes the header announces, no \
             more, and leave the rest where it is, for the next `read_frame` (never read into a \
             buffer larger than what you still need)",
        )?;
    }
    Ok(())
}

fn zero_length_frame(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_length(program)?;
    let mut conn = Conn::connect(addr)?;
    conn.send(&[frame(b""), frame(b"after")].concat())?;
    let sent = format!(
        "in one write: {}; {}",
        describe_frame(b""),
        describe_frame(b"after")
    );
    let hint = "a header announcing 0 is a message of 0 bytes, not the end of the stream. The \
        end is a `read` that returns 0 while you wait for a header; but reading into an empty \
        buffer returns 0 too: do not take that for the end";
    expect_answer(&mut server, &mut conn, &sent, (1, b""), hint)?;
    expect_answer(&mut server, &mut conn, &sent, (2, b"after"), hint)
}

fn cut_frames(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_length(program)?;
    let hint = "count what your loops received. 0 bytes before a header is the clean end \
        (`Ok(None)`); an end after 1 to 3 bytes of a header, or before all the bytes of a \
        message, is `FrameError::CutHeader` or `FrameError::CutMessage`: never answer a part \
        of a message";
    let header = 10u32.to_be_bytes();
    let cases: [(&[u8], String); 2] = [
        (
            &header[..2],
            format!(
                "2 bytes of a header ({}), then the end of the stream",
                hex(&header[..2])
            ),
        ),
        (
            &[&header[..], b"abc"].concat(),
            format!(
                "header {} (10), then 3 bytes, \"abc\", then the end of the stream",
                hex(&header)
            ),
        ),
    ];
    for (wire, sent) in &cases {
        let mut conn = Conn::connect(addr)?;
        conn.send(wire)?;
        conn.finish_sending()?;
        let reply = conn.read_to_end(ANSWER);
        if !closed_without_answer(&reply) {
            let problem = Problem::new("a cut frame was answered, or the connection stayed open")
                .detail("sent", sent.as_str())
                .expected("no answer, and the connection closed")
                .got(as_frames(&reply))
                .hint(hint);
            return Err(server.explain(problem));
        }
    }
    let mut conn = Conn::connect(addr)?;
    conn.send(&frame(b"still here"))?;
    let sent = format!(
        "on a new connection, after the cut frames: {}",
        describe_frame(b"still here")
    );
    expect_answer(
        &mut server,
        &mut conn,
        &sent,
        (1, b"still here"),
        "a client that leaves in the middle of a frame ends its own connection, not the server",
    )
}

fn max_frame_is_the_limit(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_length(program)?;
    let mut conn = Conn::connect(addr)?;
    let largest = vec![b'm'; LIMIT as usize];
    conn.send(&frame(&largest))?;
    let sent = format!("with --max-frame {LIMIT}: {}", describe_frame(&largest));
    expect_answer(
        &mut server,
        &mut conn,
        &sent,
        (1, &largest),
        "a message of exactly --max-frame bytes is allowed: refuse only a header that announces \
         more (`>`, not `>=`)",
    )?;
    let over = LIMIT + 1;
    let too_long = vec![b'n'; over as usize];
    conn.send(&frame(&too_long))?;
    let sent = format!(
        "with --max-frame {LIMIT}, after that: {}",
        describe_frame(&too_long)
    );
    let reply = conn.read_to_end(ANSWER);
    if !closed_without_answer(&reply) {
        let problem = Problem::new(format!("a frame of {over} bytes was not refused"))
            .detail("sent", sent)
            .expected("no answer, and the connection closed")
            .got(as_frames(&reply))
            .hint(LIMIT_HINT);
        return Err(server.explain(problem));
    }
    expect_refusal_line(&mut server, over, &sent, LIMIT_HINT)
}

fn four_gigabytes(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_length(program)?;
    let memory = Memory::of(&server);
    let before = memory.as_ref().and_then(Memory::peak_kib);
    let mut conn = Conn::connect(addr)?;
    let header = FOUR_GB.to_be_bytes();
    conn.send(&[&header[..], b"abc"].concat())?;
    let sent = format!(
        "with --max-frame {LIMIT}: header {} ({FOUR_GB}, 4 GB), then 3 bytes, \"abc\"",
        hex(&header)
    );
    let reply = conn.read_to_end(ANSWER);
    if !closed_without_answer(&reply) {
        let problem = Problem::new("a header announcing 4 GB was not refused")
            .detail("sent", sent)
            .expected("no answer, and the connection closed at once")
            .got(as_frames(&reply))
            .hint(LIMIT_HINT);
        return Err(server.explain(problem));
    }
    if server.exited() {
        let problem = Problem::new("the server ended instead of refusing the header")
            .detail("sent", sent)
            .expected("the connection closed, and the server still running")
            .hint(format!(
                "`vec![0; n]` with `n` from the network lets any client choose how much memory \
                 the server asks for; 4 GB may be more than there is. {LIMIT_HINT}"
            ));
        return Err(server.explain(problem));
    }
    expect_refusal_line(&mut server, FOUR_GB, &sent, LIMIT_HINT)?;
    expect_small_growth(&mut server, memory.as_ref(), before, &sent, LIMIT_HINT)?;
    let mut conn = Conn::connect(addr)?;
    conn.send(&frame(b"still here"))?;
    let sent = format!(
        "on a new connection, after the refusal: {}",
        describe_frame(b"still here")
    );
    expect_answer(
        &mut server,
        &mut conn,
        &sent,
        (1, b"still here"),
        "a refusal ends that client's connection, not the server",
    )
}

// ---------------------------------------------------------------------------------------------
// 8.2: the line reader with a limit.

/// Starts the server with `--max-line LIMIT`.
fn start_line(program: &Path) -> Result<(Program, SocketAddr), Problem> {
    Program::start_server_with(program, &["--max-line", &LIMIT.to_string()])
}

/// The answer to line `number`, without its `\n`: `#3 (5 bytes) hello`.
fn line_answer(number: u64, line: &[u8]) -> Vec<u8> {
    framing::answer(Framing::Line, number, line)
}

/// Reads one answer line and checks that it answers line `number`, `line`.
fn expect_line_answer(
    server: &mut Program,
    conn: &mut Conn,
    sent: &str,
    (number, line): (u64, &[u8]),
    hint: &str,
) -> Result<(), Problem> {
    expect_line_answer_either(server, conn, sent, number, &[line], hint)
}

/// Reads one answer line and checks that it answers line `number` with one of `lines`: a line
/// that ended with `\r\n` may be answered with its `\r` (as `framing-server --framing line`
/// keeps it) or without (as the starter takes it off).
fn expect_line_answer_either(
    server: &mut Program,
    conn: &mut Conn,
    sent: &str,
    number: u64,
    lines: &[&[u8]],
    hint: &str,
) -> Result<(), Problem> {
    let wanted: Vec<Vec<u8>> = lines.iter().map(|line| line_answer(number, line)).collect();
    let reply = conn.read_line(ANSWER);
    if reply.ending == Ending::Done && wanted.contains(&reply.bytes) {
        return Ok(());
    }
    let got = if reply.ending == Ending::Done && reply.bytes.len() > 60 && wanted[0].len() > 60 {
        format!(
            "an answer that differs: {}",
            first_difference(&wanted[0], &reply.bytes)
        )
    } else {
        reply.describe()
    };
    let expected: Vec<String> = wanted.iter().map(|answer| show(answer)).collect();
    let problem = Problem::new(format!(
        "the answer to line {number} is not what it should be"
    ))
    .detail("sent", sent)
    .expected(format!("{}, then `\\n`", expected.join(" or ")))
    .got(got)
    .hint(hint);
    Err(server.explain(problem))
}

fn lines_one_by_one(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_line(program)?;
    let mut conn = Conn::connect(addr)?;
    let wire = b"one\ntwo\r\n\n\xe4\xbd\xa0\xe5\xa5\xbd \xff\n";
    conn.send(wire)?;
    let sent = format!("in one write: {}", show(wire));
    let answers: [&[&[u8]]; 4] = [
        &[b"one"],
        &[b"two", b"two\r"],
        &[b""],
        &[b"\xe4\xbd\xa0\xe5\xa5\xbd \xff"],
    ];
    for (number, lines) in (1..).zip(answers) {
        expect_line_answer_either(
            &mut server,
            &mut conn,
            &sent,
            number,
            lines,
            "a read may hold several lines: take the bytes up to the first `\\n` and leave the \
             rest in the reader, for the next `read_line`; an empty line is a line too. The line \
             stays bytes, UTF-8 or not",
        )?;
    }
    Ok(())
}

fn line_in_pieces(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_line(program)?;
    let mut conn = connect_unbuffered(addr)?;
    let pieces: [&[u8]; 4] = [b"hel", b"lo, wor", b"ld\r", b"\n"];
    let sent = format!(
        "{}, {} ms apart",
        pieces
            .iter()
            .map(|piece| show(piece))
            .collect::<Vec<_>>()
            .join(", "),
        PIECE_GAP.as_millis()
    );
    let hint = "a line ends at its `\\n`, not at the end of a read, nor after a pause: keep what \
        came, and read on until the `\\n` arrives";
    for (at, piece) in pieces.iter().enumerate() {
        conn.send(piece)?;
        if at + 1 == pieces.len() {
            break;
        }
        if let Some(early) = conn.quiet(PIECE_GAP) {
            let problem = Problem::new(format!(
                "an answer came after {} of the line's {} pieces",
                at + 1,
                pieces.len()
            ))
            .detail("sent", sent)
            .expected("nothing until the `\\n` arrives")
            .got(early.describe())
            .hint(hint);
            return Err(server.explain(problem));
        }
    }
    let lines: [&[u8]; 2] = [b"hello, world", b"hello, world\r"];
    expect_line_answer_either(&mut server, &mut conn, &sent, 1, &lines, hint)
}

fn max_line_is_the_limit(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_line(program)?;
    let mut conn = Conn::connect(addr)?;
    let largest = vec![b'a'; LIMIT as usize];
    conn.send(&[&largest[..], b"\n"].concat())?;
    let sent = format!("with --max-line {LIMIT}: a line of {LIMIT} bytes, `a`, then `\\n`");
    expect_line_answer(
        &mut server,
        &mut conn,
        &sent,
        (1, &largest),
        "a line of exactly --max-line bytes (not counting its `\\n`) is allowed: refuse only a \
         longer one (`>`, not `>=`)",
    )?;
    let over = LIMIT as usize + 1;
    conn.send(&[&vec![b'b'; over][..], b"\n"].concat())?;
    let sent =
        format!("with --max-line {LIMIT}, after that: a line of {over} bytes, `b`, then `\\n`");
    let reply = conn.read_to_end(ANSWER);
    if closed_without_answer(&reply) {
        return Ok(());
    }
    let problem = Problem::new(format!("a line of {over} bytes was not refused"))
        .detail("sent", sent)
        .expected("no answer, and the connection closed")
        .got(reply.describe())
        .hint(LINE_LIMIT_HINT);
    Err(server.explain(problem))
}

/// How writing the huge line ended.
enum Writing {
    /// The connection broke: the server closed it. `written` bytes had gone in.
    Closed { written: usize, why: String },
    /// Every byte went in, and the connection is still open.
    AllTaken,
    /// Nothing more went in for `STALLED`: the server stopped reading, without closing.
    Stalled { written: usize },
    /// `HUGE_DEADLINE` passed while the server was still taking bytes.
    StillTaking { written: usize },
}

/// Writes `HUGE_LINE` bytes of `x`, without `\n`, as fast as the server takes them, until the
/// connection breaks, every byte went in, a write stalls, or `HUGE_DEADLINE` passes.
fn write_huge_line(addr: SocketAddr) -> Result<Writing, Problem> {
    let stream = TcpStream::connect_timeout(&addr, ANSWER).map_err(|error| {
        Problem::new(format!(
            "cannot connect to the server at {addr}: {}",
            common::describe(&error)
        ))
    })?;
    stream.set_write_timeout(Some(STALLED)).map_err(|error| {
        Problem::new(format!(
            "cannot set a time-out: {}",
            common::describe(&error)
        ))
    })?;
    let chunk = vec![b'x'; CHUNK];
    let deadline = Instant::now() + HUGE_DEADLINE;
    let mut writer = &stream;
    let mut written = 0;
    loop {
        if written >= HUGE_LINE {
            return Ok(Writing::AllTaken);
        }
        if Instant::now() >= deadline {
            return Ok(Writing::StillTaking { written });
        }
        let size = CHUNK.min(HUGE_LINE - written);
        match writer.write(&chunk[..size]) {
            Ok(0) => {
                return Ok(Writing::Closed {
                    written,
                    why: "a write took nothing".into(),
                });
            }
            Ok(count) => written += count,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(Writing::Stalled { written });
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => {
                return Ok(Writing::Closed {
                    written,
                    why: common::describe(&error),
                });
            }
        }
    }
}

/// `bytes` in megabytes, for a student: `12.6 MB`.
fn megabytes(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn huge_line(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_line(program)?;
    let memory = Memory::of(&server);
    let before = memory.as_ref().and_then(Memory::peak_kib);
    let sent = format!(
        "with --max-line {LIMIT}: a line of {} without `\\n`, as fast as the server takes it",
        megabytes(HUGE_LINE)
    );
    let writing = write_huge_line(addr)?;
    let grown = match (memory.as_ref().and_then(Memory::peak_kib), before) {
        (Some(after), Some(before)) => format!(
            "; meanwhile its peak memory grew by {}",
            megabytes(after.saturating_sub(before) as usize * 1024)
        ),
        _ => String::new(),
    };
    let got = match writing {
        Writing::Closed { written, .. } if written <= EARLY => None,
        Writing::Closed { written, why } => Some(format!(
            "the connection closed ({why}) only after {} had gone in{grown}",
            megabytes(written)
        )),
        Writing::AllTaken => Some(format!(
            "the server took all {} and kept the connection open{grown}",
            megabytes(HUGE_LINE)
        )),
        Writing::Stalled { written } => Some(format!(
            "after {}, the server stopped reading but kept the connection open{grown}",
            megabytes(written)
        )),
        Writing::StillTaking { written } => Some(format!(
            "the server was still taking the line after {} s: {} so far{grown}",
            HUGE_DEADLINE.as_secs(),
            megabytes(written)
        )),
    };
    if let Some(got) = got {
        let problem = Problem::new("the huge line was not refused early")
            .detail("sent", sent.as_str())
            .expected(format!(
                "the connection closed once the line passes {LIMIT} bytes, so the checker's \
                 writes fail before {} have gone in (the socket buffers of the two kernels take \
                 a few MB meanwhile)",
                megabytes(EARLY)
            ))
            .got(got)
            .hint(LINE_LIMIT_HINT);
        return Err(server.explain(problem));
    }
    expect_refusal_line(&mut server, LIMIT, &sent, LINE_LIMIT_HINT)?;
    expect_small_growth(&mut server, memory.as_ref(), before, &sent, LINE_LIMIT_HINT)?;
    let mut conn = Conn::connect(addr)?;
    conn.send(b"ok\n")?;
    expect_line_answer(
        &mut server,
        &mut conn,
        "on a new connection, after the refusal: \"ok\\n\"",
        (1, b"ok"),
        "a refusal ends that client's connection, not the server",
    )
}

// ---------------------------------------------------------------------------------------------
// What both exercises' refusals must show.

/// True if `line` holds `number` as a whole number: `4294967295`, but not the `1000` in
/// `127.0.0.1:41000`.
fn names_number(line: &str, number: u32) -> bool {
    let wanted = number.to_string();
    line.split(|c: char| !c.is_ascii_digit())
        .any(|word| word == wanted)
}

/// Waits for the line the server prints when it refuses: one that names `number`.
fn expect_refusal_line(
    server: &mut Program,
    number: u32,
    sent: &str,
    hint: &str,
) -> Result<(), Problem> {
    server
        .wait_for_line(|line| names_number(line, number), ANSWER)
        .map(|_| ())
        .map_err(|problem| {
            problem
                .detail("sent", sent)
                .expected(format!(
                    "a line on standard output that says why the connection was closed, with \
                     the number {number} in it"
                ))
                .hint(format!(
                    "return the `FrameError` that says what was wrong: `serve` prints it, and \
                     its message names the number. {hint}"
                ))
        })
}

/// Fails if the server's peak resident memory grew by more than `MEMORY_GROWTH_KIB` since
/// `before`. Where there is no `/proc` (macOS, Windows), there is nothing to compare: the
/// checks of a refusal and of the server's survival have to do.
fn expect_small_growth(
    server: &mut Program,
    memory: Option<&Memory>,
    before: Option<u64>,
    sent: &str,
    hint: &str,
) -> Result<(), Problem> {
    let (Some(memory), Some(before)) = (memory, before) else {
        return Ok(());
    };
    let Some(after) = memory.peak_kib() else {
        return Ok(()); // it has just ended: the next check, an answer, says so
    };
    let grown = after.saturating_sub(before);
    if grown <= MEMORY_GROWTH_KIB {
        return Ok(());
    }
    let problem = Problem::new("the server's memory grew during the refusal, if only for a moment")
        .detail("sent", sent)
        .expected(format!(
            "its peak resident memory (VmHWM in /proc/{}/status) grows by at most {} KiB",
            memory.pid, MEMORY_GROWTH_KIB
        ))
        .got(format!(
            "a peak of {before} KiB before, {after} KiB after: {grown} KiB more"
        ))
        .hint(format!(
            "never keep more than the limit, nor make room for more than it. {hint}"
        ));
    Err(server.explain(problem))
}

/// The server under test, as `/proc` sees it: its peak resident memory.
struct Memory {
    pid: u32,
}

impl Memory {
    /// The program's memory, where there is `/proc` to read it from (Linux).
    fn of(program: &Program) -> Option<Memory> {
        let pid = program.pid();
        Path::new(&format!("/proc/{pid}/status"))
            .exists()
            .then_some(Memory { pid })
    }

    /// `VmHWM` from `/proc/PID/status`, in KiB: the most memory the process has really used
    /// (resident) at any time since it started. A line held and then dropped (its memory
    /// returned when the refusal drops it) still shows here.
    fn peak_kib(&self) -> Option<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let value = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn numbers_are_found_whole() {
        assert!(names_number(
            "closed 127.0.0.1:5000: a length header announces 4294967295 bytes",
            FOUR_GB
        ));
        assert!(names_number(
            "a line longer than 1000 bytes (--max-line)",
            1000
        ));
        assert!(!names_number("listening on 127.0.0.1:41000", 1000));
        assert!(!names_number("received 10001 bytes", 1000));
    }

    #[test]
    fn frames_are_length_then_bytes() {
        assert_eq!(frame(b"hello"), b"\0\0\0\x05hello");
        assert_eq!(frame(b""), [0, 0, 0, 0]);
        assert_eq!(
            describe_frame(b"hello"),
            "header 00 00 00 05 (5), then \"hello\""
        );
        assert_eq!(answer_to(3, b"hello"), b"#3 (5 bytes) hello");
    }

    #[test]
    fn the_pieces_of_a_line_are_further_apart_than_a_pause() {
        assert!(PIECE_GAP >= common::PAUSE * 3 / 2);
    }

    /// The checker reads a process's peak memory, this one's here, where there is `/proc`.
    #[test]
    fn the_peak_memory_of_a_process_is_read_where_there_is_proc() {
        if !Path::new("/proc/self/status").exists() {
            return;
        }
        let memory = Memory {
            pid: std::process::id(),
        };
        let peak = memory.peak_kib().expect("VmHWM");
        assert!(peak > 100, "{peak} KiB");
    }
}
