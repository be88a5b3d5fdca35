//! ctime-client against the tutorials' own timestamp servers (001 and 003, as Rust test
//! doubles): they answer each `recv(1024)` with the time and the bytes received.

use testkit::run;
use testkit::tutorials::{CTIME, TutorialServer};

#[test]
fn against_tutorial_003s_server_each_line_gets_its_bracketed_answer() {
    let server = TutorialServer::ctime_003();
    let session = run(
        "ctime-client",
        &["--port", &server.port()],
        "hi, server\n你好\n".as_bytes(),
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    let printed: Vec<&str> = session.stdout.lines().skip(1).collect();
    assert_eq!(
        printed,
        [format!("[{CTIME}] hi, server"), format!("[{CTIME}] 你好")]
    );
    assert!(
        server
            .printed()
            .starts_with("...connected from: 127.0.0.1:")
    );
    assert_eq!(server.printed(), "date= hi, server\n");
}

#[test]
fn against_tutorial_001s_server_the_time_is_glued_to_the_line() {
    let server = TutorialServer::ctime_001();
    let session = run("ctime-client", &["--port", &server.port()], b"i\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout.lines().nth(1),
        Some(format!("{CTIME}i").as_str())
    );
}
