//! Log lines that cost a busy server almost nothing: [`log!`](crate::log!) instead of `println!`.
//!
//! `println!` takes the lock of standard output and makes one `write()` per line while it holds
//! it. A threaded server that logs every message makes all its client threads queue for that
//! lock, and when the output is a pipe (`| tee`, a terminal, a test), every line also wakes the
//! reader on the other end. Measured on lesson 1's threaded echo server, 50 clients, output
//! into a pipe: 16.5 µs of CPU per round trip with `println!`, 10.6 µs without any log line.
//!
//! With [`Logger`] running, `log!` only formats the line and hands it to a channel (no lock
//! is held for a system call). One logger thread writes whatever has piled up with a single
//! `write()`: under load, hundreds of lines at once; when the server is idle, each line at
//! once, so nothing waits in a buffer while you watch. Without a logger, `log!` prints like
//! `println!`.

use std::io::{self, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;
use std::time::Duration;

/// How long the logger thread gathers lines after the first one before it writes them all.
/// Too short to see (a line shows up at most 10 ms late), long enough that a busy server
/// writes hundreds of lines with one system call, and that handing a line over almost never
/// has to wake this thread (measured with 1 ms: a quarter of udp-server's datagrams still
/// woke it).
const GATHER: Duration = Duration::from_millis(10);

/// What the logger thread is handed.
enum Entry {
    Line(String),
    /// "Write everything so far, then tell me."
    Flush(SyncSender<()>),
}

/// The way to the logger thread, once one was started. A `Sender` is shared by every thread
/// without a lock.
static LOGGER: OnceLock<Sender<Entry>> = OnceLock::new();

/// Whether `log!` goes through the logger thread now (between [`Logger::start`] and the drop).
static LOGGING: AtomicBool = AtomicBool::new(false);

/// Prints a line through the logger thread if one runs (see [`Logger`]), like `println!`.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::log::line(format!($($arg)*))
    };
}

/// The logger thread, from [`Logger::start`] until dropped; dropping it writes every line
/// handed over so far. Start it at the top of `serve`, so it is dropped (and everything is
/// written) before the program exits.
pub struct Logger {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Logger {
    pub fn start() -> Logger {
        let sender = LOGGER.get_or_init(|| {
            let (sender, entries) = mpsc::channel();
            // If the thread cannot start, `entries` is dropped, sending fails, and `log!`
            // prints by itself.
            let _ = thread::Builder::new()
                .name("logger".into())
                .spawn(move || write_lines(&entries));
            sender
        });
        let _ = sender; // started once per process, and then kept
        LOGGING.store(true, Ordering::SeqCst);
        Logger {
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Drop for Logger {
    fn drop(&mut self) {
        LOGGING.store(false, Ordering::SeqCst);
        if let Some(sender) = LOGGER.get() {
            let (done, written) = mpsc::sync_channel(1);
            if sender.send(Entry::Flush(done)).is_ok() {
                let _ = written.recv();
            }
        }
    }
}

/// What `log!` calls.
pub fn line(mut text: String) {
    text.push('\n');
    if let Some(sender) = LOGGER.get().filter(|_| LOGGING.load(Ordering::SeqCst)) {
        match sender.send(Entry::Line(text)) {
            Ok(()) => return,
            Err(mpsc::SendError(Entry::Line(unsent))) => text = unsent, // no logger thread
            Err(_) => return,
        }
    }
    print!("{text}");
}

/// The logger thread: waits for a line, takes every other line already waiting, and writes
/// them all with one `write()`.
fn write_lines(entries: &Receiver<Entry>) {
    let mut batch = String::new();
    while let Ok(first) = entries.recv() {
        // Lines that come while this thread waits here are written with this one. Meanwhile
        // the client threads hand over their lines without waking anybody up.
        thread::sleep(GATHER);
        let mut flushed = Vec::new();
        for entry in std::iter::once(first).chain(entries.try_iter()) {
            match entry {
                Entry::Line(text) => batch.push_str(&text),
                Entry::Flush(done) => flushed.push(done),
            }
        }
        if let Err(error) = io::stdout().write_all(batch.as_bytes()) {
            // As `println!` would: `stop_quietly_on_closed_output` turns a closed pipe into a
            // quiet exit.
            panic!("failed printing to stdout: {error}");
        }
        batch.clear();
        for done in flushed {
            let _ = done.send(());
        }
    }
}
