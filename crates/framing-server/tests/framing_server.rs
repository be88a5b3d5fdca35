//! End-to-end tests of framing-server: the real binary on a free port, driven by the real
//! framing-client or by raw sockets that send exactly the bytes a test needs, well-framed or
//! not.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

use testkit::{
    DEADLINE, Finished, Proc, check_help, check_port_in_use, check_transcript, mask_ports, run,
};

/// The lesson page whose transcripts these tests produce.
const PAGE: &str = "docs/en/08-framing.md";

fn start(framing: &str) -> (Proc, SocketAddr) {
    Proc::start_server("framing-server", &["--framing", framing])
}

/// Runs framing-client against `addr` with `args`, and `stdin` as its input.
fn client(addr: SocketAddr, args: &[&str], stdin: &[u8]) -> Finished {
    let port = addr.port().to_string();
    let mut all = vec!["--port", &port];
    all.extend_from_slice(args);
    run("framing-client", &all, stdin)
}

/// The server's `received message ...` lines so far, from `, N bytes: ...` on.
fn received(server: &Proc) -> Vec<String> {
    server
        .seen()
        .iter()
        .filter(|line| line.starts_with("received message "))
        .map(|line| line.split_once(", ").expect("a comma").1.to_string())
        .collect()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("time-out");
    stream
}

/// Reads one length-framed message (header, then body), as any program could.
fn read_frame(stream: &mut TcpStream) -> Vec<u8> {
    let mut header = [0; 4];
    stream.read_exact(&mut header).expect("a header");
    let mut body = vec![0; u32::from_be_bytes(header) as usize];
    stream.read_exact(&mut body).expect("a body");
    body
}

fn frame(message: &[u8]) -> Vec<u8> {
    let length = u32::try_from(message.len()).expect("small");
    [&length.to_be_bytes()[..], message].concat()
}

/// The server closed the connection: the end of the stream, or a reset (it closed with
/// bytes unread).
fn assert_closed(stream: &mut TcpStream) {
    match stream.read(&mut [0; 16]) {
        Ok(0) => {}
        Ok(count) => panic!("{count} more bytes, not the end"),
        Err(error) => assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset),
    }
}

/// The server still serves: a new client gets its answer.
fn still_serves(addr: SocketAddr) {
    let mut stream = connect(addr);
    stream.write_all(&frame(b"still here")).expect("send");
    assert_eq!(read_frame(&mut stream), b"#1 (10 bytes) still here");
}

// -------------------------------------------------------------------------------------------
// none: glued and split, every run

#[test]
fn without_framing_messages_sent_back_to_back_are_glued_every_run() {
    let (mut server, addr) = start("none");
    assert_eq!(
        server.next_line(),
        "framing: none (one recv(1024) is one message)"
    );
    let session = client(addr, &["--framing", "none", "--count", "3"], b"");
    assert_eq!(session.code(), Some(0), "{session:?}");
    server.wait_for(" left after 1 message");
    assert_eq!(
        received(&server),
        [r#"27 bytes: "message 1message 2message 3""#]
    );
    assert!(
        session
            .stdout
            .ends_with("answer 1 (41 bytes): \"#1 (27 bytes) message 1message 2message 3\"\nsent 3 messages, received 1 answer\n"),
        "{}",
        session.stdout
    );
}

#[test]
fn without_framing_a_message_sent_in_pieces_is_split_every_run() {
    let (mut server, addr) = start("none");
    let session = client(
        addr,
        &["--framing", "none", "-m", "hello socket", "--pieces", "3"],
        b"",
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    server.wait_for(" left after 3 messages");
    assert_eq!(
        received(&server),
        [
            r#"4 bytes: "hell""#,
            r#"4 bytes: "o so""#,
            r#"4 bytes: "cket""#
        ]
    );
    assert!(
        session
            .stdout
            .ends_with("sent 1 message, received 3 answers\n")
    );
}

#[test]
fn without_framing_a_message_longer_than_1024_bytes_is_always_split() {
    let (mut server, addr) = start("none");
    let long = "x".repeat(3000);
    let session = client(addr, &["--framing", "none"], format!("{long}\n").as_bytes());
    assert_eq!(session.code(), Some(0), "{session:?}");
    server.wait_for(" left after 3 messages");
    let sizes: Vec<String> = received(&server)
        .iter()
        .map(|line| line.split(':').next().expect("size").to_string())
        .collect();
    assert_eq!(sizes, ["1024 bytes", "1024 bytes", "952 bytes"]);
}

/// A server's whole log up to Ctrl-C, as the page shows it after `command`: its port as the
/// lesson's, every client's as `PORT`.
fn server_as_seen(server: Proc, addr: SocketAddr, command: &str) -> String {
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    let log = stopped
        .stdout
        .strip_suffix("server stopped\n")
        .expect("the last line");
    mask_ports(
        &format!("$ {command}\n{log}^C\nserver stopped"),
        addr.port(),
        9004,
    )
}

/// The page's first run: three sends glued into one message, then one send split into three,
/// by the same server, every run.
#[test]
fn the_page_shows_three_sends_glued_and_one_split_without_framing() {
    let (mut server, addr) = start("none");
    let glued = client(addr, &["--framing", "none", "--count", "3"], b"");
    assert_eq!(glued.code(), Some(0), "{glued:?}");
    server.wait_for(" left after 1 message");
    let split_args = [
        "--framing",
        "none",
        "--message",
        "hello socket",
        "--pieces",
        "3",
    ];
    let split = client(addr, &split_args, b"");
    assert_eq!(split.code(), Some(0), "{split:?}");
    server.wait_for(" left after 3 messages");
    let clients = format!(
        "$ cargo run -p framing-client -- --framing none --count 3\n{}\
         $ cargo run -p framing-client -- --framing none --message 'hello socket' --pieces 3\n{}",
        glued.stdout, split.stdout
    );
    check_transcript(
        PAGE,
        "none-client",
        &mask_ports(&clients, addr.port(), 9004),
    );
    let log = server_as_seen(
        server,
        addr,
        "cargo run -p framing-server -- --framing none",
    );
    check_transcript(PAGE, "none-server", &log);
}

/// The same two clients with length framing, the default: every message whole.
#[test]
fn the_page_shows_every_message_whole_with_length_framing() {
    let (mut server, addr) = Proc::start_server("framing-server", &[]);
    let three = client(addr, &["--count", "3"], b"");
    assert_eq!(three.code(), Some(0), "{three:?}");
    server.wait_for(" left after 3 messages");
    let pieces = client(addr, &["--message", "hello socket", "--pieces", "3"], b"");
    assert_eq!(pieces.code(), Some(0), "{pieces:?}");
    server.wait_for(" left after 1 message");
    let clients = format!(
        "$ cargo run -p framing-client -- --count 3\n{}\
         $ cargo run -p framing-client -- --message 'hello socket' --pieces 3\n{}",
        three.stdout, pieces.stdout
    );
    check_transcript(
        PAGE,
        "length-client",
        &mask_ports(&clients, addr.port(), 9004),
    );
    let log = server_as_seen(server, addr, "cargo run -p framing-server");
    check_transcript(PAGE, "length-server", &log);
}

/// What a peer that breaks the rules gets: its message refused, the server still serving.
#[test]
fn the_page_shows_a_header_announcing_4_gb_refused() {
    let (mut server, addr) = Proc::start_server("framing-server", &[]);
    let mut stream = connect(addr);
    stream.write_all(&frame(b"hello")).expect("send");
    // Python: s.sendall(b'\xff\xff\xff\xff'), a header announcing 4 GiB - 1
    stream.write_all(&[0xff, 0xff, 0xff, 0xff]).expect("send");
    assert_eq!(read_frame(&mut stream), b"#1 (5 bytes) hello");
    server.wait_for("closed ");
    assert_closed(&mut stream);
    let log = server_as_seen(server, addr, "cargo run -p framing-server");
    check_transcript(PAGE, "too-long-server", &log);
}

// -------------------------------------------------------------------------------------------
// fixed, line, length: every message whole, however it arrives

#[test]
fn with_framing_every_message_arrives_whole_even_sent_in_pieces() {
    for framing in ["fixed", "line", "length"] {
        let (mut server, addr) = start(framing);
        // Three back to back (glued in one read), then one in 5 pieces 50 ms apart (split).
        let session = client(addr, &["--framing", framing, "--count", "3"], b"");
        assert_eq!(session.code(), Some(0), "{framing}: {session:?}");
        assert!(
            session
                .stdout
                .ends_with("sent 3 messages, received 3 answers\n"),
            "{framing}: {}",
            session.stdout
        );
        server.wait_for(" left after 3 messages");
        let pieces = ["-m", "hello socket", "--pieces", "5", "--gap", "50"];
        let session = client(addr, &[&["--framing", framing][..], &pieces].concat(), b"");
        assert_eq!(session.code(), Some(0), "{framing}: {session:?}");
        server.wait_for(" left after 1 message");
        let expected_last = match framing {
            "fixed" => r#"32 bytes: "hello socket" + 20 bytes of padding"#,
            _ => r#"12 bytes: "hello socket""#,
        };
        let shown = received(&server);
        assert_eq!(shown.len(), 4, "{framing}: {shown:?}");
        assert_eq!(shown[3], expected_last, "{framing}");
    }
}

#[test]
fn line_framing_splits_a_message_that_contains_the_delimiter() {
    let (mut server, addr) = start("line");
    let session = client(addr, &["--framing", "line", "-m", "one\ntwo"], b"");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(
        session.stdout.contains(
            "note: message 1 contains \\n, so in line framing it arrives as 2 messages\n"
        )
    );
    assert!(
        session
            .stdout
            .ends_with("sent 1 message, received 2 answers\n")
    );
    server.wait_for(" left after 2 messages");
    assert_eq!(
        received(&server),
        [r#"3 bytes: "one""#, r#"3 bytes: "two""#]
    );
}

// -------------------------------------------------------------------------------------------
// Bad input: a clear line, every message before it answered, the server still serving

#[test]
fn a_header_cut_in_half_is_named_and_the_server_goes_on() {
    let (mut server, addr) = start("length");
    let mut stream = connect(addr);
    stream.write_all(&frame(b"first")).expect("send");
    stream.write_all(&[0, 0]).expect("half a header");
    assert_eq!(read_frame(&mut stream), b"#1 (5 bytes) first");
    stream.shutdown(Shutdown::Write).expect("close our side");
    let line = server.wait_for(" left");
    assert!(
        line.ends_with(
            " left in the middle of a message: the connection closed after 2 of the 4 bytes of \
             a length header"
        ),
        "{line}"
    );
    assert_closed(&mut stream);
    still_serves(addr);
}

#[test]
fn a_frame_cut_by_the_peer_closing_is_named_with_what_came() {
    let (mut server, addr) = start("length");
    let mut stream = connect(addr);
    stream
        .write_all(&[0, 0, 0, 10, b'a', b'b', b'c'])
        .expect("send");
    stream.shutdown(Shutdown::Write).expect("close our side");
    let line = server.wait_for(" left");
    assert!(
        line.ends_with(
            " left in the middle of a message: the connection closed after 3 of the 10 bytes of \
             a message: \"abc\""
        ),
        "{line}"
    );
    assert_closed(&mut stream);
    still_serves(addr);
}

#[test]
fn a_header_announcing_4_gb_is_refused_and_the_connection_closed() {
    let (mut server, addr) = start("length");
    let mut stream = connect(addr);
    stream.write_all(&frame(b"before")).expect("send");
    stream
        .write_all(&[0xff, 0xff, 0xff, 0xff, b'x'])
        .expect("send");
    assert_eq!(read_frame(&mut stream), b"#1 (6 bytes) before");
    let line = server.wait_for("closed ");
    assert!(
        line.ends_with(
            ": a length header announces 4294967295 bytes, more than the limit of 1048576 \
             (--max-frame)"
        ),
        "{line}"
    );
    assert_closed(&mut stream);
    still_serves(addr);
}

#[test]
fn max_frame_sets_the_limit() {
    let (mut server, addr) = Proc::start_server("framing-server", &["--max-frame", "10"]);
    let mut stream = connect(addr);
    stream.write_all(&frame(&[b'x'; 10])).expect("send");
    assert_eq!(read_frame(&mut stream).len(), 24);
    stream.write_all(&frame(&[b'x'; 11])).expect("send");
    server.wait_for("announces 11 bytes, more than the limit of 10 (--max-frame)");
    assert_closed(&mut stream);
}

#[test]
fn a_zero_length_frame_is_an_empty_message_and_is_answered() {
    let (mut server, addr) = start("length");
    let mut stream = connect(addr);
    stream
        .write_all(&[0, 0, 0, 0])
        .expect("a zero-length frame");
    assert_eq!(read_frame(&mut stream), b"#1 (0 bytes) ");
    let line = server.wait_for("received message 1");
    assert!(
        line.ends_with(", 0 bytes: \"\" (an empty message, not the end of the stream)"),
        "{line}"
    );
    // The connection goes on: it was a message, not the end.
    stream.write_all(&frame(b"next")).expect("send");
    assert_eq!(read_frame(&mut stream), b"#2 (4 bytes) next");
}

#[test]
fn bytes_that_are_not_utf8_come_back_intact_and_are_logged_lossily() {
    let (mut server, addr) = start("length");
    let mut stream = connect(addr);
    stream.write_all(&frame(b"\xff\xfe\x00ok")).expect("send");
    assert_eq!(read_frame(&mut stream), b"#1 (5 bytes) \xff\xfe\x00ok");
    let line = server.wait_for("received message 1");
    assert!(line.ends_with(r#", 5 bytes: "��\0ok""#), "{line}");
}

#[test]
fn a_line_over_the_limit_is_refused_after_the_lines_before_it_are_answered() {
    let (mut server, addr) = Proc::start_server(
        "framing-server",
        &["--framing", "line", "--max-line", "100"],
    );
    let mut stream = connect(addr);
    let mut wire = b"ok\n".to_vec();
    wire.extend(std::iter::repeat_n(b'x', 10_000));
    stream.write_all(&wire).expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer); // until the server closes (or resets)
    assert!(answer.starts_with(b"#1 (2 bytes) ok\n"), "{answer:?}");
    let line = server.wait_for("closed ");
    assert!(
        line.ends_with(": a line longer than 100 bytes (--max-line)"),
        "{line}"
    );
    assert!(
        server
            .seen()
            .iter()
            .any(|l| l.ends_with(r#", 2 bytes: "ok""#))
    );
}

#[test]
fn a_line_cut_by_the_peer_closing_is_named() {
    let (mut server, addr) = start("line");
    let mut stream = connect(addr);
    stream.write_all(b"whole\nhalf a li").expect("send");
    stream.shutdown(Shutdown::Write).expect("close our side");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .expect("the answer, then the end");
    assert_eq!(answer, b"#1 (5 bytes) whole\n");
    let line = server.wait_for(" left");
    assert!(
        line.ends_with(
            "the connection closed in the middle of a line, 9 bytes with no \\n: \"half a li\""
        ),
        "{line}"
    );
}

#[test]
fn a_fixed_size_message_cut_by_the_peer_closing_is_named() {
    let (mut server, addr) = start("fixed");
    let mut stream = connect(addr);
    stream.write_all(b"hello").expect("send");
    stream.shutdown(Shutdown::Write).expect("close our side");
    let line = server.wait_for(" left");
    assert!(
        line.ends_with("the connection closed after 5 of the 32 bytes of a message: \"hello\""),
        "{line}"
    );
    assert_closed(&mut stream);
}

// -------------------------------------------------------------------------------------------
// What every server does

#[test]
fn ctrl_c_ends_a_server_that_is_serving_a_client() {
    let (server, addr) = start("length");
    let mut stream = connect(addr);
    stream.write_all(&frame(b"hi")).expect("send");
    assert_eq!(read_frame(&mut stream), b"#1 (2 bytes) hi");
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(
        stopped.stdout.ends_with("server stopped\n"),
        "{}",
        stopped.stdout
    );
    testkit::assert_closed_by_the_server(&stopped);
    assert_closed(&mut stream);
}

#[test]
fn quiet_logs_no_line_per_message_but_still_answers() {
    let finished = testkit::run_quiet("framing-server", &[], |addr| {
        let mut stream = connect(addr);
        stream.write_all(&frame(b"hello")).expect("send");
        assert_eq!(read_frame(&mut stream), b"#1 (5 bytes) hello");
    });
    assert!(
        finished.stdout.contains("connected from 127.0.0.1:"),
        "{finished:?}"
    );
    assert!(!finished.stdout.contains("received"), "{finished:?}");
}

#[test]
fn a_port_in_use_gets_one_friendly_line_and_exit_code_3() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    check_port_in_use("framing-server", taken.local_addr().expect("addr").port());
}

#[test]
fn help_shows_the_framings_and_their_limits() {
    check_help(
        "framing-server",
        &[
            "[default: 9004]",
            "--framing",
            "[default: length]",
            "--size",
            "--max-line",
            "--max-frame",
            "--read-delay",
        ],
    );
    let wrong = run("framing-server", &["--framing", "xml"], b"");
    assert_eq!(wrong.code(), Some(2), "clap's usage error: {wrong:?}");
}
