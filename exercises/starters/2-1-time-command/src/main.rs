//! Exercise 2.1 — a timestamp server with a `time` command (lesson 2).
//!
//! Work on your own copy: `scripts/exercise.sh start 2.1` puts one in exercises/work/, and
//! `scripts/exercise.sh check 2.1` checks it. This starter stays as it is, for the book.
//!
//! This program is lesson 2's timestamp server, one client at a time: it answers every line
//! with the time it arrived and the line, `[Thu Feb  7 10:00:18 2013] hello`. A line that is
//! exactly `time` should get the time alone. Find the TODO, then check your work from the
//! repository's root folder:
//!
//!     scripts/exercise.sh check 2.1
//!
//! To try it by hand, run it from the `exercises/work` folder, and lesson 2's client from the root
//! folder in a second terminal:
//!
//!     cargo run -p ex-2-1-time-command
//!     cargo run -p ctime-client
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use chrono::{Local, NaiveDateTime};
use clap::Parser;
use common::{Failure, HostPort, MessageReader, Received, Shutdown};

/// Lesson 2's port, so that `cargo run -p ctime-client` talks to this server.
const DEFAULT_PORT: u16 = 8080;

/// The longest line the server accepts, in bytes: without a limit, a client that never sends
/// a newline would make the server's buffer grow until memory runs out.
const MAX_LINE: usize = 64 * 1024;

/// The layout of Python's `time.ctime()`: `Thu Feb  7 10:00:18 2013` (`%e` pads the day with a
/// space, so the time is always 24 characters long).
const CTIME_FORMAT: &str = "%a %b %e %H:%M:%S %Y";

/// A pause before accepting again after `accept()` failed, so a lasting failure (no file
/// descriptors left) does not spin the loop thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Exercise 2.1: a timestamp server with a `time` command.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(serve(&args))
}

fn serve(args: &Args) -> Result<(), Failure> {
    // Create the socket, bind it and listen (Python: socket(), bind(), listen()).
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    println!("listening on {}", listener.local_addr()?);
    let shutdown = Shutdown::on_ctrl_c(&listener)?;

    // Serve one client at a time, until Ctrl-C (Python: conn, addr = sock.accept()).
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(error) => {
                eprintln!("accept failed: {}", common::describe(&error));
                thread::sleep(ACCEPT_RETRY);
                continue;
            }
        };
        if shutdown.requested() {
            break; // that "client" was Ctrl-C waking us up
        }
        println!("connected from {peer}");
        // Shared with the Ctrl-C handler, which shuts it down to end the read in `answer_lines`.
        let stream = Arc::new(stream);
        let watched = shutdown.watch(&stream);
        match answer_lines(&stream, peer) {
            Ok(()) => println!("client {peer} left"),
            Err(error) => println!("client {peer} left: {}", common::describe(&error)),
        }
        // Close the connection (Python: conn.close()). Dropping the last `Arc` of the stream
        // closes it: the watch lets go of its share first.
        drop(watched);
        drop(stream);
    }
    println!("server stopped");
    Ok(())
}

/// Answers every line the client sends, until it leaves.
fn answer_lines(stream: &TcpStream, peer: SocketAddr) -> io::Result<()> {
    // `&TcpStream` both reads and writes: the message reader gets one, the replies the other.
    let mut requests = MessageReader::new(stream, MAX_LINE);
    let mut replies = stream;
    let mut line = Vec::new();
    loop {
        // One whole message, however many reads it takes (lesson 2, `MessageReader`): a line,
        // or bytes without `\n` followed by a pause, as the tutorials' clients send them.
        let reply = match requests.next_message(&mut line)? {
            Received::End => return Ok(()), // the client closed its side
            Received::Line | Received::Paused => {
                println!("received from {peer}: {}", common::preview(&line));
                answer(Local::now().naive_local(), &line)
            }
            Received::TooLong => format!("error: line longer than {MAX_LINE} bytes\n").into_bytes(),
        };
        // Python: conn.sendall(reply)
        replies.write_all(&reply)?;
    }
}

// ANCHOR: todo
/// The reply to `message`, a line received at `now`, with the `\n` that ends it.
fn answer(now: NaiveDateTime, message: &[u8]) -> Vec<u8> {
    // TODO(exercise 2.1): a line that is exactly `time` gets the time alone, with nothing
    // around it: `Thu Feb  7 10:00:18 2013`. Every other line gets `[time] line`, as now.
    [format!("[{}] ", ctime(now)).as_bytes(), message, b"\n"].concat()
}
// ANCHOR_END: todo

/// `time` as Python's `time.ctime()` writes it: `Thu Feb  7 10:00:18 2013`.
fn ctime(time: NaiveDateTime) -> String {
    time.format(CTIME_FORMAT).to_string()
}
