//! The project's targets (issue 14), judged from the results: met, missed or not measured, and
//! the facts the page needs to say why.
//!
//! Each target is a [`Target`]: its verdict, the ratio [`Check`]s of `compare.rs` where it is
//! stated as ratios to a baseline, and the numbers behind it ([`Kind`]). No words: the
//! templates state the goal, what was measured and why, in each language.

use serde::Serialize;

use super::compare::{self, Check, Goal, Measure, Sample};
use super::folder::{
    ASYNC, Bench, CHAT, NotRun, Operation, POLL_CHAT, PY_CHAT, PY_UDP, PerOperation, REFERENCE,
    THREADS, THREADS_64K, THREADS_LOGGING, UDP_LOGGING, UDP_QUIET,
};
use crate::results::{ChatResults, CpuUse, EchoResults};

/// The chat scenario of the targets: clients in the room, and senders among them.
const CHAT_CLIENTS: u64 = 200;
const CHAT_SENDERS: u64 = 5;

/// The round-trip comparisons: connections, each sending 64-byte messages.
const COMPARED: u64 = 50;

/// The many-connections targets: connections held at once.
const MANY: u64 = 10_000;

/// The big room's target: clients in it.
const BIG_ROOM: u64 = 1_000;

/// The non-blocking lesson's room: 10,000 clients, idle but for a few paced senders.
const HUGE_ROOM: u64 = 10_000;

/// "A few threads": poll-chat-server's loop, the Ctrl-C handler's thread and the log
/// writer's. None of them is per client; a fourth would still be no thread per client.
const LOOP_THREADS: u64 = 4;

/// What an idle client may cost the one-thread server in resident memory, in KiB.
const KIB_PER_IDLE_CLIENT: f64 = 4.0;

#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    Missed,
    NotMeasured,
}

/// Why a target has no measurement.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Unmeasured {
    /// Its scenario could not run, and the results say why.
    NotRun { skip: NotRun },
    /// `scripts/bench.sh --quick` does not run it.
    Quick,
    /// The results have no run for it.
    NoRun,
}

/// One of the project's targets, judged.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Target {
    /// Which target, and what was measured for it.
    #[serde(flatten)]
    pub kind: Kind,
    pub verdict: Verdict,
    /// Set when there is nothing to judge, and why.
    pub unmeasured: Option<Unmeasured>,
    /// The ratios the target is stated as (none for the targets stated as counts).
    pub checks: Vec<Check>,
}

/// The targets, each with the numbers its words need (`kind` names it to a template).
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// The 200-client room with `in_flight` lines in flight per sender: some multiple of the
    /// Python room's deliveries per second (2 with 16 in flight), at most its CPU per delivery.
    ChatInFlight {
        clients: u64,
        senders: u64,
        in_flight: u64,
        /// Deliveries lost in the runs of both rooms.
        lost: u64,
        cpu: Option<CpuPair>,
        syscalls: Option<SyscallPair>,
        /// Rounds that alternated the two servers.
        rounds: usize,
    },
    /// The 1,000-client room loses no line.
    BigRoom {
        clients: u64,
        run: Option<ChatResults>,
    },
    /// `label` (`echo-server --threads` or `async-echo-server`), 50 connections × 64 B, against
    /// reference-echo: round trips per second and CPU per round trip.
    EchoReference {
        label: String,
        connections: u64,
        cpu: Option<CpuPair>,
        syscalls: Option<SyscallPair>,
        rounds: usize,
    },
    /// Bulk throughput through echo-server's 64 KiB buffer against reference-echo.
    BulkReference { cpu: Option<CpuPair>, rounds: usize },
    /// udp-server, printing a line per datagram, against the tutorial's Python server: CPU
    /// per datagram.
    UdpPython {
        cpu: Option<CpuPair>,
        syscalls: Option<SyscallPair>,
        /// `write` calls per datagram, when they explain the difference: Rust writes each
        /// log line, Python fills a buffer first.
        log_writes: Option<LogWrites>,
        rounds: usize,
    },
    /// `echo-server --threads` holds 10,000 connections with no error.
    #[serde(rename = "threads_10k")]
    Threads10k {
        connections: u64,
        run: Option<EchoResults>,
        /// The open-file limit of the run.
        nofile: String,
    },
    /// The async echo server holds 10,000 connections with no error.
    #[serde(rename = "async_10k")]
    Async10k {
        connections: u64,
        run: Option<EchoResults>,
        /// Whether its errors show the open-file limit running out.
        open_files_ran_out: bool,
    },
    /// poll-chat-server (one thread) against chat-server (a thread per client) in the
    /// 200-client room: at least its deliveries/s, with the CPU per delivery beside it.
    PollChat {
        clients: u64,
        senders: u64,
        in_flight: u64,
        /// Deliveries lost in the runs of both rooms.
        lost: u64,
        /// CPU per delivery, poll-chat-server's over chat-server's: shown, not judged.
        cpu_beside: Check,
        cpu: Option<CpuPair>,
        syscalls: Option<SyscallPair>,
        rounds: usize,
    },
    /// poll-chat-server has as many threads with `clients` in the room as with none, and no
    /// more than `most`.
    PollThreads {
        clients: u64,
        most: u64,
        run: Option<ChatResults>,
        /// chat-server in the same room, for comparison.
        threaded: Option<ChatResults>,
    },
    /// poll-chat-server's resident memory grows by at most `most_kib` per client.
    PollMemory {
        clients: u64,
        most_kib: f64,
        run: Option<ChatResults>,
        threaded: Option<ChatResults>,
    },
}

/// Two servers' CPU seconds per 1,000 operations, when both were measured.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct CpuPair {
    pub ours: String,
    pub ours_per_1000: f64,
    pub base: String,
    pub base_per_1000: f64,
    /// The share of each one's CPU time that was system time (the kernel's work for its
    /// system calls), when every sample measured it.
    pub ours_system_share: Option<f64>,
    pub base_system_share: Option<f64>,
}

/// Two servers' system calls per operation, when strace counted both.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct SyscallPair {
    pub ours: String,
    pub ours_calls: PerOperation,
    pub base: String,
    pub base_calls: PerOperation,
}

/// `write` calls per datagram of udp-server and of the Python server.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct LogWrites {
    pub rust: f64,
    pub python: f64,
}

/// What a log line per message costs: the same server with and without `--quiet`, in the
/// same run.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct LogCost {
    pub logging: &'static str,
    pub quiet: &'static str,
    pub operation: Operation,
    /// The CPU per operation with the log line, over the CPU without.
    pub ratio: f64,
    /// Microseconds of CPU more for each line printed.
    pub cost_us: f64,
    /// CPU seconds per 1,000 operations, with the log line and without.
    pub loud_per_1000: f64,
    pub silent_per_1000: f64,
}

/// What the log line costs, for the servers measured with and without it.
pub fn log_costs(bench: &Bench) -> Vec<LogCost> {
    let pairs = [
        (
            THREADS_LOGGING,
            THREADS,
            Operation::RoundTrip,
            Measure::CpuPerRoundTrip,
        ),
        (
            UDP_LOGGING,
            UDP_QUIET,
            Operation::Datagram,
            Measure::CpuPerDatagram,
        ),
    ];
    let mut costs = Vec::new();
    for (logging, quiet, operation, measure) in pairs {
        let samples = |label| match operation {
            Operation::RoundTrip => bench.echo_samples(label, COMPARED),
            _ => bench.udp_samples(label),
        };
        let (with_log, without) = (samples(logging), samples(quiet));
        let check = compare::cpu_check(&with_log, &without, Goal::AtMost(1.0), measure, quiet);
        let (Some(ratio), Some(loud), Some(silent)) =
            (check.ratio, cpu_per_1000(&with_log), cpu_per_1000(&without))
        else {
            continue;
        };
        costs.push(LogCost {
            logging,
            quiet,
            operation,
            ratio,
            // Seconds per 1,000 operations × 1,000 = microseconds per operation.
            cost_us: (loud - silent).max(0.0) * 1_000.0,
            loud_per_1000: loud,
            silent_per_1000: silent,
        });
    }
    costs
}

/// Every target, in the order the page lists them.
pub fn targets(bench: &Bench) -> Vec<Target> {
    vec![
        chat_in_flight(bench, 16),
        chat_in_flight(bench, 1),
        big_room(bench),
        echo_reference(bench, THREADS),
        bulk_reference(bench),
        udp_python(bench),
        echo_reference(bench, ASYNC),
        threads_10k(bench),
        async_10k(bench),
        poll_chat(bench, 16),
        poll_chat(bench, 1),
        poll_threads(bench),
        poll_memory(bench),
    ]
}

/// A run as a comparison sees it: its rate, and its server's CPU for its operations.
pub fn sample(rate: f64, cpu: Option<&CpuUse>) -> Sample {
    Sample {
        rate,
        cpu: cpu.and_then(|cpu| Some((cpu.server_s?, cpu.operations))),
        system: cpu.and_then(|cpu| cpu.server_system_s),
    }
}

/// CPU seconds per 1,000 operations over all the samples.
pub fn cpu_per_1000(samples: &[Sample]) -> Option<f64> {
    let (seconds, operations) = samples
        .iter()
        .filter_map(|s| s.cpu)
        .fold((0.0, 0.0), |(s, o), (seconds, ops)| (s + seconds, o + ops));
    (operations > 0.0).then(|| seconds * 1000.0 / operations)
}

impl Bench {
    /// Echo runs of `label` at `connections`, as samples for a comparison.
    pub fn echo_samples(&self, label: &str, connections: u64) -> Vec<Sample> {
        self.echo_runs(label, connections)
            .iter()
            .map(|r| sample(r.messages_per_s, r.cpu.as_ref()))
            .collect()
    }

    /// Chat runs of `label` in the targets' room, with `in_flight` lines in flight.
    fn chat_runs(&self, label: &str, in_flight: u64) -> Vec<&ChatResults> {
        self.chat()
            .filter(|r| {
                // --quick runs a smaller room: its ratios are judged all the same.
                let room = (r.clients == CHAT_CLIENTS && r.senders == CHAT_SENDERS) || self.quick();
                r.label.as_deref() == Some(label) && r.in_flight == Some(in_flight) && room
            })
            .collect()
    }

    fn chat_samples(&self, label: &str, in_flight: u64) -> Vec<Sample> {
        self.chat_runs(label, in_flight)
            .iter()
            .map(|r| sample(r.deliveries_per_s, r.cpu.as_ref()))
            .collect()
    }

    fn bulk_samples(&self, label: &str) -> Vec<Sample> {
        self.bulk()
            .filter(|r| r.label.as_deref() == Some(label))
            .map(|r| sample(r.bytes_per_s, r.cpu.as_ref()))
            .collect()
    }

    pub fn udp_samples(&self, label: &str) -> Vec<Sample> {
        self.udp()
            .filter(|r| r.label.as_deref() == Some(label))
            .map(|r| sample(r.round_trips_per_s, r.cpu.as_ref()))
            .collect()
    }
}

/// A target with nothing to judge: why, from the skipped scenario or the kind of run.
fn not_measured(bench: &Bench, kind: Kind, skip: Option<&NotRun>, checks: Vec<Check>) -> Target {
    let unmeasured = match (skip, bench.quick()) {
        (Some(skip), _) => Unmeasured::NotRun { skip: skip.clone() },
        (None, true) => Unmeasured::Quick,
        (None, false) => Unmeasured::NoRun,
    };
    Target {
        kind,
        verdict: Verdict::NotMeasured,
        unmeasured: Some(unmeasured),
        checks,
    }
}

/// A target made of ratios: met when every check is met, missed when one is missed.
fn ratio_target(bench: &Bench, kind: Kind, checks: Vec<Check>, skip: Option<&NotRun>) -> Target {
    if checks.iter().all(|c| c.met().is_none()) {
        return not_measured(bench, kind, skip, checks);
    }
    let verdict = if checks.iter().any(|c| c.met() == Some(false)) {
        Verdict::Missed
    } else if checks.iter().all(|c| c.met() == Some(true)) {
        Verdict::Met
    } else {
        Verdict::NotMeasured
    };
    Target {
        kind,
        verdict,
        unmeasured: None,
        checks,
    }
}

/// Both servers' CPU per 1,000 operations, if both used some.
fn cpu_pair(
    (ours, ours_samples): (&str, &[Sample]),
    (base, base_samples): (&str, &[Sample]),
) -> Option<CpuPair> {
    let (ours_per_1000, base_per_1000) = (cpu_per_1000(ours_samples)?, cpu_per_1000(base_samples)?);
    // A run too short for one clock tick says nothing.
    (ours_per_1000 > 0.0 && base_per_1000 > 0.0).then(|| CpuPair {
        ours: ours.to_string(),
        ours_per_1000,
        base: base.to_string(),
        base_per_1000,
        ours_system_share: system_share(ours_samples),
        base_system_share: system_share(base_samples),
    })
}

/// The share of the samples' CPU time that was system time, if every sample measured both.
fn system_share(samples: &[Sample]) -> Option<f64> {
    let (mut all, mut system) = (0.0, 0.0);
    for sample in samples {
        all += sample.cpu?.0;
        system += sample.system?;
    }
    (all > 0.0).then(|| system / all)
}

/// What strace counted for both servers, if it counted both.
fn syscall_pair(
    bench: &Bench,
    mode: &str,
    (ours, base): (&str, &str),
    in_flight: Option<u64>,
) -> Option<SyscallPair> {
    Some(SyscallPair {
        ours: ours.to_string(),
        ours_calls: bench.syscalls_of(mode, ours, in_flight)?.per_operation(),
        base: base.to_string(),
        base_calls: bench.syscalls_of(mode, base, in_flight)?.per_operation(),
    })
}

fn chat_in_flight(bench: &Bench, in_flight: u64) -> Target {
    let rate_goal = if in_flight == 16 { 2.0 } else { 1.0 };
    let (ours, base) = (
        bench.chat_samples(CHAT, in_flight),
        bench.chat_samples(PY_CHAT, in_flight),
    );
    let checks = vec![
        compare::rate_check(
            &ours,
            &base,
            Goal::AtLeast(rate_goal),
            Measure::DeliveriesPerS,
            "Python",
        ),
        compare::cpu_check(
            &ours,
            &base,
            Goal::AtMost(1.0),
            Measure::CpuPerDelivery,
            "Python",
        ),
    ];
    let skip = bench
        .not_run("chat")
        .find(|skip| skip.in_flight == Some(in_flight));
    let lost = bench
        .chat_runs(CHAT, in_flight)
        .iter()
        .chain(bench.chat_runs(PY_CHAT, in_flight).iter())
        .map(|r| r.lost)
        .sum();
    let kind = Kind::ChatInFlight {
        clients: CHAT_CLIENTS,
        senders: CHAT_SENDERS,
        in_flight,
        lost,
        cpu: cpu_pair((CHAT, &ours), (PY_CHAT, &base)),
        syscalls: syscall_pair(bench, "chat", (CHAT, PY_CHAT), Some(in_flight)),
        rounds: ours.len().min(base.len()),
    };
    ratio_target(bench, kind, checks, skip)
}

fn big_room(bench: &Bench) -> Target {
    let Some(r) = bench
        .chat()
        .find(|r| r.clients == BIG_ROOM && r.label.as_deref() == Some(CHAT))
    else {
        let skip = bench.skipped("chat", CHAT, Some(BIG_ROOM));
        let kind = Kind::BigRoom {
            clients: BIG_ROOM,
            run: None,
        };
        return not_measured(bench, kind, skip, Vec::new());
    };
    let met = r.connected == BIG_ROOM && r.lost == 0 && r.errors == 0 && !r.partial;
    Target {
        kind: Kind::BigRoom {
            clients: BIG_ROOM,
            run: Some(r.clone()),
        },
        verdict: if met { Verdict::Met } else { Verdict::Missed },
        unmeasured: None,
        checks: Vec::new(),
    }
}

/// echo-server --threads or async-echo-server against the reference, 50 connections × 64 B.
fn echo_reference(bench: &Bench, label: &str) -> Target {
    let (ours, base) = (
        bench.echo_samples(label, COMPARED),
        bench.echo_samples(REFERENCE, COMPARED),
    );
    let checks = vec![
        compare::rate_check(
            &ours,
            &base,
            Goal::AtLeast(0.9),
            Measure::RoundTripsPerS,
            REFERENCE,
        ),
        compare::cpu_check(
            &ours,
            &base,
            Goal::AtMost(1.1),
            Measure::CpuPerRoundTrip,
            REFERENCE,
        ),
    ];
    let kind = Kind::EchoReference {
        label: label.to_string(),
        connections: COMPARED,
        cpu: cpu_pair((label, &ours), (REFERENCE, &base)),
        syscalls: syscall_pair(bench, "echo", (label, REFERENCE), None),
        rounds: ours.len().min(base.len()),
    };
    ratio_target(
        bench,
        kind,
        checks,
        bench.skipped("echo", label, Some(COMPARED)),
    )
}

fn bulk_reference(bench: &Bench) -> Target {
    let (ours, base) = (
        bench.bulk_samples(THREADS_64K),
        bench.bulk_samples(REFERENCE),
    );
    let checks = vec![compare::rate_check(
        &ours,
        &base,
        Goal::AtLeast(0.9),
        Measure::MbPerS,
        REFERENCE,
    )];
    let kind = Kind::BulkReference {
        cpu: cpu_pair((THREADS_64K, &ours), (REFERENCE, &base)),
        rounds: ours.len().min(base.len()),
    };
    ratio_target(
        bench,
        kind,
        checks,
        bench.skipped("bulk", THREADS_64K, None),
    )
}

fn udp_python(bench: &Bench) -> Target {
    let (ours, base) = (bench.udp_samples(UDP_LOGGING), bench.udp_samples(PY_UDP));
    let checks = vec![compare::cpu_check(
        &ours,
        &base,
        Goal::AtMost(0.6),
        Measure::CpuPerDatagram,
        "Python",
    )];
    // What the counts show about the log line: a write per line, or a write per buffer.
    let writes = |label| {
        bench
            .syscalls_of("udp", label, None)
            .map(|s| s.writes_per_operation())
    };
    let log_writes = match (writes(UDP_LOGGING), writes(PY_UDP)) {
        (Some(rust), Some(python)) if rust >= 0.9 && python < 0.5 => {
            Some(LogWrites { rust, python })
        }
        _ => None,
    };
    let kind = Kind::UdpPython {
        cpu: cpu_pair((UDP_LOGGING, &ours), (PY_UDP, &base)),
        syscalls: syscall_pair(bench, "udp", (UDP_LOGGING, PY_UDP), None),
        log_writes,
        rounds: ours.len().min(base.len()),
    };
    ratio_target(bench, kind, checks, bench.skipped("udp", PY_UDP, None))
}

/// A run that held `MANY` connections with no error, to the end.
fn held_them_all(r: &EchoResults) -> bool {
    r.connected == MANY && r.errors == 0 && !r.partial
}

fn threads_10k(bench: &Bench) -> Target {
    let kind = |run| Kind::Threads10k {
        connections: MANY,
        run,
        nofile: bench.machine("nofile").to_string(),
    };
    let Some(r) = bench.echo_runs(THREADS, MANY).into_iter().next() else {
        let skip = bench.skipped("echo", THREADS, Some(MANY));
        return not_measured(bench, kind(None), skip, Vec::new());
    };
    Target {
        kind: kind(Some(r.clone())),
        verdict: if held_them_all(r) {
            Verdict::Met
        } else {
            Verdict::Missed
        },
        unmeasured: None,
        checks: Vec::new(),
    }
}

fn async_10k(bench: &Bench) -> Target {
    let Some(r) = bench.echo_runs(ASYNC, MANY).into_iter().next() else {
        let skip = bench.skipped("echo", ASYNC, Some(MANY));
        let kind = Kind::Async10k {
            connections: MANY,
            run: None,
            open_files_ran_out: false,
        };
        return not_measured(bench, kind, skip, Vec::new());
    };
    let open_files_ran_out = r
        .error_kinds
        .0
        .keys()
        .any(|kind| kind.contains("too many open files"));
    Target {
        kind: Kind::Async10k {
            connections: MANY,
            run: Some(r.clone()),
            open_files_ran_out,
        },
        verdict: if held_them_all(r) {
            Verdict::Met
        } else {
            Verdict::Missed
        },
        unmeasured: None,
        checks: Vec::new(),
    }
}

fn poll_chat(bench: &Bench, in_flight: u64) -> Target {
    let (ours, base) = (
        bench.chat_samples(POLL_CHAT, in_flight),
        bench.chat_samples(CHAT, in_flight),
    );
    let checks = vec![compare::rate_check(
        &ours,
        &base,
        Goal::AtLeast(1.0),
        Measure::DeliveriesPerS,
        "chat-server",
    )];
    let cpu_beside = compare::cpu_check(
        &ours,
        &base,
        Goal::AtMost(1.0),
        Measure::CpuPerDelivery,
        "chat-server",
    );
    let lost = bench
        .chat_runs(POLL_CHAT, in_flight)
        .iter()
        .chain(bench.chat_runs(CHAT, in_flight).iter())
        .map(|r| r.lost)
        .sum();
    let kind = Kind::PollChat {
        clients: CHAT_CLIENTS,
        senders: CHAT_SENDERS,
        in_flight,
        lost,
        cpu_beside,
        cpu: cpu_pair((POLL_CHAT, &ours), (CHAT, &base)),
        syscalls: syscall_pair(bench, "chat", (POLL_CHAT, CHAT), Some(in_flight)),
        rounds: ours.len().min(base.len()),
    };
    let skip = bench
        .not_run("chat")
        .find(|skip| skip.label == POLL_CHAT && skip.in_flight == Some(in_flight));
    ratio_target(bench, kind, checks, skip)
}

impl Bench {
    /// The run of `label` in a room that started empty (no `--in-flight`: the paced big
    /// rooms, each on a server of its own) with `clients`, or with the most clients in a
    /// quick run, whose rooms are smaller.
    pub fn fresh_room(&self, label: &str, clients: u64) -> Option<&ChatResults> {
        let rooms = self
            .chat()
            .filter(|r| r.label.as_deref() == Some(label) && r.in_flight.is_none());
        if self.quick() {
            rooms.max_by_key(|r| r.clients)
        } else {
            rooms.filter(|r| r.clients == clients).last()
        }
    }
}

/// The non-blocking lesson's room, as the threads and memory targets judge it: the
/// poll-chat-server run, chat-server's beside it, or why there is none.
fn huge_room(bench: &Bench) -> Result<(ChatResults, Option<ChatResults>), Option<&NotRun>> {
    let threaded = bench.fresh_room(CHAT, HUGE_ROOM).cloned();
    match bench.fresh_room(POLL_CHAT, HUGE_ROOM) {
        Some(run) => Ok((run.clone(), threaded)),
        None => Err(bench.skipped("chat", POLL_CHAT, Some(HUGE_ROOM))),
    }
}

/// Everyone joined and the run went to its end: what its memory reading says is about
/// the whole room.
fn whole_room(r: &ChatResults) -> bool {
    r.connected == r.clients && !r.partial
}

fn poll_threads(bench: &Bench) -> Target {
    let kind = |run, threaded| Kind::PollThreads {
        clients: HUGE_ROOM,
        most: LOOP_THREADS,
        run,
        threaded,
    };
    let (run, threaded) = match huge_room(bench) {
        Ok(found) => found,
        Err(skip) => return not_measured(bench, kind(None, None), skip, Vec::new()),
    };
    let memory = run.memory.clone().unwrap_or_default();
    let (Some(before), Some(with)) = (memory.threads_before, memory.threads_connected) else {
        return not_measured(bench, kind(Some(run), threaded), None, Vec::new());
    };
    let met = whole_room(&run) && with == before && with <= LOOP_THREADS;
    Target {
        kind: kind(Some(run), threaded),
        verdict: if met { Verdict::Met } else { Verdict::Missed },
        unmeasured: None,
        checks: Vec::new(),
    }
}

fn poll_memory(bench: &Bench) -> Target {
    let kind = |run, threaded| Kind::PollMemory {
        clients: HUGE_ROOM,
        most_kib: KIB_PER_IDLE_CLIENT,
        run,
        threaded,
    };
    let (run, threaded) = match huge_room(bench) {
        Ok(found) => found,
        Err(skip) => return not_measured(bench, kind(None, None), skip, Vec::new()),
    };
    let Some(per_client) = run.memory.as_ref().and_then(|m| m.rss_per_client_kib) else {
        return not_measured(bench, kind(Some(run), threaded), None, Vec::new());
    };
    let met = whole_room(&run) && per_client <= KIB_PER_IDLE_CLIENT;
    Target {
        kind: kind(Some(run), threaded),
        verdict: if met { Verdict::Met } else { Verdict::Missed },
        unmeasured: None,
        checks: Vec::new(),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::report::folder::{Entry, fields};
    use crate::results::{ErrorCounts, Expect, LatencySummary, MemoryUse, Results};

    #[test]
    fn the_system_share_is_given_only_when_every_run_measured_it() {
        let run = |cpu_s, system| Sample {
            rate: 1.0,
            cpu: Some((cpu_s, 1000.0)),
            system,
        };
        let both = cpu_pair(
            ("ours", &[run(1.0, Some(0.75)), run(1.0, Some(0.25))]),
            ("base", &[run(2.0, Some(1.5))]),
        )
        .expect("both measured");
        assert_eq!(both.ours_system_share, Some(0.5));
        assert_eq!(both.base_system_share, Some(0.75));
        let older = cpu_pair(
            ("ours", &[run(1.0, None)]),
            ("base", &[run(2.0, Some(1.0))]),
        )
        .expect("both measured");
        assert_eq!(older.ours_system_share, None);
    }

    /// CPU as loadgen saves it: `seconds` of server CPU for `operations`.
    pub fn cpu(seconds: f64, operations: f64) -> Option<CpuUse> {
        Some(CpuUse {
            pid: 1,
            operation: "round trip".into(),
            operations,
            server_s: Some(seconds),
            server_system_s: None,
            server_per_1000_s: Some(seconds * 1000.0 / operations),
            loadgen_s: None,
            unavailable: None,
        })
    }

    pub fn echo(label: &str, connections: u64, rate: f64, errors: u64) -> Entry {
        echo_with_cpu(label, connections, rate, errors, None)
    }

    pub fn echo_with_cpu(
        label: &str,
        connections: u64,
        rate: f64,
        errors: u64,
        cpu: Option<CpuUse>,
    ) -> Entry {
        let mut error_kinds = ErrorCounts::default();
        for _ in 0..errors {
            error_kinds.add("connect: too many open files");
        }
        Entry::Ran(Results::Echo(EchoResults {
            label: Some(label.into()),
            target: "127.0.0.1:1".into(),
            connections,
            messages: 10,
            size: 64,
            expect: Expect::Same,
            connected: connections - errors,
            connect_s: 0.1,
            round_trips: 10 * connections,
            messages_per_s: rate,
            latency: LatencySummary::default(),
            cpu,
            elapsed_s: 1.0,
            partial: false,
            errors,
            error_kinds,
        }))
    }

    /// The server's threads and resident memory (KiB) before and once `clients` joined.
    pub fn memory(clients: u64, threads: (u64, u64), rss_kib: (u64, u64)) -> Option<MemoryUse> {
        Some(MemoryUse {
            pid: 1,
            clients,
            threads_before: Some(threads.0),
            threads_connected: Some(threads.1),
            rss_before_kib: Some(rss_kib.0),
            rss_connected_kib: Some(rss_kib.1),
            rss_per_client_kib: Some((rss_kib.1 - rss_kib.0) as f64 / clients as f64),
            unavailable: None,
        })
    }

    /// A chat run of `label`: `joined` of `clients`, `in_flight` lines in flight (none: a
    /// paced room that started empty), at `rate` deliveries/s.
    pub fn chat(
        label: &str,
        (clients, joined): (u64, u64),
        in_flight: Option<u64>,
        rate: f64,
        cpu: Option<CpuUse>,
        memory: Option<MemoryUse>,
    ) -> Entry {
        let senders = if in_flight.is_some() { 5 } else { 10 };
        let expected = senders * 10 * joined.saturating_sub(1);
        Entry::Ran(Results::Chat(ChatResults {
            label: Some(label.into()),
            target: "127.0.0.1:1".into(),
            clients,
            senders,
            messages: 10,
            size: 32,
            rate: if in_flight.is_some() { 0.0 } else { 1.0 },
            in_flight,
            max_in_flight: in_flight.unwrap_or(0),
            connected: joined,
            connect_s: 1.0,
            sent: if joined == clients { senders * 10 } else { 0 },
            expected: if joined == clients { expected } else { 0 },
            delivered: if joined == clients { expected } else { 0 },
            lost: 0,
            deliveries_per_s: if joined == clients { rate } else { 0.0 },
            latency: LatencySummary::default(),
            cut_off: 0,
            cpu,
            memory,
            join_cpu: cpu_of_joins(joined),
            elapsed_s: if joined == clients { 12.0 } else { 46.0 },
            partial: joined != clients,
            errors: 0,
            error_kinds: ErrorCounts::default(),
        }))
    }

    /// What `joined` joins cost the server: quadratic, as a room that announces each one.
    fn cpu_of_joins(joined: u64) -> Option<CpuUse> {
        let seconds = (joined * joined) as f64 * 1e-6;
        let mut use_ = cpu(seconds, joined as f64)?;
        use_.operation = "join".into();
        use_.server_system_s = Some(seconds * 0.9);
        Some(use_)
    }

    /// The non-blocking lesson's runs: two rounds of the 200-client room for both chat
    /// servers (poll-chat-server faster with 16 in flight, slower with 1), and the
    /// 10,000-client room, where chat-server let only 4,000 in before the duration limit.
    pub fn poll_bench(poll_threads: u64, poll_rss_kib: u64) -> Bench {
        let mut entries = Vec::new();
        for _round in 0..2 {
            entries.extend([
                chat(CHAT, (200, 200), Some(16), 1.0e6, cpu(0.4, 1e6), None),
                chat(POLL_CHAT, (200, 200), Some(16), 1.2e6, cpu(0.3, 1e6), None),
                chat(CHAT, (200, 200), Some(1), 250_000.0, cpu(0.5, 3e5), None),
                chat(
                    POLL_CHAT,
                    (200, 200),
                    Some(1),
                    200_000.0,
                    cpu(0.3, 3e5),
                    None,
                ),
            ]);
        }
        entries.extend([
            chat(
                CHAT,
                (10_000, 4_000),
                None,
                0.0,
                None,
                memory(4_000, (3, 4_003), (3_000, 83_000)),
            ),
            chat(
                POLL_CHAT,
                (10_000, 10_000),
                None,
                100_000.0,
                cpu(1.5, 1e6),
                memory(10_000, (3, poll_threads), (3_000, 3_000 + poll_rss_kib)),
            ),
        ]);
        bench(entries)
    }

    #[test]
    fn the_one_thread_server_is_judged_against_the_threaded_one() {
        let b = poll_bench(3, 19_000);
        let t = poll_chat(&b, 16);
        assert_eq!(t.verdict, Verdict::Met);
        assert!((t.checks[0].ratio.expect("ratio") - 1.2).abs() < 1e-9);
        assert_eq!(t.checks.len(), 1, "CPU is beside the rate, not judged");
        let Kind::PollChat {
            cpu_beside, rounds, ..
        } = &t.kind
        else {
            panic!("{:?}", t.kind)
        };
        assert!((cpu_beside.ratio.expect("ratio") - 0.75).abs() < 1e-9);
        assert_eq!(*rounds, 2);
        let t = poll_chat(&b, 1);
        assert_eq!(t.verdict, Verdict::Missed);
        assert_eq!(t.checks[0].miss_percent.map(f64::round), Some(20.0));

        assert_eq!(poll_threads(&b).verdict, Verdict::Met);
        let t = poll_memory(&b);
        assert_eq!(t.verdict, Verdict::Met);
        let Kind::PollMemory { run, threaded, .. } = &t.kind else {
            panic!("{:?}", t.kind)
        };
        assert_eq!(run.as_ref().map(|r| r.connected), Some(10_000));
        assert_eq!(threaded.as_ref().map(|r| r.connected), Some(4_000));
        // The big-room target is chat-server's alone.
        assert_eq!(big_room(&b).verdict, Verdict::NotMeasured);
    }

    #[test]
    fn a_thread_per_client_or_too_much_memory_misses() {
        let b = poll_bench(10_003, 19_000);
        assert_eq!(poll_threads(&b).verdict, Verdict::Missed);
        assert_eq!(poll_memory(&b).verdict, Verdict::Met);
        let b = poll_bench(3, 50_000);
        assert_eq!(poll_threads(&b).verdict, Verdict::Met);
        assert_eq!(poll_memory(&b).verdict, Verdict::Missed, "5 KiB per client");
        // A room where not everyone joined says nothing about 10,000 clients.
        let mut b = poll_bench(3, 19_000);
        b.entries.retain(|e| {
            !matches!(e, Entry::Ran(Results::Chat(r))
                if r.label.as_deref() == Some(POLL_CHAT) && r.in_flight.is_none())
        });
        b.entries.push(chat(
            POLL_CHAT,
            (10_000, 9_000),
            None,
            0.0,
            None,
            memory(9_000, (3, 3), (3_000, 20_000)),
        ));
        assert_eq!(poll_threads(&b).verdict, Verdict::Missed);
        assert_eq!(poll_memory(&b).verdict, Verdict::Missed);
    }

    #[test]
    fn the_big_room_not_run_says_why() {
        let skip = NotRun {
            mode: "chat".into(),
            label: POLL_CHAT.into(),
            connections: Some(HUGE_ROOM),
            in_flight: None,
            reason: crate::report::folder::Reason::examples()[1].clone(),
        };
        let b = bench(vec![Entry::NotRun(skip.clone())]);
        for t in [poll_threads(&b), poll_memory(&b)] {
            assert_eq!(t.verdict, Verdict::NotMeasured);
            assert_eq!(
                t.unmeasured,
                Some(Unmeasured::NotRun { skip: skip.clone() })
            );
        }
        let nothing = bench(Vec::new());
        assert_eq!(poll_memory(&nothing).unmeasured, Some(Unmeasured::NoRun));
        assert_eq!(poll_chat(&nothing, 16).verdict, Verdict::NotMeasured);
    }

    pub fn bench(entries: Vec<Entry>) -> Bench {
        Bench {
            machine: fields("date=2026-05-01\ncpu=AMD EPYC\ncores=2\nquick=no\n"),
            entries,
            notes: Vec::new(),
            syscalls: Vec::new(),
        }
    }

    /// The round-trip targets of a run with two rounds against the reference, and a 10,000
    /// connection run that ran out of file descriptors. (How the page words them:
    /// `render.rs`'s test of the same name.)
    pub fn ratio_bench() -> Bench {
        bench(vec![
            echo_with_cpu(THREADS, 50, 95_000.0, 0, cpu(1.2, 100_000.0)),
            echo_with_cpu(REFERENCE, 50, 100_000.0, 0, cpu(1.0, 100_000.0)),
            echo_with_cpu(THREADS, 50, 99_000.0, 0, cpu(1.2, 100_000.0)),
            echo_with_cpu(REFERENCE, 50, 100_000.0, 0, cpu(1.0, 100_000.0)),
            echo(ASYNC, 10_000, 50_000.0, 3),
        ])
    }

    #[test]
    fn targets_are_ratios_to_the_baseline_of_the_same_run() {
        let b = ratio_bench();
        let t = echo_reference(&b, THREADS);
        assert_eq!(t.verdict, Verdict::Missed);
        let [rate, cpu] = &t.checks[..] else {
            panic!("two checks: {:?}", t.checks)
        };
        assert_eq!(rate.met(), Some(true));
        assert_eq!(rate.range, Some((0.95, 0.99)));
        assert_eq!(cpu.met(), Some(false));
        assert!((cpu.ratio.expect("ratio") - 1.2).abs() < 1e-9);
        let Kind::EchoReference { cpu, rounds, .. } = &t.kind else {
            panic!("{:?}", t.kind)
        };
        assert_eq!(*rounds, 2);
        let cpu = cpu.as_ref().expect("both measured");
        assert!((cpu.ours_per_1000 - 0.012).abs() < 1e-9, "{cpu:?}");

        let t = async_10k(&b);
        assert_eq!(t.verdict, Verdict::Missed);
        assert!(matches!(
            t.kind,
            Kind::Async10k {
                open_files_ran_out: true,
                ..
            }
        ));
        let t = bulk_reference(&b);
        assert_eq!(t.verdict, Verdict::NotMeasured);
        assert_eq!(t.unmeasured, Some(Unmeasured::NoRun));
        let t = echo_reference(&b, ASYNC);
        assert_eq!(t.verdict, Verdict::NotMeasured);
    }
}
