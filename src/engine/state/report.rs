//! Stage 4: one finding per piece of state, at its declaration (the static, the field, the
//! `let` that is registered or owned by a task), with where it is registered and changed as
//! related locations, and the evidence that made it fire.

use std::collections::HashSet;

use crate::engine::crate_phase::{primary_context, suppressing};
use crate::engine::fingerprint::about;
use crate::report::{Evidence, Finding, Related};
use crate::rules::template::Vars;
use crate::source::Location;

use super::classify::Judged;
use super::holders::Model;
use super::{Decl, Holder, Input, Outcome};

/// At most this many mutation sites are listed per finding.
const MAX_SITES: usize = 5;

pub(super) fn findings<'a>(
    input: &Input<'a>,
    model: &Model<'a>,
    judged: Vec<Judged>,
) -> Outcome<'a> {
    let mut out = Outcome::default();
    let mut seen: HashSet<(usize, usize, u32)> = HashSet::new();
    for j in one_per_anchor(input, model, judged) {
        let h = &model.holders[j.holder];
        // Reported where the long-lived value is held: the root's own field the state is
        // reached through (`AppState.inner`, holding `Inner.sessions`).
        let at = &model.holders[h.anchor];
        let rule = input.rules.blocks[j.block].rule;
        let loc = at.decl.site().loc;
        // One finding per rule and declaration (two holders may share one: a registered `let`,
        // the maps of one struct behind one lock).
        if !seen.insert((rule, at.file, loc.start)) {
            continue;
        }
        let finding = finding(input, h, at, &j);
        let (unit_file, facts) = (&input.files[h.file].0, &input.files[h.file].1);
        if let Some(i) = suppressing(facts, &finding) {
            out.used.insert((*unit_file, i, finding.rule.clone()));
            continue;
        }
        let index = out.findings.len();
        match at.decl {
            Decl::Static(s) => {
                out.covered_scopes
                    .insert(input.index.offsets[h.file] + s.scope, index);
            }
            Decl::Field(f) => {
                out.covered_owners.push((
                    f.owner.to_string(),
                    f.name.to_string(),
                    rule,
                    f.ty.rendered(false),
                    index,
                ));
            }
            _ => {}
        }
        let meta = &input.rules.rules[rule];
        if meta.across_crates && finding.severity >= crate::rules::model::Severity::Warning {
            let sites = j.live.iter().map(|&i| h.sites[i].scope).collect();
            out.exports.push((h.name, sites, rule, out.findings.len()));
        }
        out.findings.push(finding);
    }
    out
}

fn finding(input: &Input, h: &Holder, at: &Holder, j: &Judged) -> Finding {
    let rules = input.rules;
    let block = &rules.blocks[j.block];
    let meta = &rules.rules[block.rule];
    let site = at.decl.site();
    let file = &input.unit.files[input.files[at.file].0];
    let first = j.live.first().map(|&i| &h.sites[i]);
    let ctx = first.map_or(0, |s| input.index.contexts[s.scope as usize]);
    let context = primary_context(ctx, rules);
    let ty = h.ty.rendered(false);
    let display = if std::ptr::eq(h, at) {
        h.display.clone()
    } else {
        format!("{}.{}", at.display, h.name)
    };
    let vars = Vars {
        name: Some(&display),
        ty: Some(&ty),
        path: None,
        context: context.as_deref(),
        crate_name: Some(&input.unit.name),
    };
    let message = block
        .message
        .as_ref()
        .unwrap_or(&meta.message)
        .render(&vars);
    let mut related: Vec<Related> = h
        .via
        .iter()
        .map(|v| related_at(input, v.file, v.loc, v.label.clone()))
        .collect();
    if !std::ptr::eq(h, at) {
        related.push(related_at(
            input,
            h.file,
            h.decl.site().loc,
            format!("the state itself: `{}`", h.display),
        ));
    }
    for &i in j.live.iter().take(MAX_SITES) {
        let s = &h.sites[i];
        related.push(related_at(
            input,
            s.file,
            s.mutation.loc,
            site_label(input, s.scope, &s.mutation.op),
        ));
    }
    related.dedup_by(|a, b| a.file == b.file && a.line == b.line);
    let evidence = Evidence {
        block: block_label(input, j.block),
        holder: Some(format!("{} {display}", h.kind.as_str())),
        holds: Some(j.holds.as_str().to_string()),
        mutation: first.map(|s| {
            let f = &input.unit.files[input.files[s.file].0];
            format!("{}:{} {}", f.display, s.mutation.loc.line, s.mutation.op)
        }),
        context: context.clone(),
        call: None,
    };
    Finding {
        rule: meta.id.clone(),
        severity: block.severity.unwrap_or(meta.severity),
        checklist: meta.checklist,
        message,
        help: block.help.clone().unwrap_or_else(|| meta.help.clone()),
        file: file.display.clone(),
        line: site.loc.line,
        column: site.loc.column,
        end_line: site.loc.end_line,
        end_column: site.loc.end_column,
        snippet: site.snippet.to_string(),
        crate_name: input.unit.name.clone(),
        context,
        reached_from: None,
        state_at: None,
        related,
        evidence: Some(evidence),
        // About the state itself: editing the rest of the declaration keeps it known.
        fingerprint: about(
            &meta.id,
            &file.rel,
            &site.item,
            None,
            Some(&display),
            &site.snippet,
        ),
        path: file.path.clone(),
        byte_start: site.loc.start,
        byte_end: site.loc.end,
    }
}

fn related_at(input: &Input, fi: usize, loc: Location, label: String) -> Related {
    let file = &input.unit.files[input.files[fi].0];
    Related {
        file: file.display.clone(),
        line: loc.line,
        column: loc.column,
        end_line: loc.end_line,
        end_column: loc.end_column,
        label,
    }
}

/// `` `insert` in handler `login` `` (the context, and the fn the site is in).
fn site_label(input: &Input, scope: u32, op: &str) -> String {
    let ctx = input.index.contexts[scope as usize];
    let context = primary_context(ctx, input.rules);
    let function = input
        .index
        .scope_fact(input.files, input.index.enclosing_fn(scope))
        .fn_name
        .as_deref()
        .map(|n| format!(" `{n}`"))
        .unwrap_or_default();
    let what = match op {
        "=" | "+=" => "assigned".to_string(),
        other => format!("`{other}`"),
    };
    match context {
        Some(c) => format!("{what} in {c}{function}"),
        None => format!("{what} in{function}")
            .trim_end_matches(" in")
            .to_string(),
    }
}

/// `in-process-cache[3]`: the rule and the block's number among the rule's blocks.
fn block_label(input: &Input, block: usize) -> String {
    let rules = input.rules;
    let rule = rules.blocks[block].rule;
    let n = rules.blocks[..=block]
        .iter()
        .filter(|b| b.rule == rule)
        .count();
    format!("{}[{n}]", rules.rules[rule].id)
}

/// One piece of state, one finding: of the holders reported at one anchor (a static and the
/// maps of the struct it holds), those reached through it say what it is, and of their rules
/// the most specific wins (a token map makes the struct a session store, not a cache).
fn one_per_anchor(input: &Input, model: &Model, judged: Vec<Judged>) -> Vec<Judged> {
    let rules = input.rules;
    let anchor_of = |j: &Judged| model.holders[j.holder].anchor;
    let deep: HashSet<usize> = judged
        .iter()
        .filter(|j| anchor_of(j) != j.holder)
        .map(anchor_of)
        .collect();
    let kept: Vec<Judged> = judged
        .into_iter()
        .filter(|j| anchor_of(j) != j.holder || !deep.contains(&j.holder))
        .collect();
    let mut superseded: HashSet<(usize, String)> = HashSet::new();
    for j in &kept {
        for id in &rules.rules[rules.blocks[j.block].rule].supersedes {
            superseded.insert((anchor_of(j), id.clone()));
        }
    }
    kept.into_iter()
        .filter(|j| {
            let id = &rules.rules[rules.blocks[j.block].rule].id;
            !superseded.contains(&(anchor_of(j), id.clone()))
        })
        .collect()
}
