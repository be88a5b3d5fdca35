//! Exercise 9.2 — an allow-list of CIDR blocks (lesson 9).
//!
//! Work on your own copy: `scripts/exercise.sh start 9.2` puts one in exercises/work/, and
//! `scripts/exercise.sh check 9.2` checks it. This starter stays as it is, for the book.
//!
//! This server is lesson 9's TLS echo server, cut down to what the exercise is about: it serves
//! only clients whose address is in one of its `--allow` blocks (every client without
//! `--allow`), and it checks the address right after `accept`, before any TLS work, so that a
//! refused client costs it one accept and one close. Its first try reads `--allow 10.0.0.0/8`
//! as the single address 10.0.0.0: the prefix after `/` is thrown away. Find the TODO, then
//! check your work from the repository's root folder:
//!
//!     scripts/exercise.sh check 9.2
//!
//! To try it by hand, make the lesson's certificates from the root folder (`cargo run -p
//! tls-echo-server -- --make-certs`), run this server from the `exercises/work` folder, and
//! lesson 9's client from the root folder in a second terminal:
//!
//!     cargo run -p ex-9-2-allow-list -- --cert ../../certs/server.pem \
//!         --key ../../certs/server-key.pem --allow 127.0.0.0/8
//!     cargo run -p tls-echo-client -- --message 'hello TLS'
//!
//! The statement and the hints are in the book: docs/en/exercises.md (中文: docs/zh/exercises.md).

use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Parser;
use common::{Failure, HostPort, Shutdown};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The lesson's port, so that `cargo run -p tls-echo-client` talks to this server.
const DEFAULT_PORT: u16 = common::ports::TLS_ECHO;

/// Bytes read at a time, as in lesson 1.
const BUFSIZ: usize = 1024;

/// How long a client has to finish the TLS handshake: a client that never speaks TLS must not
/// hold a server that serves one client at a time.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A pause before accepting again after `accept()` failed, so a lasting failure (no file
/// descriptors left) does not spin the loop thousands of times a second.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// The exit code of every TLS failure (see the README's table).
const TLS_FAILED: u8 = common::exit_code::TLS;

/// Exercise 9.2: a TLS echo server that serves only the addresses of its --allow blocks.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// The server's certificate (PEM), as tls-echo-server --make-certs writes it
    #[arg(long, value_name = "FILE", default_value = "certs/server.pem")]
    cert: PathBuf,

    /// The private key of --cert (PEM)
    #[arg(long, value_name = "FILE", default_value = "certs/server-key.pem")]
    key: PathBuf,

    /// Serve only clients from these blocks (repeatable): 127.0.0.0/8, 192.168.1.0/24,
    /// 127.0.0.1/32, ::1/128; others are closed at once (default: every address)
    #[arg(long, value_name = "CIDR")]
    allow: Vec<Cidr>,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(serve(&args))
}

fn serve(args: &Args) -> Result<(), Failure> {
    // Create a socket, bind it and listen, and let Ctrl-C stop the server
    // Python: s = socket.socket(); s.bind(ADDR); s.listen()
    let addrs = args.listen.resolve()?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    let shutdown = Shutdown::on_ctrl_c(&listener)?;

    // Load the certificate and its key (no client certificates here)
    // Python: context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    //         context.load_cert_chain("certs/server.pem", "certs/server-key.pem")
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(load_certs(&args.cert)?, load_key(&args.key)?)
        .map_err(|error| bad_file(&args.key, &error))?;
    let config = Arc::new(config);
    println!("listening on {}", listener.local_addr()?);

    loop {
        // Accept a client, and check its address against --allow at once
        // Python: conn, addr = s.accept()
        //         if not any(ip_address(addr[0]) in block for block in ALLOW): conn.close()
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
            println!("refused {peer}: its address is not in --allow");
            drop(stream); // Python: conn.close(), before a single byte of TLS
            continue;
        }

        // The TLS handshake, the echo, the goodbye, as in lesson 9
        println!("connected from {peer}");
        let stream = Arc::new(stream);
        let watched = shutdown.watch(&stream);
        match talk(&stream, &config) {
            _ if shutdown.requested() => println!("closed {peer}: the server is stopping"),
            Ok(()) => println!("client {peer} left"),
            Err(error) => println!("client {peer} left: {}", common::describe(&error)),
        }
        drop(watched);
        drop(stream); // Python: conn.close()
    }
    println!("server stopped");
    Ok(())
}

/// Whether `--allow` lets `address` in. No `--allow` at all lets everyone in.
fn allowed(allow: &[Cidr], address: IpAddr) -> bool {
    allow.is_empty() || allow.iter().any(|block| block.contains(address))
}

// ANCHOR: todo
/// One `--allow` block: every address whose first `prefix` bits are those of `network`.
/// `192.168.1.0/24` holds 192.168.1.0 to 192.168.1.255; a plain address is a block of one.
#[derive(Debug, Clone, Copy)]
struct Cidr {
    network: IpAddr,
    /// How many leading bits an address must share with `network`: 0 to 32 for IPv4, 0 to 128
    /// for IPv6.
    #[allow(dead_code)] // The TODO below is where `prefix` will be used.
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    /// `10.0.0.0/8`, `::1/128`, or a plain address. clap calls it for each `--allow`, and
    /// turns an `Err` into a usage error (exit code 2).
    fn from_str(text: &str) -> Result<Cidr, String> {
        // TODO(exercise 9.2): read the prefix after `/` too (0 to 32 for IPv4, 0 to 128 for
        // IPv6; anything else is an error), and make `contains` compare only the first
        // `prefix` bits of an address with those of `network`.
        // Python: ipaddress.ip_network("10.0.0.0/8")
        let address = text.split('/').next().unwrap_or(text);
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("'{address}' is not an IP address (e.g. 10.0.0.0/8, ::1)"))?;
        let prefix = if network.is_ipv4() { 32 } else { 128 };
        Ok(Cidr { network, prefix })
    }
}

impl Cidr {
    /// Whether `address` is in this block.
    /// Python: ipaddress.ip_address(addr) in ipaddress.ip_network("10.0.0.0/8")
    fn contains(&self, address: IpAddr) -> bool {
        address == self.network
    }
}
// ANCHOR_END: todo

/// The handshake, the echo and the goodbye, for one client.
fn talk(stream: &TcpStream, config: &Arc<ServerConfig>) -> io::Result<()> {
    // Python: tls = context.wrap_socket(conn, server_side=True)
    stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    let connection = ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(connection, stream);
    tls.conn.complete_io(&mut tls.sock)?;
    stream.set_read_timeout(None)?;

    // Python: while data := tls.recv(BUFSIZ): tls.sendall(data)
    let mut buffer = [0; BUFSIZ];
    loop {
        let received = tls.read(&mut buffer)?;
        if received == 0 {
            break; // the client said goodbye (close_notify)
        }
        tls.write_all(&buffer[..received])?;
        tls.flush()?;
    }
    // Python: tls.unwrap()
    tls.conn.send_close_notify();
    let _ = tls.flush(); // the client may be gone already
    Ok(())
}

/// Reads the certificates in a PEM file.
fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| cannot_read(path, &error))?;
    if certs.is_empty() {
        return Err(cannot_read(path, &"no certificate in it"));
    }
    Ok(certs)
}

/// Reads the private key in a PEM file.
fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, Failure> {
    PrivateKeyDer::from_pem_file(path).map_err(|error| cannot_read(path, &error))
}

fn cannot_read(path: &Path, why: &dyn std::fmt::Display) -> Failure {
    Failure::custom(
        format!("cannot read {}: {why}", path.display()),
        Some("make the certificates: cargo run -p tls-echo-server -- --make-certs".into()),
        TLS_FAILED,
    )
}

fn bad_file(path: &Path, error: &dyn std::fmt::Display) -> Failure {
    Failure::custom(
        format!("cannot use {}: {error}", path.display()),
        None,
        TLS_FAILED,
    )
}
