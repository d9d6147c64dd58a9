//! `statelint test`: fixtures carry their expectations as `//~ rule-id` at the end of the line
//! that must be reported (as rustc's UI tests do); any missing or extra finding fails.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, emit, load, print_diagnostics};
use crate::cli::{RuleSourceArgs, TestArgs};
use crate::engine::{self, CheckOptions};
use crate::report::FileError;
use crate::rules::diagnostic::Diagnostics;
use crate::workspace::discover;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum MismatchKind {
    /// Marked with `//~` but not reported.
    Missing,
    /// Reported but not marked.
    Unexpected,
    /// Reported with another severity than `//~ rule-id@severity` says.
    WrongSeverity,
}

#[derive(Debug, Clone)]
pub struct Mismatch {
    pub kind: MismatchKind,
    pub file: String,
    pub line: u32,
    pub rule: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct SuiteResult {
    pub files: usize,
    pub expectations: usize,
    /// (file, line, rule) of every marker, for coverage checks.
    pub expected: BTreeSet<(String, u32, String)>,
    pub mismatches: Vec<Mismatch>,
    pub errors: Vec<FileError>,
    pub bad_markers: Vec<String>,
}

impl SuiteResult {
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty() && self.errors.is_empty() && self.bad_markers.is_empty()
    }
}

pub fn run(args: TestArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut total = SuiteResult::default();
    for p in &paths {
        match run_suite(p, &args.sources) {
            Ok(r) => merge(&mut total, r),
            Err(d) => {
                print_diagnostics(&d);
                return EXIT_USAGE;
            }
        }
    }
    emit(&render(&total));
    if total.passed() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}

fn merge(total: &mut SuiteResult, r: SuiteResult) {
    total.files += r.files;
    total.expectations += r.expectations;
    total.expected.extend(r.expected);
    total.mismatches.extend(r.mismatches);
    total.errors.extend(r.errors);
    total.bad_markers.extend(r.bad_markers);
}

/// Rule files at the top of a fixture directory belong to the fixtures.
fn local_rule_files(path: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.is_file() && f.extension().is_some_and(|e| e == "toml"))
        .filter(|f| {
            !f.file_name()
                .is_some_and(|n| n == "Cargo.toml" || n == "statelint.toml")
        })
        .collect();
    out.sort();
    out
}

pub fn run_suite(path: &Path, sources: &RuleSourceArgs) -> Result<SuiteResult, Diagnostics> {
    let loaded = load(sources, path, &local_rule_files(path))?;
    let plan = discover::discover(&[path.to_path_buf()]);
    let options = CheckOptions {
        threads: None,
        max_file_size: 64 << 20,
    };
    let outcome = engine::run(&plan, &loaded.rules, &options, &AtomicUsize::new(0));
    let known: BTreeSet<&str> = loaded.rules.rules.iter().map(|r| r.id.as_str()).collect();

    let mut result = SuiteResult {
        errors: outcome.errors.clone(),
        ..Default::default()
    };
    let mut expected: BTreeMap<(String, u32, String), ()> = BTreeMap::new();
    // `//~ rule-id@severity` also checks the severity.
    let mut expected_severity: BTreeMap<(String, u32, String), String> = BTreeMap::new();
    for unit in &plan.crates {
        for file in &unit.files {
            result.files += 1;
            let Ok(text) = std::fs::read_to_string(&file.path) else {
                continue;
            };
            for (i, line) in text.lines().enumerate() {
                let Some(pos) = line.find("//~") else {
                    continue;
                };
                for token in line[pos + 3..]
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                {
                    let (id, severity) = match token.split_once('@') {
                        Some((id, sev)) => (id, Some(sev)),
                        None => (token, None),
                    };
                    if !known.contains(id) {
                        result.bad_markers.push(format!(
                            "{}:{}: `//~ {token}` names no known rule",
                            file.display,
                            i + 1
                        ));
                        continue;
                    }
                    if severity.is_some_and(|s| !matches!(s, "error" | "warning" | "info")) {
                        result.bad_markers.push(format!(
                            "{}:{}: `//~ {token}`: severity must be error, warning or info",
                            file.display,
                            i + 1
                        ));
                        continue;
                    }
                    let key = (file.display.clone(), i as u32 + 1, id.to_string());
                    if let Some(sev) = severity {
                        expected_severity.insert(key.clone(), sev.to_string());
                    }
                    expected.insert(key, ());
                }
            }
        }
    }
    result.expectations = expected.len();
    result.expected = expected.keys().cloned().collect();
    let mut reported: BTreeMap<(String, u32, String), String> = BTreeMap::new();
    for f in &outcome.findings {
        let key = (f.file.clone(), f.line, f.rule.clone());
        if let Some(want) = expected_severity.get(&key)
            && want != f.severity.as_str()
        {
            result.mismatches.push(Mismatch {
                kind: MismatchKind::WrongSeverity,
                file: key.0.clone(),
                line: key.1,
                rule: key.2.clone(),
                message: format!("reported as {}, marked {want}", f.severity.as_str()),
            });
        }
        reported.insert(key, f.message.clone());
    }
    for key in expected.keys() {
        if !reported.contains_key(key) {
            result.mismatches.push(Mismatch {
                kind: MismatchKind::Missing,
                file: key.0.clone(),
                line: key.1,
                rule: key.2.clone(),
                message: String::new(),
            });
        }
    }
    for (key, message) in &reported {
        if !expected.contains_key(key) {
            result.mismatches.push(Mismatch {
                kind: MismatchKind::Unexpected,
                file: key.0.clone(),
                line: key.1,
                rule: key.2.clone(),
                message: message.clone(),
            });
        }
    }
    result
        .mismatches
        .sort_by(|a, b| (&a.file, a.line, &a.kind).cmp(&(&b.file, b.line, &b.kind)));
    Ok(result)
}

pub fn render(r: &SuiteResult) -> String {
    let mut out = String::new();
    for m in &r.mismatches {
        match m.kind {
            MismatchKind::Missing => {
                let _ = writeln!(
                    out,
                    "{}:{}: missing `{}` (marked //~ but not reported)",
                    m.file, m.line, m.rule
                );
            }
            MismatchKind::Unexpected => {
                let _ = writeln!(
                    out,
                    "{}:{}: unexpected `{}`: {}",
                    m.file, m.line, m.rule, m.message
                );
            }
            MismatchKind::WrongSeverity => {
                let _ = writeln!(out, "{}:{}: `{}` {}", m.file, m.line, m.rule, m.message);
            }
        }
    }
    for e in &r.errors {
        let _ = writeln!(
            out,
            "{}:{}: could not lint ({}): {}",
            e.file,
            e.line.unwrap_or(0),
            e.kind,
            e.message
        );
    }
    for b in &r.bad_markers {
        let _ = writeln!(out, "{b}");
    }
    let status = if r.passed() { "ok" } else { "FAILED" };
    let _ = writeln!(
        out,
        "test result: {status}. {} files, {} expected findings, {} mismatches, {} files not linted",
        r.files,
        r.expectations,
        r.mismatches.len(),
        r.errors.len()
    );
    out
}
