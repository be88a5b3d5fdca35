//! Small text helpers: how servers show received bytes, how clients read a line.

use std::borrow::Cow;

/// The longest preview, in characters; a log line should fit a projector.
const PREVIEW_CHARS: usize = 60;

/// Received bytes as a quoted, readable string for a log line: invalid UTF-8 becomes `�`
/// (Python's `decode()` would crash instead), control characters are escaped (`"hi\n"`),
/// and anything longer than 60 characters is shortened with `...`.
pub fn preview(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let mut chars = text.chars();
    let shown: String = chars.by_ref().take(PREVIEW_CHARS).collect();
    if chars.next().is_some() {
        format!("{shown:?}...")
    } else {
        format!("{shown:?}")
    }
}

// ANCHOR: terminal-safe
/// `text` as it may be printed to a terminal: every control character but tab, newline and
/// the `\r` of a `\r\n`, and every character that reverses the direction of text, is shown
/// escaped (`\u{1b}`).
/// Printed raw, bytes from the network could clear the screen, retitle the window, or make
/// a line read backwards: a server must not be able to do that to a user's terminal.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    // A `\r` right before a `\n` is a Windows line end: harmless, so it is kept. Alone, it
    // moves the cursor back to overwrite the line.
    let unsafe_at = |at: usize, c: char| unsafe_on_a_terminal(c) && !text[at..].starts_with("\r\n");
    if !text.char_indices().any(|(at, c)| unsafe_at(at, c)) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for (at, c) in text.char_indices() {
        if unsafe_at(at, c) {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// Control characters (ESC, BEL, NUL, `\r` ...) other than tab and newline, and the
/// bidirectional controls (right-to-left marks, embeddings, overrides and isolates).
pub fn unsafe_on_a_terminal(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}
// ANCHOR_END: terminal-safe

/// A line without its `\n` (or Windows' `\r\n`), as Python's `input()` returns it.
pub fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::{preview, strip_line_end, terminal_safe};

    #[test]
    fn control_and_direction_characters_are_escaped_for_the_terminal() {
        assert_eq!(
            terminal_safe("plain 你好\tand tab\n"),
            "plain 你好\tand tab\n"
        );
        assert_eq!(terminal_safe("\x1b[2J\x07"), "\\u{1b}[2J\\u{7}");
        assert_eq!(terminal_safe("a\u{202e}b\r\0"), "a\\u{202e}b\\u{d}\\u{0}");
        assert_eq!(
            terminal_safe("windows\r\nline ends\r\n"),
            "windows\r\nline ends\r\n"
        );
    }

    #[test]
    fn line_ends_are_stripped_once() {
        assert_eq!(strip_line_end(b"hi\r\n"), b"hi");
        assert_eq!(strip_line_end(b"hi\n\n"), b"hi\n");
        assert_eq!(strip_line_end(b"hi"), b"hi");
    }

    #[test]
    fn bytes_become_a_quoted_readable_string() {
        assert_eq!(preview(b"hello\n"), r#""hello\n""#);
        assert_eq!(preview("你好".as_bytes()), r#""你好""#);
        assert_eq!(preview(b"ok \xff\xfe"), "\"ok \u{fffd}\u{fffd}\"");
        let long = "x".repeat(61);
        assert_eq!(
            preview(long.as_bytes()),
            format!("\"{}\"...", "x".repeat(60))
        );
    }
}
