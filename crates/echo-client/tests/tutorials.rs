//! echo-client against the tutorials' own echo servers (000 and 004, as Rust test doubles).

use testkit::run;
use testkit::tutorials::TutorialServer;

#[test]
fn against_tutorial_000s_server_the_message_comes_back() {
    let server = TutorialServer::echo_000();
    let port = server.port();
    let session = run(
        "echo-client",
        &["--port", &port, "--message", "hello socket"],
        b"",
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(session.stdout, "Received b'hello socket'\n");
}

#[test]
fn against_tutorial_004s_server_every_line_comes_back() {
    let server = TutorialServer::echo_004();
    let session = run(
        "echo-client",
        &["--port", &server.port()],
        "one\n两个\nq\n".as_bytes(),
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    let replies: Vec<&str> = session.stdout.lines().skip(1).collect();
    assert_eq!(replies, ["收到服务器响应: one", "收到服务器响应: 两个"]);
    assert_eq!(server.printed(), "收到数据: one");
    assert_eq!(server.printed(), "收到数据: 两个");
}
