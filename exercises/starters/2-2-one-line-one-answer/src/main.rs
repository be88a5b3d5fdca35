//! Exercise 2.2 — one line, one answer (lesson 2).
//!
//! Work on your own copy: `scripts/exercise.sh start 2.2` puts one in exercises/work/, and
//! `scripts/exercise.sh check 2.2` checks it. This starter stays as it is, for the book.
//!
//! This timestamp server answers like tutorial 003's: one answer for every `recv()`, whatever
//! it holds. Over TCP that is not one answer per message: half a line gets an answer of its
//! own, two lines that arrive together get a single answer, and a line longer than the buffer
//! gets several. Find the TODO, then check your work from the repository's root folder:
//!
//!     scripts/exercise.sh check 2.2
//!
//! To try it by hand, run it from the `exercises/work` folder, and lesson 2's client from the root
//! folder in a second terminal:
//!
//!     cargo run -p ex-2-2-one-line-one-answer
//!     cargo run -p ctime-client
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use chrono::{Local, NaiveDateTime};
use clap::Parser;
use common::{Failure, HostPort, Shutdown};

/// Lesson 2's port, so that `cargo run -p ctime-client` talks to this server.
const DEFAULT_PORT: u16 = 8080;

/// At most this many bytes per read, as in the tutorial.
const BUFSIZ: usize = 1024;

/// The layout of Python's `time.ctime()`: `Thu Feb  7 10:00:18 2013` (`%e` pads the day with a
/// space, so the time is always 24 characters long).
const CTIME_FORMAT: &str = "%a %b %e %H:%M:%S %Y";

/// A pause before accepting again after `accept()` failed, so a lasting failure (no file
/// descriptors left) does not spin the loop thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Exercise 2.2: a timestamp server that answers once per line.
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
fn answer_lines(mut stream: &TcpStream, peer: SocketAddr) -> io::Result<()> {
    // ANCHOR: todo
    // TODO(exercise 2.2): answer once per line, when its `\n` has arrived, however the bytes
    // were cut into reads. This loop answers every read() instead, as tutorial 003 does.
    let mut buffer = [0; BUFSIZ];
    loop {
        // Python: data = conn.recv(BUFSIZ)
        let received = stream.read(&mut buffer)?;
        if received == 0 {
            return Ok(()); // the client closed its side
        }
        let message = common::strip_line_end(&buffer[..received]);
        println!("received from {peer}: {}", common::preview(message));
        // Python: conn.sendall(reply)
        stream.write_all(&stamp(Local::now().naive_local(), message))?;
    }
    // ANCHOR_END: todo
}

/// The reply to `message`, a line received at `now`: `[Thu Feb  7 10:00:18 2013] hello`, with
/// the `\n` that ends it. The message's bytes are copied as they are, UTF-8 or not.
fn stamp(now: NaiveDateTime, message: &[u8]) -> Vec<u8> {
    let time = now.format(CTIME_FORMAT);
    [format!("[{time}] ").as_bytes(), message, b"\n"].concat()
}
