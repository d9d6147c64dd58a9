//! Suppression comments: `// statelint: allow(rule-id, ..) reason` and
//! `// statelint: allow-file(rule-id) reason`.
//!
//! Comments are not in syn's tree, so they are found by a small scanner that knows Rust's
//! string, char and comment syntax (a `//` inside a string is not a comment), and only in files
//! that contain `statelint:` at all. A suppression covers:
//! - the line it ends, when code precedes it on that line;
//! - otherwise the next line of code, or the whole item starting there (attributes and doc
//!   comments included), as clippy's `#[allow]` would;
//! - the whole file, for `allow-file`.

use std::ops::Range;

use super::lex;

/// One suppression comment, as written and as resolved to the lines it covers.
#[derive(Debug, Clone)]
pub struct Suppression {
    pub line: u32,
    pub column: u32,
    pub end_column: u32,
    /// Byte range of the comment, for reports.
    pub bytes: Range<u32>,
    pub file_wide: bool,
    pub rules: Vec<String>,
    pub reason: Option<String>,
    /// First and last line covered (inclusive).
    pub covers: (u32, u32),
    /// The comment's text, for messages.
    pub text: String,
}

/// A comment that starts with `statelint:`.
#[derive(Debug)]
pub struct Comment {
    pub bytes: Range<usize>,
    /// Text after `//` or inside `/* */`, trimmed.
    pub body: String,
    /// Only whitespace precedes it on its line.
    pub own_line: bool,
}

/// Comments whose text starts with `statelint:` (cheap when the file has none).
pub fn find_comments(text: &str) -> Vec<Comment> {
    if memchr::memmem::find(text.as_bytes(), b"statelint:").is_none() {
        return Vec::new();
    }
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut push = |start: usize, end: usize, body: &str| {
        let body = body.trim();
        if body.starts_with("statelint:") {
            let line_start = text[..start].rfind('\n').map(|p| p + 1).unwrap_or(0);
            let own_line = text[line_start..start].trim().is_empty();
            out.push(Comment {
                bytes: start..end,
                body: body.to_string(),
                own_line,
            });
        }
    };
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = memchr::memchr(b'\n', &b[i..])
                    .map(|e| i + e)
                    .unwrap_or(b.len());
                let content = &text[i + 2..end];
                // Doc comments (`///`, `//!`) document; they do not suppress.
                if !content.starts_with('/') && !content.starts_with('!') {
                    push(i, end, content.trim_end_matches('\r'));
                }
                i = end;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                let end = lex::skip_block_comment(b, i);
                i = end;
                let inner = text.get(start + 2..end.saturating_sub(2)).unwrap_or("");
                if !inner.starts_with('*') && !inner.starts_with('!') {
                    push(start, end, inner);
                }
                continue;
            }
            b'r' if matches!(b.get(i + 1), Some(b'#') | Some(b'"'))
                && (i == 0 || !is_ident(b[i - 1])) =>
            {
                i = skip_raw_string(b, i);
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'\'' => {
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                } else if let Some(c) = text.get(i + 1..).and_then(|t| t.chars().next()) {
                    // A char literal is one char between quotes; otherwise a lifetime.
                    let after = i + 1 + c.len_utf8();
                    if b.get(after) == Some(&b'\'') {
                        i = after;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// From the `r` of a raw string to just past its end (or one byte on, if it is not one).
fn skip_raw_string(b: &[u8], start: usize) -> usize {
    lex::skip_raw_string(b, start + 1).unwrap_or(start + 1)
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// What a comment body says, before deciding what it covers.
#[derive(Debug, PartialEq)]
pub struct Parsed {
    pub file_wide: bool,
    pub rules: Vec<String>,
    pub reason: Option<String>,
}

/// `statelint: allow(a, b) reason` / `statelint: allow-file(a) reason`; `None` if malformed.
pub fn parse_body(body: &str) -> Option<Parsed> {
    let rest = body.strip_prefix("statelint:")?.trim_start();
    let (file_wide, rest) = if let Some(r) = rest.strip_prefix("allow-file") {
        (true, r)
    } else if let Some(r) = rest.strip_prefix("allow") {
        (false, r)
    } else {
        return None;
    };
    let rest = rest.trim_start().strip_prefix('(')?;
    let close = rest.find(')')?;
    let rules: Vec<String> = rest[..close]
        .split(',')
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    let reason = rest[close + 1..]
        .trim()
        .trim_start_matches(['-', ':', '—'])
        .trim();
    Some(Parsed {
        file_wide,
        rules,
        reason: (!reason.is_empty()).then(|| reason.to_string()),
    })
}

/// Resolves the comments of a file into suppressions. `items` are (first line, last line) of
/// every item, attributes and doc comments included; `line_of` maps byte offsets to lines and
/// columns; `lines` gives the text of a 1-based line.
pub fn resolve(
    comments: Vec<Comment>,
    items: &[(u32, u32)],
    line_of: &dyn Fn(usize) -> (u32, u32),
    lines: &dyn Fn(u32) -> Option<String>,
) -> Vec<Suppression> {
    let mut out = Vec::new();
    for c in comments {
        let (line, column) = line_of(c.bytes.start);
        let (_, end_column) = line_of(c.bytes.end);
        let parsed = parse_body(&c.body);
        let (file_wide, rules, reason) = match parsed {
            Some(p) => (p.file_wide, p.rules, p.reason),
            // Malformed: still reported (as suppressing nothing), with no rules.
            None => (false, Vec::new(), None),
        };
        let covers = if file_wide {
            (1, u32::MAX)
        } else if !c.own_line {
            (line, line)
        } else {
            let next = next_code_line(line, lines);
            // The largest item that starts on that line (attributes and docs included).
            let item = items
                .iter()
                .filter(|(start, _)| *start == next)
                .max_by_key(|(s, e)| e - s);
            match item {
                Some(&(s, e)) => (s, e),
                None => (next, next),
            }
        };
        out.push(Suppression {
            line,
            column,
            end_column,
            bytes: c.bytes.start as u32..c.bytes.end as u32,
            file_wide,
            rules,
            reason,
            covers,
            text: c.body,
        });
    }
    out
}

/// The first line after `line` that is neither blank nor only a comment.
fn next_code_line(line: u32, lines: &dyn Fn(u32) -> Option<String>) -> u32 {
    let mut n = line + 1;
    while let Some(text) = lines(n) {
        let t = text.trim();
        if !(t.is_empty() || t.starts_with("//") || t.starts_with("/*") || t.starts_with('*'))
            || t.starts_with("///")
            || t.starts_with("//!")
        {
            return n;
        }
        n += 1;
    }
    line + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_allow_forms() {
        assert_eq!(
            parse_body("statelint: allow(a, b) cache is per-request"),
            Some(Parsed {
                file_wide: false,
                rules: vec!["a".into(), "b".into()],
                reason: Some("cache is per-request".into())
            })
        );
        assert_eq!(
            parse_body("statelint: allow-file(local-file-write)"),
            Some(Parsed {
                file_wide: true,
                rules: vec!["local-file-write".into()],
                reason: None
            })
        );
        assert_eq!(parse_body("statelint: allow local-file-write"), None);
    }

    #[test]
    fn comments_inside_strings_are_not_comments() {
        let src = "let s = \"// statelint: allow(x) no\";\nlet r = r#\"/* statelint: allow(y) */\"#;\n// statelint: allow(z) yes\nlet c = '\"'; // statelint: allow(w) trailing\n/// statelint: allow(doc) docs are not suppressions\n// a note that mentions statelint: allow(q)\n";
        let found: Vec<String> = find_comments(src).into_iter().map(|c| c.body).collect();
        assert_eq!(
            found,
            ["statelint: allow(z) yes", "statelint: allow(w) trailing"]
        );
    }

    #[test]
    fn covers_next_line_or_item() {
        let src = "// statelint: allow(a) r\n#[derive(Debug)]\nstruct S {\n    x: u8,\n}\nfn f() {\n    // statelint: allow(b) r\n    call();\n    other(); // statelint: allow(c) r\n}\n";
        let text = crate::source::SourceText::new(src.to_string());
        let comments = find_comments(src);
        let items = [(2, 5), (6, 10)];
        let s = resolve(comments, &items, &|b| text.line_col(b), &|l| {
            (l as usize <= text.line_count()).then(|| text.line_text(l).to_string())
        });
        let covers: Vec<(u32, u32)> = s.iter().map(|s| s.covers).collect();
        assert_eq!(covers, [(2, 5), (8, 8), (9, 9)]);
    }
}
