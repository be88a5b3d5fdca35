//! End-to-end tests of echo-server: the real binary on a free port, driven by the real
//! echo-client or by raw sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use testkit::{
    Proc, check_help, check_port_in_use, check_transcript, has_ipv6_loopback, mask_ports, run,
    vanish_mid_message,
};

const PAGE: &str = "docs/en/01-echo.md";

fn start(args: &[&str]) -> (Proc, SocketAddr) {
    Proc::start_server("echo-server", args)
}

fn client(addr: SocketAddr, extra: &[&str], stdin: &[u8]) -> testkit::Finished {
    let port = addr.port().to_string();
    let mut args = vec!["--host", "127.0.0.1", "--port", &port];
    args.extend_from_slice(extra);
    run("echo-client", &args, stdin)
}

/// Sends `message` on `stream` and reads exactly as many bytes back.
fn exchange(stream: &mut TcpStream, message: &[u8]) -> Vec<u8> {
    stream.write_all(message).expect("send");
    let mut reply = vec![0; message.len()];
    stream.read_exact(&mut reply).expect("receive the echo");
    reply
}

#[test]
fn a_piped_client_gets_every_line_back_and_the_server_logs_it() {
    let (mut server, addr) = start(&[]);
    let session = client(addr, &[], "hello\n你好\nq\nnever sent\n".as_bytes());
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!("connected to {addr}\n收到服务器响应: hello\n收到服务器响应: 你好\n")
    );

    let left = server.wait_for(" left");
    assert!(left.starts_with("client 127.0.0.1:"), "{left}");
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0));
    assert!(
        !stopped.stdout.contains("never sent"),
        "q ends the conversation"
    );

    let before_stop = stopped
        .stdout
        .strip_suffix("server stopped\n")
        .expect("last line");
    let shown = |text: &str| mask_ports(text, addr.port(), 9001);
    check_transcript(
        PAGE,
        "first-session-server",
        &shown(&format!(
            "$ cargo run -p echo-server\n{before_stop}^C\nserver stopped"
        )),
    );
    check_transcript(
        PAGE,
        "first-session-client",
        &shown(&format!(
            "$ printf 'hello\\n你好\\nq\\n' | cargo run -p echo-client\n{}",
            session.stdout
        )),
    );
}

#[test]
fn a_reply_that_arrives_in_pieces_is_printed_whole() {
    let (mut server, addr) = start(&[]);
    let long_line = "0123456789".repeat(10_000); // 100,000 bytes, about 98 reads of 1024
    let session = client(addr, &[], format!("{long_line}\n").as_bytes());
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!("connected to {addr}\n收到服务器响应: {long_line}\n")
    );

    server.wait_for(" left");
    let reads = server
        .seen()
        .iter()
        .filter(|line| line.starts_with("received "))
        .count();
    assert!(
        reads >= 98,
        "one line arrived in {reads} reads of at most 1024 bytes"
    );
    assert!(
        server
            .seen()
            .iter()
            .any(|line| line.starts_with("received 1024 bytes from "))
    );
}

#[test]
fn non_utf8_bytes_are_echoed_intact_and_logged_lossily() {
    let (mut server, addr) = start(&[]);
    let mut stream = TcpStream::connect(addr).expect("connect");
    let bytes = b"\xff\xfe\x00ok\xc3";
    assert_eq!(exchange(&mut stream, bytes), bytes);
    let logged = server.wait_for("received 6 bytes");
    assert!(logged.ends_with(r#": "��\0ok�""#), "{logged}");
    // The client tool prints what it cannot decode as �, and does not crash either.
    drop(stream);
    let session = client(addr, &[], b"caf\xe9\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(
        session.stdout.ends_with("收到服务器响应: caf\u{fffd}\n"),
        "{}",
        session.stdout
    );
}

#[test]
fn without_threads_a_second_client_waits_for_the_first() {
    let (mut server, addr) = start(&[]);
    let mut first = TcpStream::connect(addr).expect("first client");
    assert_eq!(exchange(&mut first, b"first"), b"first");

    let mut second = TcpStream::connect(addr).expect("the backlog takes the second client");
    second.write_all(b"second").expect("send");
    second
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let waiting = second
        .read(&mut [0; 16])
        .expect_err("no reply while the first is served");
    assert!(matches!(
        waiting.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));

    drop(first); // the first client leaves: now the server accepts the second
    second.set_read_timeout(None).expect("blocking again");
    let mut reply = [0; 6];
    second
        .read_exact(&mut reply)
        .expect("served once the first left");
    assert_eq!(&reply, b"second");
    let connected = |server: &Proc| {
        server
            .seen()
            .iter()
            .filter(|l| l.starts_with("connected"))
            .count()
    };
    while connected(&server) < 2 {
        server.next_line();
    }
    let order: Vec<&String> = server
        .seen()
        .iter()
        .filter(|l| !l.starts_with("received"))
        .collect();
    assert_eq!(order.len(), 4, "{order:?}"); // listening, connected, left, connected
    assert!(
        order[2].contains(" left"),
        "the first left before the second connected: {order:?}"
    );
}

#[test]
fn with_threads_two_clients_are_served_at_once() {
    let (_server, addr) = start(&["--threads"]);
    let port = addr.port().to_string();
    let mut first = Proc::spawn("echo-client", &["--port", &port]);
    first.write_stdin(b"from the first\n");
    assert_eq!(first.wait_for("收到"), "收到服务器响应: from the first");

    // The first client is still connected, yet the second is answered.
    let second = client(addr, &[], b"from the second\n");
    assert_eq!(second.code(), Some(0), "{second:?}");
    assert!(second.stdout.ends_with("收到服务器响应: from the second\n"));

    first.write_stdin(b"still here\n");
    assert_eq!(first.wait_for("收到"), "收到服务器响应: still here");
    assert_eq!(first.finish().code(), Some(0));
}

#[test]
fn a_client_that_stops_reading_does_not_block_others_with_threads() {
    let (_server, addr) = start(&["--threads"]);
    let mut stuck = TcpStream::connect(addr).expect("connect");
    stuck
        .set_write_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    // Send far more than the socket buffers hold, and never read the echo: the server's thread
    // for this client ends up blocked in write. A write time-out ends our side of it.
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..1024 {
        if stuck.write_all(&chunk).is_err() {
            break;
        }
    }
    let other = client(addr, &[], b"still served\n");
    assert_eq!(other.code(), Some(0), "{other:?}");
    assert!(other.stdout.ends_with("收到服务器响应: still served\n"));
}

#[test]
fn a_client_that_resets_mid_message_does_not_stop_the_server() {
    let (mut server, addr) = start(&[]);
    vanish_mid_message(&mut server, addr);

    let after = client(addr, &["--message", "still alive"], b"");
    assert_eq!(after.code(), Some(0), "{after:?}");
    assert_eq!(after.stdout, "Received b'still alive'\n");
}

#[test]
fn ctrl_c_ends_a_server_that_is_serving_a_client() {
    for mode in [&[][..], &["--threads"][..]] {
        let (mut server, addr) = start(mode);
        let mut clients: Vec<TcpStream> = (0..2)
            .map(|_| TcpStream::connect(addr).expect("connect"))
            .collect();
        assert_eq!(exchange(&mut clients[0], b"hi"), b"hi");
        server.wait_for("received 2 bytes");

        server.interrupt();
        let stopped = server.finish();
        assert_eq!(stopped.code(), Some(0), "{mode:?}: {stopped:?}");
        assert!(
            stopped.stdout.ends_with("server stopped\n"),
            "{mode:?}: {}",
            stopped.stdout
        );
        assert!(stopped.stderr.is_empty(), "{mode:?}: {}", stopped.stderr);
        // The server closed the connection: it does not say that the client left.
        testkit::assert_closed_by_the_server(&stopped);
        // The connected client sees the end of the stream, not a hang.
        assert_eq!(clients[0].read(&mut [0; 4]).expect("end of stream"), 0);
    }
}

#[test]
fn a_port_in_use_gets_one_friendly_line_and_exit_code_3() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    check_port_in_use("echo-server", taken.local_addr().expect("addr").port());
}

#[test]
fn ipv6_loopback_works_for_server_and_client() {
    if !has_ipv6_loopback() {
        return;
    }
    let (_server, addr) = start(&["--host", "::1"]);
    assert_eq!(addr.to_string(), format!("[::1]:{}", addr.port()));
    let port = addr.port().to_string();
    let session = run(
        "echo-client",
        &["--host", "::1", "--port", &port, "-m", "v6"],
        b"",
    );
    assert_eq!(session.stdout, "Received b'v6'\n", "{session:?}");
}

#[test]
fn help_shows_the_options_and_their_defaults() {
    check_help(
        "echo-server",
        &["[default: 127.0.0.1]", "[default: 9001]", "--threads"],
    );
    let wrong = run("echo-server", &["--prot", "1"], b"");
    assert_eq!(wrong.code(), Some(2), "clap's usage error: {wrong:?}");
}

#[test]
fn quiet_logs_no_line_per_message_but_still_echoes() {
    let finished = testkit::run_quiet("echo-server", &["--threads"], |addr| {
        let mut stream = TcpStream::connect(addr).expect("connect");
        assert_eq!(exchange(&mut stream, b"hello"), b"hello");
    });
    assert!(
        finished.stdout.contains("connected from 127.0.0.1:"),
        "{finished:?}"
    );
    assert!(finished.stdout.contains(" left"), "{finished:?}");
    assert!(!finished.stdout.contains("received"), "{finished:?}");
}

#[test]
fn a_big_buffer_echoes_bulk_data_intact() {
    let (_server, addr) = start(&["--buf-size", "65536", "--quiet"]);
    let data: Vec<u8> = (0..1_000_000u32).map(|n| (n % 251) as u8).collect();
    let mut stream = TcpStream::connect(addr).expect("connect");
    let reader = stream.try_clone().expect("clone");
    // Read while writing: a megabyte is more than the socket buffers hold.
    let echoed = std::thread::spawn(move || {
        let mut all = Vec::new();
        reader
            .take(1_000_000)
            .read_to_end(&mut all)
            .expect("read the echo");
        all
    });
    stream.write_all(&data).expect("send");
    assert_eq!(echoed.join().expect("reader"), data);
}

#[test]
fn each_client_costs_one_file_descriptor_with_threads() {
    let (mut server, addr) = start(&["--threads"]);
    let Some(before) = testkit::open_descriptors(server.pid()) else {
        return;
    };
    let clients: Vec<TcpStream> = (0..20)
        .map(|_| {
            let client = TcpStream::connect(addr).expect("connect");
            server.wait_for("connected from");
            client
        })
        .collect();
    let during = testkit::open_descriptors(server.pid()).expect("still there");
    assert_eq!(during - before, clients.len(), "descriptors per client");
}
