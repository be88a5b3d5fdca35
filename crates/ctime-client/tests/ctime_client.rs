//! End-to-end tests of ctime-client: the real binary against the real ctime-server, or against
//! a stand-in server that cuts and glues its replies on purpose.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use testkit::{
    Finished, Proc, check_help, check_refused, check_transcript, check_unknown_host, run,
};

/// A reply as the stand-in server sends it: the real server's form at a fixed time.
const STAMP: &str = "[Thu Feb  7 10:00:18 2013] ";

fn client(addr: SocketAddr, stdin: &[u8]) -> Finished {
    run("ctime-client", &["--port", &addr.port().to_string()], stdin)
}

/// The replies the client printed, after its `connected to` line.
fn replies(session: &Finished) -> Vec<&str> {
    let mut lines = session.stdout.lines();
    let first = lines.next().unwrap_or_default();
    assert!(first.starts_with("connected to "), "{session:?}");
    lines.collect()
}

/// Checks that a printed reply is `[<ctime>] <message>` and returns the message.
fn message(reply: &str) -> &str {
    let (time, message) = reply
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
        .unwrap_or_else(|| panic!("not [time] message: {reply:?}"));
    assert_eq!(time.len(), 24, "ctime() is 24 characters: {time:?}");
    message
}

/// A stand-in server on a free port: runs `script` on the first connection it accepts, with a
/// line reader and a writer, and returns what the script returns when the test joins it.
fn stand_in<T: Send + 'static>(
    script: impl FnOnce(&mut BufReader<TcpStream>, &mut TcpStream) -> T + Send + 'static,
) -> (SocketAddr, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream.set_nodelay(true).expect("send each write at once");
        let mut lines = BufReader::new(stream.try_clone().expect("clone"));
        script(&mut lines, &mut stream)
    });
    (addr, server)
}

fn read_line(lines: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    lines.read_line(&mut line).expect("a line from the client");
    line
}

#[test]
fn an_empty_line_quits_and_the_rest_is_not_sent() {
    let (mut server, addr) = Proc::start_server("ctime-server", &[]);
    let session = client(addr, b"one\r\ntwo\n\nnever sent\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout.lines().next(),
        Some(&*format!("connected to {addr}"))
    );
    let printed: Vec<&str> = replies(&session).into_iter().map(message).collect();
    assert_eq!(printed, ["one", "two"]);
    server.wait_for(" left");
    assert!(!server.seen().iter().any(|line| line.contains("never sent")));
}

#[test]
fn end_of_input_quits_even_after_a_line_without_newline() {
    let (_server, addr) = Proc::start_server("ctime-server", &[]);
    let session = client(addr, b"first\nlast without newline");
    assert_eq!(session.code(), Some(0), "{session:?}");
    let printed: Vec<&str> = replies(&session).into_iter().map(message).collect();
    assert_eq!(printed, ["first", "last without newline"]);

    let nothing = client(addr, b"");
    assert_eq!(nothing.code(), Some(0), "{nothing:?}");
    assert_eq!(nothing.stdout, format!("connected to {addr}\n"));
    assert!(nothing.stderr.is_empty(), "{nothing:?}");
}

#[test]
fn a_reply_longer_than_1024_bytes_is_printed_whole() {
    let (_server, addr) = Proc::start_server("ctime-server", &[]);
    let long_line = "0123456789".repeat(1000); // 10,000 bytes; the reply is 10,027
    let session = client(addr, format!("{long_line}\nafter\n").as_bytes());
    assert_eq!(session.code(), Some(0), "{session:?}");
    let printed: Vec<&str> = replies(&session).into_iter().map(message).collect();
    assert_eq!(printed, [long_line.as_str(), "after"]);
}

#[test]
fn an_over_long_line_gets_the_servers_error_and_the_conversation_goes_on() {
    let (_server, addr) = Proc::start_server("ctime-server", &[]);
    let huge = "x".repeat(100_000);
    let session = client(addr, format!("{huge}\nafter\n").as_bytes());
    assert_eq!(session.code(), Some(0), "{session:?}");
    let printed = replies(&session);
    assert_eq!(printed.len(), 2, "{printed:?}");
    assert_eq!(
        printed[0],
        "error: line longer than 65536 bytes; send shorter lines, or start the server with a larger --max-line"
    );
    assert_eq!(message(printed[1]), "after");
}

#[test]
fn bytes_that_are_not_utf8_are_printed_lossily() {
    let (_server, addr) = Proc::start_server("ctime-server", &[]);
    let session = client(addr, b"caf\xe9\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(message(replies(&session)[0]), "caf\u{fffd}");
}

#[test]
fn a_reply_in_two_pieces_is_printed_whole() {
    let (addr, server) = stand_in(|lines, stream| {
        assert_eq!(read_line(lines), "你好\n");
        // Cut the reply in the middle of 你 (three bytes in UTF-8).
        let reply = format!("{STAMP}你好\n").into_bytes();
        let (first, second) = reply.split_at(STAMP.len() + 2);
        stream.write_all(first).expect("first piece");
        // The client must wait for the rest: it sends nothing meanwhile.
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .expect("timeout");
        let early = lines
            .read(&mut [0; 16])
            .expect_err("nothing before the reply ends");
        assert!(matches!(
            early.kind(),
            ErrorKind::WouldBlock | ErrorKind::TimedOut
        ));
        stream.set_read_timeout(None).expect("blocking again");
        stream.write_all(second).expect("second piece");
        assert_eq!(read_line(lines), "next\n");
        stream
            .write_all(format!("{STAMP}next\n").as_bytes())
            .expect("reply");
    });
    let session = client(addr, "你好\nnext\n".as_bytes());
    server.join().expect("stand-in server");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        replies(&session),
        [format!("{STAMP}你好"), format!("{STAMP}next")]
    );
}

#[test]
fn two_replies_in_one_write_are_printed_one_at_a_time() {
    let (addr, server) = stand_in(|lines, stream| {
        assert_eq!(read_line(lines), "one\n");
        // Both replies at once, before the client has even sent its second line.
        stream
            .write_all(format!("{STAMP}one\n{STAMP}two\n").as_bytes())
            .expect("two replies");
        let second = read_line(lines);
        let end = read_line(lines); // empty: the client closed the connection
        (second, end)
    });
    let session = client(addr, b"one\ntwo\n");
    let (second, end) = server.join().expect("stand-in server");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        replies(&session),
        [format!("{STAMP}one"), format!("{STAMP}two")]
    );
    assert_eq!(second, "two\n", "the client still sends its second line");
    assert_eq!(end, "");
}

#[test]
fn a_server_that_vanishes_mid_reply_is_reported_not_a_panic() {
    let (addr, server) = stand_in(|lines, stream| {
        read_line(lines);
        stream.write_all(b"[Thu Feb  7 10:").expect("half a reply"); // then vanish
    });
    let cut = client(addr, b"hello\n");
    server.join().expect("stand-in server");
    assert_eq!(cut.code(), Some(1), "{cut:?}");
    assert_eq!(
        cut.stderr,
        "error: no complete reply from the server: the connection closed before all the data \
         arrived\n"
    );
}

#[test]
fn a_server_that_never_answers_times_out_with_exit_code_6() {
    let (addr, server) = stand_in(|lines, _stream| {
        let line = read_line(lines);
        let end = read_line(lines); // no answer: wait until the client gives up and leaves
        (line, end)
    });
    let port = addr.port().to_string();
    let waited = run(
        "ctime-client",
        &["--port", &port, "--timeout", "0.5"],
        b"hello\nnever sent\n",
    );
    // Checked before joining the stand-in, which waits for a client that may never come.
    assert_eq!(waited.code(), Some(6), "{waited:?}");
    assert_eq!(
        waited.stderr,
        "error: no complete reply from the server within 500ms; if the server is only slow, wait \
         longer with --timeout SECONDS\n"
    );
    assert_eq!(waited.stdout, format!("connected to {addr}\n"));
    let (line, end) = server.join().expect("stand-in server");
    assert_eq!((line.as_str(), end.as_str()), ("hello\n", ""));
}

#[test]
fn a_reply_that_trickles_in_for_ever_times_out_too() {
    // One byte every 50 ms, never a `\n`: a read time-out would be reset by every byte. The
    // pauses pace the stand-in; nothing waits on them.
    let (addr, server) = stand_in(|lines, stream| {
        read_line(lines);
        while stream.write_all(b"x").is_ok() {
            thread::sleep(Duration::from_millis(50));
        }
    });
    let port = addr.port().to_string();
    let waited = run(
        "ctime-client",
        &["--port", &port, "--timeout", "0.5"],
        b"hello\n",
    );
    assert_eq!(waited.code(), Some(6), "{waited:?}");
    assert!(
        waited
            .stderr
            .starts_with("error: no complete reply from the server within 500ms; "),
        "{}",
        waited.stderr
    );
    server.join().expect("stand-in server");
}

#[test]
fn a_server_that_never_reads_times_out_the_send() {
    // Far more than the kernel buffers of both sides hold, so the send must wait.
    let mut line = vec![b'x'; 32 * 1024 * 1024];
    line.push(b'\n');
    testkit::check_send_times_out("ctime-client", &[], &line);
}

#[test]
fn escape_sequences_from_the_server_are_shown_not_obeyed() {
    let (addr, server) = stand_in(|lines, stream| {
        read_line(lines);
        // Clear the screen, ring the bell, retitle the window, read right to left; a tab stays.
        stream
            .write_all("\x1b[2J\x07\x1b]0;owned\x07\tok\u{202e}olleh\r\n".as_bytes())
            .expect("reply");
        read_line(lines);
    });
    let session = client(addr, b"hi\n");
    server.join().expect("stand-in server");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        replies(&session),
        ["\\u{1b}[2J\\u{7}\\u{1b}]0;owned\\u{7}\tok\\u{202e}olleh\\u{d}"]
    );
}

#[test]
fn connection_refused_names_the_command_that_starts_the_server() {
    let as_seen = check_refused("ctime-client", "ctime-server", 8080);
    check_transcript("docs/en/02-ctime.md", "refused", &as_seen);
}

#[test]
fn an_unknown_host_gets_one_friendly_line_and_exit_code_5() {
    check_unknown_host("ctime-client");
}

#[test]
fn help_shows_the_options_and_their_defaults() {
    check_help(
        "ctime-client",
        &[
            "[default: 127.0.0.1]",
            "[default: 8080]",
            "--timeout <SECONDS>",
            "[default: 30]",
        ],
    );
}
