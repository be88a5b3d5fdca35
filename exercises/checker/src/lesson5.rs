//! Lesson 5's exercises, on the chat room: 5.1 adds `/msg NAME text`, a line for one member;
//! 5.2 adds flood control, `--rate` lines a second for each member.
//!
//! Three members join and take names (alice, bob, carol). To learn what a member got before
//! some point, another member says a marker line: alice's thread writes her lines to bob in
//! the order she sent them, so whatever she sent bob before her marker arrives before it.
//! No waiting for something that should not come.
//!
//! For 5.2, alice floods the room with numbered lines in one write, and bob notes when each
//! arrives: the times say whether the flood was slowed down, and the numbers that nothing was
//! lost. Every wait has a deadline; nothing sleeps.

use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::net::{ANSWER, Conn, Ending};
use crate::program::Program;
use crate::report::{Check, Problem, show};

pub const PRIVATE_MESSAGE: &[Check] = &[
    Check {
        name: "`/msg bob text` reaches bob as `alice (private): text`",
        run: reaches_bob,
    },
    Check {
        name: "a private line reaches nobody else",
        run: nobody_else,
    },
    Check {
        name: "a name nobody has gets `! nobody here is called NAME`, to the sender only",
        run: unknown_name,
    },
    Check {
        name: "a member who changed name is reached by the new name only",
        run: renamed_member,
    },
    Check {
        name: "ordinary lines still reach every other member",
        run: ordinary_lines,
    },
];

pub const FLOOD_CONTROL: &[Check] = &[
    Check {
        name: "a burst of up to --rate lines goes through at once",
        run: burst_goes_through,
    },
    Check {
        name: "a flood is slowed down to --rate lines a second, and nothing is lost",
        run: flood_is_slowed,
    },
    Check {
        name: "only the flooder waits: the others talk freely meanwhile",
        run: only_the_flooder_waits,
    },
    Check {
        name: "the flooder stays in the room, and its commands are answered",
        run: flooder_stays,
    },
    Check {
        name: "the server stops reading a flooder, so its own writes wait",
        run: flooder_is_held_back,
    },
];

/// Where 5.1's work goes, for hints.
const MSG_HINT: &str = "at the TODO in `obey`, match `Some(Command::Unknown(\"/msg\"))`, split \
    the rest of `line` into the name and the text (`split_once(' ')`), and give both to a new \
    room method: like `say`, but delivering to `To::Only(to_id)`, the id of the member with \
    that name (look it up in `by_id`, under the room's lock)";

/// A member of the room, as the checker plays it.
struct Member {
    name: &'static str,
    conn: Conn,
}

impl Member {
    /// Connects, waits for the greeting, and takes `name` with `/nick`.
    fn join(addr: SocketAddr, name: &'static str, server: &mut Program) -> Result<Member, Problem> {
        Member::enter(Conn::connect(addr)?, name, server)
    }

    /// Like `join`, on a connection made already.
    fn enter(conn: Conn, name: &'static str, server: &mut Program) -> Result<Member, Problem> {
        let mut member = Member::greeted(conn, name, server)?.0;
        member.say(&format!("/nick {name}"))?;
        let renamed = format!("* you are now {name}");
        member.until(server, |line| line == renamed, &renamed)?;
        Ok(member)
    }

    /// Connects and waits for the greeting, without taking a name: returns the member, called
    /// `name` in the checker's messages, and the name the room gave it (its address).
    fn arrive(
        addr: SocketAddr,
        name: &'static str,
        server: &mut Program,
    ) -> Result<(Member, String), Problem> {
        Member::greeted(Conn::connect(addr)?, name, server)
    }

    /// Waits for the greeting, `* you are NAME; ...`, and returns the member and that NAME.
    fn greeted(
        conn: Conn,
        name: &'static str,
        server: &mut Program,
    ) -> Result<(Member, String), Problem> {
        let mut member = Member { name, conn };
        let mut given = String::new();
        member.until(
            server,
            |line| match line.strip_prefix("* you are ") {
                Some(rest) => {
                    given = rest.split(';').next().unwrap_or(rest).to_string();
                    true
                }
                None => false,
            },
            "the greeting",
        )?;
        Ok((member, given))
    }

    /// Sends one line.
    fn say(&mut self, line: &str) -> Result<(), Problem> {
        self.conn.send(format!("{line}\n").as_bytes())
    }

    /// Reads lines until one for which `wanted` is true; returns the lines before it.
    fn until(
        &mut self,
        server: &mut Program,
        mut wanted: impl FnMut(&str) -> bool,
        what: &str,
    ) -> Result<Vec<String>, Problem> {
        let mut before = Vec::new();
        loop {
            let reply = self.conn.read_line(ANSWER);
            if reply.ending != Ending::Done {
                let problem = Problem::new(format!("{} never got {what}", self.name)).got(format!(
                    "the lines {}, then {}",
                    show_lines(&before),
                    reply.describe()
                ));
                return Err(server.explain(problem));
            }
            let line = String::from_utf8_lossy(&reply.bytes).into_owned();
            if wanted(&line) {
                return Ok(before);
            }
            before.push(line);
        }
    }

    /// Reads until an error line, `! ...`, and returns it. Notices (`* ...`) that came before
    /// it are skipped.
    fn error_line(&mut self, server: &mut Program) -> Result<String, Problem> {
        let mut error = String::new();
        self.until(
            server,
            |line| {
                let found = line.starts_with("! ");
                if found {
                    error = line.to_string();
                }
                found
            },
            "an error line (`! ...`)",
        )
        .map_err(|problem| {
            problem.hint(
                "when nobody has the name, deliver an error line starting with `! ` to the \
                 sender only (`To::Only(id)`)",
            )
        })?;
        Ok(error)
    }

    /// Reads until `from`'s public line `marker`; returns the lines before it.
    fn until_marker(
        &mut self,
        server: &mut Program,
        from: &str,
        marker: &str,
    ) -> Result<Vec<String>, Problem> {
        let wanted = format!("{from}: {marker}");
        self.until(server, |line| line == wanted, &format!("`{wanted}`"))
    }
}

/// Lines as a student reads them: `["a", "b"]`.
fn show_lines(lines: &[String]) -> String {
    let shown: Vec<String> = lines.iter().map(|line| show(line.as_bytes())).collect();
    format!("[{}]", shown.join(", "))
}

/// The server, and alice, bob and carol in the room.
fn room(program: &Path) -> Result<(Program, Member, Member, Member), Problem> {
    let (server, addr) = Program::start_server(program)?;
    room_at(server, addr)
}

/// Alice, bob and carol join the room of `server`, at `addr`.
fn room_at(
    mut server: Program,
    addr: SocketAddr,
) -> Result<(Program, Member, Member, Member), Problem> {
    let alice = Member::join(addr, "alice", &mut server)?;
    let bob = Member::join(addr, "bob", &mut server)?;
    let carol = Member::join(addr, "carol", &mut server)?;
    Ok((server, alice, bob, carol))
}

/// Checks that `member` got `private` before `marker` from alice.
fn expect_private(
    server: &mut Program,
    member: &mut Member,
    command: &str,
    private: &str,
    marker: &str,
) -> Result<(), Problem> {
    let before = member.until_marker(server, "alice", marker)?;
    if before.iter().any(|line| line == private) {
        return Ok(());
    }
    let problem = Problem::new(format!("{} did not get the private line", member.name))
        .detail("sent", format!("by alice: `{command}`, then `{marker}`"))
        .expected(format!(
            "the line {} before `alice: {marker}`",
            show(private.as_bytes())
        ))
        .got(format!("the lines {} before it", show_lines(&before)))
        .hint(MSG_HINT);
    Err(server.explain(problem))
}

/// Checks that none of `member`'s lines before alice's `marker` holds `secret`.
fn expect_nothing_of(
    server: &mut Program,
    member: &mut Member,
    secret: &str,
    marker: &str,
) -> Result<(), Problem> {
    let before = member.until_marker(server, "alice", marker)?;
    if !before.iter().any(|line| line.contains(secret)) {
        return Ok(());
    }
    let problem = Problem::new(format!("{} got a line that was not for them", member.name))
        .expected(format!(
            "no line with {} for {}",
            show(secret.as_bytes()),
            member.name
        ))
        .got(format!("the lines {}", show_lines(&before)))
        .hint(
            "deliver a private line to one member only (`To::Only(to_id)`), not with \
             `say`, which sends to everybody but the sender",
        );
    Err(server.explain(problem))
}

fn reaches_bob(program: &Path) -> Result<(), Problem> {
    let (mut server, mut alice, mut bob, _carol) = room(program)?;
    let command = "/msg bob 你好, are you there?";
    alice.say(command)?;
    alice.say("marker one")?;
    expect_private(
        &mut server,
        &mut bob,
        command,
        "alice (private): 你好, are you there?",
        "marker one",
    )
}

fn nobody_else(program: &Path) -> Result<(), Problem> {
    let (mut server, mut alice, mut bob, mut carol) = room(program)?;
    let command = "/msg bob the secret plan";
    alice.say(command)?;
    alice.say("marker two")?;
    // Bob must get it: a line that reaches nobody at all reaches nobody else, too.
    expect_private(
        &mut server,
        &mut bob,
        command,
        "alice (private): the secret plan",
        "marker two",
    )?;
    expect_nothing_of(&mut server, &mut carol, "secret plan", "marker two")
}

fn unknown_name(program: &Path) -> Result<(), Problem> {
    let (mut server, mut alice, mut bob, _carol) = room(program)?;
    alice.say("/msg zoe are you there?")?;
    let error = alice.error_line(&mut server)?;
    if !error.contains("zoe") {
        let problem = Problem::new("alice was not told that nobody is called zoe")
            .sent(b"/msg zoe are you there?\n")
            .expected("a line such as `! nobody here is called zoe`, to alice")
            .got(show(error.as_bytes()))
            .hint(
                "look the name up in `by_id`, under the room's lock; when nobody has it, \
                 deliver an error line starting with `! ` to the sender (`To::Only(id)`)",
            );
        return Err(server.explain(problem));
    }
    alice.say("marker three")?;
    expect_nothing_of(&mut server, &mut bob, "are you there", "marker three")
}

fn renamed_member(program: &Path) -> Result<(), Problem> {
    let (mut server, mut alice, mut bob, _carol) = room(program)?;
    bob.say("/nick bobby")?;
    bob.until(
        &mut server,
        |line| line == "* you are now bobby",
        "`* you are now bobby`",
    )?;
    alice.until(
        &mut server,
        |line| line == "* bob is now bobby",
        "`* bob is now bobby`",
    )?;
    bob.name = "bobby";
    let command = "/msg bobby hello bobby";
    alice.say(command)?;
    alice.say("marker four")?;
    expect_private(
        &mut server,
        &mut bob,
        command,
        "alice (private): hello bobby",
        "marker four",
    )?;
    alice.say("/msg bob hello again")?;
    alice.say("marker five")?;
    // Whatever alice gets, bob must not get it under his old name.
    expect_nothing_of(&mut server, &mut bob, "hello again", "marker five")?;
    let error = alice.error_line(&mut server)?;
    if error.contains("bob") {
        return Ok(());
    }
    let problem = Problem::new("alice was not told that nobody is called bob any more")
        .sent(b"/msg bob hello again\n")
        .expected("a line such as `! nobody here is called bob`, to alice: bob is bobby now")
        .got(show(error.as_bytes()))
        .hint("find the member by its name now (in `by_id`), not by one remembered earlier");
    Err(server.explain(problem))
}

fn ordinary_lines(program: &Path) -> Result<(), Problem> {
    let (mut server, mut alice, mut bob, mut carol) = room(program)?;
    carol.say("hello all")?;
    for member in [&mut alice, &mut bob] {
        member
            .until(
                &mut server,
                |line| line == "carol: hello all",
                "`carol: hello all`",
            )
            .map_err(|problem| {
                problem.hint(
                    "a line that is not a command still goes to everybody but its sender, \
                     with `room.say`: keep that arm of the `match` in `obey`",
                )
            })?;
    }
    Ok(())
}

// Exercise 5.2: flood control.

/// `--rate` for the server under test: high enough that a check is quick (100 lines take 1 s),
/// low enough that a flood at loopback speed is far faster.
const RATE: u32 = 50;

/// `RATE` as a number of lines.
const RATE_LINES: usize = RATE as usize;

/// Alice's flood: twice `--rate`, so that half goes through at once and half is paced.
const FLOOD: usize = 2 * RATE_LINES;

/// A burst: fewer than `--rate` lines, so that even a member who spent a token on `/nick` a
/// moment ago, or a bucket that fills a little unevenly, lets it through at once.
const BURST: usize = RATE_LINES * 9 / 10;

/// At least how long a paced flood takes, from alice's write to bob's last line. A token
/// bucket takes 1 s: after the first `RATE` lines, the other `RATE` come at `RATE` a second.
const FLOOD_AT_LEAST: Duration = Duration::from_millis(800);

/// At most how long a paced flood may take: 1 s, plus a lot of slack for a busy machine.
const FLOOD_AT_MOST: Duration = Duration::from_secs(3);

/// At most how long a burst may take. Over loopback it takes a few milliseconds; at `RATE`
/// lines a second, without a burst, it would take almost 1 s.
const BURST_AT_MOST: Duration = Duration::from_millis(600);

/// How long the checker follows a flood before giving up.
const FLOOD_DEADLINE: Duration = Duration::from_secs(6);

/// `--rate` for the check that only the flooder waits: one line a second. Alice's `/nick`
/// spends her token, so each line of her flood waits a whole second, and a member held up
/// behind her (by the room's lock, say, or a pace the whole room shares) is held up that long.
const SLOW_RATE: u32 = 1;

/// What carol says while alice waits. Carol takes no name, and so still has her token.
const CAROL_SAYS: &str = "may I say something?";

/// At most how long carol's line may take to reach bob while alice waits. A few milliseconds
/// when nothing holds it up; about a second, the rest of alice's wait, when something does.
const CAROL_AT_MOST: Duration = Duration::from_millis(400);

/// How long after her first line alice's second may come, at the least, to show that her
/// flood is slowed down (a second, at one line a second).
const SLOW_GAP: Duration = Duration::from_millis(500);

/// What the checker writes to a flooder's connection to see its writes held back: far more
/// than a server's socket buffers hold when it reads only `RATE` lines a second.
const HELD_BACK_BYTES: usize = 32_000_000;

/// The length of each of those lines, `\n` included. Short lines: at `RATE` lines a second a
/// server reads only a few kilobytes a second, too little to let a blocked write go on.
const HELD_BACK_LINE: usize = 100;

/// How long a write may make no progress before the checker calls it held back.
const STALLED: Duration = Duration::from_secs(1);

/// How long the checker keeps writing to a server that keeps reading.
const HELD_BACK_DEADLINE: Duration = Duration::from_secs(10);

/// Where 5.2's work goes, for hints.
const PACE_HINT: &str = "at the TODO in `read_lines`, before the member's thread takes in its \
    next line, take a token from this member's bucket; when it has none, say the batch, then \
    `thread::sleep` until one has come in. The bucket holds up to `rate` tokens and gains \
    `rate` a second (`Instant` says how much time has passed)";

/// Starts the server with `--rate RATE`, on a port the system picks, and finds its address.
fn start_paced(program: &Path, rate: u32) -> Result<(Program, SocketAddr), Problem> {
    Program::start_server_with(program, &["--rate", &rate.to_string()])
}

/// The text of alice's line number `n` (from 1): numbered, to see that none is lost.
fn flood_text(n: usize) -> String {
    format!("flood {n:03}")
}

/// Seconds, as a student reads them: `0.004 s`.
fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

/// Alice's flood, as bob sees it.
struct Flood {
    /// How many lines alice sent.
    count: usize,
    /// When alice sent them, all in one write.
    sent: Instant,
    /// When each of alice's lines reached bob, in order.
    arrived: Vec<Instant>,
    /// Bob's other lines, in order.
    others: Vec<Heard>,
}

/// A line bob got that was not alice's.
struct Heard {
    line: String,
    at: Instant,
    /// How many of alice's lines had come before it.
    after: usize,
}

impl Flood {
    /// Alice sends `count` numbered lines, then the `extra` lines, all in one write.
    fn start(alice: &mut Member, count: usize, extra: &[&str]) -> Result<Flood, Problem> {
        let mut lines: Vec<String> = (1..=count).map(flood_text).collect();
        lines.extend(extra.iter().map(|line| line.to_string()));
        let sent = Instant::now();
        alice
            .conn
            .send(format!("{}\n", lines.join("\n")).as_bytes())?;
        Ok(Flood {
            count,
            sent,
            arrived: Vec::new(),
            others: Vec::new(),
        })
    }

    /// Reads bob's lines until `done` says so, noting when each came. Fails when one of
    /// alice's lines is missing or out of order, or when `FLOOD_DEADLINE` has passed.
    fn follow(
        &mut self,
        server: &mut Program,
        bob: &mut Member,
        done: impl Fn(&Flood) -> bool,
    ) -> Result<(), Problem> {
        let deadline = self.sent + FLOOD_DEADLINE;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            let reply = bob.conn.read_line(left);
            let at = Instant::now();
            if reply.ending != Ending::Done {
                let problem = Problem::new(format!(
                    "bob got {} of alice's {} lines within {}",
                    self.arrived.len(),
                    self.count,
                    seconds(FLOOD_DEADLINE)
                ))
                .detail(
                    "sent",
                    format!(
                        "by alice, in one write: `{}` to `{}`",
                        flood_text(1),
                        flood_text(self.count)
                    ),
                )
                .got(format!("then {}", reply.describe()))
                .hint(
                    "every line of a flood must reach the room, only later: wait for a token; \
                     never drop a line, nor cut the flooder off",
                );
                return Err(server.explain(problem));
            }
            let line = String::from_utf8_lossy(&reply.bytes).into_owned();
            let Some(text) = line.strip_prefix("alice: ") else {
                self.others.push(Heard {
                    line,
                    at,
                    after: self.arrived.len(),
                });
                continue;
            };
            let expected = flood_text(self.arrived.len() + 1);
            if text != expected {
                let problem = Problem::new(
                    "alice's lines reached bob out of order, or some were lost",
                )
                .expected(format!("`alice: {expected}`"))
                .got(show(line.as_bytes()))
                .hint(
                    "a line that waits for its token must still come, and in its turn: wait \
                     in the member's own thread, before the line goes to the room; never drop it",
                );
                return Err(server.explain(problem));
            }
            self.arrived.push(at);
        }
        Ok(())
    }

    /// How long after alice's write bob got her line number `n` (from 1).
    fn took(&self, n: usize) -> Duration {
        self.arrived[n - 1].duration_since(self.sent)
    }
}

fn burst_goes_through(program: &Path) -> Result<(), Problem> {
    let (server, addr) = start_paced(program, RATE)?;
    let (mut server, mut alice, mut bob, _carol) = room_at(server, addr)?;
    let mut flood = Flood::start(&mut alice, BURST, &[])?;
    flood.follow(&mut server, &mut bob, |flood| flood.arrived.len() == BURST)?;
    let took = flood.took(BURST);
    if took <= BURST_AT_MOST {
        return Ok(());
    }
    let problem = Problem::new("a burst was held back")
        .detail(
            "sent",
            format!("by alice, in one write: {BURST} lines, fewer than --rate {RATE}"),
        )
        .expected(format!(
            "all {BURST} at bob at once (within {}): a member may send up to --rate lines at once",
            seconds(BURST_AT_MOST)
        ))
        .got(format!(
            "line {BURST} {} after alice sent them",
            seconds(took)
        ))
        .hint(
            "let the bucket hold up to `rate` tokens, and start it full: a member then waits \
             only once it has sent `rate` lines faster than `rate` a second",
        );
    Err(server.explain(problem))
}

fn flood_is_slowed(program: &Path) -> Result<(), Problem> {
    let (server, addr) = start_paced(program, RATE)?;
    let (mut server, mut alice, mut bob, _carol) = room_at(server, addr)?;
    let mut flood = Flood::start(&mut alice, FLOOD, &[])?;
    flood.follow(&mut server, &mut bob, |flood| flood.arrived.len() == FLOOD)?;
    let (half, all) = (flood.took(RATE_LINES), flood.took(FLOOD));
    let got = format!(
        "line {RATE_LINES} came {} after alice sent them, line {FLOOD} {} after",
        seconds(half),
        seconds(all)
    );
    let expected = format!(
        "{RATE_LINES} lines at once, then {RATE_LINES} more at {RATE} a second: line {FLOOD} \
         about 1 s after alice sent them (between {} and {})",
        seconds(FLOOD_AT_LEAST),
        seconds(FLOOD_AT_MOST)
    );
    let sent = format!("by alice, in one write: {FLOOD} lines, with --rate {RATE}");
    if all < FLOOD_AT_LEAST {
        let problem = Problem::new("the flood was not slowed down")
            .detail("sent", sent)
            .expected(expected)
            .got(got)
            .hint(PACE_HINT);
        return Err(server.explain(problem));
    }
    if all > FLOOD_AT_MOST {
        let problem = Problem::new("the flood was slowed down too much")
            .detail("sent", sent)
            .expected(expected)
            .got(got)
            .hint(format!(
                "--rate is lines a second: once the bucket is empty, a line every 1/rate s \
                 ({} s here), and the bucket holds `rate` tokens. Work out how long to sleep from \
                 the time that has passed (`Instant`), not from a fixed step",
                1.0 / f64::from(RATE)
            ));
        return Err(server.explain(problem));
    }
    Ok(())
}

fn only_the_flooder_waits(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_paced(program, SLOW_RATE)?;
    let mut alice = Member::join(addr, "alice", &mut server)?;
    let mut bob = Member::join(addr, "bob", &mut server)?;
    let (mut carol, carol_name) = Member::arrive(addr, "carol", &mut server)?;
    let mut flood = Flood::start(&mut alice, 2, &[])?;
    flood.follow(&mut server, &mut bob, |flood| !flood.arrived.is_empty())?;
    // Alice's first line is out: her reader waits a second for the next token. Carol speaks.
    let carol_line = format!("{carol_name}: {CAROL_SAYS}");
    let carol_sent = Instant::now();
    carol.say(CAROL_SAYS)?;
    let carol_hint = "carol's line must reach bob while alice waits: pace each member in its \
        own thread, with a bucket of its own, and never sleep while holding the room's \
        lock";
    flood
        .follow(&mut server, &mut bob, |flood| {
            flood.arrived.len() == 2 && flood.others.iter().any(|heard| heard.line == carol_line)
        })
        .map_err(|problem| problem.hint(carol_hint))?;
    let Some(heard) = flood.others.iter().find(|heard| heard.line == carol_line) else {
        return Err(Problem::new("carol's line went missing").hint(carol_hint));
    };
    let carol_took = heard.at.duration_since(carol_sent);
    if heard.after < 2 && carol_took <= CAROL_AT_MOST {
        return Ok(());
    }
    let sent = format!(
        "with --rate {SLOW_RATE}: alice, who has spent her token on `/nick`, 2 lines in one \
         write; once bob had the first, carol (who still has hers) `{CAROL_SAYS}`"
    );
    let gap = flood.arrived[1].duration_since(flood.arrived[0]);
    let problem = if gap < SLOW_GAP {
        Problem::new("alice was not slowed down, so this check cannot see who waits")
            .detail("sent", sent)
            .expected("alice's second line a second after her first")
            .got(format!(
                "alice's second line {} after her first",
                seconds(gap)
            ))
            .hint(format!(
                "slow the flooder down first (the check above): {PACE_HINT}. This check then \
                 sees whether the others can still talk while the flooder waits"
            ))
    } else {
        let order = if heard.after < 2 { "before" } else { "after" };
        Problem::new("carol had to wait while alice was slowed down")
            .detail("sent", sent)
            .expected(format!(
                "carol's line at bob at once (within {}), long before alice's second line",
                seconds(CAROL_AT_MOST)
            ))
            .got(format!(
                "carol's line {} after she said it, {order} alice's second line",
                seconds(carol_took)
            ))
            .hint(
                "the waiting belongs to the flooder alone: sleep in its own thread, with \
                 a bucket of its own (not one for the whole room), and never while holding the \
                 room's lock, which every member needs to speak",
            )
    };
    Err(server.explain(problem))
}

fn flooder_stays(program: &Path) -> Result<(), Problem> {
    let (server, addr) = start_paced(program, RATE)?;
    let (mut server, mut alice, mut bob, _carol) = room_at(server, addr)?;
    let mut flood = Flood::start(&mut alice, FLOOD, &["/who"])?;
    flood.follow(&mut server, &mut bob, |flood| flood.arrived.len() == FLOOD)?;
    let stay_hint = "nobody is cut off for flooding: the flooder's lines are only delayed, \
        and its commands are answered in their turn";
    if let Some(heard) = flood.others.iter().find(|heard| {
        heard.line.starts_with("* alice")
            && (heard.line.contains("left") || heard.line.contains("cut off"))
    }) {
        let problem = Problem::new("alice left the room during her flood")
            .detail(
                "sent",
                format!("by alice, in one write: {FLOOD} lines, then `/who`"),
            )
            .expected("alice stays in the room")
            .got(format!("bob got {}", show(heard.line.as_bytes())))
            .hint(stay_hint);
        return Err(server.explain(problem));
    }
    let mut answer = String::new();
    alice
        .until(
            &mut server,
            |line| {
                let found = line.starts_with("* in the room");
                if found {
                    answer = line.to_string();
                }
                found
            },
            "the answer to her `/who`, sent after her flood",
        )
        .map_err(|problem| problem.hint(stay_hint))?;
    let wanted = "* in the room (3): alice, bob, carol";
    if answer == wanted {
        return Ok(());
    }
    let problem = Problem::new("alice's `/who`, after her flood, got a wrong answer")
        .expected(format!("`{wanted}`"))
        .got(show(answer.as_bytes()))
        .hint(stay_hint);
    Err(server.explain(problem))
}

fn flooder_is_held_back(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = start_paced(program, RATE)?;
    let stream = TcpStream::connect_timeout(&addr, ANSWER).map_err(|error| {
        Problem::new(format!(
            "cannot connect to the server at {addr}: {}",
            common::describe(&error)
        ))
    })?;
    let mut writer = stream.try_clone().map_err(|error| {
        Problem::new(format!(
            "cannot clone the connection: {}",
            common::describe(&error)
        ))
    })?;
    let _alice = Member::enter(Conn::from(stream), "alice", &mut server)?;

    // Short numbered lines, many more than any socket buffer holds.
    let mut flood = Vec::with_capacity(HELD_BACK_BYTES);
    for n in 1..=HELD_BACK_BYTES / HELD_BACK_LINE {
        let mut line = format!("flood {n:07} ");
        line.extend(std::iter::repeat_n('.', HELD_BACK_LINE - 1 - line.len()));
        line.push('\n');
        flood.extend_from_slice(line.as_bytes());
    }
    let total = flood.len();
    let megabytes = |bytes: usize| format!("{:.1} MB", bytes as f64 / 1e6);
    let sent = format!(
        "by alice: {} of short lines, as fast as the server takes them, with --rate {RATE}",
        megabytes(total)
    );
    let hint = "sleep in the member's own thread, between two reads, so that its \
        unread lines stay in the kernel's socket buffers: once those are full, TCP stops the \
        flooder's writes. Lines taken in and kept in a queue of the server's own would use \
        its memory without limit";

    // A write that makes no progress for `STALLED` fails with a time-out: held back.
    writer.set_write_timeout(Some(STALLED)).map_err(|error| {
        Problem::new(format!(
            "cannot set a time-out: {}",
            common::describe(&error)
        ))
    })?;
    let deadline = Instant::now() + HELD_BACK_DEADLINE;
    let mut written = 0;
    let held_back = loop {
        if written == total || Instant::now() >= deadline {
            break false;
        }
        let end = (written + 64 * 1024).min(total);
        match writer.write(&flood[written..end]) {
            Ok(count) => written += count,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break true;
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => {
                let problem = Problem::new("alice's connection broke during her flood")
                    .detail("sent", sent)
                    .got(format!(
                        "an error after {}: {}",
                        megabytes(written),
                        common::describe(&error)
                    ))
                    .hint(format!(
                        "nobody is cut off for flooding: the flooder is only slowed down. {hint}"
                    ));
                return Err(server.explain(problem));
            }
        }
    };
    if held_back {
        return Ok(());
    }
    let got = if written == total {
        format!("the server took in all {}", megabytes(total))
    } else {
        format!(
            "the server was still taking lines in after {}: {} so far",
            seconds(HELD_BACK_DEADLINE),
            megabytes(written)
        )
    };
    let problem = Problem::new("the server kept reading the flooder's lines")
        .detail("sent", sent)
        .expected(format!(
            "alice's writes stop (nothing more goes in for {}) once the socket buffers are full",
            seconds(STALLED)
        ))
        .got(got)
        .hint(hint);
    Err(server.explain(problem))
}
