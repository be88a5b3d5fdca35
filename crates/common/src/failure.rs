//! Errors as a learner should see them: one line that says what went wrong and what to try,
//! then a non-zero exit code. Never a panic, never a backtrace.

use std::fmt;
use std::io;
use std::process::ExitCode;

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
                hint: Some(format!(
                    "is the server running? Start it with: {start_server}"
                )),
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

    /// The exit code this failure ends the program with.
    pub fn code(&self) -> u8 {
        self.code
    }
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
