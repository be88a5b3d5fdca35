//! The program under test: started with piped output, watched, and killed when its check
//! ends, so that nothing is ever left running.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

pub use testkit::describe_exit;
use testkit::{Input, Running, Waited};

use crate::report::Problem;

/// How long a program may take to start and print its first line. Generous: a cold start on
/// a busy classroom machine can be slow, and a working program never makes us wait this long.
pub const STARTUP: Duration = Duration::from_secs(20);

/// How long a program may take to finish once it has nothing left to do.
pub const EXIT: Duration = Duration::from_secs(10);

/// A running program, on the lessons' test kit (`testkit::Running`), which starts it, hands
/// out its lines with deadlines and kills it when dropped; this layer explains to a student
/// what went wrong. Killed when dropped.
pub struct Program {
    running: Running,
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
        let input = if input.is_empty() {
            Input::Empty
        } else {
            Input::Bytes(input)
        };
        let running = Running::start(path, args, input, usize::MAX).map_err(|error| {
            Problem::new(format!(
                "cannot start {}: {}",
                path.display(),
                common::describe(&error)
            ))
        })?;
        Ok(Program { running })
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
        let addr = testkit::listening_addr(&line).ok_or_else(|| {
            Problem::new("the `listening on` line has no address at its end")
                .expected("listening on 127.0.0.1:40312")
                .got(line.clone())
        })?;
        Ok((server, addr))
    }

    /// Reads standard output until a line for which `wanted` is true, and returns it.
    pub fn wait_for_line(
        &mut self,
        wanted: impl Fn(&str) -> bool,
        within: Duration,
    ) -> Result<String, Problem> {
        match self.running.wait_for_line(wanted, within) {
            Ok(line) => Ok(line),
            Err(Waited::TimedOut) => {
                let problem = Problem::new(format!(
                    "the expected line did not come within {} s",
                    within.as_secs_f64()
                ));
                Err(self.explain(problem))
            }
            Err(Waited::Closed) => {
                let problem = Problem::new("the program ended before printing the line");
                // Closed standard output usually means the program exited: say how.
                let _ = self.running.wait_for_exit(EXIT);
                Err(self.explain(problem))
            }
        }
    }

    /// Waits for the program to exit by itself, and returns how it ended and what it printed.
    pub fn wait_for_exit(&mut self, within: Duration) -> Result<Exit, Problem> {
        match self.running.wait_for_exit(within) {
            Ok(status) => Ok(Exit {
                status,
                stdout: self.stdout(),
            }),
            Err(_) => {
                let problem = Problem::new(format!(
                    "the program did not exit within {} s",
                    within.as_secs_f64()
                ));
                Err(self.explain(problem))
            }
        }
    }

    /// True once the program has exited.
    pub fn exited(&mut self) -> bool {
        self.running.exit_status().is_some()
    }

    /// Standard output so far, one `\n` after each line.
    pub fn stdout(&self) -> String {
        self.running
            .seen()
            .iter()
            .map(|line| format!("{line}\n"))
            .collect()
    }

    /// The program's process id, for what `/proc/PID/status` says of it (its memory).
    pub fn pid(&self) -> u32 {
        self.running.pid()
    }

    /// Standard error so far.
    pub fn stderr(&self) -> String {
        self.running.stderr()
    }

    /// Adds to `problem` what helps to understand it: how the program ended if it did (a
    /// crash, say), and the last lines it printed on standard error.
    pub fn explain(&mut self, mut problem: Problem) -> Problem {
        if let Some(status) = self.running.exit_status() {
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
