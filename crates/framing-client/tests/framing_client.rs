//! End-to-end tests of framing-client (and of framing-codec-client, the lesson's last step):
//! the real binaries against the real framing-server, against servers that misbehave on
//! purpose, against a server built on tokio-util's `LengthDelimitedCodec`, and, where python3
//! is installed, against a Python server that uses `struct.pack('!I', n)`.

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

use common::framing::{self, Framing};
use futures_util::{SinkExt, StreamExt};
use testkit::{
    DEADLINE, Finished, Input, Proc, Running, check_help, check_refused, check_transcript,
    check_unknown_host, mask_ports, misbehaving_server, run, workspace_root,
};
use tokio_util::bytes::Bytes;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

/// The lesson page whose transcripts these tests produce.
const PAGE: &str = "docs/en/08-framing.md";

fn start(args: &[&str]) -> (Proc, SocketAddr) {
    Proc::start_server("framing-server", args)
}

fn client(addr: SocketAddr, args: &[&str], stdin: &[u8]) -> Finished {
    let port = addr.port().to_string();
    let mut all = vec!["--port", &port];
    all.extend_from_slice(args);
    run("framing-client", &all, stdin)
}

/// Runs framing-codec-client, a second binary of this package, to its end.
fn codec_client(addr: SocketAddr, args: &[&str], stdin: &[u8]) -> (Option<i32>, String, String) {
    let port = addr.port().to_string();
    let mut all = vec!["--port", &port];
    all.extend_from_slice(args);
    let program = env!("CARGO_BIN_EXE_framing-codec-client");
    let mut running =
        Running::start(program, &all, Input::Bytes(stdin.to_vec()), usize::MAX).expect("start");
    let status = running.wait_for_exit(DEADLINE).expect("it ends");
    let mut stdout = running.seen().join("\n");
    stdout.push('\n');
    (status.code(), stdout, running.stderr())
}

#[test]
fn each_line_of_piped_input_is_a_message_and_each_answer_is_printed() {
    let (_server, addr) = start(&[]);
    let session = client(addr, &[], "hello\n\n你好\n".as_bytes());
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!(
            "connected to {addr}, framing: length (a 4-byte big-endian length before each \
             message, at most 1048576 bytes)\n\
             answer 1 (18 bytes): \"#1 (5 bytes) hello\"\n\
             answer 2 (13 bytes): \"#2 (0 bytes) \"\n\
             answer 3 (19 bytes): \"#3 (6 bytes) 你好\"\n\
             sent 3 messages, received 3 answers\n"
        )
    );
    assert_eq!(session.stderr, "");
}

#[test]
fn without_framing_the_client_sees_the_glued_answer_too() {
    let (_server, addr) = start(&["--framing", "none"]);
    let session = client(addr, &["--framing", "none"], b"one\ntwo\n\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(
        session
            .stdout
            .contains("note: message 3 is empty: without framing, 0 bytes send nothing\n"),
        "{}",
        session.stdout
    );
    assert!(
        session.stdout.ends_with(
            "answer 1 (19 bytes): \"#1 (6 bytes) onetwo\"\nsent 3 messages, received 1 answer\n"
        ),
        "{}",
        session.stdout
    );
}

#[test]
fn a_message_too_long_for_fixed_framing_is_refused_and_the_rest_sent() {
    let (_server, addr) = start(&["--framing", "fixed"]);
    let long = "this message is far longer than 32 bytes";
    let session = client(
        addr,
        &[
            "--framing",
            "fixed",
            "-m",
            "short",
            "-m",
            long,
            "-m",
            "last",
        ],
        b"",
    );
    assert_eq!(session.code(), Some(1), "{session:?}");
    assert_eq!(
        session.stderr,
        "error: message 2 not sent: 40 bytes, more than --size 32 allows in fixed framing\n\
         error: 1 of 3 messages not sent: too long for the framing\n"
    );
    assert!(
        session.stdout.ends_with(
            "answer 2 (32 bytes): \"last\" + 28 bytes of padding\nsent 2 messages, received 2 \
             answers\n"
        ),
        "{}",
        session.stdout
    );
}

#[test]
fn answers_that_break_the_framing_get_one_clear_line() {
    let cases: [(&[u8], &str); 3] = [
        (
            &[0, 0, 0, 10, b'a', b'b'],
            "the connection closed after 2 of the 10 bytes of a message: \"ab\"",
        ),
        (
            &[0, 0],
            "the connection closed after 2 of the 4 bytes of a length header",
        ),
        (
            &[0xff, 0xff, 0xff, 0xff],
            "a length header announces 4294967295 bytes, more than the limit of 1048640 \
             (--max-frame)",
        ),
    ];
    for (answer, why) in cases {
        let answer = answer.to_vec();
        let (addr, handle) = misbehaving_server(move |mut stream| {
            let mut request = [0; 6]; // the frame of "hi"
            stream.read_exact(&mut request).expect("the message");
            stream.write_all(&answer).expect("a broken answer");
        });
        let session = client(addr, &["-m", "hi"], b"");
        handle.join().expect("stand-in server");
        assert_eq!(session.code(), Some(1), "{session:?}");
        assert_eq!(
            session.stderr,
            format!("error: the server's answers break the framing: {why}\n")
        );
        assert!(
            session
                .stdout
                .ends_with("sent 1 message, received 0 answers\n")
        );
    }
}

#[test]
fn a_server_that_never_finishes_answering_times_out_with_exit_code_6() {
    let (client_done, wait_for_client) = std::sync::mpsc::channel::<()>();
    let (addr, handle) = misbehaving_server(move |mut stream| {
        // Reads every message, answers none, and closes only once the client has ended.
        let _ = stream.read_to_end(&mut Vec::new());
        let _ = wait_for_client.recv();
    });
    let session = client(addr, &["-m", "hi", "--timeout", "0.5"], b"");
    drop(client_done);
    assert_eq!(session.code(), Some(6), "{session:?}");
    assert_eq!(
        session.stderr,
        "error: the server did not answer everything and close within 500ms; if the server is \
         only slow, wait longer with --timeout SECONDS\n"
    );
    handle.join().expect("stand-in server");
}

#[test]
fn a_server_that_reads_nothing_makes_the_send_time_out() {
    // 20 MB in lines of 1000 bytes: far more than the kernel's buffers hold.
    let line = [vec![b'x'; 1000], b"\n".to_vec()].concat();
    testkit::check_send_times_out("framing-client", &[], &line.repeat(20_000));
}

#[test]
fn refused_unknown_host_and_help() {
    let as_seen = check_refused("framing-client", "framing-server", 9004);
    check_transcript(PAGE, "refused", &as_seen);
    check_unknown_host("framing-client");
    check_help(
        "framing-client",
        &[
            "[default: 9004]",
            "--framing",
            "--count",
            "--pieces",
            "--gap",
            "--timeout",
        ],
    );
}

#[test]
fn a_server_that_refuses_a_message_is_noticed() {
    let (mut server, addr) = start(&["--framing", "line", "--max-line", "10"]);
    let session = client(
        addr,
        &["--framing", "line"],
        b"short
this line is too long
after
",
    );
    assert_eq!(session.code(), Some(1), "{session:?}");
    assert!(
        session
            .stdout
            .ends_with("sent 3 messages, received 1 answer\n"),
        "{}",
        session.stdout
    );
    assert_eq!(
        session.stderr,
        "error: the server closed the connection after 1 of 3 answers; its log says why\n"
    );
    server.wait_for(": a line longer than 10 bytes (--max-line)");
}

// -------------------------------------------------------------------------------------------
// The hand-written framing and tokio-util's LengthDelimitedCodec, on the wire

/// The codec as the test server configures it: 4-byte big-endian length, the answers' limit.
fn test_codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(4)
        .big_endian()
        .max_frame_length(framing::DEFAULT_MAX_FRAME as usize + framing::ANSWER_HEAD_MAX)
        .new_codec()
}

/// A server written with tokio-util's codec that answers like framing-server, for one
/// client. Returns how many messages it answered.
fn codec_server() -> (SocketAddr, std::thread::JoinHandle<u64>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("non-blocking");
    let handle = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            let (stream, _) = listener.accept().await.expect("accept");
            let mut framed = Framed::new(stream, test_codec());
            let mut number = 0;
            while let Some(message) = framed.next().await {
                let message = message.expect("a well-framed message");
                number += 1;
                let answer = framing::answer(Framing::Length, number, &message);
                framed.send(Bytes::from(answer)).await.expect("answer");
            }
            number
        })
    });
    (addr, handle)
}

#[test]
fn the_hand_written_client_talks_to_a_length_delimited_codec_server() {
    let (addr, handle) = codec_server();
    let session = client(addr, &[], b"hello\n\n\xff\xfe\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(
        session.stdout.ends_with(
            "answer 1 (18 bytes): \"#1 (5 bytes) hello\"\n\
             answer 2 (13 bytes): \"#2 (0 bytes) \"\n\
             answer 3 (15 bytes): \"#3 (2 bytes) ��\"\n\
             sent 3 messages, received 3 answers\n"
        ),
        "{}",
        session.stdout
    );
    assert_eq!(handle.join().expect("codec server"), 3);
}

#[test]
fn the_codec_client_talks_to_the_hand_written_server() {
    let (mut server, addr) = start(&[]);
    let (code, stdout, stderr) = codec_client(addr, &[], b"hello\n\n\xff\xfe\n");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout,
        format!(
            "connected to {addr}, framing: length (a 4-byte big-endian length before each \
             message, at most 1048576 bytes) through tokio-util's LengthDelimitedCodec\n\
             answer 1 (18 bytes): \"#1 (5 bytes) hello\"\n\
             answer 2 (13 bytes): \"#2 (0 bytes) \"\n\
             answer 3 (15 bytes): \"#3 (2 bytes) ��\"\n\
             sent 3 messages, received 3 answers\n"
        )
    );
    server.wait_for(" left after 3 messages");
}

/// The page's last step: the codec client and the hand-written server, as a student runs them.
#[test]
fn the_page_shows_the_codec_client_talking_to_the_hand_written_server() {
    let (mut server, addr) = start(&[]);
    let (code, stdout, stderr) = codec_client(addr, &["--count", "3"], b"");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    server.wait_for(" left after 3 messages");
    check_transcript(
        PAGE,
        "codec-client",
        &mask_ports(
            &format!(
                "$ cargo run -p framing-client --bin framing-codec-client -- --count 3\n{stdout}"
            ),
            addr.port(),
            9004,
        ),
    );
}

#[test]
fn the_codec_client_refuses_a_message_over_its_max_frame() {
    let (_server, addr) = start(&[]);
    let (code, stdout, stderr) = codec_client(
        addr,
        &["--max-frame", "4", "-m", "ok", "-m", "too long"],
        b"",
    );
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert_eq!(
        stderr,
        "error: message 2 not sent: 8 bytes, more than --max-frame 4 allows in length framing\n\
         error: 1 of 2 messages not sent: too long for the framing\n"
    );
    assert!(
        stdout.ends_with("sent 1 message, received 1 answer\n"),
        "{stdout}"
    );
}

// -------------------------------------------------------------------------------------------
// A Python server that uses struct.pack('!I', n)

#[test]
fn a_python_server_using_struct_pack_answers_the_client() {
    if !testkit::has_python3() {
        return;
    }
    let script = workspace_root().join("crates/framing-client/tests/python/length_server.py");
    let script = script.to_str().expect("a UTF-8 path");
    let mut python = Running::start("python3", &[script], Input::Empty, usize::MAX).expect("run");
    let first = python.next_line(DEADLINE).expect("the port line");
    let addr = testkit::listening_addr(&first).expect("listening on ADDR");
    let session = client(
        addr,
        &["--pieces", "2", "--gap", "10"],
        "hi\n\n你好\n".as_bytes(),
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(
        session.stdout.ends_with(
            "answer 1 (15 bytes): \"#1 (2 bytes) hi\"\n\
             answer 2 (13 bytes): \"#2 (0 bytes) \"\n\
             answer 3 (19 bytes): \"#3 (6 bytes) 你好\"\n\
             sent 3 messages, received 3 answers\n"
        ),
        "{}",
        session.stdout
    );
    assert!(python.wait_for_exit(DEADLINE).expect("it ends").success());
    assert_eq!(
        python.seen().last().map(String::as_str),
        Some("served 3 messages")
    );
}

// -------------------------------------------------------------------------------------------
// The reference page's examples (docs/en/reference.md, "struct.pack / struct.unpack" and
// "makefile().readline()"): quoted there, and run here on the loopback interface.

/// The two ends of one TCP connection on the loopback interface, with read deadlines.
fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (stream, _) = listener.accept().expect("accept");
    client.set_read_timeout(Some(DEADLINE)).expect("time-out");
    stream.set_read_timeout(Some(DEADLINE)).expect("time-out");
    (client, stream)
}

#[test]
fn struct_pack_and_unpack() -> Result<(), Box<dyn Error>> {
    let (mut client, mut stream) = connected_pair();
    // ANCHOR: struct-pack
    // Python: struct.pack('!I', 6) == b'\x00\x00\x00\x06': '!' is network byte order
    // (big-endian), 'I' an unsigned 4-byte integer.
    assert_eq!(6u32.to_be_bytes(), [0, 0, 0, 6]);
    // Python: s.sendall(struct.pack('!I', len(data)) + data)
    let data = "你好".as_bytes();
    let length = u32::try_from(data.len())?; // Python: struct.error from 4 GiB on
    client.write_all(&[&length.to_be_bytes()[..], data].concat())?;
    // Python: (n,) = struct.unpack('!I', myreceive(conn, 4)); data = myreceive(conn, n)
    const MAX_FRAME: u32 = 1024 * 1024; // a header is only a promise: check it first
    let mut header = [0; 4];
    stream.read_exact(&mut header)?;
    let announced = u32::from_be_bytes(header);
    if announced > MAX_FRAME {
        return Err(format!("{announced} bytes announced, more than {MAX_FRAME}").into());
    }
    let mut message = vec![0; announced as usize];
    stream.read_exact(&mut message)?;
    assert_eq!(message, "你好".as_bytes());
    // ANCHOR_END: struct-pack
    Ok(())
}

#[test]
fn makefile_readline() -> Result<(), Box<dyn Error>> {
    let (mut client, stream) = connected_pair();
    client.write_all(b"one\ntw")?; // two lines in two writes that do not match them
    client.write_all(b"o\n")?;
    client.shutdown(Shutdown::Write)?;
    // ANCHOR: readline
    // Python: f = conn.makefile('rb'); line = f.readline(): up to and with the next b'\n',
    // however many reads that takes; what came after it waits in the buffer.
    let mut lines = BufReader::new(&stream); // one per connection, made before the loop
    let mut line = Vec::new();
    lines.read_until(b'\n', &mut line)?;
    assert_eq!(line, b"one\n");
    // Python: f.readline(4096), at most 4096 bytes: a peer that never sends b'\n' cannot
    // fill the memory. In Rust, take() sets the limit.
    line.clear();
    (&mut lines).take(4096).read_until(b'\n', &mut line)?;
    assert_eq!(line, b"two\n");
    // Python: f.readline() == b'' at the end of the stream; in Rust, 0 bytes read.
    line.clear();
    assert_eq!(lines.read_until(b'\n', &mut line)?, 0);
    // ANCHOR_END: readline
    Ok(())
}
