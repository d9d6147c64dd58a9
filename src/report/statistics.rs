//! `--statistics`: how many findings each rule has, most first (as ruff's `--statistics`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::Outcome;
use crate::rules::compile::RuleSet;

#[derive(Serialize)]
struct Row<'a> {
    rule: &'a str,
    count: usize,
    title: &'a str,
}

fn rows<'a>(outcome: &'a Outcome, rules: &'a RuleSet) -> Vec<Row<'a>> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &outcome.findings {
        *counts.entry(f.rule.as_str()).or_default() += 1;
    }
    let mut rows: Vec<Row> = counts
        .into_iter()
        .map(|(rule, count)| Row {
            rule,
            count,
            title: rules.rule(rule).map_or("", |r| r.title.as_str()),
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(b.rule)));
    rows
}

/// `  3  in-memory-session  session state held in the process`, one line a rule.
pub fn render(outcome: &Outcome, rules: &RuleSet) -> String {
    let rows = rows(outcome, rules);
    let count_w = rows
        .iter()
        .map(|r| r.count.to_string().len())
        .max()
        .unwrap_or(1);
    let rule_w = rows.iter().map(|r| r.rule.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in &rows {
        let _ = writeln!(
            out,
            "{:>count_w$}  {:<rule_w$}  {}",
            r.count, r.rule, r.title
        );
    }
    out
}

pub fn render_json(outcome: &Outcome, rules: &RuleSet) -> String {
    let mut s = serde_json::to_string_pretty(&rows(outcome, rules)).unwrap_or_default();
    s.push('\n');
    s
}
