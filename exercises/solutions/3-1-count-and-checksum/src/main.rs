//! Exercise 3.1 — a server that says how much it received (lesson 3): a reference solution.
//!
//! The starter is `exercises/starters/3-1-count-and-checksum`; the answer at the end of a
//! complete message is new, with `checksum` and its tests. Check it as the students' programs
//! are checked:
//!
//!     scripts/exercise.sh check 3.1 --solution

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, Shutdown};

/// Lesson 3's port.
const DEFAULT_PORT: u16 = 8000;

/// At most this many bytes per read, as in the tutorial.
const BUFSIZ: usize = 1024;

/// The most the server keeps from one client, 1 MiB, so one client cannot fill its memory.
const MAX_BYTES: usize = 1024 * 1024;

/// A pause before accepting again after `accept()` failed, so a lasting failure (no file
/// descriptors left) does not spin the loop thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Exercise 3.1, solved: receives until the client ends its stream, then says how much arrived.
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

    // One client after another, until Ctrl-C (Python: sock, addr = server.accept()).
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

        // Receive until the client ends its stream, then print what arrived. The stream is
        // shared with the Ctrl-C handler, which shuts it down to end the read.
        let stream = Arc::new(stream);
        let watched = shutdown.watch(&stream);
        let mut received = Vec::new();
        let ending = receive_all(&stream, &mut received);
        println!(
            "received {} bytes from {peer}: {}",
            received.len(),
            common::preview(&received)
        );
        match ending {
            Ok(()) => {
                // The whole message is here: say how much, so the client can compare with
                // what it sent. The client shut down only its sending side, so it still reads.
                let answer = format!(
                    "got {} bytes, checksum {}\n",
                    received.len(),
                    checksum(&received)
                );
                // Python: sock.sendall(answer.encode()). An `Arc` cannot be written to, but
                // the `&TcpStream` inside it can: `&*stream`.
                if let Err(error) = (&*stream).write_all(answer.as_bytes()) {
                    println!("cannot answer {peer}: {}", common::describe(&error));
                }
            }
            Err(error) => println!("incomplete data from {peer}: {}", common::describe(&error)),
        }
        // Close the connection (Python: sock.close()). Dropping the last `Arc` of the stream
        // closes it: the watch lets go of its share first.
        drop(watched);
        drop(stream);
    }
    println!("server stopped");
    Ok(())
}

/// Reads from `stream` until the client ends its stream, appending to `received`, and keeps
/// at most `MAX_BYTES`. An error means the message is incomplete: the client sent too much,
/// or the connection broke.
fn receive_all(stream: &TcpStream, received: &mut Vec<u8>) -> io::Result<()> {
    let mut stream = stream; // `&TcpStream` reads too
    let mut buffer = [0; BUFSIZ];
    loop {
        // Python: temp_data = sock.recv(1024)
        let count = stream.read(&mut buffer)?;
        if count == 0 {
            return Ok(()); // end of stream: the client has sent everything
        }
        if received.len() + count > MAX_BYTES {
            return Err(io::Error::other(format!(
                "more than {MAX_BYTES} bytes; the rest was not read"
            )));
        }
        received.extend_from_slice(&buffer[..count]);
    }
}

/// A simple checksum: every byte added up in a `u32`. `wrapping_add` starts again from 0 past
/// `u32::MAX` instead of overflowing (which would panic in a debug build), so any length works.
/// It catches a lost or changed byte, but not two bytes that swapped places.
fn checksum(data: &[u8]) -> u32 {
    data.iter()
        .fold(0, |sum: u32, &byte| sum.wrapping_add(u32::from(byte)))
}

#[cfg(test)]
mod tests {
    use super::checksum;

    #[test]
    fn checksum_adds_up_the_bytes() {
        assert_eq!(checksum(b""), 0);
        assert_eq!(checksum(b"666"), 3 * 54);
        assert_eq!(checksum(&[0xff; 1000]), 255_000);
    }

    #[test]
    fn checksum_wraps_instead_of_overflowing() {
        // u32::MAX / 255 + 1 bytes of 0xff add up to just past u32::MAX.
        let bytes = vec![0xff; (u32::MAX / 255) as usize + 1];
        assert_eq!(checksum(&bytes), 254);
    }
}
