//! How the tap shows the bytes of one read: `6 bytes: "hello\n"`, or with `--hex`
//! `6 bytes: 68 65 6c 6c 6f 0a`.
//!
//! The text view must never hide a byte. It is quoted, so that spaces at either end show; a
//! byte that is not printable text is escaped (`\n`, `\r`, `\t`, `\xNN`), so that binary data,
//! such as a TLS record, looks like what it is: a wall of `\x..`. Valid UTF-8 is shown as the
//! characters it spells (`你好`), except the characters that could change a terminal (colours,
//! clearing the screen, text running right to left: see `common::unsafe_on_a_terminal`).
//!
//! A read is whatever the kernel had at that moment, so it can end in the middle of a
//! character: `你` (3 bytes) may show as `\xe4\xbd` at the end of one read and `\xa0` at the
//! start of the next. That is not a bug in the tap; it is the lesson.

use std::fmt::Write as _;

/// How to show the bytes: `--hex` picks [`Format::Hex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Quoted text with escapes, for protocols made of text lines.
    Text,
    /// Two hex digits per byte, for binary protocols and length prefixes.
    Hex,
}

/// How much of a long read to show without `--full`, in bytes: the start, where headers and
/// length prefixes are, and the end, where a line end or a terminator is. A read of 64 KiB
/// shown whole would fill the screen and bury every other line.
struct Shown {
    head: usize,
    tail: usize,
}

impl Format {
    /// Text costs 1 to 4 columns a byte, hex always 3: hex shows fewer bytes, so that either
    /// line fits a wide terminal (about 200 columns at the most).
    fn shown(self) -> Shown {
        match self {
            Format::Text => Shown { head: 64, tail: 16 },
            Format::Hex => Shown { head: 32, tail: 8 },
        }
    }
}

/// One read as the tap prints it: the byte count, then the bytes (shortened unless `full`).
pub fn read(data: &[u8], format: Format, full: bool) -> String {
    format!(
        "{}: {}",
        count(data.len() as u64),
        bytes(data, format, full)
    )
}

/// `1 byte`, `6 bytes`.
pub fn count(bytes: u64) -> String {
    if bytes == 1 {
        "1 byte".to_string()
    } else {
        format!("{bytes} bytes")
    }
}

/// The bytes alone, shortened to the start and the end of the read unless `full`:
/// `"GET / HTTP/1.1\r\n..." ... 4000 bytes not shown ... "\r\n\r\n"`.
pub fn bytes(data: &[u8], format: Format, full: bool) -> String {
    let Shown { head, tail } = format.shown();
    // Shorten only when that hides at least as much as the tail shows: cutting 3 bytes out
    // of a read would save nothing and make it harder to read.
    if full || data.len() <= head + 2 * tail {
        return whole(data, format);
    }
    let (mut head_end, mut tail_start) = (head, data.len() - tail);
    if format == Format::Text {
        // Cut between characters, not inside one, so that `你好` is not shown as `\xe4\xbd`
        // only because of where the tap cut: a character cut through goes to the tail.
        head_end = start_of_char_across(data, head_end).unwrap_or(head_end);
        tail_start = start_of_char_across(data, tail_start).unwrap_or(tail_start);
    }
    format!(
        "{} ... {} not shown ... {}",
        whole(&data[..head_end], format),
        count((tail_start - head_end) as u64),
        whole(&data[tail_start..], format),
    )
}

/// Where a UTF-8 character starts that begins before `at` and ends after it, if there is
/// one: a cut at `at` would go through it. Bytes that only look like part of a character
/// (binary data is full of them) are not one.
fn start_of_char_across(data: &[u8], at: usize) -> Option<usize> {
    (at.saturating_sub(3)..at).find(|&start| {
        // The first byte of a UTF-8 character says how long it is.
        let length = match data[start] {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => return false,
        };
        start + length > at
            && data
                .get(start..start + length)
                .is_some_and(|character| std::str::from_utf8(character).is_ok())
    })
}

fn whole(data: &[u8], format: Format) -> String {
    match format {
        Format::Text => text(data),
        Format::Hex => hex(data),
    }
}

/// `68 65 6c 6c 6f 0a`: what `xxd` and Wireshark show, one byte at a time.
fn hex(data: &[u8]) -> String {
    let mut shown = String::with_capacity(data.len() * 3);
    for byte in data {
        if !shown.is_empty() {
            shown.push(' ');
        }
        let _ = write!(shown, "{byte:02x}"); // writing to a String cannot fail
    }
    shown
}

/// `"hello\n"`, `"你好\xff\n"`: the bytes in quotes, every byte that is not printable text
/// escaped. Python's `repr(data)` of a `bytes` object does the same for ASCII (it escapes every
/// non-ASCII byte; here valid UTF-8 is shown as text).
fn text(data: &[u8]) -> String {
    let mut shown = String::with_capacity(data.len() + 2);
    shown.push('"');
    for chunk in data.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => shown.push_str("\\n"),
                '\r' => shown.push_str("\\r"),
                '\t' => shown.push_str("\\t"),
                // Escaped, so that the quotes around the text stay the only bare ones.
                '"' => shown.push_str("\\\""),
                '\\' => shown.push_str("\\\\"),
                // NUL, ESC, DEL and the other ASCII controls: one byte, so `\xNN` like a byte.
                c if c.is_ascii_control() => {
                    let _ = write!(shown, "\\x{:02x}", c as u32);
                }
                // The C1 controls and the marks that make text run right to left: valid
                // characters, but harmful on a terminal. `\u{202e}`, as Rust writes them.
                c if common::unsafe_on_a_terminal(c) => shown.extend(c.escape_unicode()),
                c => shown.push(c),
            }
        }
        // Bytes that are not UTF-8 (or the start of a character cut off by the read's end).
        for byte in chunk.invalid() {
            let _ = write!(shown, "\\x{byte:02x}");
        }
    }
    shown.push('"');
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_what_is_not_printable_and_keeps_utf8() {
        assert_eq!(
            read(b"hello\n", Format::Text, false),
            r#"6 bytes: "hello\n""#
        );
        assert_eq!(
            read("你好\u{ff}".as_bytes(), Format::Text, false),
            "8 bytes: \"你好\u{ff}\""
        );
        // ÿ (U+00FF) is valid UTF-8 and shown as text; the byte 0xff alone is not.
        let not_utf8 = ["你好\n".as_bytes(), b"\xff\n"].concat();
        assert_eq!(text(&not_utf8), r#""你好\n\xff\n""#);
        assert_eq!(text(b"a\r\n\t\0\x1b[2J\x7f"), r#""a\r\n\t\x00\x1b[2J\x7f""#);
        assert_eq!(text(br#"say "hi" \o/"#), r#""say \"hi\" \\o/""#);
        assert_eq!(text("a\u{202e}b\u{85}".as_bytes()), r#""a\u{202e}b\u{85}""#);
        assert_eq!(read(b"x", Format::Text, false), r#"1 byte: "x""#);
        assert_eq!(read(b"", Format::Hex, false), "0 bytes: ");
    }

    #[test]
    fn a_character_cut_by_the_read_shows_as_bytes() {
        let ni_hao = "你好".as_bytes();
        assert_eq!(text(&ni_hao[..2]), r#""\xe4\xbd""#);
        assert_eq!(text(&ni_hao[2..]), r#""\xa0好""#);
    }

    #[test]
    fn hex_shows_every_byte() {
        assert_eq!(
            read(b"hi\n\xff", Format::Hex, false),
            "4 bytes: 68 69 0a ff"
        );
    }

    #[test]
    fn long_reads_show_their_start_and_end_unless_full() {
        let data: Vec<u8> = (0..200u8).collect();
        let shown = bytes(&data, Format::Hex, false);
        let head = hex(&data[..32]);
        let tail = hex(&data[192..]);
        assert_eq!(shown, format!("{head} ... 160 bytes not shown ... {tail}"));
        assert_eq!(bytes(&data, Format::Hex, true), hex(&data));
        // Not shortened when that would hide fewer bytes than the tail shows.
        let short = vec![b'a'; 96];
        assert_eq!(bytes(&short, Format::Text, false), text(&short));
    }

    #[test]
    fn text_is_cut_between_characters() {
        // 63 ASCII bytes, then 3-byte characters: the 64-byte cut falls inside the first one.
        let mut data = "a".repeat(63);
        data.push_str(&"好".repeat(20));
        let shown = bytes(data.as_bytes(), Format::Text, false);
        assert!(
            shown.starts_with(&format!("\"{}\" ... ", "a".repeat(63))),
            "{shown}"
        );
        assert!(
            shown.ends_with(" not shown ... \"好好好好好好\""),
            "{shown}"
        );
        assert!(!shown.contains("\\x"), "{shown}");
        // Binary data is cut where the limits say, although some of its bytes look like
        // parts of characters.
        let binary: Vec<u8> = (0..=255u8).collect();
        let shown = bytes(&binary, Format::Text, false);
        assert!(shown.ends_with(r#" ... 176 bytes not shown ... "\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd\xfe\xff""#), "{shown}");
    }
}
