//! Exercise 4.1 — a UDP client that tries again (lesson 4).
//!
//! Work on your own copy: `scripts/exercise.sh start 4.1` puts one in exercises/work/, and
//! `scripts/exercise.sh check 4.1` checks it. This starter stays as it is, for the book.
//!
//! This program is lesson 4's client, sending one message: it sends a datagram, waits
//! `--timeout` seconds for the answer, and gives up if none came. But UDP loses datagrams, and
//! one more try would often have worked. Find the TODO, then check your work from the
//! repository's root folder:
//!
//!     scripts/exercise.sh check 4.1
//!
//! To try it by hand, run lesson 4's server from the root folder, and this client from the
//! `exercises/work` folder:
//!
//!     cargo run -p udp-server
//!     cargo run -p ex-4-1-udp-retry -- --message hello --timeout 0.5
//!
//! To see it try again, suspend the server with Ctrl-Z (its socket stays open, but nothing
//! answers), run the client, then type `fg` in the server's terminal.
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::io::{self, ErrorKind};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, exit_code};

/// Lesson 4's port, so that this client talks to `cargo run -p udp-server`.
const DEFAULT_PORT: u16 = 9002;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "udp-server";

/// Room for the longest possible datagram, so an answer is never cut on our side.
const MAX_DATAGRAM: usize = 65_536;

/// How many times to send the datagram again when no answer comes: four tries in all. Not for
/// ever: when the server is down, the client must say so in a reasonable time.
#[allow(dead_code)] // The TODO in `ask` is where this will be used.
const RETRIES: u32 = 3;

/// Exercise 4.1: sends one datagram, and sends it again when no answer comes.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: HostPort<DEFAULT_PORT>,

    /// The datagram to send
    #[arg(long, short, default_value = "hello")]
    message: String,

    /// How long to wait for the first answer, in seconds (e.g. 0.5)
    #[arg(long, default_value = "1", value_parser = common::parse_seconds)]
    timeout: Duration,
}

/// What came back for a datagram.
enum Answer {
    Reply(Vec<u8>),
    /// Nothing within the time-out: the datagram or its answer was lost, or nobody listens.
    Silence,
    /// The server's machine said that nothing listens on that port.
    Refused,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args))
}

fn run(args: &Args) -> Result<(), Failure> {
    // A UDP socket on a free port, connected to the server: send() and recv() then need no
    // address (Python: s = socket.socket(AF_INET, SOCK_DGRAM)).
    let server = args.server.resolve()?[0];
    let any_port: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(any_port)?;
    let start_server = args.server.server_command(SERVER_PACKAGE);
    socket
        .connect(server)
        .map_err(|error| Failure::connect(&error, server, &start_server))?;

    match ask(&socket, args.message.as_bytes(), args.timeout)? {
        Answer::Reply(reply) => {
            println!("收到服务器响应: {}", String::from_utf8_lossy(&reply));
            Ok(())
        }
        Answer::Silence => Err(Failure::custom(
            format!("no answer from udp {server}: UDP does not promise delivery"),
            None,
            exit_code::TIMED_OUT,
        )),
        Answer::Refused => Err(Failure::custom(
            format!("nothing answers on udp {server}: the datagram was refused"),
            Some(format!(
                "is the server running? Start it with: {start_server}"
            )),
            exit_code::REFUSED,
        )),
    }
}

// ANCHOR: todo
/// Sends `message` and waits for the answer, `timeout` at first.
fn ask(socket: &UdpSocket, message: &[u8], timeout: Duration) -> Result<Answer, Failure> {
    // TODO(exercise 4.1): when no answer comes in time, send the same datagram again, up to
    // RETRIES more times, and wait twice as long each time: with `--timeout 0.1`, wait 0.1 s,
    // then 0.2 s, 0.4 s and 0.8 s, before giving up.
    socket.set_read_timeout(Some(timeout))?;
    send_and_receive(socket, message)
}
// ANCHOR_END: todo

/// Sends one datagram and waits for the answer, at most the socket's read time-out.
fn send_and_receive(socket: &UdpSocket, message: &[u8]) -> Result<Answer, Failure> {
    // Python: s.sendto(data, ADDR). After connect(), send() needs no address.
    match socket.send(message) {
        Ok(_) => {}
        // A refusal of an earlier datagram can surface here, on the next send.
        Err(error) if refused(&error) => return Ok(Answer::Refused),
        Err(error) => return Err(Failure::new("cannot send the datagram", &error)),
    }
    // Python: resp, server = s.recvfrom(BUFSIZ)
    let mut buffer = vec![0; MAX_DATAGRAM];
    match socket.recv(&mut buffer) {
        Ok(received) => Ok(Answer::Reply(buffer[..received].to_vec())),
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Ok(Answer::Silence)
        }
        Err(error) if refused(&error) => Ok(Answer::Refused),
        Err(error) => Err(Failure::new("cannot receive the answer", &error)),
    }
}

/// "Nothing listens on that port", as the server's machine said it. Linux and macOS report
/// it as a refused connection; Windows as a reset connection.
fn refused(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
    )
}
