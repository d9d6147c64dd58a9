//! `statelint check`: discover the crates, give each its settings and rules, run the engine,
//! apply the baseline, print (and write) the report, and decide the exit code.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use super::output::print_report;
use super::rule_sets::{RuleSets, SetupError};
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, emit, eprint, print_diagnostics};
use crate::baseline::{self, Baseline};
use crate::cli::{CheckArgs, Format};
use crate::config::FailOn;
use crate::engine::{self, CheckOptions};
use crate::report::{Finding, Outcome};
use crate::rules::compile::RuleSet;
use crate::rules::model::Severity;
use crate::settings::{Resolver, Settings};
use crate::terminal;
use crate::workspace::discover::{self, Plan};

pub fn run(args: CheckArgs) -> u8 {
    let paths = lint_paths(&args);
    if args.show_settings {
        return show_settings(&args, &paths[0]);
    }
    let mut plan = discover::discover(&paths);
    if let Err(msg) = keep_packages(&mut plan, &args.package) {
        eprint(&format!("error: {msg}\n"));
        return EXIT_USAGE;
    }
    let mut resolver = match Resolver::new(args.sources.config.as_deref()) {
        Ok(r) => r,
        Err(d) => {
            print_diagnostics(&d);
            return EXIT_USAGE;
        }
    };
    // Settings per crate, and for the run itself (the first PATH's: SARIF's rule list, a run
    // with no crate, a stale baseline entry's fail-on).
    let mut settings: Vec<Settings> = Vec::with_capacity(plan.crates.len());
    for unit in &plan.crates {
        match resolver.for_dir(&unit.root) {
            Ok(s) => settings.push(s),
            Err(d) => {
                print_diagnostics(&d);
                return EXIT_USAGE;
            }
        }
    }
    let run_settings = match resolver.for_dir(&settings_dir(&paths[0])) {
        Ok(s) => s,
        Err(d) => {
            print_diagnostics(&d);
            return EXIT_USAGE;
        }
    };
    let sets = match RuleSets::build(&settings, &run_settings, &args, &resolver) {
        Ok(s) => s,
        Err(e) => {
            match e {
                SetupError::Diagnostics(d) => print_diagnostics(&d),
                SetupError::Usage(msg) => eprint(&format!("error: {msg}\n")),
            }
            return EXIT_USAGE;
        }
    };
    for (unit, s) in plan.crates.iter_mut().zip(&settings) {
        unit.files.retain(|f| !s.excludes(&f.path, &f.display));
    }
    let options = CheckOptions {
        threads: args.threads,
        max_file_size: args.max_file_size,
    };
    let previous = match (&args.baseline, &args.write_baseline) {
        (Some(path), None) => match baseline::load(path) {
            Ok(b) => Some(b),
            Err(msg) => {
                eprint(&format!("error: {msg}\n"));
                return EXIT_USAGE;
            }
        },
        // Rewriting an existing baseline keeps its order and what this run did not check.
        (_, Some(path)) if path.is_file() => baseline::load(path).ok(),
        _ => None,
    };
    let mut outcome = if args.parse_only {
        engine::parse_only(&plan, &options)
    } else {
        let per_crate: Vec<&RuleSet> = sets.of_crate.iter().map(|&g| &sets.sets[g]).collect();
        run_with_progress(&plan, &per_crate, &options, args.format)
    };
    outcome.roots = paths
        .iter()
        .map(|p| p.display().to_string().replace('\\', "/"))
        .collect();
    let crate_of = CrateOfFile::new(&plan);
    apply_per_path(&mut outcome.findings, &settings, &crate_of);
    let scope = Scope {
        crate_of: &crate_of,
        rules_of: |i: usize| &sets.sets[sets.of_crate[i]],
        lost: outcome.errors.iter().map(|e| e.file.clone()).collect(),
    };
    if let Some(path) = &args.write_baseline {
        return write_baseline(path, &outcome.findings, previous.as_ref(), &scope);
    }
    if let Some(b) = &previous {
        apply_baseline(&mut outcome, b, &scope, sets.run());
    }
    if outcome.files == 0 && args.format != Format::Human && args.format != Format::Markdown {
        // Machine formats stay valid; the person reading the log is told.
        if let Some(nothing) = outcome.nothing_found() {
            eprint(&format!("warning: {nothing}\n"));
        }
    }
    print_report(&outcome, sets.run(), &args);
    let fail_on = |crate_idx: Option<usize>| -> FailOn {
        args.fail_on
            .or_else(|| match crate_idx {
                Some(i) => settings[i].fail_on(),
                None => run_settings.fail_on(),
            })
            .unwrap_or(FailOn::Warning)
    };
    exit_code(&outcome, &crate_of, fail_on, plan.missing_path)
}

/// The PATHs to lint: `--manifest-path`'s crate or workspace, else the PATHs, else `.`.
fn lint_paths(args: &CheckArgs) -> Vec<PathBuf> {
    if let Some(m) = &args.manifest_path {
        return vec![m.clone()];
    }
    if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    }
}

/// The directory whose settings apply to `path`: the crate it is in (nearest `Cargo.toml`
/// with a package, as discovery assigns files), else the directory itself.
fn settings_dir(path: &Path) -> PathBuf {
    let abs = discover::absolute(path);
    let start = if abs.is_dir() {
        abs.clone()
    } else {
        abs.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let mut cur = Some(start.as_path());
    while let Some(d) = cur {
        let manifest = d.join("Cargo.toml");
        if manifest.is_file()
            && crate::workspace::manifest::read_manifest(&manifest)
                .is_ok_and(|m| m.package.is_some())
        {
            return d.to_path_buf();
        }
        cur = d.parent();
    }
    start
}

/// `-p NAME`: only those packages; naming one that is not there is a usage error.
fn keep_packages(plan: &mut Plan, packages: &[String]) -> Result<(), String> {
    if packages.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = plan
        .crates
        .iter()
        .filter(|c| c.package.is_some())
        .map(|c| c.name.clone())
        .collect();
    for p in packages {
        if !names.contains(p) {
            let mut known = names.clone();
            known.sort();
            known.dedup();
            return Err(format!(
                "package `{p}` is not among the crates found (found: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        }
    }
    plan.crates
        .retain(|c| c.package.is_some() && packages.contains(&c.name));
    Ok(())
}

/// `--show-settings PATH`: the merged settings of the crate PATH is in.
fn show_settings(args: &CheckArgs, path: &Path) -> u8 {
    let dir = settings_dir(path);
    let result = (|| -> Result<(Settings, RuleSets), SetupError> {
        let mut resolver = Resolver::new(args.sources.config.as_deref())?;
        let s = resolver.for_dir(&dir)?;
        let sets = RuleSets::build(std::slice::from_ref(&s), &s, args, &resolver)?;
        Ok((s, sets))
    })();
    match result {
        Ok((s, sets)) => {
            let what = format!(
                "`{}` (checked as the crate in `{}`)",
                path.display(),
                discover::display(&std::env::current_dir().unwrap_or_default(), &dir)
            );
            emit(&s.render(&what, sets.run()));
            EXIT_OK
        }
        Err(SetupError::Diagnostics(d)) => {
            print_diagnostics(&d);
            EXIT_USAGE
        }
        Err(SetupError::Usage(msg)) => {
            eprint(&format!("error: {msg}\n"));
            EXIT_USAGE
        }
    }
}

/// Which crate of the plan each file belongs to.
struct CrateOfFile(HashMap<PathBuf, usize>, HashMap<String, usize>);

impl CrateOfFile {
    fn new(plan: &Plan) -> CrateOfFile {
        let mut by_path = HashMap::new();
        let mut by_display = HashMap::new();
        for (i, c) in plan.crates.iter().enumerate() {
            for f in &c.files {
                by_path.insert(f.path.clone(), i);
                by_display.insert(f.display.clone(), i);
            }
        }
        CrateOfFile(by_path, by_display)
    }

    fn of_finding(&self, f: &Finding) -> Option<usize> {
        self.0.get(&f.path).copied()
    }

    fn of_display(&self, file: &str) -> Option<usize> {
        self.1.get(file).copied()
    }
}

fn apply_per_path(findings: &mut Vec<Finding>, settings: &[Settings], crate_of: &CrateOfFile) {
    let mut by_crate: BTreeMap<Option<usize>, Vec<Finding>> = BTreeMap::new();
    for f in findings.drain(..) {
        by_crate.entry(crate_of.of_finding(&f)).or_default().push(f);
    }
    for (i, mut group) in by_crate {
        if let Some(s) = i.and_then(|i| settings.get(i)) {
            s.apply_per_path(&mut group);
        }
        findings.extend(group);
    }
    sort(findings);
}

fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.rule).cmp(&(&b.file, b.line, b.column, &b.rule))
    });
}

/// What this run could have found: a baseline entry outside it is neither stale nor dropped.
struct Scope<'a, F: Fn(usize) -> &'a RuleSet> {
    crate_of: &'a CrateOfFile,
    rules_of: F,
    /// Files listed as not lintable: their findings are unknown.
    lost: HashSet<String>,
}

impl<'a, F: Fn(usize) -> &'a RuleSet> Scope<'a, F> {
    /// The entry's file was linted and its rule ran there.
    fn covers(&self, e: &baseline::Entry) -> bool {
        match self.crate_of.of_display(&e.file) {
            Some(i) => !self.lost.contains(&e.file) && (self.rules_of)(i).is_enabled(&e.rule),
            None => false,
        }
    }
}

fn write_baseline<'a, F: Fn(usize) -> &'a RuleSet>(
    path: &Path,
    findings: &[Finding],
    previous: Option<&Baseline>,
    scope: &Scope<'a, F>,
) -> u8 {
    match baseline::write(path, findings, previous, |e| !scope.covers(e)) {
        Ok(count) => {
            let kept = count - findings.len();
            let kept = if kept > 0 {
                format!(" (and kept {kept} entries this run did not check)")
            } else {
                String::new()
            };
            eprint(&format!(
                "statelint: wrote {} findings to {}{kept}; check with `--baseline {}` to report only new ones\n",
                findings.len(),
                path.display(),
                path.display()
            ));
            EXIT_OK
        }
        Err(e) => {
            eprint(&format!(
                "error: cannot write baseline {}: {e}\n",
                path.display()
            ));
            EXIT_USAGE
        }
    }
}

fn apply_baseline<'a, F: Fn(usize) -> &'a RuleSet>(
    outcome: &mut Outcome,
    b: &Baseline,
    scope: &Scope<'a, F>,
    run_rules: &RuleSet,
) {
    let applied = baseline::apply(&mut outcome.findings, b, |e| scope.covers(e));
    outcome.baselined = applied.hidden.len();
    for f in &applied.hidden {
        if let Some(item) = f.checklist
            && f.severity >= Severity::Warning
        {
            *outcome.baselined_failing.entry(item).or_default() += 1;
        }
    }
    if let Some(meta) = run_rules
        .rule(baseline::STALE_RULE)
        .filter(|_| run_rules.is_enabled(baseline::STALE_RULE))
    {
        let display = discover::display(&std::env::current_dir().unwrap_or_default(), &b.path);
        for i in applied.stale {
            outcome
                .findings
                .push(baseline::stale_finding(b, i, &display, meta));
        }
        sort(&mut outcome.findings);
    }
}

/// On a terminal, a run that takes more than a moment shows files done / total on stderr.
fn run_with_progress(
    plan: &Plan,
    rules_of: &[&RuleSet],
    options: &CheckOptions,
    format: Format,
) -> Outcome {
    let done = Arc::new(AtomicUsize::new(0));
    let show = format == Format::Human && terminal::stderr_is_terminal();
    let total: usize = plan.crates.iter().map(|c| c.files.len()).sum();
    let finished = Arc::new(AtomicBool::new(false));
    let ticker = show.then(|| {
        let (done, finished) = (done.clone(), finished.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(400));
            let mut shown = false;
            while !finished.load(Ordering::Relaxed) {
                eprint(&format!(
                    "\r  checking {}/{total} files",
                    done.load(Ordering::Relaxed)
                ));
                shown = true;
                std::thread::sleep(Duration::from_millis(100));
            }
            if shown {
                eprint("\r\x1b[2K");
            }
        })
    });
    let outcome = engine::run_per_crate(plan, rules_of, options, &done);
    finished.store(true, Ordering::Relaxed);
    if let Some(t) = ticker {
        let _ = t.join();
    }
    outcome
}

/// 0, or 1 when a finding is at or above its crate's `fail-on` or a file could not be
/// linted, or 2 for a PATH that does not exist.
fn exit_code(
    outcome: &Outcome,
    crate_of: &CrateOfFile,
    fail_on: impl Fn(Option<usize>) -> FailOn,
    missing_path: bool,
) -> u8 {
    if missing_path {
        return EXIT_USAGE;
    }
    let failing = outcome.findings.iter().any(|f| {
        fail_on(crate_of.of_finding(f))
            .threshold()
            .is_some_and(|t| f.severity >= t)
    });
    let incomplete = outcome.errors.iter().any(|e| e.kind != "manifest");
    if failing || incomplete {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
