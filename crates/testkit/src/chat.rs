//! The chat room's end-to-end scenarios, written once for the two servers that keep the room's
//! rules (`common::chat`): `chat-server` (lesson 5, a thread per client) and
//! `poll-chat-server` (one thread for every client, with mio).
//!
//! Each scenario is a function that takes the server's package name, starts the real binary
//! on a free port and drives it with raw sockets, as [`Member`]s of the room. Each server's
//! test file calls every scenario from a `#[test]` of the same name, so that
//! `cargo test -p chat-server` and `cargo test -p poll-chat-server` each run all of them
//! against their own binary, and the list of tests reads as the list of what the room
//! promises. Where the servers differ, the scenario takes the difference as a parameter and
//! says why.
//!
//! What members hear is built with `common::chat`'s own lines (`said`, `joined`, `who` ...):
//! the scenarios check that each server says the room's lines at the right moments and to the
//! right members; the wording of each line is checked once, by `common::chat`'s unit tests.

use std::io::{ErrorKind, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::chat::{self, GOODBYE, MAX_LINE, Refused, WELCOME};

use crate::{
    DEADLINE, LineClient, Proc, assert_stopped_cleanly, check_help, check_port_in_use, run,
    run_quiet, vanish_mid_message,
};

/// A line as a [`LineClient`] returns it: `common::chat` makes each line ready to send, with
/// its `\n`.
pub fn unsent(line: &str) -> &str {
    line.strip_suffix('\n').unwrap_or(line)
}

/// A client in the room, seen from the inside: its connection and the name the room gave it.
pub struct Member {
    pub client: LineClient,
    pub name: String,
}

impl Member {
    /// Connects to a server started with the default welcome, checks the greeting and learns
    /// the name the room gave this member.
    pub fn join(addr: SocketAddr) -> Member {
        Member::join_welcomed(addr, WELCOME)
    }

    /// Connects, checks that the greeting starts with `welcome` (what `--welcome` set), and
    /// learns the name from the line after it.
    pub fn join_welcomed(addr: SocketAddr, welcome: &str) -> Member {
        let mut client = LineClient::connect(addr);
        assert_eq!(client.line(), welcome);
        let intro = client.line();
        let name = intro
            .strip_prefix("* you are ")
            .and_then(|rest| rest.split_once(';'))
            .map(|(name, _)| name.to_string())
            .unwrap_or_else(|| panic!("no name in {intro:?}"));
        assert_eq!(
            format!("{welcome}\n{intro}\n"),
            chat::greeting(welcome, &name)
        );
        Member { client, name }
    }

    /// Sends `line` and its `\n`.
    pub fn say(&mut self, line: &str) {
        self.client.send(line);
    }

    /// Checks that the next line this member hears is `wanted` (with or without its `\n`, so
    /// `common::chat`'s lines can be passed as they are).
    pub fn hears(&mut self, wanted: &str) {
        assert_eq!(
            self.client.line(),
            unsent(wanted),
            "{} heard something else",
            self.name
        );
    }

    /// Asks `/who`; returns what this member heard before the answer, and the answer. Each
    /// connection keeps its order, so what came before shows what the member had not read yet.
    pub fn who(&mut self) -> (Vec<String>, String) {
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
pub fn room(addr: SocketAddr, n: usize) -> Vec<Member> {
    let mut members: Vec<Member> = Vec::new();
    for _ in 0..n {
        let newcomer = Member::join(addr);
        for member in &mut members {
            member.hears(&chat::joined(&newcomer.name));
        }
        members.push(newcomer);
    }
    members
}

/// The name in a `* NAME joined` notice: how a member learns the name the room gave a
/// client it did not start itself.
pub fn joined_name(notice: &str) -> String {
    notice
        .strip_prefix("* ")
        .and_then(|rest| rest.strip_suffix(" joined"))
        .unwrap_or_else(|| panic!("not a join notice: {notice:?}"))
        .to_string()
}

/// A room of exactly `N` members, to name each: `let [ann, bob] = members(addr);`.
fn members<const N: usize>(addr: SocketAddr) -> [Member; N] {
    room(addr, N)
        .try_into()
        .ok()
        .expect("as many members as asked for")
}

// ---------------------------------------------------------------------------------------------
// Talking

/// Every line a member says reaches every other member, and never comes back to its sender.
pub fn three_clients_hear_each_other_and_never_themselves(package: &str) {
    let (mut server, addr) = Proc::start_server(package, &[]);
    let mut members = room(addr, 3);
    for speaker in 0..3 {
        let text = format!("hello from number {speaker}");
        members[speaker].say(&text);
        let said = chat::said(&members[speaker].name, &text);
        for (index, member) in members.iter_mut().enumerate() {
            if index != speaker {
                member.hears(&said);
            }
        }
    }
    // Had anybody heard their own line, it would come before the answer to /who.
    for member in &mut members {
        let (before, who) = member.who();
        assert!(before.is_empty(), "{} heard {before:?}", member.name);
        assert!(who.starts_with("* in the room (3): "), "{who}");
    }
    server.wait_for("received from");
}

/// Joins, new names and leaves are announced to the others; `/nick` refuses a taken name, a
/// name with a space and the server's name, each with a line to the one who asked; your own
/// name in another case is yours; `/who` lists the room; an unknown command gets a hint.
pub fn joins_names_who_and_leaves_are_announced(package: &str) {
    let (mut server, addr) = Proc::start_server(package, &[]);
    let [mut ann, mut bob] = members(addr);
    ann.say("/nick ann");
    ann.hears(&chat::you_are_now("ann"));
    bob.hears(&chat::renamed(&ann.name, "ann"));
    server.wait_for(&format!("{} is now ann", ann.name));

    bob.say("/nick ann");
    bob.hears(&taken("ann"));
    bob.say("/nick two words");
    bob.hears(&chat::problem("a name has letters, digits, _ - and . only"));
    bob.say("/nick Server");
    bob.hears(&chat::problem("the name Server is kept for the server"));
    bob.say("/nick bob");
    bob.hears(&chat::you_are_now("bob"));
    ann.hears(&chat::renamed(&bob.name, "bob"));

    let (_, who) = ann.who();
    assert_eq!(who, unsent(&chat::who(["ann", "bob"])));
    ann.say("/shout hi");
    ann.hears(&chat::unknown_command("/shout"));
    ann.say("/nick Ann"); // your own name in another case is yours to take
    ann.hears(&chat::you_are_now("Ann"));
    bob.hears(&chat::renamed("ann", "Ann"));

    drop(bob);
    ann.hears(&chat::left("bob"));
    server.wait_for("client bob left");
}

/// What `/nick` answers when `name` is taken or looks like a name that is.
fn taken(name: &str) -> String {
    chat::problem(&format!(
        "the name {name} is taken, or looks like one that is"
    ))
}

/// Nobody can pass for somebody else: a name that differs from another member's only in case
/// or in look-alike letters (a Cyrillic `а`) is refused, and so is anything that looks like
/// `server`.
pub fn names_that_differ_in_case_or_look_alike_or_pass_for_the_server_are_refused(package: &str) {
    let (_server, addr) = Proc::start_server(package, &[]);
    let [mut ann, mut bob] = members(addr);
    ann.say("/nick ann");
    ann.hears(&chat::you_are_now("ann"));
    bob.hears(&chat::renamed(&ann.name, "ann"));
    for lookalike in ["Ann", "аnn"] {
        bob.say(&format!("/nick {lookalike}"));
        bob.hears(&taken(lookalike));
    }
    for server_name in ["Server", "sеrver"] {
        bob.say(&format!("/nick {server_name}"));
        bob.hears(&chat::problem(&format!(
            "the name {server_name} is kept for the server"
        )));
    }
}

/// Bytes that are not UTF-8, terminal escape sequences and direction overrides reach the
/// others as `�`: nobody can crash the server, clear another member's screen or make a line
/// read backwards.
pub fn bytes_that_are_not_utf8_or_are_control_characters_become_replacement_characters(
    package: &str,
) {
    let (mut server, addr) = Proc::start_server(package, &[]);
    let [mut ann, mut bob] = members(addr);
    ann.client.send_bytes(b"caf\xe9 \x1b[2J ok\r\n");
    bob.hears(&chat::said(&ann.name, "caf\u{fffd} \u{fffd}[2J ok"));
    // A right-to-left override would make the rest of the line read backwards.
    ann.say("look \u{202e}txet");
    bob.hears(&chat::said(&ann.name, "look \u{fffd}txet"));
    server.wait_for("received from");
}

/// `--quiet` drops the log line per message (connections are still logged), and the room
/// talks as usual.
pub fn quiet_logs_no_line_per_message_but_the_room_still_talks(package: &str) {
    let finished = run_quiet(package, &[], |addr| {
        let [mut alice, mut bob] = members(addr);
        alice.say("hello");
        bob.hears(&chat::said(&alice.name, "hello"));
    });
    assert!(
        finished.stdout.contains("connected from 127.0.0.1:"),
        "{finished:?}"
    );
    assert!(!finished.stdout.contains("received"), "{finished:?}");
}

/// `--welcome` changes the first line every client gets; the rest of the greeting stays.
pub fn the_welcome_line_can_be_changed(package: &str) {
    let (_server, addr) = Proc::start_server(package, &["--welcome", "hi there"]);
    Member::join_welcomed(addr, "hi there");
}

// ---------------------------------------------------------------------------------------------
// Long lines

/// A line longer than `--max-line` is refused with a line to its sender, and nobody else gets
/// any of it; the sender's next line goes through.
pub fn an_over_long_line_is_refused_to_its_sender_only(package: &str) {
    let (mut server, addr) = Proc::start_server(package, &["--max-line", "10"]);
    let [mut ann, mut bob] = members(addr);
    ann.say("0123456789"); // 10 bytes: fine
    bob.hears(&chat::said(&ann.name, "0123456789"));
    ann.say("0123456789A");
    ann.hears(&chat::too_long(10));
    server.wait_for("a line longer than 10 bytes, refused");
    ann.say("short");
    bob.hears(&chat::said(&ann.name, "short")); // and not the long line
}

/// A line that never ends (20 MB without a newline) costs the server no memory: it is
/// refused when its newline comes at last, and the next line goes through.
pub fn an_endless_line_without_a_newline_costs_nothing_and_is_refused_at_its_end(package: &str) {
    let (_server, addr) = Proc::start_server(package, &[]);
    let [mut ann, mut bob] = members(addr);
    ann.client.send_bytes(&vec![b'z'; 20_000_000]);
    ann.client.send_bytes(b"\nafter\n");
    ann.hears(&chat::too_long(MAX_LINE));
    bob.hears(&chat::said(&ann.name, "after"));
}

/// A good line that arrives in the same read as an over-long one is delivered at once, not
/// held back until the sender's next line.
pub fn a_line_before_an_over_long_one_in_the_same_read_is_not_held_back(package: &str) {
    let (_server, addr) = Proc::start_server(package, &["--max-line", "10"]);
    let [mut ann, mut bob] = members(addr);
    ann.client
        .send_bytes(format!("hi\n{}\n", "x".repeat(20)).as_bytes());
    bob.hears(&chat::said(&ann.name, "hi")); // now, not with ann's next line
    ann.hears(&chat::too_long(10));
}

// ---------------------------------------------------------------------------------------------
// Leaving

/// A client that goes away in the middle of a line still has that half line delivered, then
/// its leave; the server goes on for the next client.
pub fn a_client_that_vanishes_mid_line_still_has_its_words_delivered(package: &str) {
    let (mut server, addr) = Proc::start_server(package, &[]);
    let [mut ann, mut bob] = members(addr);
    ann.client.send_bytes(b"half a li");
    let name = ann.name.clone();
    drop(ann);
    bob.hears(&chat::said(&name, "half a li"));
    bob.hears(&chat::left(&name));
    server.wait_for(&format!("client {name} left"));
    let carol = Member::join(addr);
    bob.hears(&chat::joined(&carol.name));
}

/// A client that vanishes with a reset (RST) in the middle of a long message leaves like any
/// other: the room hears it left, and the log says why.
pub fn a_client_that_resets_its_connection_leaves_with_a_reason(package: &str) {
    let (mut server, addr) = Proc::start_server(package, &[]);
    let mut bob = Member::join(addr);
    vanish_mid_message(&mut server, addr);
    let rude = joined_name(&bob.client.line());
    bob.client.until(unsent(&chat::left(&rude)));
}

// ---------------------------------------------------------------------------------------------
// Many clients, slow clients

/// `clients` members at once: each hears everybody who joined after it, then the last one's
/// line, and `/who` counts them all.
pub fn many_clients_at_once(package: &str, clients: usize) {
    let (_server, addr) = Proc::start_server(package, &["--quiet"]);
    let mut members: Vec<Member> = (0..clients).map(|_| Member::join(addr)).collect();
    let last = members.len() - 1;
    let said = chat::said(&members[last].name, "hello, everybody");
    members[last].say("hello, everybody");
    for member in &mut members[..last] {
        // Joins of the later members come first; then the line.
        let before = member.client.until(unsent(&said));
        assert!(
            before.iter().all(|line| line.ends_with(" joined")),
            "{before:?}"
        );
    }
    let (_, who) = members[0].who();
    assert!(
        who.starts_with(&format!("* in the room ({clients}): ")),
        "{who}"
    );
}

/// The room has room for `--max-clients`: the next client gets one line saying the room is
/// full and is closed, nobody hears it join, and a place frees up when someone leaves.
pub fn the_client_after_max_clients_is_refused_with_a_line(package: &str) {
    let (mut server, addr) = Proc::start_server(package, &["--max-clients", "2"]);
    let mut members = room(addr, 2);
    let mut third = LineClient::connect(addr);
    let full = chat::problem(&Refused::Full.why(2));
    assert_eq!(third.until_closed(), [unsent(&full)]);
    server.wait_for("the room is full");
    let gone = members.pop().expect("member");
    let gone_name = gone.name.clone();
    drop(gone);
    members[0].hears(&chat::left(&gone_name));
    let fourth = Member::join(addr);
    members[0].hears(&chat::joined(&fourth.name));
}

/// A member that stops reading (a stopped program, a dead laptop) is cut off after
/// `--stuck-after` seconds, the room hears of it, and the members that read never wait for
/// it: the listener gets every line, and the room goes on without the stuck one.
pub fn a_client_that_stops_reading_is_cut_off_and_nobody_else_waits(package: &str) {
    // A short --stuck-after, so the test does not wait 3 s; the kernel's socket buffers still
    // hold megabytes before the stuck client makes anybody wait.
    let (mut server, addr) = Proc::start_server(package, &["--stuck-after", "0.5"]);
    let [mut speaker, mut listener, stuck] = members(addr);
    let stuck_name = stuck.name.clone();
    let listener_name = listener.name.clone();

    // 20 MB in all, far more than the stuck client's socket buffers (and whatever the server
    // keeps for it) hold. The speaker waits for the listener to hear each batch before it
    // sends the next, so the listener is never the slow one: only the stuck client falls
    // behind.
    const BATCHES: usize = 250;
    const BATCH: usize = 20;
    let long_text = "x".repeat(4000);
    let cut_off = unsent(&chat::cut_off(&stuck_name)).to_string();
    let (heard, progress) = mpsc::channel();
    let listening = thread::spawn({
        let expected = unsent(&chat::said(&speaker.name, &long_text)).to_string();
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
                listener.hears(&cut_off); // the notice came after the last line
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

    // The stuck client's connection ends: what was already on its way, then the end.
    let mut stuck = stuck;
    stuck.client.until_closed();
    // And the room goes on.
    let (_, who) = speaker.who();
    assert_eq!(
        who,
        unsent(&chat::who([speaker.name.as_str(), &listener_name]))
    );
}

/// A huge paste (6 MB) reaches every member that reads steadily, in order, even one that
/// prints slowly; nobody is cut off: the server slows the paster down instead.
pub fn a_huge_paste_reaches_every_steady_reader_and_nobody_is_cut_off(package: &str) {
    // 6 MB: more than the socket buffers between the server and a reader hold (and than what
    // the server keeps for a reader), so the server has to wait for the slower reader.
    let (server, addr) = Proc::start_server(package, &["--quiet"]);
    let [mut paster, steady, slow] = members(addr);
    const LINES: usize = 60_000;
    let pasted: String = (0..LINES)
        .map(|n| format!("pasted line {n:05} {}\n", "x".repeat(80)))
        .collect();
    let expect = |name: String| {
        move |n: usize| chat::said(&name, &format!("pasted line {n:05} {}", "x".repeat(80)))
    };
    // One reads as fast as it can; one stops for 50 ms every 1,000 lines, as a terminal that
    // prints slowly would: both read steadily, so both must get every line.
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
    let mut readers: Vec<Member> = readers
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
    for member in &mut readers {
        let (heard, _) = member.who();
        assert!(heard.is_empty(), "{} heard {heard:?}", member.name);
    }
    server.interrupt();
    let finished = server.finish();
    assert!(!finished.stdout.contains("cut off"), "{finished:?}");
}

/// Sends 1,000-byte lines from `member` until a write takes nothing for `patience` (the
/// server stopped reading from it, and the kernel's buffers between them are full), or the
/// deadline passes. Returns the bytes sent.
pub fn flood(member: &Member, patience: Duration) -> usize {
    let stream = member.client.stream();
    stream
        .set_write_timeout(Some(patience))
        .expect("write time-out");
    let line = format!("{}\n", "y".repeat(1000));
    let started = Instant::now();
    let mut sent = 0usize;
    while sent < 1_000_000_000 && started.elapsed() < DEADLINE {
        match (&*stream).write(line.as_bytes()) {
            Ok(count) => sent += count,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return sent;
            }
            Err(error) => panic!("the connection broke: {error}"),
        }
    }
    panic!("sent {sent} bytes and the server still read them");
}

/// A member that floods the room while another member takes nothing cannot make the server
/// hold gigabytes: once the stuck member's share is full the server stops reading the
/// flooder, and TCP holds the flooder back. (chat-server: the flooder's own thread waits to
/// write to the stuck member; poll-chat-server: over the stuck member's high-water mark, the
/// loop reads from nobody.) Once both have left, the server stops as usual.
pub fn a_flooder_is_slowed_down_by_tcp_while_a_member_is_stuck(package: &str) {
    let (server, addr) = Proc::start_server(package, &["--quiet", "--stuck-after", "60"]);
    let [flooder, stuck] = members(addr);
    let blocked = flood(&flooder, Duration::from_millis(500));
    // The stuck member's kernel buffers and what the server keeps for it, the flooder's
    // kernel buffers: megabytes, not gigabytes.
    assert!(
        blocked < 200_000_000,
        "{blocked} bytes before TCP held the flooder back"
    );
    // The stuck member leaves first: a stop with it still there, its buffers full, is
    // poll-chat-server's grace test (chat-server then waits up to --stuck-after).
    drop(stuck);
    drop(flooder);
    server.interrupt();
    assert_stopped_cleanly(&server.finish());
}

// ---------------------------------------------------------------------------------------------
// Stopping

/// Ctrl-C: every member hears the goodbye as its last line and its connection is closed by
/// the server (the log says nobody left); a client that never reads cannot hold the server
/// up; exit code 0 and `server stopped` last.
pub fn ctrl_c_says_goodbye_to_every_client_and_exits_0(package: &str) {
    let (mut server, addr) = Proc::start_server(package, &[]);
    let mut members = room(addr, 3);
    // One more connects, and never reads or closes: it must not hold the server up for long.
    let _stuck = LineClient::connect(addr);
    server.wait_for("connected from");
    server.interrupt();
    for member in &mut members {
        let rest = member.client.until_closed();
        assert_eq!(rest.last().map(String::as_str), Some(unsent(GOODBYE)));
    }
    let stopped = server.finish();
    assert_stopped_cleanly(&stopped);
    assert!(!stopped.stdout.contains(" left"), "{}", stopped.stdout);
}

/// SIGTERM (as `kill` sends; the same as Ctrl-C) while a member that never reads has full
/// buffers and is never cut off (`--stuck-after 60`): its goodbye can never be written, and
/// the server still stops, after the goodbye's grace and not after `--stuck-after`; the
/// member that reads gets its goodbye.
pub fn ctrl_c_with_a_member_that_never_reads_a_full_buffer_stops_after_the_grace(package: &str) {
    let (server, addr) = Proc::start_server(package, &["--quiet", "--stuck-after", "60"]);
    let [mut flooder, stuck] = room(addr, 2).try_into().ok().expect("two");
    // Until the server stops taking the flooder's lines: the stuck member's buffers are full.
    flood(&flooder, Duration::from_millis(300));
    let stopping = Instant::now();
    server.terminate();
    assert_stopped_cleanly(&server.wait_for_exit());
    let took = stopping.elapsed();
    assert!(
        took >= chat::GOODBYE_GRACE && took < chat::GOODBYE_GRACE + Duration::from_secs(8),
        "{took:?}"
    );
    drop(stuck);
    let rest = flooder.client.until_closed();
    assert_eq!(rest, [unsent(GOODBYE)]);
}

/// Ctrl-C with nobody in the room: exit code 0 and `server stopped` at once.
pub fn ctrl_c_with_nobody_there_stops_at_once(package: &str) {
    let (server, _addr) = Proc::start_server(package, &[]);
    server.interrupt();
    let stopped = server.finish();
    assert_stopped_cleanly(&stopped);
}

// ---------------------------------------------------------------------------------------------
// Starting

/// A second server on the same port: one friendly line and exit code 3.
pub fn a_port_in_use_gets_one_friendly_line_and_exit_code_3(package: &str) {
    let (_server, addr) = Proc::start_server(package, &[]);
    check_port_in_use(package, addr.port());
}

/// `--help` names every option of the room; `--version` says the package and its version.
pub fn help_shows_the_options(package: &str) {
    check_help(
        package,
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

// ---------------------------------------------------------------------------------------------
// With lesson 5's client

/// Lesson 5's chat-client, with piped input, takes a name, says a line (a blank line is not
/// sent), and `q` leaves at once without sending the rest; a member inside the room sees it
/// all.
pub fn lesson_5s_chat_client_works_with_it(package: &str) {
    let (_server, addr) = Proc::start_server(package, &[]);
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
    let name = joined_name(&watcher.client.line());
    watcher.hears(&chat::renamed(&name, "ann"));
    watcher.hears(&chat::said("ann", "hello, 你好"));
    watcher.hears(&chat::left("ann")); // "never sent" was not
}
