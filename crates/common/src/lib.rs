//! Plumbing shared by every lesson, kept out of the lessons so they stay short:
//!
//! - [`HostPort`] and [`ServerAt`]: the `--host` / `--port` options of a server and of a
//!   client (with the lesson's default port);
//! - [`Failure`] and [`exit_with`]: one friendly error line and an exit code, never a panic;
//!   [`stop_quietly_on_closed_output`]: no panic either when `... | head` closes the output;
//! - [`Prompt`]: Python's `input(prompt)`, with the prompt only when a person is typing;
//! - [`Shutdown`]: Ctrl-C that ends a blocking `accept()` loop cleanly;
//! - [`log!`] and [`Logger`]: log lines written by a thread of their own, so that a busy
//!   server's client threads never wait for the terminal;
//! - [`preview`]: received bytes as a readable, shortened string for log lines,
//!   [`terminal_safe`]: text from the network made harmless to print, and
//!   [`strip_line_end`]: a line of input without its line end;
//! - [`MessageReader`]: the next message from a stream (a `\n` or a pause ends it), with a
//!   size limit;
//! - [`send_all`] and [`recv_exact`]: the send and receive loops of tutorial 000, spelled out;
//! - [`ports`]: every lesson's default port, and which tutorial uses it;
//! - with the `async` feature, `ctrl_c_from_now`: Ctrl-C and SIGTERM for tokio programs;
//! - with the `tls` feature, `tls`: the TLS lesson's certificate files, read from PEM.
//!
//! The socket calls a lesson teaches (`bind`, `listen`, `accept`, `connect`, `read`, `write`,
//! `shutdown`, `close`) are never hidden in here: they stay in each lesson's `main.rs`.

#[cfg(feature = "async")]
mod async_ctrl_c;
pub mod chat;
mod cli;
mod failure;
pub mod framing;
mod input;
mod lines;
pub mod log;
mod loops;
pub mod ports;
mod preview;
mod shutdown;
#[cfg(feature = "tls")]
pub mod tls;

#[cfg(feature = "async")]
pub use async_ctrl_c::ctrl_c_from_now;
pub use cli::{HostPort, ServerAt, parse_seconds};
pub use failure::{
    CLOSED_OUTPUT_STATUS, Failure, QuietStdout, describe, exit_code, exit_with,
    stop_quietly_on_closed_output, timed_out,
};
pub use input::Prompt;
pub use lines::{MessageReader, PAUSE, ReadTimeout, Received};
pub use log::Logger;
pub use loops::{recv_exact, send_all};
pub use preview::{preview, strip_line_end, terminal_safe, unsafe_on_a_terminal};
pub use shutdown::{Shutdown, Watched};
