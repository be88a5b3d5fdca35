//! End-to-end tests of oneshot-server: the real binary on a free port, driven by the real
//! oneshot-client or by raw sockets.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

use testkit::{
    Finished, Proc, check_help, check_port_in_use, check_transcript, check_unknown_host,
    has_ipv6_loopback, mask_ports, run,
};

const PAGE: &str = "docs/en/03-oneshot.md";

fn start(args: &[&str]) -> (Proc, SocketAddr) {
    Proc::start_server("oneshot-server", args)
}

/// Runs the real oneshot-client against `addr`, with `stdin` as its input.
fn client(addr: SocketAddr, extra: &[&str], stdin: &[u8]) -> Finished {
    let port = addr.port().to_string();
    let mut args = vec!["--port", &port];
    args.extend_from_slice(extra);
    run("oneshot-client", &args, stdin)
}

/// Sends `data` from a raw socket, shuts down the sending side as the real client does, and
/// waits until the server has closed the connection.
fn send(addr: SocketAddr, data: &[u8]) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(data).expect("send");
    stream.shutdown(Shutdown::Write).expect("end of stream");
    assert_eq!(stream.read(&mut [0; 16]).expect("the server closes"), 0);
}

/// The server's output for one client: the `connected`/`received` lines and the text, as the
/// server printed them, with the client's address shown as `PEER`.
fn report(finished: &Finished) -> String {
    let mut text = String::new();
    for line in finished.stdout.lines().skip(1) {
        let line = match line.split_once(" from 127.0.0.1:") {
            Some((before, after)) => {
                let port_end = after
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(after.len());
                format!("{before} from PEER{}", &after[port_end..])
            }
            None => line.to_string(),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

#[test]
fn the_tutorials_666_arrives_and_the_server_stops_after_one_client() {
    let (server, addr) = start(&[]);
    let session = client(addr, &[], b"");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!("sent 3 bytes to {addr}\nthe server closed the connection\n")
    );
    assert!(session.stderr.is_empty(), "{}", session.stderr);

    // No Ctrl-C: the server stops by itself after its one client, with status 0.
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(stopped.stderr.is_empty(), "{}", stopped.stderr);
    assert_eq!(
        report(&stopped),
        "connected from PEER\nreceived 3 bytes from PEER:\n666\nserver stopped\n"
    );

    let shown = |text: &str| mask_ports(text, addr.port(), 8000);
    check_transcript(
        PAGE,
        "first-session-server",
        &shown(&format!(
            "$ cargo run -p oneshot-server\n{}",
            stopped.stdout
        )),
    );
    check_transcript(
        PAGE,
        "first-session-client",
        &shown(&format!(
            "$ cargo run -p oneshot-client\n{}",
            session.stdout
        )),
    );
}

#[test]
fn many_small_writes_arrive_whole() {
    let (server, addr) = start(&[]);
    // One byte per write, Chinese characters included: every character is cut between
    // writes, and the reads on the server's side may cut them anywhere.
    let text = "第 1 行: hello\n".repeat(300);
    let mut stream = TcpStream::connect(addr).expect("connect");
    for byte in text.as_bytes() {
        stream.write_all(&[*byte]).expect("send one byte");
        stream.flush().expect("flush");
    }
    stream.shutdown(Shutdown::Write).expect("end of stream");
    assert_eq!(stream.read(&mut [0; 16]).expect("the server closes"), 0);

    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert_eq!(
        report(&stopped),
        format!(
            "connected from PEER\nreceived {} bytes from PEER:\n{text}server stopped\n",
            text.len()
        )
    );
}

#[test]
fn a_character_cut_in_two_by_a_read_is_printed_whole() {
    let (server, addr) = start(&[]);
    // 1023 bytes, then a 3-byte character: the server's first read of 1024 bytes ends one byte
    // into it. Decoding each read on its own, as the tutorial does, would fail right there.
    let text = format!("{}你好", "x".repeat(1023));
    send(addr, text.as_bytes());
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(
        stopped.stdout.contains(&format!("\n{text}\n")),
        "{stopped:?}"
    );
    assert!(
        !stopped.stdout.contains('\u{fffd}'),
        "no replacement character"
    );
}

#[test]
fn zero_bytes_are_reported_as_zero_bytes() {
    let (server, addr) = start(&[]);
    send(addr, b"");
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert_eq!(
        report(&stopped),
        "connected from PEER\nreceived 0 bytes from PEER\nserver stopped\n"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_printed_lossily() {
    let (server, addr) = start(&[]);
    send(addr, b"caf\xe9 \xff\xfe ok\n");
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert_eq!(
        report(&stopped),
        "connected from PEER\nreceived 11 bytes from PEER:\ncaf\u{fffd} \u{fffd}\u{fffd} ok\n\
         server stopped\n"
    );
}

#[test]
fn past_max_bytes_the_server_keeps_the_start_says_so_and_exits_1() {
    let (server, addr) = start(&["--max-bytes", "10"]);
    let message = "abcdefghijklmnopqrstuvwxyz";
    let session = client(addr, &["--message", message], b"");
    let stopped = server.finish();

    assert_eq!(stopped.code(), Some(1), "{stopped:?}");
    assert_eq!(
        report(&stopped),
        "connected from PEER\nreceived 10 bytes from PEER:\nabcdefghij\n"
    );
    let peer = stopped.stdout.lines().nth(1).expect("connected line");
    let peer = peer.strip_prefix("connected from ").expect("an address");
    assert_eq!(
        stopped.stderr,
        format!(
            "error: incomplete data from {peer}: stopped after 10 bytes (--max-bytes); the rest \
             was not read\n"
        )
    );

    // The server closed with 16 bytes unread, so its socket reset the connection, and the
    // client says so: an error, not "the server closed the connection".
    assert_eq!(session.code(), Some(1), "{session:?}");
    assert!(
        session.stderr.starts_with("error: ") && session.stderr.lines().count() == 1,
        "{}",
        session.stderr
    );
    assert!(
        !session.stdout.contains("closed the connection"),
        "{}",
        session.stdout
    );

    // As a terminal shows it: standard output, then the error line.
    check_transcript(
        PAGE,
        "too-much",
        &mask_ports(
            &format!(
                "$ cargo run -p oneshot-server -- --max-bytes 10\n{}{}",
                stopped.stdout, stopped.stderr
            ),
            addr.port(),
            8000,
        ),
    );
}

#[test]
fn the_default_limit_is_one_mebibyte_and_exactly_that_much_is_fine() {
    const MIB: usize = 1024 * 1024;
    let (mut server, addr) = start(&["--keep-going"]);
    let exactly = vec![b'a'; MIB];
    let session = client(addr, &["--stdin"], &exactly);
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(session.stdout.starts_with(&format!("sent {MIB} bytes to ")));
    server.wait_for(&format!("received {MIB} bytes from "));
    let text = server.next_line();
    assert!(text.len() == MIB && text.bytes().all(|b| b == b'a'));

    let one_more = vec![b'b'; MIB + 1];
    let session = client(addr, &["--stdin"], &one_more);
    assert_eq!(
        session.code(),
        Some(1),
        "the server reset the connection: {session:?}"
    );
    server.wait_for(&format!("received {MIB} bytes from "));
    let text = server.next_line();
    assert!(text.len() == MIB && text.bytes().all(|b| b == b'b'));
    let incomplete = server.next_line();
    assert!(
        incomplete.starts_with("incomplete data from 127.0.0.1:")
            && incomplete
                .ends_with(": stopped after 1048576 bytes (--max-bytes); the rest was not read"),
        "{incomplete}"
    );

    // With --keep-going, the server carries on with the next client.
    let next = client(addr, &[], b"");
    assert_eq!(next.code(), Some(0), "{next:?}");
    // The whole line: a client port such as 59666 contains "666" too.
    server.wait_for_line(|line| line == "666");
    server.interrupt();
    assert_eq!(server.finish().code(), Some(0));
}

#[test]
fn a_client_killed_mid_send_is_reported_and_the_next_one_is_served() {
    let (mut server, addr) = start(&["--keep-going"]);
    let port = addr.port().to_string();
    let mut doomed = Proc::spawn("oneshot-client", &["--port", &port, "--stdin"]);
    // Its standard input never ends, so the client is still sending when it is killed. A pipe
    // holds at most 64 KiB, so once this write returns the client has sent at least 192 KiB
    // less its 8 KiB input buffer and its 1 KiB send buffer.
    let data: Vec<u8> = (0..256 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    doomed.write_stdin(&data);
    drop(doomed); // kills the client: SIGKILL, no chance to tidy up

    // The kernel closes a killed program's sockets: the server sees the end of the stream
    // (or a reset) and prints what arrived.
    let received = server.wait_for("received ");
    let count: usize = received
        .strip_prefix("received ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|count| count.parse().ok())
        .expect("a byte count");
    assert!(count >= 128 * 1024, "{received}");
    let text = server.next_line();
    assert_eq!(text.as_bytes(), &data[..count]);

    let next = client(addr, &["--message", "still here"], b"");
    assert_eq!(next.code(), Some(0), "{next:?}");
    assert_eq!(server.wait_for("still here"), "still here");
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(stopped.stdout.ends_with("server stopped\n"));
}

#[test]
fn ctrl_c_or_sigterm_mid_message_says_the_data_is_incomplete_and_exits_0() {
    for mode in [&[][..], &["--keep-going"][..]] {
        for sigterm in [false, true] {
            let (mut server, addr) = start(mode);
            let mut stream = TcpStream::connect(addr).expect("connect");
            stream.write_all(b"partial").expect("send");
            server.wait_for("connected from ");
            // The client has not shut down its side: the message is not over.

            if sigterm {
                server.terminate();
            } else {
                server.interrupt();
            }
            let stopped = server.finish();
            let how = format!("{mode:?}, SIGTERM {sigterm}");
            assert_eq!(stopped.code(), Some(0), "{how}: {stopped:?}");
            assert!(stopped.stderr.is_empty(), "{how}: {}", stopped.stderr);
            assert_eq!(
                report(&stopped),
                "connected from PEER\nreceived 7 bytes from PEER:\npartial\n\
                 incomplete data from PEER: the server is stopping\nserver stopped\n",
                "{how}"
            );
            // The client sees the end of the stream, not a hang.
            assert_eq!(stream.read(&mut [0; 4]).expect("end of stream"), 0);
        }
    }
}

#[test]
fn control_characters_from_a_client_are_shown_escaped() {
    let (server, addr) = start(&[]);
    // NUL, BEL, a clear-screen sequence, a right-to-left override, a lone carriage return;
    // tabs and newlines are kept.
    let sent = "a\0b\x07\x1b[2J\u{202e}txet\rover\tand\nnext\n";
    send(addr, sent.as_bytes());
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert_eq!(
        report(&stopped),
        format!(
            "connected from PEER\nreceived {} bytes from PEER:\n\
             a\\u{{0}}b\\u{{7}}\\u{{1b}}[2J\\u{{202e}}txet\\u{{d}}over\tand\nnext\n\
             server stopped\n",
            sent.len()
        )
    );
}

#[test]
fn ctrl_c_while_waiting_for_a_client_exits_0() {
    let (server, _addr) = start(&[]);
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert_eq!(stopped.stdout.lines().last(), Some("server stopped"));
    assert!(stopped.stderr.is_empty(), "{}", stopped.stderr);
}

#[test]
fn a_port_in_use_gets_one_friendly_line_and_exit_code_3() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    check_port_in_use("oneshot-server", taken.local_addr().expect("addr").port());
}

#[test]
fn an_unknown_host_gets_one_friendly_line_and_exit_code_5() {
    check_unknown_host("oneshot-server");
}

#[test]
fn ipv6_loopback_works_for_server_and_client() {
    if !has_ipv6_loopback() {
        return;
    }
    let (server, addr) = start(&["--host", "::1"]);
    assert_eq!(addr.to_string(), format!("[::1]:{}", addr.port()));
    let port = addr.port().to_string();
    let session = run(
        "oneshot-client",
        &["--host", "::1", "--port", &port, "-m", "v6"],
        b"",
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    let stopped = server.finish();
    assert!(stopped.stdout.contains("\nv6\n"), "{stopped:?}");
}

#[test]
fn help_shows_the_options_and_their_defaults() {
    check_help(
        "oneshot-server",
        &[
            "[default: 127.0.0.1]",
            "[default: 8000]",
            "--keep-going",
            "--max-bytes",
            "[default: 1048576]",
        ],
    );
    let wrong = run("oneshot-server", &["--max-bytes", "lots"], b"");
    assert_eq!(wrong.code(), Some(2), "clap's usage error: {wrong:?}");
}

#[test]
fn quiet_prints_how_much_came_but_not_the_text() {
    let (server, addr) = Proc::start_server("oneshot-server", &["--quiet"]);
    let mut client = TcpStream::connect(addr).expect("connect");
    client.write_all(b"666").expect("send");
    drop(client);
    let finished = server.wait_for_exit();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    assert!(
        finished.stdout.contains("received 3 bytes from 127.0.0.1:"),
        "{finished:?}"
    );
    assert!(!finished.stdout.contains("666"), "{finished:?}");
}
