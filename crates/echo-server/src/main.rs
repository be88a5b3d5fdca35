//! Lesson 1 — TCP echo server (tutorials 000 and 004).
//!
//! Sends every byte it receives straight back to the client. Run it, then talk to it from a
//! second terminal:
//!
//!     cargo run -p echo-server
//!     cargo run -p echo-client
//!
//! Like the tutorial it serves one client at a time: a second client waits until the first
//! leaves. `cargo run -p echo-server -- --threads` gives each client a thread of its own.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, Shutdown};

/// The lesson's port, the one tutorial 004 uses.
const DEFAULT_PORT: u16 = common::ports::ECHO;

/// The tutorial reads at most 1024 bytes per `recv`. Kept small on purpose: send more than
/// that and the log shows one message arriving as several reads. `--buf-size` changes it:
/// 65536 moves bulk data with far fewer system calls.
const BUFSIZ: usize = 1024;

/// The largest `--buf-size`, 16 MiB: every client thread owns a buffer of this size.
const MAX_BUF_SIZE: u32 = 16 * 1024 * 1024;

/// A pause before accepting again after `accept()` failed (for example when the process ran
/// out of file descriptors). Retrying at once would fail again, thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// TCP echo server: sends every byte it receives back to the client.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// Serve each client on its own thread (default: one client at a time, like the tutorial)
    #[arg(long)]
    threads: bool,

    /// Bytes read at a time from each client (the tutorial reads 1024)
    #[arg(long, value_name = "BYTES", default_value_t = BUFSIZ as u32, value_parser = clap::value_parser!(u32).range(1..=MAX_BUF_SIZE as i64))]
    buf_size: u32,

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
    // Step 2 — let Ctrl-C stop the server cleanly
    // The tutorial dies with a KeyboardInterrupt traceback. Here Ctrl-C wakes the loop below.
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    // Only now say that the server is ready: a Ctrl-C from here on is caught.
    println!("listening on {}", listener.local_addr()?);

    // From here on, log lines are written by a thread of their own, so that client threads
    // never wait for the terminal (common::log explains why).
    let _logger = common::Logger::start();
    // ANCHOR_END: ctrl-c

    // ANCHOR: accept
    // A scope lets client threads borrow `shutdown`, and waits for all of them at its end.
    thread::scope(|scope| {
        loop {
            // Step 3 — wait for a client, and serve it: right here, or on a thread of its own
            // Python: conn, addr = s.accept()
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

            // Serve the client: right here, or on a thread of its own.
            if args.threads {
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
            } else {
                serve_client(stream, peer, args, &shutdown);
            }
        }
    });
    // ANCHOR_END: accept
    common::log!("server stopped");
    Ok(())
}

// ANCHOR: serve-client
/// Talks to one client until it leaves. Whatever goes wrong ends this client, not the server.
fn serve_client(stream: TcpStream, peer: SocketAddr, args: &Args, shutdown: &Shutdown) {
    common::log!("connected from {peer}");
    // Shared with the Ctrl-C handler, which shuts it down to end the read below.
    let stream = Arc::new(stream);
    let watched = shutdown.watch(&stream);
    // Step 4 — receive, and send the same bytes back, until the client leaves
    match echo(&stream, peer, args) {
        // Ctrl-C shut the connection down: the server closed it, not the client.
        _ if shutdown.requested() => common::log!("closed {peer}: the server is stopping"),
        Ok(()) => common::log!("client {peer} left"),
        Err(error) => common::log!("client {peer} left: {}", common::describe(&error)),
    }
    // Step 5 — close the connection
    // Python: conn.close(), or the end of `with conn:`. Dropping the last `Arc` of the stream
    // closes it: the watch lets go of its share first.
    drop(watched);
    drop(stream);
}
// ANCHOR_END: serve-client

// ANCHOR: echo
/// The echo loop of step 4. An error (such as a client that reset the connection) ends it.
fn echo(stream: &TcpStream, peer: SocketAddr, args: &Args) -> io::Result<()> {
    // `&TcpStream` reads and writes too: one connection, shared, no second descriptor.
    let mut stream = stream;
    let mut buffer = vec![0; args.buf_size as usize];
    loop {
        // Python: data = conn.recv(BUFSIZ)
        let received = stream.read(&mut buffer)?;
        if received == 0 {
            return Ok(()); // Python: `if not data: break`, the client closed its side
        }
        let data = &buffer[..received];
        if !args.quiet {
            common::log!(
                "received {received} bytes from {peer}: {}",
                common::preview(data)
            );
        }
        // Python: conn.sendall(data)
        stream.write_all(data)?;
    }
}
// ANCHOR_END: echo
