//! Exercise 1.1 — an echo server that answers in upper case (lesson 1).
//!
//! Work on your own copy: `scripts/exercise.sh start 1.1` puts one in exercises/work/, and
//! `scripts/exercise.sh check 1.1` checks it. This starter stays as it is, for the book.
//!
//! Tutorial 004's asyncio server answers `Hello, world!` with `HELLO, WORLD!`. This program is
//! lesson 1's echo server, one client at a time, and it still sends every byte back unchanged.
//! Find the TODO, then check your work from the repository's root folder:
//!
//!     scripts/exercise.sh check 1.1
//!
//! To try it by hand, run it from the `exercises/work` folder, and lesson 1's client from the root
//! folder in a second terminal:
//!
//!     cargo run -p ex-1-1-upper-echo
//!     cargo run -p echo-client
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, Shutdown};

/// Lesson 1's port, so that `cargo run -p echo-client` talks to this server.
const DEFAULT_PORT: u16 = 9001;

/// At most this many bytes per read, as in the tutorial: a longer message arrives in pieces.
const BUFSIZ: usize = 1024;

/// A pause before accepting again after `accept()` failed, so a lasting failure (no file
/// descriptors left) does not spin the loop thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Exercise 1.1: an echo server that answers in upper case.
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

    // Serve one client at a time, until Ctrl-C (Python: conn, addr = s.accept()).
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
        // Shared with the Ctrl-C handler, which shuts it down to end the read in `echo`.
        let stream = Arc::new(stream);
        let watched = shutdown.watch(&stream);
        match echo(&stream, peer) {
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

/// Sends back what the client sends, until it leaves.
fn echo(stream: &TcpStream, peer: SocketAddr) -> io::Result<()> {
    // `&TcpStream` reads and writes too: one connection, shared, no second descriptor.
    let mut stream = stream;
    let mut buffer = [0; BUFSIZ];
    loop {
        // Python: data = conn.recv(BUFSIZ)
        let received = stream.read(&mut buffer)?;
        if received == 0 {
            return Ok(()); // the client closed its side
        }
        let data = &buffer[..received];
        println!(
            "received {received} bytes from {peer}: {}",
            common::preview(data)
        );
        // ANCHOR: todo
        // TODO(exercise 1.1): answer in upper case, like tutorial 004's asyncio server:
        // `Hello, world!` must come back as `HELLO, WORLD!`. Only the letters a to z change;
        // every other byte (`é`, `你`, digits, bytes that are not UTF-8) comes back as it was.
        let reply = data;
        // Python: conn.sendall(reply)
        stream.write_all(reply)?;
        // ANCHOR_END: todo
    }
}
