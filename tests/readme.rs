//! The README, followed to the letter by a newcomer: its install command, its demo excerpt
//! (what the demo prints today), its test command (what CI runs), and no install URL.

mod common;

use common::{repo, statelint_env};

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

/// The fenced block that follows the first line containing `after`.
fn block_after(text: &str, after: &str) -> String {
    let rest = &text[text
        .find(after)
        .unwrap_or_else(|| panic!("README lacks {after:?}"))..];
    let start = rest.find("\n```\n").expect("a block follows") + 5;
    let end = rest[start..].find("\n```").expect("the block ends");
    rest[start..start + end].to_string()
}

#[test]
fn the_demo_excerpt_is_what_the_demo_prints() {
    let text = readme();
    assert!(text.contains("```sh\ncargo run --release -- check fixtures/demo-service\n```"));
    let excerpt = block_after(&text, "It prints (at 100 columns");
    let run = statelint_env(
        &["check", "fixtures/demo-service"],
        repo(),
        &[("COLUMNS", "100")],
    );
    assert_eq!(run.code, 1);
    // Trailing spaces aside (editors strip them), each part between `...` lines is printed as
    // it stands, in this order.
    let printed: String = run
        .stdout
        .lines()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    let mut from = 0;
    for part in excerpt.split("\n...\n") {
        let part = format!("{}\n", part.trim_end_matches('\n'));
        match printed[from..].find(&part) {
            Some(at) => from += at + part.len(),
            None => panic!(
                "README excerpt part not printed by the demo (in order):\n{part}\n--- the demo prints:\n{printed}"
            ),
        }
    }
    assert!(
        printed.ends_with(&format!(
            "{}\n",
            excerpt.rsplit("\n...\n").next().unwrap().trim_end()
        )),
        "the excerpt ends where the report ends"
    );
}

#[test]
fn install_and_test_commands_are_the_ones_that_work() {
    let text = readme();
    assert!(
        text.contains("```sh\ncargo install --locked --path .\n```"),
        "install command"
    );
    // No install URL that may not exist: the reader names the URL.
    assert!(!text.contains("--git https://"), "an install URL");
    assert!(text.contains("```sh\ncargo test\n```"));
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l == "cargo test --locked"),
        ".ci/run runs the README's test command"
    );
}
