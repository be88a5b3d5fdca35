//! async-echo-client against tutorial 004's own asyncio server (a Rust test double): it reads
//! at most 100 bytes, answers them in upper case, and closes the connection.

use testkit::run;
use testkit::tutorials::TutorialServer;

#[test]
fn against_tutorial_004s_asyncio_server_hello_world_comes_back_in_upper_case() {
    let server = TutorialServer::asyncio_004();
    let session = run("async-echo-client", &["--port", &server.port()], b"");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        "Send: Hello, world!\nReceived: HELLO, WORLD!\n"
    );
    assert!(
        server
            .printed()
            .starts_with("Received Hello, world! from 127.0.0.1:")
    );
}
