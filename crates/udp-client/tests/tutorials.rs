//! udp-client against tutorial 004's own UDP server (a Rust test double).

use testkit::run;
use testkit::tutorials::{TutorialServer, UDP_ANSWER};

#[test]
fn against_tutorial_004s_udp_server_every_line_gets_its_answer() {
    let server = TutorialServer::udp_004();
    let session = run(
        "udp-client",
        &["--port", &server.port()],
        "hello\n你好\n".as_bytes(),
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    let answer = format!("收到服务器响应: {UDP_ANSWER}");
    let answers: Vec<&str> = session
        .stdout
        .lines()
        .filter(|l| l.starts_with("收到"))
        .collect();
    assert_eq!(answers, [answer.as_str(), answer.as_str()], "{session:?}");
    assert!(server.printed().ends_with("的数据: hello"));
    assert!(server.printed().ends_with("的数据: 你好"));
}
