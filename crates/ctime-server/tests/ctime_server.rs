//! End-to-end tests of ctime-server: the real binary on a free port, driven by the real
//! ctime-client or by raw sockets.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use chrono::{Local, NaiveDateTime, TimeDelta};
use testkit::{
    Finished, Proc, check_help, check_port_in_use, check_transcript, has_ipv6_loopback, mask_ports,
    run,
};

const PAGE: &str = "docs/en/02-ctime.md";

/// Python's `time.ctime()` layout, as the server writes it.
const CTIME_FORMAT: &str = "%a %b %e %H:%M:%S %Y";

/// The width of a `ctime()` timestamp: `Thu Feb  7 10:00:18 2013`.
const CTIME_WIDTH: usize = 24;

fn start(args: &[&str]) -> (Proc, SocketAddr) {
    Proc::start_server("ctime-server", args)
}

fn client(addr: SocketAddr, stdin: &[u8]) -> Finished {
    let port = addr.port().to_string();
    run(
        "ctime-client",
        &["--host", "127.0.0.1", "--port", &port],
        stdin,
    )
}

/// A raw connection that reads the server's replies line by line.
struct Raw {
    stream: TcpStream,
    replies: BufReader<TcpStream>,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("connect");
        let replies = BufReader::new(stream.try_clone().expect("clone"));
        Raw { stream, replies }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// The next reply, with its `\n`.
    fn reply(&mut self) -> Vec<u8> {
        let mut reply = Vec::new();
        self.replies.read_until(b'\n', &mut reply).expect("receive");
        assert!(reply.ends_with(b"\n"), "a whole reply: {reply:?}");
        reply
    }
}

/// Checks that `reply` is `[<now in ctime() form>] <message>\n` and returns the time.
fn assert_bracketed(reply: &[u8], message: &[u8]) -> NaiveDateTime {
    let text = String::from_utf8_lossy(reply);
    assert_eq!(&reply[..1], b"[", "{text}");
    assert_eq!(&reply[1 + CTIME_WIDTH..3 + CTIME_WIDTH], b"] ", "{text}");
    assert_eq!(
        &reply[3 + CTIME_WIDTH..],
        [message, b"\n"].concat(),
        "{text}"
    );
    assert_recent(&reply[1..1 + CTIME_WIDTH])
}

/// Checks that `time` is a `ctime()` timestamp of the local time about now.
fn assert_recent(time: &[u8]) -> NaiveDateTime {
    let time = std::str::from_utf8(time).expect("ASCII");
    let parsed = NaiveDateTime::parse_from_str(time, CTIME_FORMAT)
        .unwrap_or_else(|error| panic!("{time:?} is not in ctime() form: {error}"));
    assert_eq!(parsed.format(CTIME_FORMAT).to_string(), time, "exact form");
    let off = (Local::now().naive_local() - parsed).abs();
    assert!(off < TimeDelta::minutes(1), "{time} is not the local time");
    parsed
}

/// Replaces every `ctime()` timestamp in `text` with a fixed one, so that a transcript is the
/// same at every run. A timestamp is anything shaped like `Sun Feb 17 09:30:01 2013`.
fn mask_times(text: &str) -> String {
    const SHOWN: &str = "Thu Feb  7 10:00:18 2013";
    const SHAPE: &[u8] = b"Aaa Aaa _0 00:00:00 0000";
    let fits = |window: &[u8]| {
        window.iter().zip(SHAPE).all(|(&c, &shape)| match shape {
            b'A' => c.is_ascii_uppercase(),
            b'a' => c.is_ascii_lowercase(),
            b'0' => c.is_ascii_digit(),
            b'_' => c == b' ' || c.is_ascii_digit(),
            _ => c == shape,
        })
    };
    let bytes = text.as_bytes();
    let (mut out, mut copied, mut at) = (String::new(), 0, 0);
    while at + SHAPE.len() <= bytes.len() {
        if fits(&bytes[at..at + SHAPE.len()]) {
            // The window is ASCII, so both its ends fall on character boundaries.
            out.push_str(&text[copied..at]);
            out.push_str(SHOWN);
            at += SHAPE.len();
            copied = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// How many lines the server printed so far start with `prefix`.
fn count(server: &Proc, prefix: &str) -> usize {
    server
        .seen()
        .iter()
        .filter(|line| line.starts_with(prefix))
        .count()
}

#[test]
fn mask_times_hides_every_timestamp_and_nothing_else() {
    assert_eq!(
        mask_times("[Sun Feb 17 09:30:01 2013] 你好 at 10:00\nTue Sep 13 19:11:20 2016i"),
        "[Thu Feb  7 10:00:18 2013] 你好 at 10:00\nThu Feb  7 10:00:18 2013i"
    );
}

#[test]
fn a_piped_client_gets_a_stamped_reply_per_line_and_the_server_logs_it() {
    let (mut server, addr) = start(&[]);
    let session = client(addr, "hello\n你好\n\nnever sent\n".as_bytes());
    assert_eq!(session.code(), Some(0), "{session:?}");
    let lines: Vec<&str> = session.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", session.stdout);
    assert_eq!(lines[0], format!("connected to {addr}"));
    assert_bracketed(format!("{}\n", lines[1]).as_bytes(), b"hello");
    assert_bracketed(format!("{}\n", lines[2]).as_bytes(), "你好".as_bytes());

    let left = server.wait_for(" left");
    assert!(left.starts_with("client 127.0.0.1:"), "{left}");
    server.wait_for("waiting for connection...");
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(
        !stopped.stdout.contains("never sent"),
        "an empty line ends the conversation"
    );

    let before_stop = stopped
        .stdout
        .strip_suffix("server stopped\n")
        .expect("last line");
    let shown = |text: &str| mask_times(&mask_ports(text, addr.port(), 8080));
    check_transcript(
        PAGE,
        "first-session-server",
        &shown(&format!(
            "$ cargo run -p ctime-server\n{before_stop}^C\nserver stopped"
        )),
    );
    check_transcript(
        PAGE,
        "first-session-client",
        &shown(&format!(
            "$ printf 'hello\\n你好\\n\\nnever sent\\n' | cargo run -p ctime-client\n{}",
            session.stdout
        )),
    );
}

#[test]
fn glued_style_is_tutorial_001s_form() {
    let (_server, addr) = start(&["--style", "glued"]);
    let mut raw = Raw::connect(addr);
    raw.send(b"i\n");
    let reply = raw.reply();
    assert_eq!(reply.len(), CTIME_WIDTH + 2, "{reply:?}");
    assert_recent(&reply[..CTIME_WIDTH]);
    assert_eq!(&reply[CTIME_WIDTH..], b"i\n");
    drop(raw); // one client at a time: let the next one in

    let session = client(addr, b"i\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    check_transcript(
        PAGE,
        "glued",
        &mask_times(&mask_ports(
            &format!(
                "$ printf 'i\\n' | cargo run -p ctime-client\n{}",
                session.stdout
            ),
            addr.port(),
            8080,
        )),
    );
}

#[test]
fn the_server_keeps_serving_one_client_after_another() {
    // Tutorial 003's server dies after its first client; this one serves them all.
    let (mut server, addr) = start(&[]);
    for number in 1..=3 {
        let message = format!("client {number}");
        let mut raw = Raw::connect(addr);
        raw.send(format!("{message}\n").as_bytes());
        assert_bracketed(&raw.reply(), message.as_bytes());
        drop(raw);
        server.wait_for(" left");
    }
    server.wait_for("waiting for connection...");
    assert_eq!(count(&server, "...connected from: 127.0.0.1:"), 3);
    assert_eq!(count(&server, "waiting for connection..."), 4);
}

#[test]
fn without_threads_a_second_client_waits_for_the_first() {
    let (mut server, addr) = start(&[]);
    let mut first = Raw::connect(addr);
    first.send(b"first\n");
    assert_bracketed(&first.reply(), b"first");

    let mut second = Raw::connect(addr); // the listen backlog takes it
    second.send(b"second\n");
    second
        .stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let waiting = second
        .stream
        .read(&mut [0; 16])
        .expect_err("no reply while the first is served");
    assert!(matches!(
        waiting.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));

    drop(first); // the first client leaves: now the server accepts the second
    second
        .stream
        .set_read_timeout(None)
        .expect("blocking again");
    assert_bracketed(&second.reply(), b"second");
    while count(&server, "...connected from") < 2 {
        server.next_line();
    }
    let order: Vec<&String> = server
        .seen()
        .iter()
        .filter(|line| line.starts_with("...connected") || line.contains(" left"))
        .collect();
    assert_eq!(order.len(), 3, "{order:?}");
    assert!(
        order[1].contains(" left"),
        "the first left before the second connected: {order:?}"
    );
}

#[test]
fn with_threads_two_clients_are_served_at_once() {
    let (_server, addr) = start(&["--threads"]);
    let port = addr.port().to_string();
    let mut first = Proc::spawn("ctime-client", &["--port", &port]);
    first.write_stdin(b"from the first\n");
    assert!(first.wait_for("] ").ends_with("] from the first"));

    // The first client is still connected, yet the second is answered.
    let second = client(addr, b"from the second\n");
    assert_eq!(second.code(), Some(0), "{second:?}");
    assert!(second.stdout.ends_with("] from the second\n"), "{second:?}");

    first.write_stdin(b"still here\n");
    assert!(first.wait_for("] ").ends_with("] still here"));
    assert_eq!(first.finish().code(), Some(0));
}

#[test]
fn two_lines_in_one_write_get_two_replies() {
    let (_server, addr) = start(&[]);
    let mut raw = Raw::connect(addr);
    raw.send(b"one\ntwo\n");
    assert_bracketed(&raw.reply(), b"one");
    assert_bracketed(&raw.reply(), b"two");
}

#[test]
fn a_line_sent_in_pieces_gets_one_reply_once_its_newline_arrives() {
    // A pause far longer than the gaps below: only the newline ends this message.
    let (_server, addr) = start(&["--pause", "30"]);
    let mut raw = Raw::connect(addr);
    raw.stream.set_nodelay(true).expect("nodelay");
    raw.send("hel".as_bytes());
    raw.stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let early = raw
        .stream
        .read(&mut [0; 16])
        .expect_err("no reply before the line ends");
    assert!(matches!(
        early.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));
    raw.stream.set_read_timeout(None).expect("blocking again");
    raw.send("lo, 你".as_bytes());
    raw.send("好\n".as_bytes());
    assert_bracketed(&raw.reply(), "hello, 你好".as_bytes());
}

#[test]
fn a_last_line_without_newline_is_answered_at_end_of_stream() {
    let (mut server, addr) = start(&[]);
    let mut raw = Raw::connect(addr);
    raw.send(b"one\r\nlast");
    raw.stream.shutdown(Shutdown::Write).expect("half close");
    let mut all = Vec::new();
    raw.replies
        .read_to_end(&mut all)
        .expect("replies, then the end");
    let (first, second) = all.split_at(CTIME_WIDTH + 7);
    assert_bracketed(first, b"one");
    assert_bracketed(second, b"last");
    server.wait_for(" left");
}

#[test]
fn non_utf8_bytes_come_back_intact_and_are_logged_lossily() {
    let (mut server, addr) = start(&[]);
    let mut raw = Raw::connect(addr);
    raw.send(b"\xff\xfe\x00ok\xc3\n");
    assert_bracketed(&raw.reply(), b"\xff\xfe\x00ok\xc3");
    let logged = server.wait_for("received from");
    assert!(logged.ends_with(r#": "��\0ok�""#), "{logged}");
}

#[test]
fn an_over_long_line_gets_an_error_line_and_the_next_line_is_served() {
    let (mut server, addr) = start(&[]);
    let mut raw = Raw::connect(addr);
    let huge = vec![b'x'; 1024 * 1024]; // 1 MiB, sixteen times the limit
    raw.send(&[&huge[..], b"\nafter\n"].concat());
    assert_eq!(raw.reply(), b"error: line longer than 65536 bytes; send shorter lines, or start the server with a larger --max-line\n");
    assert_bracketed(&raw.reply(), b"after");
    let logged = server.wait_for("received from");
    assert!(
        logged.ends_with(": a line longer than 65536 bytes, skipped"),
        "{logged}"
    );

    // The longest line that fits is still answered.
    let longest = vec![b'y'; 64 * 1024];
    raw.send(&[&longest[..], b"\n"].concat());
    assert_bracketed(&raw.reply(), &longest);
}

#[test]
fn a_client_that_resets_mid_line_does_not_stop_the_server() {
    let (mut server, addr) = start(&[]);
    let mut rude = TcpStream::connect(addr).expect("connect");
    rude.write_all(b"hello\n").expect("send");
    // Wait until the reply is here, but leave it unread: closing a socket with unread data
    // makes the kernel send a reset (RST) instead of a polite end of stream.
    rude.peek(&mut [0; 1]).expect("the reply arrived");
    rude.write_all(b"half a li").expect("send");
    drop(rude);
    let left = server.wait_for(" left");
    assert!(
        left.contains(" left: "),
        "the server says why the client left: {left}"
    );
    assert!(
        !server.seen().iter().any(|line| line.contains("half a li")),
        "a line cut by a reset is not answered"
    );

    let after = client(addr, b"still alive\n");
    assert_eq!(after.code(), Some(0), "{after:?}");
    assert!(after.stdout.ends_with("] still alive\n"), "{after:?}");
}

#[test]
fn ctrl_c_ends_a_server_that_is_serving_a_client() {
    for mode in [&[][..], &["--threads"][..]] {
        let (mut server, addr) = start(mode);
        let mut clients: Vec<Raw> = (0..2).map(|_| Raw::connect(addr)).collect();
        clients[0].send(b"hi\n");
        assert_bracketed(&clients[0].reply(), b"hi");
        server.wait_for("received from");

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
        let mut rest = Vec::new();
        clients[0]
            .replies
            .read_to_end(&mut rest)
            .expect("end of stream");
        assert!(rest.is_empty());
    }
}

#[test]
fn a_port_in_use_gets_one_friendly_line_and_exit_code_3() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    check_port_in_use("ctime-server", taken.local_addr().expect("addr").port());
}

#[test]
fn ipv6_loopback_works_for_server_and_client() {
    if !has_ipv6_loopback() {
        return;
    }
    let (_server, addr) = start(&["--host", "::1"]);
    assert_eq!(addr.to_string(), format!("[::1]:{}", addr.port()));
    let port = addr.port().to_string();
    let session = run("ctime-client", &["--host", "::1", "--port", &port], b"v6\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(session.stdout.ends_with("] v6\n"), "{session:?}");
}

#[test]
fn help_shows_the_options_and_their_defaults() {
    check_help(
        "ctime-server",
        &[
            "[default: 127.0.0.1]",
            "[default: 8080]",
            "--style",
            "[default: brackets]",
            "glued",
            "--threads",
        ],
    );
    let wrong = run("ctime-server", &["--style", "fancy"], b"");
    assert_eq!(wrong.code(), Some(2), "clap's usage error: {wrong:?}");
}

#[test]
fn quiet_logs_no_line_per_message_but_still_answers() {
    let finished = testkit::run_quiet("ctime-server", &[], |addr| {
        let mut client = testkit::LineClient::connect(addr);
        client.send("hello");
        assert!(client.line().ends_with("] hello"));
    });
    assert!(
        finished.stdout.contains("...connected from: 127.0.0.1:"),
        "{finished:?}"
    );
    assert!(!finished.stdout.contains("received"), "{finished:?}");
}

#[test]
fn a_line_of_exactly_the_limit_is_accepted_with_either_line_end() {
    let (_server, addr) = start(&["--max-line", "10"]);
    let mut raw = Raw::connect(addr);
    raw.send(b"0123456789\r\n0123456789\n01234567890\r\n");
    assert_bracketed(&raw.reply(), b"0123456789");
    assert_bracketed(&raw.reply(), b"0123456789");
    assert!(raw.reply().starts_with(b"error: line longer than 10 bytes"));
}
