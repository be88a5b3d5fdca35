//! Exercise 8.2 — a line reader with a limit (lesson 8).
//!
//! Work on your own copy: `scripts/exercise.sh start 8.2` puts one in exercises/work/, and
//! `scripts/exercise.sh check 8.2` checks it. This starter stays as it is, for the book.
//!
//! This server speaks lesson 8's `line` framing: a message ends with `\n` (a `\r` before it is
//! taken off, for telnet and Windows), and every answer is one line, `#3 (5 bytes) hello`. Its
//! reader finds every line whole, however the bytes arrive, but it has no limit: it keeps
//! whatever comes until a `\n` does. A client that sends 100 MB without a `\n` gets 100 MB of
//! this server's memory, and one that never stops sending gets all of it. `--max-line` is
//! there, but nothing uses it yet. Find the TODO, then check your work from the repository's
//! root folder:
//!
//!     scripts/exercise.sh check 8.2
//!
//! To try it by hand, run it from the `exercises/work` folder with a small limit, and lesson
//! 8's client from the root folder in a second terminal:
//!
//!     cargo run -p ex-8-2-line-limit -- --max-line 10
//!     cargo run -p framing-client -- --framing line -m short -m 'longer than ten bytes'
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::framing::{self, DELIMITER, FrameError, Framing};
use common::{Failure, HostPort, Shutdown};

/// Lesson 8's port, so that `cargo run -p framing-client` talks to this server.
const DEFAULT_PORT: u16 = common::ports::FRAMING;

/// A pause before accepting again after `accept()` failed, so a lasting failure (no file
/// descriptors left) does not spin the loop thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Exercise 8.2: a line server that refuses a line longer than `--max-line`.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// The longest line, in bytes, not counting its \n; a longer line is refused as soon as it
    /// passes the limit, and the connection closed
    #[arg(long, value_name = "BYTES", default_value_t = framing::DEFAULT_MAX_LINE,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(framing::MAX_LIMIT)))]
    max_line: u32,
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
        // Shared with the Ctrl-C handler, which shuts it down to end a read in `read_line`.
        let stream = Arc::new(stream);
        let watched = shutdown.watch(&stream);
        match answer_lines(&stream, peer, args.max_line as usize) {
            _ if shutdown.requested() => println!("closed {peer}: the server is stopping"),
            Ok(1) => println!("client {peer} left after 1 line"),
            Ok(count) => println!("client {peer} left after {count} lines"),
            // It closed in the middle of a line: it left, and the line says what was cut.
            Err(error) if error.peer_closed() => {
                println!("client {peer} left in the middle of a line: {error}");
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

/// Answers every line the client sends, until it leaves between two lines (then the number of
/// lines answered) or breaks the framing (then why).
fn answer_lines(stream: &TcpStream, peer: SocketAddr, max_line: usize) -> Result<u64, FrameError> {
    // `&TcpStream` both reads and writes: a buffered reader takes one, the answers the other.
    let mut requests = BufReader::new(stream);
    let mut answers = stream;
    let mut answered = 0;
    loop {
        let Some(line) = read_line(&mut requests, max_line)? else {
            return Ok(answered); // the client closed its side, between two lines
        };
        let line = common::strip_line_end(&line); // `hello\r` from telnet is `hello`
        let number = answered + 1;
        println!(
            "received line {number} from {peer}, {} bytes: {}",
            line.len(),
            common::preview(line)
        );
        // `#3 (5 bytes) hello`, then `\n`: the line after its number and length.
        let mut answer = framing::answer(Framing::Line, number, line);
        answer.push(DELIMITER);
        answers.write_all(&answer)?;
        answered = number;
    }
}

// ANCHOR: todo
/// Reads one line: the bytes up to the next `\n`, without it. `None` when the client closed the
/// connection cleanly, between two lines.
fn read_line(
    reader: &mut impl BufRead,
    #[allow(unused_variables)] // The TODO below is where `max_line` will be used.
    max_line: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    // TODO(exercise 8.2): never hold more than `max_line` bytes of a line, `\n` not counted.
    // Refuse a longer line (`FrameError::LineTooLong`) as soon as it passes the limit,
    // without reading the rest of it. `read_until` reads until a `\n`, however far away.
    // Python: line = conn.makefile('rb').readline(), without a size limit
    let mut line = Vec::new();
    let received = reader.read_until(DELIMITER, &mut line)?;
    if received == 0 {
        return Ok(None); // the clean end: no byte of a next line
    }
    if line.last() != Some(&DELIMITER) {
        return Err(FrameError::CutLine { got: line }); // the stream ended in the middle of a line
    }
    line.pop(); // the `\n`
    Ok(Some(line))
}
// ANCHOR_END: todo
