//! Lesson 9 — TLS echo server: encryption, client certificates and an allow-list (tutorial
//! 004's security section).
//!
//! Lesson 1's echo server with every connection wrapped in TLS, as Python's
//! `SSLContext.wrap_socket` wraps a socket. Make the certificates once, then run it and talk to
//! it from a second terminal:
//!
//!     cargo run -p tls-echo-server -- --make-certs     # writes certs/ca.pem, server.pem, ...
//!     cargo run -p tls-echo-server
//!     cargo run -p tls-echo-client
//!
//! Only clients with a certificate from our CA (mutual TLS), only from some addresses:
//!
//!     cargo run -p tls-echo-server -- --client-ca certs/ca.pem --allow 127.0.0.1
//!     cargo run -p tls-echo-client -- --cert certs/client.pem --key certs/client-key.pem

mod allow;
mod certs;

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::tls::{load_certs, load_key};
use common::{Failure, HostPort, Shutdown};
use rustls::server::WebPkiClientVerifier;
use rustls::{AlertDescription, RootCertStore, ServerConfig, ServerConnection, StreamOwned};

use allow::Cidr;

/// The lesson's port: 9443, the usual stand-in for HTTPS's 443 that needs no administrator
/// rights.
const DEFAULT_PORT: u16 = common::ports::TLS_ECHO;

/// Bytes read at a time, as in lesson 1. TLS sends data in records of up to 16 KiB; rustls
/// decrypts a whole record, and hands it out 1024 bytes per read.
const BUFSIZ: usize = 1024;

/// Seconds a client has to finish the TLS handshake (a string, as clap reads it). Without a
/// limit, a plain TCP client that waits for the server to speak first (lesson 1's echo-client
/// at its prompt) would hold a one-client-at-a-time server forever. A real handshake takes a
/// few milliseconds on one machine, a few round trips across the world.
const HANDSHAKE_TIMEOUT_SECS: &str = "10";

/// The exit code of every TLS failure (see the README's table).
const TLS_FAILED: u8 = common::exit_code::TLS;

/// A pause before accepting again after `accept()` failed (for example when the process ran
/// out of file descriptors), as in lesson 1.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// TLS echo server: sends every byte it receives back to the client, encrypted.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// The server's certificate (PEM), as --make-certs writes it
    #[arg(long, value_name = "FILE", default_value = "certs/server.pem")]
    cert: PathBuf,

    /// The private key of --cert (PEM)
    #[arg(long, value_name = "FILE", default_value = "certs/server-key.pem")]
    key: PathBuf,

    /// Mutual TLS: serve only clients whose certificate this CA signed (e.g. certs/ca.pem)
    #[arg(long, value_name = "FILE")]
    client_ca: Option<PathBuf>,

    /// Serve only clients from these addresses (repeatable): 127.0.0.1, 192.168.1.0/24, ::1;
    /// others are closed at once (default: every address)
    #[arg(long, value_name = "CIDR")]
    allow: Vec<Cidr>,

    /// Serve each client on its own thread (default: one client at a time, as in lesson 1)
    #[arg(long)]
    threads: bool,

    /// Seconds a client has to finish the TLS handshake
    #[arg(long, value_name = "SECONDS", default_value = HANDSHAKE_TIMEOUT_SECS,
          value_parser = common::parse_seconds)]
    handshake_timeout: Duration,

    /// No line per message received (connects, leaves and errors still print)
    #[arg(long, short)]
    quiet: bool,

    /// Write a local CA, a server and a client certificate into DIR (default: certs), then exit
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = certs::DIR)]
    make_certs: Option<PathBuf>,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    if let Some(dir) = &args.make_certs {
        return common::exit_with(make_certs(dir));
    }
    common::exit_with(serve(&args))
}

// ANCHOR: make-certs
/// `--make-certs DIR`: the certificates of the lesson, without openssl (see `certs.rs`).
fn make_certs(dir: &Path) -> Result<(), Failure> {
    for line in certs::make(dir)? {
        println!("{line}");
    }
    Ok(())
}
// ANCHOR_END: make-certs

fn serve(args: &Args) -> Result<(), Failure> {
    // ANCHOR: bind
    // Step 1 — create a socket, bind it and listen, as in lesson 1: TLS comes on top of TCP
    // Python: s = socket.socket(); s.bind(ADDR); s.listen()
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;

    // Step 2 — let Ctrl-C stop the server cleanly, as in lesson 1
    let shutdown = Shutdown::on_ctrl_c(&listener)?;
    // ANCHOR_END: bind

    // ANCHOR: config
    // Step 3 — load the server's certificate and its private key
    // Python: context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    //         context.load_cert_chain("certs/server.pem", "certs/server-key.pem")
    let cert_chain = load_certs(&args.cert, "the server's certificate")?;
    let key = load_key(&args.key, "the server's private key")?;

    // Step 4 — decide which clients may finish a handshake
    // With --client-ca, only those with a certificate that CA signed (mutual TLS); without
    // it, anyone, as an HTTPS site does.
    // Python: context.verify_mode = ssl.CERT_REQUIRED
    //         context.load_verify_locations("certs/ca.pem")
    let client_verifier = match &args.client_ca {
        Some(ca_file) => {
            let mut roots = RootCertStore::empty();
            for ca in load_certs(ca_file, "the CA of the client certificates")? {
                roots.add(ca).map_err(|error| bad_file(ca_file, &error))?;
            }
            WebPkiClientVerifier::builder(Arc::new(roots))
                .build()
                .map_err(|error| bad_file(ca_file, &error))?
        }
        None => WebPkiClientVerifier::no_client_auth(),
    };
    // The crypto comes from ring, the only provider this workspace compiles into rustls.
    let config = ServerConfig::builder()
        .with_client_cert_verifier(client_verifier)
        .with_single_cert(cert_chain, key)
        .map_err(|error| bad_file(&args.key, &error))?;
    let config = Arc::new(config);
    // ANCHOR_END: config

    // Only now say that the server is ready: a Ctrl-C from here on is caught, and the
    // certificates are loaded.
    println!("listening on {}", listener.local_addr()?);
    let _logger = common::Logger::start();

    // ANCHOR: accept
    thread::scope(|scope| {
        loop {
            // Step 5 — accept a client, and check its address against --allow
            // Before any TLS work: a refused address costs the server one accept and one close.
            // Python: conn, addr = s.accept()
            //         if ip_address(addr[0]) not in ip_network("10.0.0.0/8"): conn.close()
            let (stream, peer) = match listener.accept() {
                Ok(connection) => connection,
                Err(error) => {
                    eprintln!("accept failed: {}", common::describe(&error));
                    thread::sleep(ACCEPT_RETRY);
                    continue;
                }
            };
            if shutdown.requested() {
                break; // that "client" was Ctrl-C waking us up
            }
            if !allowed(&args.allow, peer.ip()) {
                common::log!("refused {peer}: its address is not in --allow");
                drop(stream); // Python: conn.close()
                continue;
            }

            let (config, shutdown) = (&config, &shutdown);
            if args.threads {
                let spawned = thread::Builder::new()
                    .name(format!("client {peer}"))
                    .spawn_scoped(scope, move || {
                        serve_client(stream, peer, config, args, shutdown)
                    });
                if let Err(error) = spawned {
                    eprintln!(
                        "cannot start a thread for {peer}: {}",
                        common::describe(&error)
                    );
                }
            } else {
                serve_client(stream, peer, config, args, shutdown);
            }
        }
    });
    // ANCHOR_END: accept
    common::log!("server stopped");
    Ok(())
}

// ANCHOR: allowed
/// Whether `--allow` lets `address` in. No `--allow` at all lets everyone in.
fn allowed(allow: &[Cidr], address: IpAddr) -> bool {
    allow.is_empty() || allow.iter().any(|block| block.contains(address))
}
// ANCHOR_END: allowed

/// Why a client's connection ended early.
enum Ended {
    /// The TLS handshake failed: no message was exchanged.
    Handshake(io::Error),
    /// Reading or writing the echo failed.
    Echo(io::Error),
}

// ANCHOR: serve-client
/// Talks to one client until it leaves. Whatever goes wrong ends this client, not the server.
fn serve_client(
    stream: TcpStream,
    peer: SocketAddr,
    config: &Arc<ServerConfig>,
    args: &Args,
    shutdown: &Shutdown,
) {
    common::log!("connected from {peer}");
    // Each read is echoed as a TLS record of its own, a small write. Nagle's algorithm would
    // hold each small write back until the client acknowledged the one before, and a client
    // that waits for its whole echo before it sends again acknowledges late (up to 40 ms per
    // record). Python: conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    let _ = stream.set_nodelay(true); // only slower without it, never wrong
    // Shared with the Ctrl-C handler, which shuts it down to end a read, as in lesson 1.
    let stream = Arc::new(stream);
    let watched = shutdown.watch(&stream);
    match talk(&stream, peer, config, args) {
        _ if shutdown.requested() => common::log!("closed {peer}: the server is stopping"),
        Ok(()) => common::log!("client {peer} left"),
        Err(Ended::Handshake(error)) => common::log!(
            "TLS handshake with {peer} failed: {}",
            handshake_failed(&error, args)
        ),
        Err(Ended::Echo(error)) => common::log!("client {peer} left{}", left_because(&error)),
    }
    // Python: conn.close(). Dropping the last `Arc` of the stream closes the socket.
    drop(watched);
    drop(stream);
}

/// The handshake, the echo, and the goodbye: steps 6 to 8.
fn talk(
    stream: &TcpStream,
    peer: SocketAddr,
    config: &Arc<ServerConfig>,
    args: &Args,
) -> Result<(), Ended> {
    // Step 6 — the TLS handshake: prove who we are and agree on keys
    // With the certificate; and check the client's certificate if step 4 asked for one.
    // Python: tls = context.wrap_socket(conn, server_side=True)
    let mut tls = handshake(stream, config, args.handshake_timeout).map_err(Ended::Handshake)?;
    common::log!("TLS with {peer}: {}", session(&tls.conn, args));

    // Step 7 — receive, and send the same bytes back, as in lesson 1, through the TLS stream
    echo(&mut tls, peer, args).map_err(Ended::Echo)?;

    // Step 8 — say goodbye in TLS (close_notify), then close
    // Python: tls.unwrap(), then conn.close()
    tls.conn.send_close_notify();
    let _ = tls.flush(); // the client may be gone already: nothing left to tell it
    Ok(())
}
// ANCHOR_END: serve-client

// ANCHOR: handshake
/// Wraps `stream` in TLS and runs the whole handshake before a byte of data moves, as
/// Python's `wrap_socket` does (`do_handshake_on_connect=True`).
fn handshake<'a>(
    stream: &'a TcpStream,
    config: &Arc<ServerConfig>,
    timeout: Duration,
) -> io::Result<StreamOwned<ServerConnection, &'a TcpStream>> {
    // A client that never speaks TLS must not hold the server: the handshake gets a deadline.
    stream.set_read_timeout(Some(timeout))?;
    let connection = ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
    // `&TcpStream` reads and writes too: the TLS stream borrows the socket that the Ctrl-C
    // handler also holds.
    let mut tls = StreamOwned::new(connection, stream);
    // Reads and writes until the handshake is done (Python: tls.do_handshake()).
    tls.conn.complete_io(&mut tls.sock)?;
    stream.set_read_timeout(None)?; // from now on a client may think as long as it likes
    Ok(tls)
}
// ANCHOR_END: handshake

// ANCHOR: echo
/// The echo loop of step 7: lesson 1's, with `tls` in place of the socket.
fn echo(
    tls: &mut StreamOwned<ServerConnection, &TcpStream>,
    peer: SocketAddr,
    args: &Args,
) -> io::Result<()> {
    let mut buffer = [0; BUFSIZ];
    loop {
        // Python: data = tls.recv(BUFSIZ). What arrives is decrypted and checked first.
        let received = tls.read(&mut buffer)?;
        if received == 0 {
            return Ok(()); // the client said goodbye (close_notify)
        }
        let data = &buffer[..received];
        if !args.quiet {
            common::log!(
                "received {received} bytes from {peer}: {}",
                common::preview(data)
            );
        }
        // Python: tls.sendall(data). Encrypted into a record, then sent.
        tls.write_all(data)?;
        tls.flush()?;
    }
}
// ANCHOR_END: echo

/// What the handshake agreed on, for the log: `TLSv1.3, TLS13_AES_256_GCM_SHA384` (Python:
/// `tls.version()`, `tls.cipher()`), and whether the client showed a certificate.
fn session(connection: &ServerConnection, args: &Args) -> String {
    let version = match connection.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        other => format!("{other:?}"),
    };
    let suite = connection
        .negotiated_cipher_suite()
        .map(|suite| format!("{:?}", suite.suite()))
        .unwrap_or_default();
    match (&args.client_ca, connection.peer_certificates()) {
        (Some(ca), Some(_)) => format!(
            "{version}, {suite}, client certificate signed by {}",
            ca.display()
        ),
        _ => format!("{version}, {suite}"),
    }
}

// ANCHOR: handshake-failed
/// Why a handshake failed, in the words of the lesson: what the student most likely did.
fn handshake_failed(error: &io::Error, args: &Args) -> String {
    use rustls::Error as Tls;
    let client_ca = || {
        args.client_ca
            .as_deref()
            .map_or("--client-ca".into(), |ca| ca.display().to_string())
    };
    match tls_error(error) {
        // The first bytes were no TLS record: "hello" typed into a plain TCP client.
        Some(Tls::InvalidMessage(_) | Tls::InappropriateMessage { .. }) => {
            "it does not speak TLS (a plain TCP client, such as echo-client?)".into()
        }
        Some(Tls::NoCertificatesPresented) => {
            format!(
                "it sent no client certificate, and --client-ca {} requires one",
                client_ca()
            )
        }
        Some(Tls::InvalidCertificate(problem)) => {
            format!(
                "its client certificate {}",
                certificate_problem(problem, &client_ca())
            )
        }
        // The client checked our certificate, did not like it, and said so with an alert.
        Some(Tls::AlertReceived(alert)) => match alert {
            // Two CAs made by two runs of --make-certs have the same name: the client finds a
            // CA of the right name whose key does not check our signature, and TLS reports
            // that as decrypt_error. Either way it does not trust the CA behind our certificate.
            AlertDescription::UnknownCA | AlertDescription::DecryptError => {
                "it does not trust the CA that signed our certificate (give it our ca.pem)".into()
            }
            AlertDescription::CertificateExpired => {
                "it says our certificate has expired (make new ones with --make-certs)".into()
            }
            AlertDescription::BadCertificate | AlertDescription::CertificateUnknown => {
                "it refused our certificate (does the name it connected to match?)".into()
            }
            other => format!("it sent the alert {other:?}"),
        },
        Some(other) => other.to_string(),
        None if common::timed_out(error) => format!(
            "no TLS handshake within {:?} (a plain TCP client waiting for the server to speak?)",
            args.handshake_timeout
        ),
        None if error.kind() == io::ErrorKind::UnexpectedEof => {
            "it closed the connection during the handshake".into()
        }
        None => common::describe(error),
    }
}

/// What is wrong with a certificate, after "its client certificate".
fn certificate_problem(problem: &rustls::CertificateError, ca: &str) -> String {
    use rustls::CertificateError as Cert;
    match problem {
        Cert::UnknownIssuer | Cert::BadSignature => format!("is not signed by {ca}"),
        Cert::Expired | Cert::ExpiredContext { .. } => "has expired".into(),
        Cert::NotValidYet | Cert::NotValidYetContext { .. } => {
            "is not valid yet (is a clock wrong?)".into()
        }
        Cert::InvalidPurpose | Cert::InvalidPurposeContext { .. } => {
            "is not meant for clients (a server's certificate?)".into()
        }
        other => format!("was refused: {other:?}"),
    }
}
// ANCHOR_END: handshake-failed

/// The rustls error inside an I/O error, if that is what it is: rustls reports a TLS failure
/// from `read`, `write` and `complete_io` as an `io::Error` of kind `InvalidData`.
fn tls_error(error: &io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}

/// How a client that stopped without a goodbye left, for `client PEER left...`.
fn left_because(error: &io::Error) -> String {
    if error.kind() == io::ErrorKind::UnexpectedEof && tls_error(error).is_none() {
        // The TCP connection ended without TLS's close_notify: harmless between messages
        // (Python's `tls.close()` sends none), but inside a message it would be a cut-off
        // that an attacker could make, which is why TLS has a goodbye of its own.
        return " without a TLS close_notify".into();
    }
    format!(": {}", common::describe(error))
}

/// A PEM file that was read but cannot be used: not a CA, a key that is not the
/// certificate's ...
fn bad_file(path: &Path, error: &dyn std::fmt::Display) -> Failure {
    Failure::custom(
        format!("cannot use {}: {error}", path.display()),
        None,
        TLS_FAILED,
    )
}
