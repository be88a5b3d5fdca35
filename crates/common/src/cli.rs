//! The `--host` and `--port` options that every lesson program shares.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::Failure;

/// The host every program uses unless told otherwise: this machine only.
///
/// A server bound here cannot be reached from other machines, which is what you want on a
/// laptop in a café. `--host 0.0.0.0` (or `--host ::`) opens it to the network, as tutorial 002
/// does on purpose.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// Where a server listens: `--host` and `--port`.
///
/// `DEFAULT_PORT` is the lesson's own port (9001 for the echo lesson, 8080 for ctime, ...), so
/// `--help` shows it and a whole class can run every lesson at once without clashes.
/// Add it to a server's arguments with `#[command(flatten)]`; a client takes [`ServerAt`].
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct HostPort<const DEFAULT_PORT: u16> {
    /// Address to listen on: 127.0.0.1 or ::1 (this machine only), 0.0.0.0 or :: (every
    /// network this machine is on), or a host name
    #[arg(long, default_value = DEFAULT_HOST)]
    pub host: String,

    /// Port to listen on; 0 lets the operating system pick a free one
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
}

/// The server a client connects to: `--host` and `--port`, with a client's help texts
/// (`0.0.0.0` and port 0 mean something only to a server).
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct ServerAt<const DEFAULT_PORT: u16> {
    /// The server's host name or IP address, IPv4 or IPv6 (localhost, 127.0.0.1, ::1 ...)
    #[arg(long, default_value = DEFAULT_HOST)]
    pub host: String,

    /// The server's port: the one in its `listening on` line
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
}

/// What a server's and a client's address can both do, written once for both types.
macro_rules! address_methods {
    ($address:ident) => {
        impl<const DEFAULT_PORT: u16> $address<DEFAULT_PORT> {
            /// Turns the host name into socket addresses, as Python does inside `connect()`
            /// and `bind()` (its `getaddrinfo`). A name can stand for several addresses
            /// (`localhost` is often both `::1` and `127.0.0.1`); `TcpStream::connect` and
            /// `TcpListener::bind` try them in order.
            pub fn resolve(&self) -> Result<Vec<SocketAddr>, Failure> {
                resolve(&self.host, self.port)
            }

            /// The command that starts `package` (a lesson server) on this host and port, for
            /// hints such as "is the server running? Start it with: cargo run -p echo-server".
            pub fn server_command(&self, package: &str) -> String {
                server_command(package, &self.host, self.port, DEFAULT_PORT)
            }
        }

        impl<const DEFAULT_PORT: u16> fmt::Display for $address<DEFAULT_PORT> {
            /// `host:port`, with an IPv6 address in brackets (`[::1]:9001`) like Rust prints
            /// them.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.host.contains(':') {
                    write!(f, "[{}]:{}", self.host, self.port)
                } else {
                    write!(f, "{}:{}", self.host, self.port)
                }
            }
        }
    };
}

address_methods!(HostPort);
address_methods!(ServerAt);

impl<const DEFAULT_PORT: u16> ServerAt<DEFAULT_PORT> {
    /// `connect()` to this server failed: one line, and what to try.
    pub fn cannot_connect(&self, error: &io::Error, package: &str) -> Failure {
        if self.port == 0 {
            return Failure::custom(
                format!("cannot connect to {self}: {}", crate::describe(error)),
                Some(self.start_hint(package)),
                crate::exit_code::REFUSED,
            );
        }
        Failure::connect(error, self, &self.server_command(package))
    }

    /// What to try when nothing answers here: the command that starts `package` (a lesson
    /// server) at this address. Port 0 gets a hint of its own: it tells a *server* to pick a
    /// free port, and no server can be reached there.
    pub fn start_hint(&self, package: &str) -> String {
        if self.port == 0 {
            format!(
                "port 0 is not a port a server listens on; give --port the port that {package} \
                 printed in its 'listening on' line"
            )
        } else {
            crate::failure::start_server_hint(&self.server_command(package))
        }
    }
}

fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Failure> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|error| Failure::unknown_host(host, &error))?
        .collect();
    if addrs.is_empty() {
        let error = io::Error::other("the name has no address");
        return Err(Failure::unknown_host(host, &error));
    }
    Ok(addrs)
}

fn server_command(package: &str, host: &str, port: u16, default_port: u16) -> String {
    let mut flags = String::new();
    if host != DEFAULT_HOST {
        flags.push_str(&format!(" --host {host}"));
    }
    if port != default_port {
        flags.push_str(&format!(" --port {port}"));
    }
    if flags.is_empty() {
        format!("cargo run -p {package}")
    } else {
        format!("cargo run -p {package} --{flags}")
    }
}

/// Reads a time option such as `--timeout 0.5`: a number of seconds, more than 0. For clap's
/// `value_parser`.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err("give more than 0 seconds".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        server: HostPort<9001>,
    }

    fn parse(args: &[&str]) -> HostPort<9001> {
        Args::try_parse_from(std::iter::once("prog").chain(args.iter().copied()))
            .expect("valid arguments")
            .server
    }

    #[test]
    fn defaults_are_loopback_and_the_lesson_port() {
        let server = parse(&[]);
        assert_eq!(server.to_string(), "127.0.0.1:9001");
        assert_eq!(
            server.server_command("echo-server"),
            "cargo run -p echo-server"
        );
    }

    #[test]
    fn ipv6_and_names_resolve() {
        let server = parse(&["--host", "::1", "--port", "0"]);
        assert_eq!(server.to_string(), "[::1]:0");
        assert_eq!(
            server.resolve().expect("::1 parses")[0],
            "[::1]:0".parse().expect("addr")
        );
        let server = parse(&["--host", "localhost"]);
        assert!(
            server
                .resolve()
                .expect("localhost resolves")
                .iter()
                .all(|a| a.ip().is_loopback())
        );
    }

    #[test]
    fn hint_names_the_flags_that_differ() {
        let server = parse(&["--host", "::1", "--port", "9100"]);
        assert_eq!(
            server.server_command("echo-server"),
            "cargo run -p echo-server -- --host ::1 --port 9100"
        );
    }

    #[test]
    fn unknown_host_is_a_friendly_failure() {
        let server = parse(&["--host", "no-such-host.invalid"]);
        let failure = server.resolve().expect_err(".invalid never resolves");
        assert_eq!(failure.code(), crate::exit_code::UNKNOWN_HOST);
        assert!(
            failure
                .to_string()
                .starts_with("error: cannot find host 'no-such-host.invalid'")
        );
    }

    #[test]
    fn a_client_at_port_0_is_told_where_the_port_comes_from() {
        #[derive(Parser)]
        struct Client {
            #[command(flatten)]
            server: ServerAt<9001>,
        }
        let client = Client::try_parse_from(["prog", "--port", "0"]).expect("valid");
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let failure = client
            .server
            .cannot_connect(&refused, "echo-server")
            .to_string();
        assert!(
            failure.contains("port 0 is not a port a server listens on"),
            "{failure}"
        );
        assert!(!failure.contains("--port 0"), "{failure}");
        let client = Client::try_parse_from(["prog", "--port", "4000"]).expect("valid");
        let failure = client
            .server
            .cannot_connect(&refused, "echo-server")
            .to_string();
        assert!(
            failure.ends_with("Start it with: cargo run -p echo-server -- --port 4000"),
            "{failure}"
        );
    }

    #[test]
    fn bad_port_is_rejected_by_clap() {
        assert!(Args::try_parse_from(["prog", "--port", "70000"]).is_err());
    }

    #[test]
    fn seconds_are_positive_numbers() {
        use super::parse_seconds;
        assert_eq!(parse_seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("1e30").is_err());
    }
}
