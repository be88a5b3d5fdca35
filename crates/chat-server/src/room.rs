//! The room: who is here, and how one client's lines reach everybody else.
//!
//! Every client thread shares one [`Room`], behind one `Mutex`. The lock is held only for
//! work in memory (who is here, what are they called); the writing happens after it is let
//! go. The thread that read a line writes it to every other member itself, as the fixed
//! Python room would with `sendall`: no queues, no writer threads, no thread to wake per line.
//! A member that stops reading fills its socket's buffers, and then the writer waits; after
//! `stuck_after` with nothing taken, that member is cut off, so nobody waits for long.

use std::collections::BTreeMap;
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

use common::chat::{self, Refused};

/// How long the goodbye on Ctrl-C may take to write to one member, waiting for the write
/// before it included. It is one short line, so it only ever waits this long for a member
/// whose buffers are full, and that one is not listening.
const GOODBYE_WRITE: Duration = Duration::from_millis(100);

/// How often the goodbye asks again for a member's write lock while another thread writes.
const GOODBYE_RETRY: Duration = Duration::from_millis(5);

/// What a room allows.
pub struct Limits {
    /// Members at most; the next one is refused.
    pub max_clients: usize,
    /// How long a write to one member may wait for it to take anything. A member that reads
    /// does not make anyone wait this long: its socket buffers (hundreds of kilobytes) take
    /// the lines at once. Only a member that stopped reading does, and it is then cut off.
    pub stuck_after: Duration,
}

// ANCHOR: room
/// The shared state of the chat room. One lock guards all of it: simple, and correct,
/// because nothing slow ever happens while it is held.
pub struct Room {
    members: Mutex<Members>,
    limits: Limits,
    welcome: String,
}

/// What the lock guards.
#[derive(Default)]
struct Members {
    /// Ordered by id, which is the order in which members joined.
    by_id: BTreeMap<u64, Member>,
    next_id: u64,
    /// Set on Ctrl-C: nobody joins any more.
    closed: bool,
}

/// One client, as the room sees it.
struct Member {
    name: String,
    connection: Arc<Connection>,
}

/// A client's connection, shared by its own thread (which reads) and by every thread that
/// writes a line to it.
pub struct Connection {
    stream: TcpStream,
    /// Taken for each write, so that two lines written by two threads at once never mix.
    writing: Mutex<()>,
}
// ANCHOR_END: room

impl Connection {
    pub fn new(stream: TcpStream) -> Connection {
        Connection {
            stream,
            writing: Mutex::new(()),
        }
    }

    /// The socket, for reading and for shutting it down.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Writes `lines` whole, after any other thread's lines. Fails with `TimedOut` (or
    /// `WouldBlock`) if the client took nothing for the socket's write time-out.
    fn send(&self, lines: &[u8]) -> io::Result<()> {
        let _one_at_a_time = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        (&self.stream).write_all(lines)
    }

    /// Ctrl-C: the goodbye, then the end of the stream (a FIN: "nothing more from me"). If
    /// another thread is still writing to this member after `GOODBYE_WRITE`, the member is
    /// not taking its lines (that write may wait up to `--stuck-after`): no goodbye for it,
    /// its connection is shut down, which ends that write at once.
    fn say_goodbye(&self, goodbye: &[u8]) {
        let give_up = Instant::now() + GOODBYE_WRITE;
        let _one_at_a_time = loop {
            match self.writing.try_lock() {
                Ok(guard) => break guard,
                Err(TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
                Err(TryLockError::WouldBlock) if Instant::now() < give_up => {
                    thread::sleep(GOODBYE_RETRY); // a bounded wait for a lock, not a sync
                }
                Err(TryLockError::WouldBlock) => {
                    let _ = self.stream.shutdown(Shutdown::Both);
                    return;
                }
            }
        };
        // A member that stopped reading does not get to hold up the shutdown either.
        let _ = self.stream.set_write_timeout(Some(GOODBYE_WRITE));
        let _ = (&self.stream).write_all(goodbye);
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

/// A member who got in: the room's id for it and its name.
pub struct Joined {
    pub id: u64,
    pub name: String,
}

impl Room {
    pub fn new(welcome: String, limits: Limits) -> Room {
        Room {
            members: Mutex::new(Members::default()),
            limits,
            welcome,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The lock. A thread that panicked while holding it cannot leave the members half
    /// changed (every change is one insert or remove), so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Members> {
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ANCHOR: join
    /// Lets a new client in, named after its address, unless the room is full or closing.
    /// The welcome goes out before anybody else's lines can: the client is not a member until
    /// it has it. Writing under the lock is safe here, as in `refuse`: the connection is new,
    /// its buffers empty, and two short lines cannot make the write wait.
    pub fn join(&self, connection: Arc<Connection>, peer: SocketAddr) -> Result<Joined, Refused> {
        let mut members = self.lock();
        if members.closed {
            return Err(Refused::Closed);
        }
        if members.by_id.len() >= self.limits.max_clients {
            return Err(Refused::Full);
        }
        let id = members.next_id;
        members.next_id += 1;
        let name = peer.to_string();
        let _ = connection
            .stream
            .set_write_timeout(Some(self.limits.stuck_after));
        let welcome = chat::greeting(&self.welcome, &name);
        let _ = connection.send(welcome.as_bytes()); // if it fails, the reader sees it too
        let member = Member {
            name: name.clone(),
            connection,
        };
        members.by_id.insert(id, member);
        Ok(Joined { id, name })
    }
    // ANCHOR_END: join

    /// Tells the members who were here before `id` that it came in (those who came after it
    /// see it in `/who`). Called by the member's own thread, not by the accept loop, which
    /// must never wait for a slow member.
    pub fn announce_arrival(&self, id: u64) {
        let Some(name) = self.name(id) else { return };
        self.deliver(To::Before(id), &chat::joined(&name));
    }

    /// Sends what member `id` said to everybody else, as `NAME: text` lines written in one go,
    /// and to the sender too if `echo`.
    pub fn say(&self, id: u64, texts: &[String], echo: bool) {
        let Some(name) = self.name(id) else { return };
        let lines: String = texts.iter().map(|text| chat::said(&name, text)).collect();
        let to = if echo { To::Everyone } else { To::AllBut(id) };
        self.deliver(to, &lines);
    }

    /// `/nick NAME`: member `id` takes a new name, if it is a good one and nobody has it.
    pub fn rename(&self, id: u64, new_name: &str) {
        let mut members = self.lock();
        let others = members
            .by_id
            .iter()
            .filter(|&(&other, _)| other != id)
            .map(|(_, member)| member.name.as_str());
        let problem = match chat::check_rename(new_name, others) {
            Err(problem) => problem,
            Ok(()) => {
                let Some(member) = members.by_id.get_mut(&id) else {
                    return; // cut off meanwhile
                };
                let old_name = std::mem::replace(&mut member.name, new_name.to_string());
                drop(members);
                common::log!("{old_name} is now {new_name}"); // before anyone hears of it
                self.deliver(To::AllBut(id), &chat::renamed(&old_name, new_name));
                self.deliver(To::Only(id), &chat::you_are_now(new_name));
                return;
            }
        };
        drop(members);
        self.deliver(To::Only(id), &chat::problem(&problem));
    }

    /// `/who`: tells member `id` who is in the room, in the order they came.
    pub fn who(&self, id: u64) {
        let members = self.lock();
        let answer = chat::who(members.by_id.values().map(|m| m.name.as_str()));
        drop(members);
        self.deliver(To::Only(id), &answer);
    }

    /// Sends `line` (which ends with `\n`) to member `id` only. Returns its name.
    pub fn answer(&self, id: u64, line: &str) -> Option<String> {
        let name = self.name(id)?;
        self.deliver(To::Only(id), line);
        Some(name)
    }

    /// Member `id` left (its thread ended). Returns its name, or `None` if it was not a
    /// member any more: the room had cut it off already, or is closed.
    pub fn leave(&self, id: u64) -> Option<String> {
        let member = self.lock().by_id.remove(&id)?;
        self.deliver(To::Everyone, &chat::left(&member.name));
        Some(member.name)
    }

    // ANCHOR: close
    /// Ctrl-C: nobody joins any more; every member gets the goodbye and the end of the stream
    /// (a FIN: "nothing more from me"). Returns the connections, for whoever must make sure
    /// they all end.
    pub fn close(&self, goodbye: &str) -> Vec<Arc<Connection>> {
        let mut members = self.lock();
        members.closed = true;
        let connections: Vec<Arc<Connection>> = std::mem::take(&mut members.by_id)
            .into_values()
            .map(|member| member.connection)
            .collect();
        drop(members);
        for connection in &connections {
            connection.say_goodbye(goodbye.as_bytes());
        }
        connections
    }
    // ANCHOR_END: close

    /// Member `id`'s name, if it is still a member.
    pub fn name(&self, id: u64) -> Option<String> {
        Some(self.lock().by_id.get(&id)?.name.clone())
    }

    // ANCHOR: broadcast
    // Step 6 — broadcast: write the lines to every other member, with the lock let go
    /// Writes `lines` to the members `to` names. Who they are is read under the lock; the
    /// writing happens after it is let go, so a member that is slow to take its lines holds
    /// up this thread only, never the room.
    fn deliver(&self, to: To, lines: &str) {
        let recipients: Vec<(u64, Arc<Connection>)> = self
            .lock()
            .by_id
            .iter()
            .filter(|&(&id, _)| to.includes(id)) // the tutorial sent each line back to its sender only
            .map(|(&id, member)| (id, Arc::clone(&member.connection)))
            .collect();
        for (id, connection) in recipients {
            match connection.send(lines.as_bytes()) {
                Ok(()) => {}
                // Step 7 — cut off whoever takes nothing for `stuck_after`
                Err(error)
                    if matches!(error.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) =>
                {
                    self.cut_off(id, &connection);
                }
                // Any other error: the client is gone, and its own thread will see it too.
                Err(_) => {}
            }
        }
    }

    /// Member `id` took nothing for `stuck_after`: it leaves the room, its connection is shut
    /// down (which also ends its thread's read), and everybody hears of it.
    fn cut_off(&self, id: u64, connection: &Connection) {
        let Some(member) = self.lock().by_id.remove(&id) else {
            return; // another thread cut it off first, or it left
        };
        let _ = connection.stream.shutdown(Shutdown::Both);
        let waited = self.limits.stuck_after.as_secs_f64();
        common::log!(
            "client {} cut off: took nothing for {waited} s",
            member.name
        );
        self.deliver(To::Everyone, &chat::cut_off(&member.name));
    }
    // ANCHOR_END: broadcast
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
