//! What `scripts/bench.sh` leaves in its results folder, read into [`Bench`].
//!
//! The folder holds `machine.txt` (`key=value` lines: date, cpu, cores, ...) and, per scenario
//! in the order they ran:
//!
//! - `NN-name.json`: the `--json` output of one loadgen run ([`Results`]), its `label` naming
//!   the server and its flags;
//! - or `NN-name.skip`: a scenario that could not run, as `key=value` lines: `mode=`,
//!   `label=`, `connections=`, `in_flight=` (chat), and `reason=` with a [`Reason`] code and
//!   that reason's own fields (`nofile=`, ...). The script names the reason; the page's
//!   templates put it in words, in each language;
//! - `NN-name.notes`: what the server printed on standard error meanwhile (`said=` lines) and,
//!   for UDP, the datagrams the kernel dropped (`udp_drops=`);
//! - `NN-name.syscalls` and `NN-name.profile`: the table `strace -c` printed for one more run,
//!   not timed, and loadgen's `--json` output of that run (how many operations the calls
//!   were for).
//!
//! Reading is all this module does: judging is `judge.rs`'s, words are the templates'.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use common::Failure;
use serde::Serialize;

use crate::results::{BulkResults, ChatResults, EchoResults, Results, UdpResults};

/// The labels scripts/bench.sh gives the servers it compares.
pub const PY_ECHO: &str = "python3 scripts/bench/echo_server.py";
pub const PY_CHAT: &str = "python3 scripts/bench/chat_room.py";
pub const PY_UDP: &str = "python3 scripts/bench/udp_server.py";
pub const REFERENCE: &str = "reference-echo";
pub const CHAT: &str = "chat-server --quiet";
pub const POLL_CHAT: &str = "poll-chat-server --quiet";
pub const THREADS: &str = "echo-server --threads --quiet";
pub const THREADS_LOGGING: &str = "echo-server --threads";
pub const ASYNC: &str = "async-echo-server --quiet";
pub const UDP_LOGGING: &str = "udp-server";
pub const UDP_QUIET: &str = "udp-server --quiet";
pub const THREADS_64K: &str = "echo-server --threads --quiet --buf-size 65536";

/// The echo server's read buffer when it has no `--buf-size` flag: its `BUFSIZ` constant.
const ECHO_SERVER_BUFSIZ: u64 = 1024;

/// The baselines' read buffer: reference-echo's and the Python echo server's 64 KiB.
const BASELINE_BUFSIZ: u64 = 65_536;

/// Everything the page is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Bench {
    /// `machine.txt`: date, cpu, cores, kernel, rustc, python, load, commit, dirty, nofile,
    /// nofile_before, nofile_hard, quick, took.
    pub machine: BTreeMap<String, String>,
    /// The scenarios, in the order they ran.
    pub entries: Vec<Entry>,
    pub notes: Vec<ServerNote>,
    pub syscalls: Vec<SyscallCount>,
}

/// One scenario of the results folder. A run's results are far larger than a skip, but a
/// page has a few dozen entries: boxing them would only add noise to every match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Ran(Results),
    NotRun(NotRun),
}

/// A scenario that did not run, and why.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct NotRun {
    pub mode: String,
    pub label: String,
    pub connections: Option<u64>,
    /// Chat only: `--in-flight`.
    pub in_flight: Option<u64>,
    pub reason: Reason,
}

/// Why a scenario could not run: the codes scripts/bench.sh writes (`reason=no-python3`),
/// each with the fields its words need. The templates word every code in each language
/// (the `reason` macro); a test checks that none is missing.
///
/// A new reason: a variant here, its code in [`Reason::CODES`] and [`Reason::parse`], an
/// example in [`Reason::examples`], and its words in every template.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum Reason {
    /// `python3` is not installed, so the Python baselines cannot run.
    NoPython3,
    /// The open-file limit (`ulimit -n`) is below what the scenario needs; the hard limit
    /// says how far it could be raised without root.
    OpenFileLimit {
        nofile: String,
        nofile_hard: String,
        needed: u64,
    },
    /// The process limit (`ulimit -u`) is below a thread per connection.
    ProcessLimit { nproc: String },
    /// loadgen itself failed; `error` is its last line on standard error.
    LoadgenFailed { error: String },
}

impl Reason {
    /// Every code, as `reason=` spells it.
    pub const CODES: [&str; 4] = [
        "no-python3",
        "open-file-limit",
        "process-limit",
        "loadgen-failed",
    ];

    /// The reason a `.skip` file's fields give, or what is wrong with them.
    pub fn parse(fields: &BTreeMap<String, String>) -> Result<Reason, String> {
        let code = fields
            .get("reason")
            .ok_or("there is no reason= line")?
            .as_str();
        let field = |key: &str| {
            fields
                .get(key)
                .cloned()
                .ok_or_else(|| format!("reason={code} needs {key}="))
        };
        Ok(match code {
            "no-python3" => Reason::NoPython3,
            "open-file-limit" => Reason::OpenFileLimit {
                nofile: field("nofile")?,
                nofile_hard: field("nofile_hard")?,
                needed: field("needed")?
                    .parse()
                    .map_err(|_| "needed= is not a number".to_string())?,
            },
            "process-limit" => Reason::ProcessLimit {
                nproc: field("nproc")?,
            },
            "loadgen-failed" => Reason::LoadgenFailed {
                error: field("error")?,
            },
            _ => {
                return Err(format!(
                    "'{code}' is not a reason loadgen knows ({})",
                    Reason::CODES.join(", ")
                ));
            }
        })
    }

    /// The code, as `reason=` spells it.
    #[cfg(test)]
    pub fn code(&self) -> &'static str {
        match self {
            Reason::NoPython3 => "no-python3",
            Reason::OpenFileLimit { .. } => "open-file-limit",
            Reason::ProcessLimit { .. } => "process-limit",
            Reason::LoadgenFailed { .. } => "loadgen-failed",
        }
    }

    /// One reason of every code, for the tests.
    #[cfg(test)]
    pub fn examples() -> Vec<Reason> {
        vec![
            Reason::NoPython3,
            Reason::OpenFileLimit {
                nofile: "1024".into(),
                nofile_hard: "4096".into(),
                needed: 10_240,
            },
            Reason::ProcessLimit {
                nproc: "4096".into(),
            },
            Reason::LoadgenFailed {
                error: "error: cannot connect to 127.0.0.1:1: connection refused".into(),
            },
        ]
    }
}

/// What a server printed on standard error during one scenario (`NN-name.notes`).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct ServerNote {
    pub mode: String,
    pub label: String,
    pub connections: Option<u64>,
    /// Its most frequent lines, each with how often it came: `accept failed: ... (×12)`.
    pub said: Vec<String>,
    /// UDP only: datagrams the kernel dropped meanwhile because a receive buffer was full
    /// (`RcvbufErrors` in /proc/net/snmp, for the whole machine).
    pub udp_drops: Option<u64>,
}

/// What one operation of a mode is, for "system calls per round trip".
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    RoundTrip,
    Delivery,
    Datagram,
    Mb,
}

/// A server's system calls during one extra run, counted by `strace -c -f`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyscallCount {
    pub mode: String,
    pub label: String,
    /// Chat only: `--in-flight`.
    pub in_flight: Option<u64>,
    /// What one operation is, and how many the run did.
    pub operation: Operation,
    pub operations: f64,
    /// Calls by system call, the most frequent first.
    pub calls: Vec<(String, u64)>,
}

/// System calls per operation: all of them, and the most frequent four by name.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct PerOperation {
    pub operation: Operation,
    pub total: f64,
    pub top: Vec<(String, f64)>,
}

impl SyscallCount {
    /// Calls of every kind, per operation.
    pub fn per_operation(&self) -> PerOperation {
        let per = |calls: u64| calls as f64 / self.operations.max(1.0);
        PerOperation {
            operation: self.operation,
            total: per(self.calls.iter().map(|(_, calls)| calls).sum()),
            top: self
                .calls
                .iter()
                .take(4)
                .map(|(name, calls)| (name.clone(), per(*calls)))
                .collect(),
        }
    }

    /// `write` calls per operation.
    pub fn writes_per_operation(&self) -> f64 {
        let writes: u64 = self
            .calls
            .iter()
            .filter(|(name, _)| name == "write")
            .map(|(_, calls)| calls)
            .sum();
        writes as f64 / self.operations.max(1.0)
    }
}

/// The calls of `strace -c` output: `% time seconds usecs/call calls [errors] syscall` rows.
pub fn parse_strace(text: &str) -> Vec<(String, u64)> {
    let mut calls: Vec<(String, u64)> = text
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let name = *words.last()?;
            if words.len() < 5 || name == "total" || words[0].parse::<f64>().is_err() {
                return None;
            }
            Some((name.to_string(), words[3].parse().ok()?))
        })
        .collect();
    calls.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    calls
}

/// `key=value` lines (blank lines and lines without `=` are skipped).
pub fn fields(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .collect()
}

/// Reads the results folder.
pub fn read(folder: &Path) -> Result<Bench, Failure> {
    let failed =
        |path: &Path, error: &io::Error| Failure::new(format!("reading {}", path.display()), error);
    let unreadable = |path: &Path, what: String| {
        Failure::custom(
            format!("{}: {what}", path.display()),
            None,
            common::exit_code::IO,
        )
    };
    let machine_file = folder.join("machine.txt");
    let machine =
        fields(&fs::read_to_string(&machine_file).map_err(|e| failed(&machine_file, &e))?);
    let mut paths: Vec<PathBuf> = fs::read_dir(folder)
        .map_err(|e| failed(folder, &e))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    paths.sort();
    let mut entries = Vec::new();
    let mut notes = Vec::new();
    let mut syscalls = Vec::new();
    for path in paths {
        let text = || fs::read_to_string(&path).map_err(|e| failed(&path, &e));
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => {
                let results = serde_json::from_str(&text()?).map_err(|error| {
                    unreadable(&path, format!("not loadgen --json output: {error}"))
                })?;
                entries.push(Entry::Ran(results));
            }
            Some("skip") => {
                let skip = fields(&text()?);
                let get = |key: &str| skip.get(key).cloned().unwrap_or_default();
                let reason = Reason::parse(&skip).map_err(|error| unreadable(&path, error))?;
                entries.push(Entry::NotRun(NotRun {
                    mode: get("mode"),
                    label: get("label"),
                    connections: get("connections").parse().ok(),
                    in_flight: get("in_flight").parse().ok(),
                    reason,
                }));
            }
            Some("notes") => {
                let text = text()?;
                let note = fields(&text);
                let get = |key: &str| note.get(key).cloned().unwrap_or_default();
                notes.push(ServerNote {
                    mode: get("mode"),
                    label: get("label"),
                    connections: get("connections").parse().ok(),
                    said: text
                        .lines()
                        .filter_map(|line| line.strip_prefix("said="))
                        .map(str::to_string)
                        .collect(),
                    udp_drops: get("udp_drops").parse().ok(),
                });
            }
            Some("syscalls") => {
                // The run's results tell what the calls were for; without them, skip it.
                let profile = path.with_extension("profile");
                let Ok(results) = fs::read_to_string(&profile) else {
                    continue;
                };
                let Ok(results) = serde_json::from_str::<Results>(&results) else {
                    continue;
                };
                let (mode, label, in_flight, operation, operations) = match &results {
                    Results::Echo(r) => (
                        "echo",
                        &r.label,
                        None,
                        Operation::RoundTrip,
                        r.round_trips as f64,
                    ),
                    Results::Chat(r) => (
                        "chat",
                        &r.label,
                        r.in_flight,
                        Operation::Delivery,
                        r.delivered as f64,
                    ),
                    Results::Udp(r) => (
                        "udp",
                        &r.label,
                        None,
                        Operation::Datagram,
                        r.answered as f64,
                    ),
                    Results::Bulk(r) => (
                        "bulk",
                        &r.label,
                        None,
                        Operation::Mb,
                        r.bytes_verified as f64 / 1e6,
                    ),
                };
                syscalls.push(SyscallCount {
                    mode: mode.to_string(),
                    label: label.clone().unwrap_or_default(),
                    in_flight,
                    operation,
                    operations,
                    calls: parse_strace(&text()?),
                });
            }
            _ => {}
        }
    }
    Ok(Bench {
        machine,
        entries,
        notes,
        syscalls,
    })
}

/// The server a label names: its first word.
pub fn server(label: &str) -> &str {
    label.split_whitespace().next().unwrap_or("")
}

/// The read buffer a bulk run's server used: `--buf-size N` in its label, else echo-server's
/// fixed `BUFSIZ`, or the baselines' 64 KiB.
pub fn buffer_of(label: &str) -> Option<u64> {
    let words: Vec<&str> = label.split_whitespace().collect();
    match words.iter().position(|w| *w == "--buf-size") {
        Some(at) => words.get(at + 1)?.parse().ok(),
        None if server(label) == "echo-server" => Some(ECHO_SERVER_BUFSIZ),
        None if label == REFERENCE || label == PY_ECHO => Some(BASELINE_BUFSIZ),
        None => None,
    }
}

impl Bench {
    pub fn echo(&self) -> impl Iterator<Item = &EchoResults> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Ran(Results::Echo(results)) => Some(results),
            _ => None,
        })
    }

    pub fn bulk(&self) -> impl Iterator<Item = &BulkResults> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Ran(Results::Bulk(results)) => Some(results),
            _ => None,
        })
    }

    pub fn chat(&self) -> impl Iterator<Item = &ChatResults> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Ran(Results::Chat(results)) => Some(results),
            _ => None,
        })
    }

    pub fn udp(&self) -> impl Iterator<Item = &UdpResults> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Ran(Results::Udp(results)) => Some(results),
            _ => None,
        })
    }

    /// The scenarios of `mode` that did not run.
    pub fn not_run(&self, mode: &str) -> impl Iterator<Item = &NotRun> {
        self.entries.iter().filter_map(move |entry| match entry {
            Entry::NotRun(skip) if skip.mode == mode => Some(skip),
            _ => None,
        })
    }

    /// Echo runs of `label` at `connections`.
    pub fn echo_runs(&self, label: &str, connections: u64) -> Vec<&EchoResults> {
        self.echo()
            .filter(|r| r.label.as_deref() == Some(label) && r.connections == connections)
            .collect()
    }

    /// The scenario of `mode` and `label` (at `connections`, if given) that did not run.
    pub fn skipped(&self, mode: &str, label: &str, connections: Option<u64>) -> Option<&NotRun> {
        self.not_run(mode).find(|skip| {
            skip.label == label && (connections.is_none() || skip.connections == connections)
        })
    }

    /// The system calls counted for `label` in `mode` (and `in_flight`, for the chat).
    pub fn syscalls_of(
        &self,
        mode: &str,
        label: &str,
        in_flight: Option<u64>,
    ) -> Option<&SyscallCount> {
        self.syscalls
            .iter()
            .find(|s| s.mode == mode && s.label == label && s.in_flight == in_flight)
    }

    /// A line of `machine.txt`, or `?`.
    pub fn machine(&self, key: &str) -> &str {
        self.machine.get(key).map_or("?", String::as_str)
    }

    /// Whether this was `scripts/bench.sh --quick`.
    pub fn quick(&self) -> bool {
        self.machine
            .get("quick")
            .is_some_and(|value| value == "yes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_from_the_label() {
        assert_eq!(
            buffer_of("async-echo-server --buf-size 65536"),
            Some(65_536)
        );
        assert_eq!(buffer_of("echo-server --threads"), Some(1024));
        assert_eq!(buffer_of("async-echo-server"), None);
        assert_eq!(buffer_of(REFERENCE), Some(65_536));
    }

    #[test]
    fn system_calls_are_read_from_straces_table() {
        let calls = parse_strace(
            "% time     seconds  usecs/call     calls    errors syscall\n\
             ------ ----------- ----------- --------- --------- ----------------\n\
              95.84  129.016333      424395       304           recvfrom\n\
               3.27    4.402163         107     40929        81 sendto\n\
             ------ ----------- ----------- --------- --------- ----------------\n\
             100.00  134.000000         300     41233        81 total\n",
        );
        assert_eq!(
            calls,
            [
                ("sendto".to_string(), 40_929),
                ("recvfrom".to_string(), 304)
            ]
        );
    }

    #[test]
    fn reasons_are_codes_with_their_fields() {
        for example in Reason::examples() {
            assert!(Reason::CODES.contains(&example.code()), "{example:?}");
            // Written as scripts/bench.sh writes it, read back the same.
            let mut written = fields(&format!("reason={}\n", example.code()));
            let json = serde_json::to_value(&example).expect("serialise");
            for (key, value) in json.as_object().expect("fields") {
                let value = value.as_str().map_or(value.to_string(), str::to_string);
                written.insert(key.clone(), value);
            }
            assert_eq!(Reason::parse(&written), Ok(example));
        }
        let covered: Vec<&str> = Reason::examples().iter().map(Reason::code).collect();
        assert_eq!(covered, Reason::CODES, "an example of every code, in order");
        let unknown = Reason::parse(&fields("reason=python3 is not installed"));
        assert!(unknown.is_err_and(|e| e.contains("not a reason loadgen knows")));
        let incomplete = Reason::parse(&fields("reason=process-limit"));
        assert_eq!(incomplete, Err("reason=process-limit needs nproc=".into()));
    }
}
