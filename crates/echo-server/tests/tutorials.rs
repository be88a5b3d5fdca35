//! echo-server against the tutorials' own clients (000 and 004, as Rust test doubles).

use testkit::Proc;
use testkit::tutorials::TutorialClient;

#[test]
fn tutorial_000s_client_gets_hello_socket_back() {
    let (mut server, addr) = Proc::start_server("echo-server", &[]);
    let mut client = TutorialClient::connect(addr);
    client.send("hello socket"); // Python: s.sendall(b'hello socket')
    assert_eq!(client.recv_bytes(), b"hello socket"); // Python: data = s.recv(1024)
    server.wait_for("received 12 bytes from 127.0.0.1:");
}

#[test]
fn tutorial_004s_client_gets_every_message_back_unchanged() {
    let (_server, addr) = Proc::start_server("echo-server", &[]);
    let mut client = TutorialClient::connect(addr);
    for message in [
        "你好",
        "second message",
        "q is only a quit word for the client",
    ] {
        assert_eq!(client.exchange(message), message);
    }
}
