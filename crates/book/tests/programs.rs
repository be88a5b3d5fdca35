//! What the README promises of every program ("What every program does"), checked on all of
//! them from one table: `--help` and `--version`, an unknown host (exit 5), nothing listening
//! (exit 4), an output closed early (`| head -1`: exit 141, not a word on stderr), and for the
//! servers Ctrl-C and SIGTERM (a last line, exit 0, a connected client sees a clean end).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};

use testkit::{DEADLINE, Proc, check_help, check_refused, check_unknown_host};

/// A lesson program, and what it takes to make it print a second line.
struct Program {
    package: &'static str,
    kind: Kind,
}

enum Kind {
    /// A TCP server; a client connecting is enough to make it log a line.
    TcpServer { args: &'static [&'static str] },
    /// The UDP server; a datagram makes it log a line.
    UdpServer,
    /// A client of `server` (whose default port is `port`), fed `input` many times over on
    /// standard input: enough answers to print more than a pipe holds (64 KiB), so that some
    /// surely find the pipe closed
    /// with `args`; `tcp` if it connects over TCP.
    Client {
        server: &'static str,
        /// What `server` needs besides `--port` (the TLS server: its certificate).
        server_args: &'static [&'static str],
        port: u16,
        args: &'static [&'static str],
        input: &'static str,
        tcp: bool,
    },
}

const PROGRAMS: &[Program] = &[
    Program {
        package: "echo-server",
        kind: Kind::TcpServer { args: &[] },
    },
    Program {
        package: "ctime-server",
        kind: Kind::TcpServer { args: &[] },
    },
    Program {
        package: "oneshot-server",
        kind: Kind::TcpServer {
            args: &["--keep-going"],
        },
    },
    Program {
        package: "udp-server",
        kind: Kind::UdpServer,
    },
    Program {
        package: "chat-server",
        kind: Kind::TcpServer { args: &[] },
    },
    Program {
        package: "async-echo-server",
        kind: Kind::TcpServer { args: &[] },
    },
    Program {
        package: "poll-chat-server",
        kind: Kind::TcpServer { args: &[] },
    },
    Program {
        package: "framing-server",
        kind: Kind::TcpServer { args: &[] },
    },
    Program {
        package: "wiretap",
        kind: Kind::TcpServer { args: &[] },
    },
    Program {
        package: "tls-echo-server",
        kind: Kind::TcpServer {
            args: &["--cert", SERVER_CERT, "--key", SERVER_KEY],
        },
    },
    Program {
        package: "echo-client",
        kind: Kind::Client {
            server: "echo-server",
            server_args: &[],
            port: 9001,
            args: &[],
            input: "line\n",
            tcp: true,
        },
    },
    Program {
        package: "ctime-client",
        kind: Kind::Client {
            server: "ctime-server",
            server_args: &[],
            port: 8080,
            args: &[],
            input: "line\n",
            tcp: true,
        },
    },
    Program {
        package: "oneshot-client",
        kind: Kind::Client {
            server: "oneshot-server",
            server_args: &[],
            port: 8000,
            args: &[],
            input: "/who\n",
            tcp: true,
        },
    },
    Program {
        package: "udp-client",
        kind: Kind::Client {
            server: "udp-server",
            server_args: &[],
            port: 9002,
            args: &[],
            input: "line\n",
            tcp: false,
        },
    },
    Program {
        package: "chat-client",
        kind: Kind::Client {
            server: "chat-server",
            server_args: &[],
            port: 9003,
            args: &[],
            input: "/who\n",
            tcp: true,
        },
    },
    Program {
        package: "async-echo-client",
        kind: Kind::Client {
            server: "async-echo-server",
            server_args: &[],
            port: 8888,
            args: &["--stdin"],
            input: "line\n",
            tcp: true,
        },
    },
    Program {
        package: "framing-client",
        kind: Kind::Client {
            server: "framing-server",
            server_args: &[],
            port: 9004,
            args: &[],
            input: "line\n",
            tcp: true,
        },
    },
    Program {
        package: "tls-echo-client",
        kind: Kind::Client {
            server: "tls-echo-server",
            server_args: &["--cert", SERVER_CERT, "--key", SERVER_KEY],
            port: 9443,
            args: &["--ca", CA_CERT],
            input: "line\n",
            tcp: true,
        },
    },
];

/// The TLS lesson's certificates for these checks, made once by `tls-echo-server
/// --make-certs` ([`make_certificates`]) in cargo's scratch folder for this package's tests.
const CERTS: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/programs-certs");
const SERVER_CERT: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/programs-certs/server.pem");
const SERVER_KEY: &str = concat!(
    env!("CARGO_TARGET_TMPDIR"),
    "/programs-certs/server-key.pem"
);
const CA_CERT: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/programs-certs/ca.pem");

/// Makes the certificates in [`CERTS`] unless they are there: in a folder of this process's
/// own first, then renamed into place, so that test processes running at once never see half
/// a set (a rename onto a folder that exists fails, and the set already there is used).
fn make_certificates() {
    static MADE: std::sync::Once = std::sync::Once::new();
    MADE.call_once(|| {
        if std::path::Path::new(CA_CERT).exists() {
            return;
        }
        let own = format!("{CERTS}-{}", std::process::id());
        let _ = std::fs::remove_dir_all(&own);
        let made = testkit::run("tls-echo-server", &["--make-certs", &own], b"");
        assert_eq!(made.code(), Some(0), "{made:?}");
        if std::fs::rename(&own, CERTS).is_err() {
            let _ = std::fs::remove_dir_all(&own);
        }
        assert!(std::path::Path::new(CA_CERT).exists(), "no {CA_CERT}");
    });
}

#[test]
fn every_program_has_help_and_version() {
    for program in PROGRAMS {
        check_help(program.package, &[]);
    }
}

#[test]
fn every_program_names_an_unknown_host_in_one_line_with_exit_code_5() {
    for program in PROGRAMS {
        check_unknown_host(program.package);
    }
}

#[test]
fn every_tcp_client_says_how_to_start_its_server_when_nothing_listens() {
    for program in PROGRAMS {
        if let Kind::Client {
            server,
            port,
            tcp: true,
            ..
        } = program.kind
        {
            check_refused(program.package, server, port);
        }
    }
}

#[test]
fn every_client_says_port_0_is_for_servers_and_its_help_offers_no_server_addresses() {
    for program in PROGRAMS {
        let Kind::Client {
            server, args, tcp, ..
        } = program.kind
        else {
            continue;
        };
        let help = testkit::run(program.package, &["--help"], b"");
        for servers_only in ["0.0.0.0", "lets the operating system pick"] {
            assert!(
                !help.stdout.contains(servers_only),
                "{}'s --help offers '{servers_only}', which only a server can use:\n{}",
                program.package,
                help.stdout
            );
        }
        if !tcp {
            continue; // a UDP client only learns of a refusal when a datagram comes back
        }
        let mut with_port_0 = args.to_vec();
        with_port_0.extend(["--port", "0"]);
        let refused = testkit::run(program.package, &with_port_0, b"hello\n");
        assert_eq!(refused.code(), Some(4), "{}: {refused:?}", program.package);
        assert!(
            refused
                .stderr
                .contains("port 0 is not a port a server listens on")
                && refused.stderr.contains(server)
                && !refused.stderr.contains("--port 0"),
            "{}: {}",
            program.package,
            refused.stderr
        );
    }
}

#[test]
fn every_program_stops_quietly_when_its_output_is_closed_early() {
    for program in PROGRAMS {
        let finished = match &program.kind {
            Kind::TcpServer { args } => {
                make_certificates();
                let mut all = args.to_vec();
                all.extend(["--port", "0"]);
                let mut server = Proc::spawn_head_one(program.package, &all);
                let addr = listening_on(&server.wait_for("listening on "));
                let mut client = TcpStream::connect(addr).expect("connect");
                let _ = client.write_all(b"hello\n"); // something to log, for every server
                drop(client);
                server.wait_for_exit()
            }
            Kind::UdpServer => {
                let mut server = Proc::spawn_head_one(program.package, &["--port", "0"]);
                let addr = listening_on(&server.wait_for("listening on "));
                let client = UdpSocket::bind("127.0.0.1:0").expect("bind");
                client.send_to(b"hello", addr).expect("send");
                server.wait_for_exit()
            }
            // oneshot-client prints two short lines in all: a stand-in server closes the
            // connection, which makes it print the second, only once `head -1` has gone.
            Kind::Client { .. } if program.package == "oneshot-client" => {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
                let port = listener.local_addr().expect("address").port().to_string();
                let mut client = Proc::spawn_head_one(program.package, &["--port", &port]);
                let (mut connection, _) = listener.accept().expect("accept");
                let mut message = Vec::new();
                connection.read_to_end(&mut message).expect("the message");
                client.wait_for("sent "); // and the pipe is closed
                drop(connection);
                client.finish()
            }
            Kind::Client {
                server,
                server_args,
                args,
                input,
                ..
            } => {
                if !server_args.is_empty() {
                    make_certificates();
                }
                let mut all_server_args = server_args.to_vec();
                all_server_args.push("--quiet");
                let (_server, addr) = Proc::start_server(server, &all_server_args);
                let port = addr.port().to_string();
                let mut all = args.to_vec();
                all.extend(["--port", &port]);
                let client = Proc::spawn_head_one(program.package, &all);
                let lines = input.repeat(3_000);
                let mut client = client;
                let mut stdin = client.take_stdin();
                // From a thread: the client may stop reading its input at any point.
                let feeding = std::thread::spawn(move || {
                    let _ = stdin.write_all(lines.as_bytes());
                });
                let finished = client.wait_for_exit();
                let _ = feeding.join();
                finished
            }
        };
        assert_eq!(
            finished.code(),
            Some(common::CLOSED_OUTPUT_STATUS),
            "{}: {finished:?}",
            program.package
        );
        assert_eq!(
            finished.stderr, "",
            "{}: not a word, and surely no panic",
            program.package
        );
    }
}

#[test]
fn ctrl_c_and_sigterm_stop_every_server_with_a_last_line_and_exit_0() {
    for program in PROGRAMS {
        for terminate in [false, true] {
            let udp = matches!(program.kind, Kind::UdpServer);
            let args: &[&str] = match program.kind {
                Kind::TcpServer { args } => {
                    make_certificates();
                    args
                }
                Kind::UdpServer => &[],
                Kind::Client { .. } => continue,
            };
            let (mut server, addr) = Proc::start_server(program.package, args);
            let client = (!udp).then(|| {
                let client = TcpStream::connect(addr).expect("connect");
                client.set_read_timeout(Some(DEADLINE)).expect("time-out");
                server.wait_for("connected from");
                client
            });
            if terminate {
                server.terminate();
            } else {
                server.interrupt();
            }
            server.wait_for("server stopped");
            let finished = server.wait_for_exit();
            let how = if terminate { "SIGTERM" } else { "Ctrl-C" };
            assert_eq!(
                finished.code(),
                Some(0),
                "{} {how}: {finished:?}",
                program.package
            );
            if let Some(mut client) = client {
                // Whatever the server said last (chat: its goodbye), then the end of the
                // stream, not a reset.
                let mut rest = Vec::new();
                client.read_to_end(&mut rest).unwrap_or_else(|error| {
                    panic!("{} {how}: not a clean end: {error}", program.package)
                });
            }
        }
    }
}

/// The address in a server's first line, `listening on [udp ]ADDR`.
fn listening_on(line: &str) -> SocketAddr {
    line.rsplit(' ')
        .next()
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("not 'listening on ADDR': {line:?}"))
}
