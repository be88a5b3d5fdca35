//! A TCP connection as the checker uses it: every read has a deadline, and what came back
//! (or did not) can be described to a student.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::program::{Program, STARTUP};
use crate::report::{Problem, show};

/// How long a working program may take to answer. Over this machine's loopback a working
/// program answers within a few milliseconds, so a program that has not answered after 3 s
/// is not going to. Kept short because each failing check of a starter waits this long.
pub const ANSWER: Duration = Duration::from_secs(3);

/// An absence window: how long the checker listens to be sure that nothing comes.
pub const QUIET: Duration = Duration::from_millis(500);

/// The size of one read.
const CHUNK: usize = 64 * 1024;

/// A connection to the program under test (or from it, when the program is a client).
pub struct Conn {
    stream: TcpStream,
    /// Bytes received but not yet handed out.
    pending: Vec<u8>,
}

/// How a read ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// What was asked for arrived.
    Done,
    /// The other side closed the connection (end of stream).
    Closed,
    /// The deadline passed.
    TimedOut(Duration),
    /// The connection broke, for example reset by the other side.
    Failed(String),
}

/// What a read found: the bytes, and how it ended.
#[derive(Debug)]
pub struct Reply {
    pub bytes: Vec<u8>,
    pub ending: Ending,
}

impl Reply {
    /// What arrived, as a student should read it after "got".
    pub fn describe(&self) -> String {
        let what = if self.bytes.is_empty() {
            "nothing".to_string()
        } else {
            show(&self.bytes)
        };
        match &self.ending {
            Ending::Done => what,
            Ending::Closed if self.bytes.is_empty() => {
                "nothing: the connection was closed".to_string()
            }
            Ending::Closed => format!("{what}, and then the connection was closed"),
            Ending::TimedOut(within) if self.bytes.is_empty() => {
                format!("nothing within {} s", within.as_secs_f64())
            }
            Ending::TimedOut(within) => {
                format!(
                    "{what}, and then nothing more for {} s",
                    within.as_secs_f64()
                )
            }
            Ending::Failed(why) => format!("{what}, and then an error: {why}"),
        }
    }
}

impl Conn {
    /// Connects to the server under test.
    pub fn connect(addr: SocketAddr) -> Result<Conn, Problem> {
        let stream = TcpStream::connect_timeout(&addr, ANSWER).map_err(|error| {
            Problem::new(format!(
                "cannot connect to the server at {addr}: {}",
                common::describe(&error)
            ))
        })?;
        Ok(Conn::from(stream))
    }

    /// Sends all of `bytes`.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), Problem> {
        self.stream
            .set_write_timeout(Some(ANSWER))
            .and_then(|()| self.stream.write_all(bytes))
            .map_err(|error| {
                Problem::new(format!(
                    "cannot send to the program: {}",
                    common::describe(&error)
                ))
                .sent(bytes)
            })
    }

    /// Shuts down the sending side: the program sees the end of the stream.
    pub fn finish_sending(&self) -> Result<(), Problem> {
        self.stream.shutdown(Shutdown::Write).map_err(|error| {
            Problem::new(format!(
                "cannot end the stream: {}",
                common::describe(&error)
            ))
        })
    }

    /// Reads exactly `count` bytes.
    pub fn read_exactly(&mut self, count: usize, within: Duration) -> Reply {
        self.fill(|pending| (pending.len() >= count).then_some(count), within)
    }

    /// Reads one line; the bytes returned do not include its `\n`.
    pub fn read_line(&mut self, within: Duration) -> Reply {
        let mut reply = self.fill(
            |pending| {
                pending
                    .iter()
                    .position(|&byte| byte == b'\n')
                    .map(|at| at + 1)
            },
            within,
        );
        if reply.ending == Ending::Done {
            reply.bytes.pop();
        }
        reply
    }

    /// Reads until the other side closes the connection: `Ending::Closed` is success here.
    pub fn read_to_end(&mut self, within: Duration) -> Reply {
        self.fill(|_| None, within)
    }

    /// Listens for `window`, expecting nothing. `None` if nothing came; otherwise what came
    /// (some bytes, or the end of the stream).
    pub fn quiet(&mut self, window: Duration) -> Option<Reply> {
        let reply = self.fill(
            |pending| (!pending.is_empty()).then_some(pending.len()),
            window,
        );
        match reply.ending {
            Ending::TimedOut(_) if reply.bytes.is_empty() => None,
            _ => Some(reply),
        }
    }

    /// Reads until `complete` says how many of the pending bytes make what we wait for, the
    /// stream ends, or `within` has passed.
    fn fill(&mut self, complete: impl Fn(&[u8]) -> Option<usize>, within: Duration) -> Reply {
        let deadline = Instant::now() + within;
        let mut buffer = vec![0; CHUNK];
        let ending = loop {
            if let Some(count) = complete(&self.pending) {
                let rest = self.pending.split_off(count);
                let bytes = std::mem::replace(&mut self.pending, rest);
                return Reply {
                    bytes,
                    ending: Ending::Done,
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break Ending::TimedOut(within);
            }
            if let Err(error) = self.stream.set_read_timeout(Some(left)) {
                break Ending::Failed(common::describe(&error));
            }
            match self.stream.read(&mut buffer) {
                Ok(0) => break Ending::Closed,
                Ok(count) => self.pending.extend_from_slice(&buffer[..count]),
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    break Ending::TimedOut(within);
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => break Ending::Failed(common::describe(&error)),
            }
        };
        Reply {
            bytes: std::mem::take(&mut self.pending),
            ending,
        }
    }
}

impl From<TcpStream> for Conn {
    fn from(stream: TcpStream) -> Conn {
        Conn {
            stream,
            pending: Vec::new(),
        }
    }
}

/// For the checks where the student's program is the client: waits on `listener` (which must
/// be non-blocking) for its connection, or for it to give up (exit, or no connection within
/// `STARTUP`). `exited_hint`, if given, is the hint for a client that exited first.
pub fn accept_client(
    listener: &TcpListener,
    client: &mut Program,
    exited_hint: Option<&str>,
) -> Result<TcpStream, Problem> {
    /// How often to look for the connection: polling for an event, not synchronising.
    const POLL: Duration = Duration::from_millis(10);
    let deadline = Instant::now() + STARTUP;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).map_err(|error| {
                    Problem::new(format!(
                        "cannot use the connection: {}",
                        common::describe(&error)
                    ))
                })?;
                return Ok(stream);
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => {}
            Err(error) => {
                return Err(Problem::new(format!(
                    "the checker cannot accept: {}",
                    common::describe(&error)
                )));
            }
        }
        if client.exited() {
            let mut problem = Problem::new("the client exited without connecting");
            if let Some(hint) = exited_hint {
                problem = problem.hint(hint);
            }
            return Err(client.explain(problem));
        }
        if Instant::now() > deadline {
            let problem = Problem::new(format!(
                "the client did not connect within {} s",
                STARTUP.as_secs()
            ));
            return Err(client.explain(problem));
        }
        thread::sleep(POLL);
    }
}
