//! `loadgen report`: turns the results `scripts/bench.sh` saved into the bench page, in
//! English and in Chinese, with its charts and a verdict on each of the project's targets.
//!
//! The results folder holds `machine.txt` (`key=value` lines: date, cpu, cores, ...) and, per
//! scenario in the order they ran, `NN-name.json` (the `--json` output of one loadgen run,
//! its `label` naming the server and its flags) or `NN-name.skip` (`mode=`, `label=`,
//! `connections=` and `reason=` lines for a scenario that could not run). A run that counted
//! a server's system calls leaves `NN-name.syscalls` (the table `strace -c` prints) and
//! `NN-name.profile` (loadgen's `--json` output of that run, not timed).
//!
//! The targets are ratios to a baseline measured in the same run (`compare.rs` judges them).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use common::Failure;
use serde::{Deserialize, Serialize};

use crate::bulk::BulkResults;
use crate::chart::{self, Series};
use crate::chat::ChatResults;
use crate::compare::{self, Check, Goal, Sample};
use crate::cpu::{CpuUse, cpu_time};
use crate::echo::EchoResults;
use crate::lang::Lang;
use crate::stats::{ErrorCounts, LatencySummary, bytes_rate, count_of, micros, thousands};
use crate::udp::{UdpExpect, UdpResults};

/// The echo server's read buffer when it has no `--buf-size` flag: its `BUFSIZ` constant.
const ECHO_SERVER_BUFSIZ: u64 = 1024;

/// The baselines' read buffer: reference-echo's and the Python echo server's 64 KiB.
const BASELINE_BUFSIZ: u64 = 65_536;

/// The labels scripts/bench.sh gives the servers it compares.
const PY_ECHO: &str = "python3 scripts/bench/echo_server.py";
const PY_CHAT: &str = "python3 scripts/bench/chat_room.py";
const PY_UDP: &str = "python3 scripts/bench/udp_server.py";
const REFERENCE: &str = "reference-echo";
const CHAT: &str = "chat-server --quiet";
const THREADS: &str = "echo-server --threads --quiet";
const THREADS_LOGGING: &str = "echo-server --threads";
const ASYNC: &str = "async-echo-server --quiet";
const UDP_LOGGING: &str = "udp-server";
const UDP_QUIET: &str = "udp-server --quiet";
const THREADS_64K: &str = "echo-server --threads --quiet --buf-size 65536";

/// The chat scenario of the targets: clients in the room, and senders among them.
const CHAT_CLIENTS: u64 = 200;
const CHAT_SENDERS: u64 = 5;

/// Write the bench pages from saved results.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The folder scripts/bench.sh filled: machine.txt and one NN-name.json or NN-name.skip
    /// per scenario
    #[arg(long)]
    results: PathBuf,

    /// Where the pages go: OUT/en/bench.md, OUT/zh/bench.md and their SVG charts
    #[arg(long, default_value = "docs")]
    out: PathBuf,
}

/// The results of any mode, as `--json` prints them: `{"mode": "echo", ...}`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum Results {
    Echo(EchoResults),
    Bulk(BulkResults),
    Chat(ChatResults),
    Udp(UdpResults),
}

/// A scenario that did not run, and why.
#[derive(Debug, Clone, PartialEq)]
struct NotRun {
    mode: String,
    label: String,
    connections: Option<u64>,
    /// Chat only: `--in-flight`.
    in_flight: Option<u64>,
    reason: String,
    /// The reason in Chinese, for the Chinese page (the English one if there is none).
    reason_zh: String,
}

impl NotRun {
    fn reason(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh if !self.reason_zh.is_empty() => &self.reason_zh,
            _ => &self.reason,
        }
    }
}

/// `not run: REASON`, as a table cell.
fn not_run_cell(skip: &NotRun, lang: Lang) -> String {
    match lang {
        Lang::En => format!("not run: {}", skip.reason(lang)),
        Lang::Zh => format!("未运行：{}", skip.reason(lang)),
    }
}

/// One scenario of the results folder. A run's results are far larger than a skip, but a
/// page has a few dozen entries: boxing them would only add noise to every match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Ran(Results),
    NotRun(NotRun),
}

/// What a server printed on standard error during one scenario (`NN-name.notes`).
#[derive(Debug, Clone, PartialEq)]
struct ServerNote {
    mode: String,
    label: String,
    connections: Option<u64>,
    /// Its most frequent lines, each with how often it came: `accept failed: ... (×12)`.
    said: Vec<String>,
    /// UDP only: datagrams the kernel dropped meanwhile because a receive buffer was full
    /// (`RcvbufErrors` in /proc/net/snmp, for the whole machine).
    udp_drops: Option<u64>,
}

/// A server's system calls during one extra run, counted by `strace -c -f`.
#[derive(Debug, Clone, PartialEq)]
struct SyscallCount {
    mode: String,
    label: String,
    /// Chat only: `--in-flight`.
    in_flight: Option<u64>,
    /// What one operation is (`delivery`), and how many the run did.
    operation: &'static str,
    operations: f64,
    /// Calls by system call, the most frequent first.
    calls: Vec<(String, u64)>,
}

impl SyscallCount {
    fn total(&self) -> u64 {
        self.calls.iter().map(|(_, calls)| calls).sum()
    }

    /// `0.41 system calls per delivery (sendto 0.14, futex 0.01, ...)`.
    fn per_operation(&self, lang: Lang) -> String {
        let per = |calls: u64| calls as f64 / self.operations.max(1.0);
        let top: Vec<String> = self
            .calls
            .iter()
            .take(4)
            .map(|(name, calls)| format!("{name} {}", per_op(per(*calls))))
            .collect();
        match lang {
            Lang::En => format!(
                "{} system calls per {} ({})",
                per_op(per(self.total())),
                self.operation,
                top.join(", ")
            ),
            Lang::Zh => format!(
                "每{}{} 次系统调用（{}）",
                operation_zh(self.operation),
                per_op(per(self.total())),
                top.join("，")
            ),
        }
    }
}

/// Calls per operation, to two significant digits or so: `2.1`, `0.41`, `0.0031`.
fn per_op(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.1}")
    } else if value >= 0.01 {
        format!("{value:.2}")
    } else {
        format!("{value:.4}")
    }
}

/// An operation's name in Chinese.
fn operation_zh(operation: &str) -> &'static str {
    match operation {
        "round trip" => "次往返",
        "delivery" => "次送达",
        "datagram" => "个数据报",
        _ => " MB ",
    }
}

/// The calls of `strace -c` output: `% time seconds usecs/call calls [errors] syscall` rows.
fn parse_strace(text: &str) -> Vec<(String, u64)> {
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

/// Everything the page is made from.
struct Bench {
    machine: BTreeMap<String, String>,
    entries: Vec<Entry>,
    notes: Vec<ServerNote>,
    syscalls: Vec<SyscallCount>,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let bench = read(&args.results)?;
    for lang in [Lang::En, Lang::Zh] {
        let folder = args.out.join(lang.folder());
        fs::create_dir_all(&folder)
            .map_err(|error| Failure::new(format!("creating {}", folder.display()), &error))?;
        let files = [
            ("bench.md", page(&bench, lang)),
            ("bench.svg", echo_chart(&bench, lang)),
            ("bench-bulk.svg", bulk_chart(&bench, lang)),
        ];
        for (name, text) in files {
            let path = folder.join(name);
            fs::write(&path, text)
                .map_err(|error| Failure::new(format!("writing {}", path.display()), &error))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// `key=value` lines (blank lines and lines without `=` are skipped).
fn fields(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .collect()
}

fn read(folder: &Path) -> Result<Bench, Failure> {
    let failed =
        |path: &Path, error: &io::Error| Failure::new(format!("reading {}", path.display()), error);
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
                    Failure::custom(
                        format!("{} is not loadgen --json output: {error}", path.display()),
                        None,
                        common::exit_code::IO,
                    )
                })?;
                entries.push(Entry::Ran(results));
            }
            Some("skip") => {
                let skip = fields(&text()?);
                let get = |key: &str| skip.get(key).cloned().unwrap_or_default();
                entries.push(Entry::NotRun(NotRun {
                    mode: get("mode"),
                    label: get("label"),
                    connections: get("connections").parse().ok(),
                    in_flight: get("in_flight").parse().ok(),
                    reason: get("reason"),
                    reason_zh: get("reason_zh"),
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
                    Results::Echo(r) => {
                        ("echo", &r.label, None, "round trip", r.round_trips as f64)
                    }
                    Results::Chat(r) => (
                        "chat",
                        &r.label,
                        r.in_flight,
                        "delivery",
                        r.delivered as f64,
                    ),
                    Results::Udp(r) => ("udp", &r.label, None, "datagram", r.answered as f64),
                    Results::Bulk(r) => {
                        ("bulk", &r.label, None, "MB", r.bytes_verified as f64 / 1e6)
                    }
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
fn server(label: &str) -> &str {
    label.split_whitespace().next().unwrap_or("")
}

/// The read buffer a bulk run's server used: `--buf-size N` in its label, else echo-server's
/// fixed `BUFSIZ`.
fn buffer_of(label: &str) -> Option<u64> {
    let words: Vec<&str> = label.split_whitespace().collect();
    match words.iter().position(|w| *w == "--buf-size") {
        Some(at) => words.get(at + 1)?.parse().ok(),
        None if server(label) == "echo-server" => Some(ECHO_SERVER_BUFSIZ),
        None if label == REFERENCE || label == PY_ECHO => Some(BASELINE_BUFSIZ),
        None => None,
    }
}

fn kib(bytes: u64) -> String {
    if bytes % 1024 == 0 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{} B", thousands(bytes))
    }
}

/// How a server is named in tables and charts.
fn display_name(label: &str, lang: Lang) -> String {
    match label {
        "echo-server" | "echo-server --quiet" => {
            format!("{label}{}", lang.t(" (one at a time)", "（一次一个）"))
        }
        PY_ECHO | PY_CHAT | PY_UDP => label.replace("python3 scripts/bench/", "Python "),
        _ => label.to_string(),
    }
}

impl Bench {
    fn echo(&self) -> impl Iterator<Item = &EchoResults> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Ran(Results::Echo(results)) => Some(results),
            _ => None,
        })
    }

    fn bulk(&self) -> impl Iterator<Item = &BulkResults> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Ran(Results::Bulk(results)) => Some(results),
            _ => None,
        })
    }

    fn chat(&self) -> impl Iterator<Item = &ChatResults> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Ran(Results::Chat(results)) => Some(results),
            _ => None,
        })
    }

    fn udp(&self) -> impl Iterator<Item = &UdpResults> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Ran(Results::Udp(results)) => Some(results),
            _ => None,
        })
    }

    fn not_run(&self, mode: &str) -> impl Iterator<Item = &NotRun> {
        self.entries.iter().filter_map(move |entry| match entry {
            Entry::NotRun(skip) if skip.mode == mode => Some(skip),
            _ => None,
        })
    }

    /// Echo runs of `label` at `connections`.
    fn echo_runs(&self, label: &str, connections: u64) -> Vec<&EchoResults> {
        self.echo()
            .filter(|r| r.label.as_deref() == Some(label) && r.connections == connections)
            .collect()
    }

    /// Why a scenario did not run, if the folder says.
    fn skip_reason(
        &self,
        mode: &str,
        label: &str,
        connections: Option<u64>,
        lang: Lang,
    ) -> Option<&str> {
        self.not_run(mode)
            .find(|skip| {
                skip.label == label && (connections.is_none() || skip.connections == connections)
            })
            .map(|skip| skip.reason(lang))
    }

    /// Echo runs of `label` at `connections`, as samples for a comparison.
    fn echo_samples(&self, label: &str, connections: u64) -> Vec<Sample> {
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

    fn udp_samples(&self, label: &str) -> Vec<Sample> {
        self.udp()
            .filter(|r| r.label.as_deref() == Some(label))
            .map(|r| sample(r.round_trips_per_s, r.cpu.as_ref()))
            .collect()
    }

    /// The system calls counted for `label` in `mode` (and `in_flight`, for the chat).
    fn syscalls_of(
        &self,
        mode: &str,
        label: &str,
        in_flight: Option<u64>,
    ) -> Option<&SyscallCount> {
        self.syscalls
            .iter()
            .find(|s| s.mode == mode && s.label == label && s.in_flight == in_flight)
    }

    fn machine(&self, key: &str) -> &str {
        self.machine.get(key).map_or("?", String::as_str)
    }

    fn quick(&self) -> bool {
        self.machine
            .get("quick")
            .is_some_and(|value| value == "yes")
    }
}

/// A run as a comparison sees it: its rate, and its server's CPU for its operations.
fn sample(rate: f64, cpu: Option<&CpuUse>) -> Sample {
    Sample {
        rate,
        cpu: cpu.and_then(|cpu| Some((cpu.server_s?, cpu.operations))),
    }
}

/// The mean of some rates.
fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// How far apart two rates are, as a fraction of the larger.
fn gap(a: f64, b: f64) -> f64 {
    if a.max(b) > 0.0 {
        (a - b).abs() / a.max(b)
    } else {
        0.0
    }
}

/// The largest gap between repeated runs of the same scenario: how noisy this machine was.
fn run_to_run_spread(bench: &Bench) -> Option<f64> {
    let mut groups: BTreeMap<(String, u64), Vec<f64>> = BTreeMap::new();
    for r in bench.echo() {
        let key = (r.label.clone().unwrap_or_default(), r.connections);
        groups.entry(key).or_default().push(r.messages_per_s);
    }
    groups
        .values()
        .filter(|rates| rates.len() > 1)
        .map(|rates| {
            let high = rates.iter().copied().fold(f64::MIN, f64::max);
            let low = rates.iter().copied().fold(f64::MAX, f64::min);
            gap(high, low)
        })
        .reduce(f64::max)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Verdict {
    Met,
    Missed,
    NotMeasured,
}

impl Verdict {
    fn word(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Verdict::Met, Lang::En) => "**met**",
            (Verdict::Met, Lang::Zh) => "**达成**",
            (Verdict::Missed, Lang::En) => "**missed**",
            (Verdict::Missed, Lang::Zh) => "**未达成**",
            (Verdict::NotMeasured, Lang::En) => "not measured",
            (Verdict::NotMeasured, Lang::Zh) => "未测量",
        }
    }
}

/// One of the project's targets, judged.
struct Target {
    goal: String,
    measured: String,
    verdict: Verdict,
    why: String,
}

fn not_measured(bench: &Bench, lang: Lang, goal: &str, reason: Option<&str>) -> Target {
    let why = match (reason, bench.quick()) {
        (Some(reason), _) => match lang {
            Lang::En => format!("Not run: {reason}"),
            Lang::Zh => format!("未运行：{reason}"),
        },
        (None, true) => lang
            .t(
                "`--quick` runs only small scenarios; run `scripts/bench.sh` for this one.",
                "`--quick` 只运行小规模场景；完整运行 `scripts/bench.sh` 才会测量这一项。",
            )
            .to_string(),
        (None, false) => lang
            .t(
                "The results have no run for it.",
                "结果中没有这一项的运行。",
            )
            .to_string(),
    };
    Target {
        goal: goal.to_string(),
        measured: "—".into(),
        verdict: Verdict::NotMeasured,
        why,
    }
}

fn error_words(errors: &ErrorCounts, lang: Lang) -> String {
    if errors.0.is_empty() {
        lang.t("none", "无").to_string()
    } else {
        errors.describe()
    }
}

fn target_async_10k(bench: &Bench, lang: Lang) -> Target {
    let goal = lang.t(
        "async echo holds 10,000 connections with 0 errors (2 cores)",
        "异步 echo 在 2 核上保持 10,000 个连接且 0 错误",
    );
    let Some(r) = bench.echo_runs(ASYNC, 10_000).into_iter().next() else {
        let reason = bench.skip_reason("echo", ASYNC, Some(10_000), lang);
        return not_measured(bench, lang, goal, reason);
    };
    let measured = match lang {
        Lang::En => format!(
            "{} of 10,000 connected, {} errors, {} round trips/s",
            thousands(r.connected),
            thousands(r.errors),
            thousands(r.messages_per_s.round() as u64)
        ),
        Lang::Zh => format!(
            "10,000 个中连上 {} 个，{} 个错误，每秒 {} 次往返",
            thousands(r.connected),
            thousands(r.errors),
            thousands(r.messages_per_s.round() as u64)
        ),
    };
    let met = r.connected == 10_000 && r.errors == 0 && !r.partial;
    let why = if met {
        lang.t(
            "All 10,000 connections were open at the same time and every round trip came back \
             right. Each connection costs the async server one small task, not a thread with \
             its own stack.",
            "10,000 个连接同时保持打开，每次往返都正确返回。对异步服务器来说，每个连接只是一个很小的任务，\
             而不是一个带独立栈的线程。",
        )
        .to_string()
    } else {
        let mut why = match lang {
            Lang::En => format!("Errors: {}.", error_words(&r.error_kinds, lang)),
            Lang::Zh => format!("错误：{}。", error_words(&r.error_kinds, lang)),
        };
        if r.error_kinds
            .0
            .keys()
            .any(|k| k.contains("too many open files"))
        {
            why += lang.t(
                " The open-file limit ran out: every connection is a file descriptor, in loadgen \
                 and in the server.",
                " 打开文件数上限用完了：每个连接在 loadgen 和服务器里各占一个文件描述符。",
            );
        }
        if r.partial {
            why += lang.t(
                " The run reached its duration limit before it finished.",
                " 运行在完成之前达到了时长上限。",
            );
        }
        why
    };
    Target {
        goal: goal.into(),
        measured,
        verdict: if met { Verdict::Met } else { Verdict::Missed },
        why,
    }
}

fn target_chat(bench: &Bench, lang: Lang) -> Target {
    let goal = lang.t(
        "chat with 1,000 clients loses 0 lines",
        "1,000 个客户端的聊天室丢失 0 行",
    );
    let Some(r) = bench.chat().find(|r| r.clients == 1_000) else {
        let reason = bench
            .not_run("chat")
            .find(|skip| skip.connections == Some(1_000))
            .map(|skip| skip.reason(lang));
        return not_measured(bench, lang, goal, reason);
    };
    let measured = match lang {
        Lang::En => format!(
            "{} joined; {} of {} deliveries, {} lost",
            thousands(r.connected),
            thousands(r.delivered),
            thousands(r.expected),
            thousands(r.lost)
        ),
        Lang::Zh => format!(
            "加入 {} 个；送达 {} / {}，丢失 {}",
            thousands(r.connected),
            thousands(r.delivered),
            thousands(r.expected),
            thousands(r.lost)
        ),
    };
    let met = r.connected == 1_000 && r.lost == 0 && r.errors == 0 && !r.partial;
    let why = if met {
        match lang {
            Lang::En => format!(
                "Every line reached all 999 other clients ({} lines sent, p99 latency {}).",
                thousands(r.sent),
                micros(r.latency.p99_us)
            ),
            Lang::Zh => format!(
                "每一行都送到了其余 999 个客户端（共发送 {} 行，p99 延迟 {}）。",
                thousands(r.sent),
                micros(r.latency.p99_us)
            ),
        }
    } else {
        let mut why = String::new();
        if r.cut_off > 0 {
            why += &match lang {
                Lang::En => format!(
                    "The server cut off {} clients whose outgoing queue filled up: loadgen's \
                     1,000 readers share the 2 cores with the server, and fell behind. ",
                    thousands(r.cut_off)
                ),
                Lang::Zh => format!(
                    "服务器断开了 {} 个发送队列已满的客户端：loadgen 的 1,000 个读取者和服务器共用 2 个核，跟不上了。",
                    thousands(r.cut_off)
                ),
            };
        }
        if r.connected < r.clients {
            why += &match lang {
                Lang::En => format!("Only {} clients joined. ", thousands(r.connected)),
                Lang::Zh => format!("只有 {} 个客户端加入。", thousands(r.connected)),
            };
        }
        if r.partial {
            why += lang.t(
                "The run reached its duration limit. ",
                "运行达到了时长上限。",
            );
        }
        why += &match lang {
            Lang::En => format!("Errors: {}.", error_words(&r.error_kinds, lang)),
            Lang::Zh => format!("错误：{}。", error_words(&r.error_kinds, lang)),
        };
        why
    };
    Target {
        goal: goal.into(),
        measured,
        verdict: if met { Verdict::Met } else { Verdict::Missed },
        why,
    }
}

/// CPU seconds per 1,000 operations over all the samples: `1.88 ms`.
fn cpu_per_1000(samples: &[Sample]) -> Option<f64> {
    let (seconds, operations) = samples
        .iter()
        .filter_map(|s| s.cpu)
        .fold((0.0, 0.0), |(s, o), (seconds, ops)| (s + seconds, o + ops));
    (operations > 0.0).then(|| seconds * 1000.0 / operations)
}

/// ` ``A`` used 1.88 ms of CPU per 1,000 deliveries, ``B`` 3.95 ms.`
fn cpu_sentence(
    lang: Lang,
    (ours_label, ours): (&str, &[Sample]),
    (base_label, base): (&str, &[Sample]),
    operations: (&str, &str),
) -> String {
    let (Some(ours), Some(base)) = (cpu_per_1000(ours), cpu_per_1000(base)) else {
        return String::new();
    };
    if ours <= 0.0 || base <= 0.0 {
        return String::new(); // a run too short for one clock tick says nothing
    }
    match lang {
        Lang::En => format!(
            " `{ours_label}` used {} of CPU per 1,000 {}, `{base_label}` {}.",
            cpu_time(ours),
            operations.0,
            cpu_time(base)
        ),
        Lang::Zh => format!(
            " 每 1,000 {}，`{ours_label}` 用了 {} CPU，`{base_label}` 用了 {}。",
            operations.1,
            cpu_time(ours),
            cpu_time(base)
        ),
    }
}

/// What strace counted for both servers, if it did.
fn syscall_sentence(
    bench: &Bench,
    lang: Lang,
    mode: &str,
    (ours, base): (&str, &str),
    in_flight: Option<u64>,
) -> String {
    let (Some(a), Some(b)) = (
        bench.syscalls_of(mode, ours, in_flight),
        bench.syscalls_of(mode, base, in_flight),
    ) else {
        return String::new();
    };
    match lang {
        Lang::En => format!(
            " Counted with `strace -c -f` in one more run (not timed): `{ours}` made {}; \
             `{base}` made {}.",
            a.per_operation(lang),
            b.per_operation(lang)
        ),
        Lang::Zh => format!(
            " 在另一次（不计时的）运行中用 `strace -c -f` 计数：`{ours}` {}；`{base}` {}。",
            a.per_operation(lang),
            b.per_operation(lang)
        ),
    }
}

/// A target made of ratios: met when every check is met, missed when one is missed. `why`
/// gets whether it was met; a miss also says by how much.
fn ratio_target(
    bench: &Bench,
    lang: Lang,
    goal: &str,
    checks: &[Check],
    not_run: Option<&str>,
    why: impl FnOnce(bool) -> String,
) -> Target {
    if checks.iter().all(|c| c.met().is_none()) {
        return not_measured(bench, lang, goal, not_run);
    }
    let measured: Vec<String> = checks.iter().map(|c| c.text(lang)).collect();
    let verdict = if checks.iter().any(|c| c.met() == Some(false)) {
        Verdict::Missed
    } else if checks.iter().all(|c| c.met() == Some(true)) {
        Verdict::Met
    } else {
        Verdict::NotMeasured
    };
    let mut text = String::new();
    if verdict == Verdict::Missed {
        let short: Vec<String> = checks.iter().filter_map(|c| c.shortfall(lang)).collect();
        text += &match lang {
            Lang::En => format!("{}.", short.join("; ")),
            Lang::Zh => format!("{}。", short.join("；")),
        };
    }
    text += &why(verdict == Verdict::Met);
    if lang == Lang::Zh {
        text = text.replace("。 ", "。"); // Chinese sentences follow each other without a space
    }
    Target {
        goal: goal.to_string(),
        measured: measured.join(lang.t("; ", "；")),
        verdict,
        why: text.trim_start().to_string(),
    }
}

/// How many interleaved rounds a comparison had: ` Runs alternated, 3 rounds.`
fn rounds_sentence(lang: Lang, rounds: usize) -> String {
    if rounds < 2 {
        return String::new();
    }
    match lang {
        Lang::En => format!(" The two servers' runs alternated, {rounds} rounds each."),
        Lang::Zh => format!(" 两个服务器交替运行，各 {rounds} 轮。"),
    }
}

fn target_chat_in_flight(bench: &Bench, lang: Lang, in_flight: u64) -> Target {
    let (goal, rate_goal) = match (in_flight, lang) {
        (16, Lang::En) => (
            "chat, 200 clients, 5 senders, 16 lines in flight: ≥ 2× the Python room's \
             deliveries/s, ≤ 1.0× its CPU per delivery"
                .to_string(),
            2.0,
        ),
        (16, Lang::Zh) => (
            "聊天室，200 个客户端、5 个发送者、每人 16 行在途：每秒送达 ≥ Python 聊天室的 2 倍，\
             每次送达的 CPU ≤ 它的 1.0 倍"
                .to_string(),
            2.0,
        ),
        (_, Lang::En) => (
            format!(
                "chat, 200 clients, 5 senders, {in_flight} line in flight: ≥ 1.0× the Python \
                 room's deliveries/s, ≤ 1.0× its CPU per delivery"
            ),
            1.0,
        ),
        (_, Lang::Zh) => (
            format!(
                "聊天室，200 个客户端、5 个发送者、每人 {in_flight} 行在途：每秒送达 ≥ Python 聊天室的 \
                 1.0 倍，每次送达的 CPU ≤ 它的 1.0 倍"
            ),
            1.0,
        ),
    };
    let (ours, base) = (
        bench.chat_samples(CHAT, in_flight),
        bench.chat_samples(PY_CHAT, in_flight),
    );
    let checks = [
        compare::rate_check(
            &ours,
            &base,
            Goal::AtLeast(rate_goal),
            ("deliveries/s", "每秒送达"),
            "Python",
        ),
        compare::cpu_check(
            &ours,
            &base,
            Goal::AtMost(1.0),
            ("CPU per delivery", "每次送达的 CPU"),
            "Python",
        ),
    ];
    let not_run = bench
        .not_run("chat")
        .find(|skip| skip.in_flight == Some(in_flight))
        .map(|skip| skip.reason(lang));
    let lost: u64 = bench
        .chat_runs(CHAT, in_flight)
        .iter()
        .chain(bench.chat_runs(PY_CHAT, in_flight).iter())
        .map(|r| r.lost)
        .sum();
    ratio_target(bench, lang, &goal, &checks, not_run, |_| {
        let mut why = if lost == 0 {
            lang.t(
                " Both rooms delivered every line.",
                " 两个聊天室都送达了每一行。",
            )
            .to_string()
        } else {
            match lang {
                Lang::En => format!(" {} deliveries were lost in these runs.", thousands(lost)),
                Lang::Zh => format!(" 这些运行中丢失了 {} 次送达。", thousands(lost)),
            }
        };
        why += &cpu_sentence(
            lang,
            (CHAT, &ours),
            (PY_CHAT, &base),
            ("deliveries", "次送达"),
        );
        why += &syscall_sentence(bench, lang, "chat", (CHAT, PY_CHAT), Some(in_flight));
        why + &rounds_sentence(lang, ours.len().min(base.len()))
    })
}

/// echo-server --threads or async-echo-server against the reference, 50 connections × 64 B.
fn target_echo_reference(bench: &Bench, lang: Lang, label: &str) -> Target {
    let goal = match lang {
        Lang::En => format!(
            "`{label}`, 50 connections × 64 B: ≥ 0.9× `reference-echo`'s round trips/s, ≤ 1.1× \
             its CPU per round trip"
        ),
        Lang::Zh => format!(
            "`{label}`，50 个连接 × 64 字节：每秒往返 ≥ `reference-echo` 的 0.9 倍，每次往返的 CPU ≤ 它的 1.1 倍"
        ),
    };
    let (ours, base) = (
        bench.echo_samples(label, 50),
        bench.echo_samples(REFERENCE, 50),
    );
    let checks = [
        compare::rate_check(
            &ours,
            &base,
            Goal::AtLeast(0.9),
            ("round trips/s", "每秒往返"),
            REFERENCE,
        ),
        compare::cpu_check(
            &ours,
            &base,
            Goal::AtMost(1.1),
            ("CPU per round trip", "每次往返的 CPU"),
            REFERENCE,
        ),
    ];
    let not_run = bench.skip_reason("echo", label, Some(50), lang);
    ratio_target(bench, lang, &goal, &checks, not_run, |_| {
        cpu_sentence(
            lang,
            (label, &ours),
            (REFERENCE, &base),
            ("round trips", "次往返"),
        ) + &syscall_sentence(bench, lang, "echo", (label, REFERENCE), None)
            + &rounds_sentence(lang, ours.len().min(base.len()))
    })
}

fn target_bulk_reference(bench: &Bench, lang: Lang) -> Target {
    let goal = lang.t(
        "bulk through `echo-server --threads --buf-size 65536`: ≥ 0.9× `reference-echo`'s MB/s",
        "经过 `echo-server --threads --buf-size 65536` 的批量吞吐：≥ `reference-echo` 的 0.9 倍",
    );
    let (ours, base) = (
        bench.bulk_samples(THREADS_64K),
        bench.bulk_samples(REFERENCE),
    );
    let checks = [compare::rate_check(
        &ours,
        &base,
        Goal::AtLeast(0.9),
        ("MB/s", "每秒 MB"),
        REFERENCE,
    )];
    let not_run = bench
        .not_run("bulk")
        .find(|skip| skip.label == THREADS_64K)
        .map(|skip| skip.reason(lang));
    ratio_target(bench, lang, goal, &checks, not_run, |_| {
        cpu_sentence(lang, (THREADS_64K, &ours), (REFERENCE, &base), ("MB", "MB"))
            + &rounds_sentence(lang, ours.len().min(base.len()))
    })
}

fn target_udp_python(bench: &Bench, lang: Lang) -> Target {
    let goal = lang.t(
        "udp, printing a line per datagram as the tutorial's server does: ≤ 0.6× the CPU per \
         datagram of the tutorial's Python UDP server",
        "UDP，像教程的服务器一样每个数据报打印一行：每个数据报的 CPU ≤ 教程 Python UDP 服务器的 0.6 倍",
    );
    let (ours, base) = (bench.udp_samples(UDP_LOGGING), bench.udp_samples(PY_UDP));
    let checks = [compare::cpu_check(
        &ours,
        &base,
        Goal::AtMost(0.6),
        ("CPU per datagram", "每个数据报的 CPU"),
        "Python",
    )];
    let not_run = bench.skip_reason("udp", PY_UDP, None, lang);
    ratio_target(bench, lang, goal, &checks, not_run, |_| {
        let mut why = cpu_sentence(
            lang,
            (UDP_LOGGING, &ours),
            (PY_UDP, &base),
            ("datagrams", "个数据报"),
        );
        why += &syscall_sentence(bench, lang, "udp", (UDP_LOGGING, PY_UDP), None);
        // What the counts show about the log line: a write per line, or a write per buffer.
        let writes = |label| {
            bench.syscalls_of("udp", label, None).map(|s| {
                let writes: u64 = s
                    .calls
                    .iter()
                    .filter(|(name, _)| name == "write")
                    .map(|(_, calls)| calls)
                    .sum();
                writes as f64 / s.operations.max(1.0)
            })
        };
        if let (Some(rust), Some(python)) = (writes(UDP_LOGGING), writes(PY_UDP))
            && rust >= 0.9
            && python < 0.5
        {
            why += &match lang {
                Lang::En => format!(
                    " The log line is the difference: `udp-server` writes each line with its own \
                     `write` ({} per datagram: Rust's standard output is line-buffered even \
                     into a pipe), while Python's `print` fills a buffer first when its output \
                     is a pipe ({} `write` per datagram).",
                    per_op(rust),
                    per_op(python)
                ),
                Lang::Zh => format!(
                    " 差别在日志行上：`udp-server` 每行单独一次 `write`（每个数据报 {} 次：Rust 的标准输出即使写进管道也按行缓冲），\
                     而输出是管道时，Python 的 `print` 先把内容攒进缓冲区（每个数据报 {} 次 `write`）。",
                    per_op(rust),
                    per_op(python)
                ),
            };
        }
        why + &rounds_sentence(lang, ours.len().min(base.len()))
    })
}

fn target_threads_10k(bench: &Bench, lang: Lang) -> Target {
    let goal = lang.t(
        "`echo-server --threads` serves 10,000 connections with 0 errors",
        "`echo-server --threads` 服务 10,000 个连接且 0 错误",
    );
    let Some(r) = bench.echo_runs(THREADS, 10_000).into_iter().next() else {
        let reason = bench.skip_reason("echo", THREADS, Some(10_000), lang);
        return not_measured(bench, lang, goal, reason);
    };
    let measured = match lang {
        Lang::En => format!(
            "{} of 10,000 connected, {} errors",
            thousands(r.connected),
            thousands(r.errors)
        ),
        Lang::Zh => format!(
            "10,000 个中连上 {} 个，{} 个错误",
            thousands(r.connected),
            thousands(r.errors)
        ),
    };
    let met = r.connected == 10_000 && r.errors == 0 && !r.partial;
    let limit = bench.machine("nofile");
    let why = if met {
        match lang {
            Lang::En => format!(
                "10,000 threads, one per connection, each holding one file descriptor: \
                 10,000 descriptors under an open-file limit of {limit}."
            ),
            Lang::Zh => format!(
                "10,000 个线程，每个连接一个，每个只占一个文件描述符：在打开文件数上限 {limit} 之内。"
            ),
        }
    } else {
        match lang {
            Lang::En => format!(
                "Errors: {} (open-file limit {limit}).",
                error_words(&r.error_kinds, lang)
            ),
            Lang::Zh => format!(
                "错误：{}（打开文件数上限 {limit}）。",
                error_words(&r.error_kinds, lang)
            ),
        }
    };
    Target {
        goal: goal.into(),
        measured,
        verdict: if met { Verdict::Met } else { Verdict::Missed },
        why,
    }
}

/// `3 (connect: connection refused ×3)` or `0`.
fn errors_cell(count: u64, kinds: &ErrorCounts) -> String {
    if count == 0 {
        "0".into()
    } else {
        format!("{} ({})", thousands(count), kinds.describe())
    }
}

fn partial_mark(partial: bool, lang: Lang) -> &'static str {
    if partial {
        lang.t(" (partial)", "（未跑完）")
    } else {
        ""
    }
}

fn latency_cells(latency: &LatencySummary, with_p999: bool) -> String {
    if latency.count == 0 {
        return if with_p999 {
            "— | — | — | —"
        } else {
            "— | — | —"
        }
        .into();
    }
    if with_p999 {
        format!(
            "{} | {} | {} | {}",
            micros(latency.p50_us),
            micros(latency.p99_us),
            micros(latency.p999_us),
            micros(latency.max_us)
        )
    } else {
        format!(
            "{} | {} | {}",
            micros(latency.p50_us),
            micros(latency.p99_us),
            micros(latency.max_us)
        )
    }
}

/// `20000 (raised from 1024; hard limit 20000)`.
fn open_files(bench: &Bench, lang: Lang) -> String {
    let (now, before, hard) = (
        bench.machine("nofile"),
        bench.machine("nofile_before"),
        bench.machine("nofile_hard"),
    );
    if before == "?" || before == now {
        return now.to_string();
    }
    match lang {
        Lang::En => format!("{now} (scripts/bench.sh raised it from {before}; hard limit {hard})"),
        Lang::Zh => format!("{now}（scripts/bench.sh 把它从 {before} 提高到此；硬上限 {hard}）"),
    }
}

fn page(bench: &Bench, lang: Lang) -> String {
    let mut out = String::new();
    let t = |en, zh| lang.t(en, zh);
    let _ = writeln!(
        out,
        "# {}\n",
        t(
            "Benchmarks: the lesson servers under load",
            "性能测试：负载下的课程服务器"
        )
    );
    let _ = writeln!(
        out,
        "<!-- {} -->\n",
        t(
            "Written by scripts/bench.sh (loadgen report). Do not edit: run the script again.",
            "由 scripts/bench.sh（loadgen report）生成。请勿手改：重新运行脚本即可。"
        )
    );
    let other = match lang {
        Lang::En => "[中文版](../zh/bench.md)",
        Lang::Zh => "[English](../en/bench.md)",
    };
    let _ = writeln!(out, "{other}\n");
    if bench.quick() {
        let _ = writeln!(
            out,
            "> {}\n",
            t(
                "**Quick run** (`scripts/bench.sh --quick`): small scenarios to check that everything works. The numbers say little.",
                "**快速运行**（`scripts/bench.sh --quick`）：只用小规模场景检查一切能跑通，数字参考价值不大。"
            )
        );
    }
    match lang {
        Lang::En => {
            let _ = writeln!(
                out,
                "Measured on {} by [`scripts/bench.sh`](../../scripts/bench.sh) with \
                 [`loadgen`](../../crates/loadgen/src/main.rs), lesson 9's load generator. The \
                 script builds everything in release mode, starts each server on a free port, \
                 runs loadgen against it and stops it with Ctrl-C (SIGINT). loadgen and the \
                 server run **on the same machine**, so every number includes loadgen's own \
                 work, and everything goes through the loopback interface, never a real network.\n",
                bench.machine("date")
            );
        }
        Lang::Zh => {
            let _ = writeln!(
                out,
                "测量时间：{}。由 [`scripts/bench.sh`](../../scripts/bench.sh) 调用第 9 课的负载生成器 \
                 [`loadgen`](../../crates/loadgen/src/main.rs) 完成。脚本以 release 模式构建所有程序，\
                 在空闲端口上逐个启动服务器，用 loadgen 对它施加负载，再用 Ctrl-C（SIGINT）停止它。\
                 loadgen 与服务器**在同一台机器上**运行，所以每个数字都包含 loadgen 自身的开销；\
                 所有流量都走回环接口，从不经过真实网络。\n",
                bench.machine("date")
            );
        }
    }

    let _ = writeln!(out, "## {}\n", t("The machine", "机器"));
    let _ = writeln!(out, "| | |\n|---|---|");
    let rows = [
        (t("CPU", "CPU"), bench.machine("cpu").to_string()),
        (t("cores", "核数"), bench.machine("cores").to_string()),
        (t("kernel", "内核"), bench.machine("kernel").to_string()),
        (t("Rust", "Rust"), bench.machine("rustc").to_string()),
        (
            t("open-file limit", "打开文件数上限"),
            open_files(bench, lang),
        ),
        (t("Python", "Python"), bench.machine("python").to_string()),
        (
            t("load average before the run", "运行前的平均负载"),
            bench.machine("load").to_string(),
        ),
        (
            t("commit", "提交"),
            format!(
                "`{}`{}",
                bench.machine("commit"),
                if bench.machine("dirty") == "yes" {
                    t(" with uncommitted changes", "，另有未提交的改动")
                } else {
                    ""
                }
            ),
        ),
        (
            t("whole run took", "整个运行耗时"),
            format!("{} s", bench.machine("took")),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    let spread = run_to_run_spread(bench)
        .map(|s| match lang {
            Lang::En => format!(
                " Here, repeated runs of the same scenario differed by up to {:.1}%.",
                s * 100.0
            ),
            Lang::Zh => format!(
                " 本次运行中，同一场景的重复运行最多相差 {:.1}%。",
                s * 100.0
            ),
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\n> {}{spread}\n>\n> {}\n",
        t(
            "The machine is shared with other work, so the numbers are noisy: compare the rows \
             of one page with each other, not with another machine's page.",
            "这台机器同时还在做别的工作，所以数字有噪声：请在同一页的各行之间比较，不要拿来和别的机器的结果比较。"
        ),
        t(
            "**CPU per operation** is the steadier number: on 2 cores shared with loadgen and \
             other work, a server's rate moves with whoever else gets the cores, but the CPU \
             time it spends on each round trip or delivery is its own work, whenever it runs. \
             So every table has the server's CPU seconds per 1,000 operations (user + system, \
             from /proc/PID/stat) beside its rate, and every target is a ratio to a baseline \
             measured in the same run, the servers' runs alternating.",
            "**每次操作的 CPU** 是更稳定的数字：在与 loadgen 和其他工作共用的 2 个核上，服务器的速率会随别人占用核的多少而变，\
             但它为每次往返或每次送达花掉的 CPU 时间是它自己的工作量，无论何时运行都一样。\
             所以每张表都在速率旁边给出服务器每 1,000 次操作的 CPU 秒数（用户态 + 内核态，取自 /proc/PID/stat），\
             每个目标都表述为与同一次运行中测得的基准之比，各服务器交替运行。"
        )
    );

    // The targets, judged.
    let targets = [
        target_chat_in_flight(bench, lang, 16),
        target_chat_in_flight(bench, lang, 1),
        target_chat(bench, lang),
        target_echo_reference(bench, lang, THREADS),
        target_bulk_reference(bench, lang),
        target_udp_python(bench, lang),
        target_echo_reference(bench, lang, ASYNC),
        target_threads_10k(bench, lang),
        target_async_10k(bench, lang),
    ];
    let _ = writeln!(out, "## {}\n", t("Targets", "目标"));
    let _ = writeln!(
        out,
        "{}\n",
        t(
            "The project set these targets (issue 14). Each is a ratio to a baseline measured in \
             the same run: the Python servers written for the bench in the tutorials' style \
             (`scripts/bench/`), or `reference-echo`, a plain threaded echo server in std Rust \
             with a 64 KiB buffer and no logs (`crates/loadgen/src/bin/reference-echo.rs`). \
             They are reported, not enforced: a missed target is a finding, explained below the \
             table.",
            "项目设定了以下目标（issue 14）。每个目标都是与同一次运行中测得的基准之比：基准是为测试按教程风格写的 Python \
             服务器（`scripts/bench/`），或者 `reference-echo`——一个用标准库 Rust 写的、每个连接一个线程、64 KiB \
             缓冲区、不打日志的 echo 服务器（`crates/loadgen/src/bin/reference-echo.rs`）。它们只被报告，\
             不作为测试的通过条件：未达成的目标本身就是一个发现，表格下方给出了原因。"
        )
    );
    let _ = writeln!(
        out,
        "| {} | {} | {} |\n|---|---|---|",
        t("target", "目标"),
        t("measured", "测量结果"),
        t("result", "结论")
    );
    for target in &targets {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            target.goal,
            target.measured,
            target.verdict.word(lang)
        );
    }
    let _ = writeln!(out);
    for target in &targets {
        let _ = writeln!(
            out,
            "- {} — {}{}{}",
            target.goal,
            target.verdict.word(lang),
            t(": ", "："),
            target.why
        );
    }
    let _ = writeln!(out);

    echo_section(&mut out, bench, lang);
    bulk_section(&mut out, bench, lang);
    chat_section(&mut out, bench, lang);
    udp_section(&mut out, bench, lang);
    syscalls_section(&mut out, bench, lang);

    let _ = writeln!(out, "## {}\n", t("Run it yourself", "自己运行"));
    let _ = writeln!(
        out,
        "```console\n$ scripts/bench.sh           # {}\n$ scripts/bench.sh --quick   # {}\n```\n",
        t(
            "a few minutes after the build; rewrites this page",
            "构建之后几分钟；会重写本页"
        ),
        t(
            "under a minute after the build; writes to target/bench-quick/",
            "构建之后不到一分钟；结果写到 target/bench-quick/"
        )
    );
    let _ = writeln!(
        out,
        "{}",
        t(
            "Or load one server by hand, for example 50 connections against the async echo \
             server (`--json` prints the results as JSON, `--help` lists every option):",
            "也可以手动对单个服务器施加负载，例如用 50 个连接测试异步 echo 服务器（`--json` 以 JSON 输出结果，`--help` 列出全部选项）："
        )
    );
    let _ = writeln!(
        out,
        "\n```console\n$ cargo run --release -p async-echo-server\n$ cargo run --release -p loadgen -- echo --port 8888 --expect upper --connections 50\n```"
    );
    out
}

/// What the servers of `mode`'s scenarios printed on standard error, if anything.
fn server_notes(out: &mut String, bench: &Bench, lang: Lang, mode: &str) {
    let notes: Vec<&ServerNote> = bench
        .notes
        .iter()
        .filter(|n| n.mode == mode && !n.said.is_empty())
        .collect();
    if notes.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}\n",
        lang.t(
            "What the servers printed on standard error during these runs (most frequent lines):",
            "这些运行期间服务器在标准错误上打印的内容（出现最多的几行）："
        )
    );
    for note in notes {
        let at = note.connections.map_or(String::new(), |count| match lang {
            Lang::En => format!(" at {}", count_of(count, "connection")),
            Lang::Zh => format!("，{} 个连接", thousands(count)),
        });
        let said: Vec<String> = note.said.iter().map(|line| format!("`{line}`")).collect();
        let _ = writeln!(out, "- `{}`{at}: {}", note.label, said.join("; "));
    }
    let _ = writeln!(out);
}

fn echo_section(out: &mut String, bench: &Bench, lang: Lang) {
    let t = |en, zh| lang.t(en, zh);
    let _ = writeln!(out, "## {}\n", t("Round trips (echo)", "往返（echo）"));
    let _ = writeln!(
        out,
        "{}\n",
        t(
            "Each connection sends a message, waits for the whole answer, then sends the next. \
             All connections are opened first (at most 100 connection attempts at a time) and \
             stay open until the last one is done. Latency is from sending a message to \
             receiving the last byte of its answer.",
            "每个连接发送一条消息，等完整的回应到达后再发下一条。所有连接先全部建立（同时最多 100 个连接请求），\
             并一直保持到最后一个连接完成。延迟是从发出消息到收到回应最后一个字节的时间。"
        )
    );
    let _ = writeln!(
        out,
        "![{}](bench.svg)\n",
        t(
            "Round trips per second by server and number of connections",
            "按服务器和连接数统计的每秒往返次数"
        )
    );
    let _ = writeln!(
        out,
        "| {} |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        t(
            "server | connections | messages each × bytes | connected | round trips/s | server CPU per 1,000 | p50 | p99 | p99.9 | max | errors",
            "服务器 | 连接数 | 每连接消息数 × 字节 | 已连接 | 每秒往返 | 每 1,000 次的服务器 CPU | p50 | p99 | p99.9 | 最大 | 错误"
        )
    );
    for entry in &bench.entries {
        match entry {
            Entry::Ran(Results::Echo(r)) => {
                let label = r.label.clone().unwrap_or_default();
                let _ = writeln!(
                    out,
                    "| `{label}` | {} | {} × {} | {} | {}{} | {} | {} | {} |",
                    thousands(r.connections),
                    thousands(r.messages),
                    r.size,
                    thousands(r.connected),
                    thousands(r.messages_per_s.round() as u64),
                    partial_mark(r.partial, lang),
                    cpu_cell(r.cpu.as_ref(), lang),
                    latency_cells(&r.latency, true),
                    errors_cell(r.errors, &r.error_kinds)
                );
            }
            Entry::NotRun(skip) if skip.mode == "echo" => {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | — | — | {} | — | — | — | — | — | — |",
                    skip.label,
                    skip.connections.map_or("—".into(), thousands),
                    not_run_cell(skip, lang)
                );
            }
            _ => {}
        }
    }
    let _ = writeln!(
        out,
        "\n{}\n",
        t(
            "`echo-server --quiet` without `--threads` serves one client at a time, like the \
             tutorial, so it only runs with 1 connection: a second client would wait for the \
             first to leave. `--quiet` turns off the line per message; `echo-server --threads` \
             (without it) prints one, which the script sends to /dev/null, but writing it is \
             part of the measured work. `async-echo-server` runs with `--max-conns 20000`, so \
             that the limit at 10,000 connections is the machine's. It answers in upper case; \
             loadgen checks that.",
            "不带 `--threads` 的 `echo-server --quiet` 像教程一样一次只服务一个客户端，所以只用 1 个连接测试：\
             第二个客户端要等第一个离开。`--quiet` 关掉每条消息一行的日志；不带它的 `echo-server --threads` \
             会打印这一行，脚本把输出丢到 /dev/null，但写出这一行本身也计入测量的工作量。`async-echo-server` \
             带 `--max-conns 20000` 运行，这样 10,000 个连接时的限制来自机器本身。它以大写回应，loadgen 会检查。"
        )
    );
    log_cost(out, bench, lang);
    let _ = writeln!(
        out,
        "{}\n",
        t(
            "At 1,000 and 10,000 connections most of the latency is waiting in line: every \
             connection has a message in flight, and the server and loadgen take them a few at \
             a time on their 2 cores.",
            "在 1,000 和 10,000 个连接时，延迟大部分是排队：每个连接都有一条消息在途，\
             服务器和 loadgen 在 2 个核上一次只能处理其中几条。"
        )
    );
    server_notes(out, bench, lang, "echo");
}

/// What a log line per message costs: the same server with and without `--quiet`.
fn log_cost(out: &mut String, bench: &Bench, lang: Lang) {
    let pairs = [
        (
            "echo",
            THREADS_LOGGING,
            THREADS,
            lang.t("round trip", "次往返"),
        ),
        (
            "udp",
            UDP_LOGGING,
            UDP_QUIET,
            lang.t("datagram", "个数据报"),
        ),
    ];
    for (mode, logging, quiet, operation) in pairs {
        let samples = |label| match mode {
            "echo" => bench.echo_samples(label, 50),
            _ => bench.udp_samples(label),
        };
        let (with_log, without) = (samples(logging), samples(quiet));
        let check = compare::cpu_check(&with_log, &without, Goal::AtMost(1.0), ("", ""), quiet);
        let (Some(ratio), Some(loud), Some(silent)) =
            (check.ratio, cpu_per_1000(&with_log), cpu_per_1000(&without))
        else {
            continue;
        };
        // Seconds per 1,000 operations × 1,000 = microseconds per operation.
        let cost_us = (loud - silent).max(0.0) * 1_000.0;
        let line = match lang {
            Lang::En => format!(
                "**What the log line costs** (`{logging}` against `{quiet}`, same run): {ratio:.2}× \
                 the CPU per {operation}, {cost_us:.1} µs more for each line printed \
                 ({} against {} per 1,000).",
                cpu_time(loud),
                cpu_time(silent)
            ),
            Lang::Zh => format!(
                "**日志行的代价**（同一次运行中 `{logging}` 对比 `{quiet}`）：每{operation}的 CPU 是 {ratio:.2} 倍，\
                 每打印一行多花 {cost_us:.1} µs（每 1,000 {operation}分别为 {} 和 {}）。",
                cpu_time(loud),
                cpu_time(silent)
            ),
        };
        let _ = writeln!(out, "{line}\n");
    }
}

/// A server's CPU seconds per 1,000 operations, as a table cell. A run that used less than
/// one clock tick of CPU (10 ms) was too short to say.
fn cpu_cell(cpu: Option<&CpuUse>, lang: Lang) -> String {
    match cpu.and_then(|cpu| Some((cpu.server_s?, cpu.server_per_1000_s?))) {
        Some((total, _)) if total <= 0.0 => lang.t("< 1 tick", "不足 1 个时钟滴答").into(),
        Some((_, per_1000)) => cpu_time(per_1000),
        None => "—".into(),
    }
}

fn bulk_section(out: &mut String, bench: &Bench, lang: Lang) {
    let t = |en, zh| lang.t(en, zh);
    let _ = writeln!(
        out,
        "## {}\n",
        t(
            "Bulk throughput: a 1,024-byte buffer against 64 KiB",
            "批量吞吐：1,024 字节缓冲区对比 64 KiB"
        )
    );
    let _ = writeln!(
        out,
        "{}\n",
        t(
            "One connection streams bytes through the server while reading the echo at the same \
             time; loadgen checks every byte that comes back against what it sent. The rate is \
             bytes echoed and verified per second. The buffer is the server's: how much it asks \
             for in one `read`.",
            "一个连接持续向服务器发送字节流，同时读取回显；loadgen 把收到的每个字节与发送的内容逐一比对。\
             速率是每秒回显并验证的字节数。缓冲区指服务器的缓冲区：它每次 `read` 请求读取的字节数。"
        )
    );
    let _ = writeln!(
        out,
        "![{}](bench-bulk.svg)\n",
        t(
            "Bulk throughput by server buffer",
            "按服务器缓冲区大小统计的批量吞吐"
        )
    );
    let _ = writeln!(
        out,
        "| {} |\n|---|---:|---:|---:|---:|---:|---|",
        t(
            "server | buffer | sent | verified | throughput | server CPU per 1,000 MB | errors",
            "服务器 | 缓冲区 | 发送 | 已验证 | 吞吐 | 每 1,000 MB 的服务器 CPU | 错误"
        )
    );
    for entry in &bench.entries {
        match entry {
            Entry::Ran(Results::Bulk(r)) => {
                let label = r.label.clone().unwrap_or_default();
                let _ = writeln!(
                    out,
                    "| `{label}` | {} | {} MB | {} MB | {}{} | {} | {} |",
                    buffer_of(&label).map_or("?".into(), kib),
                    thousands(r.bytes_sent / 1_000_000),
                    thousands(r.bytes_verified / 1_000_000),
                    bytes_rate(r.bytes_per_s),
                    partial_mark(r.partial, lang),
                    cpu_cell(r.cpu.as_ref(), lang),
                    errors_cell(r.errors, &r.error_kinds)
                );
            }
            Entry::NotRun(skip) if skip.mode == "bulk" => {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | — | — | {} | — | — |",
                    skip.label,
                    buffer_of(&skip.label).map_or("?".into(), kib),
                    not_run_cell(skip, lang)
                );
            }
            _ => {}
        }
    }
    let _ = writeln!(
        out,
        "\n{}\n",
        t(
            "Every server runs with `--quiet` here, so it writes no log line per read. With the \
             tutorial's 1,024-byte buffer every `read` and `write` moves at most 1 KiB: the \
             system calls, not the copying, set the pace. The 64 KiB runs alternate, round after \
             round.",
            "这里每个服务器都带 `--quiet` 运行，每次读取不写日志。用教程的 1,024 字节缓冲区时，每次 `read` 和 `write` \
             最多搬运 1 KiB：决定速度的是系统调用，而不是拷贝。64 KiB 的各次运行交替进行，一轮接一轮。"
        )
    );
    server_notes(out, bench, lang, "bulk");
}

fn chat_section(out: &mut String, bench: &Bench, lang: Lang) {
    let t = |en, zh| lang.t(en, zh);
    let _ = writeln!(out, "## {}\n", t("Chat fan-out", "聊天室广播"));
    let _ = writeln!(
        out,
        "{}\n",
        t(
            "All clients join first; then some of them send lines, and every line must reach \
             every other client. Every client reads all the time (the server cuts off a client \
             that does not keep up). Latency is from sending a line to one client receiving it.",
            "所有客户端先加入聊天室；然后其中一部分客户端发送消息，每一行都必须送达其余每个客户端。\
             每个客户端都在持续读取（服务器会断开跟不上的客户端）。延迟是从发出一行到某个客户端收到它的时间。"
        )
    );
    let _ = writeln!(
        out,
        "| {} |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        t(
            "server | clients | senders × lines | in flight | delivered of expected | lost | cut off | deliveries/s | server CPU per 1,000 | p50 | p99 | max | errors",
            "服务器 | 客户端 | 发送者 × 行数 | 在途 | 送达 / 应送达 | 丢失 | 被断开 | 每秒送达 | 每 1,000 次的服务器 CPU | p50 | p99 | 最大 | 错误"
        )
    );
    let mut any = false;
    for entry in &bench.entries {
        match entry {
            Entry::Ran(Results::Chat(r)) => {
                any = true;
                let joined = if r.connected == r.clients {
                    thousands(r.clients)
                } else {
                    match lang {
                        Lang::En => format!(
                            "{} ({} joined)",
                            thousands(r.clients),
                            thousands(r.connected)
                        ),
                        Lang::Zh => format!(
                            "{}（加入 {}）",
                            thousands(r.clients),
                            thousands(r.connected)
                        ),
                    }
                };
                let _ = writeln!(
                    out,
                    "| `{}` | {joined} | {} × {}{} | {} | {} / {} | {} | {} | {}{} | {} | {} | {} |",
                    r.label.as_deref().unwrap_or("chat-server"),
                    thousands(r.senders),
                    thousands(r.messages),
                    if r.rate > 0.0 {
                        match lang {
                            Lang::En => format!(" at {}/s", r.rate),
                            Lang::Zh => format!("，每秒 {} 行", r.rate),
                        }
                    } else {
                        String::new()
                    },
                    r.in_flight.map_or("—".into(), thousands),
                    thousands(r.delivered),
                    thousands(r.expected),
                    thousands(r.lost),
                    thousands(r.cut_off),
                    thousands(r.deliveries_per_s.round() as u64),
                    partial_mark(r.partial, lang),
                    cpu_cell(r.cpu.as_ref(), lang),
                    latency_cells(&r.latency, false),
                    errors_cell(r.errors, &r.error_kinds)
                );
            }
            Entry::NotRun(skip) if skip.mode == "chat" => {
                any = true;
                let _ = writeln!(
                    out,
                    "| `{}` | {} | — | {} | — | — | — | {} | — | — | — | — | — |",
                    skip.label,
                    skip.connections.map_or("—".into(), thousands),
                    skip.in_flight.map_or("—".into(), thousands),
                    not_run_cell(skip, lang)
                );
            }
            _ => {}
        }
    }
    if !any {
        let _ = writeln!(out, "| — | — | — | — | — | — | — | — | — | — | — | — | — |");
    }
    let _ = writeln!(
        out,
        "\n{}",
        t(
            "In the 200-client room, the first 5 clients send and each sender keeps 1 or 16 of \
             its lines in flight (`loadgen chat --in-flight N`): it sends its next line only \
             once fewer than N of its lines have not yet reached the watching client, the last \
             client to join. With 1 in flight a sender waits for each line to arrive before it \
             sends the next, so the rate measures the room's delay; with 16 it measures how much \
             the room can carry. `chat-server --quiet` prints no line per message; the Python \
             room (`scripts/bench/chat_room.py`, tutorial 004's room with the broadcast fixed: \
             a thread per client, one lock, one `sendall` of each received chunk to every other \
             client) prints none either. The runs of the two alternate, round after round. The \
             1,000-client room is paced instead (lines per second for each sender, in the \
             table): a steady load, and a check that nobody is lost.",
            "在 200 个客户端的聊天室里，前 5 个客户端发送，每个发送者保持 1 行或 16 行在途（`loadgen chat --in-flight N`）：\
             只有当它还没到达观察客户端（最后一个加入的客户端）的行少于 N 行时，才发送下一行。1 行在途时，\
             发送者等每一行到达后才发下一行，所以速率衡量的是聊天室的延迟；16 行在途时衡量的是聊天室能承载多少。\
             `chat-server --quiet` 不为每条消息打印一行；Python 聊天室（`scripts/bench/chat_room.py`，修好广播的教程 004 \
             聊天室：每个客户端一个线程、一把锁、把收到的每一块数据用一次 `sendall` 发给其他每个客户端）也不打印。\
             两者交替运行，一轮接一轮。1,000 个客户端的聊天室则按固定速率发送（每个发送者每秒的行数见表格）：\
             负载平稳，用来检查没有人丢消息。"
        )
    );
    let _ = writeln!(out);
    server_notes(out, bench, lang, "chat");
}

fn udp_section(out: &mut String, bench: &Bench, lang: Lang) {
    let t = |en, zh| lang.t(en, zh);
    let _ = writeln!(
        out,
        "## {}\n",
        t("UDP round trips and loss", "UDP 往返与丢包")
    );
    let _ = writeln!(
        out,
        "{}\n",
        t(
            "Each socket sends a datagram and waits for the answer (at most the time-out shown) \
             before sending the next. With `--echo` the server sends each datagram back and \
             loadgen checks it; without, it answers `收到您的消息!` and any answer counts. UDP \
             does not retransmit: a datagram dropped because the server's receive buffer was \
             full is lost for good. `udp-server` without `--quiet` prints a line for every \
             datagram, as tutorial 004's Python server does (`scripts/bench/udp_server.py`, \
             as the tutorial wrote it, run with Python's default buffering: its output is a \
             pipe, so `print` fills a buffer before it writes); their runs, and those of \
             `udp-server --quiet`, alternate.",
            "每个套接字发送一个数据报，等待回应（最多等表中的超时时间）后再发下一个。带 `--echo` 时服务器把数据报原样发回，\
             loadgen 会检查内容；不带时服务器回复 `收到您的消息!`，任何回应都算数。UDP 不会重传：\
             因为服务器接收缓冲区已满而被丢弃的数据报就永远丢失了。不带 `--quiet` 的 `udp-server` 像教程 004 的 Python \
             服务器一样，每个数据报打印一行（`scripts/bench/udp_server.py` 与教程写法相同，按 Python 的默认缓冲方式运行：\
             输出是管道，所以 `print` 先攒满缓冲区再写出）；它们和 `udp-server --quiet` 交替运行。"
        )
    );
    let _ = writeln!(
        out,
        "| {} |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        t(
            "server | sockets | datagrams each × bytes | time-out | answered of sent | lost | late | round trips/s | server CPU per 1,000 | p50 | p99 | max | errors",
            "服务器 | 套接字 | 每套接字数据报 × 字节 | 超时 | 收到回应 / 发送 | 丢失 | 迟到 | 每秒往返 | 每 1,000 个的服务器 CPU | p50 | p99 | 最大 | 错误"
        )
    );
    for entry in &bench.entries {
        match entry {
            Entry::Ran(Results::Udp(r)) => {
                let label = r.label.clone().unwrap_or_else(|| match r.expect {
                    UdpExpect::Echo => "udp-server --echo".into(),
                    UdpExpect::Any => "udp-server".into(),
                });
                let _ = writeln!(
                    out,
                    "| `{label}` | {} | {} × {} | {} ms | {} / {} | {} ({:.2}%) | {} | {}{} | {} | {} | {} |",
                    thousands(r.sockets),
                    thousands(r.datagrams),
                    r.size,
                    r.wait_ms,
                    thousands(r.answered),
                    thousands(r.sent),
                    thousands(r.lost),
                    r.loss_percent,
                    thousands(r.late),
                    thousands(r.round_trips_per_s.round() as u64),
                    partial_mark(r.partial, lang),
                    cpu_cell(r.cpu.as_ref(), lang),
                    latency_cells(&r.latency, false),
                    errors_cell(r.errors, &r.error_kinds)
                );
            }
            Entry::NotRun(skip) if skip.mode == "udp" => {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | — | — | — | — | — | {} | — | — | — | — | — |",
                    skip.label,
                    skip.connections.map_or("—".into(), thousands),
                    not_run_cell(skip, lang)
                );
            }
            _ => {}
        }
    }
    let lossy = bench.udp().filter(|r| r.lost > 0).count();
    if lossy > 0 {
        let _ = writeln!(
            out,
            "\n{}",
            t(
                "Where datagrams were lost, the single-threaded server could not keep up with \
                 many sockets sending at once: a socket's receive buffer filled, and the kernel \
                 dropped what did not fit. TCP would have slowed the senders down instead. The \
                 kernel's own count of such drops during each run (`RcvbufErrors` in \
                 /proc/net/snmp, for the whole machine):",
                "出现丢包的地方，是单线程服务器跟不上大量套接字同时发送：套接字的接收缓冲区满了，\
                 内核丢弃了放不下的数据报。换成 TCP，发送方会被放慢，而不是丢数据。\
                 下面是每次运行期间内核自己统计的这类丢弃（/proc/net/snmp 中的 `RcvbufErrors`，整台机器）："
            )
        );
        let _ = writeln!(out);
        for r in bench.udp().filter(|r| r.lost > 0) {
            let label = r.label.clone().unwrap_or_default();
            let drops = bench
                .notes
                .iter()
                .find(|n| n.mode == "udp" && n.label == label && n.connections == Some(r.sockets))
                .and_then(|n| n.udp_drops);
            let counted = drops.map_or_else(|| "?".to_string(), thousands);
            let _ = writeln!(
                out,
                "- {}",
                match lang {
                    Lang::En => format!(
                        "`{label}`, {}: {} lost, {} of them answered late; the kernel dropped {counted}",
                        count_of(r.sockets, "socket"),
                        thousands(r.lost),
                        thousands(r.late)
                    ),
                    Lang::Zh => format!(
                        "`{label}`，{} 个套接字：丢失 {}，其中 {} 个迟到；内核丢弃了 {counted} 个",
                        thousands(r.sockets),
                        thousands(r.lost),
                        thousands(r.late)
                    ),
                }
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        t(
            "With thousands of sockets, loadgen's share of the 2 cores is part of what is \
             measured: an answer can wait in loadgen's socket until its task gets a turn, so a \
             latency can be longer than the time-out.",
            "套接字数以千计时，loadgen 在 2 个核上所占的份额也成了测量的一部分：回应可能在 loadgen 的套接字里等到它的任务被调度，\
             所以延迟可能比超时时间还长。"
        )
    );
    let _ = writeln!(out);
    server_notes(out, bench, lang, "udp");
}

/// The system calls strace counted, per operation, server by server.
fn syscalls_section(out: &mut String, bench: &Bench, lang: Lang) {
    if bench.syscalls.is_empty() {
        return;
    }
    let t = |en, zh| lang.t(en, zh);
    let _ = writeln!(
        out,
        "## {}\n",
        t("System calls per operation", "每次操作的系统调用")
    );
    let _ = writeln!(
        out,
        "{}\n",
        t(
            "Counted by `strace -c -f -p PID` attached to the server during one more run of the \
             scenario (strace slows every call down, so these runs are not timed). The most \
             frequent calls are named, each per operation.",
            "在再运行一次场景时，用 `strace -c -f -p PID` 附着到服务器上计数（strace 会拖慢每次调用，所以这些运行不计时）。\
             列出最频繁的几种调用，都按每次操作计。"
        )
    );
    let _ = writeln!(
        out,
        "| {} |\n|---|---|---|",
        t(
            "server | scenario | system calls",
            "服务器 | 场景 | 系统调用"
        )
    );
    for counted in &bench.syscalls {
        let scenario = match (counted.in_flight, lang) {
            (Some(n), Lang::En) => format!("{}, {n} in flight", counted.mode),
            (Some(n), Lang::Zh) => format!("{}，{n} 行在途", counted.mode),
            (None, _) => counted.mode.clone(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {scenario} | {} |",
            counted.label,
            counted.per_operation(lang)
        );
    }
    let _ = writeln!(out);
}

/// Round trips per second: a group per connection count, a bar per server.
fn echo_chart(bench: &Bench, lang: Lang) -> String {
    let mut counts: Vec<u64> = bench.echo().map(|r| r.connections).collect();
    counts.extend(bench.not_run("echo").filter_map(|skip| skip.connections));
    counts.sort_unstable();
    counts.dedup();
    let mut labels: Vec<String> = Vec::new();
    for label in bench
        .echo()
        .filter_map(|r| r.label.clone())
        .chain(bench.not_run("echo").map(|skip| skip.label.clone()))
    {
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    let series: Vec<Series> = labels
        .iter()
        .map(|label| Series {
            name: display_name(label, lang),
            values: counts
                .iter()
                .map(|&count| {
                    let runs: Vec<f64> = bench
                        .echo_runs(label, count)
                        .iter()
                        .map(|r| r.messages_per_s)
                        .collect();
                    mean(&runs)
                })
                .collect(),
        })
        .collect();
    let categories: Vec<String> = counts
        .iter()
        .map(|&count| match lang {
            Lang::En if count == 1 => "1 connection".to_string(),
            Lang::En => format!("{} connections", thousands(count)),
            Lang::Zh => format!("{} 个连接", thousands(count)),
        })
        .collect();
    chart::grouped_bars(
        lang.t(
            "Echo round trips per second (higher is better)",
            "echo 每秒往返次数（越高越好）",
        ),
        lang.t("round trips per second", "每秒往返次数"),
        &categories,
        &series,
        lang.t("n/a", "无"),
    )
}

/// Bulk throughput, one bar per run, with the 2 GB/s target.
fn bulk_chart(bench: &Bench, lang: Lang) -> String {
    let mut rows: Vec<(String, Option<f64>)> = bench
        .bulk()
        .map(|r| {
            let label = r.label.clone().unwrap_or_default();
            let name = format!(
                "{}, {}",
                server(&label),
                buffer_of(&label).map_or("?".into(), kib)
            );
            (name, Some(r.bytes_per_s))
        })
        .collect();
    rows.extend(bench.not_run("bulk").map(|skip| {
        let name = format!(
            "{}, {}",
            server(&skip.label),
            buffer_of(&skip.label).map_or("?".into(), kib)
        );
        (name, None)
    }));
    chart::horizontal_bars(
        lang.t("Bulk echo throughput", "批量 echo 吞吐"),
        &rows,
        None,
        bytes_rate,
        lang.t("not run", "未运行"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::echo::Expect;

    /// CPU as loadgen saves it: `seconds` of server CPU for `operations`.
    fn cpu(seconds: f64, operations: f64) -> Option<CpuUse> {
        Some(CpuUse {
            pid: 1,
            operation: "round trip".into(),
            operations,
            server_s: Some(seconds),
            server_per_1000_s: Some(seconds * 1000.0 / operations),
            loadgen_s: None,
            unavailable: None,
        })
    }

    fn echo(label: &str, connections: u64, rate: f64, errors: u64) -> Entry {
        echo_with_cpu(label, connections, rate, errors, None)
    }

    fn echo_with_cpu(
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

    fn bench(entries: Vec<Entry>) -> Bench {
        Bench {
            machine: fields("date=2026-05-01\ncpu=AMD EPYC\ncores=2\nquick=no\n"),
            entries,
            notes: Vec::new(),
            syscalls: Vec::new(),
        }
    }

    #[test]
    fn buffers_come_from_the_label() {
        assert_eq!(
            buffer_of("async-echo-server --buf-size 65536"),
            Some(65_536)
        );
        assert_eq!(buffer_of("echo-server --threads"), Some(1024));
        assert_eq!(buffer_of("async-echo-server"), None);
        assert_eq!(kib(65_536), "64 KiB");
    }

    #[test]
    fn targets_are_ratios_to_the_baseline_of_the_same_run() {
        let b = bench(vec![
            echo_with_cpu(THREADS, 50, 95_000.0, 0, cpu(1.2, 100_000.0)),
            echo_with_cpu(REFERENCE, 50, 100_000.0, 0, cpu(1.0, 100_000.0)),
            echo_with_cpu(THREADS, 50, 99_000.0, 0, cpu(1.2, 100_000.0)),
            echo_with_cpu(REFERENCE, 50, 100_000.0, 0, cpu(1.0, 100_000.0)),
            echo(ASYNC, 10_000, 50_000.0, 3),
        ]);
        let t = target_echo_reference(&b, Lang::En, THREADS);
        assert_eq!(t.verdict, Verdict::Missed, "{}", t.measured);
        assert_eq!(
            t.measured,
            "round trips/s: 0.97× reference-echo (target ≥ 0.9×, rounds 0.95–0.99×) ✓; \
             CPU per round trip: 1.20× reference-echo (target ≤ 1.1×, rounds 1.20–1.20×) ✗"
        );
        assert!(
            t.why
                .starts_with("CPU per round trip 9% over 1.1× reference-echo (1.20×).")
                && t.why.contains("12.0 ms of CPU per 1,000 round trips")
                && t.why.contains("alternated, 2 rounds each"),
            "{}",
            t.why
        );
        let t = target_async_10k(&b, Lang::En);
        assert_eq!(t.verdict, Verdict::Missed);
        assert!(t.why.contains("open-file limit"), "{}", t.why);
        let t = target_bulk_reference(&b, Lang::Zh);
        assert_eq!(t.verdict, Verdict::NotMeasured);
        let t = target_echo_reference(&b, Lang::En, ASYNC);
        assert_eq!(t.verdict, Verdict::NotMeasured);
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
    fn pages_link_each_other_and_their_charts() {
        let b = bench(vec![
            echo("echo-server", 1, 30_000.0, 0),
            Entry::NotRun(NotRun {
                mode: "echo".into(),
                label: "echo-server --threads".into(),
                connections: Some(10_000),
                in_flight: None,
                reason: "open-file limit 1024".into(),
                reason_zh: String::new(),
            }),
        ]);
        let en = page(&b, Lang::En);
        assert!(en.contains("](../zh/bench.md)") && en.contains("](bench.svg)"));
        assert!(en.contains(
            "| `echo-server --threads` | 10,000 | — | — | not run: open-file limit 1024"
        ));
        let zh = page(&b, Lang::Zh);
        assert!(zh.contains("](../en/bench.md)") && zh.contains("未运行："));
        let svg = echo_chart(&b, Lang::En);
        assert!(svg.contains("10,000 connections") && svg.contains(">n/a<"));
    }

    #[test]
    fn json_results_round_trip_with_their_mode() {
        let Entry::Ran(results) = echo("async-echo-server", 50, 1.0, 0) else {
            unreachable!()
        };
        let text = serde_json::to_string(&results).expect("serialise");
        assert!(
            text.starts_with(r#"{"mode":"echo","label":"async-echo-server""#),
            "{text}"
        );
        let back: Results = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, results);
    }
}
