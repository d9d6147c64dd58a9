//! Reading and parsing one file, with every way that can fail turned into a `FileError`:
//! unreadable, not a regular file, too large, not UTF-8, nested too deep, not Rust, or a panic
//! inside statelint itself. None of them stops the run.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::engine::aliases::AliasWords;
use crate::report::FileError;
use crate::rules::compile::RuleSet;
use crate::source::SourceText;
use crate::syntax::facts::FileFacts;
use crate::syntax::suppress;
use crate::syntax::walker::{self, FileInput};
use crate::workspace::discover::{CrateUnit, SourceFile};

/// Deeper bracket nesting than this is refused before parsing: syn recurses per level and a
/// stack overflow would abort the whole run. Generous for real code (rustc's own tests rarely
/// pass a few hundred) and safe on `WORKER_STACK`.
pub const MAX_NESTING: usize = 4096;

thread_local! {
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Panics inside a file's processing are reported as that file's internal error; the default
/// hook would also print them to stderr in the middle of the report.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(Cell::get) {
                default(info);
            }
        }));
    });
}

/// Reads a file's bytes, refusing what is not a regular file or is larger than `max_size`
/// (a FIFO named `x.rs` would block the run forever).
pub fn read_file(file: &SourceFile, max_size: u64) -> Result<Vec<u8>, FileError> {
    let err = |kind: &str, msg: String| FileError::new(&file.display, kind, msg);
    let meta = std::fs::metadata(&file.path).map_err(|e| err("io", format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(err(
            "io",
            "not a regular file (a FIFO, socket or device?); skipped".to_string(),
        ));
    }
    if meta.len() > max_size {
        return Err(err(
            "too-large",
            format!(
                "{} bytes is more than --max-file-size ({max_size} bytes); skipped",
                meta.len()
            ),
        ));
    }
    std::fs::read(&file.path).map_err(|e| err("io", format!("cannot read: {e}")))
}

/// Decodes, parses and walks a file read by `read_file`.
pub fn process_file(
    unit: &CrateUnit,
    file: &SourceFile,
    bytes: Vec<u8>,
    rules: &RuleSet,
    alias_words: &AliasWords,
) -> Result<FileFacts, FileError> {
    let err = |kind: &str, msg: String| FileError::new(&file.display, kind, msg);
    let src = SourceText::decode(bytes).map_err(|e| err("utf8", e.message).at(e.line, e.column))?;
    let depth = max_nesting(src.text().as_bytes());
    if depth > MAX_NESTING {
        return Err(err(
            "too-deep",
            format!(
                "brackets nest {depth} levels deep (more than {MAX_NESTING}); skipped to protect the stack"
            ),
        ));
    }
    let comments = suppress::find_comments(src.text());
    let input = FileInput {
        rules,
        externs: unit.externs.clone(),
        module_path: file.module_path.clone(),
        rel_path: &file.rel,
        alias_words,
        record_items: !comments.is_empty(),
    };
    QUIET_PANICS.with(|q| q.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| parse_and_walk(&src, &input)));
    QUIET_PANICS.with(|q| q.set(false));
    // Spans of this file are no longer needed; proc-macro2 would otherwise keep a copy of
    // every file this thread parsed.
    proc_macro2::extra::invalidate_current_thread_spans();
    match result {
        Ok(Ok(mut facts)) => {
            if !comments.is_empty() {
                attach_suppressions(&mut facts, comments, &src);
            }
            Ok(facts)
        }
        Ok(Err((line, column, message))) => Err(err("parse", message).at(line, column)),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(err(
                "internal",
                format!("statelint crashed on this file ({what}); please report it"),
            ))
        }
    }
}

/// Read and parse without walking (benchmark baseline).
pub fn parse_only(file: &SourceFile, max_size: u64) -> Result<(), FileError> {
    let err = |kind: &str, msg: String| FileError::new(&file.display, kind, msg);
    let bytes = read_file(file, max_size)?;
    let src = SourceText::decode(bytes).map_err(|e| err("utf8", e.message))?;
    if max_nesting(src.text().as_bytes()) > MAX_NESTING {
        return Err(err("too-deep", "skipped".to_string()));
    }
    let result = panic::catch_unwind(AssertUnwindSafe(|| syn::parse_file(src.text()).map(drop)));
    proc_macro2::extra::invalidate_current_thread_spans();
    match result {
        Ok(Ok(())) => Ok(()),
        _ => Err(err("parse", "cannot parse".to_string())),
    }
}

fn attach_suppressions(facts: &mut FileFacts, comments: Vec<suppress::Comment>, src: &SourceText) {
    let line_count = src.line_count() as u32;
    let suppressions = suppress::resolve(comments, &facts.item_lines, &|b| src.line_col(b), &|l| {
        (l >= 1 && l <= line_count).then(|| src.line_text(l).to_string())
    });
    facts.suppression_snippets = suppressions
        .iter()
        .map(|s| src.line_text(s.line).trim().to_string())
        .collect();
    facts.suppressions = suppressions;
}

fn parse_and_walk(src: &SourceText, input: &FileInput) -> Result<FileFacts, (u32, u32, String)> {
    let text = src.text();
    // syn strips a `#!` line itself, which shifts byte offsets; blank it out instead.
    let owned;
    let to_parse = if text.starts_with("#!") && !text.starts_with("#![") {
        let end = text.find('\n').unwrap_or(text.len());
        owned = format!("{}{}", " ".repeat(end), &text[end..]);
        owned.as_str()
    } else {
        text
    };
    let file = syn::parse_file(to_parse).map_err(|e| {
        let start = e.span().start();
        (
            start.line as u32,
            start.column as u32 + 1,
            format!("cannot parse: {e}"),
        )
    })?;
    Ok(walker::extract(&file, src, input))
}

/// Deepest nesting of `(`, `[` and `{` outside comments, strings and char literals.
pub fn max_nesting(b: &[u8]) -> usize {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut level = 1;
                i += 2;
                while i < b.len() && level > 0 {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        level += 1;
                        i += 1;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        level -= 1;
                        i += 1;
                    }
                    i += 1;
                }
                continue;
            }
            b'r' if matches!(b.get(i + 1), Some(b'#') | Some(b'"'))
                && (i == 0 || !is_ident(b[i - 1])) =>
            {
                let mut hashes = 0;
                let mut j = i + 1;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) == Some(&b'"') {
                    j += 1;
                    'raw: while j < b.len() {
                        if b[j] == b'"'
                            && b[j + 1..]
                                .iter()
                                .take(hashes)
                                .filter(|&&c| c == b'#')
                                .count()
                                == hashes
                        {
                            j += 1 + hashes;
                            break 'raw;
                        }
                        j += 1;
                    }
                    i = j;
                    continue;
                }
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
                // A char literal ('x', '\n', '(') or a lifetime ('a): only skip the former.
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 2;
                }
            }
            _ => {}
        }
        i += 1;
    }
    max
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_ignores_strings_comments_and_chars() {
        assert_eq!(max_nesting(b"fn f() { g((1)) }"), 3);
        assert_eq!(max_nesting(b"let s = \"((((\"; // ((((\n let c = '(';"), 0);
        assert_eq!(max_nesting(b"let r = r#\"(((\"#; /* ( /* ( */ */ x"), 0);
        assert_eq!(max_nesting(b"fn f<'a>(x: &'a str) {}"), 1);
    }
}
