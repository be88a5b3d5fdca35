//! End-to-end tests of chat-server: the real binary on a free port, driven by raw sockets
//! (and by the real chat-client in crates/chat-client/tests).

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;

use testkit::{LineClient, Proc, check_help, check_port_in_use, check_unknown_host};

const WELCOME: &str = "欢迎来到聊天室!";

fn start(args: &[&str]) -> (Proc, SocketAddr) {
    Proc::start_server("chat-server", args)
}

/// A client in the room, seen from the inside: its connection and the name the room gave it.
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

    /// Asks `/who` and returns the answer: everything this member heard before it is checked
    /// by the caller through `heard_before`.
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
    // Each connection keeps its order: had anybody heard their own line, it would come
    // before the answer to /who.
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
    bob.say("/nick bob");
    bob.hears("* you are now bob");
    ann.hears(&format!("* {} is now bob", bob.name));

    let (_, who) = ann.who();
    assert_eq!(who, "* in the room (2): ann, bob");
    ann.say("/shout hi");
    ann.hears("! unknown command /shout; try /nick NAME or /who");

    drop(bob);
    ann.hears("* bob left");
    server.wait_for("client bob left");
}

#[test]
fn a_client_that_stops_reading_is_cut_off_and_nobody_else_waits() {
    // A short --stuck-after, so the test does not wait 3 s; the kernel's socket buffers still
    // hold megabytes before the stuck client makes anybody wait.
    let (mut server, addr) = start(&["--stuck-after", "0.5"]);
    let [mut speaker, mut listener, stuck] = room(addr, 3).try_into().ok().expect("three");
    let stuck_name = stuck.name.clone();
    let listener_name = listener.name.clone();

    // 20 MB in all, far more than the stuck client's socket buffers can hold. The
    // speaker waits for the listener to hear each batch of lines before sending the next, so
    // the listener is never the slow one: only the stuck client falls behind.
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
    server.wait_for(&format!("client {stuck_name} cut off"));

    // The stuck client's connection ends: what was already on its way, then the end.
    let mut stuck = stuck;
    stuck.client.until_closed();

    // And the room goes on.
    let (_, who) = speaker.who();
    assert_eq!(
        who,
        format!("* in the room (2): {}, {listener_name}", speaker.name)
    );
}

#[test]
fn two_hundred_clients_at_once() {
    let (_server, addr) = start(&[]);
    let mut members: Vec<Member> = (0..200).map(|_| Member::join(addr)).collect();
    let last = members.len() - 1;
    let said = format!("{}: hello, everybody", members[last].name);
    members[last].say("hello, everybody");
    for member in &mut members[..last] {
        // Joins of the later members come first; then the line.
        let before = member.client.until(&said);
        assert!(
            before.iter().all(|line| line.ends_with(" joined")),
            "{before:?}"
        );
    }
    let (_, who) = members[0].who();
    assert!(who.starts_with("* in the room (200): "), "{who}");
}

#[test]
fn an_over_long_line_is_refused_to_its_sender_only() {
    let (mut server, addr) = start(&["--max-line", "10"]);
    let [mut ann, mut bob] = room(addr, 2).try_into().ok().expect("two members");
    ann.say("0123456789"); // 10 bytes: fine
    bob.hears(&format!("{}: 0123456789", ann.name));
    ann.say("0123456789A");
    ann.hears("! that line was longer than 10 bytes; nobody got it, send it in shorter lines");
    server.wait_for("a line longer than 10 bytes, refused");
    ann.say("short");
    bob.hears(&format!("{}: short", ann.name)); // and not the long line
}

#[test]
fn bytes_that_are_not_utf8_or_are_control_characters_become_replacement_characters() {
    let (mut server, addr) = start(&[]);
    let [mut ann, mut bob] = room(addr, 2).try_into().ok().expect("two members");
    ann.client.send_bytes(b"caf\xe9 \x1b[2J ok\r\n");
    bob.hears(&format!("{}: caf\u{fffd} \u{fffd}[2J ok", ann.name));
    // A right-to-left override would make the rest of the line read backwards.
    ann.say("look \u{202e}txet");
    bob.hears(&format!("{}: look \u{fffd}txet", ann.name));
    server.wait_for("received from");
}

#[test]
fn names_that_differ_in_case_or_look_alike_or_pass_for_the_server_are_refused() {
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
    bob.say("/nick Server");
    bob.hears("! the name Server is kept for the server");
    ann.say("/nick Ann"); // your own name in another case is yours to take
    ann.hears("* you are now Ann");
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
    // The server is still there for the next client.
    let carol = Member::join(addr);
    bob.hears(&format!("* {} joined", carol.name));
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
    // Nobody heard a join; a place frees up when someone leaves.
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
    check_port_in_use("chat-server", addr.port());
}

#[test]
fn an_unknown_host_gets_exit_code_5() {
    check_unknown_host("chat-server");
}

#[test]
fn help_shows_the_options() {
    check_help(
        "chat-server",
        &["--welcome", "--max-line", "--max-clients", "--stuck-after"],
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
    let finished = testkit::run_quiet("chat-server", &[], |addr| {
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
fn a_huge_paste_reaches_every_steady_reader_and_nobody_is_cut_off() {
    let (server, addr) = start(&["--quiet"]);
    let [mut paster, steady, slow] = room(addr, 3).try_into().ok().expect("three");
    // 6 MB: more than the socket buffers between the server and a reader hold, so the
    // server has to wait for the slower reader, and must slow the paster down, not cut
    // the reader off.
    const LINES: usize = 60_000;
    let pasted: String = (0..LINES)
        .map(|n| format!("pasted line {n:05} {}\n", "x".repeat(80)))
        .collect();
    let expect =
        |name: String| move |n: usize| format!("{name}: pasted line {n:05} {}", "x".repeat(80));
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
                        thread::sleep(std::time::Duration::from_millis(nap_ms)); // pacing, not waiting for anything
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
fn a_line_before_an_over_long_one_in_the_same_read_is_not_held_back() {
    let (_server, addr) = start(&["--max-line", "10"]);
    let [mut ann, mut bob] = room(addr, 2).try_into().ok().expect("two members");
    ann.client
        .send_bytes(format!("hi\n{}\n", "x".repeat(20)).as_bytes());
    bob.hears(&format!("{}: hi", ann.name)); // now, not with ann's next line
    ann.hears("! that line was longer than 10 bytes; nobody got it, send it in shorter lines");
}
