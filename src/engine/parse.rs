//! Reading and parsing one file, with every way that can fail turned into a `FileError`:
//! unreadable, not a regular file, too large, not UTF-8, nested too deep, not Rust, or a panic
//! inside statelint itself. None of them stops the run.

use std::collections::HashSet;

use crate::engine::aliases::CrateWords;
use crate::engine::delimiters;
use crate::engine::nesting::{self, MAX_NESTING};
use crate::fault;
use crate::report::FileError;
use crate::rules::compile::RuleSet;
use crate::source::SourceText;
use crate::syntax::facts::FileFacts;
use crate::syntax::imports::ExternNames;
use crate::syntax::suppress;
use crate::syntax::walker::{self, FileInput};
use crate::workspace::discover::{CrateUnit, SourceFile};

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

/// Decodes a file's bytes and refuses text nested too deep to parse safely.
fn decode_parsable(file: &SourceFile, bytes: Vec<u8>) -> Result<SourceText, FileError> {
    let err = |kind: &str, msg: String| FileError::new(&file.display, kind, msg);
    let src = SourceText::decode(bytes).map_err(|e| err("utf8", e.message).at(e.line, e.column))?;
    let depth = nesting::estimate(src.text().as_bytes());
    if depth > MAX_NESTING {
        return Err(err(
            "too-deep",
            format!(
                "code nests about {depth} levels deep (more than {MAX_NESTING}); skipped to protect the stack"
            ),
        ));
    }
    Ok(src)
}

/// Decodes, parses and walks a file read by `read_file`.
pub fn process_file(
    unit: &CrateUnit,
    file: &SourceFile,
    bytes: Vec<u8>,
    rules: &RuleSet,
    crate_words: &CrateWords,
    blocks_enabled: &[bool],
    siblings: &HashSet<String>,
) -> Result<FileFacts, FileError> {
    let err = |kind: &str, msg: String| FileError::new(&file.display, kind, msg);
    let src = decode_parsable(file, bytes)?;
    let comments = suppress::find_comments(src.text());
    let input = FileInput {
        rules,
        externs: externs_for(unit, &file.rel),
        module_path: file.module_path.clone(),
        rel_path: &file.rel,
        crate_words,
        record_items: !comments.is_empty(),
        blocks_enabled,
        siblings,
    };
    let result = fault::catch(|| parse_and_walk(&src, &input));
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
        Err(panic) => Err(err(
            "internal",
            format!("statelint crashed on this file ({panic}); please report it with the file"),
        )),
    }
}

/// The names a file's paths may start with: a binary of the package also names the package's
/// library, which is this crate (see `ExternNames::own_lib`).
fn externs_for(unit: &CrateUnit, rel: &str) -> std::sync::Arc<ExternNames> {
    let binary = rel == "src/main.rs" || rel.starts_with("src/bin/");
    if !binary {
        return unit.externs.clone();
    }
    std::sync::Arc::new(ExternNames {
        own_lib: Some(crate::engine::across::lib_name(unit)),
        ..(*unit.externs).clone()
    })
}

/// Read and parse without walking (benchmark baseline).
pub fn parse_only(file: &SourceFile, max_size: u64) -> Result<(), FileError> {
    let err = |kind: &str, msg: String| FileError::new(&file.display, kind, msg);
    let src = decode_parsable(file, read_file(file, max_size)?)?;
    let result = fault::catch(|| syn::parse_file(src.text()).map(drop));
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

/// What syn says when proc-macro2 cannot split the text into tokens at all.
const LEX_ERROR: &str = "cannot parse string into token stream";

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
    let file =
        syn::parse_file(to_parse).map_err(|e| {
            let start = e.span().start();
            let lexer_failed = e.to_string() == LEX_ERROR;
            match lexer_failed.then(|| delimiters::find(text)).flatten() {
            // Point at the `(` that is never closed, not where the lexer gave up.
            Some(problem) => {
                let (line, column) = src.line_col(problem.at());
                let place = |b: usize| {
                    let (l, c) = src.line_col(b);
                    format!("{l}:{c}")
                };
                (line, column, format!("cannot parse: {}", problem.message(&place)))
            }
            None if lexer_failed => (
                start.line as u32,
                start.column as u32 + 1,
                "cannot parse: this is not a Rust token (a character Rust does not allow here?)"
                    .to_string(),
            ),
            None => (
                start.line as u32,
                start.column as u32 + 1,
                format!("cannot parse: {e}"),
            ),
        }
        })?;
    Ok(walker::extract(&file, src, input))
}
