//! Runs statelint over every fixture in `fixtures/` and compares (rule, file, line) with the
//! `//~ rule-id` markers written in the fixtures themselves: any missing or extra finding fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use statelint::cli::RuleSourceArgs;
use statelint::commands::test::{MismatchKind, render, run_suite};

fn no_extra_sources() -> RuleSourceArgs {
    RuleSourceArgs {
        rules: Vec::new(),
        config: None,
    }
}

/// Each directory in fixtures/ is one suite, run as a user would run `statelint test DIR`
/// (so its own statelint.toml applies).
fn fixture_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("fixtures")
        .expect("fixtures/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_fixture_reports_exactly_its_markers() {
    let mut failures = String::new();
    for dir in fixture_dirs() {
        let result = run_suite(&dir, &no_extra_sources())
            .unwrap_or_else(|d| panic!("{}: {d}", dir.display()));
        assert!(
            result.expectations > 0,
            "{} has no //~ markers: a fixture that expects nothing tests nothing",
            dir.display()
        );
        if !result.passed() {
            failures.push_str(&format!("== {}\n{}", dir.display(), render(&result)));
        }
    }
    assert!(failures.is_empty(), "fixture mismatches:\n{failures}");
}

#[test]
fn every_builtin_rule_has_fixtures_that_fire() {
    let mut fired: BTreeSet<String> = BTreeSet::new();
    for dir in fixture_dirs() {
        let result = run_suite(&dir, &no_extra_sources()).unwrap();
        fired.extend(result.expected.into_iter().map(|(_, _, rule)| rule));
    }
    for (name, _) in statelint::rules::BUILTIN {
        let id = name.trim_end_matches(".toml");
        // Contexts and the state model's catalog define no rule; stale baseline entries need
        // a baseline, which fixtures lack (tests/ci.rs covers them).
        if id == "contexts" || id == "state" || id == "stale-baseline" {
            continue;
        }
        assert!(fired.contains(id), "no fixture expects `{id}` to fire");
    }
}

/// The suite itself must be able to fail: a wrong marker and an unmarked finding are caught.
#[test]
fn suite_reports_missing_and_unexpected_findings() {
    let dir = std::env::temp_dir().join(format!("statelint-suite-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "fn main() {\n    std::fs::write(\"a\", \"b\").unwrap();\n    let x = 1; //~ local-file-write\n}\n",
    )
    .unwrap();
    let result = run_suite(Path::new(&dir), &no_extra_sources()).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let kinds: Vec<(MismatchKind, u32)> = result
        .mismatches
        .iter()
        .map(|m| (m.kind.clone(), m.line))
        .collect();
    assert_eq!(
        kinds,
        vec![(MismatchKind::Unexpected, 2), (MismatchKind::Missing, 3)]
    );
    assert!(!result.passed());
}
