//! Lesson 3 — send one message, then shut down the sending side (tutorial 002).
//!
//! Sends `666` to the oneshot server, like the tutorial, then shuts down its sending side so
//! that the server sees the end of the stream, and waits for the server to close. Start the
//! server first, then:
//!
//!     cargo run -p oneshot-client                            # sends 666
//!     cargo run -p oneshot-client -- --message 'hello socket'
//!     cargo run -p oneshot-client -- --stdin < Cargo.toml    # sends a whole file
//!
//! A server that never closes (or never stops sending) does not hang the client: after
//! `--timeout` seconds (30 by default) it says so and exits with status 6.

use std::io::{self, ErrorKind, IsTerminal, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use common::{Failure, ServerAt};

/// The lesson's port, the one tutorial 002 uses.
const DEFAULT_PORT: u16 = common::ports::ONESHOT;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "oneshot-server";

/// What the tutorial's client sends.
const DEFAULT_MESSAGE: &str = "666";

/// With `--stdin`, the input is read and sent this many bytes at a time, so a file of any size
/// goes through a small buffer instead of being loaded whole.
const BUFSIZ: usize = 1024;

/// Seconds the client waits, unless `--timeout` says otherwise: for the server to close the
/// connection after the message (step 4), and for it to take each piece sent. The oneshot
/// server closes within a second even after a mebibyte, so thirty seconds only run out when
/// something is wrong, and end the wait before anyone takes a silent server for a hung
/// client. (A string, because clap reads it just as it reads what you type after `--timeout`.)
const DEFAULT_TIMEOUT_SECS: &str = "30";

/// Sends one message to the oneshot server, then shuts down its sending side.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: ServerAt<DEFAULT_PORT>,

    /// The text to send
    #[arg(long, short, default_value = DEFAULT_MESSAGE, conflicts_with = "stdin")]
    message: String,

    /// Send standard input instead of --message: a file, a pipe, or what you type until Ctrl-D
    #[arg(long)]
    stdin: bool,

    /// Seconds to wait for the server to close the connection after the message, and for it
    /// to take each piece sent (e.g. 0.5)
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_TIMEOUT_SECS,
          value_parser = common::parse_seconds)]
    timeout: Duration,
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
    let mut stream = TcpStream::connect(&addrs[..])
        .map_err(|error| args.server.cannot_connect(&error, SERVER_PACKAGE))?;
    let server_addr = stream.peer_addr()?;
    // ANCHOR_END: connect

    // ANCHOR: send
    // Step 2 — send the message, or all of standard input
    // Python: client.settimeout(30); client.sendall("666".encode("utf8"))
    // A server that takes nothing for --timeout makes the send fail instead of hang.
    stream.set_write_timeout(Some(args.timeout))?;
    let sent = if args.stdin {
        send_stdin(&mut stream, args.timeout)?
    } else {
        let message = args.message.as_bytes();
        stream
            .write_all(message)
            .map_err(|error| Failure::cannot_send(&error, args.timeout))?;
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
    // Our server sends nothing back, so this read waits for its end of stream, but no longer
    // than --timeout. If the server stopped reading before the end of our message, its socket
    // answers with a reset instead, and this is where we hear about it.
    wait_for_close(&stream, args.timeout)?;
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
fn send_stdin(stream: &mut TcpStream, timeout: Duration) -> Result<usize, Failure> {
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
        stream
            .write_all(&buffer[..count])
            .map_err(|error| Failure::cannot_send(&error, timeout))?;
        sent += count;
    }
}
// ANCHOR_END: send-stdin

// ANCHOR: wait-for-close
/// Step 4's loop: reads, and drops, whatever the server sends until it closes the connection,
/// for at most `timeout` in all.
///
/// A deadline, not a read time-out: a time-out (Python: `client.settimeout(30)`) starts
/// afresh with every read, so a server that sent a byte every few seconds, or streamed for
/// ever, would keep the client waiting for ever. Each read waits only for what is left.
fn wait_for_close(stream: &TcpStream, timeout: Duration) -> Result<(), Failure> {
    let mut stream = stream; // `&TcpStream` reads too
    let deadline = Instant::now() + timeout;
    let mut buffer = [0; BUFSIZ];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(not_closed(timeout));
        }
        // Python: client.settimeout(left); data = client.recv(1024)
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buffer) {
            Ok(0) => return Ok(()), // end of stream: the server closed its side
            Ok(_) => {}             // something the server sent: read, and dropped
            Err(error) if common::timed_out(&error) => return Err(not_closed(timeout)),
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(server_cut(error)),
        }
    }
}
// ANCHOR_END: wait-for-close

/// The server did not close the connection within `timeout` after our message.
fn not_closed(timeout: Duration) -> Failure {
    Failure::timed_out(format!(
        "the server did not close the connection within {timeout:?}"
    ))
}

/// The server stopped reading before the end of our message, and reset the connection.
fn server_cut(error: io::Error) -> Failure {
    Failure::new("the server cut the connection", &error)
}
