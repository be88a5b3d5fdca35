//! The runs that the lesson page (`docs/en/06-nonblocking.md`) shows, made for real and
//! compared with the page (`BLESS=1` writes them into it): the demo of one non-blocking socket,
//! a conversation in the one-thread room with lesson 5's client, and the server's thread count
//! with 200 clients in the room.

use std::net::SocketAddr;

use testkit::{DEADLINE, Input, LineClient, Proc, Running, check_transcript, has_proc, mask_ports};

const PAGE: &str = "docs/en/06-nonblocking.md";

/// The lesson's default port: what a student who types the page's commands sees.
const LESSON_PORT: u16 = 9005;

/// What follows "the kernel took " in the demo's last line, up to the next space: the number of
/// bytes a socket's buffers hold, which depends on the system and its settings.
fn mask_byte_count(text: &str) -> String {
    const TOOK: &str = "the kernel took ";
    let Some(at) = text.find(TOOK) else {
        return text.to_string();
    };
    let start = at + TOOK.len();
    let digits = text[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len() - start);
    assert!(digits > 0, "no byte count after {TOOK:?} in {text:?}");
    format!("{}N{}", &text[..start], &text[start + digits..])
}

#[test]
fn the_pages_demo_of_would_block_and_the_time_out() {
    let program = env!("CARGO_BIN_EXE_nonblocking-demo");
    let mut running =
        Running::start(program, &[], Input::Empty, usize::MAX).expect("start nonblocking-demo");
    let status = running
        .wait_for_exit(DEADLINE)
        .unwrap_or_else(|_| panic!("nonblocking-demo did not end: {:?}", running.seen()));
    assert_eq!(status.code(), Some(0), "{}", running.stderr());
    let output = running.seen().join("\n");
    // The demo's own listener is on a free port: every port is the system's choice, `PORT`.
    let shown = mask_byte_count(&mask_ports(&output, 0, 0));
    check_transcript(
        PAGE,
        "demo",
        &format!("$ cargo run -p poll-chat-server --bin nonblocking-demo\n{shown}"),
    );
}

/// Starts lesson 5's client, connected to `addr`, its input piped from the test.
fn chat_client(addr: SocketAddr) -> Proc {
    let port = addr.port().to_string();
    Proc::spawn("chat-client", &["--port", &port])
}

/// The conversation the page shows: Bob waits in the room, Ann comes in, they talk, Ann asks
/// who is there and says bye; then Ctrl-C in the server, and Bob gets the goodbye.
#[test]
fn the_pages_conversation_with_lesson_5s_client() {
    let (mut server, addr) = Proc::start_server("poll-chat-server", &[]);
    let mut bob = chat_client(addr);
    bob.write_stdin(b"/nick bob\n");
    bob.wait_for("* you are now bob");
    let mut ann = chat_client(addr);
    bob.wait_for(" joined");
    ann.write_stdin(b"/nick ann\n");
    ann.wait_for("* you are now ann");
    bob.wait_for("is now ann");
    ann.write_stdin(b"hello bob\n");
    bob.wait_for("ann: hello bob");
    bob.write_stdin("hi ann! 你好\n".as_bytes());
    ann.wait_for("bob: hi ann! 你好");
    ann.write_stdin(b"/who\n");
    ann.wait_for("* in the room (2): bob, ann");
    ann.write_stdin(b"bye\n");
    let ann = ann.wait_for_exit();
    assert_eq!(ann.code(), Some(0), "{ann:?}");
    bob.wait_for("* ann left");
    server.wait_for("client ann left");
    // Bob is still in the room: Ctrl-C wakes the loop, which says goodbye to him.
    server.interrupt();
    let bob = bob.wait_for_exit();
    assert_eq!(bob.code(), Some(0), "{bob:?}");
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");

    let shown = |text: &str| mask_ports(text, addr.port(), LESSON_PORT);
    let client = "$ cargo run -p chat-client -- --port 9005";
    check_transcript(PAGE, "bob", &shown(&format!("{client}\n{}", bob.stdout)));
    check_transcript(PAGE, "ann", &shown(&format!("{client}\n{}", ann.stdout)));
    let log = stopped
        .stdout
        .replace("server stopped\n", "^C\nserver stopped\n");
    check_transcript(
        PAGE,
        "server",
        &shown(&format!("$ cargo run -p poll-chat-server\n{log}")),
    );
}

/// The `Threads:` line of `/proc/PID/status`, as `grep Threads` prints it.
fn threads_line(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    status
        .lines()
        .find(|line| line.starts_with("Threads:"))
        .expect("a Threads: line")
        .to_string()
}

/// What the page's "Try this" shows: 200 clients in the room, and still the same three
/// threads (the loop, the Ctrl-C handler's, the log writer's).
#[test]
fn the_pages_thread_count_with_200_clients() {
    if !has_proc() {
        return; // /proc is Linux's
    }
    let (server, addr) = Proc::start_server("poll-chat-server", &["--quiet"]);
    let mut clients: Vec<LineClient> = Vec::new();
    for _ in 0..200 {
        let mut client = LineClient::connect(addr);
        client.until("欢迎来到聊天室!");
        clients.push(client);
    }
    // The last one's welcome came after everybody else had joined.
    let last = clients.len() - 1;
    clients[last].line(); // "* you are ...": the server has handled every join by now
    let line = threads_line(server.pid());
    check_transcript(
        PAGE,
        "threads",
        &format!("$ grep Threads /proc/$(pgrep -f debug/poll-chat-server)/status\n{line}"),
    );
}

#[test]
fn the_byte_count_is_masked_and_nothing_else() {
    assert_eq!(
        mask_byte_count("the kernel took 4196352 bytes, then WouldBlock"),
        "the kernel took N bytes, then WouldBlock"
    );
    assert_eq!(mask_byte_count("nothing to mask"), "nothing to mask");
}
