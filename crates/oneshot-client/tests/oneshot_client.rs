//! End-to-end tests of oneshot-client: the real binary against a test listener that shows
//! exactly what arrived, or that misbehaves on purpose. (The tests of oneshot-server run this
//! client against the real server.)

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};

use testkit::{Finished, check_help, check_refused, check_transcript, check_unknown_host, run};

fn client(addr: SocketAddr, args: &[&str], stdin: &[u8]) -> Finished {
    let port = addr.port().to_string();
    let mut all = vec!["--port", &port];
    all.extend_from_slice(args);
    run("oneshot-client", &all, stdin)
}

/// A one-client server on a free port that reads until the end of the stream, then closes
/// the connection and hands back what it read.
fn receiver() -> (SocketAddr, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let thread = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut received = Vec::new();
        // read_to_end returns only at the end of the stream: the client shut down its side.
        stream.read_to_end(&mut received).expect("read to the end");
        received
    });
    (addr, thread)
}

#[test]
fn by_default_it_sends_666_then_the_end_of_the_stream() {
    let (addr, receiver) = receiver();
    let session = client(addr, &[], b"ignored, without --stdin");
    assert_eq!(receiver.join().expect("receiver"), b"666");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!("sent 3 bytes to {addr}\nthe server closed the connection\n")
    );
    assert!(session.stderr.is_empty(), "{}", session.stderr);
}

#[test]
fn message_sends_exactly_its_text() {
    for flag in ["--message", "-m"] {
        let (addr, receiver) = receiver();
        let session = client(addr, &[flag, "hello socket 你好"], b"");
        assert_eq!(session.code(), Some(0), "{session:?}");
        assert_eq!(
            receiver.join().expect("receiver"),
            "hello socket 你好".as_bytes()
        );
        assert!(
            session.stdout.starts_with("sent 19 bytes to "),
            "{session:?}"
        );
    }
}

#[test]
fn stdin_sends_every_byte_of_the_input_even_when_it_is_not_text() {
    let input: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (addr, receiver) = receiver();
    let session = client(addr, &["--stdin"], &input);
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(receiver.join().expect("receiver") == input, "bytes changed");
    assert!(
        session.stdout.starts_with("sent 300000 bytes to "),
        "{session:?}"
    );
}

#[test]
fn empty_stdin_sends_nothing_but_the_end_of_the_stream() {
    let (addr, receiver) = receiver();
    let session = client(addr, &["--stdin"], b"");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(receiver.join().expect("receiver"), b"");
    assert_eq!(
        session.stdout,
        format!("sent 0 bytes to {addr}\nthe server closed the connection\n")
    );
}

#[test]
fn message_and_stdin_cannot_be_used_together() {
    let wrong = run("oneshot-client", &["--stdin", "--message", "x"], b"");
    assert_eq!(wrong.code(), Some(2), "{wrong:?}");
    assert!(
        wrong.stderr.contains("cannot be used with"),
        "{}",
        wrong.stderr
    );
}

#[test]
fn a_server_that_stops_reading_early_is_reported() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let impatient = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream.read_exact(&mut [0; 1]).expect("the first byte");
        // Closing with "66" unread: the kernel answers with a reset, not an end of stream.
    });
    let cut = client(addr, &[], b"");
    impatient.join().expect("test server");
    assert_eq!(cut.code(), Some(1), "{cut:?}");
    // Usually the reset comes while the client waits in step 4, but it may beat the client's
    // shutdown (step 3) or even its send (step 2): either way, one line that names a failure,
    // never "closed the connection".
    assert!(
        (cut.stderr
            .starts_with("error: the server cut the connection: ")
            || cut.stderr.starts_with("error: cannot send to the server: "))
            && cut.stderr.lines().count() == 1,
        "{}",
        cut.stderr
    );
    assert!(!cut.stdout.contains("closed the connection"), "{cut:?}");
}

#[test]
fn a_reply_from_the_server_is_read_and_ignored() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let chatty = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut received = Vec::new();
        stream.read_to_end(&mut received).expect("read to the end");
        // The client shut down only its sending side: it still receives.
        stream.write_all(&[b'!'; 10_000]).expect("reply");
        received
    });
    let session = client(addr, &[], b"");
    assert_eq!(chatty.join().expect("test server"), b"666");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(
        session
            .stdout
            .ends_with("the server closed the connection\n")
    );
}

/// A one-client server on a free port that reads the message to its end, then runs `then`
/// on the connection and hands back what it read and the connection, still open.
fn after_the_message<T: Send + 'static>(
    then: impl FnOnce(&mut TcpStream) -> T + Send + 'static,
) -> (SocketAddr, JoinHandle<(Vec<u8>, TcpStream, T)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let thread = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut received = Vec::new();
        stream.read_to_end(&mut received).expect("read to the end");
        let result = then(&mut stream);
        (received, stream, result)
    });
    (addr, thread)
}

#[test]
fn a_server_that_never_closes_times_out_with_exit_code_6() {
    // The stand-in does nothing after the message: the connection stays open in its hands
    // until the test joins it.
    let (addr, server) = after_the_message(|_| ());
    let waited = client(addr, &["--timeout", "0.5"], b"");
    // Checked before joining the stand-in, which waits for a client that may never come.
    assert_eq!(waited.code(), Some(6), "{waited:?}");
    assert_eq!(
        waited.stderr,
        "error: the server did not close the connection within 500ms; if the server is only \
         slow, wait longer with --timeout SECONDS\n"
    );
    assert_eq!(waited.stdout, format!("sent 3 bytes to {addr}\n"));
    let (received, _still_open, ()) = server.join().expect("stand-in server");
    assert_eq!(received, b"666");
}

#[test]
fn a_server_that_streams_for_ever_times_out_too() {
    // Sends without end and never closes: each read of the client gets bytes at once, so a
    // read time-out would never run out. Only a deadline for the whole wait ends it.
    let (addr, server) = after_the_message(|stream| {
        let chunk = [b'!'; 64 * 1024];
        let mut sent = 0;
        while stream.write_all(&chunk).is_ok() {
            sent += chunk.len();
        }
        sent
    });
    let waited = client(addr, &["--timeout", "0.5"], b"");
    assert_eq!(waited.code(), Some(6), "{waited:?}");
    assert!(
        waited
            .stderr
            .starts_with("error: the server did not close the connection within 500ms; "),
        "{}",
        waited.stderr
    );
    let (received, _, sent) = server.join().expect("stand-in server");
    assert_eq!(received, b"666");
    assert!(sent > 0, "the stand-in streamed until the client left");
}

#[test]
fn a_server_that_never_reads_times_out_the_send() {
    // Far more than the kernel buffers of both sides hold, so the send must wait.
    testkit::check_send_times_out(
        "oneshot-client",
        &["--stdin"],
        &vec![b'x'; 32 * 1024 * 1024],
    );
}

#[test]
fn connection_refused_names_the_command_that_starts_the_server() {
    let as_seen = check_refused("oneshot-client", "oneshot-server", 8000);
    check_transcript("docs/en/03-oneshot.md", "refused", &as_seen);
}

#[test]
fn an_unknown_host_gets_one_friendly_line_and_exit_code_5() {
    check_unknown_host("oneshot-client");
}

#[test]
fn help_shows_the_options_and_their_defaults() {
    check_help(
        "oneshot-client",
        &[
            "[default: 8000]",
            "--message",
            "[default: 666]",
            "--stdin",
            "--timeout <SECONDS>",
            "[default: 30]",
        ],
    );
}
