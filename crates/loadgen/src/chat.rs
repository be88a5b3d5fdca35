//! `loadgen chat`: fan-out through the chat room. N clients join; K of them send M lines each;
//! every line must reach the N − 1 other clients. Each client reads all the time (the server
//! cuts off a client that does not keep up), and every delivery is timed from its send.
//!
//! A line loadgen sends reads `lg:TAG SENDER NUMBER SENT_NS xxxx...`: TAG tells this run's
//! lines from anyone else's, SENDER and NUMBER identify the line, SENT_NS is when it was sent
//! (nanoseconds since loadgen started), and the x's pad it to `--size`. The server delivers it
//! as `NAME: lg:TAG ...`; notices (`* ...`) and errors (`! ...`) are counted apart.
//!
//! `--in-flight N` bounds how far a sender runs ahead of the room: it sends its next line only
//! once fewer than N of its lines are still on their way to one client chosen to watch, the
//! *watching client* (the last client to join; for that client's own lines, the first). With
//! `--in-flight 1` a sender waits for each line to arrive before it sends the next.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Failure, ServerAt, ports};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::cpu::{self, CpuWatch};
use crate::memory::{self, MemoryWatch};
use crate::numbers::{count_of, thousands};
use crate::results::{ChatResults, ErrorCounts, Results};
use crate::stats::{self, Counters, Cut, Latency, Limits, Progress, RunOptions};
use crate::target;

/// The longest line loadgen reads; the server's own limit is 4 KiB.
const MAX_LINE: u64 = 64 * 1024;

/// The most padding a line may carry: with its header it stays under the server's 4 KiB.
const MAX_SIZE: u64 = 3_000;

/// How often the end of the run checks whether the last deliveries have arrived.
const DRAIN_CHECK: Duration = Duration::from_millis(50);

/// Chat fan-out.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: ServerAt<{ ports::CHAT }>,

    /// Clients in the room, all connected before anyone talks
    #[arg(long, short = 'c', default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=60_000))]
    clients: u32,

    /// How many of the clients send (the first K to connect)
    #[arg(long, short = 'k', default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    senders: u32,

    /// Lines each sender sends
    #[arg(long, short = 'm', default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    messages: u64,

    /// Padding bytes in each line (the line is about 40 bytes longer)
    #[arg(long, short = 's', default_value_t = 32, value_parser = clap::value_parser!(u64).range(0..=MAX_SIZE))]
    size: u64,

    /// Lines per second per sender; 0 sends as fast as the connection takes them
    #[arg(long, default_value_t = 0.0, value_parser = non_negative)]
    rate: f64,

    /// Lines of one sender on their way at most: a sender sends its next line only once fewer
    /// than N of its lines have not yet reached the watching client (the last client to join;
    /// for that client's own lines, the first). Without it, senders do not wait
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    in_flight: Option<u64>,

    /// After the last line is sent, stop waiting for deliveries once none arrived for this many
    /// seconds
    #[arg(long, default_value_t = 3.0, value_parser = non_negative)]
    drain: f64,

    #[command(flatten)]
    run: RunOptions,
}

fn non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && (0.0..=1e9).contains(&value) => Ok(value),
        _ => Err(format!("'{text}' is not a number from 0 to 1e9")),
    }
}

/// What the readers share.
struct Room {
    /// `lg:TAG `: what starts the text of this run's lines.
    tag: String,
    limits: Arc<Limits>,
    counters: Arc<Counters>,
    latency: Latency,
    /// Lines sent so far, for the progress line.
    sent: AtomicU64,
    /// When the first line was sent and the last one delivered, in ns since the start.
    first_send_ns: AtomicU64,
    last_delivery_ns: AtomicU64,
    /// Who counts whose lines for `--in-flight`, and what they counted.
    watch: Watch,
}

/// The watching client of `--in-flight`: it counts, for each sender, how many of the sender's
/// lines reached it, and wakes the sender at each one.
struct Watch {
    /// The connection index of the watching client (`NOBODY` until everyone joined).
    watcher: AtomicU64,
    /// Who watches the watching client's own lines: the first client to join.
    watcher_of_watcher: AtomicU64,
    /// Lines of each sender (by connection index) that reached its watcher.
    arrived: Vec<AtomicU64>,
    /// Wakes each sender when one of its lines arrives (or when watching ended).
    signal: Vec<Notify>,
    /// Set if a watching client stopped reading (cut off): senders then stop waiting.
    lost: AtomicBool,
    /// The most lines of one sender seen on their way right after a send.
    most_in_flight: AtomicU64,
}

/// No client: nobody watches yet.
const NOBODY: u64 = u64::MAX;

impl Watch {
    fn new(clients: usize) -> Watch {
        Watch {
            watcher: AtomicU64::new(NOBODY),
            watcher_of_watcher: AtomicU64::new(NOBODY),
            arrived: (0..clients).map(|_| AtomicU64::new(0)).collect(),
            signal: (0..clients).map(|_| Notify::new()).collect(),
            lost: AtomicBool::new(false),
            most_in_flight: AtomicU64::new(0),
        }
    }

    /// Whether client `me` counts the lines of `sender`.
    fn watches(&self, me: u64, sender: u64) -> bool {
        let watcher = self.watcher.load(Ordering::Acquire);
        let watcher_of_watcher = self.watcher_of_watcher.load(Ordering::Acquire);
        let for_sender = if sender == watcher {
            watcher_of_watcher
        } else {
            watcher
        };
        me == for_sender && me != sender
    }

    /// Whether client `me` watches anyone's lines.
    fn is_watching(&self, me: u64) -> bool {
        me == self.watcher.load(Ordering::Acquire)
            || me == self.watcher_of_watcher.load(Ordering::Acquire)
    }

    /// Lines of `sender` that reached its watcher so far.
    fn arrived(&self, sender: u64) -> u64 {
        self.arrived
            .get(sender as usize)
            .map_or(0, |count| count.load(Ordering::Acquire))
    }

    /// One more line of `sender` reached its watcher.
    fn one_arrived(&self, sender: u64) {
        if let (Some(count), Some(signal)) = (
            self.arrived.get(sender as usize),
            self.signal.get(sender as usize),
        ) {
            count.fetch_add(1, Ordering::AcqRel);
            signal.notify_one(); // kept for the sender if it is not waiting yet
        }
    }

    /// A watching client stopped reading: nobody will count lines any more.
    fn end(&self) {
        self.lost.store(true, Ordering::Release);
        for signal in &self.signal {
            signal.notify_one();
        }
    }
}

/// What one client heard.
#[derive(Default)]
struct Heard {
    delivered: u64,
    cut_off: bool,
    errors: ErrorCounts,
}

/// One line from the server, sorted.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// `* ...`: someone joined, left, changed name, was cut off.
    Notice,
    /// `! ...`: the server tells this client about an error.
    Error(String),
    /// One of this run's lines, delivered.
    Ours { sender: u64, sent_ns: u64 },
    /// Anything else: another program's chat, a line that is not ours.
    Foreign,
}

fn sort(line: &[u8], tag: &str) -> Line {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.starts_with(b"* ") {
        return Line::Notice;
    }
    if line.starts_with(b"! ") {
        return Line::Error(String::from_utf8_lossy(line).into_owned());
    }
    // `NAME: text`: the text starts after the first ": " (an address has no space).
    let Some(at) = line.windows(2).position(|pair| pair == b": ") else {
        return Line::Foreign;
    };
    let Some(fields) = line[at + 2..].strip_prefix(tag.as_bytes()) else {
        return Line::Foreign;
    };
    let mut fields = fields
        .split(|&byte| byte == b' ')
        .map(|field| std::str::from_utf8(field).ok()?.parse::<u64>().ok());
    match (
        fields.next().flatten(),
        fields.next().flatten(),
        fields.next().flatten(),
    ) {
        (Some(sender), Some(_number), Some(sent_ns)) => Line::Ours { sender, sent_ns },
        _ => Line::Foreign,
    }
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let addrs = target::loopback(&args.target)?;
    let hint = target::server_command(&args.target, "chat-server", &[]);
    let limits = Limits::start(&args.run).await;

    let counters = Arc::new(Counters::default());
    let room = Arc::new(Room {
        tag: format!("lg:{:x}{:x} ", std::process::id(), limits.now_ns() % 0xffff),
        limits: Arc::clone(&limits),
        counters: Arc::clone(&counters),
        latency: Latency::new(),
        sent: AtomicU64::new(0),
        first_send_ns: AtomicU64::new(u64::MAX),
        last_delivery_ns: AtomicU64::new(0),
        watch: Watch::new(args.clients as usize),
    });
    let clients = args.clients;
    let progress = {
        let room = Arc::clone(&room);
        Progress::start(&args.run, &limits, &counters, move |c, seconds| {
            format!(
                "chat: {}/{clients} joined, {} lines sent, {} delivered, {} errors, {seconds:.1} s",
                thousands(Counters::get(&c.connected)),
                thousands(room.sent.load(Ordering::Relaxed)),
                thousands(Counters::get(&c.done)),
                thousands(Counters::get(&c.errors)),
            )
        })
    };

    // Phase 1: everyone joins, and starts reading at once.
    let memory = MemoryWatch::start(args.run.server_pid);
    let join_cpu = CpuWatch::start(args.run.server_pid);
    let (stop, stopped) = watch::channel(false);
    let opened = {
        let room = Arc::clone(&room);
        target::connect_all(
            &addrs,
            &hint,
            args.clients as usize,
            &args.run,
            &limits,
            &counters,
            move |index, stream| join(index, stream, Arc::clone(&room), stopped.clone()),
        )
        .await?
    };
    let (addr, members, mut errors) = (opened.addr, opened.set_up, opened.errors);
    let connected = members.len() as u64;
    let connect_s = limits.start.elapsed().as_secs_f64();
    // Everyone has joined: what do their connections cost the server?
    let memory = memory.map(|watch| watch.connected(connected));
    let join_cpu = join_cpu.map(|watch| watch.finish(connected as f64, "join"));

    // Phase 2: the first K members talk; the others keep their connection open and listen.
    // The last to join watches everyone's lines for --in-flight, and the first watches its.
    if members.len() >= 2 {
        let (first, last) = (members[0].0 as u64, members[members.len() - 1].0 as u64);
        room.watch
            .watcher_of_watcher
            .store(first, Ordering::Release);
        room.watch.watcher.store(last, Ordering::Release);
    }
    let cpu = CpuWatch::start(args.run.server_pid);
    let mut readers = Vec::with_capacity(members.len());
    let mut quiet = Vec::with_capacity(members.len());
    let mut talks = JoinSet::new();
    for (position, (index, (reader, writer))) in members.into_iter().enumerate() {
        readers.push(reader);
        if position < args.senders as usize {
            let room = Arc::clone(&room);
            let pace = Pace {
                messages: args.messages,
                size: args.size as usize,
                rate: args.rate,
                // With fewer than two clients nobody can watch: no bound.
                in_flight: args.in_flight.filter(|_| connected >= 2),
            };
            talks.spawn(talk(writer, index as u64, pace, room));
        } else {
            quiet.push(writer);
        }
    }
    let mut sent = 0;
    while let Some(joined) = talks.join_next().await {
        match joined {
            Ok((writer, count, talk_errors)) => {
                sent += count;
                errors.merge(talk_errors);
                quiet.push(writer); // stays open until the end
            }
            Err(panicked) => errors.add(format!("sender task failed: {panicked}")),
        }
    }

    // Phase 3: wait for the last deliveries, until all arrived or none came for --drain s.
    let expected = sent * connected.saturating_sub(1);
    let drain = Duration::from_secs_f64(args.drain.clamp(0.0, 600.0));
    let mut seen = Counters::get(&counters.done);
    let mut quiet_since = Instant::now();
    while seen < expected
        && quiet_since.elapsed() < drain
        && Instant::now() < limits.hard_end()
        && !limits.interrupted()
    {
        tokio::time::sleep(DRAIN_CHECK).await;
        let now = Counters::get(&counters.done);
        if now != seen {
            seen = now;
            quiet_since = Instant::now();
        }
    }
    let cpu = cpu.map(|watch| watch.finish(Counters::get(&counters.done) as f64, "delivery"));
    let _ = stop.send(true);
    let (mut delivered, mut cut_off) = (0, 0);
    for reader in readers {
        match reader.await {
            Ok(heard) => {
                delivered += heard.delivered;
                cut_off += u64::from(heard.cut_off);
                errors.merge(heard.errors);
            }
            Err(panicked) => errors.add(format!("reader task failed: {panicked}")),
        }
    }
    drop(quiet);
    progress.finish();

    let first = room.first_send_ns.load(Ordering::Relaxed);
    let last = room.last_delivery_ns.load(Ordering::Relaxed);
    let seconds = last.saturating_sub(first) as f64 / 1e9;
    let results = ChatResults {
        label: args.run.label.clone(),
        target: addr.to_string(),
        clients: u64::from(args.clients),
        senders: u64::from(args.senders).min(connected),
        messages: args.messages,
        size: args.size,
        rate: args.rate,
        in_flight: args.in_flight,
        max_in_flight: room.watch.most_in_flight.load(Ordering::Relaxed),
        connected,
        connect_s,
        sent,
        expected,
        delivered,
        lost: expected.saturating_sub(delivered),
        deliveries_per_s: stats::per_second(delivered, seconds),
        latency: room.latency.summary(),
        cut_off,
        cpu,
        memory,
        join_cpu,
        elapsed_s: limits.start.elapsed().as_secs_f64(),
        partial: limits.partial(),
        errors: errors.total(),
        error_kinds: errors,
    };
    stats::emit(&Results::Chat(results.clone()), args.run.json, || {
        summary(&results, &args.run)
    });
    Ok(())
}

/// Joins the room: reads the welcome line, then starts a task that reads everything else.
async fn join(
    index: usize,
    stream: TcpStream,
    room: Arc<Room>,
    stopped: watch::Receiver<bool>,
) -> Result<(JoinHandle<Heard>, OwnedWriteHalf), String> {
    stream
        .set_nodelay(true)
        .map_err(|error| format!("set_nodelay: {}", common::describe(&error)))?;
    let (reader, writer) = stream.into_split();
    let mut lines = BufReader::new(reader);
    let mut welcome = Vec::new();
    let mut limited = (&mut lines).take(MAX_LINE);
    match room
        .limits
        .within(limited.read_until(b'\n', &mut welcome))
        .await
    {
        Ok(Ok(0)) => return Err("welcome: the server closed the connection".into()),
        Ok(Ok(_)) if welcome.starts_with(b"! ") => {
            // The room is full, or the server refuses us for another reason it names.
            let text = String::from_utf8_lossy(&welcome);
            return Err(format!("refused by the server: {}", text.trim_end()));
        }
        Ok(Ok(_)) => {}
        Ok(Err(error)) => return Err(format!("welcome: {}", common::describe(&error))),
        Err(Cut::TimedOut) => return Err("welcome: timed out".into()),
        Err(Cut::Deadline) => return Err("welcome: the run reached its duration limit".into()),
    }
    let listening = tokio::spawn(listen(lines, index as u64, room, stopped));
    Ok((listening, writer))
}

/// Reads every line until told to stop (or until the run's hard end), counting deliveries.
///
/// With 200 clients and a million deliveries a second, loadgen's own readers are most of the
/// work on the machine, so this loop keeps its cost per line small: the lines already read
/// are taken from the buffer without waiting (one wake-up often brings dozens), and what they
/// count is published to the shared counters and histogram once per read, not once per line.
async fn listen(
    mut lines: BufReader<OwnedReadHalf>,
    me: u64,
    room: Arc<Room>,
    mut stopped: watch::Receiver<bool>,
) -> Heard {
    let mut heard = Heard::default();
    let mut line = Vec::with_capacity(256);
    let mut unpublished = Unpublished::default();
    // Made once, not once per line: each of these registers with the runtime.
    let hard_end = tokio::time::sleep_until(room.limits.hard_end().into());
    let interrupted = room.limits.until_interrupted();
    let stop = stopped.wait_for(|stop| *stop);
    tokio::pin!(hard_end, interrupted, stop);
    loop {
        if !take_line(&mut lines, &mut line) {
            // No whole line is buffered: publish what was counted, then wait for more bytes.
            unpublished.publish(&room);
            let read = tokio::select! {
                _ = &mut stop => break,
                () = &mut interrupted => break,
                () = &mut hard_end => break,
                read = lines.fill_buf() => read.map(<[u8]>::len),
            };
            match read {
                Ok(0) => {
                    // The end of the stream before the end of the run: the server closed us.
                    heard.cut_off = true;
                    heard
                        .errors
                        .add("cut off: the server closed the connection");
                    room.counters.error();
                    break;
                }
                Ok(_) => continue,
                Err(error) => {
                    heard.cut_off = true;
                    heard.errors.add_io("receive", &error);
                    room.counters.error();
                    break;
                }
            }
        }
        match sort(&line, &room.tag) {
            Line::Ours { sender, .. } if sender == me => {
                heard
                    .errors
                    .add("the server sent a line back to its sender");
                room.counters.error();
            }
            Line::Ours { sender, sent_ns } => {
                if room.watch.watches(me, sender) {
                    room.watch.one_arrived(sender);
                }
                let now = room.limits.now_ns();
                unpublished.latencies.push(now.saturating_sub(sent_ns));
                unpublished.last_ns = unpublished.last_ns.max(now);
                heard.delivered += 1;
            }
            Line::Error(text) => {
                heard.errors.add(format!("server said: {text}"));
                room.counters.error();
            }
            Line::Notice | Line::Foreign => {}
        }
        line.clear();
    }
    unpublished.publish(&room);
    if heard.cut_off && room.watch.is_watching(me) {
        room.watch.end(); // senders waiting for this client would wait in vain
    }
    heard
}

/// Moves the reader's buffered bytes into `line`, up to and including the first newline.
/// Returns true if `line` is now a whole line; false if the buffer ran out first (the start of
/// the line stays in `line`, and the buffer is empty, ready to be filled). A line longer than
/// `MAX_LINE` is cut into pieces, which are not this run's lines.
fn take_line(lines: &mut BufReader<OwnedReadHalf>, line: &mut Vec<u8>) -> bool {
    let buffered = lines.buffer();
    let (taken, whole) = match buffered.iter().position(|&byte| byte == b'\n') {
        Some(end) => (end + 1, true),
        None => (buffered.len(), false),
    };
    line.extend_from_slice(&buffered[..taken]);
    std::pin::Pin::new(&mut *lines).consume(taken);
    if !whole && line.len() as u64 > MAX_LINE {
        line.clear();
    }
    whole
}

/// Deliveries one reader counted since it last published them.
#[derive(Default)]
struct Unpublished {
    /// Send-to-delivery times, in nanoseconds.
    latencies: Vec<u64>,
    /// When the latest of them arrived, in ns since the start.
    last_ns: u64,
}

impl Unpublished {
    /// Adds them to the run's counters and histogram: one lock, whatever their number.
    fn publish(&mut self, room: &Room) {
        if self.latencies.is_empty() {
            return;
        }
        room.latency.record_nanos(&self.latencies);
        room.last_delivery_ns
            .fetch_max(self.last_ns, Ordering::Relaxed);
        room.counters.done(self.latencies.len() as u64);
        self.latencies.clear();
    }
}

/// How one sender sends.
#[derive(Clone, Copy)]
struct Pace {
    messages: u64,
    size: usize,
    /// Lines per second; 0: as fast as the connection takes them.
    rate: f64,
    /// `--in-flight`.
    in_flight: Option<u64>,
}

/// One sender: `messages` lines, paced to `rate` per second if it is above 0, with at most
/// `in_flight` of them on their way if that is set.
async fn talk(
    mut writer: OwnedWriteHalf,
    me: u64,
    pace: Pace,
    room: Arc<Room>,
) -> (OwnedWriteHalf, u64, ErrorCounts) {
    let mut errors = ErrorCounts::default();
    let padding = "x".repeat(pace.size);
    let began = Instant::now();
    let mut sent: u64 = 0;
    for number in 0..pace.messages {
        if pace.rate > 0.0 {
            let due = began + Duration::from_secs_f64(number as f64 / pace.rate);
            if !room.limits.sleep_until(due).await {
                break;
            }
        }
        if let Some(in_flight) = pace.in_flight {
            // Line `number` may go once lines 0 ..= number − in_flight have arrived.
            match wait_for_arrivals(&room, me, (number + 1).saturating_sub(in_flight)).await {
                Ok(()) => {}
                Err(Cut::TimedOut) => {
                    errors.add("in flight: no line reached the watching client in time");
                    room.counters.error();
                    break;
                }
                Err(Cut::Deadline) => break,
            }
        }
        if room.limits.expired() {
            break;
        }
        let sent_ns = room.limits.now_ns();
        room.first_send_ns.fetch_min(sent_ns, Ordering::Relaxed);
        let line = format!("{}{me} {number} {sent_ns} {padding}\n", room.tag);
        match room.limits.within(writer.write_all(line.as_bytes())).await {
            Ok(Ok(())) => {
                sent += 1;
                room.sent.fetch_add(1, Ordering::Relaxed);
                let on_their_way = sent.saturating_sub(room.watch.arrived(me));
                room.watch
                    .most_in_flight
                    .fetch_max(on_their_way, Ordering::Relaxed);
            }
            Ok(Err(error)) => {
                errors.add_io("send", &error);
                room.counters.error();
                break;
            }
            Err(Cut::TimedOut) => {
                errors.add("send: timed out");
                room.counters.error();
                break;
            }
            Err(Cut::Deadline) => break,
        }
    }
    (writer, sent, errors)
}

/// Waits until `wanted` lines of sender `me` have reached the watching client, or watching
/// ended. Each wait is bounded by `--timeout` (no line arrived: an error) and all of them by
/// the duration limit; each pass of the loop follows an arrival, so the count bounds it too.
async fn wait_for_arrivals(room: &Room, me: u64, wanted: u64) -> Result<(), Cut> {
    let Some(signal) = room.watch.signal.get(me as usize) else {
        return Ok(());
    };
    while room.watch.arrived(me) < wanted && !room.watch.lost.load(Ordering::Acquire) {
        room.limits.within(signal.notified()).await?;
    }
    Ok(())
}

fn summary(results: &ChatResults, options: &RunOptions) -> String {
    let pace = if results.rate > 0.0 {
        format!(", {} lines/s each", results.rate)
    } else {
        String::new()
    };
    let mut text = format!(
        "chat: {} clients, {} × {} lines of {} bytes{pace} to {}\n",
        thousands(results.clients),
        count_of(results.senders, "sender"),
        thousands(results.messages),
        thousands(results.size),
        results.target,
    );
    text += &format!(
        "joined      {} of {} in {:.2} s\n",
        thousands(results.connected),
        thousands(results.clients),
        results.connect_s
    );
    text += &format!(
        "delivered   {} of {} ({} lines sent to {} others each): {} deliveries/s\n",
        thousands(results.delivered),
        thousands(results.expected),
        thousands(results.sent),
        thousands(results.connected.saturating_sub(1)),
        thousands(results.deliveries_per_s.round() as u64)
    );
    text += &format!(
        "lost        {}{}\n",
        thousands(results.lost),
        if results.cut_off > 0 {
            format!(
                " ({} clients cut off by the server)",
                thousands(results.cut_off)
            )
        } else {
            String::new()
        }
    );
    if let Some(in_flight) = results.in_flight {
        text += &format!(
            "in flight   at most {} per sender (watched at the last client to join); most seen {}\n",
            thousands(in_flight),
            thousands(results.max_in_flight)
        );
    }
    text += &format!("latency     {}\n", stats::latency_line(&results.latency));
    if let Some(cpu) = &results.cpu {
        text += &cpu::summary_line(cpu);
    }
    if let Some(cpu) = &results.join_cpu {
        // The same line, for the joins: `join CPU    1.20 s (...): 120 ms per 1,000 joins`.
        text += &cpu::summary_line(cpu).replacen("server CPU", "join CPU  ", 1);
    }
    if let Some(memory) = &results.memory {
        text += &memory::summary_line(memory);
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
    fn lines_are_sorted_by_what_they_are() {
        let tag = "lg:abc ";
        assert_eq!(
            sort(b"127.0.0.1:5555: lg:abc 3 17 123456 xxxx\n", tag),
            Line::Ours {
                sender: 3,
                sent_ns: 123456
            }
        );
        assert_eq!(
            sort(b"[::1]:5555: lg:abc 0 0 9 \r\n", tag),
            Line::Ours {
                sender: 0,
                sent_ns: 9
            }
        );
        assert_eq!(
            sort("* 127.0.0.1:5555 加入了\n".as_bytes(), tag),
            Line::Notice
        );
        assert_eq!(
            sort(b"! the room is full\n", tag),
            Line::Error("! the room is full".into())
        );
        assert_eq!(sort(b"alice: hello\n", tag), Line::Foreign);
        assert_eq!(sort(b"alice: lg:other 1 2 3\n", tag), Line::Foreign);
        assert_eq!(sort(b"alice: lg:abc 1 two 3\n", tag), Line::Foreign);
        assert_eq!(sort("欢迎来到聊天室!\n".as_bytes(), tag), Line::Foreign);
    }
}
