//! Exercise 3.2 — a client that ends its message and still hears the answer (lesson 3): a
//! reference solution.
//!
//! The starter is `exercises/starters/3-2-half-close`; the `shutdown` after sending is new.
//! Check it as the students' programs are checked:
//!
//!     scripts/exercise.sh check 3.2 --solution

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;

use clap::Parser;
use common::{Failure, HostPort, exit_code};

/// Lesson 3's port, where exercise 3.1's server listens.
const DEFAULT_PORT: u16 = 8000;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "ex-3-1-count-and-checksum";

/// What tutorial 002's client sends.
const DEFAULT_MESSAGE: &str = "666";

/// Exercise 3.2, solved: sends one message, ends it, and prints the server's answer.
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

    // Shut down the sending side only (Python: client.shutdown(socket.SHUT_WR)). The server's
    // next read returns 0, the end of the stream: the whole message is there, and it answers.
    // The receiving side stays open for that answer; `Shutdown::Both`, or dropping the stream,
    // would close it too, and the answer would be lost.
    stream
        .shutdown(Shutdown::Write)
        .map_err(|error| Failure::new("cannot end the message", &error))?;

    // Read the answer, until the server closes the connection.
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|error| Failure::new("no answer from the server", &error))?;
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
