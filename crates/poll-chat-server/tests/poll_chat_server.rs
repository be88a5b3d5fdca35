//! End-to-end tests of poll-chat-server: the real binary on a free port, driven by raw sockets
//! and by lesson 5's chat-client.
//!
//! The room's scenarios are chat-server's (lesson 5), written once in `testkit::chat` and run
//! here against the one-thread server: each is one line below. Then what only this server
//! promises: one thread however many clients.

use testkit::chat::{self, Member, unsent};
use testkit::{Proc, can_run, threads};

const SERVER: &str = "poll-chat-server";

#[test]
fn three_clients_hear_each_other_and_never_themselves() {
    chat::three_clients_hear_each_other_and_never_themselves(SERVER);
}

#[test]
fn joins_names_who_and_leaves_are_announced() {
    chat::joins_names_who_and_leaves_are_announced(SERVER);
}

#[test]
fn names_that_differ_in_case_or_look_alike_or_pass_for_the_server_are_refused() {
    chat::names_that_differ_in_case_or_look_alike_or_pass_for_the_server_are_refused(SERVER);
}

#[test]
fn bytes_that_are_not_utf8_or_are_control_characters_become_replacement_characters() {
    chat::bytes_that_are_not_utf8_or_are_control_characters_become_replacement_characters(SERVER);
}

#[test]
fn quiet_logs_no_line_per_message_but_the_room_still_talks() {
    chat::quiet_logs_no_line_per_message_but_the_room_still_talks(SERVER);
}

#[test]
fn the_welcome_line_can_be_changed() {
    chat::the_welcome_line_can_be_changed(SERVER);
}

#[test]
fn an_over_long_line_is_refused_to_its_sender_only() {
    chat::an_over_long_line_is_refused_to_its_sender_only(SERVER);
}

#[test]
fn an_endless_line_without_a_newline_costs_nothing_and_is_refused_at_its_end() {
    chat::an_endless_line_without_a_newline_costs_nothing_and_is_refused_at_its_end(SERVER);
}

#[test]
fn a_line_before_an_over_long_one_in_the_same_read_is_not_held_back() {
    chat::a_line_before_an_over_long_one_in_the_same_read_is_not_held_back(SERVER);
}

#[test]
fn a_client_that_vanishes_mid_line_still_has_its_words_delivered() {
    chat::a_client_that_vanishes_mid_line_still_has_its_words_delivered(SERVER);
}

#[test]
fn a_client_that_resets_its_connection_leaves_with_a_reason() {
    chat::a_client_that_resets_its_connection_leaves_with_a_reason(SERVER);
}

/// One thread for every client: the room's default --max-clients, 1,000 (chat-server's test
/// stops at 200, a thread each).
#[test]
fn a_thousand_clients_at_once() {
    chat::many_clients_at_once(SERVER, 1000);
}

#[test]
fn the_client_after_max_clients_is_refused_with_a_line() {
    chat::the_client_after_max_clients_is_refused_with_a_line(SERVER);
}

#[test]
fn a_client_that_stops_reading_is_cut_off_and_nobody_else_waits() {
    chat::a_client_that_stops_reading_is_cut_off_and_nobody_else_waits(SERVER);
}

#[test]
fn a_huge_paste_reaches_every_steady_reader_and_nobody_is_cut_off() {
    chat::a_huge_paste_reaches_every_steady_reader_and_nobody_is_cut_off(SERVER);
}

#[test]
fn a_flooder_is_slowed_down_by_tcp_while_a_member_is_stuck() {
    chat::a_flooder_is_slowed_down_by_tcp_while_a_member_is_stuck(SERVER);
}

#[test]
fn ctrl_c_says_goodbye_to_every_client_and_exits_0() {
    chat::ctrl_c_says_goodbye_to_every_client_and_exits_0(SERVER);
}

#[test]
fn ctrl_c_with_nobody_there_stops_at_once() {
    chat::ctrl_c_with_nobody_there_stops_at_once(SERVER);
}

#[test]
fn a_port_in_use_gets_one_friendly_line_and_exit_code_3() {
    chat::a_port_in_use_gets_one_friendly_line_and_exit_code_3(SERVER);
}

#[test]
fn an_unknown_host_gets_exit_code_5() {
    testkit::check_unknown_host(SERVER);
}

#[test]
fn help_shows_the_options() {
    chat::help_shows_the_options(SERVER);
}

#[test]
fn lesson_5s_chat_client_works_with_it() {
    chat::lesson_5s_chat_client_works_with_it(SERVER);
}

// ---------------------------------------------------------------------------------------------
// What only this server promises

#[test]
fn one_thread_serves_every_client() {
    let (server, addr) = Proc::start_server(SERVER, &["--quiet"]);
    let first = Member::join(addr);
    let Some(with_one) = threads(server.pid()) else {
        return; // no /proc here
    };
    let mut members = vec![first];
    members.extend((0..199).map(|_| Member::join(addr)));
    let last = members.len() - 1;
    members[last].say("hello, everybody");
    let said = common::chat::said(&members[last].name, "hello, everybody");
    members[0].client.until(unsent(&said));
    let with_200 = threads(server.pid()).expect("/proc was there a moment ago");
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
fn ctrl_c_with_a_member_that_never_reads_a_full_buffer_stops_after_the_grace() {
    chat::ctrl_c_with_a_member_that_never_reads_a_full_buffer_stops_after_the_grace(SERVER);
}
