//! Exercise 9.2 — an allow-list of CIDR blocks (lesson 9): a reference solution.
//!
//! The starter is `exercises/starters/9-2-allow-list`; `Cidr::from_str` and `Cidr::contains`
//! changed, and `mask_v4` and `mask_v6` are new. Check it as the students' programs are checked:
//!
//!     scripts/exercise.sh check 9.2 --solution

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

/// Exercise 9.2, solved: a TLS echo server that serves only the addresses of its --allow blocks.
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
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    /// `10.0.0.0/8`, `::1/128`, or a plain address. clap calls it for each `--allow`, and
    /// turns an `Err` into a usage error (exit code 2).
    /// Python: ipaddress.ip_network("10.0.0.0/8", strict=False)
    fn from_str(text: &str) -> Result<Cidr, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("'{address}' is not an IP address (e.g. 10.0.0.0/8, ::1)"))?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits, // a plain address: a block of one
            Some(prefix) => match prefix.parse::<u8>() {
                Ok(prefix) if prefix <= bits => prefix,
                _ => return Err(format!("the prefix after '/' is a number from 0 to {bits}")),
            },
        };
        // Keep only the network's bits: 10.1.2.3/8 is the block 10.0.0.0/8.
        let network = match address {
            IpAddr::V4(address) => IpAddr::V4((u32::from(address) & mask_v4(prefix)).into()),
            IpAddr::V6(address) => IpAddr::V6((u128::from(address) & mask_v6(prefix)).into()),
        };
        Ok(Cidr { network, prefix })
    }
}

impl Cidr {
    /// Whether `address` is in this block: its first `prefix` bits are the network's. An IPv4
    /// block never holds an IPv6 address, nor the other way round.
    /// Python: ipaddress.ip_address(addr) in ipaddress.ip_network("10.0.0.0/8")
    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                u32::from(address) & mask_v4(self.prefix) == u32::from(network)
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                u128::from(address) & mask_v6(self.prefix) == u128::from(network)
            }
            _ => false,
        }
    }
}

/// The first `prefix` bits of 32 set: 24 gives 255.255.255.0. A shift by 32 would overflow,
/// hence `checked_shl` (a /0 block's mask is 0: it holds every address).
fn mask_v4(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

/// The first `prefix` bits of 128 set: 128 gives the mask of a single address.
fn mask_v6(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        text.parse().expect("a valid CIDR")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an IP address")
    }

    #[test]
    fn blocks_hold_the_addresses_that_share_their_prefix() {
        assert!(cidr("127.0.0.0/8").contains(ip("127.200.3.4")));
        assert!(!cidr("10.0.0.0/8").contains(ip("127.0.0.2")));
        assert!(cidr("192.168.1.0/24").contains(ip("192.168.1.255")));
        assert!(!cidr("192.168.1.0/24").contains(ip("192.168.2.1")));
        assert!(cidr("127.0.0.2").contains(ip("127.0.0.2")));
        assert!(!cidr("127.0.0.2/32").contains(ip("127.0.0.3")));
        assert!(cidr("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!cidr("0.0.0.0/0").contains(ip("::1")));
        assert!(cidr("::1/128").contains(ip("::1")));
        assert!(!cidr("::1/128").contains(ip("::2")));
        assert!(cidr("fe80::/10").contains(ip("fe80::1234")));
        assert!(
            cidr("10.1.2.3/8").contains(ip("10.9.9.9")),
            "host bits are cleared"
        );
    }

    #[test]
    fn bad_blocks_are_refused() {
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "localhost",
            "1.2.3/8",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }
}
