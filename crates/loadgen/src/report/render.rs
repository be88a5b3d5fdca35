//! The bench page and its charts, in words: the results and the judged targets, made into
//! plain data here, and put into words by one template per language,
//! `crates/loadgen/templates/en.md` and `zh.md` ([MiniJinja], Jinja2's syntax).
//!
//! Why templates: a translator edits the Chinese page as text, in one file that reads like
//! the page, not 150 `format!` calls spread over Rust code, and the English and the Chinese
//! page can differ in word order, plurals and punctuation without a branch in Rust. So the
//! rule here is: **no words in this file**. It hands the templates facts (numbers, labels,
//! codes such as `reason.code == "no-python3"` or `verdict == "missed"`), and the filters
//! that make numbers read the same in both languages (`numbers.rs`): `thousands` (12,345),
//! `micros` (1.25 ms), `cpu_time` (10.4 ms), `per_op` (0.0031), `bytes_rate` (1.51 GB/s),
//! `factor` (2, 0.9), `fixed(n)` (n decimals) and `plain` (6, 0.5). Table cells that read the
//! same in both languages (latencies, error kinds) come ready-made in each row. Words the
//! charts need come from macros of the same template (`chart_echo_title()`, ...), so each
//! language stays one file.
//!
//! A template is compiled into loadgen (`include_str!`): edit it, then run `loadgen report`
//! again. The tests render both languages from a small fixture, and check that every reason
//! code has words in each.
//!
//! [MiniJinja]: https://docs.rs/minijinja

use std::collections::BTreeMap;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use super::chart::{self, Series};
use super::folder::{
    Bench, Entry, NotRun, POLL_CHAT, PY_CHAT, PY_ECHO, PY_UDP, PerOperation, ServerNote, buffer_of,
    server,
};
use super::judge::{LogCost, Target};
use crate::numbers::{self, thousands};
use crate::results::{ChatResults, CpuUse, ErrorCounts, LatencySummary, Results, UdpExpect};

/// The languages of the book, each with its template.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The folder of the book in this language: `docs/en`, `docs/zh`.
    pub fn folder(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The page's template in this language.
    fn template(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../templates/en.md"),
            Lang::Zh => include_str!("../../templates/zh.md"),
        }
    }
}

/// The bench page and its two charts, in one language.
pub struct Pages {
    pub page: String,
    pub echo_chart: String,
    pub bulk_chart: String,
}

/// Writes the page and the charts in `lang`.
pub fn pages(
    bench: &Bench,
    targets: &[Target],
    log_costs: &[LogCost],
    lang: Lang,
) -> Result<Pages, Error> {
    let env = environment(lang)?;
    let template = env.get_template(lang.folder())?;
    let mut rendered = template.render_captured(data(page_data(bench, targets, log_costs)))?;
    let (echo_chart, bulk_chart) =
        rendered.with_state_mut(|words| -> Result<(String, String), Error> {
            Ok((echo_chart(bench, words)?, bulk_chart(bench, words)?))
        })?;
    Ok(Pages {
        page: rendered.into_output(),
        echo_chart,
        bulk_chart,
    })
}

/// The template of `lang`, with the filters that make numbers read the same in every language.
fn environment(lang: Lang) -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    // A line that holds only `{% ... %}` leaves nothing behind, not even its line end; and a
    // name the data does not have is an error, not an empty string on the page.
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("thousands", |value: Value| -> Result<String, Error> {
        Ok(thousands(whole(&value)?))
    });
    env.add_filter("micros", numbers::micros);
    env.add_filter("cpu_time", numbers::cpu_time);
    env.add_filter("per_op", numbers::per_op);
    env.add_filter("bytes_rate", numbers::bytes_rate);
    env.add_filter("factor", numbers::factor);
    env.add_filter("fixed", |value: f64, digits: usize| {
        format!("{value:.digits$}")
    });
    env.add_filter("plain", |value: f64| format!("{value}"));
    // The last branch of a macro that words codes: a code without words is an error.
    env.add_function("no_words_for", |code: String| -> Result<String, Error> {
        Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("the template has no words for '{code}'"),
        ))
    });
    env.add_template(lang.folder(), lang.template())?;
    Ok(env)
}

/// Plain data as a template sees it.
fn data(value: impl Serialize) -> Value {
    Value::from(Serde(value))
}

/// A count for `thousands`: a whole number, or a rate rounded to one.
fn whole(value: &Value) -> Result<u64, Error> {
    if let Ok(count) = u64::try_from(value.clone()) {
        return Ok(count);
    }
    match f64::try_from(value.clone()) {
        Ok(rate) if rate >= 0.0 => Ok(rate.round() as u64),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("thousands: {value} is not a count"),
        )),
    }
}

/// What a template is given.
#[derive(Serialize)]
struct PageData<'a> {
    /// `scripts/bench.sh --quick`: small scenarios, numbers that say little.
    quick: bool,
    /// `machine.txt`, every line the page shows (`?` where it is missing).
    machine: BTreeMap<&'static str, &'a str>,
    /// Whether the script raised the open-file limit (and from what: `machine.nofile_before`).
    nofile_raised: bool,
    /// Whether the run had uncommitted changes.
    dirty: bool,
    /// The largest gap between repeated runs of the same scenario, in percent.
    spread_percent: Option<f64>,
    targets: &'a [Target],
    echo: Vec<Row<'a>>,
    bulk: Vec<Row<'a>>,
    chat: Vec<Row<'a>>,
    udp: Vec<Row<'a>>,
    log_costs: &'a [LogCost],
    /// The chat rooms that started empty (each on a server of its own): threads and memory
    /// per client, both servers.
    rooms: Vec<RoomRow<'a>>,
    /// The rooms where not everyone got in before the duration limit, and what joining cost.
    slow_joins: Vec<SlowJoin<'a>>,
    /// UDP runs that lost datagrams, with the kernel's count of the drops.
    udp_losses: Vec<UdpLoss<'a>>,
    /// What the servers printed on standard error, by mode.
    notes: BTreeMap<&'static str, Vec<&'a ServerNote>>,
    syscalls: Vec<SyscallRow<'a>>,
}

/// One row of a results table: a run, or a scenario that did not run. The cells that read the
/// same in every language are made here; the others are the template's.
#[derive(Serialize)]
struct Row<'a> {
    run: Option<&'a Results>,
    not_run: Option<&'a NotRun>,
    label: String,
    /// The server's CPU per 1,000 operations (`cpu_time`), unless the run was shorter than a
    /// clock tick (`cpu_tick`) or not measured (neither).
    cpu: Option<String>,
    cpu_tick: bool,
    /// `p50 | p99 | max` cells (with p99.9 for echo).
    latency: String,
    /// `0`, or `3 (connect: connection refused ×3)`.
    errors: String,
    /// Bulk: the server's read buffer, `64 KiB` (`?` if the label does not say).
    buffer: String,
}

/// One room of the threads-and-memory table; the cells that read the same in every language
/// are made here.
#[derive(Serialize)]
struct RoomRow<'a> {
    label: &'a str,
    run: &'a ChatResults,
    /// `3 → 10,003`, or `—` without a reading.
    threads: String,
    /// `3.1 → 196.2 MiB`, or `—`.
    rss: String,
    /// `19.8 KiB`, or `—`.
    per_client: String,
    /// The server's CPU per 1,000 joins (`cpu_time`), or `—`.
    join_cpu: String,

    /// The server's CPU per 1,000 deliveries, or `—`.
    cpu: String,
}

/// A room where not everyone joined in time: what the joins cost the server.
#[derive(Serialize)]
struct SlowJoin<'a> {
    label: &'a str,
    clients: u64,
    connected: u64,
    elapsed_s: f64,
    /// CPU seconds for all the joins, and the share that was system time, if measured.
    join_cpu_s: Option<f64>,
    system_percent: Option<f64>,
    /// Join notices the room sent for the clients that got in: each newcomer is announced to
    /// everyone already there, so n(n − 1)/2 of them.
    notices: u64,
    /// The one-thread server in a room of the same size: its CPU for all its joins.
    poll_connected: Option<u64>,
    poll_join_cpu_s: Option<f64>,
}

#[derive(Serialize)]
struct UdpLoss<'a> {
    label: &'a str,
    sockets: u64,
    lost: u64,
    late: u64,
    /// `RcvbufErrors` during the run, if the script could read them.
    kernel_drops: Option<u64>,
}

#[derive(Serialize)]
struct SyscallRow<'a> {
    label: &'a str,
    mode: &'a str,
    in_flight: Option<u64>,
    calls: PerOperation,
}

fn page_data<'a>(
    bench: &'a Bench,
    targets: &'a [Target],
    log_costs: &'a [LogCost],
) -> PageData<'a> {
    let keys = [
        "date",
        "cpu",
        "cores",
        "kernel",
        "rustc",
        "python",
        "load",
        "commit",
        "took",
        "nofile",
        "nofile_before",
        "nofile_hard",
    ];
    let machine = keys.map(|key| (key, bench.machine(key))).into();
    let before = bench.machine("nofile_before");
    PageData {
        quick: bench.quick(),
        machine,
        nofile_raised: before != "?" && before != bench.machine("nofile"),
        dirty: bench.machine("dirty") == "yes",
        spread_percent: run_to_run_spread(bench).map(|spread| spread * 100.0),
        targets,
        echo: rows(bench, "echo"),
        bulk: rows(bench, "bulk"),
        chat: rows(bench, "chat"),
        udp: rows(bench, "udp"),
        log_costs,
        rooms: room_rows(bench),
        slow_joins: slow_joins(bench),
        udp_losses: bench
            .udp()
            .filter(|r| r.lost > 0)
            .map(|r| {
                let label = r.label.as_deref().unwrap_or_default();
                let note = bench.notes.iter().find(|n| {
                    n.mode == "udp" && n.label == label && n.connections == Some(r.sockets)
                });
                UdpLoss {
                    label,
                    sockets: r.sockets,
                    lost: r.lost,
                    late: r.late,
                    kernel_drops: note.and_then(|n| n.udp_drops),
                }
            })
            .collect(),
        notes: ["echo", "bulk", "chat", "udp"]
            .map(|mode| {
                let said = bench
                    .notes
                    .iter()
                    .filter(|n| n.mode == mode && !n.said.is_empty())
                    .collect();
                (mode, said)
            })
            .into(),
        syscalls: bench
            .syscalls
            .iter()
            .map(|s| SyscallRow {
                label: &s.label,
                mode: &s.mode,
                in_flight: s.in_flight,
                calls: s.per_operation(),
            })
            .collect(),
    }
}

/// The rooms that started empty: the chat runs without `--in-flight`, in the order they ran.
fn fresh_rooms(bench: &Bench) -> impl Iterator<Item = &ChatResults> {
    bench.chat().filter(|r| r.in_flight.is_none())
}

/// CPU per 1,000 operations, as a cell: `—` if not measured or shorter than a clock tick.
fn per_1000_cell(cpu: Option<&CpuUse>) -> String {
    cpu.filter(|cpu| cpu.server_s.is_some_and(|s| s > 0.0))
        .and_then(|cpu| cpu.server_per_1000_s)
        .map_or("—".into(), numbers::cpu_time)
}

fn room_rows(bench: &Bench) -> Vec<RoomRow<'_>> {
    fresh_rooms(bench)
        .map(|r| {
            let memory = r.memory.clone().unwrap_or_default();
            let pair = |before: Option<u64>, with: Option<u64>, show: &dyn Fn(u64) -> String| {
                before
                    .zip(with)
                    .map_or("—".into(), |(b, w)| format!("{} → {}", show(b), show(w)))
            };
            RoomRow {
                label: r.label.as_deref().unwrap_or("chat-server"),
                run: r,
                threads: pair(memory.threads_before, memory.threads_connected, &thousands),
                rss: pair(memory.rss_before_kib, memory.rss_connected_kib, &|kib| {
                    format!("{:.1}", kib as f64 / 1024.0)
                }) + if memory.rss_connected_kib.is_some() {
                    " MiB"
                } else {
                    ""
                },
                per_client: memory
                    .rss_per_client_kib
                    .map_or("—".into(), |kib| format!("{kib:.1} KiB")),
                join_cpu: per_1000_cell(r.join_cpu.as_ref()),

                cpu: per_1000_cell(r.cpu.as_ref()),
            }
        })
        .collect()
}

fn slow_joins(bench: &Bench) -> Vec<SlowJoin<'_>> {
    fresh_rooms(bench)
        .filter(|r| r.connected < r.clients)
        .map(|r| {
            let poll = fresh_rooms(bench).find(|p| {
                p.label.as_deref() == Some(POLL_CHAT) && p.clients == r.clients && p.connected > 0
            });
            let join_cpu_s = |r: &ChatResults| r.join_cpu.as_ref().and_then(|cpu| cpu.server_s);

            let system_percent = r.join_cpu.as_ref().and_then(|cpu| {
                let (all, system) = (cpu.server_s?, cpu.server_system_s?);
                (all > 0.0).then(|| system / all * 100.0)
            });
            SlowJoin {
                label: r.label.as_deref().unwrap_or("chat-server"),
                clients: r.clients,
                connected: r.connected,
                elapsed_s: r.elapsed_s,
                join_cpu_s: join_cpu_s(r),
                system_percent,
                notices: r.connected * r.connected.saturating_sub(1) / 2,
                poll_connected: poll.map(|p| p.connected),
                poll_join_cpu_s: poll.and_then(join_cpu_s),
            }
        })
        .collect()
}

/// The rows of `mode`'s table, in the order the scenarios ran.
fn rows<'a>(bench: &'a Bench, mode: &str) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for entry in &bench.entries {
        let row = match entry {
            Entry::NotRun(skip) if skip.mode == mode => Row {
                run: None,
                not_run: Some(skip),
                label: skip.label.clone(),
                cpu: None,
                cpu_tick: false,
                latency: String::new(),
                errors: String::new(),
                buffer: buffer_of(&skip.label).map_or("?".into(), numbers::kib),
            },
            Entry::Ran(results) => {
                let (label, latency, errors) = match results {
                    Results::Echo(r) if mode == "echo" => (
                        r.label.clone().unwrap_or_default(),
                        latency_cells(&r.latency, true),
                        errors_cell(r.errors, &r.error_kinds),
                    ),
                    Results::Bulk(r) if mode == "bulk" => (
                        r.label.clone().unwrap_or_default(),
                        String::new(),
                        errors_cell(r.errors, &r.error_kinds),
                    ),
                    Results::Chat(r) if mode == "chat" => (
                        r.label.clone().unwrap_or_else(|| "chat-server".into()),
                        latency_cells(&r.latency, false),
                        errors_cell(r.errors, &r.error_kinds),
                    ),
                    Results::Udp(r) if mode == "udp" => (
                        r.label.clone().unwrap_or_else(|| match r.expect {
                            UdpExpect::Echo => "udp-server --echo".into(),
                            UdpExpect::Any => "udp-server".into(),
                        }),
                        latency_cells(&r.latency, false),
                        errors_cell(r.errors, &r.error_kinds),
                    ),
                    _ => continue,
                };
                let cpu = match results {
                    Results::Echo(r) => r.cpu.as_ref(),
                    Results::Bulk(r) => r.cpu.as_ref(),
                    Results::Chat(r) => r.cpu.as_ref(),
                    Results::Udp(r) => r.cpu.as_ref(),
                }
                .and_then(|cpu| Some((cpu.server_s?, cpu.server_per_1000_s?)));
                Row {
                    run: Some(results),
                    not_run: None,
                    buffer: buffer_of(&label).map_or("?".into(), numbers::kib),
                    label,
                    // A run that used less than one clock tick of CPU (10 ms) was too short
                    // to say.
                    cpu: cpu
                        .filter(|(total, _)| *total > 0.0)
                        .map(|(_, per_1000)| numbers::cpu_time(per_1000)),
                    cpu_tick: cpu.is_some_and(|(total, _)| total <= 0.0),
                    latency,
                    errors,
                }
            }
            Entry::NotRun(_) => continue,
        };
        rows.push(row);
    }
    rows
}

/// `3 (connect: connection refused ×3)` or `0`.
fn errors_cell(count: u64, kinds: &ErrorCounts) -> String {
    if count == 0 {
        "0".into()
    } else {
        format!("{} ({})", thousands(count), kinds.describe())
    }
}

/// `p50 | p99 | max` (with p99.9 before max), or dashes without a measurement.
fn latency_cells(latency: &LatencySummary, with_p999: bool) -> String {
    let micros = numbers::micros;
    match (latency.count, with_p999) {
        (0, true) => "— | — | — | —".into(),
        (0, false) => "— | — | —".into(),
        (_, true) => format!(
            "{} | {} | {} | {}",
            micros(latency.p50_us),
            micros(latency.p99_us),
            micros(latency.p999_us),
            micros(latency.max_us)
        ),
        (_, false) => format!(
            "{} | {} | {}",
            micros(latency.p50_us),
            micros(latency.p99_us),
            micros(latency.max_us)
        ),
    }
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

/// The mean of some rates.
fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// A word of the template: one of its macros, called with `args`.
fn word(words: &mut minijinja::State<'_, '_>, name: &str, args: &[Value]) -> Result<String, Error> {
    words.call_macro(name, args)
}

/// How a server is named in a chart.
fn chart_name(label: &str, words: &mut minijinja::State<'_, '_>) -> Result<String, Error> {
    match label {
        "echo-server" | "echo-server --quiet" => {
            word(words, "chart_one_at_a_time", &[Value::from(label)])
        }
        PY_ECHO | PY_CHAT | PY_UDP => Ok(label.replace("python3 scripts/bench/", "Python ")),
        _ => Ok(label.to_string()),
    }
}

/// Round trips per second: a group per connection count, a bar per server.
fn echo_chart(bench: &Bench, words: &mut minijinja::State<'_, '_>) -> Result<String, Error> {
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
    let mut series = Vec::new();
    for label in &labels {
        series.push(Series {
            name: chart_name(label, words)?,
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
        });
    }
    let categories = counts
        .iter()
        .map(|&count| word(words, "chart_connections", &[Value::from(count)]))
        .collect::<Result<Vec<String>, Error>>()?;
    Ok(chart::grouped_bars(
        &word(words, "chart_echo_title", &[])?,
        &word(words, "chart_echo_axis", &[])?,
        &categories,
        &series,
        &word(words, "chart_no_value", &[])?,
    ))
}

/// Bulk throughput, one bar per run.
fn bulk_chart(bench: &Bench, words: &mut minijinja::State<'_, '_>) -> Result<String, Error> {
    let name = |label: &str| {
        format!(
            "{}, {}",
            server(label),
            buffer_of(label).map_or("?".into(), numbers::kib)
        )
    };
    let mut rows: Vec<(String, Option<f64>)> = bench
        .bulk()
        .map(|r| {
            (
                name(r.label.as_deref().unwrap_or_default()),
                Some(r.bytes_per_s),
            )
        })
        .collect();
    rows.extend(bench.not_run("bulk").map(|skip| (name(&skip.label), None)));
    Ok(chart::horizontal_bars(
        &word(words, "chart_bulk_title", &[])?,
        &rows,
        None,
        numbers::bytes_rate,
        &word(words, "chart_not_run", &[])?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::compare::{self, Goal, Measure, Sample};
    use crate::report::folder::Operation;
    use crate::report::folder::{Reason, THREADS};
    use crate::report::judge::{self, tests as fixtures};

    /// Calls a macro of `lang`'s template with `args`, on an empty page.
    fn say(lang: Lang, name: &str, args: &[Value]) -> Result<String, Error> {
        let bench = fixtures::bench(Vec::new());
        let env = environment(lang)?;
        let template = env.get_template(lang.folder())?;
        let mut rendered = template.render_captured(data(page_data(&bench, &[], &[])))?;
        rendered.with_state_mut(|words| words.call_macro(name, args))
    }

    fn en(name: &str, args: &[Value]) -> String {
        say(Lang::En, name, args).unwrap_or_else(|error| panic!("{name}: {error:#}"))
    }

    fn zh(name: &str, args: &[Value]) -> String {
        say(Lang::Zh, name, args).unwrap_or_else(|error| panic!("{name}: {error:#}"))
    }

    fn page(bench: &Bench, lang: Lang) -> Pages {
        let targets = judge::targets(bench);
        let costs = judge::log_costs(bench);
        pages(bench, &targets, &costs, lang).unwrap_or_else(|error| panic!("{error:#}"))
    }

    #[test]
    fn every_reason_code_has_words_in_both_languages() {
        for lang in Lang::ALL {
            for reason in Reason::examples() {
                let skip = NotRun {
                    mode: "echo".into(),
                    label: "echo-server --threads".into(),
                    connections: Some(10_000),
                    in_flight: None,
                    reason,
                };
                let words = say(lang, "reason", &[data(&skip)])
                    .unwrap_or_else(|error| panic!("{lang:?} {:?}: {error:#}", skip.reason));
                assert!(!words.trim().is_empty(), "{lang:?} {:?}", skip.reason);
                assert!(!words.contains('\n'), "{lang:?}: one line: {words:?}");
            }
            // A code the template does not know is an error, not an empty cell.
            let unknown = serde_json::json!({"reason": {"code": "no-such-code"}});
            let error = say(lang, "reason", &[data(&unknown)]);
            assert!(error.is_err_and(|e| e.to_string().contains("no words for 'no-such-code'")));
        }
        let skip = NotRun {
            mode: "echo".into(),
            label: "echo-server --threads".into(),
            connections: Some(10_000),
            in_flight: None,
            reason: Reason::examples()[1].clone(),
        };
        assert_eq!(
            en("reason", &[data(&skip)]),
            "the open-file limit is 1024 (hard limit 4096), and 10,000 connections need \
             10,240; raise it with ulimit -Hn as root"
        );
        assert_eq!(
            zh("reason", &[data(&skip)]),
            "打开文件数上限是 1024（硬上限 4096），而 10,000 个连接需要 10,240；请以 root \
             身份用 ulimit -Hn 提高它"
        );
    }

    #[test]
    fn every_measure_and_operation_has_words_in_both_languages() {
        let measures = [
            Measure::RoundTripsPerS,
            Measure::CpuPerRoundTrip,
            Measure::DeliveriesPerS,
            Measure::CpuPerDelivery,
            Measure::MbPerS,
            Measure::CpuPerDatagram,
        ];
        for lang in Lang::ALL {
            for measure in measures {
                let words = say(lang, "measure", &[data(measure)]);
                assert!(words.is_ok_and(|w| !w.is_empty()), "{lang:?} {measure:?}");
            }
            for operation in [
                Operation::RoundTrip,
                Operation::Delivery,
                Operation::Datagram,
                Operation::Mb,
            ] {
                let words = say(lang, "operation", &[data(operation)]);
                assert!(words.is_ok_and(|w| !w.is_empty()), "{lang:?} {operation:?}");
            }
        }
    }

    #[test]
    fn checks_read_as_the_page_states_them() {
        let sample = |rate, cpu_s, operations| Sample {
            rate,
            cpu: Some((cpu_s, operations)),
            system: None,
        };
        let ours = [sample(300.0, 1.0, 1000.0), sample(100.0, 1.0, 3000.0)];
        let base = [sample(100.0, 2.0, 1000.0), sample(100.0, 2.0, 1000.0)];
        let rate = compare::rate_check(
            &ours,
            &base,
            Goal::AtLeast(2.0),
            Measure::DeliveriesPerS,
            "Python",
        );
        let check = |c| [data(c)];
        assert_eq!(
            en("check", &check(&rate)),
            "deliveries/s: 2.00× Python (target ≥ 2×, rounds 1.00–3.00×) ✓"
        );
        let missed = compare::rate_check(
            &[sample(150.0, 1.0, 1.0)],
            &[sample(100.0, 1.0, 1.0)],
            Goal::AtLeast(2.0),
            Measure::DeliveriesPerS,
            "Python",
        );
        assert_eq!(
            en("check", &check(&missed)),
            "deliveries/s: 1.50× Python (target ≥ 2×) ✗"
        );
        assert_eq!(
            en("shortfall", &check(&missed)),
            "deliveries/s 25% short of 2× Python (1.50×)"
        );
        assert_eq!(
            zh("check", &check(&missed)),
            "每秒送达：Python 的 1.50 倍（目标 ≥ 2 倍）✗"
        );
        let over = compare::cpu_check(
            &[sample(1.0, 1.3, 1.0)],
            &[sample(1.0, 1.0, 1.0)],
            Goal::AtMost(1.1),
            Measure::CpuPerRoundTrip,
            "reference-echo",
        );
        assert_eq!(
            en("shortfall", &check(&over)),
            "CPU per round trip 18% over 1.1× reference-echo (1.30×)"
        );
        let none = compare::cpu_check(
            &[Sample {
                rate: 5.0,
                cpu: None,
                system: None,
            }],
            &[],
            Goal::AtMost(1.0),
            Measure::CpuPerDelivery,
            "Python",
        );
        assert_eq!(
            en("check", &check(&none)),
            "CPU per delivery: not measured (target ≤ 1.0×)"
        );
    }

    #[test]
    fn targets_are_ratios_to_the_baseline_of_the_same_run() {
        let b = fixtures::ratio_bench();
        let targets = judge::targets(&b);
        let threads = &targets[3];
        let say_target = |lang, name, target| say(lang, name, &[data(target)]);
        let measured = say_target(Lang::En, "measured", threads).expect("words");
        assert_eq!(
            measured,
            "round trips/s: 0.97× reference-echo (target ≥ 0.9×, rounds 0.95–0.99×) ✓; \
             CPU per round trip: 1.20× reference-echo (target ≤ 1.1×, rounds 1.20–1.20×) ✗"
        );
        let why = say_target(Lang::En, "why", threads).expect("words");
        assert!(
            why.starts_with("CPU per round trip 9% over 1.1× reference-echo (1.20×).")
                && why.contains("12.0 ms of CPU per 1,000 round trips")
                && why.contains("alternated, 2 rounds each"),
            "{why}"
        );
        let async_10k = &targets[8];
        let why = say_target(Lang::En, "why", async_10k).expect("words");
        assert!(why.contains("open-file limit"), "{why}");
        let bulk = say_target(Lang::Zh, "why", &targets[4]).expect("words");
        assert_eq!(bulk, "结果中没有这一项的运行。");
        assert_eq!(
            say_target(Lang::En, "verdict", &targets[6]).expect("words"),
            "not measured"
        );
    }

    #[test]
    fn the_non_blocking_rooms_read_the_same_in_both_languages() {
        let b = fixtures::poll_bench(3, 19_000);
        let targets = judge::targets(&b);
        let say_target = |lang, name, kind: &str| {
            let target = targets
                .iter()
                .find(|t| serde_json::to_value(t).expect("json")["kind"] == kind)
                .expect("target");
            say(lang, name, &[data(target)]).expect("words")
        };
        assert_eq!(
            say_target(Lang::En, "measured", "poll_chat"),
            "deliveries/s: 1.20× chat-server (target ≥ 1.0×, rounds 1.20–1.20×) ✓; \
             CPU per delivery: 0.75× chat-server (rounds 0.75–0.75×), not judged"
        );
        assert_eq!(
            say_target(Lang::Zh, "measured", "poll_chat"),
            "每秒送达：chat-server 的 1.20 倍（目标 ≥ 1.0 倍，各轮 1.20–1.20 倍）✓；\
             每次送达的 CPU：chat-server 的 0.75 倍（各轮 0.75–0.75 倍），仅供参考，不作评判"
        );
        assert_eq!(
            say_target(Lang::En, "measured", "poll_threads"),
            "3 threads before, 3 threads with 10,000 clients \
             (`chat-server`: 4,003 threads with 4,000 clients)"
        );
        assert_eq!(
            say_target(Lang::Zh, "measured", "poll_memory"),
            "每个客户端 1.9 KiB，加入 10,000 个（`chat-server`：每个客户端 20.0 KiB，加入 4,000 个）"
        );
        let why = say_target(Lang::En, "why", "poll_memory");
        assert!(
            why.contains("21.5 MiB resident for all 10,000")
                && why.contains("`chat-server` grew by 20.0 KiB per client"),
            "{why}"
        );

        let en = page(&b, Lang::En).page;
        assert!(
            en.contains(
                "| `poll-chat-server --quiet` | 10,000 | 3 → 3 | 2.9 → 21.5 MiB | 1.9 KiB | \
                 10.0 s | 100,000 | 1.50 ms |"
            ),
            "{en}"
        );
        assert!(
            en.contains("| `chat-server --quiet` | 10,000 (4,000 joined) | 3 → 4,003 | 2.9 → 81.1 MiB | 20.0 KiB | 4.00 s | 0 (partial) | — |"),
            "{en}"
        );
        assert!(
            en.contains(
                "**`chat-server --quiet` let in 4,000 of 10,000 clients** before the run's \
                 duration limit (46 s in all), and spent 16.0 s of CPU on those joins, 90% of \
                 it in the kernel. Each newcomer is announced to everyone already in the room: \
                 4,000 clients make 7,998,000 notices."
            ) && en.contains("all 10,000 of its clients joined, for 100 s of CPU."),
            "{en}"
        );
        let zh = page(&b, Lang::Zh).page;
        assert!(
            zh.contains("| `chat-server --quiet` | 10,000（加入 4,000） | 3 → 4,003 |")
                && zh.contains("**`chat-server --quiet` 在运行达到时长上限之前只让 10,000 个客户端中的 4,000 个加入**")
                && zh.contains("## 非阻塞：一个线程服务所有客户端"),
            "{zh}"
        );
        // The chat table's paragraph links to the section, in each language.
        assert!(en.contains("](#non-blocking-one-thread-for-every-client)"));
        assert!(zh.contains("](#非阻塞一个线程服务所有客户端)"));
    }

    #[test]
    fn pages_link_each_other_and_their_charts() {
        let b = fixtures::bench(vec![
            fixtures::echo("echo-server", 1, 30_000.0, 0),
            Entry::NotRun(NotRun {
                mode: "echo".into(),
                label: "echo-server --threads".into(),
                connections: Some(10_000),
                in_flight: None,
                reason: Reason::ProcessLimit {
                    nproc: "4096".into(),
                },
            }),
        ]);
        let en = page(&b, Lang::En);
        assert!(en.page.contains("](../zh/bench.md)") && en.page.contains("](bench.svg)"));
        assert!(en.page.contains(
            "| `echo-server --threads` | 10,000 | — | — | not run: the process limit \
             (ulimit -u) is 4096, and a thread per connection needs 10,000 threads"
        ));
        let zh = page(&b, Lang::Zh);
        assert!(zh.page.contains("](../en/bench.md)") && zh.page.contains("未运行："));
        assert!(en.echo_chart.contains("10,000 connections") && en.echo_chart.contains(">n/a<"));
        assert!(zh.echo_chart.contains("10,000 个连接") && zh.echo_chart.contains(">无<"));
        assert!(en.echo_chart.contains("echo-server (one at a time)"));
    }

    #[test]
    fn both_templates_define_the_same_macros() {
        let macros = |lang: Lang| -> Vec<&str> {
            let mut names: Vec<&str> = lang
                .template()
                .match_indices("{% macro ")
                .filter_map(|(at, found)| {
                    let rest = &lang.template()[at + found.len()..];
                    rest.split_once('(').map(|(name, _)| name)
                })
                .collect();
            names.sort_unstable();
            names
        };
        assert!(macros(Lang::En).len() > 20, "{:?}", macros(Lang::En));
        assert_eq!(macros(Lang::En), macros(Lang::Zh));
    }

    /// Every target, in each of its states, has words in both languages: a fixture with a
    /// run of everything, one with nothing, and one where everything failed.
    #[test]
    fn both_languages_word_every_target_in_every_state() {
        let mut broken = fixtures::ratio_bench();
        broken
            .entries
            .push(fixtures::echo(THREADS, 10_000, 1_000.0, 10));
        let quick = Bench {
            machine: crate::report::folder::fields("quick=yes\n"),
            ..fixtures::bench(Vec::new())
        };
        let missed = fixtures::poll_bench(10_003, 50_000);
        for bench in [
            fixtures::bench(Vec::new()),
            quick,
            broken,
            fixtures::poll_bench(3, 19_000),
            missed,
        ] {
            for lang in Lang::ALL {
                let pages = page(&bench, lang);
                assert!(pages.page.ends_with("```\n"), "{lang:?}");
                assert!(!pages.page.contains("\n\n\n"), "{lang:?}: {}", pages.page);
            }
        }
    }
}
