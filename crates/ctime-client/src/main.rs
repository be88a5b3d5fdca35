//! Lesson 2 — timestamp client (tutorials 001 and 003).
//!
//! Sends each line you type to the timestamp server and prints its reply,
//! `[Thu Feb  7 10:00:18 2013] hello`. Start the server first, then:
//!
//!     cargo run -p ctime-client                          # type lines, an empty line quits
//!     printf 'one\ntwo\n' | cargo run -p ctime-client     # one reply per line
//!
//! Every message ends with `\n`, and so does every reply: that is how each side knows where
//! a message ends, however TCP cuts the bytes into reads.
//!
//! A server that takes the line and never answers does not hang the client: after `--timeout`
//! seconds (30 by default) it says so and exits with status 6.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use common::{Failure, Prompt, ServerAt};

/// The lesson's port, the one tutorial 003 uses (tutorial 001 uses 9999).
const DEFAULT_PORT: u16 = common::ports::CTIME;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "ctime-server";

/// Tutorial 003's prompt, shown only when a person is typing.
const PROMPT: &str = "> ";

/// The longest reply the client accepts, in bytes. The server's longest reply is a 64 KiB
/// line plus its timestamp; this guards against a server that never sends its `\n`.
const MAX_REPLY: u64 = 1024 * 1024;

/// Seconds the client waits for each reply (and for the server to take each line), unless
/// `--timeout` says otherwise. The server answers within a millisecond on this machine and
/// within a second across the world, so thirty seconds only run out when something is wrong,
/// and end the wait before anyone takes a silent server for a hung client. (A string, because
/// clap reads it just as it reads what you type after `--timeout`.)
const DEFAULT_TIMEOUT_SECS: &str = "30";

/// Timestamp client: sends lines to the timestamp server and prints the replies.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: ServerAt<DEFAULT_PORT>,

    /// Seconds to wait for each reply, and for the server to take each line (e.g. 0.5)
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_TIMEOUT_SECS,
          value_parser = common::parse_seconds)]
    timeout: Duration,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args))
}

fn run(args: &Args) -> Result<(), Failure> {
    // ANCHOR: connect
    // Step 1 — connect to the server
    // Python: sock = socket.socket(); sock.connect((HOST, PORT))
    let addrs = args.server.resolve()?;
    let stream = TcpStream::connect(&addrs[..])
        .map_err(|error| args.server.cannot_connect(&error, SERVER_PACKAGE))?;
    println!("connected to {}", stream.peer_addr()?);
    // ANCHOR_END: connect

    // ANCHOR: conversation
    // Step 2 — send each line, print each reply, until an empty line or the end of input
    // Python: while True: data = input('> '); if not data: break; ...
    // The reader lives as long as the connection: bytes that arrive after a reply's `\n`
    // (the start of the next reply) wait in its buffer instead of being lost.
    let mut replies = BufReader::new(Deadline::new(&stream));
    let mut requests = &stream;
    // Python: sock.settimeout(30), for sending: a server that takes nothing for --timeout
    // makes the send fail instead of hang (for replies, see `Deadline` below)
    stream.set_write_timeout(Some(args.timeout))?;
    let mut reply = Vec::new();
    let mut input = Prompt::new(PROMPT); // shows the prompt only when a person is typing
    while let Some(message) = input.next_line()? {
        if message.is_empty() {
            break; // Python: `if not data: break`
        }
        // Python: sock.send(data.encode()), plus the `\n` that ends the message
        requests
            .write_all(&[message, b"\n"].concat())
            .map_err(|error| Failure::cannot_send(&error, args.timeout))?;
        // Python: data = sock.recv(BUFSIZE), but the whole reply, however many reads it
        // takes, and within --timeout however slowly it comes
        replies.get_mut().start(args.timeout);
        receive_reply(&mut replies, &mut reply).map_err(|error| no_reply(&error, args.timeout))?;
        // Python: print(data.decode()), which crashes on bytes that are not UTF-8. Control
        // characters are shown escaped (`\u{1b}`), never obeyed: whatever a server sends, it
        // must not clear your screen or retitle your window.
        let text = String::from_utf8_lossy(&reply);
        println!("{}", common::terminal_safe(&text));
    }
    // ANCHOR_END: conversation

    // ANCHOR: close
    // Step 3 — close the connection
    // Python: sock.close()
    drop(stream);
    Ok(())
    // ANCHOR_END: close
}

// ANCHOR: receive-reply
/// Receives one reply into `reply`: every byte up to the `\n` that ends it, which is dropped.
/// A reply may come in several pieces, or in one read together with the next reply; the
/// bytes after the `\n` stay in `replies` for the next call.
fn receive_reply(replies: &mut impl BufRead, reply: &mut Vec<u8>) -> io::Result<()> {
    reply.clear();
    // `take` makes `read_until` stop after MAX_REPLY bytes even if no `\n` came.
    replies.by_ref().take(MAX_REPLY).read_until(b'\n', reply)?;
    if reply.ends_with(b"\n") {
        reply.pop();
        Ok(())
    } else if reply.len() as u64 == MAX_REPLY {
        let why = format!("a reply longer than {MAX_REPLY} bytes");
        Err(io::Error::new(io::ErrorKind::InvalidData, why))
    } else {
        // The server closed the connection before (or in the middle of) the reply.
        Err(io::ErrorKind::UnexpectedEof.into())
    }
}
// ANCHOR_END: receive-reply

// ANCHOR: deadline
/// The connection's receiving side, with a deadline: each read waits at most the time left
/// until then. A read time-out alone (Python: `sock.settimeout(30)`) starts afresh with
/// every read, so a server that sent one byte every 29 seconds would never trip it; the
/// deadline bounds the whole reply, however slowly it trickles in.
struct Deadline<'a> {
    stream: &'a TcpStream,
    at: Instant,
}

impl<'a> Deadline<'a> {
    fn new(stream: &'a TcpStream) -> Self {
        Deadline {
            stream,
            at: Instant::now(),
        }
    }

    /// Starts the wait for the next reply: it must be complete within `timeout`.
    fn start(&mut self, timeout: Duration) {
        self.at = Instant::now() + timeout;
    }
}

impl Read for Deadline<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let left = self.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        // Python: sock.settimeout(left); sock.recv(...)
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buffer)
    }
}
// ANCHOR_END: deadline

/// A failed reply: none within `timeout`, or a broken, closed or endless one.
fn no_reply(error: &io::Error, timeout: Duration) -> Failure {
    if common::timed_out(error) {
        return Failure::timed_out(format!(
            "no complete reply from the server within {timeout:?}"
        ));
    }
    Failure::new("no complete reply from the server", error)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out `data` at most `step` bytes per read, as a network might.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            let count = self.step.min(self.data.len()).min(buffer.len());
            buffer[..count].copy_from_slice(&self.data[..count]);
            self.data = &self.data[count..];
            Ok(count)
        }
    }

    #[test]
    fn replies_in_pieces_or_together_come_out_one_whole_reply_each() {
        let wire = "[Thu Feb  7 10:00:18 2013] 你好\n[Thu Feb  7 10:00:19 2013] two\n";
        for step in [1, 2, 3, 7, 1024] {
            let mut replies = BufReader::new(Trickle {
                data: wire.as_bytes(),
                step,
            });
            let mut reply = Vec::new();
            receive_reply(&mut replies, &mut reply).expect("first reply");
            assert_eq!(reply, "[Thu Feb  7 10:00:18 2013] 你好".as_bytes());
            receive_reply(&mut replies, &mut reply).expect("second reply");
            assert_eq!(reply, b"[Thu Feb  7 10:00:19 2013] two");
            let end = receive_reply(&mut replies, &mut reply).expect_err("no third reply");
            assert_eq!(end.kind(), io::ErrorKind::UnexpectedEof);
        }
    }

    #[test]
    fn a_reply_cut_short_or_endless_is_an_error() {
        let mut reply = Vec::new();
        let cut = receive_reply(&mut &b"[Thu Feb  7 10"[..], &mut reply).expect_err("cut");
        assert_eq!(cut.kind(), io::ErrorKind::UnexpectedEof);
        let endless = vec![b'x'; MAX_REPLY as usize + 10];
        let long = receive_reply(&mut &endless[..], &mut reply).expect_err("too long");
        assert_eq!(long.kind(), io::ErrorKind::InvalidData);
    }
}
