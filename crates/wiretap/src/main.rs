//! Lesson 8 — wiretap: a TCP proxy that shows every read it makes.
//!
//! A client connects to the tap instead of to its server; the tap connects to the server and
//! passes every byte on, unchanged, both ways. Each `read()` it makes is printed: which way
//! the bytes went, when, how many, and what they were. So you see where the reads really
//! fall: two `send()`s arriving as one read, one `send()` arriving as three (粘包).
//! Run the framing lesson's server, the tap in front of it, and the client through the tap,
//! each in a terminal of its own:
//!
//!     cargo run -p framing-server
//!     cargo run -p wiretap
//!     cargo run -p framing-client -- --port 9100
//!
//! `--to HOST:PORT` puts it in front of any other lesson's server
//! (`cargo run -p wiretap -- --to 127.0.0.1:9001` for the echo server).
//!
//! What it prints, one line each, every line starting with the connection's number:
//!
//! ```text
//! listening on 127.0.0.1:9100
//! forwarding to 127.0.0.1:9004
//! #1 connected from 127.0.0.1:51234
//! #1 connected to 127.0.0.1:9004
//! #1 client -> server +0.000412s 6 bytes: "hello\n"
//! #1 server -> client +0.000733s 6 bytes: "hello\n"
//! #1 client -> server +1.204518s end of stream after 6 bytes; passing it on with shutdown(Write)
//! #1 server -> client +1.204901s end of stream after 6 bytes; passing it on with shutdown(Write)
//! #1 closed after 1.204950s (client sent 6 bytes, server sent 6 bytes)
//! ```
//!
//! Times count from the moment the tap accepted that connection. `--hex` shows the bytes in
//! hex, `--full` shows long reads whole, `--quiet` leaves out the line per read.
//!
//! Each connection has two threads, one per direction, each in a plain loop: read from one
//! side, print, write all of it to the other side. A thread blocked in `read()` on one side
//! must not stop bytes flowing the other way, and two blocking loops say that in the fewest
//! words (lesson 5's chat client does the same with its keyboard and its socket).

mod show;

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown as Close, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use common::{Failure, HostPort, Shutdown, exit_code};
use show::Format;

/// The tap's own port, away from every lesson's, so that it can sit in front of any of them.
const DEFAULT_PORT: u16 = common::ports::WIRETAP;

/// Bytes read at a time. Large on purpose: the tap must show where the reads fall as the
/// kernel delivers them, not cut them up itself, and a large buffer moves bulk data (a 100 MB
/// test) with few system calls. `--buf-size 1024` shows what the tutorials' `recv(1024)` sees.
const BUFSIZ: usize = 64 * 1024;

/// The largest `--buf-size`, 16 MiB: every connection owns two buffers of this size.
const MAX_BUF_SIZE: u32 = 16 * 1024 * 1024;

/// How long connecting to the server may take. To a server on this machine (every lesson's),
/// a refusal comes at once; a host that does not answer at all would otherwise hold the
/// client for the system's time-out, two minutes or more.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A pause before accepting again after `accept()` failed (for example when the process ran
/// out of file descriptors). Retrying at once would fail again, thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// What `--help` adds below the options: how to read the tap's lines.
const READING_THE_LINES: &str = r#"Each read is one line: the connection's number, the direction, the time since the tap
accepted that connection, the byte count, and the bytes:
  #1 client -> server +0.000412s 6 bytes: "hello\n"
In the text view, \n \r \t \" \\ are escaped, and so is every byte that is not printable
UTF-8 (\xNN), so binary data shows as a run of \x.. escapes.
When one side shuts down its sending half, the tap passes it on with shutdown(Write) and keeps
the other direction flowing; when one side fails (a reset), the tap closes both."#;

/// TCP proxy that shows the bytes: listens on --host/--port, forwards every connection to
/// --to, and prints every read it makes on either side.
#[derive(Parser, Debug)]
#[command(version, about, after_help = READING_THE_LINES)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// The server to forward to. The default is the framing lesson's server, the first page
    /// that uses the tap; give `--to 127.0.0.1:9001` for the echo server, `[::1]:9001` for IPv6
    #[arg(long, value_name = "HOST:PORT", default_value_t = Upstream::framing())]
    to: Upstream,

    /// Show the bytes as hex (`68 69 0a`) instead of as text with escapes (`"hi\n"`)
    #[arg(long)]
    hex: bool,

    /// Show every byte of long reads (by default a read of more than 96 bytes shows its first
    /// 64 and last 16 bytes; with --hex, more than 48 shows 32 and 8)
    #[arg(long)]
    full: bool,

    /// Bytes read at a time from each side
    #[arg(long, value_name = "BYTES", default_value_t = BUFSIZ as u32, value_parser = clap::value_parser!(u32).range(1..=MAX_BUF_SIZE as i64))]
    buf_size: u32,

    /// No line per read: only connections opening and closing, with their byte totals, e.g.
    /// to move a lot of data fast
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(serve(&args))
}

fn serve(args: &Args) -> Result<(), Failure> {
    // ANCHOR: resolve
    // Step 1 — find the server to forward to
    // Python: socket.getaddrinfo(host, port). Done once, at the start: a misspelt --to is
    // one clear error now, not one per client later.
    let upstream = args.to.resolve()?;
    // ANCHOR_END: resolve

    // Step 2 — create a socket, bind it and listen, like every lesson's server
    // Python: s = socket.socket(); s.bind(ADDR); s.listen()
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    let local = listener.local_addr()?;
    if upstream.iter().any(|addr| is_the_tap(*addr, local)) {
        // Every connection would open another one to the tap itself, without end.
        return Err(Failure::custom(
            format!("--to {} is the tap itself", args.to),
            Some("give the address of the server to watch, e.g. --to 127.0.0.1:9001".into()),
            exit_code::USAGE,
        ));
    }

    // Step 3 — let Ctrl-C stop the tap cleanly (lesson 1 explains how)
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    // Only now say that the tap is ready: a Ctrl-C from here on is caught.
    println!("listening on {local}");
    // Not println!: when the output was closed after the first line (`wiretap | head -1`),
    // the program must still be there for the client that comes next; that client's first
    // log line then stops it quietly (see common::stop_quietly_on_closed_output).
    let _ = writeln!(io::stdout(), "forwarding to {}", args.to);
    // Log lines are written by a thread of their own (common::log explains why).
    let _logger = common::Logger::start();

    let format = if args.hex { Format::Hex } else { Format::Text };
    thread::scope(|scope| {
        // Connections are numbered in the order they came, so that the lines of many
        // connections at once can be told apart.
        let mut number = 0;
        loop {
            // Step 4 — wait for a client, and give its connection a thread
            // Python: conn, addr = s.accept()
            let (client, peer) = match listener.accept() {
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
            number += 1;
            let tap = Tap {
                number,
                accepted: Instant::now(),
                format,
                args,
                shutdown: &shutdown,
                broken: AtomicBool::new(false),
            };
            let upstream = &upstream;
            let spawned = thread::Builder::new()
                .name(format!("#{number} client -> server"))
                .spawn_scoped(scope, move || tap.connection(client, peer, upstream));
            if let Err(error) = spawned {
                common::log!(
                    "#{number} cannot start a thread: {}; closing the connection",
                    common::describe(&error)
                );
            }
        }
    });
    common::log!("server stopped");
    Ok(())
}

/// Which way bytes go through the tap.
#[derive(Debug, Clone, Copy)]
enum Direction {
    ClientToServer,
    ServerToClient,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::ClientToServer => "client -> server",
            Direction::ServerToClient => "server -> client",
        })
    }
}

/// One client's connection through the tap, shared by its two threads.
struct Tap<'a> {
    /// `#1`, `#2` ...: at the start of each of this connection's lines.
    number: u64,
    /// When the tap accepted the connection: the times on its lines count from here, so that
    /// they read the same however long the tap has been running.
    accepted: Instant,
    /// Text or hex (`--hex`), decided once for every connection.
    format: Format,
    /// The options: `--to` for the lines, `--buf-size`, `--full` and `--quiet`.
    args: &'a Args,
    /// Whether Ctrl-C was pressed, and the watch list it shuts the sockets of.
    shutdown: &'a Shutdown,
    /// Set by the direction that failed (a reset, a write that could not be done), before it
    /// closes both sides: the other direction's read then ends too, and must not report that
    /// as the peer closing.
    broken: AtomicBool,
}

impl Tap<'_> {
    /// `+0.000412s`: the time since the connection was accepted, to the microsecond.
    fn since(&self) -> String {
        format!("+{:.6}s", self.accepted.elapsed().as_secs_f64())
    }

    /// True once the tap itself ended the connection (Ctrl-C, or the other direction failed):
    /// what the sockets do from then on is not the peers' doing.
    fn ended_by_the_tap(&self) -> bool {
        self.broken.load(Ordering::SeqCst) || self.shutdown.requested()
    }

    /// The whole life of one connection, on its own thread.
    fn connection(&self, client: TcpStream, peer: SocketAddr, upstream: &[SocketAddr]) {
        let number = self.number;
        common::log!("#{number} connected from {peer}");

        // ANCHOR: connect
        // Step 5 — connect to the server
        // Python: socket.create_connection((host, port), timeout)
        let server = match connect(upstream) {
            Ok(server) => server,
            Err(error) => {
                // The client's connection is closed (dropped) at the end of this function: it
                // sees the end of the stream (or a reset, if it had sent bytes the tap never
                // read), and the tap goes on serving others.
                common::log!(
                    "#{number} cannot reach {}: {}; closing the client's connection",
                    self.args.to,
                    common::describe(&error)
                );
                return;
            }
        };
        common::log!("#{number} connected to {}", self.args.to);
        // ANCHOR_END: connect

        // ANCHOR: both-ways
        // Step 6 — forward both ways at once: one thread per direction
        // Both sockets are shared by the two threads (a `&TcpStream` reads and writes), and
        // watched, so that Ctrl-C shuts them down and wakes any blocked read or write.
        let client = Arc::new(client);
        let server = Arc::new(server);
        let watched = (self.shutdown.watch(&client), self.shutdown.watch(&server));
        let (sent_by_client, sent_by_server) = thread::scope(|directions| {
            let back = thread::Builder::new()
                .name(format!("#{number} server -> client"))
                .spawn_scoped(directions, || {
                    self.forward(&server, &client, Direction::ServerToClient)
                });
            let Ok(back) = back else {
                common::log!("#{number} cannot start a thread; closing the connection");
                return (0, 0);
            };
            let there = self.forward(&client, &server, Direction::ClientToServer);
            // A panic cannot happen in `forward`; if it did, count nothing for that side.
            (there, back.join().unwrap_or(0))
        });
        // ANCHOR_END: both-ways

        // Step 7 — close both connections
        // Python: conn.close(); upstream.close(). Dropping the last `Arc` of each closes it:
        // the watches let go of their share first.
        drop(watched);
        drop((client, server));
        let totals = format!(
            "client sent {}, server sent {}",
            show::count(sent_by_client),
            show::count(sent_by_server)
        );
        let elapsed = self.accepted.elapsed().as_secs_f64();
        if self.shutdown.requested() {
            common::log!("#{number} closed after {elapsed:.6}s ({totals}): the server is stopping");
        } else {
            common::log!("#{number} closed after {elapsed:.6}s ({totals})");
        }
    }

    // ANCHOR: forward
    /// One direction of step 6: read from one side, show what came, write all of it to the
    /// other side, until the end of the stream; then pass the end of the stream on. Returns
    /// how many bytes it passed on.
    fn forward(&self, from: &TcpStream, to: &TcpStream, direction: Direction) -> u64 {
        let number = self.number;
        let (mut from, mut to) = (from, to);
        let mut buffer = vec![0; self.args.buf_size as usize];
        let mut total = 0;
        loop {
            // Python: data = source.recv(BUFSIZ)
            let received = match from.read(&mut buffer) {
                Ok(0) => break, // Python: `if not data: break`, that side shut down its sending
                Ok(received) => received,
                // A signal arrived while waiting: nothing happened, read again.
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    let why = format!("read failed: {}", common::describe(&error));
                    self.abandon(direction, &why, from, to);
                    return total;
                }
            };
            let data = &buffer[..received];
            if !self.args.quiet {
                let shown = show::read(data, self.format, self.args.full);
                common::log!("#{number} {direction} {} {shown}", self.since());
            }
            // Python: target.sendall(data)
            if let Err(error) = to.write_all(data) {
                let why = format!(
                    "cannot pass on {received} bytes: {}",
                    common::describe(&error)
                );
                self.abandon(direction, &why, from, to);
                return total;
            }
            total += received as u64;
        }
        if self.ended_by_the_tap() {
            return total; // not the peer's end of stream: nothing to pass on or to report
        }
        // ANCHOR: half-close
        // Logged first: the other side answers the moment it sees the end of the stream, and
        // the answer's line must come after this one.
        common::log!(
            "#{number} {direction} {} end of stream after {}; passing it on with shutdown(Write)",
            self.since(),
            show::count(total)
        );
        // The half-close: this side will send no more, but may still read. Tell the other
        // side the same and no more: the other direction keeps flowing.
        // Python: target.shutdown(socket.SHUT_WR). An error only means it is gone already.
        let _ = to.shutdown(Close::Write);
        // ANCHOR_END: half-close
        total
    }
    // ANCHOR_END: forward

    /// A direction failed (a reset, a side that vanished): ends the whole connection, both
    /// sides at once, since half of a broken conversation is of no use to anybody. Shutting
    /// both sockets down wakes the other direction's thread, wherever it is blocked.
    fn abandon(&self, direction: Direction, what: &str, from: &TcpStream, to: &TcpStream) {
        let first = !self.broken.swap(true, Ordering::SeqCst);
        if first && !self.shutdown.requested() {
            common::log!(
                "#{} {direction} {} {what}; closing both sides",
                self.number,
                self.since()
            );
        }
        // Errors only mean that a side is gone already.
        let _ = from.shutdown(Close::Both);
        let _ = to.shutdown(Close::Both);
    }
}

/// Connects to the first of `addrs` that answers, each within [`CONNECT_TIMEOUT`], as
/// `TcpStream::connect` tries every address of a name. The last error if none does.
fn connect(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last_error = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
    for addr in addrs {
        match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = error,
        }
    }
    Err(last_error)
}

/// Whether connecting to `upstream` would reach the tap listening on `local`.
fn is_the_tap(upstream: SocketAddr, local: SocketAddr) -> bool {
    upstream.port() == local.port()
        && (upstream.ip() == local.ip()
            || (local.ip().is_unspecified() && upstream.ip().is_loopback()))
}

/// `--to HOST:PORT`: where the tap forwards to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Upstream {
    host: String,
    port: u16,
}

impl Upstream {
    /// The default: the framing lesson's server on this machine.
    fn framing() -> Upstream {
        Upstream {
            host: "127.0.0.1".to_string(), // where every lesson's server listens by default
            port: common::ports::FRAMING,
        }
    }

    /// The addresses of the host, as `HostPort::resolve` finds them for --host.
    fn resolve(&self) -> Result<Vec<SocketAddr>, Failure> {
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|error| Failure::unknown_host(&self.host, &error))?
            .collect();
        if addrs.is_empty() {
            let error = io::Error::other("the name has no address");
            return Err(Failure::unknown_host(&self.host, &error));
        }
        Ok(addrs)
    }
}

impl std::str::FromStr for Upstream {
    type Err = String;

    /// `127.0.0.1:9001`, `localhost:9001`, `[::1]:9001` (an IPv6 address in brackets, as in
    /// a URL, since it has colons of its own).
    fn from_str(text: &str) -> Result<Upstream, String> {
        let Some((host, port)) = text.rsplit_once(':') else {
            return Err("give HOST:PORT, e.g. 127.0.0.1:9001".into());
        };
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(ipv6) => ipv6,
            None if host.contains(':') => {
                return Err("put an IPv6 address in brackets, e.g. [::1]:9001".into());
            }
            None => host,
        };
        if host.is_empty() {
            return Err("the host is missing; give HOST:PORT, e.g. 127.0.0.1:9001".into());
        }
        let port: u16 = port
            .parse()
            .map_err(|_| format!("'{port}' is not a port number (1 to 65535)"))?;
        if port == 0 {
            return Err("port 0 cannot be connected to; give the server's port".into());
        }
        Ok(Upstream {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for Upstream {
    /// `host:port`, with an IPv6 address in brackets (`[::1]:9001`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_parse_with_brackets_for_ipv6() {
        let parsed: Upstream = "[::1]:9001".parse().expect("IPv6");
        assert_eq!((parsed.host.as_str(), parsed.port), ("::1", 9001));
        assert_eq!(parsed.to_string(), "[::1]:9001");
        let parsed: Upstream = "localhost:80".parse().expect("name");
        assert_eq!(parsed.to_string(), "localhost:80");
        for bad in ["9001", "::1:9001", ":9001", "host:", "host:70000", "host:0"] {
            assert!(bad.parse::<Upstream>().is_err(), "{bad}");
        }
        assert_eq!(Upstream::framing().to_string(), "127.0.0.1:9004");
    }

    #[test]
    fn the_tap_is_not_its_own_upstream() {
        let addr = |text: &str| text.parse::<SocketAddr>().expect("address");
        assert!(is_the_tap(addr("127.0.0.1:9100"), addr("127.0.0.1:9100")));
        assert!(is_the_tap(addr("127.0.0.1:9100"), addr("0.0.0.0:9100")));
        assert!(!is_the_tap(addr("127.0.0.1:9004"), addr("127.0.0.1:9100")));
    }
}
