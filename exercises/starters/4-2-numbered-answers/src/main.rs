//! Exercise 4.2 — answers that match their question (lesson 4).
//!
//! Work on your own copy: `scripts/exercise.sh start 4.2` puts one in exercises/work/, and
//! `scripts/exercise.sh check 4.2` checks it. This starter stays as it is, for the book.
//!
//! This program is lesson 4's client, sending each line you type as one datagram, with one
//! change: it numbers its datagrams. The third line, `hello`, goes out as `3 hello`, and
//! lesson 4's server, run with `--echo`, sends it back as it came, number and all. But the
//! client still takes the first datagram that comes as the answer it is waiting for, so an
//! answer that came too late for line 1 is printed as the answer to line 2. Find the TODO, then
//! check your work from the repository's root folder:
//!
//!     scripts/exercise.sh check 4.2
//!
//! To try it by hand, run lesson 4's server in echo mode from the root folder, and this client
//! from the `exercises/work` folder:
//!
//!     cargo run -p udp-server -- --echo
//!     cargo run -p ex-4-2-numbered-answers -- --timeout 0.5
//!
//! To make answers late, suspend the server with Ctrl-Z, type two lines in the client (neither
//! is answered in time), type `fg` in the server's terminal (it answers both at once), then
//! type a third line: which answer does the client print for it?
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::io::{self, ErrorKind};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, Prompt};

/// Lesson 4's port, so that this client talks to `cargo run -p udp-server`.
const DEFAULT_PORT: u16 = 9002;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "udp-server";

/// Tutorial 004's prompt: "please enter data (q to quit): ".
const PROMPT: &str = "请输入数据(输入q退出): ";

/// Tutorial 004's quit word.
const QUIT: &[u8] = b"q";

/// Room for the longest possible datagram, so an answer is never cut on our side.
const MAX_DATAGRAM: usize = 65_536;

/// Exercise 4.2: a UDP client that numbers its datagrams and matches the answers to them.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: HostPort<DEFAULT_PORT>,

    /// How long to wait for each answer, in seconds (e.g. 0.5)
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
    // The server must send every datagram back, number and all: `--echo`.
    let start_server = match args.server.server_command(SERVER_PACKAGE) {
        command if command.contains(" -- ") => format!("{command} --echo"),
        command => format!("{command} -- --echo"),
    };
    socket
        .connect(server)
        .map_err(|error| Failure::connect(&error, server, &start_server))?;

    // One datagram per line, numbered from 1, until q or the end of the input.
    let mut input = Prompt::new(PROMPT); // shows the prompt only when a person is typing
    let mut number = 0;
    while let Some(text) = input.next_line()? {
        if text == QUIT {
            break;
        }
        number += 1;
        match ask(&socket, number, text, args.timeout)? {
            Answer::Reply(reply) => println!("收到服务器响应: {}", String::from_utf8_lossy(&reply)),
            Answer::Silence => eprintln!(
                "no answer to line {number} within {:?}: UDP does not promise delivery; \
                 carrying on",
                args.timeout
            ),
            Answer::Refused => eprintln!(
                "nothing answers on udp {server}: the datagram was refused; is the server \
                 running? Start it with: {start_server}"
            ),
        }
    }
    Ok(())
}

// ANCHOR: todo
/// Sends `text` as datagram `number` (`3 hello`), and waits at most `timeout` for its answer.
/// Returns the answer's text, without its number.
fn ask(socket: &UdpSocket, number: u64, text: &[u8], timeout: Duration) -> Result<Answer, Failure> {
    let mut datagram = format!("{number} ").into_bytes();
    datagram.extend_from_slice(text);
    // Python: s.sendto(data, ADDR). After connect(), send() needs no address.
    match socket.send(&datagram) {
        Ok(_) => {}
        // A refusal of an earlier datagram can surface here, on the next send.
        Err(error) if refused(&error) => return Ok(Answer::Refused),
        Err(error) => return Err(Failure::new("cannot send the datagram", &error)),
    }
    // TODO(exercise 4.2): take only the answer to this datagram, the one that starts with
    // `number`. Ignore any other (a late answer to an earlier line, or a stray), and go on
    // waiting for the right one, but never longer than `timeout` in all.
    socket.set_read_timeout(Some(timeout))?;
    match receive(socket)? {
        Answer::Reply(answer) => {
            let text = split_number(&answer).map_or(&answer[..], |(_, text)| text);
            Ok(Answer::Reply(text.to_vec()))
        }
        other => Ok(other),
    }
}
// ANCHOR_END: todo

/// Waits for one datagram from the server, at most the socket's read time-out.
fn receive(socket: &UdpSocket) -> Result<Answer, Failure> {
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

/// Splits an answer into its number and its text: `3 hello` gives `(3, "hello")`. `None`
/// when it does not start with a number and a space (it cannot be an answer of ours).
fn split_number(answer: &[u8]) -> Option<(u64, &[u8])> {
    let space = answer.iter().position(|&byte| byte == b' ')?;
    let digits = &answer[..space];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((number, &answer[space + 1..]))
}

/// "Nothing listens on that port", as the server's machine said it. Linux and macOS report
/// it as a refused connection; Windows as a reset connection.
fn refused(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
    )
}
