//! Replays the inputs in `tests/fuzz-regressions/<target>/` (crashes the fuzz targets in
//! `fuzz/` found, minimized, plus a few nasty seeds) through the fuzz targets' code path
//! (`statelint::fuzzing`) and through the built binary. Nothing may panic, no file may come
//! back as an `internal` error, and the binary must exit 0, 1 or 2.
//!
//! To add a regression: copy the (minimized) input from `fuzz/artifacts/<target>/` to
//! `tests/fuzz-regressions/<target>/<short-name>` (no `.rs`/`.toml` extension, so nothing
//! lints or loads it by accident). See fuzz/README.md.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;

use statelint::fuzzing::{self, Builtins};

/// Inputs that still crash: `(target, file name, what is wrong)`. Each also has an
/// `#[ignore]`d test below; remove both once the bug is fixed.
const KNOWN_BUGS: &[(&str, &str, &str)] = &[];

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no inputs in {}", dir.display());
    out
}

fn is_known_bug(target: &str, name: &str) -> bool {
    KNOWN_BUGS
        .iter()
        .any(|(t, n, _)| *t == target && *n == name)
}

/// The fuzz target `rule_loader`, with only `contexts.toml` (as the target runs) and with
/// every built-in rule (as `statelint check` runs).
fn rule_loader(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let (rule_text, config_text) = match text.split_once('\0') {
        Some((r, c)) => (r, Some(c)),
        None => (&*text, None),
    };
    for builtins in [Builtins::ContextsOnly, Builtins::All] {
        let out = caught(|| fuzzing::load_rules(Some(rule_text), config_text, builtins))?;
        if out.rules.is_none() && out.rendered.is_empty() {
            return Err(format!("{builtins:?}: loading failed without a diagnostic"));
        }
    }
    Ok(())
}

/// The fuzz target `check_source`.
fn check_source(data: &[u8]) -> Result<(), String> {
    let outcome = caught(|| fuzzing::check_source(data))?;
    match outcome.errors.iter().find(|e| e.kind == "internal") {
        Some(e) => Err(format!("internal error: {}", e.message)),
        None => Ok(()),
    }
}

fn caught<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        format!("panicked: {msg}")
    })
}

/// A crate in a temporary directory: `Cargo.toml` as the fuzz target's, `src/lib.rs` empty.
fn scratch_crate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), fuzzing::FUZZ_MANIFEST).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "").unwrap();
    dir
}

/// Runs the binary; Err unless it exits 0, 1 or 2 with no internal error in its JSON.
fn binary(args: &[&str], cwd: &Path) -> Result<(), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_statelint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0..=2) => {}
        code => return Err(format!("binary exited with {code:?}; stderr:\n{stderr}")),
    }
    if stdout.contains("\"kind\": \"internal\"") || stdout.contains("\"kind\":\"internal\"") {
        return Err(format!("binary reported an internal error:\n{stdout}"));
    }
    if stderr.contains("panicked") {
        return Err(format!("binary panicked:\n{stderr}"));
    }
    Ok(())
}

fn binary_check_source(data: &[u8]) -> Result<(), String> {
    let dir = scratch_crate();
    std::fs::write(dir.path().join("src/lib.rs"), data).unwrap();
    binary(&["check", ".", "--format", "json"], dir.path())
}

fn binary_rule_loader(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let (rule_text, config_text) = match text.split_once('\0') {
        Some((r, c)) => (r, Some(c)),
        None => (&*text, None),
    };
    let dir = scratch_crate();
    let rules: PathBuf = dir.path().join("fuzz-rules.toml");
    std::fs::write(&rules, rule_text).unwrap();
    let mut args = vec![
        "check",
        ".",
        "--format",
        "json",
        "--rules",
        "fuzz-rules.toml",
    ];
    let config_dir = tempfile::tempdir().unwrap();
    let config_path;
    if let Some(c) = config_text {
        // Rule paths in the config are resolved from its directory, which holds nothing.
        config_path = config_dir.path().join(fuzzing::config_file_name(c));
        std::fs::write(&config_path, c).unwrap();
        args.push("--config");
        args.push(config_path.to_str().unwrap());
    }
    binary(&args, dir.path())
}

/// One way of running an input: Err describes what went wrong.
type Runner = fn(&[u8]) -> Result<(), String>;

fn replay(target: &str, run: &[Runner]) {
    let mut failures = Vec::new();
    for (name, data) in inputs(target) {
        if is_known_bug(target, &name) {
            continue;
        }
        for f in run {
            if let Err(e) = f(&data) {
                failures.push(format!("{target}/{name}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn rule_loader_regressions() {
    replay("rule_loader", &[rule_loader, binary_rule_loader]);
}

#[test]
fn check_source_regressions() {
    replay("check_source", &[check_source, binary_check_source]);
}
