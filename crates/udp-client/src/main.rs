//! Lesson 4 — UDP client (tutorial 004).
//!
//! Sends each line you type as one datagram and prints the server's answer. Start the server
//! first, then:
//!
//!     cargo run -p udp-client                       # type lines, q to quit
//!     cargo run -p udp-client -- --message hello
//!
//! UDP promises nothing: a datagram or its answer can be lost. So the client waits for each
//! answer only `--timeout` seconds (default 1), says so when none came, and carries on. An
//! answer that comes after that is shown as late, not taken for the answer to the next line.

use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use common::{Failure, Prompt, ServerAt, exit_code};

/// The lesson's port, the one tutorial 004 uses.
const DEFAULT_PORT: u16 = common::ports::UDP;

/// The server this client talks to, named in the hint when nobody answers.
const SERVER_PACKAGE: &str = "udp-server";

/// Tutorial 004's prompt: "please enter data (q to quit): ".
const PROMPT: &str = "请输入数据(输入q退出): ";

/// Tutorial 004's quit word.
const QUIT: &[u8] = b"q";

/// Room for the longest possible datagram, so an answer is never cut on our side.
const MAX_DATAGRAM: usize = 65_536;

/// UDP client: sends lines as datagrams and prints the answers.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: ServerAt<DEFAULT_PORT>,

    /// Send this one datagram, print the answer, and exit
    #[arg(long, short)]
    message: Option<String>,

    /// How long to wait for each answer, in seconds (e.g. 0.5)
    #[arg(long, default_value = "1", value_parser = common::parse_seconds)]
    timeout: Duration,
}

/// What came back for one datagram.
enum Answer {
    Reply(Vec<u8>),
    /// Nothing within the time-out: the datagram or its answer was lost, or nobody listens.
    Silence,
    /// The server's machine said that nothing listens on that port.
    Refused,
}

fn main() -> ExitCode {
    common::stop_quietly_on_closed_output();
    let args = Args::parse();
    common::exit_with(run(&args))
}

fn run(args: &Args) -> Result<(), Failure> {
    // ANCHOR: socket
    // Step 1 — create a UDP socket
    // Python: s = socket.socket(AF_INET, SOCK_DGRAM). Rust binds it to a free port at once.
    let server = args.server.resolve()?[0];
    let any_port: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(any_port)?;
    // ANCHOR_END: socket

    // ANCHOR: connect
    // Step 2 — connect the socket to the server
    // No packet is sent: connect() only fixes the address that send() uses, makes recv() drop
    // datagrams from anyone else, and lets the system report "nothing listens there".
    let start_hint = args.server.start_hint(SERVER_PACKAGE);
    socket
        .connect(server)
        .map_err(|error| args.server.cannot_connect(&error, SERVER_PACKAGE))?;
    // ANCHOR_END: connect

    let refused = || {
        Failure::custom(
            format!("nothing answers on udp {server}: the datagram was refused"),
            Some(start_hint.clone()),
            exit_code::REFUSED,
        )
    };
    let silence = format!(
        "no answer within {:?}: UDP does not promise delivery",
        args.timeout
    );

    // ANCHOR: message
    // Step 3 — one message: send a datagram, wait for the answer
    if let Some(message) = &args.message {
        let answer = ask(
            &socket,
            message.as_bytes(),
            args.timeout,
            &mut Owed::default(),
        )?;
        return match answer {
            Answer::Reply(reply) => {
                println!("收到服务器响应: {}", printable(&reply));
                Ok(())
            }
            Answer::Silence => Err(Failure::custom(silence, None, exit_code::TIMED_OUT)),
            Answer::Refused => Err(refused()),
        };
    }
    // ANCHOR_END: message

    // ANCHOR: conversation
    // Step 4 — a conversation: one datagram per line, until q or the end of the input
    let mut input = Prompt::new(PROMPT); // shows the prompt only when a person is typing
    let mut owed = Owed::default(); // answers still owed to lines that got none in time
    while let Some(message) = input.next_line()? {
        if message == QUIT {
            break;
        }
        // No connection to lose: after a lost or refused datagram, simply go on.
        match ask(&socket, message, args.timeout, &mut owed)? {
            Answer::Reply(reply) => println!("收到服务器响应: {}", printable(&reply)),
            Answer::Silence => eprintln!("{silence}; carrying on"),
            Answer::Refused => eprintln!("{}; carrying on", refused()),
        }
    }
    Ok(())
    // ANCHOR_END: conversation
}

// ANCHOR: ask
/// Sends one datagram and waits for its answer, at most `timeout`. Answers to earlier lines
/// that come meanwhile are shown as late, and the wait goes on: see [`Owed`] for the rule.
fn ask(
    socket: &UdpSocket,
    message: &[u8],
    timeout: Duration,
    owed: &mut Owed,
) -> Result<Answer, Failure> {
    // What arrived while no line was waiting (a person was typing) cannot be the answer to
    // this line, which is not even sent yet: show it as late, without waiting for more.
    // Python: s.setblocking(False), then s.recvfrom(BUFSIZ) until BlockingIOError
    socket.set_nonblocking(true)?;
    let before = loop {
        match receive(socket)? {
            Answer::Reply(late) => {
                owed.pay();
                show_late(&late);
            }
            nothing_or_refused => break nothing_or_refused,
        }
    };
    socket.set_nonblocking(false)?;
    if let Answer::Refused = before {
        // The refusal of an earlier datagram: nobody listens there now.
        owed.clear();
        return Ok(Answer::Refused);
    }

    // Python: s.sendto(data, ADDR). After connect(), send() needs no address.
    match socket.send(message) {
        Ok(_) => {}
        // A refusal of an earlier datagram can surface here, on the next send.
        Err(error) if refused(&error) => {
            owed.clear();
            return Ok(Answer::Refused);
        }
        Err(error) => return Err(Failure::new("cannot send the datagram", &error)),
    }

    // One deadline for the whole wait, however many late answers come meanwhile.
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = if left.is_zero() {
            Answer::Silence
        } else {
            // Python: s.settimeout(left); resp, server = s.recvfrom(BUFSIZ)
            socket.set_read_timeout(Some(left))?;
            receive(socket)?
        };
        match answer {
            // An earlier line still owes its answer: this is that one, late. Wait on.
            Answer::Reply(late) if owed.pay() => show_late(&late),
            Answer::Reply(reply) => return Ok(Answer::Reply(reply)),
            Answer::Silence => {
                owed.add(deadline, timeout); // its answer may still come, late
                return Ok(Answer::Silence);
            }
            Answer::Refused => {
                owed.clear();
                return Ok(Answer::Refused);
            }
        }
    }
}

/// Waits for one datagram from the server, at most the socket's read time-out (at once if
/// the socket does not block).
fn receive(socket: &UdpSocket) -> Result<Answer, Failure> {
    let mut buffer = vec![0; MAX_DATAGRAM];
    match socket.recv(&mut buffer) {
        Ok(received) => Ok(Answer::Reply(buffer[..received].to_vec())),
        Err(error) if common::timed_out(&error) => Ok(Answer::Silence),
        Err(error) if refused(&error) => Ok(Answer::Refused),
        Err(error) => Err(Failure::new("cannot receive the answer", &error)),
    }
}

/// "Nothing listens on that port", as the server's machine said it. Linux and macOS report
/// it as a refused connection; Windows as a reset connection (WSAECONNRESET).
fn refused(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
    )
}
// ANCHOR_END: ask

// ANCHOR: owed
/// The answers still owed to lines that got none in time, oldest first. This is how the
/// client tells a late answer from the answer to the line it has just sent, although nothing
/// in an answer says which line it is for: the tutorial's server answers every datagram
/// with the same words.
///
/// The rule: every datagram sent owes one answer, and the server answers in the order the
/// datagrams came. So while earlier lines still owe theirs, the next datagrams to arrive are
/// those answers, late; only the one after them answers the line just sent. (And whatever
/// arrives before a line is sent cannot be its answer: `ask` shows it as late first.)
///
/// But UDP loses datagrams, and a lost answer looks just like a late one until it never
/// comes. So an answer more than one more time-out overdue is written off as lost: without
/// that, one lost datagram, or a server that never answers, would make every later answer
/// look late. Counting is a good guess, not a proof: right after a loss, the answer to the
/// next line can be taken for a late one. To know for sure, number the datagrams and have
/// the server send the numbers back (exercise 4.2).
#[derive(Default)]
struct Owed {
    /// For each answer still owed, when it is written off as lost.
    written_off_at: VecDeque<Instant>,
}

impl Owed {
    /// A line got no answer by its `deadline`: it owes one, for one more `timeout`.
    fn add(&mut self, deadline: Instant, timeout: Duration) {
        self.written_off_at.push_back(deadline + timeout);
    }

    /// A datagram arrived. True if an earlier line still owed an answer: then this is that
    /// answer, late, and the line owes nothing any more.
    fn pay(&mut self) -> bool {
        let now = Instant::now();
        while self.written_off_at.front().is_some_and(|&at| at <= now) {
            self.written_off_at.pop_front(); // lost, not late
        }
        self.written_off_at.pop_front().is_some()
    }

    /// The server's machine refused a datagram: nobody is there to answer earlier lines.
    fn clear(&mut self) {
        self.written_off_at.clear();
    }
}
// ANCHOR_END: owed

/// An answer that came after its line's time-out, on stderr beside the "no answer" lines.
fn show_late(answer: &[u8]) {
    eprintln!("late answer (to an earlier line): {}", printable(answer));
}

/// An answer as it may be printed: bytes that are not UTF-8 as `�`, control characters
/// escaped, so that a datagram cannot clear or retitle the terminal.
fn printable(answer: &[u8]) -> String {
    common::terminal_safe(&String::from_utf8_lossy(answer)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owed_answer_is_late_for_one_more_time_out_then_lost() {
        let timeout = Duration::from_secs(1);
        let mut owed = Owed::default();
        assert!(!owed.pay(), "nothing owed: a datagram is the answer");

        let now = Instant::now();
        owed.add(now, timeout); // a line that has just timed out
        assert!(owed.pay(), "its answer, late");
        assert!(!owed.pay(), "paid once only");

        // Two lines timed out: one two time-outs ago (written off), one just now.
        owed.add(now - 2 * timeout, timeout);
        owed.add(now, timeout);
        assert!(owed.pay(), "the recent one's answer is late");
        assert!(
            !owed.pay(),
            "the old one's answer was lost: nothing more is owed"
        );

        owed.add(now, timeout);
        owed.clear(); // refused: nobody there to answer
        assert!(!owed.pay());
    }
}
