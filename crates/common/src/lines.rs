//! Newline-delimited messages with a size limit: how the line-based servers (lessons 2 and 5)
//! read what a client sends without letting one endless line eat the server's memory.

use std::io::{self, BufRead, Read};

// ANCHOR: receive-line
/// What [`receive_line`] found in the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// A message, now in `line` without its line end. The last line of the stream counts
    /// even if the client closed the connection without sending its `\n`.
    Line,
    /// A line longer than the limit; the rest of it, up to its `\n`, was read and dropped.
    TooLong,
    /// The end of the stream: the client closed its side of the connection.
    End,
}

/// Reads the next line into `line`, keeping at most `max_line + 1` bytes in memory.
pub fn receive_line(
    requests: &mut impl BufRead,
    line: &mut Vec<u8>,
    max_line: usize,
) -> io::Result<Received> {
    line.clear();
    // `take` makes `read_until` stop after max_line + 1 bytes even if no `\n` came.
    let limit = max_line as u64 + 1;
    if requests.by_ref().take(limit).read_until(b'\n', line)? == 0 {
        return Ok(Received::End);
    }
    if line.ends_with(b"\n") {
        line.pop();
        if line.ends_with(b"\r") {
            line.pop(); // `\r\n`, what telnet and Windows send
        }
        Ok(Received::Line)
    } else if line.len() <= max_line {
        Ok(Received::Line) // the stream ended in the middle of a line: take it anyway
    } else {
        requests.skip_until(b'\n')?; // drop the rest, one buffer at a time
        Ok(Received::TooLong)
    }
}
// ANCHOR_END: receive-line

#[cfg(test)]
mod tests {
    use super::{Received, receive_line};

    fn lines(input: &[u8], max_line: usize) -> Vec<(Received, Vec<u8>)> {
        let mut reader = input;
        let mut line = Vec::new();
        let mut found = Vec::new();
        loop {
            let what = receive_line(&mut reader, &mut line, max_line).expect("read");
            if what == Received::End {
                return found;
            }
            found.push((what, line.clone()));
        }
    }

    #[test]
    fn lines_end_with_newline_or_the_stream() {
        assert_eq!(
            lines(b"one\r\ntwo\n\nlast", 10),
            vec![
                (Received::Line, b"one".to_vec()),
                (Received::Line, b"two".to_vec()),
                (Received::Line, b"".to_vec()),
                (Received::Line, b"last".to_vec()),
            ]
        );
    }

    #[test]
    fn a_line_over_the_limit_is_dropped_whole_and_reading_goes_on() {
        let found = lines(b"12345\n123456\n123456789\nok\n", 5);
        let kinds: Vec<&Received> = found.iter().map(|(kind, _)| kind).collect();
        assert_eq!(
            kinds,
            [
                &Received::Line,
                &Received::TooLong,
                &Received::TooLong,
                &Received::Line
            ]
        );
        assert_eq!(found[3].1, b"ok");
    }

    #[test]
    fn a_huge_line_is_skipped_without_keeping_it() {
        let input = [&vec![b'x'; 1000][..], b"\nok"].concat();
        let mut reader = std::io::BufReader::with_capacity(16, &input[..]);
        let mut line = Vec::new();
        assert_eq!(
            receive_line(&mut reader, &mut line, 10).expect("read"),
            Received::TooLong
        );
        assert!(line.len() <= 11, "kept {} bytes", line.len());
        assert_eq!(
            receive_line(&mut reader, &mut line, 10).expect("read"),
            Received::Line
        );
        assert_eq!(line, b"ok");
    }
}
