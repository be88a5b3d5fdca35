//! Lesson 1's exercises, on the echo server: 1.1 answers in upper case, 1.2 serves every
//! client at once.

use std::path::Path;

use crate::net::{ANSWER, Conn, Ending};
use crate::program::Program;
use crate::report::{Check, Problem, first_difference, show};

pub const UPPER_ECHO: &[Check] = &[
    Check {
        name: "letters come back in upper case",
        run: letters_in_upper_case,
    },
    Check {
        name: "every byte that is not a letter a-z comes back as it was",
        run: other_bytes_unchanged,
    },
    Check {
        name: "a message longer than the buffer comes back whole, in upper case",
        run: long_message_in_upper_case,
    },
    Check {
        name: "the server goes on with the next client when one leaves",
        run: next_client_in_upper_case,
    },
];

pub const THREADED_ECHO: &[Check] = &[
    Check {
        name: "a second client is answered while the first stays connected",
        run: second_client_while_first_connected,
    },
    Check {
        name: "ten clients connected at once are all answered",
        run: ten_clients_at_once,
    },
    Check {
        name: "a client that vanishes mid-echo does not stop the server",
        run: vanishing_client,
    },
    Check {
        name: "the bytes come back unchanged, even when they are not UTF-8",
        run: bytes_unchanged,
    },
];

/// Where 1.1's reply is made, for hints.
const UPPER_HINT: &str = "the reply is built in `echo`, at the TODO: make it from `data` \
    with the letters a-z turned into A-Z (look for a method of `[u8]` with `ascii` and \
    `uppercase` in its name)";

/// Why 1.2's clients wait, for hints.
const THREAD_HINT: &str = "the accept loop calls `serve_client` and waits for it to return \
    before it accepts the next client: at the TODO, run it on a thread of its own \
    (`std::thread::spawn`, with a `move` closure that owns the stream)";

/// Sends `message` and checks that exactly `expected` comes back.
fn expect_echo(
    conn: &mut Conn,
    message: &[u8],
    expected: &[u8],
    hint: &str,
) -> Result<(), Problem> {
    conn.send(message)?;
    let reply = conn.read_exactly(expected.len(), ANSWER);
    if reply.ending == Ending::Done && reply.bytes == expected {
        return Ok(());
    }
    let mut problem = Problem::new("the answer is not what it should be");
    if expected.len() > 200 && reply.ending == Ending::Done {
        problem = problem
            .sent(message)
            .detail("mismatch", first_difference(expected, &reply.bytes));
    } else {
        problem = problem
            .sent(message)
            .expected(show(expected))
            .got(reply.describe());
    }
    Err(problem.hint(hint))
}

/// 1.1: `to_ascii_uppercase`, as the checker expects it.
fn upper(message: &[u8]) -> Vec<u8> {
    message.to_ascii_uppercase()
}

fn letters_in_upper_case(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    for message in [&b"Hello, world!"[..], b"abc xyz"] {
        expect_echo(&mut conn, message, &upper(message), UPPER_HINT)
            .map_err(|problem| server.explain(problem))?;
    }
    Ok(())
}

fn other_bytes_unchanged(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    let message = [
        "café, straße, 你好, 123 [ok]! ".as_bytes(),
        b"not UTF-8: \xff\xfe\x00",
    ]
    .concat();
    expect_echo(
        &mut conn,
        &message,
        &upper(&message),
        "only a-z may change, and the reply must have exactly as many bytes as the message. \
         `str::to_uppercase` changes `é` and `ß` too (`ß` becomes `SS`), and \
         `String::from_utf8_lossy` turns bytes that are not UTF-8 into `�`: work on the \
         bytes (`[u8]`), not on a `String`",
    )
    .map_err(|problem| server.explain(problem))
}

fn long_message_in_upper_case(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    // 100,000 bytes: about 100 reads of BUFSIZ (1024) for the server.
    let message: Vec<u8> = b"the quick brown fox jumps over the lazy dog 0123456789\n"
        .iter()
        .copied()
        .cycle()
        .take(100_000)
        .collect();
    expect_echo(
        &mut conn,
        &message,
        &upper(&message),
        "a message longer than BUFSIZ arrives in several reads: turn every piece that \
         arrives into upper case, and send all of it back with `write_all`",
    )
    .map_err(|problem| server.explain(problem))
}

fn next_client_in_upper_case(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    for message in [&b"first client"[..], b"second client"] {
        let mut conn = Conn::connect(addr)?;
        expect_echo(&mut conn, message, &upper(message), UPPER_HINT)
            .map_err(|problem| server.explain(problem))?;
        drop(conn); // this client leaves
    }
    Ok(())
}

fn second_client_while_first_connected(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut first = Conn::connect(addr)?;
    expect_echo(
        &mut first,
        b"first",
        b"first",
        "an echo server sends back what it received, at once",
    )
    .map_err(|problem| server.explain(problem))?;
    let mut second = Conn::connect(addr)?;
    expect_echo(&mut second, b"second", b"second", THREAD_HINT).map_err(|problem| {
        server.explain(problem.detail("while", "the first client was still connected"))
    })?;
    expect_echo(
        &mut first,
        b"first again",
        b"first again",
        "the first client must still be served after the second came",
    )
    .map_err(|problem| server.explain(problem))
}

fn ten_clients_at_once(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut clients = Vec::new();
    for _ in 0..10 {
        clients.push(Conn::connect(addr)?);
    }
    // Every client sends before any reads: they are all connected and waiting at once.
    let messages: Vec<String> = (1..=10).map(|n| format!("client {n} of 10")).collect();
    for (client, message) in clients.iter_mut().zip(&messages) {
        client.send(message.as_bytes())?;
    }
    for (client, message) in clients.iter_mut().zip(&messages) {
        let reply = client.read_exactly(message.len(), ANSWER);
        if reply.ending != Ending::Done || reply.bytes != message.as_bytes() {
            let problem = Problem::new("not every client was answered")
                .sent(message.as_bytes())
                .expected(show(message.as_bytes()))
                .got(reply.describe())
                .detail("while", "all ten clients were connected")
                .hint(THREAD_HINT);
            return Err(server.explain(problem));
        }
    }
    Ok(())
}

fn vanishing_client(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    {
        // Sends a lot and leaves without reading the echo: the server's writes then fail
        // (the connection is reset), which must end this client only.
        let mut rude = Conn::connect(addr)?;
        rude.send(&vec![b'x'; 200_000])?;
    }
    let mut polite = Conn::connect(addr)?;
    expect_echo(
        &mut polite,
        b"still there?",
        b"still there?",
        "when writing to a client fails, end that client's thread (return the error from its \
         function), never the whole server: no `unwrap()` or `?` that reaches `main`",
    )
    .map_err(|problem| server.explain(problem))
}

fn bytes_unchanged(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    let message = b"caf\xe9 \xff\x00 echo";
    expect_echo(
        &mut conn,
        message,
        message,
        "an echo server sends back exactly the bytes it received",
    )
    .map_err(|problem| server.explain(problem))
}
