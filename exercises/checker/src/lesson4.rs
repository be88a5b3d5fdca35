//! Lesson 4's exercises, on UDP clients; the checker plays the server.
//!
//! - 4.1 sends its datagram again, waiting twice as long each time, when no answer comes. The
//!   checker drops datagrams on purpose.
//! - 4.2 numbers its datagrams and takes only the answer to the one it sent last. The checker
//!   answers late, and sends datagrams that are no answer at all.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::program::{EXIT, Exit, Program, describe_exit};
use crate::report::{Check, Problem, show};

pub const RETRY_WITH_BACK_OFF: &[Check] = &[
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
];

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
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(cannot_use_socket)?;
    socket
        .set_read_timeout(Some(POLL))
        .map_err(cannot_use_socket)?;
    let port = socket
        .local_addr()
        .map_err(cannot_use_socket)?
        .port()
        .to_string();
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
                    answer(&socket, sender).map_err(cannot_use_socket)?;
                }
                continue; // more may be waiting
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) => return Err(cannot_use_socket(error)),
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

pub const NUMBERED_ANSWERS: &[Check] = &[
    Check {
        name: "each line goes out numbered, and each answer is printed without its number",
        run: answers_in_time,
    },
    Check {
        name: "a late answer to line 1 is not taken for the answer to line 2",
        run: late_answer_ignored,
    },
    Check {
        name: "datagrams that are no answer are ignored, and do not stretch the wait",
        run: strays_ignored,
    },
];

/// The lines piped to the client in every check of 4.2, and the datagrams they make.
const LINES: [&str; 3] = ["first", "second", "third"];

/// What the client prints before each answer, as lesson 4's client does.
const ANSWER_PREFIX: &str = "收到服务器响应: ";

/// The longest a client of 4.2 may take to send its next datagram: the time-out of the line
/// before, and a lot of room for a busy machine.
const NEXT_DATAGRAM: Duration = Duration::from_secs(5);

/// Datagrams that answer nothing the client sent: a wrong number, no number, bytes that are
/// not text, an empty datagram. Sent over and over while the client waits.
const STRAYS: [&[u8]; 4] = [b"9 stray", b"stray", b"\xff\xfe stray", b""];

/// How often a stray comes, and at most how many: the loop that sends them is bounded.
const STRAY_EVERY: Duration = Duration::from_millis(100);
const MOST_STRAYS: usize = 40;

/// Where 4.2's work goes, for hints.
const MATCH_HINT: &str = "at the TODO in `ask`: loop over the datagrams that come; \
    `split_number` gives each one's number; return the text when the number is `number`, \
    and otherwise ignore the datagram and receive the next";

/// The checker as the server of a 4.2 client: it sees each datagram the client sends, and
/// answers as the check decides.
struct Peer {
    socket: UdpSocket,
    /// The client's address, known from its first datagram.
    client_addr: Option<SocketAddr>,
    client: Program,
    /// Every datagram received so far, as a student reads them: for problems.
    received: Vec<String>,
}

impl Peer {
    /// Starts the client with `--timeout timeout`, and LINES on its standard input.
    fn start(program: &Path, timeout: &str) -> Result<Peer, Problem> {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(cannot_use_socket)?;
        let port = socket.local_addr().map_err(cannot_use_socket)?.port();
        let input: String = LINES.iter().map(|line| format!("{line}\n")).collect();
        let client = Program::start_with_input(
            program,
            &[
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--timeout",
                timeout,
            ],
            input.into_bytes(),
        )?;
        Ok(Peer {
            socket,
            client_addr: None,
            client,
            received: Vec::new(),
        })
    }

    /// The client's next datagram and when it came, or `None` if none came `within`.
    fn next_datagram(&mut self, within: Duration) -> Result<Option<(Instant, Vec<u8>)>, Problem> {
        // A read time-out of zero is refused; a millisecond is as good as none.
        let within = within.max(Duration::from_millis(1));
        self.socket
            .set_read_timeout(Some(within))
            .map_err(cannot_use_socket)?;
        let mut buffer = vec![0; 65_536];
        match self.socket.recv_from(&mut buffer) {
            Ok((count, sender)) => {
                self.client_addr = Some(sender);
                let datagram = buffer[..count].to_vec();
                self.received.push(show(&datagram));
                Ok(Some((Instant::now(), datagram)))
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Ok(None)
            }
            Err(error) => Err(cannot_use_socket(error)),
        }
    }

    /// Waits for the datagram of line `line` (counted from 1): `2 second` for line 2.
    fn expect_line(&mut self, line: usize) -> Result<Instant, Problem> {
        let wanted = format!("{line} {}", LINES[line - 1]);
        let Some((at, datagram)) = self.next_datagram(NEXT_DATAGRAM)? else {
            let problem = Problem::new(format!(
                "the client sent no datagram for line {line} within {} s",
                NEXT_DATAGRAM.as_secs()
            ))
            .expected(show(wanted.as_bytes()))
            .detail("received", self.received_so_far());
            return Err(self.client.explain(problem));
        };
        if datagram == wanted.as_bytes() {
            return Ok(at);
        }
        let problem = Problem::new(format!("line {line} did not go out as it should"))
            .expected(show(wanted.as_bytes()))
            .got(show(&datagram))
            .detail("received", self.received_so_far())
            .hint(
                "send each line once, as `NUMBER TEXT`, the lines numbered from 1: the \
                 starter's `ask` does that already",
            );
        Err(self.client.explain(problem))
    }

    /// Sends `datagram` to the client.
    fn send(&self, datagram: &[u8]) -> Result<(), Problem> {
        let client = self
            .client_addr
            .expect("a datagram came from the client first");
        self.socket
            .send_to(datagram, client)
            .map(drop)
            .map_err(cannot_use_socket)
    }

    /// Answers line `line` as lesson 4's server does with `--echo`: its datagram, as it came.
    fn answer(&self, line: usize) -> Result<(), Problem> {
        self.send(format!("{line} {}", LINES[line - 1]).as_bytes())
    }

    fn received_so_far(&self) -> String {
        format!("[{}]", self.received.join(", "))
    }

    /// Waits for the client to exit, and checks that it printed the answers `wanted`, in
    /// order, and exited with status 0.
    fn expect_printed(
        mut self,
        wanted: &[&str],
        what_happened: &str,
        hint: &str,
    ) -> Result<(), Problem> {
        let exit = self.client.wait_for_exit(EXIT)?;
        let printed: Vec<&str> = exit
            .stdout
            .lines()
            .filter_map(|line| line.strip_prefix(ANSWER_PREFIX))
            .collect();
        if printed == wanted && exit.status.success() {
            return Ok(());
        }
        let as_lines = |answers: &[&str]| -> String {
            let shown: Vec<String> = answers
                .iter()
                .map(|answer| show(format!("{ANSWER_PREFIX}{answer}").as_bytes()))
                .collect();
            if shown.is_empty() {
                "no answer".to_string()
            } else {
                shown.join(", ")
            }
        };
        let problem = Problem::new("the client did not print the right answers")
            .detail("sent", what_happened)
            .expected(format!("{}, then exit status 0", as_lines(wanted)))
            .got(format!(
                "{}, and the client {}",
                as_lines(&printed),
                describe_exit(exit.status)
            ))
            .hint(hint);
        Err(self.client.explain(problem))
    }
}

/// A failure of the checker's own socket: not the student's fault, but said all the same.
fn cannot_use_socket(error: std::io::Error) -> Problem {
    Problem::new(format!(
        "the checker cannot use its UDP socket: {}",
        common::describe(&error)
    ))
}

fn answers_in_time(program: &Path) -> Result<(), Problem> {
    let mut peer = Peer::start(program, "0.5")?;
    for line in 1..=LINES.len() {
        peer.expect_line(line)?;
        peer.answer(line)?;
    }
    peer.expect_printed(
        &LINES,
        "every datagram was answered at once, number and all",
        "print the text of each answer without its number and the space after it \
         (`split_number`)",
    )
}

fn late_answer_ignored(program: &Path) -> Result<(), Problem> {
    let mut peer = Peer::start(program, "0.3")?;
    peer.expect_line(1)?;
    // No answer to line 1 in time. Then, once line 2 is out, line 1's answer comes at last,
    // just before line 2's.
    peer.expect_line(2)?;
    peer.answer(1)?;
    peer.answer(2)?;
    peer.expect_line(3)?;
    peer.answer(3)?;
    peer.expect_printed(
        &["second", "third"],
        "no answer to line 1 in time (--timeout 0.3); when line 2 came, the answers to line \
         1 and to line 2, in that order; line 3 was answered at once",
        MATCH_HINT,
    )
}

fn strays_ignored(program: &Path) -> Result<(), Problem> {
    let timeout = Duration::from_millis(500);
    let mut peer = Peer::start(program, "0.5")?;
    let first = peer.expect_line(1)?;
    // Line 1 gets no answer, only strays, one every STRAY_EVERY, until line 2 goes out.
    let mut strays = STRAYS.iter().cycle().take(MOST_STRAYS);
    let second = loop {
        match peer.next_datagram(STRAY_EVERY)? {
            Some((at, datagram)) if datagram == b"2 second" => break at,
            Some((_, datagram)) => {
                let problem = Problem::new("line 2 did not go out as it should")
                    .expected(show(b"2 second"))
                    .got(show(&datagram))
                    .detail("received", peer.received_so_far());
                return Err(peer.client.explain(problem));
            }
            None => match strays.next() {
                Some(stray) => peer.send(stray)?,
                None => {
                    let problem = Problem::new(format!(
                        "the client still waited for the answer to line 1 after {} s of \
                         datagrams that answer nothing",
                        (STRAY_EVERY * MOST_STRAYS as u32).as_secs()
                    ))
                    .detail("sent", "a datagram that is no answer every 0.1 s")
                    .expected("line 2 after 0.5 s (--timeout 0.5): no answer to line 1 came")
                    .hint(
                        "wait until a deadline, not `timeout` again after each ignored \
                         datagram: `let deadline = Instant::now() + timeout;` before the loop, \
                         and before each receive, set the read time-out to what is left \
                         (`deadline.saturating_duration_since(Instant::now())`), giving up \
                         when nothing is left",
                    );
                    return Err(peer.client.explain(problem));
                }
            },
        }
    };
    peer.answer(2)?;
    peer.expect_line(3)?;
    peer.answer(3)?;
    let waited = second - first;
    let what_happened = "no answer to line 1, only datagrams that answer nothing (\"9 stray\", \
        \"stray\", bytes that are not text, an empty datagram), one every 0.1 s; lines 2 \
        and 3 were answered at once";
    peer.expect_printed(&["second", "third"], what_happened, MATCH_HINT)?;
    // Line 2 goes out when line 1's time-out is over: not before, and not much after.
    let longest = timeout.mul_f64(1.5) + Duration::from_millis(250);
    if waited < timeout.mul_f64(0.8) || waited > longest {
        return Err(
            Problem::new("the wait for the answer to line 1 was not --timeout")
                .detail("sent", what_happened)
                .expected("line 2 0.5 s after line 1 (--timeout 0.5)")
                .got(format!("line 2 {:.2} s after line 1", waited.as_secs_f64()))
                .hint(
                    "the datagrams you ignore must not change how long you wait in all: keep one \
                 deadline for the whole wait",
                ),
        );
    }
    Ok(())
}
