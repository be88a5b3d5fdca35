//! End-to-end tests of loadgen: the real binary against the real lesson servers on free ports,
//! with small counts so that each test takes well under a second of load. Where a server that
//! misbehaves is needed (one that hangs up mid-answer, one that drops datagrams), the test
//! plays that server itself, on a free port.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::thread;

use serde_json::Value;
use testkit::{DEADLINE, Finished, Proc, has_ipv6_loopback, run, unused_port};

fn loadgen(args: &[&str]) -> Finished {
    run("loadgen", args, b"")
}

/// Runs loadgen with `--json` against `addr` and returns the parsed results; fails the test
/// unless it exits with 0 and prints one JSON object.
fn measure(mode: &str, addr: SocketAddr, args: &[&str]) -> Value {
    let port = addr.port().to_string();
    let mut all = vec![mode, "--port", &port, "--json"];
    all.extend_from_slice(args);
    let finished = loadgen(&all);
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    let results: Value = serde_json::from_str(&finished.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {}", finished.stdout));
    assert_eq!(results["mode"], mode, "{results}");
    results
}

fn number(results: &Value, field: &str) -> u64 {
    results[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no number {field} in {results}"))
}

/// The error kinds of a run, as `kind ×count` text.
fn error_kinds(results: &Value) -> String {
    results["error_kinds"].to_string()
}

/// Checks what every run without trouble shows.
fn assert_clean(results: &Value) {
    assert_eq!(number(results, "errors"), 0, "{results}");
    assert_eq!(results["error_kinds"], serde_json::json!({}), "{results}");
    assert_eq!(results["partial"], false, "{results}");
}

#[test]
fn help_names_every_mode_and_the_options() {
    let help = loadgen(&["--help"]);
    assert_eq!(help.code(), Some(0), "{help:?}");
    for mode in ["echo", "bulk", "chat", "udp", "report"] {
        assert!(
            help.stdout.contains(mode),
            "--help lacks {mode}:\n{}",
            help.stdout
        );
    }
    let echo = loadgen(&["echo", "--help"]);
    for option in [
        "--host",
        "--port",
        "--connections",
        "--messages",
        "--size",
        "--expect",
        "--json",
        "--progress",
        "--duration-limit",
        "--connect-concurrency",
    ] {
        assert!(echo.stdout.contains(option), "echo --help lacks {option}");
    }
    let version = loadgen(&["--version"]);
    assert_eq!(version.code(), Some(0));
    assert!(version.stdout.starts_with("loadgen "), "{version:?}");
}

#[test]
fn bad_options_are_one_usage_error() {
    for args in [
        &["echo", "--connections", "0"][..],
        &["echo", "--size", "0"],
        &["bulk", "--bytes", "lots"],
        &["chat", "--size", "5000"],
        &["udp", "--size", "4"],
        &["echo", "--duration-limit", "-1"],
    ] {
        let failed = loadgen(args);
        assert_eq!(failed.code(), Some(2), "{args:?}: {failed:?}");
        assert!(failed.stdout.is_empty());
    }
}

#[test]
fn echo_measures_round_trips_through_the_threaded_server() {
    let (mut server, addr) = Proc::start_server("echo-server", &["--threads"]);
    let results = measure("echo", addr, &["-c", "5", "-m", "20", "-s", "100"]);
    assert_clean(&results);
    assert_eq!(number(&results, "connected"), 5);
    assert_eq!(number(&results, "round_trips"), 100);
    assert_eq!(number(&results, "size"), 100);
    let latency = &results["latency"];
    assert_eq!(latency["count"], 100, "{results}");
    let (p50, p99, max) = (
        latency["p50_us"].as_f64().expect("p50"),
        latency["p99_us"].as_f64().expect("p99"),
        latency["max_us"].as_f64().expect("max"),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{latency}");
    assert!(results["messages_per_s"].as_f64().expect("rate") > 0.0);
    // The server really saw the messages.
    server.wait_for("received 100 bytes from 127.0.0.1:");
}

#[test]
fn echo_works_with_the_one_at_a_time_server_and_prints_a_summary() {
    let (_server, addr) = Proc::start_server("echo-server", &[]);
    let port = addr.port().to_string();
    let finished = loadgen(&["echo", "--port", &port, "-m", "50"]);
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    let text = &finished.stdout;
    assert!(
        text.starts_with(&format!(
            "echo: 1 connection × 50 messages × 64 bytes to {addr} (expect same)\n"
        )),
        "{text}"
    );
    assert!(text.contains("\nconnected   1 of 1 in "), "{text}");
    assert!(text.contains("\nround trips 50: "), "{text}");
    assert!(text.contains("\nlatency     p50 "), "{text}");
    assert!(text.contains("\nerrors      none\n"), "{text}");
    assert!(!text.contains("partial"), "{text}");
}

#[test]
fn echo_checks_the_answers_of_the_upper_case_server() {
    let (_server, addr) = Proc::start_server("async-echo-server", &[]);
    let upper = measure("echo", addr, &["-c", "3", "-m", "10", "--expect", "upper"]);
    assert_clean(&upper);
    assert_eq!(number(&upper, "round_trips"), 30);

    // Expecting the same bytes back from a server that changes them: every answer is wrong.
    let same = measure("echo", addr, &["-c", "2", "-m", "5"]);
    assert_eq!(number(&same, "round_trips"), 0, "{same}");
    assert_eq!(same["error_kinds"]["wrong reply"], 10, "{same}");
}

#[test]
fn bulk_streams_every_byte_value_and_checks_it() {
    let (_server, addr) = Proc::start_server("echo-server", &["--threads"]);
    // The default pattern has every byte value from 0 to 250: newlines, zeros, not UTF-8.
    let results = measure("bulk", addr, &["-b", "3M", "--chunk", "10000"]);
    assert_clean(&results);
    assert_eq!(number(&results, "bytes_sent"), 3 << 20);
    assert_eq!(number(&results, "bytes_verified"), 3 << 20);
    assert_eq!(results["first_wrong_byte"], Value::Null);
    assert!(results["bytes_per_s"].as_f64().expect("rate") > 0.0);
}

#[test]
fn bulk_catches_bytes_that_come_back_changed() {
    let (_server, addr) = Proc::start_server("async-echo-server", &["--buf-size", "65536"]);
    let upper = measure("bulk", addr, &["-c", "2", "-b", "2M", "--expect", "upper"]);
    assert_clean(&upper);
    assert_eq!(number(&upper, "bytes_verified"), 4 << 20);

    // Byte 0 of the default pattern is 0, which upper case keeps; byte 97 is 'a', which it
    // does not: the first wrong byte is at offset 97.
    let same = measure("bulk", addr, &["-b", "1M"]);
    assert_eq!(same["first_wrong_byte"], 97, "{same}");
    assert_eq!(same["error_kinds"]["wrong content"], 1, "{same}");
    assert_eq!(number(&same, "bytes_verified"), 97);
}

#[test]
fn udp_counts_answers_from_the_echo_server() {
    let (mut server, addr) = Proc::start_server("udp-server", &["--echo"]);
    let results = measure("udp", addr, &["-c", "3", "-m", "20", "--expect", "echo"]);
    assert_clean(&results);
    assert_eq!(number(&results, "sent"), 60);
    assert_eq!(number(&results, "answered"), 60);
    assert_eq!(number(&results, "lost"), 0);
    assert_eq!(results["loss_percent"], 0.0);
    assert_eq!(results["latency"]["count"], 60);
    server.wait_for("received 64 bytes from 127.0.0.1:");
}

#[test]
fn udp_takes_any_answer_from_the_default_server_but_not_as_an_echo() {
    let (_server, addr) = Proc::start_server("udp-server", &[]);
    let any = measure("udp", addr, &["-m", "10"]);
    assert_clean(&any);
    assert_eq!(number(&any, "answered"), 10);

    // 收到您的消息! is not the datagram that was sent.
    let echo = measure("udp", addr, &["-m", "4", "--expect", "echo"]);
    assert_eq!(number(&echo, "wrong"), 4, "{echo}");
    assert_eq!(number(&echo, "answered"), 0, "{echo}");
    assert_eq!(echo["error_kinds"]["wrong reply"], 4, "{echo}");
}

/// A UDP "server" that answers loadgen's probe and its even-numbered datagrams only, until it
/// is told `stop`.
fn lossy_udp_server() -> (SocketAddr, thread::JoinHandle<()>) {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_read_timeout(Some(DEADLINE)).expect("deadline");
    let addr = socket.local_addr().expect("address");
    let server = thread::spawn(move || {
        let mut datagram = [0; 2048];
        for _ in 0..10_000 {
            let Ok((length, sender)) = socket.recv_from(&mut datagram) else {
                return; // the deadline passed: the test failed already
            };
            let data = &datagram[..length];
            if data == b"stop" {
                return;
            }
            let number: Option<u64> = std::str::from_utf8(&data[..length.min(8)])
                .ok()
                .and_then(|digits| digits.parse().ok());
            if number.is_none_or(|n| n % 2 == 0) {
                socket.send_to(data, sender).expect("answer");
            }
        }
    });
    (addr, server)
}

#[test]
fn udp_counts_datagrams_that_never_come_back() {
    let (addr, server) = lossy_udp_server();
    let results = measure(
        "udp",
        addr,
        &["-m", "10", "--expect", "echo", "--wait-ms", "500"],
    );
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.send_to(b"stop", addr))
        .expect("stop the lossy server");
    server.join().expect("lossy server");
    assert_eq!(number(&results, "sent"), 10, "{results}");
    assert_eq!(number(&results, "answered"), 5, "{results}");
    assert_eq!(number(&results, "lost"), 5, "{results}");
    assert_eq!(results["loss_percent"], 50.0, "{results}");
    assert_eq!(
        number(&results, "errors"),
        0,
        "a loss is counted apart: {results}"
    );
}

#[test]
fn a_server_that_is_not_there_is_one_line_and_exit_code_4() {
    let port = unused_port().to_string();
    for (mode, start) in [
        ("echo", "echo-server"),
        ("bulk", "echo-server"),
        ("chat", "chat-server"),
        ("udp", "udp-server"),
    ] {
        let refused = loadgen(&[mode, "--port", &port]);
        assert_eq!(refused.code(), Some(4), "{mode}: {refused:?}");
        assert_eq!(
            refused.stderr,
            format!(
                "error: cannot connect to 127.0.0.1:{port}: connection refused; is the server \
                 running? Start it with: cargo run --release -p {start} -- --port {port}\n"
            ),
            "{mode}"
        );
        assert!(refused.stdout.is_empty(), "{mode}: {refused:?}");
    }
}

#[test]
fn only_loopback_addresses_are_targets() {
    for host in [
        "10.0.0.1",
        "192.168.1.10",
        "8.8.8.8",
        "0.0.0.0",
        "::",
        "fe80::1",
    ] {
        for mode in ["echo", "bulk", "chat", "udp"] {
            let refused = loadgen(&[mode, "--host", host]);
            assert_eq!(refused.code(), Some(2), "{mode} {host}: {refused:?}");
            assert_eq!(
                refused.stderr,
                format!(
                    "error: refusing to send load to {host}: loadgen only targets this machine \
                     (127.0.0.0/8 or ::1); start the server here and use --host 127.0.0.1\n"
                )
            );
        }
    }
    // Names are looked up first, and must be loopback too.
    let (_server, addr) = Proc::start_server("echo-server", &["--threads"]);
    let port = addr.port().to_string();
    let by_name = loadgen(&["echo", "--host", "localhost", "--port", &port, "-m", "3"]);
    assert_eq!(by_name.code(), Some(0), "{by_name:?}");
}

#[test]
fn ipv6_loopback_is_a_target_too() {
    if !has_ipv6_loopback() {
        return;
    }
    let (_tcp, addr) = Proc::start_server("echo-server", &["--host", "::1"]);
    let port = addr.port().to_string();
    let tcp = loadgen(&[
        "echo", "--host", "::1", "--port", &port, "-m", "5", "--json",
    ]);
    assert_eq!(tcp.code(), Some(0), "{tcp:?}");
    let results: Value = serde_json::from_str(&tcp.stdout).expect("JSON");
    assert_eq!(results["target"], format!("[::1]:{port}"));
    assert_eq!(number(&results, "round_trips"), 5);

    let (_udp, addr) = Proc::start_server("udp-server", &["--host", "::1", "--echo"]);
    let port = addr.port().to_string();
    let udp = loadgen(&[
        "udp", "--host", "::1", "--port", &port, "-m", "5", "--expect", "echo", "--json",
    ]);
    assert_eq!(udp.code(), Some(0), "{udp:?}");
    let results: Value = serde_json::from_str(&udp.stdout).expect("JSON");
    assert_eq!(number(&results, "answered"), 5, "{results}");
}

#[test]
fn an_unknown_host_is_exit_code_5() {
    let failed = loadgen(&["echo", "--host", "no-such-host.invalid"]);
    assert_eq!(failed.code(), Some(5), "{failed:?}");
    assert!(
        failed
            .stderr
            .starts_with("error: cannot find host 'no-such-host.invalid': "),
        "{failed:?}"
    );
    assert_eq!(failed.stderr.lines().count(), 1);
}

#[test]
fn the_duration_limit_stops_a_long_run_with_partial_results() {
    let (_server, addr) = Proc::start_server("echo-server", &["--threads"]);
    let results = measure(
        "echo",
        addr,
        &["-c", "2", "-m", "100000000", "--duration-limit", "0.5"],
    );
    assert_eq!(results["partial"], true, "{results}");
    assert_eq!(number(&results, "errors"), 0, "{results}");
    assert!(number(&results, "round_trips") > 0, "{results}");
    let elapsed = results["elapsed_s"].as_f64().expect("elapsed");
    assert!((0.5..5.0).contains(&elapsed), "{results}");
}

#[test]
fn progress_lines_go_to_stderr_when_asked() {
    let (_server, addr) = Proc::start_server("echo-server", &["--threads"]);
    let port = addr.port().to_string();
    let finished = loadgen(&[
        "echo",
        "--port",
        &port,
        "-m",
        "100000000",
        "--duration-limit",
        "1.5",
        "--progress",
        "--json",
    ]);
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    let progress = finished.stderr.lines().next().unwrap_or_default();
    assert!(
        progress.starts_with("echo: 1/1 connected, ") && progress.contains(" round trips, "),
        "{finished:?}"
    );
    // Standard output stays clean JSON.
    serde_json::from_str::<Value>(&finished.stdout).expect("JSON on stdout");
}

/// A TCP "server" that answers the first message of each connection with half of it, then
/// hangs up: the peer vanishing mid-message.
fn half_answering_server() -> (SocketAddr, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream.set_read_timeout(Some(DEADLINE)).expect("deadline");
        let mut message = [0; 64];
        let length = stream.read(&mut message).expect("read");
        stream
            .write_all(&message[..length / 2])
            .expect("half an answer");
    });
    (addr, server)
}

#[test]
fn a_server_that_hangs_up_mid_answer_is_counted_not_fatal() {
    let (addr, server) = half_answering_server();
    let results = measure("echo", addr, &["-m", "3"]);
    server.join().expect("server thread");
    assert_eq!(number(&results, "round_trips"), 0, "{results}");
    assert_eq!(number(&results, "errors"), 1, "{results}");
    assert_eq!(
        results["error_kinds"]["round trip: the connection closed before all the data arrived"],
        1,
        "{}",
        error_kinds(&results)
    );
}

#[test]
fn ctrl_c_stops_the_run_and_prints_the_results_so_far() {
    let (mut server, addr) = Proc::start_server("echo-server", &["--threads"]);
    let port = addr.port().to_string();
    let load = Proc::spawn(
        "loadgen",
        &["echo", "--port", &port, "-m", "100000000", "--json"],
    );
    // loadgen listens for Ctrl-C before it connects, and the server says when it connected.
    // A second message arrives only after the first round trip was complete.
    server.wait_for("connected from");
    server.wait_for("received 64 bytes");
    server.wait_for("received 64 bytes");
    load.interrupt();
    let finished = load.finish();
    assert_eq!(finished.code(), Some(0), "{finished:?}");
    assert_eq!(
        finished.stderr,
        "Ctrl-C: stopping; the results so far follow (Ctrl-C again quits at once)\n"
    );
    let results: Value = serde_json::from_str(&finished.stdout).expect("JSON");
    assert_eq!(results["partial"], true, "{results}");
    assert!(number(&results, "round_trips") > 0, "{results}");
}

#[test]
fn chat_fan_out_reaches_every_other_client() {
    let (mut server, addr) = Proc::start_server("chat-server", &[]);
    let results = measure("chat", addr, &["-c", "5", "-k", "2", "-m", "10"]);
    assert_clean(&results);
    assert_eq!(number(&results, "connected"), 5);
    assert_eq!(number(&results, "sent"), 20);
    assert_eq!(number(&results, "expected"), 20 * 4);
    assert_eq!(number(&results, "delivered"), 80);
    assert_eq!(number(&results, "lost"), 0);
    assert_eq!(number(&results, "cut_off"), 0);
    assert_eq!(results["latency"]["count"], 80);
    server.wait_for("received from 127.0.0.1:");
}

#[test]
fn chat_counts_clients_the_full_room_turns_away() {
    let (_server, addr) = Proc::start_server("chat-server", &["--max-clients", "3"]);
    let results = measure("chat", addr, &["-c", "5", "-m", "4", "--rate", "200"]);
    assert_eq!(number(&results, "connected"), 3, "{results}");
    assert_eq!(number(&results, "errors"), 2, "{results}");
    let kinds = error_kinds(&results);
    assert!(
        kinds.contains("refused by the server: ! the room is full"),
        "{kinds}"
    );
    // The three who got in still hear each other.
    assert_eq!(number(&results, "expected"), 4 * 2, "{results}");
    assert_eq!(number(&results, "lost"), 0, "{results}");
}

/// A private folder in the system's temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!("loadgen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("scratch folder");
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn report_writes_both_pages_and_their_charts_from_saved_results() {
    let (_server, addr) = Proc::start_server("echo-server", &["--threads"]);
    let port = addr.port().to_string();
    let results = Scratch::new("results");
    let saved = loadgen(&[
        "echo",
        "--port",
        &port,
        "-c",
        "50",
        "-m",
        "5",
        "--json",
        "--label",
        "echo-server --threads",
    ]);
    assert_eq!(saved.code(), Some(0), "{saved:?}");
    std::fs::write(results.0.join("01-echo-threads-50.json"), &saved.stdout).expect("save");
    std::fs::write(
        results.0.join("02-async-10000.skip"),
        "mode=echo\nlabel=async-echo-server\nconnections=10000\nreason=open-file-limit\n\
         nofile=1024\nnofile_hard=4096\nneeded=10240\n",
    )
    .expect("save");
    std::fs::write(
        results.0.join("01-echo-threads-50.notes"),
        "mode=echo\nlabel=echo-server --threads\nconnections=50\n\
         said=accept failed: too many open files (×3)\nsaid=something else (×1)\n",
    )
    .expect("save");
    // One more run of the same, with strace's table of the server's system calls.
    let mut profile: Value = serde_json::from_str(&saved.stdout).expect("JSON");
    profile["round_trips"] = 200.into();
    std::fs::write(
        results.0.join("03-echo-syscalls.profile"),
        profile.to_string(),
    )
    .expect("save");
    std::fs::write(
        results.0.join("03-echo-syscalls.syscalls"),
        "% time     seconds  usecs/call     calls    errors syscall\n\
         ------ ----------- ----------- --------- --------- ----------------\n\
          60.00    0.006000          30       200           sendto\n\
          30.00    0.003000          15       200        12 recvfrom\n\
           5.00    0.000500           5       100           futex\n\
           5.00    0.000500           5       100           write\n\
         ------ ----------- ----------- --------- --------- ----------------\n\
         100.00    0.010000          16       600        12 total\n",
    )
    .expect("save");
    std::fs::write(
        results.0.join("04-chat-16-python.skip"),
        "mode=chat\nlabel=python3 scripts/bench/chat_room.py\nconnections=200\n\
         reason=no-python3\nin_flight=16\n",
    )
    .expect("save");
    std::fs::write(
        results.0.join("machine.txt"),
        "date=2026-05-01 10:00 UTC\ncpu=Test CPU\ncores=2\nquick=yes\n",
    )
    .expect("save");

    let out = Scratch::new("pages");
    let results_dir = results.0.to_string_lossy().into_owned();
    let out_dir = out.0.to_string_lossy().into_owned();
    let report = loadgen(&["report", "--results", &results_dir, "--out", &out_dir]);
    assert_eq!(report.code(), Some(0), "{report:?}");
    for file in [
        "en/bench.md",
        "zh/bench.md",
        "en/bench.svg",
        "zh/bench.svg",
        "en/bench-bulk.svg",
        "zh/bench-bulk.svg",
    ] {
        assert!(out.0.join(file).exists(), "{file} missing: {report:?}");
    }
    let en = std::fs::read_to_string(out.0.join("en/bench.md")).expect("page");
    assert!(en.contains("| CPU | Test CPU |"), "{en}");
    assert!(
        en.contains("| `echo-server --threads` | 50 | 5 × 64 | 50 | "),
        "{en}"
    );
    assert!(
        en.contains(
            "| `async-echo-server` | 10,000 | — | — | not run: the open-file limit is 1024 (hard \
             limit 4096), and 10,000 connections need 10,240; raise it with ulimit -Hn as root |"
        ),
        "{en}"
    );
    assert!(en.contains("**Quick run**"), "{en}");
    assert!(
        en.contains(
            "- `echo-server --threads` at 50 connections: `accept failed: too many open files \
             (×3)`; `something else (×1)`\n"
        ),
        "{en}"
    );
    assert!(
        en.contains("| round trips/s | server CPU per 1,000 |"),
        "{en}"
    );
    // strace's counts, per operation of the run they were counted in.
    assert!(
        en.contains(
            "| `echo-server --threads` | echo | 3.0 system calls per round trip (recvfrom 1.0, \
             sendto 1.0, futex 0.50, write 0.50) |"
        ),
        "{en}"
    );
    assert!(
        en.contains(
            "| `python3 scripts/bench/chat_room.py` | 200 | — | 16 | — | — | — | not run: python3 \
             is not installed here, so the Python baselines could not run |"
        ),
        "{en}"
    );
    let zh = std::fs::read_to_string(out.0.join("zh/bench.md")).expect("page");
    assert!(zh.contains("| CPU | Test CPU |"), "{zh}");
    assert!(
        zh.contains(
            "| `async-echo-server` | 10,000 | — | — | 未运行：打开文件数上限是 1024（硬上限 4096），\
             而 10,000 个连接需要 10,240；请以 root 身份用 ulimit -Hn 提高它 |"
        ),
        "{zh}"
    );
    let svg = std::fs::read_to_string(out.0.join("en/bench.svg")).expect("chart");
    assert!(
        svg.starts_with("<svg ") && svg.contains("50 connections"),
        "{svg}"
    );

    let missing = loadgen(&["report", "--results", "/no/such/folder", "--out", &out_dir]);
    assert_eq!(missing.code(), Some(1), "{missing:?}");
    assert_eq!(missing.stderr.lines().count(), 1, "{missing:?}");
}

/// A results folder as scripts/bench.sh leaves it, small: one run, and one scenario that could
/// not run for each reason the script names, in the format it writes (`skip` in the script).
fn small_results_folder(folder: &std::path::Path) {
    let run = serde_json::json!({
        "mode": "echo", "label": "echo-server --threads --quiet", "target": "127.0.0.1:1",
        "connections": 50, "messages": 10, "size": 64, "expect": "same", "connected": 50,
        "connect_s": 0.1, "round_trips": 500, "messages_per_s": 12345.6,
        "latency": {"count": 500, "mean_us": 90.0, "p50_us": 80.0, "p99_us": 300.0,
                    "p999_us": 900.0, "max_us": 1500.0},
        "cpu": null, "elapsed_s": 1.0, "partial": false, "errors": 0, "error_kinds": {}
    });
    let files = [
        ("01-echo-50.json", run.to_string()),
        (
            "02-echo-50-python.skip",
            "mode=echo\nlabel=python3 scripts/bench/echo_server.py\nconnections=50\n\
             reason=no-python3\n"
                .into(),
        ),
        (
            "03-echo-10000-async.skip",
            "mode=echo\nlabel=async-echo-server --quiet\nconnections=10000\n\
             reason=open-file-limit\nnofile=1024\nnofile_hard=1024\nneeded=10240\n"
                .into(),
        ),
        (
            "04-echo-10000-threads.skip",
            "mode=echo\nlabel=echo-server --threads --quiet\nconnections=10000\n\
             reason=process-limit\nnproc=2048\n"
                .into(),
        ),
        (
            "05-udp-50.skip",
            "mode=udp\nlabel=udp-server\nconnections=50\nreason=loadgen-failed\n\
             error=error: cannot connect to 127.0.0.1:9: connection refused\n"
                .into(),
        ),
        (
            "machine.txt",
            "date=2026-05-01 10:00 UTC\ncpu=Test CPU\ncores=2\nquick=no\nnofile=1024\n".into(),
        ),
    ];
    for (name, text) in files {
        std::fs::write(folder.join(name), text).expect("save");
    }
}

#[test]
fn report_words_every_reason_code_in_both_languages() {
    let results = Scratch::new("reasons");
    small_results_folder(&results.0);
    let out = Scratch::new("reason-pages");
    let results_dir = results.0.to_string_lossy().into_owned();
    let out_dir = out.0.to_string_lossy().into_owned();
    let report = loadgen(&["report", "--results", &results_dir, "--out", &out_dir]);
    assert_eq!(report.code(), Some(0), "{report:?}");
    let page =
        |lang: &str| std::fs::read_to_string(out.0.join(lang).join("bench.md")).expect("page");
    let (en, zh) = (page("en"), page("zh"));
    for words in [
        "not run: python3 is not installed here, so the Python baselines could not run |",
        "not run: the open-file limit is 1024 (hard limit 1024), and 10,000 connections need \
         10,240; raise it with ulimit -Hn as root |",
        "not run: the process limit (ulimit -u) is 2048, and a thread per connection needs \
         10,000 threads |",
        "not run: loadgen failed: error: cannot connect to 127.0.0.1:9: connection refused |",
        "— not measured: Not run: the open-file limit is 1024",
        "| `echo-server --threads --quiet` | 50 | 10 × 64 | 50 | 12,346 | — | 80 µs | 300 µs \
         | 900 µs | 1.50 ms | 0 |",
    ] {
        assert!(en.contains(words), "{words}\n{en}");
    }
    for words in [
        "未运行：这台机器没有安装 python3，所以 Python 基准无法运行 |",
        "未运行：打开文件数上限是 1024（硬上限 1024），而 10,000 个连接需要 10,240；请以 root \
         身份用 ulimit -Hn 提高它 |",
        "未运行：进程数上限（ulimit -u）是 2048，而每个连接一个线程需要 10,000 个线程 |",
        "未运行：loadgen 失败：error: cannot connect to 127.0.0.1:9: connection refused |",
    ] {
        assert!(zh.contains(words), "{words}\n{zh}");
    }
    // The script names every reason the report words (and no other: see the unit tests).
    let script = std::fs::read_to_string(testkit::workspace_root().join("scripts/bench.sh"))
        .expect("scripts/bench.sh");
    for code in [
        "no-python3",
        "open-file-limit",
        "process-limit",
        "loadgen-failed",
    ] {
        assert!(script.contains(code), "scripts/bench.sh never names {code}");
    }
    assert!(
        !script.contains("reason_zh"),
        "the script words no reason itself"
    );

    // A reason the report does not know is one clear error, not a page with a hole in it.
    std::fs::write(
        results.0.join("06-bad.skip"),
        "mode=echo\nlabel=x\nconnections=1\nreason=python3 is not installed\n",
    )
    .expect("save");
    let bad = loadgen(&["report", "--results", &results_dir, "--out", &out_dir]);
    assert_eq!(bad.code(), Some(1), "{bad:?}");
    assert!(
        bad.stderr
            .contains("06-bad.skip: 'python3 is not installed' is not a reason loadgen knows"),
        "{bad:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The bench's own servers, CPU per operation and --in-flight

/// A server started by the test itself (the bench's reference echo server, a Python baseline),
/// on a free port; killed when dropped, so a failing test leaves nothing running.
struct Baseline {
    child: std::process::Child,
    addr: SocketAddr,
    /// Its standard output, line by line, read on a thread so it never blocks on a full pipe.
    lines: std::sync::mpsc::Receiver<String>,
}

impl Baseline {
    /// Starts `program args --port 0` and waits for its first line, `listening on [udp] ADDR`.
    fn start(program: &std::path::Path, args: &[&str]) -> Baseline {
        use std::io::BufRead;
        let mut child = std::process::Command::new(program)
            .args(args)
            .args(["--port", "0"])
            .current_dir(testkit::workspace_root())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", program.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = std::sync::mpsc::channel();
        thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut started = Baseline {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            lines,
        };
        let first = started
            .lines
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|_| panic!("{}: no first line", program.display()));
        started.addr = first
            .strip_prefix("listening on ")
            .and_then(|rest| rest.rsplit(' ').next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("{}: first line is {first:?}", program.display()));
        started
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Ctrl-C (SIGINT), then the exit code, waiting at most the deadline.
    fn interrupt(mut self) -> Option<i32> {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.pid()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let deadline = std::time::Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            assert!(std::time::Instant::now() < deadline, "no exit after Ctrl-C");
            thread::sleep(std::time::Duration::from_millis(10)); // polling for exit only
        }
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bench's reference echo server, a second program of the loadgen package.
fn reference_echo() -> PathBuf {
    let loadgen = testkit::binary("loadgen"); // builds every program of the package
    loadgen.with_file_name(format!("reference-echo{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn the_reference_echo_server_sends_back_every_byte() {
    let server = Baseline::start(&reference_echo(), &[]);
    let mut stream = std::net::TcpStream::connect(server.addr).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("time-out");
    let every_byte: Vec<u8> = (0..=255).collect();
    stream.write_all(&every_byte).expect("send");
    let mut answer = vec![0; every_byte.len()];
    stream.read_exact(&mut answer).expect("the same bytes back");
    assert_eq!(answer, every_byte);

    let bulk = measure("bulk", server.addr, &["-c", "2", "-b", "4M"]);
    assert_clean(&bulk);
    assert_eq!(number(&bulk, "bytes_verified"), 8 << 20);
    assert_eq!(server.interrupt(), Some(0), "Ctrl-C ends it with 0");
}

#[test]
fn cpu_per_operation_appears_in_the_json_when_a_pid_is_given() {
    let server = Baseline::start(&reference_echo(), &[]);
    let pid = server.pid();
    let results = measure(
        "echo",
        server.addr,
        &["-c", "4", "-m", "200", "--server-pid", &pid],
    );
    assert_clean(&results);
    let cpu = &results["cpu"];
    assert_eq!(cpu["pid"].to_string(), pid, "{results}");
    assert_eq!(cpu["operation"], "round trip", "{results}");
    assert_eq!(cpu["operations"], 800.0, "{results}");
    if std::path::Path::new("/proc/self/stat").exists() {
        let seconds = cpu["server_s"].as_f64().expect("server seconds");
        let per_1000 = cpu["server_per_1000_s"].as_f64().expect("per 1,000");
        assert!(seconds >= 0.0 && (per_1000 - seconds * 1000.0 / 800.0).abs() < 1e-9);
        assert!(cpu["loadgen_s"].as_f64().is_some(), "{results}");
        assert_eq!(cpu["unavailable"], Value::Null, "{results}");
    } else {
        assert!(cpu["unavailable"].as_str().is_some(), "{results}");
    }
    let text = loadgen(&[
        "echo",
        "--port",
        &server.addr.port().to_string(),
        "-m",
        "10",
        "--server-pid",
        &pid,
    ]);
    assert!(text.stdout.contains("\nserver CPU  "), "{text:?}");

    // Without --server-pid: no CPU; a pid that is not running: a reason, not a number.
    let without = measure("echo", server.addr, &["-m", "5"]);
    assert_eq!(without["cpu"], Value::Null, "{without}");
    let gone = measure(
        "echo",
        server.addr,
        &["-m", "5", "--server-pid", "999999999"],
    );
    assert_eq!(gone["cpu"]["server_s"], Value::Null, "{gone}");
    assert!(gone["cpu"]["unavailable"].as_str().is_some(), "{gone}");
}

/// A chat "server" that greets every client and counts the lines it receives, but never
/// forwards one: nothing ever arrives, so a sender with --in-flight N must stop at N lines.
/// Each client's count comes out on the channel when the client leaves.
fn silent_chat_server() -> (SocketAddr, std::sync::mpsc::Receiver<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let (counts, counted) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for _ in 0..2 {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let counts = counts.clone();
            thread::spawn(move || {
                stream.set_read_timeout(Some(DEADLINE)).expect("deadline");
                stream.write_all(b"welcome\n").expect("greet");
                let mut received = Vec::new();
                let _ = stream.read_to_end(&mut received); // until loadgen leaves
                let lines = received.iter().filter(|&&byte| byte == b'\n').count();
                let _ = counts.send(lines);
            });
        }
    });
    (addr, counted)
}

#[test]
fn in_flight_bounds_the_lines_on_their_way() {
    // Nothing arrives: the one sender sends 3 lines, waits, and gives up after --timeout.
    let (addr, counted) = silent_chat_server();
    let results = measure(
        "chat",
        addr,
        &[
            "-c",
            "2",
            "-k",
            "1",
            "-m",
            "10",
            "--in-flight",
            "3",
            "--timeout",
            "0.5",
            "--drain",
            "0.1",
        ],
    );
    assert_eq!(number(&results, "sent"), 3, "{results}");
    assert_eq!(number(&results, "max_in_flight"), 3, "{results}");
    assert_eq!(
        results["error_kinds"]["in flight: no line reached the watching client in time"], 1,
        "{results}"
    );
    let mut lines: Vec<usize> = (0..2)
        .map(|_| counted.recv_timeout(DEADLINE).expect("a count"))
        .collect();
    lines.sort_unstable();
    assert_eq!(lines, [0, 3], "the server received exactly 3 lines");

    // The real room: lines arrive, and never more than 2 of a sender's are on their way.
    let (_server, addr) = Proc::start_server("chat-server", &[]);
    let results = measure(
        "chat",
        addr,
        &["-c", "4", "-k", "2", "-m", "30", "--in-flight", "2"],
    );
    assert_clean(&results);
    assert_eq!(number(&results, "lost"), 0, "{results}");
    assert_eq!(results["in_flight"], 2, "{results}");
    let most = number(&results, "max_in_flight");
    assert!((1..=2).contains(&most), "{results}");
}

/// `python3`, if this machine has it.
fn python() -> Option<PathBuf> {
    let found = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()
        .filter(|output| output.status.success())?;
    let path = String::from_utf8(found.stdout).ok()?;
    Some(PathBuf::from(path.trim()))
}

#[test]
fn the_python_baselines_speak_like_the_rust_servers() {
    let python = python();
    if !testkit::can_run("python3", python.is_some(), "python3 is not installed") {
        return;
    }
    let Some(python) = python else { return };
    let script = |name: &str| format!("scripts/bench/{name}");

    let echo = Baseline::start(&python, &[&script("echo_server.py")]);
    let results = measure("echo", echo.addr, &["-c", "5", "-m", "50", "-s", "1000"]);
    assert_clean(&results);
    assert_eq!(number(&results, "round_trips"), 250);
    let bulk = measure("bulk", echo.addr, &["-b", "2M"]);
    assert_clean(&bulk);
    assert_eq!(echo.interrupt(), Some(0), "Ctrl-C ends it with 0");

    // The room greets with a line, prefixes every line with its sender's name, and sends it
    // to everyone else: what loadgen checks.
    let chat = Baseline::start(&python, &[&script("chat_room.py")]);
    let results = measure(
        "chat",
        chat.addr,
        &["-c", "6", "-k", "3", "-m", "40", "--in-flight", "4"],
    );
    assert_clean(&results);
    assert_eq!(number(&results, "delivered"), 3 * 40 * 5, "{results}");
    assert_eq!(number(&results, "cut_off"), 0, "{results}");
    assert_eq!(chat.interrupt(), Some(0));

    // The tutorial's UDP server: a line printed per datagram, and its fixed answer.
    let mut udp = Baseline::start(&python, &[&script("udp_server.py")]);
    let results = measure("udp", udp.addr, &["-c", "2", "-m", "10"]);
    assert_clean(&results);
    assert_eq!(number(&results, "answered"), 20);
    assert_eq!(
        testkit::tutorials::udp_exchange(udp.addr, "你好"),
        testkit::tutorials::UDP_ANSWER
    );
    let lines = std::mem::replace(&mut udp.lines, std::sync::mpsc::channel().1);
    assert_eq!(udp.interrupt(), Some(0));
    let printed: Vec<String> = lines.try_iter().collect();
    assert!(
        printed.iter().any(|line| line.ends_with("的数据: 你好")),
        "{printed:?}"
    );
}

#[test]
fn chat_reads_the_servers_threads_memory_and_join_cpu() {
    // The non-blocking lesson's server: one thread for every client, however many join.
    let (server, addr) = Proc::start_server("poll-chat-server", &["--quiet"]);
    let pid = server.pid().to_string();
    let results = measure(
        "chat",
        addr,
        &["-c", "40", "-k", "2", "-m", "5", "--server-pid", &pid],
    );
    assert_clean(&results);
    let (memory, joins) = (&results["memory"], &results["join_cpu"]);
    assert_eq!(memory["clients"], 40, "{results}");
    assert_eq!(joins["operation"], "join", "{results}");
    assert_eq!(joins["operations"], 40.0, "{results}");
    if std::path::Path::new("/proc/self/status").exists() {
        let threads = |field: &str| memory[field].as_u64().expect("threads");
        assert_eq!(threads("threads_connected"), threads("threads_before"));
        assert!(threads("threads_connected") <= 4, "{results}");
        assert!(memory["rss_per_client_kib"].as_f64().is_some(), "{results}");
    } else {
        assert!(memory["unavailable"].as_str().is_some(), "{results}");
    }
    let text = loadgen(&[
        "chat",
        "--port",
        &addr.port().to_string(),
        "-c",
        "5",
        "--server-pid",
        &pid,
    ]);
    assert!(
        text.stdout.contains("\njoin CPU    ") && text.stdout.contains("\nserver mem  "),
        "{text:?}"
    );
}
