//! framing-client against the tutorials' own echo servers (000 and 004, as Rust test
//! doubles), which know nothing of framing: they send back whatever one `recv(1024)` got.

use testkit::run;
use testkit::tutorials::TutorialServer;

#[test]
fn without_framing_tutorial_004s_server_echoes_the_message() {
    let server = TutorialServer::echo_004();
    let session = run(
        "framing-client",
        &[
            "--port",
            &server.port(),
            "--framing",
            "none",
            "-m",
            "hello socket",
        ],
        b"",
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(
        session.stdout.ends_with(
            "answer 1 (12 bytes): \"hello socket\"\nsent 1 message, received 1 answer\n"
        ),
        "{}",
        session.stdout
    );
    assert_eq!(server.printed(), "收到数据: hello socket");
}

#[test]
fn in_fixed_framing_tutorial_000s_echo_server_answers_every_frame_whole() {
    // The echo server answers each recv(1024) as it comes: glued or split, the client still
    // reads 32-byte frames, because it counts bytes (tutorial 000's myreceive).
    let server = TutorialServer::echo_000();
    let session = run(
        "framing-client",
        &[
            "--port",
            &server.port(),
            "--framing",
            "fixed",
            "--count",
            "3",
        ],
        b"",
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    let answers: Vec<&str> = session
        .stdout
        .lines()
        .filter(|line| line.starts_with("answer "))
        .collect();
    assert_eq!(
        answers,
        [
            "answer 1 (32 bytes): \"message 1\" + 23 bytes of padding",
            "answer 2 (32 bytes): \"message 2\" + 23 bytes of padding",
            "answer 3 (32 bytes): \"message 3\" + 23 bytes of padding",
        ]
    );
}
