//! Lesson 1 — TCP echo client (tutorials 000 and 004).
//!
//! Sends what you type to the echo server and prints what comes back. Start the server
//! first, then:
//!
//!     cargo run -p echo-client                          # type lines, q to quit
//!     cargo run -p echo-client -- --message 'hello socket'
//!     printf 'one\ntwo\n' | cargo run -p echo-client     # one reply per line

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use clap::Parser;
use common::{Failure, HostPort, Prompt};

/// The lesson's port, the one tutorial 004 uses.
const DEFAULT_PORT: u16 = 9001;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "echo-server";

/// Tutorial 004's prompt ("please enter data: "), shown only when a person is typing.
const PROMPT: &str = "请输入数据: ";

/// Tutorial 004's quit word.
const QUIT: &[u8] = b"q";

/// TCP echo client: sends lines to the echo server and prints the replies.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: HostPort<DEFAULT_PORT>,

    /// Send this one message, print the reply as tutorial 000 does, and exit
    #[arg(long, short)]
    message: Option<String>,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args))
}

fn run(args: &Args) -> Result<(), Failure> {
    // ANCHOR: connect
    // Step 1 — connect to the server
    // Python: s = socket.socket(); s.connect(ADDR)
    let addrs = args.server.resolve()?;
    let mut stream = TcpStream::connect(&addrs[..]).map_err(|error| {
        Failure::connect(
            &error,
            &args.server,
            &args.server.server_command(SERVER_PACKAGE),
        )
    })?;
    // ANCHOR_END: connect

    // ANCHOR: message
    // Step 2 — one message: send it, receive the echo, print it like tutorial 000
    // Python: s.sendall(b'hello socket'); data = s.recv(1024); print('Received', repr(data))
    if let Some(message) = &args.message {
        let reply = exchange(&mut stream, message.as_bytes())?;
        println!("Received b'{}'", reply.escape_ascii());
        return Ok(());
    }
    // ANCHOR_END: message

    // ANCHOR: conversation
    // Step 3 — a conversation: one line of input, one reply
    // Python: while True: data = input(PROMPT); if data == 'q': break; ...
    println!("connected to {}", stream.peer_addr()?);
    let mut input = Prompt::new(PROMPT); // shows the prompt only when a person is typing
    while let Some(line) = input.next_line()? {
        if line == QUIT {
            break;
        }
        if line.is_empty() {
            continue; // sending nothing would get nothing back
        }
        let reply = exchange(&mut stream, line)?;
        println!("收到服务器响应: {}", String::from_utf8_lossy(&reply));
    }
    // ANCHOR_END: conversation

    // ANCHOR: close
    // Step 4 — close the connection
    // Python: s.close(), or the end of `with socket.socket() as s:`
    drop(stream);
    Ok(())
    // ANCHOR_END: close
}

// ANCHOR: exchange
/// Sends `message` and receives its echo: exactly as many bytes as were sent, however many
/// reads that takes. A single `recv(1024)`, as in the tutorial, may return only part of it.
fn exchange(stream: &mut TcpStream, message: &[u8]) -> Result<Vec<u8>, Failure> {
    // Python: s.sendall(data)
    stream
        .write_all(message)
        .map_err(|error| Failure::new("cannot send to the server", &error))?;
    // Python: tutorial 000's myreceive(s, len(data))
    let mut reply = vec![0; message.len()];
    stream
        .read_exact(&mut reply)
        .map_err(|error| Failure::new("no complete reply from the server", &error))?;
    Ok(reply)
}
// ANCHOR_END: exchange
