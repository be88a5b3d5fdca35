//! Lesson 4's exercise, on UDP: 4.1 is a client that sends its datagram again, waiting twice
//! as long each time, when no answer comes. The checker plays the server and drops datagrams
//! on purpose.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::program::{Exit, Program, describe_exit};
use crate::report::{Check, Exercise, Problem, show};

pub const RETRY_WITH_BACK_OFF: Exercise = Exercise {
    id: "4.1",
    checks: &[
        Check {
            name: "an answer to the first datagram is printed, and nothing is sent again",
            run: answered_at_once,
        },
        Check {
            name: "a lost datagram is sent again until an answer comes",
            run: answered_on_third_try,
        },
        Check {
            name: "each wait is twice as long as the one before",
            run: waits_double,
        },
        Check {
            name: "after 3 retries the client gives up, with exit status 6",
            run: gives_up,
        },
    ],
};

/// What the client sends in every check.
const MESSAGE: &str = "hello";

/// What the checker answers: the tutorial server's "got your message!".
const REPLY: &str = "收到您的消息!";

/// How many datagrams the client sends when nothing answers: the first and 3 retries.
const TRIES: usize = 4;

/// The longest a session may last: the waits add up to 15 times `--timeout` (1 + 2 + 4 + 8).
const SESSION: Duration = Duration::from_secs(15);

/// How often the checker looks whether the client has exited, between datagrams: polling
/// for an event, not synchronising.
const POLL: Duration = Duration::from_millis(20);

/// Where the retries belong, for hints.
const RETRY_HINT: &str = "at the TODO in `ask`: when `send_and_receive` comes back with \
    `Answer::Silence`, send the same datagram again (up to RETRIES more times), and double \
    the read time-out before each new try";

/// One run of the client against the checker's UDP server.
struct Session {
    /// When each datagram arrived (counted from the first), and what it held.
    datagrams: Vec<(Duration, Vec<u8>)>,
    /// When the checker saw that the client had exited (counted from the first datagram).
    ended: Duration,
    exit: Exit,
    client: Program,
}

/// Runs the client with `--timeout seconds`; answers the `answer_to`-th datagram (counted
/// from 1), and drops the others.
fn session(program: &Path, timeout: &str, answer_to: Option<usize>) -> Result<Session, Problem> {
    let cannot = |error: std::io::Error| {
        Problem::new(format!(
            "the checker cannot use its UDP socket: {}",
            common::describe(&error)
        ))
    };
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(cannot)?;
    socket.set_read_timeout(Some(POLL)).map_err(cannot)?;
    let port = socket.local_addr().map_err(cannot)?.port().to_string();
    let mut client = Program::start(
        program,
        &[
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--message",
            MESSAGE,
            "--timeout",
            timeout,
        ],
    )?;

    let started = Instant::now();
    let mut first: Option<Instant> = None;
    let mut datagrams = Vec::new();
    let mut buffer = vec![0; 65_536];
    let mut ended = None;
    loop {
        match socket.recv_from(&mut buffer) {
            Ok((count, sender)) => {
                let now = Instant::now();
                let since_first = now - *first.get_or_insert(now);
                datagrams.push((since_first, buffer[..count].to_vec()));
                if answer_to == Some(datagrams.len()) {
                    answer(&socket, sender).map_err(cannot)?;
                }
                continue; // more may be waiting
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) => return Err(cannot(error)),
        }
        // Nothing waiting. Once the client has exited and every datagram is read, stop.
        if ended.is_some() {
            break;
        }
        if client.exited() {
            ended = Some(first.map(|first| first.elapsed()).unwrap_or_default());
        }
        if started.elapsed() > SESSION {
            let problem = Problem::new(format!(
                "the client was still running after {} s",
                SESSION.as_secs()
            ))
            .detail("datagrams", format!("{} arrived", datagrams.len()))
            .hint("give up after RETRIES retries: return `Answer::Silence` from `ask`");
            return Err(client.explain(problem));
        }
    }
    let exit = client.wait_for_exit(Duration::from_secs(1))?;
    Ok(Session {
        datagrams,
        ended: ended.unwrap_or_default(),
        exit,
        client,
    })
}

fn answer(socket: &UdpSocket, client: SocketAddr) -> std::io::Result<()> {
    socket.send_to(REPLY.as_bytes(), client).map(drop)
}

impl Session {
    /// Checks the number of datagrams and that each one is the message.
    fn expect_datagrams(&mut self, count: usize, why: &str) -> Result<(), Problem> {
        let all_the_message = self
            .datagrams
            .iter()
            .all(|(_, datagram)| datagram == MESSAGE.as_bytes());
        if self.datagrams.len() == count && all_the_message {
            return Ok(());
        }
        let got: Vec<String> = self
            .datagrams
            .iter()
            .map(|(at, datagram)| format!("{} at {:.2} s", show(datagram), at.as_secs_f64()))
            .collect();
        let hint = if !all_the_message {
            "send the same datagram each time: the message, nothing added"
        } else if self.datagrams.len() < count {
            RETRY_HINT
        } else {
            "stop sending as soon as an answer came, and after RETRIES retries"
        };
        let problem = Problem::new(format!("the checker expected {count} datagrams ({why})"))
            .expected(format!("{count} times {}", show(MESSAGE.as_bytes())))
            .got(format!(
                "{}: {}, and then the client {}",
                got.len(),
                if got.is_empty() {
                    "none".to_string()
                } else {
                    got.join(", ")
                },
                describe_exit(self.exit.status)
            ))
            .hint(hint);
        Err(self.client.explain(problem))
    }

    /// Checks that the client printed the answer and exited with 0.
    fn expect_answer_printed(&mut self) -> Result<(), Problem> {
        let wanted = format!("收到服务器响应: {REPLY}");
        let printed = self.exit.stdout.lines().any(|line| line == wanted);
        if printed && self.exit.status.success() {
            return Ok(());
        }
        let problem = Problem::new("the client did not print the answer and succeed")
            .expected(format!("a line `{wanted}`, and exit status 0"))
            .got(format!(
                "the output {}, and the client {}",
                show(self.exit.stdout.as_bytes()),
                describe_exit(self.exit.status)
            ))
            .hint("when an answer comes, on any try, print it and return from `ask` at once");
        Err(self.client.explain(problem))
    }
}

fn answered_at_once(program: &Path) -> Result<(), Problem> {
    let mut session = session(program, "0.1", Some(1))?;
    session.expect_datagrams(1, "the first was answered at once")?;
    session.expect_answer_printed()
}

fn answered_on_third_try(program: &Path) -> Result<(), Problem> {
    let mut session = session(program, "0.1", Some(3))?;
    session.expect_datagrams(
        3,
        "the checker dropped the first two and answered the third",
    )?;
    session.expect_answer_printed()
}

fn waits_double(program: &Path) -> Result<(), Problem> {
    let timeout = Duration::from_millis(200);
    let mut session = session(program, "0.2", None)?;
    session.expect_datagrams(TRIES, "none was answered: the first and 3 retries")?;
    let mut expected = timeout;
    for pair in session.datagrams.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        // Never shorter than the time-out (less a little for the clocks), and not much
        // longer: a busy machine may add a moment.
        let shortest = expected.mul_f64(0.8);
        let longest = expected.mul_f64(1.25) + Duration::from_millis(200);
        if gap < shortest || gap > longest {
            let gaps: Vec<String> = session
                .datagrams
                .windows(2)
                .map(|pair| format!("{:.2} s", (pair[1].0 - pair[0].0).as_secs_f64()))
                .collect();
            let problem = Problem::new("the waits between tries are not doubling")
                .detail("timeout", "--timeout 0.2")
                .expected("0.2 s, then 0.4 s, then 0.8 s between the four datagrams")
                .got(gaps.join(", "))
                .hint(
                    "wait `timeout` before the first retry, then twice as long before each \
                     next one: keep the wait in a variable, and double it (`wait *= 2`) after \
                     each silence; give it to `set_read_timeout` before each try",
                );
            return Err(session.client.explain(problem));
        }
        expected *= 2;
    }
    Ok(())
}

fn gives_up(program: &Path) -> Result<(), Problem> {
    let mut session = session(program, "0.1", None)?;
    session.expect_datagrams(TRIES, "none was answered: the first and 3 retries")?;
    // The last try gets its full wait too: 8 times --timeout, 0.8 s.
    let last_try = session
        .datagrams
        .last()
        .map(|(at, _)| *at)
        .unwrap_or_default();
    let last_wait = session.ended.saturating_sub(last_try);
    if last_wait < Duration::from_millis(640) {
        let problem = Problem::new("the client gave up without waiting for the last answer")
            .expected("a wait of 0.8 s after the fourth datagram, then exit status 6")
            .got(format!(
                "the client {} {:.2} s after the fourth datagram",
                describe_exit(session.exit.status),
                last_wait.as_secs_f64()
            ))
            .hint(
                "the last try waits for its answer like the others, twice as long as the one \
                 before it",
            );
        return Err(session.client.explain(problem));
    }
    if session.exit.status.code() == Some(6) {
        return Ok(());
    }
    let problem = Problem::new("the client did not give up with the time-out status")
        .expected("exit status 6 (timed out) after the fourth try went unanswered")
        .got(format!("the client {}", describe_exit(session.exit.status)))
        .hint(
            "after the last retry, return `Answer::Silence` from `ask`: `run` turns it into \
             the time-out error, exit status 6",
        );
    Err(session.client.explain(problem))
}
