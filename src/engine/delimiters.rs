//! Where a file that cannot even be split into tokens goes wrong. proc-macro2's lexer only
//! says "cannot parse string into token stream", often at the end of the file; a person needs
//! the `(` that is never closed, as rustc points at it. A lexical scan (comments, strings,
//! chars and raw strings skipped, as the nesting estimate does) finds it.

use crate::syntax::lex;

#[derive(Debug, PartialEq, Eq)]
pub enum Problem {
    /// The opener at byte `at` is closed by the wrong delimiter, at byte `by`.
    Mismatched {
        open: u8,
        at: usize,
        close: u8,
        by: usize,
    },
    /// The opener at `at` is never closed: the file ends first; `around` is the next opener
    /// out that is still open too, if any.
    Unclosed {
        open: u8,
        at: usize,
        around: Option<(u8, usize)>,
    },
    /// The closer at `at` closes nothing.
    Unopened { close: u8, at: usize },
    /// A string or block comment starting at `at` never ends.
    Unterminated { what: &'static str, at: usize },
}

impl Problem {
    /// The byte to report: the delimiter that is never closed, where there is one.
    pub fn at(&self) -> usize {
        match *self {
            Problem::Mismatched { at, .. }
            | Problem::Unclosed { at, .. }
            | Problem::Unopened { at, .. }
            | Problem::Unterminated { at, .. } => at,
        }
    }

    /// The message; `place` turns a byte offset into `line:column`.
    pub fn message(&self, place: &dyn Fn(usize) -> String) -> String {
        let c = |b: u8| b as char;
        match *self {
            Problem::Mismatched {
                open, close, by, ..
            } => format!(
                "this `{}` is never closed: the `{}` at {} closes it instead",
                c(open),
                c(close),
                place(by)
            ),
            Problem::Unclosed { open, around, .. } => {
                let also = around
                    .map(|(o, at)| format!(" (nor is the `{}` at {} around it)", c(o), place(at)))
                    .unwrap_or_default();
                format!(
                    "this `{}` is never closed: the file ends first{also}",
                    c(open)
                )
            }
            Problem::Unopened { close, .. } => format!("this `{}` closes nothing", c(close)),
            Problem::Unterminated { what, .. } => format!("this {what} is never closed"),
        }
    }
}

fn closer_of(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        _ => b'}',
    }
}

/// The first thing that keeps `text` from being split into tokens, if the scan sees one.
pub fn find(text: &str) -> Option<Problem> {
    let b = text.as_bytes();
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'(' | b'[' | b'{' => open.push((c, i)),
            b')' | b']' | b'}' => match open.pop() {
                Some((o, _)) if closer_of(o) == c => {}
                // Nothing open that this closes: the closer is the extra one.
                Some(_) if !open.iter().any(|&(o, _)| closer_of(o) == c) => {
                    return Some(Problem::Unopened { close: c, at: i });
                }
                // It closes something further out: what is open inside was never closed.
                Some((o, at)) => {
                    return Some(Problem::Mismatched {
                        open: o,
                        at,
                        close: c,
                        by: i,
                    });
                }
                None => return Some(Problem::Unopened { close: c, at: i }),
            },
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = lex::skip_block_comment(b, i);
                if !text[..end].ends_with("*/") {
                    return Some(Problem::Unterminated {
                        what: "block comment",
                        at: i,
                    });
                }
                i = end;
                continue;
            }
            b'"' => {
                let end = lex::skip_string(b, i);
                if end >= b.len() {
                    return Some(Problem::Unterminated {
                        what: "string",
                        at: i,
                    });
                }
                i = end;
            }
            b'\'' => i = lex::skip_char(b, i),
            c if lex::is_ident_start(c) => {
                let start = i;
                while i < b.len() && lex::is_ident(b[i]) {
                    i += 1;
                }
                match (&b[start..i], b.get(i)) {
                    (b"r" | b"br" | b"cr", Some(b'"' | b'#')) => {
                        let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
                        match lex::skip_raw_string(b, i) {
                            Some(end) => {
                                let body_start = i + hashes + 1;
                                let closing = format!("\"{}", "#".repeat(hashes));
                                let closed =
                                    end > body_start && text[body_start..end].ends_with(&closing);
                                if !closed {
                                    return Some(Problem::Unterminated {
                                        what: "raw string",
                                        at: start,
                                    });
                                }
                                i = end;
                            }
                            // `r#type`: a raw identifier.
                            None => i += 1,
                        }
                    }
                    (b"b" | b"c", Some(b'"')) => {
                        let end = lex::skip_string(b, i);
                        if end >= b.len() {
                            return Some(Problem::Unterminated {
                                what: "string",
                                at: start,
                            });
                        }
                        i = end + 1;
                    }
                    (b"b", Some(b'\'')) => i = lex::skip_char(b, i) + 1,
                    _ => {}
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let (innermost, at) = open.pop()?;
    Some(Problem::Unclosed {
        open: innermost,
        at,
        around: open.last().copied(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opener_that_is_never_closed_is_found() {
        assert_eq!(
            find("fn a() {\n    let x = (1, 2;\n}\n"),
            Some(Problem::Mismatched {
                open: b'(',
                at: 21,
                close: b'}',
                by: 28
            })
        );
        assert_eq!(
            find("fn c() {\n    if true {\n        x();\n\nfn d() {}\n"),
            Some(Problem::Unclosed {
                open: b'{',
                at: 21,
                around: Some((b'{', 7))
            })
        );
        assert_eq!(
            find("fn e() {\n    x());\n}\n"),
            Some(Problem::Unopened {
                close: b')',
                at: 16
            })
        );
    }

    #[test]
    fn delimiters_in_strings_comments_and_chars_do_not_count() {
        let ok = "fn f<'a>(x: &'a str) { let _ = (\"(\", '(', b'[', r#\"{\"#, br\"]\"); // (\n /* { /* } */ */ }\n";
        assert_eq!(find(ok), None);
        assert_eq!(
            find("fn f() { let s = \"never closed; }\n"),
            Some(Problem::Unterminated {
                what: "string",
                at: 17
            })
        );
        assert_eq!(
            find("let s = r#\"open\"; }"),
            Some(Problem::Unterminated {
                what: "raw string",
                at: 8
            })
        );
        assert_eq!(find("let s = r#\"a\"#;"), None);
        assert_eq!(find("let r#type = 1;"), None);
        assert_eq!(
            find("fn f() {} /* open"),
            Some(Problem::Unterminated {
                what: "block comment",
                at: 10
            })
        );
    }
}
