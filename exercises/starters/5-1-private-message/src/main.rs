//! Exercise 5.1 — private messages in the chat room (lesson 5).
//!
//! Work on your own copy: `scripts/exercise.sh start 5.1` puts one in exercises/work/, and
//! `scripts/exercise.sh check 5.1` checks it. This starter stays as it is, for the book.
//!
//! This program is lesson 5's chat room in one file, without its limits and its goodbye on
//! Ctrl-C: every line a member sends reaches every other member, `/nick NAME` changes a name
//! and `/who` lists who is here. Add `/msg NAME text`, a line for one member only. Find the
//! TODO, then check your work from the repository's root folder:
//!
//!     scripts/exercise.sh check 5.1
//!
//! To try it by hand, run it from the `exercises/work` folder, and lesson 5's client from the root
//! folder in two or three more terminals:
//!
//!     cargo run -p ex-5-1-private-message
//!     cargo run -p chat-client
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::net::{Shutdown as Close, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, MessageReader, Received, Shutdown};

/// Lesson 5's port, so that `cargo run -p chat-client` talks to this server.
const DEFAULT_PORT: u16 = 9003;

/// Tutorial 004's greeting ("welcome to the chat room!").
const WELCOME: &str = "欢迎来到聊天室!";

/// The longest line a member may send, in bytes: a chat line is short, and a limit keeps one
/// member from making the server hold an endless line in memory.
const MAX_LINE: usize = 4 * 1024;

/// The longest name, in characters: names show in front of every line.
const MAX_NAME_CHARS: usize = 24;

/// Lines that may wait for one member. A member whose queue is full does not read what the
/// room sends, and is cut off, so that it never holds up the others.
const QUEUE_LINES: usize = 1024;

/// A pause before accepting again after `accept()` failed, so a lasting failure (no file
/// descriptors left) does not spin the loop thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// One line for one or many members, `\n` included, shared rather than copied.
type Line = Arc<str>;

/// Exercise 5.1: a chat room with private messages.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(serve(&args))
}

fn serve(args: &Args) -> Result<(), Failure> {
    // Create the socket, bind it and listen (Python: socket(), bind(), listen()).
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    println!("listening on {}", listener.local_addr()?);
    let shutdown = Shutdown::on_ctrl_c(&listener)?;

    let room = Arc::new(Room::default());
    loop {
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
        println!("connected from {peer}");
        let stream = Arc::new(stream);
        let (id, outbox) = room.join(Arc::clone(&stream), peer);

        // Two threads per member: a writer that empties its queue, a reader that takes its
        // lines in. Each owns what it uses: clones of the `Arc`s, and of `shutdown`.
        let writer_stream = Arc::clone(&stream);
        let reader_room = Arc::clone(&room);
        let reader_shutdown = shutdown.clone();
        let started = thread::Builder::new()
            .name(format!("writer {peer}"))
            .spawn(move || write_lines(&writer_stream, outbox))
            .and_then(|_| {
                thread::Builder::new()
                    .name(format!("reader {peer}"))
                    .spawn(move || read_lines(&stream, id, &reader_room, &reader_shutdown))
            });
        if let Err(error) = started {
            eprintln!(
                "cannot start threads for {peer}: {}",
                common::describe(&error)
            );
            room.leave(id);
        }
    }
    println!("server stopped");
    Ok(())
}

/// The reader thread: takes in the member's lines until it leaves.
fn read_lines(stream: &Arc<TcpStream>, id: u64, room: &Room, shutdown: &Shutdown) {
    let ending = (|| -> io::Result<()> {
        let _watched = shutdown.watch(stream); // Ctrl-C ends the read below
        let stream: &TcpStream = stream; // `MessageReader` reads a `&TcpStream`, not the `Arc`
        let mut lines = MessageReader::new(stream, MAX_LINE);
        let mut line = Vec::new();
        loop {
            match lines.next_message(&mut line)? {
                Received::Line | Received::Paused => {
                    obey(room, id, &String::from_utf8_lossy(&line))
                }
                Received::TooLong => room.tell(
                    id,
                    &format!("! that line was longer than {MAX_LINE} bytes; nobody got it"),
                ),
                Received::End => return Ok(()),
            }
        }
    })();
    if let Some(name) = room.leave(id) {
        match ending {
            Ok(()) => println!("client {name} left"),
            Err(error) => println!("client {name} left: {}", common::describe(&error)),
        }
    }
    // Wakes the writer if it is blocked on a member that stopped reading.
    let _ = stream.shutdown(Close::Both);
}

/// The writer thread: sends the member's queued lines, in order, as fast as it reads them.
/// Ends when the room lets go of the queue (the member left or was cut off).
fn write_lines(stream: &TcpStream, outbox: Receiver<Line>) {
    let mut out = BufWriter::new(stream);
    let sent = (|| -> io::Result<()> {
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
    if sent.is_err() {
        let _ = stream.shutdown(Close::Both);
    }
}

/// Acts on one line from member `id`: a command, or something to say to the room.
fn obey(room: &Room, id: u64, line: &str) {
    // Control characters (other than tab) could move another member's cursor or clear their
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
    // ANCHOR: todo
    // TODO(exercise 5.1): `/msg NAME text` sends `text` to the member called NAME only, who
    // gets `SENDER (private): text`. If nobody has that name, the sender alone gets
    // `! nobody here is called NAME`. The room needs a new method for it, next to `say`.
    match line.split_once(' ').unwrap_or((&line, "")) {
        ("", "") => {} // an empty line: nothing to say
        ("/nick", name) => room.rename(id, name.trim()),
        ("/who", _) => room.who(id),
        (command, _) if command.starts_with('/') => room.tell(
            id,
            &format!("! unknown command {command}; try /nick NAME or /who"),
        ),
        _ => room.say(id, &line),
    }
    // ANCHOR_END: todo
}

/// The chat room: who is here. Every thread shares it, behind one lock that is only ever held
/// for work in memory: lines are put in queues, never written to a socket under the lock.
#[derive(Default)]
struct Room {
    members: Mutex<Members>,
}

/// What the lock guards.
#[derive(Default)]
struct Members {
    /// Ordered by id, which is the order in which members joined.
    by_id: BTreeMap<u64, Member>,
    next_id: u64,
}

/// One member, as the room sees it.
struct Member {
    name: String,
    /// The sending end of the member's queue; its writer thread holds the other end.
    outbox: SyncSender<Line>,
    /// The connection, so the room can cut off a member that does not keep up.
    stream: Arc<TcpStream>,
}

impl Room {
    /// The lock. Every change under it is one insert or remove, so a thread that panicked
    /// while holding it cannot have left it half done: a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Members> {
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets a new member in, named after its address. Returns its id and its queue.
    fn join(&self, stream: Arc<TcpStream>, peer: SocketAddr) -> (u64, Receiver<Line>) {
        let mut members = self.lock();
        let id = members.next_id;
        members.next_id += 1;
        let name = peer.to_string();
        let (outbox, queue) = mpsc::sync_channel(QUEUE_LINES);
        // A new queue has room for these two lines.
        let _ = outbox.try_send(line(WELCOME));
        let _ = outbox.try_send(line(&format!(
            "* you are {name}; /nick NAME changes your name, /who lists who is here"
        )));
        members.by_id.insert(
            id,
            Member {
                name: name.clone(),
                outbox,
                stream,
            },
        );
        members.deliver(|other| other != id, &format!("* {name} joined"));
        (id, queue)
    }

    // ANCHOR: say
    /// Sends what member `id` said to everybody else, as `NAME: text`.
    fn say(&self, id: u64, text: &str) {
        let mut members = self.lock();
        let Some(name) = members.name_of(id) else {
            return;
        };
        println!("received from {name}: {}", common::preview(text.as_bytes()));
        members.deliver(|other| other != id, &format!("{name}: {text}"));
    }
    // ANCHOR_END: say

    /// `/nick NAME`: member `id` takes a new name, if it is a good one and nobody has it.
    fn rename(&self, id: u64, new_name: &str) {
        let mut members = self.lock();
        let good = !new_name.is_empty()
            && new_name.chars().count() <= MAX_NAME_CHARS
            && new_name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
        let problem = if !good {
            format!("! a name has 1 to {MAX_NAME_CHARS} letters, digits, _ - or .")
        } else if members.id_of(new_name).is_some() {
            format!("! the name {new_name} is taken")
        } else {
            let Some(member) = members.by_id.get_mut(&id) else {
                return;
            };
            let old_name = std::mem::replace(&mut member.name, new_name.to_string());
            println!("{old_name} is now {new_name}");
            members.deliver(
                |other| other != id,
                &format!("* {old_name} is now {new_name}"),
            );
            members.deliver(|other| other == id, &format!("* you are now {new_name}"));
            return;
        };
        members.deliver(|other| other == id, &problem);
    }

    /// `/who`: tells member `id` who is here, in the order they came.
    fn who(&self, id: u64) {
        let mut members = self.lock();
        let names: Vec<&str> = members.by_id.values().map(|m| m.name.as_str()).collect();
        let answer = format!("* in the room ({}): {}", names.len(), names.join(", "));
        members.deliver(|other| other == id, &answer);
    }

    /// Sends `text` to member `id` only: answers to commands, and errors.
    fn tell(&self, id: u64, text: &str) {
        self.lock().deliver(|other| other == id, text);
    }

    /// Member `id` left. Returns its name, unless the room had cut it off already.
    fn leave(&self, id: u64) -> Option<String> {
        let mut members = self.lock();
        let member = members.by_id.remove(&id)?;
        members.deliver(|_| true, &format!("* {} left", member.name));
        Some(member.name)
    }
}

impl Members {
    /// The name of member `id`, if it is still here.
    fn name_of(&self, id: u64) -> Option<String> {
        self.by_id.get(&id).map(|member| member.name.clone())
    }

    /// The id of the member called `name`, if there is one.
    fn id_of(&self, name: &str) -> Option<u64> {
        self.by_id
            .iter()
            .find(|(_, member)| member.name == name)
            .map(|(&id, _)| id)
    }

    /// Queues `text` for every member whose id `to` accepts. `try_send` never waits: a member
    /// whose queue is full cannot keep up, and is cut off (lesson 5 also tells the room).
    fn deliver(&mut self, to: impl Fn(u64) -> bool, text: &str) {
        let text = line(text);
        let mut too_slow = Vec::new();
        for (&id, member) in &self.by_id {
            if to(id) {
                if let Err(TrySendError::Full(_)) = member.outbox.try_send(Arc::clone(&text)) {
                    too_slow.push(id);
                }
            }
        }
        // After the loop, not during it: never remove from the map being walked through.
        for id in too_slow {
            if let Some(member) = self.by_id.remove(&id) {
                println!("client {} cut off: too slow", member.name);
                let _ = member.stream.shutdown(Close::Both);
            }
        }
    }
}

/// `text` as a line to send.
fn line(text: &str) -> Line {
    format!("{text}\n").into()
}
