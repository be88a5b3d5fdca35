//! End-to-end tests of wiretap: the real binary on a free port, in front of the real
//! echo-server or of a stand-in server written here, driven by raw sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Barrier;
use std::thread;
use std::time::Instant;

use testkit::{
    DEADLINE, Proc, check_help, check_port_in_use, check_transcript, check_unknown_host,
    mask_ports, run, unused_port,
};

/// The lesson page whose transcripts these tests produce: the framing lesson, where the tap
/// shows where the reads fall.
const PAGE: &str = "docs/en/08-framing.md";

/// Lesson 1's echo server, one thread per client, reading 64 KiB at a time: the upstream of
/// most tests.
fn start_echo() -> (Proc, SocketAddr) {
    Proc::start_server(
        "echo-server",
        &["--threads", "--quiet", "--buf-size", "65536"],
    )
}

/// The tap in front of `upstream`, on a free port. Its second line names the upstream.
fn start_tap(upstream: SocketAddr, extra: &[&str]) -> (Proc, SocketAddr) {
    let to = upstream.to_string();
    let mut args = vec!["--to", to.as_str()];
    args.extend_from_slice(extra);
    let (mut tap, addr) = Proc::start_server("wiretap", &args);
    assert_eq!(tap.next_line(), format!("forwarding to {upstream}"));
    (tap, addr)
}

/// A connection to the tap whose reads and writes give up after the deadline.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to the tap");
    stream.set_read_timeout(Some(DEADLINE)).expect("time-out");
    stream.set_write_timeout(Some(DEADLINE)).expect("time-out");
    stream
}

/// Sends `message` and reads exactly as many bytes back.
fn exchange(mut stream: &TcpStream, message: &[u8]) -> Vec<u8> {
    stream.write_all(message).expect("send");
    let mut reply = vec![0; message.len()];
    stream.read_exact(&mut reply).expect("the echo");
    reply
}

/// Reads what is left until the end of the stream, which must come (not a reset).
fn rest(mut stream: &TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("a clean end of stream");
    rest
}

/// A tap line with its times (`+0.000412s`, `0.306653s`) shown as `+T` and `T`, since they
/// change from run to run.
fn mask_times(line: &str) -> String {
    let masked: Vec<String> = line
        .split(' ')
        .map(|word| {
            let (sign, rest) = match word.strip_prefix('+') {
                Some(rest) => ("+", rest),
                None => ("", word),
            };
            match rest.strip_suffix('s') {
                Some(number) if number.contains('.') && number.parse::<f64>().is_ok() => {
                    format!("{sign}T")
                }
                _ => word.to_string(),
            }
        })
        .collect();
    masked.join(" ")
}

/// Pseudo-random bytes that both ends of a test can produce again: splitmix64, the
/// generator Java's `SplittableRandom` uses, 8 bytes per step. No dependency, and fast
/// enough in a debug build.
struct Random(u64);

impl Random {
    fn fill(&mut self, buffer: &mut [u8]) {
        for word in buffer.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            word.copy_from_slice(&z.to_le_bytes()[..word.len()]);
        }
    }
}

#[test]
fn a_hundred_megabytes_of_random_bytes_pass_unchanged_both_ways() {
    /// Written and checked 64 KiB at a time: 1600 chunks make 100 MiB.
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 1600;
    const TOTAL: u64 = (CHUNK * CHUNKS) as u64;
    let (_echo, echo_addr) = start_echo();
    let (mut tap, tap_addr) = start_tap(echo_addr, &["--quiet"]);
    let stream = connect(tap_addr);

    let started = Instant::now();
    thread::scope(|scope| {
        // Written from a thread of its own while this one reads the echo: written first and
        // read after, 100 MB would fill every buffer on the way and stop.
        scope.spawn(|| {
            let mut random = Random(7);
            let mut chunk = vec![0; CHUNK];
            for _ in 0..CHUNKS {
                random.fill(&mut chunk);
                (&stream).write_all(&chunk).expect("send through the tap");
            }
            stream.shutdown(Shutdown::Write).expect("half-close");
        });
        let mut random = Random(7);
        let (mut expected, mut received) = (vec![0; CHUNK], vec![0; CHUNK]);
        for index in 0..CHUNKS {
            random.fill(&mut expected);
            (&stream)
                .read_exact(&mut received)
                .expect("the echo through the tap");
            // Not assert_eq!: it would print 64 KiB twice.
            assert!(received == expected, "chunk {index} of 64 KiB differs");
        }
        assert!(rest(&stream).is_empty(), "nothing after the 100 MiB");
    });
    let elapsed = started.elapsed();

    let closed = mask_times(&tap.wait_for("#1 closed"));
    assert_eq!(
        closed,
        format!("#1 closed after T (client sent {TOTAL} bytes, server sent {TOTAL} bytes)")
    );
    // --quiet: no line per read. Listening, forwarding, two connected lines, two ends of
    // stream, closed.
    assert_eq!(tap.seen().len(), 7, "{:#?}", tap.seen());
    // Not a check (machines differ), a number to see with --nocapture.
    eprintln!("100 MiB each way through the tap in {elapsed:?}");
}

#[test]
fn fifty_clients_at_once_each_get_exactly_their_own_bytes_back() {
    const CLIENTS: usize = 50;
    const MESSAGES: usize = 8;
    const MESSAGE: usize = 4096;
    let (_echo, echo_addr) = start_echo();
    let (mut tap, tap_addr) = start_tap(echo_addr, &[]);

    // Every client connects before any of them sends: all 50 connections are open at once.
    let connected = Barrier::new(CLIENTS);
    thread::scope(|scope| {
        for client in 0..CLIENTS {
            let connected = &connected;
            scope.spawn(move || {
                let stream = connect(tap_addr);
                connected.wait();
                // Each client's bytes come from a seed of its own: a byte of another
                // client's would not match.
                let mut random = Random(1000 + client as u64);
                let mut message = vec![0; MESSAGE];
                for index in 0..MESSAGES {
                    random.fill(&mut message);
                    let echo = exchange(&stream, &message);
                    assert!(echo == message, "client {client}, message {index} differs");
                }
                stream.shutdown(Shutdown::Write).expect("half-close");
                assert!(rest(&stream).is_empty(), "client {client}: nothing more");
            });
        }
    });

    let mut closed = 0;
    while closed < CLIENTS {
        if tap.next_line().contains(" closed after ") {
            closed += 1;
        }
    }
    // Every line is whole and belongs to one of the 50, and its read counts add up to what
    // each client sent.
    let mut sent = [0usize; CLIENTS];
    for line in &tap.seen()[2..] {
        let (number, rest) = line
            .strip_prefix('#')
            .and_then(|line| line.split_once(' '))
            .unwrap_or_else(|| panic!("not a connection's line: {line:?}"));
        let number: usize = number.parse().expect("a connection number");
        assert!((1..=CLIENTS).contains(&number), "{line}");
        if let Some(read) = rest.strip_prefix("client -> server ") {
            let count = read.split(' ').nth(1).expect("a byte count");
            if !read.contains(" end of stream ") {
                sent[number - 1] += count.parse::<usize>().expect("a number");
            }
        }
    }
    assert_eq!(sent, [MESSAGES * MESSAGE; CLIENTS], "bytes per connection");
}

#[test]
fn a_half_close_reaches_the_server_which_then_answers() {
    // A stand-in server in lesson 3's style: reads until the end of the stream, then answers
    // with what it got, then closes.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let upstream = listener.local_addr().expect("address");
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut message = Vec::new();
        stream
            .read_to_end(&mut message)
            .expect("until the end of the stream");
        let answer = format!("got {} bytes\n", message.len());
        stream.write_all(answer.as_bytes()).expect("answer");
    });
    let (mut tap, tap_addr) = start_tap(upstream, &[]);

    let mut client = connect(tap_addr);
    client.write_all(b"one message, ").expect("send");
    client.write_all(b"then the end").expect("send");
    // Python: client.shutdown(socket.SHUT_WR). The client can still read.
    client.shutdown(Shutdown::Write).expect("half-close");
    assert_eq!(rest(&client), b"got 25 bytes\n");
    server.join().expect("the stand-in server");

    tap.wait_for("#1 closed");
    let lines: Vec<String> = tap.seen()[2..]
        .iter()
        .map(|line| mask_times(line))
        .filter(|line| !line.contains(" bytes: \"")) // the client's writes may come as 1 or 2 reads
        .collect();
    assert_eq!(
        lines[0],
        format!("#1 connected from {}", client.local_addr().expect("addr"))
    );
    assert_eq!(
        lines[1..],
        [
            format!("#1 connected to {upstream}"),
            "#1 client -> server +T end of stream after 25 bytes; passing it on with shutdown(Write)"
                .into(),
            "#1 server -> client +T end of stream after 13 bytes; passing it on with shutdown(Write)"
                .into(),
            "#1 closed after T (client sent 25 bytes, server sent 13 bytes)".into(),
        ]
    );
    // The answer came after the client's end of stream: the server waited for it.
    let seen = tap.seen();
    let end = seen
        .iter()
        .position(|l| l.contains("client -> server") && l.contains("end of stream"))
        .expect("the client's end of stream");
    let answer = seen
        .iter()
        .position(|l| l.ends_with(r#"13 bytes: "got 25 bytes\n""#))
        .expect("the server's answer");
    assert!(end < answer, "{seen:#?}");
}

/// What a student sees when a client sends "hello\n", then "你好" and a byte that is not
/// UTF-8, through the tap to the echo server: with `extra` options.
fn two_messages_seen(extra: &[&str]) -> Vec<String> {
    let (_echo, echo_addr) = start_echo();
    let (mut tap, tap_addr) = start_tap(echo_addr, extra);
    let client = connect(tap_addr);
    // Each echo is awaited before the next message goes: so each is a read of its own.
    assert_eq!(exchange(&client, b"hello\n"), b"hello\n");
    let second = ["你好".as_bytes(), b"\xff\n"].concat();
    assert_eq!(exchange(&client, &second), second);
    drop(client);
    tap.wait_for("#1 closed");
    tap.seen()[2..]
        .iter()
        .map(|line| mask_times(line))
        .collect()
}

#[test]
fn each_read_shows_direction_time_count_and_escaped_text() {
    let lines = two_messages_seen(&[]);
    assert_eq!(
        lines[2..6],
        [
            r#"#1 client -> server +T 6 bytes: "hello\n""#,
            r#"#1 server -> client +T 6 bytes: "hello\n""#,
            r#"#1 client -> server +T 8 bytes: "你好\xff\n""#,
            r#"#1 server -> client +T 8 bytes: "你好\xff\n""#,
        ],
        "{lines:#?}"
    );
}

#[test]
fn hex_shows_each_byte() {
    let lines = two_messages_seen(&["--hex"]);
    assert_eq!(
        lines[2..6],
        [
            "#1 client -> server +T 6 bytes: 68 65 6c 6c 6f 0a",
            "#1 server -> client +T 6 bytes: 68 65 6c 6c 6f 0a",
            "#1 client -> server +T 8 bytes: e4 bd a0 e5 a5 bd ff 0a",
            "#1 server -> client +T 8 bytes: e4 bd a0 e5 a5 bd ff 0a",
        ],
        "{lines:#?}"
    );
}

#[test]
fn a_refused_upstream_closes_the_client_and_the_tap_keeps_serving() {
    let port = unused_port();
    let upstream: SocketAddr = ([127, 0, 0, 1], port).into();
    let (mut tap, tap_addr) = start_tap(upstream, &[]);
    for number in 1..=2 {
        let client = connect(tap_addr);
        assert!(rest(&client).is_empty(), "the end of the stream, no bytes");
        let line = tap.wait_for("cannot reach");
        assert_eq!(
            line,
            format!(
                "#{number} cannot reach 127.0.0.1:{port}: connection refused; closing the \
                 client's connection"
            )
        );
    }
    tap.interrupt();
    let stopped = tap.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(stopped.stdout.ends_with("server stopped\n"), "{stopped:?}");
}

#[test]
fn a_reset_on_one_side_closes_the_other() {
    // A server that vanishes with a reset: it reads one byte and closes with the rest of the
    // message unread, which makes the kernel send RST instead of a polite end of stream.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let upstream = listener.local_addr().expect("address");
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream.read_exact(&mut [0; 1]).expect("the first byte");
    });
    let (mut tap, tap_addr) = start_tap(upstream, &[]);
    let mut client = connect(tap_addr);
    client.write_all(b"hello\n").expect("send");
    server.join().expect("the stand-in server");

    // The client sees its connection end: the tap cannot pass a reset on, it closes.
    let mut buffer = [0; 16];
    match client.read(&mut buffer) {
        Ok(0) => {}
        Err(error) if error.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("expected the end of the connection, got {other:?}"),
    }
    let line = mask_times(&tap.wait_for("read failed"));
    assert_eq!(
        line,
        "#1 server -> client +T read failed: connection reset by peer; closing both sides"
    );
    let closed = mask_times(&tap.wait_for("#1 closed"));
    assert_eq!(
        closed,
        "#1 closed after T (client sent 6 bytes, server sent 0 bytes)"
    );
}

#[test]
fn ctrl_c_and_sigterm_close_open_connections_and_stop_with_0() {
    for terminate in [false, true] {
        let (_echo, echo_addr) = start_echo();
        let (mut tap, tap_addr) = start_tap(echo_addr, &[]);
        let client = connect(tap_addr);
        assert_eq!(exchange(&client, b"hi\n"), b"hi\n");
        tap.wait_for("server -> client");
        if terminate {
            tap.terminate();
        } else {
            tap.interrupt();
        }
        tap.wait_for("server stopped");
        let stopped = tap.wait_for_exit();
        assert_eq!(stopped.code(), Some(0), "{stopped:?}");
        assert!(rest(&client).is_empty(), "a clean end for the client");
        let last: Vec<String> = stopped
            .stdout
            .lines()
            .rev()
            .take(2)
            .map(mask_times)
            .collect();
        assert_eq!(
            last,
            [
                "server stopped",
                "#1 closed after T (client sent 3 bytes, server sent 3 bytes): the server is \
                 stopping",
            ],
            "{stopped:?}"
        );
        assert!(!stopped.stdout.contains("end of stream"), "{stopped:?}");
        assert_eq!(stopped.stderr, "", "{stopped:?}");
    }
}

#[test]
fn an_unknown_to_host_is_one_line_and_exit_code_5() {
    let failed = run(
        "wiretap",
        &["--port", "0", "--to", "no-such-host.invalid:9004"],
        b"",
    );
    assert_eq!(failed.code(), Some(5), "{failed:?}");
    assert!(
        failed
            .stderr
            .starts_with("error: cannot find host 'no-such-host.invalid': "),
        "{failed:?}"
    );
    assert_eq!(failed.stderr.lines().count(), 1, "{failed:?}");
    assert!(failed.stdout.is_empty(), "{failed:?}");
    // And --host, like every server.
    check_unknown_host("wiretap");
}

#[test]
fn a_to_that_is_not_host_and_port_or_is_the_tap_itself_is_refused() {
    let bad = run("wiretap", &["--port", "0", "--to", "9004"], b"");
    assert_eq!(bad.code(), Some(2), "{bad:?}");
    assert!(bad.stderr.contains("give HOST:PORT"), "{bad:?}");

    let port = unused_port().to_string();
    let to = format!("127.0.0.1:{port}");
    let itself = run("wiretap", &["--port", &port, "--to", &to], b"");
    assert_eq!(itself.code(), Some(2), "{itself:?}");
    assert_eq!(
        itself.stderr,
        format!(
            "error: --to {to} is the tap itself; give the address of the server to watch, e.g. \
             --to 127.0.0.1:9001\n"
        )
    );
}

#[test]
fn a_port_in_use_is_one_line_and_exit_code_3() {
    let holder = TcpListener::bind("127.0.0.1:0").expect("bind");
    check_port_in_use("wiretap", holder.local_addr().expect("address").port());
}

#[test]
fn help_names_every_option_and_the_defaults() {
    check_help(
        "wiretap",
        &[
            "--to",
            "--hex",
            "--full",
            "--quiet",
            "--buf-size",
            "9100",
            "127.0.0.1:9004",
        ],
    );
}

#[test]
fn a_small_buf_size_shows_one_message_as_several_reads() {
    let (_echo, echo_addr) = start_echo();
    let (mut tap, tap_addr) = start_tap(echo_addr, &["--buf-size", "4"]);
    let client = connect(tap_addr);
    assert_eq!(exchange(&client, b"hello\n"), b"hello\n");
    drop(client);
    tap.wait_for("#1 closed");
    let reads: Vec<String> = tap
        .seen()
        .iter()
        .filter(|line| line.contains("client -> server") && line.contains(" bytes: "))
        .map(|line| mask_times(line))
        .collect();
    assert_eq!(
        reads,
        [
            r#"#1 client -> server +T 4 bytes: "hell""#,
            r#"#1 client -> server +T 2 bytes: "o\n""#,
        ]
    );
}

#[test]
fn output_closed_after_the_first_line_stops_the_tap_quietly() {
    let (_echo, echo_addr) = start_echo();
    let to = echo_addr.to_string();
    let mut tap = Proc::spawn_head_one("wiretap", &["--port", "0", "--to", &to]);
    let addr = testkit::listening_addr(&tap.next_line()).expect("listening on ADDR");
    // `wiretap | head -1`: the first line was read, and the pipe is closed. A client makes
    // the tap print again.
    let client = connect(addr);
    let _ = (&client).write_all(b"hello\n");
    let finished = tap.wait_for_exit();
    assert_eq!(
        finished.code(),
        Some(common::CLOSED_OUTPUT_STATUS),
        "{finished:?}"
    );
    assert_eq!(finished.stderr, "", "not a word, and surely no panic");
}

// -------------------------------------------------------------------------------------------
// The framing page's transcripts: the tap in front of framing-server

/// The tap's lines as the framing page shows them: the tap's port as its default (9100), the
/// server's as the lesson's (9004), a client's as `PORT`, and every time as `0.000000s`, since
/// times change from run to run (the page says so).
fn as_on_the_page(text: &str, tap: SocketAddr, server: SocketAddr) -> String {
    let text = text.replace(&tap.to_string(), "127.0.0.1:TAP");
    let text = mask_ports(&text, server.port(), 9004).replace("127.0.0.1:TAP", "127.0.0.1:9100");
    text.lines()
        .map(|line| {
            let masked: Vec<String> = line
                .split(' ')
                .map(|word| match mask_times(word).as_str() {
                    "+T" => "+0.000000s".to_string(),
                    "T" => "0.000000s".to_string(),
                    _ => word.to_string(),
                })
                .collect();
            masked.join(" ") + "\n"
        })
        .collect()
}

/// framing-client through the tap, with `args`, to its end.
fn client_through(tap: SocketAddr, args: &[&str]) -> testkit::Finished {
    let port = tap.port().to_string();
    let mut all = vec!["--port", port.as_str()];
    all.extend_from_slice(args);
    run("framing-client", &all, b"")
}

/// One message sent in three pieces, half a second apart, without framing: the tap shows
/// three reads each way, and the server answers each piece as a message of its own.
#[test]
fn the_framing_page_shows_one_message_read_in_three_pieces() {
    let (mut server, server_addr) = Proc::start_server("framing-server", &["--framing", "none"]);
    let (mut tap, tap_addr) = start_tap(server_addr, &[]);
    let session = client_through(
        tap_addr,
        &[
            "--framing",
            "none",
            "--message",
            "hello socket",
            "--pieces",
            "3",
        ],
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(
        session
            .stdout
            .ends_with("sent 1 message, received 3 answers\n"),
        "{}",
        session.stdout
    );
    server.wait_for(" left after 3 messages");
    tap.wait_for("#1 closed");
    tap.interrupt();
    let stopped = tap.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    let log = stopped
        .stdout
        .strip_suffix("server stopped\n")
        .expect("the last line");
    let shown = format!("$ cargo run -p wiretap\n{log}^C\nserver stopped\n");
    check_transcript(
        PAGE,
        "tap-none",
        &as_on_the_page(&shown, tap_addr, server_addr),
    );
}

/// Length framing in hex: the 4-byte header is visible, and a frame that arrives in two reads
/// is still one message for the server.
#[test]
fn the_framing_page_shows_a_length_header_in_hex() {
    let (mut server, server_addr) = Proc::start_server("framing-server", &[]);
    let (mut tap, tap_addr) = start_tap(server_addr, &["--hex"]);
    let session = client_through(tap_addr, &["--message", "hello socket", "--pieces", "2"]);
    assert_eq!(session.code(), Some(0), "{session:?}");
    let line = server.wait_for("received message 1");
    assert!(line.ends_with(r#", 12 bytes: "hello socket""#), "{line}");
    server.wait_for(" left after 1 message");
    tap.wait_for("#1 closed");
    // What `| grep 'bytes:'` keeps: the reads, not the connections and ends of stream.
    let reads: String = tap
        .seen()
        .iter()
        .filter(|line| line.contains("bytes:"))
        .map(|line| format!("{line}\n"))
        .collect();
    let shown = format!("$ cargo run -p wiretap -- --hex | grep 'bytes:'\n{reads}");
    check_transcript(
        PAGE,
        "tap-hex",
        &as_on_the_page(&shown, tap_addr, server_addr),
    );
}
