//! State one crate keeps and another crate of the same run reaches.
//!
//! A workspace splits a service into crates: the websocket crate keeps the rooms, the API
//! crate sends `SendRoomMessage` to its actor; the utils crate writes the config file, the
//! admin handler calls `Settings::save_config_file`. Judging each crate alone reports the
//! state where it lives but not the code that relies on it. For rules marked
//! `across-crates`, each crate exports the fns that have such a finding or use the state it
//! names (and their callers, two calls up), and the messages whose handlers do; a call or
//! message from another crate that depends on it is then reported where it is made.
//!
//! Only crates checked in the same run and of the same project are linked (`statelint check .`
//! in a workspace; see `siblings`): a dependency from crates.io is not read.

use std::collections::{HashMap, HashSet};

use crate::report::{Finding, StateAt};
use crate::rules::compile::{CtxSet, RuleSet};
use crate::rules::kinds::NodeKind;
use crate::rules::model::Severity;
use crate::syntax::facts::{Candidate, FileFacts, ForeignCall};
use crate::workspace::discover::CrateUnit;

use super::crate_phase::{
    CrateIndex, UsedSuppressions, primary_context, report_suppressions, suppressing,
};

/// How many calls up from the code that has the finding an exported fn may be: a handler
/// that calls the method that calls the helper that sends.
const EXPORT_HOPS: u8 = 2;

/// A way into a crate's reported state from outside it.
#[derive(Clone, Debug)]
pub struct Export {
    /// `Type::method` or `free_fn`, or for a message the message type's name.
    pub key: String,
    pub message: bool,
    pub rule: usize,
    /// The finding reached, as reported in its own crate.
    pub finding_message: String,
    pub file: String,
    pub line: u32,
    /// Calls between the exported fn and the code that has the finding: when a handler
    /// reaches several findings, the nearest names the state best (`mod_rooms` rather than
    /// the `sessions` every send ends in).
    pub depth: u8,
}

/// Exports by the name paths into the crate start with.
pub type ExportsByCrate = HashMap<String, Vec<Export>>;

/// The name paths use for a crate of the run (`my-utils` is `my_utils`).
pub fn lib_name(unit: &CrateUnit) -> String {
    unit.name.replace('-', "_")
}

/// Per crate: the crates of the same project in this run that it depends on, by the name
/// its paths use. Same project: a `path` (or workspace) dependency, or both published from
/// one repository. A registry crate that merely happens to be in the run (a vendor
/// directory) is someone else's code: what it keeps is not this project's state.
pub fn siblings(units: &[CrateUnit]) -> Vec<HashSet<String>> {
    let projects: HashMap<String, Option<&str>> = units
        .iter()
        .map(|u| {
            let project = u.package.as_ref().and_then(|p| p.project.as_deref());
            (lib_name(u), project)
        })
        .collect();
    units
        .iter()
        .map(|u| {
            let own = lib_name(u);
            let Some(p) = u.package.as_ref() else {
                return HashSet::new();
            };
            p.dependency_packages
                .iter()
                .filter(|d| **d != own)
                .filter(|d| match projects.get(d.as_str()) {
                    None => false,
                    Some(theirs) => {
                        p.local_dependencies.contains(d.as_str())
                            || (p.project.is_some() && p.project.as_deref() == *theirs)
                    }
                })
                .cloned()
                .collect()
        })
        .collect()
}

/// A finding other crates may reach, and where its state is touched in this crate.
pub(super) enum Exportable<'c> {
    /// A candidate's finding (position in `files`, candidate, finding index).
    Candidate(usize, &'c Candidate, usize),
    /// A state-model finding: the holder's name, the fns that change it, rule and finding.
    State {
        name: &'c str,
        sites: Vec<u32>,
        rule: usize,
        finding: usize,
    },
}

/// The fns and messages through which `exportable` findings are reached.
pub(super) fn exports(
    index: &CrateIndex,
    files: &[(usize, FileFacts)],
    rules: &RuleSet,
    exportable: &[Exportable],
    findings: &[Finding],
) -> Vec<Export> {
    // State name -> fns that use it (fields by name, statics by their SCREAMING name).
    let mut uses: HashMap<&str, Vec<u32>> = HashMap::new();
    for (fi, (_, f)) in files.iter().enumerate() {
        for (si, s) in f.scopes.iter().enumerate() {
            for &n in &s.state_uses {
                let scope = index.enclosing_fn(index.offsets[fi] + si as u32);
                uses.entry(&f.names[n as usize]).or_default().push(scope);
            }
        }
    }
    let mut out: Vec<Export> = Vec::new();
    let mut seen: HashMap<(String, bool, usize), usize> = HashMap::new();
    for e in exportable {
        let (rule, finding, touching): (usize, usize, Vec<u32>) = match e {
            Exportable::Candidate(fi, cand, finding) => {
                let block = &rules.blocks[cand.block as usize];
                let holds_state = matches!(block.kind, NodeKind::Field | NodeKind::Static);
                let touching = match (&cand.name, holds_state) {
                    (Some(name), true) => uses.get(&**name).cloned().unwrap_or_default(),
                    _ => vec![index.enclosing_fn(index.offsets[*fi] + cand.scope)],
                };
                (block.rule, *finding, touching)
            }
            Exportable::State {
                name,
                sites,
                rule,
                finding,
            } => {
                let mut touching: Vec<u32> = sites.iter().map(|&s| index.enclosing_fn(s)).collect();
                touching.extend(uses.get(name).into_iter().flatten().copied());
                touching.sort_unstable();
                touching.dedup();
                (*rule, *finding, touching)
            }
        };
        let meta = &rules.rules[rule];
        for (f, depth) in callers_within(index, &touching, EXPORT_HOPS) {
            if index.contexts[f as usize] & rules.excluded_by_default != 0 {
                continue;
            }
            if let Some(p) = meta.across_crates_calls
                && !index.reaches(&[f], p, EXPORT_HOPS)
            {
                continue;
            }
            let scope = index.scope_fact(files, f);
            let keys = [
                scope.handles.as_deref().map(|m| (m, true)),
                scope.fn_name.as_deref().map(|n| (n, false)),
            ];
            for (key, message) in keys.into_iter().flatten() {
                let id = (key.to_string(), message, rule);
                let at = seen.get(&id).copied();
                // Per key and rule, the nearest finding wins.
                if at.is_some_and(|at| out[at].depth <= depth) {
                    continue;
                }
                let reported = &findings[finding];
                let export = Export {
                    key: id.0.clone(),
                    message,
                    rule,
                    finding_message: reported.message.clone(),
                    file: reported.file.clone(),
                    line: reported.line,
                    depth,
                };
                match at {
                    Some(at) => out[at] = export,
                    None => {
                        seen.insert(id, out.len());
                        out.push(export);
                    }
                }
            }
        }
    }
    out
}

/// `start` and the fns calling them, up to `hops` calls up, with how many calls up.
fn callers_within(index: &CrateIndex, start: &[u32], hops: u8) -> Vec<(u32, u8)> {
    let mut seen: HashSet<u32> = start.iter().copied().collect();
    let mut all: Vec<(u32, u8)> = start.iter().map(|&s| (s, 0)).collect();
    let mut frontier = start.to_vec();
    for depth in 1..=hops {
        let mut next = Vec::new();
        for s in frontier {
            for &c in &index.callers[s as usize] {
                let f = index.enclosing_fn(c);
                if seen.insert(f) {
                    all.push((f, depth));
                    next.push(f);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    all.sort_unstable();
    all
}

/// The exports a call or message from another crate reaches (none when it reaches no state).
fn lookup<'e>(call: &ForeignCall, exports: &'e ExportsByCrate) -> Vec<&'e Export> {
    let segments: Vec<&str> = call.target.split("::").collect();
    let Some(list) = segments.first().and_then(|c| exports.get(*c)) else {
        return Vec::new();
    };
    let last = segments.last().copied().unwrap_or_default();
    if call.message {
        return list.iter().filter(|e| e.message && e.key == last).collect();
    }
    // `krate::module::Type::method` is `Type::method`; `krate::module::free_fn` is `free_fn`.
    let qualified = (segments.len() >= 3).then(|| {
        let qualifier = segments[segments.len() - 2];
        format!("{qualifier}::{last}")
    });
    let found: Vec<&Export> = list
        .iter()
        .filter(|e| !e.message && Some(&e.key) == qualified.as_ref())
        .collect();
    if !found.is_empty() {
        return found;
    }
    list.iter()
        .filter(|e| !e.message && e.key == last)
        .collect()
}

/// What the second step needs of one file: its calls into other crates with their contexts,
/// and its suppressions (the rest of the file's facts is dropped after the crate's own step).
pub struct ForeignFile {
    pub file_idx: usize,
    pub calls: Vec<(ForeignCall, CtxSet)>,
    /// Only `suppressions` and `suppression_snippets` are set.
    pub facts: FileFacts,
}

/// Keeps what `resolve_foreign_calls` needs from a crate's facts.
pub fn foreign_files(
    files: Vec<(usize, FileFacts)>,
    contexts: Vec<Vec<CtxSet>>,
) -> Vec<ForeignFile> {
    files
        .into_iter()
        .zip(contexts)
        .map(|((file_idx, f), ctx)| ForeignFile {
            file_idx,
            calls: f.foreign_calls.into_iter().zip(ctx).collect(),
            facts: FileFacts {
                suppressions: f.suppressions,
                suppression_snippets: f.suppression_snippets,
                ..Default::default()
            },
        })
        .collect()
}

/// Findings where this crate calls into, or messages, another crate's reported state; then
/// the crate's unused suppressions, now that every finding that may use one is known.
pub fn resolve_foreign_calls(
    unit: &CrateUnit,
    files: &[ForeignFile],
    rules: &RuleSet,
    exports: &ExportsByCrate,
    mut used: UsedSuppressions,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen: HashSet<(usize, usize, u32)> = HashSet::new();
    for file in files {
        for (call, ctx) in &file.calls {
            if ctx & rules.excluded_by_default != 0 {
                continue;
            }
            let mut found = lookup(call, exports);
            // Per rule, the nearest state names it best.
            found.sort_by_key(|e| (e.rule, e.depth));
            for e in found {
                if !seen.insert((e.rule, file.file_idx, call.loc.start)) {
                    continue;
                }
                let finding = foreign_finding(unit, file.file_idx, call, e, *ctx, rules);
                if let Some(i) = suppressing(&file.facts, &finding) {
                    used.insert((file.file_idx, i, finding.rule.clone()));
                    continue;
                }
                findings.push(finding);
            }
        }
    }
    if rules.is_enabled("unused-suppression") {
        for file in files {
            report_suppressions(
                unit,
                file.file_idx,
                &file.facts,
                &used,
                rules,
                &mut findings,
            );
        }
    }
    findings
}

fn foreign_finding(
    unit: &CrateUnit,
    file_idx: usize,
    call: &ForeignCall,
    e: &Export,
    ctx: CtxSet,
    rules: &RuleSet,
) -> Finding {
    let meta = &rules.rules[e.rule];
    let file = &unit.files[file_idx];
    let krate = call.target.split("::").next().unwrap_or_default();
    let what = if call.message {
        format!("message `{}` is handled in crate `{krate}`", e.key)
    } else {
        format!("`{}` in crate `{krate}`", e.key)
    };
    Finding {
        rule: meta.id.clone(),
        // The state itself is reported (at its own severity) where it lives.
        severity: Severity::Warning,
        checklist: meta.checklist,
        message: format!(
            "{what}, where {} ({}:{})",
            e.finding_message, e.file, e.line
        ),
        help: meta.help.clone(),
        file: file.display.clone(),
        line: call.loc.line,
        column: call.loc.column,
        end_line: call.loc.end_line,
        end_column: call.loc.end_column,
        snippet: call.snippet.to_string(),
        crate_name: unit.name.clone(),
        context: primary_context(ctx, rules),
        reached_from: None,
        related: Vec::new(),
        evidence: None,
        state_at: Some(StateAt {
            file: e.file.clone(),
            line: e.line,
        }),
        fingerprint: super::fingerprint::about(
            &meta.id,
            &file.rel,
            &call.item,
            Some(&call.target),
            None,
            &call.snippet,
        ),
        path: file.path.clone(),
        byte_start: call.loc.start,
        byte_end: call.loc.end,
    }
}
