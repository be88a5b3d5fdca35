//! Lesson 7 — async echo client with tokio (tutorial 004's asyncio client).
//!
//! Sends `Hello, world!` to the async echo server, like the tutorial, and prints the upper-case
//! answer. Start the server first, then:
//!
//!     cargo run -p async-echo-client                           # sends Hello, world!
//!     cargo run -p async-echo-client -- --message 'hello socket'
//!     printf 'one\ntwo\n' | cargo run -p async-echo-client -- --stdin   # one answer per line

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use common::{Failure, ServerAt, exit_code};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The lesson's port, the one tutorial 004's asyncio server uses.
const DEFAULT_PORT: u16 = common::ports::ASYNC_ECHO;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "async-echo-server";

/// What the tutorial's client sends.
const DEFAULT_MESSAGE: &str = "Hello, world!";

/// How much of an answer that is not the expected echo is read, to show it.
const SHOWN_AT_MOST: u64 = 1024;

/// Seconds to wait for the connection, and for each whole answer, unless `--timeout` says
/// otherwise. The tutorial waits for ever; here an answer takes far less than a millisecond,
/// so ten seconds only ever run out when something is wrong. (A string, because clap reads it
/// just as it reads what you type after `--timeout`.)
const DEFAULT_TIMEOUT_SECS: &str = "10";

/// Async TCP client: sends a message to the async echo server and prints the answer.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: ServerAt<DEFAULT_PORT>,

    /// The text to send
    #[arg(long, short, default_value = DEFAULT_MESSAGE, conflicts_with = "stdin")]
    message: String,

    /// Send each line of standard input instead, and print each answer, until the input ends
    #[arg(long)]
    stdin: bool,

    /// Seconds to wait for the connection, and for each answer
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_TIMEOUT_SECS,
          value_parser = common::parse_seconds)]
    timeout: Duration,
}

/// One connection and one conversation: a single thread is all this client needs, so it asks
/// tokio for the lighter `current_thread` runtime instead of a thread per CPU core.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args).await)
}

async fn run(args: &Args) -> Result<(), Failure> {
    let wait = args.timeout; // the tutorial waits for ever: see DEFAULT_TIMEOUT_SECS

    // ANCHOR: connect
    // Step 1 — connect to the server, but do not wait for ever
    // Python: reader, writer = await asyncio.open_connection('127.0.0.1', 8888)
    let addrs = args.server.resolve()?;
    let connected = match timeout(wait, TcpStream::connect(&addrs[..])).await {
        Ok(connected) => connected,
        Err(elapsed) => Err(elapsed.into()), // an io::Error of kind TimedOut
    };
    let mut stream =
        connected.map_err(|error| args.server.cannot_connect(&error, SERVER_PACKAGE))?;
    // ANCHOR_END: connect

    // ANCHOR: message
    // Step 2 — send the message, print the answer, like the tutorial
    if !args.stdin {
        send_and_print(&mut stream, args.message.as_bytes(), wait).await?;
    }
    // ANCHOR_END: message

    // ANCHOR: stdin
    // Step 3 — with --stdin: one line of input, one answer, until the input ends
    if args.stdin {
        let mut input = BufReader::new(tokio::io::stdin());
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = input.read_until(b'\n', &mut line).await;
            if read.map_err(|error| Failure::new("cannot read the input", &error))? == 0 {
                break; // end of input: Ctrl-D, or the end of a file or a pipe
            }
            let message = common::strip_line_end(&line);
            if !message.is_empty() {
                send_and_print(&mut stream, message, wait).await?; // nothing gets nothing back
            }
        }
    }
    // ANCHOR_END: stdin

    // ANCHOR: close
    // Step 4 — close the connection
    // Python: writer.close(). Dropping the stream closes it.
    drop(stream);
    Ok(())
    // ANCHOR_END: close
}

// ANCHOR: send-and-print
/// Sends one message, and prints it and its answer the way the tutorial's client does.
async fn send_and_print(
    stream: &mut TcpStream,
    message: &[u8],
    wait: Duration,
) -> Result<(), Failure> {
    // Control characters are shown escaped (`\u{1b}`), never obeyed: what goes over the
    // network must not clear your screen or retitle your window.
    // Python: print(f'Send: {message}')
    println!("Send: {}", shown(message));
    let answer = exchange(stream, message, wait).await?;
    // Python: print(f'Received: {data.decode()}')
    println!("Received: {}", shown(&answer));
    Ok(())
}

/// Bytes as text that is safe to print: invalid UTF-8 as `�`, control characters escaped.
fn shown(bytes: &[u8]) -> String {
    common::terminal_safe(&String::from_utf8_lossy(bytes)).into_owned()
}
// ANCHOR_END: send-and-print

// ANCHOR: exchange
/// Sends `message` and receives the answer: as many bytes as were sent, however many reads
/// that takes. One `read(100)`, as in the tutorial, may return only part of it. The answer
/// must be the message in upper case; anything else (such as "server busy") is an error.
///
/// It sends and receives at the same time. Sending everything first, then reading, is the
/// classic echo deadlock: a long message's answer fills our receive buffer, the server cannot
/// send more so it stops reading, its receive buffer fills, and our send waits for a server
/// that waits for us. Reading while writing keeps both buffers draining.
async fn exchange(
    stream: &mut TcpStream,
    message: &[u8],
    wait: Duration,
) -> Result<Vec<u8>, Failure> {
    // Two halves of one connection, like asyncio's (reader, writer) pair.
    let (reader, mut writer) = stream.split();

    // Python: writer.write(message.encode()); await writer.drain()
    let send = async {
        let sent = writer.write_all(message).await;
        sent.map_err(|error| Failure::new("cannot send to the server", &error))
    };

    // Python: data = await reader.read(100), repeated until the whole answer is in
    let mut answer = Vec::with_capacity(message.len());
    let receive = async {
        let mut until_complete = reader.take(message.len() as u64);
        let received = until_complete.read_to_end(&mut answer).await;
        received.map_err(|error| Failure::new("cannot receive the answer", &error))
    };

    // Both at once, on this one thread (Python: asyncio.gather), within the time-out. The
    // first error, or the end of the time, stops both.
    let both = async { tokio::try_join!(send, receive) };
    let Ok(done) = timeout(wait, both).await else {
        return Err(Failure::custom(
            format!("no answer from the server within {wait:?}"),
            Some("to wait longer, use --timeout SECONDS".into()),
            exit_code::TIMED_OUT,
        ));
    };
    done?;

    let expected = message.to_ascii_uppercase();
    if answer == expected {
        return Ok(answer);
    }
    if expected.starts_with(&answer) {
        // The right bytes, but the server closed the connection before the last of them.
        let error = io::Error::from(io::ErrorKind::UnexpectedEof);
        return Err(Failure::new("no complete answer from the server", &error));
    }
    // Not our echo: most likely the server turned us away. Read the rest, to show all of it.
    let mut rest = (&mut *stream).take(SHOWN_AT_MOST);
    let _ = timeout(wait, rest.read_to_end(&mut answer)).await;
    Err(Failure::custom(
        format!(
            "unexpected answer from the server: {}",
            common::preview(&answer)
        ),
        None,
        exit_code::IO,
    ))
}
// ANCHOR_END: exchange
