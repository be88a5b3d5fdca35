//! `loadgen report`: turns the results `scripts/bench.sh` saved into the bench page, in
//! English and in Chinese, with its charts and a verdict on each of the project's targets.
//!
//! The results folder holds `machine.txt` (`key=value` lines: date, cpu, cores, ...) and, per
//! scenario in the order they ran, `NN-name.json` (the `--json` output of one loadgen run,
//! its `label` naming the server and its flags) or `NN-name.skip` (`mode=`, `label=`,
//! `connections=` and `reason=` lines for a scenario that could not run).

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
use crate::echo::EchoResults;
use crate::stats::{ErrorCounts, LatencySummary, bytes_rate, count_of, micros, thousands};
use crate::udp::{UdpExpect, UdpResults};

/// The echo server's read buffer when it has no `--buf-size` flag: its `BUFSIZ` constant.
const ECHO_SERVER_BUFSIZ: u64 = 1024;

/// The bulk throughput target, in bytes per second.
const BULK_TARGET: f64 = 2e9;

/// The largest gap allowed between echo-server --threads and async-echo-server at 50
/// connections, as a fraction of the faster one.
const FAIR_GAP: f64 = 0.10;

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

/// Everything the page is made from.
struct Bench {
    machine: BTreeMap<String, String>,
    entries: Vec<Entry>,
    notes: Vec<ServerNote>,
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
            _ => {}
        }
    }
    Ok(Bench {
        machine,
        entries,
        notes,
    })
}

/// The two languages of the book.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    En,
    Zh,
}

impl Lang {
    fn folder(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// Picks the text in this language.
    fn t<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
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
    if label == "echo-server" {
        lang.t("echo-server (one at a time)", "echo-server（一次一个）")
            .to_string()
    } else {
        label.to_string()
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

    fn machine(&self, key: &str) -> &str {
        self.machine.get(key).map_or("?", String::as_str)
    }

    fn quick(&self) -> bool {
        self.machine
            .get("quick")
            .is_some_and(|value| value == "yes")
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
    let Some(r) = bench
        .echo_runs("async-echo-server", 10_000)
        .into_iter()
        .next()
    else {
        let reason = bench.skip_reason("echo", "async-echo-server", Some(10_000), lang);
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

fn target_fair_50(bench: &Bench, lang: Lang) -> Target {
    let goal = lang.t(
        "echo `--threads` and async echo within 10% of each other at 50 connections",
        "50 个连接时，echo `--threads` 与异步 echo 相差不超过 10%",
    );
    let rates = |label| -> Vec<f64> {
        bench
            .echo_runs(label, 50)
            .iter()
            .filter(|r| r.errors == 0 && !r.partial)
            .map(|r| r.messages_per_s)
            .collect()
    };
    let (threads, tasks) = (rates("echo-server --threads"), rates("async-echo-server"));
    let (threads_runs, tasks_runs) = (threads.len(), tasks.len());
    let (Some(threads), Some(tasks)) = (mean(&threads), mean(&tasks)) else {
        let reason = bench
            .skip_reason("echo", "async-echo-server", Some(50), lang)
            .or_else(|| bench.skip_reason("echo", "echo-server --threads", Some(50), lang));
        return not_measured(bench, lang, goal, reason);
    };
    let apart = gap(threads, tasks);
    let percent = format!("{:.1}%", apart * 100.0);
    let measured = match lang {
        Lang::En => format!(
            "threads {} vs async {} round trips/s: {percent} apart",
            thousands(threads.round() as u64),
            thousands(tasks.round() as u64)
        ),
        Lang::Zh => format!(
            "线程版每秒 {} 次，异步版每秒 {} 次：相差 {percent}",
            thousands(threads.round() as u64),
            thousands(tasks.round() as u64)
        ),
    };
    let met = apart <= FAIR_GAP;
    let faster = if threads > tasks {
        "echo-server --threads"
    } else {
        "async-echo-server"
    };
    let mut why = if met {
        lang.t(
            "At 50 connections a thread per client is cheap, and both servers spend their time \
             in the same system calls (read, write), sharing the 2 cores with loadgen: the way \
             they wait for the network matters little here.",
            "50 个连接时，每个客户端一个线程的开销很小；两个服务器的时间都花在同样的系统调用上（read、write），\
             并且和 loadgen 共用 2 个核：等待网络的方式在这里影响不大。",
        )
        .to_string()
    } else {
        match lang {
            Lang::En => format!(
                "`{faster}` was faster. Both servers make the same system calls per message; \
                 threads add a context switch each time a blocked read wakes up, tokio adds its \
                 scheduler and wake-ups, and on 2 cores shared with loadgen those costs do not \
                 cancel out."
            ),
            Lang::Zh => format!(
                "`{faster}` 更快。两个服务器每条消息的系统调用相同；线程版在每次阻塞的 read 被唤醒时多一次上下文切换，\
                 tokio 则多出调度和唤醒的开销；在与 loadgen 共用的 2 个核上，这些开销并不相互抵消。"
            ),
        }
    };
    let runs = threads_runs.min(tasks_runs);
    if let (Some(spread), true) = (run_to_run_spread(bench), runs > 1) {
        why += &match lang {
            Lang::En => format!(
                " Each was run {runs} times, interleaved, and the mean is shown; repeated runs \
                 of the same scenario differed by up to {:.1}% on this shared machine.",
                spread * 100.0
            ),
            Lang::Zh => format!(
                " 两者各交替运行 {runs} 次，取平均值；在这台共享的机器上，同一场景的重复运行最多相差 {:.1}%。",
                spread * 100.0
            ),
        };
    }
    Target {
        goal: goal.into(),
        measured,
        verdict: if met { Verdict::Met } else { Verdict::Missed },
        why,
    }
}

fn target_bulk(bench: &Bench, lang: Lang) -> Target {
    let goal = lang.t(
        "bulk echo with a 64 KiB buffer ≥ 2 GB/s (2 cores)",
        "64 KiB 缓冲区的批量 echo ≥ 2 GB/s（2 核）",
    );
    let best_with = |buffer: u64| {
        bench
            .bulk()
            .filter(|r| r.label.as_deref().and_then(buffer_of) == Some(buffer))
            .max_by(|a, b| a.bytes_per_s.total_cmp(&b.bytes_per_s))
    };
    let Some(big) = best_with(65_536) else {
        let reason = bench
            .not_run("bulk")
            .find(|skip| buffer_of(&skip.label) == Some(65_536))
            .map(|skip| skip.reason(lang));
        return not_measured(bench, lang, goal, reason);
    };
    let label = big.label.clone().unwrap_or_default();
    let measured = format!("{} (`{label}`)", bytes_rate(big.bytes_per_s));
    let met = big.bytes_per_s >= BULK_TARGET && big.errors == 0;
    let mut why = if met {
        lang.t(
            "With a 64 KiB buffer each system call moves 64 times as much as with 1 KiB, so the \
             per-call cost almost vanishes.",
            "使用 64 KiB 缓冲区时，每次系统调用搬运的数据是 1 KiB 时的 64 倍，每次调用的固定开销几乎可以忽略。",
        )
        .to_string()
    } else if big.errors > 0 {
        match lang {
            Lang::En => format!("Errors: {}.", error_words(&big.error_kinds, lang)),
            Lang::Zh => format!("错误：{}。", error_words(&big.error_kinds, lang)),
        }
    } else {
        lang.t(
            "loadgen and the server share the same 2 cores, and every byte crosses the kernel \
             four times (loadgen writes, the server reads and writes, loadgen reads), then \
             loadgen compares it with what it sent: the copying alone keeps both cores busy \
             below 2 GB/s here. On a machine where loadgen has cores of its own, the number is \
             higher.",
            "loadgen 和服务器共用同样的 2 个核，每个字节要穿过内核四次（loadgen 写、服务器读和写、loadgen 读），\
             然后 loadgen 还要把它和发出的内容逐字节比较：在这里，光是这些拷贝就让两个核在 2 GB/s 以下满负荷运转。\
             如果 loadgen 有自己独立的核，数字会更高。",
        )
        .to_string()
    };
    if let Some(small) = best_with(ECHO_SERVER_BUFSIZ).filter(|r| r.bytes_per_s > 0.0) {
        why += &match lang {
            Lang::En => format!(
                " The tutorial's 1,024-byte buffer gave {} (`{}`): {:.1}× slower, because every \
                 read and write is a system call that moves at most one buffer.",
                bytes_rate(small.bytes_per_s),
                small.label.clone().unwrap_or_default(),
                big.bytes_per_s / small.bytes_per_s
            ),
            Lang::Zh => format!(
                " 教程的 1,024 字节缓冲区只有 {}（`{}`），慢了 {:.1} 倍，因为每次 read 和 write 都是一次系统调用，\
                 最多只搬运一个缓冲区的数据。",
                bytes_rate(small.bytes_per_s),
                small.label.clone().unwrap_or_default(),
                big.bytes_per_s / small.bytes_per_s
            ),
        };
    }
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
            bench.machine("nofile").to_string(),
        ),
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
        "\n> {}{spread}\n",
        t(
            "The machine is shared with other work, so the numbers are noisy: compare the rows \
             of one page with each other, not with another machine's page.",
            "这台机器同时还在做别的工作，所以数字有噪声：请在同一页的各行之间比较，不要拿来和别的机器的结果比较。"
        )
    );

    // The targets, judged.
    let targets = [
        target_async_10k(bench, lang),
        target_fair_50(bench, lang),
        target_bulk(bench, lang),
        target_chat(bench, lang),
    ];
    let _ = writeln!(out, "## {}\n", t("Targets", "目标"));
    let _ = writeln!(
        out,
        "{}\n",
        t(
            "The project set these targets for lesson 9. They are reported, not enforced: a \
             missed target is a finding, explained below the table.",
            "项目为第 9 课设定了以下目标。它们只被报告，不作为测试的通过条件：未达成的目标本身就是一个发现，表格下方给出了原因。"
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
        "| {} |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        t(
            "server | connections | messages each × bytes | connected | round trips/s | p50 | p99 | p99.9 | max | errors",
            "服务器 | 连接数 | 每连接消息数 × 字节 | 已连接 | 每秒往返 | p50 | p99 | p99.9 | 最大 | 错误"
        )
    );
    for entry in &bench.entries {
        match entry {
            Entry::Ran(Results::Echo(r)) => {
                let label = r.label.clone().unwrap_or_default();
                let _ = writeln!(
                    out,
                    "| `{label}` | {} | {} × {} | {} | {}{} | {} | {} |",
                    thousands(r.connections),
                    thousands(r.messages),
                    r.size,
                    thousands(r.connected),
                    thousands(r.messages_per_s.round() as u64),
                    partial_mark(r.partial, lang),
                    latency_cells(&r.latency, true),
                    errors_cell(r.errors, &r.error_kinds)
                );
            }
            Entry::NotRun(skip) if skip.mode == "echo" => {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | — | — | {} | — | — | — | — | — |",
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
            "`echo-server` without `--threads` serves one client at a time, like the tutorial, \
             so it only runs with 1 connection: a second client would wait for the first to \
             leave. All the servers print a line per message they receive; the script sends \
             that output to /dev/null, but writing it is part of the measured work.",
            "不带 `--threads` 的 `echo-server` 像教程一样一次只服务一个客户端，所以只用 1 个连接测试：\
             第二个客户端要等第一个离开才能被服务。所有服务器收到每条消息都会打印一行；脚本把这些输出丢到 /dev/null，\
             但写出这一行本身也计入了测量的工作量。"
        )
    );
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
    // Two descriptors per client, plus a few of its own: more than the limit allows?
    let limit: Option<u64> = bench.machine("nofile").parse().ok();
    let short_of_files = bench.echo().any(|r| {
        r.errors > 0
            && r.label.as_deref().map(server) == Some("echo-server")
            && limit.is_some_and(|limit| 2 * r.connections + 16 > limit)
    });
    let said_so = bench.notes.iter().any(|note| {
        note.mode == "echo"
            && server(&note.label) == "echo-server"
            && note
                .said
                .iter()
                .any(|line| line.contains("too many open files"))
    });
    let out_of_files = short_of_files || said_so;
    if out_of_files {
        let _ = writeln!(
            out,
            "{}\n",
            t(
                "`echo-server` holds two descriptors per client: the connection, and a clone \
                 of it that lets Ctrl-C close it (`Shutdown::watch` in `common`). So 10,000 \
                 clients need more than 20,000, more than the open-file limit here: the few \
                 clients past that limit were not served (the errors in the table).",
                "`echo-server` 为每个客户端持有两个描述符：连接本身，以及让 Ctrl-C 能关闭它的一个克隆\
                 （`common` 中的 `Shutdown::watch`）。所以 10,000 个客户端需要超过 20,000 个描述符，\
                 超过了这里的打开文件数上限：超出上限的少数客户端没有得到服务（即表中的错误）。"
            )
        );
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
        "| {} |\n|---|---:|---:|---:|---:|---|",
        t(
            "server | buffer | sent | verified | throughput | errors",
            "服务器 | 缓冲区 | 发送 | 已验证 | 吞吐 | 错误"
        )
    );
    for entry in &bench.entries {
        match entry {
            Entry::Ran(Results::Bulk(r)) => {
                let label = r.label.clone().unwrap_or_default();
                let _ = writeln!(
                    out,
                    "| `{label}` | {} | {} MB | {} MB | {}{} | {} |",
                    buffer_of(&label).map_or("?".into(), kib),
                    thousands(r.bytes_sent / 1_000_000),
                    thousands(r.bytes_verified / 1_000_000),
                    bytes_rate(r.bytes_per_s),
                    partial_mark(r.partial, lang),
                    errors_cell(r.errors, &r.error_kinds)
                );
            }
            Entry::NotRun(skip) if skip.mode == "bulk" => {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | — | — | {} | — |",
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
            "`async-echo-server` runs with `--quiet` here, so it writes no log line per read; \
             `echo-server` has no such option and prints a line for every read, which with a \
             1,024-byte buffer is a line per KiB.",
            "这里 `async-echo-server` 带 `--quiet` 运行，每次读取不写日志；`echo-server` 没有这个选项，\
             每次读取都打印一行，在 1,024 字节缓冲区下就是每 KiB 一行。"
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
        "| {} |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        t(
            "clients | joined | senders × lines | delivered of expected | lost | cut off | deliveries/s | p50 | p99 | max | errors",
            "客户端 | 已加入 | 发送者 × 行数 | 送达 / 应送达 | 丢失 | 被断开 | 每秒送达 | p50 | p99 | 最大 | 错误"
        )
    );
    let mut any = false;
    for entry in &bench.entries {
        match entry {
            Entry::Ran(Results::Chat(r)) => {
                any = true;
                let _ = writeln!(
                    out,
                    "| {} | {} | {} × {}{} | {} / {} | {} | {} | {}{} | {} | {} |",
                    thousands(r.clients),
                    thousands(r.connected),
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
                    thousands(r.delivered),
                    thousands(r.expected),
                    thousands(r.lost),
                    thousands(r.cut_off),
                    thousands(r.deliveries_per_s.round() as u64),
                    partial_mark(r.partial, lang),
                    latency_cells(&r.latency, false),
                    errors_cell(r.errors, &r.error_kinds)
                );
            }
            Entry::NotRun(skip) if skip.mode == "chat" => {
                any = true;
                let _ = writeln!(
                    out,
                    "| {} | — | — | — | — | — | {} | — | — | — | — |",
                    skip.connections.map_or("—".into(), thousands),
                    not_run_cell(skip, lang)
                );
            }
            _ => {}
        }
    }
    if !any {
        let _ = writeln!(out, "| — | — | — | — | — | — | — | — | — | — | — |");
    }
    let _ = writeln!(
        out,
        "\n{}",
        t(
            "Senders are paced (lines per second for each sender, in the table), so that the \
             room carries a steady load rather than one burst. The chat server gives each \
             client two threads, so 1,000 clients are 2,000 threads sharing 2 cores with \
             loadgen: latency there is mostly waiting for a turn.",
            "发送者按固定速率发送（每个发送者每秒的行数见表格），让聊天室承受平稳的负载，而不是一次性的突发。\
             聊天服务器为每个客户端开两个线程，所以 1,000 个客户端就是 2,000 个线程，与 loadgen 共用 2 个核：\
             那里的延迟主要是在排队等待运行。"
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
             full is lost for good.",
            "每个套接字发送一个数据报，等待回应（最多等表中的超时时间）后再发下一个。带 `--echo` 时服务器把数据报原样发回，\
             loadgen 会检查内容；不带时服务器回复 `收到您的消息!`，任何回应都算数。UDP 不会重传：\
             因为服务器接收缓冲区已满而被丢弃的数据报就永远丢失了。"
        )
    );
    let _ = writeln!(
        out,
        "| {} |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        t(
            "server | sockets | datagrams each × bytes | time-out | answered of sent | lost | late | round trips/s | p50 | p99 | max | errors",
            "服务器 | 套接字 | 每套接字数据报 × 字节 | 超时 | 收到回应 / 发送 | 丢失 | 迟到 | 每秒往返 | p50 | p99 | 最大 | 错误"
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
                    "| `{label}` | {} | {} × {} | {} ms | {} / {} | {} ({:.2}%) | {} | {}{} | {} | {} |",
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
                    latency_cells(&r.latency, false),
                    errors_cell(r.errors, &r.error_kinds)
                );
            }
            Entry::NotRun(skip) if skip.mode == "udp" => {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | — | — | — | — | — | {} | — | — | — | — |",
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
        Some((
            BULK_TARGET,
            lang.t("target 2 GB/s", "目标 2 GB/s").to_string(),
        )),
        bytes_rate,
        lang.t("not run", "未运行"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::echo::Expect;

    fn echo(label: &str, connections: u64, rate: f64, errors: u64) -> Entry {
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
    fn targets_are_judged_from_the_numbers() {
        let fair = bench(vec![
            echo("echo-server --threads", 50, 100_000.0, 0),
            echo("async-echo-server", 50, 95_000.0, 0),
            echo("echo-server --threads", 50, 104_000.0, 0),
            echo("async-echo-server", 50, 97_000.0, 0),
            echo("async-echo-server", 10_000, 50_000.0, 3),
        ]);
        let t = target_fair_50(&fair, Lang::En);
        assert_eq!(t.verdict, Verdict::Met, "{}", t.measured);
        assert!(
            t.why.contains("run 2 times, interleaved") && t.why.contains("up to 3.8%"),
            "{}",
            t.why
        );
        let t = target_async_10k(&fair, Lang::En);
        assert_eq!(t.verdict, Verdict::Missed);
        assert!(t.why.contains("open-file limit"), "{}", t.why);
        let t = target_bulk(&fair, Lang::Zh);
        assert_eq!(t.verdict, Verdict::NotMeasured);

        let unfair = bench(vec![
            echo("echo-server --threads", 50, 100_000.0, 0),
            echo("async-echo-server", 50, 80_000.0, 0),
        ]);
        let t = target_fair_50(&unfair, Lang::En);
        assert_eq!(t.verdict, Verdict::Missed);
        assert!(t.measured.contains("20.0% apart"), "{}", t.measured);
    }

    #[test]
    fn pages_link_each_other_and_their_charts() {
        let b = bench(vec![
            echo("echo-server", 1, 30_000.0, 0),
            Entry::NotRun(NotRun {
                mode: "echo".into(),
                label: "echo-server --threads".into(),
                connections: Some(10_000),
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
    fn a_threaded_server_short_of_descriptors_is_explained() {
        let mut b = bench(vec![echo("echo-server --threads", 10_000, 50_000.0, 4)]);
        let explained = "`echo-server` holds two descriptors per client";
        assert!(!page(&b, Lang::En).contains(explained), "no limit known");
        b.machine.insert("nofile".into(), "20000".into());
        assert!(page(&b, Lang::En).contains(explained));
        b.machine.insert("nofile".into(), "65536".into());
        assert!(
            !page(&b, Lang::En).contains(explained),
            "enough descriptors"
        );
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
