//! What a run produced, and the printers for each `--format`.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod short;
pub mod statistics;

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
#[derive(Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub errors: Vec<FileError>,
    /// Files found to lint (including those that then could not be linted).
    pub files: usize,
    /// Findings hidden because the baseline records them.
    pub baselined: usize,
    /// Of those, per checklist item, the ones that would fail it (warning or error).
    pub baselined_failing: BTreeMap<u8, usize>,
    /// Which rules ran on which crates: a verdict is only given for what was checked.
    pub coverage: Coverage,
    /// The PATHs as given, for "no Rust files found under PATH".
    pub roots: Vec<String>,
}

/// Which rules ran, so summaries never claim more than was checked (`--select`, `--ignore`
/// and config turn rules off, per crate).
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Crates that had files to lint.
    pub crates: usize,
    /// Rule id -> in how many of those crates it ran.
    pub ran_in: BTreeMap<String, usize>,
    /// Checklist item -> the ids of the loaded rules that belong to it (run or not).
    pub item_rules: BTreeMap<u8, Vec<String>>,
}

/// How much of a checklist item's rules ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemCoverage {
    /// Ran on every crate linted.
    pub everywhere: Vec<String>,
    /// Ran on some crates, not all.
    pub somewhere: Vec<String>,
    /// Ran on none.
    pub nowhere: Vec<String>,
}

impl Coverage {
    pub fn item(&self, item: u8) -> ItemCoverage {
        let mut c = ItemCoverage::default();
        for id in self.item_rules.get(&item).into_iter().flatten() {
            let n = self.ran_in.get(id).copied().unwrap_or(0);
            let bucket = if self.crates > 0 && n >= self.crates {
                &mut c.everywhere
            } else if n > 0 {
                &mut c.somewhere
            } else {
                &mut c.nowhere
            };
            bucket.push(id.clone());
        }
        c
    }

    /// Rules that ran on at least one crate (statelint's own, `unused-suppression` and
    /// `stale-baseline`, are not counted: they look for no state).
    pub fn rules_run(&self) -> usize {
        self.ran_in.values().filter(|&&n| n > 0).count()
    }
}

/// A checklist item's verdict, in JSON as `"fail"`, `"pass"`, `"not-checked"`,
/// `"partly-checked"` or `"baselined"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    /// A new finding at warning or above.
    Fail,
    /// Every rule of the item ran on every crate and found nothing that fails it.
    Pass,
    /// None of the item's rules ran (or no file was linted).
    NotChecked,
    /// Some of its rules did not run, or not on every crate; what ran found nothing.
    PartlyChecked,
    /// What would fail it is all in the baseline.
    Baselined,
}

/// Everything the summaries say about one checklist item.
pub struct ItemVerdict<'a> {
    pub status: ItemStatus,
    /// Its findings in this report (baseline applied), any severity.
    pub findings: Vec<&'a Finding>,
    /// Findings that would fail it but are hidden by the baseline.
    pub known: usize,
    pub coverage: ItemCoverage,
}

impl ItemVerdict<'_> {
    /// The rule ids of its findings, in report order without repeats.
    pub fn rules_hit(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for f in &self.findings {
            if !ids.contains(&f.rule.as_str()) {
                ids.push(&f.rule);
            }
        }
        ids
    }

    /// Why the item is not fully checked (`unlocked-schedule not run`), if it is not.
    pub fn unchecked_note(&self) -> Option<String> {
        let c = &self.coverage;
        let mut parts = Vec::new();
        if !c.nowhere.is_empty() {
            parts.push(format!("{} not run", code_list(&c.nowhere)));
        }
        if !c.somewhere.is_empty() {
            parts.push(format!(
                "{} not run on every crate",
                code_list(&c.somewhere)
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

fn code_list(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Serialize)]
pub struct Summary {
    /// Files found to lint.
    pub files: usize,
    /// Files that have at least one finding in this report.
    pub files_with_findings: usize,
    pub findings: usize,
    pub errors: usize,
    pub baselined: usize,
    pub by_severity: BTreeMap<&'static str, usize>,
    pub by_rule: BTreeMap<String, usize>,
    pub checklist: BTreeMap<String, ItemStatus>,
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
        let checklist = (1..=CHECKLIST.len() as u8)
            .map(|item| (item.to_string(), self.verdict(item).status))
            .collect();
        Summary {
            files: self.files,
            files_with_findings: self.files_with_findings(),
            findings: self.findings.len(),
            errors: self.errors.len(),
            baselined: self.baselined,
            by_severity,
            by_rule,
            checklist,
        }
    }

    /// The verdict on checklist item `item` (1-based): fail on a new finding at warning or
    /// above; otherwise nothing is claimed for rules that did not run, and findings the
    /// baseline hides are named as known.
    pub fn verdict(&self, item: u8) -> ItemVerdict<'_> {
        let findings: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.checklist == Some(item))
            .collect();
        let known = self.baselined_failing.get(&item).copied().unwrap_or(0);
        let coverage = if self.files_linted() == 0 {
            // Nothing was linted, so nothing was checked.
            ItemCoverage {
                nowhere: self
                    .coverage
                    .item_rules
                    .get(&item)
                    .cloned()
                    .unwrap_or_default(),
                ..Default::default()
            }
        } else {
            self.coverage.item(item)
        };
        let ran = !coverage.everywhere.is_empty() || !coverage.somewhere.is_empty();
        let status = if findings.iter().any(|f| f.severity >= Severity::Warning) {
            ItemStatus::Fail
        } else if !ran {
            ItemStatus::NotChecked
        } else if known > 0 {
            ItemStatus::Baselined
        } else if !coverage.somewhere.is_empty() || !coverage.nowhere.is_empty() {
            ItemStatus::PartlyChecked
        } else {
            ItemStatus::Pass
        };
        ItemVerdict {
            status,
            findings,
            known,
            coverage,
        }
    }

    pub fn files_with_findings(&self) -> usize {
        let mut files: Vec<&str> = self.findings.iter().map(|f| f.file.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        files.len()
    }

    /// Files that were read and parsed (found, minus those listed as not lintable).
    pub fn files_linted(&self) -> usize {
        let mut lost: Vec<&str> = self
            .errors
            .iter()
            .filter(|e| LOST_FILE_KINDS.contains(&e.kind.as_str()))
            .map(|e| e.file.as_str())
            .collect();
        lost.sort_unstable();
        lost.dedup();
        self.files.saturating_sub(lost.len())
    }

    /// "no Rust files found under `a`, `b`", when the run found nothing to lint.
    pub fn nothing_found(&self) -> Option<String> {
        if self.files > 0 {
            return None;
        }
        let roots = if self.roots.is_empty() {
            "`.`".to_string()
        } else {
            code_list(&self.roots)
        };
        Some(format!("no Rust files found under {roots}"))
    }
}

/// Error kinds for a file that was found but never linted (its findings are unknown).
const LOST_FILE_KINDS: [&str; 5] = ["parse", "utf8", "io", "too-large", "too-deep"];

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
/// ("3 findings", "(1 error, 2 warnings, 0 info) in 2 files; 12 files linted; 1 file could
/// not be linted"). Files with findings and files linted are counted apart.
pub fn summary_parts(outcome: &Outcome) -> (String, String) {
    use std::fmt::Write;
    let count = |s: Severity| outcome.findings.iter().filter(|f| f.severity == s).count();
    let head = plural(outcome.findings.len(), "finding");
    let mut rest = format!(
        "({}, {}, {} info)",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        count(Severity::Info),
    );
    if !outcome.findings.is_empty() {
        let _ = write!(
            rest,
            " in {}",
            plural(outcome.files_with_findings(), "file")
        );
    }
    let _ = write!(rest, "; {} linted", plural(outcome.files_linted(), "file"));
    if outcome.baselined > 0 {
        let _ = write!(
            rest,
            "; {} in the baseline not shown",
            plural(outcome.baselined, "finding")
        );
    }
    let lost = outcome.files - outcome.files_linted();
    let other_errors = outcome
        .errors
        .iter()
        .filter(|e| !LOST_FILE_KINDS.contains(&e.kind.as_str()))
        .count();
    if lost > 0 {
        let _ = write!(rest, "; {} could not be linted", plural(lost, "file"));
    }
    if other_errors > 0 {
        let _ = write!(rest, "; {}", plural(other_errors, "other problem"));
    }
    (head, rest)
}
