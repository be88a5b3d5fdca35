//! Exercise 6.2 — a write that would block, finished later (lesson 6).
//!
//! Work on your own copy: `scripts/exercise.sh start 6.2` puts one in exercises/work/, and
//! `scripts/exercise.sh check 6.2` checks it. This starter stays as it is, for the book.
//!
//! This program is an echo server in lesson 6's style: non-blocking sockets, one thread, and
//! one loop that asks mio which sockets are ready. What a client sends goes into its outbox,
//! and `flush` writes the outbox out. On a non-blocking socket a write takes what fits in the
//! kernel's send buffer and no more, or fails with `WouldBlock` when nothing fits: a client
//! that sends a lot and does not read for a while fills that buffer. `flush` then throws the
//! rest away, and the client gets back less than it sent. Find the TODO, then check your work
//! from the repository's root folder:
//!
//!     scripts/exercise.sh check 6.2
//!
//! To try it by hand, run it from the `exercises/work` folder, then stream 64 MB through it
//! with the lessons' load generator, from the root folder in a second terminal: it checks every
//! byte that comes back. As it is, it finds a wrong byte a few megabytes in, where bytes were
//! lost; once solved, all 64 MB come back.
//!
//!     cargo run -p ex-6-2-write-buffer
//!     cargo run --release -p loadgen -- bulk --port 9005 --bytes 64M
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use common::{Failure, HostPort, Shutdown};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};

/// Lesson 6's port.
const DEFAULT_PORT: u16 = common::ports::POLL_CHAT;

/// The listener's token; clients count up from 1, never reused, so that an event for a client
/// that was just closed finds nobody.
const LISTENER: Token = Token(0);

/// The one read buffer, shared by every client: the loop reads one socket at a time.
const READ_SIZE: usize = 64 * 1024;

/// Exercise 6.2: an echo server, on one thread, that never loses a byte it has to send.
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

/// One client: its socket, and what it is owed.
struct Client {
    stream: TcpStream,
    peer: SocketAddr,
    /// What it sent and has not been sent back yet, oldest byte first.
    outbox: Vec<u8>,
    /// It has closed its sending side (`shutdown(Write)`, or `nc -N` at the end of its
    /// input): it is closed once its outbox is empty, not before.
    finished: bool,
}

/// Everything the loop keeps between two `poll()`s.
struct Server {
    listener: TcpListener,
    /// A handle to the poller, to register, reregister and deregister clients.
    registry: Registry,
    clients: HashMap<Token, Client>,
    next_token: usize,
    buffer: Vec<u8>,
}

fn serve(args: &Args) -> Result<(), Failure> {
    // Bind and listen, catch Ctrl-C, then make the listener non-blocking (Python:
    // listener.setblocking(False)). Ctrl-C connects to the listener to wake the loop up.
    let addrs = args.listen.resolve()?;
    let listener = std::net::TcpListener::bind(&addrs[..])
        .map_err(|error| Failure::bind(&error, &args.listen))?;
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    listener.set_nonblocking(true)?;
    let mut listener = TcpListener::from_std(listener);
    // Python: sel = selectors.DefaultSelector(); sel.register(listener, EVENT_READ)
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("listening on {}", listener.local_addr()?);

    let mut server = Server {
        listener,
        registry: poll.registry().try_clone()?,
        clients: HashMap::new(),
        next_token: 1,
        buffer: vec![0; READ_SIZE],
    };
    // The event loop: wait until a socket is ready, do what can be done now, repeat.
    let mut events = Events::with_capacity(256);
    while !shutdown.requested() {
        // Python: for key, mask in sel.select():
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(Failure::new("cannot wait for the sockets", &error)),
        }
        for event in events.iter() {
            match event.token() {
                LISTENER => server.accept_all(&shutdown),
                client => {
                    // An error or the end of the stream shows as "readable": the read tells.
                    if event.is_readable() || event.is_read_closed() || event.is_error() {
                        server.read_all(client);
                    }
                    if event.is_writable() {
                        server.flush(client);
                    }
                    server.close_if_done(client);
                }
            }
        }
    }
    println!("server stopped");
    Ok(())
}

impl Server {
    /// Accepts every client that waits, until `WouldBlock`: the poller says "readable" once,
    /// however many there are.
    fn accept_all(&mut self, shutdown: &Shutdown) {
        loop {
            let (mut stream, peer) = match self.listener.accept() {
                Ok(connection) => connection,
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) => {
                    println!("accept failed: {}", common::describe(&error));
                    return;
                }
            };
            if shutdown.requested() {
                return; // that "client" was Ctrl-C waking us up
            }
            let token = Token(self.next_token);
            self.next_token += 1;
            if let Err(error) = self
                .registry
                .register(&mut stream, token, Interest::READABLE)
            {
                println!("cannot watch {peer}: {}", common::describe(&error));
                continue;
            }
            println!("connected from {peer}");
            let client = Client {
                stream,
                peer,
                outbox: Vec::new(),
                finished: false,
            };
            self.clients.insert(token, client);
        }
    }

    /// Reads what `token` sent, until `WouldBlock`, and sends it back: each piece goes to the
    /// end of the outbox, and `flush` writes out what it can.
    fn read_all(&mut self, token: Token) {
        loop {
            let Some(client) = self.clients.get_mut(&token) else {
                return; // closed meanwhile
            };
            if client.finished {
                return; // nothing more will come
            }
            match client.stream.read(&mut self.buffer) {
                Ok(0) => {
                    client.finished = true; // `close_if_done` closes it once it has it all
                    return;
                }
                Ok(count) => {
                    client.outbox.extend_from_slice(&self.buffer[..count]);
                    self.flush(token);
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return self.close(token, &common::describe(&error)),
            }
        }
    }

    // ANCHOR: todo
    /// Writes out what waits in `token`'s outbox, as much of it as the kernel takes now.
    fn flush(&mut self, token: Token) {
        let Some(client) = self.clients.get_mut(&token) else {
            return; // closed meanwhile
        };
        // TODO(exercise 6.2): keep what the kernel did not take, in order, and ask the poller
        // to say when the socket is writable again (`Interest::WRITABLE`): the loop then calls
        // `flush` again. Once the outbox is empty, stop asking. Never wait, never spin.
        // Python: conn.send(data), once: it returns how much it took, and the rest is lost.
        match client.stream.write(&client.outbox) {
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::WouldBlock => {}
            Err(error) => {
                let why = format!("cannot send to it: {}", common::describe(&error));
                return self.close(token, &why);
            }
        }
        client.outbox.clear();
    }
    // ANCHOR_END: todo

    /// Closes `token`'s connection once it has closed its sending side and got everything
    /// back.
    fn close_if_done(&mut self, token: Token) {
        let done = self
            .clients
            .get(&token)
            .is_some_and(|client| client.finished && client.outbox.is_empty());
        if done {
            self.close(token, "left");
        }
    }

    /// Forgets a client and closes its socket (Python: sel.unregister(conn); conn.close()).
    fn close(&mut self, token: Token, why: &str) {
        if let Some(mut client) = self.clients.remove(&token) {
            let _ = self.registry.deregister(&mut client.stream);
            println!("closed {}: {why}", client.peer);
        }
    }
}
