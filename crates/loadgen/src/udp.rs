//! `loadgen udp`: datagram round trips, and how many never come back. N sockets each send M
//! datagrams, one at a time, and wait up to `--wait-ms` for each answer. UDP has no
//! retransmission: a datagram dropped anywhere (most often because the server's receive
//! buffer was full) is simply gone, and loadgen counts it as lost.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Failure, ServerAt, ports};
use tokio::net::UdpSocket;
use tokio::task::JoinSet;

use crate::cpu::{self, CpuWatch};
use crate::numbers::{count_of, thousands};
use crate::results::{ErrorCounts, Results, UdpExpect, UdpResults};
use crate::stats::{self, Counters, Cut, Latency, Limits, Progress, RunOptions};
use crate::target;

/// The largest UDP payload over IPv4: 65,535 minus the IP and UDP headers.
const MAX_DATAGRAM: u64 = 65_507;

/// Each datagram starts with its number, as this many decimal digits.
const NUMBER_DIGITS: usize = 8;

/// How many times the first datagram is tried before loadgen decides nobody answers.
const PROBE_TRIES: u32 = 3;

/// UDP round trips with loss.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: ServerAt<{ ports::UDP }>,

    /// Sockets, each sending at the same time
    #[arg(long, short = 'c', default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=60_000))]
    sockets: u32,

    /// Datagrams per socket, sent one at a time
    #[arg(long, short = 'm', default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    datagrams: u64,

    /// Bytes per datagram (the first 8 are its number)
    #[arg(long, short = 's', default_value_t = 64, value_parser = clap::value_parser!(u64).range(NUMBER_DIGITS as u64..=MAX_DATAGRAM))]
    size: u64,

    /// What the server answers: the datagram itself (--echo server), or anything
    #[arg(long, value_enum, default_value_t = UdpExpect::Any)]
    expect: UdpExpect,

    /// How long to wait for each answer, in milliseconds, before counting the datagram lost
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    wait_ms: u64,

    #[command(flatten)]
    run: RunOptions,
}

/// What one socket counted.
#[derive(Default)]
struct Tally {
    sent: u64,
    answered: u64,
    lost: u64,
    late: u64,
    wrong: u64,
    errors: ErrorCounts,
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let addrs = target::loopback(&args.target)?;
    let flags: &[&str] = match args.expect {
        UdpExpect::Echo => &["--echo"],
        UdpExpect::Any => &[],
    };
    let hint = target::server_command(&args.target, "udp-server", flags);
    let limits = Limits::start(&args.run).await;
    let addr = probe(&addrs, &limits, &hint).await?;

    let counters = Arc::new(Counters::default());
    let total = u64::from(args.sockets) * args.datagrams;
    let progress = Progress::start(&args.run, &limits, &counters, move |c, seconds| {
        format!(
            "udp: {}/{} answered, {} lost or failed, {seconds:.1} s",
            thousands(Counters::get(&c.done)),
            thousands(total),
            thousands(Counters::get(&c.errors)),
        )
    });

    let latency = Arc::new(Latency::new());
    let cpu = CpuWatch::start(args.run.server_pid);
    let began = Instant::now();
    let mut sockets = JoinSet::new();
    for index in 0..args.sockets {
        let (limits, counters, latency) = (
            Arc::clone(&limits),
            Arc::clone(&counters),
            Arc::clone(&latency),
        );
        let plan = Plan {
            addr,
            datagrams: args.datagrams,
            size: args.size as usize,
            expect: args.expect,
            wait: Duration::from_millis(args.wait_ms),
            first_number: u64::from(index),
        };
        sockets.spawn(async move { exchange(plan, &limits, &counters, &latency).await });
    }
    let mut all = Tally::default();
    while let Some(joined) = sockets.join_next().await {
        match joined {
            Ok(tally) => {
                all.sent += tally.sent;
                all.answered += tally.answered;
                all.lost += tally.lost;
                all.late += tally.late;
                all.wrong += tally.wrong;
                all.errors.merge(tally.errors);
            }
            Err(panicked) => all.errors.add(format!("socket task failed: {panicked}")),
        }
    }
    let seconds = began.elapsed().as_secs_f64();
    let cpu = cpu.map(|watch| watch.finish(all.answered as f64, "datagram"));
    progress.finish();

    let results = UdpResults {
        label: args.run.label.clone(),
        target: addr.to_string(),
        sockets: u64::from(args.sockets),
        datagrams: args.datagrams,
        size: args.size,
        expect: args.expect,
        wait_ms: args.wait_ms,
        sent: all.sent,
        answered: all.answered,
        lost: all.lost,
        loss_percent: if all.sent > 0 {
            100.0 * all.lost as f64 / all.sent as f64
        } else {
            0.0
        },
        late: all.late,
        wrong: all.wrong,
        round_trips_per_s: stats::per_second(all.answered, seconds),
        latency: latency.summary(),
        cpu,
        elapsed_s: limits.start.elapsed().as_secs_f64(),
        partial: limits.partial(),
        errors: all.errors.total(),
        error_kinds: all.errors,
    };
    stats::emit(&Results::Udp(results.clone()), args.run.json, || {
        summary(&results, &args.run)
    });
    Ok(())
}

/// A socket of our own on the loopback address of the target's family, connected to it, so
/// that `send`/`recv` need no address and answers from anyone else are filtered out.
async fn socket_for(addr: SocketAddr) -> io::Result<UdpSocket> {
    let local: SocketAddr = if addr.is_ipv4() {
        (Ipv4Addr::LOCALHOST, 0).into()
    } else {
        (Ipv6Addr::LOCALHOST, 0).into()
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(addr).await?;
    Ok(socket)
}

/// UDP has no connection to refuse, but a datagram to a port where nobody listens comes back
/// as an ICMP "port unreachable", which a connected socket reports as "connection refused" on
/// its next receive. One datagram before the run turns that into one clear line (exit 4).
async fn probe(addrs: &[SocketAddr], limits: &Limits, hint: &str) -> Result<SocketAddr, Failure> {
    let mut failure = None;
    for &addr in addrs {
        let socket = socket_for(addr).await.map_err(|error| {
            Failure::new(format!("cannot open a UDP socket for {addr}"), &error)
        })?;
        let mut answer = vec![0; 65_536];
        for _ in 0..PROBE_TRIES {
            if let Err(error) = socket.send(b"loadgen probe").await {
                failure = Some(Failure::connect(&error, addr, hint));
                break;
            }
            match limits.within(socket.recv(&mut answer)).await {
                Ok(Ok(_)) => return Ok(addr),
                Ok(Err(error)) => {
                    failure = Some(Failure::connect(&error, addr, hint));
                    break;
                }
                Err(_) => {
                    failure = Some(Failure::custom(
                        format!("no answer from {addr} (udp) in {PROBE_TRIES} tries"),
                        Some(format!("is the server running? Start it with: {hint}")),
                        common::exit_code::TIMED_OUT,
                    ));
                }
            }
        }
    }
    Err(failure
        .unwrap_or_else(|| Failure::custom("no address to send to", None, common::exit_code::IO)))
}

/// What one socket does.
struct Plan {
    addr: SocketAddr,
    datagrams: u64,
    size: usize,
    expect: UdpExpect,
    wait: Duration,
    /// Sockets start their numbering at different places, so their datagrams differ.
    first_number: u64,
}

async fn exchange(plan: Plan, limits: &Limits, counters: &Counters, latency: &Latency) -> Tally {
    let mut tally = Tally::default();
    let socket = match socket_for(plan.addr).await {
        Ok(socket) => socket,
        Err(error) => {
            tally.errors.add_io("open a socket", &error);
            counters.error();
            return tally;
        }
    };
    let mut datagram = vec![0; plan.size];
    let mut answer = vec![0; 65_536];
    for number in plan.first_number..plan.first_number + plan.datagrams {
        if limits.expired() {
            break;
        }
        fill(&mut datagram, number);
        let sent_at = Instant::now();
        match limits.within(socket.send(&datagram)).await {
            Ok(Ok(_)) => tally.sent += 1,
            Ok(Err(error)) => {
                tally.errors.add_io("send", &error);
                counters.error();
                break;
            }
            Err(Cut::TimedOut) => {
                tally.errors.add("send: timed out");
                counters.error();
                break;
            }
            Err(Cut::Deadline) => break,
        }
        // Wait for this datagram's answer; older answers that arrive late are skipped.
        let wait_until = sent_at + plan.wait;
        loop {
            let left = wait_until.saturating_duration_since(Instant::now());
            let received = tokio::time::timeout(left, socket.recv(&mut answer)).await;
            match received {
                Err(_) => {
                    tally.lost += 1;
                    counters.error();
                }
                Ok(Err(error)) => {
                    // "connection refused": the server went away during the run.
                    tally.errors.add_io("receive", &error);
                    tally.lost += 1;
                    counters.error();
                }
                Ok(Ok(length)) => {
                    let got = &answer[..length];
                    if plan.expect == UdpExpect::Echo && got != datagram.as_slice() {
                        if number_of(got).is_some_and(|old| old < number) {
                            tally.late += 1;
                            continue; // the answer to an earlier datagram, already counted lost
                        }
                        tally.wrong += 1;
                        tally.errors.add("wrong reply");
                        counters.error();
                    } else {
                        latency.record(sent_at.elapsed());
                        tally.answered += 1;
                        counters.done(1);
                    }
                }
            }
            break;
        }
    }
    tally
}

/// Datagram `number`: its number in decimal (8 digits), then letters.
fn fill(datagram: &mut [u8], number: u64) {
    let digits = format!("{:0width$}", number % 100_000_000, width = NUMBER_DIGITS);
    datagram[..NUMBER_DIGITS].copy_from_slice(digits.as_bytes());
    for (at, byte) in datagram[NUMBER_DIGITS..].iter_mut().enumerate() {
        *byte = b'a' + (at % 26) as u8;
    }
}

/// The number a datagram (or its echo) starts with.
fn number_of(datagram: &[u8]) -> Option<u64> {
    std::str::from_utf8(datagram.get(..NUMBER_DIGITS)?)
        .ok()?
        .parse()
        .ok()
}

fn summary(results: &UdpResults, options: &RunOptions) -> String {
    let expect = match results.expect {
        UdpExpect::Echo => "the same bytes back",
        UdpExpect::Any => "any answer",
    };
    let mut text = format!(
        "udp: {} × {} datagrams × {} bytes to {} ({expect}, wait {} ms)\n",
        count_of(results.sockets, "socket"),
        thousands(results.datagrams),
        thousands(results.size),
        results.target,
        results.wait_ms
    );
    text += &format!(
        "answered    {} of {} sent: {} round trips/s\n",
        thousands(results.answered),
        thousands(results.sent),
        thousands(results.round_trips_per_s.round() as u64)
    );
    text += &format!(
        "lost        {} ({:.2} %)",
        thousands(results.lost),
        results.loss_percent
    );
    if results.late > 0 {
        text += &format!(", {} of them answered late", thousands(results.late));
    }
    text += "\n";
    if results.wrong > 0 {
        text += &format!("wrong       {} answers\n", thousands(results.wrong));
    }
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
    fn datagrams_carry_their_number() {
        let mut datagram = vec![0; 12];
        fill(&mut datagram, 42);
        assert_eq!(&datagram, b"00000042abcd");
        assert_eq!(number_of(&datagram), Some(42));
        assert_eq!(number_of("收到您的消息!".as_bytes()), None);
        assert_eq!(number_of(b"123"), None);
    }
}
