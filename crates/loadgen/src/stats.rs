//! What every mode shares: the options that bound a run, the clock that enforces them (and
//! Ctrl-C), latency histograms, the counters of the live progress line, and the way results
//! are printed.

use std::future::Future;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::sync::watch;

use crate::numbers::micros;
use crate::results::{ErrorCounts, LatencySummary};

/// Options every load mode has.
#[derive(clap::Args, Debug, Clone)]
pub struct RunOptions {
    /// Stop after this many seconds even if the counts are not reached, and report what was
    /// measured so far (marked partial)
    #[arg(long, default_value = "60", value_parser = seconds, value_name = "SECONDS")]
    pub duration_limit: Duration,

    /// Give up on one connect, read or write after this many seconds (counted as an error)
    #[arg(long, default_value = "10", value_parser = seconds, value_name = "SECONDS")]
    pub timeout: Duration,

    /// At most this many connection attempts in flight at once, so that thousands of
    /// connections do not overrun the server's listen backlog
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connect_concurrency: u32,

    /// Print the results as one JSON object on standard output
    #[arg(long)]
    pub json: bool,

    /// Show the live progress line on standard error even when it is not a terminal
    #[arg(long)]
    pub progress: bool,

    /// A name for this run, copied into the results (scripts/bench.sh names the server here)
    #[arg(long)]
    pub label: Option<String>,

    /// The server's process id: its CPU time (from /proc/PID/stat, Linux only) is reported
    /// per 1,000 operations
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
}

/// The longest `--duration-limit` or `--timeout`: a day. A run is bounded, and the deadline
/// it computes must stay a time the clock can hold.
const MAX_SECONDS: Duration = Duration::from_secs(86_400);

/// `1.5` → 1.5 s: [`common::parse_seconds`] (more than 0), and at most a day.
fn seconds(text: &str) -> Result<Duration, String> {
    let seconds = common::parse_seconds(text)?;
    if seconds > MAX_SECONDS {
        return Err("give at most 86400 seconds (a day)".into());
    }
    Ok(seconds)
}

/// `64`, `64K`, `16M`, `1G` → bytes (K, M and G are powers of 1,024).
pub fn byte_count(text: &str) -> Result<u64, String> {
    let upper = text.trim().to_ascii_uppercase();
    let upper = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (digits, unit) = match upper.char_indices().last() {
        Some((at, 'K')) => (&upper[..at], 1 << 10),
        Some((at, 'M')) => (&upper[..at], 1 << 20),
        Some((at, 'G')) => (&upper[..at], 1 << 30),
        _ => (upper, 1),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a size such as 4096, 64K, 16M or 1G"))?;
    number
        .checked_mul(unit)
        .filter(|&bytes| bytes > 0)
        .ok_or_else(|| format!("'{text}' is not a size between 1 byte and 16 EiB"))
}

/// Why an operation did not finish.
#[derive(Debug, PartialEq, Eq)]
pub enum Cut {
    /// It took longer than `--timeout`: an error worth counting.
    TimedOut,
    /// The run reached `--duration-limit`: not an error, the results are partial.
    Deadline,
}

/// The clock of one run: when it started, when it must stop, and whether it had to.
pub struct Limits {
    pub start: Instant,
    deadline: Instant,
    timeout: Duration,
    partial: AtomicBool,
    /// Becomes true on Ctrl-C: everything stops as if the duration limit had come.
    interrupted: watch::Sender<bool>,
}

impl Limits {
    /// Starts the clock, and listens for Ctrl-C (and SIGTERM) from now on.
    pub async fn start(options: &RunOptions) -> Arc<Limits> {
        let start = Instant::now();
        let limits = Arc::new(Limits {
            start,
            deadline: start + options.duration_limit,
            timeout: options.timeout,
            partial: AtomicBool::new(false),
            interrupted: watch::Sender::new(false),
        });
        stop_on_ctrl_c(Arc::clone(&limits)).await;
        limits
    }

    /// True once the duration limit is reached or Ctrl-C was pressed; the run is then partial.
    pub fn expired(&self) -> bool {
        let expired = Instant::now() >= self.deadline || self.interrupted();
        if expired {
            self.partial.store(true, Ordering::Relaxed);
        }
        expired
    }

    /// Whether Ctrl-C was pressed.
    pub fn interrupted(&self) -> bool {
        *self.interrupted.borrow()
    }

    /// Completes when Ctrl-C is pressed.
    pub async fn until_interrupted(&self) {
        let mut interrupted = self.interrupted.subscribe();
        let _ = interrupted.wait_for(|pressed| *pressed).await;
    }

    /// Sleeps until `due`. Returns false, sooner, if the run must stop first (the duration
    /// limit, or Ctrl-C).
    pub async fn sleep_until(&self, due: Instant) -> bool {
        let end = due.min(self.deadline);
        tokio::select! {
            () = tokio::time::sleep_until(end.into()) => {}
            () = self.until_interrupted() => {}
        }
        !self.expired()
    }

    /// The duration limit plus one `--timeout` of grace: nothing waits past this.
    pub fn hard_end(&self) -> Instant {
        self.deadline + self.timeout
    }

    /// Whether the duration limit (or Ctrl-C) cut the run short.
    pub fn partial(&self) -> bool {
        self.partial.load(Ordering::Relaxed)
    }

    /// Nanoseconds since the run started: the timestamps chat messages carry.
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Runs `operation` for at most `--timeout`, and not past the duration limit.
    pub async fn within<T>(&self, operation: impl Future<Output = T>) -> Result<T, Cut> {
        self.bounded(operation, self.deadline).await
    }

    /// Like [`Limits::within`], with one `--timeout` of grace after the duration limit: for
    /// collecting answers to what was already sent when the limit came.
    pub async fn within_grace<T>(&self, operation: impl Future<Output = T>) -> Result<T, Cut> {
        self.bounded(operation, self.hard_end()).await
    }

    async fn bounded<T>(&self, operation: impl Future<Output = T>, end: Instant) -> Result<T, Cut> {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || self.interrupted() {
            self.partial.store(true, Ordering::Relaxed);
            return Err(Cut::Deadline);
        }
        let limit = left.min(self.timeout);
        tokio::select! {
            value = operation => Ok(value),
            () = tokio::time::sleep(limit) => {
                if limit < self.timeout {
                    self.partial.store(true, Ordering::Relaxed);
                    Err(Cut::Deadline)
                } else {
                    Err(Cut::TimedOut)
                }
            }
            () = self.until_interrupted() => {
                self.partial.store(true, Ordering::Relaxed);
                Err(Cut::Deadline)
            }
        }
    }
}

/// The first Ctrl-C (or SIGTERM) stops the run as the duration limit would: the results so
/// far are printed, marked partial. A second quits at once, with 130 (128 + SIGINT).
async fn stop_on_ctrl_c(limits: Arc<Limits>) {
    // Listening before `start` returns: a Ctrl-C right after the start is not missed.
    let Ok(first) = common::ctrl_c_from_now().await else {
        return; // no handler: Ctrl-C ends the program the usual way
    };
    tokio::spawn(async move {
        first.await;
        let second = common::ctrl_c_from_now().await;
        eprintln!("Ctrl-C: stopping; the results so far follow (Ctrl-C again quits at once)");
        limits.interrupted.send_replace(true);
        if let Ok(second) = second {
            second.await;
            std::process::exit(130);
        }
    });
}

/// A latency histogram in nanoseconds. HDR histograms keep 3 significant digits over the whole
/// range, so p99.9 is as exact as p50 however many values are recorded. One histogram is
/// about 200 KB, so a run shares one behind a lock rather than giving each of 10,000
/// connections its own; the lock is held for a few nanoseconds per record.
pub struct Latency {
    histogram: Mutex<Histogram<u64>>,
}

impl Latency {
    /// From 1 ns to 10 minutes; slower values are recorded as 10 minutes.
    pub fn new() -> Latency {
        let histogram =
            Histogram::new_with_bounds(1, 600_000_000_000, 3).expect("constant bounds are valid");
        Latency {
            histogram: Mutex::new(histogram),
        }
    }

    pub fn record(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_record(nanos.max(1));
    }

    /// Records many values, in nanoseconds, under one lock.
    pub fn record_nanos(&self, all: &[u64]) {
        let mut histogram = self
            .histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for &nanos in all {
            histogram.saturating_record(nanos.max(1));
        }
    }

    pub fn summary(&self) -> LatencySummary {
        let h = self
            .histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if h.is_empty() {
            return LatencySummary::default();
        }
        let us = |nanos: u64| nanos as f64 / 1_000.0;
        LatencySummary {
            count: h.len(),
            mean_us: h.mean() / 1_000.0,
            p50_us: us(h.value_at_quantile(0.50)),
            p99_us: us(h.value_at_quantile(0.99)),
            p999_us: us(h.value_at_quantile(0.999)),
            max_us: us(h.max()),
        }
    }
}

/// Counters the tasks bump and the progress line reads.
#[derive(Default)]
pub struct Counters {
    pub connected: AtomicU64,
    pub done: AtomicU64,
    pub errors: AtomicU64,
}

impl Counters {
    pub fn connected(&self) {
        self.connected.fetch_add(1, Ordering::Relaxed);
    }

    pub fn done(&self, count: u64) {
        self.done.fetch_add(count, Ordering::Relaxed);
    }

    pub fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The live progress line on standard error: redrawn in place on a terminal, one line per
/// second otherwise (with `--progress`, so logs stay readable).
pub struct Progress {
    task: Option<tokio::task::JoinHandle<()>>,
    terminal: bool,
}

impl Progress {
    /// Starts the line if stderr is a terminal or `--progress` was given. `line` describes
    /// the run from its counters and the seconds since the start.
    pub fn start(
        options: &RunOptions,
        limits: &Arc<Limits>,
        counters: &Arc<Counters>,
        line: impl Fn(&Counters, f64) -> String + Send + 'static,
    ) -> Progress {
        let terminal = io::stderr().is_terminal();
        if !(terminal || options.progress) {
            return Progress {
                task: None,
                terminal,
            };
        }
        let (limits, counters) = (Arc::clone(limits), Arc::clone(counters));
        let every = if terminal {
            PROGRESS_EVERY
        } else {
            Duration::from_secs(1)
        };
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await; // the first tick is immediate
            // Bounded like everything else: the run ends by its grace period at the latest.
            while !limits.expired() {
                ticks.tick().await;
                let text = line(&counters, limits.start.elapsed().as_secs_f64());
                let mut stderr = io::stderr().lock();
                let _ = if terminal {
                    write!(stderr, "\r\x1b[K{text}")
                } else {
                    writeln!(stderr, "{text}")
                };
                let _ = stderr.flush();
            }
        });
        Progress {
            task: Some(task),
            terminal,
        }
    }

    /// Stops the line and clears it, so the summary starts on a clean line.
    pub fn finish(self) {
        drop(self);
    }
}

impl Drop for Progress {
    /// Also on an early return with an error, so the error line starts on a clean line.
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            if self.terminal {
                eprint!("\r\x1b[K");
            }
        }
    }
}

/// Prints `results`: JSON with `--json`, the human summary otherwise.
pub fn emit<T: Serialize>(results: &T, json: bool, summary: impl FnOnce() -> String) {
    if json {
        match serde_json::to_string_pretty(results) {
            Ok(text) => println!("{text}"),
            Err(error) => eprintln!("error: cannot write the results as JSON: {error}"),
        }
    } else {
        print!("{}", summary());
    }
}

/// The lines of the human summary that every mode has: elapsed time, errors, partial.
pub fn summary_tail(
    elapsed_s: f64,
    errors: &ErrorCounts,
    partial: bool,
    limit: Duration,
) -> String {
    let mut text = format!("elapsed     {elapsed_s:.2} s\n");
    text += &format!("errors      {}\n", errors.describe());
    if partial {
        text += &format!(
            "partial     stopped early (duration limit {} s, or Ctrl-C); the counts above are what was done by then\n",
            limit.as_secs_f64()
        );
    }
    text
}

/// A rate per second, rounded to a whole number with thousands separators.
pub fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// `p50 1.25 ms, p99 ...` for the human summary.
pub fn latency_line(latency: &LatencySummary) -> String {
    if latency.count == 0 {
        return "no measurement".into();
    }
    format!(
        "p50 {}, p99 {}, p99.9 {}, max {}",
        micros(latency.p50_us),
        micros(latency.p99_us),
        micros(latency.p999_us),
        micros(latency.max_us)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_accept_binary_suffixes() {
        assert_eq!(byte_count("4096"), Ok(4096));
        assert_eq!(byte_count("64K"), Ok(65_536));
        assert_eq!(byte_count("64KiB"), Ok(65_536));
        assert_eq!(byte_count("16m"), Ok(16 << 20));
        assert_eq!(byte_count("1G"), Ok(1 << 30));
        assert!(byte_count("0").is_err());
        assert!(byte_count("lots").is_err());
        assert!(byte_count("99999999999G").is_err());
    }

    #[test]
    fn percentiles_come_from_the_histogram() {
        let latency = Latency::new();
        for micros in 1..=1000 {
            latency.record(Duration::from_micros(micros));
        }
        let summary = latency.summary();
        assert_eq!(summary.count, 1000);
        assert!((summary.p50_us - 500.0).abs() < 1.0, "{summary:?}");
        assert!((summary.p99_us - 990.0).abs() < 1.0, "{summary:?}");
        assert!((summary.max_us - 1000.0).abs() < 1.0, "{summary:?}");
        assert_eq!(Latency::new().summary(), LatencySummary::default());
    }

    #[tokio::test]
    async fn the_duration_limit_cuts_and_marks_partial() {
        let options = RunOptions {
            duration_limit: Duration::from_millis(50),
            timeout: Duration::from_secs(10),
            connect_concurrency: 1,
            json: false,
            progress: false,
            label: None,
            server_pid: None,
        };
        let limits = Limits::start(&options).await;
        let never = std::future::pending::<()>();
        assert_eq!(limits.within(never).await, Err(Cut::Deadline));
        assert!(limits.partial());
        assert!(limits.expired());
        let much_later = Instant::now() + Duration::from_secs(3600);
        assert!(
            !limits.sleep_until(much_later).await,
            "the limit came first"
        );

        let options = RunOptions {
            duration_limit: Duration::from_secs(60),
            timeout: Duration::from_millis(20),
            ..options
        };
        let limits = Limits::start(&options).await;
        let never = std::future::pending::<()>();
        assert_eq!(limits.within(never).await, Err(Cut::TimedOut));
        assert!(!limits.partial());
        assert_eq!(limits.within(async { 7 }).await, Ok(7));
    }
}
