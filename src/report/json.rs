//! `--format json`: the versioned contract in DESIGN.md, written with serde.

use serde::Serialize;

use super::{FileError, Finding, Outcome, Summary};

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    findings: &'a [Finding],
    errors: &'a [FileError],
    summary: Summary,
}

pub fn render(outcome: &Outcome) -> String {
    let report = Report {
        version: 1,
        tool: Tool {
            name: "statelint",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: &outcome.findings,
        errors: &outcome.errors,
        summary: outcome.summary(),
    };
    let mut s =
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
