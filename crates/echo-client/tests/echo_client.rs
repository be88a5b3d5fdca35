//! End-to-end tests of echo-client: the real binary against the real echo-server, or against
//! a test listener that misbehaves on purpose.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::channel;
use std::thread;

use testkit::{Proc, check_help, check_refused, check_transcript, check_unknown_host, run};

fn client(addr: SocketAddr, args: &[&str], stdin: &[u8]) -> testkit::Finished {
    let port = addr.port().to_string();
    let mut all = vec!["--port", &port];
    all.extend_from_slice(args);
    run("echo-client", &all, stdin)
}

#[test]
fn message_prints_the_reply_like_tutorial_000() {
    let (_server, addr) = Proc::start_server("echo-server", &[]);
    let reply = client(addr, &["--message", "hello socket"], b"");
    assert_eq!(reply.code(), Some(0), "{reply:?}");
    assert_eq!(reply.stdout, "Received b'hello socket'\n");
    check_transcript(
        "docs/en/01-echo.md",
        "message",
        &format!(
            "$ cargo run -p echo-client -- --message 'hello socket'\n{}",
            reply.stdout
        ),
    );

    // Bytes that are not printable ASCII are escaped, as Rust's escape_ascii does.
    let escaped = client(addr, &["-m", "it's 你\t!"], b"");
    assert_eq!(escaped.stdout, "Received b'it\\'s \\xe4\\xbd\\xa0\\t!'\n");
}

#[test]
fn end_of_input_quits_and_empty_lines_are_skipped() {
    let (_server, addr) = Proc::start_server("echo-server", &[]);
    let session = client(addr, &[], b"\none\r\n\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!("connected to {addr}\n收到服务器响应: one\n")
    );
    let nothing = client(addr, &[], b"");
    assert_eq!(nothing.stdout, format!("connected to {addr}\n"));
    assert!(nothing.stderr.is_empty());
}

#[test]
fn connection_refused_names_the_command_that_starts_the_server() {
    let as_seen = check_refused("echo-client", "echo-server", 9001);
    check_transcript("docs/en/01-echo.md", "refused", &as_seen);
}

#[test]
fn an_unknown_host_gets_one_friendly_line_and_exit_code_5() {
    check_unknown_host("echo-client");
}

#[test]
fn a_server_that_vanishes_mid_reply_is_reported_not_a_panic() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let half_server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut message = [0; 12];
        stream.read_exact(&mut message).expect("the whole message");
        stream.write_all(&message[..5]).expect("half the echo"); // then vanish
    });
    let cut = client(addr, &["--message", "hello socket"], b"");
    half_server.join().expect("test server");
    assert_eq!(cut.code(), Some(1), "{cut:?}");
    assert_eq!(
        cut.stderr,
        "error: no complete reply from the server: the connection closed before all the data \
         arrived\n"
    );
}

#[test]
fn a_line_of_8_mib_comes_back_whole_it_does_not_deadlock() {
    // Sent whole before any of the echo is read, 8 MiB fill both sides' buffers: the server
    // waits for the client to read, the client waits for the server to read, for ever.
    let (_server, addr) = Proc::start_server("echo-server", &["--quiet"]);
    let line = "x".repeat(8 * 1024 * 1024);
    let session = client(addr, &[], format!("{line}\n").as_bytes());
    assert_eq!(session.code(), Some(0), "stderr: {}", session.stderr);
    let expected = format!("connected to {addr}\n收到服务器响应: {line}\n");
    assert!(
        session.stdout == expected,
        "the echo is not the line: {} bytes of output, {} expected",
        session.stdout.len(),
        expected.len()
    );
}

#[test]
fn a_server_that_never_answers_times_out_with_exit_code_6() {
    let (addr, server) = testkit::misbehaving_server(|mut stream| {
        // Read everything, answer nothing, until the client gives up and closes.
        let _ = std::io::copy(&mut stream, &mut std::io::sink());
    });
    let silent = client(addr, &["--timeout", "0.5"], b"hello\n");
    assert_eq!(silent.code(), Some(6), "{silent:?}");
    server.join().expect("test server");
    assert_eq!(
        silent.stderr,
        "error: no complete reply from the server: it did not respond for 500ms; is it busy with \
         another client? To wait longer, use --timeout SECONDS\n"
    );
    assert_eq!(silent.stdout, format!("connected to {addr}\n"));

    // A server that does not even read: a long line cannot all be sent. That times out too.
    let (done, wait_for_done) = channel::<()>();
    let (addr, server) = testkit::misbehaving_server(move |stream| {
        let _ = wait_for_done.recv(); // hold the connection, read nothing
        drop(stream);
    });
    let line = format!("{}\n", "x".repeat(8 * 1024 * 1024));
    let stuck = client(addr, &["--timeout", "0.5"], line.as_bytes());
    assert_eq!(stuck.code(), Some(6), "{stuck:?}");
    assert!(stuck.stderr.contains("--timeout"), "{stuck:?}");
    done.send(()).expect("the test server waits");
    server.join().expect("test server");
}

#[test]
fn escape_sequences_from_the_server_are_shown_escaped_not_obeyed() {
    let (addr, server) = testkit::misbehaving_server(|mut stream| {
        // Answers of the right length, but not the echo: "clear the screen" and a bell, then
        // a right-to-left override that would make the rest of the line read backwards.
        let mut message = [0; 5];
        stream.read_exact(&mut message).expect("hello");
        stream
            .write_all(b"\x1b[2J\x07")
            .expect("an escape sequence");
        let mut message = [0; 3];
        stream.read_exact(&mut message).expect("abc");
        stream
            .write_all("\u{202e}".as_bytes())
            .expect("a direction override");
        let _ = std::io::copy(&mut stream, &mut std::io::sink());
    });
    let session = client(addr, &[], b"hello\nabc\n");
    server.join().expect("test server");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!(
            "connected to {addr}\n收到服务器响应: \\u{{1b}}[2J\\u{{7}}\n收到服务器响应: \\u{{202e}}\n"
        )
    );
}

#[test]
fn help_shows_the_options_and_their_defaults() {
    check_help(
        "echo-client",
        &[
            "[default: 9001]",
            "--message",
            "--timeout <SECONDS>",
            "[default: 30]",
        ],
    );
    let never = run("echo-client", &["--timeout", "0"], b"");
    assert_eq!(never.code(), Some(2), "{never:?}");
}
