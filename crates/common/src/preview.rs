//! Small text helpers: how servers show received bytes, how clients read a line.

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

/// A line without its `\n` (or Windows' `\r\n`), as Python's `input()` returns it.
pub fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::{preview, strip_line_end};

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
