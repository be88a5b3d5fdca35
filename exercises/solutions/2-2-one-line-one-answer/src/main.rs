//! Exercise 2.2 — one line, one answer (lesson 2): a reference solution.
//!
//! The starter is `exercises/starters/2-2-one-line-one-answer`; the loop of `answer_lines`
//! changed. Check it as the students' programs are checked:
//!
//!     scripts/exercise.sh check 2.2 --solution

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

/// Exercise 2.2, solved: a timestamp server that answers once per line.
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
    // A message ends at its `\n`, not at the end of a read: a message reader collects the
    // bytes of several reads into one line, and keeps what follows the `\n` for the next.
    // `&TcpStream` both reads and writes: the message reader gets one, the replies the other.
    let mut requests = MessageReader::new(stream, MAX_LINE);
    let mut replies = stream;
    let mut line = Vec::new();
    loop {
        // A whole line, however many reads it takes, and never more than MAX_LINE bytes of it
        // in memory. The last line counts even without its `\n`, when the client closes, and
        // so do bytes without `\n` followed by a pause: how the tutorials' clients send.
        let reply = match requests.next_message(&mut line)? {
            Received::End => return Ok(()), // the client closed its side
            Received::Line | Received::Paused => {
                println!("received from {peer}: {}", common::preview(&line));
                stamp(Local::now().naive_local(), &line)
            }
            Received::TooLong => format!("error: line longer than {MAX_LINE} bytes\n").into_bytes(),
        };
        // Python: conn.sendall(reply)
        replies.write_all(&reply)?;
    }
}

/// The reply to `message`, a line received at `now`: `[Thu Feb  7 10:00:18 2013] hello`, with
/// the `\n` that ends it. The message's bytes are copied as they are, UTF-8 or not.
fn stamp(now: NaiveDateTime, message: &[u8]) -> Vec<u8> {
    let time = now.format(CTIME_FORMAT);
    [format!("[{time}] ").as_bytes(), message, b"\n"].concat()
}
