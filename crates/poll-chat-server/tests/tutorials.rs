//! poll-chat-server against tutorial 004's own chat client (a Rust test double): it reads the
//! welcome with one `recv(1024)`, then sends each message with no newline and reads once.
//! The scenarios are in `testkit::tutorials`, shared with chat-server.

use testkit::tutorials;

const SERVER: &str = "poll-chat-server";

#[test]
fn two_tutorial_clients_see_each_others_messages() {
    tutorials::two_tutorial_clients_see_each_others_messages(SERVER);
}

#[test]
fn a_tutorial_client_that_says_bye_leaves_and_the_room_hears_it() {
    tutorials::a_tutorial_client_that_says_bye_leaves_and_the_room_hears_it(SERVER);
}
