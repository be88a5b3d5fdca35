//! The program under test: started with piped output, watched, and killed when its check
//! ends, so that nothing is ever left running.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::report::Problem;

/// How long a program may take to start and print its first line. Generous: a cold start on
/// a busy classroom machine can be slow, and a working program never makes us wait this long.
pub const STARTUP: Duration = Duration::from_secs(20);

/// How long a program may take to finish once it has nothing left to do.
pub const EXIT: Duration = Duration::from_secs(10);

/// How often to look whether a program has exited: polling for an exit, not synchronising.
const EXIT_POLL: Duration = Duration::from_millis(10);

/// A running program. Killed when dropped.
pub struct Program {
    child: Child,
    /// Lines of standard output, as a reader thread finds them.
    lines: Receiver<String>,
    /// The lines of standard output read so far.
    stdout: Vec<String>,
    /// Standard error so far, filled by a reader thread.
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// How a program ended, and what it printed on standard output ([`Program::explain`]
/// adds standard error to a problem).
pub struct Exit {
    pub status: ExitStatus,
    pub stdout: String,
}

impl Program {
    /// Starts the program at `path` with `args`. Its standard input is empty, so a program
    /// that reads it sees the end of its input at once instead of waiting for a person.
    pub fn start(path: &Path, args: &[&str]) -> Result<Program, Problem> {
        Program::start_with_input(path, args, Vec::new())
    }

    /// Starts the program at `path` with `args`, and `input` piped to its standard input,
    /// which then ends: the program reads it as it would read lines typed by a person.
    pub fn start_with_input(
        path: &Path,
        args: &[&str],
        input: Vec<u8>,
    ) -> Result<Program, Problem> {
        let mut child = Command::new(path)
            .args(args)
            .stdin(if input.is_empty() {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| {
                Problem::new(format!(
                    "cannot start {}: {}",
                    path.display(),
                    common::describe(&error)
                ))
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            // From a thread of its own: a program that reads its input only little by little
            // must not hold the checker up. Dropping `stdin` ends the input.
            thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr_pipe = child.stderr.take().expect("stderr is piped");

        let (sender, lines) = channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                let text = String::from_utf8_lossy(common::strip_line_end(&line)).into_owned();
                if sender.send(text).is_err() {
                    break;
                }
                line.clear();
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(count @ 1..) = stderr_pipe.read(&mut buffer) {
                lock(&collected).extend_from_slice(&buffer[..count]);
            }
        });
        Ok(Program {
            child,
            lines,
            stdout: Vec::new(),
            stderr,
        })
    }

    /// Starts a server on a port the system picks (`--port 0`) and waits for the line that
    /// says where it listens: `listening on 127.0.0.1:40312`.
    pub fn start_server(path: &Path) -> Result<(Program, SocketAddr), Problem> {
        Program::start_server_with(path, &[])
    }

    /// The same, with `options` after `--port 0`: `--rate 50`, say.
    pub fn start_server_with(
        path: &Path,
        options: &[&str],
    ) -> Result<(Program, SocketAddr), Problem> {
        let mut args = vec!["--port", "0"];
        args.extend_from_slice(options);
        let mut server = Program::start(path, &args)?;
        let line = server
            .wait_for_line(|line| line.starts_with("listening on "), STARTUP)
            .map_err(|problem| {
                let mut hint = "a server prints `listening on ADDR` as soon as it is bound, as \
                    the lessons' servers do: the checker learns the port from that line"
                    .to_string();
                if !options.is_empty() {
                    hint += &format!(
                        ". The checker starts it with `{}`: keep those options",
                        args.join(" ")
                    );
                }
                problem.hint(hint)
            })?;
        let addr: SocketAddr = line
            .rsplit(' ')
            .next()
            .and_then(|addr| addr.parse().ok())
            .ok_or_else(|| {
                Problem::new("the `listening on` line has no address at its end")
                    .expected("listening on 127.0.0.1:40312")
                    .got(line.clone())
            })?;
        Ok((server, reachable(addr)))
    }

    /// Reads standard output until a line for which `wanted` is true, and returns it.
    pub fn wait_for_line(
        &mut self,
        wanted: impl Fn(&str) -> bool,
        within: Duration,
    ) -> Result<String, Problem> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stdout.push(line.clone());
                    if wanted(&line) {
                        return Ok(line);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    let problem = Problem::new(format!(
                        "the expected line did not come within {} s",
                        within.as_secs_f64()
                    ));
                    return Err(self.explain(problem));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let problem = Problem::new("the program ended before printing the line");
                    // Closed standard output usually means the program exited: say how.
                    let _ = self.wait_for_exit(EXIT);
                    return Err(self.explain(problem));
                }
            }
        }
    }

    /// Waits for the program to exit by itself, and returns how it ended and what it printed.
    pub fn wait_for_exit(&mut self, within: Duration) -> Result<Exit, Problem> {
        let deadline = Instant::now() + within;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(EXIT_POLL),
                Ok(None) => {
                    let problem = Problem::new(format!(
                        "the program did not exit within {} s",
                        within.as_secs_f64()
                    ));
                    return Err(self.explain(problem));
                }
                Err(error) => {
                    return Err(Problem::new(format!(
                        "cannot wait for the program: {}",
                        common::describe(&error)
                    )));
                }
            }
        };
        // The reader thread sees the end of standard output once the program is gone.
        let drain_deadline = Instant::now() + EXIT;
        loop {
            let left = drain_deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.stdout.push(line),
                Err(_) => break,
            }
        }
        Ok(Exit {
            status,
            stdout: self.stdout(),
        })
    }

    /// True once the program has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Standard output so far, one `\n` after each line.
    pub fn stdout(&self) -> String {
        self.stdout.iter().map(|line| format!("{line}\n")).collect()
    }

    /// Standard error so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stderr)).into_owned()
    }

    /// Adds to `problem` what helps to understand it: how the program ended if it did (a
    /// crash, say), and the last lines it printed on standard error.
    pub fn explain(&mut self, mut problem: Problem) -> Problem {
        if let Ok(Some(status)) = self.child.try_wait() {
            problem = problem.detail("program", describe_exit(status));
        }
        let stderr = self.stderr();
        let last: Vec<&str> = stderr.lines().rev().take(5).collect();
        if !last.is_empty() {
            let last: Vec<&str> = last.into_iter().rev().collect();
            problem = problem.detail("stderr", last.join(" | "));
        }
        problem
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// "exited with status 1", or how a signal ended it.
pub fn describe_exit(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("was ended by a signal ({status})"),
    }
}

/// A server bound to "every address" (`0.0.0.0`, `::`) is reached through loopback.
fn reachable(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    addr
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
