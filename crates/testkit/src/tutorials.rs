//! The tutorials' own Python programs, as test doubles written in Rust.
//!
//! Each double behaves on the wire exactly as the tutorial program does: a client sends each
//! message with one `send()` and no newline and reads each answer with one `recv(1024)`; a
//! server answers each `recv(1024)` with one `send()`, with the tutorial's greeting, reply
//! format and bugs. The lessons' tests run the Rust programs against them in both directions,
//! so "the tutorial's program works with the Rust one" is checked, not hoped for. What a
//! tutorial server prints is kept, so tests can check that too.
//!
//! A double server runs on a thread of the test process, on a free port of 127.0.0.1, and
//! stops when dropped.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use common::chat::{WELCOME, left, said};

use super::{DEADLINE, Proc};

/// What every tutorial reads at a time: `recv(1024)`, `BUFSIZ = 1024`.
pub const BUFSIZ: usize = 1024;

/// The time every double timestamp server puts in its replies, in `time.ctime()`'s form. A
/// fixed time lets tests compare whole replies.
pub const CTIME: &str = "Thu Feb  7 10:00:18 2013";

/// Tutorial 004's chat greeting, which its server sends with no newline.
pub const CHAT_WELCOME: &str = "欢迎来到聊天室!";

/// Tutorial 004's UDP server's answer to every datagram ("got your message!").
pub const UDP_ANSWER: &str = "收到您的消息!";

// ---------------------------------------------------------------------------------------------
// Clients

/// A client as the tutorials write them (000, 001, 003, 004's echo, chat and asyncio
/// clients): `send(data.encode())` with no newline, then one `recv(1024)`.
pub struct TutorialClient {
    stream: TcpStream,
}

impl TutorialClient {
    /// Python: `s = socket.socket(); s.connect((HOST, PORT))`.
    pub fn connect(addr: SocketAddr) -> TutorialClient {
        let stream = TcpStream::connect(addr).expect("the tutorial's client connects");
        stream
            .set_read_timeout(Some(DEADLINE))
            .expect("read time-out");
        TutorialClient { stream }
    }

    /// Python: `s.send(data.encode())`: the text as it is, no newline, in one write.
    pub fn send(&mut self, text: &str) {
        self.send_bytes(text.as_bytes());
    }

    /// Python: `s.send(data)` with any bytes.
    pub fn send_bytes(&mut self, data: &[u8]) {
        self.stream
            .write_all(data)
            .expect("the tutorial's client sends");
    }

    /// Python: `s.recv(1024)`: one read, whatever it returns (empty at the end of the stream).
    /// Fails the test if nothing comes before the deadline.
    pub fn recv_bytes(&mut self) -> Vec<u8> {
        self.recv_at_most(BUFSIZ)
    }

    /// Python: `s.recv(1024).decode()`, without the crash on bytes that are not UTF-8.
    pub fn recv(&mut self) -> String {
        String::from_utf8_lossy(&self.recv_bytes()).into_owned()
    }

    /// Python: `await reader.read(n)` or `s.recv(n)`: one read of at most `n` bytes.
    pub fn recv_at_most(&mut self, n: usize) -> Vec<u8> {
        let mut buffer = vec![0; n];
        match self.stream.read(&mut buffer) {
            Ok(count) => {
                buffer.truncate(count);
                buffer
            }
            Err(error) => panic!("the tutorial's client got no answer: {error}"),
        }
    }

    /// Python: `s.send(data.encode()); print(s.recv(1024).decode())`.
    pub fn exchange(&mut self, text: &str) -> String {
        self.send(text);
        self.recv()
    }

    /// The connection, e.g. to close one direction.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }
}

/// Tutorial 004's UDP client: `s.sendto(data.encode(), ADDR)`, then `s.recvfrom(1024)`.
pub fn udp_exchange(server: SocketAddr, text: &str) -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
    socket.set_read_timeout(Some(DEADLINE)).expect("time-out");
    socket
        .send_to(text.as_bytes(), server)
        .expect("sendto the server");
    let mut buffer = [0; BUFSIZ];
    let (count, _) = socket
        .recv_from(&mut buffer)
        .expect("the tutorial's UDP client got no answer");
    String::from_utf8_lossy(&buffer[..count]).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Servers

/// Which tutorial server a [`TutorialServer`] plays.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// 000: accepts one client, sends back every `recv(1024)` with `sendall`, then exits.
    Echo000,
    /// 004: like 000, but serves one client after another, and prints what it receives.
    Echo004,
    /// 001: replies `ctime() + data`, no separator, one client after another.
    Ctime001,
    /// 003: replies `'[%s] %s' % (ctime(), data)`. Its `sock, addr = sock.accept()` loses the
    /// listening socket, so after its first client it stops (with a traceback).
    Ctime003,
    /// 002: accepts one client, receives until it closes, prints it all, exits.
    Oneshot002,
    /// 004's chat: greets with no newline, a thread per client, and its "broadcast" sends each
    /// message back to its sender only.
    Chat004,
    /// 004's asyncio server: `read(100)`, replies in upper case, closes the connection.
    Asyncio004,
}

/// A tutorial server, running on a thread until dropped.
pub struct TutorialServer {
    addr: SocketAddr,
    printed: Receiver<String>,
    stop: Arc<AtomicBool>,
    udp: bool,
}

impl TutorialServer {
    /// Tutorial 000's echo server (port 10022 there): one client, then it exits.
    pub fn echo_000() -> TutorialServer {
        TutorialServer::start(Kind::Echo000)
    }

    /// Tutorial 004's echo server (port 9001 there).
    pub fn echo_004() -> TutorialServer {
        TutorialServer::start(Kind::Echo004)
    }

    /// Tutorial 001's timestamp server (port 9999 there): the time glued to the message.
    pub fn ctime_001() -> TutorialServer {
        TutorialServer::start(Kind::Ctime001)
    }

    /// Tutorial 003's timestamp server (port 8080 there): `[time] message`, first client only.
    pub fn ctime_003() -> TutorialServer {
        TutorialServer::start(Kind::Ctime003)
    }

    /// Tutorial 002's server (port 8000 there): receives until the client closes, prints it.
    pub fn oneshot_002() -> TutorialServer {
        TutorialServer::start(Kind::Oneshot002)
    }

    /// Tutorial 004's chat server (port 9003 there), bugs included.
    pub fn chat_004() -> TutorialServer {
        TutorialServer::start(Kind::Chat004)
    }

    /// Tutorial 004's asyncio server (port 8888 there).
    pub fn asyncio_004() -> TutorialServer {
        TutorialServer::start(Kind::Asyncio004)
    }

    /// Tutorial 004's UDP server (port 9002 there): answers every datagram with
    /// [`UDP_ANSWER`].
    pub fn udp_004() -> TutorialServer {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind the tutorial's UDP server");
        let addr = socket.local_addr().expect("local address");
        let (print, printed) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        thread::spawn(move || {
            let mut buffer = [0; BUFSIZ];
            // Python: data, addr = s.recvfrom(BUFSIZ); print(...); s.sendto(resp, addr)
            while let Ok((count, sender)) = socket.recv_from(&mut buffer) {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let data = String::from_utf8_lossy(&buffer[..count]);
                let _ = print.send(format!("收到来自 {sender} 的数据: {data}"));
                let _ = socket.send_to(UDP_ANSWER.as_bytes(), sender);
            }
        });
        TutorialServer {
            addr,
            printed,
            stop,
            udp: true,
        }
    }

    fn start(kind: Kind) -> TutorialServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the tutorial's server");
        let addr = listener.local_addr().expect("local address");
        let (print, printed) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        thread::spawn(move || serve(kind, &listener, &print, &stopping));
        TutorialServer {
            addr,
            printed,
            stop,
            udp: false,
        }
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port, as a string for a `--port` option.
    pub fn port(&self) -> String {
        self.addr.port().to_string()
    }

    /// The next line the tutorial's server printed; fails the test if none comes in time.
    pub fn printed(&self) -> String {
        self.printed
            .recv_timeout(DEADLINE)
            .expect("the tutorial's server printed nothing more")
    }
}

impl Drop for TutorialServer {
    /// Stops the server thread: sets the flag, then wakes its `accept()` or `recvfrom()`.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if self.udp {
            if let Ok(socket) = UdpSocket::bind("127.0.0.1:0") {
                let _ = socket.send_to(b"", self.addr);
            }
        } else {
            let _ = TcpStream::connect(self.addr);
        }
    }
}

/// The accept loop of every TCP double.
fn serve(kind: Kind, listener: &TcpListener, print: &Sender<String>, stop: &AtomicBool) {
    let chat_clients: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    while let Ok((mut conn, addr)) = listener.accept() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match kind {
            Kind::Echo000 => return echo(&mut conn, print, false),
            Kind::Echo004 => echo(&mut conn, print, true),
            Kind::Ctime001 | Kind::Ctime003 => {
                let _ = print.send(format!("...connected from: {addr}"));
                ctime(&mut conn, print, matches!(kind, Kind::Ctime003));
                if matches!(kind, Kind::Ctime003) {
                    // `sock.accept()` on the connection, which no longer listens: an OSError.
                    let _ = print.send("OSError: [Errno 9] Bad file descriptor".into());
                    return;
                }
            }
            Kind::Oneshot002 => return oneshot(&mut conn, print),
            Kind::Chat004 => {
                let print = print.clone();
                let clients = Arc::clone(&chat_clients);
                thread::spawn(move || chat_client(conn, addr, &clients, &print));
            }
            Kind::Asyncio004 => {
                let print = print.clone();
                thread::spawn(move || upper_once(conn, addr, &print));
            }
        }
    }
}

/// Python: `data = conn.recv(1024)` with the test's deadline; empty at the end of the stream
/// or on an error, which ends the tutorials' loops too (with a traceback, there).
fn recv(conn: &mut TcpStream, at_most: usize) -> Vec<u8> {
    let _ = conn.set_read_timeout(Some(DEADLINE));
    let mut buffer = vec![0; at_most];
    loop {
        match conn.read(&mut buffer) {
            Ok(count) => {
                buffer.truncate(count);
                return buffer;
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Vec::new(),
        }
    }
}

/// 000 and 004: `while True: data = conn.recv(1024); if not data: break; conn.sendall(data)`.
fn echo(conn: &mut TcpStream, print: &Sender<String>, prints: bool) {
    loop {
        let data = recv(conn, BUFSIZ);
        if data.is_empty() || conn.write_all(&data).is_err() {
            return;
        }
        if prints {
            let _ = print.send(format!("收到数据: {}", String::from_utf8_lossy(&data)));
        }
    }
}

/// 001 and 003: every `recv(1024)` answered with the time and the data, in one `send`.
fn ctime(conn: &mut TcpStream, print: &Sender<String>, brackets: bool) {
    loop {
        let data = recv(conn, BUFSIZ);
        let _ = print.send(format!("date= {}", String::from_utf8_lossy(&data)));
        if data.is_empty() {
            return;
        }
        let reply = if brackets {
            [format!("[{CTIME}] ").as_bytes(), &data].concat()
        } else {
            [CTIME.as_bytes(), &data].concat()
        };
        if conn.write_all(&reply).is_err() {
            return;
        }
    }
}

/// 002: receive until the client closes, then print it all.
fn oneshot(conn: &mut TcpStream, print: &Sender<String>) {
    let mut data = Vec::new();
    loop {
        let chunk = recv(conn, BUFSIZ);
        if chunk.is_empty() {
            break;
        }
        data.extend_from_slice(&chunk);
    }
    let _ = print.send(String::from_utf8_lossy(&data).into_owned());
}

/// 004's chat `handle_client`: greet, then give every message back to its sender only.
fn chat_client(
    mut conn: TcpStream,
    addr: SocketAddr,
    clients: &Mutex<Vec<TcpStream>>,
    print: &Sender<String>,
) {
    let _ = print.send(format!("连接来自 {addr}"));
    let _ = conn.write_all(CHAT_WELCOME.as_bytes());
    if let Ok(copy) = conn.try_clone() {
        clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(copy);
    }
    loop {
        let data = recv(&mut conn, BUFSIZ);
        if data.is_empty() {
            break;
        }
        // broadcast(data, conn): for client in clients: if client == sender: sender.send(data)
        let _ = print.send(format!(
            "打印客户端发来的数据 {}",
            String::from_utf8_lossy(&data)
        ));
        if conn.write_all(&data).is_err() {
            break;
        }
    }
    let _ = print.send(format!("{addr} left"));
}

/// 004's asyncio `handle_echo`: one `read(100)`, the answer in upper case, then close.
fn upper_once(mut conn: TcpStream, addr: SocketAddr, print: &Sender<String>) {
    let data = recv(&mut conn, 100);
    let message = String::from_utf8_lossy(&data).into_owned();
    let _ = print.send(format!("Received {message} from {addr}"));
    let _ = conn.write_all(message.to_uppercase().as_bytes());
    let _ = print.send("Close the connection".into());
}

// ---------------------------------------------------------------------------------------------
// Tutorial 000's send and receive loops, with a fixed message length

/// The message length of tutorial 000's `myreceive(s, msglen)` as lesson 7's fixed framing
/// uses it by default (`framing-server --framing fixed`, `--size 32`).
pub const MSGLEN: usize = 32;

/// Tutorial 000's `mysend(s, msg)`: `send` until every byte is sent. The message is padded
/// with spaces to `msglen` first, as a Python program does with `msg.ljust(MSGLEN)`.
pub fn mysend(stream: &mut TcpStream, msg: &[u8], msglen: usize) {
    let mut padded = msg.to_vec();
    padded.resize(msglen.max(msg.len()), b' ');
    let mut total_sent = 0;
    while total_sent < padded.len() {
        let sent = stream
            .write(&padded[total_sent..])
            .expect("tutorial 000's mysend");
        assert!(sent != 0, "RuntimeError: socket connection broken");
        total_sent += sent;
    }
}

/// Tutorial 000's `myreceive(s, msglen)`: `recv(min(msglen - bytes_recd, 2048))` until
/// `msglen` bytes have come. Fails the test (Python: `RuntimeError`) if the connection ends
/// first, or nothing comes before the deadline.
pub fn myreceive(stream: &mut TcpStream, msglen: usize) -> Vec<u8> {
    let _ = stream.set_read_timeout(Some(DEADLINE));
    let mut chunks = Vec::with_capacity(msglen);
    while chunks.len() < msglen {
        let mut chunk = vec![0; (msglen - chunks.len()).min(2048)];
        let count = stream.read(&mut chunk).expect("tutorial 000's myreceive");
        assert!(count != 0, "RuntimeError: socket connection broken");
        chunks.extend_from_slice(&chunk[..count]);
    }
    chunks
}

// ---------------------------------------------------------------------------------------------
// Tutorial 004's chat client in the lessons' chat rooms (chat-server, poll-chat-server)

/// Reads like tutorial 004's chat client, one `recv(1024)` at a time, until `wanted` has come;
/// returns everything read.
pub fn recv_until(client: &mut TutorialClient, wanted: &str) -> String {
    let mut heard = String::new();
    while !heard.contains(wanted) {
        let more = client.recv();
        assert!(!more.is_empty(), "the server closed; heard {heard:?}");
        heard.push_str(&more);
    }
    heard
}

/// Connects to a lesson's chat room like tutorial 004's client, and returns it with the name
/// the room gave it (the greeting's `* you are NAME;`).
pub fn join_chat(addr: SocketAddr) -> (TutorialClient, String) {
    let mut client = TutorialClient::connect(addr);
    let greeting = recv_until(&mut client, "/who");
    assert!(greeting.starts_with(WELCOME), "{greeting:?}");
    let name = greeting
        .split_once("* you are ")
        .and_then(|(_, rest)| rest.split_once(';'))
        .map(|(name, _)| name.to_string())
        .expect("a name");
    (client, name)
}

/// Two of the tutorial's clients in the chat room `package` serves: each message, sent with no
/// newline, reaches the other (the room ends it after `--pause` of silence); having come
/// without a newline, it also comes back to its sender, whom the tutorial's client makes wait
/// for an answer after each send.
pub fn two_tutorial_clients_see_each_others_messages(package: &str) {
    let (mut server, addr) = Proc::start_server(package, &[]);
    let (mut alice, alice_name) = join_chat(addr);
    let (mut bob, bob_name) = join_chat(addr);
    // The tutorial's client waits for an answer after each message: it gets its own line.
    alice.send("hi, bob");
    recv_until(&mut alice, &said(&alice_name, "hi, bob"));
    server.wait_for(&format!("received from {alice_name}: \"hi, bob\""));
    // Bob reads once after sending: Alice's line was waiting for him.
    bob.send("hello, alice");
    let heard = recv_until(&mut bob, &said(&bob_name, "hello, alice"));
    assert!(heard.contains(&said(&alice_name, "hi, bob")), "{heard:?}");
    recv_until(&mut alice, &said(&bob_name, "hello, alice"));
}

/// The tutorial's client sends `bye` and closes without reading: the room gets the `bye`, then
/// hears it left.
pub fn a_tutorial_client_that_says_bye_leaves_and_the_room_hears_it(package: &str) {
    let (_server, addr) = Proc::start_server(package, &[]);
    let (mut alice, _) = join_chat(addr);
    let (mut bob, bob_name) = join_chat(addr);
    bob.send("bye");
    drop(bob);
    let bye_and_left = format!("{}{}", said(&bob_name, "bye"), left(&bob_name));
    recv_until(&mut alice, &bye_and_left);
}
