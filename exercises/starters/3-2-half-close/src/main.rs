//! Exercise 3.2 — a client that ends its message and still hears the answer (lesson 3).
//!
//! Work on your own copy: `scripts/exercise.sh start 3.2` puts one in exercises/work/, and
//! `scripts/exercise.sh check 3.2` checks it. This starter stays as it is, for the book.
//!
//! This client sends a message (`666` unless `--message` says otherwise) to exercise 3.1's
//! server, then waits for the answer, `got 3 bytes, checksum 162`. It waits for ever: the
//! server answers only when the message has ended, and nothing tells it that it has. Find the
//! TODO, then check your work from the repository's root folder:
//!
//!     scripts/exercise.sh check 3.2
//!
//! To try it by hand, run exercise 3.1's server (the reference solution, or yours once it
//! passes), then this client, both from the `exercises/work` folder:
//!
//!     cargo run -p sol-3-1-count-and-checksum
//!     cargo run -p ex-3-2-half-close -- --message 'hello socket'
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use clap::Parser;
use common::{Failure, HostPort, exit_code};

/// Lesson 3's port, where exercise 3.1's server listens.
const DEFAULT_PORT: u16 = 8000;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "ex-3-1-count-and-checksum";

/// What tutorial 002's client sends.
const DEFAULT_MESSAGE: &str = "666";

/// Exercise 3.2: sends one message, ends it, and prints the server's answer.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: HostPort<DEFAULT_PORT>,

    /// The text to send
    #[arg(long, short, default_value = DEFAULT_MESSAGE)]
    message: String,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args))
}

fn run(args: &Args) -> Result<(), Failure> {
    // Connect to the server (Python: client.connect(("127.0.0.1", 8000))).
    let addrs = args.server.resolve()?;
    let mut stream = TcpStream::connect(&addrs[..]).map_err(|error| {
        Failure::connect(
            &error,
            &args.server,
            &args.server.server_command(SERVER_PACKAGE),
        )
    })?;

    // Send the whole message (Python: client.sendall(message)).
    let message = args.message.as_bytes();
    stream
        .write_all(message)
        .map_err(|error| Failure::new("cannot send to the server", &error))?;
    println!("sent {} bytes to {}", message.len(), stream.peer_addr()?);

    // ANCHOR: todo
    // TODO(exercise 3.2): tell the server that the message is complete, so that it answers,
    // without closing the connection: this client must still read that answer. As it is, the
    // server waits for the end of the message, and this client waits for the answer.

    // Read the answer, until the server closes the connection.
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|error| Failure::new("no answer from the server", &error))?;
    // ANCHOR_END: todo
    if answer.is_empty() {
        return Err(Failure::custom(
            "the server closed the connection without an answer",
            Some("is it exercise 3.1's server, solved?".into()),
            exit_code::IO,
        ));
    }
    println!(
        "the server says: {}",
        String::from_utf8_lossy(common::strip_line_end(&answer))
    );
    Ok(())
}
