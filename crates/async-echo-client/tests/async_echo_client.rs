//! End-to-end tests of async-echo-client: the real binary against the real async-echo-server,
//! or against a test listener that misbehaves on purpose.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::channel;

use testkit::{
    Finished, Proc, check_help, check_refused, check_transcript, check_unknown_host, mask_ports,
    run,
};

const PAGE: &str = "docs/en/07-async-echo.md";

fn client(addr: SocketAddr, args: &[&str], stdin: &[u8]) -> Finished {
    let port = addr.port().to_string();
    let mut all = vec!["--port", &port];
    all.extend_from_slice(args);
    run("async-echo-client", &all, stdin)
}

#[test]
fn message_prints_what_was_sent_and_the_answer_like_the_tutorial() {
    let (_server, addr) = Proc::start_server("async-echo-server", &[]);
    let reply = client(addr, &["--message", "hello socket"], b"");
    assert_eq!(reply.code(), Some(0), "{reply:?}");
    assert_eq!(reply.stdout, "Send: hello socket\nReceived: HELLO SOCKET\n");
    assert!(reply.stderr.is_empty(), "{reply:?}");

    // Only ASCII letters change; other characters pass through as they are.
    let mixed = client(addr, &["-m", "café ß 你好 ok"], b"");
    assert_eq!(
        mixed.stdout,
        "Send: café ß 你好 ok\nReceived: CAFé ß 你好 OK\n"
    );
}

#[test]
fn stdin_sends_each_line_skips_empty_ones_and_exits_0_at_the_end() {
    let (_server, addr) = Proc::start_server("async-echo-server", &[]);
    let session = client(addr, &["--stdin"], b"hello\n\nsocket lesson\r\ncaf\xe9\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        "Send: hello\nReceived: HELLO\nSend: socket lesson\nReceived: SOCKET LESSON\n\
         Send: caf\u{fffd}\nReceived: CAF\u{fffd}\n"
    );
    assert!(session.stderr.is_empty(), "{session:?}");

    let shown = client(addr, &["--stdin"], b"one\ntwo\n");
    check_transcript(
        PAGE,
        "stdin",
        &format!(
            "$ printf 'one\\ntwo\\n' | cargo run -p async-echo-client -- --stdin\n{}",
            shown.stdout
        ),
    );

    let nothing = client(addr, &["--stdin"], b"");
    assert_eq!(nothing.code(), Some(0), "{nothing:?}");
    assert!(nothing.stdout.is_empty(), "{nothing:?}");
}

#[test]
fn a_server_over_its_limit_is_reported_with_what_it_said() {
    let (mut server, addr) = Proc::start_server("async-echo-server", &["--max-conns", "1"]);
    let mut first = TcpStream::connect(addr).expect("connect");
    first.write_all(b"hi").expect("send");
    first
        .read_exact(&mut [0; 2])
        .expect("the first client is served");

    let busy = client(addr, &[], b"");
    assert_eq!(busy.code(), Some(1), "{busy:?}");
    assert_eq!(busy.stdout, "Send: Hello, world!\n");
    assert_eq!(
        busy.stderr,
        "error: unexpected answer from the server: \"server busy: too many connections, try \
         again later\\n\"\n"
    );
    check_transcript(
        PAGE,
        "busy-client",
        &format!(
            "$ cargo run -p async-echo-client\n{}{}",
            busy.stdout, busy.stderr
        ),
    );

    // A message longer than the refusal: the whole refusal is shown all the same.
    let long = "x".repeat(200);
    let busy = client(addr, &["--message", &long], b"");
    assert_eq!(busy.code(), Some(1), "{busy:?}");
    assert!(busy.stderr.contains("server busy"), "{busy:?}");

    server.wait_for("refused");
    let shown = server.seen().len();
    server.interrupt();
    let stopped = server.finish();
    let lines: Vec<&str> = stopped.stdout.lines().collect();
    let mut text = String::from("$ cargo run -p async-echo-server -- --max-conns 1\n");
    for line in &lines[..shown] {
        text += &format!("{line}\n");
    }
    check_transcript(PAGE, "busy-server", &mask_ports(&text, addr.port(), 8888));
}

#[test]
fn a_server_that_closes_mid_answer_is_an_error_not_a_panic() {
    let (addr, server) = testkit::misbehaving_server(|mut stream| {
        let mut message = [0; 13];
        stream.read_exact(&mut message).expect("the whole message");
        stream.write_all(b"HELLO").expect("part of the answer"); // then vanish
    });
    let cut = client(addr, &[], b"");
    server.join().expect("test server");
    assert_eq!(cut.code(), Some(1), "{cut:?}");
    assert_eq!(
        cut.stderr,
        "error: no complete answer from the server: the connection closed before all the data \
         arrived\n"
    );
}

#[test]
fn an_answer_that_arrives_in_pieces_is_printed_whole() {
    let (addr, server) = testkit::misbehaving_server(|mut stream| {
        let mut message = [0; 13];
        stream.read_exact(&mut message).expect("the whole message");
        for piece in message.to_ascii_uppercase().chunks(3) {
            stream.write_all(piece).expect("a piece");
            stream.flush().expect("flush");
        }
    });
    let whole = client(addr, &[], b"");
    server.join().expect("test server");
    assert_eq!(whole.code(), Some(0), "{whole:?}");
    assert_eq!(
        whole.stdout,
        "Send: Hello, world!\nReceived: HELLO, WORLD!\n"
    );
}

#[test]
fn a_server_that_never_answers_times_out_with_exit_code_6() {
    let (addr, server) = testkit::misbehaving_server(|mut stream| {
        // Read the message, then say nothing until the client gives up and closes.
        let _ = std::io::copy(&mut stream, &mut std::io::sink());
    });
    let silent = client(addr, &["--timeout", "0.5"], b"");
    assert_eq!(silent.code(), Some(6), "{silent:?}");
    server.join().expect("test server");
    assert_eq!(
        silent.stderr,
        "error: no answer from the server within 500ms; to wait longer, use --timeout SECONDS\n"
    );

    // A server that does not even read: a long line cannot all be sent. That times out too.
    let (done, wait_for_done) = channel::<()>();
    let (addr, server) = testkit::misbehaving_server(move |stream| {
        let _ = wait_for_done.recv(); // hold the connection, read nothing
        drop(stream);
    });
    let line = format!("{}\n", "x".repeat(10 * 1024 * 1024));
    let stuck = client(addr, &["--stdin", "--timeout", "0.5"], line.as_bytes());
    assert_eq!(stuck.code(), Some(6), "stderr: {}", stuck.stderr);
    assert!(stuck.stderr.contains("--timeout"), "{}", stuck.stderr);
    done.send(()).expect("the test server waits");
    server.join().expect("test server");
}

#[test]
fn a_line_of_10_mib_comes_back_whole_it_does_not_deadlock() {
    // Sent whole before any of the answer is read, 10 MiB fill both sides' buffers: the server
    // waits for the client to read, the client waits for the server to read, for ever.
    let (_server, addr) = Proc::start_server("async-echo-server", &["--quiet"]);
    let line = "x".repeat(10 * 1024 * 1024);
    let session = client(addr, &["--stdin"], format!("{line}\n").as_bytes());
    assert_eq!(session.code(), Some(0), "stderr: {}", session.stderr);
    let expected = format!("Send: {line}\nReceived: {}\n", line.to_uppercase());
    assert!(
        session.stdout == expected,
        "the answer is not the line in upper case: {} bytes of output, {} expected",
        session.stdout.len(),
        expected.len()
    );
}

#[test]
fn escape_sequences_are_shown_escaped_not_obeyed() {
    // The server answers in upper case whatever it gets, escape sequences included: "set the
    // window title", a bell, and a right-to-left override that makes text read backwards.
    let (_server, addr) = Proc::start_server("async-echo-server", &["--quiet"]);
    let session = client(addr, &["--message", "\x1b]0;pwned\x07 \u{202e}abc"], b"");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        "Send: \\u{1b}]0;pwned\\u{7} \\u{202e}abc\nReceived: \\u{1b}]0;PWNED\\u{7} \\u{202e}ABC\n"
    );
}

#[test]
fn connection_refused_names_the_command_that_starts_the_server() {
    let as_seen = check_refused("async-echo-client", "async-echo-server", 8888);
    check_transcript(PAGE, "refused", &as_seen);
}

#[test]
fn an_unknown_host_gets_one_friendly_line_and_exit_code_5() {
    check_unknown_host("async-echo-client");
}

#[test]
fn help_shows_the_options_and_their_defaults() {
    check_help(
        "async-echo-client",
        &[
            "[default: 8888]",
            "--message",
            "[default: \"Hello, world!\"]",
            "--stdin",
            "--timeout <SECONDS>",
            "[default: 10]",
        ],
    );
    let both = run("async-echo-client", &["--stdin", "--message", "x"], b"");
    assert_eq!(
        both.code(),
        Some(2),
        "--stdin and --message conflict: {both:?}"
    );
    let never = run("async-echo-client", &["--timeout", "0"], b"");
    assert_eq!(never.code(), Some(2), "{never:?}");
}
