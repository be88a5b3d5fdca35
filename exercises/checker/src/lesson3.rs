//! Lesson 3's exercises, on receiving until the peer closes: 3.1 is a server that answers
//! with the size and a checksum of what it received; 3.2 is a client that ends its message
//! with `shutdown(Write)` and still reads the answer.

use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;

use crate::net::{ANSWER, Conn, Ending, QUIET, accept_client};
use crate::program::{EXIT, Program, describe_exit};
use crate::report::{Check, Problem, first_difference, show};

pub const COUNT_AND_CHECKSUM: &[Check] = &[
    Check {
        name: "`666` is answered `got 3 bytes, checksum 162`",
        run: answer_to_666,
    },
    Check {
        name: "100,000 bytes that are not UTF-8 are counted and added up whole",
        run: large_message,
    },
    Check {
        name: "an empty message is answered `got 0 bytes, checksum 0`",
        run: empty_message,
    },
    Check {
        name: "the answer comes only after the end of the stream",
        run: answer_after_end,
    },
    Check {
        name: "each client gets the count of its own message",
        run: each_client_its_own,
    },
];

pub const HALF_CLOSE: &[Check] = &[
    Check {
        name: "the server receives `666` and then the end of the stream",
        run: end_of_stream_after_666,
    },
    Check {
        name: "the client prints the server's answer and exits with status 0",
        run: prints_answer,
    },
    Check {
        name: "a 60,000-byte message arrives whole, then the end of the stream",
        run: long_message_then_end,
    },
];

/// The answer 3.1's server gives for `message`, and 3.2's client expects.
fn report(message: &[u8]) -> Vec<u8> {
    let checksum = message
        .iter()
        .fold(0u32, |sum, &byte| sum.wrapping_add(u32::from(byte)));
    format!("got {} bytes, checksum {checksum}\n", message.len()).into_bytes()
}

/// 3.1: sends `message` on a new connection, ends the stream, and checks the answer.
fn expect_report(server: &mut Program, conn: &mut Conn, message: &[u8]) -> Result<(), Problem> {
    let expected = report(message);
    let reply = conn.read_to_end(ANSWER);
    if reply.ending == Ending::Closed && reply.bytes == expected {
        return Ok(());
    }
    let hint = if reply.bytes.is_empty() {
        "the server closes the connection without answering: at the TODO, write the answer \
         to `stream` with `write_all`, before the stream is dropped"
    } else if !reply.bytes.starts_with(b"got ") || !reply.bytes.ends_with(b"\n") {
        "the answer is one line: `got N bytes, checksum C`, then `\\n`"
    } else {
        "N is the number of bytes received (`received.len()`); C is all of them added up \
         as `u32`s with `wrapping_add` (`b'6'` is 54, so `666` adds up to 162)"
    };
    let mut problem = Problem::new("the answer is not what it should be");
    problem = if message.len() > 60 {
        problem.detail(
            "sent",
            format!(
                "{} bytes, then the end of the stream (shutdown)",
                message.len()
            ),
        )
    } else {
        problem.detail(
            "sent",
            format!("{}, then the end of the stream (shutdown)", show(message)),
        )
    };
    let problem = problem
        .expected(format!("{}, then the connection closed", show(&expected)))
        .got(reply.describe())
        .hint(hint);
    Err(server.explain(problem))
}

/// 3.1: one client sends `message` and ends its stream; the server must report it.
fn one_message(program: &Path, message: &[u8]) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    conn.send(message)?;
    conn.finish_sending()?;
    expect_report(&mut server, &mut conn, message)
}

fn answer_to_666(program: &Path) -> Result<(), Problem> {
    one_message(program, b"666")
}

fn large_message(program: &Path) -> Result<(), Problem> {
    let message: Vec<u8> = (0..100_000u32).map(|i| (i * 31 + 7) as u8).collect();
    one_message(program, &message)
}

fn empty_message(program: &Path) -> Result<(), Problem> {
    one_message(program, b"")
}

fn answer_after_end(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    let mut conn = Conn::connect(addr)?;
    conn.send(b"66")?;
    if let Some(early) = conn.quiet(QUIET) {
        let problem = Problem::new("an answer came before the end of the stream")
            .sent(b"66")
            .expected(format!(
                "nothing yet: the client has not ended its stream (the checker listened for \
                 {} s)",
                QUIET.as_secs_f64()
            ))
            .got(early.describe())
            .hint(
                "answer once, after `receive_all` has returned: only the end of the stream \
                 says that the whole message is there",
            );
        return Err(server.explain(problem));
    }
    conn.send(b"6")?;
    conn.finish_sending()?;
    expect_report(&mut server, &mut conn, b"666")
}

fn each_client_its_own(program: &Path) -> Result<(), Problem> {
    let (mut server, addr) = Program::start_server(program)?;
    for message in [&b"hello"[..], b"666"] {
        let mut conn = Conn::connect(addr)?;
        conn.send(message)?;
        conn.finish_sending()?;
        expect_report(&mut server, &mut conn, message)?;
    }
    Ok(())
}

/// 3.2: the checker plays the server. Starts the client under test with `args` and accepts
/// its connection.
fn start_client(program: &Path, args: &[&str]) -> Result<(Program, Conn), Problem> {
    let cannot_listen = |error: std::io::Error| {
        Problem::new(format!(
            "the checker cannot listen: {}",
            common::describe(&error)
        ))
    };
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(cannot_listen)?;
    // Non-blocking, so that waiting for the client can also notice that it gave up.
    listener.set_nonblocking(true).map_err(cannot_listen)?;
    let port = listener
        .local_addr()
        .map_err(cannot_listen)?
        .port()
        .to_string();
    let mut all = vec!["--host", "127.0.0.1", "--port", &port];
    all.extend_from_slice(args);
    let mut client = Program::start(program, &all)?;
    let stream = accept_client(&listener, &mut client, None)?;
    Ok((client, Conn::from(stream)))
}

/// 3.2: checks that exactly `message` arrived and then the end of the stream.
fn expect_message_then_end(
    client: &mut Program,
    conn: &mut Conn,
    message: &[u8],
) -> Result<(), Problem> {
    let reply = conn.read_to_end(ANSWER);
    if reply.ending == Ending::Closed && reply.bytes == message {
        return Ok(());
    }
    let hint = match reply.ending {
        Ending::TimedOut(_) => {
            "the connection stays open after the message, so a server that reads until the \
             end of the stream waits for ever (and the client waits for its answer: neither \
             moves). At the TODO, shut down the sending side: `stream.shutdown(Shutdown::Write)` \
             (Python: `shutdown(socket.SHUT_WR)`)"
        }
        _ => "send the whole message with `write_all` before shutting down the sending side",
    };
    let expected = format!("{}, then the end of the stream", show(message));
    let got = if message.len() > 60 && reply.bytes != message {
        first_difference(message, &reply.bytes)
    } else {
        reply.describe()
    };
    let problem = Problem::new("the server did not get the message and then the end of the stream")
        .expected(expected)
        .got(got)
        .hint(hint);
    Err(client.explain(problem))
}

/// 3.2: answers like 3.1's server, closes, and lets the client finish.
fn answer_and_close(mut conn: Conn, message: &[u8]) {
    let _ = conn.send(&report(message));
}

fn end_of_stream_after_666(program: &Path) -> Result<(), Problem> {
    let (mut client, mut conn) = start_client(program, &[])?;
    expect_message_then_end(&mut client, &mut conn, b"666")?;
    answer_and_close(conn, b"666");
    Ok(())
}

fn prints_answer(program: &Path) -> Result<(), Problem> {
    let (mut client, mut conn) = start_client(program, &[])?;
    // The answer goes back as soon as the message is here, end of stream or not: this check
    // is about reading and printing it.
    let message = conn.read_exactly(3, ANSWER);
    if message.bytes != b"666" {
        let problem = Problem::new("the client did not send `666`")
            .expected(show(b"666"))
            .got(message.describe())
            .hint("send `--message` (by default `666`) with `write_all`");
        return Err(client.explain(problem));
    }
    answer_and_close(conn, b"666");
    let exit = client.wait_for_exit(EXIT)?;
    let wanted = "the server says: got 3 bytes, checksum 162";
    let printed = exit.stdout.lines().any(|line| line == wanted);
    if printed && exit.status.success() {
        return Ok(());
    }
    let hint = if !printed {
        "after shutting down the sending side, the client can still read: read until the \
         server closes, then print its answer. `Shutdown::Both` (or closing the stream) would \
         shut the reading side too, and the answer would be lost"
    } else {
        "the client printed the answer but did not end with status 0"
    };
    let problem = Problem::new("the client did not print the server's answer and succeed")
        .detail("answered", show(&report(b"666")))
        .expected(format!("a line `{wanted}`, and exit status 0"))
        .got(format!(
            "{}, {}",
            if exit.stdout.is_empty() {
                "no output".to_string()
            } else {
                format!("the output {}", show(exit.stdout.as_bytes()))
            },
            describe_exit(exit.status)
        ))
        .hint(hint);
    Err(client.explain(problem))
}

fn long_message_then_end(program: &Path) -> Result<(), Problem> {
    let message: String = ('a'..='z').cycle().take(60_000).collect();
    let (mut client, mut conn) = start_client(program, &["--message", &message])?;
    expect_message_then_end(&mut client, &mut conn, message.as_bytes())?;
    answer_and_close(conn, message.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::report;

    #[test]
    fn the_report_of_666() {
        assert_eq!(report(b"666"), b"got 3 bytes, checksum 162\n");
        assert_eq!(report(b""), b"got 0 bytes, checksum 0\n");
    }
}
