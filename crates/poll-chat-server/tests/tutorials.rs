//! poll-chat-server against tutorial 004's own chat client (a Rust test double): it reads the
//! welcome with one `recv(1024)`, then sends each message with no newline and reads once.

use std::net::SocketAddr;

use testkit::Proc;
use testkit::tutorials::{CHAT_WELCOME, TutorialClient};

/// Reads like the tutorial's client, one `recv(1024)` at a time, until `wanted` has come;
/// returns everything read.
fn recv_until(client: &mut TutorialClient, wanted: &str) -> String {
    let mut heard = String::new();
    while !heard.contains(wanted) {
        let more = client.recv();
        assert!(!more.is_empty(), "the server closed; heard {heard:?}");
        heard.push_str(&more);
    }
    heard
}

/// Connects like the tutorial's client and returns it with the name the room gave it.
fn join(addr: SocketAddr) -> (TutorialClient, String) {
    let mut client = TutorialClient::connect(addr);
    let greeting = recv_until(&mut client, "/who");
    assert!(greeting.starts_with(CHAT_WELCOME), "{greeting:?}");
    let name = greeting
        .split_once("* you are ")
        .and_then(|(_, rest)| rest.split_once(';'))
        .map(|(name, _)| name.to_string())
        .expect("a name");
    (client, name)
}

#[test]
fn two_tutorial_clients_see_each_others_messages() {
    let (mut server, addr) = Proc::start_server("poll-chat-server", &[]);
    let (mut alice, alice_name) = join(addr);
    let (mut bob, bob_name) = join(addr);
    // The tutorial's client waits for an answer after each message: it gets its own line.
    alice.send("hi, bob");
    recv_until(&mut alice, &format!("{alice_name}: hi, bob\n"));
    server.wait_for(&format!("received from {alice_name}: \"hi, bob\""));
    // Bob reads once after sending: Alice's line was waiting for him.
    bob.send("hello, alice");
    let heard = recv_until(&mut bob, &format!("{bob_name}: hello, alice\n"));
    assert!(
        heard.contains(&format!("{alice_name}: hi, bob\n")),
        "{heard:?}"
    );
    recv_until(&mut alice, &format!("{bob_name}: hello, alice\n"));
}

#[test]
fn a_tutorial_client_that_says_bye_leaves_and_the_room_hears_it() {
    let (_server, addr) = Proc::start_server("poll-chat-server", &[]);
    let (mut alice, _) = join(addr);
    let (mut bob, bob_name) = join(addr);
    bob.send("bye"); // the tutorial's client sends bye, then closes without reading
    drop(bob);
    recv_until(&mut alice, &format!("{bob_name}: bye\n* {bob_name} left\n"));
}
