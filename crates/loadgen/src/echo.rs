//! `loadgen echo`: TCP round trips. N connections are opened first (and held), then each sends
//! M messages of S bytes, one at a time, and waits for the whole answer before the next: the
//! time from send to the last byte of the answer is one round trip's latency.

use std::sync::Arc;
use std::time::Instant;

use common::{Failure, ServerAt, ports};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::cpu::{self, CpuWatch};
use crate::numbers::{count_of, thousands};
use crate::results::{EchoResults, ErrorCounts, Expect, Results};
use crate::stats::{self, Counters, Cut, Latency, Limits, Progress, RunOptions};
use crate::target;

/// The largest message: large enough to cross many reads, small enough to keep 10,000 buffers.
const MAX_SIZE: u64 = 1 << 20;

/// TCP round trips.
#[derive(clap::Args, Debug)]
pub struct Args {
    // echo-server's port by default; the async echo server's is 8888 (`--port 8888
    // --expect upper`).
    #[command(flatten)]
    target: ServerAt<{ ports::ECHO }>,

    /// Connections, opened first and held open together
    #[arg(long, short = 'c', default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=60_000))]
    connections: u32,

    /// Round trips per connection
    #[arg(long, short = 'm', default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    messages: u64,

    /// Bytes per message
    #[arg(long, short = 's', default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=MAX_SIZE))]
    size: u64,

    /// What the server answers: the same bytes, or the same bytes in upper case
    #[arg(long, value_enum, default_value_t = Expect::Same)]
    expect: Expect,

    #[command(flatten)]
    run: RunOptions,
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let addrs = target::loopback(&args.target)?;
    let hint = target::echo_server_command(&args.target);
    let limits = Limits::start(&args.run).await;

    let counters = Arc::new(Counters::default());
    let total = u64::from(args.connections) * args.messages;
    let wanted = args.connections;
    let progress = Progress::start(&args.run, &limits, &counters, move |c, seconds| {
        format!(
            "echo: {}/{wanted} connected, {}/{} round trips, {} errors, {seconds:.1} s",
            thousands(Counters::get(&c.connected)),
            thousands(Counters::get(&c.done)),
            thousands(total),
            thousands(Counters::get(&c.errors)),
        )
    });

    // Phase 1: open every connection before the first message, so they are all held at once.
    let opened = target::connect_all(
        &addrs,
        &hint,
        args.connections as usize,
        &args.run,
        &limits,
        &counters,
        |_, stream: TcpStream| async move {
            // Small messages must leave at once, not wait for Nagle's algorithm to batch them.
            stream
                .set_nodelay(true)
                .map_err(|error| format!("set_nodelay: {}", common::describe(&error)))?;
            Ok(stream)
        },
    )
    .await?;
    let (addr, streams, mut errors) = (opened.addr, opened.set_up, opened.errors);
    let connected = streams.len() as u64;
    let connect_s = limits.start.elapsed().as_secs_f64();

    // Phase 2: every connection sends its messages, all at the same time.
    let plan = Plan {
        messages: args.messages,
        size: args.size as usize,
        expect: args.expect,
    };
    let latency = Arc::new(Latency::new());
    let cpu = CpuWatch::start(args.run.server_pid);
    let began = Instant::now();
    let mut talks = JoinSet::new();
    for (index, stream) in streams {
        let (limits, counters, latency) = (
            Arc::clone(&limits),
            Arc::clone(&counters),
            Arc::clone(&latency),
        );
        talks.spawn(
            async move { round_trips(stream, index, plan, &limits, &counters, &latency).await },
        );
    }
    let mut round_trips_done = 0;
    let mut finished = Vec::with_capacity(connected as usize);
    while let Some(joined) = talks.join_next().await {
        match joined {
            Ok((stream, done, task_errors)) => {
                round_trips_done += done;
                errors.merge(task_errors);
                finished.push(stream); // held open until every connection is done
            }
            Err(panicked) => errors.add(format!("connection task failed: {panicked}")),
        }
    }
    let elapsed = began.elapsed().as_secs_f64();
    let cpu = cpu.map(|watch| watch.finish(round_trips_done as f64, "round trip"));
    drop(finished);
    progress.finish();

    let results = EchoResults {
        label: args.run.label.clone(),
        target: addr.to_string(),
        connections: u64::from(args.connections),
        messages: args.messages,
        size: args.size,
        expect: args.expect,
        connected,
        connect_s,
        round_trips: round_trips_done,
        messages_per_s: stats::per_second(round_trips_done, elapsed),
        latency: latency.summary(),
        cpu,
        elapsed_s: limits.start.elapsed().as_secs_f64(),
        partial: limits.partial(),
        errors: errors.total(),
        error_kinds: errors,
    };
    stats::emit(&Results::Echo(results.clone()), args.run.json, || {
        summary(&results, &args.run)
    });
    Ok(())
}

/// What every connection does.
#[derive(Clone, Copy)]
struct Plan {
    messages: u64,
    size: usize,
    expect: Expect,
}

/// One connection's messages. Returns the stream (so the caller decides when it closes), the
/// round trips that came back right, and the errors.
async fn round_trips(
    mut stream: TcpStream,
    index: usize,
    plan: Plan,
    limits: &Limits,
    counters: &Counters,
    latency: &Latency,
) -> (TcpStream, u64, ErrorCounts) {
    let mut errors = ErrorCounts::default();
    let mut done = 0;
    let mut message = vec![0; plan.size];
    let mut expected = vec![0; plan.size];
    let mut reply = vec![0; plan.size];
    for number in 0..plan.messages {
        fill(
            &mut message,
            &mut expected,
            index as u64 + number,
            plan.expect,
        );
        let sent_at = Instant::now();
        let exchange = async {
            stream.write_all(&message).await?;
            stream.read_exact(&mut reply).await
        };
        match limits.within(exchange).await {
            Ok(Ok(_)) => latency.record(sent_at.elapsed()),
            Ok(Err(error)) => {
                errors.add_io("round trip", &error);
                counters.error();
                break; // the connection is broken: this one is done
            }
            Err(Cut::TimedOut) => {
                errors.add("round trip: timed out");
                counters.error();
                break;
            }
            Err(Cut::Deadline) => break,
        }
        if reply == expected {
            done += 1;
            counters.done(1);
        } else {
            errors.add("wrong reply");
            counters.error();
        }
    }
    (stream, done, errors)
}

/// Message `number`: lower-case letters, shifted by the number so that an answer to an older
/// message never passes for the right one. Upper case maps each byte to one byte, so the
/// expected answer has the same length.
fn fill(message: &mut [u8], expected: &mut [u8], number: u64, expect: Expect) {
    for (at, (byte, answer)) in message.iter_mut().zip(expected.iter_mut()).enumerate() {
        *byte = b'a' + ((number + at as u64) % 26) as u8;
        *answer = match expect {
            Expect::Same => *byte,
            Expect::Upper => byte.to_ascii_uppercase(),
        };
    }
}

fn summary(results: &EchoResults, options: &RunOptions) -> String {
    let mut text = format!(
        "echo: {} × {} messages × {} bytes to {} (expect {})\n",
        count_of(results.connections, "connection"),
        thousands(results.messages),
        thousands(results.size),
        results.target,
        results.expect.name()
    );
    text += &format!(
        "connected   {} of {} in {:.2} s\n",
        thousands(results.connected),
        thousands(results.connections),
        results.connect_s
    );
    text += &format!(
        "round trips {}: {} messages/s\n",
        thousands(results.round_trips),
        thousands(results.messages_per_s.round() as u64)
    );
    text += &format!("latency     {}\n", stats::latency_line(&results.latency));
    if let Some(cpu) = &results.cpu {
        text += &cpu::summary_line(cpu);
    }
    text + &stats::summary_tail(
        results.elapsed_s,
        &results.error_kinds,
        results.partial,
        options.duration_limit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_differ_and_answers_follow_the_server() {
        let (mut first, mut answer) = (vec![0; 30], vec![0; 30]);
        fill(&mut first, &mut answer, 0, Expect::Upper);
        assert_eq!(&first[..4], b"abcd");
        assert_eq!(&answer[..4], b"ABCD");
        assert_eq!(&first[26..], b"abcd");
        let (mut next, mut same) = (vec![0; 30], vec![0; 30]);
        fill(&mut next, &mut same, 1, Expect::Same);
        assert_eq!(&next[..3], b"bcd");
        assert_eq!(next, same);
        assert_ne!(first, next);
    }
}
