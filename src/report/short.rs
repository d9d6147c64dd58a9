//! One line per finding: `file:line:col: severity[rule] message`, as compilers print.

use std::fmt::Write as _;

use super::Outcome;

pub fn render(outcome: &Outcome, out: &mut String) {
    for f in &outcome.findings {
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            f.file,
            f.line,
            f.column,
            f.severity.as_str(),
            f.rule,
            f.message
        );
    }
}

/// Files that could not be linted, in the same shape (printed on stderr).
pub fn render_errors(outcome: &Outcome, out: &mut String) {
    for e in &outcome.errors {
        let _ = writeln!(
            out,
            "{}:{}:{}: error[{}] {}",
            e.file,
            e.line.unwrap_or(1),
            e.column.unwrap_or(1),
            e.kind,
            e.message
        );
    }
}
