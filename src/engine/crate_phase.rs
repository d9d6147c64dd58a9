//! The crate-level step: with every file of a crate read, finish the conditions that one file
//! could not decide — `type` aliases from other files, contexts conferred by registration or
//! by being called from a context, locks taken a few calls deep, the crate's dependencies and
//! usage — and turn surviving candidates into findings.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::fault;
use crate::report::{Finding, ReachedFrom};
use crate::rules::compile::{CtxSet, RuleSet};
use crate::rules::kinds::NodeKind;
use crate::rules::model::Severity;
use crate::rules::template::Vars;
use crate::syntax::facts::{Candidate, FileFacts, Roots, ScopeFact};
use crate::syntax::types::{AliasDef, RenderedTy, Ty};
use crate::workspace::discover::{CrateUnit, SourceFile};

use super::across::Export;
use super::fingerprint::fingerprint;
use super::local_match::{type_ok_any, type_ok_either};

/// The crate's facts with scopes numbered crate-wide.
pub(super) struct CrateIndex<'a> {
    /// Per file: offset of its first scope in the crate-wide numbering.
    pub(super) offsets: Vec<u32>,
    pub(super) parent: Vec<Option<u32>>,
    children: Vec<Vec<u32>>,
    hits: Vec<&'a [u16]>,
    /// Crate-wide fn scopes each scope may call.
    edges: Vec<Vec<u32>>,
    pub(super) contexts: Vec<CtxSet>,
    pub(super) fn_table: HashMap<&'a str, Vec<u32>>,
    /// Fns taking `self`, by bare name: what a method call `.name` may reach.
    method_table: HashMap<&'a str, Vec<u32>>,
    is_fn: Vec<bool>,
    /// Who calls each scope (reverse of `edges`).
    pub(super) callers: Vec<Vec<u32>>,
    /// Contexts each scope has of its own (attributes, trait impls, registrations, enclosing
    /// fns), before they are followed through calls.
    pub(super) own_contexts: Vec<CtxSet>,
}

/// Same-crate fns a callee name may be: `.name` (a method call) only methods, else by path
/// or bare name.
fn callee_targets<'t>(
    fns: &'t HashMap<&str, Vec<u32>>,
    methods: &'t HashMap<&str, Vec<u32>>,
    name: &str,
) -> Option<&'t Vec<u32>> {
    match name.strip_prefix('.') {
        Some(method) => methods.get(method),
        None => fns.get(name),
    }
}

/// The crate's dependencies, by package name and by the name the code uses.
pub fn dependencies(unit: &CrateUnit) -> HashSet<&str> {
    unit.package
        .as_ref()
        .map(|p| {
            p.dependency_packages
                .iter()
                .chain(p.dependencies.iter())
                .map(String::as_str)
                .collect()
        })
        .unwrap_or_default()
}

/// A rule that panicked on a candidate: (file index in the crate, rule index, panic message).
pub type Fault = (usize, usize, String);

/// (file, suppression, rule) that suppressed something.
pub type UsedSuppressions = HashSet<(usize, usize, String)>;

/// What judging one crate gives.
#[derive(Default)]
pub struct CrateResult {
    pub findings: Vec<Finding>,
    /// Rules that crashed while judging its candidates.
    pub faults: Vec<Fault>,
    /// Where other crates of the run reach what it reports (when asked for).
    pub exports: Vec<Export>,
    /// Suppressions used so far, when their report waits for the crate's cross-crate findings.
    pub used: UsedSuppressions,
    /// With `defer_suppressions`: per file (position in `files`), the contexts of each of its
    /// foreign calls, so the second step needs no index of the crate.
    pub foreign_contexts: Vec<Vec<CtxSet>>,
}

/// Findings of one crate. With `want_exports`, also the fns and messages through which other
/// crates reach its `across-crates` findings; with `defer_suppressions`, unused suppressions
/// are left for `across::resolve_foreign_calls`, which may still use some.
pub fn resolve_crate(
    unit: &CrateUnit,
    files: &[(usize, FileFacts)],
    rules: &RuleSet,
    want_exports: bool,
    defer_suppressions: bool,
) -> CrateResult {
    let mut faults: Vec<Fault> = Vec::new();
    if !defer_suppressions
        && files.iter().all(|(_, f)| {
            f.candidates.is_empty() && f.suppressions.is_empty() && f.state.mutations.is_empty()
        })
    {
        return CrateResult::default();
    }
    let aliases = collect_aliases(files);
    let index = build_index(files, rules, &aliases);
    let app_state = app_state_names(files);
    // Type name -> paths of the traits it implements, for `owner-implements`.
    let mut impls: HashMap<&str, Vec<&str>> = HashMap::new();
    for (_, f) in files {
        for (ty, paths) in &f.impls {
            impls
                .entry(ty.as_str())
                .or_default()
                .extend(paths.iter().map(String::as_str));
            // `impl Repository<Entry> for TorrentsRwLockStd` where `type TorrentsRwLockStd =
            // RwLockStd<Entry>`: the struct implements the trait.
            if let Some(AliasDef {
                ty: Ty::Path(target),
                ..
            }) = aliases.get(ty)
            {
                impls
                    .entry(target.name.as_str())
                    .or_default()
                    .extend(paths.iter().map(String::as_str));
            }
        }
    }
    let mut usage = vec![false; rules.usage.count];
    for (_, f) in files {
        for (i, hit) in f.usage_hits.iter().enumerate() {
            usage[i] |= *hit;
        }
    }
    let typed_fields: HashMap<&str, Vec<&str>> = if rules.tracks_state_use {
        let mut m: HashMap<&str, Vec<&str>> = HashMap::new();
        for (_, f) in files {
            for (alias, field) in &f.typed_fields {
                m.entry(alias.as_str()).or_default().push(field.as_str());
            }
        }
        m
    } else {
        HashMap::new()
    };
    // (struct, field) or ("", static) -> names of the keys it is indexed with.
    let mut state_keys: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
    for (_, f) in files {
        for (owner, state, key) in &f.state_keys {
            state_keys.entry((owner, state)).or_default().push(key);
        }
    }
    // Structs as pseudo-aliases, for `look-into-structs`, and struct name -> its methods, for
    // `unless-owner-calls`: built when the first candidate asks.
    let struct_defs = OnceCell::new();
    let methods = OnceCell::new();
    let deps = dependencies(unit);

    // Does a candidate survive the crate-level conditions? Returns its contexts if so.
    let survives = |fi: usize, facts: &FileFacts, cand: &Candidate| -> Option<CtxSet> {
        let block = &rules.blocks[cand.block as usize];
        // The owner first: it is cheap, and a type looked into structs is not.
        if block.owner.is_some() || block.owner_implements.is_some() {
            let owner = cand.owner.as_deref()?;
            if block.owner.as_ref().is_some_and(|re| !re.is_match(owner)) {
                return None;
            }
            if let Some(traits) = &block.owner_implements {
                let implemented = impls
                    .get(owner)
                    .is_some_and(|paths| paths.iter().any(|p| traits.is_match(p)));
                if !implemented {
                    return None;
                }
            }
        }
        if let Some(ty) = &cand.deferred_type {
            let expanded = ty.expand_aliases(&aliases, 0);
            let is_wrapper = |n: &str| rules.wrappers.contains(n);
            let rendered = RenderedTy::new(&expanded, &is_wrapper);
            let written = RenderedTy::new(ty, &is_wrapper);
            let ok = if block.look_into_structs {
                // Three levels of the crate's structs (expansion stops past depth 8).
                let defs = struct_defs.get_or_init(|| crate_struct_defs(files));
                let deep = RenderedTy::new(&expanded.expand_aliases(defs, 6), &is_wrapper);
                type_ok_any(block, &[&written, &rendered, &deep])
            } else {
                type_ok_either(block, &written, &rendered)
            };
            if !ok {
                return None;
            }
        }
        if let Some(p) = block.unless_owner_calls
            && let Some(fns) = cand
                .owner
                .as_deref()
                .and_then(|o| methods.get_or_init(|| owner_methods(&index)).get(o))
            && index.reaches(fns, p as u16, 0)
        {
            return None;
        }
        if let Some(re) = &block.keyed_by {
            let owner = cand.owner.as_deref().unwrap_or_default();
            let keyed = cand
                .name
                .as_deref()
                .and_then(|n| state_keys.get(&(owner, n)))
                .is_some_and(|keys| keys.iter().any(|k| re.is_match(k)));
            if !keyed {
                return None;
            }
        }
        if let Some(want) = block.in_app_state {
            let is = cand.owner.as_deref().is_some_and(|o| app_state.contains(o));
            if is != want {
                return None;
            }
        }
        let scope = index.offsets[fi] + cand.scope;
        let ctx = index.contexts[scope as usize];
        if block.inside != 0 && ctx & block.inside == 0 {
            return None;
        }
        if ctx & block.not_inside != 0 {
            return None;
        }
        if ctx & rules.excluded_by_default & !block.inside != 0 {
            return None;
        }
        if !block.requires_dependency.is_empty()
            && !block
                .requires_dependency
                .iter()
                .any(|d| deps.contains(d.as_str()))
        {
            return None;
        }
        if block
            .unless_dependency
            .iter()
            .any(|d| deps.contains(d.as_str()))
        {
            return None;
        }
        if block.requires_usage.is_some_and(|u| !usage[u]) {
            return None;
        }
        if block.unless_usage.is_some_and(|u| usage[u]) {
            return None;
        }
        if block.unless_used_with.is_some()
            || block.used_with.is_some()
            || block.used_with_methods.is_some()
        {
            let names = state_names(&typed_fields, block.kind, cand);
            // What tests, examples and build scripts do with the state is not what the
            // service does: a test rewriting the settings does not make them mutable.
            let not_code = rules.excluded_by_default;
            if let Some(p) = block.unless_used_with
                && state_used_with(&index, files, &names, p as u16, block.hops, not_code)
            {
                return None;
            }
            let not_inside = block.used_with_not_inside | not_code;
            let used = match (&block.used_with_methods, block.used_with) {
                (Some(methods), _) => state_called_with(&index, files, &names, methods, not_inside),
                (None, Some(p)) => {
                    state_used_with(&index, files, &names, p as u16, block.hops, not_inside)
                }
                (None, None) => true,
            };
            if !used {
                return None;
            }
        }
        if block.needs_reach() {
            let mut roots = index.roots(fi, &facts.names, &cand.roots);
            let handed_over = !roots.is_empty();
            let enclosing = [index.enclosing_fn(scope)];
            if !handed_over {
                if !block.requires_near.is_empty() {
                    // A loop must be in what the node hands over (`spawn(async { loop .. })`);
                    // an opaque value (`spawn(exporter)`) is not the enclosing fn's code.
                    return None;
                }
                // Nothing passed to the node: what matters is the fn it is in.
                roots.push(enclosing[0]);
            }
            if !block
                .requires
                .iter()
                .all(|&p| index.reaches(&roots, p as u16, block.hops))
                || !block
                    .requires_fn
                    .iter()
                    .all(|&p| index.reaches(&enclosing, p as u16, block.hops))
                || !block
                    .requires_near
                    .iter()
                    .all(|&p| index.reaches(&roots, p as u16, block.hops.min(1)))
            {
                return None;
            }
            if let Some(p) = block.unless {
                if index.reaches(&roots, p as u16, block.hops) {
                    return None;
                }
                // A guard may also sit in a caller (`if already_processed() { return }`
                // before calling the fn that inserts): callers' own code counts, not
                // everything else they call.
                if !handed_over && index.caller_hits(roots[0], p as u16, block.hops) {
                    return None;
                }
            }
        }
        Some(ctx)
    };
    let mut survivors: Vec<Survivor> = Vec::new();
    for (fi, (file_idx, facts)) in files.iter().enumerate() {
        for cand in &facts.candidates {
            let rule = rules.blocks[cand.block as usize].rule;
            match fault::catch_rule(fault::Stage::Resolve, &rules.rules[rule].id, || {
                survives(fi, facts, cand)
            }) {
                Ok(Some(ctx)) => survivors.push(Survivor {
                    file: *file_idx,
                    fi,
                    cand,
                    ctx,
                }),
                Ok(None) => {}
                Err(panic) => faults.push((*file_idx, rule, panic)),
            }
        }
    }

    let mut state = super::state::run(&super::state::Input {
        unit,
        files,
        rules,
        index: &index,
        aliases: &aliases,
        deps: &deps,
        usage: &usage,
        impls: &impls,
    });
    let survivors = drop_superseded(survivors, rules);
    let survivors = drop_state_constructors(survivors, rules, &index, files, unit, &mut state);
    let survivors = drop_constructors(survivors, files, rules, &index);
    let survivors = drop_handles(survivors, rules, &index);
    let survivors = drop_repeated_impls(survivors, rules);

    // A type alias reported for a rule stands for every field, static or let declared with it;
    // when a single field or static holds it, that is where the state lives (`clients: Clients`
    // in the one struct that keeps the clients), and it is reported there instead.
    let mut reported_aliases: HashSet<(usize, &str)> = survivors
        .iter()
        .filter(|s| rules.blocks[s.cand.block as usize].kind == NodeKind::TypeAlias)
        .filter_map(|s| {
            Some((
                rules.blocks[s.cand.block as usize].rule,
                s.cand.owner.as_deref()?,
            ))
        })
        .collect();
    let mut holders: HashMap<(usize, &str), usize> = HashMap::new();
    for s in &survivors {
        let block = &rules.blocks[s.cand.block as usize];
        if matches!(block.kind, NodeKind::Field | NodeKind::Static)
            && let Some(a) = s.cand.via_alias.as_deref()
            && reported_aliases.contains(&(block.rule, a))
        {
            *holders.entry((block.rule, a)).or_default() += 1;
        }
    }
    let held_once: HashSet<(usize, &str)> = holders
        .into_iter()
        .filter(|(_, n)| *n == 1)
        .map(|(k, _)| k)
        .collect();
    reported_aliases.retain(|k| !held_once.contains(k));

    let mut findings = Vec::new();
    let mut seen: HashSet<(usize, usize, u32, u32)> = HashSet::new();
    let facts_of: HashMap<usize, &FileFacts> = files.iter().map(|(i, f)| (*i, f)).collect();
    let mut used: UsedSuppressions = HashSet::new();
    // Reported findings other crates may reach: (file position, candidate, finding index).
    let mut exportable: Vec<super::across::Exportable> = Vec::new();
    for s in survivors {
        let block = &rules.blocks[s.cand.block as usize];
        if let Some(a) = s.cand.via_alias.as_deref()
            && reported_aliases.contains(&(block.rule, a))
            && block.kind != NodeKind::TypeAlias
        {
            continue;
        }
        if block.kind == NodeKind::TypeAlias
            && let Some(a) = s.cand.owner.as_deref()
            && held_once.contains(&(block.rule, a))
        {
            continue;
        }
        // One finding per node and rule, from its first matching block.
        if !seen.insert((block.rule, s.file, s.cand.loc.start, s.cand.loc.end)) {
            continue;
        }
        let file = &unit.files[s.file];
        let mut finding = make_finding(unit, file, s.cand, s.ctx, rules);
        finding.reached_from = reached_from(&index, files, unit, rules, &s);
        if let Some(facts) = facts_of.get(&s.file)
            && let Some(i) = suppressing(facts, &finding)
        {
            used.insert((s.file, i, finding.rule.clone()));
            continue;
        }
        if want_exports
            && rules.rules[block.rule].across_crates
            && finding.severity >= Severity::Warning
        {
            exportable.push(super::across::Exportable::Candidate(
                s.fi,
                s.cand,
                findings.len(),
            ));
        }
        findings.push(finding);
    }
    used.extend(state.used);
    let offset = findings.len();
    if want_exports {
        for (name, sites, rule, i) in state.exports {
            exportable.push(super::across::Exportable::State {
                name,
                sites,
                rule,
                finding: offset + i,
            });
        }
    }
    findings.extend(state.findings);
    let exports = if exportable.is_empty() {
        Vec::new()
    } else {
        super::across::exports(&index, files, rules, &exportable, &findings)
    };
    if rules.is_enabled("unused-suppression") && !defer_suppressions {
        for (file_idx, facts) in files {
            report_suppressions(unit, *file_idx, facts, &used, rules, &mut findings);
        }
    }
    let foreign_contexts = if defer_suppressions {
        files
            .iter()
            .enumerate()
            .map(|(fi, (_, f))| {
                f.foreign_calls
                    .iter()
                    .map(|c| index.contexts[(index.offsets[fi] + c.scope) as usize])
                    .collect()
            })
            .collect()
    } else {
        Vec::new()
    };
    CrateResult {
        findings,
        faults,
        exports,
        used,
        foreign_contexts,
    }
}

/// The suppression (index) that covers this finding, if any.
pub(super) fn suppressing(facts: &FileFacts, f: &Finding) -> Option<usize> {
    facts
        .suppressions
        .iter()
        .position(|s| s.rules.contains(&f.rule) && s.covers.0 <= f.line && f.line <= s.covers.1)
}

/// Suppressions that are malformed, have no reason, name unknown rules or suppress nothing
/// are findings of `unused-suppression` (as ruff reports an unused `noqa`).
pub(super) fn report_suppressions(
    unit: &CrateUnit,
    file_idx: usize,
    facts: &FileFacts,
    used: &UsedSuppressions,
    rules: &RuleSet,
    out: &mut Vec<Finding>,
) {
    let Some(meta) = rules.rule("unused-suppression") else {
        return;
    };
    let file = &unit.files[file_idx];
    for (i, s) in facts.suppressions.iter().enumerate() {
        let mut problems: Vec<String> = Vec::new();
        if s.rules.is_empty() {
            problems.push(
                "cannot read this suppression: write `// statelint: allow(rule-id) reason`"
                    .to_string(),
            );
        } else if s.reason.is_none() {
            problems.push(format!(
                "`{}` gives no reason: say why this state is fine with several replicas",
                s.text
            ));
        }
        for r in &s.rules {
            if rules.rule(r).is_none() {
                problems.push(crate::config::unknown_rule_message(r, rules));
            } else if !rules.disabled.contains(r) && !used.contains(&(file_idx, i, r.clone())) {
                let scope = if s.file_wide { "in this file" } else { "here" };
                problems.push(format!("`allow({r})` suppresses nothing {scope}"));
            }
        }
        let snippet = facts
            .suppression_snippets
            .get(i)
            .cloned()
            .unwrap_or_default();
        for message in problems {
            out.push(Finding {
                rule: meta.id.clone(),
                severity: meta.severity,
                checklist: None,
                message,
                help: meta.help.clone(),
                file: file.display.clone(),
                line: s.line,
                column: s.column,
                end_line: s.line,
                end_column: s.end_column,
                fingerprint: fingerprint(&meta.id, &file.rel, &s.text, &snippet),
                snippet: snippet.clone(),
                crate_name: unit.name.clone(),
                context: None,
                reached_from: None,
                related: Vec::new(),
                evidence: None,
                state_at: None,
                path: file.path.clone(),
                byte_start: s.bytes.start,
                byte_end: s.bytes.end,
            });
        }
    }
}

/// The names code uses the state a node declares by: a field's or static's own name, or the
/// fields declared with an alias.
fn state_names<'n>(
    typed_fields: &HashMap<&str, Vec<&'n str>>,
    kind: NodeKind,
    cand: &'n Candidate,
) -> Vec<&'n str> {
    match kind {
        NodeKind::TypeAlias => cand
            .owner
            .as_deref()
            .and_then(|a| typed_fields.get(a))
            .cloned()
            .unwrap_or_default(),
        _ => cand.name.as_deref().into_iter().collect(),
    }
}

/// The fns, outside the `not_inside` contexts, of the scopes where `touches` holds; it is given
/// the file, the scope and the file's ids of the state's names (from `state_names`).
fn fns_touching_state<'f>(
    index: &'f CrateIndex,
    files: &'f [(usize, FileFacts)],
    names: &'f [&str],
    not_inside: CtxSet,
    touches: &'f dyn Fn(&FileFacts, &ScopeFact, &[u32]) -> bool,
) -> impl Iterator<Item = u32> + 'f {
    files.iter().enumerate().flat_map(move |(fi, (_, f))| {
        let ids: Vec<u32> = names
            .iter()
            .filter_map(|n| f.names.iter().position(|x| &**x == *n).map(|i| i as u32))
            .collect();
        f.scopes
            .iter()
            .enumerate()
            .filter(move |(_, s)| !ids.is_empty() && touches(f, s, &ids))
            .map(move |(si, _)| index.enclosing_fn(index.offsets[fi] + si as u32))
            .filter(move |&function| index.contexts[function as usize] & not_inside == 0)
    })
}

/// Is the state used in code that satisfies `predicate` within `hops` calls, leaving out code
/// in the `not_inside` contexts?
pub(super) fn state_used_with(
    index: &CrateIndex,
    files: &[(usize, FileFacts)],
    names: &[&str],
    predicate: u16,
    hops: u8,
    not_inside: CtxSet,
) -> bool {
    fns_touching_state(index, files, names, not_inside, &|_, s, ids| {
        s.state_uses.iter().any(|u| ids.contains(u))
    })
    .any(|function| index.reaches(&[function], predicate, hops))
}

/// Is one of `methods` called on the state itself (`SETTINGS.write()`), in code outside
/// `not_inside`?
fn state_called_with(
    index: &CrateIndex,
    files: &[(usize, FileFacts)],
    names: &[&str],
    methods: &globset::GlobSet,
    not_inside: CtxSet,
) -> bool {
    fns_touching_state(index, files, names, not_inside, &|f, s, ids| {
        s.state_calls.iter().any(|&(state, method)| {
            ids.contains(&state) && methods.is_match(&*f.names[method as usize])
        })
    })
    .next()
    .is_some()
}

struct Survivor<'c> {
    /// The file's index in the crate's unit (for reports) and its position in `files` (for
    /// the crate index).
    file: usize,
    fi: usize,
    cand: &'c Candidate,
    ctx: CtxSet,
}

/// When a more specific rule reports a node, the general rules it supersedes stay quiet on
/// that node, and on the `type` alias the node is declared with (a session map declared as
/// `sessions: SessionTable` is not also an in-process cache at `type SessionTable = ..`).
fn drop_superseded<'c>(survivors: Vec<Survivor<'c>>, rules: &RuleSet) -> Vec<Survivor<'c>> {
    let index: HashMap<&str, usize> = rules
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut spots: HashSet<(usize, usize, u32, u32)> = HashSet::new();
    let mut aliases: HashSet<(usize, &str)> = HashSet::new();
    for s in &survivors {
        let block = &rules.blocks[s.cand.block as usize];
        for id in &rules.rules[block.rule].supersedes {
            let Some(&other) = index.get(id.as_str()) else {
                continue;
            };
            spots.insert((other, s.file, s.cand.loc.start, s.cand.loc.end));
            if let Some(a) = s.cand.via_alias.as_deref() {
                aliases.insert((other, a));
            }
            if block.kind == NodeKind::TypeAlias
                && let Some(o) = s.cand.owner.as_deref()
            {
                aliases.insert((other, o));
            }
        }
    }
    if spots.is_empty() {
        return survivors;
    }
    survivors
        .into_iter()
        .filter(|s| {
            let block = &rules.blocks[s.cand.block as usize];
            let at_spot = spots.contains(&(block.rule, s.file, s.cand.loc.start, s.cand.loc.end));
            let alias_name = if block.kind == NodeKind::TypeAlias {
                s.cand.owner.as_deref()
            } else {
                s.cand.via_alias.as_deref()
            };
            let via_alias = alias_name.is_some_and(|a| aliases.contains(&(block.rule, a)));
            !(at_spot || via_alias)
        })
        .collect()
}

/// A call that builds state (`constructor = true`: `Cache::builder()`) inside a static's
/// initializer, or in a method of the type whose reported field holds a value of the type it
/// builds, is that same state: the static or field decides (reported, or exempt as a memo of
/// compiled templates), the call is not reported on its own.
fn drop_constructors<'c>(
    survivors: Vec<Survivor<'c>>,
    files: &[(usize, FileFacts)],
    rules: &RuleSet,
    index: &CrateIndex,
) -> Vec<Survivor<'c>> {
    if !survivors
        .iter()
        .any(|s| rules.blocks[s.cand.block as usize].constructor)
    {
        return survivors;
    }
    // Does a finding of `holder` stand for state a call of `builder` would report?
    let covers = |holder: usize, builder: usize| {
        holder == builder
            || rules.rules[holder]
                .supersedes
                .contains(&rules.rules[builder].id)
    };
    // (struct, rule, the field's type as written)
    let mut owners: Vec<(&str, usize, &str)> = Vec::new();
    for s in &survivors {
        let block = &rules.blocks[s.cand.block as usize];
        if block.kind == NodeKind::Field
            && let Some(owner) = s.cand.owner.as_deref()
        {
            let ty = s.cand.type_text.as_deref().unwrap_or_default();
            owners.push((owner, block.rule, ty));
        }
    }
    survivors
        .into_iter()
        .filter(|s| {
            let block = &rules.blocks[s.cand.block as usize];
            if !block.constructor {
                return true;
            }
            let scope = index.offsets[s.fi] + s.cand.scope;
            let mut at = Some(scope);
            while let Some(c) = at {
                if index.scope_fact(files, c).static_init {
                    return false;
                }
                at = index.parent[c as usize];
            }
            let method = index
                .scope_fact(files, index.enclosing_fn(scope))
                .fn_name
                .as_deref()
                .and_then(|n| n.rsplit_once("::"))
                .map(|(ty, _)| ty);
            // The type the call builds (`Cache` of `moka::future::Cache::builder`) must be
            // what the reported field holds, not another field of the same struct.
            let built = s
                .cand
                .path
                .as_deref()
                .and_then(|p| p.rsplit("::").nth(1))
                .unwrap_or_default();
            !method.is_some_and(|ty| {
                owners.iter().any(|&(o, r, field_ty)| {
                    o == ty
                        && covers(r, block.rule)
                        && !built.is_empty()
                        && field_ty.contains(built)
                })
            })
        })
        .collect()
}

/// A constructor call (`LruCache::new`) in the initializer of a static the state model reports,
/// or in a method of a struct whose field it reports for the same rule (or one superseding
/// it), builds that same state: the holder's finding stands for it, names the call as where
/// the state is built, and takes its severity when the call says more (a cache built with a
/// TTL is advice).
fn drop_state_constructors<'c>(
    survivors: Vec<Survivor<'c>>,
    rules: &RuleSet,
    index: &CrateIndex,
    files: &[(usize, FileFacts)],
    unit: &CrateUnit,
    state: &mut super::state::Outcome,
) -> Vec<Survivor<'c>> {
    if state.covered_scopes.is_empty() && state.covered_owners.is_empty() {
        return survivors;
    }
    let covers = |holder: usize, builder: usize| {
        holder == builder
            || rules.rules[holder]
                .supersedes
                .contains(&rules.rules[builder].id)
    };
    let mut absorbed: Vec<(usize, &Survivor)> = Vec::new();
    let mut kept = Vec::new();
    for s in &survivors {
        let block = &rules.blocks[s.cand.block as usize];
        if !block.constructor {
            kept.push(true);
            continue;
        }
        let scope = index.offsets[s.fi] + s.cand.scope;
        let mut at = Some(scope);
        let mut by = None;
        while let Some(c) = at {
            if let Some(&f) = state.covered_scopes.get(&c) {
                by = Some(f);
                break;
            }
            at = index.parent[c as usize];
        }
        if by.is_none() {
            let owner = index
                .scope_fact(files, index.enclosing_fn(scope))
                .fn_name
                .as_deref()
                .and_then(|n| n.rsplit_once("::"))
                .map(|(ty, _)| ty);
            // The type the call builds (`Cache` of `moka::future::Cache::builder`) must be
            // what the reported field holds, not another field of the same struct.
            let built = s
                .cand
                .path
                .as_deref()
                .and_then(|p| p.rsplit("::").nth(1))
                .unwrap_or_default();
            // Assigned to a field in a struct literal: that field, and no other.
            let assigned = s.cand.field.as_deref();
            by = owner.and_then(|o| {
                state
                    .covered_owners
                    .iter()
                    .find(|(name, field, rule, ty, _)| {
                        name == o
                            && assigned.is_none_or(|a| a == field)
                            && covers(*rule, block.rule)
                            && !built.is_empty()
                            && ty.contains(built)
                    })
                    .map(|(_, _, _, _, f)| *f)
            });
        }
        match by {
            Some(f) => {
                absorbed.push((f, s));
                kept.push(false);
            }
            None => kept.push(true),
        }
    }
    // One node matches several blocks of a rule (`Cache::builder()` without and with a TTL);
    // as for findings, the first block decides.
    let mut seen_nodes: HashSet<(usize, usize, u32)> = HashSet::new();
    for (f, s) in absorbed {
        let block = &rules.blocks[s.cand.block as usize];
        if !seen_nodes.insert((block.rule, s.file, s.cand.loc.start)) {
            continue;
        }
        let severity = block.severity.unwrap_or(rules.rules[block.rule].severity);
        let finding = &mut state.findings[f];
        if severity < finding.severity {
            finding.severity = severity;
        }
        finding.related.push(crate::report::Related {
            file: unit.files[s.file].display.clone(),
            line: s.cand.loc.line,
            column: s.cand.loc.column,
            end_line: s.cand.loc.end_line,
            end_column: s.cand.loc.end_column,
            label: if severity == Severity::Info {
                "built here, with an expiry".to_string()
            } else {
                "built here, with no expiry".to_string()
            },
        });
    }
    survivors
        .into_iter()
        .zip(kept)
        .filter_map(|(s, keep)| keep.then_some(s))
        .collect()
}

/// The crate's structs as pseudo-aliases (`Name<field types..>`). A name several modules
/// define (`Inner`, `State`) is ambiguous without paths: it is left out.
fn crate_struct_defs(files: &[(usize, FileFacts)]) -> HashMap<String, AliasDef> {
    let mut defs: HashMap<String, AliasDef> = HashMap::new();
    let mut ambiguous: HashSet<&str> = HashSet::new();
    for (_, f) in files {
        for (name, def) in &f.struct_defs {
            if defs.insert(name.clone(), def.clone()).is_some() {
                ambiguous.insert(name);
            }
        }
    }
    for name in ambiguous {
        defs.remove(name);
    }
    defs
}

/// Struct name -> the scopes of its methods (fn table keys `Type::method`).
fn owner_methods<'i>(index: &'i CrateIndex) -> HashMap<&'i str, Vec<u32>> {
    let mut methods: HashMap<&str, Vec<u32>> = HashMap::new();
    for (key, scopes) in &index.fn_table {
        if let Some((ty, _)) = key.rsplit_once("::") {
            methods
                .entry(ty)
                .or_default()
                .extend(scopes.iter().copied());
        }
    }
    methods
}

/// Fields of blocks with `prefer-owner-calls`: grouped by rule and the type's arguments
/// (`<ChannelEvent>` of `Sender<ChannelEvent>` and `BroadcastSender<ChannelEvent>`), a group
/// where some owners' methods create the value keeps only those owners' fields; the other
/// structs hold handles to the same channel.
fn drop_handles<'c>(
    survivors: Vec<Survivor<'c>>,
    rules: &RuleSet,
    index: &CrateIndex,
) -> Vec<Survivor<'c>> {
    if !survivors.iter().any(|s| {
        rules.blocks[s.cand.block as usize]
            .prefer_owner_calls
            .is_some()
    }) {
        return survivors;
    }
    let methods = owner_methods(index);
    let args = |c: &Candidate| -> Option<String> {
        let t = c.type_text.as_deref()?;
        Some(t[t.find('<')?..].to_string())
    };
    let creates = |s: &Survivor| -> Option<(usize, String, bool)> {
        let block = &rules.blocks[s.cand.block as usize];
        let p = block.prefer_owner_calls?;
        let owner = s.cand.owner.as_deref()?;
        let creating = methods
            .get(owner)
            .is_some_and(|fns| index.reaches(fns, p as u16, 0));
        Some((block.rule, args(s.cand)?, creating))
    };
    let verdicts: Vec<Option<(usize, String, bool)>> = survivors.iter().map(creates).collect();
    let created: HashSet<(usize, &str)> = verdicts
        .iter()
        .flatten()
        .filter(|(_, _, creating)| *creating)
        .map(|(rule, args, _)| (*rule, args.as_str()))
        .collect();
    let keep: Vec<bool> = verdicts
        .iter()
        .map(|v| match v {
            Some((rule, args, creating)) => *creating || !created.contains(&(*rule, args.as_str())),
            None => true,
        })
        .collect();
    survivors
        .into_iter()
        .zip(keep)
        .filter_map(|(s, keep)| keep.then_some(s))
        .collect()
}

/// A type that implements several traits a rule's `impl` block names (`impl CoreAdapter for
/// LocalAdapter` and `impl DefinedAdapter for LocalAdapter`) is one piece of state: reported
/// at its first impl in the crate, once per rule.
fn drop_repeated_impls<'c>(survivors: Vec<Survivor<'c>>, rules: &RuleSet) -> Vec<Survivor<'c>> {
    let mut seen: HashSet<(usize, &str)> = HashSet::new();
    survivors
        .into_iter()
        .filter(|s| {
            let block = &rules.blocks[s.cand.block as usize];
            match (block.kind, s.cand.type_text.as_deref()) {
                (NodeKind::Impl, Some(ty)) => seen.insert((block.rule, ty)),
                _ => true,
            }
        })
        .collect()
}

/// For a finding that holds only in a context (`inside = ["job"]`) its fn has through calls:
/// the fn that has it of its own.
fn reached_from(
    index: &CrateIndex,
    files: &[(usize, FileFacts)],
    unit: &CrateUnit,
    rules: &RuleSet,
    s: &Survivor,
) -> Option<ReachedFrom> {
    let block = &rules.blocks[s.cand.block as usize];
    let mask = block.inside & s.ctx;
    if mask == 0 {
        return None;
    }
    let hops = rules
        .contexts
        .iter()
        .enumerate()
        .filter(|(bit, _)| mask & (1 << bit) != 0)
        .map(|(_, c)| c.follow_calls)
        .max()
        .unwrap_or(0);
    let origin = index.context_origin(index.offsets[s.fi] + s.cand.scope, mask, hops)?;
    let unit_file = files[index.file_of(origin)].0;
    let scope = index.scope_fact(files, origin);
    // Only a named fn is worth pointing at (not a closure registered outside any fn).
    let function = scope.fn_name.as_deref()?;
    Some(ReachedFrom {
        file: unit.files[unit_file].display.clone(),
        line: scope.line,
        function: function.to_string(),
    })
}

fn make_finding(
    unit: &CrateUnit,
    file: &SourceFile,
    cand: &Candidate,
    ctx: CtxSet,
    rules: &RuleSet,
) -> Finding {
    let block = &rules.blocks[cand.block as usize];
    let meta = &rules.rules[block.rule];
    let context = primary_context(ctx, rules);
    let vars = Vars {
        name: cand.name.as_deref(),
        ty: cand.type_text.as_deref(),
        path: cand.path.as_deref(),
        context: context.as_deref(),
        crate_name: Some(&unit.name),
    };
    let message = block
        .message
        .as_ref()
        .unwrap_or(&meta.message)
        .render(&vars);
    let help = block.help.clone().unwrap_or_else(|| meta.help.clone());
    Finding {
        rule: meta.id.clone(),
        severity: block.severity.unwrap_or(meta.severity),
        checklist: meta.checklist,
        message,
        help,
        file: file.display.clone(),
        line: cand.loc.line,
        column: cand.loc.column,
        end_line: cand.loc.end_line,
        end_column: cand.loc.end_column,
        snippet: cand.snippet.to_string(),
        crate_name: unit.name.clone(),
        context,
        reached_from: None,
        related: Vec::new(),
        evidence: None,
        state_at: None,
        fingerprint: super::fingerprint::about(
            &meta.id,
            &file.rel,
            &cand.item,
            cand.path.as_deref(),
            cand.name.as_deref(),
            &cand.snippet,
        ),
        path: file.path.clone(),
        byte_start: cand.loc.start,
        byte_end: cand.loc.end,
    }
}

/// The context a finding is reported in: the first (in definition order) that is not
/// excluded by default.
pub(super) fn primary_context(ctx: CtxSet, rules: &RuleSet) -> Option<String> {
    rules
        .contexts
        .iter()
        .enumerate()
        .find(|(bit, c)| ctx & (1 << bit) != 0 && !c.excluded_by_default)
        .map(|(_, c)| c.id.clone())
}

/// Contexts a parameter typed with crate alias `alias` puts its fn in (`param-type` globs
/// matched against the expanded alias).
fn alias_param_contexts(
    alias: &str,
    aliases: &HashMap<String, AliasDef>,
    rules: &RuleSet,
) -> CtxSet {
    let Some(def) = aliases.get(alias) else {
        return 0;
    };
    let expanded = def.ty.expand_aliases(aliases, 0);
    let rendered = RenderedTy::new(&expanded, &|n: &str| rules.wrappers.contains(n));
    let mut set = 0;
    for (bit, c) in rules.contexts.iter().enumerate() {
        if c.param_type
            .as_ref()
            .is_some_and(|tg| tg.matches_rendered(&rendered))
        {
            set |= 1 << bit;
        }
    }
    set
}

pub(super) fn collect_aliases(files: &[(usize, FileFacts)]) -> HashMap<String, AliasDef> {
    let mut out = HashMap::new();
    for (_, f) in files {
        for (name, def) in &f.aliases {
            out.entry(name.clone()).or_insert_with(|| def.clone());
        }
    }
    out
}

/// Types used as application state, and the crate types they hold (three levels deep).
fn app_state_names(files: &[(usize, FileFacts)]) -> HashSet<String> {
    let mut names: HashSet<String> = files
        .iter()
        .flat_map(|(_, f)| f.app_state.iter().cloned())
        .collect();
    if names.is_empty() {
        return names;
    }
    let structs: HashMap<&str, &Vec<String>> = files
        .iter()
        .flat_map(|(_, f)| f.structs.iter().map(|(n, t)| (n.as_str(), t)))
        .collect();
    let mut frontier: Vec<String> = names.iter().cloned().collect();
    for _ in 0..3 {
        let mut next = Vec::new();
        for n in &frontier {
            if let Some(fields) = structs.get(n.as_str()) {
                for t in fields.iter() {
                    if names.insert(t.clone()) {
                        next.push(t.clone());
                    }
                }
            }
        }
        frontier = next;
    }
    names
}

pub(super) fn build_index<'a>(
    files: &'a [(usize, FileFacts)],
    rules: &RuleSet,
    aliases: &HashMap<String, AliasDef>,
) -> CrateIndex<'a> {
    let mut offsets = Vec::with_capacity(files.len());
    let mut total = 0u32;
    for (_, f) in files {
        offsets.push(total);
        total += f.scopes.len() as u32;
    }
    let n = total as usize;
    let mut parent = Vec::with_capacity(n);
    let mut hits = Vec::with_capacity(n);
    let mut contexts = Vec::with_capacity(n);
    let mut fn_table: HashMap<&str, Vec<u32>> = HashMap::new();
    let mut method_table: HashMap<&str, Vec<u32>> = HashMap::new();
    for (fi, (_, f)) in files.iter().enumerate() {
        for (si, s) in f.scopes.iter().enumerate() {
            let id = offsets[fi] + si as u32;
            parent.push(s.parent.map(|p| offsets[fi] + p));
            hits.push(s.hits.as_slice());
            contexts.push(s.contexts);
            if let Some(name) = s.fn_name.as_deref() {
                fn_table.entry(name).or_default().push(id);
                if let Some((_, bare)) = name.rsplit_once("::") {
                    fn_table.entry(bare).or_default().push(id);
                }
                // A method call (`self.helper()`, `x.run()`, interned as `.run`) can only
                // reach fns that take `self`, by their bare name.
                if s.is_method {
                    let bare = name.rsplit_once("::").map_or(name, |(_, b)| b);
                    method_table.entry(bare).or_default().push(id);
                }
            }
        }
    }
    let mut children = vec![Vec::new(); n];
    for (id, p) in parent.iter().enumerate() {
        if let Some(p) = p {
            children[*p as usize].push(id as u32);
        }
    }
    let mut edges = vec![Vec::new(); n];
    for (fi, (_, f)) in files.iter().enumerate() {
        for (si, s) in f.scopes.iter().enumerate() {
            let id = (offsets[fi] + si as u32) as usize;
            for &c in &s.callees {
                if let Some(targets) =
                    callee_targets(&fn_table, &method_table, &f.names[c as usize])
                {
                    edges[id].extend(targets.iter().copied());
                }
            }
        }
        for &(name, ctx) in &f.registrations {
            if let Some(targets) = callee_targets(&fn_table, &method_table, &f.names[name as usize])
            {
                for &t in targets {
                    contexts[t as usize] |= ctx;
                }
            }
        }
        for (scope, alias) in &f.alias_params {
            let id = (offsets[fi] + scope) as usize;
            contexts[id] |= alias_param_contexts(alias, aliases, rules);
        }
    }
    let mut callers = vec![Vec::new(); n];
    for (from, targets) in edges.iter().enumerate() {
        for &t in targets {
            callers[t as usize].push(from as u32);
        }
    }
    let is_fn = files
        .iter()
        .flat_map(|(_, f)| f.scopes.iter().map(|s| s.fn_name.is_some()))
        .collect();
    let mut index = CrateIndex {
        offsets,
        parent,
        children,
        hits,
        edges,
        contexts,
        fn_table,
        method_table,
        is_fn,
        callers,
        own_contexts: Vec::new(),
    };
    index.inherit_contexts();
    index.own_contexts = index.contexts.clone();
    index.propagate_contexts(rules);
    index.inherit_contexts();
    index
}

impl<'a> CrateIndex<'a> {
    /// Closures, async blocks and nested items are in the contexts of what encloses them.
    /// Parents always have smaller ids than their children, so one forward pass suffices.
    fn inherit_contexts(&mut self) {
        for id in 0..self.parent.len() {
            if let Some(p) = self.parent[id] {
                let inherited = self.contexts[p as usize];
                self.contexts[id] |= inherited;
            }
        }
    }

    /// Contexts with `follow-calls = N` extend to same-crate fns called up to N calls deep.
    fn propagate_contexts(&mut self, rules: &RuleSet) {
        for (bit, ctx) in rules.contexts.iter().enumerate() {
            if ctx.follow_calls == 0 {
                continue;
            }
            let mask = 1 << bit;
            let mut frontier: Vec<u32> = (0..self.contexts.len() as u32)
                .filter(|&s| self.contexts[s as usize] & mask != 0)
                .collect();
            for _ in 0..ctx.follow_calls {
                let mut next = Vec::new();
                for &s in &frontier {
                    for &t in &self.edges[s as usize] {
                        if self.contexts[t as usize] & mask == 0 {
                            self.contexts[t as usize] |= mask;
                            next.push(t);
                        }
                    }
                    // A fn's closures call on its behalf.
                    for &c in &self.children[s as usize] {
                        if self.contexts[c as usize] & mask == 0 {
                            self.contexts[c as usize] |= mask;
                        }
                        next.push(c);
                    }
                }
                if next.is_empty() {
                    break;
                }
                frontier = next;
            }
        }
    }

    /// The nearest fn that has a context of `mask` of its own and calls (within `hops` calls)
    /// the fn `scope` is in; `None` when that fn has it itself. Breadth first: the shortest
    /// call path wins.
    fn context_origin(&self, scope: u32, mask: CtxSet, hops: u8) -> Option<u32> {
        let start = self.enclosing_fn(scope);
        if self.own_contexts[start as usize] & mask != 0 {
            return None;
        }
        let mut seen: HashSet<u32> = HashSet::from([start]);
        let mut frontier = vec![start];
        for _ in 0..hops {
            let mut next = Vec::new();
            for s in frontier {
                for &c in &self.callers[s as usize] {
                    let f = self.enclosing_fn(c);
                    if !seen.insert(f) {
                        continue;
                    }
                    if self.own_contexts[f as usize] & mask != 0 {
                        return Some(f);
                    }
                    next.push(f);
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        None
    }

    /// The facts of a crate-wide scope id.
    pub(super) fn scope_fact<'f>(&self, files: &'f [(usize, FileFacts)], id: u32) -> &'f ScopeFact {
        let fi = self.file_of(id);
        &files[fi].1.scopes[(id - self.offsets[fi]) as usize]
    }

    /// The file (position in the crate's file list) a crate-wide scope id belongs to.
    pub(super) fn file_of(&self, scope: u32) -> usize {
        self.offsets.partition_point(|&o| o <= scope) - 1
    }

    /// The nearest enclosing fn of a scope (or the scope itself outside fns).
    pub(super) fn enclosing_fn(&self, mut scope: u32) -> u32 {
        let start = scope;
        loop {
            if self.is_fn[scope as usize] {
                return scope;
            }
            match self.parent[scope as usize] {
                Some(p) => scope = p,
                None => return start,
            }
        }
    }

    /// Does a fn calling `root` (up to `hops` calls up) satisfy the predicate in its own body?
    fn caller_hits(&self, root: u32, predicate: u16, hops: u8) -> bool {
        let mut seen: HashSet<u32> = HashSet::new();
        let mut frontier = vec![self.enclosing_fn(root)];
        for _ in 0..hops {
            let mut next = Vec::new();
            for s in frontier {
                for &c in &self.callers[s as usize] {
                    let f = self.enclosing_fn(c);
                    if seen.insert(f) {
                        if self.reaches(&[f], predicate, 0) {
                            return true;
                        }
                        next.push(f);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        false
    }

    /// Crate-wide scope ids where reachability starts.
    fn roots(&self, file: usize, names: &[Box<str>], roots: &Roots) -> Vec<u32> {
        let mut out: Vec<u32> = roots
            .scopes
            .iter()
            .map(|s| self.offsets[file] + s)
            .collect();
        for &c in &roots.callees {
            if let Some(targets) =
                callee_targets(&self.fn_table, &self.method_table, &names[c as usize])
            {
                out.extend(targets.iter().copied());
            }
        }
        out
    }

    /// Is `predicate` satisfied in the roots, their nested closures, or same-crate fns they
    /// call, at most `hops` calls away?
    pub(super) fn reaches(&self, roots: &[u32], predicate: u16, hops: u8) -> bool {
        let mut seen: HashSet<u32> = HashSet::new();
        let mut queue: VecDeque<(u32, u8)> = roots.iter().map(|&r| (r, 0)).collect();
        while let Some((s, depth)) = queue.pop_front() {
            if !seen.insert(s) {
                continue;
            }
            if self.hits[s as usize].contains(&predicate) {
                return true;
            }
            for &c in &self.children[s as usize] {
                queue.push_back((c, depth));
            }
            if depth < hops {
                for &t in &self.edges[s as usize] {
                    queue.push_back((t, depth + 1));
                }
            }
        }
        false
    }
}
