//! Lesson 9 — TLS echo client (tutorial 004's security section).
//!
//! Lesson 1's echo client over TLS, as Python's `SSLContext.wrap_socket` wraps a socket. It
//! trusts only the certificate authority it is given (`--ca`), never "any certificate". Make
//! the certificates and start the server first (`cargo run -p tls-echo-server -- --make-certs`,
//! then `cargo run -p tls-echo-server`), then:
//!
//!     cargo run -p tls-echo-client                          # type lines, q to quit
//!     cargo run -p tls-echo-client -- --message 'hello socket'
//!     cargo run -p tls-echo-client -- --cert certs/client.pem --key certs/client-key.pem

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use common::tls::{load_certs, load_key};
use common::{Failure, Prompt, ServerAt, exit_code};
use rustls::pki_types::ServerName;
use rustls::{AlertDescription, ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// The lesson's port: 9443, the usual stand-in for HTTPS's 443.
const DEFAULT_PORT: u16 = common::ports::TLS_ECHO;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "tls-echo-server";

/// Tutorial 004's prompt ("please enter data: "), shown only when a person is typing.
const PROMPT: &str = "请输入数据: ";

/// Tutorial 004's quit word.
const QUIT: &[u8] = b"q";

/// Seconds the server may stay silent while a reply (or its half of the handshake) is due,
/// unless `--timeout` says otherwise; lesson 1's reasons. (A string, as clap reads it.)
const DEFAULT_TIMEOUT_SECS: &str = "30";

/// The most bytes sent before their echo is read back: one TLS record's worth. Lesson 1's
/// client sends and receives on two threads so that a long line cannot dead-lock; a TLS
/// connection is one state machine, used by one thread at a time, so this client sends a piece,
/// reads its echo, sends the next. No buffer ever holds more than a piece.
const PIECE: usize = 16 * 1024;

/// The exit code of every TLS failure (see the README's table).
const TLS_FAILED: u8 = common::exit_code::TLS;

/// TLS echo client: sends lines to the TLS echo server and prints the replies.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: ServerAt<DEFAULT_PORT>,

    /// Trust only servers whose certificate this CA signed (PEM), as tls-echo-server
    /// --make-certs writes it
    #[arg(long, value_name = "FILE", default_value = "certs/ca.pem")]
    ca: PathBuf,

    /// The name the server's certificate must be for (default: --host)
    #[arg(long, value_name = "NAME")]
    server_name: Option<String>,

    /// Show this client certificate (PEM) to a server that asks for one (its --client-ca)
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,

    /// The private key of --cert (PEM)
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,

    /// Send this one message, print the reply as tutorial 000 does, and exit
    #[arg(long, short)]
    message: Option<String>,

    /// Give up when the server sends nothing for this many seconds while a reply is due (e.g.
    /// 0.5)
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_TIMEOUT_SECS,
          value_parser = common::parse_seconds)]
    timeout: Duration,
}

/// The TLS stream: rustls' client state over the TCP socket.
type Tls = StreamOwned<ClientConnection, TcpStream>;

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args))
}

fn run(args: &Args) -> Result<(), Failure> {
    // ANCHOR: connect
    // Step 1 — connect to the server, as in lesson 1: TLS comes on top of TCP
    // Python: sock = socket.create_connection(ADDR); sock.settimeout(30)
    let addrs = args.server.resolve()?;
    let stream = TcpStream::connect(&addrs[..])
        .map_err(|error| args.server.cannot_connect(&error, SERVER_PACKAGE))?;
    stream.set_read_timeout(Some(args.timeout))?;
    stream.set_write_timeout(Some(args.timeout))?;
    let peer = stream.peer_addr()?;
    // ANCHOR_END: connect

    // ANCHOR: config
    // Step 2 — trust one CA, and only it; bring a client certificate if we have one
    // Python: context = ssl.create_default_context(cafile="certs/ca.pem")
    //         context.load_cert_chain("certs/client.pem", "certs/client-key.pem")
    let mut roots = RootCertStore::empty();
    for ca in load_certs(&args.ca, "the CA certificate")? {
        roots.add(ca).map_err(|error| bad_file(&args.ca, &error))?;
    }
    // The crypto comes from ring, the only provider this workspace compiles into rustls.
    let config = ClientConfig::builder().with_root_certificates(roots);
    let config = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => config
            .with_client_auth_cert(
                load_certs(cert, "the client certificate")?,
                load_key(key, "the client's private key")?,
            )
            .map_err(|error| bad_file(key, &error))?,
        _ => config.with_no_client_auth(),
    };
    // ANCHOR_END: config

    // ANCHOR: handshake
    // Step 3 — wrap the socket in TLS and shake hands
    // The server proves it holds the key of a certificate that our CA signed, for the name we
    // connect to.
    // Python: tls = context.wrap_socket(sock, server_hostname="localhost")
    let name = server_name(args)?;
    let connection = ClientConnection::new(Arc::new(config), name.clone())
        .map_err(|error| Failure::custom(format!("cannot start TLS: {error}"), None, TLS_FAILED))?;
    let mut tls = StreamOwned::new(connection, stream);
    tls.conn
        .complete_io(&mut tls.sock)
        .map_err(|error| handshake_failed(&error, args, &name))?;
    // ANCHOR_END: handshake

    // ANCHOR: message
    // Step 4 — one message: send it, receive the echo, print it like tutorial 000
    // Python: tls.sendall(b'hello socket'); data = tls.recv(1024); print('Received', repr(data))
    if let Some(message) = &args.message {
        let reply = exchange(&mut tls, message.as_bytes(), args)?;
        println!("Received b'{}'", reply.escape_ascii());
        return goodbye(tls);
    }
    // ANCHOR_END: message

    // ANCHOR: conversation
    // Step 5 — a conversation, as in lesson 1: one line of input, one reply
    // Python: print(tls.version(), tls.cipher()); while True: data = input(PROMPT) ...
    println!("connected to {peer}: {}", session(&tls.conn, &name, args));
    let mut input = Prompt::new(PROMPT); // shows the prompt only when a person is typing
    while let Some(line) = input.next_line()? {
        if line == QUIT {
            break;
        }
        if line.is_empty() {
            continue; // sending nothing would get nothing back
        }
        let reply = exchange(&mut tls, line, args)?;
        // Control characters shown escaped, never obeyed, as in lesson 1.
        let reply = String::from_utf8_lossy(&reply);
        println!("收到服务器响应: {}", common::terminal_safe(&reply));
    }
    // ANCHOR_END: conversation
    goodbye(tls)
}

// ANCHOR: close
/// Ends the conversation, after one message (step 4) or at `q` or the end of input (step 5).
/// close_notify tells the server that the data ended here, on purpose: without it, the end of
/// the TCP connection could be an attacker cutting it short.
fn goodbye(mut tls: Tls) -> Result<(), Failure> {
    // Step 6 — say goodbye in TLS (close_notify), then close the socket
    // Python: tls.unwrap(); sock.close()
    tls.conn.send_close_notify();
    tls.flush()
        .map_err(|error| Failure::new("cannot say goodbye to the server", &error))?;
    drop(tls); // closes the socket
    Ok(())
}
// ANCHOR_END: close

// ANCHOR: exchange
/// Sends `message` and receives its echo, a piece at a time (see [`PIECE`]): exactly as
/// many bytes as were sent, however many TLS records they come back in.
fn exchange(tls: &mut Tls, message: &[u8], args: &Args) -> Result<Vec<u8>, Failure> {
    let mut reply = vec![0; message.len()];
    for (piece, echo) in message.chunks(PIECE).zip(reply.chunks_mut(PIECE)) {
        // Python: tls.sendall(piece). rustls encrypts it into a record and sends that.
        tls.write_all(piece)
            .and_then(|()| tls.flush())
            .map_err(|error| failure("cannot send to the server", &error, args))?;
        // Python: tutorial 000's myreceive(tls, len(piece)), on the TLS socket
        tls.read_exact(echo)
            .map_err(|error| failure("no complete reply from the server", &error, args))?;
    }
    Ok(reply)
}
// ANCHOR_END: exchange

/// The error line for what went wrong while `doing` something after the handshake. A TLS
/// error can still come here: with TLS 1.3 the server judges our client certificate after our
/// half of the handshake is done, and its "no" arrives with the first reply.
fn failure(doing: &str, error: &io::Error, args: &Args) -> Failure {
    if let Some(tls_error) = tls_error(error) {
        return refused_by_the_server(tls_error, args)
            .unwrap_or_else(|| Failure::custom(format!("{doing}: {tls_error}"), None, TLS_FAILED));
    }
    if common::timed_out(error) {
        return Failure::custom(
            format!("{doing}: it did not respond for {:?}", args.timeout),
            Some("is it busy with another client? To wait longer, use --timeout SECONDS".into()),
            exit_code::TIMED_OUT,
        );
    }
    Failure::new(doing, error)
}

/// The name the server's certificate must hold: `--server-name`, or else `--host`, as
/// Python's `server_hostname`. `127.0.0.1` and `::1` are checked as IP addresses.
fn server_name(args: &Args) -> Result<ServerName<'static>, Failure> {
    let name = args.server_name.as_ref().unwrap_or(&args.server.host);
    ServerName::try_from(name.clone()).map_err(|_| {
        Failure::custom(
            format!("'{name}' is not a host name or an IP address"),
            Some("give --server-name a name such as localhost".into()),
            exit_code::USAGE,
        )
    })
}

/// What the handshake agreed on: `TLSv1.3, TLS13_AES_256_GCM_SHA384` (Python: `tls.version()`,
/// `tls.cipher()`) and whose certificate was checked against which CA.
fn session(connection: &ClientConnection, name: &ServerName<'_>, args: &Args) -> String {
    let version = match connection.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        other => format!("{other:?}"),
    };
    let suite = connection
        .negotiated_cipher_suite()
        .map(|suite| format!("{:?}", suite.suite()))
        .unwrap_or_default();
    format!(
        "{version}, {suite}, certificate for {} signed by {}",
        name.to_str(),
        args.ca.display()
    )
}

// ANCHOR: handshake-failed
/// A failed handshake as one line with a hint: the mistakes students make with TLS.
fn handshake_failed(error: &io::Error, args: &Args, name: &ServerName<'_>) -> Failure {
    use rustls::CertificateError as Cert;
    use rustls::Error as Tls;
    let ca = args.ca.display();
    let tls = |message: String, hint: &str| Failure::custom(message, Some(hint.into()), TLS_FAILED);
    let Some(tls_error) = tls_error(error) else {
        // No TLS error: the TCP connection itself ended or went quiet.
        if common::timed_out(error) {
            return Failure::custom(
                format!("no TLS answer from the server for {:?}", args.timeout),
                Some(
                    "does it speak TLS? A plain TCP server waits for us to speak first; to wait \
                     longer, use --timeout SECONDS"
                        .into(),
                ),
                exit_code::TIMED_OUT,
            );
        }
        // (A reset or a plain end of stream, depending on when the server closed: the same
        // story to a student.)
        return tls(
            "the server closed the connection during the TLS handshake".into(),
            "does it let your address in (its --allow)? Does it speak TLS?",
        );
    };
    if let Some(refused) = refused_by_the_server(tls_error, args) {
        return refused;
    }
    match tls_error {
        Tls::InvalidCertificate(Cert::UnknownIssuer | Cert::BadSignature) => tls(
            format!("the server's certificate is not signed by the CA in {ca}"),
            "is --ca the ca.pem made together with the server's certificate? We trust no other",
        ),
        Tls::InvalidCertificate(Cert::NotValidForNameContext { presented, .. }) => tls(
            format!(
                "the server's certificate is for {}, not for {}",
                names(presented),
                name.to_str()
            ),
            "connect with one of its names (--host), or give one with --server-name",
        ),
        Tls::InvalidCertificate(Cert::NotValidForName) => tls(
            format!("the server's certificate is not for {}", name.to_str()),
            "connect with one of its names (--host), or give one with --server-name",
        ),
        Tls::InvalidCertificate(Cert::ExpiredContext { time, not_after }) => tls(
            format!(
                "the server's certificate expired {}",
                days_ago(time.as_secs().saturating_sub(not_after.as_secs()))
            ),
            "make new certificates: delete certs/, then cargo run -p tls-echo-server -- \
             --make-certs",
        ),
        Tls::InvalidCertificate(Cert::Expired) => tls(
            "the server's certificate has expired".into(),
            "make new certificates: delete certs/, then cargo run -p tls-echo-server -- \
             --make-certs",
        ),
        Tls::InvalidCertificate(Cert::NotValidYet | Cert::NotValidYetContext { .. }) => tls(
            "the server's certificate is not valid yet".into(),
            "is the clock of this machine, or of the server's, wrong?",
        ),
        Tls::InvalidCertificate(other) => tls(
            format!("the server's certificate was refused: {other:?}"),
            "make the certificates with: cargo run -p tls-echo-server -- --make-certs",
        ),
        // It answered, but not in TLS: lesson 1's echo-server sends our own hello back,
        // a ctime-server sends text.
        Tls::InvalidMessage(_)
        | Tls::InappropriateMessage { .. }
        | Tls::InappropriateHandshakeMessage { .. } => tls(
            "the server does not speak TLS: its answer is not a TLS handshake".into(),
            "is it a plain TCP server, such as echo-server? Its TLS twin is tls-echo-server",
        ),
        other => Failure::custom(format!("TLS handshake failed: {other}"), None, TLS_FAILED),
    }
}

/// The server's "no" to our client certificate, which the server sends as an alert.
fn refused_by_the_server(error: &rustls::Error, args: &Args) -> Option<Failure> {
    let rustls::Error::AlertReceived(alert) = error else {
        return None;
    };
    let tls =
        |message: &str, hint: &str| Some(Failure::custom(message, Some(hint.into()), TLS_FAILED));
    match (alert, &args.cert) {
        // TLS 1.3 says "certificate required"; TLS 1.2 servers often only "handshake failure".
        (AlertDescription::CertificateRequired | AlertDescription::HandshakeFailure, None) => tls(
            "the server wants a client certificate (mutual TLS)",
            "give one: --cert certs/client.pem --key certs/client-key.pem",
        ),
        (AlertDescription::UnknownCA | AlertDescription::DecryptError, Some(_)) => tls(
            "the server does not trust the CA that signed our client certificate",
            "is --cert signed by the CA of the server's --client-ca?",
        ),
        (AlertDescription::CertificateExpired, Some(_)) => tls(
            "the server says our client certificate has expired (or is not valid yet)",
            "make new certificates: delete certs/, then cargo run -p tls-echo-server -- \
             --make-certs",
        ),
        (AlertDescription::BadCertificate | AlertDescription::UnsupportedCertificate, Some(_)) => {
            tls(
                "the server refused our client certificate",
                "is --cert a client certificate, such as certs/client.pem?",
            )
        }
        (other, _) => Some(Failure::custom(
            format!("the server ended the handshake with the alert {other:?}"),
            None,
            TLS_FAILED,
        )),
    }
}
// ANCHOR_END: handshake-failed

/// The names a certificate is for, as webpki lists them (`DnsName("localhost")`,
/// `IpAddress(127.0.0.1)`), without the wrapping: `localhost, 127.0.0.1`.
fn names(presented: &[String]) -> String {
    let bare = |name: &String| -> String {
        let inner = name
            .split_once('(')
            .and_then(|(_, rest)| rest.strip_suffix(')'))
            .unwrap_or(name);
        let inner = inner.trim_matches('"');
        // webpki writes ::1 as 0::1; an address parsed and printed again reads as typed.
        match inner.parse::<std::net::IpAddr>() {
            Ok(address) => address.to_string(),
            Err(_) => inner.to_string(),
        }
    };
    let names: Vec<String> = presented.iter().map(bare).collect();
    if names.is_empty() {
        "no name at all".into()
    } else {
        names.join(", ")
    }
}

/// `3 days ago`, `less than a day ago`.
fn days_ago(seconds: u64) -> String {
    match seconds / (24 * 60 * 60) {
        0 => "less than a day ago".into(),
        1 => "1 day ago".into(),
        days => format!("{days} days ago"),
    }
}

/// The rustls error inside an I/O error, if that is what it is: rustls reports a TLS failure
/// from `read`, `write` and `complete_io` as an `io::Error` of kind `InvalidData`.
fn tls_error(error: &io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}

/// A PEM file that was read but cannot be used (a key that is not the certificate's ...).
fn bad_file(path: &Path, error: &dyn std::fmt::Display) -> Failure {
    Failure::custom(
        format!("cannot use {}: {error}", path.display()),
        None,
        TLS_FAILED,
    )
}
