//! Exercise 1.2 — an echo server that serves every client at once (lesson 1).
//!
//! Work on your own copy: `scripts/exercise.sh start 1.2` puts one in exercises/work/, and
//! `scripts/exercise.sh check 1.2` checks it. This starter stays as it is, for the book.
//!
//! This program is lesson 1's echo server without `--threads`: it talks to one client until
//! that client leaves, and only then accepts the next. A second client can connect (the
//! operating system queues it) but gets no answer while the first is connected. Find the
//! TODO, then check your work from the repository's root folder:
//!
//!     scripts/exercise.sh check 1.2
//!
//! To try it by hand, run it from the `exercises/work` folder, and lesson 1's client from the root
//! folder in two more terminals:
//!
//!     cargo run -p ex-1-2-threaded-echo
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

/// Exercise 1.2: an echo server that serves every client at once.
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

    // Accept clients until Ctrl-C (Python: conn, addr = s.accept()).
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
        // ANCHOR: todo
        // TODO(exercise 1.2): serve each client on a thread of its own, so that the loop goes
        // straight back to `accept()` and every client is answered, however many are connected.
        // As it is, the loop waits here until this client leaves.
        serve_client(stream, peer, &shutdown);
        // ANCHOR_END: todo
    }
    println!("server stopped");
    Ok(())
}

/// Talks to one client until it leaves. Whatever goes wrong ends this client, not the server.
fn serve_client(stream: TcpStream, peer: SocketAddr, shutdown: &Shutdown) {
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
        // Python: conn.sendall(data)
        stream.write_all(data)?;
    }
}
