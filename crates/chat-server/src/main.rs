//! Lesson 5 — a threaded chat room (tutorial 004), fixed.
//!
//! Every line a client sends reaches every *other* client, with the sender's name in front.
//! Run the server, then a client in each of two or three more terminals:
//!
//!     cargo run -p chat-server
//!     cargo run -p chat-client
//!
//! Each client has a thread of its own, like the tutorial's room. The thread reads the
//! client's lines and writes each one to every other member itself (`room.rs`), as the
//! tutorial's `broadcast` meant to. A member that stops reading makes these writes wait; after
//! `--stuck-after` seconds of taking nothing, it is cut off, so it cannot stall the room. A
//! member that reads, however slowly it prints, is never cut off because someone else is fast:
//! a fast sender is slowed down to what the room takes instead.

mod room;

use std::io::Write;
use std::net::{Shutdown as Close, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::chat::{self, Command, Refused};
use common::{Failure, HostPort, MessageReader, Received, Shutdown};
use room::{Connection, Joined, Limits, Room};

/// The lesson's port, the one tutorial 004 uses.
const DEFAULT_PORT: u16 = common::ports::CHAT;

// The room's rules (what members see, which names they may take) and its limits' defaults
// are common::chat's, shared with poll-chat-server; this file and room.rs are about threads.

/// A pause before accepting again after `accept()` failed (for example when the process ran
/// out of file descriptors). Retrying at once would fail again, thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Threaded chat room: every line a client sends goes to every other client.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    #[command(flatten)]
    room: chat::RoomOptions,
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
    // ANCHOR_END: bind

    // ANCHOR: ctrl-c
    // Step 2 — let Ctrl-C stop the server cleanly
    // Ctrl-C wakes the accept() below (see lesson 1); step 8 then empties the room.
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    // Only now say that the server is ready: a Ctrl-C from here on is caught.
    println!("listening on {}", listener.local_addr()?);

    // From here on, log lines are written by a thread of their own, so that client threads
    // never wait for the terminal (common::log explains why).
    let _logger = common::Logger::start();
    // ANCHOR_END: ctrl-c

    // ANCHOR: accept
    let limits = Limits {
        max_clients: args.room.max_clients as usize,
        stuck_after: args.room.stuck_after,
    };
    let room = Room::new(args.room.welcome.clone(), limits);
    // A channel nobody sends on: each client thread holds a sender, and `recv` on `all_left`
    // returns once every sender is dropped, that is when every client thread has ended.
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
            let connection = Arc::new(Connection::new(stream));
            let Joined { id, name } = match room.join(Arc::clone(&connection), peer) {
                Ok(joined) => joined,
                Err(refused) => {
                    refuse(
                        connection.stream(),
                        peer,
                        refused,
                        room.limits().max_clients,
                    );
                    continue;
                }
            };
            common::log!("connected from {peer}");

            // Step 4 — give the client a thread of its own
            let room = &room;
            let still_here = still_here.clone();
            let started = thread::Builder::new()
                .name(format!("client {peer}"))
                .spawn_scoped(scope, move || {
                    read_lines(connection.stream(), id, room, args);
                    drop(still_here);
                });
            if let Err(error) = started {
                eprintln!(
                    "cannot start a thread for {name}: {}",
                    common::describe(&error)
                );
                room.leave(id);
            }
        }
        hang_up(&room, still_here, &all_left);
    });
    // ANCHOR_END: accept
    common::log!("server stopped");
    Ok(())
}

// ANCHOR: refuse
/// Tells a client why it cannot come in, and closes its connection. The line is short and the
/// connection new, so the write cannot block: this is safe on the accept loop's thread.
fn refuse(stream: &TcpStream, peer: SocketAddr, refused: Refused, max_clients: usize) {
    let why = refused.why(max_clients);
    common::log!("refused {peer}: {why}");
    let _ = (&*stream).write_all(chat::problem(&why).as_bytes());
}
// ANCHOR_END: refuse

// ANCHOR: read-lines
// Step 5 — read the client's lines, and hand those that came together to the room at once
/// The client's thread: takes in its lines until it leaves. A line ends with `\n`, or with a
/// pause: the tutorial's client sends no `\n`.
fn read_lines(stream: &TcpStream, id: u64, room: &Room, args: &Args) {
    room.announce_arrival(id);
    let max_line = args.room.max_line as usize;
    let mut lines = MessageReader::with_pause(stream, max_line, args.room.pause);
    let mut line = Vec::new();
    // Lines that arrived in one read (a paste, a script) go to the room as one batch: one
    // look at who is here, one write per member, instead of one per line.
    let mut batch = Vec::new();
    let why = loop {
        let paused = match lines.next_message(&mut line) {
            Ok(Received::Line) => false,
            // The tutorial's client sends no `\n`, then waits for an answer before it lets
            // its user type again: it gets its own line back, as the tutorial's server did.
            Ok(Received::Paused) => true,
            Ok(Received::TooLong) => {
                say(room, id, &mut batch, false, args.room.quiet); // what came before it first
                if let Some(name) = room.answer(id, &chat::too_long(max_line)) {
                    common::log!(
                        "received from {name}: a line longer than {max_line} bytes, refused"
                    );
                }
                continue;
            }
            Ok(Received::End) => break None,
            Err(error) => break Some(common::describe(&error)),
        };
        let text = chat::printable(&line);
        if let Some(command) = Command::parse(&text) {
            say(room, id, &mut batch, false, args.room.quiet); // what came before the command first
            obey(room, id, command);
        } else if !text.is_empty() {
            batch.push(text);
        }
        if paused || !lines.has_line() {
            say(room, id, &mut batch, paused, args.room.quiet);
        }
    };
    say(room, id, &mut batch, false, args.room.quiet);
    if let Some(name) = room.leave(id) {
        match why {
            None => common::log!("client {name} left"),
            Some(why) => common::log!("client {name} left: {why}"),
        }
    }
    // Closes the connection for good, however it ended.
    let _ = stream.shutdown(Close::Both);
}
// ANCHOR_END: read-lines

// ANCHOR: obey
/// Says the lines in `batch` to the room (and back to the sender too, if `echo`), and empties
/// it. `quiet`: no log line for what is said.
fn say(room: &Room, id: u64, batch: &mut Vec<String>, echo: bool, quiet: bool) {
    if batch.is_empty() {
        return;
    }
    // Logged before it is delivered: someone's answer must not appear in the log first.
    if let (Some(name), false) = (room.name(id), quiet) {
        for text in batch.iter() {
            common::log!("received from {name}: {}", common::preview(text.as_bytes()));
        }
    }
    room.say(id, batch, echo);
    batch.clear();
}

/// Acts on a command from client `id` (`common::chat` tells commands from lines).
fn obey(room: &Room, id: u64, command: Command<'_>) {
    match command {
        Command::Nick(name) => room.rename(id, name),
        Command::Who => room.who(id),
        Command::Unknown(command) => {
            room.answer(id, &chat::unknown_command(command));
        }
    }
}
// ANCHOR_END: obey

// ANCHOR: hang-up
// Step 8 — on Ctrl-C, say goodbye to everyone, give them a moment, then hang up
/// Runs once the accept loop has stopped. `still_here` is the accept loop's own sender of the
/// channel every client thread holds one of: `all_left` hears when all of them are gone.
fn hang_up(room: &Room, still_here: Sender<()>, all_left: &Receiver<()>) {
    let connections = room.close(chat::GOODBYE);
    drop(still_here);
    let _ = all_left.recv_timeout(chat::GOODBYE_GRACE);
    for connection in connections {
        let _ = connection.stream().shutdown(Close::Both); // ends its thread's read
    }
}
// ANCHOR_END: hang-up
