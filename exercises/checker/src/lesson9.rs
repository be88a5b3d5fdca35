//! Lesson 9's exercises, on TLS and who may connect: 9.1 completes a client that verifies the
//! server (its CA and its name), 9.2 a server's `--allow` list of CIDR blocks.
//!
//! The checker makes its own certificates for every check (rcgen, through `testkit::tls`): a
//! CA, which the client under test is given with `--ca`, and a second CA it is not; server
//! certificates for `localhost`, `127.0.0.1` and `::1`, for one of those names only, for
//! another name, and one that expired ten days ago. They live in a temporary folder that is
//! removed when the check ends.
//!
//! For 9.1 the checker is the server: a TLS server of its own, written with rustls like lesson
//! 9's, in this process. It accepts the client's one connection, shakes hands with the
//! certificate of the check, and notes what arrives after the handshake: a refused server must
//! see no byte of the message. The client's options are those of `tls-echo-client`, so
//! `scripts/exercise.sh check 9.1 --program target/debug/tls-echo-client` passes too.
//!
//! For 9.2 the checker is the client. Tests may only use this machine's loopback, and all of
//! 127.0.0.0/8 is loopback on Linux: the checker binds its socket to 127.0.0.2, 127.0.0.3 ...
//! before it connects, so that the server sees connections from several addresses. A refused
//! client sends a real TLS ClientHello and must get no byte back, only the end of the
//! connection, within a few seconds: the address is checked before any TLS work.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use socket2::{Domain, Socket, Type};
use testkit::TempDir;
use testkit::tls::{TestCa, Validity};

use crate::net::{ANSWER, QUIET, accept_client};
use crate::program::{EXIT, Program, STARTUP, describe_exit};
use crate::report::{Check, Problem, show};

pub const VERIFY_SERVER: &[Check] = &[
    Check {
        name: "a server whose certificate --ca signed, for 127.0.0.1, is trusted: the echo comes back",
        run: the_right_server,
    },
    Check {
        name: "the name checked is --server-name, else --host: 127.0.0.1 and echo.test are accepted, localhost at 127.0.0.1 is not",
        run: the_name_connected_to,
    },
    Check {
        name: "a certificate from another CA is refused: one error line, a non-zero exit, no message sent",
        run: another_ca,
    },
    Check {
        name: "a certificate for another name is refused: one error line, a non-zero exit, no message sent",
        run: another_name,
    },
    Check {
        name: "an expired certificate is refused: one error line, a non-zero exit, no message sent",
        run: expired,
    },
];

pub const ALLOW_LIST: &[Check] = &[
    Check {
        name: "without --allow, every address is served over TLS",
        run: everyone_without_allow,
    },
    Check {
        name: "--allow 127.0.0.0/8 serves 127.0.0.2 and 127.1.2.3; --allow 10.0.0.0/8 refuses 127.0.0.2",
        run: prefix_8,
    },
    Check {
        name: "--allow 127.0.0.0/24 serves 127.0.0.2 and refuses 127.0.1.2",
        run: prefix_24,
    },
    Check {
        name: "--allow 127.0.0.2/32 --allow 10.0.0.0/8 serves 127.0.0.2 only; a refused client gets no TLS byte, and a log line",
        run: prefix_32_and_a_second_block,
    },
    Check {
        name: "IPv6: --allow ::1/128 serves ::1; --allow 127.0.0.0/8 refuses it",
        run: ipv6_loopback,
    },
    Check {
        name: "a bad block (10.0.0.0/33, ::1/129, 10.0.0.0/, localhost) is a usage error, exit code 2",
        run: bad_blocks,
    },
];

/// The message 9.1's client is asked to send.
const MESSAGE: &str = "hello, TLS";

/// The line 9.1's client prints when the echo comes back, as tutorial 000 and
/// `tls-echo-client --message` print it.
const RECEIVED: &str = "Received b'hello, TLS'";

/// The names of the right server's certificate: every way a client on this machine names it.
const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Where 9.1's work goes, for hints.
const TRUST_HINT: &str = "at the TODO in `trust`, add every certificate of `args.ca` to the \
    `RootCertStore` (`load_certs` reads them; `roots.add(ca)`), and build the `ServerName` from \
    `--server-name`, else `--host` (`ServerName::try_from(name.clone())`)";

/// Where 9.1's name goes wrong, for hints.
const NAME_HINT: &str = "the name the certificate must hold is the one this client connects \
    to: `--server-name` if given, else `--host`, never a name written in the code. \
    `ServerName::try_from` turns `127.0.0.1` into an IP address, which the certificate must list \
    as such";

/// Where 9.2's work goes, for hints.
const CIDR_HINT: &str = "at the TODO, split the text at `/` (`split_once`), parse the prefix \
    (`u8`, at most 32 for IPv4 and 128 for IPv6), and in `contains` compare only the first \
    `prefix` bits: `u32::from(address) & mask == u32::from(network) & mask`, where the mask of \
    /24 is 255.255.255.0 (`u32::MAX << (32 - prefix)`, but a shift by 32 overflows: \
    `checked_shl`). IPv6 is the same with `u128`";

// ---------------------------------------------------------------------------------------------
// Certificates.

/// A CA of the checker's own and the files of one check, in a temporary folder that is removed
/// when the check ends (also when it fails).
struct Certs {
    dir: TempDir,
    ca: TestCa,
}

impl Certs {
    /// A fresh CA and folder. Checks run side by side in one process (`verify` runs a starter
    /// and a solution at once), so each folder gets a number of its own.
    fn new() -> Certs {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let number = NEXT.fetch_add(1, Ordering::Relaxed);
        Certs {
            dir: TempDir::new(&format!("exercise-9-{number}")),
            ca: TestCa::new(),
        }
    }

    /// Writes a server certificate for localhost, 127.0.0.1 and ::1 and its key into the
    /// folder, for a server's `--cert` and `--key`; returns their paths.
    fn server_files(&self) -> (String, String) {
        let cert = ServerCert::issued_by(&self.ca, &LOCAL_NAMES, Validity::Now);
        (
            self.dir.write("server.pem", &cert.cert),
            self.dir.write("server-key.pem", &cert.key),
        )
    }

    /// Writes the CA into the folder, for a client's `--ca`; returns its path.
    fn ca_file(&self) -> String {
        self.dir.write("ca.pem", &self.ca.pem)
    }
}

/// A server certificate and its key, both PEM.
struct ServerCert {
    cert: String,
    key: String,
}

impl ServerCert {
    fn issued_by(ca: &TestCa, names: &[&str], validity: Validity) -> ServerCert {
        let (cert, key) = ca.issue(names, false, validity);
        ServerCert { cert, key }
    }

    /// The rustls configuration of a server that shows this certificate.
    fn config(&self) -> Arc<ServerConfig> {
        let cert = CertificateDer::from_pem_slice(self.cert.as_bytes()).expect("the checker's PEM");
        let key = PrivateKeyDer::from_pem_slice(self.key.as_bytes()).expect("the checker's key");
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .expect("a certificate and its key");
        Arc::new(config)
    }
}

// ---------------------------------------------------------------------------------------------
// 9.1: the checker is the server.

/// What the checker's server saw of the client under test.
struct Served {
    /// How the handshake ended: `Ok`, or why it failed, in rustls' words.
    handshake: Result<(), String>,
    /// The application data that arrived after the handshake: the message, for a client that
    /// trusted the server.
    received: Vec<u8>,
}

/// What the client under test did: how it ended, what it printed.
struct ClientRun {
    client: Program,
    code: Option<i32>,
    stdout: String,
    stderr: String,
    served: Served,
}

/// Runs the client under test against a server of the checker's that shows `cert`, with
/// `--host host --port PORT --ca ca --message MESSAGE` and `extra`.
fn run_client(
    program: &Path,
    cert: &ServerCert,
    ca: &str,
    host: &str,
    extra: &[&str],
) -> Result<ClientRun, Problem> {
    let cannot_listen = |error: io::Error| {
        Problem::new(format!(
            "the checker cannot listen: {}",
            common::describe(&error)
        ))
    };
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(cannot_listen)?;
    // Non-blocking, so that waiting for the client can also notice that it gave up.
    listener.set_nonblocking(true).map_err(cannot_listen)?;
    let port = listener
        .local_addr()
        .map_err(cannot_listen)?
        .port()
        .to_string();
    let mut args = vec![
        "--host",
        host,
        "--port",
        &port,
        "--ca",
        ca,
        "--message",
        MESSAGE,
    ];
    args.extend_from_slice(extra);
    let mut client = Program::start(program, &args)?;
    let stream = accept_client(
        &listener,
        &mut client,
        Some("it should connect first, then shake hands: read the error line above"),
    )?;
    let served = serve(stream, cert.config());
    let exit = client.wait_for_exit(EXIT)?;
    Ok(ClientRun {
        code: exit.status.code(),
        stdout: exit.stdout,
        stderr: client.stderr(),
        client,
        served,
    })
}

/// The checker's server, for one client: the handshake, then an echo of what arrives until
/// the message is whole, the client leaves, or `ANSWER` passes.
fn serve(mut stream: TcpStream, config: Arc<ServerConfig>) -> Served {
    let mut served = Served {
        handshake: Ok(()),
        received: Vec::new(),
    };
    if let Err(error) = stream.set_read_timeout(Some(ANSWER)) {
        served.handshake = Err(common::describe(&error));
        return served;
    }
    let mut connection = match ServerConnection::new(config) {
        Ok(connection) => connection,
        Err(error) => {
            served.handshake = Err(error.to_string());
            return served;
        }
    };
    while connection.is_handshaking() {
        if let Err(error) = connection.complete_io(&mut stream) {
            served.handshake = Err(tls_problem(&error));
            return served;
        }
    }
    let mut tls = rustls::Stream::new(&mut connection, &mut stream);
    let mut buffer = [0; 1024];
    let deadline = Instant::now() + ANSWER;
    while served.received.len() < MESSAGE.len() && Instant::now() < deadline {
        match tls.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(count) => {
                served.received.extend_from_slice(&buffer[..count]);
                if tls
                    .write_all(&buffer[..count])
                    .and_then(|()| tls.flush())
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    served
}

/// A handshake error as the server saw it: rustls' error if it was one (`received fatal
/// alert: BadCertificate`), else the I/O error.
fn tls_problem(error: &io::Error) -> String {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => tls.to_string(),
        None => common::describe(error),
    }
}

/// What the client printed on standard output, for "got" (its standard error and how it
/// ended follow, from `Program::explain`).
fn printed(run: &ClientRun) -> String {
    if run.stdout.is_empty() {
        "nothing on stdout".into()
    } else {
        format!("{} on stdout", show(run.stdout.trim_end().as_bytes()))
    }
}

/// A run in which the client should have trusted the server: the handshake done, the message
/// received, the echo printed, exit status 0.
fn expect_trusted(mut run: ClientRun, setup: &str, hint: &str) -> Result<(), Problem> {
    let echoed = run.stdout.lines().any(|line| line == RECEIVED);
    if run.served.handshake.is_ok()
        && run.served.received == MESSAGE.as_bytes()
        && echoed
        && run.code == Some(0)
    {
        return Ok(());
    }
    let server_saw = match &run.served.handshake {
        Err(why) => format!("the handshake failed: {why}"),
        Ok(()) => format!(
            "a handshake, then {}",
            if run.served.received.is_empty() {
                "no message".to_string()
            } else {
                show(&run.served.received)
            }
        ),
    };
    // A client that trusts no CA yet fails every check the same way: the first thing to fix.
    let distrusted = matches!(&run.served.handshake, Err(why) if why.contains("UnknownCA") || why.contains("DecryptError"));
    let hint = if distrusted { TRUST_HINT } else { hint };
    let problem = Problem::new("the client did not trust the right server")
        .detail("setup", setup)
        .expected(format!(
            "the handshake, the message {MESSAGE:?}, the line `{RECEIVED}`, exit status 0"
        ))
        .got(printed(&run))
        .detail("server", server_saw)
        .hint(hint);
    Err(run.client.explain(problem))
}

/// A run in which the client should have refused the server: the handshake failed, nothing
/// sent, one `error:` line that names the reason (`because`, one of several words), a non-zero
/// exit that is not a crash.
fn expect_refused(
    mut run: ClientRun,
    setup: &str,
    because: &[&str],
    reason: &str,
    hint: &str,
) -> Result<(), Problem> {
    let expected = format!(
        "the handshake refused, no byte of the message sent, one line `error: ...` that says \
         {reason}, a non-zero exit status"
    );
    let problem = |what: &str| {
        Problem::new(what)
            .detail("setup", setup)
            .expected(expected.clone())
    };
    if run.served.handshake.is_ok() {
        let sent = if run.served.received.is_empty() {
            "the handshake was completed (no message came yet)".to_string()
        } else {
            format!(
                "the handshake was completed, and the message came: {}",
                show(&run.served.received)
            )
        };
        let problem = problem("the client trusted a server it should have refused")
            .got(format!("{sent}; the client printed {}", printed(&run)))
            .hint(hint);
        return Err(run.client.explain(problem));
    }
    let lines: Vec<&str> = run.stderr.lines().collect();
    let one_error_line = matches!(&lines[..], [line] if line.starts_with("error: "));
    let failed = run.code.is_some_and(|code| code != 0 && code != 101);
    let names_reason = because.iter().any(|word| run.stderr.contains(word));
    if one_error_line && failed && names_reason {
        return Ok(());
    }
    let (what, hint) = if !one_error_line || !failed {
        (
            "the client refused the server, but did not say so in one error line with a \
             non-zero exit",
            "return the `Failure` that `handshake_failed` makes: `main` prints it as one line \
             and exits with its code (7). Never `unwrap` or `panic!`",
        )
    } else {
        (
            "the client refused the server, but for another reason",
            hint,
        )
    };
    let problem = problem(what)
        .got(printed(&run))
        .detail("server", "the handshake failed, and no message came")
        .hint(hint);
    Err(run.client.explain(problem))
}

fn the_right_server(program: &Path) -> Result<(), Problem> {
    let certs = Certs::new();
    let cert = ServerCert::issued_by(&certs.ca, &LOCAL_NAMES, Validity::Now);
    let run = run_client(program, &cert, &certs.ca_file(), "127.0.0.1", &[])?;
    expect_trusted(
        run,
        "a certificate for localhost, 127.0.0.1 and ::1, signed by the CA of --ca; the client \
         started with --host 127.0.0.1",
        TRUST_HINT,
    )
}

fn the_name_connected_to(program: &Path) -> Result<(), Problem> {
    let certs = Certs::new();
    let ca = certs.ca_file();
    let ip_only = ServerCert::issued_by(&certs.ca, &["127.0.0.1"], Validity::Now);
    let run = run_client(program, &ip_only, &ca, "127.0.0.1", &[])?;
    expect_trusted(
        run,
        "a certificate for 127.0.0.1 only, signed by the CA of --ca; the client started with \
         --host 127.0.0.1",
        NAME_HINT,
    )?;
    let named = ServerCert::issued_by(&certs.ca, &["echo.test"], Validity::Now);
    let run = run_client(
        program,
        &named,
        &ca,
        "127.0.0.1",
        &["--server-name", "echo.test"],
    )?;
    expect_trusted(
        run,
        "a certificate for echo.test only, signed by the CA of --ca; the client started with \
         --host 127.0.0.1 --server-name echo.test",
        NAME_HINT,
    )?;
    let localhost_only = ServerCert::issued_by(&certs.ca, &["localhost"], Validity::Now);
    let run = run_client(program, &localhost_only, &ca, "127.0.0.1", &[])?;
    expect_refused(
        run,
        "a certificate for localhost only, signed by the CA of --ca; the client started with \
         --host 127.0.0.1, an IP address the certificate does not list",
        &["name", "not for"],
        "that the certificate is not for 127.0.0.1",
        NAME_HINT,
    )
}

fn another_ca(program: &Path) -> Result<(), Problem> {
    let certs = Certs::new();
    let other = TestCa::new();
    let cert = ServerCert::issued_by(&other, &LOCAL_NAMES, Validity::Now);
    let run = run_client(program, &cert, &certs.ca_file(), "127.0.0.1", &[])?;
    expect_refused(
        run,
        "a certificate for localhost, 127.0.0.1 and ::1, signed by another CA than --ca's; the \
         client started with --host 127.0.0.1",
        &["CA"],
        "that the certificate is not signed by the CA of --ca",
        "trust only the certificates of `--ca`: start from `RootCertStore::empty()` and add \
         those, nothing else",
    )
}

fn another_name(program: &Path) -> Result<(), Problem> {
    let certs = Certs::new();
    let cert = ServerCert::issued_by(&certs.ca, &["other.example"], Validity::Now);
    let run = run_client(program, &cert, &certs.ca_file(), "127.0.0.1", &[])?;
    expect_refused(
        run,
        "a certificate for other.example only, signed by the CA of --ca; the client started with \
         --host 127.0.0.1",
        &["name", "not for"],
        "that the certificate is not for 127.0.0.1",
        "a refusal because of the CA means that `--ca` is not trusted yet: rustls checks the \
         CA first, then the name. At the TODO in `trust`, add the certificates of `args.ca` to \
         the `RootCertStore`, and take the name from `--server-name`, else `--host`",
    )
}

fn expired(program: &Path) -> Result<(), Problem> {
    let certs = Certs::new();
    let cert = ServerCert::issued_by(&certs.ca, &LOCAL_NAMES, Validity::Expired);
    let run = run_client(program, &cert, &certs.ca_file(), "127.0.0.1", &[])?;
    expect_refused(
        run,
        "a certificate for localhost, 127.0.0.1 and ::1, signed by the CA of --ca, that expired \
         10 days ago; the client started with --host 127.0.0.1",
        &["expired"],
        "that the certificate has expired",
        "rustls refuses an expired certificate by itself, once the client's `RootCertStore` \
         and `ServerName` come from `--ca` and `--host`: keep the error that `handshake_failed` \
         makes of it",
    )
}

// ---------------------------------------------------------------------------------------------
// 9.2: the checker is the client.

/// The server under test, with the checker's certificate and the CA that signed it.
struct AllowServer {
    server: Program,
    addr: SocketAddr,
    /// What the checker trusts when it talks to the server.
    client_config: Arc<ClientConfig>,
    /// The `--allow` options it was started with, for the problems' "server" line.
    allow: String,
    /// Kept until the server is gone: its certificate files are in it.
    _certs: Certs,
}

/// Starts the server under test with `--port 0`, a certificate for localhost, 127.0.0.1 and
/// ::1, and `options` (`--allow ...`, `--host ::1`).
fn start_allow(program: &Path, options: &[&str]) -> Result<AllowServer, Problem> {
    let certs = Certs::new();
    let (cert_file, key_file) = certs.server_files();
    let mut args = vec!["--cert", &cert_file, "--key", &key_file];
    args.extend_from_slice(options);
    let (server, addr) = Program::start_server_with(program, &args)?;
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(certs.ca.pem.as_bytes()).expect("the checker's CA"))
        .expect("a CA certificate");
    let client_config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(AllowServer {
        server,
        addr,
        client_config: Arc::new(client_config),
        allow: if options.is_empty() {
            "started without --allow".into()
        } else {
            format!("started with {}", options.join(" "))
        },
        _certs: certs,
    })
}

/// A TCP connection to `to` from the address `from`: the socket is bound to `from` (port 0)
/// before it connects, as a client on another machine would come from another address.
fn connect_from(from: IpAddr, to: SocketAddr) -> Result<TcpStream, Problem> {
    let cannot = |doing: &str, error: io::Error| {
        let mut problem = Problem::new(format!(
            "the checker cannot {doing}: {}",
            common::describe(&error)
        ));
        if error.kind() == ErrorKind::AddrNotAvailable {
            problem = problem.hint(format!(
                "this machine's loopback has no address {from}: Linux has all of 127.0.0.0/8, \
                 macOS only 127.0.0.1 (add one with `sudo ifconfig lo0 alias {from} up`)"
            ));
        }
        problem
    };
    let socket = Socket::new(Domain::for_address(to), Type::STREAM, None)
        .map_err(|error| cannot("make a socket", error))?;
    socket
        .bind(&SocketAddr::new(from, 0).into())
        .map_err(|error| cannot(&format!("bind a socket to {from}"), error))?;
    socket
        .connect_timeout(&to.into(), ANSWER)
        .map_err(|error| cannot(&format!("connect from {from} to the server at {to}"), error))?;
    let stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(ANSWER))
        .and_then(|()| stream.set_write_timeout(Some(ANSWER)))
        .map_err(|error| cannot("set a time-out", error))?;
    Ok(stream)
}

/// Talks to the server from `from`, over TLS: the handshake, a message, its echo, the goodbye.
fn expect_served(server: &mut AllowServer, from: IpAddr) -> Result<(), Problem> {
    let stream = connect_from(from, server.addr)?;
    let message = format!("hello from {from}");
    let config = Arc::clone(&server.client_config);
    match echo_over_tls(stream, config, server.addr.ip(), message.as_bytes()) {
        Ok(()) => Ok(()),
        Err(got) => {
            // What the server said of that client, if anything: "refused 127.0.0.2:PORT ...".
            let address = from.to_string();
            let said = server
                .server
                .wait_for_line(|line| line.contains(&address), QUIET)
                .unwrap_or_else(|_| "nothing about this client".into());
            let problem = Problem::new(format!("a client from {from} was not served"))
                .detail("server", server.allow.clone())
                .expected(format!(
                    "a TLS handshake, then {} echoed",
                    show(message.as_bytes())
                ))
                .got(got)
                .detail("it said", said)
                .hint(CIDR_HINT);
            Err(server.server.explain(problem))
        }
    }
}

/// The checker's TLS client, to the server at `ip`: `Err` says what went wrong, for "got".
fn echo_over_tls(
    mut stream: TcpStream,
    config: Arc<ClientConfig>,
    ip: IpAddr,
    message: &[u8],
) -> Result<(), String> {
    let mut connection = ClientConnection::new(config, ServerName::from(ip))
        .map_err(|error| format!("the checker cannot start TLS: {error}"))?;
    while connection.is_handshaking() {
        connection.complete_io(&mut stream).map_err(|error| {
            if error.kind() == ErrorKind::UnexpectedEof && error.get_ref().is_none() {
                "the connection was closed during the TLS handshake".to_string()
            } else {
                format!("the TLS handshake failed: {}", tls_problem(&error))
            }
        })?;
    }
    let mut tls = rustls::Stream::new(&mut connection, &mut stream);
    tls.write_all(message)
        .and_then(|()| tls.flush())
        .map_err(|error| {
            format!(
                "after the handshake, sending failed: {}",
                tls_problem(&error)
            )
        })?;
    let mut echo = vec![0; message.len()];
    tls.read_exact(&mut echo)
        .map_err(|error| format!("after the handshake, no echo: {}", tls_problem(&error)))?;
    if echo != message {
        return Err(format!("the echo {}", show(&echo)));
    }
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(())
}

/// How a connection from a refused address ended.
enum Refusal {
    /// Closed (or reset) without a byte: as it should be.
    Closed,
    /// Bytes came back: the server answered the ClientHello.
    Answered(Vec<u8>),
    /// Nothing, and the connection stayed open.
    StillOpen,
}

/// Connects from `from`, sends a TLS ClientHello, and sees what comes back.
fn refusal_from(server: &AllowServer, from: IpAddr) -> Result<Refusal, Problem> {
    let mut stream = connect_from(from, server.addr)?;
    let mut connection = ClientConnection::new(
        Arc::clone(&server.client_config),
        ServerName::from(server.addr.ip()),
    )
    .expect("a client connection");
    let mut hello = Vec::new();
    connection
        .write_tls(&mut hello)
        .expect("a ClientHello into memory");
    // The server may have closed already: a failed write is a closed connection too.
    if stream.write_all(&hello).is_err() {
        return Ok(Refusal::Closed);
    }
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    let deadline = Instant::now() + ANSWER;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => received.extend_from_slice(&buffer[..count]),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(if received.is_empty() {
                    Refusal::StillOpen
                } else {
                    Refusal::Answered(received)
                });
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(_) => break, // reset: closed
        }
    }
    Ok(if received.is_empty() {
        Refusal::Closed
    } else {
        Refusal::Answered(received)
    })
}

/// A client from `from` must be closed at once, without a byte of TLS, and the server must say
/// so in a line that names the address.
fn expect_refused_from(server: &mut AllowServer, from: IpAddr) -> Result<(), Problem> {
    let sent = format!(
        "from {from}: a TLS ClientHello, then the checker listens for {} s",
        ANSWER.as_secs()
    );
    let got = match refusal_from(server, from)? {
        Refusal::Closed => None,
        Refusal::Answered(bytes) => Some(format!(
            "{} bytes came back{}: {}",
            bytes.len(),
            if bytes.first() == Some(&0x16) {
                " (a TLS handshake record: the ServerHello)"
            } else {
                ""
            },
            show(&bytes[..bytes.len().min(24)])
        )),
        Refusal::StillOpen => Some("nothing, and the connection stayed open".into()),
    };
    if let Some(got) = got {
        let answered = got.contains("ServerHello");
        let problem = Problem::new(format!("a client from {from} was not refused at once"))
            .detail("server", server.allow.clone())
            .detail("sent", sent)
            .expected("no byte back: the connection closed (or reset) at once")
            .got(got)
            .hint(if answered {
                "check the address right after `accept`, before `ServerConnection::new` and the \
                 handshake: a refused client must not get a single byte of TLS"
            } else {
                CIDR_HINT
            });
        return Err(server.server.explain(problem));
    }
    let address = from.to_string();
    server
        .server
        .wait_for_line(
            |line| line.contains(&address) && !line.starts_with("connected from"),
            ANSWER,
        )
        .map(|_| ())
        .map_err(|problem| {
            problem
                .detail("server", server.allow.clone())
                .detail("sent", sent)
                .expected(format!(
                    "a line on standard output that says the client from {from} was refused"
                ))
                .hint("print a line with the client's address when you close its connection")
        })
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("the checker's own addresses")
}

fn everyone_without_allow(program: &Path) -> Result<(), Problem> {
    let mut server = start_allow(program, &[])?;
    expect_served(&mut server, ip("127.0.0.1"))?;
    expect_served(&mut server, ip("127.0.0.2"))
}

fn prefix_8(program: &Path) -> Result<(), Problem> {
    let mut server = start_allow(program, &["--allow", "127.0.0.0/8"])?;
    expect_served(&mut server, ip("127.0.0.2"))?;
    expect_served(&mut server, ip("127.1.2.3"))?;
    drop(server);
    let mut server = start_allow(program, &["--allow", "10.0.0.0/8"])?;
    expect_refused_from(&mut server, ip("127.0.0.2"))
}

fn prefix_24(program: &Path) -> Result<(), Problem> {
    let mut server = start_allow(program, &["--allow", "127.0.0.0/24"])?;
    expect_served(&mut server, ip("127.0.0.2"))?;
    expect_refused_from(&mut server, ip("127.0.1.2"))?;
    expect_served(&mut server, ip("127.0.0.254"))
}

fn prefix_32_and_a_second_block(program: &Path) -> Result<(), Problem> {
    let mut server = start_allow(
        program,
        &["--allow", "127.0.0.2/32", "--allow", "10.0.0.0/8"],
    )?;
    expect_served(&mut server, ip("127.0.0.2"))?;
    expect_refused_from(&mut server, ip("127.0.0.3"))?;
    expect_refused_from(&mut server, ip("127.0.0.1"))?;
    // The server goes on after a refusal.
    expect_served(&mut server, ip("127.0.0.2"))
}

fn ipv6_loopback(program: &Path) -> Result<(), Problem> {
    if TcpListener::bind("[::1]:0").is_err() {
        return Ok(()); // no IPv6 loopback on this machine: nothing to check
    }
    let mut server = start_allow(program, &["--host", "::1", "--allow", "::1/128"])?;
    expect_served(&mut server, ip("::1"))?;
    drop(server);
    let mut server = start_allow(program, &["--host", "::1", "--allow", "127.0.0.0/8"])?;
    expect_refused_from(&mut server, ip("::1"))
}

fn bad_blocks(program: &Path) -> Result<(), Problem> {
    let certs = Certs::new();
    let (cert_file, key_file) = certs.server_files();
    for bad in ["10.0.0.0/33", "::1/129", "10.0.0.0/", "localhost"] {
        let options = [
            "--port", "0", "--cert", &cert_file, "--key", &key_file, "--allow", bad,
        ];
        let mut server = Program::start(program, &options)?;
        let started = format!("started with --port 0 --allow {bad}, and a certificate");
        if let Ok(line) = server.wait_for_line(|line| line.starts_with("listening on"), STARTUP) {
            let problem = Problem::new(format!("--allow {bad} was taken"))
                .detail("server", started)
                .expected("a usage error: an error line that names the block, exit code 2")
                .got(format!("the server started: {line:?}"))
                .hint(
                    "clap hands each `--allow` to `from_str`: return an `Err` when what follows \
                     `/` is missing or is not a number from 0 to 32 (IPv4) or 0 to 128 (IPv6). \
                     clap prints it with the value, and exits with code 2",
                );
            return Err(server.explain(problem));
        }
        let exit = server.wait_for_exit(EXIT)?;
        let stderr = server.stderr();
        if exit.status.code() == Some(2) && stderr.contains(bad) {
            continue;
        }
        let problem = Problem::new(format!("--allow {bad} was not a usage error"))
            .detail("server", started)
            .expected("an error line that names the block, exit code 2")
            .got(describe_exit(exit.status))
            .hint(
                "return an `Err` from `from_str`: clap prints it with the value and exits with \
                 code 2",
            );
        return Err(server.explain(problem));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::thread;

    use super::*;

    /// The checker's certificates are what its checks say they are.
    #[test]
    fn the_checkers_server_and_client_shake_hands_over_loopback() {
        let certs = Certs::new();
        let cert = ServerCert::issued_by(&certs.ca, &LOCAL_NAMES, Validity::Now);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let config = cert.config();
        let server = thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            serve(stream, config)
        });
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(certs.ca.pem.as_bytes()).expect("CA"))
            .expect("add");
        let config = ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let stream = connect_from(ip("127.0.0.1"), addr).expect("connect");
        echo_over_tls(stream, Arc::new(config), addr.ip(), MESSAGE.as_bytes()).expect("an echo");
        let served = server.join().expect("the server thread");
        assert!(served.handshake.is_ok());
        assert_eq!(served.received, MESSAGE.as_bytes());
    }
}
