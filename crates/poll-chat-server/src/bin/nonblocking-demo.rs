//! What `setblocking(False)` and `settimeout()` (tutorial 002's table) do to one plain socket,
//! before poll-chat-server puts non-blocking sockets to work in an event loop.
//!
//!     cargo run -p poll-chat-server --bin nonblocking-demo
//!
//! It talks to itself, on this machine: a listener, and one client of its own. Each step
//! prints what a call did, and how long it took.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use common::{Failure, HostPort};

/// Any free port: the demo is its own server and its own client.
const DEFAULT_PORT: u16 = 0;

/// Written at a time in step 6, like a server with a lot to say.
const CHUNK: usize = 64 * 1024;

/// Step 6 stops here if the kernel were to take this much without a `WouldBlock`: it takes a
/// few megabytes at most, so this is only a guard.
const MOST: usize = 1 << 30;

/// How long step 2 tries `accept()` again before giving up (the client's connection is in
/// the queue as soon as `connect()` returns, so one try is normally enough).
const ACCEPT_WITHIN: Duration = Duration::from_secs(1);

/// What a non-blocking socket does, and what a time-out does, shown on one connection.
#[derive(Parser, Debug)]
#[command(
    name = "nonblocking-demo",
    version,
    about = "What a non-blocking socket does, and what a time-out does, shown on one connection (Python: setblocking(False), settimeout)"
)]
struct Args {
    /// Where the demo's own listener listens (0: any free port)
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// The read time-out of step 4 (Python: settimeout), in seconds
    #[arg(long, value_name = "SECONDS", default_value = "0.5", value_parser = common::parse_seconds)]
    timeout: Duration,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(demo(&args))
}

fn demo(args: &Args) -> Result<(), Failure> {
    // ANCHOR: accept
    // Step 1 — a non-blocking listener: accept() with nobody there fails at once
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    let addr = listener.local_addr()?;
    println!("listening on {addr}");
    listener.set_nonblocking(true)?; // Python: listener.setblocking(False)
    let started = Instant::now();
    match listener.accept() {
        Err(error) if error.kind() == ErrorKind::WouldBlock => {
            println!(
                "accept() with nobody there: {} after {}, instead of waiting (Python: BlockingIOError)",
                kind(&error),
                took(started)
            );
        }
        Err(error) => return Err(Failure::new("accept() failed", &error)),
        Ok((_, peer)) => println!("accept(): somebody else connected, from {peer}"),
    }

    // Step 2 — a client connects: now accept() has something to return
    let client = TcpStream::connect(reachable(addr))
        .map_err(|error| Failure::new("cannot connect to its own listener", &error))?;
    let (served, peer) = accept_soon(&listener)?;
    println!("accept() after a client connected: a connection from {peer}");
    // ANCHOR_END: accept

    // ANCHOR: read
    // Step 3 — a non-blocking read with nothing to read fails at once too
    served.set_nonblocking(true)?; // Python: conn.setblocking(False)
    let mut buffer = [0; 1024];
    let started = Instant::now();
    match (&served).read(&mut buffer) {
        Err(error) if error.kind() == ErrorKind::WouldBlock => println!(
            "read() with nothing sent yet: {} after {} (Python: BlockingIOError)",
            kind(&error),
            took(started)
        ),
        Err(error) => return Err(Failure::new("read() failed", &error)),
        Ok(count) => println!("read(): {count} bytes were there already"),
    }

    // Step 4 — a time-out instead: read() waits, but not for ever
    served.set_nonblocking(false)?; // Python: conn.setblocking(True), the default
    served.set_read_timeout(Some(args.timeout))?; // Python: conn.settimeout(0.5)
    let started = Instant::now();
    match (&served).read(&mut buffer) {
        Err(error) if common::timed_out(&error) => println!(
            "read() with a {} s time-out and nothing sent: {} after {} (Python: socket.timeout)",
            args.timeout.as_secs_f64(),
            kind(&error),
            took(started)
        ),
        Err(error) => return Err(Failure::new("read() failed", &error)),
        Ok(count) => println!("read(): {count} bytes came in time"),
    }

    // Step 5 — with bytes waiting, read() returns them at once, in either mode
    (&client).write_all(b"hello")?;
    let started = Instant::now();
    let count = (&served).read(&mut buffer)?;
    println!(
        "read() after the client sent \"hello\": {count} bytes, {}, after {}",
        common::preview(&buffer[..count]),
        took(started)
    );
    // ANCHOR_END: read

    // ANCHOR: write
    // Step 6 — a non-blocking write takes what fits in the kernel's buffers, then WouldBlock
    // Nobody reads on the other side: a blocking write would wait here for ever (or until
    // its time-out). The non-blocking one says "the rest later".
    served.set_nonblocking(true)?;
    let chunk = vec![b'x'; CHUNK];
    let mut taken = 0;
    let stopped = loop {
        if taken >= MOST {
            break None;
        }
        match (&served).write(&chunk) {
            Ok(count) => taken += count,
            Err(error) if error.kind() == ErrorKind::WouldBlock => break Some(error),
            Err(error) => return Err(Failure::new("write() failed", &error)),
        }
    };
    match stopped {
        Some(error) => println!(
            "write() of {} KiB at a time, with nobody reading: the kernel took {taken} bytes, \
             then {} (Python: BlockingIOError); poll-chat-server keeps the rest in a buffer \
             of its own and writes it when the socket is writable again",
            CHUNK / 1024,
            kind(&error)
        ),
        None => println!("write(): the kernel took {taken} bytes, and would take more"),
    }
    // ANCHOR_END: write
    drop(client);
    Ok(())
}

/// `accept()` on a non-blocking listener, tried again for a moment: this is the loop that
/// an event loop makes unnecessary, by asking the system when to try.
fn accept_soon(listener: &TcpListener) -> Result<(TcpStream, SocketAddr), Failure> {
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok(connection) => return Ok(connection),
            Err(error) if error.kind() == ErrorKind::WouldBlock => {
                if started.elapsed() > ACCEPT_WITHIN {
                    return Err(Failure::new("nobody came to accept()", &error));
                }
                thread::sleep(Duration::from_millis(10)); // a guess: the loop's poll() knows
            }
            Err(error) => return Err(Failure::new("accept() failed", &error)),
        }
    }
}

/// The kind of an error, as Rust names it (`WouldBlock`, `TimedOut`).
fn kind(error: &std::io::Error) -> String {
    format!("{:?}", error.kind())
}

/// The time since `started`, to a tenth of a second: "0.0 s" means at once.
fn took(started: Instant) -> String {
    format!("{:.1} s", started.elapsed().as_secs_f64())
}

/// Where to connect to reach a listener: its own address, unless it listens on every
/// address (`0.0.0.0`, `::`), which is reached through loopback.
fn reachable(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        let loopback: std::net::IpAddr = match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        };
        addr.set_ip(loopback);
    }
    addr
}
