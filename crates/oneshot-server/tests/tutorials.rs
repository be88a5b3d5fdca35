//! oneshot-server against tutorial 002's own client (a Rust test double): it sends `666` and
//! closes the connection.

use testkit::Proc;
use testkit::tutorials::TutorialClient;

#[test]
fn tutorial_002s_client_sends_666_and_the_server_prints_it_and_stops() {
    let (server, addr) = Proc::start_server("oneshot-server", &[]);
    let mut client = TutorialClient::connect(addr);
    client.send("666"); // Python: client.send("666".encode("utf8"))
    drop(client); // Python: client.close()
    let finished = server.wait_for_exit();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    assert!(finished.stdout.contains("666"), "{finished:?}");
}
