//! Lesson 1 — TCP echo client (tutorials 000 and 004).
//!
//! Sends what you type to the echo server and prints what comes back. Start the server
//! first, then:
//!
//!     cargo run -p echo-client                          # type lines, q to quit
//!     cargo run -p echo-client -- --message 'hello socket'
//!     printf 'one\ntwo\n' | cargo run -p echo-client     # one reply per line

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Failure, Prompt, ServerAt, exit_code};

/// The lesson's port, the one tutorial 004 uses.
const DEFAULT_PORT: u16 = common::ports::ECHO;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "echo-server";

/// Tutorial 004's prompt ("please enter data: "), shown only when a person is typing.
const PROMPT: &str = "请输入数据: ";

/// Tutorial 004's quit word.
const QUIT: &[u8] = b"q";

/// Seconds the server may stay silent while a reply is due, unless `--timeout` says otherwise.
/// An echo takes far less than a millisecond here; thirty seconds is long enough for a slow
/// network, and short enough that nobody takes a silent server for a hung client. (A string,
/// because clap reads it just as it reads what you type after `--timeout`.)
const DEFAULT_TIMEOUT_SECS: &str = "30";

/// TCP echo client: sends lines to the echo server and prints the replies.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: ServerAt<DEFAULT_PORT>,

    /// Send this one message, print the reply as tutorial 000 does, and exit
    #[arg(long, short)]
    message: Option<String>,

    /// Give up when the server sends nothing for this many seconds while a reply is due (e.g.
    /// 0.5)
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_TIMEOUT_SECS,
          value_parser = common::parse_seconds)]
    timeout: Duration,
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
    let stream = TcpStream::connect(&addrs[..])
        .map_err(|error| args.server.cannot_connect(&error, SERVER_PACKAGE))?;
    // Python: s.settimeout(30). No read, and no write, waits longer than that for the server.
    stream.set_read_timeout(Some(args.timeout))?;
    stream.set_write_timeout(Some(args.timeout))?;
    // ANCHOR_END: connect

    // ANCHOR: message
    // Step 2 — one message: send it, receive the echo, print it like tutorial 000
    // Python: s.sendall(b'hello socket'); data = s.recv(1024); print('Received', repr(data))
    if let Some(message) = &args.message {
        let reply = exchange(&stream, message.as_bytes(), args.timeout)?;
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
        let reply = exchange(&stream, line, args.timeout)?;
        // Control characters shown escaped (`\u{1b}`), never obeyed: whatever a server sends,
        // it must not clear your screen or retitle your window.
        let reply = String::from_utf8_lossy(&reply);
        println!("收到服务器响应: {}", common::terminal_safe(&reply));
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
///
/// It sends and receives at the same time, on two threads. Sending everything first, then
/// reading, is the classic echo deadlock: a long message's echo fills our receive buffer, the
/// server cannot send more so it stops reading, its receive buffer fills, and our send waits
/// for a server that waits for us. Reading while writing keeps both buffers draining.
fn exchange(stream: &TcpStream, message: &[u8], wait: Duration) -> Result<Vec<u8>, Failure> {
    // `&TcpStream` reads and writes too: one connection, used by both threads.
    let (mut reader, mut writer) = (stream, stream);
    let mut reply = vec![0; message.len()];
    let (sent, received) = thread::scope(|scope| {
        // Python: s.sendall(data), on a second thread (threading.Thread)
        let sending = scope.spawn(move || writer.write_all(message));
        // Python: tutorial 000's myreceive(s, len(data)), on this thread, meanwhile
        let received = reader.read_exact(&mut reply);
        if received.is_err() {
            // No whole reply is coming. Closing the connection stops the send at once, too.
            let _ = stream.shutdown(Shutdown::Both);
        }
        (sending.join().expect("write_all does not panic"), received)
    });
    received.map_err(|error| failure("no complete reply from the server", &error, wait))?;
    sent.map_err(|error| failure("cannot send to the server", &error, wait))?;
    Ok(reply)
}

/// The error line for what went wrong while `doing` something. A time-out says what to change.
fn failure(doing: &str, error: &io::Error, wait: Duration) -> Failure {
    // Python: socket.timeout
    if common::timed_out(error) {
        return Failure::custom(
            format!("{doing}: it did not respond for {wait:?}"),
            Some("is it busy with another client? To wait longer, use --timeout SECONDS".into()),
            exit_code::TIMED_OUT,
        );
    }
    Failure::new(doing, error)
}
// ANCHOR_END: exchange
