//! ctime-server against the tutorials' own clients (001 and 003, as Rust test doubles): they
//! send a message with no newline and read the answer with one `recv(1024)`.

use std::time::{Duration, Instant};

use testkit::tutorials::{BUFSIZ, TutorialClient};
use testkit::{LineClient, Proc};

/// The promise: a tutorial client's message is answered within 0.5 s (the server's
/// pause is 0.1 s). The bound here is wider so that a busy CI machine does not fail it; a
/// server that waited for a newline would never answer at all.
const ANSWERED_WITHIN: Duration = Duration::from_millis(1500);

/// `ctime()`'s width: `Thu Feb  7 10:00:18 2013`.
const CTIME_WIDTH: usize = 24;

#[test]
fn tutorial_003s_client_gets_the_bracketed_answer_with_no_newline() {
    let (mut server, addr) = Proc::start_server("ctime-server", &[]);
    let mut client = TutorialClient::connect(addr);
    for message in ["hi, server", "再来一次"] {
        let asked = Instant::now();
        let answer = client.exchange(message);
        assert!(
            asked.elapsed() < ANSWERED_WITHIN,
            "took {:?}",
            asked.elapsed()
        );
        let (time, text) = answer[1..].split_once("] ").expect("[time] message");
        assert!(answer.starts_with('['), "{answer:?}");
        assert_eq!(time.len(), CTIME_WIDTH, "{answer:?}");
        assert_eq!(
            text, message,
            "the answer ends as the message did: no newline"
        );
        server.wait_for("received from 127.0.0.1:");
    }
}

#[test]
fn tutorial_001s_client_gets_the_time_glued_to_its_message() {
    let (_server, addr) = Proc::start_server("ctime-server", &["--style", "glued"]);
    let mut client = TutorialClient::connect(addr);
    let answer = client.exchange("i");
    assert_eq!(answer.len(), CTIME_WIDTH + 1, "{answer:?}");
    assert_eq!(&answer[CTIME_WIDTH..], "i");
}

#[test]
fn a_message_sent_in_pieces_quickly_is_still_one_message() {
    let (_server, addr) = Proc::start_server("ctime-server", &["--pause", "1"]);
    let mut client = TutorialClient::connect(addr);
    client.send("hello, ");
    client.send("world");
    let answer = client.recv();
    assert!(answer.ends_with("] hello, world"), "{answer:?}");
}

#[test]
fn lines_pasted_at_once_are_still_answered_one_by_one_in_order() {
    let (_server, addr) = Proc::start_server("ctime-server", &[]);
    let mut client = LineClient::connect(addr);
    let pasted: String = (1..=500).map(|n| format!("line {n}\n")).collect();
    client.send_bytes(pasted.as_bytes());
    for n in 1..=500 {
        let reply = client.line();
        assert!(reply.ends_with(&format!("] line {n}")), "{reply:?}");
    }
}

#[test]
fn an_endless_message_without_newline_gets_the_limit_error_and_the_connection_goes_on() {
    let (_server, addr) = Proc::start_server("ctime-server", &[]);
    let mut client = LineClient::connect(addr);
    // 1 MiB with no newline and no pause: over the 64 KiB limit long before it ends.
    client.send_bytes(&vec![b'x'; 1024 * 1024]);
    assert_eq!(
        client.line(),
        "error: line longer than 65536 bytes; send shorter lines, or start the server with a larger --max-line"
    );
    client.send("still here");
    assert!(client.line().ends_with("] still here"));
}

#[test]
fn a_tutorial_client_reading_1024_bytes_gets_each_answer_whole() {
    let (_server, addr) = Proc::start_server("ctime-server", &[]);
    let mut client = TutorialClient::connect(addr);
    let message = "x".repeat(BUFSIZ - CTIME_WIDTH - 3);
    let answer = client.exchange(&message);
    assert_eq!(
        answer.len(),
        BUFSIZ,
        "one recv(1024) holds the whole answer"
    );
}
