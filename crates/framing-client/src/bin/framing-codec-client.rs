//! Lesson 8, last step — length framing the way production code does it: tokio-util's
//! `LengthDelimitedCodec`, in an async client.
//!
//! It speaks exactly what `common::framing::write_length` and `read_length` speak (a 4-byte
//! big-endian length, then the message), so it talks to `framing-server --framing length`,
//! and to any program that uses Python's `struct.pack('!I', n)`. Start the server, then:
//!
//!     cargo run -p framing-server
//!     cargo run -p framing-client --bin framing-codec-client -- --count 3
//!     printf 'one\ntwo\n' | cargo run -p framing-client --bin framing-codec-client
//!
//! Unlike `framing-client`, it reads all of its standard input before it connects: it is a
//! demonstration of the codec, not a program to type into.

use std::io::{self, Read};
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use common::framing::{self, Framing};
use common::{Failure, ServerAt, exit_code};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

/// The lesson's port: no tutorial program uses it, so the lesson takes the first free one
/// after the tutorials' 9001-9003.
const DEFAULT_PORT: u16 = common::ports::FRAMING;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "framing-server";

/// Seconds to wait for the connection, and for the server to answer every message and close.
const DEFAULT_TIMEOUT_SECS: &str = "30";

/// Framing client through tokio-util's LengthDelimitedCodec: length framing, the production
/// way.
#[derive(Parser, Debug)]
#[command(
    version,
    about = "Lesson 8, last step: length framing through tokio-util's LengthDelimitedCodec"
)]
struct Args {
    #[command(flatten)]
    server: ServerAt<DEFAULT_PORT>,

    /// The largest message, in bytes; the same limit as framing-server's --max-frame
    #[arg(long, value_name = "BYTES", default_value_t = framing::DEFAULT_MAX_FRAME,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(framing::MAX_LIMIT)))]
    max_frame: u32,

    /// Send N generated messages ("message 1", "message 2" ...) instead of reading standard
    /// input
    #[arg(long, value_name = "N", conflicts_with = "message")]
    count: Option<u32>,

    /// Send this message (give it again for more) instead of reading standard input
    #[arg(long, short, value_name = "TEXT")]
    message: Vec<String>,

    /// Seconds to wait for the connection, and then for every message to be sent and answered
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_TIMEOUT_SECS,
          value_parser = common::parse_seconds)]
    timeout: Duration,
}

/// One connection: tokio's lighter single-threaded runtime is all this client needs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args).await)
}

// ANCHOR: codec
// Step 1 — configure the codec
/// Exactly `common::framing`'s length framing, said out loud
/// rather than left to the defaults. `max_frame_length` is what `read_length`'s `max_frame`
/// is: a header announcing more is an error, and nothing is allocated for it.
fn length_codec(max_frame: u32) -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_offset(0) // the header comes first,
        .length_field_length(framing::HEADER_LEN) // it is 4 bytes long,
        .big_endian() // in network byte order (Python: '!I'),
        .length_adjustment(0) // it counts the message only, not itself,
        .num_skip(framing::HEADER_LEN) // and a frame handed to us is the message only.
        .max_frame_length(max_frame as usize)
        .new_codec()
}
// ANCHOR_END: codec

async fn run(args: &Args) -> Result<(), Failure> {
    let messages = messages(args)?;
    let limits = framing::Options {
        framing: Framing::Length,
        max_frame: args.max_frame,
        ..framing::Options::default()
    };

    // Step 2 — connect to the server, but not for ever
    // Python: reader, writer = await asyncio.open_connection(HOST, PORT)
    let addrs = args.server.resolve()?;
    let connected = match timeout(args.timeout, TcpStream::connect(&addrs[..])).await {
        Ok(connected) => connected,
        Err(elapsed) => Err(elapsed.into()),
    };
    let stream = connected.map_err(|error| args.server.cannot_connect(&error, SERVER_PACKAGE))?;
    stream.set_nodelay(true)?;
    println!(
        "connected to {}, framing: {} through tokio-util's LengthDelimitedCodec",
        stream.peer_addr()?,
        limits.describe()
    );

    // ANCHOR: framed
    // Step 3 — wrap each half of the connection in the codec
    // A Sink of messages to send, and a Stream of messages received: the codec does the
    // header and the loops.
    let (read_half, write_half) = stream.into_split();
    let mut outgoing = FramedWrite::new(write_half, length_codec(args.max_frame));
    // Answers are up to ANSWER_HEAD_MAX bytes longer than our messages (`#3 (5 bytes) `).
    let answer_limit = args
        .max_frame
        .saturating_add(framing::ANSWER_HEAD_MAX as u32);
    let mut incoming = FramedRead::new(read_half, length_codec(answer_limit));
    // ANCHOR_END: framed

    // ANCHOR: exchange
    // Step 4 — send every message while printing every answer, until the server closes
    let mut refused = 0;
    let sending = async {
        for (index, message) in messages.iter().enumerate() {
            if let Some(why) = limits.refusal(message) {
                eprintln!("error: message {} not sent: {why}", index + 1);
                refused += 1;
                continue;
            }
            // Python: writer.write(struct.pack('!I', len(data)) + data); await writer.drain()
            outgoing.send(Bytes::copy_from_slice(message)).await?;
        }
        // Python: writer.write_eof(). Closing the sink shuts down our sending side.
        SinkExt::<Bytes>::close(&mut outgoing).await?;
        Ok::<u64, io::Error>(messages.len() as u64 - refused)
    };
    let receiving = async {
        let mut count: u64 = 0;
        while let Some(answer) = incoming.next().await {
            let answer = answer?; // a header over the limit, or a frame cut by the close
            count += 1;
            println!(
                "answer {count} ({} bytes): {}",
                answer.len(),
                common::preview(&answer)
            );
        }
        Ok::<u64, io::Error>(count)
    };
    let both = timeout(args.timeout, async { tokio::join!(sending, receiving) }).await;
    // ANCHOR_END: exchange

    // Step 5 — close the connection
    // The halves are dropped at the end of `run`.
    let Ok((sent, received)) = both else {
        return Err(Failure::timed_out(format!(
            "the server did not answer everything and close within {:?}",
            args.timeout
        )));
    };
    println!(
        "sent {}, received {}",
        plural(*sent.as_ref().unwrap_or(&0), "message"),
        plural(*received.as_ref().unwrap_or(&0), "answer")
    );
    let sent = sent.map_err(|error| Failure::new("cannot send to the server", &error))?;
    let answers = received.map_err(|error| {
        Failure::custom(
            format!(
                "the server's answers break the framing: {}",
                common::describe(&error)
            ),
            None,
            exit_code::IO,
        )
    })?;
    if answers < sent {
        return Err(Failure::custom(
            format!(
                "the server closed the connection after {answers} of {sent} answers; its log \
                 says why"
            ),
            None,
            exit_code::IO,
        ));
    }
    if refused > 0 {
        return Err(Failure::custom(
            format!(
                "{refused} of {} not sent: too long for the framing",
                plural(sent + refused, "message")
            ),
            None,
            exit_code::IO,
        ));
    }
    Ok(())
}

/// The messages to send: `--count` generated ones, the `--message`s, or one per line of
/// standard input (read to its end first).
fn messages(args: &Args) -> Result<Vec<Vec<u8>>, Failure> {
    if let Some(count) = args.count {
        return Ok((1..=count)
            .map(|number| format!("message {number}").into_bytes())
            .collect());
    }
    if !args.message.is_empty() {
        return Ok(args.message.iter().map(|m| m.as_bytes().to_vec()).collect());
    }
    let mut input = Vec::new();
    io::stdin()
        .read_to_end(&mut input)
        .map_err(|error| Failure::new("cannot read the input", &error))?;
    Ok(input
        .split_inclusive(|&byte| byte == b'\n')
        .map(|line| common::strip_line_end(line).to_vec())
        .collect())
}

/// "1 answer", "3 answers".
fn plural(count: u64, word: &str) -> String {
    match count {
        1 => format!("1 {word}"),
        _ => format!("{count} {word}s"),
    }
}
