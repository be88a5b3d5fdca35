//! The results of a run, as `--json` writes them and `loadgen report` reads them back: the one
//! schema the runners (`echo`, `bulk`, `chat`, `udp`) produce and the report consumes.
//!
//! Plain data: this module imports nothing of loadgen's but the way numbers read (for
//! [`ErrorCounts::describe`]). A field added here is saved by every run from then on; give it
//! `#[serde(default)]` so that results saved before it still read.

use std::collections::BTreeMap;
use std::io;

use serde::{Deserialize, Serialize};

use crate::numbers::thousands;

/// The results of any mode, as `--json` prints them: `{"mode": "echo", ...}`. A run makes
/// one, and a report reads a few dozen: boxing the chat's larger results would only add noise
/// to every match.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum Results {
    Echo(EchoResults),
    Bulk(BulkResults),
    Chat(ChatResults),
    Udp(UdpResults),
}

/// What an echo server sends back.
#[derive(clap::ValueEnum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// The same bytes (echo-server)
    Same,
    /// The same bytes in ASCII upper case (async-echo-server)
    Upper,
}

impl Expect {
    pub fn name(self) -> &'static str {
        match self {
            Expect::Same => "same",
            Expect::Upper => "upper",
        }
    }
}

/// The results of one `loadgen echo` run.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct EchoResults {
    pub label: Option<String>,
    pub target: String,
    pub connections: u64,
    pub messages: u64,
    pub size: u64,
    pub expect: Expect,
    /// Connections the server took (and that stayed open for the whole run).
    pub connected: u64,
    /// Seconds to open them all.
    pub connect_s: f64,
    /// Round trips that came back complete and correct.
    pub round_trips: u64,
    pub messages_per_s: f64,
    pub latency: LatencySummary,
    /// The server's CPU time per round trip (with `--server-pid`).
    #[serde(default)]
    pub cpu: Option<CpuUse>,
    pub elapsed_s: f64,
    pub partial: bool,
    pub errors: u64,
    pub error_kinds: ErrorCounts,
}

/// The results of one `loadgen bulk` run.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct BulkResults {
    pub label: Option<String>,
    pub target: String,
    pub connections: u64,
    pub bytes_per_connection: u64,
    pub chunk: u64,
    pub expect: Expect,
    pub connected: u64,
    /// Bytes written, all connections together.
    pub bytes_sent: u64,
    /// Bytes that came back and matched what was sent, in order.
    pub bytes_verified: u64,
    /// Verified bytes per second, from the first write to the last byte read back.
    pub bytes_per_s: f64,
    /// Where the first wrong byte was, if one came back.
    pub first_wrong_byte: Option<u64>,
    /// The server's CPU time per MB verified (with `--server-pid`).
    #[serde(default)]
    pub cpu: Option<CpuUse>,
    pub elapsed_s: f64,
    pub partial: bool,
    pub errors: u64,
    pub error_kinds: ErrorCounts,
}

/// The results of one `loadgen chat` run.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ChatResults {
    pub label: Option<String>,
    pub target: String,
    pub clients: u64,
    pub senders: u64,
    pub messages: u64,
    pub size: u64,
    pub rate: f64,
    /// `--in-flight`: lines of one sender on their way at most (none: no bound).
    #[serde(default)]
    pub in_flight: Option<u64>,
    /// The most lines of one sender that were on their way (sent, not yet at the watching
    /// client) right after a send: at most `in_flight` when that is set.
    #[serde(default)]
    pub max_in_flight: u64,
    /// Clients that joined the room.
    pub connected: u64,
    pub connect_s: f64,
    /// Lines sent, all senders together.
    pub sent: u64,
    /// Deliveries due: every line sent, to every other client that joined.
    pub expected: u64,
    /// Deliveries that arrived.
    pub delivered: u64,
    /// `expected − delivered`.
    pub lost: u64,
    /// Deliveries per second, from the first send to the last delivery.
    pub deliveries_per_s: f64,
    /// From send to delivery.
    pub latency: LatencySummary,
    /// Clients the server closed before the end (it cuts off clients that read too slowly).
    pub cut_off: u64,
    /// The server's CPU time per delivery (with `--server-pid`).
    #[serde(default)]
    pub cpu: Option<CpuUse>,
    /// The server's threads and memory per client (chat runs; older results have none).
    #[serde(default)]
    pub memory: Option<MemoryUse>,
    /// The server's CPU time while the clients joined, per join (with `--server-pid`): each
    /// join is announced to everyone already in the room, so this grows with the room.
    #[serde(default)]
    pub join_cpu: Option<CpuUse>,
    pub elapsed_s: f64,
    pub partial: bool,
    pub errors: u64,
    pub error_kinds: ErrorCounts,
}

/// What a UDP server answers.
#[derive(clap::ValueEnum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UdpExpect {
    /// The same bytes (udp-server --echo): answers are checked and matched to their datagram
    Echo,
    /// Any answer counts (udp-server's fixed reply): the next answer is taken as this one's
    Any,
}

/// The results of one `loadgen udp` run.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct UdpResults {
    pub label: Option<String>,
    pub target: String,
    pub sockets: u64,
    pub datagrams: u64,
    pub size: u64,
    pub expect: UdpExpect,
    pub wait_ms: u64,
    /// Datagrams sent, all sockets together.
    pub sent: u64,
    /// Datagrams answered in time (and, with `--expect echo`, answered right).
    pub answered: u64,
    /// Datagrams with no answer within `--wait-ms`.
    pub lost: u64,
    pub loss_percent: f64,
    /// Answers that came after their datagram was counted lost (`--expect echo` only).
    pub late: u64,
    /// Answers that were not the datagram sent (cut short by the server's buffer, say).
    pub wrong: u64,
    pub round_trips_per_s: f64,
    pub latency: LatencySummary,
    /// The server's CPU time per datagram answered (with `--server-pid`).
    #[serde(default)]
    pub cpu: Option<CpuUse>,
    pub elapsed_s: f64,
    pub partial: bool,
    pub errors: u64,
    pub error_kinds: ErrorCounts,
}

/// Latency percentiles, in microseconds.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq)]
pub struct LatencySummary {
    /// How many measurements.
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

/// The server's CPU time during a run (`null` without `--server-pid`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct CpuUse {
    /// The server's process id, as given with `--server-pid`.
    pub pid: u32,
    /// What one operation is: `round trip`, `delivery`, `datagram` or `MB`.
    pub operation: String,
    /// How many operations the measured phase did.
    pub operations: f64,
    /// CPU seconds (user + system) the server used during the measured phase.
    pub server_s: Option<f64>,
    /// Of those, the system time: the kernel's work on the server's behalf (its system
    /// calls). Results saved before it was measured have none.
    #[serde(default)]
    pub server_system_s: Option<f64>,
    /// The server's CPU seconds per 1,000 operations: the number to compare between servers.
    pub server_per_1000_s: Option<f64>,
    /// CPU seconds loadgen itself used meanwhile, for the same operations.
    pub loadgen_s: Option<f64>,
    /// Why there is no number, where there is none (no `/proc`, the server had exited, ...).
    pub unavailable: Option<String>,
}

/// The server's threads and resident memory before the clients connected and once they all
/// had (`--server-pid`, Linux's `/proc/PID/status`).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct MemoryUse {
    /// The server's process id, as given with `--server-pid`.
    pub pid: u32,
    /// Clients connected at the second reading.
    pub clients: u64,
    pub threads_before: Option<u64>,
    pub threads_connected: Option<u64>,
    pub rss_before_kib: Option<u64>,
    pub rss_connected_kib: Option<u64>,
    /// What one more connection costs the server in resident memory, in KiB.
    pub rss_per_client_kib: Option<f64>,
    /// Why there is no number, where there is none.
    pub unavailable: Option<String>,
}

/// Errors by kind, such as `connect: connection refused` → 3.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct ErrorCounts(pub BTreeMap<String, u64>);

impl ErrorCounts {
    pub fn add(&mut self, kind: impl Into<String>) {
        *self.0.entry(kind.into()).or_default() += 1;
    }

    /// An I/O error while `doing` something, in the words of [`common::describe`].
    pub fn add_io(&mut self, doing: &str, error: &io::Error) {
        self.add(format!("{doing}: {}", common::describe(error)));
    }

    pub fn merge(&mut self, other: ErrorCounts) {
        for (kind, count) in other.0 {
            *self.0.entry(kind).or_default() += count;
        }
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// `connect: connection refused ×3, wrong reply ×1`, or `none`.
    pub fn describe(&self) -> String {
        if self.0.is_empty() {
            return "none".into();
        }
        let kinds: Vec<String> = self
            .0
            .iter()
            .map(|(kind, count)| format!("{kind} ×{}", thousands(*count)))
            .collect();
        kinds.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_by_kind() {
        let mut errors = ErrorCounts::default();
        assert_eq!(errors.describe(), "none");
        errors.add("wrong reply");
        let mut other = ErrorCounts::default();
        other.add_io(
            "connect",
            &io::Error::from(io::ErrorKind::ConnectionRefused),
        );
        other.add("wrong reply");
        errors.merge(other);
        assert_eq!(errors.total(), 3);
        assert_eq!(
            errors.describe(),
            "connect: connection refused ×1, wrong reply ×2"
        );
    }

    #[test]
    fn chat_results_saved_before_memory_and_join_cpu_still_read() {
        let older = r#"{"mode": "chat", "label": "chat-server --quiet", "target": "127.0.0.1:1",
            "clients": 200, "senders": 5, "messages": 300, "size": 32, "rate": 0.0,
            "in_flight": 1, "max_in_flight": 1, "connected": 200, "connect_s": 0.2,
            "sent": 1500, "expected": 298500, "delivered": 298500, "lost": 0,
            "deliveries_per_s": 340985.0,
            "latency": {"count": 1, "mean_us": 1.0, "p50_us": 1.0, "p99_us": 1.0,
                        "p999_us": 1.0, "max_us": 1.0},
            "cut_off": 0, "cpu": null, "elapsed_s": 1.0, "partial": false, "errors": 0,
            "error_kinds": {}}"#;
        let Ok(Results::Chat(chat)) = serde_json::from_str::<Results>(older) else {
            panic!("older chat results must still read");
        };
        assert_eq!((chat.memory, chat.join_cpu), (None, None));
    }

    #[test]
    fn json_results_round_trip_with_their_mode() {
        let results = Results::Echo(EchoResults {
            label: Some("async-echo-server".into()),
            target: "127.0.0.1:1".into(),
            connections: 50,
            messages: 10,
            size: 64,
            expect: Expect::Upper,
            connected: 50,
            connect_s: 0.1,
            round_trips: 500,
            messages_per_s: 1.0,
            latency: LatencySummary::default(),
            cpu: None,
            elapsed_s: 1.0,
            partial: false,
            errors: 0,
            error_kinds: ErrorCounts::default(),
        });
        let text = serde_json::to_string(&results).expect("serialise");
        assert!(
            text.starts_with(r#"{"mode":"echo","label":"async-echo-server""#),
            "{text}"
        );
        let back: Results = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, results);
    }
}
