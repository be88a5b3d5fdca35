//! End-to-end tests of nonblocking-demo, poll-chat-server's second program. testkit's helpers
//! take a package name, so this one is started by its path (cargo gives it to the tests of
//! its own package).

use testkit::{DEADLINE, Input, Running};

/// Runs the demo with `args` to its end; returns its exit code, output and errors.
fn demo(args: &[&str]) -> (Option<i32>, String, String) {
    let program = env!("CARGO_BIN_EXE_nonblocking-demo");
    let mut running =
        Running::start(program, args, Input::Empty, usize::MAX).expect("start nonblocking-demo");
    let status = running
        .wait_for_exit(DEADLINE)
        .unwrap_or_else(|_| panic!("nonblocking-demo did not end: {:?}", running.seen()));
    let stdout = running.seen().join("\n");
    (status.code(), stdout, running.stderr())
}

#[test]
fn the_demo_shows_would_block_and_the_time_out() {
    let (code, stdout, stderr) = demo(&["--timeout", "0.3"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert!(lines[0].starts_with("listening on 127.0.0.1:"), "{stdout}");
    assert_eq!(
        lines[1],
        "accept() with nobody there: WouldBlock after 0.0 s, instead of waiting (Python: BlockingIOError)"
    );
    assert!(
        lines[2].starts_with("accept() after a client connected: a connection from 127.0.0.1:"),
        "{stdout}"
    );
    assert_eq!(
        lines[3],
        "read() with nothing sent yet: WouldBlock after 0.0 s (Python: BlockingIOError)"
    );
    // WouldBlock on Linux and macOS, TimedOut on Windows; at least the time-out, not much more.
    assert!(
        lines[4].starts_with("read() with a 0.3 s time-out and nothing sent: ")
            && lines[4].ends_with("after 0.3 s (Python: socket.timeout)"),
        "{stdout}"
    );
    assert_eq!(
        lines[5],
        "read() after the client sent \"hello\": 5 bytes, \"hello\", after 0.0 s"
    );
    assert!(
        lines[6].starts_with("write() of 64 KiB at a time, with nobody reading: the kernel took ")
            && lines[6].contains(" bytes, then WouldBlock (Python: BlockingIOError)"),
        "{stdout}"
    );
}

#[test]
fn help_and_version() {
    let (code, stdout, _) = demo(&["--help"]);
    assert_eq!(code, Some(0));
    for option in ["--host", "--port", "--timeout"] {
        assert!(stdout.contains(option), "{stdout}");
    }
    let (code, stdout, _) = demo(&["--version"]);
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("nonblocking-demo "), "{stdout}");
}

#[test]
fn an_unknown_host_gets_exit_code_5_and_a_port_in_use_3() {
    let (code, _, stderr) = demo(&["--host", "no-such-host.invalid"]);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot find host 'no-such-host.invalid': "),
        "{stderr}"
    );
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = held.local_addr().expect("addr").port().to_string();
    let (code, _, stderr) = demo(&["--port", &port]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("address already in use"), "{stderr}");
}

#[test]
fn a_time_out_of_zero_is_refused_by_the_options() {
    let (code, _, stderr) = demo(&["--timeout", "0"]);
    assert_eq!(code, Some(2), "{stderr}");
}
