//! The TLS lesson page's transcripts (`docs/en/09-tls.md`), each from a real run of the real
//! programs, and the claims the page makes about what the tap sees.
//!
//! What changes from run to run is masked, and the page says so: the ports (the server's shown
//! as the lesson's 9443, a client's as `PORT`), the temporary folder the certificates were made
//! in (shown as the current folder, where `cargo run` makes them), the expiry date that
//! `--make-certs` prints, and the tap's times.

use std::net::SocketAddr;
use std::process::Command;

use testkit::TempDir;
use testkit::tls::{TestCa, Validity, cert, lesson_certs};
use testkit::{Finished, Proc, check_transcript, mask_ports, run};

const PAGE: &str = "docs/en/09-tls.md";

/// The lesson's port, which the page shows in place of the free port a test gets.
const SHOWN_PORT: u16 = 9443;

/// The date the page shows after `valid until` (a real run prints a year from today).
const SHOWN_DATE: &str = "2026-09-01";

/// `text` as the page shows it: paths in `dir` relative to it, the server's port as 9443,
/// other ports as `PORT`, the expiry date fixed.
fn shown(text: &str, dir: &TempDir, server: SocketAddr) -> String {
    let prefix = format!("{}/", dir.path().display());
    let text = mask_ports(&text.replace(&prefix, ""), server.port(), SHOWN_PORT);
    mask_date(&text)
}

/// Replaces the date after `valid until ` (YYYY-MM-DD) with [`SHOWN_DATE`].
fn mask_date(text: &str) -> String {
    const BEFORE: &str = "valid until ";
    let Some(at) = text.find(BEFORE) else {
        return text.to_string();
    };
    let start = at + BEFORE.len();
    let date = &text[start..start + SHOWN_DATE.len()];
    let shape: String = date
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    assert_eq!(shape, "dddd-dd-dd", "a date after 'valid until': {text}");
    format!(
        "{}{SHOWN_DATE}{}",
        &text[..start],
        &text[start + SHOWN_DATE.len()..]
    )
}

/// What a terminal shows for a finished program: its output, then its error line.
fn as_seen(finished: &Finished) -> String {
    format!("{}{}", finished.stdout, finished.stderr)
}

/// Starts tls-echo-server with the lesson's certificates in `certs` and `extra` options.
fn start(certs: &TempDir, extra: &[&str]) -> (Proc, SocketAddr) {
    let (server_cert, server_key) = (cert(certs, "server.pem"), cert(certs, "server-key.pem"));
    let mut args = vec!["--cert", &server_cert, "--key", &server_key];
    args.extend_from_slice(extra);
    Proc::start_server("tls-echo-server", &args)
}

/// Runs tls-echo-client against `addr`, trusting the CA in `certs` unless `extra` names
/// another `--ca`.
fn client(certs: &TempDir, addr: SocketAddr, extra: &[&str], stdin: &[u8]) -> Finished {
    let (port, ca) = (addr.port().to_string(), cert(certs, "ca.pem"));
    let mut args = vec!["--port", &port];
    if !extra.contains(&"--ca") {
        args.extend(["--ca", &ca]);
    }
    args.extend_from_slice(extra);
    run("tls-echo-client", &args, stdin)
}

/// Stops a server with Ctrl-C and returns its log as the page shows it, after `command`: `^C`
/// where it was pressed, after the lines the server had printed by then.
fn server_log(server: Proc, command: &str) -> String {
    let before = server.seen().len();
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    let mut lines: Vec<&str> = stopped.stdout.lines().collect();
    assert_eq!(lines.last(), Some(&"server stopped"), "{stopped:?}");
    lines.insert(before, "^C");
    format!("$ {command}\n{}\n", lines.join("\n"))
}

/// Runs a program to its end in `dir`, as a student runs it in the workspace folder.
fn run_in(dir: &TempDir, package: &str, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(testkit::binary(package))
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("run the program");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

#[test]
fn the_page_shows_make_certs_and_the_server_without_them() {
    let dir = TempDir::new("page-make-certs");
    let (code, without) = run_in(&dir, "tls-echo-server", &["--port", "0"]);
    assert_eq!(code, Some(7), "{without}");
    check_transcript(
        PAGE,
        "no-certs",
        &format!("$ cargo run -p tls-echo-server\n{without}"),
    );
    let (code, made) = run_in(&dir, "tls-echo-server", &["--make-certs"]);
    assert_eq!(code, Some(0), "{made}");
    check_transcript(
        PAGE,
        "make-certs",
        &mask_date(&format!(
            "$ cargo run -p tls-echo-server -- --make-certs\n{made}"
        )),
    );
}

#[test]
fn the_page_shows_a_first_session_and_one_message() {
    let certs = lesson_certs("page-session");
    let (mut server, addr) = start(&certs, &[]);
    let session = client(&certs, addr, &[], "hello\n你好\nq\n".as_bytes());
    assert_eq!(session.code(), Some(0), "{session:?}");
    server.wait_for(" left");
    let message = client(&certs, addr, &["--message", "hello socket"], b"");
    assert_eq!(message.code(), Some(0), "{message:?}");
    server.wait_for(" left");
    check_transcript(
        PAGE,
        "first-session-client",
        &shown(
            &format!(
                "$ printf 'hello\\n你好\\nq\\n' | cargo run -p tls-echo-client\n{}",
                session.stdout
            ),
            &certs,
            addr,
        ),
    );
    check_transcript(
        PAGE,
        "message",
        &format!(
            "$ cargo run -p tls-echo-client -- --message 'hello socket'\n{}",
            message.stdout
        ),
    );
    let log = server_log(server, "cargo run -p tls-echo-server");
    check_transcript(PAGE, "first-session-server", &shown(&log, &certs, addr));
}

/// Mutual TLS: a client without a certificate is refused at once with `--message`, and after
/// its `connected` line when it talks (TLS 1.3: the server judges the client's certificate
/// after the client has finished its half of the handshake); with one, it is served.
#[test]
fn the_page_shows_mutual_tls_refusing_and_serving() {
    let certs = lesson_certs("page-mtls");
    let ca = cert(&certs, "ca.pem");
    let (mut server, addr) = start(&certs, &["--client-ca", &ca]);

    let refused = client(&certs, addr, &["--message", "hi"], b"");
    assert_eq!(refused.code(), Some(7), "{refused:?}");
    server.wait_for("TLS handshake with");
    let talking = client(&certs, addr, &[], b"hello\n");
    assert_eq!(talking.code(), Some(7), "{talking:?}");
    assert!(talking.stdout.starts_with("connected to "), "{talking:?}");
    server.wait_for("TLS handshake with");
    let (client_cert, client_key) = (cert(&certs, "client.pem"), cert(&certs, "client-key.pem"));
    let served = client(
        &certs,
        addr,
        &[
            "--cert",
            &client_cert,
            "--key",
            &client_key,
            "--message",
            "who am i",
        ],
        b"",
    );
    assert_eq!(served.code(), Some(0), "{served:?}");
    server.wait_for(" left");

    let clients = format!(
        "$ cargo run -p tls-echo-client -- --message hi\n{}\
         $ printf 'hello\\n' | cargo run -p tls-echo-client\n{}\
         $ cargo run -p tls-echo-client -- --cert certs/client.pem --key certs/client-key.pem \
         --message 'who am i'\n{}",
        as_seen(&refused),
        as_seen(&talking),
        as_seen(&served)
    );
    check_transcript(PAGE, "mutual-tls-clients", &shown(&clients, &certs, addr));
    let log = server_log(
        server,
        "cargo run -p tls-echo-server -- --client-ca certs/ca.pem",
    );
    check_transcript(PAGE, "mutual-tls-server", &shown(&log, &certs, addr));
}

#[test]
fn the_page_shows_an_address_outside_allow_closed() {
    let certs = lesson_certs("page-allow");
    let (mut server, addr) = start(&certs, &["--allow", "10.0.0.0/8", "--allow", "::1"]);
    let refused = client(&certs, addr, &["--message", "hi"], b"");
    assert_eq!(refused.code(), Some(7), "{refused:?}");
    server.wait_for("refused ");
    check_transcript(
        PAGE,
        "allow-client",
        &shown(
            &format!(
                "$ cargo run -p tls-echo-client -- --message hi\n{}",
                as_seen(&refused)
            ),
            &certs,
            addr,
        ),
    );
    let log = server_log(
        server,
        "cargo run -p tls-echo-server -- --allow 10.0.0.0/8 --allow ::1",
    );
    check_transcript(PAGE, "allow-server", &shown(&log, &certs, addr));
}

/// The mistakes of the page's "When it goes wrong", one server, one client after another.
#[test]
fn the_page_shows_the_errors_a_student_will_hit() {
    let certs = lesson_certs("page-errors");
    let (mut server, addr) = start(&certs, &[]);
    let port = addr.port().to_string();

    // Lesson 1's plain client: its "hello" is no TLS record; what comes back is an alert.
    let plain = run(
        "echo-client",
        &["--port", &port, "--timeout", "5"],
        b"hello\n",
    );
    assert_eq!(plain.code(), Some(0), "{plain:?}");
    server.wait_for("TLS handshake with");

    // A CA from another --make-certs: a second set in certs2/.
    let made = run(
        "tls-echo-server",
        &["--make-certs", &certs.file("certs2")],
        b"",
    );
    assert_eq!(made.code(), Some(0), "{made:?}");
    let other_ca = certs.file("certs2/ca.pem");
    let other = client(&certs, addr, &["--ca", &other_ca, "--message", "hi"], b"");
    assert_eq!(other.code(), Some(7), "{other:?}");
    server.wait_for("TLS handshake with");

    let name = client(
        &certs,
        addr,
        &["--server-name", "example.com", "--message", "hi"],
        b"",
    );
    assert_eq!(name.code(), Some(7), "{name:?}");
    server.wait_for("TLS handshake with");

    let clients = format!(
        "$ printf 'hello\\n' | cargo run -p echo-client -- --port 9443\n{}\
         $ cargo run -p tls-echo-client -- --ca certs2/ca.pem --message hi\n{}\
         $ echo $?\n{}\n\
         $ cargo run -p tls-echo-client -- --server-name example.com --message hi\n{}",
        as_seen(&plain),
        as_seen(&other),
        other.code().expect("an exit code"),
        as_seen(&name)
    );
    check_transcript(PAGE, "errors-client", &shown(&clients, &certs, addr));
    let log = server_log(server, "cargo run -p tls-echo-server");
    check_transcript(PAGE, "errors-server", &shown(&log, &certs, addr));
}

/// The TLS client against lesson 1's plain echo server, and against a server whose
/// certificate expired (made here: `--make-certs` makes none that old).
#[test]
fn the_page_shows_a_plain_server_and_an_expired_certificate() {
    let certs = lesson_certs("page-plain-server");
    let (_plain, plain_addr) = Proc::start_server("echo-server", &[]);
    let plain = client(&certs, plain_addr, &["--message", "hi"], b"");
    assert_eq!(plain.code(), Some(7), "{plain:?}");

    let dir = TempDir::new("page-expired");
    let (ca, expired, key) = TestCa::new().write(
        &dir,
        "old",
        &["localhost", "127.0.0.1"],
        false,
        Validity::Expired,
    );
    let (_server, addr) =
        Proc::start_server("tls-echo-server", &["--cert", &expired, "--key", &key]);
    let refused = client(&certs, addr, &["--ca", &ca, "--message", "hi"], b"");
    assert_eq!(refused.code(), Some(7), "{refused:?}");

    let text = format!(
        "$ cargo run -p tls-echo-client -- --port 9001 --message hi\n{}\
         $ cargo run -p tls-echo-client -- --message hi\n{}",
        as_seen(&plain),
        as_seen(&refused)
    );
    let text = mask_ports(&text, plain_addr.port(), 9001);
    check_transcript(
        PAGE,
        "plain-server-and-expired",
        &shown(&text, &certs, addr),
    );
}

/// Ctrl-C in the server while a client is connected: the Ctrl-C handler shuts the socket down
/// both ways to end the server's blocked read, so no TLS close_notify can follow, and the
/// client says so at the next line it sends.
#[test]
fn the_page_shows_ctrl_c_while_a_client_is_connected() {
    let certs = lesson_certs("page-ctrl-c");
    let (mut server, addr) = start(&certs, &[]);
    let (port, ca) = (addr.port().to_string(), cert(&certs, "ca.pem"));
    let mut talking = Proc::spawn("tls-echo-client", &["--port", &port, "--ca", &ca]);
    talking.write_stdin(b"hello\n");
    talking.wait_for("收到");
    server.wait_for("received ");
    let log = server_log(server, "cargo run -p tls-echo-server");
    check_transcript(PAGE, "ctrl-c-server", &shown(&log, &certs, addr));
    talking.write_stdin(b"anyone there?\n");
    let stopped = talking.finish();
    assert_eq!(stopped.code(), Some(1), "{stopped:?}");
    assert_eq!(
        stopped.stderr,
        "error: no complete reply from the server: the connection closed before all the data \
         arrived\n"
    );
}

// -------------------------------------------------------------------------------------------
// The tap between client and server

/// Every time in a tap line (`+0.000264s`, `after 0.001135s`) as `0.000000s`: times change
/// from run to run.
fn mask_times(text: &str) -> String {
    let time = |word: &str| {
        word.strip_suffix('s')
            .and_then(|number| number.split_once('.'))
            .is_some_and(|(whole, part)| {
                !whole.is_empty()
                    && whole.chars().all(|c| c.is_ascii_digit())
                    && part.len() == 6
                    && part.chars().all(|c| c.is_ascii_digit())
            })
    };
    text.lines()
        .map(|line| {
            let words: Vec<String> = line
                .split(' ')
                .map(|word| match word.strip_prefix('+') {
                    Some(rest) if time(rest) => "+0.000000s".to_string(),
                    None if time(word) => "0.000000s".to_string(),
                    _ => word.to_string(),
                })
                .collect();
            words.join(" ") + "\n"
        })
        .collect()
}

/// The message the page sends through the tap.
const SECRET: &str = "my password is hunter2";

/// Runs `client` through a tap in front of `server` (started with `args`); returns the tap's
/// stopped log, the server's and the tap's addresses.
fn tapped(
    server: &str,
    args: &[&str],
    client: impl FnOnce(u16) -> Finished,
) -> (Finished, SocketAddr, SocketAddr) {
    let (_server, addr) = Proc::start_server(server, args);
    let to = addr.to_string();
    let (mut tap, tap_addr) = Proc::start_server("wiretap", &["--to", &to]);
    let session = client(tap_addr.port());
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(session.stdout, format!("Received b'{SECRET}'\n"));
    tap.wait_for(" closed after ");
    tap.interrupt();
    let stopped = tap.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    (stopped, addr, tap_addr)
}

#[test]
fn the_page_shows_the_tap_reading_plain_echo() {
    let (stopped, addr, tap) = tapped("echo-server", &[], |port| {
        run(
            "echo-client",
            &["--port", &port.to_string(), "--message", SECRET],
            b"",
        )
    });
    let log = stopped
        .stdout
        .strip_suffix("server stopped\n")
        .expect("the last line");
    let log = log.replace(&tap.to_string(), "127.0.0.1:TAP");
    let log = mask_ports(&log, addr.port(), 9001).replace("127.0.0.1:TAP", "127.0.0.1:9100");
    let text = format!("$ cargo run -p wiretap -- --to 127.0.0.1:9001\n{log}^C\nserver stopped\n");
    check_transcript(PAGE, "tap-plain", &mask_times(&text));
}

/// The page shows one run of the tap in front of the TLS server, not a checked transcript:
/// every byte differs from run to run. What it says about that run is checked here: the
/// message is nowhere; the first bytes each way are handshake records (type 0x16); the
/// message travels as an application-data record (type 0x17) of 22 + 17 = 39 bytes (`\x00'`),
/// each way.
#[test]
fn the_tap_shows_tls_records_and_never_the_message() {
    let certs = lesson_certs("page-tap");
    let (server_cert, server_key) = (cert(&certs, "server.pem"), cert(&certs, "server-key.pem"));
    let (stopped, _, _) = tapped(
        "tls-echo-server",
        &["--cert", &server_cert, "--key", &server_key],
        |port| {
            let ca = cert(&certs, "ca.pem");
            run(
                "tls-echo-client",
                &[
                    "--port",
                    &port.to_string(),
                    "--ca",
                    &ca,
                    "--message",
                    SECRET,
                ],
                b"",
            )
        },
    );
    let log = stopped.stdout;
    assert!(!log.contains("hunter2"), "{log}");
    let reads = |direction: &str| -> Vec<&str> {
        log.lines()
            .filter(|line| line.contains(direction) && line.contains(" bytes: "))
            .collect()
    };
    let (sent, received) = (reads("client -> server"), reads("server -> client"));
    assert!(sent[0].contains(r#"bytes: "\x16\x03\x01"#), "{log}");
    assert!(received[0].contains(r#"bytes: "\x16\x03\x03"#), "{log}");
    for direction in [&sent, &received] {
        assert!(
            direction
                .iter()
                .any(|line| line.contains(r"\x17\x03\x03\x00'")),
            "a 39-byte application-data record each way: {log}"
        );
    }
}
