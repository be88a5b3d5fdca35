//! Exercise 9.1 — a TLS client that checks who it talks to (lesson 9): a reference solution.
//!
//! The starter is `exercises/starters/9-1-verify-server`; only `trust` changed. Check it as the
//! students' programs are checked:
//!
//!     scripts/exercise.sh check 9.1 --solution

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use common::{Failure, ServerAt, exit_code};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// The lesson's port, so that this client talks to `tls-echo-server`.
const DEFAULT_PORT: u16 = common::ports::TLS_ECHO;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "tls-echo-server";

/// How long the server may stay silent while a reply (or its half of the handshake) is due.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The exit code of every TLS failure (see the README's table).
const TLS_FAILED: u8 = exit_code::TLS;

/// Exercise 9.1, solved: a TLS client that trusts only its --ca and checks the server's name.
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

    /// The message to send; the echo is printed as tutorial 000 prints it
    #[arg(long, short, default_value = "hello TLS")]
    message: String,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args))
}

fn run(args: &Args) -> Result<(), Failure> {
    // Connect to the server, as in lesson 1: TLS comes on top of TCP
    // Python: sock = socket.create_connection(ADDR)
    let addrs = args.server.resolve()?;
    let stream = TcpStream::connect(&addrs[..])
        .map_err(|error| args.server.cannot_connect(&error, SERVER_PACKAGE))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;

    // Decide whom to trust, and which name the certificate must hold
    let (roots, name) = trust(args)?;
    // The crypto comes from ring, the only provider this workspace compiles into rustls.
    let config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();

    // Wrap the socket in TLS and shake hands: the server shows its certificate, and
    // proves that it holds the certificate's key. Nothing of ours is sent before that.
    let connection = ClientConnection::new(Arc::new(config), name.clone())
        .map_err(|error| Failure::custom(format!("cannot start TLS: {error}"), None, TLS_FAILED))?;
    let mut tls = StreamOwned::new(connection, stream);
    tls.conn
        .complete_io(&mut tls.sock)
        .map_err(|error| handshake_failed(&error, args, &name))?;

    // Send the message, receive its echo, print it like tutorial 000
    // Python: tls.sendall(b'hello TLS'); data = tls.recv(1024); print('Received', repr(data))
    let message = args.message.as_bytes();
    tls.write_all(message)
        .and_then(|()| tls.flush())
        .map_err(|error| Failure::new("cannot send to the server", &error))?;
    let mut reply = vec![0; message.len()];
    tls.read_exact(&mut reply)
        .map_err(|error| Failure::new("no complete reply from the server", &error))?;
    println!("Received b'{}'", reply.escape_ascii());

    // Say goodbye in TLS (close_notify), then close the socket
    // Python: tls.unwrap(); sock.close()
    tls.conn.send_close_notify();
    tls.flush()
        .map_err(|error| Failure::new("cannot say goodbye to the server", &error))?;
    Ok(())
}

/// The CAs this client trusts, and the name the server's certificate must be for.
fn trust(args: &Args) -> Result<(RootCertStore, ServerName<'static>), Failure> {
    // Every certificate in `--ca`, and nothing else: not the system's CAs, not "any".
    // Python: context = ssl.create_default_context(cafile="certs/ca.pem")
    let mut roots = RootCertStore::empty();
    for ca in load_certs(&args.ca)? {
        roots.add(ca).map_err(|error| {
            Failure::custom(
                format!("cannot use {} as a CA: {error}", args.ca.display()),
                None,
                TLS_FAILED,
            )
        })?;
    }
    // The name we connect to, as typed: `127.0.0.1` becomes an IP address that the
    // certificate must list, `localhost` a host name.
    // Python: tls = context.wrap_socket(sock, server_hostname=HOST)
    let name = args.server_name.as_ref().unwrap_or(&args.server.host);
    let name = ServerName::try_from(name.clone()).map_err(|_| not_a_name(name))?;
    Ok((roots, name))
}

/// A `--host` or `--server-name` that is neither a host name nor an IP address: a usage error.
fn not_a_name(name: &str) -> Failure {
    Failure::custom(
        format!("'{name}' is not a host name or an IP address"),
        Some("give --server-name a name such as localhost".into()),
        exit_code::USAGE,
    )
}

/// Reads the certificates in a PEM file (Python reads them inside `create_default_context`).
fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let cannot_read = |why: String| {
        Failure::custom(
            format!("cannot read the CA certificate {}: {why}", path.display()),
            Some("give --ca a PEM file, as tls-echo-server --make-certs writes them".into()),
            TLS_FAILED,
        )
    };
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| match error {
            pem::Error::Io(error) => cannot_read(common::describe(&error)),
            other => cannot_read(format!("not a PEM file ({other})")),
        })?;
    if certs.is_empty() {
        return Err(cannot_read("no certificate in it".into()));
    }
    Ok(certs)
}

/// A failed handshake as one line with a hint: what the server's certificate failed.
fn handshake_failed(error: &io::Error, args: &Args, name: &ServerName<'_>) -> Failure {
    use rustls::CertificateError as Cert;
    use rustls::Error as Tls;
    let refused = |message: String, hint: &str| {
        Failure::custom(
            format!("refused the server: {message}"),
            Some(hint.into()),
            TLS_FAILED,
        )
    };
    // rustls reports a TLS failure as an `io::Error` of kind `InvalidData` with its own error
    // inside.
    let Some(tls_error) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Tls>())
    else {
        if common::timed_out(error) {
            return Failure::timed_out(format!("no TLS answer from the server for {TIMEOUT:?}"));
        }
        return Failure::new("the TLS handshake failed", error);
    };
    let ca = args.ca.display();
    match tls_error {
        Tls::InvalidCertificate(Cert::UnknownIssuer | Cert::BadSignature) => refused(
            format!("its certificate is not signed by a CA we trust (--ca {ca})"),
            "is --ca the ca.pem made together with the server's certificate?",
        ),
        Tls::InvalidCertificate(Cert::NotValidForName | Cert::NotValidForNameContext { .. }) => {
            refused(
                format!("its certificate is not for {}", name.to_str()),
                "connect with one of its names (--host), or give one with --server-name",
            )
        }
        Tls::InvalidCertificate(Cert::Expired | Cert::ExpiredContext { .. }) => refused(
            "its certificate has expired".into(),
            "make new certificates: cargo run -p tls-echo-server -- --make-certs",
        ),
        Tls::InvalidCertificate(Cert::NotValidYet | Cert::NotValidYetContext { .. }) => refused(
            "its certificate is not valid yet".into(),
            "is the clock of this machine, or of the server's, wrong?",
        ),
        Tls::InvalidCertificate(other) => refused(
            format!("its certificate was refused: {other:?}"),
            "make the certificates with: cargo run -p tls-echo-server -- --make-certs",
        ),
        other => Failure::custom(format!("TLS handshake failed: {other}"), None, TLS_FAILED),
    }
}
