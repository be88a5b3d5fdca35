//! The room: who is here, and how one client's line reaches everybody else.
//!
//! Every client thread shares one [`Room`], behind one `Mutex`. Each member also has a
//! bounded queue of lines waiting to be written to it, emptied by that member's own writer
//! thread (see `main.rs`). So the lock is only ever held for work in memory: nobody holds it
//! while waiting for a socket, and a client that stops reading cannot stall the room.

use std::collections::BTreeMap;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One line for one or many clients, `\n` included. An `Arc<str>` is shared, not copied: a
/// line sent to a thousand queues is stored once.
pub type Line = Arc<str>;

/// The longest name `/nick` accepts, in characters. Names show in front of every line.
const MAX_NAME_CHARS: usize = 24;

/// What a room allows.
pub struct Limits {
    /// Members at most; the next one is refused.
    pub max_clients: usize,
    /// Lines that may wait in one member's queue. A member whose queue is full is too slow to
    /// keep up with the room, and is cut off.
    pub queue_lines: usize,
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
    /// The sending end of the client's bounded queue; its writer thread holds the other end.
    outbox: SyncSender<Line>,
    /// The connection, shared with the client's threads, so the room can cut it off.
    stream: Arc<TcpStream>,
}
// ANCHOR_END: room

/// A member who got in: the room's id for it, its name, and the queue its writer empties.
pub struct Joined {
    pub id: u64,
    pub name: String,
    pub outbox: Receiver<Line>,
}

/// Why a client was not let in.
pub enum Refused {
    /// The room has `max_clients` members.
    Full,
    /// The server is shutting down.
    Closed,
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
    pub fn join(&self, stream: Arc<TcpStream>, peer: SocketAddr) -> Result<Joined, Refused> {
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
        let (outbox, queue) = mpsc::sync_channel(self.limits.queue_lines);
        // A new queue has room for these two lines: `queue_lines` is at least 2.
        let _ = outbox.try_send(line(&self.welcome));
        let _ = outbox.try_send(line(&format!(
            "* you are {name}; /nick NAME changes your name, /who lists who is here"
        )));
        let member = Member {
            name: name.clone(),
            outbox,
            stream,
        };
        members.by_id.insert(id, member);
        self.broadcast(&mut members, id, format!("* {name} joined"));
        Ok(Joined {
            id,
            name,
            outbox: queue,
        })
    }
    // ANCHOR_END: join

    /// Sends what member `id` said to everybody else, as `NAME: text`, and to the sender too
    /// if `echo`. Returns the name.
    pub fn say(&self, id: u64, text: &str, echo: bool) -> Option<String> {
        let mut members = self.lock();
        let name = members.by_id.get(&id)?.name.clone();
        let to = if echo { To::Everyone } else { To::AllBut(id) };
        self.deliver(&mut members, to, format!("{name}: {text}"));
        Some(name)
    }

    /// `/nick NAME`: member `id` takes a new name, if it is a good one and nobody has it.
    /// Returns the old name if the name changed.
    pub fn rename(&self, id: u64, new_name: &str) -> Option<String> {
        let mut members = self.lock();
        let problem = match check_name(new_name) {
            Err(problem) => problem,
            Ok(()) if members.by_id.values().any(|m| m.name == new_name) => {
                format!("the name {new_name} is taken")
            }
            Ok(()) => {
                let member = members.by_id.get_mut(&id)?;
                let old_name = std::mem::replace(&mut member.name, new_name.to_string());
                self.broadcast(&mut members, id, format!("* {old_name} is now {new_name}"));
                self.tell(&mut members, id, format!("* you are now {new_name}"));
                return Some(old_name);
            }
        };
        self.tell(&mut members, id, format!("! {problem}"));
        None
    }

    /// `/who`: tells member `id` who is in the room, in the order they came.
    pub fn who(&self, id: u64) {
        let mut members = self.lock();
        let names: Vec<&str> = members.by_id.values().map(|m| m.name.as_str()).collect();
        let answer = format!("* in the room ({}): {}", names.len(), names.join(", "));
        self.tell(&mut members, id, answer);
    }

    /// Sends `text` to member `id` only. Returns its name.
    pub fn answer(&self, id: u64, text: String) -> Option<String> {
        let mut members = self.lock();
        let name = members.by_id.get(&id)?.name.clone();
        self.tell(&mut members, id, text);
        Some(name)
    }

    /// Member `id` left (its reader thread ended). Returns its name, or `None` if it was not
    /// a member any more: the room had cut it off already, or is closed.
    pub fn leave(&self, id: u64) -> Option<String> {
        let mut members = self.lock();
        let member = members.by_id.remove(&id)?;
        self.deliver(
            &mut members,
            To::Everyone,
            format!("* {} left", member.name),
        );
        Some(member.name)
    }

    // ANCHOR: close
    /// Ctrl-C: says goodbye to every member and lets go of their queues, so each writer
    /// sends what is queued and then closes its side of the connection. Returns the
    /// connections, for whoever must make sure they all end.
    pub fn close(&self, goodbye: &str) -> Vec<Arc<TcpStream>> {
        let mut members = self.lock();
        members.closed = true;
        let goodbye = line(goodbye);
        let mut streams = Vec::new();
        for member in std::mem::take(&mut members.by_id).into_values() {
            let _ = member.outbox.try_send(Arc::clone(&goodbye)); // full: it is cut off anyway
            streams.push(member.stream);
        } // each `member.outbox` is dropped here: its writer sees the end of its queue
        streams
    }
    // ANCHOR_END: close

    // ANCHOR: broadcast
    // Step 6 — broadcast: queue the line for every other member, never wait
    /// Queues `text` for every member but `sender`.
    fn broadcast(&self, members: &mut Members, sender: u64, text: String) {
        self.deliver(members, To::AllBut(sender), text);
    }

    /// Queues `text` for member `id` only: answers to commands, and errors.
    fn tell(&self, members: &mut Members, id: u64, text: String) {
        self.deliver(members, To::Only(id), text);
    }

    /// Queues `text` for the members `to` names. `try_send` never blocks: a member whose
    /// queue is full is cut off, and everybody hears of it, which is one more line to
    /// deliver: hence the list of lines still to send.
    fn deliver(&self, members: &mut Members, to: To, text: String) {
        let mut to_send = vec![(to, text)];
        while let Some((to, text)) = to_send.pop() {
            let text = line(&text);
            let mut too_slow = Vec::new();
            for (&id, member) in &members.by_id {
                if !to.includes(id) {
                    continue; // the tutorial sent each line back to its sender only
                }
                match member.outbox.try_send(Arc::clone(&text)) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => too_slow.push(id),
                    Err(TrySendError::Disconnected(_)) => {} // writer gone; reader leaves soon
                }
            }
            // Step 7 — cut off whoever cannot keep up
            // After the loop, not during it: the tutorial removed clients from the very list
            // it was walking through, which skips the client after the removed one.
            for id in too_slow {
                if let Some(member) = members.by_id.remove(&id) {
                    let name = member.name;
                    let waiting = self.limits.queue_lines;
                    println!("client {name} cut off: {waiting} lines waiting");
                    // Wakes its writer (blocked in write) and its reader (blocked in read).
                    let _ = member.stream.shutdown(Shutdown::Both);
                    to_send.push((To::Everyone, format!("* {name} was cut off: too slow")));
                }
            }
        }
    }
    // ANCHOR_END: broadcast
}

/// Who gets a line.
#[derive(Clone, Copy)]
enum To {
    Everyone,
    AllBut(u64),
    Only(u64),
}

impl To {
    fn includes(self, id: u64) -> bool {
        match self {
            To::Everyone => true,
            To::AllBut(sender) => id != sender,
            To::Only(one) => id == one,
        }
    }
}

/// `text` as a line to send.
fn line(text: &str) -> Line {
    format!("{text}\n").into()
}

/// Names are short and cannot be mistaken for a line's parts: letters (any script), digits,
/// `_`, `-` and `.`; so no spaces, no `:` (addresses, the default names, have one), and no
/// leading `*` or `!` (how notices and errors start).
fn check_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(format!("a name has 1 to {MAX_NAME_CHARS} characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err("a name has letters, digits, _ - and . only".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn names_are_short_words() {
        assert!(check_name("alice").is_ok());
        assert!(check_name("小明").is_ok());
        assert!(check_name("a.b-c_d").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("two words").is_err());
        assert!(check_name("127.0.0.1:80").is_err());
        assert!(check_name("*admin").is_err());
        assert!(check_name(&"x".repeat(25)).is_err());
    }
}
