//! Baselines: adopt the gate on a codebase that already keeps state, so only new findings fail.
//!
//! The file lists fingerprints (rule, crate-relative path, enclosing item, normalised snippet,
//! occurrence — never line numbers), so edits elsewhere in a file do not resurrect findings and
//! a second identical finding in the same item is new. It is sorted, pretty JSON for readable
//! diffs, and written atomically (a temp file beside it, then rename).

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::Finding;

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    tool: String,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    fingerprint: String,
    rule: String,
    file: String,
    message: String,
}

pub fn write(path: &Path, findings: &[Finding]) -> std::io::Result<()> {
    let mut entries: Vec<Entry> = findings
        .iter()
        .map(|f| Entry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.clone(),
            file: f.file.clone(),
            message: f.message.clone(),
        })
        .collect();
    entries.sort();
    let file = BaselineFile {
        version: 1,
        tool: "statelint".to_string(),
        findings: entries,
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
    text.push('\n');
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

/// The fingerprints of a baseline file.
pub fn load(path: &Path) -> Result<HashSet<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
    let file: BaselineFile = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not a statelint baseline: {e} (write one with `statelint check --write-baseline {}`)",
            path.display(),
            e.line(),
            e.column(),
            path.display()
        )
    })?;
    if file.version != 1 {
        return Err(format!(
            "{}: baseline version {} is not supported (expected 1)",
            path.display(),
            file.version
        ));
    }
    Ok(file.findings.into_iter().map(|e| e.fingerprint).collect())
}

/// Removes findings recorded in the baseline; returns how many were hidden.
pub fn apply(findings: &mut Vec<Finding>, baseline: &HashSet<String>) -> usize {
    let before = findings.len();
    findings.retain(|f| !baseline.contains(&f.fingerprint));
    before - findings.len()
}
