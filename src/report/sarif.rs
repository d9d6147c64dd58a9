//! `--format sarif` (to be written).

use super::Outcome;
use crate::rules::compile::RuleSet;

pub fn render(outcome: &Outcome, rules: &RuleSet) -> String {
    let _ = outcome;
    let _ = rules;
    String::new()
}
