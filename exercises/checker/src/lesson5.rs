//! Lesson 5's exercise, on the chat room: 5.1 adds `/msg NAME text`, a line for one member.
//!
//! Three members join and take names (alice, bob, carol). To learn what a member got before
//! some point, another member says a marker line: a member's lines arrive in the order the
//! room queued them, so whatever was sent to bob before alice's marker arrives before it.
//! No waiting for something that should not come.

use std::net::SocketAddr;
use std::path::Path;

use crate::net::{ANSWER, Conn, Ending};
use crate::program::Program;
use crate::report::{Check, Exercise, Problem, show};

pub const PRIVATE_MESSAGE: Exercise = Exercise {
    id: "5.1",
    checks: &[
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
    ],
};

/// Where 5.1's work goes, for hints.
const MSG_HINT: &str = "at the TODO in `obey`, match `(\"/msg\", rest)`, split `rest` into the \
    name and the text (`split_once(' ')`), and give both to a new room method: like `say`, but \
    delivering with `|other| other == to_id`, the id of the member with that name \
    (`Members::id_of`)";

/// A member of the room, as the checker plays it.
struct Member {
    name: &'static str,
    conn: Conn,
}

impl Member {
    /// Connects, waits for the greeting, and takes `name` with `/nick`.
    fn join(addr: SocketAddr, name: &'static str, server: &mut Program) -> Result<Member, Problem> {
        let mut member = Member {
            name,
            conn: Conn::connect(addr)?,
        };
        member.until(
            server,
            |line| line.starts_with("* you are "),
            "the greeting",
        )?;
        member.say(&format!("/nick {name}"))?;
        let renamed = format!("* you are now {name}");
        member.until(server, |line| line == renamed, &renamed)?;
        Ok(member)
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
                 sender only (`other == id`)",
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
    let (mut server, addr) = Program::start_server(program)?;
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
            "deliver a private line to one member only (`|other| other == to_id`), not with \
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
                "look the name up under the room's lock (`Members::id_of`); when nobody has \
                 it, deliver an error line starting with `! ` to the sender (`other == id`)",
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
        .hint("find the member by its name now (`Members::id_of`), not by one remembered earlier");
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
