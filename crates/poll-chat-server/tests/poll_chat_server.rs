//! End-to-end tests of poll-chat-server: the real binary on a free port, driven by raw sockets
//! and by lesson 5's chat-client. The room's scenarios are chat-server's (lesson 5), run
//! against the one-thread server; then what only this server promises: one thread, however
//! many clients.

use std::io::{ErrorKind, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{
    DEADLINE, LineClient, Proc, can_run, check_help, check_port_in_use, check_unknown_host,
    has_proc, run,
};

const WELCOME: &str = "欢迎来到聊天室!";

fn start(args: &[&str]) -> (Proc, SocketAddr) {
    Proc::start_server("poll-chat-server", args)
}

/// A client in the room, seen from the inside: its connection and the name the room gave it.
/// (The same helper as chat-server's tests: a candidate for testkit.)
struct Member {
    client: LineClient,
    name: String,
}

impl Member {
    /// Connects, checks the welcome line and learns the name from the line after it.
    fn join(addr: SocketAddr) -> Member {
        let mut client = LineClient::connect(addr);
        assert_eq!(client.line(), WELCOME);
        let intro = client.line();
        let name = intro
            .strip_prefix("* you are ")
            .and_then(|rest| rest.split_once(';'))
            .map(|(name, _)| name.to_string())
            .unwrap_or_else(|| panic!("no name in {intro:?}"));
        Member { client, name }
    }

    fn say(&mut self, line: &str) {
        self.client.send(line);
    }

    fn hears(&mut self, wanted: &str) {
        assert_eq!(
            self.client.line(),
            wanted,
            "{} heard something else",
            self.name
        );
    }

    /// Asks `/who`; returns what this member heard before the answer, and the answer.
    fn who(&mut self) -> (Vec<String>, String) {
        self.say("/who");
        let mut before = Vec::new();
        loop {
            let line = self.client.line();
            if line.starts_with("* in the room (") {
                return (before, line);
            }
            before.push(line);
        }
    }
}

/// A room of `n` members, each having heard the others join.
fn room(addr: SocketAddr, n: usize) -> Vec<Member> {
    let mut members: Vec<Member> = Vec::new();
    for _ in 0..n {
        let newcomer = Member::join(addr);
        for member in &mut members {
            member.hears(&format!("* {} joined", newcomer.name));
        }
        members.push(newcomer);
    }
    members
}

/// The number of threads of process `pid`, from `/proc/PID/status`.
fn threads(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|count| count.trim().parse().ok())
        .expect("a Threads: line")
}

#[test]
fn three_clients_hear_each_other_and_never_themselves() {
    let (mut server, addr) = start(&[]);
    let mut members = room(addr, 3);
    for speaker in 0..3 {
        let text = format!("hello from number {speaker}");
        members[speaker].say(&text);
        let said = format!("{}: {text}", members[speaker].name);
        for (index, member) in members.iter_mut().enumerate() {
            if index != speaker {
                member.hears(&said);
            }
        }
    }
    for member in &mut members {
        let (before, who) = member.who();
        assert!(before.is_empty(), "{} heard {before:?}", member.name);
        assert!(who.starts_with("* in the room (3): "), "{who}");
    }
    server.wait_for("received from");
}

#[test]
fn joins_names_who_and_leaves_are_announced() {
    let (mut server, addr) = start(&[]);
    let [mut ann, mut bob] = room(addr, 2).try_into().ok().expect("two members");
    ann.say("/nick ann");
    ann.hears("* you are now ann");
    bob.hears(&format!("* {} is now ann", ann.name));
    server.wait_for(&format!("{} is now ann", ann.name));

    bob.say("/nick ann");
    bob.hears("! the name ann is taken, or looks like one that is");
    bob.say("/nick two words");
    bob.hears("! a name has letters, digits, _ - and . only");
    bob.say("/nick Server");
    bob.hears("! the name Server is kept for the server");
    bob.say("/nick bob");
    bob.hears("* you are now bob");
    ann.hears(&format!("* {} is now bob", bob.name));

    let (_, who) = ann.who();
    assert_eq!(who, "* in the room (2): ann, bob");
    ann.say("/shout hi");
    ann.hears("! unknown command /shout; try /nick NAME or /who");
    ann.say("/nick Ann"); // your own name in another case is yours to take
    ann.hears("* you are now Ann");
    bob.hears("* ann is now Ann");

    drop(bob);
    ann.hears("* bob left");
    server.wait_for("client bob left");
}

#[test]
fn a_client_that_stops_reading_is_cut_off_and_nobody_else_waits() {
    let (mut server, addr) = start(&["--stuck-after", "0.5"]);
    let [mut speaker, mut listener, stuck] = room(addr, 3).try_into().ok().expect("three");
    let stuck_name = stuck.name.clone();
    let listener_name = listener.name.clone();

    // 20 MB in all, far more than the stuck client's socket buffers and its buffer in the
    // server hold. The speaker waits for the listener to hear each batch before it sends the
    // next, so the listener is never the slow one: only the stuck client falls behind.
    const BATCHES: usize = 250;
    const BATCH: usize = 20;
    let long_text = "x".repeat(4000);
    let cut_off = format!("* {stuck_name} was cut off: it stopped reading");
    let (heard, progress) = mpsc::channel();
    let listening = thread::spawn({
        let expected = format!("{}: {long_text}", speaker.name);
        let cut_off = cut_off.clone();
        move || {
            let mut notices = Vec::new();
            for _ in 0..BATCHES {
                let mut lines = 0;
                while lines < BATCH {
                    let line = listener.client.line();
                    if line == expected {
                        lines += 1;
                    } else {
                        notices.push(line);
                    }
                }
                heard.send(()).expect("the speaker waits");
            }
            if !notices.contains(&cut_off) {
                listener.hears(&cut_off);
            }
            (notices, listener)
        }
    });
    for _ in 0..BATCHES {
        for _ in 0..BATCH {
            speaker.say(&long_text);
        }
        progress.recv().expect("the listener heard the batch");
    }
    let (notices, _listener) = listening.join().expect("the listener heard every line");
    assert!(notices.iter().all(|line| *line == cut_off), "{notices:?}");
    speaker.hears(&cut_off);
    server.wait_for(&format!(
        "client {stuck_name} cut off: took nothing for 0.5 s"
    ));

    let mut stuck = stuck;
    stuck.client.until_closed();
    let (_, who) = speaker.who();
    assert_eq!(
        who,
        format!("* in the room (2): {}, {listener_name}", speaker.name)
    );
}

#[test]
fn a_huge_paste_reaches_every_steady_reader_and_nobody_is_cut_off() {
    // 6 MB: more than the socket buffers between the server and a reader hold, and more
    // than the high-water mark. The server must slow the paster down, not cut a reader off.
    let (server, addr) = start(&["--quiet"]);
    let [mut paster, steady, slow] = room(addr, 3).try_into().ok().expect("three");
    const LINES: usize = 60_000; // 6 MB
    let pasted: String = (0..LINES)
        .map(|n| format!("pasted line {n:05} {}\n", "x".repeat(80)))
        .collect();
    let expect =
        |name: String| move |n: usize| format!("{name}: pasted line {n:05} {}", "x".repeat(80));
    let readers: Vec<_> = [(steady, 0), (slow, 50)]
        .into_iter()
        .map(|(mut member, nap_ms)| {
            let wanted = expect(paster.name.clone());
            thread::spawn(move || {
                for n in 0..LINES {
                    member.hears(&wanted(n));
                    if nap_ms > 0 && n % 1000 == 0 {
                        thread::sleep(Duration::from_millis(nap_ms)); // pacing, not waiting for anything
                    }
                }
                member
            })
        })
        .collect();
    paster.client.send_bytes(pasted.as_bytes());
    let mut members: Vec<Member> = readers
        .into_iter()
        .map(|reader| {
            reader
                .join()
                .expect("every line, in order, and nothing else")
        })
        .collect();
    let (heard, who) = paster.who();
    assert!(heard.is_empty(), "{heard:?}");
    assert!(who.starts_with("* in the room (3): "), "{who}");
    for member in &mut members {
        let (heard, _) = member.who();
        assert!(heard.is_empty(), "{} heard {heard:?}", member.name);
    }
    server.interrupt();
    let finished = server.finish();
    assert!(!finished.stdout.contains("cut off"), "{finished:?}");
}

#[test]
fn a_flooder_is_slowed_down_by_tcp_while_a_member_is_stuck() {
    // While the stuck member's buffer is over the high-water mark, the server reads from
    // nobody: the flooder's bytes wait in the kernel, then its own writes stop going through.
    let (server, addr) = start(&["--quiet", "--stuck-after", "60"]);
    let [flooder, _stuck] = room(addr, 2).try_into().ok().expect("two");
    let stream = flooder.client.stream();
    stream
        .set_write_timeout(Some(Duration::from_millis(500)))
        .expect("write time-out");
    let line = format!("{}\n", "y".repeat(1000));
    let started = Instant::now();
    let mut sent = 0usize;
    let blocked = loop {
        assert!(
            sent < 1_000_000_000 && started.elapsed() < DEADLINE,
            "sent {sent} bytes and the server still read them"
        );
        match (&*stream).write(line.as_bytes()) {
            Ok(count) => sent += count,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break sent;
            }
            Err(error) => panic!("the connection broke: {error}"),
        }
    };
    // The stuck member's kernel buffers and its 256 KiB in the server, the flooder's kernel
    // buffers: megabytes, not gigabytes.
    assert!(
        blocked < 200_000_000,
        "{blocked} bytes before TCP held the flooder back"
    );
    drop(flooder);
    server.interrupt();
    let finished = server.finish();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
}

#[test]
fn one_thread_serves_every_client() {
    if !has_proc() {
        return;
    }
    let (server, addr) = start(&["--quiet"]);
    let first = Member::join(addr);
    let with_one = threads(server.pid());
    let mut members = vec![first];
    members.extend((0..199).map(|_| Member::join(addr)));
    let last = members.len() - 1;
    members[last].say("hello, everybody");
    let said = format!("{}: hello, everybody", members[last].name);
    members[0].client.until(&said);
    let with_200 = threads(server.pid());
    assert_eq!(
        with_one, with_200,
        "threads with 1 client: {with_one}, with 200: {with_200}"
    );
    // main (the loop), the Ctrl-C handler's thread, the log writer's thread.
    assert!(
        can_run("proc", with_200 <= 3, "more threads than expected"),
        "{with_200} threads"
    );
}

#[test]
fn a_thousand_clients_at_once() {
    let (_server, addr) = start(&["--quiet"]);
    let mut members: Vec<Member> = (0..1000).map(|_| Member::join(addr)).collect();
    let last = members.len() - 1;
    let said = format!("{}: hello, everybody", members[last].name);
    members[last].say("hello, everybody");
    for member in &mut members[..last] {
        let before = member.client.until(&said);
        assert!(
            before.iter().all(|line| line.ends_with(" joined")),
            "{before:?}"
        );
    }
    let (_, who) = members[0].who();
    assert!(who.starts_with("* in the room (1000): "), "{who}");
}

#[test]
fn an_over_long_line_is_refused_to_its_sender_only() {
    let (mut server, addr) = start(&["--max-line", "10"]);
    let [mut ann, mut bob] = room(addr, 2).try_into().ok().expect("two members");
    ann.say("0123456789");
    bob.hears(&format!("{}: 0123456789", ann.name));
    ann.say("0123456789A");
    ann.hears("! that line was longer than 10 bytes; nobody got it, send it in shorter lines");
    server.wait_for("a line longer than 10 bytes, refused");
    ann.say("short");
    bob.hears(&format!("{}: short", ann.name));
}

#[test]
fn an_endless_line_without_a_newline_costs_nothing_and_is_refused_at_its_end() {
    let (_server, addr) = start(&[]);
    let [mut ann, mut bob] = room(addr, 2).try_into().ok().expect("two members");
    ann.client.send_bytes(&vec![b'z'; 20_000_000]);
    ann.client.send_bytes(b"\nafter\n");
    ann.hears("! that line was longer than 4096 bytes; nobody got it, send it in shorter lines");
    bob.hears(&format!("{}: after", ann.name));
}

#[test]
fn a_line_before_an_over_long_one_in_the_same_read_is_not_held_back() {
    let (_server, addr) = start(&["--max-line", "10"]);
    let [mut ann, mut bob] = room(addr, 2).try_into().ok().expect("two members");
    ann.client
        .send_bytes(format!("hi\n{}\n", "x".repeat(20)).as_bytes());
    bob.hears(&format!("{}: hi", ann.name));
    ann.hears("! that line was longer than 10 bytes; nobody got it, send it in shorter lines");
}

#[test]
fn bytes_that_are_not_utf8_or_are_control_characters_become_replacement_characters() {
    let (mut server, addr) = start(&[]);
    let [mut ann, mut bob] = room(addr, 2).try_into().ok().expect("two members");
    ann.client.send_bytes(b"caf\xe9 \x1b[2J ok\r\n");
    bob.hears(&format!("{}: caf\u{fffd} \u{fffd}[2J ok", ann.name));
    ann.say("look \u{202e}txet");
    bob.hears(&format!("{}: look \u{fffd}txet", ann.name));
    server.wait_for("received from");
}

#[test]
fn names_that_look_alike_are_refused() {
    let (_server, addr) = start(&[]);
    let [mut ann, mut bob] = room(addr, 2).try_into().ok().expect("two members");
    ann.say("/nick ann");
    ann.hears("* you are now ann");
    bob.hears(&format!("* {} is now ann", ann.name));
    for lookalike in ["Ann", "аnn"] {
        bob.say(&format!("/nick {lookalike}"));
        bob.hears(&format!(
            "! the name {lookalike} is taken, or looks like one that is"
        ));
    }
}

#[test]
fn a_client_that_vanishes_mid_line_still_has_its_words_delivered() {
    let (mut server, addr) = start(&[]);
    let [ann, mut bob] = room(addr, 2).try_into().ok().expect("two members");
    let mut ann = ann;
    ann.client.send_bytes(b"half a li");
    let name = ann.name.clone();
    drop(ann);
    bob.hears(&format!("{name}: half a li"));
    bob.hears(&format!("* {name} left"));
    server.wait_for(&format!("client {name} left"));
    let carol = Member::join(addr);
    bob.hears(&format!("* {} joined", carol.name));
}

#[test]
fn a_client_that_resets_its_connection_leaves_with_a_reason() {
    let (mut server, addr) = start(&[]);
    let mut bob = Member::join(addr);
    testkit::vanish_mid_message(&mut server, addr);
    let joined = bob.client.line();
    let rude = joined.strip_suffix(" joined").expect("a join notice");
    bob.client.until(&format!("{rude} left"));
}

#[test]
fn the_client_after_max_clients_is_refused_with_a_line() {
    let (mut server, addr) = start(&["--max-clients", "2"]);
    let mut members = room(addr, 2);
    let mut third = LineClient::connect(addr);
    assert_eq!(
        third.until_closed(),
        ["! the room is full (2 clients), try again later"]
    );
    server.wait_for("the room is full");
    let gone = members.pop().expect("member");
    let gone_name = gone.name.clone();
    drop(gone);
    members[0].hears(&format!("* {gone_name} left"));
    let fourth = Member::join(addr);
    members[0].hears(&format!("* {} joined", fourth.name));
}

#[test]
fn ctrl_c_says_goodbye_to_every_client_and_exits_0() {
    let (mut server, addr) = start(&[]);
    let mut members = room(addr, 3);
    // One more connects, and never reads or closes: it must not hold the server up for long.
    let _stuck = LineClient::connect(addr);
    server.wait_for("connected from");
    server.interrupt();
    for member in &mut members {
        let rest = member.client.until_closed();
        assert_eq!(
            rest.last().map(String::as_str),
            Some("* the server is shutting down, goodbye")
        );
    }
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(
        stopped.stdout.ends_with("server stopped\n"),
        "{}",
        stopped.stdout
    );
    assert!(!stopped.stdout.contains(" left"), "{}", stopped.stdout);
}

#[test]
fn ctrl_c_with_a_member_that_never_reads_a_full_buffer_stops_after_the_grace() {
    // The stuck member is never cut off (--stuck-after 60): its buffers are full when Ctrl-C
    // comes, so its goodbye can never be written. The server still stops, after 2 s.
    let (mut server, addr) = start(&["--quiet", "--stuck-after", "60"]);
    let [mut flooder, stuck] = room(addr, 2).try_into().ok().expect("two");
    let stream = flooder.client.stream();
    stream
        .set_write_timeout(Some(Duration::from_millis(300)))
        .expect("write time-out");
    let line = format!("{}\n", "y".repeat(1000));
    let started = Instant::now();
    while started.elapsed() < DEADLINE {
        if (&*stream).write(line.as_bytes()).is_err() {
            break; // the server stopped reading: the stuck member's buffer is over the mark
        }
    }
    let stopping = Instant::now();
    server.terminate(); // SIGTERM, as `kill` sends: the same as Ctrl-C
    server.wait_for("server stopped");
    let stopped = server.wait_for_exit();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    let took = stopping.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "{took:?}"
    );
    drop(stuck);
    let rest = flooder.client.until_closed();
    assert_eq!(rest, ["* the server is shutting down, goodbye"]);
}

#[test]
fn ctrl_c_with_nobody_there_stops_at_once() {
    let (server, _addr) = start(&[]);
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0));
    assert!(stopped.stdout.ends_with("server stopped\n"));
}

#[test]
fn a_port_in_use_gets_one_friendly_line_and_exit_code_3() {
    let (_server, addr) = start(&[]);
    check_port_in_use("poll-chat-server", addr.port());
}

#[test]
fn an_unknown_host_gets_exit_code_5() {
    check_unknown_host("poll-chat-server");
}

#[test]
fn help_shows_the_options() {
    check_help(
        "poll-chat-server",
        &[
            "--welcome",
            "--max-line",
            "--max-clients",
            "--stuck-after",
            "--pause",
            "--quiet",
        ],
    );
}

#[test]
fn the_welcome_line_can_be_changed() {
    let (_server, addr) = start(&["--welcome", "hi there"]);
    let mut client = LineClient::connect(addr);
    assert_eq!(client.line(), "hi there");
}

#[test]
fn quiet_logs_no_line_per_message_but_the_room_still_talks() {
    let finished = testkit::run_quiet("poll-chat-server", &[], |addr| {
        let mut alice = Member::join(addr);
        let mut bob = Member::join(addr);
        alice.say("hello");
        bob.hears(&format!("{}: hello", alice.name));
    });
    assert!(
        finished.stdout.contains("connected from 127.0.0.1:"),
        "{finished:?}"
    );
    assert!(!finished.stdout.contains("received"), "{finished:?}");
}

#[test]
fn lesson_5s_chat_client_works_with_it() {
    let (_server, addr) = start(&[]);
    let mut watcher = Member::join(addr);
    let port = addr.port().to_string();
    let session = run(
        "chat-client",
        &["--port", &port],
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
    let joined = watcher.client.line();
    let name = joined
        .strip_prefix("* ")
        .and_then(|rest| rest.strip_suffix(" joined"))
        .unwrap_or_else(|| panic!("not a join: {joined:?}"))
        .to_string();
    watcher.hears(&format!("* {name} is now ann"));
    watcher.hears("ann: hello, 你好");
    watcher.hears("* ann left");
}
