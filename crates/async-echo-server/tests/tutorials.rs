//! async-echo-server against tutorial 004's own asyncio client (a Rust test double): it writes
//! `Hello, world!`, reads at most 100 bytes, and closes.

use testkit::Proc;
use testkit::tutorials::TutorialClient;

#[test]
fn tutorial_004s_asyncio_client_gets_its_message_in_upper_case() {
    let (mut server, addr) = Proc::start_server("async-echo-server", &[]);
    let mut client = TutorialClient::connect(addr);
    client.send("Hello, world!"); // Python: writer.write(message.encode())
    assert_eq!(client.recv_at_most(100), b"HELLO, WORLD!"); // data = await reader.read(100)
    drop(client); // Python: writer.close()
    server.wait_for("left");
}
