//! Exercise 8.1 — a length-prefix reader (lesson 8).
//!
//! Work on your own copy: `scripts/exercise.sh start 8.1` puts one in exercises/work/, and
//! `scripts/exercise.sh check 8.1` checks it. This starter stays as it is, for the book.
//!
//! This server speaks lesson 8's `length` framing, as `framing-server --framing length` does:
//! every message is a 4-byte big-endian length, then that many bytes, and every answer is one
//! message in the same framing, `#3 (5 bytes) hello`. Its reader is written the way a first try
//! in Python often is, `header = conn.recv(4)` and then `data = conn.recv(n)`: one `recv` each.
//! But a `recv` returns whatever has arrived, so a header that comes one byte at a time is read
//! wrong, a message cut in two is answered in half, and a header that announces 4 GB is
//! believed. Find the TODO, then check your work from the repository's root folder:
//!
//!     scripts/exercise.sh check 8.1
//!
//! To try it by hand, run it from the `exercises/work` folder, and lesson 8's client from the
//! root folder in a second terminal, sending each message in three pieces:
//!
//!     cargo run -p ex-8-1-length-prefix
//!     cargo run -p framing-client -- --framing length --count 2 --pieces 3
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::framing::{self, FrameError, Framing, HEADER_LEN};
use common::{Failure, HostPort, Shutdown};

/// Lesson 8's port, so that `cargo run -p framing-client` talks to this server.
const DEFAULT_PORT: u16 = common::ports::FRAMING;

/// A pause before accepting again after `accept()` failed, so a lasting failure (no file
/// descriptors left) does not spin the loop thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Exercise 8.1: a server that reads length-prefixed messages and answers each one.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// The largest message, in bytes; a header that announces more is refused, and the
    /// connection closed
    #[arg(long, value_name = "BYTES", default_value_t = framing::DEFAULT_MAX_FRAME,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(framing::MAX_LIMIT)))]
    max_frame: u32,
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
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    println!("listening on {}", listener.local_addr()?);

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
        // Shared with the Ctrl-C handler, which shuts it down to end a read in `read_frame`.
        let stream = Arc::new(stream);
        let watched = shutdown.watch(&stream);
        match answer_frames(&stream, peer, args.max_frame) {
            _ if shutdown.requested() => println!("closed {peer}: the server is stopping"),
            Ok(1) => println!("client {peer} left after 1 message"),
            Ok(count) => println!("client {peer} left after {count} messages"),
            // It closed in the middle of a message: it left, and the line says what was cut.
            Err(error) if error.peer_closed() => {
                println!("client {peer} left in the middle of a message: {error}");
            }
            Err(FrameError::Io(error)) => {
                println!("client {peer} left: {}", common::describe(&error))
            }
            // It broke the limit: refuse to read on, and close the connection.
            Err(error) => println!("closed {peer}: {error}"),
        }
        // Close the connection (Python: conn.close()). Dropping the last `Arc` of the stream
        // closes it: the watch lets go of its share first.
        drop(watched);
        drop(stream);
    }
    println!("server stopped");
    Ok(())
}

/// Answers every message the client sends, until it leaves between two messages (then the
/// number of messages answered) or breaks the framing (then why).
fn answer_frames(stream: &TcpStream, peer: SocketAddr, max_frame: u32) -> Result<u64, FrameError> {
    // `&TcpStream` both reads and writes: one for the requests, one for the answers.
    let mut requests = stream;
    let mut answers = stream;
    let mut answered = 0;
    loop {
        let Some(message) = read_frame(&mut requests, max_frame)? else {
            return Ok(answered); // the client closed its side, between two messages
        };
        let number = answered + 1;
        println!(
            "received message {number} from {peer}, {} bytes: {}",
            message.len(),
            common::preview(&message)
        );
        // `#3 (5 bytes) hello`: the message after its number and length, as framing-server
        // answers.
        let answer = framing::answer(Framing::Length, number, &message);
        write_frame(&mut answers, &answer)?;
        answered = number;
    }
}

// ANCHOR: todo
/// Reads one message: a 4-byte big-endian length, then exactly that many bytes. `None` when the
/// client closed the connection cleanly, between two messages. A message of 0 bytes is legal.
fn read_frame(
    stream: &mut impl Read,
    #[allow(unused_variables)] // The TODO below is where `max_frame` will be used.
    max_frame: u32,
) -> Result<Option<Vec<u8>>, FrameError> {
    // TODO(exercise 8.1): read all 4 bytes of the header, then exactly the bytes it announces,
    // however the client's bytes were cut into reads. Refuse a header that announces more than
    // `max_frame` before reading or allocating anything for it (`FrameError::TooLong`), and
    // tell a clean end from a cut one (`FrameError::CutHeader`, `FrameError::CutMessage`).
    // Python: header = conn.recv(4)
    let mut header = [0; HEADER_LEN];
    let received = stream.read(&mut header)?;
    if received == 0 {
        return Ok(None); // Python: `if not header: break`
    }
    // Python: (n,) = struct.unpack('!I', header)
    let announced = u32::from_be_bytes(header);
    // Python: data = conn.recv(n)
    let mut message = vec![0; announced as usize];
    let received = stream.read(&mut message)?;
    message.truncate(received);
    Ok(Some(message))
}
// ANCHOR_END: todo

/// Writes one message in the framing, its 4-byte big-endian length and then its bytes, with
/// one write (Python: `conn.sendall(struct.pack('!I', len(data)) + data)`).
fn write_frame(writer: &mut impl Write, message: &[u8]) -> io::Result<()> {
    let length = u32::try_from(message.len()).map_err(|_| {
        io::Error::new(
            ErrorKind::InvalidInput,
            "a message of 4 GiB or more does not fit a 4-byte length",
        )
    })?;
    let mut frame = Vec::with_capacity(HEADER_LEN + message.len());
    frame.extend_from_slice(&length.to_be_bytes()); // Python: struct.pack('!I', n)
    frame.extend_from_slice(message);
    writer.write_all(&frame)
}
