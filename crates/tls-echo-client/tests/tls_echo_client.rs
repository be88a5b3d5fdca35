//! End-to-end tests of tls-echo-client: the real binary against the real tls-echo-server,
//! against lesson 1's plain echo-server, against servers that misbehave, against a Python
//! `ssl` server, and seen through lesson 7's wiretap.

use std::net::SocketAddr;

use testkit::TempDir;
use testkit::has_python3;
use testkit::tls::{TestCa, Validity, cert, lesson_certs};
use testkit::{
    DEADLINE, Finished, Input, Proc, Running, check_help, check_refused, check_unknown_host,
    misbehaving_server, run,
};

/// Starts tls-echo-server with the certificates in `certs`.
fn start_server(certs: &TempDir, extra: &[&str]) -> (Proc, SocketAddr) {
    let (server_cert, server_key) = (cert(certs, "server.pem"), cert(certs, "server-key.pem"));
    let mut args = vec!["--cert", &server_cert, "--key", &server_key];
    args.extend_from_slice(extra);
    Proc::start_server("tls-echo-server", &args)
}

/// Runs the client against port `port`, trusting `ca`, with `stdin` piped.
fn client(ca: &str, port: u16, extra: &[&str], stdin: &[u8]) -> Finished {
    let port = port.to_string();
    let mut args = vec!["--port", &port, "--ca", ca];
    args.extend_from_slice(extra);
    run("tls-echo-client", &args, stdin)
}

#[test]
fn message_prints_the_reply_like_tutorial_000_and_the_server_sees_a_goodbye() {
    let certs = lesson_certs("message");
    let (mut server, addr) = start_server(&certs, &[]);
    let ca = cert(&certs, "ca.pem");
    let sent = client(&ca, addr.port(), &["--message", "hello socket"], b"");
    assert_eq!(sent.code(), Some(0), "{sent:?}");
    assert_eq!(sent.stdout, "Received b'hello socket'\n");
    let left = server.wait_for(" left");
    assert!(left.ends_with(" left"), "close_notify was sent: {left}");
}

#[test]
fn a_line_of_4_mib_comes_back_whole_it_does_not_deadlock() {
    let certs = lesson_certs("long");
    let (_server, addr) = start_server(&certs, &["--quiet"]);
    let long_line = "0123456789abcdef".repeat(256 * 1024);
    let ca = cert(&certs, "ca.pem");
    let session = client(&ca, addr.port(), &[], format!("{long_line}\n").as_bytes());
    assert_eq!(session.code(), Some(0), "{}", session.stderr);
    assert!(
        session
            .stdout
            .ends_with(&format!("收到服务器响应: {long_line}\n")),
        "the whole line came back"
    );
}

#[test]
fn bytes_that_are_not_utf8_come_back_intact_and_print_as_a_replacement_character() {
    let certs = lesson_certs("bytes");
    let (mut server, addr) = start_server(&certs, &[]);
    let session = client(&cert(&certs, "ca.pem"), addr.port(), &[], b"caf\xe9\n");
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert!(
        session.stdout.ends_with("收到服务器响应: caf\u{fffd}\n"),
        "{}",
        session.stdout
    );
    let logged = server.wait_for("received 4 bytes");
    assert!(logged.ends_with(": \"caf\u{fffd}\""), "{logged}");
}

#[test]
fn the_plain_echo_server_is_named_as_not_speaking_tls() {
    let certs = lesson_certs("plain-server");
    // Lesson 1's echo-server sends our TLS hello straight back: no server hello, no certificate.
    let (_server, addr) = Proc::start_server("echo-server", &[]);
    let failed = client(
        &cert(&certs, "ca.pem"),
        addr.port(),
        &["--message", "hi"],
        b"",
    );
    assert_eq!(failed.code(), Some(7), "{failed:?}");
    assert_eq!(
        failed.stderr,
        "error: the server does not speak TLS: its answer is not a TLS handshake; is it a plain \
         TCP server, such as echo-server? Its TLS twin is tls-echo-server\n"
    );
}

#[test]
fn a_server_that_never_answers_the_hello_times_out_with_exit_code_6() {
    let certs = lesson_certs("silent-server");
    // Reads our hello, and answers nothing, as a plain server waiting for a line would.
    let (addr, server) = misbehaving_server(|stream| {
        let mut hello = [0; 1];
        let _ = std::io::Read::read(&mut &stream, &mut hello);
        let _ = std::io::Read::read_to_end(&mut &stream, &mut Vec::new());
    });
    let ca = cert(&certs, "ca.pem");
    let waited = client(
        &ca,
        addr.port(),
        &["--message", "hi", "--timeout", "0.3"],
        b"",
    );
    assert_eq!(waited.code(), Some(6), "{waited:?}");
    assert_eq!(
        waited.stderr,
        "error: no TLS answer from the server for 300ms; does it speak TLS? A plain TCP server \
         waits for us to speak first; to wait longer, use --timeout SECONDS\n"
    );
    server.join().expect("stand-in server");
}

#[test]
fn a_certificate_from_another_ca_is_refused() {
    let certs = lesson_certs("other-ca");
    let (mut server, addr) = start_server(&certs, &[]);
    let dir = TempDir::new("other-ca-files");
    let other_ca = dir.write("other-ca.pem", &TestCa::new().pem);
    let refused = client(&other_ca, addr.port(), &["--message", "hi"], b"");
    assert_eq!(refused.code(), Some(7), "{refused:?}");
    assert_eq!(
        refused.stderr,
        format!(
            "error: the server's certificate is not signed by the CA in {other_ca}; is --ca the \
             ca.pem made together with the server's certificate? We trust no other\n"
        )
    );
    let failed = server.wait_for("TLS handshake with");
    assert!(
        failed.ends_with(
            " failed: it does not trust the CA that signed our certificate (give it our ca.pem)"
        ),
        "{failed}"
    );
}

#[test]
fn a_name_the_certificate_does_not_hold_is_refused_and_the_names_it_holds_are_shown() {
    let certs = lesson_certs("name");
    let (mut server, addr) = start_server(&certs, &[]);
    let ca = cert(&certs, "ca.pem");
    let refused = client(
        &ca,
        addr.port(),
        &["--message", "hi", "--server-name", "example.com"],
        b"",
    );
    assert_eq!(refused.code(), Some(7), "{refused:?}");
    assert_eq!(
        refused.stderr,
        "error: the server's certificate is for localhost, 127.0.0.1, ::1, not for example.com; \
         connect with one of its names (--host), or give one with --server-name\n"
    );
    let failed = server.wait_for("TLS handshake with");
    assert!(
        failed.ends_with(
            " failed: it refused our certificate (does the name it connected to match?)"
        ),
        "{failed}"
    );
    // Each name it does hold works, as an IP address or as a host name.
    for name in ["localhost", "127.0.0.1"] {
        let served = client(
            &ca,
            addr.port(),
            &["--message", "hi", "--server-name", name],
            b"",
        );
        assert_eq!(served.stdout, "Received b'hi'\n", "{name}: {served:?}");
    }
}

#[test]
fn an_expired_certificate_is_refused_with_how_long_ago() {
    let dir = TempDir::new("expired");
    let ca = TestCa::new();
    let (ca_file, expired, key) = ca.write(
        &dir,
        "server",
        &["localhost", "127.0.0.1"],
        false,
        Validity::Expired,
    );
    let (_server, addr) =
        Proc::start_server("tls-echo-server", &["--cert", &expired, "--key", &key]);
    let refused = client(&ca_file, addr.port(), &["--message", "hi"], b"");
    assert_eq!(refused.code(), Some(7), "{refused:?}");
    assert_eq!(
        refused.stderr,
        "error: the server's certificate expired 10 days ago; make new certificates: delete \
         certs/, then cargo run -p tls-echo-server -- --make-certs\n"
    );
}

#[test]
fn a_missing_ca_file_names_the_command_that_makes_it() {
    let (_server, addr) = Proc::start_server("echo-server", &[]); // something to connect to
    let failed = client(
        "certs/no-such-ca.pem",
        addr.port(),
        &["--message", "hi"],
        b"",
    );
    assert_eq!(failed.code(), Some(7), "{failed:?}");
    assert_eq!(
        failed.stderr,
        "error: cannot read the CA certificate certs/no-such-ca.pem: no such file or directory; \
         make the certificates first: cargo run -p tls-echo-server -- --make-certs\n"
    );
}

#[test]
fn help_refused_and_unknown_host_are_as_in_every_lesson() {
    check_help(
        "tls-echo-client",
        &[
            "--ca",
            "--server-name",
            "--cert",
            "--key",
            "--message",
            "--timeout",
        ],
    );
    check_refused("tls-echo-client", "tls-echo-server", 9443);
    check_unknown_host("tls-echo-client");
    let half = run("tls-echo-client", &["--cert", "client.pem"], b"");
    assert_eq!(half.code(), Some(2), "--cert needs --key: {half:?}");
}

/// Python's own TLS (OpenSSL underneath) as the server, with the lesson's certificates:
/// the client is not only understood by the server we wrote.
#[test]
fn the_client_talks_to_a_python_ssl_server_with_and_without_mutual_tls() {
    if !has_python3() {
        return;
    }
    const SERVER: &str = r#"
import socket, ssl, sys
cert, key = sys.argv[1], sys.argv[2]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
if len(sys.argv) > 3:
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(sys.argv[3])
with socket.create_server(("127.0.0.1", 0)) as server:
    print("listening on 127.0.0.1:%d" % server.getsockname()[1], flush=True)
    conn, addr = server.accept()
    with context.wrap_socket(conn, server_side=True) as tls:
        print("peer certificate:", bool(tls.getpeercert()), flush=True)
        while data := tls.recv(1024):
            tls.sendall(data)
        print("goodbye received", flush=True)
"#;
    let certs = lesson_certs("python-server");
    let (server_cert, server_key, ca) = (
        cert(&certs, "server.pem"),
        cert(&certs, "server-key.pem"),
        cert(&certs, "ca.pem"),
    );
    for mutual in [false, true] {
        let mut args = vec!["-c", SERVER, &server_cert, &server_key];
        if mutual {
            args.push(&ca);
        }
        let mut python =
            Running::start("python3", &args, Input::Empty, usize::MAX).expect("start python3");
        let first = python.next_line(DEADLINE).expect("python3 listens");
        let addr = testkit::listening_addr(&first).expect("listening on ADDR");
        let (client_cert, client_key) =
            (cert(&certs, "client.pem"), cert(&certs, "client-key.pem"));
        let mut extra = vec!["--message", "hello python"];
        if mutual {
            extra.extend(["--cert", &client_cert, "--key", &client_key]);
        }
        let sent = client(&ca, addr.port(), &extra, b"");
        assert_eq!(sent.stdout, "Received b'hello python'\n", "{sent:?}");
        python.wait_for_exit(DEADLINE).expect("python3 ends");
        let said = python.seen().join("\n");
        assert!(
            said.ends_with(&format!(
                "peer certificate: {}\ngoodbye received",
                if mutual { "True" } else { "False" }
            )),
            "{said}\n{}",
            python.stderr()
        );
    }
}

/// Lesson 7's tap between client and server: through TLS it sees bytes, never the message;
/// through the plain echo server it sees the message as typed.
#[test]
fn the_tap_sees_the_message_in_plain_echo_and_not_in_tls() {
    const SECRET: &str = "my password is hunter2";
    let tapped = |server: &str, args: &[&str], client: &dyn Fn(u16) -> Finished| -> String {
        let (_server, addr) = Proc::start_server(server, args);
        let to = addr.to_string();
        let (mut tap, tap_addr) = Proc::start_server("wiretap", &["--to", &to, "--full"]);
        let session = client(tap_addr.port());
        assert_eq!(session.code(), Some(0), "{session:?}");
        tap.wait_for(" closed after ");
        tap.seen().join("\n")
    };

    let plain = tapped("echo-server", &[], &|port| {
        run(
            "echo-client",
            &["--port", &port.to_string(), "--message", SECRET],
            b"",
        )
    });
    assert!(plain.contains(SECRET), "the plain echo shows it:\n{plain}");

    let certs = lesson_certs("tap");
    let (server_cert, server_key, ca) = (
        cert(&certs, "server.pem"),
        cert(&certs, "server-key.pem"),
        cert(&certs, "ca.pem"),
    );
    let tls = tapped(
        "tls-echo-server",
        &["--cert", &server_cert, "--key", &server_key],
        &|port| client(&ca, port, &["--message", SECRET], b""),
    );
    assert!(
        tls.contains("client -> server"),
        "the tap saw the traffic:\n{tls}"
    );
    assert!(!tls.contains(SECRET), "TLS hides it:\n{tls}");
    assert!(!tls.contains("hunter2"), "not even a part of it:\n{tls}");
}
