//! framing-server against programs we did not write the framing of: the tutorials' own
//! clients (as Rust test doubles) and, where python3 is installed, a Python client that
//! speaks length framing with `struct.pack('!I', n)`.

use testkit::tutorials::{MSGLEN, TutorialClient, myreceive, mysend};
use testkit::{DEADLINE, Input, Proc, Running, workspace_root};

#[test]
fn tutorial_000s_client_gets_an_answer_without_framing() {
    let (mut server, addr) = Proc::start_server("framing-server", &["--framing", "none"]);
    let mut client = TutorialClient::connect(addr);
    client.send("hello socket"); // Python: s.sendall(b'hello socket')
    assert_eq!(client.recv(), "#1 (12 bytes) hello socket"); // Python: s.recv(1024)
    server.wait_for(r#"received message 1 from 127.0.0.1:"#);
}

#[test]
fn tutorial_000s_mysend_and_myreceive_speak_fixed_framing() {
    let (mut server, addr) = Proc::start_server("framing-server", &["--framing", "fixed"]);
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    // Python: mysend(s, msg.ljust(MSGLEN)) twice, then myreceive(s, MSGLEN) twice.
    mysend(&mut stream, b"hello socket", MSGLEN);
    mysend(&mut stream, "你好".as_bytes(), MSGLEN);
    let first = myreceive(&mut stream, MSGLEN);
    let second = myreceive(&mut stream, MSGLEN);
    assert_eq!(first, format!("{:<32}", "hello socket").as_bytes());
    assert_eq!(String::from_utf8_lossy(&second).trim_end(), "你好");
    let line = server.wait_for("received message 2");
    assert!(
        line.ends_with(r#", 32 bytes: "你好" + 26 bytes of padding"#),
        "{line}"
    );
}

#[test]
fn a_python_client_using_struct_pack_talks_length_framing() {
    if !testkit::has_python3() {
        return;
    }
    let (mut server, addr) = Proc::start_server("framing-server", &[]);
    let script = workspace_root().join("crates/framing-server/tests/python/length_client.py");
    let script = script.to_str().expect("a UTF-8 path");
    let port = addr.port().to_string();
    let mut python =
        Running::start("python3", &[script, &port], Input::Empty, usize::MAX).expect("python3");
    let status = python.wait_for_exit(DEADLINE).expect("python3 ends");
    assert!(
        status.success(),
        "{status}: {:?}\n{}",
        python.seen(),
        python.stderr()
    );
    assert_eq!(python.seen().len(), 4, "{:?}", python.seen());
    assert_eq!(python.seen()[1], "answer 2 ok: b'#2 (0 bytes) '");
    server.wait_for(" left after 4 messages");
}
