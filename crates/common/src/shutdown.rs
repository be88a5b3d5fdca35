//! Ctrl-C that ends a blocking server cleanly.
//!
//! A server spends its life blocked: in `accept()` waiting for the next client, or in `read()`
//! waiting for a client's next message. A Ctrl-C handler runs on another thread and cannot
//! make those calls return by itself. So on Ctrl-C [`Shutdown`]:
//!
//! 1. sets a flag that the accept loop checks after every `accept()`;
//! 2. shuts down every client connection it was asked to watch, so their blocked `read()`s
//!    return 0 (end of stream) and the client loops end as if the client had left;
//! 3. wakes the blocked `accept()` by connecting to the server itself (for UDP: by sending it an
//!    empty datagram), so the loop runs once more, sees the flag and stops.
//!
//! The program then finishes `main` normally: buffers are flushed, and it exits with status 0.
//! A second Ctrl-C stops the program at once, in case something still hangs.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::Failure;

/// The exit status after a second Ctrl-C: 128 + SIGINT, what shells report for Ctrl-C.
const FORCED_EXIT: i32 = 130;

/// How long the wake-up connection may take. It goes to this machine, so it is quick or broken.
const WAKE_TIMEOUT: Duration = Duration::from_secs(1);

/// Shared by the accept loop, the client threads and the Ctrl-C handler. Cheap to clone.
#[derive(Clone)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

struct Inner {
    requested: AtomicBool,
    /// How to make the blocked `accept()` (or `recv_from()`) return.
    wake: Wake,
    /// The client connections being served, shared with their threads, to shut them down on
    /// Ctrl-C.
    streams: Mutex<HashMap<u64, Arc<TcpStream>>>,
    next_id: AtomicU64,
}

enum Wake {
    Tcp(SocketAddr),
    Udp(SocketAddr),
}

impl Shutdown {
    /// Installs the Ctrl-C handler for a TCP server listening on `listener`.
    pub fn on_ctrl_c(listener: &TcpListener) -> Result<Shutdown, Failure> {
        let wake_addr = reachable(listener.local_addr()?);
        Shutdown::install(Wake::Tcp(wake_addr))
    }

    /// Installs the Ctrl-C handler for a UDP server receiving on `socket`.
    pub fn on_ctrl_c_udp(socket: &UdpSocket) -> Result<Shutdown, Failure> {
        let wake_addr = reachable(socket.local_addr()?);
        Shutdown::install(Wake::Udp(wake_addr))
    }

    /// A shutdown that only [`Shutdown::trigger`] starts: for tests, which cannot install a
    /// second Ctrl-C handler in the same process.
    pub fn manual(listener: &TcpListener) -> io::Result<Shutdown> {
        Ok(Shutdown::new(Wake::Tcp(reachable(listener.local_addr()?))))
    }

    fn new(wake: Wake) -> Shutdown {
        Shutdown {
            inner: Arc::new(Inner {
                requested: AtomicBool::new(false),
                wake,
                streams: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(0),
            }),
        }
    }

    fn install(wake: Wake) -> Result<Shutdown, Failure> {
        let shutdown = Shutdown::new(wake);
        let handler = shutdown.clone();
        ctrlc::set_handler(move || {
            if handler.requested() {
                eprintln!("second Ctrl-C: stopping now");
                std::process::exit(FORCED_EXIT);
            }
            handler.trigger();
        })
        .map_err(|error| {
            Failure::new(
                "cannot install the Ctrl-C handler",
                &io::Error::other(error),
            )
        })?;
        Ok(shutdown)
    }

    /// True once Ctrl-C was pressed. Check it after every `accept()` / `recv_from()`.
    pub fn requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// Watches a client connection until the returned guard is dropped: on Ctrl-C it is shut
    /// down, so a `read()` blocked on it returns 0. The connection is shared, not cloned: a
    /// clone (`try_clone`, Python's `dup`) would cost a second file descriptor per client.
    pub fn watch(&self, stream: &Arc<TcpStream>) -> Watched {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut streams = self.streams();
        // Checked while holding the lock that `trigger` takes after setting the flag: either
        // `trigger` sees this stream, or we see the flag. No connection slips through.
        if self.requested() {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        streams.insert(id, Arc::clone(stream));
        Watched {
            shutdown: self.clone(),
            id,
        }
    }

    /// What Ctrl-C does: set the flag, end every watched connection, wake the accept loop.
    pub fn trigger(&self) {
        self.inner.requested.store(true, Ordering::SeqCst);
        for stream in self.streams().values() {
            // Errors only mean the connection is already gone.
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        // If this fails the server is not blocked in accept() (or cannot be reached at all):
        // nothing to wake.
        let _ = match self.inner.wake {
            Wake::Tcp(addr) => TcpStream::connect_timeout(&addr, WAKE_TIMEOUT).map(drop),
            Wake::Udp(addr) => wake_udp(addr),
        };
    }

    fn streams(&self) -> MutexGuard<'_, HashMap<u64, Arc<TcpStream>>> {
        // A panicking client thread must not stop Ctrl-C from working.
        self.inner
            .streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Returned by [`Shutdown::watch`]; stops watching the connection when dropped.
pub struct Watched {
    shutdown: Shutdown,
    id: u64,
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.shutdown.streams().remove(&self.id);
    }
}

/// A server bound to "every address" (`0.0.0.0` or `::`) is reached through loopback.
fn reachable(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    addr
}

fn wake_udp(addr: SocketAddr) -> io::Result<()> {
    let any: SocketAddr = match addr {
        SocketAddr::V4(_) => (Ipv4Addr::LOCALHOST, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::LOCALHOST, 0).into(),
    };
    UdpSocket::bind(any)?.send_to(&[], addr).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn trigger_wakes_accept_and_ends_blocked_reads() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let shutdown = Shutdown::manual(&listener).expect("local addr");
        let _client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (served, _) = listener.accept().expect("accept");
        let served = Arc::new(served);
        let watched = shutdown.watch(&served);

        std::thread::scope(|scope| {
            let reader = scope.spawn(move || (&*served).read(&mut [0; 16]).expect("read"));
            shutdown.trigger();
            assert_eq!(
                reader.join().expect("no panic"),
                0,
                "blocked read ends with 0"
            );
        });
        // The wake-up connection is waiting in the backlog, so accept() returns at once.
        listener.accept().expect("the wake-up connection");
        assert!(shutdown.requested());
        drop(watched);
        assert!(shutdown.streams().is_empty(), "the guard stops watching");
    }

    #[test]
    fn a_stream_watched_after_the_trigger_is_shut_at_once() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let shutdown = Shutdown::manual(&listener).expect("local addr");
        let _client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (served, _) = listener.accept().expect("accept");
        shutdown.trigger();
        let served = Arc::new(served);
        let _watched = shutdown.watch(&served);
        assert_eq!((&*served).read(&mut [0; 16]).expect("read"), 0);
    }

    #[test]
    fn unspecified_addresses_are_reached_through_loopback() {
        assert_eq!(
            reachable("0.0.0.0:9001".parse().expect("v4")).to_string(),
            "127.0.0.1:9001"
        );
        assert_eq!(
            reachable("[::]:9001".parse().expect("v6")).to_string(),
            "[::1]:9001"
        );
        assert_eq!(
            reachable("10.1.2.3:80".parse().expect("v4")).to_string(),
            "10.1.2.3:80"
        );
    }
}
