//! End-to-end tests of chat-client: the real client with piped input, against the real
//! chat-server (watched from inside the room by a raw socket) or a fake server.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::thread;

use testkit::{
    LineClient, Proc, check_help, check_refused, check_transcript, check_unknown_host, mask_ports,
    run,
};

const WELCOME: &str = "欢迎来到聊天室!";

fn start_server(args: &[&str]) -> (Proc, SocketAddr) {
    Proc::start_server("chat-server", args)
}

/// The chat-client arguments for a server at `addr`.
fn client_args(addr: SocketAddr, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["--port".to_string(), addr.port().to_string()];
    args.extend(extra.iter().map(|arg| arg.to_string()));
    args
}

/// Starts chat-client with its input left open, so it stays until the test says.
fn spawn_client(addr: SocketAddr, extra: &[&str]) -> Proc {
    let args = client_args(addr, extra);
    Proc::spawn(
        "chat-client",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    )
}

/// A raw member of the room, to see what the client's lines look like to the others.
fn watcher(addr: SocketAddr) -> LineClient {
    let mut watcher = LineClient::connect(addr);
    assert_eq!(watcher.line(), WELCOME);
    assert!(watcher.line().starts_with("* you are "));
    watcher
}

/// The name the room gave the client: the address in its `* ... joined` notice.
fn joined_name(line: &str) -> String {
    line.strip_prefix("* ")
        .and_then(|rest| rest.strip_suffix(" joined"))
        .unwrap_or_else(|| panic!("not a join notice: {line:?}"))
        .to_string()
}

#[test]
fn piped_lines_reach_the_room_and_q_leaves_without_sending() {
    let (_server, addr) = start_server(&[]);
    let mut room = watcher(addr);
    let args = client_args(addr, &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let session = run(
        "chat-client",
        &args,
        "/nick ann\nhello, 你好\n\nq\nnever sent\n".as_bytes(),
    );
    assert_eq!(session.code(), Some(0), "{session:?}");
    // q leaves at once: what the server said meanwhile may or may not have been printed.
    assert!(
        session
            .stdout
            .starts_with(&format!("connected to {addr}\n")),
        "{}",
        session.stdout
    );

    let name = joined_name(&room.line());
    assert_eq!(room.line(), format!("* {name} is now ann"));
    assert_eq!(room.line(), "ann: hello, 你好");
    assert_eq!(room.line(), "* ann left"); // "never sent" was not
}

#[test]
fn bye_is_sent_and_then_the_client_leaves() {
    let (_server, addr) = start_server(&[]);
    let mut room = watcher(addr);
    let args = client_args(addr, &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let session = run("chat-client", &args, b"hello\nBye\nafter bye\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    let name = joined_name(&room.line());
    assert_eq!(room.line(), format!("{name}: hello"));
    assert_eq!(room.line(), format!("{name}: Bye"));
    assert_eq!(room.line(), format!("* {name} left"));
}

#[test]
fn lines_from_the_room_show_up_while_the_client_waits_for_input() {
    // The tutorial's client would print nothing until its user sent a line.
    let (_server, addr) = start_server(&[]);
    let mut room = watcher(addr);
    let mut client = spawn_client(addr, &[]);
    client.wait_for("* you are ");
    let name = joined_name(&room.line());
    room.send("is anybody there?");
    let watcher_line = client.wait_for("is anybody there?");
    assert!(
        watcher_line.ends_with(": is anybody there?"),
        "{watcher_line}"
    );

    client.write_stdin(b"yes, me\n");
    assert_eq!(room.line(), format!("{name}: yes, me"));
    client.write_stdin(b"q\n");
    let finished = client.finish();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
}

#[test]
fn after_the_end_of_input_the_client_keeps_listening_until_the_server_closes() {
    let (server, addr) = start_server(&[]);
    let mut room = watcher(addr);
    // A long linger: the test ends it early by stopping the server.
    let mut client = spawn_client(addr, &["--linger", "60"]);
    client.write_stdin(b"hello\n");
    client.close_stdin();
    let name = joined_name(&room.line());
    assert_eq!(room.line(), format!("{name}: hello"));
    room.send("hello back");
    client.wait_for("hello back");
    server.interrupt();
    let finished = client.finish();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    assert!(
        finished
            .stdout
            .ends_with("* the server is shutting down, goodbye\n"),
        "{}",
        finished.stdout
    );
}

#[test]
fn a_refusal_is_shown_and_the_client_exits_1() {
    let (_server, addr) = start_server(&["--max-clients", "1"]);
    let _only = watcher(addr);
    let client = spawn_client(addr, &[]); // its input stays open: it still has things to say
    let finished = client.wait_for_exit();
    assert_eq!(finished.code(), Some(1), "{finished:?}");
    assert_eq!(
        finished.stdout,
        format!("connected to {addr}\n! the room is full (1 clients), try again later\n")
    );
    assert_eq!(finished.stderr, "error: the server closed the connection\n");
}

#[test]
fn bytes_that_are_not_utf8_and_endless_lines_from_a_server_do_no_harm() {
    // A fake server: not everything a client meets is well-behaved.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let fake = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream.write_all(b"caf\xe9\n").expect("send");
        stream
            .write_all(&vec![b'x'; 2 * 1024 * 1024])
            .expect("send");
        stream.write_all(b"\nstill fine\n").expect("send");
    }); // and closes the connection
    let args = client_args(addr, &["--linger", "60"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let session = run("chat-client", &args, b"");
    fake.join().expect("fake server");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!(
            "connected to {addr}\ncaf\u{fffd}\n(a line longer than 1 MiB, skipped)\nstill fine\n"
        )
    );
}

#[test]
fn no_server_gets_exit_code_4_and_the_command_to_start_one() {
    let as_seen = check_refused("chat-client", "chat-server", 9003);
    check_transcript("docs/en/05-chat.md", "refused", &as_seen);
}

#[test]
fn an_unknown_host_gets_exit_code_5() {
    check_unknown_host("chat-client");
}

#[test]
fn help_shows_the_options() {
    check_help("chat-client", &["--linger"]);
}

/// The conversation the lesson page shows: Bob waits in the room, Ann comes in, they talk,
/// Ann asks who is there and says bye, Bob quits, the server is stopped.
#[test]
fn the_pages_conversation() {
    let (mut server, addr) = start_server(&[]);
    let mut bob = spawn_client(addr, &[]);
    bob.write_stdin(b"/nick bob\n");
    bob.wait_for("* you are now bob");
    let mut ann = spawn_client(addr, &[]);
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
    bob.write_stdin(b"q\n");
    let bob = bob.finish();
    assert_eq!(bob.code(), Some(0), "{bob:?}");
    server.wait_for("client bob left");
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");

    let shown = |text: &str| mask_ports(text, addr.port(), 9003);
    let page = "docs/en/05-chat.md";
    check_transcript(
        page,
        "bob",
        &shown(&format!("$ cargo run -p chat-client\n{}", bob.stdout)),
    );
    check_transcript(
        page,
        "ann",
        &shown(&format!("$ cargo run -p chat-client\n{}", ann.stdout)),
    );
    let log = stopped
        .stdout
        .replace("server stopped\n", "^C\nserver stopped");
    check_transcript(
        page,
        "server",
        &shown(&format!("$ cargo run -p chat-server\n{log}")),
    );
}

#[test]
fn the_servers_goodbye_is_an_orderly_end_and_the_client_exits_0() {
    let (server, addr) = start_server(&[]);
    let mut client = spawn_client(addr, &[]); // its input stays open: a person still typing
    client.wait_for("* you are ");
    server.interrupt();
    client.wait_for("* the server is shutting down, goodbye");
    let finished = client.wait_for_exit();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    assert!(finished.stderr.is_empty(), "{finished:?}");
}

#[test]
fn escape_sequences_from_the_server_are_shown_not_obeyed() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let fake = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        // Clear the screen, set the window title, ring the bell, reverse the text.
        let hostile = "\x1b[2J\x1b]0;owned\x07 \u{202e}txet\n";
        stream.write_all(hostile.as_bytes()).expect("send");
    });
    let args = client_args(addr, &["--linger", "60"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let session = run("chat-client", &args, b"");
    fake.join().expect("fake server");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout.lines().nth(1),
        Some(r"\u{1b}[2J\u{1b}]0;owned\u{7} \u{202e}txet")
    );
}

#[test]
fn a_huge_piped_input_is_not_read_ahead_of_what_the_server_takes() {
    // A server that lets the client in and then never reads a byte.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let (held, hold) = std::sync::mpsc::channel::<()>();
    thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let _ = hold.recv(); // keeps the connection open until the test ends
        drop(stream);
    });
    let mut client = spawn_client(addr, &[]);
    client.wait_for("connected to ");
    let pid = client.pid();
    // 400 MB of lines, written from a thread: it blocks once nobody takes more.
    let mut stdin = client.take_stdin();
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&written);
    thread::spawn(move || {
        let chunk = "a line that nobody reads\n".repeat(40_000); // 1 MB
        for _ in 0..400 {
            if stdin.write_all(chunk.as_bytes()).is_err() {
                return;
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    // Polls the client's memory for two seconds (a bounded loop, not a wait for an event):
    // without a limit, its input thread would have read hundreds of megabytes by then.
    let mut most_kib = 0;
    for _ in 0..40 {
        if !testkit::has_proc() {
            return;
        }
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        let rss_kib: usize = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .expect("VmRSS");
        most_kib = most_kib.max(rss_kib);
        thread::sleep(std::time::Duration::from_millis(50));
    }
    let megabytes = written.load(std::sync::atomic::Ordering::SeqCst);
    assert!(megabytes < 100, "the client took {megabytes} MB of input");
    assert!(most_kib < 64 * 1024, "the client grew to {most_kib} KiB");
    drop(held);
}
