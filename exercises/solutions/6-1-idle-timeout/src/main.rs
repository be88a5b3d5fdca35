//! Exercise 6.1 — an idle time-out in the event loop (lesson 6): a reference solution.
//!
//! The starter is `exercises/starters/6-1-idle-timeout`; the loop in `serve` changed, and
//! `Server::timeout` and `Server::close_all_idle` are new. Check it as the students' programs
//! are checked:
//!
//!     scripts/exercise.sh check 6.1 --solution

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use common::{Failure, HostPort, Shutdown};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};

/// Lesson 6's port, so that `cargo run -p chat-client -- --port 9005` talks to this server.
const DEFAULT_PORT: u16 = common::ports::POLL_CHAT;

/// The listener's token; clients count up from 1, never reused, so that an event for a client
/// that was just closed finds nobody.
const LISTENER: Token = Token(0);

/// The one read buffer, shared by every client: the loop reads one socket at a time.
const READ_SIZE: usize = 16 * 1024;

/// Exercise 6.1: an echo server, on one thread, that closes clients who stay silent.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// Seconds a client may send nothing before the server closes its connection
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = common::parse_seconds)]
    idle: Duration,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(serve(&args))
}

/// One client: its socket, and when it last sent something.
struct Client {
    stream: TcpStream,
    peer: SocketAddr,
    /// When its last bytes came (or when it connected): it is idle from then on.
    heard_at: Instant,
}

/// Everything the loop keeps between two `poll()`s.
struct Server {
    listener: TcpListener,
    /// A handle to the poller, to register and deregister clients.
    registry: Registry,
    clients: HashMap<Token, Client>,
    next_token: usize,
    buffer: Vec<u8>,
    /// `--idle`.
    idle: Duration,
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
        idle: args.idle,
    };
    let mut events = Events::with_capacity(256);
    // ANCHOR: todo
    // The event loop: wait until a socket is ready, do what can be done now, repeat.
    loop {
        // Sleep until a socket is ready, or until the soonest client's deadline: no longer.
        let timeout = server.timeout();
        // Python: for key, mask in sel.select(timeout):
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(Failure::new("cannot wait for the sockets", &error)),
        }
        for event in events.iter() {
            match event.token() {
                LISTENER => server.accept_all(&shutdown),
                client => server.read_all(client),
            }
        }
        // Whether poll() returned for an event or for the time-out, whoever is past their
        // deadline now is closed.
        server.close_all_idle();
        if shutdown.requested() {
            break;
        }
    }
    // ANCHOR_END: todo
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
            let heard_at = Instant::now();
            let client = Client {
                stream,
                peer,
                heard_at,
            };
            self.clients.insert(token, client);
        }
    }

    /// Reads what `token` sent, until `WouldBlock`, and sends it back.
    fn read_all(&mut self, token: Token) {
        let Some(client) = self.clients.get_mut(&token) else {
            return; // closed earlier in this round
        };
        loop {
            match client.stream.read(&mut self.buffer) {
                Ok(0) => return self.close(token, "left"),
                Ok(count) => {
                    client.heard_at = Instant::now();
                    // Small echoes fit in the kernel's send buffer. One that does not is a
                    // client that does not read: it is closed (exercise 6.2 keeps the bytes).
                    if let Err(error) = client.stream.write_all(&self.buffer[..count]) {
                        let why = format!("cannot send to it: {}", common::describe(&error));
                        return self.close(token, &why);
                    }
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return self.close(token, &common::describe(&error)),
            }
        }
    }

    /// How long `poll` may sleep: until the soonest deadline, a client's last bytes plus
    /// `--idle` (zero if it has passed), or for ever (`None`) with no client.
    fn timeout(&self) -> Option<Duration> {
        let soonest = self.clients.values().map(|client| client.heard_at).min()?;
        let deadline = soonest.checked_add(self.idle)?; // an `--idle` of centuries: for ever
        Some(deadline.saturating_duration_since(Instant::now()))
    }

    /// Closes every client that has sent nothing for `--idle`.
    fn close_all_idle(&mut self) {
        let now = Instant::now();
        let idle: Vec<Token> = self
            .clients
            .iter()
            .filter(|(_, client)| now.duration_since(client.heard_at) >= self.idle)
            .map(|(&token, _)| token)
            .collect();
        for token in idle {
            self.close_idle(token);
        }
    }

    /// Says goodbye to a client that has been silent for `--idle`, and closes it.
    fn close_idle(&mut self, token: Token) {
        let seconds = self.idle.as_secs_f64();
        if let Some(client) = self.clients.get_mut(&token) {
            let goodbye = format!("* you sent nothing for {seconds} s: goodbye\n");
            let _ = client.stream.write_all(goodbye.as_bytes()); // it may be gone already
        }
        self.close(token, &format!("idle for {seconds} s"));
    }

    /// Forgets a client and closes its socket (Python: sel.unregister(conn); conn.close()).
    fn close(&mut self, token: Token, why: &str) {
        if let Some(mut client) = self.clients.remove(&token) {
            let _ = self.registry.deregister(&mut client.stream);
            println!("closed {}: {why}", client.peer);
        }
    }
}
