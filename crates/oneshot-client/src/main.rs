//! Lesson 3 — send one message, then shut down the sending side (tutorial 002).
//!
//! Sends `666` to the oneshot server, like the tutorial, then shuts down its sending side so
//! that the server sees the end of the stream, and waits for the server to close. Start the
//! server first, then:
//!
//!     cargo run -p oneshot-client                            # sends 666
//!     cargo run -p oneshot-client -- --message 'hello socket'
//!     cargo run -p oneshot-client -- --stdin < Cargo.toml    # sends a whole file

use std::io::{self, IsTerminal, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;

use clap::Parser;
use common::{Failure, HostPort};

/// The lesson's port, the one tutorial 002 uses.
const DEFAULT_PORT: u16 = 8000;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "oneshot-server";

/// What the tutorial's client sends.
const DEFAULT_MESSAGE: &str = "666";

/// With `--stdin`, the input is read and sent this many bytes at a time, so a file of any size
/// goes through a small buffer instead of being loaded whole.
const BUFSIZ: usize = 1024;

/// Sends one message to the oneshot server, then shuts down its sending side.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: HostPort<DEFAULT_PORT>,

    /// The text to send
    #[arg(long, short, default_value = DEFAULT_MESSAGE, conflicts_with = "stdin")]
    message: String,

    /// Send standard input instead of --message: a file, a pipe, or what you type until Ctrl-D
    #[arg(long)]
    stdin: bool,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args))
}

fn run(args: &Args) -> Result<(), Failure> {
    // ANCHOR: connect
    // Step 1 — connect to the server
    // Python: client = socket.socket(); client.connect(("127.0.0.1", 8000))
    let addrs = args.server.resolve()?;
    let mut stream = TcpStream::connect(&addrs[..]).map_err(|error| {
        Failure::connect(
            &error,
            &args.server,
            &args.server.server_command(SERVER_PACKAGE),
        )
    })?;
    let server_addr = stream.peer_addr()?;
    // ANCHOR_END: connect

    // ANCHOR: send
    // Step 2 — send the message, or all of standard input
    // Python: client.sendall("666".encode("utf8"))
    let sent = if args.stdin {
        send_stdin(&mut stream)?
    } else {
        let message = args.message.as_bytes();
        stream.write_all(message).map_err(cannot_send)?;
        message.len()
    };
    // ANCHOR_END: send

    // ANCHOR: shutdown
    // Step 3 — shut down the sending side: the server sees the end of the stream
    // Python: client.shutdown(socket.SHUT_WR)
    // It fails only if the server already cut the connection (see step 4).
    stream.shutdown(Shutdown::Write).map_err(server_cut)?;
    println!("sent {sent} bytes to {server_addr}");
    // ANCHOR_END: shutdown

    // ANCHOR: wait
    // Step 4 — wait until the server closes its side
    // Python: while client.recv(1024): pass
    // Our server sends nothing back, so this read waits for its end of stream. If the server
    // stopped reading before the end of our message, its socket answers with a reset instead,
    // and this is where we hear about it.
    io::copy(&mut stream, &mut io::sink()).map_err(server_cut)?;
    println!("the server closed the connection");
    // ANCHOR_END: wait

    // ANCHOR: close
    // Step 5 — close the socket
    // Python: client.close()
    drop(stream);
    Ok(())
    // ANCHOR_END: close
}

// ANCHOR: send-stdin
/// Step 2 with `--stdin`: reads standard input a piece at a time and sends each piece at once,
/// until the end of the input. Returns how many bytes were sent.
fn send_stdin(stream: &mut TcpStream) -> Result<usize, Failure> {
    if io::stdin().is_terminal() {
        println!("type the text to send, then Ctrl-D (Windows: Ctrl-Z, Enter) to end it");
    }
    let mut input = io::stdin().lock();
    let mut buffer = [0; BUFSIZ];
    let mut sent = 0;
    loop {
        let count = input
            .read(&mut buffer)
            .map_err(|error| Failure::new("cannot read the input", &error))?;
        if count == 0 {
            return Ok(sent); // end of input: Ctrl-D, or the end of a file or a pipe
        }
        // Python: client.sendall(data)
        stream.write_all(&buffer[..count]).map_err(cannot_send)?;
        sent += count;
    }
}
// ANCHOR_END: send-stdin

/// The server stopped reading before the end of our message, and reset the connection.
fn server_cut(error: io::Error) -> Failure {
    Failure::new("the server cut the connection", &error)
}

/// A failed send: usually the server closed or reset the connection before we were done.
fn cannot_send(error: io::Error) -> Failure {
    Failure::new("cannot send to the server", &error)
}
