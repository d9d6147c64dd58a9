//! What a run produced, and the printers for each `--format`.

pub mod github;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod short;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::rules::model::Severity;

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub checklist: Option<u8>,
    pub message: String,
    pub help: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub snippet: String,
    #[serde(rename = "crate")]
    pub crate_name: String,
    pub context: Option<String>,
    /// The fn that puts the finding in its context when that is not the fn it is in (a job's
    /// `run` calling the helper that POSTs), so the report can point at both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reached_from: Option<ReachedFrom>,
    /// For a call into another crate of the run: where the state it reaches is reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_at: Option<StateAt>,
    /// Other places this finding is about: where the state is built, registered and changed,
    /// or where the context of an effect comes from (SARIF `relatedLocations`, human labels).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub related: Vec<Related>,
    /// Why it fired: the rule block that matched and what the state model saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    pub fingerprint: String,
    /// Where to read the source again for the human report.
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    pub byte_start: u32,
    #[serde(skip)]
    pub byte_end: u32,
}

/// A place related to a finding, with what it is (`registered as application state`,
/// `inserted into from handler \`login\``).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Related {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub label: String,
}

/// What made a finding fire, for users asking "why?" and for scoring a change by cause.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Evidence {
    /// The match block: `in-process-cache[3]` (rule id, 1-based block number).
    pub block: String,
    /// The long-lived holder the state model found (`static SESSIONS`, `AppState.sessions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// What the holder holds (`collection`, `lock`, `cell`, `atomic`, `senders`, `cache`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds: Option<String>,
    /// The mutation site the finding rests on: `file:line` and the operation (`insert`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutation: Option<String>,
    /// The context of that site, or of the effect call (`handler`, `job`, `scheduled`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// For an effect: the call as resolved (`std::fs::write`, `rusqlite::Connection::open`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
}

/// Where the state a cross-crate finding reaches lives (the finding reported there).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StateAt {
    pub file: String,
    pub line: u32,
}

/// Where the context of a finding comes from: `file:line`, the fn declared there.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReachedFrom {
    pub file: String,
    pub line: u32,
    pub function: String,
}

/// A file (or path) that could not be linted, and why.
#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    pub file: String,
    /// `parse`, `utf8`, `io`, `too-large`, `too-deep`, `manifest`, `missing`, `internal`, `usage`.
    pub kind: String,
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl FileError {
    pub fn new(file: &str, kind: &str, message: String) -> FileError {
        FileError {
            file: file.to_string(),
            kind: kind.to_string(),
            message,
            line: None,
            column: None,
        }
    }

    pub fn at(mut self, line: u32, column: u32) -> FileError {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

/// Everything a check run produced, ready for any printer.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub errors: Vec<FileError>,
    pub files: usize,
    /// Findings hidden because the baseline records them.
    pub baselined: usize,
}

#[derive(Serialize)]
pub struct Summary {
    pub files: usize,
    pub findings: usize,
    pub errors: usize,
    pub baselined: usize,
    pub by_severity: BTreeMap<&'static str, usize>,
    pub by_rule: BTreeMap<String, usize>,
    pub checklist: BTreeMap<String, &'static str>,
}

impl Outcome {
    pub fn summary(&self) -> Summary {
        let mut by_severity: BTreeMap<&'static str, usize> = BTreeMap::new();
        for s in [Severity::Error, Severity::Warning, Severity::Info] {
            by_severity.insert(s.as_str(), 0);
        }
        let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
        for f in &self.findings {
            *by_severity.entry(f.severity.as_str()).or_default() += 1;
            *by_rule.entry(f.rule.clone()).or_default() += 1;
        }
        let mut checklist = BTreeMap::new();
        for item in 1..=6u8 {
            let failing = self
                .findings
                .iter()
                .any(|f| f.checklist == Some(item) && f.severity >= Severity::Warning);
            checklist.insert(item.to_string(), if failing { "fail" } else { "pass" });
        }
        Summary {
            files: self.files,
            findings: self.findings.len(),
            errors: self.errors.len(),
            baselined: self.baselined,
            by_severity,
            by_rule,
            checklist,
        }
    }
}

/// The stateless checklist (seed/stateless-vs-stateful.txt), for summaries.
pub const CHECKLIST: [&str; 6] = [
    "No in-process session storage (use Redis or JWT)",
    "No local file writes that other instances need (use S3 or shared NFS)",
    "No in-process caches that must be consistent (use Redis or accept per-instance staleness)",
    "Background jobs are idempotent (multiple instances might process the same job)",
    "Scheduled tasks use distributed locking (only one instance runs the cron job)",
    "WebSocket connections use a pub/sub layer for cross-instance messaging",
];

/// `n word` or `n words`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The run's one-line summary in two parts, so a format can emphasise the first:
/// ("3 findings", "(1 error, 2 warnings, 0 info) in 12 files; 1 file could not be linted").
pub fn summary_parts(outcome: &Outcome) -> (String, String) {
    use std::fmt::Write;
    let count = |s: Severity| outcome.findings.iter().filter(|f| f.severity == s).count();
    let head = plural(outcome.findings.len(), "finding");
    let mut rest = format!(
        "({}, {}, {} info) in {}",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        count(Severity::Info),
        plural(outcome.files, "file"),
    );
    if outcome.baselined > 0 {
        let _ = write!(
            rest,
            "; {} in the baseline not shown",
            plural(outcome.baselined, "finding")
        );
    }
    if !outcome.errors.is_empty() {
        let _ = write!(
            rest,
            "; {} could not be linted",
            plural(outcome.errors.len(), "file")
        );
    }
    (head, rest)
}
