//! udp-server against tutorial 004's own UDP client (a Rust test double).

use testkit::Proc;
use testkit::tutorials::{UDP_ANSWER, udp_exchange};

#[test]
fn tutorial_004s_udp_client_gets_the_tutorials_answer() {
    let (mut server, addr) = Proc::start_server("udp-server", &[]);
    assert_eq!(udp_exchange(addr, "你好"), UDP_ANSWER);
    assert_eq!(udp_exchange(addr, "again"), UDP_ANSWER);
    server.wait_for("from 127.0.0.1:");
}
