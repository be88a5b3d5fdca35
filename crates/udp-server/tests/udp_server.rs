//! End-to-end tests of udp-server: the real binary on a free port, driven by the real
//! udp-client or by raw UDP sockets.

use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::Duration;

use testkit::{Proc, check_help, check_port_in_use, check_transcript, mask_ports, run};

const PAGE: &str = "docs/en/04-udp.md";
const TUTORIAL_REPLY: &str = "收到您的消息!";

fn start(args: &[&str]) -> (Proc, SocketAddr) {
    Proc::start_server("udp-server", args)
}

/// A raw client socket connected to the server, with a generous time-out so a lost answer
/// fails the test instead of hanging it.
fn raw_client(server: SocketAddr) -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.connect(server).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    socket
}

fn ask(socket: &UdpSocket, message: &[u8]) -> Vec<u8> {
    socket.send(message).expect("send");
    let mut buffer = vec![0; 65_536];
    let received = socket.recv(&mut buffer).expect("an answer");
    buffer.truncate(received);
    buffer
}

#[test]
fn every_datagram_gets_the_tutorials_reply_and_is_logged() {
    let (mut server, addr) = start(&[]);
    let port = addr.port().to_string();
    let session = run(
        "udp-client",
        &["--port", &port],
        "hello\n你好\nq\n".as_bytes(),
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!("收到服务器响应: {TUTORIAL_REPLY}\n").repeat(2)
    );

    server.wait_for(r#": "你好""#);
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    let before_stop = stopped
        .stdout
        .strip_suffix("server stopped\n")
        .expect("last line");
    let shown = |text: &str| mask_ports(text, addr.port(), 9002);
    check_transcript(
        PAGE,
        "udp-session-server",
        &shown(&format!(
            "$ cargo run -p udp-server\n{before_stop}^C\nserver stopped"
        )),
    );
    check_transcript(
        PAGE,
        "udp-session-client",
        &format!(
            "$ printf 'hello\\n你好\\nq\\n' | cargo run -p udp-client\n{}",
            session.stdout
        ),
    );
}

#[test]
fn reply_changes_the_answer_and_echo_sends_the_datagram_back() {
    let (_server, addr) = start(&["--reply", "got it"]);
    assert_eq!(ask(&raw_client(addr), b"hi"), b"got it");
    let (_server, addr) = start(&["--echo"]);
    assert_eq!(ask(&raw_client(addr), b"hi \xff"), b"hi \xff");
}

#[test]
fn an_empty_datagram_is_answered() {
    let (mut server, addr) = start(&[]);
    assert_eq!(ask(&raw_client(addr), b""), TUTORIAL_REPLY.as_bytes());
    server.wait_for("received 0 bytes from ");
}

#[test]
fn the_largest_ipv4_datagram_fits_a_large_enough_buffer() {
    let (mut server, addr) = start(&["--echo", "--buf-size", "65507"]);
    let largest: Vec<u8> = (0..65_507).map(|i| (i % 251) as u8).collect();
    assert_eq!(ask(&raw_client(addr), &largest), largest);
    let logged = server.wait_for("received ");
    assert!(logged.starts_with("received 65507 bytes from "), "{logged}");
    let next = server.seen().len();
    // Nothing was cut, so no warning follows.
    assert_eq!(ask(&raw_client(addr), b"x"), b"x");
    server.wait_for("received 1 bytes");
    assert!(
        !server.seen()[next..]
            .iter()
            .any(|line| line.contains("cut"))
    );
}

#[test]
fn a_datagram_longer_than_the_buffer_is_cut_and_the_server_says_so() {
    let (mut server, addr) = start(&["--echo"]);
    let long = vec![b'x'; 2000];
    let echo = ask(&raw_client(addr), &long);
    assert_eq!(
        echo,
        vec![b'x'; 1024],
        "the operating system kept the first 1024 bytes"
    );
    server.wait_for("received 1024 bytes from ");
    let warning = server.next_line();
    assert_eq!(
        warning,
        "  cut: the datagram was longer than the 1024-byte buffer (see --buf-size)"
    );
    check_transcript(
        PAGE,
        "udp-cut",
        &mask_ports(&server.seen()[1..].join("\n"), addr.port(), 9002),
    );
}

#[test]
fn bytes_that_are_not_utf8_are_logged_lossily() {
    let (mut server, addr) = start(&[]);
    assert_eq!(
        ask(&raw_client(addr), b"caf\xe9"),
        TUTORIAL_REPLY.as_bytes()
    );
    let logged = server.wait_for("received 4 bytes");
    assert!(logged.ends_with(": \"caf\u{fffd}\""), "{logged}");
}

#[test]
fn many_clients_at_once_all_get_answers() {
    let (_server, addr) = start(&["--echo"]);
    let clients: Vec<_> = (0..50)
        .map(|client| {
            thread::spawn(move || {
                let socket = raw_client(addr);
                for message in 0..20 {
                    let text = format!("client {client} message {message}");
                    assert_eq!(ask(&socket, text.as_bytes()), text.as_bytes());
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("every client got its own answers");
    }
}

#[test]
fn ctrl_c_stops_the_server_with_status_0() {
    let (mut server, addr) = start(&[]);
    assert_eq!(ask(&raw_client(addr), b"hi"), TUTORIAL_REPLY.as_bytes());
    server.wait_for("received 2 bytes");
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(stopped.stdout.ends_with("server stopped\n"));
    assert!(stopped.stderr.is_empty(), "{}", stopped.stderr);
}

#[test]
fn a_port_in_use_gets_one_friendly_line_and_exit_code_3() {
    let taken = UdpSocket::bind("127.0.0.1:0").expect("bind");
    check_port_in_use("udp-server", taken.local_addr().expect("addr").port());
}

#[test]
fn help_shows_the_options_and_bad_values_are_refused() {
    check_help(
        "udp-server",
        &[
            "[default: 9002]",
            "--reply",
            "[default: 收到您的消息!]",
            "--echo",
            "--buf-size",
        ],
    );
    for wrong in [
        &["--buf-size", "0"][..],
        &["--buf-size", "70000"],
        &["--echo", "--reply", "x"],
    ] {
        let refused = run("udp-server", wrong, b"");
        assert_eq!(refused.code(), Some(2), "{wrong:?}: {refused:?}");
    }
}

#[test]
fn quiet_logs_no_line_per_datagram_but_still_answers() {
    let finished = testkit::run_quiet("udp-server", &[], |addr| {
        use testkit::tutorials::{UDP_ANSWER, udp_exchange};
        assert_eq!(udp_exchange(addr, "hello"), UDP_ANSWER);
    });
    assert_eq!(finished.stdout.lines().count(), 2, "{finished:?}");
}
