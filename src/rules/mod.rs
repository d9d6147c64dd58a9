//! The rule language: TOML model, compilation into matchers, and the built-in rule files.

pub mod compile;
pub mod diagnostic;
pub mod kinds;
pub mod model;
pub mod template;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use compile::RuleSource;
use diagnostic::{Diagnostics, FileDiagnostic};

/// The built-in rule files, embedded in the binary (`rules/*.toml`).
pub const BUILTIN: &[(&str, &str)] = &[
    ("contexts.toml", include_str!("../../rules/contexts.toml")),
    ("state.toml", include_str!("../../rules/state.toml")),
    (
        "in-memory-session.toml",
        include_str!("../../rules/in-memory-session.toml"),
    ),
    (
        "local-file-write.toml",
        include_str!("../../rules/local-file-write.toml"),
    ),
    (
        "embedded-local-database.toml",
        include_str!("../../rules/embedded-local-database.toml"),
    ),
    (
        "in-process-cache.toml",
        include_str!("../../rules/in-process-cache.toml"),
    ),
    (
        "non-idempotent-job.toml",
        include_str!("../../rules/non-idempotent-job.toml"),
    ),
    (
        "unlocked-schedule.toml",
        include_str!("../../rules/unlocked-schedule.toml"),
    ),
    (
        "unused-suppression.toml",
        include_str!("../../rules/unused-suppression.toml"),
    ),
    (
        "stale-baseline.toml",
        include_str!("../../rules/stale-baseline.toml"),
    ),
    (
        "local-websocket-fanout.toml",
        include_str!("../../rules/local-websocket-fanout.toml"),
    ),
];

pub fn builtin_sources() -> Vec<RuleSource> {
    BUILTIN
        .iter()
        .map(|(name, text)| RuleSource {
            name: format!("builtin:rules/{name}"),
            text: Arc::new(text.to_string()),
        })
        .collect()
}

/// Reads rule files: a file, or every `*.toml` directly in a directory (sorted), skipping
/// `Cargo.toml` and `statelint.toml`.
pub fn read_rule_paths(paths: &[PathBuf]) -> Result<Vec<RuleSource>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut out = Vec::new();
    for p in paths {
        let files = match rule_files_in(p) {
            Ok(f) => f,
            Err(msg) => {
                diags.push(FileDiagnostic::whole_file(&p.display().to_string(), msg));
                continue;
            }
        };
        for f in files {
            match std::fs::read_to_string(&f) {
                Ok(text) => out.push(RuleSource {
                    name: f.display().to_string(),
                    text: Arc::new(text),
                }),
                Err(e) => diags.push(FileDiagnostic::whole_file(
                    &f.display().to_string(),
                    format!("cannot read rule file: {e}"),
                )),
            }
        }
    }
    diags.into_result(out)
}

fn rule_files_in(p: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(p).map_err(|e| format!("cannot read rules from here: {e}"))?;
    if meta.is_file() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(p)
        .map_err(|e| format!("cannot list rule directory: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.extension().is_some_and(|e| e == "toml"))
        .filter(|f| {
            !f.file_name()
                .is_some_and(|n| n == "Cargo.toml" || n == "statelint.toml")
        })
        .filter(|f| f.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err("no rule files (*.toml) in this directory".to_string());
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_file_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn builtin_rules_compile() {
        let opts = compile::CompileOptions {
            extra_lists: Default::default(),
        };
        if let Err(d) = compile::compile(&builtin_sources(), &opts) {
            panic!("{d}");
        }
    }
}
