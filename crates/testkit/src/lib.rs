//! The test kit: helpers for the end-to-end tests. They run the real lesson binaries, wait
//! for what a student would see, and never leave a process behind. A dev-dependency only:
//! no lesson program links this crate.
//!
//! Nothing here sleeps to synchronise: a test waits for a line of output (such as
//! `listening on 127.0.0.1:40312`) or for a process to exit, always with a deadline, and
//! fails with everything the program printed so far when the deadline passes.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, ExitStatus};
use std::sync::{Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use common::strip_line_end;

pub mod chat;
mod process;
#[cfg(feature = "tls")]
pub mod tls;
pub mod tutorials;

pub use process::{Input, Running, Waited, describe_exit, listening_addr, reachable};

/// The longest a test waits for any one thing. Generous, because CI machines are slow; a
/// passing test never waits this long.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The root of the workspace (where `Cargo.toml`, `docs/` and `crates/` are).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The path of a lesson program, built first if needed, so that `cargo test -p echo-client`
/// can start `echo-server` although cargo only builds the package under test.
pub fn binary(package: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let exe = std::env::current_exe().expect("test executable path");
    // Test executables live in target/<profile>/deps/; programs in target/<profile>/.
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = profile_dir.join(format!("{package}{}", std::env::consts::EXE_SUFFIX));

    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    let built = built.get_or_insert_with(HashSet::new);
    if built.insert(package.to_string()) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(workspace_root())
            .args(["build", "--quiet", "-p", package]);
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            build.arg("--release");
        }
        if let Some(target_dir) = profile_dir.parent() {
            build.arg("--target-dir").arg(target_dir);
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p {package} failed");
    }
    path
}

/// A running lesson program with piped standard input, output and error. Killed when dropped,
/// so a failing test leaves nothing running. It fails the test (with everything the program
/// printed so far) when what it waits for does not come before [`DEADLINE`].
pub struct Proc {
    name: String,
    running: Running,
}

/// How a program ended and everything it printed.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// The exit code (None if a signal ended the program).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

impl Proc {
    /// Starts `package`'s program with `args`.
    pub fn spawn(package: &str, args: &[&str]) -> Proc {
        Proc::spawn_reading(package, args, usize::MAX)
    }

    /// Starts the program as `program args | head -1` would run it: its first line of output
    /// is read, then the pipe is closed, so whatever it prints next finds nobody reading.
    pub fn spawn_head_one(package: &str, args: &[&str]) -> Proc {
        Proc::spawn_reading(package, args, 1)
    }

    /// Starts the program, and reads at most `most_lines` of its output.
    fn spawn_reading(package: &str, args: &[&str], most_lines: usize) -> Proc {
        let running = Running::start(binary(package), args, Input::Pipe, most_lines)
            .unwrap_or_else(|error| panic!("cannot start {package}: {error}"));
        Proc {
            name: format!("{package} {}", args.join(" ")),
            running,
        }
    }

    /// Starts a server on a free port (`--port 0` unless `args` names a port) and waits for
    /// its first line, `listening on <address>` (or `listening on udp <address>`).
    pub fn start_server(package: &str, args: &[&str]) -> (Proc, SocketAddr) {
        let mut all: Vec<&str> = args.to_vec();
        if !args.contains(&"--port") {
            all.extend(["--port", "0"]);
        }
        let mut server = Proc::spawn(package, &all);
        let first = server.next_line();
        let Some(addr) = listening_addr(&first) else {
            server.fail(&format!("first line is not 'listening on ADDR': {first:?}"));
        };
        (server, addr)
    }

    /// The next line of standard output; fails the test if none comes before the deadline.
    pub fn next_line(&mut self) -> String {
        match self.running.next_line(DEADLINE) {
            Ok(line) => line,
            Err(Waited::TimedOut) => self.fail("no output line before the deadline"),
            Err(Waited::Closed) => self.fail("standard output closed"),
        }
    }

    /// Reads lines until one matches `wanted`, and returns it.
    pub fn wait_for_line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        match self.running.wait_for_line(wanted, DEADLINE) {
            Ok(line) => line,
            Err(_) => self.fail("the expected line never came"),
        }
    }

    /// Reads lines until one contains `text`, and returns it.
    pub fn wait_for(&mut self, text: &str) -> String {
        self.wait_for_line(|line| line.contains(text))
    }

    /// Every line of standard output read so far.
    pub fn seen(&self) -> &[String] {
        self.running.seen()
    }

    /// Writes to the program's standard input.
    pub fn write_stdin(&mut self, data: &[u8]) {
        let stdin = self.running.stdin().expect("stdin still open");
        stdin
            .write_all(data)
            .and_then(|()| stdin.flush())
            .expect("write to stdin");
    }

    /// Takes the program's standard input, e.g. to write to it from another thread.
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.running.take_stdin().expect("stdin still open")
    }

    /// Closes standard input: the program sees end of input.
    pub fn close_stdin(&mut self) {
        drop(self.running.take_stdin());
    }

    /// The process id, e.g. to stop it with a signal.
    pub fn pid(&self) -> u32 {
        self.running.pid()
    }

    /// Sends SIGINT, what pressing Ctrl-C in a terminal does.
    pub fn interrupt(&self) {
        self.signal("INT");
    }

    /// Sends SIGTERM, what `kill`, systemd and Docker send to stop a program.
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    fn signal(&self, name: &str) {
        let pid = self.pid().to_string();
        let status = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {pid} failed");
    }

    /// Closes standard input, waits for the program to exit and returns all it printed.
    pub fn finish(mut self) -> Finished {
        self.close_stdin();
        self.wait_for_exit()
    }

    /// Waits for the program to exit by itself, its standard input still open, and returns
    /// all it printed.
    pub fn wait_for_exit(mut self) -> Finished {
        let Ok(status) = self.running.wait_for_exit(DEADLINE) else {
            self.fail("the program did not exit before the deadline");
        };
        let mut stdout = self.running.seen().join("\n");
        if !stdout.is_empty() {
            stdout.push('\n');
        }
        Finished {
            status,
            stdout,
            stderr: self.running.stderr(),
        }
    }

    fn fail(&mut self, what: &str) -> ! {
        self.running.kill();
        let _ = self.running.wait_for_exit(Duration::from_secs(1));
        panic!(
            "{}: {what}\n--- stdout so far ---\n{}\n--- stderr ---\n{}",
            self.name,
            self.running.seen().join("\n"),
            self.running.stderr()
        );
    }
}

/// Runs a client to the end with `stdin` as its input, like `printf '...' | program args`.
pub fn run(package: &str, args: &[&str], stdin: &[u8]) -> Finished {
    let mut program = Proc::spawn(package, args);
    let mut pipe = program.take_stdin();
    let input = stdin.to_vec();
    // A separate thread, so a large input cannot dead-lock against the program's output.
    // An error only means the program stopped reading (after `q`, say): fine.
    let writer = thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let finished = program.finish();
    let _ = writer.join();
    finished
}

/// Checks `--help` (exit code 0, and it names `--host`, `--port` and each of `wanted`) and
/// `--version` (one line: the package name and its version).
pub fn check_help(package: &str, wanted: &[&str]) {
    let help = run(package, &["--help"], b"");
    assert_eq!(help.code(), Some(0), "{help:?}");
    for text in ["--host", "--port"].iter().chain(wanted) {
        assert!(
            help.stdout.contains(text),
            "{package} --help lacks {text}:\n{}",
            help.stdout
        );
    }
    let version = run(package, &["--version"], b"");
    assert_eq!(version.code(), Some(0), "{version:?}");
    let words: Vec<&str> = version.stdout.split_whitespace().collect();
    assert!(
        matches!(words[..], [name, _] if name == package),
        "{version:?}"
    );
}

/// The environment variable that lists what this machine surely has, comma-separated
/// (`ipv6,tmux,proc,python3`): a test that needs one of them and does not find it fails
/// instead of skipping. CI sets it, so a skip can never hide a broken check there.
pub const REQUIRE: &str = "TESTKIT_REQUIRE";

/// Whether a test that needs `feature` (one of the names [`REQUIRE`] takes) can run here,
/// `present` being what the test found. When it cannot, it says so (`skipped: TEST: ...`) in
/// `cargo test`'s own output, and the test should return; unless [`REQUIRE`] names the
/// feature: then the machine should have it, and the test fails.
pub fn can_run(feature: &str, present: bool, missing: &str) -> bool {
    if present {
        return true;
    }
    let required = std::env::var(REQUIRE).unwrap_or_default();
    if required.split(',').any(|name| name.trim() == feature) {
        panic!("{REQUIRE} says this machine has {feature}, but {missing}");
    }
    // Written to stderr directly, not with eprintln!, which the test harness captures and
    // shows only for a test that fails: a skip must show in every run.
    let test = thread::current().name().unwrap_or("a test").to_string();
    let _ = writeln!(std::io::stderr(), "skipped: {test}: {missing}");
    false
}

/// False (and says the test is skipped) on a machine without an IPv6 loopback address.
pub fn has_ipv6_loopback() -> bool {
    let present = std::net::TcpListener::bind("[::1]:0").is_ok();
    can_run("ipv6", present, "this machine has no IPv6 loopback")
}

/// A fresh folder in the system's temporary folder, for one test's files, removed when
/// dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty folder; `name` keeps tests that run at the same time apart.
    pub fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("socket-lessons-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary folder");
        TempDir(path)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The path of `name` in this folder, as an argument for a program.
    pub fn file(&self, name: &str) -> String {
        self.0
            .join(name)
            .to_str()
            .expect("a UTF-8 path")
            .to_string()
    }

    /// Writes `text` to the file `name` in this folder; returns its path, as an argument.
    pub fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.0.join(name), text).expect("write a test file");
        self.file(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether `python3` runs here, for the tests that talk to an implementation the project did
/// not write (Python's `struct`, `ssl`, `pty`). CI machines have it (`TESTKIT_REQUIRE`).
pub fn has_python3() -> bool {
    let present = Command::new("python3")
        .args(["-c", "import ssl, struct"])
        .output()
        .is_ok_and(|output| output.status.success());
    can_run("python3", present, "python3 is not installed")
}

/// Whether this system has `/proc` (Linux does; macOS and Windows do not).
pub fn has_proc() -> bool {
    let present = Path::new("/proc/self/status").exists();
    can_run("proc", present, "this system has no /proc")
}

/// Connects to `server`, sends 100,000 bytes, and vanishes with a reset while the server is
/// still busy with them (closing a socket with unread data in it makes the kernel send a reset,
/// RST, instead of a polite end of stream). Checks that the server logs why the client left.
pub fn vanish_mid_message(server: &mut Proc, addr: SocketAddr) {
    let mut rude = TcpStream::connect(addr).expect("connect");
    rude.write_all(&vec![b'x'; 100_000]).expect("send");
    server.wait_for("received ");
    drop(rude);
    let left = server.wait_for(" left");
    assert!(
        left.contains(" left: "),
        "the server says why the client left: {left}"
    );
}

/// Starts `package` with `--quiet` and `args`, lets `talk` use it, then stops it with Ctrl-C
/// and returns everything it printed: for the checks of `--quiet` (answers as usual, no log
/// line per message).
pub fn run_quiet(package: &str, args: &[&str], talk: impl FnOnce(SocketAddr)) -> Finished {
    let all: Vec<&str> = ["--quiet"].iter().chain(args).copied().collect();
    let (mut server, addr) = Proc::start_server(package, &all);
    talk(addr);
    server.interrupt();
    server.wait_for("server stopped");
    let finished = server.finish();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    finished
}

/// The number of file descriptors process `pid` has open, from `/proc/PID/fd`; `None` (and a
/// note that the check is skipped) where there is no `/proc`, as on macOS and Windows.
pub fn open_descriptors(pid: u32) -> Option<usize> {
    if !has_proc() {
        return None;
    }
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd")).expect("/proc/PID/fd");
    Some(entries.count())
}

/// The number of threads of process `pid`, from the `Threads:` line of `/proc/PID/status`;
/// `None` (and a note that the check is skipped) where there is no `/proc`.
pub fn threads(pid: u32) -> Option<usize> {
    if !has_proc() {
        return None;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    let count = status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|count| count.trim().parse().ok())
        .expect("a Threads: line");
    Some(count)
}

/// A raw TCP client for line-based servers (ctime, chat): sends lines, reads lines, each read
/// with [`DEADLINE`].
pub struct LineClient {
    stream: TcpStream,
    lines: BufReader<TcpStream>,
}

impl LineClient {
    pub fn connect(addr: SocketAddr) -> LineClient {
        let stream = TcpStream::connect(addr).expect("connect to the server");
        stream
            .set_read_timeout(Some(DEADLINE))
            .expect("read time-out");
        let lines = BufReader::new(stream.try_clone().expect("clone the stream"));
        LineClient { stream, lines }
    }

    /// Sends `line` and a `\n`.
    pub fn send(&mut self, line: &str) {
        self.send_bytes(format!("{line}\n").as_bytes());
    }

    /// Sends bytes as they are.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send to the server");
    }

    /// The next line, without its `\n`, decoded lossily; `None` at the end of the stream.
    /// Fails the test if nothing comes before the deadline.
    pub fn next_line(&mut self) -> Option<String> {
        let mut line = Vec::new();
        match self.lines.read_until(b'\n', &mut line) {
            Ok(0) => None,
            Ok(_) => Some(String::from_utf8_lossy(strip_line_end(&line)).into_owned()),
            Err(error) => panic!("no line from the server: {error}"),
        }
    }

    /// The next line, which must be there.
    pub fn line(&mut self) -> String {
        self.next_line().expect("a line, not the end of the stream")
    }

    /// Reads lines until `wanted`, and returns the ones before it.
    pub fn until(&mut self, wanted: &str) -> Vec<String> {
        let mut before = Vec::new();
        loop {
            let line = self.next_line();
            match line {
                Some(line) if line == wanted => return before,
                Some(line) => before.push(line),
                None => panic!("the stream ended before {wanted:?}; got {before:?}"),
            }
        }
    }

    /// Reads until the server closes the connection (end of stream or reset); returns the
    /// lines that came before.
    pub fn until_closed(&mut self) -> Vec<String> {
        let mut before = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            match self.lines.read_until(b'\n', &mut line) {
                Ok(0) => return before,
                Ok(_) => before.push(String::from_utf8_lossy(strip_line_end(&line)).into_owned()),
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return before,
                Err(error) => panic!("the server did not close the connection: {error}"),
            }
        }
    }

    /// The stream, e.g. to read raw bytes or set options.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Closes the sending side: the server sees the end of the stream.
    pub fn finish_sending(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

/// A stand-in server on a free port of 127.0.0.1 that accepts one client and does `behave`
/// with it: for the clients' tests of servers that misbehave (never answer, cut the answer,
/// send escape sequences ...). Join the handle to see a panic inside `behave`.
pub fn misbehaving_server(
    behave: impl FnOnce(TcpStream) + Send + 'static,
) -> (SocketAddr, JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        behave(stream);
    });
    (addr, handle)
}

/// Checks that `client` (started with `args`, `--port` and `--timeout 0.5`) gives up on a
/// server that accepts and never reads, while it sends `input` (far more than the kernel's
/// buffers hold): exit code 6, and the one line that names `--timeout`.
pub fn check_send_times_out(client: &str, args: &[&str], input: &[u8]) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Accepts, and keeps the connection open (the thread returns it) without ever reading.
    let server = thread::spawn(move || listener.accept().expect("accept"));
    let port = addr.port().to_string();
    let mut all = args.to_vec();
    all.extend(["--port", &port, "--timeout", "0.5"]);
    let waited = run(client, &all, input);
    assert_eq!(waited.code(), Some(6), "{waited:?}");
    assert_eq!(
        waited.stderr,
        "error: cannot send to the server: it took nothing for 500ms; if the server is only \
         slow, wait longer with --timeout SECONDS\n"
    );
    drop(server.join().expect("stand-in server"));
}

/// Checks that a server stopped by Ctrl-C or SIGTERM stopped cleanly: exit code 0, and
/// `server stopped` as its last line.
pub fn assert_stopped_cleanly(stopped: &Finished) {
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert!(
        stopped.stdout.ends_with("server stopped\n"),
        "{}",
        stopped.stdout
    );
}

/// Checks that the log of a server stopped by Ctrl-C says it closed its clients' connections
/// itself (`closed PEER: the server is stopping`), not that they left.
pub fn assert_closed_by_the_server(stopped: &Finished) {
    assert!(
        stopped.stdout.contains(": the server is stopping\n"),
        "{}",
        stopped.stdout
    );
    assert!(!stopped.stdout.contains(" left"), "{}", stopped.stdout);
}

/// A port on 127.0.0.1 where nothing listens: it was free a moment ago.
pub fn unused_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    probe.local_addr().expect("local address").port()
}

/// Checks what every lesson server does when its port is taken (the caller holds it): one
/// friendly line on stderr, nothing on stdout, exit code 3.
pub fn check_port_in_use(package: &str, held_port: u16) {
    let port = held_port.to_string();
    let failed = Proc::spawn(package, &["--port", &port]).finish();
    assert_eq!(failed.code(), Some(3), "{failed:?}");
    assert_eq!(
        failed.stderr,
        format!(
            "error: cannot listen on 127.0.0.1:{port}: address already in use; another program \
             (maybe another copy of this server) uses that port; stop it, or pick another port \
             with --port\n"
        )
    );
    assert!(failed.stdout.is_empty(), "{failed:?}");
}

/// Checks what a TCP lesson client does when nothing listens: exit code 4 and one line that
/// names the exact command starting `server`. Returns it as a student sees it with the
/// lesson's `default_port`: `$ cargo run -p CLIENT` and the line, for a transcript.
pub fn check_refused(client: &str, server: &str, default_port: u16) -> String {
    let port = unused_port();
    let refused = run(client, &["--port", &port.to_string()], b"");
    assert_eq!(refused.code(), Some(4), "{refused:?}");
    assert_eq!(
        refused.stderr,
        format!(
            "error: cannot connect to 127.0.0.1:{port}: connection refused; is the server \
             running? Start it with: cargo run -p {server} -- --port {port}\n"
        )
    );
    assert!(refused.stdout.is_empty(), "{refused:?}");
    let as_seen = refused
        .stderr
        .replace(&format!(" -- --port {port}"), "")
        .replace(&port.to_string(), &default_port.to_string());
    format!("$ cargo run -p {client}\n{as_seen}")
}

/// Checks what a lesson program does with a host name that does not exist: exit code 5 and
/// one line.
pub fn check_unknown_host(package: &str) {
    let failed = run(package, &["--host", "no-such-host.invalid"], b"");
    assert_eq!(failed.code(), Some(5), "{failed:?}");
    assert!(
        failed
            .stderr
            .starts_with("error: cannot find host 'no-such-host.invalid': "),
        "{}",
        failed.stderr
    );
    assert_eq!(failed.stderr.lines().count(), 1, "{}", failed.stderr);
}

/// Masks what changes from run to run in an address: the server's port is shown as the
/// lesson's default port (what a student sees with the plain `cargo run` command) and every
/// other port, picked by the operating system for a client, as `PORT`.
pub fn mask_ports(text: &str, server_port: u16, shown_port: u16) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(':') {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        out.push(':');
        let after = &after[1..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let ends_address = before.ends_with(']') || ends_with_ipv4(before);
        let next = after[digits..].chars().next();
        if ends_address && (1..=5).contains(&digits) && !next.is_some_and(char::is_alphanumeric) {
            if after[..digits] == server_port.to_string() {
                out.push_str(&shown_port.to_string());
            } else {
                out.push_str("PORT");
            }
            rest = &after[digits..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// True if `text` ends with an IPv4 address such as `127.0.0.1`.
fn ends_with_ipv4(text: &str) -> bool {
    let start = text
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
        .len();
    let tail = &text[start..];
    tail.split('.').count() == 4 && tail.split('.').all(|part| !part.is_empty())
}

/// Checks that the terminal transcript named `name` in the doc page `page` (a path from the
/// workspace root) is exactly `actual`. Run with `BLESS=1` to write `actual` into the page.
///
/// In the page, a transcript is the fenced block right after `<!-- transcript: NAME -->`.
pub fn check_transcript(page: &str, name: &str, actual: &str) {
    static WRITING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
    let path = workspace_root().join(page);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{page}: {e}"));
    let marker = format!("<!-- transcript: {name} -->");
    let Some((start, end)) = fenced_block_after(&text, &marker) else {
        panic!("{page}: no fenced block after {marker}");
    };
    let actual = format!("{}\n", actual.trim_end());
    if text[start..end] == actual {
        return;
    }
    if std::env::var_os("BLESS").is_some() {
        let updated = format!("{}{actual}{}", &text[..start], &text[end..]);
        std::fs::write(&path, updated).expect("write the doc page");
        return;
    }
    panic!(
        "{page}: transcript '{name}' differs from a real run (rerun with BLESS=1 to update).\n\
         --- in the page ---\n{}--- real run ---\n{actual}",
        &text[start..end]
    );
}

/// The byte range of the body of the first fenced block after `marker`: from the line after
/// the opening fence to the start of the closing fence.
pub fn fenced_block_after(text: &str, marker: &str) -> Option<(usize, usize)> {
    let after_marker = text.find(marker)? + marker.len();
    let open = after_marker + text[after_marker..].find("```")?;
    let body = open + text[open..].find('\n')? + 1;
    let close = if text[body..].starts_with("```") {
        body
    } else {
        body + text[body..].find("\n```")? + 1
    };
    Some((body, close))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_masked_but_other_numbers_stay() {
        let text =
            "listening on 127.0.0.1:40312\nconnected from [::1]:55555\ntime 10:00:18 at 9:30";
        assert_eq!(
            mask_ports(text, 40312, 9001),
            "listening on 127.0.0.1:9001\nconnected from [::1]:PORT\ntime 10:00:18 at 9:30"
        );
    }

    #[test]
    fn fenced_blocks_are_found_after_their_marker() {
        let page = "intro\n<!-- transcript: demo -->\n```console\n$ run\nout\n```\nafter\n";
        let (start, end) = fenced_block_after(page, "<!-- transcript: demo -->").expect("block");
        assert_eq!(&page[start..end], "$ run\nout\n");
        let empty = "<!-- x -->\n```text\n```\n";
        let (start, end) = fenced_block_after(empty, "<!-- x -->").expect("block");
        assert_eq!(start, end);
    }
}
