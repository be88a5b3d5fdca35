//! The book cannot drift from the code. For every Markdown page in `docs/` (and the README):
//!
//! - every code excerpt, the fenced block after `<!-- excerpt: FILE#ANCHOR -->`, equals the
//!   region between `// ANCHOR: ANCHOR` and `// ANCHOR_END: ANCHOR` in FILE (mdBook's anchor
//!   syntax); `BLESS=1 cargo test -p common --test docs` rewrites excerpts from the code;
//! - every terminal transcript, the fenced block after `<!-- transcript: NAME -->`, is produced
//!   by a test (a test file names it and checks it with `common::testing::check_transcript`);
//! - every relative link points to a file that exists, and every `#anchor` to a heading;
//! - every `### Step N — title` heading matches a `// Step N — title` comment in a source
//!   file the page quotes, and every step comment in those files has its heading.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::testing::{fenced_block_after, workspace_root};

const EXCERPT: &str = "<!-- excerpt: ";
const TRANSCRIPT: &str = "<!-- transcript: ";

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
    let bless = std::env::var_os("BLESS").is_some();
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
    for package in fs::read_dir(root.join("crates")).expect("crates") {
        let folder = package.expect("entry").path().join("tests");
        for file in fs::read_dir(folder).into_iter().flatten() {
            tests += &fs::read_to_string(file.expect("entry").path()).unwrap_or_default();
        }
    }
    let mut problems = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        for name in markers(&text, TRANSCRIPT) {
            let checked = format!("\"{}\"", relative(&page));
            if !tests.contains(&format!("\"{name}\"")) || !tests.contains(&checked) {
                problems.push(format!(
                    "{}: no test produces transcript '{name}'",
                    relative(&page)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// GitHub's heading anchors: lower case, punctuation dropped, spaces become hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut found = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            found.insert(slug(line.trim_start_matches('#')));
        }
    }
    found
}

/// The targets of inline links `[text](target)` outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                found.push(rest[..end].to_string());
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
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().expect("folder").join(file)
            };
            if !target.exists() {
                problems.push(format!("{}: link to missing {link}", relative(&page)));
                continue;
            }
            if !anchor.is_empty() {
                let target_text = fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&target_text).contains(anchor) {
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

/// `Step N — title` from a line, after the given prefix (`### ` or `// `).
fn step(line: &str, prefix: &str) -> Option<String> {
    let rest = line.trim().strip_prefix(prefix)?;
    let (number, title) = rest.strip_prefix("Step ")?.split_once(" — ")?;
    number.parse::<u32>().ok()?;
    Some(format!("Step {number} — {title}"))
}

#[test]
fn step_headings_match_step_comments() {
    let mut problems = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
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
