//! Tutorial 000's `mysend` and `myreceive`, written out in Rust.
//!
//! One `write` may send only part of what you give it, and one `read` may return only part of
//! what the other side sent: TCP is a stream of bytes, not of messages. Both loops below keep
//! going until the whole job is done. Rust's standard library already has them as
//! `Write::write_all` and `Read::read_exact`, and the lessons use those; these copies exist so
//! you can read the loop and see it tested.

use std::io::{self, Read, Write};

/// Sends every byte of `message`, calling `write` as often as it takes (Python: `sendall`,
/// or tutorial 000's `mysend`).
pub fn send_all(writer: &mut impl Write, message: &[u8]) -> io::Result<()> {
    let mut total_sent = 0;
    while total_sent < message.len() {
        match writer.write(&message[total_sent..]) {
            // A writer that takes nothing will never take the rest: the connection is broken.
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "connection broken",
                ));
            }
            Ok(sent) => total_sent += sent,
            // A signal arrived before anything was sent: just try again.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Receives exactly `length` bytes, calling `read` as often as it takes (tutorial 000's
/// `myreceive`). Fails if the other side closes before they have all arrived.
pub fn recv_exact(reader: &mut impl Read, length: usize) -> io::Result<Vec<u8>> {
    let mut received = vec![0; length];
    let mut total_received = 0;
    while total_received < length {
        match reader.read(&mut received[total_received..]) {
            // `read` returns 0 only at end of stream: the peer closed the connection.
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed before the whole message arrived",
                ));
            }
            Ok(count) => total_received += count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that, like a busy socket, accepts at most 3 bytes per call.
    struct Trickle {
        taken: Vec<u8>,
        calls: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            let count = data.len().min(3);
            self.taken.extend_from_slice(&data[..count]);
            Ok(count)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A reader that hands out at most 3 bytes per call, then reports end of stream.
    struct Drip<'a> {
        data: &'a [u8],
        calls: usize,
    }

    impl Read for Drip<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            let count = self.data.len().min(buffer.len()).min(3);
            buffer[..count].copy_from_slice(&self.data[..count]);
            self.data = &self.data[count..];
            Ok(count)
        }
    }

    #[test]
    fn send_all_loops_over_partial_writes() {
        let mut writer = Trickle {
            taken: Vec::new(),
            calls: 0,
        };
        send_all(&mut writer, b"hello socket").expect("a trickle is not an error");
        assert_eq!(writer.taken, b"hello socket");
        assert_eq!(writer.calls, 4, "12 bytes at 3 per call");
    }

    #[test]
    fn send_all_reports_a_writer_that_takes_nothing() {
        let mut full: &mut [u8] = &mut [];
        let error = send_all(&mut full, b"x").expect_err("nowhere to write");
        assert_eq!(error.kind(), io::ErrorKind::WriteZero);
    }

    #[test]
    fn recv_exact_loops_over_partial_reads() {
        let mut reader = Drip {
            data: b"hello socket, and more",
            calls: 0,
        };
        let message = recv_exact(&mut reader, 12).expect("enough bytes");
        assert_eq!(message, b"hello socket");
        assert_eq!(reader.calls, 4);
        assert_eq!(reader.data, b", and more", "nothing read past the message");
    }

    #[test]
    fn recv_exact_fails_when_the_peer_closes_early() {
        let mut reader = Drip {
            data: b"hello",
            calls: 0,
        };
        let error = recv_exact(&mut reader, 12).expect_err("only 5 of 12 bytes");
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn zero_bytes_need_no_call() {
        let mut reader = Drip {
            data: b"",
            calls: 0,
        };
        assert!(
            recv_exact(&mut reader, 0)
                .expect("nothing to read")
                .is_empty()
        );
        assert_eq!(reader.calls, 0);
    }
}
