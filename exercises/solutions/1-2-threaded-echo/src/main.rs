//! Exercise 1.2 — an echo server that serves every client at once (lesson 1): a reference
//! solution.
//!
//! The starter is `exercises/starters/1-2-threaded-echo`; only the accept loop changed. Check
//! it as the students' programs are checked:
//!
//!     scripts/exercise.sh check 1.2 --solution

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

/// Exercise 1.2, solved: an echo server that serves every client at once.
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
        // A thread per client, and the loop goes straight back to accept() (Python:
        // threading.Thread(target=..., args=(conn, addr)).start()). The thread must own all it
        // uses, since it may outlive this turn of the loop: the stream moves into it, and so
        // does a clone of `shutdown` (cheap: every clone shares the same state). Lesson 1's
        // `--threads` borrows instead, inside `thread::scope`.
        let client_shutdown = shutdown.clone();
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || serve_client(stream, peer, &client_shutdown));
        if let Err(error) = spawned {
            // The system has no thread to spare: this client is dropped, the server goes on.
            eprintln!(
                "cannot start a thread for {peer}: {}",
                common::describe(&error)
            );
        }
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
