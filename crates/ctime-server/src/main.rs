//! Lesson 2 — timestamp server (tutorials 001 and 003).
//!
//! Answers every line a client sends with the time it arrived and the line itself:
//! `[Thu Feb  7 10:00:18 2013] hello`. Run it, then talk to it from a second terminal:
//!
//!     cargo run -p ctime-server
//!     cargo run -p ctime-client
//!
//! `cargo run -p ctime-server -- --style glued` answers like tutorial 001 instead, the time
//! glued to the message: `Thu Feb  7 10:00:18 2013hello`. Like the tutorials it serves one
//! client at a time; `--threads` gives each client a thread of its own.
//!
//! A message is one line: the server answers when it sees the `\n` that ends it (or the end
//! of the stream), never just because one read returned some bytes. The tutorials' clients
//! send no `\n`: their message ends when they pause (`common::PAUSE`, 0.1 s), and its answer
//! has no `\n` either, exactly as the tutorials' server answers.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use chrono::{Local, NaiveDateTime};
use clap::{Parser, ValueEnum};
use common::{Failure, HostPort, MessageReader, Received, Shutdown};

/// The lesson's port, the one tutorial 003 uses (tutorial 001 uses 9999).
const DEFAULT_PORT: u16 = common::ports::CTIME;

/// The longest line the server accepts, in bytes, not counting its `\n`. Without a limit, a
/// client that sends bytes and never a newline would make the server's buffer grow until
/// memory runs out. Longer lines are skipped and answered with an error line.
const MAX_LINE: usize = 64 * 1024;

/// The layout of Python's `time.ctime()`: `Thu Feb  7 10:00:18 2013`. `%e` pads the day of the
/// month with a space, not a zero, so every timestamp is 24 characters wide.
const CTIME_FORMAT: &str = "%a %b %e %H:%M:%S %Y";

/// A pause before accepting again after `accept()` failed (for example when the process ran
/// out of file descriptors). Retrying at once would fail again, thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Timestamp server: answers every line with the time it arrived and the line.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// How a reply puts the time and the message together
    #[arg(long, value_enum, default_value_t = Style::Brackets)]
    style: Style,

    /// Serve each client on its own thread (default: one client at a time, like the tutorials)
    #[arg(long)]
    threads: bool,

    /// Seconds of silence that end a message sent without a newline, as the tutorials' clients
    /// send them
    #[arg(long, value_name = "SECONDS", default_value = "0.1", value_parser = common::parse_seconds)]
    pause: Duration,

    /// No line per message received (connects, leaves and errors still print), e.g. for a
    /// benchmark
    #[arg(long, short)]
    quiet: bool,

    /// The longest line the server accepts, in bytes; a longer one gets an error line
    #[arg(long, value_name = "BYTES", default_value_t = MAX_LINE as u32, value_parser = clap::value_parser!(u32).range(1..=16 * 1024 * 1024))]
    max_line: u32,
}

/// The two reply forms of the tutorials.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// "[Thu Feb  7 10:00:18 2013] hello", like tutorial 003
    Brackets,
    /// "Thu Feb  7 10:00:18 2013hello", the time glued to the message, like tutorial 001
    Glued,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(serve(&args))
}

fn serve(args: &Args) -> Result<(), Failure> {
    // ANCHOR: bind
    // Step 1 — create a socket, bind it and listen
    // Python: sock = socket.socket(); sock.bind((HOST, PORT)); sock.listen(5)
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    // ANCHOR_END: bind

    // ANCHOR: ctrl-c
    // Step 2 — let Ctrl-C stop the server cleanly
    // The tutorials die with a KeyboardInterrupt traceback. Here Ctrl-C wakes the loop below.
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    // Only now say that the server is ready: a Ctrl-C from here on is caught.
    println!("listening on {}", listener.local_addr()?);

    // From here on, log lines are written by a thread of their own, so that client threads
    // never wait for the terminal (common::log explains why).
    let _logger = common::Logger::start();
    // ANCHOR_END: ctrl-c

    // ANCHOR: accept
    // A scope lets client threads borrow `shutdown`, and waits for all of them at its end.
    thread::scope(|scope| {
        loop {
            // Step 3 — wait for a client, give its connection a name of its own, and serve it
            // Python: print('waiting for connection...'); conn, addr = sock.accept()
            // Tutorial 003 writes `sock, addr = sock.accept()`: see the lesson page for why
            // that stops its server after the first client.
            common::log!("waiting for connection...");
            let (stream, peer) = match listener.accept() {
                Ok(connection) => connection,
                Err(error) => {
                    // One failed accept must not end the server.
                    eprintln!("accept failed: {}", common::describe(&error));
                    thread::sleep(ACCEPT_RETRY);
                    continue;
                }
            };
            if shutdown.requested() {
                break; // that "client" was Ctrl-C waking us up
            }

            // Serve the client: right here, or on a thread of its own.
            if args.threads {
                let shutdown = &shutdown;
                let spawned = thread::Builder::new()
                    .name(format!("client {peer}"))
                    .spawn_scoped(scope, move || serve_client(stream, peer, args, shutdown));
                if let Err(error) = spawned {
                    eprintln!(
                        "cannot start a thread for {peer}: {}",
                        common::describe(&error)
                    );
                }
            } else {
                serve_client(stream, peer, args, &shutdown);
            }
        }
    });
    // ANCHOR_END: accept
    common::log!("server stopped");
    Ok(())
}

// ANCHOR: serve-client
/// Talks to one client until it leaves. Whatever goes wrong ends this client, not the server.
fn serve_client(stream: TcpStream, peer: SocketAddr, args: &Args, shutdown: &Shutdown) {
    // Python: print('...connected from:', addr)
    common::log!("...connected from: {peer}");
    // Shared with the Ctrl-C handler, which shuts it down to end the read in step 4.
    let stream = Arc::new(stream);
    let watched = shutdown.watch(&stream);
    // Step 4 — receive a line, send it back with the time, until the client leaves
    match answer_lines(&stream, peer, args) {
        // Ctrl-C shut the connection down: the server closed it, not the client.
        _ if shutdown.requested() => common::log!("closed {peer}: the server is stopping"),
        Ok(()) => common::log!("client {peer} left"),
        Err(error) => common::log!("client {peer} left: {}", common::describe(&error)),
    }
    // Step 5 — close the connection
    // Python: conn.close(). Dropping the last `Arc` of the stream closes it: the watch lets
    // go of its share first.
    drop(watched);
    drop(stream);
}
// ANCHOR_END: serve-client

// ANCHOR: answer-lines
/// The loop of step 4. An error (such as a client that reset the connection) ends it.
fn answer_lines(stream: &TcpStream, peer: SocketAddr, args: &Args) -> io::Result<()> {
    // `&TcpStream` both reads and writes: the message reader gets one, the replies the other.
    let max_line = args.max_line as usize;
    let mut requests = MessageReader::with_pause(stream, max_line, args.pause);
    let mut replies = stream;
    let mut message = Vec::new();
    loop {
        // Python: data = conn.recv(BUFSIZE), but a whole message, however many reads it takes
        let ending: &[u8] = match requests.next_message(&mut message)? {
            Received::End => return Ok(()), // Python: `if not data: break`
            Received::Line => b"\n",
            Received::Paused => b"", // the tutorials' clients: no `\n` in, none out
            Received::TooLong => {
                common::log!("received from {peer}: a line longer than {max_line} bytes, skipped");
                let refusal = format!(
                    "error: line longer than {max_line} bytes; send shorter lines, or start the \
                     server with a larger --max-line\n"
                );
                replies.write_all(refusal.as_bytes())?;
                continue;
            }
        };
        if !args.quiet {
            common::log!("received from {peer}: {}", common::preview(&message));
        }
        let now = Local::now().naive_local();
        // Python: conn.send(('[%s] %s' % (ctime(), data)).encode()), but sendall
        replies.write_all(&stamp(args.style, now, &message, ending))?;
    }
}
// ANCHOR_END: answer-lines

// ANCHOR: stamp
/// The reply to `message` received at `now`, ending as the message ended: with the `\n` that
/// tells a Rust client where it ends, or with nothing, like the tutorials' replies. The
/// message's bytes are copied as they are, UTF-8 or not.
fn stamp(style: Style, now: NaiveDateTime, message: &[u8], ending: &[u8]) -> Vec<u8> {
    let time = ctime(now);
    let prefix = match style {
        Style::Brackets => format!("[{time}] "), // tutorial 003: '[%s] %s' % (ctime(), data)
        Style::Glued => time,                    // tutorial 001: ctime() + data
    };
    [prefix.as_bytes(), message, ending].concat()
}

/// `time` as Python's `time.ctime()` writes it: `Thu Feb  7 10:00:18 2013`.
fn ctime(time: NaiveDateTime) -> String {
    time.format(CTIME_FORMAT).to_string()
}
// ANCHOR_END: stamp

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(year: i32, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|date| date.and_hms_opt(hour, min, sec))
            .expect("a valid date and time")
    }

    #[test]
    fn ctime_matches_tutorial_001s_output() {
        // The tutorial's run printed `Tue Sep 13 19:11:20 2016i` after the user typed `i`.
        assert_eq!(
            ctime(at(2016, 9, 13, 19, 11, 20)),
            "Tue Sep 13 19:11:20 2016"
        );
    }

    #[test]
    fn ctime_names_every_weekday_and_pads_single_digit_days_with_a_space() {
        let week = [
            (4, "Mon Feb  4 10:00:18 2013"),
            (5, "Tue Feb  5 10:00:18 2013"),
            (6, "Wed Feb  6 10:00:18 2013"),
            (7, "Thu Feb  7 10:00:18 2013"),
            (8, "Fri Feb  8 10:00:18 2013"),
            (9, "Sat Feb  9 10:00:18 2013"),
            (10, "Sun Feb 10 10:00:18 2013"),
        ];
        for (day, expected) in week {
            assert_eq!(ctime(at(2013, 2, day, 10, 0, 18)), expected);
        }
    }

    #[test]
    fn ctime_pads_hours_minutes_and_seconds_with_zeros() {
        assert_eq!(ctime(at(2000, 1, 1, 0, 0, 0)), "Sat Jan  1 00:00:00 2000");
        assert_eq!(
            ctime(at(1999, 12, 31, 23, 59, 59)),
            "Fri Dec 31 23:59:59 1999"
        );
        assert_eq!(ctime(at(2024, 2, 29, 9, 5, 7)), "Thu Feb 29 09:05:07 2024");
        assert_eq!(ctime(at(2013, 2, 17, 10, 0, 18)).len(), 24);
    }

    #[test]
    fn stamp_builds_both_tutorials_replies() {
        let now = at(2013, 2, 7, 10, 0, 18);
        assert_eq!(
            stamp(Style::Brackets, now, b"hello", b"\n"),
            b"[Thu Feb  7 10:00:18 2013] hello\n"
        );
        assert_eq!(
            stamp(Style::Glued, now, b"i", b""),
            b"Thu Feb  7 10:00:18 2013i"
        );
        // Bytes that are not UTF-8 go back untouched.
        assert_eq!(
            stamp(Style::Glued, now, b"\xff\xfe", b"\n"),
            b"Thu Feb  7 10:00:18 2013\xff\xfe\n"
        );
    }
}
