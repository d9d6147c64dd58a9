//! `statelint check`.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, emit, eprint, load, print_diagnostics};
use crate::cli::{CheckArgs, Format};
use crate::config::{FailOn, unknown_rule_message};
use crate::engine::{self, CheckOptions};
use crate::report::{Outcome, github, human, json, markdown, sarif, short};
use crate::rules::compile::RuleSet;
use crate::workspace::discover::{self, Plan};

pub fn run(args: CheckArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let loaded = match load(&args.sources, &paths[0], &[]) {
        Ok(l) => l,
        Err(d) => {
            print_diagnostics(&d);
            return EXIT_USAGE;
        }
    };
    let mut rules = loaded.rules;
    let config = loaded.config;
    if let Err(msg) = apply_selection(&mut rules, &args.select, &args.ignore, &config) {
        eprint(&format!("error: {msg}\n"));
        return EXIT_USAGE;
    }
    let mut plan = discover::discover(&paths);
    if let Some(exclude) = config.exclude_set() {
        exclude_files(&mut plan, &exclude, &config.dir);
    }
    let options = CheckOptions {
        threads: args.threads,
        max_file_size: args.max_file_size,
    };
    let baseline = match &args.baseline {
        Some(path) if args.write_baseline.is_none() => match crate::baseline::load(path) {
            Ok(b) => Some(b),
            Err(msg) => {
                eprint(&format!("error: {msg}\n"));
                return EXIT_USAGE;
            }
        },
        _ => None,
    };
    let mut outcome = if args.parse_only {
        parse_only(&plan, &options)
    } else {
        run_with_progress(&plan, &rules, &options, args.format)
    };
    config.apply_per_path(&mut outcome.findings);
    if let Some(path) = &args.write_baseline {
        return match crate::baseline::write(path, &outcome.findings) {
            Ok(()) => {
                eprint(&format!(
                    "statelint: wrote {} findings to {}; check with `--baseline {}` to report only new ones\n",
                    outcome.findings.len(),
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
        };
    }
    if let Some(b) = &baseline {
        outcome.baselined = crate::baseline::apply(&mut outcome.findings, b);
    }
    let fail_on = args
        .fail_on
        .or(config.def.fail_on.as_ref().map(|f| *f.get_ref()))
        .unwrap_or(FailOn::Warning);
    print(&outcome, &rules, args.format);
    exit_code(&outcome, fail_on, plan.missing_path)
}

/// `--select`/`--ignore` replace the config's lists (when given); `[severity]` overrides apply
/// after. Also used by the fuzz target, with no command-line lists.
pub fn apply_selection(
    rules: &mut RuleSet,
    cli_select: &[String],
    cli_ignore: &[String],
    config: &crate::config::Config,
) -> Result<(), String> {
    let pick =
        |cli: &[String], l: &Option<toml::Spanned<crate::rules::model::StrList>>| -> Vec<String> {
            if !cli.is_empty() {
                return cli.to_vec();
            }
            l.as_ref()
                .map(|l| l.get_ref().iter().map(|s| s.get_ref().clone()).collect())
                .unwrap_or_default()
        };
    let select = pick(cli_select, &config.def.select);
    let ignore = pick(cli_ignore, &config.def.ignore);
    for id in select.iter().chain(ignore.iter()) {
        if !rules.rules.iter().any(|r| &r.id == id) {
            return Err(unknown_rule_message(id, rules));
        }
    }
    let select: HashSet<&str> = select.iter().map(String::as_str).collect();
    let ignore: HashSet<&str> = ignore.iter().map(String::as_str).collect();
    rules.retain_rules(|id| (select.is_empty() || select.contains(id)) && !ignore.contains(id));
    for (id, sev) in &config.def.severity {
        rules.set_severity(id, *sev.get_ref());
    }
    Ok(())
}

fn exclude_files(plan: &mut Plan, exclude: &globset::GlobSet, base: &std::path::Path) {
    let base = discover::absolute(base);
    for c in &mut plan.crates {
        c.files.retain(|f| {
            let abs = discover::absolute(&f.path);
            let rel = abs
                .strip_prefix(&base)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            !(exclude.is_match(&rel) || exclude.is_match(&f.display))
        });
    }
}

/// On a terminal, a run that takes more than a moment shows files done / total on stderr.
fn run_with_progress(
    plan: &Plan,
    rules: &RuleSet,
    options: &CheckOptions,
    format: Format,
) -> Outcome {
    let done = Arc::new(AtomicUsize::new(0));
    let show = format == Format::Human && std::io::stderr().is_terminal();
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
    let outcome = engine::run(plan, rules, options, &done);
    finished.store(true, Ordering::Relaxed);
    if let Some(t) = ticker {
        let _ = t.join();
    }
    outcome
}

/// Walk, read and parse only: the baseline the benchmark compares a full check against.
fn parse_only(plan: &Plan, options: &CheckOptions) -> Outcome {
    engine::parse_only(plan, options)
}

fn print(outcome: &Outcome, rules: &RuleSet, format: Format) {
    match format {
        Format::Human => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut out = String::new();
            human::render(
                outcome,
                rules,
                &human::HumanOptions { color, width: 100 },
                &mut out,
            );
            emit(&out);
        }
        Format::Short => {
            let mut out = String::new();
            short::render(outcome, &mut out);
            emit(&out);
            let mut err = String::new();
            short::render_errors(outcome, &mut err);
            eprint(&err);
        }
        Format::Json => emit(&json::render(outcome)),
        Format::Sarif => emit(&sarif::render(outcome, rules)),
        Format::Github => {
            emit(&github::render(outcome));
            let mut err = String::new();
            short::render_errors(outcome, &mut err);
            eprint(&err);
        }
        Format::Markdown => emit(&markdown::render(outcome, rules)),
    }
}

fn exit_code(outcome: &Outcome, fail_on: FailOn, missing_path: bool) -> u8 {
    if missing_path {
        return EXIT_USAGE;
    }
    let failing = fail_on
        .threshold()
        .is_some_and(|t| outcome.findings.iter().any(|f| f.severity >= t));
    let incomplete = outcome.errors.iter().any(|e| e.kind != "manifest");
    if failing || incomplete {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
