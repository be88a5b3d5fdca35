//! Non-blocking sockets — lesson 5's chat room, served by ONE thread (tutorials 002 and 004).
//!
//! `chat-server` (lesson 5) gives each client a thread that waits in `read()`. This server
//! never waits in `read()`, `write()` or `accept()`: its sockets are non-blocking (Python:
//! `setblocking(False)`), so each of those calls does what it can at once, or fails with
//! `WouldBlock` ("try again later"). One loop asks the operating system which sockets are
//! ready (epoll on Linux, kqueue on macOS), does what can be done now, and asks again. That
//! loop is what tokio (lesson 7) runs underneath every `.await`.
//!
//! Run it, then a client in each of two or three more terminals:
//!
//!     cargo run -p poll-chat-server
//!     cargo run -p chat-client -- --port 9005
//!
//! The room is lesson 5's: the same welcome, notices, `/nick`, `/who` and limits, from
//! `common::chat`. What a non-blocking socket does by itself, without a loop around it:
//!
//!     cargo run -p poll-chat-server --bin nonblocking-demo
//!
//! Why `mio` and not `poll()` or `epoll` by hand, as Python's `select` module offers them:
//! they are C functions, and calling them from Rust takes `unsafe` code, which this workspace
//! forbids. mio is the thin, safe layer over them that tokio itself is built on.

mod inbox;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use common::chat::{self, Command, Refused};
use common::{Failure, HostPort};
use inbox::{Inbox, Message};
use mio::event::Event;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token, Waker};

/// The lesson's own port, next to lesson 5's 9003, so the two rooms can run side by side.
const DEFAULT_PORT: u16 = common::ports::POLL_CHAT;

// ANCHOR: constants
/// The poller names each socket by a number of ours, a `Token`. The listener is 0, the
/// waker (Ctrl-C) 1, and clients count up from 2, never reused: an event that comes for a
/// client that was just closed finds nobody, not a newcomer who got its number.
const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const FIRST_CLIENT: usize = 2;

/// Events handed over by one `poll()`; more wait for the next one.
const EVENTS: usize = 1024;

/// The ONE read buffer, shared by every client: the loop reads one socket at a time. A
/// thread per client would need a buffer per client; here an idle client costs no buffer.
const READ_SIZE: usize = 16 * 1024;

/// Reads from one client before the others get their turn. Without a limit, a client that
/// sends as fast as we read would keep the loop to itself.
const READS_PER_TURN: usize = 4;

/// The high-water mark: while any member's buffer holds more than this, the loop reads from
/// nobody (step 7). The room then goes at the pace of its slowest reader, and a fast sender
/// is slowed down by TCP itself: its bytes wait in the kernel, then in its own program.
const HIGH_WATER: usize = 256 * 1024;

/// The most a member's buffer may hold: past it, the member is cut off at once. Reading stops
/// at the high-water mark, so only notices (joins, leaves) can take a buffer this far, from a
/// member that stopped reading; this keeps it from costing the server unbounded memory.
const MAX_BUFFERED: usize = 4 * HIGH_WATER;

/// How often the loop tries to write to a member over the high-water mark without waiting for
/// the poller. Linux reports a socket writable again only once a good part of its send buffer
/// (a third, which can be a megabyte) has drained, so a member that reads slowly but steadily
/// could look stuck between two events. A write succeeds as soon as any room is free: trying
/// every 100 ms tells "slow" from "stuck" for the price of ten system calls a second.
const PROBE_EVERY: Duration = Duration::from_millis(100);

/// An emptied buffer keeps its memory only up to this size, so that an idle member costs
/// a few hundred bytes, not the size of the biggest burst it ever got.
const KEEP: usize = 1024;

/// How long to wait before accepting again after `accept()` failed (for example when the
/// process ran out of file descriptors). Sleeping would stop every client: the loop waits
/// for this deadline in `poll()` instead.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// The exit status after a second Ctrl-C: 128 + SIGINT, what shells report for Ctrl-C.
const FORCED_EXIT: i32 = 130;
// ANCHOR_END: constants

/// The chat room of lesson 5, served by one thread: every line a client sends goes to every
/// other client.
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
    // ANCHOR: nonblocking
    // Step 1 — bind and listen as in lesson 5, then make the listener non-blocking
    let addrs = args.listen.resolve()?;
    let listener = std::net::TcpListener::bind(&addrs[..])
        .map_err(|error| Failure::bind(&error, &args.listen))?;
    // Python: listener.setblocking(False). From now on accept() never waits: with nobody in
    // the queue it fails at once with WouldBlock (Python: BlockingIOError).
    listener.set_nonblocking(true)?;
    let mut listener = TcpListener::from_std(listener);
    // ANCHOR_END: nonblocking

    // ANCHOR: register
    // Step 2 — register the listener with a poller: "tell me when a client is waiting"
    // (Python: selectors.DefaultSelector() and register(listener, EVENT_READ)).
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    // Ctrl-C runs on another thread; a waker is how it makes the loop's poll() return (step 9).
    let waker = Waker::new(poll.registry(), WAKER)?;
    wake_on_ctrl_c(waker)?;
    // Only now say that the server is ready: a Ctrl-C from here on is caught.
    println!("listening on {}", listener.local_addr()?);
    // Log lines are written by a thread of their own (common::log): printing must not make
    // the one thread that serves everybody wait for the terminal.
    let _logger = common::Logger::start();
    // ANCHOR_END: register

    // ANCHOR: loop
    // Step 3 — the event loop: wait until a socket is ready, do what can be done now, repeat
    let mut room = Room::new(args, poll.registry().try_clone()?, listener);
    let mut events = Events::with_capacity(EVENTS);
    while !room.finished() {
        // Sleeps until something happens, or until the next deadline of the room's clock
        // (a pause that ends a message, a member that is stuck), or not at all if work waits.
        match poll.poll(&mut events, room.timeout()) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::Interrupted => continue, // a signal came
            Err(error) => return Err(Failure::new("cannot wait for the sockets", &error)),
        }
        for event in events.iter() {
            match event.token() {
                LISTENER => room.accept_all(),
                WAKER => room.stop(),
                client => room.ready(client, event),
            }
        }
        room.catch_up();
    }
    // ANCHOR_END: loop
    common::log!("server stopped");
    Ok(())
}

// ANCHOR: member
/// One client. Everything an idle client costs is here: no thread, no stack, no read buffer,
/// and two buffers that are empty (without memory) while nothing is going on.
struct Member {
    stream: TcpStream,
    name: String,
    /// What it sent that the room has not handled yet (usually nothing).
    inbox: Inbox,
    /// What the room said that the kernel did not take yet (usually nothing).
    outbox: Vec<u8>,
    /// The poller said "readable" and we have not read up to `WouldBlock` since: bytes may
    /// wait in the kernel. The poller says it once per change (edge-triggered), so we must
    /// remember it ourselves.
    unread: bool,
    /// It waits in the room's `turns` queue, to be read from.
    queued: bool,
    /// When its last bytes came.
    heard_at: Instant,
    /// When what it half sent counts as a whole message, if nothing more comes: its entry in
    /// the room's `pauses`.
    pause_ends: Option<Instant>,
    /// What the poller is asked to watch for now; `None`: nothing (it is deregistered).
    watched: Option<Interest>,
    /// Ctrl-C: it got the goodbye, and gets the end of the stream once its buffer is empty.
    leaving: bool,
}
// ANCHOR_END: member

/// Who gets a line.
#[derive(Clone, Copy)]
enum To {
    Everyone,
    AllBut(Token),
    Only(Token),
}

/// Why a member's connection is closed, for the log and for the others.
enum Why {
    /// It closed its side (`None`), or its connection broke.
    Left(Option<String>),
    /// It took nothing for too long, or let too much pile up.
    CutOff(String),
    /// Ctrl-C: the server is stopping; nobody is told.
    Stopping,
}

/// The room and everything the loop keeps between two `poll()`s.
struct Room<'a> {
    args: &'a Args,
    /// A handle to the poller, to register and deregister clients.
    registry: Registry,
    /// `None` once the server is stopping: nobody joins any more.
    listener: Option<TcpListener>,
    /// Ordered by token, which is the order in which members joined (for `/who`).
    members: BTreeMap<Token, Member>,
    next_token: usize,
    read_buffer: Box<[u8]>,
    /// The message being handled, reused from one message to the next.
    line: Vec<u8>,
    /// Members whose input waits to be read or handled, in turn.
    turns: VecDeque<Token>,
    /// Members whose buffer got lines since the loop last wrote them out.
    to_flush: Vec<Token>,
    /// Members over the high-water mark, and since when each took nothing.
    over_the_mark: BTreeMap<Token, Instant>,
    /// When half-received messages end by a pause, soonest first.
    pauses: BTreeSet<(Instant, Token)>,
    /// When to try `accept()` again after it failed.
    accept_again: Option<Instant>,
    /// When to try writing to the members over the mark again (`PROBE_EVERY`).
    probe_at: Option<Instant>,
    /// Ctrl-C was pressed: until when the members have to take their goodbye.
    stopping: Option<Instant>,
}

impl<'a> Room<'a> {
    fn new(args: &'a Args, registry: Registry, listener: TcpListener) -> Room<'a> {
        Room {
            args,
            registry,
            listener: Some(listener),
            members: BTreeMap::new(),
            next_token: FIRST_CLIENT,
            read_buffer: vec![0; READ_SIZE].into_boxed_slice(),
            line: Vec::new(),
            turns: VecDeque::new(),
            to_flush: Vec::new(),
            over_the_mark: BTreeMap::new(),
            pauses: BTreeSet::new(),
            accept_again: None,
            probe_at: None,
            stopping: None,
        }
    }

    /// How long `poll()` may sleep: not at all while input waits and the room takes it, else
    /// until the soonest deadline, or for ever (`None`) if there is none.
    fn timeout(&self) -> Option<Duration> {
        if (!self.turns.is_empty() && self.reading()) || !self.to_flush.is_empty() {
            return Some(Duration::ZERO);
        }
        let deadlines = [
            self.pauses.first().map(|&(at, _)| at),
            self.stuck_deadline(),
            self.probe_at,
            self.accept_again,
            self.stopping,
        ];
        let soonest = deadlines.into_iter().flatten().min()?;
        Some(soonest.saturating_duration_since(Instant::now()))
    }

    /// The poller says `client`'s socket is ready: to read, to write, or both.
    fn ready(&mut self, client: Token, event: &Event) {
        let Some(member) = self.members.get_mut(&client) else {
            return; // closed earlier in this round
        };
        // An error or the peer's end of stream shows as "readable": the read will tell.
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            member.unread = true;
            self.take_turn(client);
        }
        if event.is_writable() {
            self.flush(client);
        }
    }

    /// What is due after the events: messages that ended by a pause, the input that waits,
    /// the buffers to write out, stuck members, and the end after Ctrl-C.
    fn catch_up(&mut self) {
        let now = Instant::now();
        self.end_paused_messages(now);
        if self.accept_again.is_some_and(|at| at <= now) {
            self.accept_again = None;
            self.accept_all();
        }
        self.take_input_in_turn();
        self.probe_over_the_mark(now);
        self.cut_off_stuck(now);
        if self.stopping.is_some_and(|at| at <= now) {
            // The grace is over: whoever has not taken the goodbye does not get to wait.
            let late: Vec<Token> = self.members.keys().copied().collect();
            for client in late {
                self.close(client, Why::Stopping);
            }
        }
        self.flush_all(); // last: everything above may have filled buffers
    }

    /// True once Ctrl-C was pressed and every member is gone.
    fn finished(&self) -> bool {
        self.stopping.is_some() && self.members.is_empty()
    }

    // ANCHOR: accept
    // Step 4 — accept until WouldBlock
    /// The listener is readable: one client or many are waiting. The poller says so once, not
    /// once per client, so we accept until `WouldBlock` says the queue is empty.
    fn accept_all(&mut self) {
        loop {
            let Some(listener) = &self.listener else {
                return; // stopping
            };
            match listener.accept() {
                // mio's accept() makes the new socket non-blocking too.
                Ok((stream, peer)) => self.join(stream, peer),
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => {
                    eprintln!("accept failed: {}", common::describe(&error));
                    self.accept_again = Some(Instant::now() + ACCEPT_RETRY);
                    return;
                }
            }
        }
    }

    /// Lets a new client in, unless the room is full, and tells the others.
    fn join(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        let max_clients = self.args.room.max_clients as usize;
        if self.members.len() >= max_clients {
            let why = Refused::Full.why(max_clients);
            common::log!("refused {peer}: {why}");
            // A new connection's buffers are empty: the kernel takes this short line at once.
            let _ = stream.write(chat::problem(&why).as_bytes());
            return; // dropping the stream closes it
        }
        let client = Token(self.next_token);
        self.next_token += 1;
        // "Tell me when it sends something."
        if let Err(error) = self
            .registry
            .register(&mut stream, client, Interest::READABLE)
        {
            eprintln!("cannot watch {peer}: {}", common::describe(&error));
            return;
        }
        let name = peer.to_string();
        common::log!("connected from {peer}");
        let member = Member {
            stream,
            name: name.clone(),
            inbox: Inbox::default(),
            outbox: Vec::new(),
            unread: false,
            queued: false,
            heard_at: Instant::now(),
            pause_ends: None,
            watched: Some(Interest::READABLE),
            leaving: false,
        };
        self.members.insert(client, member);
        self.send(
            To::Only(client),
            &chat::greeting(&self.args.room.welcome, &name),
        );
        self.send(To::AllBut(client), &chat::joined(&name));
    }
    // ANCHOR_END: accept

    // ANCHOR: read
    // Step 5 — read until WouldBlock, and hand each whole message to the room
    /// Gives every member that has input waiting one turn, while the room takes more (step 7).
    fn take_input_in_turn(&mut self) {
        for _ in 0..self.turns.len() {
            if !self.reading() {
                return;
            }
            let Some(client) = self.turns.pop_front() else {
                return;
            };
            if let Some(member) = self.members.get_mut(&client) {
                member.queued = false;
                self.take_input(client);
            }
        }
    }

    /// One turn of `client`: the messages already received, then reads until `WouldBlock`,
    /// until the room is over the mark, or until the client had its share.
    fn take_input(&mut self, client: Token) {
        let max_line = self.args.room.max_line as usize;
        for _ in 0..READS_PER_TURN {
            if !self.handle_messages(client) {
                break; // the room is over the mark, or the client is gone
            }
            let Some(member) = self.members.get_mut(&client) else {
                return;
            };
            if !member.unread {
                break; // read up to WouldBlock: the poller tells us when more comes
            }
            // Python: data = conn.recv(16384), on a non-blocking socket.
            match member.stream.read(&mut self.read_buffer) {
                Ok(0) => {
                    // The end of the stream: what was half sent is the last message.
                    if let Some(message) = member.inbox.finish(&mut self.line, max_line) {
                        self.handle(client, message);
                    }
                    self.close(client, Why::Left(None));
                    return;
                }
                Ok(count) => {
                    member.inbox.push(&self.read_buffer[..count]);
                    member.heard_at = Instant::now();
                }
                // Nothing more for now (Python: BlockingIOError).
                Err(error) if error.kind() == ErrorKind::WouldBlock => member.unread = false,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => {
                    self.close(client, Why::Left(Some(common::describe(&error))));
                    return;
                }
            }
        }
        let Some(member) = self.members.get_mut(&client) else {
            return;
        };
        if member.unread || member.inbox.has_message() {
            self.take_turn(client); // more to do, after the others
        }
        self.watch_for_pause(client);
        self.watch(client);
    }

    /// Queues `client` for a turn, once.
    fn take_turn(&mut self, client: Token) {
        if let Some(member) = self.members.get_mut(&client) {
            if !member.queued {
                member.queued = true;
                self.turns.push_back(client);
            }
        }
    }

    /// Hands `client`'s whole messages to the room, one by one, while the room takes more.
    /// False if it had to stop (the room is over the mark) or the client is gone.
    fn handle_messages(&mut self, client: Token) -> bool {
        let max_line = self.args.room.max_line as usize;
        loop {
            if !self.reading() {
                return false;
            }
            let Some(member) = self.members.get_mut(&client) else {
                return false;
            };
            match member.inbox.next_message(&mut self.line, max_line) {
                Some(message) => self.handle(client, message),
                None => return true,
            }
        }
    }
    // ANCHOR_END: read

    /// A client sent nothing for the pause: what it half sent is a whole message, as the
    /// tutorial's client sends them (with no `\n`).
    fn end_paused_messages(&mut self, now: Instant) {
        while let Some(&(at, client)) = self.pauses.first() {
            if at > now {
                return;
            }
            self.pauses.pop_first();
            let Some(member) = self.members.get_mut(&client) else {
                continue;
            };
            member.pause_ends = None;
            // With bytes still unread it did not pause: the room (step 7) made it wait.
            if !member.unread {
                member.inbox.pause();
                self.take_turn(client);
            }
        }
    }

    /// Keeps `client`'s deadline in `pauses` while it has half sent a message.
    fn watch_for_pause(&mut self, client: Token) {
        let Some(member) = self.members.get_mut(&client) else {
            return;
        };
        let due = (member.inbox.half_received() && !member.unread)
            .then(|| member.heard_at + self.args.room.pause);
        if due == member.pause_ends {
            return;
        }
        if let Some(at) = member.pause_ends {
            self.pauses.remove(&(at, client));
        }
        if let Some(at) = due {
            self.pauses.insert((at, client));
        }
        member.pause_ends = due;
    }

    // ANCHOR: handle
    /// What a message does: a command is obeyed; a line goes to everybody else (and back to
    /// its sender too if it ended with a pause: the tutorial's client waits for an answer).
    fn handle(&mut self, client: Token, message: Message) {
        let Some(name) = self.members.get(&client).map(|m| m.name.clone()) else {
            return;
        };
        if self.stopping.is_some() {
            return; // after Ctrl-C, what clients send is read and dropped
        }
        let max_line = self.args.room.max_line as usize;
        if message == Message::TooLong {
            common::log!("received from {name}: a line longer than {max_line} bytes, refused");
            self.send(To::Only(client), &chat::too_long(max_line));
            return;
        }
        let text = chat::printable(&self.line);
        match Command::parse(&text) {
            Some(Command::Nick(new_name)) => self.rename(client, new_name),
            Some(Command::Who) => {
                let answer = chat::who(self.members.values().map(|m| m.name.as_str()));
                self.send(To::Only(client), &answer);
            }
            Some(Command::Unknown(command)) => {
                self.send(To::Only(client), &chat::unknown_command(command));
            }
            None if text.is_empty() => {}
            None => {
                if !self.args.room.quiet {
                    common::log!("received from {name}: {}", common::preview(text.as_bytes()));
                }
                let to = match message {
                    Message::Paused => To::Everyone,
                    _ => To::AllBut(client),
                };
                self.send(to, &chat::said(&name, &text));
            }
        }
    }

    /// `/nick NAME`: the member takes a new name, if it is a good one and nobody has it.
    fn rename(&mut self, client: Token, new_name: &str) {
        let others = self
            .members
            .iter()
            .filter(|&(&other, _)| other != client)
            .map(|(_, member)| member.name.as_str());
        if let Err(problem) = chat::check_rename(new_name, others) {
            self.send(To::Only(client), &chat::problem(&problem));
            return;
        }
        let Some(member) = self.members.get_mut(&client) else {
            return;
        };
        let old_name = std::mem::replace(&mut member.name, new_name.to_string());
        common::log!("{old_name} is now {new_name}");
        self.send(To::AllBut(client), &chat::renamed(&old_name, new_name));
        self.send(To::Only(client), &chat::you_are_now(new_name));
    }
    // ANCHOR_END: handle

    // ANCHOR: write
    // Step 6 — a write buffer per member, and write interest only while it is not empty
    /// Puts `line` in the buffers of the members `to` names. Nothing is written yet: the loop
    /// writes every buffer once per round (`flush_all`), so the lines of many senders go out
    /// with one `write()` per member.
    fn send(&mut self, to: To, line: &str) {
        let mut add = |client: Token, member: &mut Member| {
            if member.outbox.is_empty() {
                self.to_flush.push(client);
            }
            member.outbox.extend_from_slice(line.as_bytes());
            if member.outbox.len() > HIGH_WATER {
                self.over_the_mark
                    .entry(client)
                    .or_insert_with(Instant::now);
            }
        };
        match to {
            To::Only(client) => {
                if let Some(member) = self.members.get_mut(&client) {
                    add(client, member);
                }
            }
            To::Everyone | To::AllBut(_) => {
                for (&client, member) in self.members.iter_mut() {
                    if !matches!(to, To::AllBut(sender) if sender == client) {
                        add(client, member);
                    }
                }
            }
        }
    }

    /// Writes every buffer that got lines this round.
    fn flush_all(&mut self) {
        // Closing a member (a broken connection) tells the others: that fills buffers again.
        while !self.to_flush.is_empty() {
            for client in std::mem::take(&mut self.to_flush) {
                self.flush(client);
            }
        }
    }

    /// Writes what waits for `client` until the kernel takes no more (`WouldBlock`). What is
    /// left stays in the buffer, and the poller is asked to say when the socket is writable.
    fn flush(&mut self, client: Token) {
        let Some(member) = self.members.get_mut(&client) else {
            return;
        };
        let mut written = 0;
        let failed = loop {
            if written == member.outbox.len() {
                break None;
            }
            // Python: sent = conn.send(data), on a non-blocking socket: maybe only a part.
            match member.stream.write(&member.outbox[written..]) {
                Ok(0) => break Some(io::Error::from(ErrorKind::WriteZero)),
                Ok(count) => written += count,
                Err(error) if error.kind() == ErrorKind::WouldBlock => break None,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => break Some(error),
            }
        };
        if let Some(error) = failed {
            self.close(client, Why::Left(Some(common::describe(&error))));
            return;
        }
        member.outbox.drain(..written);
        if let Some(since) = self.over_the_mark.get_mut(&client) {
            if member.outbox.len() <= HIGH_WATER {
                self.over_the_mark.remove(&client);
            } else if written > 0 {
                *since = Instant::now(); // it takes something: not stuck
            }
        }
        if member.outbox.is_empty() {
            if member.outbox.capacity() > KEEP {
                member.outbox = Vec::new();
            }
            if member.leaving {
                // After the goodbye, the end of the stream (Python: conn.shutdown(SHUT_WR)).
                let _ = member.stream.shutdown(Shutdown::Write);
            }
        }
        self.watch(client);
    }

    /// Tells the poller what to watch `client` for: readable unless we know bytes wait
    /// already (step 7 may be holding them back), writable only while its buffer is not
    /// empty. A writable socket is writable almost always: watching it with nothing to write
    /// would wake the loop for nothing.
    fn watch(&mut self, client: Token) {
        let Some(member) = self.members.get_mut(&client) else {
            return;
        };
        let readable = (!member.unread).then_some(Interest::READABLE);
        let writable = (!member.outbox.is_empty()).then_some(Interest::WRITABLE);
        let wanted = match (readable, writable) {
            (Some(read), Some(write)) => Some(read | write),
            (one, other) => one.or(other),
        };
        if wanted == member.watched {
            return; // no system call when nothing changes
        }
        let changed = match (member.watched, wanted) {
            (None, Some(interest)) => self.registry.register(&mut member.stream, client, interest),
            (Some(_), Some(interest)) => {
                self.registry
                    .reregister(&mut member.stream, client, interest)
            }
            (Some(_), None) => self.registry.deregister(&mut member.stream),
            (None, None) => Ok(()),
        };
        member.watched = wanted;
        if let Err(error) = changed {
            self.close(client, Why::Left(Some(common::describe(&error))));
        }
    }
    // ANCHOR_END: write

    // ANCHOR: flow-control
    // Step 7 — flow control: read from nobody while a member's buffer is over the mark
    /// Whether the loop reads now. While a member is over the high-water mark, reading more
    /// would only pile up more for it: the loop leaves the bytes in the kernel, whose buffers
    /// fill, and TCP tells the senders to wait. A member that reads steadily soon takes its
    /// buffer below the mark; one that takes nothing is cut off after `--stuck-after`.
    fn reading(&self) -> bool {
        self.stopping.is_some() || self.over_the_mark.is_empty()
    }

    /// When the soonest member over the mark has taken nothing for `--stuck-after`.
    fn stuck_deadline(&self) -> Option<Instant> {
        let since = self.over_the_mark.values().min()?;
        Some(*since + self.args.room.stuck_after)
    }

    /// Tries to write to every member over the mark, every `PROBE_EVERY`: a write that goes
    /// through shows the member still takes something, before the poller would say so.
    fn probe_over_the_mark(&mut self, now: Instant) {
        if self.over_the_mark.is_empty() {
            self.probe_at = None;
            return;
        }
        if self.probe_at.is_some_and(|at| at > now) {
            return;
        }
        let over: Vec<Token> = self.over_the_mark.keys().copied().collect();
        for client in over {
            self.flush(client);
        }
        self.probe_at = Some(now + PROBE_EVERY);
    }

    /// Cuts off the members over the mark that took nothing for `--stuck-after`, and those
    /// whose buffer passed `MAX_BUFFERED`: one stuck member cannot stall the room for longer.
    fn cut_off_stuck(&mut self, now: Instant) {
        if self.stopping.is_some() {
            return; // the grace after Ctrl-C has its own deadline
        }
        let waited = self.args.room.stuck_after;
        let stuck: Vec<(Token, String)> = self
            .over_the_mark
            .iter()
            .filter_map(|(&client, &since)| {
                let buffered = self.members.get(&client)?.outbox.len();
                if buffered > MAX_BUFFERED {
                    Some((client, format!("{buffered} bytes were waiting for it")))
                } else if now.duration_since(since) >= waited {
                    let seconds = waited.as_secs_f64();
                    Some((client, format!("took nothing for {seconds} s")))
                } else {
                    None
                }
            })
            .collect();
        for (client, why) in stuck {
            self.close(client, Why::CutOff(why));
        }
    }
    // ANCHOR_END: flow-control

    // ANCHOR: close
    // Step 8 — close a connection from inside the loop
    /// Takes `client` out of the room, tells the poller to forget it, closes its socket, and
    /// tells the others. Anything the loop still holds for it (a turn, a deadline) finds
    /// nobody and is skipped: tokens are never reused.
    fn close(&mut self, client: Token, why: Why) {
        let Some(mut member) = self.members.remove(&client) else {
            return;
        };
        self.over_the_mark.remove(&client);
        if let Some(at) = member.pause_ends {
            self.pauses.remove(&(at, client));
        }
        if member.watched.is_some() {
            let _ = self.registry.deregister(&mut member.stream);
        }
        drop(member.stream); // Python: conn.close()
        let name = member.name;
        if self.stopping.is_some() {
            return; // after Ctrl-C, who leaves is of no interest to anybody
        }
        let notice = match why {
            Why::Left(None) => {
                common::log!("client {name} left");
                chat::left(&name)
            }
            Why::Left(Some(why)) => {
                common::log!("client {name} left: {why}");
                chat::left(&name)
            }
            Why::CutOff(why) => {
                common::log!("client {name} cut off: {why}");
                chat::cut_off(&name)
            }
            Why::Stopping => return,
        };
        self.send(To::Everyone, &notice);
    }
    // ANCHOR_END: close

    // ANCHOR: stop
    // Step 9 — Ctrl-C wakes the loop: say goodbye, give everybody a moment, then close
    /// The waker's event: nobody joins any more, every member gets the goodbye and then the
    /// end of the stream; the loop runs on until they have all closed, or the grace is over.
    fn stop(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        self.stopping = Some(Instant::now() + chat::GOODBYE_GRACE);
        if let Some(mut listener) = self.listener.take() {
            // Closing the listener: the system refuses whoever connects from now on.
            let _ = self.registry.deregister(&mut listener);
        }
        self.send(To::Everyone, chat::GOODBYE);
        for member in self.members.values_mut() {
            member.leaving = true;
        }
    }
    // ANCHOR_END: stop
}

// ANCHOR: ctrl-c
/// Installs the Ctrl-C (and SIGTERM) handler. It runs on a thread of the `ctrlc` crate, where
/// it cannot touch the room: it only wakes the loop, whose `poll()` then returns with the
/// waker's event. A second Ctrl-C stops the program at once, in case something still hangs.
fn wake_on_ctrl_c(waker: Waker) -> Result<(), Failure> {
    let pressed = AtomicBool::new(false);
    ctrlc::set_handler(move || {
        if pressed.swap(true, Ordering::SeqCst) {
            eprintln!("second Ctrl-C: stopping now");
            std::process::exit(FORCED_EXIT);
        }
        let _ = waker.wake();
    })
    .map_err(|error| {
        Failure::new(
            "cannot install the Ctrl-C handler",
            &io::Error::other(error),
        )
    })
}
// ANCHOR_END: ctrl-c
