//! Exercise 5.1 — private messages in the chat room (lesson 5).
//!
//! Work on your own copy: `scripts/exercise.sh start 5.1` puts one in exercises/work/, and
//! `scripts/exercise.sh check 5.1` checks it. This starter stays as it is, for the book.
//!
//! This program is lesson 5's chat room in one file, without its goodbye on Ctrl-C: every line
//! a member sends reaches every other member, `/nick NAME` changes a name and `/who` lists who
//! is here. As in lesson 5, each member has one thread, which reads its lines and writes them
//! to the others itself, and a member that takes nothing for `--stuck-after` seconds is cut
//! off. The room's texts and name rules come from `common::chat`, as lesson 5's do. Add
//! `/msg NAME text`, a line for one member only. Find the TODO, then check your work from the
//! repository's root folder:
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
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown as Close, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::chat::{self, Command, Refused, RoomOptions};
use common::{Failure, HostPort, MessageReader, Received, Shutdown};

/// Lesson 5's port, so that `cargo run -p chat-client` talks to this server.
const DEFAULT_PORT: u16 = common::ports::CHAT;

/// A pause before accepting again after `accept()` failed, so a lasting failure (no file
/// descriptors left) does not spin the loop thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Exercise 5.1: a chat room with private messages.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    #[command(flatten)]
    room: RoomOptions,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(serve(&args))
}

fn serve(args: &Args) -> Result<(), Failure> {
    // Create a socket, bind it and listen (Python: socket(), bind(), listen())
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;

    // Let Ctrl-C stop the server (it wakes the accept() below)
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    println!("listening on {}", listener.local_addr()?);
    let _logger = common::Logger::start(); // log lines never make a member's thread wait

    let room = Arc::new(Room::new(&args.room));
    loop {
        // Wait for a client (Python: accept()), and let it in unless the room is full
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
        let id = match room.join(Arc::clone(&connection), peer) {
            Ok(id) => id,
            Err(refused) => {
                let why = refused.why(room.max_clients);
                common::log!("refused {peer}: {why}");
                // One short line on a new connection: it cannot make this thread wait.
                let _ = (&connection.stream).write_all(chat::problem(&why).as_bytes());
                continue;
            }
        };
        common::log!("connected from {peer}");

        // Give the member a thread of its own (Python: threading.Thread)
        let its_room = Arc::clone(&room);
        let options = args.room.clone();
        let started = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || read_lines(&connection, id, &its_room, &options));
        if let Err(error) = started {
            eprintln!(
                "cannot start a thread for {peer}: {}",
                common::describe(&error)
            );
            room.leave(id);
        }
    }
    common::log!("server stopped");
    Ok(())
}

/// The member's thread: takes in its lines until it leaves. Lines that came in one read (a
/// paste, a script) go to the room as one batch: one write per member, not one per line.
fn read_lines(connection: &Connection, id: u64, room: &Room, options: &RoomOptions) {
    room.announce_arrival(id);
    let max_line = options.max_line as usize;
    let mut lines = MessageReader::with_pause(&connection.stream, max_line, options.pause);
    let mut line = Vec::new();
    let mut batch = Vec::new();
    let why = loop {
        let paused = match lines.next_message(&mut line) {
            Ok(Received::Line) => false,
            // A message without `\n` (the tutorial's client sends those): its sender gets it
            // back too, as the tutorial's server did.
            Ok(Received::Paused) => true,
            Ok(Received::TooLong) => {
                room.say(id, &mut batch, false); // what came before it first
                room.answer(id, &chat::too_long(max_line));
                continue;
            }
            Ok(Received::End) => break None,
            Err(error) => break Some(common::describe(&error)),
        };
        let text = chat::printable(&line);
        if text.starts_with('/') {
            room.say(id, &mut batch, false); // what came before the command first
            obey(room, id, &text);
        } else if !text.is_empty() {
            batch.push(text);
        }
        if paused || !lines.has_line() {
            room.say(id, &mut batch, paused);
        }
    };
    room.say(id, &mut batch, false);
    if let Some(name) = room.leave(id) {
        match why {
            None => common::log!("client {name} left"),
            Some(why) => common::log!("client {name} left: {why}"),
        }
    }
    let _ = connection.stream.shutdown(Close::Both);
}

/// Acts on `line`, a command (a line that starts with `/`) from member `id`.
fn obey(room: &Room, id: u64, line: &str) {
    // ANCHOR: todo
    // TODO(exercise 5.1): `/msg NAME text` sends `text` to the member called NAME only, who
    // gets `SENDER (private): text`. If nobody has that name, the sender alone gets
    // `! nobody here is called NAME`. `Command::parse` knows `/nick` and `/who` only: `/msg`
    // comes out as `Command::Unknown("/msg")`, and NAME and text are in `line`. The room
    // needs a new method for it, next to `say`.
    match Command::parse(line) {
        Some(Command::Nick(name)) => room.rename(id, name),
        Some(Command::Who) => room.who(id),
        Some(Command::Unknown(command)) => room.answer(id, &chat::unknown_command(command)),
        None => {} // not a command: `read_lines` never sends those here
    }
    // ANCHOR_END: todo
}

/// The chat room: who is here. Every member's thread shares it. Its lock is only ever held
/// for work in memory; the writing to members happens after it is let go (`deliver`).
struct Room {
    members: Mutex<Members>,
    /// The first line every member gets (`--welcome`).
    welcome: String,
    /// Members at most (`--max-clients`); the next client is refused.
    max_clients: usize,
    /// How long a write to one member may wait for it to take anything (`--stuck-after`).
    stuck_after: Duration,
    /// No log line for each line said (`--quiet`).
    quiet: bool,
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
    connection: Arc<Connection>,
}

/// A member's connection, shared by its own thread (which reads) and by every thread that
/// writes a line to it.
struct Connection {
    stream: TcpStream,
    /// Taken for each write, so that two lines written by two threads at once never mix.
    writing: Mutex<()>,
}

impl Connection {
    fn new(stream: TcpStream) -> Connection {
        Connection {
            stream,
            writing: Mutex::new(()),
        }
    }

    /// Writes `lines` whole (Python: sendall()), after any other thread's lines. Fails with
    /// `TimedOut` (or `WouldBlock`) if the member took nothing for the write time-out.
    fn send(&self, lines: &[u8]) -> io::Result<()> {
        let _one_at_a_time = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        (&self.stream).write_all(lines)
    }
}

impl Room {
    fn new(options: &RoomOptions) -> Room {
        Room {
            members: Mutex::new(Members::default()),
            welcome: options.welcome.clone(),
            max_clients: options.max_clients as usize,
            stuck_after: options.stuck_after,
            quiet: options.quiet,
        }
    }

    /// The lock. Every change under it is one insert or remove, so a thread that panicked
    /// while holding it cannot have left it half done: a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Members> {
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets a new member in, named after its address, unless the room is full; returns its
    /// id. The greeting is written under the lock, so it comes before anybody's lines: the
    /// connection is new, and two short lines cannot make the write wait.
    fn join(&self, connection: Arc<Connection>, peer: SocketAddr) -> Result<u64, Refused> {
        let mut members = self.lock();
        if members.by_id.len() >= self.max_clients {
            return Err(Refused::Full);
        }
        let id = members.next_id;
        members.next_id += 1;
        let name = peer.to_string();
        let _ = connection.stream.set_write_timeout(Some(self.stuck_after));
        let _ = connection.send(chat::greeting(&self.welcome, &name).as_bytes());
        members.by_id.insert(id, Member { name, connection });
        Ok(id)
    }

    /// Tells the members who came before `id` that it is here. Called by the member's own
    /// thread: the accept loop must never wait for a slow member.
    fn announce_arrival(&self, id: u64) {
        let Some(name) = self.name(id) else { return };
        self.deliver(To::Before(id), &chat::joined(&name));
    }

    // ANCHOR: say
    /// Sends the lines member `id` said (`batch`, emptied here) to everybody else as
    /// `NAME: text`, and to the sender too if `echo`.
    fn say(&self, id: u64, batch: &mut Vec<String>, echo: bool) {
        if batch.is_empty() {
            return;
        }
        let Some(name) = self.name(id) else {
            batch.clear(); // cut off meanwhile: nobody hears it
            return;
        };
        let mut lines = String::new();
        for text in batch.drain(..) {
            if !self.quiet {
                common::log!("received from {name}: {}", common::preview(text.as_bytes()));
            }
            lines.push_str(&chat::said(&name, &text));
        }
        let to = if echo { To::Everyone } else { To::AllBut(id) };
        self.deliver(to, &lines);
    }
    // ANCHOR_END: say

    /// `/nick NAME`: member `id` takes a new name, if it is a good one and nobody has it.
    fn rename(&self, id: u64, new_name: &str) {
        let mut members = self.lock();
        let others = members
            .by_id
            .iter()
            .filter(|&(&other, _)| other != id)
            .map(|(_, member)| member.name.as_str());
        if let Err(problem) = chat::check_rename(new_name, others) {
            drop(members);
            self.answer(id, &chat::problem(&problem));
            return;
        }
        let Some(member) = members.by_id.get_mut(&id) else {
            return; // cut off meanwhile
        };
        let old_name = std::mem::replace(&mut member.name, new_name.to_string());
        drop(members);
        common::log!("{old_name} is now {new_name}");
        self.deliver(To::AllBut(id), &chat::renamed(&old_name, new_name));
        self.answer(id, &chat::you_are_now(new_name));
    }

    /// `/who`: tells member `id` who is here, in the order they came.
    fn who(&self, id: u64) {
        let answer = chat::who(self.lock().by_id.values().map(|m| m.name.as_str()));
        self.answer(id, &answer);
    }

    /// Sends `line` to member `id` only: answers to commands, and errors.
    fn answer(&self, id: u64, line: &str) {
        self.deliver(To::Only(id), line);
    }

    /// Member `id` left. Returns its name, unless the room had cut it off already.
    fn leave(&self, id: u64) -> Option<String> {
        let member = self.lock().by_id.remove(&id)?;
        self.deliver(To::Everyone, &chat::left(&member.name));
        Some(member.name)
    }

    /// The name of member `id`, if it is still here.
    fn name(&self, id: u64) -> Option<String> {
        Some(self.lock().by_id.get(&id)?.name.clone())
    }

    /// Writes `lines` to the members `to` names. Who they are is read under the lock; the
    /// writing happens after it is let go, one write per member, so a member that is slow to
    /// take its lines holds up this thread only, never the room.
    fn deliver(&self, to: To, lines: &str) {
        let recipients: Vec<(u64, Arc<Connection>)> = self
            .lock()
            .by_id
            .iter()
            .filter(|&(&id, _)| to.includes(id))
            .map(|(&id, member)| (id, Arc::clone(&member.connection)))
            .collect();
        for (id, connection) in recipients {
            match connection.send(lines.as_bytes()) {
                Ok(()) => {}
                // Cut off whoever takes nothing for `--stuck-after`
                Err(error)
                    if matches!(error.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) =>
                {
                    self.cut_off(id, &connection);
                }
                // Any other error: the member is gone, and its own thread sees it too.
                Err(_) => {}
            }
        }
    }

    /// Member `id` took nothing for `--stuck-after`: it leaves the room, its connection is
    /// shut down (which also ends its thread's read), and everybody hears of it.
    fn cut_off(&self, id: u64, connection: &Connection) {
        let Some(member) = self.lock().by_id.remove(&id) else {
            return; // another thread cut it off first, or it left
        };
        let _ = connection.stream.shutdown(Close::Both);
        common::log!("client {} cut off: it stopped reading", member.name);
        self.deliver(To::Everyone, &chat::cut_off(&member.name));
    }
}

/// Who gets a line.
#[derive(Clone, Copy)]
enum To {
    Everyone,
    AllBut(u64),
    Only(u64),
    /// The members who joined before this one: ids grow in the order of joining.
    Before(u64),
}

impl To {
    fn includes(self, id: u64) -> bool {
        match self {
            To::Everyone => true,
            To::AllBut(sender) => id != sender,
            To::Only(one) => id == one,
            To::Before(newcomer) => id < newcomer,
        }
    }
}
