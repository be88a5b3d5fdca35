//! Lesson 5 — a threaded chat room (tutorial 004), fixed.
//!
//! Every line a client sends reaches every *other* client, with the sender's name in front.
//! Run the server, then a client in each of two or three more terminals:
//!
//!     cargo run -p chat-server
//!     cargo run -p chat-client
//!
//! Each client has two threads here: a reader that takes its lines in, and a writer that
//! empties the client's own bounded queue of lines to send. The room (`room.rs`) only ever
//! puts lines in queues, so a client that stops reading fills its own queue, is cut off, and
//! nobody else waits for it.

mod room;

use std::io::{self, BufWriter, Write};
use std::net::{Shutdown as Close, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, MessageReader, Received, Shutdown};
use room::{Joined, Limits, Line, Refused, Room};

/// The lesson's port, the one tutorial 004 uses.
const DEFAULT_PORT: u16 = 9003;

/// Tutorial 004's greeting ("welcome to the chat room!").
const WELCOME: &str = "欢迎来到聊天室!";

/// A chat line is short. The limit keeps one client from making the server hold an endless
/// line in memory: a longer line is refused, with an error line to its sender.
const MAX_LINE: usize = 4 * 1024;

/// Each client costs two threads and a socket. A real server would size this from its memory
/// and file-descriptor limit; a classroom never comes near it.
const MAX_CLIENTS: usize = 1000;

/// Lines that may wait for one slow client. Generous for a person (a burst of a thousand
/// lines), and small enough that a client that stopped reading costs little: the lines are
/// shared with the other queues, so the queue holds pointers, not copies.
const QUEUE_LINES: usize = 1024;

/// What every client hears on Ctrl-C, before its connection is closed.
const GOODBYE: &str = "* the server is shutting down, goodbye";

/// After Ctrl-C, how long clients have to read their last lines and close: after that, their
/// connections are shut down, so a client that stopped reading cannot hold up the server.
const GOODBYE_GRACE: Duration = Duration::from_secs(2);

/// A pause before accepting again after `accept()` failed (for example when the process ran
/// out of file descriptors). Retrying at once would fail again, thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Threaded chat room: every line a client sends goes to every other client.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// The first line every client gets
    #[arg(long, default_value = WELCOME)]
    welcome: String,

    /// The longest line a client may send, in bytes
    #[arg(long, default_value_t = MAX_LINE as u32, value_parser = clap::value_parser!(u32).range(1..=1024 * 1024))]
    max_line: u32,

    /// The most clients in the room at once; the next one is refused
    #[arg(long, default_value_t = MAX_CLIENTS as u32, value_parser = clap::value_parser!(u32).range(1..))]
    max_clients: u32,

    /// Lines that may wait for a slow client before it is cut off
    #[arg(long, default_value_t = QUEUE_LINES as u32, value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    queue_lines: u32,

    /// Seconds of silence that end a message sent without a newline, as the tutorial's
    /// client sends them
    #[arg(long, value_name = "SECONDS", default_value = "0.1", value_parser = common::parse_seconds)]
    pause: Duration,

    /// No line per message received (joins, leaves, cut-offs and errors still print), e.g.
    /// for a benchmark
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(serve(&args))
}

fn serve(args: &Args) -> Result<(), Failure> {
    // ANCHOR: bind
    // Step 1 — create a socket, bind it and listen
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    println!("listening on {}", listener.local_addr()?);
    // ANCHOR_END: bind

    // ANCHOR: ctrl-c
    // Step 2 — let Ctrl-C stop the server cleanly
    // Ctrl-C wakes the accept() below (see lesson 1); step 8 then empties the room.
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    // ANCHOR_END: ctrl-c

    // ANCHOR: accept
    let limits = Limits {
        max_clients: args.max_clients as usize,
        queue_lines: args.queue_lines as usize,
    };
    let room = Room::new(args.welcome.clone(), limits);
    // A channel nobody sends on: each reader thread holds a sender, and `recv` on `all_left`
    // returns once every sender is dropped, that is when every reader thread has ended.
    let (still_here, all_left) = mpsc::channel::<()>();
    // The scope waits, at its end, for every client thread started in it.
    thread::scope(|scope| {
        loop {
            // Step 3 — wait for a client, and let it in unless the room is full
            let (stream, peer) = match listener.accept() {
                Ok(connection) => connection,
                Err(error) => {
                    eprintln!("accept failed: {}", common::describe(&error));
                    thread::sleep(ACCEPT_RETRY);
                    continue;
                }
            };
            if shutdown.requested() {
                break; // that "client" was Ctrl-C waking us up
            }
            let stream = Arc::new(stream);
            let joined = match room.join(Arc::clone(&stream), peer) {
                Ok(joined) => joined,
                Err(refused) => {
                    refuse(&stream, peer, refused, room.limits().max_clients);
                    continue;
                }
            };
            println!("connected from {peer}");

            // Step 4 — give the client a reader thread and a writer thread
            let Joined { id, name, outbox } = joined;
            let room = &room;
            let writer_stream = Arc::clone(&stream);
            let still_here = still_here.clone();
            let started = thread::Builder::new()
                .name(format!("writer {peer}"))
                .spawn_scoped(scope, move || write_lines(&writer_stream, outbox))
                .and_then(|_| {
                    thread::Builder::new()
                        .name(format!("reader {peer}"))
                        .spawn_scoped(scope, move || {
                            read_lines(&stream, id, room, args);
                            drop(still_here);
                        })
                });
            if let Err(error) = started {
                eprintln!(
                    "cannot start threads for {name}: {}",
                    common::describe(&error)
                );
                room.leave(id);
            }
        }
        // Step 8 — on Ctrl-C, say goodbye to everyone, give them a moment, then hang up
        let streams = room.close(GOODBYE);
        drop(still_here);
        let _ = all_left.recv_timeout(GOODBYE_GRACE);
        for stream in streams {
            let _ = stream.shutdown(Close::Both); // wakes its threads, which end
        }
    });
    // ANCHOR_END: accept
    println!("server stopped");
    Ok(())
}

// ANCHOR: refuse
/// Tells a client why it cannot come in, and closes its connection. The line is short and the
/// connection new, so the write cannot block: this is safe on the accept loop's thread.
fn refuse(stream: &TcpStream, peer: SocketAddr, refused: Refused, max_clients: usize) {
    let why = match refused {
        Refused::Full => format!("the room is full ({max_clients} clients), try again later"),
        Refused::Closed => "the server is shutting down".to_string(),
    };
    println!("refused {peer}: {why}");
    let _ = (&*stream).write_all(format!("! {why}\n").as_bytes());
}
// ANCHOR_END: refuse

// ANCHOR: read-lines
/// The reader thread of step 4: takes in the client's lines until it leaves.
/// A line ends with `\n`, or with a pause: the tutorial's client sends no `\n`.
fn read_lines(stream: &TcpStream, id: u64, room: &Room, args: &Args) {
    let max_line = args.max_line as usize;
    let mut lines = MessageReader::with_pause(stream, max_line, args.pause);
    let mut line = Vec::new();
    let why = loop {
        match lines.next_message(&mut line) {
            Ok(Received::Line) => {
                obey(room, id, &String::from_utf8_lossy(&line), false, args.quiet)
            }
            // The tutorial's client sends no `\n`, then waits for an answer before it lets
            // its user type again: it gets its own line back, as the tutorial's server did.
            Ok(Received::Paused) => {
                obey(room, id, &String::from_utf8_lossy(&line), true, args.quiet)
            }
            Ok(Received::TooLong) => {
                let refusal =
                    format!("! that line was longer than {max_line} bytes; nobody got it");
                if let Some(name) = room.answer(id, refusal) {
                    println!("received from {name}: a line longer than {max_line} bytes, refused");
                }
            }
            Ok(Received::End) => break None,
            Err(error) => break Some(common::describe(&error)),
        }
    };
    if let Some(name) = room.leave(id) {
        match why {
            None => println!("client {name} left"),
            Some(why) => println!("client {name} left: {why}"),
        }
    }
    // Wakes the writer if it is blocked on a client that stopped reading, and closes the
    // connection for good once both threads let go of it.
    let _ = stream.shutdown(Close::Both);
}
// ANCHOR_END: read-lines

// ANCHOR: obey
/// Acts on one line from client `id`: a command, or something to say to the room (and back
/// to the sender too, if `echo`). `quiet`: no log line for what is said.
fn obey(room: &Room, id: u64, line: &str, echo: bool, quiet: bool) {
    // Control characters (other than tab) could move another user's cursor or clear their
    // screen: they are shown as `�`, like bytes that are not UTF-8.
    let line: String = line
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    match line.split_once(' ').unwrap_or((&line, "")) {
        ("", "") => {} // an empty line: nothing to say
        ("/nick", name) => {
            if let Some(old_name) = room.rename(id, name.trim()) {
                println!("{old_name} is now {}", name.trim());
            }
        }
        ("/who", _) => room.who(id),
        (command, _) if command.starts_with('/') => {
            let unknown = format!("! unknown command {command}; try /nick NAME or /who");
            room.answer(id, unknown);
        }
        _ => {
            let said = room.say(id, &line, echo);
            if let (Some(name), false) = (said, quiet) {
                println!("received from {name}: {}", common::preview(line.as_bytes()));
            }
        }
    }
}
// ANCHOR_END: obey

// ANCHOR: write-lines
// Step 5 — the writer thread: send the queued lines, in order, as fast as the client reads
/// Ends when the room lets go of the queue (the client left, was cut off, or the server is
/// shutting down) or when a write fails.
fn write_lines(stream: &TcpStream, outbox: Receiver<Line>) {
    let mut out = BufWriter::new(stream);
    let delivered = (|| -> io::Result<()> {
        // `recv` waits for the next line; it fails once the queue is empty and let go of.
        while let Ok(line) = outbox.recv() {
            out.write_all(line.as_bytes())?;
            // Lines that queued up meanwhile go out in the same write.
            while let Ok(line) = outbox.try_recv() {
                out.write_all(line.as_bytes())?;
            }
            out.flush()?;
        }
        Ok(())
    })();
    drop(out);
    if delivered.is_ok() {
        // Everything queued was sent: tell the client we are done (a FIN, not a reset).
        let _ = stream.shutdown(Close::Write);
    } else {
        let _ = stream.shutdown(Close::Both);
    }
}
// ANCHOR_END: write-lines
