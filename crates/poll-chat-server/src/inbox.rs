//! What a client sent that the room has not handled yet: where one message ends and the next
//! begins, for a server that never waits in `read()`.
//!
//! The rule is lesson 5's (`common::MessageReader`): a message ends with `\n`, or with a pause,
//! because the tutorial's client sends no `\n`; a message over the limit is dropped whole. But
//! `MessageReader` reads by itself and waits for the pause inside `read()`. Here the event loop
//! reads, with one buffer for every client, and hands the bytes over ([`Inbox::push`]); the
//! loop's clock says when a pause is over ([`Inbox::pause`]). So an inbox holds only what is
//! left over: nothing at all for an idle client.

// ANCHOR: inbox
/// What [`Inbox::next_message`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Message {
    /// A line that ended with `\n` (or `\r\n`), now without it; or the last bytes before the
    /// end of the stream.
    Line,
    /// Bytes without a `\n`, followed by a pause: how the tutorial's client sends.
    Paused,
    /// A line over the limit: all of it was dropped.
    TooLong,
}

/// Bytes received from one client and not handled yet.
#[derive(Default)]
pub struct Inbox {
    /// `bytes[handled..]` wait to be handled; the rest was handed out already. Empty, and
    /// without memory, while the client is idle.
    bytes: Vec<u8>,
    handled: usize,
    /// Inside a line over the limit: its bytes are dropped as they come, up to its end.
    skipping: bool,
    /// The client paused after bytes without `\n`: they are a whole message now.
    paused: bool,
}
// ANCHOR_END: inbox

/// An emptied inbox keeps its memory only up to this size: one that held a long line gives it
/// back, so that an idle client costs nothing here.
const KEEP: usize = 1024;

impl Inbox {
    /// Takes bytes just read from the client.
    pub fn push(&mut self, data: &[u8]) {
        if self.handled > 0 {
            self.bytes.drain(..self.handled); // what is left is a part of one line
            self.handled = 0;
        }
        self.bytes.extend_from_slice(data);
        self.paused = false; // more came: whatever was half received is not finished yet
    }

    /// The next whole message, copied into `line`; `None` if none is whole yet. A line longer
    /// than `max_line` bytes (not counting its line end) is reported as [`Message::TooLong`].
    pub fn next_message(&mut self, line: &mut Vec<u8>, max_line: usize) -> Option<Message> {
        line.clear();
        let waiting = &self.bytes[self.handled..];
        if let Some(at) = waiting.iter().position(|&byte| byte == b'\n') {
            self.handled += at + 1;
            let mut text = &waiting[..at];
            if std::mem::take(&mut self.skipping) {
                return Some(Message::TooLong);
            }
            if let Some(without_cr) = text.strip_suffix(b"\r") {
                text = without_cr; // `\r\n`, what telnet and Windows send
            }
            if text.len() > max_line {
                return Some(Message::TooLong);
            }
            line.extend_from_slice(text);
            return Some(Message::Line);
        }
        // Only a part of a line. One byte more than the limit may still be the `\r` of `\r\n`.
        if waiting.len() > max_line + 1 {
            self.skipping = true;
        }
        if self.skipping {
            self.handled = self.bytes.len(); // dropped: an endless line costs nothing
        }
        let found = if std::mem::take(&mut self.paused) {
            self.last_message(line, max_line, Message::Paused)
        } else {
            None
        };
        self.tidy();
        found
    }

    /// True if a message was half received: a pause would end it.
    pub fn half_received(&self) -> bool {
        self.skipping || self.handled < self.bytes.len()
    }

    /// True if a whole message waits: [`Inbox::next_message`] has something to hand out.
    pub fn has_message(&self) -> bool {
        self.paused || self.bytes[self.handled..].contains(&b'\n')
    }

    /// The client sent nothing for the pause: what was half received is a whole message.
    pub fn pause(&mut self) {
        self.paused = self.half_received();
    }

    /// The client closed its side: what was half received is its last message.
    pub fn finish(&mut self, line: &mut Vec<u8>, max_line: usize) -> Option<Message> {
        line.clear();
        let found = self.last_message(line, max_line, Message::Line);
        self.tidy();
        found
    }

    /// Hands out everything waiting (no `\n` in it) as one message of kind `kind`.
    fn last_message(
        &mut self,
        line: &mut Vec<u8>,
        max_line: usize,
        kind: Message,
    ) -> Option<Message> {
        if std::mem::take(&mut self.skipping) {
            return Some(Message::TooLong);
        }
        let waiting = &self.bytes[self.handled..];
        if waiting.is_empty() {
            return None;
        }
        self.handled = self.bytes.len();
        if waiting.len() > max_line {
            return Some(Message::TooLong);
        }
        line.extend_from_slice(waiting);
        Some(kind)
    }

    /// Forgets what was handed out; memory over [`KEEP`] is given back.
    fn tidy(&mut self) {
        if self.handled == self.bytes.len() {
            self.bytes.clear();
            self.handled = 0;
            if self.bytes.capacity() > KEEP {
                self.bytes = Vec::new();
            }
        }
    }

    /// The memory this inbox holds, in bytes.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.bytes.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes each piece (`None`: a pause) and collects every message, as text.
    fn messages(pieces: &[Option<&[u8]>], max_line: usize) -> Vec<(Message, String)> {
        let mut inbox = Inbox::default();
        let mut line = Vec::new();
        let mut found = Vec::new();
        let mut take = |inbox: &mut Inbox, found: &mut Vec<(Message, String)>| {
            while let Some(message) = inbox.next_message(&mut line, max_line) {
                found.push((message, String::from_utf8_lossy(&line).into_owned()));
            }
        };
        for piece in pieces {
            match piece {
                Some(bytes) => inbox.push(bytes),
                None => inbox.pause(),
            }
            take(&mut inbox, &mut found);
        }
        if let Some(message) = inbox.finish(&mut line, max_line) {
            found.push((message, String::from_utf8_lossy(&line).into_owned()));
        }
        found
    }

    fn line(text: &str) -> (Message, String) {
        (Message::Line, text.to_string())
    }

    #[test]
    fn lines_end_with_newline_or_the_stream() {
        let found = messages(&[Some(b"one\r\ntwo\n\nla"), Some(b"st")], 10);
        assert_eq!(found, [line("one"), line("two"), line(""), line("last")]);
    }

    #[test]
    fn a_pause_ends_a_message_without_newline() {
        let found = messages(
            &[Some(b"hi, "), Some(b"server"), None, Some(b"again\n")],
            10,
        );
        assert_eq!(
            found,
            [(Message::Paused, "hi, server".into()), line("again")]
        );
    }

    #[test]
    fn a_pause_with_nothing_half_received_is_no_message() {
        assert_eq!(messages(&[Some(b"a\n"), None, None], 10), [line("a")]);
    }

    #[test]
    fn lines_over_the_limit_are_dropped_whole_and_the_next_ones_are_not() {
        let found = messages(&[Some(b"12345\n123456\n12345\r\n123456\r\nok")], 5);
        let kinds: Vec<&Message> = found.iter().map(|(kind, _)| kind).collect();
        let expected = [
            &Message::Line,
            &Message::TooLong,
            &Message::Line,
            &Message::TooLong,
            &Message::Line,
        ];
        assert_eq!(kinds, expected);
        assert_eq!(found[4].1, "ok");
    }

    #[test]
    fn an_endless_line_is_dropped_as_it_comes_and_ends_with_its_newline_or_a_pause() {
        let chunk = vec![b'x'; 16 * 1024];
        let mut inbox = Inbox::default();
        let mut message = Vec::new();
        for _ in 0..100 {
            inbox.push(&chunk);
            assert_eq!(inbox.next_message(&mut message, 10), None);
            assert!(inbox.capacity() <= 2 * chunk.len(), "{}", inbox.capacity());
        }
        inbox.push(b"x\nok\n");
        assert_eq!(inbox.next_message(&mut message, 10), Some(Message::TooLong));
        assert_eq!(inbox.next_message(&mut message, 10), Some(Message::Line));
        assert_eq!(message, b"ok");
        let found = messages(&[Some(&chunk), None, Some(b"ok\n")], 10);
        assert_eq!(found, [(Message::TooLong, String::new()), line("ok")]);
    }

    #[test]
    fn an_idle_inbox_holds_no_memory() {
        let mut inbox = Inbox::default();
        let mut line = Vec::new();
        inbox.push(&vec![b'x'; 3000]);
        inbox.push(b"\n");
        assert_eq!(inbox.next_message(&mut line, 4096), Some(Message::Line));
        assert_eq!(inbox.next_message(&mut line, 4096), None);
        assert_eq!(inbox.capacity(), 0);
        assert!(!inbox.half_received() && !inbox.has_message());
    }
}
