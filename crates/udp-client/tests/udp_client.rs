//! End-to-end tests of udp-client: the real binary against the real udp-server, against a
//! server that never answers, against no server at all, and against an impostor.

use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::Duration;

use testkit::{Finished, Proc, check_help, check_transcript, run};

fn client(server: SocketAddr, args: &[&str], stdin: &[u8]) -> Finished {
    let port = server.port().to_string();
    let mut all = vec!["--port", &port];
    all.extend_from_slice(args);
    run("udp-client", &all, stdin)
}

/// A bound socket that receives datagrams and never answers.
fn silent_server() -> (UdpSocket, SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let addr = socket.local_addr().expect("addr");
    (socket, addr)
}

#[test]
fn message_sends_one_datagram_and_prints_the_answer() {
    let (_server, addr) = Proc::start_server("udp-server", &["--echo"]);
    let answered = client(addr, &["--message", "hello"], b"");
    assert_eq!(answered.code(), Some(0), "{answered:?}");
    assert_eq!(answered.stdout, "收到服务器响应: hello\n");
    let lossy = client(addr, &[], b"caf\xe9\n\nq\n");
    assert_eq!(
        lossy.stdout, "收到服务器响应: caf\u{fffd}\n收到服务器响应: \n",
        "{lossy:?}"
    );
}

#[test]
fn with_no_server_it_says_so_and_carries_on() {
    let (socket, addr) = silent_server();
    drop(socket); // nothing listens on that port any more
    let once = client(addr, &["--message", "hello"], b"");
    assert_eq!(once.code(), Some(4), "{once:?}");
    let port = addr.port();
    let line = format!(
        "error: nothing answers on udp 127.0.0.1:{port}: the datagram was refused; is the server \
         running? Start it with: cargo run -p udp-server -- --port {port}"
    );
    assert_eq!(once.stderr, format!("{line}\n"));

    let lines = client(addr, &[], b"one\ntwo\n");
    assert_eq!(lines.code(), Some(0), "{lines:?}");
    assert_eq!(lines.stderr, format!("{line}; carrying on\n").repeat(2));
    check_transcript(
        "docs/en/04-udp.md",
        "udp-no-server",
        &format!(
            "$ printf 'one\\ntwo\\n' | cargo run -p udp-client\n{}",
            lines
                .stderr
                .replace(&format!(" -- --port {port}"), "")
                .replace(&port.to_string(), "9002")
        ),
    );
}

#[test]
fn a_silent_server_times_out_and_the_client_carries_on() {
    let (server, addr) = silent_server();
    let waited = client(addr, &["--timeout", "0.2"], b"one\ntwo\n");
    assert_eq!(waited.code(), Some(0), "{waited:?}");
    assert_eq!(
        waited.stderr,
        "no answer within 200ms: UDP does not promise delivery; carrying on\n".repeat(2)
    );
    assert!(waited.stdout.is_empty());
    let mut buffer = [0; 16];
    for expected in [&b"one"[..], b"two"] {
        let (received, _) = server
            .recv_from(&mut buffer)
            .expect("both datagrams arrived");
        assert_eq!(&buffer[..received], expected);
    }
    let once = client(addr, &["--timeout", "0.2", "-m", "three"], b"");
    assert_eq!(once.code(), Some(6), "{once:?}");
    assert_eq!(
        once.stderr,
        "error: no answer within 200ms: UDP does not promise delivery\n"
    );
}

#[test]
fn answers_from_another_address_are_ignored() {
    let (server, addr) = silent_server();
    let impostor = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut client = Proc::spawn("udp-client", &["--port", &addr.port().to_string()]);
    client.write_stdin(b"who is there?\n");
    let mut buffer = [0; 64];
    let (_, client_addr) = server.recv_from(&mut buffer).expect("the question");
    // The impostor answers first, from another port: connect() makes the client drop it.
    impostor.send_to(b"impostor", client_addr).expect("send");
    server.send_to(b"the server", client_addr).expect("send");
    assert_eq!(client.next_line(), "收到服务器响应: the server");
    assert_eq!(client.finish().code(), Some(0));
}

/// Receives one datagram on `server`: its text and who sent it.
fn receive(server: &UdpSocket) -> (String, SocketAddr) {
    let mut buffer = [0; 64];
    let (received, sender) = server.recv_from(&mut buffer).expect("a datagram");
    (
        String::from_utf8_lossy(&buffer[..received]).into_owned(),
        sender,
    )
}

#[test]
fn an_answer_that_comes_during_the_next_line_is_shown_as_late() {
    let (server, addr) = silent_server();
    let late_server = thread::spawn(move || {
        let (first, _) = receive(&server);
        // No answer to the first line. The client sends the second only once it has given up
        // on the first, so when it arrives, an answer to the first is late for sure.
        let (second, client) = receive(&server);
        for answer in ["answer to one", "answer to two"] {
            server.send_to(answer.as_bytes(), client).expect("send");
        }
        (first, second)
    });
    let session = client(addr, &["--timeout", "0.5"], b"one\ntwo\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(session.stdout, "收到服务器响应: answer to two\n");
    assert_eq!(
        session.stderr,
        "no answer within 500ms: UDP does not promise delivery; carrying on\n\
         late answer (to an earlier line): answer to one\n"
    );
    let (first, second) = late_server.join().expect("stand-in server");
    assert_eq!((first.as_str(), second.as_str()), ("one", "two"));
}

#[test]
fn a_datagram_that_came_before_a_line_was_sent_is_not_its_answer() {
    let (server, addr) = silent_server();
    let mut client = Proc::spawn("udp-client", &["--port", &addr.port().to_string()]);
    client.write_stdin(b"one\n");
    let (first, client_addr) = receive(&server);
    assert_eq!(first, "one");
    // The answer, then one datagram too many, before the client sends its next line.
    server.send_to(b"answer to one", client_addr).expect("send");
    server.send_to(b"extra", client_addr).expect("send");
    assert_eq!(client.next_line(), "收到服务器响应: answer to one");
    client.write_stdin(b"two\n");
    let (second, _) = receive(&server);
    assert_eq!(second, "two");
    server.send_to(b"answer to two", client_addr).expect("send");
    assert_eq!(client.next_line(), "收到服务器响应: answer to two");
    let finished = client.finish();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    assert_eq!(finished.stderr, "late answer (to an earlier line): extra\n");
}

#[test]
fn escape_sequences_in_an_answer_are_shown_not_obeyed() {
    let (server, addr) = silent_server();
    let answering = thread::spawn(move || {
        let (_, client) = receive(&server);
        let answer = "\x1b[2J\x07\x1b]0;owned\x07\u{202e}olleh\ttab";
        server.send_to(answer.as_bytes(), client).expect("send");
    });
    let session = client(addr, &["--message", "hi"], b"");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        "收到服务器响应: \\u{1b}[2J\\u{7}\\u{1b}]0;owned\\u{7}\\u{202e}olleh\ttab\n"
    );
    answering.join().expect("stand-in server");
}

#[test]
fn a_time_out_of_zero_is_refused() {
    let refused = run("udp-client", &["--timeout", "0", "-m", "x"], b"");
    assert_eq!(refused.code(), Some(2), "{refused:?}");
    assert!(
        refused.stderr.contains("more than 0 seconds"),
        "{}",
        refused.stderr
    );
}

#[test]
fn help_shows_the_options_and_their_defaults() {
    check_help(
        "udp-client",
        &["[default: 9002]", "--message", "--timeout", "[default: 1]"],
    );
}
