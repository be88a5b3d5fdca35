//! The bench's reference echo server: what a plain threaded echo server costs, and nothing more.
//!
//! Written for `scripts/bench.sh`, not as a lesson: a thread per connection, a 64 KiB buffer,
//! no log lines, no Ctrl-C handling, nothing but `std`. The bench runs the lesson servers
//! against it, in the same run, and states their targets as ratios to it ("0.95× the
//! reference's round trips per second"), so a ratio says what a server's extras cost.
//!
//!     cargo run --release -p loadgen --bin reference-echo -- --port 9001
//!     cargo run --release -p loadgen -- echo --port 9001 --connections 50

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort};

/// Lesson 1's port: `loadgen echo` without `--port` finds it.
const DEFAULT_PORT: u16 = common::ports::ECHO;

/// Bytes read at a time. 64 KiB: a bulk stream moves in few system calls, and a 64-byte
/// message still costs exactly one `read` and one `write`.
const BUF_SIZE: usize = 64 * 1024;

/// A pause before accepting again after `accept()` failed (out of file descriptors, say):
/// retrying at once would fail again, thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// The bench's reference: a thread per connection, a 64 KiB buffer, no logs.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::exit_with(serve(&args))
}

fn serve(args: &Args) -> Result<(), Failure> {
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    // The one line it prints: scripts/bench.sh reads the port from it.
    println!("listening on {}", listener.local_addr()?);
    // Ctrl-C exits at once, with 0: nothing is buffered, and every connection simply closes.
    // A handler of our own also covers a server started in the background by a script, which
    // begins life with Ctrl-C ignored.
    ctrlc::set_handler(|| std::process::exit(0)).map_err(|error| {
        Failure::custom(
            format!("cannot handle Ctrl-C: {error}"),
            None,
            common::exit_code::IO,
        )
    })?;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                // A thread that cannot start drops its connection: the client sees it close.
                let _ = thread::Builder::new().spawn(move || echo(stream));
            }
            Err(_) => thread::sleep(ACCEPT_RETRY),
        }
    }
}

/// Sends back every byte until the client closes its side. Any error ends this connection.
fn echo(mut stream: TcpStream) {
    let mut buffer = vec![0; BUF_SIZE];
    while let Ok(received) = stream.read(&mut buffer) {
        if received == 0 || stream.write_all(&buffer[..received]).is_err() {
            break;
        }
    }
}
