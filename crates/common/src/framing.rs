//! Lesson 8 — message boundaries (粘包): four ways to tell where one message ends and the next
//! begins, shared by `framing-server` and `framing-client`.
//!
//! TCP carries a stream of bytes, not messages. Two `send`s may arrive in one `recv` (glued,
//! the "sticky packet", 粘包), and one `send` may arrive in several. The two sides need a rule
//! that says where a message ends: a *framing*. Each framing below is one function that writes
//! a message and one that reads it back, in the order the lesson page shows them:
//!
//! 1. [`read_none`] / [`write_none`]: no rule at all, the tutorials' way: whatever one
//!    `recv(1024)` returns is taken for a message. Glued and split messages are the result.
//! 2. [`read_fixed`] / [`write_fixed`]: every message is exactly N bytes, padded with spaces,
//!    read with tutorial 000's `myreceive(s, MSGLEN)` loop.
//! 3. [`read_line`] / [`write_line`]: a message ends with `\n`.
//! 4. [`read_length`] / [`write_length`]: a 4-byte big-endian length before each message,
//!    Python's `struct.pack('!I', len(data))`. What production protocols do.
//!
//! Every reader returns `Ok(Some(message))`, `Ok(None)` when the peer closed the connection
//! cleanly *between* two messages, or a [`FrameError`] that says in one line what broke the
//! rule: a header or a message cut by the peer closing, a message over the limit. A reader
//! never holds more than its limit in memory, whatever a peer announces or sends.
//!
//! [`Options`] holds the command-line options both programs share (`--framing`, `--size`,
//! `--max-line`, `--max-frame`) and picks the right pair of functions.

use std::fmt;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};

use crate::preview;

// ANCHOR: constants
/// What the tutorials read at a time: `recv(1024)`. In `none` framing this is the most one
/// "message" can be, so a longer message is always split.
pub const BUFSIZ: usize = 1024;

/// The default size of a message in `fixed` framing: tutorial 000's `MSGLEN`, the length its
/// `myreceive(s, msglen)` waits for. Small, so that a padded message still fits a log line.
pub const DEFAULT_SIZE: u32 = 32;

/// What pads a short message to the fixed size: a space, as Python's `msg.ljust(MSGLEN)` does
/// (and `rstrip()` takes it off). The price: a message that ends in spaces loses them.
pub const PAD: u8 = b' ';

/// The delimiter of `line` framing. One byte; a `\r` before it is part of the message.
pub const DELIMITER: u8 = b'\n';

/// The default longest line, in bytes, not counting its `\n`. Without a limit, a peer that
/// never sends a `\n` would make the reader's buffer grow until memory runs out.
pub const DEFAULT_MAX_LINE: u32 = 4096;

/// The length header of `length` framing: 4 bytes, big-endian (network byte order), as
/// Python's `struct.pack('!I', n)` writes it and tokio-util's `LengthDelimitedCodec` reads it
/// by default. It can announce up to 4 GiB - 1.
pub const HEADER_LEN: usize = 4;

/// The default largest message in `length` framing: 1 MiB. A header is only a promise: a peer
/// can announce 4 GB and send 3 bytes. The limit is checked before anything is read.
pub const DEFAULT_MAX_FRAME: u32 = 1024 * 1024;

/// How much room a `length` reader makes at a time while a message arrives: a message's buffer
/// grows with the bytes that really came, never to the announced size up front.
const GROW_STEP: usize = 64 * 1024;

/// The largest `--size`, `--max-line` and `--max-frame` the programs accept: 64 MiB. Every
/// connection may hold one message of this size.
pub const MAX_LIMIT: u32 = 64 * 1024 * 1024;
// ANCHOR_END: constants

// ANCHOR: frame-error
/// Why a reader could not hand out the next message: the peer broke the framing's rule, or
/// the connection failed. Printed, it is the one line a log shows.
#[derive(Debug)]
pub enum FrameError {
    /// The peer closed the connection after `got` of the 4 bytes of a length header.
    CutHeader { got: usize },
    /// The peer closed the connection after the bytes in `got`, of `expected` (a fixed-size
    /// message, or the length a header announced).
    CutMessage { got: Vec<u8>, expected: usize },
    /// The peer closed the connection in the middle of a line: `got` has no `\n` after it.
    CutLine { got: Vec<u8> },
    /// A length header announced more than the limit. Nothing more was read or allocated.
    TooLong { announced: u32, limit: u32 },
    /// A line reached the limit without a `\n`. What came of it so far was dropped.
    LineTooLong { limit: u32 },
    /// The connection itself failed (reset by the peer, for instance).
    Io(io::Error),
}
// ANCHOR_END: frame-error

impl FrameError {
    /// True if the peer closed the connection in the middle of a message (it left), false if
    /// the message broke a limit (the reader refuses it, and the connection should be closed).
    pub fn peer_closed(&self) -> bool {
        matches!(
            self,
            FrameError::CutHeader { .. }
                | FrameError::CutMessage { .. }
                | FrameError::CutLine { .. }
        )
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::CutHeader { got } => write!(
                f,
                "the connection closed after {got} of the {HEADER_LEN} bytes of a length header"
            ),
            FrameError::CutMessage { got, expected } => write!(
                f,
                "the connection closed after {} of the {expected} bytes of a message: {}",
                got.len(),
                preview(got)
            ),
            FrameError::CutLine { got } => write!(
                f,
                "the connection closed in the middle of a line, {} bytes with no \\n: {}",
                got.len(),
                preview(got)
            ),
            FrameError::TooLong { announced, limit } => write!(
                f,
                "a length header announces {announced} bytes, more than the limit of {limit} \
                 (--max-frame)"
            ),
            FrameError::LineTooLong { limit } => {
                write!(f, "a line longer than {limit} bytes (--max-line)")
            }
            FrameError::Io(error) => write!(f, "{}", crate::describe(error)),
        }
    }
}

impl From<io::Error> for FrameError {
    fn from(error: io::Error) -> Self {
        FrameError::Io(error)
    }
}

// ANCHOR: receive-up-to
/// Tutorial 000's `myreceive(s, msglen)`: calls `read` until `buffer` is full, however the
/// bytes are split. Unlike [`crate::recv_exact`], which fails at the end of the stream, it
/// returns how many bytes came before the end: 0 means the peer closed cleanly before a
/// message began, anything short of `buffer.len()` means it closed in the middle of one.
pub fn receive_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut received = 0;
    while received < buffer.len() {
        match reader.read(&mut buffer[received..]) {
            Ok(0) => break, // Python: `if chunk == b'': ...` the peer closed its side
            Ok(count) => received += count,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(received)
}
// ANCHOR_END: receive-up-to

// ANCHOR: none
/// 1. No framing, the tutorials' way. Writing sends the bytes as they are (Python:
///    `s.sendall(data)`); nothing marks where the message ends.
pub fn write_none(writer: &mut impl Write, message: &[u8]) -> io::Result<()> {
    writer.write_all(message)
}

/// 1. No framing: one `read` of at most [`BUFSIZ`] bytes is taken for one message (Python:
///    `data = conn.recv(1024)`). Whatever the kernel has gathered comes at once: two messages
///    glued together, or the first part of one. `None` at the end of the stream.
pub fn read_none(reader: &mut impl Read) -> Result<Option<Vec<u8>>, FrameError> {
    let mut buffer = vec![0; BUFSIZ];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok(None), // Python: `if not data: break`
            Ok(count) => {
                buffer.truncate(count);
                return Ok(Some(buffer));
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error.into()),
        }
    }
}
// ANCHOR_END: none

// ANCHOR: fixed
/// 2. Fixed size: the message, padded with [`PAD`] to exactly `size` bytes (Python:
///    `mysend(s, msg.ljust(MSGLEN))`). A longer message cannot be sent in this framing: an
///    error of kind `InvalidInput`, and nothing is written.
pub fn write_fixed(writer: &mut impl Write, message: &[u8], size: usize) -> io::Result<()> {
    if message.len() > size {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!(
                "a message of {} bytes does not fit the fixed size of {size} (--size)",
                message.len()
            ),
        ));
    }
    let mut frame = message.to_vec();
    frame.resize(size, PAD);
    writer.write_all(&frame)
}

/// 2. Fixed size: exactly `size` bytes, however many reads that takes (Python:
///    `myreceive(s, MSGLEN)`). The padding stays: [`unpad`] takes it off. `None` if the peer
///    closed before the message began; [`FrameError::CutMessage`] if it closed in the middle.
pub fn read_fixed(reader: &mut impl Read, size: usize) -> Result<Option<Vec<u8>>, FrameError> {
    let mut message = vec![0; size];
    match receive_up_to(reader, &mut message)? {
        0 => Ok(None),
        got if got == size => Ok(Some(message)),
        got => {
            message.truncate(got);
            Err(FrameError::CutMessage {
                got: message,
                expected: size,
            })
        }
    }
}

/// A fixed-size message without its padding (Python: `msg.rstrip(b' ')`).
pub fn unpad(message: &[u8]) -> &[u8] {
    let kept = message
        .iter()
        .rposition(|&byte| byte != PAD)
        .map_or(0, |at| at + 1);
    &message[..kept]
}
// ANCHOR_END: fixed

// ANCHOR: line
/// 3. Line: the message, then `\n` (Python: `s.sendall(data + b'\n')`). A message that
///    contains a `\n` is written as it is, and so arrives as two messages: in this framing
///    the delimiter cannot be part of a message (the client points it out before sending).
pub fn write_line(writer: &mut impl Write, message: &[u8]) -> io::Result<()> {
    let mut frame = Vec::with_capacity(message.len() + 1);
    frame.extend_from_slice(message);
    frame.push(DELIMITER);
    writer.write_all(&frame) // one write: the message and its `\n` leave together
}

/// 3. Line: the bytes up to the next `\n`, without it. `None` if the peer closed between two
///    lines. At most `max_line` bytes are ever kept: a longer line is refused as soon as it
///    passes the limit ([`FrameError::LineTooLong`]), not read to its end.
pub fn read_line(
    reader: &mut impl BufRead,
    max_line: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut line = Vec::new();
    loop {
        // What the buffered reader holds, after one `read` if it held nothing.
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(error.into()),
        };
        if available.is_empty() {
            // The end of the stream: clean between two lines, a cut line otherwise.
            if line.is_empty() {
                return Ok(None);
            }
            return Err(FrameError::CutLine { got: line });
        }
        let end = available.iter().position(|&byte| byte == DELIMITER);
        let part = &available[..end.unwrap_or(available.len())];
        if line.len() + part.len() > max_line {
            return Err(FrameError::LineTooLong {
                limit: max_line as u32,
            });
        }
        line.extend_from_slice(part);
        let used = part.len() + usize::from(end.is_some()); // the `\n` is used up, not kept
        reader.consume(used);
        if end.is_some() {
            return Ok(Some(line));
        }
    }
}
// ANCHOR_END: line

// ANCHOR: length
/// 4. Length: a 4-byte big-endian length, then the message (Python:
///    `s.sendall(struct.pack('!I', len(data)) + data)`). A message of 4 GiB or more cannot be
///    announced in 4 bytes: an error of kind `InvalidInput`, and nothing is written.
pub fn write_length(writer: &mut impl Write, message: &[u8]) -> io::Result<()> {
    let length = u32::try_from(message.len()).map_err(|_| {
        io::Error::new(
            ErrorKind::InvalidInput,
            "a message of 4 GiB or more does not fit a 4-byte length",
        )
    })?;
    let mut frame = Vec::with_capacity(HEADER_LEN + message.len());
    frame.extend_from_slice(&length.to_be_bytes()); // Python: struct.pack('!I', n)
    frame.extend_from_slice(message);
    writer.write_all(&frame) // one write: header and message leave together
}

/// 4. Length: reads the 4-byte header, checks the length it announces against `max_frame`,
///    then reads exactly that many bytes. A message of 0 bytes is legal: `Some(vec![])`.
///    `None` if the peer closed between two messages.
///
///    A header is only a promise: the buffer grows with the bytes that really arrive
///    ([`GROW_STEP`] at a time), so a peer that announces a megabyte and sends three bytes
///    costs three bytes of memory, not a megabyte.
pub fn read_length(reader: &mut impl Read, max_frame: u32) -> Result<Option<Vec<u8>>, FrameError> {
    // Python: header = myreceive(s, 4)
    let mut header = [0; HEADER_LEN];
    match receive_up_to(reader, &mut header)? {
        0 => return Ok(None),
        HEADER_LEN => {}
        got => return Err(FrameError::CutHeader { got }),
    }
    // Python: (n,) = struct.unpack('!I', header)
    let announced = u32::from_be_bytes(header);
    if announced > max_frame {
        return Err(FrameError::TooLong {
            announced,
            limit: max_frame,
        });
    }
    // Python: data = myreceive(s, n), with a buffer that grows as the bytes come.
    let expected = announced as usize;
    let mut message = Vec::with_capacity(expected.min(GROW_STEP));
    reader
        .by_ref()
        .take(u64::from(announced))
        .read_to_end(&mut message)?;
    if message.len() < expected {
        return Err(FrameError::CutMessage {
            got: message,
            expected,
        });
    }
    Ok(Some(message))
}
// ANCHOR_END: length

// ---------------------------------------------------------------------------------------------
// The options both programs share, and the answers of framing-server.

/// The four framings, as `--framing` names them.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No framing: one recv(1024) is one message, as in the tutorials (messages glue and split)
    None,
    /// Every message is exactly --size bytes, padded with spaces (tutorial 000's MSGLEN)
    Fixed,
    /// A message ends with \n, at most --max-line bytes long
    Line,
    /// A 4-byte big-endian length before each message (Python's struct.pack('!I', n)), at most
    /// --max-frame bytes
    Length,
}

// ANCHOR: options
/// The framing options of both programs. Add them with `#[command(flatten)]`; server and
/// client must be given the same ones.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// How the end of a message is found
    #[arg(long, value_enum, default_value_t = Framing::Length)]
    pub framing: Framing,

    /// The size of every message with --framing fixed, in bytes (tutorial 000's MSGLEN)
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_LIMIT)))]
    pub size: u32,

    /// The longest line with --framing line, in bytes, not counting its \n
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_LIMIT)))]
    pub max_line: u32,

    /// The largest message with --framing length, in bytes; a header announcing more is refused
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FRAME,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_LIMIT)))]
    pub max_frame: u32,
}
// ANCHOR_END: options

impl Default for Options {
    fn default() -> Self {
        Options {
            framing: Framing::Length,
            size: DEFAULT_SIZE,
            max_line: DEFAULT_MAX_LINE,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }
}

impl Options {
    /// The framing in a few words, for a program's second line: `framing: length (...)`.
    pub fn describe(&self) -> String {
        match self.framing {
            Framing::None => format!("none (one recv({BUFSIZ}) is one message)"),
            Framing::Fixed => format!(
                "fixed (every message is {} bytes, padded with spaces)",
                self.size
            ),
            Framing::Line => format!(
                "line (a message ends with \\n, at most {} bytes)",
                self.max_line
            ),
            Framing::Length => format!(
                "length (a 4-byte big-endian length before each message, at most {} bytes)",
                self.max_frame
            ),
        }
    }

    /// Why `message` cannot be sent in this framing, or `None` if it can. The limits are the
    /// receiver's: a client checks them before sending what a server would refuse.
    pub fn refusal(&self, message: &[u8]) -> Option<String> {
        let (limit, option) = match self.framing {
            Framing::None => return None,
            Framing::Fixed => (self.size, "--size"),
            Framing::Line => (self.max_line, "--max-line"),
            Framing::Length => (self.max_frame, "--max-frame"),
        };
        (message.len() > limit as usize).then(|| {
            format!(
                "{} bytes, more than {option} {limit} allows in {} framing",
                message.len(),
                self.name()
            )
        })
    }

    /// The framing's name, as `--framing` spells it.
    pub fn name(&self) -> &'static str {
        match self.framing {
            Framing::None => "none",
            Framing::Fixed => "fixed",
            Framing::Line => "line",
            Framing::Length => "length",
        }
    }

    /// The same options for reading the server's answers: an answer is up to
    /// [`ANSWER_HEAD_MAX`] bytes longer than the message it answers.
    pub fn for_answers(&self) -> Options {
        Options {
            max_line: self.max_line.saturating_add(ANSWER_HEAD_MAX as u32),
            max_frame: self.max_frame.saturating_add(ANSWER_HEAD_MAX as u32),
            ..self.clone()
        }
    }

    /// Writes one message in this framing (see the `write_*` functions).
    pub fn write(&self, writer: &mut impl Write, message: &[u8]) -> io::Result<()> {
        match self.framing {
            Framing::None => write_none(writer, message),
            Framing::Fixed => write_fixed(writer, message, self.size as usize),
            Framing::Line => write_line(writer, message),
            Framing::Length => write_length(writer, message),
        }
    }

    /// The bytes that carry `message` in this framing: what [`Options::write`] sends.
    pub fn encode(&self, message: &[u8]) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.write(&mut bytes, message)?;
        Ok(bytes)
    }

    /// Reads one message in this framing (see the `read_*` functions). `none` framing reads
    /// straight from the stream, around the buffer: a buffered reader would ask for 8 KiB at a
    /// time, not the tutorials' 1024, and would hide from a `peek` what it has already read.
    pub fn read<R: Read>(&self, reader: &mut BufReader<R>) -> Result<Option<Vec<u8>>, FrameError> {
        match self.framing {
            Framing::None => read_none(reader.get_mut()),
            Framing::Fixed => read_fixed(reader, self.size as usize),
            Framing::Line => read_line(reader, self.max_line as usize),
            Framing::Length => read_length(reader, self.max_frame),
        }
    }

    /// A received message as a log line shows it: [`preview`], and in `fixed` framing the
    /// message without its padding, then how much padding there was.
    pub fn shown(&self, message: &[u8]) -> String {
        if self.framing != Framing::Fixed {
            return preview(message);
        }
        let text = unpad(message);
        match message.len() - text.len() {
            0 => preview(text),
            padding => format!("{} + {padding} bytes of padding", preview(text)),
        }
    }
}

// ANCHOR: answer
/// The most an answer adds before the message: `#` and a number, ` (`, a length, ` bytes) `.
pub const ANSWER_HEAD_MAX: usize = 64;

/// framing-server's answer to message number `number`: `#3 (5 bytes) hello`, the message
/// unchanged after its number and length, so that any program that speaks the framing can
/// check it. In `fixed` framing an answer has no room for more: it is the message itself.
pub fn answer(framing: Framing, number: u64, message: &[u8]) -> Vec<u8> {
    if framing == Framing::Fixed {
        return message.to_vec();
    }
    let mut answer = format!("#{number} ({} bytes) ", message.len()).into_bytes();
    answer.extend_from_slice(message);
    answer
}
// ANCHOR_END: answer

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that, like a slow network, hands out one byte per `read`.
    struct OneByteAtATime<'a> {
        data: &'a [u8],
    }

    impl Read for OneByteAtATime<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            let Some((&first, rest)) = self.data.split_first() else {
                return Ok(0);
            };
            if buffer.is_empty() {
                return Ok(0);
            }
            buffer[0] = first;
            self.data = rest;
            Ok(1)
        }
    }

    fn trickle(data: &[u8]) -> BufReader<OneByteAtATime<'_>> {
        BufReader::new(OneByteAtATime { data })
    }

    /// Every message `options` reads from `wire`, until the clean end of the stream.
    fn read_all(options: &Options, wire: &[u8]) -> Vec<Vec<u8>> {
        let mut reader = trickle(wire);
        let mut messages = Vec::new();
        while let Some(message) = options.read(&mut reader).expect("a well-framed stream") {
            messages.push(message);
        }
        messages
    }

    fn options(framing: Framing) -> Options {
        Options {
            framing,
            size: 8,
            ..Options::default()
        }
    }

    #[test]
    fn every_framing_reads_back_what_it_wrote_fed_one_byte_at_a_time() {
        let messages: [&[u8]; 4] = [b"hello", b"", b"\xff\xfe not UTF-8", b"last"];
        for framing in [Framing::Fixed, Framing::Line, Framing::Length] {
            let options = Options {
                size: 16,
                ..options(framing)
            };
            let mut wire = Vec::new();
            for message in messages {
                options.write(&mut wire, message).expect("write to a Vec");
            }
            let read = read_all(&options, &wire);
            let read: Vec<&[u8]> = read
                .iter()
                .map(|m| match framing {
                    Framing::Fixed => unpad(m),
                    _ => m,
                })
                .collect();
            assert_eq!(read, messages, "{framing:?}");
        }
    }

    #[test]
    fn without_framing_one_read_is_one_message_glued_or_split() {
        // Two messages that the kernel had gathered: one read returns both, glued.
        let mut glued: &[u8] = b"message 1message 2";
        assert_eq!(
            read_none(&mut glued).expect("read"),
            Some(b"message 1message 2".to_vec())
        );
        // A message longer than BUFSIZ is always split.
        let long = vec![b'x'; 3000];
        let mut reader: &[u8] = &long;
        let sizes: Vec<usize> = std::iter::from_fn(|| read_none(&mut reader).expect("read"))
            .map(|part| part.len())
            .collect();
        assert_eq!(sizes, [1024, 1024, 952]);
        // One byte at a time: every byte is a "message".
        let mut slow = OneByteAtATime { data: b"hi" };
        assert_eq!(read_none(&mut slow).expect("read"), Some(b"h".to_vec()));
    }

    #[test]
    fn a_length_header_announcing_4_gb_is_refused_before_anything_is_allocated() {
        let mut wire: &[u8] = &[0xff, 0xff, 0xff, 0xff, b'a', b'b', b'c'];
        let error = read_length(&mut wire, DEFAULT_MAX_FRAME).expect_err("over the limit");
        assert!(
            matches!(
                error,
                FrameError::TooLong {
                    announced: 4_294_967_295,
                    limit: DEFAULT_MAX_FRAME
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "a length header announces 4294967295 bytes, more than the limit of 1048576 \
             (--max-frame)"
        );
        assert_eq!(wire, b"abc", "only the header was read");
        assert!(!error.peer_closed());
    }

    #[test]
    fn even_within_the_limit_the_buffer_grows_with_what_arrives_not_with_the_promise() {
        // No limit to speak of: a header announces 4 GB, then 10 bytes come and the peer closes.
        let mut wire = vec![0xff, 0xff, 0xff, 0xff];
        wire.extend_from_slice(b"0123456789");
        let mut reader: &[u8] = &wire;
        let error = read_length(&mut reader, u32::MAX).expect_err("cut");
        let FrameError::CutMessage { got, expected } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(
            (got.as_slice(), *expected),
            (&b"0123456789"[..], 4_294_967_295)
        );
        assert!(got.capacity() <= GROW_STEP, "kept {} bytes", got.capacity());
        assert!(error.peer_closed());
    }

    #[test]
    fn a_header_cut_in_half_is_not_a_clean_end() {
        let mut wire: &[u8] = &[0, 0];
        let error = read_length(&mut wire, DEFAULT_MAX_FRAME).expect_err("cut header");
        assert!(
            matches!(error, FrameError::CutHeader { got: 2 }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the connection closed after 2 of the 4 bytes of a length header"
        );
        let mut nothing: &[u8] = &[];
        assert_eq!(read_length(&mut nothing, 10).expect("clean end"), None);
    }

    #[test]
    fn a_message_cut_by_the_peer_closing_keeps_what_came() {
        let mut wire: &[u8] = &[0, 0, 0, 10, b'a', b'b', b'c'];
        let error = read_length(&mut wire, DEFAULT_MAX_FRAME).expect_err("cut message");
        assert_eq!(
            error.to_string(),
            "the connection closed after 3 of the 10 bytes of a message: \"abc\""
        );
        let mut fixed: &[u8] = b"hello";
        let error = read_fixed(&mut fixed, 32).expect_err("cut fixed message");
        assert_eq!(
            error.to_string(),
            "the connection closed after 5 of the 32 bytes of a message: \"hello\""
        );
        let mut lines = trickle(b"one\ntw");
        assert_eq!(
            read_line(&mut lines, 10).expect("a line"),
            Some(b"one".to_vec())
        );
        let error = read_line(&mut lines, 10).expect_err("cut line");
        assert_eq!(
            error.to_string(),
            "the connection closed in the middle of a line, 2 bytes with no \\n: \"tw\""
        );
    }

    #[test]
    fn a_zero_length_frame_is_an_empty_message_not_the_end() {
        let mut wire: &[u8] = &[0, 0, 0, 0, 0, 0, 0, 2, b'o', b'k'];
        assert_eq!(read_length(&mut wire, 10).expect("empty"), Some(Vec::new()));
        assert_eq!(
            read_length(&mut wire, 10).expect("ok"),
            Some(b"ok".to_vec())
        );
        assert_eq!(read_length(&mut wire, 10).expect("end"), None);
        assert_eq!(write_length_bytes(b""), [0, 0, 0, 0]);
    }

    fn write_length_bytes(message: &[u8]) -> Vec<u8> {
        let mut wire = Vec::new();
        write_length(&mut wire, message).expect("write to a Vec");
        wire
    }

    #[test]
    fn the_header_is_big_endian_like_struct_pack() {
        // Python: struct.pack('!I', 258) == b'\x00\x00\x01\x02'
        assert_eq!(
            &write_length_bytes(&[b'x'; 258])[..HEADER_LEN],
            [0x00, 0x00, 0x01, 0x02]
        );
    }

    #[test]
    fn a_line_over_the_limit_is_refused_without_keeping_it() {
        let huge = vec![b'x'; 10 * 1024 * 1024];
        let mut reader = BufReader::new(&huge[..]);
        let error = read_line(&mut reader, 100).expect_err("too long");
        assert!(
            matches!(error, FrameError::LineTooLong { limit: 100 }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "a line longer than 100 bytes (--max-line)"
        );
        // The limit counts the line without its `\n`.
        let exact = [vec![b'y'; 100], b"\n".to_vec()].concat();
        let mut reader = BufReader::new(&exact[..]);
        assert_eq!(
            read_line(&mut reader, 100).expect("fits").map(|l| l.len()),
            Some(100)
        );
    }

    #[test]
    fn a_message_that_contains_the_delimiter_becomes_two_lines() {
        let wire = options(Framing::Line).encode(b"one\ntwo").expect("encode");
        assert_eq!(wire, b"one\ntwo\n");
        assert_eq!(
            read_all(&options(Framing::Line), &wire),
            [b"one".to_vec(), b"two".to_vec()]
        );
    }

    #[test]
    fn fixed_size_pads_with_spaces_and_refuses_what_does_not_fit() {
        let options = options(Framing::Fixed);
        assert_eq!(options.encode(b"hi").expect("fits"), b"hi      ");
        let error = options.encode(b"nine byte").expect_err("too long");
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            options.refusal(b"nine byte").as_deref(),
            Some("9 bytes, more than --size 8 allows in fixed framing")
        );
        assert_eq!(options.shown(b"hi      "), "\"hi\" + 6 bytes of padding");
        assert_eq!(unpad(b"        "), b"");
    }

    #[test]
    fn answers_carry_the_number_and_length_before_the_message() {
        assert_eq!(answer(Framing::Length, 3, b"hello"), b"#3 (5 bytes) hello");
        assert_eq!(answer(Framing::Line, 1, b""), b"#1 (0 bytes) ");
        assert_eq!(answer(Framing::Fixed, 1, b"hi      "), b"hi      ");
        let longest = answer(Framing::Length, u64::MAX, b"");
        assert!(longest.len() <= ANSWER_HEAD_MAX, "{}", longest.len());
        let limits = Options::default().for_answers();
        assert_eq!(
            limits.max_frame as usize,
            DEFAULT_MAX_FRAME as usize + ANSWER_HEAD_MAX
        );
    }
}
