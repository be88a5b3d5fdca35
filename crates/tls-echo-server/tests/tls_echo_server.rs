//! End-to-end tests of tls-echo-server: the real binary on a free port, with the certificates
//! its own `--make-certs` wrote, driven by the real tls-echo-client, by lesson 1's plain
//! echo-client, by raw sockets and by Python's `ssl` module.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};

use testkit::TempDir;
use testkit::has_python3;
use testkit::tls::{TestCa, Validity, cert, lesson_certs};
use testkit::{
    DEADLINE, Finished, Input, Proc, Running, check_help, check_port_in_use, check_unknown_host,
    run,
};

/// Starts the server with the certificates in `certs` and `extra` options.
fn start(certs: &TempDir, extra: &[&str]) -> (Proc, SocketAddr) {
    let (server_cert, server_key) = (cert(certs, "server.pem"), cert(certs, "server-key.pem"));
    let mut args = vec!["--cert", &server_cert, "--key", &server_key];
    args.extend_from_slice(extra);
    Proc::start_server("tls-echo-server", &args)
}

/// Runs tls-echo-client against `addr`, trusting the CA in `certs`, with `stdin` piped.
fn client(certs: &TempDir, addr: SocketAddr, extra: &[&str], stdin: &[u8]) -> Finished {
    let (port, ca) = (addr.port().to_string(), cert(certs, "ca.pem"));
    let mut args = vec!["--port", &port, "--ca", &ca];
    args.extend_from_slice(extra);
    run("tls-echo-client", &args, stdin)
}

/// The client options that present the lesson's client certificate.
fn client_cert(certs: &TempDir) -> [String; 4] {
    [
        "--cert".into(),
        cert(certs, "client.pem"),
        "--key".into(),
        cert(certs, "client-key.pem"),
    ]
}

#[test]
fn make_certs_writes_five_pem_files_with_owner_only_keys_and_never_overwrites() {
    let dir = TempDir::new("make-certs");
    let certs = dir.file("certs");
    let made = run("tls-echo-server", &["--make-certs", &certs], b"");
    assert_eq!(made.code(), Some(0), "{made:?}");
    assert!(
        made.stdout.starts_with(&format!(
            "made a local CA and two certificates in {certs}:\n"
        )),
        "{}",
        made.stdout
    );
    assert!(made.stdout.contains("the CA's own key was not kept"));
    for (name, kind) in [
        ("ca.pem", "CERTIFICATE"),
        ("server.pem", "CERTIFICATE"),
        ("server-key.pem", "PRIVATE KEY"),
        ("client.pem", "CERTIFICATE"),
        ("client-key.pem", "PRIVATE KEY"),
    ] {
        let path = dir.path().join("certs").join(name);
        let text = std::fs::read_to_string(&path).expect("the file was written");
        assert!(
            text.starts_with(&format!("-----BEGIN {kind}-----")),
            "{name}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            let expected = if kind == "PRIVATE KEY" { 0o600 } else { 0o644 };
            assert_eq!(mode & 0o777, expected, "{name}: {mode:o}");
        }
    }
    let again = run("tls-echo-server", &["--make-certs", &certs], b"");
    assert_eq!(again.code(), Some(7), "{again:?}");
    assert_eq!(
        again.stderr,
        format!(
            "error: {certs}/ca.pem already exists; to make new certificates, delete {certs} first \
             (every client then needs the new ca.pem)\n"
        )
    );
}

#[test]
fn a_tls_client_gets_every_line_back_and_the_server_logs_the_session() {
    let certs = lesson_certs("session");
    let (mut server, addr) = start(&certs, &[]);
    let session = client(&certs, addr, &[], "hello\n你好\nq\nnever sent\n".as_bytes());
    assert_eq!(session.code(), Some(0), "{session:?}");
    assert_eq!(
        session.stdout,
        format!(
            "connected to {addr}: TLSv1.3, TLS13_AES_256_GCM_SHA384, certificate for 127.0.0.1 \
             signed by {}\n收到服务器响应: hello\n收到服务器响应: 你好\n",
            cert(&certs, "ca.pem")
        )
    );
    let left = server.wait_for(" left");
    assert!(left.starts_with("client 127.0.0.1:"), "{left}");
    assert!(left.ends_with(" left"), "the client said goodbye: {left}");
    server.interrupt();
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    let lines: Vec<&str> = stopped.stdout.lines().collect();
    assert!(
        lines[1].starts_with("connected from 127.0.0.1:"),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with("TLS with 127.0.0.1:")
            && lines[2].ends_with(": TLSv1.3, TLS13_AES_256_GCM_SHA384"),
        "{lines:?}"
    );
    assert!(lines[3].ends_with(": \"hello\""), "{lines:?}");
    assert_eq!(lines.last(), Some(&"server stopped"));
    assert!(
        !stopped.stdout.contains("never sent"),
        "q ends the conversation"
    );
}

#[test]
fn without_certificates_the_server_says_the_one_command_that_makes_them() {
    let dir = TempDir::new("no-certs");
    let missing = dir.file("certs/server.pem");
    let key = dir.file("certs/server-key.pem");
    let failed = Proc::spawn(
        "tls-echo-server",
        &["--port", "0", "--cert", &missing, "--key", &key],
    )
    .finish();
    assert_eq!(failed.code(), Some(7), "{failed:?}");
    assert_eq!(
        failed.stderr,
        format!(
            "error: cannot read the server's certificate {missing}: no such file or directory; \
             make the certificates first: cargo run -p tls-echo-server -- --make-certs {}\n",
            dir.file("certs")
        )
    );
    assert!(failed.stdout.is_empty(), "never 'listening on': {failed:?}");
}

#[test]
fn a_plain_tcp_client_is_told_apart_in_the_log() {
    let certs = lesson_certs("plain-client");
    let (mut server, addr) = start(&certs, &[]);
    // Lesson 1's echo-client sends "hello" in clear text, where a TLS hello belongs.
    let port = addr.port().to_string();
    let plain = run(
        "echo-client",
        &["--port", &port, "--timeout", "5"],
        b"hello\n",
    );
    let failed = server.wait_for("TLS handshake with");
    assert!(
        failed
            .ends_with(" failed: it does not speak TLS (a plain TCP client, such as echo-client?)"),
        "{failed}"
    );
    // What it got back is the server's alert, a TLS record: no echo of "hello".
    assert!(!plain.stdout.contains("响应: hello"), "{plain:?}");
}

#[test]
fn a_client_that_never_starts_the_handshake_is_dropped_after_the_handshake_timeout() {
    let certs = lesson_certs("silent");
    let (mut server, addr) = start(&certs, &["--handshake-timeout", "0.3"]);
    let mut silent = TcpStream::connect(addr).expect("connect");
    silent
        .set_read_timeout(Some(DEADLINE))
        .expect("read time-out");
    let failed = server.wait_for("TLS handshake with");
    assert!(
        failed.ends_with(
            " failed: no TLS handshake within 300ms (a plain TCP client waiting for the server \
             to speak?)"
        ),
        "{failed}"
    );
    let mut rest = Vec::new();
    silent
        .read_to_end(&mut rest)
        .expect("the server closes the connection");
    // The one-client-at-a-time server is free again.
    let served = client(&certs, addr, &["--message", "next"], b"");
    assert_eq!(served.stdout, "Received b'next'\n", "{served:?}");
}

#[test]
fn mutual_tls_serves_a_client_with_a_certificate_and_names_what_others_lack() {
    let certs = lesson_certs("mtls");
    let ca = cert(&certs, "ca.pem");
    let (mut server, addr) = start(&certs, &["--client-ca", &ca]);

    // With the lesson's client certificate: served.
    let with_cert = client_cert(&certs);
    let with_cert: Vec<&str> = with_cert.iter().map(String::as_str).collect();
    let mut args = vec!["--message", "who am i"];
    args.extend(&with_cert);
    let served = client(&certs, addr, &args, b"");
    assert_eq!(served.stdout, "Received b'who am i'\n", "{served:?}");
    let session = server.wait_for("TLS with");
    assert!(
        session.ends_with(&format!(
            ": TLSv1.3, TLS13_AES_256_GCM_SHA384, client certificate signed by {ca}"
        )),
        "{session}"
    );

    // Without one: the server says why in its log, the client in one line.
    let refused = client(&certs, addr, &["--message", "hi"], b"");
    assert_eq!(refused.code(), Some(7), "{refused:?}");
    assert_eq!(
        refused.stderr,
        "error: the server wants a client certificate (mutual TLS); give one: --cert \
         certs/client.pem --key certs/client-key.pem\n"
    );
    let failed = server.wait_for("TLS handshake with");
    assert!(
        failed.ends_with(&format!(
            " failed: it sent no client certificate, and --client-ca {ca} requires one"
        )),
        "{failed}"
    );

    // A certificate from another CA, and an expired one from ours' stand-in.
    let other = TestCa::new();
    let dir = TempDir::new("mtls-other");
    let (_, other_cert, other_key) = other.write(&dir, "stranger", &[], true, Validity::Now);
    let mut args = vec![
        "--message",
        "hi",
        "--cert",
        &other_cert,
        "--key",
        &other_key,
    ];
    let refused = client(&certs, addr, &args, b"");
    assert_eq!(refused.code(), Some(7), "{refused:?}");
    assert_eq!(
        refused.stderr,
        "error: the server does not trust the CA that signed our client certificate; is --cert \
         signed by the CA of the server's --client-ca?\n"
    );
    let failed = server.wait_for("TLS handshake with");
    assert!(
        failed.ends_with(&format!(
            " failed: its client certificate is not signed by {ca}"
        )),
        "{failed}"
    );
    drop(server);

    let (_, old_cert, old_key) = other.write(&dir, "old", &[], true, Validity::Expired);
    let other_ca = dir.write("other-ca.pem", &other.pem);
    let (mut server, addr) = start(&certs, &["--client-ca", &other_ca]);
    args = vec!["--message", "hi", "--cert", &old_cert, "--key", &old_key];
    let refused = client(&certs, addr, &args, b"");
    assert_eq!(refused.code(), Some(7), "{refused:?}");
    assert!(
        refused
            .stderr
            .starts_with("error: the server says our client certificate has expired"),
        "{refused:?}"
    );
    let failed = server.wait_for("TLS handshake with");
    assert!(
        failed.ends_with(" failed: its client certificate has expired"),
        "{failed}"
    );
}

#[test]
fn an_address_outside_allow_is_closed_before_any_tls_work() {
    let certs = lesson_certs("allow");
    // Nothing is sent to 10.x: it is only a block that 127.0.0.1 is not in.
    let (mut server, addr) = start(&certs, &["--allow", "10.0.0.0/8", "--allow", "::1"]);
    let refused = client(&certs, addr, &["--message", "hi"], b"");
    assert_eq!(refused.code(), Some(7), "{refused:?}");
    assert_eq!(
        refused.stderr,
        "error: the server closed the connection during the TLS handshake; does it let your \
         address in (its --allow)? Does it speak TLS?\n"
    );
    let line = server.wait_for("refused");
    assert!(
        line.starts_with("refused 127.0.0.1:") && line.ends_with(": its address is not in --allow"),
        "{line}"
    );
    assert!(
        !server
            .seen()
            .iter()
            .any(|line| line.contains("connected from")),
        "no TLS work for a refused address: {:?}",
        server.seen()
    );
    drop(server);

    let (_server, addr) = start(&certs, &["--allow", "127.0.0.0/8"]);
    let served = client(&certs, addr, &["--message", "in"], b"");
    assert_eq!(served.stdout, "Received b'in'\n", "{served:?}");
}

#[test]
fn a_bad_allow_block_is_a_usage_error() {
    let failed = run("tls-echo-server", &["--allow", "10.0.0.0/33"], b"");
    assert_eq!(failed.code(), Some(2), "{failed:?}");
    assert!(
        failed
            .stderr
            .contains("the prefix after '/' is a number from 0 to 32"),
        "{}",
        failed.stderr
    );
}

#[test]
fn with_threads_two_clients_are_served_at_once() {
    let certs = lesson_certs("threads");
    let (_server, addr) = start(&certs, &["--threads"]);
    let (port, ca) = (addr.port().to_string(), cert(&certs, "ca.pem"));
    let mut first = Proc::spawn("tls-echo-client", &["--port", &port, "--ca", &ca]);
    first.write_stdin(b"from the first\n");
    assert_eq!(first.wait_for("收到"), "收到服务器响应: from the first");
    let second = client(&certs, addr, &[], b"from the second\n");
    assert_eq!(second.code(), Some(0), "{second:?}");
    assert!(second.stdout.ends_with("收到服务器响应: from the second\n"));
    first.write_stdin(b"still here\n");
    assert_eq!(first.wait_for("收到"), "收到服务器响应: still here");
    assert_eq!(first.finish().code(), Some(0));
}

#[test]
fn ctrl_c_and_sigterm_stop_the_server_while_a_client_is_in_the_middle() {
    let certs = lesson_certs("stop");
    for terminate in [false, true] {
        let (mut server, addr) = start(&certs, &[]);
        let (port, ca) = (addr.port().to_string(), cert(&certs, "ca.pem"));
        let mut talking = Proc::spawn("tls-echo-client", &["--port", &port, "--ca", &ca]);
        talking.write_stdin(b"hello\n");
        talking.wait_for("收到");
        if terminate {
            server.terminate();
        } else {
            server.interrupt();
        }
        server.wait_for("server stopped");
        let stopped = server.wait_for_exit();
        assert_eq!(stopped.code(), Some(0), "{stopped:?}");
        testkit::assert_closed_by_the_server(&stopped);
    }
}

#[test]
fn help_port_in_use_and_unknown_host_are_as_in_every_lesson() {
    check_help(
        "tls-echo-server",
        &[
            "--cert",
            "--key",
            "--client-ca",
            "--allow",
            "--make-certs",
            "--threads",
        ],
    );
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("hold a port");
    check_port_in_use("tls-echo-server", held.local_addr().expect("addr").port());
    check_unknown_host("tls-echo-server");
}

/// Python's own TLS (OpenSSL underneath) as the client: the server is not only
/// understood by the client we wrote.
#[test]
fn python_ssl_clients_talk_to_the_server_with_and_without_a_client_certificate() {
    if !has_python3() {
        return;
    }
    const CLIENT: &str = r#"
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
context = ssl.create_default_context(cafile=ca)
if len(sys.argv) > 3:
    context.load_cert_chain(sys.argv[3], sys.argv[4])
try:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        with context.wrap_socket(sock, server_hostname="localhost") as tls:
            print(tls.version())
            tls.sendall(b"hello from python")
            print("Received", tls.recv(1024))
except ssl.SSLError as error:
    print("SSLError", error.reason)
"#;
    let certs = lesson_certs("python-client");
    let ca = cert(&certs, "ca.pem");
    let python = |addr: SocketAddr, extra: &[String]| {
        let port = addr.port().to_string();
        let mut args = vec!["-c", CLIENT, &port, &ca];
        args.extend(extra.iter().map(String::as_str));
        let mut python =
            Running::start("python3", &args, Input::Empty, usize::MAX).expect("start python3");
        python.wait_for_exit(DEADLINE).expect("python3 ends");
        (python.seen().join("\n"), python.stderr())
    };

    let (mut server, addr) = start(&certs, &[]);
    let (out, err) = python(addr, &[]);
    assert_eq!(out, "TLSv1.3\nReceived b'hello from python'", "{err}");
    server.wait_for("received 17 bytes");
    drop(server);

    let (mut server, addr) = start(&certs, &["--client-ca", &ca]);
    let client_files = [cert(&certs, "client.pem"), cert(&certs, "client-key.pem")];
    let (out, err) = python(addr, &client_files);
    assert_eq!(out, "TLSv1.3\nReceived b'hello from python'", "{err}");
    let (out, err) = python(addr, &[]);
    assert_eq!(
        out, "TLSv1.3\nSSLError TLSV13_ALERT_CERTIFICATE_REQUIRED",
        "{err}"
    );
    let failed = server.wait_for("TLS handshake with");
    assert!(failed.contains("it sent no client certificate"), "{failed}");
}
