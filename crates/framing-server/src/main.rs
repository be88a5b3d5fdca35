//! Lesson 8 — message boundaries (粘包): the framing server (tutorials 000 and 003).
//!
//! TCP carries bytes, not messages. This server reads messages with the framing you choose
//! and answers each one with one message in the same framing: `#3 (5 bytes) hello`, the
//! message unchanged after its number and length. Its log shows where it found each message's
//! end. Run it, then talk to it from a second terminal:
//!
//!     cargo run -p framing-server -- --framing none
//!     cargo run -p framing-client -- --framing none --count 3      # three sends, one message
//!
//! `--framing none` reads like the tutorials: one `recv(1024)` is one message. To show what
//! that does every time, not only on a busy day, this server then reads like a busy one: after
//! data arrives it waits `--read-delay` milliseconds (200) before each `recv`. Messages sent
//! back to back are glued together; a message sent in pieces with longer gaps is split; a
//! message longer than 1024 bytes is always split.
//!
//! `--framing fixed`, `line` and `length` (the default) find every message whole, however
//! the bytes arrive. The framing code itself is `common::framing`, shared with the client.

use std::io::{self, BufReader, ErrorKind};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::framing::{self, FrameError, Framing};
use common::{Failure, HostPort, Shutdown};

/// The lesson's port: no tutorial program uses it, so the lesson takes the first free one
/// after the tutorials' 9001-9003.
const DEFAULT_PORT: u16 = common::ports::FRAMING;

/// How long `--framing none` waits after data arrives before each `recv`, in milliseconds,
/// unless `--read-delay` says otherwise. A busy server reads late; on an idle laptop a `recv`
/// comes within microseconds and would catch each message alone, by luck. 200 ms is far
/// longer than a client takes to send several messages back to back (microseconds), so they
/// are glued every time, and short enough not to feel slow.
const DEFAULT_READ_DELAY_MS: u64 = 200;

/// A pause before accepting again after `accept()` failed (for example when the process ran
/// out of file descriptors). Retrying at once would fail again, thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Framing server: reads messages in the framing you choose and answers each one.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    #[command(flatten)]
    framing: framing::Options,

    /// With --framing none: wait this long after data arrives before each recv, as a busy
    /// server would, so that messages sent back to back are glued every time
    #[arg(long, value_name = "MILLISECONDS", default_value_t = DEFAULT_READ_DELAY_MS,
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    read_delay: u64,

    /// No line per message received (connects, leaves and errors still print), e.g. for a
    /// benchmark
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(serve(&args))
}

fn serve(args: &Args) -> Result<(), Failure> {
    // ANCHOR: bind
    // Step 1 — create a socket, bind it and listen
    // Python: s = socket.socket(); s.bind(ADDR); s.listen(). TcpListener::bind does all three.
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    // ANCHOR_END: bind

    // ANCHOR: ctrl-c
    // Step 2 — let Ctrl-C stop the server cleanly, then say how it frames messages
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    println!("listening on {}", listener.local_addr()?);
    let _logger = common::Logger::start();
    common::log!("framing: {}", args.framing.describe());
    if args.framing.framing == Framing::None {
        common::log!(
            "each recv waits {} ms after data arrives, as a busy server would (--read-delay)",
            args.read_delay
        );
    }
    // ANCHOR_END: ctrl-c

    // ANCHOR: accept
    thread::scope(|scope| {
        loop {
            // Step 3 — wait for a client
            // Python: conn, addr = s.accept()
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

            // Step 4 — serve each client on a thread of its own
            // Python: threading.Thread(target=handle_client, args=(conn, addr)).start()
            let shutdown = &shutdown;
            let spawned = thread::Builder::new()
                .name(format!("client {peer}"))
                .spawn_scoped(scope, move || serve_client(stream, peer, args, shutdown));
            if let Err(error) = spawned {
                eprintln!(
                    "cannot start a thread for {peer}: {}",
                    common::describe(&error)
                );
            }
        }
    });
    // ANCHOR_END: accept
    common::log!("server stopped");
    Ok(())
}

// ANCHOR: serve-client
/// Talks to one client until it leaves or breaks the framing. Whatever goes wrong ends this
/// client, not the server; every message framed before that was answered.
fn serve_client(stream: TcpStream, peer: SocketAddr, args: &Args, shutdown: &Shutdown) {
    common::log!("connected from {peer}");
    let stream = Arc::new(stream);
    let watched = shutdown.watch(&stream);
    // Step 5 — read each message in the framing, and answer it
    match answer_messages(&stream, peer, args) {
        _ if shutdown.requested() => common::log!("closed {peer}: the server is stopping"),
        Ok(count) => common::log!("client {peer} left after {}", messages(count)),
        // It closed in the middle of a message: it left, and the log says what was cut.
        Err(error) if error.peer_closed() => {
            common::log!("client {peer} left in the middle of a message: {error}");
        }
        // A connection error such as a reset.
        Err(FrameError::Io(error)) => {
            common::log!("client {peer} left: {}", common::describe(&error));
        }
        // It broke a limit: the server refuses to read on, and closes the connection.
        Err(error) => common::log!("closed {peer}: {error}"),
    }
    // Step 6 — close the connection
    // Python: conn.close(). Dropping the last `Arc` closes it; the watch lets go first.
    drop(watched);
    drop(stream);
}
// ANCHOR_END: serve-client

// ANCHOR: answer-messages
/// The loop of step 5: returns how many messages were answered when the client closed the
/// connection cleanly, between two messages.
fn answer_messages(stream: &TcpStream, peer: SocketAddr, args: &Args) -> Result<u64, FrameError> {
    let options = &args.framing;
    // `&TcpStream` reads and writes too: a buffered reader takes one, the answers the other.
    let mut requests = BufReader::new(stream);
    let mut answers = stream;
    let delay = Duration::from_millis(args.read_delay);
    let mut answered = 0;
    loop {
        if options.framing == Framing::None {
            read_late(stream, delay)?;
        }
        // Python (none): data = conn.recv(1024); (length): header = myreceive(conn, 4) ...
        let Some(message) = options.read(&mut requests)? else {
            return Ok(answered); // Python: `if not data: break`, between two messages
        };
        let number = answered + 1;
        if !args.quiet {
            log_message(options, number, peer, &message);
        }
        // Python: conn.sendall(struct.pack('!I', len(answer)) + answer), in the framing
        let answer = framing::answer(options.framing, number, &message);
        options.write(&mut answers, &answer)?;
        answered = number;
    }
}
// ANCHOR_END: answer-messages

// ANCHOR: read-late
/// `--framing none` only: waits until data has arrived (or the client closed), then waits
/// `delay` more, as a server busy with other work would, before the `recv`. Whatever the
/// client sent meanwhile is glued to the first bytes.
fn read_late(stream: &TcpStream, delay: Duration) -> io::Result<()> {
    loop {
        // Python: select.select([conn], [], []). `peek` waits like `recv` but takes nothing.
        match stream.peek(&mut [0; 1]) {
            Ok(0) => return Ok(()), // the end of the stream: nothing to wait for
            Ok(_) => break,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    thread::sleep(delay); // Python: time.sleep(0.2), the "busy" part
    Ok(())
}
// ANCHOR_END: read-late

/// The log line of one message: its number, its length, and a preview.
fn log_message(options: &framing::Options, number: u64, peer: SocketAddr, message: &[u8]) {
    let shown = options.shown(message);
    // An empty message is legal in line and length framing. A reader written like the
    // tutorials (`if not data: break`) would take it for the end of the stream.
    let note = if message.is_empty() {
        " (an empty message, not the end of the stream)"
    } else {
        ""
    };
    common::log!(
        "received message {number} from {peer}, {} bytes: {shown}{note}",
        message.len()
    );
}

/// "1 message", "3 messages".
fn messages(count: u64) -> String {
    match count {
        1 => "1 message".into(),
        _ => format!("{count} messages"),
    }
}
