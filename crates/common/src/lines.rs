//! Messages from a TCP stream, with a size limit: how the line-based programs (lessons 2 and
//! 5) tell where one message ends and the next begins, without letting one endless message eat
//! the server's memory.
//!
//! TCP carries bytes, not messages, so the two sides need a rule. The Rust programs end every
//! message with `\n`. The tutorials' Python clients send a message with one `send()` and no
//! newline, then wait for the answer. A reader that waited for the `\n` would wait for ever,
//! and so would the client. So a message ends with a `\n`, or with a pause: bytes that arrived
//! without a `\n`, followed by [`PAUSE`] with nothing more, are a message too.

use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::time::Duration;

// ANCHOR: pause
/// How long a sender must stay quiet before bytes without a `\n` count as a whole message.
///
/// The tutorials' clients send each message with one `send()` and no newline, then wait for
/// the answer: after a pause, they have surely sent all of it. 100 ms is far longer than the
/// gaps inside one message on a local network (microseconds) and far shorter than a person
/// notices (a reply within 0.5 s feels instant). On a slow, lossy network a message written
/// in pieces could be cut in two by a longer gap: lines ending in `\n` never are.
pub const PAUSE: Duration = Duration::from_millis(100);
// ANCHOR_END: pause

/// Bytes asked for per `read`. Lines of a chat or a timestamp request are short; one read
/// often brings many of them at once, which are then handed out one by one.
const READ_SIZE: usize = 8 * 1024;

// ANCHOR: received
/// What [`MessageReader::next_message`] found in the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// A message that ended with `\n` (or `\r\n`), now without it. The last bytes of the stream
    /// count too if the sender closed the connection without a `\n`.
    Line,
    /// A message without a `\n`, followed by a pause: how the tutorials' clients send.
    Paused,
    /// A message longer than the limit; all of it, up to its end, was read and dropped.
    TooLong,
    /// The end of the stream: the sender closed its side of the connection.
    End,
}
// ANCHOR_END: received

/// A stream whose reads can be given a time-out: a TCP stream, or a stand-in in tests.
pub trait ReadTimeout: Read {
    /// Makes `read` give up after `timeout` (`None`: wait for ever), like
    /// [`TcpStream::set_read_timeout`] (Python: `sock.settimeout`).
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
}

impl ReadTimeout for &TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
}

impl ReadTimeout for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
}

// ANCHOR: reader
/// Reads messages from `stream`: each ends with a `\n`, or with a pause of `pause`.
///
/// At most `max_line` bytes of a message are kept; a longer one is read to its end and
/// dropped, so an endless line without a `\n` costs a fixed amount of memory, never more.
pub struct MessageReader<S> {
    stream: S,
    max_line: usize,
    pause: Duration,
    /// Bytes read but not handed out yet: `buffer[start..end]`.
    buffer: Box<[u8]>,
    start: usize,
    end: usize,
    /// Whether the stream's read time-out is set now. Changing it is a system call, so it is
    /// only changed when a message is half received (a pause is possible) or no longer.
    timing: bool,
}

impl<S: ReadTimeout> MessageReader<S> {
    /// A reader with the standard [`PAUSE`].
    pub fn new(stream: S, max_line: usize) -> Self {
        Self::with_pause(stream, max_line, PAUSE)
    }

    /// A reader whose messages without `\n` end after `pause` with nothing more.
    pub fn with_pause(stream: S, max_line: usize, pause: Duration) -> Self {
        MessageReader {
            stream,
            max_line,
            pause,
            buffer: vec![0; READ_SIZE].into_boxed_slice(),
            start: 0,
            end: 0,
            timing: false,
        }
    }

    /// Reads the next message into `message` (without its line end).
    pub fn next_message(&mut self, message: &mut Vec<u8>) -> io::Result<Received> {
        message.clear();
        let mut too_long = false; // then the message's bytes are dropped, not kept
        loop {
            // 1. A whole line already in the buffer? Hand it out without reading.
            let waiting = &self.buffer[self.start..self.end];
            if let Some(at) = waiting.iter().position(|&byte| byte == b'\n') {
                self.start += at + 1;
                if too_long {
                    return Ok(Received::TooLong);
                }
                message.extend_from_slice(&waiting[..at]);
                if message.ends_with(b"\r") {
                    message.pop(); // `\r\n`, what telnet and Windows send
                }
                return Ok(self.limited(message, Received::Line));
            }
            // 2. Only part of a line: keep it (up to the limit) and read on.
            if !too_long {
                message.extend_from_slice(waiting);
                // One byte more than the limit may still be the `\r` of a `\r\n`.
                if message.len() > self.max_line + 1 {
                    too_long = true;
                    message.clear();
                }
            }
            (self.start, self.end) = (0, 0);
            let half_received = too_long || !message.is_empty();
            self.wait_for_pause(half_received)?;
            match self.stream.read(&mut self.buffer) {
                Ok(0) if too_long => return Ok(Received::TooLong),
                Ok(0) if message.is_empty() => return Ok(Received::End),
                Ok(0) => return Ok(self.limited(message, Received::Line)),
                Ok(count) => self.end = count,
                // The read time-out: the sender paused in the middle of a message.
                Err(error) if half_received && crate::timed_out(&error) => {
                    if too_long {
                        return Ok(Received::TooLong);
                    }
                    return Ok(self.limited(message, Received::Paused));
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// True if a whole line is waiting in the buffer: the next message comes without reading.
    pub fn has_line(&self) -> bool {
        self.buffer[self.start..self.end].contains(&b'\n')
    }

    /// `found`, unless `message` is over the limit (then it is dropped: [`Received::TooLong`]).
    fn limited(&self, message: &mut Vec<u8>, found: Received) -> Received {
        if message.len() > self.max_line {
            message.clear();
            Received::TooLong
        } else {
            found
        }
    }

    /// Sets the read time-out to the pause while a message is half received, and takes it
    /// away while nothing is: an idle client costs nothing, however long it stays.
    fn wait_for_pause(&mut self, half_received: bool) -> io::Result<()> {
        if half_received != self.timing {
            let timeout = half_received.then_some(self.pause);
            self.stream.set_read_timeout(timeout)?;
            self.timing = half_received;
        }
        Ok(())
    }
}
// ANCHOR_END: reader

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::collections::VecDeque;

    /// A stream that hands out scripted pieces; `None` is a pause (a time-out, if one is set).
    struct Script {
        pieces: VecDeque<Option<Vec<u8>>>,
        timeout_set: Cell<bool>,
        timeout_changes: Cell<usize>,
    }

    impl Script {
        fn new(pieces: &[Option<&[u8]>]) -> Script {
            Script {
                pieces: pieces.iter().map(|p| p.map(<[u8]>::to_vec)).collect(),
                timeout_set: Cell::new(false),
                timeout_changes: Cell::new(0),
            }
        }
    }

    impl Read for Script {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            match self.pieces.pop_front() {
                None => Ok(0),
                Some(None) => {
                    assert!(self.timeout_set.get(), "a pause with no time-out set hangs");
                    Err(ErrorKind::WouldBlock.into())
                }
                Some(Some(mut piece)) => {
                    let count = piece.len().min(buffer.len());
                    buffer[..count].copy_from_slice(&piece[..count]);
                    if count < piece.len() {
                        self.pieces.push_front(Some(piece.split_off(count)));
                    }
                    Ok(count)
                }
            }
        }
    }

    impl ReadTimeout for Script {
        fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
            self.timeout_set.set(timeout.is_some());
            self.timeout_changes.set(self.timeout_changes.get() + 1);
            Ok(())
        }
    }

    fn messages(pieces: &[Option<&[u8]>], max_line: usize) -> Vec<(Received, String)> {
        let mut reader = MessageReader::new(Script::new(pieces), max_line);
        let mut message = Vec::new();
        let mut found = Vec::new();
        loop {
            let what = reader.next_message(&mut message).expect("read");
            if what == Received::End {
                return found;
            }
            found.push((what, String::from_utf8_lossy(&message).into_owned()));
        }
    }

    fn line(text: &str) -> (Received, String) {
        (Received::Line, text.to_string())
    }

    #[test]
    fn lines_end_with_newline_or_the_stream() {
        let found = messages(&[Some(b"one\r\ntwo\n\nla"), Some(b"st")], 10);
        assert_eq!(found, [line("one"), line("two"), line(""), line("last")]);
    }

    #[test]
    fn a_pause_ends_a_message_without_newline() {
        let found = messages(
            &[Some(b"hi, "), Some(b"server"), None, Some(b"again\n")],
            10,
        );
        assert_eq!(
            found,
            [(Received::Paused, "hi, server".into()), line("again")]
        );
    }

    #[test]
    fn an_idle_stream_has_no_time_out_and_whole_lines_change_nothing() {
        let mut reader = MessageReader::new(Script::new(&[Some(b"a\nb\n")]), 10);
        let mut message = Vec::new();
        for _ in 0..3 {
            reader.next_message(&mut message).expect("read");
        }
        assert_eq!(reader.stream.timeout_changes.get(), 0);
    }

    #[test]
    fn a_line_over_the_limit_is_dropped_whole_and_reading_goes_on() {
        let found = messages(&[Some(b"12345\n123456\n123456789\nok\n")], 5);
        let kinds: Vec<&Received> = found.iter().map(|(kind, _)| kind).collect();
        let expected = [
            &Received::Line,
            &Received::TooLong,
            &Received::TooLong,
            &Received::Line,
        ];
        assert_eq!(kinds, expected);
        assert_eq!(found[3].1, "ok");
    }

    #[test]
    fn the_limit_counts_the_line_without_its_line_end() {
        let found = messages(&[Some(b"12345\r\n12345\n123456\r\n")], 5);
        let kinds: Vec<&Received> = found.iter().map(|(kind, _)| kind).collect();
        let expected = [&Received::Line, &Received::Line, &Received::TooLong];
        assert_eq!(kinds, expected);
    }

    #[test]
    fn a_huge_message_is_skipped_without_keeping_it_up_to_its_newline_or_pause() {
        let huge = vec![b'x'; 100 * READ_SIZE];
        let found = messages(&[Some(&huge), Some(b"\nok\n"), Some(&huge), None], 10);
        assert_eq!(
            found,
            [
                (Received::TooLong, String::new()),
                line("ok"),
                (Received::TooLong, String::new())
            ]
        );
        let mut reader = MessageReader::new(Script::new(&[Some(&huge)]), 10);
        let mut message = Vec::new();
        reader.next_message(&mut message).expect("read");
        assert!(
            message.capacity() <= 2 * READ_SIZE,
            "kept {}",
            message.capacity()
        );
    }

    #[test]
    fn whole_lines_waiting_in_the_buffer_are_seen() {
        let mut reader = MessageReader::new(Script::new(&[Some(b"a\nb\nc")]), 10);
        let mut message = Vec::new();
        reader.next_message(&mut message).expect("read");
        assert!(reader.has_line());
        reader.next_message(&mut message).expect("read");
        assert!(!reader.has_line());
    }
}
