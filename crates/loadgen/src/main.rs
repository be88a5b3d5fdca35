//! Lesson 9 — loadgen: measures the lesson servers (tutorial 004's notes on performance).
//!
//! Start a server in one terminal, then point loadgen at it from a second one:
//!
//!     cargo run --release -p async-echo-server
//!     cargo run --release -p loadgen -- echo --port 8888 --expect upper --connections 50
//!
//! Four ways to load a server, one subcommand each:
//!
//! - `echo`: TCP round trips (N connections × M messages × S bytes) and their latency;
//! - `bulk`: a stream of bytes through an echo server, every byte checked when it comes back;
//! - `chat`: fan-out through the chat room (N clients, K of them talking);
//! - `udp`: datagram round trips, counting the ones that never come back.
//!
//! With `--server-pid PID`, every mode also reports the server's CPU time per 1,000 operations
//! (`cpu.rs`). A fifth subcommand, `report`, turns the `--json` results that `scripts/bench.sh`
//! saved into the bench page and its charts. loadgen only ever sends to this machine
//! (127.0.0.0/8 or ::1), and every run stops after `--duration-limit` seconds at most, with
//! the results it has so far.

mod bulk;
mod chart;
mod chat;
mod compare;
mod cpu;
mod echo;
mod lang;
mod report;
mod stats;
mod target;
mod udp;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use common::Failure;

/// Load generator for the lesson servers: round trips, throughput, chat fan-out, UDP loss.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// TCP round trips: N connections × M messages × S bytes, with latency percentiles
    Echo(echo::Args),
    /// Throughput: stream bytes through an echo server and check every byte that comes back
    Bulk(bulk::Args),
    /// Chat fan-out: N clients, K of them sending; deliveries per second, latency, lost lines
    Chat(chat::Args),
    /// UDP round trips with a time-out per datagram; lost datagrams counted
    Udp(udp::Args),
    /// Write the bench pages and charts from the --json results saved by scripts/bench.sh
    Report(report::Args),
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let cli = Cli::parse();
    // Two worker threads on the course's 2-core machines: one per core, tokio's default.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return common::exit_with(Err(Failure::new("starting tokio", &error))),
    };
    let outcome = runtime.block_on(async {
        match cli.mode {
            Mode::Echo(args) => echo::run(args).await,
            Mode::Bulk(args) => bulk::run(args).await,
            Mode::Chat(args) => chat::run(args).await,
            Mode::Udp(args) => udp::run(args).await,
            Mode::Report(args) => report::run(&args),
        }
    });
    // Tasks still blocked on a dead connection must not keep the program alive.
    runtime.shutdown_background();
    common::exit_with(outcome)
}
