//! The book cannot drift from the code. For every Markdown page in `docs/` (and the README):
//!
//! - every code excerpt, the fenced block after `<!-- excerpt: FILE#ANCHOR -->`, equals the
//!   region between `// ANCHOR: ANCHOR` and `// ANCHOR_END: ANCHOR` in FILE (mdBook's anchor
//!   syntax); `BLESS=1 cargo test -p book --test docs` rewrites excerpts from the code;
//! - every terminal transcript, the fenced block after `<!-- transcript: NAME -->`, is produced
//!   by a test (a test file, in `crates/*/tests` or `exercises/checker/tests`, names it and
//!   checks it with `testkit::check_transcript`);
//!   a Chinese page's transcripts are its English page's, checked there;
//! - every relative link points to a file that exists, and every `#anchor` to a heading, with
//!   heading anchors made the way GitHub and mdBook make them (CJK kept, punctuation dropped,
//!   spaces to `-`, `-1`, `-2`... after repeats);
//! - every `### Step N — title` heading matches a `// Step N — title` comment in a source
//!   file the page quotes, and every step comment in those files has its heading.
//!
//! And the book has two languages that must not drift apart (`docs/en`, `docs/zh`):
//!
//! - both folders have the same files, and their `SUMMARY.md` the same structure (the same
//!   pages in the same places; only the titles are translated);
//! - `SUMMARY.md` lists every page of its folder, and every page it lists exists;
//! - a Chinese page quotes the same excerpts (`FILE#ANCHOR`, in the same order) as its English
//!   page, and has the same transcripts, whose blocks equal the English ones (`BLESS=1` copies
//!   them from the English page);
//! - a Chinese page's step headings read `### 第 N 步 — 标题`, with the same sequence of numbers
//!   as its English page's `### Step N — title` headings.
//!
//! And no page promises what does not exist:
//!
//! - every lesson it mentions (`lesson 3`, `lessons 1–4`, `第 5 课`, `第 1、2 课`) has its
//!   page in its book's `SUMMARY.md`;
//! - every path it names under `crates/`, `scripts/` or `docs/` exists;
//! - every `--flag` written after a program's name (`echo-server --threads`,
//!   `cargo run -p echo-server -- --threads`) is one that program's `--help` lists.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use testkit::{fenced_block_after, workspace_root};

const EXCERPT: &str = "<!-- excerpt: ";
const TRANSCRIPT: &str = "<!-- transcript: ";
/// The folder of the English book; every other language mirrors it.
const ENGLISH: &str = "docs/en";
/// The folder of the Simplified Chinese book.
const CHINESE: &str = "docs/zh";
/// The book's table of contents, one per language (mdBook's `SUMMARY.md`).
const SUMMARY: &str = "SUMMARY.md";

/// Held by a test while it rewrites pages (`BLESS=1`), so that two tests never write the same
/// page at once and lose each other's changes.
fn writing_pages() -> MutexGuard<'static, ()> {
    static WRITING: Mutex<()> = Mutex::new(());
    WRITING.lock().unwrap_or_else(PoisonError::into_inner)
}

fn bless() -> bool {
    std::env::var_os("BLESS").is_some()
}

fn pages() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut pages = vec![root.join("README.md")];
    let mut folders = vec![root.join("docs")];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).expect("read docs folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// True for the pages of the Chinese book.
fn is_chinese(page: &Path) -> bool {
    page.starts_with(workspace_root().join(CHINESE))
}

/// The English page that a Chinese page translates: `docs/zh/X.md` -> `docs/en/X.md`.
fn english_of(page: &Path) -> PathBuf {
    let name = page.file_name().expect("a page has a file name");
    workspace_root().join(ENGLISH).join(name)
}

/// The names in markers like `<!-- excerpt: NAME -->`, in page order.
fn markers<'a>(text: &'a str, kind: &str) -> Vec<&'a str> {
    text.match_indices(kind)
        .filter_map(|(at, _)| {
            let rest = &text[at + kind.len()..];
            rest.find(" -->").map(|end| &rest[..end])
        })
        .collect()
}

/// The lines between `// ANCHOR: name` and `// ANCHOR_END: name`, without other anchor lines
/// and with their common indentation removed.
fn region(source: &str, name: &str) -> Option<String> {
    let start = format!("// ANCHOR: {name}");
    let end = format!("// ANCHOR_END: {name}");
    let mut lines = source.lines().skip_while(|line| line.trim() != start);
    lines.next()?;
    let mut body = Vec::new();
    for line in lines {
        if line.trim() == end {
            let indent = body
                .iter()
                .filter(|l: &&&str| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            let dedented: Vec<&str> = body
                .iter()
                .map(|l| {
                    if l.len() >= indent {
                        &l[indent..]
                    } else {
                        l.trim()
                    }
                })
                .collect();
            return Some(dedented.join("\n") + "\n");
        }
        if !line.trim_start().starts_with("// ANCHOR") {
            body.push(line);
        }
    }
    None
}

#[test]
fn every_excerpt_equals_its_source() {
    let bless = bless();
    let _writing = writing_pages();
    let mut problems = Vec::new();
    for page in pages() {
        let mut text = fs::read_to_string(&page).expect("read page");
        for target in markers(&text.clone(), EXCERPT) {
            let Some((file, anchor)) = target.split_once('#') else {
                problems.push(format!(
                    "{}: excerpt '{target}' needs FILE#ANCHOR",
                    relative(&page)
                ));
                continue;
            };
            let Ok(source) = fs::read_to_string(workspace_root().join(file)) else {
                problems.push(format!(
                    "{}: excerpt source {file} does not exist",
                    relative(&page)
                ));
                continue;
            };
            let Some(code) = region(&source, anchor) else {
                problems.push(format!(
                    "{}: {file} has no region '{anchor}'",
                    relative(&page)
                ));
                continue;
            };
            let marker = format!("{EXCERPT}{target} -->");
            let (start, end) =
                fenced_block_after(&text, &marker).expect("a fenced block after the marker");
            if text[start..end] != code {
                if bless {
                    text.replace_range(start..end, &code);
                } else {
                    problems.push(format!(
                        "{}: excerpt {target} differs from the code (BLESS=1 updates it)",
                        relative(&page)
                    ));
                }
            }
        }
        if bless {
            fs::write(&page, &text).expect("write page");
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_transcript_is_produced_by_a_test() {
    let root = workspace_root();
    let mut tests = String::new();
    let mut folders: Vec<PathBuf> = fs::read_dir(root.join("crates"))
        .expect("crates")
        .map(|package| package.expect("entry").path().join("tests"))
        .collect();
    // The exercises' workspace: its checker's tests show its reports on the exercises page.
    folders.push(root.join("exercises/checker/tests"));
    for folder in folders {
        for file in fs::read_dir(folder).into_iter().flatten() {
            tests += &fs::read_to_string(file.expect("entry").path()).unwrap_or_default();
        }
    }
    let mut problems = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        // A Chinese page shows its English page's transcripts (same_pages_in_both_languages
        // checks that they are equal): the test that produces them names the English page.
        let produced_for = if is_chinese(&page) {
            english_of(&page)
        } else {
            page.clone()
        };
        for name in markers(&text, TRANSCRIPT) {
            let checked = format!("\"{}\"", relative(&produced_for));
            if !tests.contains(&format!("\"{name}\"")) || !tests.contains(&checked) {
                problems.push(format!(
                    "{}: no test produces transcript '{name}'{}",
                    relative(&page),
                    if produced_for == page {
                        String::new()
                    } else {
                        format!(" for {}", relative(&produced_for))
                    }
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The anchor GitHub and mdBook give a heading: lower case; letters (CJK included), digits,
/// `-` and `_` kept; other punctuation (`—`, `：`, `、`, backticks...) dropped; each space
/// becomes `-`. Repeats get `-1`, `-2`... (see [`anchors`]).
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The text a reader sees in a heading: `[text](target)` links become their text.
fn heading_text(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    while let Some(open) = rest.find('[') {
        let Some(middle) = rest[open..].find("](") else {
            break;
        };
        let Some(close) = rest[open + middle..].find(')') else {
            break;
        };
        text.push_str(&rest[..open]);
        text.push_str(&rest[open + 1..open + middle]);
        rest = &rest[open + middle + close + 1..];
    }
    text.push_str(rest);
    text
}

/// True for a line that opens or closes a fenced code block.
fn is_fence(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("```") || line.starts_with("~~~")
}

/// The headings of a page (ATX headings, outside code blocks), in order, without their `#`s.
fn headings(text: &str) -> Vec<&str> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if is_fence(line) {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            let title = line.trim_start_matches('#');
            if title.is_empty() || title.starts_with(' ') {
                found.push(title.trim());
            }
        }
    }
    found
}

/// Every anchor a page offers: its headings' slugs, numbered after repeats as GitHub and
/// mdBook number them (`step-1`, `step-1-1`, ...), and `<a id="...">` / `<a name="...">`.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for heading in headings(text) {
        let base = slug(&heading_text(heading));
        let mut anchor = base.clone();
        let mut repeat = 0;
        while found.contains(&anchor) {
            repeat += 1;
            anchor = format!("{base}-{repeat}");
        }
        found.insert(anchor);
    }
    for attribute in ["id=\"", "name=\""] {
        for (at, _) in text.match_indices(&format!("<a {attribute}")) {
            let rest = &text[at + 3 + attribute.len()..];
            if let Some(end) = rest.find('"') {
                found.insert(rest[..end].to_string());
            }
        }
    }
    found
}

/// `%E7%AC%AC` -> `第`: a link may spell a CJK anchor either way.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                at += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// A line without its `inline code` spans, where `[a](b)` is code, not a link.
fn without_code_spans(line: &str) -> String {
    line.split('`').step_by(2).collect::<Vec<_>>().join(" ")
}

/// The targets of links outside code: inline `[text](target)`, images `![alt](target)`,
/// and reference definitions `[name]: target`.
fn links(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if is_fence(line) {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let line = without_code_spans(line);
        let definition = line.trim_start().strip_prefix('[');
        if let Some((_, target)) = definition.and_then(|d| d.split_once("]: ")) {
            found.push(target.split_whitespace().next().unwrap_or("").to_string());
        }
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                // `(target "title")` and `(<target>)` are links to `target`.
                let target = rest[..end].split_whitespace().next().unwrap_or("");
                found.push(target.trim_matches(['<', '>']).to_string());
                rest = &rest[end..];
            }
        }
    }
    found
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let mut problems = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            if link.is_empty() {
                problems.push(format!("{}: a link with no target", relative(&page)));
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().expect("folder").join(percent_decode(file))
            };
            if !target.exists() {
                problems.push(format!("{}: link to missing {link}", relative(&page)));
                continue;
            }
            if !anchor.is_empty() {
                let target_text = fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&target_text).contains(&percent_decode(anchor)) {
                    problems.push(format!(
                        "{}: no heading for #{anchor} in {file}",
                        relative(&page)
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn headings_make_the_same_anchor_on_github_and_in_the_book() {
    // GitHub turns only the ASCII space into `-` and drops other spaces; mdBook turns every
    // kind of space into `-`. A heading with a full-width space (U+3000), a no-break space or
    // a tab would get two different anchors, so a link to it would work in only one place.
    let mut problems = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        for heading in headings(&text) {
            if heading.chars().any(|c| c.is_whitespace() && c != ' ') {
                problems.push(format!(
                    "{}: heading '{heading}' has a space other than ' ' (U+0020)",
                    relative(&page)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// Chinese characters and full-width punctuation (`，。：（）“”`...), which need no space
/// between them.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{303F}' // CJK punctuation: 、。「」
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{FF00}'..='\u{FFEF}' // full-width forms: ，：（）！？
        | '“' | '”' | '‘' | '’' | '…' | '—')
}

/// The places in a Chinese page where a paragraph goes on to the next line between two
/// Chinese characters. Markdown turns that line break into a space, which browsers show
/// (`一个 程序`); a Chinese paragraph is written on one line.
fn breaks_between_chinese(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = false;
    let mut previous: Option<&str> = None;
    for line in text.lines() {
        if is_fence(line) {
            in_code = !in_code;
            previous = None;
            continue;
        }
        let trimmed = line.trim();
        let starts_block = trimmed.is_empty()
            || trimmed.starts_with(['#', '|', '<', '>'])
            || trimmed.starts_with("- ")
            || trimmed.starts_with("* ")
            || trimmed
                .split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
        if let Some(before) = previous.filter(|_| !in_code && !starts_block) {
            // What a reader sees at the join: link and emphasis marks do not count.
            let last = before.trim_end_matches(['*', '_', ')', ']']).chars().last();
            let last = if before.ends_with(')') {
                before
                    .rfind("](")
                    .and_then(|at| before[..at].chars().last())
            } else {
                last
            };
            let first = trimmed.trim_start_matches(['*', '_', '[']).chars().next();
            if last.is_some_and(is_cjk) && first.is_some_and(is_cjk) {
                let tail: Vec<char> = before.chars().rev().take(12).collect();
                let tail: String = tail.into_iter().rev().collect();
                let head: String = trimmed.chars().take(12).collect();
                found.push(format!("{tail} / {head}"));
            }
        }
        previous = (!in_code && !trimmed.is_empty() && !trimmed.starts_with(['#', '|', '<']))
            .then_some(trimmed);
    }
    found
}

#[test]
fn chinese_paragraphs_do_not_break_between_characters() {
    let mut problems = Vec::new();
    for page in pages().into_iter().filter(|page| is_chinese(page)) {
        let text = fs::read_to_string(&page).expect("read page");
        for join in breaks_between_chinese(&text) {
            problems.push(format!(
                "{}: a line break between Chinese characters shows as a space; join the lines: {join}",
                relative(&page)
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// `Step N — title` from a line, after the given prefix (`### ` or `// `).
fn step(line: &str, prefix: &str) -> Option<String> {
    let rest = line.trim().strip_prefix(prefix)?;
    let (number, title) = rest.strip_prefix("Step ")?.split_once(" — ")?;
    number.parse::<u32>().ok()?;
    Some(format!("Step {number} — {title}"))
}

/// The number of a Chinese step heading, `### 第 N 步 — 标题`.
fn chinese_step(line: &str) -> Option<u32> {
    let rest = line.strip_prefix("### 第 ")?;
    let (number, title) = rest.split_once(" 步 — ")?;
    if title.trim().is_empty() {
        return None;
    }
    number.parse().ok()
}

/// True for a heading that looks like a step heading in either language, well formed or not.
fn looks_like_step(line: &str) -> bool {
    let Some(title) = line.strip_prefix("### ") else {
        return false;
    };
    title.starts_with("Step ") || title.starts_with('第') || title.starts_with("步骤")
}

/// The numbers of a page's step headings, in page order: `### Step N — ...` on an English
/// page, `### 第 N 步 — ...` on a Chinese one. Lines in code blocks are not headings.
fn step_numbers(text: &str, chinese: bool) -> Vec<u32> {
    let mut in_code = false;
    let mut numbers = Vec::new();
    for line in text.lines() {
        if is_fence(line) {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let number = if chinese {
            chinese_step(line)
        } else {
            step(line, "### ").and_then(|s| s["Step ".len()..].split(' ').next()?.parse().ok())
        };
        numbers.extend(number);
    }
    numbers
}

#[test]
fn step_headings_match_step_comments() {
    let mut problems = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        if is_chinese(&page) {
            // Chinese headings are translations: their numbers are checked against the
            // English page (same_pages_in_both_languages), their form here.
            for line in text.lines() {
                if looks_like_step(line) && chinese_step(line).is_none() {
                    problems.push(format!(
                        "{}: step heading '{line}' should read '### 第 N 步 — 标题'",
                        relative(&page)
                    ));
                }
            }
            continue;
        }
        let headings: BTreeSet<String> = text.lines().filter_map(|l| step(l, "### ")).collect();
        let sources: BTreeSet<&str> = markers(&text, EXCERPT)
            .into_iter()
            .filter_map(|target| target.split_once('#').map(|(file, _)| file))
            .collect();
        let mut comments = BTreeSet::new();
        for file in sources {
            let source = fs::read_to_string(workspace_root().join(file)).unwrap_or_default();
            comments.extend(source.lines().filter_map(|l| step(l, "// ")));
        }
        for missing in headings.difference(&comments) {
            problems.push(format!(
                "{}: heading '{missing}' has no step comment",
                relative(&page)
            ));
        }
        for missing in comments.difference(&headings) {
            problems.push(format!(
                "{}: step comment '{missing}' has no heading",
                relative(&page)
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The names of the files in a book folder (pages, `SUMMARY.md`, `book.toml`...).
fn files_in(folder: &str) -> BTreeSet<String> {
    fs::read_dir(workspace_root().join(folder))
        .map(|entries| {
            entries
                .map(|entry| {
                    entry
                        .expect("entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One line of a `SUMMARY.md`, without its title: what kind of entry it is, how deep it is
/// nested, and the page it names. Two languages' summaries have the same structure when
/// these are equal line by line.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    /// `# Title` (the first is the summary's own title; later ones are mdBook's part titles).
    Title,
    /// `[Title](page.md)`: a chapter without a number (before or after the numbered ones).
    Chapter(String),
    /// `- [Title](page.md)`, indented by `depth` spaces.
    Numbered { depth: usize, page: String },
    /// `---`
    Separator,
}

fn summary(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let trimmed = line.trim_start();
        let target = || {
            let (_, rest) = trimmed.split_once("](")?;
            Some(rest.strip_suffix(')')?.to_string())
        };
        let entry = if trimmed.starts_with('#') {
            Entry::Title
        } else if trimmed.trim_end() == "---" {
            Entry::Separator
        } else if let Some(item) = trimmed.strip_prefix("- ").or(trimmed.strip_prefix("* ")) {
            match item.starts_with('[').then(target).flatten() {
                Some(page) => Entry::Numbered {
                    depth: line.len() - trimmed.len(),
                    page,
                },
                None => return Err(format!("not a [title](page.md) item: '{line}'")),
            }
        } else if let Some(page) = trimmed.starts_with('[').then(target).flatten() {
            Entry::Chapter(page)
        } else {
            return Err(format!("not a line mdBook's SUMMARY.md allows: '{line}'"));
        };
        entries.push(entry);
    }
    Ok(entries)
}

fn summary_pages(entries: &[Entry]) -> Vec<&str> {
    entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Chapter(page) | Entry::Numbered { page, .. } => Some(page.as_str()),
            Entry::Title | Entry::Separator => None,
        })
        .collect()
}

#[test]
fn summary_lists_every_page_and_only_pages_that_exist() {
    let mut problems = Vec::new();
    for folder in [ENGLISH, CHINESE] {
        let path = workspace_root().join(folder).join(SUMMARY);
        let Ok(text) = fs::read_to_string(&path) else {
            problems.push(format!("{folder}/{SUMMARY} is missing"));
            continue;
        };
        let entries = match summary(&text) {
            Ok(entries) => entries,
            Err(problem) => {
                problems.push(format!("{folder}/{SUMMARY}: {problem}"));
                continue;
            }
        };
        let listed = summary_pages(&entries);
        for page in &listed {
            if !workspace_root().join(folder).join(page).is_file() {
                problems.push(format!(
                    "{folder}/{SUMMARY} lists {page}, which does not exist"
                ));
            }
            if listed.iter().filter(|p| p == &page).count() > 1 {
                problems.push(format!("{folder}/{SUMMARY} lists {page} more than once"));
            }
        }
        for page in files_in(folder) {
            if page.ends_with(".md") && page != SUMMARY && !listed.contains(&page.as_str()) {
                problems.push(format!(
                    "{folder}/{page} is not listed in {folder}/{SUMMARY}"
                ));
            }
        }
    }
    problems.dedup();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The transcript blocks of a page by name, as text.
fn transcripts(text: &str) -> BTreeMap<String, String> {
    markers(text, TRANSCRIPT)
        .into_iter()
        .filter_map(|name| {
            let (start, end) = fenced_block_after(text, &format!("{TRANSCRIPT}{name} -->"))?;
            Some((name.to_string(), text[start..end].to_string()))
        })
        .collect()
}

/// What must be equal in a page and its translation, or the list of what differs.
fn compare_translation(english: &str, chinese: &str, page: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let zh = format!("{CHINESE}/{page}");
    if markers(english, EXCERPT) != markers(chinese, EXCERPT) {
        problems.push(format!(
            "{zh}: its excerpts differ from {ENGLISH}/{page}'s: it has {:?}, the English page {:?}",
            markers(chinese, EXCERPT),
            markers(english, EXCERPT)
        ));
    }
    if markers(english, TRANSCRIPT) != markers(chinese, TRANSCRIPT) {
        problems.push(format!(
            "{zh}: its transcripts differ from {ENGLISH}/{page}'s: it has {:?}, the English page {:?}",
            markers(chinese, TRANSCRIPT),
            markers(english, TRANSCRIPT)
        ));
    }
    let english_steps = step_numbers(english, false);
    let chinese_steps = step_numbers(chinese, true);
    if english_steps != chinese_steps {
        problems.push(format!(
            "{zh}: its steps ('### 第 N 步 — 标题') are numbered {chinese_steps:?}, \
             {ENGLISH}/{page}'s ('### Step N — title') {english_steps:?}"
        ));
    }
    problems
}

#[test]
fn same_pages_in_both_languages() {
    let bless = bless();
    let _writing = writing_pages();
    let mut problems = Vec::new();

    let english_files = files_in(ENGLISH);
    let chinese_files = files_in(CHINESE);
    for missing in english_files.difference(&chinese_files) {
        problems.push(format!(
            "{CHINESE}/{missing} is missing (a translation of {ENGLISH}/{missing})"
        ));
    }
    for extra in chinese_files.difference(&english_files) {
        problems.push(format!(
            "{CHINESE}/{extra} has no English page {ENGLISH}/{extra}"
        ));
    }

    let read =
        |folder: &str, page: &str| fs::read_to_string(workspace_root().join(folder).join(page));
    match (read(ENGLISH, SUMMARY), read(CHINESE, SUMMARY)) {
        (Ok(english), Ok(chinese)) => {
            let (english, chinese) = (summary(&english), summary(&chinese));
            // A summary that does not parse is reported by the summary test.
            if english.is_ok() && chinese.is_ok() && english != chinese {
                problems.push(format!(
                    "{CHINESE}/{SUMMARY} differs in structure from {ENGLISH}/{SUMMARY}:\n  \
                     zh {chinese:?}\n  en {english:?}"
                ));
            }
        }
        _ => problems.push(format!("{SUMMARY} is missing in {ENGLISH} or {CHINESE}")),
    }

    for page in english_files.intersection(&chinese_files) {
        if !page.ends_with(".md") || page == SUMMARY {
            continue;
        }
        let english = read(ENGLISH, page).expect("read the English page");
        let mut chinese = read(CHINESE, page).expect("read the Chinese page");
        problems.extend(compare_translation(&english, &chinese, page));

        let english_blocks = transcripts(&english);
        let mut rewritten = false;
        for (name, block) in transcripts(&chinese.clone()) {
            let Some(wanted) = english_blocks.get(&name) else {
                continue; // reported above: the names differ
            };
            if &block == wanted {
                continue;
            }
            if bless {
                let marker = format!("{TRANSCRIPT}{name} -->");
                let (start, end) = fenced_block_after(&chinese, &marker).expect("block");
                chinese.replace_range(start..end, wanted);
                rewritten = true;
            } else {
                problems.push(format!(
                    "{CHINESE}/{page}: transcript '{name}' differs from {ENGLISH}/{page}'s \
                     (BLESS=1 copies it)"
                ));
            }
        }
        if rewritten {
            fs::write(workspace_root().join(CHINESE).join(page), &chinese)
                .expect("write the Chinese page");
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn regions_and_slugs_work_as_documented() {
    let source = "fn a() {\n    // ANCHOR: x\n    let y = 1;\n    // ANCHOR: inner\n        z();\n    // ANCHOR_END: x\n}\n";
    assert_eq!(
        region(source, "x").as_deref(),
        Some("let y = 1;\n    z();\n")
    );
    assert_eq!(region(source, "missing"), None);
    assert_eq!(
        slug(" What the tutorials do differently and why"),
        "what-the-tutorials-do-differently-and-why"
    );
    assert_eq!(slug(" Step 1 — connect"), "step-1--connect");
    assert_eq!(
        step("    // Step 2 — one message", "// ").as_deref(),
        Some("Step 2 — one message")
    );
}

#[test]
fn chinese_headings_slug_like_github_and_mdbook() {
    // What GitHub and mdBook 0.5 both produce for these headings: CJK characters kept,
    // full-width punctuation dropped like ASCII punctuation, spaces to hyphens.
    assert_eq!(
        slug("第 1 步 — 创建套接字、绑定并监听"),
        "第-1-步--创建套接字绑定并监听"
    );
    assert_eq!(
        slug("`close` 与 `shutdown`：TCP 流的结束（EOF）"),
        "close-与-shutdowntcp-流的结束eof"
    );
    assert_eq!(slug("Python → Rust 对照"), "python--rust-对照");
    assert_eq!(slug("一、套接字是什么？"), "一套接字是什么");
    let page = "# 引言\n## 运行\n```\n## 不是标题\n```\n## 运行\n### [链接](x.md) 里的字\n";
    let expected: BTreeSet<String> = ["引言", "运行", "运行-1", "链接-里的字"]
        .map(String::from)
        .into();
    assert_eq!(anchors(page), expected);
    assert_eq!(percent_decode("%E7%AC%AC-1-%E6%AD%A5"), "第-1-步");
}

#[test]
fn line_breaks_between_chinese_characters_are_found() {
    let page = "第一行\n第二行\n\n见\n[教程](x.md)。\n\n[链接](x.md)\n说明\n\n\
                用 `read`\n读取\n\n句子。\n- 列表\n\n```text\n代码\n代码\n```\n";
    assert_eq!(
        breaks_between_chinese(page),
        [
            "第一行 / 第二行",
            "见 / [教程](x.md)。",
            "[链接](x.md) / 说明"
        ]
    );
}

#[test]
fn step_headings_are_recognised_in_both_languages() {
    let english = "### Step 1 — bind\n```\n### Step 9 — in a code block\n```\n### Step 2 — go\n";
    let chinese = "### 第 1 步 — 绑定\n### 第 2 步 — 开始\n### 第2步 — 格式不对\n";
    assert_eq!(step_numbers(english, false), [1, 2]);
    assert_eq!(step_numbers(chinese, true), [1, 2]);
    assert!(looks_like_step("### 第2步 — 格式不对"));
    assert_eq!(chinese_step("### 第2步 — 格式不对"), None);
    assert_eq!(chinese_step("### 第 3 步 — "), None);
}

#[test]
fn translations_are_compared_by_what_they_quote_and_show() {
    let english = "### Step 1 — a\n<!-- excerpt: f.rs#a -->\n```rust\nx\n```\n\
                   <!-- transcript: run -->\n```console\n$ go\n```\n### Step 2 — b\n";
    let faithful = "### 第 1 步 — 甲\n<!-- excerpt: f.rs#a -->\n```rust\nx\n```\n\
                    <!-- transcript: run -->\n```console\n$ go\n```\n### 第 2 步 — 乙\n";
    assert!(compare_translation(english, faithful, "p.md").is_empty());
    let unfaithful = "### 第 1 步 — 甲\n<!-- excerpt: f.rs#b -->\n```rust\nx\n```\n";
    let problems = compare_translation(english, unfaithful, "p.md");
    assert_eq!(problems.len(), 3, "{problems:#?}");
}

#[test]
fn summaries_are_compared_by_structure_not_titles() {
    let english = "# Summary\n\n[Introduction](introduction.md)\n\n# Lessons\n\n- [One](01.md)\n  - [Sub](01a.md)\n---\n";
    let chinese =
        "# 目录\n\n[引言](introduction.md)\n\n# 课程\n\n- [一](01.md)\n  - [子](01a.md)\n---\n";
    assert_eq!(summary(english), summary(chinese));
    assert_eq!(
        summary_pages(&summary(english).expect("a summary")),
        ["introduction.md", "01.md", "01a.md"]
    );
    let moved =
        "# 目录\n\n[引言](introduction.md)\n\n# 课程\n\n- [一](01.md)\n- [子](01a.md)\n---\n";
    assert_ne!(summary(english), summary(moved));
    assert!(summary("# S\nsome prose\n").is_err());
}

/// Where each of a text's lines starts, so that a byte offset can be told as a line number.
fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

/// Reads a list of lesson numbers at the start of `rest`: `3`, `1–4` (a range), `1, 2 and 5`.
/// `separators` are the words between two numbers, each with whether it makes a range. Returns
/// the numbers and how many bytes of `rest` they took.
fn number_list(rest: &str, separators: &[(&str, bool)]) -> (Vec<u32>, usize) {
    let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).count();
    let first = digits(rest);
    let Ok(mut last) = rest[..first].parse::<u32>() else {
        return (Vec::new(), 0);
    };
    let mut numbers = vec![last];
    let mut taken = first;
    'list: loop {
        for &(separator, range) in separators {
            let after = &rest[taken..];
            let Some(next) = after.strip_prefix(separator) else {
                continue;
            };
            let length = digits(next);
            let Ok(number) = next[..length].parse::<u32>() else {
                continue;
            };
            if range && number > last {
                numbers.extend(last + 1..=number);
            } else {
                numbers.push(number);
            }
            last = number;
            taken += separator.len() + length;
            continue 'list;
        }
        return (numbers, taken);
    }
}

/// Every lesson a text mentions, as (line, lesson number, the words that mention it):
/// `lesson 3`, `Lessons 1 and 2`, `lessons 1–4`, `lesson 4, step 1` (lesson 4 only),
/// `第 5 课`, `第 1–3 课`, `第 1、2 课`, `第 1 到第 5 课`.
fn lesson_mentions(text: &str) -> Vec<(usize, u32, String)> {
    const ENGLISH_SEPARATORS: &[(&str, bool)] = &[
        ("–", true),
        ("-", true),
        (" to ", true),
        (", and ", false),
        (", ", false),
        (" and ", false),
        (" or ", false),
    ];
    const CHINESE_SEPARATORS: &[(&str, bool)] = &[
        ("–", true),
        ("-", true),
        (" 到第 ", true),
        ("到第", true),
        (" 至 ", true),
        ("、", false),
        (" 和 ", false),
        (" 和第 ", false),
    ];
    let mut found = Vec::new();
    for (at, _) in text.match_indices("esson") {
        let mut before = text[..at].chars().rev();
        let word_start = matches!(before.next(), Some('l' | 'L'))
            && !before.next().is_some_and(char::is_alphabetic);
        if !word_start {
            continue;
        }
        let mut rest = &text[at + "esson".len()..];
        rest = rest.strip_prefix('s').unwrap_or(rest);
        let Some(rest) = rest.strip_prefix(' ') else {
            continue;
        };
        let (numbers, taken) = number_list(rest, ENGLISH_SEPARATORS);
        let words = &text[at - 1..text.len() - rest.len() + taken];
        for number in numbers {
            found.push((line_of(text, at), number, words.to_string()));
        }
    }
    let mut end_of_last = 0;
    for (at, _) in text.match_indices('第') {
        if at < end_of_last {
            continue; // the second 第 of 第 1 到第 5 课
        }
        let start = &text[at + '第'.len_utf8()..];
        let rest = start.strip_prefix(' ').unwrap_or(start);
        let (numbers, taken) = number_list(rest, CHINESE_SEPARATORS);
        let after = &rest[taken..];
        let after = after.strip_prefix(' ').unwrap_or(after);
        if numbers.is_empty() || !after.starts_with('课') {
            continue;
        }
        end_of_last = text.len() - after.len() + '课'.len_utf8();
        let words = &text[at..end_of_last];
        for number in numbers {
            found.push((line_of(text, at), number, words.to_string()));
        }
    }
    found
}

/// The lessons a book has: those its `SUMMARY.md` lists (`Lesson 3 — ...`, `第 3 课 — ...`).
fn lessons_in_summary(folder: &str) -> BTreeSet<u32> {
    let text = fs::read_to_string(workspace_root().join(folder).join(SUMMARY)).unwrap_or_default();
    lesson_mentions(&text)
        .into_iter()
        .map(|(_, number, _)| number)
        .collect()
}

#[test]
fn every_lesson_mentioned_has_a_page() {
    let english = lessons_in_summary(ENGLISH);
    let chinese = lessons_in_summary(CHINESE);
    assert!(
        !english.is_empty(),
        "no lesson found in {ENGLISH}/{SUMMARY}"
    );
    let mut problems = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        let (lessons, summary) = if is_chinese(&page) {
            (&chinese, format!("{CHINESE}/{SUMMARY}"))
        } else {
            (&english, format!("{ENGLISH}/{SUMMARY}"))
        };
        for (line, number, words) in lesson_mentions(&text) {
            if lessons.contains(&number) {
                continue;
            }
            problems.push(format!(
                "{}:{line}: '{words}' names lesson {number}, which {summary} does not list \
                 (point to a page that exists, or say it without a number)",
                relative(&page)
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The folders of the workspace whose paths a page may name, and which must exist.
const CHECKED_FOLDERS: &[&str] = &["crates/", "scripts/", "docs/"];

/// A character that can be part of a path a page names (placeholders like `<program>` and
/// globs like `*` included, so that such a path is seen whole and then left alone).
fn in_path(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | '*' | '<' | '>' | '{' | '}')
}

/// Every path under `crates/`, `scripts/` or `docs/` a text names, in prose, code spans and
/// code blocks, as (line, path): `crates/echo-server/src/main.rs#accept` names
/// `crates/echo-server/src/main.rs`. Relative links (`../../crates/...`) are left to the link
/// check; placeholders (`crates/<program>/tests`) and globs (`crates/*/tests`) are not paths.
fn path_mentions(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for folder in CHECKED_FOLDERS {
        for (at, _) in text.match_indices(folder) {
            if text[..at].chars().next_back().is_some_and(in_path) {
                continue; // part of a longer path, such as ../../crates/ or target/docs/
            }
            let length = text[at..]
                .find(|c: char| !in_path(c))
                .unwrap_or(text.len() - at);
            let path = text[at..at + length].trim_end_matches(['.', '/']);
            if path.contains(['*', '<', '>', '{', '}']) || path.contains("..") {
                continue;
            }
            found.push((line_of(text, at), path.to_string()));
        }
    }
    found.sort();
    found
}

#[test]
fn every_path_named_exists() {
    let mut problems = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        for (line, path) in path_mentions(&text) {
            if !workspace_root().join(&path).exists() {
                problems.push(format!(
                    "{}:{line}: names {path}, which does not exist",
                    relative(&page)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The workspace's programs, each with its package: the packages under `crates/` with a
/// `src/main.rs` (the program has the package's name), and their other binaries,
/// `src/bin/NAME.rs` (`cargo run -p PACKAGE --bin NAME`).
fn programs() -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for entry in fs::read_dir(workspace_root().join("crates")).expect("crates") {
        let package = entry.expect("entry").path();
        let Some(name) = package
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
        else {
            continue;
        };
        if package.join("src/main.rs").is_file() {
            found.insert(name.clone(), name.clone());
        }
        for bin in fs::read_dir(package.join("src/bin")).into_iter().flatten() {
            let bin = bin.expect("entry").path();
            if bin.extension().is_some_and(|ext| ext == "rs") {
                let stem = bin.file_stem().expect("a file name").to_string_lossy();
                found.insert(stem.into_owned(), name.clone());
            }
        }
    }
    found
}

/// True for a character that can be part of a program's name or of a flag.
fn in_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// A flag written after a program's name on a page.
#[derive(Debug, PartialEq, Eq)]
struct FlagMention {
    line: usize,
    program: String,
    /// The word right after the program's name, if it is one (`loadgen echo --port`): the
    /// subcommand whose `--help` lists the flag, when the program has subcommands.
    subcommand: Option<String>,
    flag: String,
}

/// Every `--flag` a text writes after a program's name. A command ends at the end of its line
/// or code span, at `|`, `;` or `&`. After `cargo run -p NAME`, only what follows the lone `--`
/// is the program's (`--release` before it is cargo's), and the program is the one `--bin`
/// names there, if it names one.
fn flag_mentions(text: &str, programs: &[String]) -> Vec<FlagMention> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for command in line.split(['`', '|', ';', '&']) {
            let words: Vec<&str> = command.split_whitespace().collect();
            for (at, word) in words.iter().enumerate() {
                let name = word.rsplit('/').next().unwrap_or(word);
                let Some(program) = programs.iter().find(|p| p.as_str() == name) else {
                    continue;
                };
                let through_cargo = at > 0 && matches!(words[at - 1], "-p" | "--package");
                let mut program = program;
                let mut rest = words[at + 1..].iter().peekable();
                if through_cargo {
                    let cargos: Vec<&str> =
                        rest.by_ref().take_while(|w| **w != "--").copied().collect();
                    if cargos.len() == words.len() - at - 1 {
                        continue; // no lone `--`: nothing is the program's
                    }
                    let bin = cargos
                        .windows(2)
                        .find(|pair| pair[0] == "--bin")
                        .map(|pair| pair[1]);
                    if let Some(bin) =
                        bin.and_then(|bin| programs.iter().find(|p| p.as_str() == bin))
                    {
                        program = bin;
                    }
                }
                let subcommand = rest
                    .peek()
                    .filter(|w| w.chars().all(|c| c.is_ascii_lowercase()))
                    .map(|w| w.to_string());
                for flag in rest.take_while(|w| !programs.iter().any(|p| p == *w)) {
                    let Some(body) = flag.strip_prefix("--") else {
                        continue;
                    };
                    let body: String = body.chars().take_while(|&c| in_name(c)).collect();
                    if !body.is_empty() {
                        found.push(FlagMention {
                            line: index + 1,
                            program: program.clone(),
                            subcommand: subcommand.clone(),
                            flag: format!("--{body}"),
                        });
                    }
                }
            }
        }
    }
    found
}

/// True if a program's `--help` text lists `flag` (as a whole word: `--port` is not
/// `--port-file`).
fn help_lists(help: &str, flag: &str) -> bool {
    help.match_indices(flag)
        .any(|(at, _)| !help[at + flag.len()..].starts_with(in_name))
}

/// The subcommands a program's `--help` lists under `Commands:` (clap's layout), if any.
fn subcommands(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|line| line.trim() != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next().map(String::from))
        .collect()
}

#[test]
fn every_flag_written_after_a_program_is_in_its_help() {
    let packages = programs();
    let programs: Vec<String> = packages.keys().cloned().collect();
    let mut mentions = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        for mention in flag_mentions(&text, &programs) {
            mentions.push((relative(&page), mention));
        }
    }
    // `program --help`, or `program subcommand --help`, as each is first needed.
    let mut helps: BTreeMap<Vec<String>, String> = BTreeMap::new();
    let mut help = |command: Vec<String>| -> String {
        helps
            .entry(command.clone())
            .or_insert_with(|| {
                // Built by its package; a second binary sits beside the package's own.
                let package = testkit::binary(&packages[&command[0]]);
                let path = package.with_file_name(format!(
                    "{}{}",
                    command[0],
                    std::env::consts::EXE_SUFFIX
                ));
                let shown = std::process::Command::new(&path)
                    .args(&command[1..])
                    .arg("--help")
                    .output()
                    .unwrap_or_else(|error| panic!("run {}: {error}", path.display()));
                assert!(
                    shown.status.success(),
                    "{} --help: {shown:?}",
                    command.join(" ")
                );
                String::from_utf8_lossy(&shown.stdout).into_owned()
            })
            .clone()
    };
    let mut problems = Vec::new();
    for (page, mention) in mentions {
        let mut command = vec![mention.program.clone()];
        let top = help(command.clone());
        if let Some(subcommand) = &mention.subcommand {
            if subcommands(&top).contains(subcommand) {
                command.push(subcommand.clone());
            }
        }
        let shown = help(command.clone());
        if !help_lists(&shown, &mention.flag) {
            let command = command.join(" ");
            problems.push(format!(
                "{page}:{}: {command} {}, but `{command} --help` has no {}",
                mention.line, mention.flag, mention.flag
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn lesson_mentions_are_found_in_both_languages() {
    let numbers = |text: &str| -> Vec<u32> {
        lesson_mentions(text)
            .into_iter()
            .map(|(_, number, _)| number)
            .collect()
    };
    assert_eq!(numbers("see lesson 7, message framing"), [7]);
    assert_eq!(numbers("Lessons 1 and 2; lessons 1–4"), [1, 2, 1, 2, 3, 4]);
    assert_eq!(
        numbers("lesson 4, step 1, and lessons 4, 5 or 9"),
        [4, 4, 5, 9]
    );
    assert_eq!(numbers("the lessons, a lessonplan, Lesson 3's"), [3]);
    assert_eq!(
        numbers("见第 9 课；第 1–3 课、第 1、2 课和第 1 到第 5 课"),
        [9, 1, 2, 3, 1, 2, 1, 2, 3, 4, 5]
    );
    assert_eq!(numbers("第 3 步、第 2 条、第一课"), [] as [u32; 0]);
    let mentions = lesson_mentions("one\nlesson 9's load generator\n");
    assert_eq!(mentions, [(2, 9, "lesson 9".to_string())]);
    // A lesson the summary does not list is what the test reports.
    let listed: BTreeSet<u32> = (1..=6).collect();
    let missing: Vec<u32> = numbers("as lesson 7 will show, and lesson 2 showed")
        .into_iter()
        .filter(|n| !listed.contains(n))
        .collect();
    assert_eq!(missing, [7]);
}

#[test]
fn paths_are_found_and_checked() {
    let text = "Read `crates/echo-server/src/main.rs#accept`, then crates/nowhere/src/main.rs.\n\
                Run `scripts/demo.sh echo`; see [it](../../crates/common/src/lib.rs),\n\
                `crates/<program>/tests/`, `crates/*/tests` and target/docs/x.\n";
    let paths: Vec<String> = path_mentions(text).into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        paths,
        [
            "crates/echo-server/src/main.rs",
            "crates/nowhere/src/main.rs",
            "scripts/demo.sh"
        ]
    );
    let missing: Vec<&String> = paths
        .iter()
        .filter(|p| !workspace_root().join(p).exists())
        .collect();
    assert_eq!(missing, ["crates/nowhere/src/main.rs"]);
}

#[test]
fn flags_are_found_beside_their_program_and_checked_against_help() {
    let programs = ["echo-server".to_string(), "echo-client".to_string()];
    let text = "Run `echo-server --threads --port=0` and `echo-client`.\n\
                ```console\n\
                $ cargo run --release -p echo-server --quiet -- --max-conns 5\n\
                $ target/release/echo-server --nope | echo-client --host ::1\n\
                $ cargo test -p echo-server --test tutorial\n\
                ```\n\
                The `--threads` flag, alone, belongs to no program.\n";
    let flags = flag_mentions(text, &programs);
    let shown: Vec<(usize, &str, &str)> = flags
        .iter()
        .map(|m| (m.line, m.program.as_str(), m.flag.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            (1, "echo-server", "--threads"),
            (1, "echo-server", "--port"),
            (3, "echo-server", "--max-conns"),
            (4, "echo-server", "--nope"),
            (4, "echo-client", "--host"),
        ]
    );
    let through_bin = flag_mentions(
        "`cargo run -p echo-server --bin echo-client -- --host ::1`",
        &programs,
    );
    assert_eq!(through_bin[0].program, "echo-client");
    let with_subcommand = flag_mentions("`cargo run -p echo-server -- chat --port 0`", &programs);
    assert_eq!(with_subcommand[0].subcommand.as_deref(), Some("chat"));
    let top = "Usage: x <COMMAND>\n\nCommands:\n  echo  Round trips\n  chat  Fan-out\n\nOptions:\n  -h, --help\n";
    assert_eq!(
        subcommands(top),
        ["chat".to_string(), "echo".to_string()].into()
    );
    let help = "Options:\n  --port <PORT>  the port\n  --port-file <F>\n  -h, --help\n";
    assert!(help_lists(help, "--port"));
    assert!(help_lists(help, "--help"));
    assert!(!help_lists(help, "--threads"));
    assert!(!help_lists(help, "--port-f"));
}
