//! Exercise 8.1 — a length-prefix reader (lesson 8): a reference solution.
//!
//! The starter is `exercises/starters/8-1-length-prefix`; `read_frame` changed, and
//! `receive_up_to` is new. Check it as the students' programs are checked:
//!
//!     scripts/exercise.sh check 8.1 --solution

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

/// Exercise 8.1, solved: a server that reads length-prefixed messages and answers each one.
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

/// Reads one message: a 4-byte big-endian length, then exactly that many bytes. `None` when the
/// client closed the connection cleanly, between two messages. A message of 0 bytes is legal.
fn read_frame(stream: &mut impl Read, max_frame: u32) -> Result<Option<Vec<u8>>, FrameError> {
    // Python: header = myreceive(conn, 4), a loop of recv() until the 4 bytes are there.
    let mut header = [0; HEADER_LEN];
    match receive_up_to(stream, &mut header)? {
        0 => return Ok(None), // the clean end: no byte of a next message
        HEADER_LEN => {}
        got => return Err(FrameError::CutHeader { got }),
    }
    // Python: (n,) = struct.unpack('!I', header)
    let announced = u32::from_be_bytes(header);
    // A header is only a promise. Check it before anything is allocated or read for it: a
    // client that announces 4 GB must not get 4 GB of this server's memory.
    if announced > max_frame {
        return Err(FrameError::TooLong {
            announced,
            limit: max_frame,
        });
    }
    // Python: data = myreceive(conn, n)
    let mut message = vec![0; announced as usize];
    let got = receive_up_to(stream, &mut message)?;
    if got < message.len() {
        let expected = message.len();
        message.truncate(got);
        return Err(FrameError::CutMessage {
            got: message,
            expected,
        });
    }
    Ok(Some(message))
}

/// Tutorial 000's `myreceive(s, msglen)`: reads until `buffer` is full, however the bytes are
/// split into reads. Returns how many came before the end of the stream: `buffer.len()` when
/// all of them did, fewer when the client closed first (0: before the first byte).
/// (`Read::read_exact` would fail at the end of the stream without saying how much came.)
fn receive_up_to(stream: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut received = 0;
    while received < buffer.len() {
        match stream.read(&mut buffer[received..]) {
            Ok(0) => break, // Python: `if chunk == b'': ...` the client closed its side
            Ok(count) => received += count,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(received)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that, like a slow network, hands out one byte per `read`.
    struct OneByteAtATime<'a>(&'a [u8]);

    impl Read for OneByteAtATime<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buffer.first_mut()) {
                (Some((&byte, rest)), Some(first)) => {
                    *first = byte;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn frames_are_read_whole_however_the_bytes_come() {
        let wire = b"\0\0\0\x05hello\0\0\0\0\0\0\0\x02ok";
        let mut reader = OneByteAtATime(wire);
        let mut read = || read_frame(&mut reader, 10).expect("a well-framed stream");
        assert_eq!(read(), Some(b"hello".to_vec()));
        assert_eq!(
            read(),
            Some(Vec::new()),
            "0 bytes is a message, not the end"
        );
        assert_eq!(read(), Some(b"ok".to_vec()));
        assert_eq!(read(), None);
    }

    #[test]
    fn a_header_over_the_limit_is_refused_before_the_message_is_read() {
        let mut wire: &[u8] = b"\xff\xff\xff\xffabc";
        let error = read_frame(&mut wire, 1000).expect_err("too long");
        assert!(
            matches!(
                error,
                FrameError::TooLong {
                    announced: u32::MAX,
                    limit: 1000
                }
            ),
            "{error:?}"
        );
        assert_eq!(wire, b"abc", "only the header was read");
        let mut exact: &[u8] = b"\0\0\0\x03abc";
        assert_eq!(
            read_frame(&mut exact, 3).expect("fits"),
            Some(b"abc".to_vec())
        );
    }

    #[test]
    fn a_frame_cut_by_the_end_of_the_stream_is_an_error() {
        let mut header: &[u8] = b"\0\0";
        let error = read_frame(&mut header, 10).expect_err("cut header");
        assert!(
            matches!(error, FrameError::CutHeader { got: 2 }),
            "{error:?}"
        );
        let mut message: &[u8] = b"\0\0\0\x0aabc";
        let error = read_frame(&mut message, 10).expect_err("cut message");
        assert!(
            matches!(&error, FrameError::CutMessage { got, expected: 10 } if got == b"abc"),
            "{error:?}"
        );
    }
}
