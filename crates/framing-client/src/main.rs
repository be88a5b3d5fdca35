//! Lesson 8 — message boundaries (粘包): the framing client (tutorials 000 and 003).
//!
//! Sends messages in the framing you choose, back to back without waiting for answers, and
//! prints every answer as it frames it. Start `framing-server` with the same `--framing`
//! first, then:
//!
//!     cargo run -p framing-client -- --framing none --count 3        # glued on the server
//!     cargo run -p framing-client -- --framing none --message 'hello socket' --pieces 3
//!     cargo run -p framing-client -- --framing length --count 3      # three messages, whole
//!     printf 'one\ntwo\n' | cargo run -p framing-client               # one message per line
//!
//! `--pieces 3` sends each message's bytes in three pieces, `--gap` milliseconds (500) apart:
//! longer than the server's `--read-delay` (200), so with `--framing none` the server sees one
//! message arrive in three `recv`s, and with any real framing it still sees one message.
//! The framing code itself is `common::framing`, shared with the server.

use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::framing::{self, FrameError, Framing};
use common::{Failure, Prompt, ServerAt};

/// The lesson's port: no tutorial program uses it, so the lesson takes the first free one
/// after the tutorials' 9001-9003.
const DEFAULT_PORT: u16 = common::ports::FRAMING;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "framing-server";

/// The pause between two pieces of a message with `--pieces`, in milliseconds, unless `--gap`
/// says otherwise: 2.5 times the server's default `--read-delay` (200 ms), so that each piece
/// has surely been read alone before the next one leaves.
const DEFAULT_GAP_MS: u64 = 500;

/// Seconds to wait, once every message is sent, for the server to answer them all and close;
/// also the longest one send may wait for a server that reads nothing. Answers take far less
/// than a millisecond here (plus the server's `--read-delay` per `recv` with `none`).
const DEFAULT_TIMEOUT_SECS: &str = "30";

/// Framing client: sends messages in the framing you choose and prints each answer.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: ServerAt<DEFAULT_PORT>,

    #[command(flatten)]
    framing: framing::Options,

    /// Send N generated messages ("message 1", "message 2" ...) instead of reading standard
    /// input
    #[arg(long, value_name = "N", conflicts_with = "message")]
    count: Option<u32>,

    /// Send this message (give it again for more) instead of reading standard input; it may
    /// contain a newline
    #[arg(long, short, value_name = "TEXT")]
    message: Vec<String>,

    /// Send each message's bytes in this many pieces, --gap apart
    #[arg(long, value_name = "K", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pieces: u32,

    /// The pause between two pieces of a message, in milliseconds
    #[arg(long, value_name = "MILLISECONDS", default_value_t = DEFAULT_GAP_MS,
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    gap: u64,

    /// Once every message is sent, give up if the server has not answered them all and closed
    /// within this many seconds (e.g. 0.5); also the longest a send may wait
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
    // Python: s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1). Every send leaves at once, as a
    // packet of its own: whatever gets glued, the receiver's `recv` glued it, not our kernel.
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(args.timeout))?;
    println!(
        "connected to {}, framing: {}",
        stream.peer_addr()?,
        args.framing.describe()
    );
    // ANCHOR_END: connect

    thread::scope(|scope| {
        // ANCHOR: receive
        // Step 2 — print every answer, on a thread of its own, until the server closes
        // Python: threading.Thread(target=receive_answers).start()
        let (finished, answers_done) = mpsc::channel();
        let stream = &stream;
        scope.spawn(move || {
            let _ = finished.send(print_answers(stream, &args.framing.for_answers()));
        });
        // ANCHOR_END: receive

        // Step 3 — send every message, back to back
        let sending = send_messages(stream, args);

        // ANCHOR: finish
        // Step 4 — say that no more messages come, and wait for the last answers
        // Python: s.shutdown(socket.SHUT_WR). The server reads the end of the stream after
        // our last message, answers, and closes: that ends the thread of step 2.
        let mut received = Err(TimedOut);
        if sending.is_ok() {
            let _ = stream.shutdown(Shutdown::Write);
            received = answers_done
                .recv_timeout(args.timeout)
                .map_err(|_| TimedOut);
        }
        // A failed send, or a server too slow: closing both ways ends the thread of step 2.
        let _ = stream.shutdown(Shutdown::Both);
        if sending.is_err() {
            // How many answers it printed before the send failed, for the last line.
            received = answers_done.recv().map_err(|_| TimedOut);
        }
        // ANCHOR_END: finish
        report(args, sending, received)
    })
    // Step 5 — close the connection
    // Python: s.close(). `stream` is dropped here.
}

// ANCHOR: send-messages
/// What step 3 did: messages sent, and messages refused because they break the framing's
/// limit (each refusal was already explained on stderr).
struct Sent {
    sent: u64,
    refused: u64,
    /// How many answers are due: one per message, or per line of a message in line framing.
    /// Unknown without framing, where the server decides what a message was.
    due: Option<u64>,
}

/// Step 3: sends every message in the framing, each (with `--pieces`) in pieces.
fn send_messages(stream: &TcpStream, args: &Args) -> Result<Sent, Failure> {
    let options = &args.framing;
    let mut done = Sent {
        sent: 0,
        refused: 0,
        due: (options.framing != Framing::None).then_some(0),
    };
    let mut send = |message: &[u8]| -> Result<(), Failure> {
        let number = done.sent + done.refused + 1;
        if let Some(why) = options.refusal(message) {
            eprintln!("error: message {number} not sent: {why}");
            done.refused += 1;
            return Ok(());
        }
        explain(options.framing, number, message);
        // The bytes on the wire: the message, framed (Python: struct.pack('!I', n) + data).
        let frame = options
            .encode(message)
            .map_err(|error| Failure::new("cannot frame the message", &error))?;
        send_in_pieces(stream, &frame, args)?;
        done.sent += 1;
        let lines = message.split(|&byte| byte == framing::DELIMITER).count() as u64;
        let answers = if options.framing == Framing::Line {
            lines
        } else {
            1
        };
        done.due = done.due.map(|due| due + answers);
        Ok(())
    };
    if let Some(count) = args.count {
        for number in 1..=count {
            send(format!("message {number}").as_bytes())?;
        }
    } else if !args.message.is_empty() {
        for message in &args.message {
            send(message.as_bytes())?;
        }
    } else {
        // Python: while True: data = input(); ... One line of input is one message.
        let mut input = Prompt::new("");
        while let Some(line) = input.next_line()? {
            send(line)?;
        }
    }
    Ok(done)
}

/// Sends `frame` in `--pieces` pieces, `--gap` apart (Python: `for piece in pieces:
/// s.sendall(piece); time.sleep(gap)`). One piece: one `sendall`.
fn send_in_pieces(stream: &TcpStream, frame: &[u8], args: &Args) -> Result<(), Failure> {
    let mut writer = stream;
    let piece_len = frame.len().div_ceil(args.pieces as usize).max(1);
    for (index, piece) in frame.chunks(piece_len).enumerate() {
        if index > 0 {
            thread::sleep(Duration::from_millis(args.gap));
        }
        writer
            .write_all(piece)
            .map_err(|error| Failure::cannot_send(&error, args.timeout))?;
    }
    Ok(())
}
// ANCHOR_END: send-messages

/// A word before sending what a student might not expect from the framing.
fn explain(framing: Framing, number: u64, message: &[u8]) {
    let lines = message.split(|&byte| byte == framing::DELIMITER).count();
    if framing == Framing::Line && lines > 1 {
        println!(
            "note: message {number} contains \\n, so in line framing it arrives as {lines} \
             messages"
        );
    }
    if framing == Framing::None && message.is_empty() {
        println!("note: message {number} is empty: without framing, 0 bytes send nothing");
    }
}

// ANCHOR: print-answers
/// What the thread of step 2 found: how many answers it printed, and how the stream ended.
struct Answers {
    count: u64,
    /// `Ok` when the server closed cleanly between two answers.
    end: Result<(), FrameError>,
}

/// Step 2: reads answers in the framing until the server closes, printing each one.
fn print_answers(stream: &TcpStream, options: &framing::Options) -> Answers {
    let mut answers = BufReader::new(stream);
    let mut count = 0;
    // Python (length): header = myreceive(s, 4); data = myreceive(s, n); print(data)
    loop {
        match options.read(&mut answers) {
            Ok(Some(answer)) => {
                count += 1;
                println!(
                    "answer {count} ({} bytes): {}",
                    answer.len(),
                    options.shown(&answer)
                );
            }
            Ok(None) => return Answers { count, end: Ok(()) },
            Err(error) => {
                return Answers {
                    count,
                    end: Err(error),
                };
            }
        }
    }
}
// ANCHOR_END: print-answers

/// The server did not answer everything and close within `--timeout`.
struct TimedOut;

/// The last line (`sent 3 messages, received 3 answers`), then what went wrong, if anything.
fn report(
    args: &Args,
    sending: Result<Sent, Failure>,
    received: Result<Answers, TimedOut>,
) -> Result<(), Failure> {
    let answers = received.as_ref().map_or(0, |answers| answers.count);
    let sent = sending.as_ref().map_or(0, |done| done.sent);
    println!(
        "sent {}, received {}",
        plural(sent, "message"),
        plural(answers, "answer")
    );
    let done = sending?;
    let Ok(received) = received else {
        return Err(Failure::timed_out(format!(
            "the server did not answer everything and close within {:?}",
            args.timeout
        )));
    };
    let io_error = |message: String| Failure::custom(message, None, common::exit_code::IO);
    // Fewer answers than messages: the server refused one and closed the connection (with a
    // reset, if later messages were still unread). Its log line says which and why.
    let cut_short = done.due.is_some_and(|due| received.count < due);
    let closed_early = || {
        io_error(format!(
            "the server closed the connection after {} of {} answers; its log says why",
            received.count,
            done.due.unwrap_or_default()
        ))
    };
    match received.end {
        Err(FrameError::Io(_)) if cut_short => Err(closed_early()),
        Err(FrameError::Io(error)) => Err(Failure::new("cannot receive from the server", &error)),
        // Answers that break the framing: the server does not speak it (or not ours).
        Err(error) => Err(io_error(format!(
            "the server's answers break the framing: {error}"
        ))),
        Ok(()) if cut_short => Err(closed_early()),
        Ok(()) if done.refused > 0 => Err(io_error(format!(
            "{} of {} not sent: too long for the framing",
            done.refused,
            plural(done.refused + done.sent, "message")
        ))),
        Ok(()) => Ok(()),
    }
}

/// "1 answer", "3 answers".
fn plural(count: u64, word: &str) -> String {
    match count {
        1 => format!("1 {word}"),
        _ => format!("{count} {word}s"),
    }
}
