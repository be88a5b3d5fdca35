//! End-to-end tests of echo-client: the real binary against the real echo-server, or against
//! a test listener that misbehaves on purpose.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;

use common::testing::{Proc, check_help, check_refused, check_transcript, check_unknown_host, run};

fn client(addr: SocketAddr, args: &[&str], stdin: &[u8]) -> common::testing::Finished {
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
fn help_shows_the_options_and_their_defaults() {
    check_help("echo-client", &["[default: 9001]", "--message"]);
}

#[test]
fn output_closed_early_stops_the_client_quietly_not_with_a_panic() {
    // `echo-client | head -1`: head exits after the first line, and the replies that follow
    // have nowhere to go.
    let (_server, addr) = Proc::start_server("echo-server", &[]);
    let mut client = Proc::spawn_head_one("echo-client", &["--port", &addr.port().to_string()]);
    client.wait_for("connected to ");
    client.write_stdin(b"one\ntwo\n");
    let finished = client.finish();
    assert_eq!(
        finished.code(),
        Some(common::CLOSED_OUTPUT_STATUS),
        "{finished:?}"
    );
    assert_eq!(finished.stderr, "", "not a word, and surely no panic");
}
