//! Lesson 5 — chat client (tutorial 004), fixed.
//!
//! Prints what the others say as soon as it arrives, while you type. Start the server, then
//! run a client in each of two or three terminals:
//!
//!     cargo run -p chat-server
//!     cargo run -p chat-client                      # type lines; q quits, bye says bye
//!     printf '/nick ann\nhello\n' | cargo run -p chat-client
//!
//! The tutorial's client reads one reply after each line it sends, so it shows what others
//! said only when you send something, one message at a time. Here a thread of its own
//! receives, so every message shows up when it arrives.

use std::io::{self, IsTerminal, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use common::{Failure, MessageReader, Prompt, Received, ServerAt, exit_code};

/// The lesson's port, the one tutorial 004 uses.
const DEFAULT_PORT: u16 = common::ports::CHAT;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "chat-server";

/// Tutorial 004's prompt ("enter a message (q to quit): "), shown only when a person types.
const PROMPT: &str = "请输入消息(输入q退出): ";

/// Leaves without sending anything.
const QUIT: &[u8] = b"q";

/// Is sent, like any line, and then the client leaves (any case, as in the tutorial).
const BYE: &[u8] = b"bye";

/// Lines you typed (or piped in) that may wait for the connection. When that many wait, the
/// input thread waits too: it never reads ahead of what the server takes, so piping a huge
/// file in costs a few lines of memory, not the file's size.
const INPUT_AHEAD: usize = 64;

/// The longest line accepted from the server. Its lines are short, but a client must not let
/// any server fill its memory with one endless line.
const MAX_MESSAGE: usize = 1024 * 1024;

/// Chat client: prints the room's lines as they arrive and sends the lines you type.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: ServerAt<DEFAULT_PORT>,

    /// At the end of piped input, keep printing the room's lines for this many seconds
    #[arg(long, default_value = "1", value_parser = common::parse_seconds)]
    linger: Duration,
}

/// What the main thread hears from the other two.
enum Event {
    /// The input thread read a line (without its line end).
    Typed(Vec<u8>),
    /// The input ended (Ctrl-D, or the end of a piped file).
    InputEnded,
    /// The receiving thread saw the connection end.
    ServerGone(Gone),
    /// The input could not be read.
    InputFailed(Failure),
}

/// How the server's side of the connection ended.
enum Gone {
    /// The server closed it after saying what it had to say (a goodbye): an orderly end.
    Closed,
    /// The server closed it right after an error line (`! the room is full ...`).
    Refused,
    /// The connection broke (for example, the server was killed and the system reset it).
    Broke(io::Error),
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args))
}

fn run(args: &Args) -> Result<(), Failure> {
    // ANCHOR: connect
    // Step 1 — connect to the server
    let addrs = args.server.resolve()?;
    let stream = TcpStream::connect(&addrs[..])
        .map_err(|error| args.server.cannot_connect(&error, SERVER_PACKAGE))?;
    println!("connected to {}", stream.peer_addr()?);
    // ANCHOR_END: connect

    // ANCHOR: threads
    // Step 2 — one thread prints the server's lines, another reads yours
    // Both report to the main thread through one channel, so it can wait for either.
    let (events, heard) = mpsc::sync_channel(INPUT_AHEAD);
    let screen = Arc::new(Screen::new());
    let incoming = stream.try_clone()?;
    let receiver = {
        let (events, screen) = (events.clone(), Arc::clone(&screen));
        thread::spawn(move || receive(incoming, &screen, events))
    };
    {
        let screen = Arc::clone(&screen);
        thread::spawn(move || read_input(&screen, events));
    }
    // ANCHOR_END: threads

    // ANCHOR: send
    // Step 3 — send each line you type; q leaves at once, bye is sent and then leaves
    let ended = loop {
        match heard.recv() {
            Ok(Event::Typed(line)) => {
                if line == QUIT {
                    break None;
                }
                send(&stream, &line)?;
                if is_last(&line) {
                    break None;
                }
            }
            Ok(Event::InputEnded) => break Some(Instant::now() + args.linger),
            Ok(Event::ServerGone(Gone::Closed)) => break None, // the server said goodbye
            Ok(Event::ServerGone(gone)) => return Err(server_gone(gone)),
            Ok(Event::InputFailed(failure)) => return Err(failure),
            Err(_) => return Err(server_gone(Gone::Refused)), // cannot happen unseen
        }
    };
    // ANCHOR_END: send

    // ANCHOR: linger
    // Step 4 — at the end of piped input, keep listening a little, then close
    // Lines you sent may still be on their way to the others, and their answers to you.
    if let Some(deadline) = ended {
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match heard.recv_timeout(left) {
                Ok(Event::ServerGone(Gone::Closed)) => break, // the server said all it had to say
                Ok(Event::ServerGone(gone)) => return Err(server_gone(gone)),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
    }
    // Python: s.close(). Shutting down first ends the receiving thread's read at once.
    let _ = stream.shutdown(Shutdown::Both);
    let _ = receiver.join(); // everything it received is printed before we exit
    screen.put_away_prompt(); // nothing more is asked: the shell's prompt comes next
    Ok(())
    // ANCHOR_END: linger
}

/// Sends one line, with the `\n` that tells the server where it ends.
fn send(mut stream: &TcpStream, line: &[u8]) -> Result<(), Failure> {
    stream
        .write_all(&[line, b"\n"].concat())
        .map_err(|error| Failure::new("cannot send to the server", &error))
}

/// The connection ended in a way that is not an orderly goodbye.
fn server_gone(gone: Gone) -> Failure {
    match gone {
        Gone::Broke(error) => Failure::new("lost the connection to the server", &error),
        Gone::Closed | Gone::Refused => {
            Failure::custom("the server closed the connection", None, exit_code::IO)
        }
    }
}

// ANCHOR: receive
/// The receiving thread: prints every line from the server as soon as it arrives.
fn receive(stream: TcpStream, screen: &Screen, events: SyncSender<Event>) {
    // Lines end with `\n`; the tutorial's server sends its welcome without one, so a pause
    // ends a line too.
    let mut lines = MessageReader::new(stream, MAX_MESSAGE);
    let mut line = Vec::new();
    let mut last_was_error = false; // the room's error lines start with `!`
    let gone = loop {
        match lines.next_message(&mut line) {
            Ok(Received::Line | Received::Paused) => {
                last_was_error = line.starts_with(b"!");
                screen.show(&String::from_utf8_lossy(&line));
            }
            Ok(Received::TooLong) => screen.show("(a line longer than 1 MiB, skipped)"),
            Ok(Received::End) if last_was_error => break Gone::Refused,
            Ok(Received::End) => break Gone::Closed,
            Err(error) => break Gone::Broke(error),
        }
    };
    let _ = events.send(Event::ServerGone(gone));
}

/// The terminal, shared by the thread that reads your lines and the one that prints the
/// room's. While a person types, the prompt is on screen; a line from the room goes in its
/// place (`\r` and "erase line") and the prompt comes back under it. One lock for both
/// threads, so the prompt is drawn once, never twice, and never after you have left.
struct Screen {
    /// A person is typing (input and output are a terminal): draw the prompt.
    interactive: bool,
    /// The prompt is on screen now, waiting for a line.
    prompt_shown: Mutex<bool>,
}

impl Screen {
    fn new() -> Screen {
        Screen {
            interactive: io::stdin().is_terminal() && io::stdout().is_terminal(),
            prompt_shown: Mutex::new(false),
        }
    }

    /// Asks for the next line: the tutorial's prompt, when a person types.
    fn ask(&self) {
        let mut prompt_shown = self
            .prompt_shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.interactive && !*prompt_shown {
            write_out(PROMPT);
            *prompt_shown = true;
        }
    }

    /// A line was typed: Enter moved the cursor past the prompt.
    fn answered(&self) {
        *self
            .prompt_shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = false;
    }

    /// Prints a line from the room. What the server sent is printed with its control
    /// characters escaped: it must not be able to clear your screen or move your cursor.
    fn show(&self, line: &str) {
        let line = common::terminal_safe(line);
        let prompt_shown = self
            .prompt_shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *prompt_shown {
            write_out(&format!("\r\x1b[2K{line}\n{PROMPT}"));
        } else {
            write_out(&format!("{line}\n"));
        }
    }

    /// Takes the prompt off the screen for good: the client is leaving.
    fn put_away_prompt(&self) {
        let mut prompt_shown = self
            .prompt_shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *prompt_shown {
            write_out("\r\x1b[2K");
            *prompt_shown = false;
        }
    }
}

/// One write for each piece, so a line never mixes with the prompt. If the output was closed
/// early (`| head -1`), QuietStdout stops the program quietly, as `println!` would.
fn write_out(text: &str) {
    let mut out = common::QuietStdout;
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
// ANCHOR_END: receive

// ANCHOR: read-input
/// The input thread: reads lines with the tutorial's prompt and hands them to the main thread.
fn read_input(screen: &Screen, events: SyncSender<Event>) {
    let mut input = Prompt::drawn_by_caller();
    loop {
        screen.ask();
        let read = input.next_line();
        screen.answered();
        let event = match read {
            Ok(Some([])) => continue, // an empty line: nothing to say
            Ok(Some(line)) => Event::Typed(line.to_vec()),
            Ok(None) => Event::InputEnded,
            Err(failure) => Event::InputFailed(failure),
        };
        // After q, bye, or the end of the input, nothing more is asked.
        let last = match &event {
            Event::Typed(line) => line == QUIT || is_last(line),
            _ => true,
        };
        if events.send(event).is_err() || last {
            return; // the main thread is done, or there is nothing more to read
        }
    }
}

/// `bye`, in any case: sent to the room, and then the client leaves.
fn is_last(line: &[u8]) -> bool {
    line.eq_ignore_ascii_case(BYE)
}
// ANCHOR_END: read-input
