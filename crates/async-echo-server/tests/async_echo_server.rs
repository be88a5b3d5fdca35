//! End-to-end tests of async-echo-server: the real binary on a free port, driven by the real
//! async-echo-client or by raw sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use testkit::{
    DEADLINE, Finished, Proc, check_help, check_port_in_use, check_transcript, check_unknown_host,
    has_ipv6_loopback, mask_ports, run, vanish_mid_message,
};

const PAGE: &str = "docs/en/07-async-echo.md";

/// What a refused client reads before the server closes the connection.
const BUSY: &str = "server busy: too many connections, try again later\n";

fn start(args: &[&str]) -> (Proc, SocketAddr) {
    Proc::start_server("async-echo-server", args)
}

fn client(addr: SocketAddr, extra: &[&str], stdin: &[u8]) -> Finished {
    let port = addr.port().to_string();
    let mut args = vec!["--port", &port];
    args.extend_from_slice(extra);
    run("async-echo-client", &args, stdin)
}

/// Connects with a read time-out, so a server that never answers fails the test instead of
/// hanging it.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("timeout");
    stream
}

/// Sends `message` on `stream` and reads exactly as many bytes back.
fn exchange(stream: &mut TcpStream, message: &[u8]) -> Vec<u8> {
    stream.write_all(message).expect("send");
    let mut answer = vec![0; message.len()];
    stream.read_exact(&mut answer).expect("receive the answer");
    answer
}

/// A client that sends far more than the socket buffers hold and never reads the answers: the
/// server's task for it ends up blocked in `write_all`. Our writes stop making progress once
/// the server stops reading; the write time-out is how we notice.
fn client_that_does_not_read(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..1024 {
        if stream.write_all(&chunk).is_err() {
            return stream;
        }
    }
    panic!("the server read 64 MiB although nobody read its answers");
}

/// The server's output as a student sees it, with the Ctrl-C marked after the `shown` lines
/// that came before it.
fn with_ctrl_c(stopped: &Finished, shown: usize) -> String {
    let lines: Vec<&str> = stopped.stdout.lines().collect();
    let mut text = String::from("$ cargo run -p async-echo-server\n");
    for line in &lines[..shown] {
        text += &format!("{line}\n");
    }
    text += "^C\n";
    for line in &lines[shown..] {
        text += &format!("{line}\n");
    }
    text
}

#[test]
fn the_default_message_comes_back_in_upper_case_and_the_server_logs_it() {
    let (mut server, addr) = start(&[]);
    let session = client(addr, &[], b"");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        "Send: Hello, world!\nReceived: HELLO, WORLD!\n"
    );
    assert!(session.stderr.is_empty(), "{session:?}");

    let left = server.wait_for(" left");
    assert!(left.starts_with(" INFO client 127.0.0.1:"), "{left}");
    let shown = server.seen().len();
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(stopped.stderr.is_empty(), "{stopped:?}");
    assert!(
        stopped
            .stdout
            .contains(r#" INFO received 13 bytes from 127.0.0.1:"#),
        "{}",
        stopped.stdout
    );

    let as_seen = |text: &str| mask_ports(text, addr.port(), 8888);
    check_transcript(
        PAGE,
        "first-session-server",
        &as_seen(&with_ctrl_c(&stopped, shown)),
    );
    check_transcript(
        PAGE,
        "first-session-client",
        &format!("$ cargo run -p async-echo-client\n{}", session.stdout),
    );
}

#[test]
fn several_messages_on_one_connection_each_get_their_answer() {
    let (mut server, addr) = start(&[]);
    let mut stream = connect(addr);
    for message in ["first", "Second one", "third: ok"] {
        let answer = exchange(&mut stream, message.as_bytes());
        assert_eq!(answer, message.to_ascii_uppercase().as_bytes());
    }
    drop(stream);
    server.wait_for(" left");
    let connected = server
        .seen()
        .iter()
        .filter(|line| line.contains("connected from"))
        .count();
    assert_eq!(
        connected,
        1,
        "one connection for all three: {:?}",
        server.seen()
    );
}

#[test]
fn non_utf8_bytes_come_back_intact_and_only_ascii_letters_change() {
    let (mut server, addr) = start(&[]);
    let mut stream = connect(addr);
    let message = b"\xff\xfe\x00ok caf\xc3\xa9 stra\xc3\x9fe \xe9t\xe9";
    let answer = exchange(&mut stream, message);
    assert_eq!(
        answer,
        b"\xff\xfe\x00OK CAF\xc3\xa9 STRA\xc3\x9fE \xe9T\xe9"
    );
    let logged = server.wait_for(&format!("received {} bytes", message.len()));
    assert!(
        logged.ends_with(r#": "��\0ok café straße �t�""#),
        "{logged}"
    );
}

#[test]
fn with_the_tutorials_buffer_one_message_arrives_in_several_reads() {
    let (mut server, addr) = start(&["--buf-size", "100"]);
    let message = "abcdefghij".repeat(100); // 1,000 bytes, at least 10 reads of 100
    let session = client(addr, &["--message", &message], b"");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!("Send: {message}\nReceived: {}\n", message.to_uppercase())
    );
    server.wait_for(" left");
    let reads: Vec<&String> = server
        .seen()
        .iter()
        .filter(|line| line.contains(" received "))
        .collect();
    assert!(reads.len() >= 10, "{reads:?}");
    assert!(
        reads.iter().all(|line| !line.contains("received 101 ")),
        "no read is larger than --buf-size: {reads:?}"
    );
}

#[test]
fn a_client_that_vanishes_mid_message_does_not_hurt_the_server() {
    let (mut server, addr) = start(&[]);
    vanish_mid_message(&mut server, addr);

    let after = client(addr, &["--message", "still alive"], b"");
    assert_eq!(after.code(), Some(0), "{after:?}");
    assert_eq!(after.stdout, "Send: still alive\nReceived: STILL ALIVE\n");
}

#[test]
fn two_hundred_clients_connected_at_once_are_all_served() {
    let (server, addr) = start(&["--quiet"]);
    // All connect first and stay connected; only then does each send. A server that served
    // one client at a time would never answer the second.
    let mut streams: Vec<TcpStream> = (0..200).map(|_| connect(addr)).collect();
    for (number, stream) in streams.iter_mut().enumerate() {
        stream
            .write_all(format!("client {number:03}").as_bytes())
            .expect("send");
    }
    for (number, stream) in streams.iter_mut().enumerate() {
        let mut answer = [0; 10];
        stream.read_exact(&mut answer).expect("answered");
        assert_eq!(answer, *format!("CLIENT {number:03}").as_bytes());
    }

    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    // --quiet: nothing but the first and the last line.
    assert_eq!(
        stopped.stdout,
        format!("listening on {addr}\nserver stopped\n")
    );
}

#[test]
fn over_max_conns_a_client_gets_one_line_and_is_closed() {
    let (mut server, addr) = start(&["--max-conns", "2"]);
    let mut first = connect(addr);
    let mut second = connect(addr);
    assert_eq!(exchange(&mut first, b"one"), b"ONE");
    assert_eq!(exchange(&mut second, b"two"), b"TWO");

    let mut third = connect(addr);
    let mut refusal = String::new();
    third
        .read_to_string(&mut refusal)
        .expect("a line, then the end of the stream");
    assert_eq!(refusal, BUSY);
    let logged = server.wait_for("refused");
    assert!(logged.starts_with(" WARN refused 127.0.0.1:"), "{logged}");
    assert!(logged.ends_with(": --max-conns 2 reached"), "{logged}");

    // When a client leaves, its place is free again.
    drop(first);
    server.wait_for(" left");
    let mut fourth = connect(addr);
    assert_eq!(exchange(&mut fourth, b"four"), b"FOUR");
    assert_eq!(exchange(&mut second, b"still two"), b"STILL TWO");
}

#[test]
fn ctrl_c_closes_an_idle_connection_at_once_and_exits_0() {
    let (mut server, addr) = start(&[]);
    let mut idle = connect(addr);
    assert_eq!(exchange(&mut idle, b"Hello, world!"), b"HELLO, WORLD!");
    server.wait_for("received 13 bytes");
    let shown = server.seen().len();

    let pressed = Instant::now();
    server.interrupt();
    // The connected client sees the end of the stream, not a hang or a reset.
    assert_eq!(idle.read(&mut [0; 16]).expect("end of stream"), 0);
    let stopped = server.finish();
    assert!(
        pressed.elapsed() < Duration::from_secs(5),
        "an idle connection does not make the server wait for the grace period"
    );
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(stopped.stderr.is_empty(), "{stopped:?}");
    let after_ctrl_c: Vec<&str> = stopped.stdout.lines().skip(shown).collect();
    assert_eq!(after_ctrl_c.len(), 3, "{after_ctrl_c:?}");
    assert_eq!(
        after_ctrl_c[0],
        " INFO Ctrl-C: stopping; open connections: 1, grace period: 5s"
    );
    assert!(
        after_ctrl_c[1].ends_with(": the server is stopping"),
        "{after_ctrl_c:?}"
    );
    assert_eq!(after_ctrl_c[2], "server stopped");
    check_transcript(
        PAGE,
        "ctrl-c",
        &mask_ports(&with_ctrl_c(&stopped, shown), addr.port(), 8888),
    );
}

#[test]
fn ctrl_c_while_idle_stops_at_once() {
    let (server, addr) = start(&[]);
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert_eq!(
        stopped.stdout,
        format!(
            "listening on {addr}\n INFO Ctrl-C: stopping; open connections: 0, grace period: \
             5s\nserver stopped\n"
        )
    );
    assert!(stopped.stderr.is_empty(), "{stopped:?}");
    // The port is free again: nothing listens there any more.
    let refused = TcpStream::connect(addr).expect_err("nothing listens");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn ctrl_c_waits_for_a_busy_connection_only_for_the_grace_period() {
    let (mut server, addr) = start(&["--quiet", "--grace", "1"]);
    let _stuck = client_that_does_not_read(addr);

    let pressed = Instant::now();
    server.interrupt();
    server.wait_for("still open after the grace period: 1; closing them");
    assert!(
        pressed.elapsed() >= Duration::from_secs(1),
        "it waited for the grace period first"
    );
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(stopped.stdout.ends_with("server stopped\n"), "{stopped:?}");
    assert!(stopped.stderr.is_empty(), "{stopped:?}");
}

#[test]
fn a_second_ctrl_c_or_sigterm_ends_the_grace_period() {
    for second_is_sigterm in [false, true] {
        let (mut server, addr) = start(&["--grace", "600"]);
        let _stuck = client_that_does_not_read(addr);
        server.interrupt();
        server.wait_for("Ctrl-C: stopping; open connections: 1, grace period: 600s");
        if second_is_sigterm {
            server.terminate();
        } else {
            server.interrupt();
        }
        server.wait_for(" WARN second Ctrl-C: not waiting any longer");
        let stopped = server.finish(); // fails after the test deadline, long before 600 s
        assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    }
}

#[test]
fn a_second_ctrl_c_ends_the_grace_period() {
    let (mut server, addr) = start(&["--grace", "600"]);
    let _stuck = client_that_does_not_read(addr);
    server.interrupt();
    server.wait_for("Ctrl-C: stopping; open connections: 1, grace period: 600s");
    server.interrupt();
    server.wait_for(" WARN second Ctrl-C: not waiting any longer");
    let stopped = server.finish(); // fails after the test deadline, long before 600 s
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(
        stopped.stdout.ends_with(
            " WARN still open after the grace period: 1; closing them\nserver stopped\n"
        ),
        "{}",
        stopped.stdout
    );
}

#[test]
fn a_port_in_use_gets_one_friendly_line_and_exit_code_3() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    check_port_in_use(
        "async-echo-server",
        taken.local_addr().expect("addr").port(),
    );
}

#[test]
fn an_unknown_host_gets_one_friendly_line_and_exit_code_5() {
    check_unknown_host("async-echo-server");
}

#[test]
fn ipv6_loopback_works_for_server_and_client() {
    if !has_ipv6_loopback() {
        return;
    }
    let (_server, addr) = start(&["--host", "::1"]);
    assert_eq!(addr.to_string(), format!("[::1]:{}", addr.port()));
    let session = client(addr, &["--host", "::1", "-m", "v6"], b"");
    assert_eq!(session.stdout, "Send: v6\nReceived: V6\n", "{session:?}");
}

#[test]
fn help_shows_the_options_and_their_defaults_and_bad_values_are_refused() {
    check_help(
        "async-echo-server",
        &[
            "[default: 127.0.0.1]",
            "[default: 8888]",
            "--max-conns",
            "[default: 10000]",
            "--grace <SECONDS>",
            "[default: 5]",
            "--buf-size <BYTES>",
            "[default: 1024]",
            "--quiet",
        ],
    );
    for wrong in [
        &["--buf-size", "0"][..],
        &["--buf-size", "99999999"],
        &["--max-conns", "0"],
        &["--grace", "soon"],
    ] {
        let refused = run("async-echo-server", wrong, b"");
        assert_eq!(refused.code(), Some(2), "clap's usage error: {refused:?}");
        assert!(refused.stdout.is_empty(), "{refused:?}");
    }
}
