//! Runs a check: every file read and parsed once, in parallel on large-stack threads, then
//! each crate's candidates resolved, then findings sorted so output never depends on timing.

pub mod across;
pub mod aliases;
pub mod crate_phase;
pub mod delimiters;
pub mod fingerprint;
pub mod local_match;
pub mod nesting;
pub mod parse;
pub mod state;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::fault;
use crate::report::{Coverage, FileError, Finding, Outcome};
use crate::rules::compile::RuleSet;
use crate::workspace::discover::Plan;

pub struct CheckOptions {
    pub threads: Option<usize>,
    pub max_file_size: u64,
}

/// Worker threads parse with this much stack: syn recurses once per nesting level, and a
/// stack overflow aborts the process (it cannot be caught). Memory is only reserved, not used.
pub const WORKER_STACK: usize = 256 << 20;

/// Checks every crate of the plan with the same rules.
pub fn run(
    plan: &Plan,
    rules: &RuleSet,
    options: &CheckOptions,
    progress: &AtomicUsize,
) -> Outcome {
    let per_crate = vec![rules; plan.crates.len()];
    run_per_crate(plan, &per_crate, options, progress)
}

/// Checks each crate of the plan with its own rules (`rules_of[i]` for `plan.crates[i]`, as its
/// configuration selects them). The sets must come from the same rule sources in the same
/// order, so that a rule has one index in all of them (crates of the run are linked by rule
/// index, see `across`); they may differ in which rules are on and at what severity.
pub fn run_per_crate(
    plan: &Plan,
    rules_of: &[&RuleSet],
    options: &CheckOptions,
    progress: &AtomicUsize,
) -> Outcome {
    assert_eq!(rules_of.len(), plan.crates.len(), "one rule set per crate");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.unwrap_or(0))
        .stack_size(WORKER_STACK)
        .thread_name(|i| format!("statelint-{i}"))
        .build();
    let work = || check_crates(plan, rules_of, options, progress);
    let (mut findings, mut errors) = match pool {
        Ok(pool) => pool.install(work),
        // Could not start threads (resource limits): do the work on this thread.
        Err(_) => work(),
    };
    errors.extend(plan.errors.iter().cloned());
    sort_findings(&mut findings);
    errors.sort_by(|a, b| (&a.file, a.line, &a.kind).cmp(&(&b.file, b.line, &b.kind)));
    let files = plan.crates.iter().map(|c| c.files.len()).sum();
    Outcome {
        findings,
        errors,
        files,
        coverage: coverage(plan, rules_of),
        ..Outcome::default()
    }
}

/// Which rules ran on how many of the crates that had files.
fn coverage(plan: &Plan, rules_of: &[&RuleSet]) -> Coverage {
    let mut c = Coverage::default();
    for (unit, rules) in plan.crates.iter().zip(rules_of) {
        if unit.files.is_empty() {
            continue;
        }
        c.crates += 1;
        // statelint's own checks (suppressions, baseline) look for no state.
        for r in rules.rules.iter().filter(|r| !r.internal) {
            let ran = c.ran_in.entry(r.id.clone()).or_default();
            if rules.is_enabled(&r.id) {
                *ran += 1;
            }
        }
    }
    if let Some(rules) = rules_of.first() {
        for r in &rules.rules {
            if let Some(item) = r.checklist {
                c.item_rules.entry(item).or_default().push(r.id.clone());
            }
        }
    }
    c
}

fn check_crates(
    plan: &Plan,
    rules_of: &[&RuleSet],
    options: &CheckOptions,
    progress: &AtomicUsize,
) -> (Vec<Finding>, Vec<FileError>) {
    // Which crates of the run depend on which (see `across`).
    let siblings = across::siblings(&plan.crates);
    let depended_on: HashSet<&str> = siblings.iter().flatten().map(String::as_str).collect();
    let per_crate: Vec<CrateOutcome> = plan
        .crates
        .par_iter()
        .zip(siblings.par_iter())
        .zip(rules_of.par_iter())
        .map(|((unit, siblings), rules)| {
            let want_exports = depended_on.contains(across::lib_name(unit).as_str());
            check_crate(unit, rules, options, progress, siblings, want_exports)
        })
        .collect();

    let mut exports = across::ExportsByCrate::new();
    for (unit, outcome) in plan.crates.iter().zip(&per_crate) {
        if !outcome.exports.is_empty() {
            exports
                .entry(across::lib_name(unit))
                .or_default()
                .extend(outcome.exports.iter().cloned());
        }
    }
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let mut pending = Vec::new();
    for (i, outcome) in per_crate.into_iter().enumerate() {
        findings.extend(outcome.findings);
        errors.extend(outcome.errors);
        if let Some(facts) = outcome.foreign {
            pending.push((i, facts, outcome.used));
        }
    }
    // Second step, only for crates that call into other crates of the run.
    let second: Vec<(Vec<Finding>, Vec<FileError>)> = pending
        .into_par_iter()
        .map(|(i, facts, used)| {
            let unit = &plan.crates[i];
            let rules = rules_of[i];
            match fault::catch(|| {
                across::resolve_foreign_calls(unit, &facts, rules, &exports, used)
            }) {
                Ok(found) => (found, Vec::new()),
                Err(panic) => (Vec::new(), vec![crate_crashed(unit, &panic)]),
            }
        })
        .collect();
    for (f, e) in second {
        findings.extend(f);
        errors.extend(e);
    }
    (findings, errors)
}

/// One crate after its own step.
struct CrateOutcome {
    findings: Vec<Finding>,
    errors: Vec<FileError>,
    exports: Vec<across::Export>,
    /// What the second step needs, when the crate calls into other crates of the run.
    foreign: Option<Vec<across::ForeignFile>>,
    used: crate_phase::UsedSuppressions,
}

fn check_crate(
    unit: &crate::workspace::discover::CrateUnit,
    rules: &RuleSet,
    options: &CheckOptions,
    progress: &AtomicUsize,
    siblings: &HashSet<String>,
    want_exports: bool,
) -> CrateOutcome {
    // Each file is read once; the crate's alias names are scanned from the bytes before any
    // file is parsed (see `aliases`).
    let sources: Vec<Result<Vec<u8>, FileError>> = unit
        .files
        .par_iter()
        .map(|f| parse::read_file(f, options.max_file_size))
        .collect();
    let readable = || sources.iter().filter_map(|s| s.as_ref().ok());
    let crate_words = aliases::CrateWords {
        aliases: aliases::alias_words(readable()),
        structs: if rules.looks_into_structs {
            aliases::struct_words(readable())
        } else {
            Default::default()
        },
    };
    let blocks_enabled = rules.blocks_enabled_for(&crate_phase::dependencies(unit));
    let results: Vec<(usize, Result<crate::syntax::facts::FileFacts, FileError>)> = sources
        .into_par_iter()
        .zip(unit.files.par_iter())
        .enumerate()
        .map(|(i, (source, file))| {
            let r = source.and_then(|bytes| {
                parse::process_file(
                    unit,
                    file,
                    bytes,
                    rules,
                    &crate_words,
                    &blocks_enabled,
                    siblings,
                )
            });
            progress.fetch_add(1, Ordering::Relaxed);
            (i, r)
        })
        .collect();
    let mut facts = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    let mut faults = Vec::new();
    for (i, r) in results {
        match r {
            Ok(mut f) => {
                faults.extend(f.faults.drain(..).map(|(rule, panic)| (i, rule, panic)));
                facts.push((i, f));
            }
            Err(e) => errors.push(e),
        }
    }
    let calls_out = facts.iter().any(|(_, f)| !f.foreign_calls.is_empty());
    let result =
        fault::catch(|| crate_phase::resolve_crate(unit, &facts, rules, want_exports, calls_out));
    let (findings, exports, used, contexts) = match result {
        Ok(r) => {
            faults.extend(r.faults);
            (r.findings, r.exports, r.used, Some(r.foreign_contexts))
        }
        Err(panic) => {
            // A bug outside any one rule: this crate's findings are lost, not the run's (nor
            // are its calls into other crates judged: its suppressions' use is unknown).
            errors.push(crate_crashed(unit, &panic));
            (Vec::new(), Vec::new(), Default::default(), None)
        }
    };
    let mut seen = std::collections::HashSet::new();
    for (file, rule, panic) in faults {
        if seen.insert((file, rule)) {
            let id = &rules.rules[rule].id;
            errors.push(FileError::new(
                &unit.files[file].display,
                "internal",
                fault::rule_crashed(id, &panic),
            ));
        }
    }
    CrateOutcome {
        findings,
        errors,
        exports,
        foreign: contexts
            .filter(|_| calls_out)
            .map(|ctx| across::foreign_files(facts, ctx)),
        used,
    }
}

fn crate_crashed(unit: &crate::workspace::discover::CrateUnit, panic: &str) -> FileError {
    FileError::new(
        &crate_manifest_display(unit),
        "internal",
        format!(
            "statelint crashed while resolving crate `{}` ({panic}); its findings are missing. \
             This is a bug in statelint: please report it",
            unit.name
        ),
    )
}

/// The crate's `Cargo.toml` as reports show paths (derived from a file's shown path).
fn crate_manifest_display(unit: &crate::workspace::discover::CrateUnit) -> String {
    unit.files
        .first()
        .and_then(|f| f.display.strip_suffix(f.rel.as_str()))
        .map(|root| format!("{root}Cargo.toml"))
        .unwrap_or_else(|| unit.root.join("Cargo.toml").display().to_string())
}

/// Sorted by file, line, column, rule; identical fingerprints get an occurrence number.
fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.rule, a.end_line, a.end_column).cmp(&(
            &b.file,
            b.line,
            b.column,
            &b.rule,
            b.end_line,
            b.end_column,
        ))
    });
    let mut seen: HashMap<String, usize> = HashMap::new();
    for f in findings.iter_mut() {
        let n = seen.entry(f.fingerprint.clone()).or_insert(0);
        f.fingerprint = fingerprint::with_occurrence(&f.fingerprint, *n);
        *n += 1;
    }
}

/// Walk (already done by discovery), read and `syn::parse_file` every file, nothing else:
/// what the benchmark divides a full check by.
pub fn parse_only(plan: &Plan, options: &CheckOptions) -> Outcome {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.unwrap_or(0))
        .stack_size(WORKER_STACK)
        .build();
    let work = || -> Vec<FileError> {
        plan.crates
            .par_iter()
            .flat_map(|unit| unit.files.par_iter())
            .filter_map(|file| parse::parse_only(file, options.max_file_size).err())
            .collect()
    };
    let errors = match pool {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    };
    let files = plan.crates.iter().map(|c| c.files.len()).sum();
    Outcome {
        errors,
        files,
        ..Outcome::default()
    }
}
