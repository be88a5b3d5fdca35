//! `loadgen bulk`: throughput. Each connection streams a long run of bytes through an echo
//! server while reading the echo at the same time, and checks every byte that comes back.
//!
//! Writing and reading are two tasks on the two halves of one connection. One task doing both
//! in turn would dead-lock on large streams: it would block in `write` with the server blocked
//! in its own `write` back to us, both buffers full and nobody reading.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use common::{Failure, ServerAt, ports};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::cpu::{self, CpuWatch};
use crate::numbers::{bytes_rate, count_of, thousands};
use crate::results::{BulkResults, ErrorCounts, Expect, Results};
use crate::stats::{self, Counters, Cut, Limits, Progress, RunOptions, byte_count};
use crate::target;

/// The stream repeats every 251 bytes. 251 is prime, so a lost or repeated piece of any
/// power-of-two size (a 1,024-byte read, a 64 KiB buffer) shifts the pattern and is caught.
const PERIOD: usize = 251;

/// How much the reader asks for per `read`.
const READ_BUF: usize = 256 * 1024;

/// The largest write loadgen makes in one call.
const MAX_CHUNK: u64 = 1 << 20;

/// Throughput through an echo server.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: ServerAt<{ ports::ECHO }>,

    /// Connections, each streaming at the same time
    #[arg(long, short = 'c', default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    connections: u32,

    /// Bytes each connection sends (and expects back), e.g. 64M or 1G
    #[arg(long, short = 'b', default_value = "256M", value_parser = byte_count)]
    bytes: u64,

    /// Bytes per write call, e.g. 64K
    #[arg(long, default_value = "64K", value_parser = chunk)]
    chunk: u64,

    /// What the server answers: the same bytes, or the same bytes in upper case
    #[arg(long, value_enum, default_value_t = Expect::Same)]
    expect: Expect,

    #[command(flatten)]
    run: RunOptions,
}

fn chunk(text: &str) -> Result<u64, String> {
    let bytes = byte_count(text)?;
    if bytes > MAX_CHUNK {
        return Err(format!("at most {MAX_CHUNK} bytes (1M) per write"));
    }
    Ok(bytes)
}

/// What is sent at every offset, and what must come back.
struct Pattern {
    sent: Vec<u8>,
    expected: Vec<u8>,
}

impl Pattern {
    /// Long enough that any write or read, starting anywhere in the period, is one slice.
    fn new(longest: usize, expect: Expect) -> Pattern {
        let length = (longest / PERIOD + 2) * PERIOD;
        let sent: Vec<u8> = (0..length)
            .map(|at| match expect {
                // Every byte value from 0 to 250: newlines, zeros and bytes that are not UTF-8.
                Expect::Same => (at % PERIOD) as u8,
                // Letters only, so that upper case changes every one of them.
                Expect::Upper => b'a' + ((at % PERIOD) % 26) as u8,
            })
            .collect();
        let expected = match expect {
            Expect::Same => sent.clone(),
            Expect::Upper => sent.to_ascii_uppercase(),
        };
        Pattern { sent, expected }
    }

    fn sent_at(&self, offset: u64, length: usize) -> &[u8] {
        let start = (offset % PERIOD as u64) as usize;
        &self.sent[start..start + length]
    }

    fn expected_at(&self, offset: u64, length: usize) -> &[u8] {
        let start = (offset % PERIOD as u64) as usize;
        &self.expected[start..start + length]
    }
}

/// What one connection did.
struct Streamed {
    sent: u64,
    verified: u64,
    first_wrong_byte: Option<u64>,
    errors: ErrorCounts,
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let addrs = target::loopback(&args.target)?;
    let hint = target::echo_server_command(&args.target);
    let limits = Limits::start(&args.run).await;

    let counters = Arc::new(Counters::default());
    let total = u64::from(args.connections) * args.bytes;
    let progress = Progress::start(&args.run, &limits, &counters, move |c, seconds| {
        let verified = Counters::get(&c.done);
        format!(
            "bulk: {} of {} MB verified, {}, {} errors, {seconds:.1} s",
            thousands(verified / 1_000_000),
            thousands(total / 1_000_000),
            bytes_rate(stats::per_second(verified, seconds)),
            thousands(Counters::get(&c.errors)),
        )
    });

    let opened = target::connect_all(
        &addrs,
        &hint,
        args.connections as usize,
        &args.run,
        &limits,
        &counters,
        |_, stream: TcpStream| async move { Ok(stream) },
    )
    .await?;
    let (addr, streams, mut errors) = (opened.addr, opened.set_up, opened.errors);
    let connected = streams.len() as u64;

    let pattern = Arc::new(Pattern::new(READ_BUF.max(args.chunk as usize), args.expect));
    let cpu = CpuWatch::start(args.run.server_pid);
    let began = Instant::now();
    let mut streaming = JoinSet::new();
    for (_, stream) in streams {
        let (limits, counters, pattern) = (
            Arc::clone(&limits),
            Arc::clone(&counters),
            Arc::clone(&pattern),
        );
        let (bytes, chunk) = (args.bytes, args.chunk as usize);
        streaming.spawn(async move {
            let (reader, writer) = stream.into_split();
            stream_through(reader, writer, bytes, chunk, pattern, limits, counters).await
        });
    }
    let (mut sent, mut verified, mut first_wrong_byte) = (0, 0, None);
    while let Some(joined) = streaming.join_next().await {
        match joined {
            Ok(streamed) => {
                sent += streamed.sent;
                verified += streamed.verified;
                first_wrong_byte = first_wrong_byte.or(streamed.first_wrong_byte);
                errors.merge(streamed.errors);
            }
            Err(panicked) => errors.add(format!("connection task failed: {panicked}")),
        }
    }
    let seconds = began.elapsed().as_secs_f64();
    let cpu = cpu.map(|watch| watch.finish(verified as f64 / 1e6, "MB"));
    progress.finish();

    let results = BulkResults {
        label: args.run.label.clone(),
        target: addr.to_string(),
        connections: u64::from(args.connections),
        bytes_per_connection: args.bytes,
        chunk: args.chunk,
        expect: args.expect,
        connected,
        bytes_sent: sent,
        bytes_verified: verified,
        bytes_per_s: stats::per_second(verified, seconds),
        first_wrong_byte,
        cpu,
        elapsed_s: limits.start.elapsed().as_secs_f64(),
        partial: limits.partial(),
        errors: errors.total(),
        error_kinds: errors,
    };
    stats::emit(&Results::Bulk(results.clone()), args.run.json, || {
        summary(&results, &args.run)
    });
    Ok(())
}

/// Streams `bytes` through one connection: a writer task sends, this task reads and checks.
async fn stream_through(
    mut reader: OwnedReadHalf,
    mut writer: OwnedWriteHalf,
    bytes: u64,
    chunk: usize,
    pattern: Arc<Pattern>,
    limits: Arc<Limits>,
    counters: Arc<Counters>,
) -> Streamed {
    // The writer announces how much it sent in the end; until then the reader keeps reading.
    let (finished, mut sent_in_the_end) = watch::channel(None::<u64>);
    let sent_so_far = Arc::new(AtomicU64::new(0));
    let write = {
        let (pattern, limits, counters, sent_so_far) = (
            Arc::clone(&pattern),
            Arc::clone(&limits),
            Arc::clone(&counters),
            Arc::clone(&sent_so_far),
        );
        tokio::spawn(async move {
            let mut errors = ErrorCounts::default();
            let mut sent = 0;
            while sent < bytes {
                let length = chunk.min((bytes - sent) as usize);
                match limits
                    .within(writer.write_all(pattern.sent_at(sent, length)))
                    .await
                {
                    Ok(Ok(())) => {
                        sent += length as u64;
                        sent_so_far.store(sent, Ordering::Relaxed);
                    }
                    Ok(Err(error)) => {
                        errors.add_io("send", &error);
                        counters.error();
                        break;
                    }
                    Err(Cut::TimedOut) => {
                        errors.add("send: timed out");
                        counters.error();
                        break;
                    }
                    Err(Cut::Deadline) => break,
                }
            }
            // Half-close: "no more from me". An echo server then finishes and closes too.
            let _ = writer.shutdown().await;
            let _ = finished.send(Some(sent));
            errors
        })
    };

    let mut errors = ErrorCounts::default();
    let mut buffer = vec![0; READ_BUF];
    let mut received = 0;
    let mut first_wrong_byte = None;
    let mut expected_total: Option<u64> = None;
    // Bounded by count (`bytes`) and by time (each read by --timeout, all of them by the
    // duration limit and one --timeout of grace for the bytes still on their way).
    while expected_total.is_none_or(|total| received < total) {
        tokio::select! {
            read = limits.within_grace(reader.read(&mut buffer)) => match read {
                Ok(Ok(0)) => {
                    errors.add("receive: the server closed before echoing everything");
                    counters.error();
                    break;
                }
                Ok(Ok(length)) => {
                    let got = &buffer[..length];
                    let wanted = pattern.expected_at(received, length);
                    if got != wanted {
                        let at = got.iter().zip(wanted).position(|(a, b)| a != b).unwrap_or(0);
                        first_wrong_byte = Some(received + at as u64);
                        errors.add("wrong content");
                        counters.error();
                        received += at as u64;
                        break;
                    }
                    received += length as u64;
                    counters.done(length as u64);
                }
                Ok(Err(error)) => {
                    errors.add_io("receive", &error);
                    counters.error();
                    break;
                }
                Err(Cut::TimedOut) => {
                    errors.add("receive: timed out");
                    counters.error();
                    break;
                }
                Err(Cut::Deadline) => break,
            },
            changed = sent_in_the_end.changed(), if expected_total.is_none() => {
                expected_total = match changed {
                    Ok(()) => *sent_in_the_end.borrow(),
                    Err(_) => Some(received), // the writer is gone: expect nothing more
                };
            }
        }
    }
    // After a wrong byte or a broken connection, the writer has nothing left to do.
    write.abort();
    if let Ok(write_errors) = write.await {
        errors.merge(write_errors);
    }
    Streamed {
        sent: sent_so_far.load(Ordering::Relaxed),
        verified: received,
        first_wrong_byte,
        errors,
    }
}

fn summary(results: &BulkResults, options: &RunOptions) -> String {
    let mut text = format!(
        "bulk: {} × {} bytes in {}-byte writes to {} (expect {})\n",
        count_of(results.connections, "connection"),
        thousands(results.bytes_per_connection),
        thousands(results.chunk),
        results.target,
        results.expect.name()
    );
    text += &format!(
        "connected   {} of {}\n",
        thousands(results.connected),
        thousands(results.connections)
    );
    text += &format!(
        "verified    {} of {} bytes sent: {}\n",
        thousands(results.bytes_verified),
        thousands(results.bytes_sent),
        bytes_rate(results.bytes_per_s)
    );
    if let Some(at) = results.first_wrong_byte {
        text += &format!("wrong byte  first at offset {}\n", thousands(at));
    }
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
    fn the_pattern_lines_up_at_any_offset() {
        let pattern = Pattern::new(1024, Expect::Upper);
        assert_eq!(pattern.sent_at(0, 3), b"abc");
        assert_eq!(pattern.expected_at(0, 3), b"ABC");
        // Offset 251 is the start of the period again, wherever the slice is cut.
        assert_eq!(pattern.sent_at(251, 1024), pattern.sent_at(0, 1024));
        let same = Pattern::new(1024, Expect::Same);
        assert_eq!(same.sent_at(250, 2), [250, 0]);
        assert_eq!(same.expected_at(1000, 1024), same.sent_at(1000, 1024));
    }

    #[test]
    fn a_lost_buffer_shifts_the_pattern() {
        let pattern = Pattern::new(65_536, Expect::Same);
        for lost in [1024_u64, 4096, 65_536] {
            assert_ne!(
                pattern.sent_at(lost, 512),
                pattern.expected_at(0, 512),
                "{lost}"
            );
        }
    }
}
