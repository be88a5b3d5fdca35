//! Lesson 4 — UDP client (tutorial 004).
//!
//! Sends each line you type as one datagram and prints the server's answer. Start the server
//! first, then:
//!
//!     cargo run -p udp-client                       # type lines, q to quit
//!     cargo run -p udp-client -- --message hello
//!
//! UDP promises nothing: a datagram or its answer can be lost. So the client waits for each
//! answer only `--timeout` seconds (default 1), says so when none came, and carries on.

use std::io::{self, ErrorKind};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, Prompt, exit_code};

/// The lesson's port, the one tutorial 004 uses.
const DEFAULT_PORT: u16 = 9002;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "udp-server";

/// Tutorial 004's prompt: "please enter data (q to quit): ".
const PROMPT: &str = "请输入数据(输入q退出): ";

/// Tutorial 004's quit word.
const QUIT: &[u8] = b"q";

/// Room for the longest possible datagram, so an answer is never cut on our side.
const MAX_DATAGRAM: usize = 65_536;

/// UDP client: sends lines as datagrams and prints the answers.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: HostPort<DEFAULT_PORT>,

    /// Send this one datagram, print the answer, and exit
    #[arg(long, short)]
    message: Option<String>,

    /// How long to wait for each answer, in seconds (e.g. 0.5)
    #[arg(long, default_value = "1", value_parser = common::parse_seconds)]
    timeout: Duration,
}

/// What came back for one datagram.
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
    // ANCHOR: socket
    // Step 1 — create a UDP socket
    // Python: s = socket.socket(AF_INET, SOCK_DGRAM). Rust binds it to a free port at once.
    let server = args.server.resolve()?[0];
    let any_port: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(any_port)?;
    // ANCHOR_END: socket

    // ANCHOR: connect
    // Step 2 — connect the socket to the server
    // No packet is sent: connect() only fixes the address that send() uses, makes recv() drop
    // datagrams from anyone else, and lets the system report "nothing listens there".
    let start_server = args.server.server_command(SERVER_PACKAGE);
    socket
        .connect(server)
        .map_err(|error| Failure::connect(&error, server, &start_server))?;
    socket.set_read_timeout(Some(args.timeout))?;
    // ANCHOR_END: connect

    let refused = || {
        Failure::custom(
            format!("nothing answers on udp {server}: the datagram was refused"),
            Some(format!(
                "is the server running? Start it with: {start_server}"
            )),
            exit_code::REFUSED,
        )
    };
    let silence = format!(
        "no answer within {:?}: UDP does not promise delivery",
        args.timeout
    );

    // ANCHOR: message
    // Step 3 — one message: send a datagram, wait for the answer
    if let Some(message) = &args.message {
        return match ask(&socket, message.as_bytes())? {
            Answer::Reply(reply) => {
                println!("收到服务器响应: {}", String::from_utf8_lossy(&reply));
                Ok(())
            }
            Answer::Silence => Err(Failure::custom(silence, None, exit_code::TIMED_OUT)),
            Answer::Refused => Err(refused()),
        };
    }
    // ANCHOR_END: message

    // ANCHOR: conversation
    // Step 4 — a conversation: one datagram per line, until q or the end of the input
    let mut input = Prompt::new(PROMPT); // shows the prompt only when a person is typing
    while let Some(message) = input.next_line()? {
        if message == QUIT {
            break;
        }
        // No connection to lose: after a lost or refused datagram, simply go on.
        match ask(&socket, message)? {
            Answer::Reply(reply) => println!("收到服务器响应: {}", String::from_utf8_lossy(&reply)),
            Answer::Silence => eprintln!("{silence}; carrying on"),
            Answer::Refused => eprintln!("{}; carrying on", refused()),
        }
    }
    Ok(())
    // ANCHOR_END: conversation
}

// ANCHOR: ask
/// Sends one datagram and waits for the answer, at most the socket's read time-out.
fn ask(socket: &UdpSocket, message: &[u8]) -> Result<Answer, Failure> {
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
/// it as a refused connection; Windows as a reset connection (WSAECONNRESET).
fn refused(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
    )
}
// ANCHOR_END: ask
