//! The chat room's rules, written once for the two servers that keep them: `chat-server`
//! (lesson 5, a thread per client) and `poll-chat-server` (one thread for every client).
//!
//! What a member sees (the welcome, the notices, the answers to `/nick` and `/who`, the
//! goodbye), which names `/nick` accepts, and the room's limits and their defaults live here.
//! How the bytes travel (threads that write, or an event loop with a buffer per connection)
//! stays in each server's own files: that is what the two lessons teach.
//!
//! Every line this module makes ends with `\n`, ready to be sent.

// ANCHOR: defaults
/// Tutorial 004's greeting ("welcome to the chat room!"), the first line every client gets
/// unless the server is started with another `--welcome`.
pub const WELCOME: &str = "欢迎来到聊天室!";

/// A chat line is short. The limit keeps one client from making the server hold an endless
/// line in memory: a longer line is refused, with an error line to its sender.
pub const MAX_LINE: usize = 4 * 1024;

/// The most members at once; the next client is refused with a line. A real server would size
/// this from its memory and file-descriptor limit; a classroom never comes near it.
pub const MAX_CLIENTS: usize = 1000;

/// How long (in seconds, as `--stuck-after` takes it) a member may take nothing while lines
/// wait for it before it is cut off. A member that reads never comes near it: its socket
/// buffers take hundreds of kilobytes at once. Only a member that stopped reading (a stopped
/// program, a dead laptop) does, and it holds up the room for this long, once.
pub const STUCK_AFTER: &str = "3";

/// [`crate::PAUSE`] as `--pause` takes it: seconds of silence that end a message sent without
/// a newline, as the tutorial's client sends them.
pub const PAUSE: &str = "0.1";

/// After Ctrl-C, how long clients have to read their last lines and close: after that, their
/// connections are closed, so a client that stopped reading cannot hold up the server.
pub const GOODBYE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// The longest name `/nick` accepts, in characters. Names show in front of every line.
pub const MAX_NAME_CHARS: usize = 24;

/// A name nobody may take: lines from it could pass for the server's own.
pub const RESERVED_NAME: &str = "server";
// ANCHOR_END: defaults

/// The room's options, the same for both servers: add them to a server's arguments with
/// `#[command(flatten)]`.
#[derive(clap::Args, Debug, Clone)]
pub struct RoomOptions {
    /// The first line every client gets
    #[arg(long, default_value = WELCOME)]
    pub welcome: String,

    /// The longest line a client may send, in bytes
    #[arg(long, default_value_t = MAX_LINE as u32, value_parser = clap::value_parser!(u32).range(1..=1024 * 1024))]
    pub max_line: u32,

    /// The most clients in the room at once; the next one is refused
    #[arg(long, default_value_t = MAX_CLIENTS as u32, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_clients: u32,

    /// Seconds a member may take nothing while lines wait for it, before it is cut off
    #[arg(long, value_name = "SECONDS", default_value = STUCK_AFTER, value_parser = crate::parse_seconds)]
    pub stuck_after: std::time::Duration,

    /// Seconds of silence that end a message sent without a newline, as the tutorial's
    /// client sends them
    #[arg(long, value_name = "SECONDS", default_value = PAUSE, value_parser = crate::parse_seconds)]
    pub pause: std::time::Duration,

    /// No line per message received (joins, leaves, cut-offs and errors still print), e.g.
    /// for a benchmark
    #[arg(long, short)]
    pub quiet: bool,
}

// ANCHOR: lines
/// The first two lines a member gets: the welcome, and the name the room gave it (its
/// address, until it picks one).
pub fn greeting(welcome: &str, name: &str) -> String {
    format!("{welcome}\n* you are {name}; /nick NAME changes your name, /who lists who is here\n")
}

/// A member's line, as everybody else sees it.
pub fn said(name: &str, text: &str) -> String {
    format!("{name}: {text}\n")
}

/// To the members who were there before `name` came in.
pub fn joined(name: &str) -> String {
    format!("* {name} joined\n")
}

/// To everybody, when `name` leaves.
pub fn left(name: &str) -> String {
    format!("* {name} left\n")
}

/// To everybody, when `name` was cut off because it took nothing for too long.
pub fn cut_off(name: &str) -> String {
    format!("* {name} was cut off: it stopped reading\n")
}

/// To everybody else, when `old` took the name `new`.
pub fn renamed(old: &str, new: &str) -> String {
    format!("* {old} is now {new}\n")
}

/// To the member who took the name `new`.
pub fn you_are_now(new: &str) -> String {
    format!("* you are now {new}\n")
}

/// The answer to `/who`: who is in the room, in the order they came.
pub fn who<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    format!("* in the room ({}): {}\n", names.len(), names.join(", "))
}

/// To the sender of a line longer than `max_line` bytes, which nobody got.
pub fn too_long(max_line: usize) -> String {
    format!(
        "! that line was longer than {max_line} bytes; nobody got it, send it in shorter lines\n"
    )
}

/// To the sender of a command the room does not know.
pub fn unknown_command(command: &str) -> String {
    format!("! unknown command {command}; try /nick NAME or /who\n")
}

/// What went wrong, as a line to the member it concerns (`/nick` with a bad name; a refused
/// client hears why, then its connection is closed).
pub fn problem(what: &str) -> String {
    format!("! {what}\n")
}

/// What every member hears on Ctrl-C, before its connection is closed.
pub const GOODBYE: &str = "* the server is shutting down, goodbye\n";
// ANCHOR_END: lines

/// Why a client was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The room has `max_clients` members.
    Full,
    /// The server is shutting down.
    Closed,
}

impl Refused {
    /// Why, in words, for the log line and for the client's line.
    pub fn why(self, max_clients: usize) -> String {
        match self {
            Refused::Full => format!("the room is full ({max_clients} clients), try again later"),
            Refused::Closed => "the server is shutting down".to_string(),
        }
    }
}

// ANCHOR: command
/// A line that starts with `/`.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `/nick NAME`: take a new name (the name is trimmed; it may be empty, and is then refused).
    Nick(&'a str),
    /// `/who`: who is in the room.
    Who,
    /// Any other command: its first word.
    Unknown(&'a str),
}

impl Command<'_> {
    /// The command in `line`, or `None` for a line that is not one (it does not start with `/`).
    pub fn parse(line: &str) -> Option<Command<'_>> {
        if !line.starts_with('/') {
            return None;
        }
        Some(match line.split_once(' ').unwrap_or((line, "")) {
            ("/nick", name) => Command::Nick(name.trim()),
            ("/who", _) => Command::Who,
            (command, _) => Command::Unknown(command),
        })
    }
}
// ANCHOR_END: command

// ANCHOR: printable
/// A line as it may be shown to others. Control characters (other than tab) could move
/// another user's cursor or clear their screen, and direction overrides could make a line
/// read backwards: they are shown as `�`, like bytes that are not UTF-8.
pub fn printable(line: &[u8]) -> String {
    let shown = |c: char| {
        if crate::unsafe_on_a_terminal(c) {
            '\u{fffd}'
        } else {
            c
        }
    };
    String::from_utf8_lossy(line).chars().map(shown).collect()
}
// ANCHOR_END: printable

// ANCHOR: names
/// Whether a member may take the name `new_name` while `others` are the other members' names.
/// `Err` says what is wrong with it, for [`problem`].
pub fn check_rename<'a>(
    new_name: &str,
    others: impl IntoIterator<Item = &'a str>,
) -> Result<(), String> {
    check_name(new_name)?;
    if others.into_iter().any(|other| looks_like(other, new_name)) {
        return Err(format!(
            "the name {new_name} is taken, or looks like one that is"
        ));
    }
    Ok(())
}

/// Whether two names could be taken for each other on screen: the same letters in another
/// case (`Ann`, `ann`), or look-alike letters (Cyrillic `а` for Latin `a`, `rn` for `m`).
/// Unicode's "skeleton" (UTS #39) maps every look-alike to one representative.
pub fn looks_like(one: &str, other: &str) -> bool {
    let skeleton =
        |name: &str| -> String { unicode_security::skeleton(&name.to_lowercase()).collect() };
    skeleton(one) == skeleton(other)
}

/// Names are short and cannot be mistaken for a line's parts: letters (any script), digits,
/// `_`, `-` and `.`; so no spaces, no `:` (addresses, the default names, have one), no
/// leading `*` or `!` (how notices and errors start), and nothing that looks like `server`.
pub fn check_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(format!("a name has 1 to {MAX_NAME_CHARS} characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err("a name has letters, digits, _ - and . only".to_string());
    }
    if looks_like(name, RESERVED_NAME) {
        return Err(format!("the name {name} is kept for the server"));
    }
    Ok(())
}
// ANCHOR_END: names

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_words() {
        assert!(check_name("alice").is_ok());
        assert!(check_name("小明").is_ok());
        assert!(check_name("a.b-c_d").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("two words").is_err());
        assert!(check_name("127.0.0.1:80").is_err());
        assert!(check_name("*admin").is_err());
        assert!(check_name(&"x".repeat(25)).is_err());
        assert!(check_name("Server").is_err());
        assert!(check_name("sеrver").is_err()); // a Cyrillic е
    }

    #[test]
    fn names_that_differ_only_in_case_or_look_alike_letters_clash() {
        assert!(looks_like("Ann", "ann"));
        assert!(looks_like("alice", "аlice")); // a Cyrillic а
        assert!(looks_like("mom", "rnom"));
        assert!(!looks_like("ann", "anna"));
        assert!(!looks_like("小明", "小红"));
    }

    #[test]
    fn a_rename_is_checked_against_the_others_only() {
        assert_eq!(check_rename("Ann", ["bob"]), Ok(()));
        assert_eq!(
            check_rename("Ann", ["bob", "ann"]),
            Err("the name Ann is taken, or looks like one that is".to_string())
        );
        assert!(check_rename("two words", []).is_err());
    }

    #[test]
    fn commands_are_lines_that_start_with_a_slash() {
        assert_eq!(Command::parse("hello"), None);
        assert_eq!(Command::parse("/nick  ann "), Some(Command::Nick("ann")));
        assert_eq!(Command::parse("/nick"), Some(Command::Nick("")));
        assert_eq!(Command::parse("/who"), Some(Command::Who));
        assert_eq!(Command::parse("/who is there"), Some(Command::Who));
        assert_eq!(
            Command::parse("/shout hi"),
            Some(Command::Unknown("/shout"))
        );
    }

    #[test]
    fn the_pause_default_is_the_readers_pause() {
        assert_eq!(crate::parse_seconds(PAUSE), Ok(crate::PAUSE));
    }

    #[test]
    fn lines_end_with_a_newline() {
        assert_eq!(
            who(["ann", "bob"]),
            "* in the room (2): ann, bob\n".to_string()
        );
        assert_eq!(printable(b"caf\xe9 \x1b[2J"), "caf\u{fffd} \u{fffd}[2J");
        assert_eq!(
            Refused::Full.why(2),
            "the room is full (2 clients), try again later"
        );
    }
}
