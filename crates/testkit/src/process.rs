//! A program under test, without opinions on failure: [`Running`] starts it with piped
//! output, hands out its lines with deadlines, and kills it when dropped. Both the lessons'
//! tests ([`crate::Proc`], which fails the test) and the exercises' checker (which explains
//! the problem to a student) are built on it.

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// How often to look whether a program has exited: polling for an exit, not synchronising.
const EXIT_POLL: Duration = Duration::from_millis(10);

/// What the program reads on standard input.
pub enum Input {
    /// Nothing: it sees the end of its input at once.
    Empty,
    /// These bytes, written from a thread of its own, then the end of the input.
    Bytes(Vec<u8>),
    /// A pipe the caller writes to ([`Running::stdin`]).
    Pipe,
}

/// Why a wait ended without what was waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// The deadline passed.
    TimedOut,
    /// Standard output ended (the program exited, or closed it) first.
    Closed,
}

/// A running program. Killed when dropped, so nothing is ever left running.
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Lines of standard output, as a reader thread finds them.
    lines: Receiver<String>,
    /// The lines of standard output handed out so far.
    seen: Vec<String>,
    /// Standard error so far, filled by a reader thread.
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<thread::JoinHandle<()>>,
}

impl Running {
    /// Starts `program` with `args`. At most `most_lines` lines of its output are read; then
    /// the pipe is closed, as `program | head -N` would do.
    pub fn start(
        program: impl AsRef<OsStr>,
        args: &[&str],
        input: Input,
        most_lines: usize,
    ) -> io::Result<Running> {
        let mut child = Command::new(program)
            .args(args)
            .env("RUST_BACKTRACE", "1") // a panic would show its backtrace
            .stdin(match input {
                Input::Empty => Stdio::null(),
                Input::Bytes(_) | Input::Pipe => Stdio::piped(),
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stdin = child.stdin.take();
        if let Input::Bytes(bytes) = input {
            if let Some(mut pipe) = stdin.take() {
                // A program that reads its input only little by little must not hold us up;
                // an error only means it stopped reading. Dropping the pipe ends the input.
                thread::spawn(move || {
                    let _ = pipe.write_all(&bytes);
                });
            }
        }
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr_pipe = child.stderr.take().expect("stderr is piped");

        let (sender, lines) = channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            for read in 1..=most_lines {
                if !matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                    break;
                }
                let text = String::from_utf8_lossy(common::strip_line_end(&line)).into_owned();
                if read == most_lines {
                    // Closed before the line is handed out, so that anything the program
                    // prints after it surely finds the pipe closed.
                    drop(reader);
                    let _ = sender.send(text);
                    break;
                }
                if sender.send(text).is_err() {
                    break;
                }
                line.clear();
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&stderr);
        let stderr_reader = thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(count @ 1..) = stderr_pipe.read(&mut buffer) {
                lock(&collected).extend_from_slice(&buffer[..count]);
            }
        });
        Ok(Running {
            child,
            stdin,
            lines,
            seen: Vec::new(),
            stderr,
            stderr_reader: Some(stderr_reader),
        })
    }

    /// The next line of standard output, within `within`.
    pub fn next_line(&mut self, within: Duration) -> Result<String, Waited> {
        match self.lines.recv_timeout(within) {
            Ok(line) => {
                self.seen.push(line.clone());
                Ok(line)
            }
            Err(RecvTimeoutError::Timeout) => Err(Waited::TimedOut),
            Err(RecvTimeoutError::Disconnected) => Err(Waited::Closed),
        }
    }

    /// Reads lines until one for which `wanted` is true, within `within` in all.
    pub fn wait_for_line(
        &mut self,
        wanted: impl Fn(&str) -> bool,
        within: Duration,
    ) -> Result<String, Waited> {
        let deadline = Instant::now() + within;
        loop {
            let line = self.next_line(deadline.saturating_duration_since(Instant::now()))?;
            if wanted(&line) {
                return Ok(line);
            }
        }
    }

    /// Waits for the program to exit by itself within `within`, then collects the rest of
    /// its standard output (within `within` again) and all of its standard error.
    pub fn wait_for_exit(&mut self, within: Duration) -> Result<ExitStatus, Waited> {
        let deadline = Instant::now() + within;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(EXIT_POLL),
                _ => return Err(Waited::TimedOut),
            }
        };
        // The reader threads see the end of their pipes once the program is gone.
        let drain_deadline = Instant::now() + within;
        while self
            .next_line(drain_deadline.saturating_duration_since(Instant::now()))
            .is_ok()
        {}
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        Ok(status)
    }

    /// How the program ended, if it has.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The lines of standard output handed out so far.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Standard error so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stderr)).into_owned()
    }

    /// The pipe to standard input, if it was started with [`Input::Pipe`] and not closed.
    pub fn stdin(&mut self) -> Option<&mut ChildStdin> {
        self.stdin.as_mut()
    }

    /// Takes the pipe to standard input, e.g. to write from another thread.
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the program now (if it still runs) and waits for it.
    pub fn kill(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The address in a server's first line, `listening on [udp ]ADDR`, as a client reaches it:
/// a server bound to every address (`0.0.0.0`, `::`) through loopback.
pub fn listening_addr(line: &str) -> Option<SocketAddr> {
    let addr: SocketAddr = line
        .strip_prefix("listening on ")?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()?;
    Some(reachable(addr))
}

/// A server bound to "every address" (`0.0.0.0` or `::`) is reached through loopback.
pub fn reachable(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    addr
}

/// "exited with status 1", or how a signal ended it.
pub fn describe_exit(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("was ended by a signal ({status})"),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_lines_give_an_address_a_client_can_reach() {
        let addr = |line: &str| listening_addr(line).map(|addr| addr.to_string());
        assert_eq!(
            addr("listening on 127.0.0.1:9001").as_deref(),
            Some("127.0.0.1:9001")
        );
        assert_eq!(
            addr("listening on udp [::]:9002").as_deref(),
            Some("[::1]:9002")
        );
        assert_eq!(
            addr("listening on 0.0.0.0:80").as_deref(),
            Some("127.0.0.1:80")
        );
        assert_eq!(addr("hello 127.0.0.1:1"), None);
    }
}
