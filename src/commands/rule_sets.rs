//! The rule sets of a check: one per distinct combination of rule files, lists, selection
//! and severities among the crates' settings, shared by the crates that have it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use crate::cli::CheckArgs;
use crate::config::unknown_rule_message;
use crate::rules::compile::{CompileOptions, RuleSet, RuleSource, compile};
use crate::rules::diagnostic::Diagnostics;
use crate::rules::model::Severity;
use crate::rules::{builtin_sources, read_rule_paths};
use crate::settings::{Resolver, Settings};

pub enum SetupError {
    Diagnostics(Diagnostics),
    Usage(String),
}

impl From<Diagnostics> for SetupError {
    fn from(d: Diagnostics) -> Self {
        SetupError::Diagnostics(d)
    }
}

/// The compiled rule sets of a run: one per distinct combination of rule files, lists,
/// selection and severities, shared by the crates that have it. Every set is compiled from
/// the same sources in the same order (all rule files any crate uses; a crate's set turns
/// off the ones its settings do not name), so a rule has one index in all of them.
pub struct RuleSets {
    pub sets: Vec<RuleSet>,
    /// Index into `sets` for each crate of the plan.
    pub of_crate: Vec<usize>,
    /// The run's own set (the first PATH's settings).
    run: usize,
}

/// What makes two crates' rule sets differ.
#[derive(PartialEq, Eq, Hash, Clone)]
struct RuleKey {
    rule_paths: Vec<PathBuf>,
    lists: BTreeMap<String, Vec<String>>,
    select: Vec<String>,
    ignore: Vec<String>,
    severity: BTreeMap<String, Severity>,
}

impl RuleSets {
    /// The set of the run itself.
    pub fn run(&self) -> &RuleSet {
        &self.sets[self.run]
    }

    /// `settings`: one per crate; `run_settings`: the first PATH's.
    pub fn build(
        settings: &[Settings],
        run_settings: &Settings,
        args: &CheckArgs,
        resolver: &Resolver,
    ) -> Result<RuleSets, SetupError> {
        let key_of = |s: &Settings| -> RuleKey {
            let mut rule_paths = s.rule_paths();
            rule_paths.extend(args.sources.rules.iter().cloned());
            // Flags replace the config's lists, as everywhere.
            let pick = |cli: &[String], cfg: Option<Vec<String>>| {
                if cli.is_empty() {
                    cfg.unwrap_or_default()
                } else {
                    cli.to_vec()
                }
            };
            RuleKey {
                rule_paths,
                lists: s.lists(),
                select: pick(&args.select, s.select()),
                ignore: pick(&args.ignore, s.ignore()),
                severity: s.severity(),
            }
        };
        let keys: Vec<RuleKey> = settings
            .iter()
            .chain(std::iter::once(run_settings))
            .map(key_of)
            .collect();
        // Every rule file any crate names, read once, in a fixed order.
        let mut sources_of_path: BTreeMap<PathBuf, Vec<RuleSource>> = BTreeMap::new();
        for p in keys.iter().flat_map(|k| k.rule_paths.iter()) {
            if !sources_of_path.contains_key(p) {
                let read = read_rule_paths(std::slice::from_ref(p))?;
                sources_of_path.insert(p.clone(), read);
            }
        }
        let mut all_sources = builtin_sources();
        for s in sources_of_path.values().flatten() {
            if !all_sources.iter().any(|a| a.name == s.name) {
                all_sources.push(s.clone());
            }
        }
        let mut distinct: Vec<RuleKey> = Vec::new();
        let mut index: HashMap<RuleKey, usize> = HashMap::new();
        let mut of_key = Vec::with_capacity(keys.len());
        for k in &keys {
            let i = *index.entry(k.clone()).or_insert_with(|| {
                distinct.push(k.clone());
                distinct.len() - 1
            });
            of_key.push(i);
        }
        let mut sets: Vec<RuleSet> = Vec::with_capacity(distinct.len());
        for k in &distinct {
            let mut rules = compile(
                &all_sources,
                &CompileOptions {
                    extra_lists: k.lists.clone(),
                },
            )?;
            if sets.is_empty() {
                // Config files name rule ids and lists: check them once each, against all
                // the rules, before a selection refers to them.
                let mut diags = Diagnostics::default();
                for c in resolver.loaded() {
                    if let Err(d) = c.validate(&rules) {
                        diags.0.extend(d.0);
                    }
                }
                if !diags.is_empty() {
                    return Err(diags.into());
                }
            }
            let own: HashSet<&str> = k
                .rule_paths
                .iter()
                .flat_map(|p| sources_of_path[p].iter().map(|s| s.name.as_str()))
                .collect();
            let foreign: HashSet<String> = rules
                .rules
                .iter()
                .filter(|r| !r.origin.starts_with("builtin:") && !own.contains(r.origin.as_str()))
                .map(|r| r.id.clone())
                .collect();
            select(&mut rules, &k.select, &k.ignore, &k.severity, &foreign)
                .map_err(SetupError::Usage)?;
            sets.push(rules);
        }
        let run = of_key.pop().unwrap_or(0);
        Ok(RuleSets {
            sets,
            of_crate: of_key,
            run,
        })
    }
}

/// Turns rules off and sets severities: only `select` (when not empty), not `ignore`, not
/// `foreign` (rules from files this crate's settings do not load).
fn select(
    rules: &mut RuleSet,
    select: &[String],
    ignore: &[String],
    severity: &BTreeMap<String, Severity>,
    foreign: &HashSet<String>,
) -> Result<(), String> {
    for id in select.iter().chain(ignore.iter()) {
        if rules.rule(id).is_none() {
            return Err(unknown_rule_message(id, rules));
        }
    }
    let select: HashSet<&str> = select.iter().map(String::as_str).collect();
    let ignore: HashSet<&str> = ignore.iter().map(String::as_str).collect();
    rules.retain_rules(|id| {
        (select.is_empty() || select.contains(id)) && !ignore.contains(id) && !foreign.contains(id)
    });
    for (id, sev) in severity {
        rules.set_severity(id, *sev);
    }
    Ok(())
}

/// `--select`/`--ignore` replace the config's lists (when given); `[severity]` overrides apply
/// after. Used where one config applies to everything (`statelint test`, the fuzz target).
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
    let severity: BTreeMap<String, Severity> = config
        .def
        .severity
        .iter()
        .map(|(id, s)| (id.clone(), *s.get_ref()))
        .collect();
    select(
        rules,
        &pick(cli_select, &config.def.select),
        &pick(cli_ignore, &config.def.ignore),
        &severity,
        &HashSet::new(),
    )
}
