//! `--format github` (to be written).

use super::Outcome;

pub fn render(outcome: &Outcome) -> String {
    let _ = outcome;

    String::new()
}
