//! `--format github`: one GitHub Actions workflow command per finding and per file that
//! could not be linted, which the runner turns into annotations on the pull request's diff.
//! GitHub shows only the first few annotations of a step, so the short report follows them
//! (DESIGN.md, "Known traps").

use std::fmt::Write as _;

use super::{FileError, Finding, Outcome};
use crate::rules::model::Severity;

/// The annotations, then the short report of the findings (its errors go to stderr, as
/// `--format short` prints them).
pub fn render(outcome: &Outcome) -> String {
    let mut out = String::new();
    for f in &outcome.findings {
        let _ = writeln!(out, "{}", command(f));
    }
    for e in &outcome.errors {
        let _ = writeln!(out, "{}", error_command(e));
    }
    super::short::render(outcome, &mut out);
    out
}

/// A file that could not be linted: an error on it (a warning for a manifest statelint could
/// not read: its files were still linted).
fn error_command(e: &FileError) -> String {
    let kind = if e.kind == "manifest" {
        "warning"
    } else {
        "error"
    };
    let mut props = Vec::new();
    if !e.file.is_empty() {
        props.push(("file", e.file.clone()));
        if let Some(line) = e.line {
            props.push(("line", line.max(1).to_string()));
            if let Some(col) = e.column {
                props.push(("col", col.max(1).to_string()));
            }
        }
    }
    props.push(("title", format!("statelint({})", e.kind)));
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    let message = format!("could not lint this file: {}", e.message);
    format!("::{kind} {}::{}", props.join(","), escape_data(&message))
}

fn command(f: &Finding) -> String {
    let kind = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let line = f.line.max(1);
    let end_line = f.end_line.max(line);
    let mut props = vec![("file", f.file.clone()), ("line", line.to_string())];
    // GitHub rejects `col`/`endColumn` on an annotation that spans several lines.
    if end_line == line {
        props.push(("col", f.column.max(1).to_string()));
        props.push(("endLine", end_line.to_string()));
        props.push(("endColumn", f.end_column.max(1).to_string()));
    } else {
        props.push(("endLine", end_line.to_string()));
    }
    props.push(("title", format!("statelint({})", f.rule)));
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    // The help goes on a line of its own: the annotation then says what to do, not only what
    // is wrong.
    let message = if f.help.is_empty() {
        f.message.clone()
    } else {
        format!("{}\nhelp: {}", f.message, f.help)
    };
    format!("::{kind} {}::{}", props.join(","), escape_data(&message))
}

/// The message part of a workflow command: `%` first, so the escapes it adds stay intact.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value also ends at `,` and the properties end at `:`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_and_newlines() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_data("a: b, c"), "a: b, c");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("C:\\a,b%.rs"), "C%3A\\a%2Cb%25.rs");
        assert_eq!(escape_property("x\ny"), "x%0Ay");
    }

    #[test]
    fn percent_is_escaped_before_the_escapes_it_introduces() {
        assert_eq!(escape_property("%3A:"), "%253A%3A");
    }
}
