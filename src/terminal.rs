//! Terminal manners: whether to colour and how wide to wrap, as other command-line tools
//! decide it (`--color`, `FORCE_COLOR`/`CLICOLOR_FORCE`, `NO_COLOR`, `COLUMNS`).

use std::io::IsTerminal;

use crate::cli::ColorChoice;

/// Wrapping width when neither `COLUMNS` nor the terminal says.
pub const DEFAULT_WIDTH: usize = 100;

/// Whether output to a stream (a terminal or not) is coloured.
pub fn color(choice: ColorChoice, is_terminal: bool) -> bool {
    color_with(choice, is_terminal, &|name| std::env::var(name).ok())
}

/// `color`, reading the environment through `env` (for tests). An explicit `--color` wins;
/// then `FORCE_COLOR` / `CLICOLOR_FORCE` (set and not `0`) turn colour on and `NO_COLOR`
/// (set and not empty, see no-color.org) turns it off; else a terminal gets colour.
pub fn color_with(
    choice: ColorChoice,
    is_terminal: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let forced = ["FORCE_COLOR", "CLICOLOR_FORCE"]
                .iter()
                .any(|v| env(v).is_some_and(|s| !s.is_empty() && s != "0"));
            if forced {
                return true;
            }
            if env("NO_COLOR").is_some_and(|s| !s.is_empty()) {
                return false;
            }
            is_terminal
        }
    }
}

/// Whether stdout and stderr are terminals.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Columns to wrap at: `COLUMNS`, else the terminal's width, else 100.
pub fn width() -> usize {
    width_with(
        &|name| std::env::var(name).ok(),
        terminal_size::terminal_size().map(|(w, _)| w.0 as usize),
    )
}

/// Whether the width comes from `COLUMNS` or a terminal on stdout (not the default).
pub fn width_is_known() -> bool {
    std::env::var("COLUMNS").is_ok_and(|c| c.trim().parse::<usize>().is_ok_and(|c| c > 0))
        || terminal_size::terminal_size().is_some()
}

pub fn width_with(env: &dyn Fn(&str) -> Option<String>, terminal: Option<usize>) -> usize {
    env("COLUMNS")
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or(terminal.filter(|&c| c > 0))
        .unwrap_or(DEFAULT_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn explicit_choice_wins_then_force_then_no_color_then_the_terminal() {
        let none = env(&[]);
        assert!(color_with(
            ColorChoice::Always,
            false,
            &env(&[("NO_COLOR", "1")])
        ));
        assert!(!color_with(
            ColorChoice::Never,
            true,
            &env(&[("FORCE_COLOR", "1")])
        ));
        assert!(color_with(
            ColorChoice::Auto,
            false,
            &env(&[("FORCE_COLOR", "1")])
        ));
        assert!(color_with(
            ColorChoice::Auto,
            false,
            &env(&[("CLICOLOR_FORCE", "1")])
        ));
        assert!(!color_with(
            ColorChoice::Auto,
            false,
            &env(&[("FORCE_COLOR", "0")])
        ));
        assert!(!color_with(
            ColorChoice::Auto,
            true,
            &env(&[("NO_COLOR", "1")])
        ));
        assert!(color_with(
            ColorChoice::Auto,
            true,
            &env(&[("NO_COLOR", "")])
        ));
        assert!(color_with(ColorChoice::Auto, true, &none));
        assert!(!color_with(ColorChoice::Auto, false, &none));
    }

    #[test]
    fn width_from_columns_then_terminal_then_100() {
        assert_eq!(width_with(&env(&[("COLUMNS", "80")]), Some(120)), 80);
        assert_eq!(width_with(&env(&[("COLUMNS", "x")]), Some(120)), 120);
        assert_eq!(width_with(&env(&[]), None), 100);
        assert_eq!(width_with(&env(&[("COLUMNS", "0")]), None), 100);
    }
}
