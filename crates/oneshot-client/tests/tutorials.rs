//! oneshot-client against tutorial 002's own server (a Rust test double): it receives until the
//! client closes, then prints it all.

use testkit::run;
use testkit::tutorials::TutorialServer;

#[test]
fn against_tutorial_002s_server_the_whole_message_arrives() {
    let server = TutorialServer::oneshot_002();
    let session = run("oneshot-client", &["--port", &server.port()], b"");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(server.printed(), "666");
    assert!(
        session.stdout.contains("sent 3 bytes to 127.0.0.1:"),
        "{session:?}"
    );
    assert!(
        session.stdout.contains("the server closed the connection"),
        "{session:?}"
    );
}
