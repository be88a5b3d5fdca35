//! The examples of the Python → Rust reference (`docs/en/reference.md`, `docs/zh/reference.md`).
//!
//! One test per row of the reference. The lines between `// ANCHOR: name` and
//! `// ANCHOR_END: name` are quoted on both pages (the docs test checks that the quotes equal
//! the code), and the test runs them for real on the loopback interface: every example
//! compiles, and does what the page says it does.
//!
//! Every blocking read has a deadline set outside the quoted lines, so a broken example fails
//! instead of hanging.

use std::error::Error;
use std::io::{BufRead, BufReader, BufWriter, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use testkit::DEADLINE;

/// What the examples return, so that `?` works on every kind of error they meet.
type Outcome = Result<(), Box<dyn Error>>;

/// The two ends of one TCP connection on the loopback interface: the client's stream and the
/// stream the server got from `accept()`. Reads on both give up after [`DEADLINE`].
fn connected_pair() -> Result<(TcpStream, TcpStream), Box<dyn Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server_side, _) = listener.accept()?;
    client.set_read_timeout(Some(DEADLINE))?;
    server_side.set_read_timeout(Some(DEADLINE))?;
    Ok((client, server_side))
}

/// A UDP socket on a free loopback port whose reads give up after [`DEADLINE`].
fn udp_socket() -> Result<UdpSocket, Box<dyn Error>> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(DEADLINE))?;
    Ok(socket)
}

#[test]
fn families() -> Outcome {
    // ANCHOR: families
    // AF_INET or AF_INET6? In Rust the address says which: a SocketAddr is V4 or V6.
    let v4: SocketAddr = "127.0.0.1:9001".parse()?;
    let v6: SocketAddr = "[::1]:9001".parse()?;
    assert!(v4.is_ipv4() && v6.is_ipv6());
    // Python: ("127.0.0.1", 9001). A (host, port) pair works in Rust too:
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    assert!(listener.local_addr()?.is_ipv4());
    // ANCHOR_END: families
    Ok(())
}

#[cfg(unix)]
#[test]
fn af_unix() -> Outcome {
    // ANCHOR: af-unix
    // Python: a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    // AF_UNIX sockets connect programs on the same machine; std has them on Unix only.
    use std::os::unix::net::UnixStream;
    let (mut a, mut b) = UnixStream::pair()?;
    a.write_all(b"ping")?;
    let mut buffer = [0; 4];
    b.read_exact(&mut buffer)?;
    assert_eq!(&buffer, b"ping");
    // ANCHOR_END: af-unix
    Ok(())
}

#[test]
fn socket() -> Outcome {
    // ANCHOR: socket
    // Python: s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    // std has no socket without an address: TcpListener::bind, TcpStream::connect and
    // UdpSocket::bind create the socket and use it at once. socket2 has the bare call:
    let tcp = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    // Python: socket.socket(socket.AF_INET, socket.SOCK_DGRAM); protocol 0 is None
    let udp = Socket::new(Domain::IPV4, Type::DGRAM, None)?;
    assert_eq!(tcp.r#type()?, Type::STREAM);
    assert_eq!(udp.r#type()?, Type::DGRAM);
    // ANCHOR_END: socket
    Ok(())
}

#[test]
fn bind() -> Outcome {
    // ANCHOR: bind
    // Python: s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
    // Port 0 lets the operating system pick a free port; local_addr() tells which.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    assert_ne!(listener.local_addr()?.port(), 0);
    // Python: u = socket.socket(AF_INET, SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    let udp = UdpSocket::bind("127.0.0.1:0")?;
    assert!(udp.local_addr()?.ip().is_loopback());
    // ANCHOR_END: bind
    Ok(())
}

#[test]
fn listen() -> Outcome {
    // ANCHOR: listen
    // Python: s = socket.socket()
    //         s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    //         s.bind(("127.0.0.1", 0)); s.listen(10)
    // TcpListener::bind listens already, with a backlog std chooses (128). To choose
    // it, or to set an option before bind(), take the steps one by one with socket2:
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    socket.bind(&addr.into())?;
    socket.listen(10)?;
    let listener: TcpListener = socket.into(); // from here on, a std listener
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (_stream, peer) = listener.accept()?;
    assert_eq!(peer, client.local_addr()?);
    // ANCHOR_END: listen

    // What the pages say about std: on Unix, TcpListener::bind sets SO_REUSEADDR itself.
    #[cfg(unix)]
    assert!(SockRef::from(&TcpListener::bind("127.0.0.1:0")?).reuse_address()?);
    Ok(())
}

#[test]
fn accept() -> Outcome {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    // ANCHOR: accept
    // Python: conn, addr = s.accept()
    let (stream, peer) = listener.accept()?;
    // `stream` talks to this one client; `listener` goes on listening for the next.
    assert_eq!(peer, client.local_addr()?);
    assert_eq!(stream.peer_addr()?, peer);
    // ANCHOR_END: accept
    Ok(())
}

#[test]
fn connect() -> Outcome {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    // ANCHOR: connect
    // Python: s = socket.socket(); s.connect(("127.0.0.1", port))
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    // Python: s.settimeout(2); s.connect(addr), a connect that gives up after 2 seconds.
    // connect_timeout takes one SocketAddr, not a name: look names up first.
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let patient = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    assert_eq!(stream.peer_addr()?, patient.peer_addr()?);
    // ANCHOR_END: connect
    Ok(())
}

#[test]
fn connect_ex() -> Outcome {
    // ANCHOR: connect-ex
    // Python: code = s.connect_ex(addr): 0 if connected, else an errno (ECONNREFUSED).
    // Rust has one connect, which returns a Result: match on it, not on a number.
    let closed = TcpListener::bind("127.0.0.1:0")?.local_addr()?; // now nobody listens
    match TcpStream::connect(closed) {
        Ok(_stream) => panic!("nothing should listen on {closed}"),
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
            assert!(error.raw_os_error().is_some()); // the errno itself, if you need it
        }
    }
    // ANCHOR_END: connect-ex
    Ok(())
}

#[test]
fn recv() -> Outcome {
    let (mut client, mut stream) = connected_pair()?;
    client.write_all(b"hello, world")?;
    // ANCHOR: recv
    // Python: data = conn.recv(1024), at most 1024 bytes: maybe fewer than were sent.
    let mut buffer = [0; 1024];
    let received = stream.read(&mut buffer)?; // 0 would mean: the peer closed its side
    assert!(b"hello, world".starts_with(&buffer[..received]));
    // Python: tutorial 000's myreceive(s, n), exactly n bytes, however many reads.
    let mut rest = vec![0; 12 - received];
    stream.read_exact(&mut rest)?;
    // ANCHOR_END: recv
    assert_eq!([&buffer[..received], &rest].concat(), b"hello, world");
    Ok(())
}

#[test]
fn recvfrom() -> Outcome {
    let server = udp_socket()?;
    let client = udp_socket()?;
    client.send_to(b"hi", server.local_addr()?)?;
    // ANCHOR: recvfrom
    // Python: data, addr = s.recvfrom(1024), one whole datagram and who sent it.
    let mut buffer = [0; 1024];
    let (length, sender) = server.recv_from(&mut buffer)?;
    assert_eq!(&buffer[..length], b"hi");
    assert_eq!(sender, client.local_addr()?);
    // ANCHOR_END: recvfrom
    Ok(())
}

#[test]
fn send() -> Outcome {
    let (mut client, mut stream) = connected_pair()?;
    // ANCHOR: send
    // Python: sent = s.send(data), which may send only part of data and says how much.
    let sent = client.write(b"hello")?;
    assert!(sent <= 5);
    // The rest is yours to send; write_all (sendall) does that loop for you.
    client.write_all(&b"hello"[sent..])?;
    // ANCHOR_END: send
    let mut received = [0; 5];
    stream.read_exact(&mut received)?;
    assert_eq!(&received, b"hello");
    Ok(())
}

#[test]
fn sendall() -> Outcome {
    let (mut client, mut stream) = connected_pair()?;
    // ANCHOR: sendall
    // Python: s.sendall(data), which sends every byte before it returns, or fails.
    client.write_all(b"hello socket")?;
    // ANCHOR_END: sendall
    let mut received = [0; 12];
    stream.read_exact(&mut received)?;
    assert_eq!(&received, b"hello socket");
    Ok(())
}

#[test]
fn sendto() -> Outcome {
    let server = udp_socket()?;
    let server_addr = server.local_addr()?;
    // ANCHOR: sendto
    // Python: s.sendto(b"hi", addr): every datagram names its destination.
    let client = UdpSocket::bind("127.0.0.1:0")?;
    let sent = client.send_to(b"hi", server_addr)?;
    assert_eq!(sent, 2); // a datagram leaves whole, or not at all
    // Python: s.connect(addr); s.send(b"hi"), a connected UDP socket sends without one.
    client.connect(server_addr)?;
    client.send(b"hi again")?;
    // ANCHOR_END: sendto
    let mut buffer = [0; 1024];
    let (length, _) = server.recv_from(&mut buffer)?;
    assert_eq!(&buffer[..length], b"hi");
    let (length, _) = server.recv_from(&mut buffer)?;
    assert_eq!(&buffer[..length], b"hi again");
    Ok(())
}

#[test]
fn close() -> Outcome {
    let (client, mut stream) = connected_pair()?;
    // ANCHOR: close
    // Python: s.close(), or the end of `with socket.socket() as s:`
    drop(client); // or let it go out of scope
    // The other side sees the end of the stream: read returns 0 (Python: b'').
    let mut buffer = [0; 1024];
    assert_eq!(stream.read(&mut buffer)?, 0);
    // ANCHOR_END: close
    Ok(())
}

#[test]
fn shutdown() -> Outcome {
    let (mut client, mut stream) = connected_pair()?;
    // ANCHOR: shutdown
    // Python: s.sendall(b"666"); s.shutdown(socket.SHUT_WR)
    client.write_all(b"666")?;
    client.shutdown(Shutdown::Write)?; // "I have sent everything"; reading still works
    // The server reads until the end of the stream, then answers on the same connection.
    let mut request = Vec::new();
    stream.read_to_end(&mut request)?;
    stream.write_all(format!("got {} bytes", request.len()).as_bytes())?;
    drop(stream);
    let mut answer = String::new();
    client.read_to_string(&mut answer)?;
    assert_eq!(answer, "got 3 bytes");
    // ANCHOR_END: shutdown
    Ok(())
}

#[test]
fn getpeername() -> Outcome {
    let (client, stream) = connected_pair()?;
    // ANCHOR: getpeername
    // Python: conn.getpeername(), the address of the other end of the connection
    let peer = stream.peer_addr()?;
    assert_eq!(peer, client.local_addr()?);
    // ANCHOR_END: getpeername
    Ok(())
}

#[test]
fn getsockname() -> Outcome {
    // ANCHOR: getsockname
    // Python: s.getsockname(), this socket's own address: the port bind() picked, say
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let own = listener.local_addr()?;
    assert!(own.ip().is_loopback() && own.port() != 0);
    // ANCHOR_END: getsockname
    Ok(())
}

#[test]
fn getsockopt() -> Outcome {
    let (stream, _server_side) = connected_pair()?;
    // ANCHOR: getsockopt
    // Python: s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY). For the few
    // options std knows, it has a method each.
    let nodelay: bool = stream.nodelay()?;
    let ttl: u32 = stream.ttl()?;
    // Python: s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), one std does not know.
    // socket2's SockRef lends its methods to a std socket, which stays a std socket.
    let receive_buffer: usize = SockRef::from(&stream).recv_buffer_size()?;
    let keepalive: bool = SockRef::from(&stream).keepalive()?;
    assert!(!nodelay && ttl > 0 && receive_buffer > 0 && !keepalive);
    // ANCHOR_END: getsockopt
    Ok(())
}

#[test]
fn setsockopt() -> Outcome {
    let (stream, _server_side) = connected_pair()?;
    // ANCHOR: setsockopt
    // Python: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    stream.set_nodelay(true)?;
    // Python: s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), and SO_RCVBUF
    let options = SockRef::from(&stream);
    options.set_keepalive(true)?;
    options.set_recv_buffer_size(64 * 1024)?; // the system may round it
    assert!(stream.nodelay()? && options.keepalive()?);
    // ANCHOR_END: setsockopt
    Ok(())
}

#[test]
fn gettimeout() -> Outcome {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let stream = TcpStream::connect(listener.local_addr()?)?;
    // ANCHOR: gettimeout
    // Python: s.gettimeout() is None: a new socket waits as long as it takes.
    assert_eq!(stream.read_timeout()?, None);
    assert_eq!(stream.write_timeout()?, None);
    // Python has one time-out for everything; Rust has one for reads and one for writes.
    stream.set_read_timeout(Some(Duration::from_millis(1500)))?;
    assert_eq!(stream.read_timeout()?, Some(Duration::from_millis(1500)));
    // ANCHOR_END: gettimeout
    Ok(())
}

#[test]
fn settimeout() -> Outcome {
    let (_client, mut stream) = connected_pair()?;
    // ANCHOR: settimeout
    // Python: s.settimeout(0.2); s.recv(1024) raises socket.timeout when nothing comes.
    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut buffer = [0; 1024];
    let error = stream
        .read(&mut buffer)
        .expect_err("the client sends nothing");
    // WouldBlock on Unix, TimedOut on Windows: accept both.
    assert!(matches!(
        error.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));
    // Python: s.settimeout(None) waits forever again. settimeout(0) means non-blocking in
    // Python, but a zero Duration is an error in Rust: use set_nonblocking for that.
    stream.set_read_timeout(None)?;
    assert!(stream.set_read_timeout(Some(Duration::ZERO)).is_err());
    // ANCHOR_END: settimeout
    Ok(())
}

#[test]
fn setblocking() -> Outcome {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    // ANCHOR: setblocking
    // Python: s.setblocking(False); a call that would wait fails at once instead.
    listener.set_nonblocking(true)?;
    let error = listener.accept().expect_err("no client has connected");
    assert_eq!(error.kind(), ErrorKind::WouldBlock); // Python: BlockingIOError
    // Python: s.setblocking(True)
    listener.set_nonblocking(false)?;
    // ANCHOR_END: setblocking
    Ok(())
}

#[test]
fn makefile() -> Outcome {
    let (mut client, stream) = connected_pair()?;
    client.write_all(b"first line\nsecond line\n")?;
    // ANCHOR: makefile
    // Python: f = conn.makefile("rb"); line = f.readline()
    // A &TcpStream reads and writes already. BufReader adds lines; BufWriter batches.
    let mut reader = BufReader::new(&stream);
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?; // bytes, not str: no decoding error possible
    assert_eq!(line, b"first line\n");
    // Python: w = conn.makefile("wb"); w.write(b"thanks\n"); w.flush()
    let mut writer = BufWriter::new(&stream);
    writer.write_all(b"thanks\n")?;
    writer.flush()?;
    // ANCHOR_END: makefile
    let mut thanks = [0; 7];
    client.read_exact(&mut thanks)?;
    assert_eq!(&thanks, b"thanks\n");
    Ok(())
}

#[cfg(unix)]
#[test]
fn fileno() -> Outcome {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    // ANCHOR: fileno
    // Python: s.fileno(), the operating system's number for this socket (Unix: AsRawFd;
    // Windows: AsRawSocket). Safe Rust seldom needs it: borrow the socket instead.
    use std::os::fd::AsRawFd;
    let descriptor = listener.as_raw_fd();
    assert!(descriptor >= 0);
    // ANCHOR_END: fileno
    Ok(())
}

#[test]
fn error() -> Outcome {
    // ANCHOR: error
    // Python: except socket.error as e (OSError). Every call returns an io::Result;
    // the error's kind() says what went wrong, like OSError's subclasses and errno.
    let taken = TcpListener::bind("127.0.0.1:0")?;
    let error = TcpListener::bind(taken.local_addr()?).expect_err("the port is taken");
    assert_eq!(error.kind(), ErrorKind::AddrInUse); // Python: errno.EADDRINUSE
    // ANCHOR_END: error
    Ok(())
}

#[test]
fn herror() -> Outcome {
    // ANCHOR: herror
    // Python: socket.gethostbyname_ex("localhost") lists every address of a name,
    // and raises socket.herror when the look-up fails. std's look-up lists them too:
    let addresses: Vec<SocketAddr> = ("localhost", 80).to_socket_addrs()?.collect();
    assert!(!addresses.is_empty());
    assert!(addresses.iter().all(|addr| addr.ip().is_loopback()));
    // The other way, address to name (Python: gethostbyaddr), is not in std: a
    // crate such as dns-lookup has it.
    // ANCHOR_END: herror
    Ok(())
}

#[test]
fn gaierror() -> Outcome {
    // ANCHOR: gaierror
    // Python: socket.gaierror, raised by connect(("no-such-host.invalid", 80)) when its
    // getaddrinfo() look-up fails. In Rust the look-up is a step you can see:
    let looked_up = ("no-such-host.invalid", 80).to_socket_addrs();
    let error = looked_up.expect_err("the .invalid domain never exists");
    // No ErrorKind names this case: report it as "cannot find host", as the lessons do.
    assert!(!error.to_string().is_empty());
    // ANCHOR_END: gaierror
    Ok(())
}

#[test]
fn timeout() -> Outcome {
    let udp = udp_socket()?;
    // ANCHOR: timeout
    // Python: s.settimeout(0.2), then `except socket.timeout:` (TimeoutError since
    // Python 3.10). Unix reports a read time-out as WouldBlock, Windows as TimedOut.
    udp.set_read_timeout(Some(Duration::from_millis(200)))?;
    let timed_out = |kind| matches!(kind, ErrorKind::WouldBlock | ErrorKind::TimedOut);
    let mut buffer = [0; 1024];
    match udp.recv_from(&mut buffer) {
        Err(error) if timed_out(error.kind()) => {
            // nobody answered in time: say so, try again, or give up
        }
        other => panic!("expected a time-out, got {other:?}"),
    }
    // ANCHOR_END: timeout
    Ok(())
}
