//! Lesson 4 — UDP server (tutorial 004).
//!
//! Answers every datagram it receives. Run it, then send it lines from a second terminal:
//!
//!     cargo run -p udp-server
//!     cargo run -p udp-client
//!
//! There is no connection to accept: each datagram arrives on its own, with the sender's
//! address, and the answer goes back to that address.

use std::net::UdpSocket;
use std::process::ExitCode;

use clap::Parser;
use common::{Failure, HostPort, Shutdown};

/// The lesson's port, the one tutorial 004 uses.
const DEFAULT_PORT: u16 = common::ports::UDP;

/// The tutorial's receive buffer. A datagram longer than this is cut by the operating system:
/// the rest is lost, not kept for the next receive as TCP would.
const BUFSIZ: usize = 1024;

/// The tutorial's answer to every datagram: "got your message!".
const REPLY: &str = "收到您的消息!";

/// The largest buffer worth having: no UDP datagram is longer than 65,535 bytes.
const MAX_BUF_SIZE: u32 = 65_536;

/// UDP server: answers every datagram with a fixed reply, or sends it back with --echo.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    listen: HostPort<DEFAULT_PORT>,

    /// The answer to every datagram (the tutorial's means "got your message!")
    #[arg(long, default_value = REPLY, conflicts_with = "echo")]
    reply: String,

    /// Send every datagram back instead of the reply
    #[arg(long)]
    echo: bool,

    /// Receive buffer in bytes; a longer datagram is cut to this size, and the server says so
    #[arg(long, default_value_t = BUFSIZ as u32, value_parser = clap::value_parser!(u32).range(1..=MAX_BUF_SIZE as i64))]
    buf_size: u32,

    /// No line per datagram received (errors still print), e.g. for a benchmark
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(serve(&args))
}

fn serve(args: &Args) -> Result<(), Failure> {
    // ANCHOR: bind
    // Step 1 — create a UDP socket and bind it
    // Python: s = socket.socket(AF_INET, SOCK_DGRAM); s.bind(ADDR). No listen(), no accept().
    let addrs = args.listen.resolve()?;
    let socket =
        UdpSocket::bind(&addrs[..]).map_err(|error| Failure::bind(&error, &args.listen))?;
    // ANCHOR_END: bind

    // ANCHOR: ctrl-c
    // Step 2 — let Ctrl-C stop the server cleanly
    // The handler wakes the blocked recv_from() below with an empty datagram.
    let shutdown = Shutdown::on_ctrl_c_udp(&socket)?;
    // Only now say that the server is ready: a Ctrl-C from here on is caught.
    println!("listening on udp {}", socket.local_addr()?);

    // From here on, log lines are written by a thread of their own, so that answering a
    // datagram never waits for the terminal (common::log explains why).
    let _logger = common::Logger::start();
    // ANCHOR_END: ctrl-c

    // ANCHOR: receive
    let buf_size = args.buf_size as usize;
    // One byte more than --buf-size: when that byte gets filled, the datagram was longer than
    // the buffer the tutorial uses, and we can say so instead of cutting it silently.
    let mut buffer = vec![0; buf_size + 1];
    loop {
        // Step 3 — wait for a datagram, and note who sent it
        // Python: data, addr = s.recvfrom(BUFSIZ)
        let (received, sender) = match socket.recv_from(&mut buffer) {
            Ok(datagram) => datagram,
            Err(error) => {
                eprintln!("receive failed: {}", common::describe(&error));
                continue;
            }
        };
        if shutdown.requested() {
            break; // that datagram was Ctrl-C waking us up
        }
        let data = &buffer[..received.min(buf_size)];
        if !args.quiet {
            common::log!(
                "received {} bytes from {sender}: {}",
                data.len(),
                common::preview(data)
            );
        }
        if received > buf_size {
            common::log!(
                "  cut: the datagram was longer than the {buf_size}-byte buffer (see --buf-size)"
            );
        }
        // ANCHOR_END: receive

        // ANCHOR: answer
        // Step 4 — answer at the address the datagram came from
        // Python: s.sendto(resp, addr)
        let reply = if args.echo {
            data
        } else {
            args.reply.as_bytes()
        };
        if let Err(error) = socket.send_to(reply, sender) {
            eprintln!("cannot answer {sender}: {}", common::describe(&error));
        }
        // ANCHOR_END: answer
    }
    common::log!("server stopped");
    Ok(())
}
