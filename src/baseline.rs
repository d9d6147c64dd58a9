//! Baselines: adopt the gate on a codebase that already keeps state, so only new findings fail.
//!
//! The file lists fingerprints of what each finding is about (rule, crate-relative path,
//! enclosing item, the state's or the callee's resolved name, occurrence — never line numbers
//! or the rest of the line), so edits elsewhere do not resurrect findings and a second
//! identical finding in the same item is new. Entries that no longer match anything are
//! reported as stale, as an unused suppression is. The file is pretty JSON in a stable order
//! (by file, rule, message; a rewrite keeps the existing entries where they were) for readable
//! diffs, and written atomically (a temp file beside it, then rename).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::fingerprint::fingerprint;
use crate::report::Finding;
use crate::rules::compile::RuleMeta;

/// Version 2: fingerprints from what the finding is about (version 1 hashed the line's code).
const VERSION: u32 = 2;

/// The internal rule that reports entries matching nothing.
pub const STALE_RULE: &str = "stale-baseline";

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    tool: String,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, Clone, Debug)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub file: String,
    pub message: String,
}

impl Entry {
    fn of(f: &Finding) -> Entry {
        Entry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.clone(),
            file: f.file.clone(),
            message: f.message.clone(),
        }
    }

    /// The order entries are written in: by what a reviewer reads, not by hash.
    fn key(&self) -> (&str, &str, &str, &str) {
        (&self.file, &self.rule, &self.message, &self.fingerprint)
    }
}

/// A loaded baseline file.
pub struct Baseline {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
    /// 1-based line of each entry in the file, for reporting stale ones.
    lines: Vec<u32>,
}

/// What applying a baseline did.
pub struct Applied {
    /// Findings the baseline hides.
    pub hidden: Vec<Finding>,
    /// Indexes of entries that were in scope and matched no finding.
    pub stale: Vec<usize>,
}

/// Reads a baseline. A missing file is an error (the user named it); use `--write-baseline`
/// to create one.
pub fn load(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
    parse(path, &text)
}

fn parse(path: &Path, text: &str) -> Result<Baseline, String> {
    let file: BaselineFile = serde_json::from_str(text).map_err(|e| {
        format!(
            "{}:{}:{}: not a statelint baseline: {e} (write one with `statelint check --write-baseline {}`)",
            path.display(),
            e.line(),
            e.column(),
            path.display()
        )
    })?;
    if file.version == 1 {
        return Err(format!(
            "{}: this baseline was written by an older statelint, whose fingerprints were taken \
             from the code of the line; record it again with `statelint check --write-baseline {}`",
            path.display(),
            path.display()
        ));
    }
    if file.version != VERSION {
        return Err(format!(
            "{}: baseline version {} is not supported (expected {VERSION})",
            path.display(),
            file.version
        ));
    }
    let lines = file
        .findings
        .iter()
        .map(|e| line_of(text, &e.fingerprint))
        .collect();
    Ok(Baseline {
        path: path.to_path_buf(),
        entries: file.findings,
        lines,
    })
}

/// The line where `"fingerprint": "<fp>"` is written (1 when it cannot be found).
fn line_of(text: &str, fp: &str) -> u32 {
    let needle = format!("\"{fp}\"");
    text.find(&needle)
        .map_or(1, |at| text[..at].matches('\n').count() as u32 + 1)
}

/// Removes the findings the baseline records. `in_scope` says which entries this run could
/// have matched (their rule ran on their file); those that matched nothing are stale.
pub fn apply(
    findings: &mut Vec<Finding>,
    baseline: &Baseline,
    in_scope: impl Fn(&Entry) -> bool,
) -> Applied {
    let mut by_fp: HashMap<&str, usize> = HashMap::new();
    for (i, e) in baseline.entries.iter().enumerate() {
        by_fp.entry(e.fingerprint.as_str()).or_insert(i);
    }
    let mut matched = vec![false; baseline.entries.len()];
    let mut hidden = Vec::new();
    findings.retain(|f| match by_fp.get(f.fingerprint.as_str()) {
        Some(&i) => {
            matched[i] = true;
            hidden.push(f.clone());
            false
        }
        None => true,
    });
    let stale = (0..baseline.entries.len())
        .filter(|&i| !matched[i] && in_scope(&baseline.entries[i]))
        .collect();
    Applied { hidden, stale }
}

/// A finding of `stale-baseline` for entry `i`, at its line in the baseline file.
pub fn stale_finding(baseline: &Baseline, i: usize, display: &str, meta: &RuleMeta) -> Finding {
    let e = &baseline.entries[i];
    let line = baseline.lines[i];
    Finding {
        rule: meta.id.clone(),
        severity: meta.severity,
        checklist: None,
        message: format!(
            "baseline entry matches no finding any more: `{}` in {}: {}",
            e.rule, e.file, e.message
        ),
        help: meta.help.clone(),
        file: display.to_string(),
        line,
        column: 1,
        end_line: line,
        end_column: 1,
        snippet: String::new(),
        crate_name: String::new(),
        context: None,
        reached_from: None,
        state_at: None,
        related: Vec::new(),
        evidence: None,
        fingerprint: fingerprint(&meta.id, display, "", &e.fingerprint),
        path: baseline.path.clone(),
        byte_start: 0,
        byte_end: 0,
    }
}

/// Writes `findings` as the baseline at `path`. Entries of the previous file at that path
/// that `keep` accepts (out of this run's scope: another rule, a file not linted) are kept;
/// kept and still-found entries stay in their previous order, and new ones are placed among
/// them by file, rule and message.
pub fn write(
    path: &Path,
    findings: &[Finding],
    previous: Option<&Baseline>,
    keep: impl Fn(&Entry) -> bool,
) -> std::io::Result<usize> {
    let mut new: Vec<Entry> = findings.iter().map(Entry::of).collect();
    new.sort_by(|a, b| a.key().cmp(&b.key()));
    let mut entries: Vec<Entry> = Vec::new();
    if let Some(old) = previous {
        let mut fresh: HashMap<&str, usize> = HashMap::new();
        for (i, e) in new.iter().enumerate() {
            fresh.insert(e.fingerprint.as_str(), i);
        }
        let mut taken = vec![false; new.len()];
        for e in &old.entries {
            if let Some(&i) = fresh.get(e.fingerprint.as_str()) {
                if !taken[i] {
                    taken[i] = true;
                    entries.push(new[i].clone());
                }
            } else if keep(e) {
                entries.push(e.clone());
            }
        }
        new = new
            .into_iter()
            .zip(taken)
            .filter(|(_, t)| !t)
            .map(|(e, _)| e)
            .collect();
    }
    for e in new {
        let at = entries
            .iter()
            .position(|old| old.key() > e.key())
            .unwrap_or(entries.len());
        entries.insert(at, e);
    }
    let count = entries.len();
    let file = BaselineFile {
        version: VERSION,
        tool: "statelint".to_string(),
        findings: entries,
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
    text.push('\n');
    write_atomically(path, &text)?;
    Ok(count)
}

/// A temp file beside `path`, then a rename: a reader never sees half a baseline.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "baseline".to_string());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fp: &str, file: &str) -> Entry {
        Entry {
            fingerprint: fp.to_string(),
            rule: "local-file-write".to_string(),
            file: file.to_string(),
            message: "m".to_string(),
        }
    }

    #[test]
    fn lines_of_entries_are_found() {
        let text = "{\n  \"version\": 2,\n  \"tool\": \"statelint\",\n  \"findings\": [\n    {\n      \"fingerprint\": \"abc\",\n      \"rule\": \"r\",\n      \"file\": \"f\",\n      \"message\": \"m\"\n    }\n  ]\n}\n";
        let b = parse(Path::new("b.json"), text).unwrap();
        assert_eq!(b.lines, [6]);
        assert_eq!(
            b.entries,
            [Entry {
                rule: "r".into(),
                file: "f".into(),
                ..entry("abc", "f")
            }]
        );
    }

    #[test]
    fn version_1_files_ask_to_be_written_again() {
        let err = parse(
            Path::new("b.json"),
            "{\"version\": 1, \"tool\": \"statelint\", \"findings\": []}",
        )
        .err()
        .unwrap();
        assert!(err.contains("--write-baseline b.json"), "{err}");
    }

    #[test]
    fn keys_order_by_file_then_rule() {
        let mut v = [entry("2", "b.rs"), entry("1", "a.rs"), entry("0", "b.rs")];
        v.sort_by(|a, b| a.key().cmp(&b.key()));
        let fps: Vec<&str> = v.iter().map(|e| e.fingerprint.as_str()).collect();
        assert_eq!(fps, ["1", "0", "2"]);
    }
}
