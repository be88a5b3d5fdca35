//! SIGTERM, what `kill`, systemd and Docker send, stops every server as Ctrl-C does: a last
//! line, exit status 0, and a connected client sees its connection end, not a reset.

use std::io::Read;
use std::net::TcpStream;

use testkit::{DEADLINE, Proc};

/// Every TCP server, with the options that change how it serves.
const TCP_SERVERS: &[(&str, &[&str])] = &[
    ("echo-server", &[]),
    ("echo-server", &["--threads"]),
    ("ctime-server", &[]),
    ("oneshot-server", &["--keep-going"]),
    ("chat-server", &[]),
    ("async-echo-server", &[]),
];

#[test]
fn sigterm_stops_every_tcp_server_like_ctrl_c() {
    for &(package, args) in TCP_SERVERS {
        let (mut server, addr) = Proc::start_server(package, args);
        let mut client = TcpStream::connect(addr).expect("connect");
        client.set_read_timeout(Some(DEADLINE)).expect("time-out");
        server.wait_for("connected from");
        server.terminate();
        server.wait_for("server stopped");
        let finished = server.wait_for_exit();
        assert_eq!(finished.code(), Some(0), "{package} {args:?}: {finished:?}");
        // Whatever the server said last (chat: its goodbye), then the end of the stream.
        let mut rest = Vec::new();
        client
            .read_to_end(&mut rest)
            .unwrap_or_else(|error| panic!("{package} {args:?}: not a clean end: {error}"));
    }
}

#[test]
fn sigterm_stops_the_udp_server_like_ctrl_c() {
    let (mut server, _addr) = Proc::start_server("udp-server", &[]);
    server.terminate();
    server.wait_for("server stopped");
    let finished = server.wait_for_exit();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
}
