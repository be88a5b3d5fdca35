//! Lesson 3 — receive until the client closes, then print it all (tutorial 002).
//!
//! Accepts one client, reads everything it sends until it closes its side of the connection,
//! prints what arrived and exits. Run it, then send it something from a second terminal:
//!
//!     cargo run -p oneshot-server
//!     cargo run -p oneshot-client                       # sends 666
//!
//! `cargo run -p oneshot-server -- --keep-going` serves one client after another instead.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, Shutdown};

/// The lesson's port, the one tutorial 002 uses.
const DEFAULT_PORT: u16 = common::ports::ONESHOT;

/// The tutorial reads at most 1024 bytes per `recv`. Kept small on purpose: anything longer
/// arrives in several reads, and the loop must put them back together.
const BUFSIZ: usize = 1024;

/// The most the server keeps from one client unless `--max-bytes` says otherwise: 1 MiB.
/// The tutorial grows its string for as long as the client sends, so one client can fill the
/// server's memory. A limit makes that impossible, and the server says when it was reached.
const DEFAULT_MAX_BYTES: usize = 1024 * 1024;

/// A pause before accepting again after `accept()` failed (for example when the process ran
/// out of file descriptors). Retrying at once would fail again, thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Receives everything one client sends until it closes its side, then prints it.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// After a client, wait for the next one (default: stop after one, like the tutorial)
    #[arg(long)]
    keep_going: bool,

    /// Keep at most this many bytes from one client; past that, stop reading and say so
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BYTES)]
    max_bytes: usize,

    /// Print how many bytes came, not the text itself (connects, leaves and errors still
    /// print), e.g. for a benchmark
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
    // Python: server = socket.socket(); server.bind(("0.0.0.0", 8000)); server.listen()
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    // ANCHOR_END: bind

    // ANCHOR: ctrl-c
    // Step 2 — let Ctrl-C stop the server cleanly
    // Ctrl-C wakes the accept() below, and ends a read from a client that is connected.
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    // Only now say that the server is ready: a Ctrl-C from here on is caught.
    println!("listening on {}", listener.local_addr()?);
    // ANCHOR_END: ctrl-c

    // ANCHOR: serve
    loop {
        // Step 3 — wait for a client, and receive until it closes its side
        // Python: sock, addr = server.accept()
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(error) => {
                // One failed accept must not end the server.
                eprintln!("accept failed: {}", common::describe(&error));
                thread::sleep(ACCEPT_RETRY);
                continue;
            }
        };
        if shutdown.requested() {
            break; // that "client" was Ctrl-C waking us up
        }
        println!("connected from {peer}");

        // Receive until the client closes its side.
        // Python: while True: temp_data = sock.recv(1024); if not temp_data: break ...
        // The stream is shared with the Ctrl-C handler, which shuts it down to end the read.
        let stream = Arc::new(stream);
        let watched = shutdown.watch(&stream); // Ctrl-C ends the read, as if the client left
        let mut received = Vec::new();
        let mut ending = receive_all(&stream, args.max_bytes, &mut received);
        // Ctrl-C ends the read exactly as the client's end of stream does (read returns 0),
        // so only the flag tells them apart. After Ctrl-C nobody knows whether more was on
        // its way: never present what arrived as the whole message. (If the client finished
        // just as Ctrl-C came, it may have been whole after all: the safer mistake.)
        if shutdown.requested() && ending.is_ok() {
            ending = Err(io::Error::other("the server is stopping"));
        }

        // Step 4 — print everything that arrived
        // Python: print(data)
        print_received(&received, peer, args.quiet)
            .map_err(|error| Failure::new("cannot print what was received", &error))?;

        // ANCHOR: close
        // Step 5 — close the connection, then stop or serve the next client
        // Python: sock.close() (the tutorial leaves it to the end of the program). Dropping
        // the last `Arc` of the stream closes it: the watch lets go of its share first.
        drop(watched);
        drop(stream);
        match ending {
            Ok(()) => {}
            // With --keep-going, a client that sent too much or broke the connection is this
            // client's problem: say so and carry on. After Ctrl-C, say so and stop cleanly.
            Err(error) if args.keep_going || shutdown.requested() => {
                println!("incomplete data from {peer}: {}", common::describe(&error));
            }
            // Without it, the one thing this program does is incomplete: exit with an error,
            // so a script that checks the exit status cannot take a cut message for all of it.
            Err(error) => return Err(Failure::new(format!("incomplete data from {peer}"), &error)),
        }
        if !args.keep_going || shutdown.requested() {
            break;
        }
        // ANCHOR_END: close
    }
    // ANCHOR_END: serve
    println!("server stopped");
    Ok(())
}

// ANCHOR: receive-all
/// Step 4's loop: reads from `stream` until the client closes its side, appending to
/// `received`, and keeps at most `max_bytes`. Like `Read::read_to_end`, what arrived before an
/// error stays in `received`. Errors: the client sent more than `max_bytes` (the rest is left
/// unread), or the connection broke (for example, the client reset it).
fn receive_all(stream: &TcpStream, max_bytes: usize, received: &mut Vec<u8>) -> io::Result<()> {
    let mut stream = stream; // `&TcpStream` reads too
    let mut buffer = [0; BUFSIZ];
    loop {
        let room = max_bytes.saturating_sub(received.len());
        if room == 0 {
            // Full. Is there more? peek() looks at the next byte without taking it.
            // Python: sock.recv(1, socket.MSG_PEEK)
            if stream.peek(&mut [0])? == 0 {
                return Ok(()); // exactly max_bytes, then the end of the stream: all is here
            }
            return Err(io::Error::other(format!(
                "stopped after {max_bytes} bytes (--max-bytes); the rest was not read"
            )));
        }
        // Python: temp_data = sock.recv(1024)
        let count = stream.read(&mut buffer[..room.min(BUFSIZ)])?;
        if count == 0 {
            return Ok(()); // end of stream: the client closed its side, nothing more will come
        }
        // Bytes, not text: a character cut in two by this read is whole again at the end.
        received.extend_from_slice(&buffer[..count]);
    }
}
// ANCHOR_END: receive-all

// ANCHOR: print-received
/// Step 4: a line saying how much arrived from whom, then the text itself (unless `quiet`).
/// Invalid UTF-8 becomes `�` instead of a crash, and control characters are shown escaped
/// (`\u{1b}`). A text without a final newline gets one, so the next line starts on a line of
/// its own.
fn print_received(received: &[u8], peer: SocketAddr, quiet: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    if received.is_empty() || quiet {
        return writeln!(out, "received {} bytes from {peer}", received.len());
    }
    writeln!(out, "received {} bytes from {peer}:", received.len())?;
    // Decoded once, when everything is here: the tutorial decodes every 1024-byte piece on its
    // own, and crashes when a piece ends in the middle of a character.
    let text = String::from_utf8_lossy(received);
    // Shown, not obeyed: printed raw, a client's ESC, BEL or right-to-left marks could clear,
    // retitle or scramble the terminal of whoever runs the server.
    let text = common::terminal_safe(&text);
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    out.flush()
}
// ANCHOR_END: print-received

#[cfg(test)]
mod tests {
    use super::*;

    /// A client whose connection breaks mid-send: the server keeps what arrived and reports
    /// the reset. (Tests of the whole program are in `tests/`; this one needs to make a client
    /// reset its connection, which only a socket in this process can be made to do.)
    #[test]
    fn a_reset_keeps_what_arrived_and_reports_the_error() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (mut served, _) = listener.accept().expect("accept");

        // A socket closed while data it never read waits in it sends a reset (RST) instead of
        // an end of stream (FIN). So give the client something it will never read.
        served.write_all(b"never read").expect("send to the client");
        client
            .peek(&mut [0])
            .expect("wait until it is there, and leave it unread");
        client.write_all(b"partial").expect("send to the server");
        drop(client); // closed with unread data: the client's socket sends a reset

        let mut received = Vec::new();
        let ending = receive_all(&served, 1024, &mut received);
        let error = ending.expect_err("a reset is an error");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset, "{error}");
        assert_eq!(
            received, b"partial",
            "what arrived before the reset is kept"
        );
    }

    #[test]
    fn exactly_max_bytes_is_not_too_many_but_one_more_is() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        for (sent, complete) in [(&b"12345"[..], true), (&b"123456"[..], false)] {
            let mut client = TcpStream::connect(addr).expect("connect");
            let (mut served, _) = listener.accept().expect("accept");
            client.write_all(sent).expect("send");
            client
                .shutdown(std::net::Shutdown::Write)
                .expect("end of stream");

            let mut received = Vec::new();
            let ending = receive_all(&served, 5, &mut received);
            assert_eq!(received, b"12345");
            assert_eq!(ending.is_ok(), complete, "{sent:?}: {ending:?}");
            if !complete {
                let mut rest = Vec::new();
                served.read_to_end(&mut rest).expect("the unread rest");
                assert_eq!(rest, b"6", "peek() left the extra byte unread");
            }
        }
    }
}
