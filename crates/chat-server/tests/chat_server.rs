//! End-to-end tests of chat-server: the real binary on a free port, driven by raw sockets
//! (and by the real chat-client in crates/chat-client/tests).
//!
//! The room's scenarios are written once, in `testkit::chat`, and run here against this
//! server and in poll-chat-server's tests against that one: each test below is one line, and
//! the list reads as what lesson 5's room promises.

use testkit::chat;

const SERVER: &str = "chat-server";

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

/// A thread per client: 200 is a big class, and the 1,000 of poll-chat-server's test would
/// be 1,000 threads, the cost this lesson's design has and the non-blocking lesson removes.
#[test]
fn two_hundred_clients_at_once() {
    chat::many_clients_at_once(SERVER, 200);
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
fn ctrl_c_with_a_member_that_never_reads_a_full_buffer_stops_after_the_grace() {
    chat::ctrl_c_with_a_member_that_never_reads_a_full_buffer_stops_after_the_grace(SERVER);
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
