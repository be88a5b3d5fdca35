//! chat-client against tutorial 004's own chat server (a Rust test double): it greets with no
//! newline, and its broadcast sends every message back to its sender only.

use testkit::Proc;
use testkit::tutorials::{CHAT_WELCOME, TutorialServer};

#[test]
fn against_tutorial_004s_server_the_welcome_shows_and_each_line_comes_back() {
    let server = TutorialServer::chat_004();
    let mut client = Proc::spawn("chat-client", &["--port", &server.port()]);
    client.wait_for("connected to ");
    // No newline after the welcome: the client shows it once the server pauses.
    assert_eq!(client.next_line(), CHAT_WELCOME);
    client.write_stdin("hello, room\n".as_bytes());
    assert_eq!(client.next_line(), "hello, room"); // the tutorial's server sends it back
    client.write_stdin(b"bye\n");
    let finished = client.wait_for_exit();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    assert_eq!(
        server.printed().split_once(' ').map(|(said, _)| said),
        Some("连接来自")
    );
    assert_eq!(server.printed(), "打印客户端发来的数据 hello, room\n");
}
