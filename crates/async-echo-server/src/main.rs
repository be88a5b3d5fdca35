//! Lesson 7 — async echo server with tokio (tutorial 004's asyncio server).
//!
//! Answers every message in upper case, like the tutorial's asyncio server, but keeps
//! answering until the client closes. Each client is served by a task, not a thread: thousands
//! of connections share a thread per CPU core. Run it, then talk to it from a second terminal:
//!
//!     cargo run -p async-echo-server
//!     cargo run -p async-echo-client                       # sends Hello, world!
//!     printf 'one\ntwo\n' | cargo run -p async-echo-client -- --stdin
//!
//! Ctrl-C stops accepting clients, gives the open connections `--grace` seconds to finish,
//! closes whatever is left, and exits.

use std::io::{self, IsTerminal};
use std::net::SocketAddr;
use std::pin::pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, ctrl_c_from_now};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout};
use tracing::{Level, error, info, warn};

/// The lesson's port, the one tutorial 004's asyncio server uses.
const DEFAULT_PORT: u16 = common::ports::ASYNC_ECHO;

/// Bytes read per call. The tutorial's asyncio server reads at most 100 (`reader.read(100)`);
/// this one uses the 1024 of the other lessons, so that lessons 1 and 6 compare like with
/// like. `--buf-size` changes it: 100 shows one message arriving in many reads, 65536 moves
/// bulk data with fewer system calls.
const BUFSIZ: usize = 1024;

/// The largest `--buf-size`, 16 MiB. Every connection owns a buffer of this size, so memory
/// grows as `--max-conns` × `--buf-size`: 10,000 connections × 64 KiB is already 640 MiB.
const MAX_BUF_SIZE: u32 = 16 * 1024 * 1024;

/// How many clients are served at once unless `--max-conns` says otherwise.
///
/// A task costs a few hundred bytes and a buffer of `--buf-size`, so 10,000 connections fit
/// in about 20 MB: the limit is not there to save memory, it is there so that a flood of
/// clients gets a clear "server busy" instead of slowing everyone down until the process
/// runs out of file descriptors. Each connection needs one; check `ulimit -n` (often 1024
/// on Linux, 256 on macOS) before you expect 10,000.
const MAX_CONNS: u32 = 10_000;

/// How long, after Ctrl-C, open connections get to finish the answer they are sending,
/// unless `--grace` says otherwise. Idle connections close at once; only a client that is
/// slow to read its answer makes the server wait, and never longer than this.
const GRACE_SECS: u64 = 5;

/// A pause before accepting again after `accept()` failed (for example when the process ran
/// out of file descriptors). Retrying at once would fail again, thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// What a client over `--max-conns` receives before the server closes its connection.
const BUSY: &[u8] = b"server busy: too many connections, try again later\n";

/// How long a refused client has to read [`BUSY`] and close its side.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// Async TCP server: answers every message in upper case, one task per client.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// Most clients served at once; one more is told "server busy" and disconnected
    #[arg(long, default_value_t = MAX_CONNS, value_parser = clap::value_parser!(u32).range(1..))]
    max_conns: u32,

    /// Seconds open connections get to finish after Ctrl-C, before they are closed
    #[arg(long, value_name = "SECONDS", default_value_t = GRACE_SECS)]
    grace: u64,

    /// Bytes read at a time from each client (the tutorial reads 100)
    #[arg(long, value_name = "BYTES", default_value_t = BUFSIZ as u32, value_parser = clap::value_parser!(u32).range(1..=MAX_BUF_SIZE as i64))]
    buf_size: u32,

    /// Log only warnings (refused clients, failed accepts), e.g. for a benchmark
    #[arg(long, short)]
    quiet: bool,
}

/// Why a client's conversation ended without an error.
enum Ended {
    ClientLeft,
    ServerStopping,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    start_logs(args.quiet);
    common::exit_with(serve(&args).await)
}

/// Log lines go to standard output, after the `listening on` line, as the other lessons'
/// servers print theirs: one stream to read, in order. They carry no time stamp (your
/// terminal shows when things happen, and transcripts stay the same from run to run), and no
/// colours unless standard output is a terminal. Errors that end the program still go to
/// standard error, as one line (`common::exit_with`). tracing reports a failed write instead
/// of panicking, so `QuietStdout` is what ends the program quietly when `| head` closed the
/// output.
fn start_logs(quiet: bool) {
    tracing_subscriber::fmt()
        .with_max_level(if quiet { Level::WARN } else { Level::INFO })
        .with_writer(|| common::QuietStdout)
        .with_ansi(io::stdout().is_terminal())
        .with_target(false)
        .without_time()
        .init();
}

async fn serve(args: &Args) -> Result<(), Failure> {
    // ANCHOR: bind
    // Step 1 — create a socket, bind it and listen
    // Python: server = await asyncio.start_server(handle_echo, '127.0.0.1', 8888)
    let addrs = args.listen.resolve()?;
    let listener = TcpListener::bind(&addrs[..])
        .await
        .map_err(|error| Failure::bind(&error, &args.listen))?;
    // ANCHOR_END: bind

    // ANCHOR: ctrl-c
    // Step 2 — listen for Ctrl-C, then say that the server is ready
    // The tutorial dies with a KeyboardInterrupt traceback. Here Ctrl-C ends the loop below.
    let ctrl_c = ctrl_c_from_now()
        .await
        .map_err(|error| Failure::new("cannot listen for Ctrl-C", &error))?;
    let mut ctrl_c = pin!(ctrl_c);
    println!("listening on {}", listener.local_addr()?);
    // ANCHOR_END: ctrl-c

    // ANCHOR: accept
    // One permit per client being served; `stop` tells every connection when Ctrl-C came.
    let limit = Arc::new(Semaphore::new(args.max_conns as usize));
    let (stop_sender, stop) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        // Step 3 — wait for a client or for Ctrl-C, and serve it on a task of its own
        // Python: start_server calls accept() for you, and serve_forever() never stops.
        let (stream, peer) = tokio::select! {
            () = &mut ctrl_c => break,
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(error) => {
                    // One failed accept must not end the server.
                    warn!("accept failed: {}", common::describe(&error));
                    sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            // Collect the tasks that have finished, so they do not pile up.
            Some(finished) = connections.join_next() => {
                if let Err(failure) = finished {
                    error!("a connection task failed: {failure}");
                }
                continue;
            }
        };

        // Serve the client on a task of its own, if there is room.
        // Python: start_server runs handle_echo(reader, writer) as a task for each client.
        let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
            warn!("refused {peer}: --max-conns {} reached", args.max_conns);
            connections.spawn(refuse(stream));
            continue;
        };
        connections.spawn(serve_client(
            stream,
            peer,
            args.buf_size as usize,
            stop.clone(),
            permit,
        ));
    }
    // ANCHOR_END: accept

    stop_gracefully(listener, connections, stop_sender, args.grace).await;
    println!("server stopped");
    Ok(())
}

// ANCHOR: serve-client
/// Talks to one client until it leaves or the server stops. It runs as a task of its own, so
/// whatever goes wrong ends this client, not the server. `permit` is the client's place under
/// `--max-conns`.
async fn serve_client(
    mut stream: TcpStream,
    peer: SocketAddr,
    buf_size: usize,
    stop: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) {
    info!("connected from {peer}");
    // Step 4 — receive, and answer in upper case, until the client leaves
    let ended = answer_in_upper_case(&mut stream, peer, buf_size, stop).await;
    // Step 5 — close the connection, and free its place
    // Python: writer.close(). Dropping the stream closes it; dropping the permit frees a place.
    // Both before the log line: once it says "left", a new client can have the place.
    drop(stream);
    drop(permit);
    match ended {
        Ok(Ended::ClientLeft) => info!("client {peer} left"),
        Ok(Ended::ServerStopping) => info!("closed {peer}: the server is stopping"),
        Err(error) => info!("client {peer} left: {}", common::describe(&error)),
    }
}
// ANCHOR_END: serve-client

// ANCHOR: upper-case
/// The loop of step 4. An error (such as a client that reset the connection) ends it.
async fn answer_in_upper_case(
    stream: &mut TcpStream,
    peer: SocketAddr,
    buf_size: usize,
    mut stop: watch::Receiver<bool>,
) -> io::Result<Ended> {
    let mut buffer = vec![0; buf_size];
    loop {
        // Python: data = await reader.read(100)
        // Wait for whichever comes first: bytes from the client, or Ctrl-C. Between two
        // messages is a safe place to stop: no answer is half sent.
        let received = tokio::select! {
            read = stream.read(&mut buffer) => read?,
            _ = stop.changed() => return Ok(Ended::ServerStopping),
        };
        if received == 0 {
            return Ok(Ended::ClientLeft); // the client closed its side
        }
        let data = &mut buffer[..received];
        info!(
            "received {received} bytes from {peer}: {}",
            common::preview(data)
        );
        // Python: writer.write(message.upper().encode()); await writer.drain()
        // Only the ASCII letters a-z change: every other byte, UTF-8 or not, goes back as it
        // came, and the answer is exactly as long as the message.
        data.make_ascii_uppercase();
        stream.write_all(data).await?;
    }
}
// ANCHOR_END: upper-case

// ANCHOR: stop
// Step 6 — stop: no new clients, then give the open connections a grace period
/// Runs once Ctrl-C ended the accept loop: `stop_sender` tells every connection, which then
/// finishes the answer it is sending; after `grace` seconds, whatever is left is closed.
async fn stop_gracefully(
    listener: TcpListener,
    mut connections: JoinSet<()>,
    stop_sender: watch::Sender<bool>,
    grace: u64,
) {
    drop(listener); // from now on, a new client is refused by the operating system
    // Listening for a second Ctrl-C (or SIGTERM) before saying so: one that comes right after
    // the log line must not be missed.
    let second_signal = common::ctrl_c_from_now().await;
    info!(
        "Ctrl-C: stopping; open connections: {}, grace period: {grace}s",
        connections.len()
    );
    stop_sender.send_replace(true);
    let all_finished = async { while connections.join_next().await.is_some() {} };
    tokio::select! {
        () = all_finished => {}
        () = sleep(Duration::from_secs(grace)) => {}
        () = async {
            match second_signal {
                Ok(signal) => signal.await,
                Err(_) => std::future::pending().await, // no handler: the grace period decides
            }
        } => warn!("second Ctrl-C: not waiting any longer"),
    }
    if !connections.is_empty() {
        let left = connections.len();
        warn!("still open after the grace period: {left}; closing them");
        connections.shutdown().await; // cancels each task: its stream is dropped, and closed
    }
}
// ANCHOR_END: stop

// ANCHOR: refuse
/// Tells a client over `--max-conns` why it is turned away, then closes its connection.
async fn refuse(mut stream: TcpStream) {
    let politely = async {
        stream.write_all(BUSY).await?;
        // Say "nothing more from me" (FIN), then read and drop whatever the client sends until
        // it closes too. Closing with unread data would send a reset instead, and a reset can
        // make the client's system throw our line away before the client reads it.
        stream.shutdown().await?;
        tokio::io::copy(&mut stream, &mut tokio::io::sink()).await
    };
    // A client that does not close is not worth waiting for.
    let _ = timeout(REFUSAL_LINGER, politely).await;
}
// ANCHOR_END: refuse
