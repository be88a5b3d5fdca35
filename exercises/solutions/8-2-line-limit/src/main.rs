//! Exercise 8.2 — a line reader with a limit (lesson 8): a reference solution.
//!
//! The starter is `exercises/starters/8-2-line-limit`; `read_line` changed. Check it as the
//! students' programs are checked:
//!
//!     scripts/exercise.sh check 8.2 --solution

use std::io::{BufRead, BufReader, ErrorKind, Write};
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

/// Exercise 8.2, solved: a line server that refuses a line longer than `--max-line`.
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

/// Reads one line: the bytes up to the next `\n`, without it. `None` when the client closed the
/// connection cleanly, between two lines. At most `max_line` bytes of a line are ever kept: a
/// longer line is refused as soon as it passes the limit, not read to its end.
fn read_line(reader: &mut impl BufRead, max_line: usize) -> Result<Option<Vec<u8>>, FrameError> {
    let mut line = Vec::new();
    loop {
        // What the buffered reader holds, after one `read` if it held nothing: at most its
        // buffer's size (8 KiB), however much the client sends.
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(error.into()),
        };
        if available.is_empty() {
            // The end of the stream: clean between two lines, a cut line otherwise.
            if line.is_empty() {
                return Ok(None);
            }
            return Err(FrameError::CutLine { got: line });
        }
        // This line's part of what arrived: up to the `\n` if it came, else all of it.
        let end = available.iter().position(|&byte| byte == DELIMITER);
        let part = &available[..end.unwrap_or(available.len())];
        if line.len() + part.len() > max_line {
            // Refused before it is kept: what came of the line so far is dropped with `line`.
            return Err(FrameError::LineTooLong {
                limit: u32::try_from(max_line).unwrap_or(u32::MAX),
            });
        }
        line.extend_from_slice(part);
        // Take from the reader what was used: the part, and the `\n` (used up, not kept).
        let used = part.len() + usize::from(end.is_some());
        reader.consume(used);
        if end.is_some() {
            return Ok(Some(line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_over_the_limit_is_refused_after_one_buffer_not_at_its_end() {
        let huge = vec![b'x'; 10 * 1024 * 1024];
        let mut wire = &huge[..];
        let mut reader = BufReader::with_capacity(8 * 1024, &mut wire);
        let error = read_line(&mut reader, 1000).expect_err("too long");
        assert!(
            matches!(error, FrameError::LineTooLong { limit: 1000 }),
            "{error:?}"
        );
        assert!(
            wire.len() >= huge.len() - 8 * 1024,
            "read {} bytes of the line",
            huge.len() - wire.len()
        );
    }

    #[test]
    fn lines_of_up_to_the_limit_are_read_whole() {
        let wire = [&[b'y'; 1000][..], b"\nhello\r\n\nlast"].concat();
        let mut reader = BufReader::with_capacity(16, &wire[..]);
        let mut read = || read_line(&mut reader, 1000);
        assert_eq!(
            read().expect("at the limit").map(|line| line.len()),
            Some(1000)
        );
        assert_eq!(read().expect("a line"), Some(b"hello\r".to_vec()));
        assert_eq!(read().expect("an empty line"), Some(Vec::new()));
        let error = read().expect_err("cut");
        assert!(
            matches!(&error, FrameError::CutLine { got } if got == b"last"),
            "{error:?}"
        );
    }
}
