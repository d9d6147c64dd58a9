//! `--format gitlab`: GitLab Code Quality JSON (a list of issues, each with a description,
//! check name, fingerprint, severity and location), for `artifacts: reports: codequality`.
//! Files that could not be linted are issues too, so the merge request shows them.

use serde::Serialize;

use super::{FileError, Finding, Outcome};
use crate::engine::fingerprint::fingerprint;
use crate::rules::model::Severity;

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    /// `info`, `minor`, `major`, `critical` or `blocker`.
    severity: &'static str,
    location: Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Content>,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

#[derive(Serialize)]
struct Content {
    body: String,
}

pub fn render(outcome: &Outcome) -> String {
    let issues: Vec<Issue> = outcome
        .findings
        .iter()
        .map(finding)
        .chain(outcome.errors.iter().map(error))
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string());
    s.push('\n');
    s
}

fn finding(f: &Finding) -> Issue {
    let begin = f.line.max(1);
    Issue {
        description: f.message.clone(),
        check_name: f.rule.clone(),
        fingerprint: f.fingerprint.clone(),
        severity: match f.severity {
            Severity::Error => "critical",
            Severity::Warning => "major",
            Severity::Info => "info",
        },
        location: Location {
            path: f.file.clone(),
            lines: Lines {
                begin,
                end: f.end_line.max(begin),
            },
        },
        content: (!f.help.is_empty()).then(|| Content {
            body: f.help.clone(),
        }),
    }
}

fn error(e: &FileError) -> Issue {
    let line = e.line.unwrap_or(1).max(1);
    Issue {
        description: format!("could not lint this file ({}): {}", e.kind, e.message),
        check_name: format!("statelint::{}", e.kind),
        fingerprint: fingerprint(&e.kind, &e.file, "", &e.message),
        // A manifest statelint could not read still lets its files be linted.
        severity: if e.kind == "manifest" {
            "minor"
        } else {
            "major"
        },
        location: Location {
            path: e.file.clone(),
            lines: Lines {
                begin: line,
                end: line,
            },
        },
        content: None,
    }
}
