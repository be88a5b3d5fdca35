//! Lesson 6's exercises, on the event loop of non-blocking sockets: 6.1 adds an idle time-out
//! to the loop, 6.2 completes a write path that keeps what the kernel could not take.
//!
//! Both servers are echo servers. What the loop does is seen from outside: when a silent
//! client's goodbye and end of stream come (6.1); whether 20 MB sent by a client that does not
//! read for a while all come back, byte for byte in order (6.2). How it does it is seen, where
//! `/proc` exists (Linux), in `/proc/PID/status` (`Threads:`, never more than at startup: no
//! thread that waits for a deadline) and `/proc/PID/stat` (the CPU time the server used while
//! it had nothing to do but wait: a loop that spins uses a whole core).
//!
//! Every wait has a deadline. The only pauses are the gaps between a talking client's lines and
//! between two groups of clients, and each of them is also a window in which nothing may come.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown as Close, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::net::{ANSWER, Conn, Ending, QUIET, Reply};
use crate::program::Program;
use crate::report::{Check, Problem, show};

pub const IDLE_TIMEOUT: &[Check] = &[
    Check {
        name: "a client silent for --idle seconds gets a line, then is closed, about on time",
        run: silent_client_is_closed,
    },
    Check {
        name: "a client that keeps talking stays, while a silent one is closed meanwhile",
        run: talker_stays,
    },
    Check {
        name: "50 silent clients are all closed, with no thread more and no busy loop",
        run: many_silent_clients,
    },
];

pub const WRITE_BUFFER: &[Check] = &[
    Check {
        name: "what a client sends comes back as it was, in order",
        run: small_echo,
    },
    Check {
        name: "20 MB sent by a client that reads only later all come back, in order",
        run: every_byte_back,
    },
    Check {
        name: "while that client does not read, the server waits without spinning",
        run: no_busy_loop,
    },
    Check {
        name: "while that client does not read, other clients are answered",
        run: others_are_served,
    },
];

// ---------------------------------------------------------------------------------------------
// What both exercises read in /proc.

/// Clock ticks per second in `/proc/PID/stat`: `USER_HZ`, which Linux keeps at 100 for
/// programs on every architecture, whatever the kernel's own tick.
const TICKS_PER_SECOND: f64 = 100.0;

/// The most CPU time a server may use while it only waits, as a share of the time waited, plus
/// `CPU_SLACK`. A loop that sleeps in `poll` uses almost nothing (measured: 0 to 0.01 s); one
/// that spins, a whole core: 1.0.
const CPU_SHARE: f64 = 0.25;

/// Added to the allowance: the clock ticks are coarse (10 ms), and a busy machine may charge a
/// waiting server a few of them.
const CPU_SLACK: Duration = Duration::from_millis(100);

/// The server under test, as `/proc` sees it.
struct Process {
    pid: u32,
}

impl Process {
    /// The program's process, where there is `/proc` to read it from (Linux).
    fn of(program: &Program) -> Option<Process> {
        let pid = program.pid();
        Path::new(&format!("/proc/{pid}/stat"))
            .exists()
            .then_some(Process { pid })
    }

    /// `Threads:` in `/proc/PID/status`: how many threads the process has now.
    fn threads(&self) -> Option<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let value = status
            .lines()
            .find_map(|line| line.strip_prefix("Threads:"))?;
        value.trim().parse().ok()
    }

    /// The CPU time the process has used so far, all its threads, in user and in kernel mode.
    fn cpu(&self) -> Option<Duration> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        cpu_of_stat(&stat)
    }
}

/// `utime + stime` (fields 14 and 15) of a `/proc/PID/stat` line. The program's name, field 2,
/// is in parentheses and may hold spaces: the fields are counted from the last `)`.
fn cpu_of_stat(stat: &str) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name come field 3 (the state) and on: field 14 is at index 11.
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64(
        (user + system) as f64 / TICKS_PER_SECOND,
    ))
}

/// Fails if the server used more CPU than waiting costs, over `waited`, since `before`.
fn expect_little_cpu(
    server: &mut Program,
    process: Option<&Process>,
    before: Option<Duration>,
    waited: Duration,
    what: &str,
    hint: &str,
) -> Result<(), Problem> {
    let (Some(process), Some(before)) = (process, before) else {
        return Ok(()); // no /proc here: the other checks have to do
    };
    let Some(after) = process.cpu() else {
        return Ok(()); // it has just ended: the next check says so
    };
    let used = after.saturating_sub(before);
    let allowed = waited.mul_f64(CPU_SHARE) + CPU_SLACK;
    if used <= allowed {
        return Ok(());
    }
    let problem = Problem::new("the server kept the CPU busy while it had nothing to do")
        .detail("while", what)
        .expected(format!(
            "at most {:.2} s of CPU time in {:.2} s (utime + stime in /proc/{}/stat): a loop \
             that sleeps in `poll` uses almost none",
            allowed.as_secs_f64(),
            waited.as_secs_f64(),
            process.pid
        ))
        .got(format!("{:.2} s of CPU time", used.as_secs_f64()))
        .hint(hint);
    Err(server.explain(problem))
}

/// Connects to the server, and says from which address: the server names the client by it.
fn connect(addr: SocketAddr) -> Result<(Conn, SocketAddr), Problem> {
    let stream = TcpStream::connect_timeout(&addr, ANSWER).map_err(|error| {
        Problem::new(format!(
            "cannot connect to the server at {addr}: {}",
            common::describe(&error)
        ))
    })?;
    let local = stream.local_addr().map_err(|error| {
        Problem::new(format!(
            "cannot learn the connection's address: {}",
            common::describe(&error)
        ))
    })?;
    Ok((Conn::from(stream), local))
}

/// Sends `line` and its `\n`, and expects it back, as an echo server sends it.
fn expect_echo(server: &mut Program, conn: &mut Conn, line: &str) -> Result<(), Problem> {
    let sent = format!("{line}\n");
    conn.send(sent.as_bytes())?;
    let reply = conn.read_line(ANSWER);
    if reply.ending == Ending::Done && reply.bytes == line.as_bytes() {
        return Ok(());
    }
    let problem = Problem::new("the echo is not what it should be")
        .sent(sent.as_bytes())
        .expected(show(sent.as_bytes()))
        .got(reply.describe())
        .hint("the echo itself was already right in the starter: compare your copy with it");
    Err(server.explain(problem))
}

/// `duration` for a student: `1.25 s`.
fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

// ---------------------------------------------------------------------------------------------
// 6.1: the idle time-out.

/// The `--idle` the checker starts 6.1's server with, in seconds: short, so that the checks are
/// quick, and far longer than the server takes to answer.
const IDLE_SECONDS: &str = "1";
const IDLE: Duration = Duration::from_secs(1);

/// A silent client closed sooner than this after its last bytes was closed too early. A bit
/// less than `IDLE`: the checker's clock starts when the echo has come back, just after the
/// server's.
const EARLIEST: Duration = Duration::from_millis(800);

/// A silent client still open this long after its last bytes is late. Generous: a loaded
/// classroom machine may be slow to schedule the server, and a loop that wakes at the deadline
/// is late by milliseconds.
const LATEST: Duration = Duration::from_secs(3);

/// The talking client's pace: a line, its echo, then this long without a word.
const TALK_GAP: Duration = Duration::from_millis(250);

/// How many lines the talking client sends: 12 × 0.25 s is three times `--idle`.
const TALK_LINES: usize = 12;

/// The silent clients of the third check, in two groups, `GROUP_GAP` apart: the second group's
/// deadlines come half an `--idle` after the first's.
const GROUP: usize = 25;
const GROUP_GAP: Duration = Duration::from_millis(500);

/// Where 6.1's work goes, for hints.
const IDLE_HINT: &str = "at the TODO in `serve`, give `poll` a time-out: the time left until \
    the soonest deadline (a client's `heard_at` plus `--idle`; `saturating_duration_since` \
    gives zero once it has passed), or `None` while there is no client. After `poll` returns, \
    for an event or because the time-out ran out, call `server.close_idle` for every client \
    whose deadline has passed";

/// Starts 6.1's server with `--idle IDLE_SECONDS`.
fn start_idle(program: &Path) -> Result<(Program, SocketAddr), Problem> {
    Program::start_server_with(program, &["--idle", IDLE_SECONDS])
}

/// How a silent client's connection ended, as the checker saw it.
enum Goodbye {
    /// A line, then the end of the stream: `after` its last bytes.
    Said { after: Duration },
    /// The end of the stream without a line.
    Mute { after: Duration },
    /// Still open at `LATEST`.
    NotYet,
    /// Something else came: what, for "got".
    Other(String),
}

/// Waits for a silent client's goodbye line and the end of its stream; `since` is when the
/// client last sent something (the checker's clock).
fn goodbye(conn: &mut Conn, since: Instant) -> Goodbye {
    let left = (since + LATEST).saturating_duration_since(Instant::now());
    let line = conn.read_line(left);
    let after = since.elapsed();
    match line.ending {
        Ending::Done => {}
        Ending::Closed | Ending::Failed(_) if line.bytes.is_empty() => {
            return Goodbye::Mute { after };
        }
        Ending::TimedOut(_) if line.bytes.is_empty() => return Goodbye::NotYet,
        _ => return Goodbye::Other(line.describe()),
    }
    let rest = conn.read_to_end(ANSWER);
    match rest.ending {
        Ending::Closed | Ending::Failed(_) if rest.bytes.is_empty() => Goodbye::Said { after },
        _ => Goodbye::Other(format!(
            "the line {}, then {}",
            show(&line.bytes),
            rest.describe()
        )),
    }
}

/// Fails unless `ended` is a goodbye line and the end of the stream, between `EARLIEST` and
/// `LATEST` after the client's last bytes.
fn expect_goodbye(
    server: &mut Program,
    ended: Goodbye,
    who: &str,
    sent: &str,
) -> Result<(), Problem> {
    let expected = format!(
        "a line to it, then the end of the stream, between {} and {} after its last bytes",
        seconds(EARLIEST),
        seconds(LATEST)
    );
    let (got, hint) = match ended {
        Goodbye::Said { after } if after >= EARLIEST => return Ok(()),
        Goodbye::Said { after } | Goodbye::Mute { after } if after < EARLIEST => (
            format!(
                "closed after {}, before --idle {IDLE_SECONDS} had passed",
                seconds(after)
            ),
            "a client's deadline is its own `heard_at` plus `--idle`: close only the clients \
             whose deadline has passed, not every client when `poll` times out"
                .to_string(),
        ),
        Goodbye::Mute { after } => (
            format!(
                "the end of the stream after {}, without a line",
                seconds(after)
            ),
            "close a silent client with `server.close_idle`, which says goodbye before it \
             closes"
                .to_string(),
        ),
        Goodbye::NotYet => (
            format!(
                "nothing, and the connection still open after {}",
                seconds(LATEST)
            ),
            IDLE_HINT.to_string(),
        ),
        Goodbye::Other(got) => (got, IDLE_HINT.to_string()),
        Goodbye::Said { .. } => unreachable!("handled above"),
    };
    let problem = Problem::new(format!("{who} was not closed as it should be"))
        .detail("sent", sent)
        .expected(expected)
        .got(got)
        .hint(hint);
    Err(server.explain(problem))
}

fn silent_client_is_closed(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_idle(program)?;
    let (mut conn, local) = connect(addr)?;
    expect_echo(&mut server, &mut conn, "hello")?;
    let since = Instant::now();
    let ended = goodbye(&mut conn, since);
    let sent = format!("with --idle {IDLE_SECONDS}: \"hello\\n\", then nothing");
    expect_goodbye(&mut server, ended, "the silent client", &sent)?;
    // The server's log names the client it closed, by its address.
    let named = local.to_string();
    server
        .wait_for_line(
            |line| line.contains(&named) && !line.starts_with("connected from"),
            ANSWER,
        )
        .map(|_| ())
        .map_err(|problem| {
            problem
                .detail("sent", sent)
                .expected(format!(
                    "a line on standard output that says it closed {named}, the silent client"
                ))
                .hint("`close_idle` prints that line: use it to close a silent client")
        })
}

fn talker_stays(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_idle(program)?;
    let (mut silent, _) = connect(addr)?;
    let silent_since = Instant::now();
    let (mut talker, _) = connect(addr)?;
    let started = Instant::now();
    let sent = format!(
        "with --idle {IDLE_SECONDS}: two clients; one sends nothing, the other a line every {} \
         ms, {TALK_LINES} times",
        TALK_GAP.as_millis()
    );
    let talker_hint = "only a client that has sent nothing for `--idle` is idle: each time a \
        client's bytes come, its deadline moves (`heard_at` is already updated in `read_all`)";
    for number in 1..=TALK_LINES {
        let line = format!("line {number}");
        talker.send(format!("{line}\n").as_bytes())?;
        let reply = talker.read_line(ANSWER);
        if reply.ending != Ending::Done || reply.bytes != line.as_bytes() {
            let problem = Problem::new(format!(
                "the talking client got no echo of its line {number}, {} after it connected",
                seconds(started.elapsed())
            ))
            .detail("sent", sent.as_str())
            .expected(show(format!("{line}\n").as_bytes()))
            .got(reply.describe())
            .hint(talker_hint);
            return Err(server.explain(problem));
        }
        if let Some(came) = talker.quiet(TALK_GAP) {
            let problem = Problem::new(format!(
                "the talking client was closed, {} after it connected",
                seconds(started.elapsed())
            ))
            .detail("sent", sent.as_str())
            .expected(format!(
                "nothing in the {} ms between two lines",
                TALK_GAP.as_millis()
            ))
            .got(came.describe())
            .hint(talker_hint);
            return Err(server.explain(problem));
        }
    }
    // The silent client's deadline passed long ago: its goodbye must be waiting already.
    let line = silent.read_line(QUIET);
    if line.ending == Ending::Done {
        return Ok(());
    }
    let problem = Problem::new(format!(
        "the silent client was still open {} after it connected, while the other talked",
        seconds(silent_since.elapsed())
    ))
    .detail("sent", sent)
    .expected(format!(
        "its goodbye line and the end of its stream about {} after it connected",
        seconds(IDLE)
    ))
    .got(line.describe())
    .hint(
        "each client has its own deadline: a time-out of `poll` that only runs out when no \
         socket is ready for `--idle` never comes while somebody talks. Compute the time-out \
         from the soonest client deadline, and after every `poll`, whatever woke it, close the \
         clients past theirs",
    );
    Err(server.explain(problem))
}

fn many_silent_clients(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_idle(program)?;
    let process = Process::of(&server);
    let threads_at_start = process.as_ref().and_then(Process::threads);
    let sent = format!(
        "with --idle {IDLE_SECONDS}: {GROUP} clients, then {} ms later {GROUP} more; none of \
         them sends anything",
        GROUP_GAP.as_millis()
    );
    let mut clients: Vec<(Conn, Instant)> = Vec::with_capacity(2 * GROUP);
    for _ in 0..GROUP {
        clients.push((connect(addr)?.0, Instant::now()));
    }
    if let Some(came) = clients[0].0.quiet(GROUP_GAP) {
        let problem = Problem::new(format!(
            "the first client was closed {} after it connected",
            seconds(clients[0].1.elapsed())
        ))
        .detail("sent", sent.as_str())
        .expected(format!("nothing before --idle {IDLE_SECONDS} has passed"))
        .got(came.describe())
        .hint(IDLE_HINT);
        return Err(server.explain(problem));
    }
    for _ in 0..GROUP {
        clients.push((connect(addr)?.0, Instant::now()));
    }
    let threads_connected = process.as_ref().and_then(Process::threads);
    let cpu_before = process.as_ref().and_then(Process::cpu);
    let waiting_since = Instant::now();
    for (number, (conn, since)) in clients.iter_mut().enumerate() {
        let ended = goodbye(conn, *since);
        let who = format!("client {} of {}", number + 1, 2 * GROUP);
        expect_goodbye(&mut server, ended, &who, &sent)?;
    }
    let waited = waiting_since.elapsed();
    if let (Some(start), Some(most)) = (threads_at_start, threads_connected) {
        if most > start {
            let problem = Problem::new("the server started threads for its clients")
                .detail("sent", sent.as_str())
                .expected(format!(
                    "as many threads as at startup, {start} (Threads: in /proc/PID/status)"
                ))
                .got(format!(
                    "{most} threads with {} clients connected",
                    2 * GROUP
                ))
                .hint(
                    "no thread has to wait for a deadline: the loop's own `poll`, with a \
                     time-out, wakes up in time",
                );
            return Err(server.explain(problem));
        }
    }
    expect_little_cpu(
        &mut server,
        process.as_ref(),
        cpu_before,
        waited,
        &format!(
            "the server waited {} for {} silent clients' deadlines",
            seconds(waited),
            2 * GROUP
        ),
        "while nobody talks, `poll` should sleep until the soonest deadline. A time-out of \
         zero, or one that never grows (a deadline that has passed and is never cleared), \
         makes the loop spin",
    )?;
    let (mut conn, _) = connect(addr)?;
    expect_echo(&mut server, &mut conn, "still there?")
}

// ---------------------------------------------------------------------------------------------
// 6.2: the write buffer.

/// How much the flooding client sends: far more than the kernels' socket buffers on both sides
/// take (a few MB on Linux's loopback), so most of it has to wait in the server.
const FLOOD: usize = 20 * 1000 * 1000;

/// The most the checker writes at a time.
const CHUNK: usize = 64 * 1024;

/// How long a write of the flooding client may make no progress before the checker takes it
/// that the server has stopped reading (its way of holding back, which is allowed).
const STALLED: Duration = Duration::from_secs(1);

/// How long the flooding client sends at most: 20 MB over loopback take well under a second.
const FLOOD_DEADLINE: Duration = Duration::from_secs(20);

/// How long the flooding client goes on not reading once it has sent what the server took:
/// the window in which the server's CPU time is measured and another client is served.
const NOT_READING: Duration = Duration::from_secs(1);

/// How long the flooding client reads back at most, once it reads.
const READ_DEADLINE: Duration = Duration::from_secs(30);

/// Where 6.2's work goes, for hints.
const WRITE_HINT: &str = "at the TODO in `flush`, write in a loop while the outbox holds \
    something: `Ok(n)` took only the first n bytes (take them off the front, `drain(..n)`), \
    `WouldBlock` means the kernel takes nothing more now. Keep the rest, and ask for \
    `Interest::READABLE | Interest::WRITABLE` with `registry.reregister`: the loop calls \
    `flush` again when the socket is writable. Once the outbox is empty, go back to \
    `Interest::READABLE`";

/// Where a spinning 6.2 goes wrong, for hints.
const SPIN_HINT: &str = "never retry a write that returned `WouldBlock` in a loop, nor give \
    `poll` a time-out of zero while bytes wait: return to the loop, and let the poller say \
    when the socket is writable (`Interest::WRITABLE`). The loop then serves everybody else \
    meanwhile, and sleeps when there is nothing to do";

/// The bytes the flooding client sends: a stream that never repeats in 20 MB (xorshift), so
/// that a lost, doubled or moved piece shows where it happened.
struct Pattern {
    state: u64,
}

impl Pattern {
    fn new() -> Pattern {
        Pattern {
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// The next `buffer.len()` bytes of the stream.
    fn fill(&mut self, buffer: &mut [u8]) {
        for byte in buffer {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *byte = (self.state >> 32) as u8;
        }
    }
}

fn small_echo(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    let pieces: [&[u8]; 3] = [b"hello\n", "你好, 世界\n".as_bytes(), b"\xff\xfe not UTF-8"];
    for piece in pieces {
        conn.send(piece)?;
        let reply = conn.read_exactly(piece.len(), ANSWER);
        if reply.ending != Ending::Done || reply.bytes != piece {
            let problem = Problem::new("the echo is not what it should be")
                .sent(piece)
                .expected(show(piece))
                .got(reply.describe())
                .hint(WRITE_HINT);
            return Err(server.explain(problem));
        }
    }
    Ok(())
}

/// What the checker saw of a flood: a client sends `FLOOD` bytes without reading, then goes on
/// not reading for `NOT_READING` while another client says a line, then reads everything back.
struct Flood {
    server: Program,
    /// What the server did with the flood while the client did not read: for the report.
    sending: String,
    /// The server's process where there is `/proc`, its CPU time when the window began, and
    /// how long the window lasted (at least `NOT_READING`).
    cpu: (Option<Process>, Option<Duration>, Duration),
    /// The other client's echo, or what came instead.
    other: Result<(), Reply>,
    /// How many bytes came back right, in order, and then what ended the reading: `None` if
    /// every byte came back.
    back: (usize, Option<String>),
}

/// Runs a flood against the server: see [`Flood`].
fn flood(program: &Path) -> Result<Flood, Problem> {
    let (server, addr) = Program::start_server(program)?;
    let stream = TcpStream::connect_timeout(&addr, ANSWER).map_err(|error| {
        Problem::new(format!(
            "cannot connect to the server at {addr}: {}",
            common::describe(&error)
        ))
    })?;
    let writer = stream
        .try_clone()
        .and_then(|writer| {
            writer.set_write_timeout(Some(FLOOD_DEADLINE))?;
            Ok(writer)
        })
        .map_err(|error| {
            Problem::new(format!(
                "cannot prepare the connection: {}",
                common::describe(&error)
            ))
        })?;

    // The flooding client's sending side, on a thread of the checker's own: its writes wait
    // whenever the server stops reading, and its reading side must not wait with them.
    let (progress, written) = mpsc::channel::<usize>();
    let sender = thread::spawn(move || send_flood(writer, &progress));
    let sending = not_reading_while_sending(&written);

    // Not reading for a while longer: the server has bytes to send that nobody takes.
    let process = Process::of(&server);
    let cpu_before = process.as_ref().and_then(Process::cpu);
    let window = Instant::now();
    let mut conn = Conn::connect(addr)?;
    let other = ping(&mut conn);
    // The rest of the window, listening: nothing more is expected on that connection.
    let _ = conn.quiet(NOT_READING.saturating_sub(window.elapsed()));
    let waited = window.elapsed();

    let back = read_back(&stream);
    // Ends the sending thread's last write, if one still waits, and joins it.
    let _ = stream.shutdown(Close::Both);
    let _ = sender.join();
    Ok(Flood {
        server,
        sending,
        cpu: (process, cpu_before, waited),
        other,
        back,
    })
}

/// Writes `FLOOD` bytes of the pattern, reporting the count after every write, until all are
/// written or a write fails.
fn send_flood(mut writer: TcpStream, progress: &mpsc::Sender<usize>) {
    let mut pattern = Pattern::new();
    let mut chunk = vec![0; CHUNK];
    let mut written = 0;
    while written < FLOOD {
        let size = CHUNK.min(FLOOD - written);
        pattern.fill(&mut chunk[..size]);
        if writer.write_all(&chunk[..size]).is_err() {
            return;
        }
        written += size;
        if progress.send(written).is_err() {
            return;
        }
    }
}

/// Waits, without reading, until the sending thread has written everything, or its writes have
/// stalled for `STALLED`, or `FLOOD_DEADLINE` has passed. Says how it went.
fn not_reading_while_sending(written: &mpsc::Receiver<usize>) -> String {
    let deadline = Instant::now() + FLOOD_DEADLINE;
    let mut so_far = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return format!("it was still reading after {} s", FLOOD_DEADLINE.as_secs());
        }
        match written.recv_timeout(STALLED.min(left)) {
            Ok(count) => so_far = count,
            Err(RecvTimeoutError::Disconnected) if so_far == FLOOD => {
                return format!(
                    "it read all {} while the client read nothing",
                    megabytes(FLOOD)
                );
            }
            Err(RecvTimeoutError::Disconnected) => {
                return format!(
                    "the connection broke after the client had sent {}",
                    megabytes(so_far)
                );
            }
            Err(RecvTimeoutError::Timeout) => {
                return format!(
                    "it read {}, then nothing more for {} s",
                    megabytes(so_far),
                    STALLED.as_secs()
                );
            }
        }
    }
}

/// Another client says a line, while the flooding one does not read.
fn ping(conn: &mut Conn) -> Result<(), Reply> {
    if conn.send(b"ping\n").is_err() {
        return Err(Reply {
            bytes: Vec::new(),
            ending: Ending::Failed("the line could not be sent".into()),
        });
    }
    let reply = conn.read_line(ANSWER);
    if reply.ending == Ending::Done && reply.bytes == b"ping" {
        Ok(())
    } else {
        Err(reply)
    }
}

/// Reads the flooding client's echo, comparing each byte with the pattern, until all `FLOOD`
/// bytes have come, one differs, nothing comes for `ANSWER`, or `READ_DEADLINE` has passed.
/// Returns how many came back right, and what ended the reading if not all did.
fn read_back(stream: &TcpStream) -> (usize, Option<String>) {
    let deadline = Instant::now() + READ_DEADLINE;
    let mut pattern = Pattern::new();
    let mut buffer = vec![0; CHUNK];
    let mut expected = vec![0; CHUNK];
    let mut reader = stream;
    let mut right = 0;
    while right < FLOOD {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let why = format!("it was still coming after {} s", READ_DEADLINE.as_secs());
            return (right, Some(why));
        }
        if let Err(error) = stream.set_read_timeout(Some(ANSWER.min(left))) {
            return (right, Some(common::describe(&error)));
        }
        let wanted = CHUNK.min(FLOOD - right);
        let count = match reader.read(&mut buffer[..wanted]) {
            Ok(0) => return (right, Some("the connection was closed".into())),
            Ok(count) => count,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                let why = format!("nothing more came for {} s", ANSWER.as_secs());
                return (right, Some(why));
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return (right, Some(common::describe(&error))),
        };
        pattern.fill(&mut expected[..count]);
        if let Some(at) = buffer[..count]
            .iter()
            .zip(&expected[..count])
            .position(|(got, wanted)| got != wanted)
        {
            let why = format!(
                "byte {} is 0x{:02x} where 0x{:02x} was sent: bytes were lost (or moved) there",
                right + at,
                buffer[at],
                expected[at]
            );
            return (right + at, Some(why));
        }
        right += count;
    }
    (right, None)
}

/// `bytes` in megabytes, for a student: `12.6 MB`.
fn megabytes(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// What the flood was, for "sent".
fn flood_sent() -> String {
    format!(
        "{} (a stream that never repeats), from a client that reads nothing until it has sent \
         what the server takes and then waited {} s more",
        megabytes(FLOOD),
        NOT_READING.as_secs()
    )
}

fn every_byte_back(program: &Path) -> Result<(), Problem> {
    let Flood {
        mut server,
        sending,
        back,
        ..
    } = flood(program)?;
    let (right, Some(why)) = back else {
        return Ok(());
    };
    let problem = Problem::new("not every byte came back, in order")
        .detail("sent", flood_sent())
        .detail("server", sending)
        .expected(format!("all {} back, in the order sent", megabytes(FLOOD)))
        .got(format!(
            "the first {right} bytes ({}) came back right; then {why}",
            megabytes(right)
        ))
        .hint(WRITE_HINT);
    Err(server.explain(problem))
}

fn no_busy_loop(program: &Path) -> Result<(), Problem> {
    let Flood {
        mut server,
        sending,
        cpu,
        ..
    } = flood(program)?;
    let (process, before, waited) = cpu;
    expect_little_cpu(
        &mut server,
        process.as_ref(),
        before,
        waited,
        &format!(
            "a client sent {} and read nothing (the server: {sending}); then the server \
             waited {} with bytes for it that it did not take",
            megabytes(FLOOD),
            seconds(waited)
        ),
        SPIN_HINT,
    )
}

fn others_are_served(program: &Path) -> Result<(), Problem> {
    let Flood {
        mut server,
        sending,
        other,
        ..
    } = flood(program)?;
    let Err(reply) = other else {
        return Ok(());
    };
    let problem = Problem::new("another client got no answer while the flooding one did not read")
        .detail(
            "sent",
            format!("\"ping\\n\", from a second client, while {}", flood_sent()),
        )
        .detail("server", sending)
        .expected("\"ping\"")
        .got(reply.describe())
        .hint(SPIN_HINT);
    Err(server.explain(problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_after_the_name() {
        let stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 3 0";
        assert_eq!(cpu_of_stat(stat), Some(Duration::from_millis(1750)));
        assert_eq!(cpu_of_stat("4242 (x) S 1"), None);
    }

    #[test]
    fn the_pattern_is_the_same_each_time_and_does_not_repeat_soon() {
        let mut first = vec![0; 4096];
        let mut second = vec![0; 4096];
        Pattern::new().fill(&mut first);
        let mut again = Pattern::new();
        again.fill(&mut second[..1000]);
        again.fill(&mut second[1000..]);
        assert_eq!(first, second);
        assert_ne!(first[..2048], first[2048..]);
        let distinct: std::collections::BTreeSet<u8> = first.iter().copied().collect();
        assert!(distinct.len() > 200, "{}", distinct.len());
    }

    #[test]
    fn the_talker_talks_for_longer_than_the_latest_close() {
        assert!(TALK_GAP * TALK_LINES as u32 >= LATEST);
        assert!(EARLIEST < IDLE && IDLE < LATEST);
        assert_eq!(IDLE_SECONDS.parse::<u64>().ok(), Some(IDLE.as_secs()));
    }

    /// The checker reads a process's threads and CPU time, this one's here, where there is
    /// `/proc`.
    #[test]
    fn threads_and_cpu_time_are_read_where_there_is_proc() {
        if !Path::new("/proc/self/stat").exists() {
            return;
        }
        let process = Process {
            pid: std::process::id(),
        };
        assert!(process.threads().is_some_and(|threads| threads >= 1));
        assert!(process.cpu().is_some());
    }
}
