//! Exercise 3.1 — a server that says how much it received (lesson 3).
//!
//! Work on your own copy: `scripts/exercise.sh start 3.1` puts one in exercises/work/, and
//! `scripts/exercise.sh check 3.1` checks it. This starter stays as it is, for the book.
//!
//! This program is lesson 3's oneshot server, serving one client after another: it receives
//! until the client ends its stream, prints what arrived, and closes. The client cannot tell
//! whether all of its message arrived. Make the server tell it: how many bytes, and a checksum
//! of them. Find the TODO, then check your work from the repository's root folder:
//!
//!     scripts/exercise.sh check 3.1
//!
//! To try it by hand, run it from the `exercises/work` folder, and a client in a second terminal:
//! lesson 3's client from the root folder, or exercise 3.2's, which prints the answer:
//!
//!     cargo run -p ex-3-1-count-and-checksum
//!     cargo run -p oneshot-client
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, Shutdown};

/// Lesson 3's port.
const DEFAULT_PORT: u16 = 8000;

/// At most this many bytes per read, as in the tutorial.
const BUFSIZ: usize = 1024;

/// The most the server keeps from one client, 1 MiB, so one client cannot fill its memory.
const MAX_BYTES: usize = 1024 * 1024;

/// A pause before accepting again after `accept()` failed, so a lasting failure (no file
/// descriptors left) does not spin the loop thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Exercise 3.1: receives until the client ends its stream, then says how much arrived.
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

    // One client after another, until Ctrl-C (Python: sock, addr = server.accept()).
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

        // Receive until the client ends its stream, then print what arrived. The stream is
        // shared with the Ctrl-C handler, which shuts it down to end the read.
        let stream = Arc::new(stream);
        let watched = shutdown.watch(&stream);
        let mut received = Vec::new();
        let ending = receive_all(&stream, &mut received);
        println!(
            "received {} bytes from {peer}: {}",
            received.len(),
            common::preview(&received)
        );
        // ANCHOR: todo
        match ending {
            Ok(()) => {
                // TODO(exercise 3.1): before closing, answer the client with one line saying
                // how many bytes arrived and their checksum, the sum of all the bytes as u32
                // (with `wrapping_add`, so it never overflows): for `666`, the answer is
                // `got 3 bytes, checksum 162` and a `\n`.
            }
            Err(error) => println!("incomplete data from {peer}: {}", common::describe(&error)),
        }
        // Close the connection (Python: sock.close()). Dropping the last `Arc` of the stream
        // closes it: the watch lets go of its share first.
        drop(watched);
        drop(stream);
        // ANCHOR_END: todo
    }
    println!("server stopped");
    Ok(())
}

/// Reads from `stream` until the client ends its stream, appending to `received`, and keeps
/// at most `MAX_BYTES`. An error means the message is incomplete: the client sent too much,
/// or the connection broke.
fn receive_all(stream: &TcpStream, received: &mut Vec<u8>) -> io::Result<()> {
    let mut stream = stream; // `&TcpStream` reads too
    let mut buffer = [0; BUFSIZ];
    loop {
        // Python: temp_data = sock.recv(1024)
        let count = stream.read(&mut buffer)?;
        if count == 0 {
            return Ok(()); // end of stream: the client has sent everything
        }
        if received.len() + count > MAX_BYTES {
            return Err(io::Error::other(format!(
                "more than {MAX_BYTES} bytes; the rest was not read"
            )));
        }
        received.extend_from_slice(&buffer[..count]);
    }
}
