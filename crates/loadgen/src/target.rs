//! Where the load goes: loopback addresses only, checked before anything is sent, and the
//! connect ramp that opens thousands of connections without overrunning the server.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use common::{Failure, ServerAt, ports};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::results::ErrorCounts;
use crate::stats::{Counters, Cut, Limits, RunOptions};

/// True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z: this machine, never the network.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The addresses of `--host`/`--port`, refused (exit code 2) unless every one is a loopback
/// address. A load generator aimed at someone else's machine is an attack, so loadgen does not
/// offer it, not even by accident.
pub fn loopback<const PORT: u16>(target: &ServerAt<PORT>) -> Result<Vec<SocketAddr>, Failure> {
    // Literal addresses are checked before any name lookup, so nothing leaves the machine.
    if let Ok(ip) = target.host.trim_matches(['[', ']']).parse::<IpAddr>() {
        refuse_unless_loopback(target, ip)?;
    }
    let addrs = target.resolve()?;
    for addr in &addrs {
        refuse_unless_loopback(target, addr.ip())?;
    }
    Ok(addrs)
}

fn refuse_unless_loopback<const PORT: u16>(
    target: &ServerAt<PORT>,
    ip: IpAddr,
) -> Result<(), Failure> {
    if is_loopback(ip) {
        return Ok(());
    }
    let shown = if target.host.trim_matches(['[', ']']) == ip.to_string() {
        ip.to_string()
    } else {
        format!("{} ({ip})", target.host)
    };
    Err(Failure::custom(
        format!(
            "refusing to send load to {shown}: loadgen only targets this machine (127.0.0.0/8 or ::1)"
        ),
        Some("start the server here and use --host 127.0.0.1".into()),
        common::exit_code::USAGE,
    ))
}

/// The command that starts `package` where `target` points, with `flags`, for the "is the
/// server running?" hint: `cargo run --release -p udp-server -- --port 4000 --echo`. It is
/// [`ServerAt::server_command`] (which names `--host` and `--port` where they differ from the
/// lesson's), built in release mode: a load generator measures release builds.
pub fn server_command<const PORT: u16>(
    target: &ServerAt<PORT>,
    package: &str,
    flags: &[&str],
) -> String {
    let command = target
        .server_command(package)
        .replacen("cargo run ", "cargo run --release ", 1);
    match (flags.is_empty(), command.contains(" -- ")) {
        (true, _) => command,
        (false, true) => format!("{command} {}", flags.join(" ")),
        (false, false) => format!("{command} -- {}", flags.join(" ")),
    }
}

/// The command that starts the echo server a port belongs to: the async one on its port
/// (lesson 7's), echo-server anywhere else.
pub fn echo_server_command<const PORT: u16>(target: &ServerAt<PORT>) -> String {
    if target.port == ports::ASYNC_ECHO {
        let target = ServerAt::<{ ports::ASYNC_ECHO }> {
            host: target.host.clone(),
            port: target.port,
        };
        server_command(&target, "async-echo-server", &[])
    } else {
        server_command(target, "echo-server", &[])
    }
}

/// Opens `count` connections to the first address of `addrs` that answers, at most
/// `--connect-concurrency` attempts at a time, and turns each into a `T` with `setup` (which
/// may read a greeting, split the stream, ...).
///
/// The first connection is made alone, and doubles as the check that a server is there: if
/// nobody listens, that is one clear line (exit code 4, "connection refused", with the command
/// that starts `package`) instead of thousands of counted errors. It tries each address of
/// the host in turn (`localhost` may be ::1 and 127.0.0.1).
///
/// A server's listen backlog holds only so many connections that are not accepted yet (128
/// for std's `TcpListener`); 10,000 `connect()`s at once would overflow it, and the kernel
/// would drop handshakes and retry them a second later. The ramp keeps the queue short.
///
/// Returns the address, what was set up by connection index, and the errors by kind. After
/// the first connection, failures are counted, never fatal: the results say how many
/// connections the server took.
pub async fn connect_all<T, F, Fut>(
    addrs: &[SocketAddr],
    start_server: &str,
    count: usize,
    options: &RunOptions,
    limits: &Arc<Limits>,
    counters: &Arc<Counters>,
    setup: F,
) -> Result<Connected<T>, Failure>
where
    T: Send + 'static,
    F: Fn(usize, TcpStream) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<T, String>> + Send,
{
    let mut failure = None;
    let mut first = None;
    for &addr in addrs {
        match limits.within(TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                first = Some((addr, stream));
                break;
            }
            Ok(Err(error)) => failure = Some(Failure::connect(&error, addr, start_server)),
            Err(_) => {
                let error = io::Error::from(io::ErrorKind::TimedOut);
                failure = Some(Failure::connect(&error, addr, start_server));
            }
        }
    }
    let Some((addr, stream)) = first else {
        return Err(failure.unwrap_or_else(|| {
            Failure::custom("no address to connect to", None, common::exit_code::IO)
        }));
    };
    let mut connected = Vec::with_capacity(count);
    let mut errors = ErrorCounts::default();
    match setup(0, stream).await {
        Ok(value) => {
            counters.connected();
            connected.push((0, value));
        }
        Err(kind) => {
            counters.error();
            errors.add(kind);
        }
    }

    let ramp = Arc::new(Semaphore::new(options.connect_concurrency as usize));
    let mut attempts = JoinSet::new();
    for index in 1..count {
        let (ramp, limits, counters, setup) = (
            Arc::clone(&ramp),
            Arc::clone(limits),
            Arc::clone(counters),
            setup.clone(),
        );
        attempts.spawn(async move {
            let Ok(_permit) = ramp.acquire_owned().await else {
                return Err(None);
            };
            let stream = match limits.within(TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    counters.error();
                    return Err(Some(format!("connect: {}", common::describe(&error))));
                }
                Err(Cut::TimedOut) => {
                    counters.error();
                    return Err(Some("connect: timed out".into()));
                }
                Err(Cut::Deadline) => return Err(None),
            };
            match setup(index, stream).await {
                Ok(value) => {
                    counters.connected();
                    Ok((index, value))
                }
                Err(kind) => {
                    counters.error();
                    Err(Some(kind))
                }
            }
        });
    }
    while let Some(joined) = attempts.join_next().await {
        match joined {
            Ok(Ok(value)) => connected.push(value),
            Ok(Err(Some(kind))) => errors.add(kind),
            Ok(Err(None)) => {} // stopped by the duration limit: the run is partial
            Err(panicked) => errors.add(format!("connect task failed: {panicked}")),
        }
    }
    connected.sort_by_key(|(index, _)| *index);
    Ok(Connected {
        addr,
        set_up: connected,
        errors,
    })
}

/// What [`connect_all`] opened.
pub struct Connected<T> {
    /// The server's address (the first of the host's addresses that answered).
    pub addr: SocketAddr,
    /// What `setup` made of each connection, by connection index.
    pub set_up: Vec<(usize, T)>,
    /// Connections that failed, by kind.
    pub errors: ErrorCounts,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_a_target() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().expect("ip")), "{ip}");
        }
        for ip in [
            "10.0.0.1",
            "192.168.1.1",
            "0.0.0.0",
            "8.8.8.8",
            "::",
            "fe80::1",
        ] {
            assert!(!is_loopback(ip.parse().expect("ip")), "{ip}");
        }
    }

    /// `--host HOST --port PORT` as clap reads them, with the lesson's default port `PORT`.
    fn target<const PORT: u16>(host: &str, port: u16) -> ServerAt<PORT> {
        ServerAt {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn hints_name_the_port_only_when_it_differs() {
        assert_eq!(
            server_command(&target::<9001>("127.0.0.1", 9001), "echo-server", &[]),
            "cargo run --release -p echo-server"
        );
        assert_eq!(
            server_command(&target::<9003>("127.0.0.1", 4000), "chat-server", &[]),
            "cargo run --release -p chat-server -- --port 4000"
        );
        assert_eq!(
            server_command(
                &target::<9002>("127.0.0.1", 9002),
                "udp-server",
                &["--echo"]
            ),
            "cargo run --release -p udp-server -- --echo"
        );
        assert_eq!(
            server_command(&target::<9002>("::1", 4000), "udp-server", &["--echo"]),
            "cargo run --release -p udp-server -- --host ::1 --port 4000 --echo"
        );
        assert_eq!(
            echo_server_command(&target::<9001>("127.0.0.1", 8888)),
            "cargo run --release -p async-echo-server"
        );
    }
}
