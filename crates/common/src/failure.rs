//! Errors as a learner should see them: one line that says what went wrong and what to try,
//! then a non-zero exit code. Never a panic, never a backtrace.

use std::fmt;
use std::io;
use std::process::ExitCode;
use std::time::Duration;

/// The exit codes of every lesson program, so scripts (and teachers) can tell failures apart.
pub mod exit_code {
    /// Any other network or I/O error.
    pub const IO: u8 = 1;
    /// Bad command line (clap uses this code for its own messages).
    pub const USAGE: u8 = 2;
    /// The address is already in use, or cannot be bound here.
    pub const CANNOT_BIND: u8 = 3;
    /// Nothing listens at that address: the connection was refused.
    pub const REFUSED: u8 = 4;
    /// The host name could not be looked up.
    pub const UNKNOWN_HOST: u8 = 5;
    /// The other side did not answer in time.
    pub const TIMED_OUT: u8 = 6;
    /// TLS failed (lesson 9): a certificate was refused, by us or by the other side, the other
    /// side does not speak TLS, or the certificate files cannot be read or made.
    pub const TLS: u8 = 7;
}

/// Why a program stopped, ready to print as one line: `error: <what>: <why>; <hint>`.
#[derive(Debug)]
pub struct Failure {
    message: String,
    hint: Option<String>,
    code: u8,
}

impl Failure {
    /// An error while `doing` something ("talking to the server", ...). The hint and exit code
    /// follow from the kind of error.
    pub fn new(doing: impl fmt::Display, error: &io::Error) -> Self {
        let (hint, code) = match error.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (
                Some("the other side did not answer in time".to_string()),
                exit_code::TIMED_OUT,
            ),
            io::ErrorKind::ConnectionRefused => (None, exit_code::REFUSED),
            _ => (None, exit_code::IO),
        };
        Failure {
            message: format!("{doing}: {}", describe(error)),
            hint,
            code,
        }
    }

    /// `bind()` failed. Python raises `OSError: [Errno 98] Address already in use` here.
    pub fn bind(error: &io::Error, addr: impl fmt::Display) -> Self {
        let hint = match error.kind() {
            io::ErrorKind::AddrInUse => {
                "another program (maybe another copy of this server) uses that port; \
                 stop it, or pick another port with --port"
            }
            io::ErrorKind::AddrNotAvailable => {
                "that address does not belong to this machine; try --host 127.0.0.1"
            }
            io::ErrorKind::PermissionDenied => {
                "ports below 1024 need administrator rights; use a port above 1024 with --port"
            }
            _ => "check --host and --port",
        };
        Failure {
            message: format!("cannot listen on {addr}: {}", describe(error)),
            hint: Some(hint.to_string()),
            code: exit_code::CANNOT_BIND,
        }
    }

    /// `connect()` failed. `start_server` is the exact command that starts the server, e.g.
    /// `cargo run -p echo-server` (see [`crate::HostPort::server_command`]).
    pub fn connect(error: &io::Error, addr: impl fmt::Display, start_server: &str) -> Self {
        let message = format!("cannot connect to {addr}: {}", describe(error));
        match error.kind() {
            io::ErrorKind::ConnectionRefused => Failure {
                message,
                hint: Some(start_server_hint(start_server)),
                code: exit_code::REFUSED,
            },
            io::ErrorKind::TimedOut => Failure {
                message,
                hint: Some("the host did not answer; check the address and any firewall".into()),
                code: exit_code::TIMED_OUT,
            },
            _ => Failure {
                message,
                hint: None,
                code: exit_code::IO,
            },
        }
    }

    /// The host name could not be turned into an address (Python: `socket.gaierror`).
    pub fn unknown_host(host: &str, error: &io::Error) -> Self {
        let why = describe(error);
        let why = why
            .strip_prefix("failed to lookup address information: ")
            .unwrap_or(&why);
        Failure {
            message: format!("cannot find host '{host}': {}", lower_first(why)),
            hint: Some("check the spelling, or give an IP address such as 127.0.0.1".into()),
            code: exit_code::UNKNOWN_HOST,
        }
    }

    /// A failure the program describes itself: `message`, an optional `hint`, and one of the
    /// [`exit_code`]s.
    pub fn custom(message: impl Into<String>, hint: Option<String>, code: u8) -> Self {
        Failure {
            message: message.into(),
            hint,
            code,
        }
    }

    /// A wait that ran out: `what` happened in time (e.g. "no complete reply from the server
    /// within 30s"), exit code 6, and the hint every client gives for its `--timeout`.
    pub fn timed_out(what: impl Into<String>) -> Self {
        Failure::custom(
            what,
            Some("if the server is only slow, wait longer with --timeout SECONDS".into()),
            exit_code::TIMED_OUT,
        )
    }

    /// A send that failed: the server took nothing for `timeout` (the socket's write
    /// time-out), or the connection broke.
    pub fn cannot_send(error: &io::Error, timeout: Duration) -> Self {
        if timed_out(error) {
            return Failure::timed_out(format!(
                "cannot send to the server: it took nothing for {timeout:?}"
            ));
        }
        Failure::new("cannot send to the server", error)
    }

    /// The exit code this failure ends the program with.
    pub fn code(&self) -> u8 {
        self.code
    }
}

/// The hint when nothing listens where a client connects: the exact command that starts the
/// server there.
pub(crate) fn start_server_hint(start_server: &str) -> String {
    format!("is the server running? Start it with: {start_server}")
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        Failure::new("network error", &error)
    }
}

/// Ends `main`: prints a failure as one line on stderr and turns it into an exit code.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     common::exit_with(run())
/// }
/// # fn run() -> Result<(), common::Failure> { Ok(()) }
/// ```
pub fn exit_with(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(failure.code)
        }
    }
}

/// The exit status of a program that stopped because its output was closed: 141, what a shell
/// shows for a program ended by SIGPIPE (128 + 13), as `yes | head -1` does.
pub const CLOSED_OUTPUT_STATUS: i32 = 141;

/// Lets a program whose standard output is closed early (`... | head -1`) stop quietly, as
/// command-line tools do, instead of panicking with a backtrace. Call it first thing in `main`.
///
/// `println!` panics when it cannot write. When the reason is a closed pipe, nobody is left to
/// read what the program prints, so it exits at once with [`CLOSED_OUTPUT_STATUS`]. Any other
/// panic keeps Rust's report, which is what a bug should get.
pub fn stop_quietly_on_closed_output() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if is_closed_output(message) {
            std::process::exit(CLOSED_OUTPUT_STATUS);
        }
        default_hook(info);
    }));
}

/// Standard output for code that reports write errors instead of panicking (a logging
/// library, say): when the output was closed early (`... | head -1`), the program stops
/// quietly with [`CLOSED_OUTPUT_STATUS`], as `println!` does after
/// [`stop_quietly_on_closed_output`].
pub struct QuietStdout;

impl io::Write for QuietStdout {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        stop_if_closed(io::stdout().write(bytes))
    }

    fn flush(&mut self) -> io::Result<()> {
        stop_if_closed(io::stdout().flush())
    }
}

fn stop_if_closed<T>(result: io::Result<T>) -> io::Result<T> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
            std::process::exit(CLOSED_OUTPUT_STATUS)
        }
        other => other,
    }
}

/// The panic of `println!` (or `print!`) on a closed pipe: "failed printing to stdout: Broken
/// pipe (os error 32)" on Linux and macOS, "...: The pipe is being closed. (os error 232)" on
/// Windows.
fn is_closed_output(panic_message: &str) -> bool {
    const CLOSED_PIPE: &str = if cfg!(windows) {
        "(os error 232)"
    } else {
        "(os error 32)"
    };
    panic_message.starts_with("failed printing to stdout") && panic_message.ends_with(CLOSED_PIPE)
}

/// True for the error of a read or a write that waited its whole time-out (Python's
/// `socket.timeout`): `WouldBlock` on Linux and macOS, `TimedOut` on Windows.
pub fn timed_out(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// An I/O error in plain words: "connection refused", not
/// "Connection refused (os error 111)". For log lines such as `client ... left: <why>`.
pub fn describe(error: &io::Error) -> String {
    let text = error.to_string();
    let text = match (error.raw_os_error(), text.find(" (os error ")) {
        (Some(_), Some(at)) => &text[..at],
        _ => &text,
    };
    match error.kind() {
        io::ErrorKind::UnexpectedEof => "the connection closed before all the data arrived".into(),
        _ => lower_first(text),
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_pipe_counts_as_closed_output() {
        let closed = if cfg!(windows) {
            "failed printing to stdout: The pipe is being closed. (os error 232)"
        } else {
            "failed printing to stdout: Broken pipe (os error 32)"
        };
        assert!(is_closed_output(closed));
        assert!(!is_closed_output(
            "failed printing to stdout: No space left on device (os error 28)"
        ));
        assert!(!is_closed_output("index out of bounds"));
    }

    #[test]
    fn os_errors_lose_their_number_and_capital() {
        let error = io::Error::from_raw_os_error(libc_econnrefused());
        assert_eq!(describe(&error), "connection refused");
    }

    #[test]
    fn address_in_use_suggests_another_port() {
        let error = io::Error::from(io::ErrorKind::AddrInUse);
        let failure = Failure::bind(&error, "127.0.0.1:9001");
        assert_eq!(failure.code(), exit_code::CANNOT_BIND);
        let line = failure.to_string();
        assert!(
            line.starts_with("error: cannot listen on 127.0.0.1:9001: "),
            "{line}"
        );
        assert!(line.contains("--port"), "{line}");
        assert!(!line.contains('\n'), "one line: {line}");
    }

    #[test]
    fn refused_names_the_command_that_starts_the_server() {
        let error = io::Error::from(io::ErrorKind::ConnectionRefused);
        let failure = Failure::connect(&error, "127.0.0.1:9001", "cargo run -p echo-server");
        assert_eq!(failure.code(), exit_code::REFUSED);
        assert!(
            failure
                .to_string()
                .ends_with("; is the server running? Start it with: cargo run -p echo-server")
        );
    }

    #[test]
    fn early_end_of_stream_is_explained() {
        let error = io::Error::from(io::ErrorKind::UnexpectedEof);
        let failure = Failure::new("talking to the server", &error);
        assert_eq!(
            failure.to_string(),
            "error: talking to the server: the connection closed before all the data arrived"
        );
        assert_eq!(failure.code(), exit_code::IO);
    }

    #[test]
    fn time_outs_have_their_own_code() {
        let error = io::Error::from(io::ErrorKind::TimedOut);
        assert_eq!(Failure::new("waiting", &error).code(), exit_code::TIMED_OUT);
    }

    /// ECONNREFUSED on the platforms the project runs on (Linux 111, macOS 61, Windows 10061).
    fn libc_econnrefused() -> i32 {
        if cfg!(target_os = "linux") {
            111
        } else if cfg!(windows) {
            10061
        } else {
            61
        }
    }
}
