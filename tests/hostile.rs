//! Hostile input: what CI meets on every branch of every repository. Each test asserts that the
//! run finishes, exits 0/1/2 as documented, still reports the other files' findings, and lists
//! the bad file in `errors` (or, for files that are fine but odd, reports nothing for them).

mod common;

use std::path::Path;
use std::process::Command;

use common::{statelint, statelint_env};
use std::sync::atomic::AtomicUsize;

use serde_json::Value;

/// `statelint check . --format json` in `dir`, parsed.
fn check_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let run = statelint(&args, dir);
    let v = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr));
    (run.code, v)
}

/// A crate whose `src/main.rs` has one finding on line 2, plus the given files.
fn crate_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"t\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    write(dir.path(), "src/main.rs", GOOD_MAIN);
    for (name, content) in files {
        write(dir.path(), name, content);
    }
    dir
}

const GOOD_MAIN: &[u8] =
    b"fn handler() {\n    std::fs::write(\"upload.bin\", b\"x\").unwrap();\n}\nfn main() {}\n";

fn write(root: &Path, name: &str, content: &[u8]) {
    let p = root.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// (file, rule, line) of every finding.
fn findings(v: &Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// (file, kind) of every error.
fn errors(v: &Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `GOOD_MAIN` (its write then on line 3) in a `src/main.rs` that also declares `module`.
fn main_declaring(module: &str) -> String {
    format!("mod {module};\n{}", String::from_utf8_lossy(GOOD_MAIN))
}

fn main_finding() -> (String, String, u64) {
    ("src/main.rs".into(), "local-file-write".into(), 2)
}

#[test]
fn unparsable_and_too_new_syntax_are_listed_and_the_rest_is_linted() {
    let dir = crate_with(&[
        ("src/half.rs", b"fn half_written(x: u32 {\n    let y = \n"),
        // Postfix `match` is unstable syntax syn 2 does not know.
        (
            "src/newer.rs",
            b"fn f(x: u8) -> u8 {\n    x.match {\n        _ => 1,\n    }\n}\n",
        ),
    ]);
    let (code, v) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&v), [main_finding()]);
    assert_eq!(
        errors(&v),
        [
            ("src/half.rs".into(), "parse".into()),
            ("src/newer.rs".into(), "parse".into())
        ]
    );
    assert_eq!(v["errors"][1]["line"], 2, "{}", v["errors"][1]);
    // Parse errors alone (no findings) still fail the run: the check was incomplete.
    let (code, _) = check_json(dir.path(), &["--select", "in-memory-session"]);
    assert_eq!(code, 1);
}

#[test]
fn encodings_bom_and_crlf_keep_lines_and_columns_right() {
    let dir = crate_with(&[
        ("src/latin1.rs", b"// caf\xe9\nfn f() {}\n"),
        (
            "src/bom_crlf.rs",
            "\u{FEFF}use std::fs;\r\n\r\n// é ü\r\nfn k() { let s = \"é\"; fs::write(\"x\", s).unwrap(); }\r\n"
                .as_bytes(),
        ),
        (
            "src/crlf.rs",
            b"fn a() {}\r\nfn b() {\r\n    std::fs::write(\"y\", \"z\").unwrap();\r\n}\r\n",
        ),
    ]);
    let (code, v) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(errors(&v), [("src/latin1.rs".into(), "utf8".into())]);
    assert_eq!(v["errors"][0]["line"], 1);
    let f: Vec<&Value> = v["findings"].as_array().unwrap().iter().collect();
    assert_eq!(f.len(), 3, "{v:#}");
    // `fn k() { let s = "é"; ` is 22 characters (not 23 bytes): the call starts at column 23.
    assert_eq!(f[0]["file"], "src/bom_crlf.rs");
    assert_eq!((&f[0]["line"], &f[0]["column"]), (&4.into(), &23.into()));
    assert_eq!(f[0]["end_column"], 40);
    assert_eq!(
        f[0]["snippet"],
        "fn k() { let s = \"é\"; fs::write(\"x\", s).unwrap(); }"
    );
    assert_eq!(f[1]["file"], "src/crlf.rs");
    assert_eq!((&f[1]["line"], &f[1]["column"]), (&3.into(), &5.into()));
    assert_eq!(f[2]["file"], "src/main.rs");
}

#[test]
fn deep_nesting_is_skipped_cleanly_and_moderate_nesting_is_linted() {
    let n = 20_000;
    let parens = format!(
        "fn f() {{ let x = {}1{}; }}\n",
        "(".repeat(n),
        ")".repeat(n)
    );
    let blocks = format!("fn f() {}{}\n", "{".repeat(n), "}".repeat(n));
    // Nesting without brackets recurses in syn too.
    let generics = format!("type T = {}u8{};\n", "Vec<".repeat(n), ">".repeat(n));
    let closures = format!("fn f() {{ let g = {}1; }}\n", "|x| ".repeat(n));
    let refs = format!("fn f() {{ let r = {}1; }}\n", "&".repeat(n));
    // 1000 levels is absurd for real code but must still be linted, finding included.
    let moderate = format!(
        "fn f() {{ let x = {}std::fs::write(\"a\", \"b\"){}; }}\n",
        "(".repeat(1000),
        ")".repeat(1000)
    );
    let dir = crate_with(&[
        ("src/parens.rs", parens.as_bytes()),
        ("src/blocks.rs", blocks.as_bytes()),
        ("src/generics.rs", generics.as_bytes()),
        ("src/closures.rs", closures.as_bytes()),
        ("src/refs.rs", refs.as_bytes()),
        ("src/moderate.rs", moderate.as_bytes()),
    ]);
    let (code, v) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&v),
        [
            main_finding(),
            ("src/moderate.rs".into(), "local-file-write".into(), 1)
        ]
    );
    let deep: Vec<(String, String)> = ["blocks", "closures", "generics", "parens", "refs"]
        .iter()
        .map(|f| (format!("src/{f}.rs"), "too-deep".to_string()))
        .collect();
    assert_eq!(errors(&v), deep);
}

/// Runs statelint and returns its exit code, stdout and peak resident memory in bytes.
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which also gives its rusage
fn run_measuring_memory(args: &[&str], cwd: &Path) -> (i32, String, u64) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_statelint"))
        .args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("statelint runs");
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut status = 0;
    // SAFETY: wait4 writes only into the two values we pass; `child` is not waited on again.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let pid = libc::wait4(child.id() as i32, &mut status, 0, &mut usage);
        assert_eq!(pid, child.id() as i32);
        usage
    };
    assert!(libc::WIFEXITED(status), "statelint did not exit normally");
    (
        libc::WEXITSTATUS(status),
        stdout,
        usage.ru_maxrss as u64 * 1024,
    )
}

/// Generated code as prost or bindgen write it, with one finding on the returned line.
fn generated_source(size: usize) -> (String, u64) {
    let mut text = String::with_capacity(size + 4096);
    let mut i: usize = 0;
    while text.len() < size {
        let parent = i.saturating_sub(1);
        text.push_str(&format!(
            "/// Generated message {i}.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Message{i} {{
    #[prost(string, tag = \"1\")]
    pub name: ::prost::alloc::string::String,
    #[prost(message, optional, tag = \"2\")]
    pub parent: ::core::option::Option<Message{parent}>,
}}
impl Message{i} {{
    pub fn len_hint(&self) -> usize {{
        self.name.len() + if self.parent.is_some() {{ 16 }} else {{ 0 }}
    }}
}}
"
        ));
        i += 1;
    }
    let line = text.lines().count() as u64 + 1;
    text.push_str("pub fn dump() { std::fs::write(\"dump.bin\", b\"\").unwrap(); }\n");
    (text, line)
}

/// A generated file of a few megabytes: big enough that what statelint adds to parsing shows
/// in its peak memory, small enough for `cargo test` on a 2-core, 2 GB budget.
#[test]
fn a_4_mb_generated_file_is_linted_with_proportionate_memory() {
    generated_file_is_linted_with_proportionate_memory(4 << 20);
}

/// The same at 30 MB: syn's tree alone then takes about 3 GB, more than `cargo test` may use,
/// so `.ci/run` runs it on the release binary (`cargo test --release --test hostile --
/// --ignored`).
#[test]
#[ignore = "heavy (3 GB): .ci/run runs it with --release"]
fn a_30_mb_generated_file_is_linted_with_proportionate_memory() {
    generated_file_is_linted_with_proportionate_memory(30 << 20);
}

fn generated_file_is_linted_with_proportionate_memory(size: usize) {
    let (text, line) = generated_source(size);
    let dir = crate_with(&[("src/generated.rs", text.as_bytes())]);
    let (code, v) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(errors(&v), []);
    assert_eq!(
        findings(&v),
        [
            ("src/generated.rs".into(), "local-file-write".into(), line),
            main_finding()
        ]
    );
    // syn's tree of a file is far larger than its text (about 90x here); what statelint adds
    // on top of parsing must stay small.
    #[cfg(target_os = "linux")]
    {
        let (code, _, parse_rss) = run_measuring_memory(
            &["check", ".", "--parse-only", "--format", "short"],
            dir.path(),
        );
        assert_eq!(code, 0);
        let (code, _, check_rss) =
            run_measuring_memory(&["check", ".", "--format", "short"], dir.path());
        assert_eq!(code, 1);
        assert!(
            check_rss < parse_rss + parse_rss / 4 + (64 << 20),
            "check peaked at {} MB, parsing alone at {} MB",
            check_rss >> 20,
            parse_rss >> 20
        );
    }
    // --max-file-size skips (and lists) what is larger, and the rest is still linted.
    let (code, v) = check_json(dir.path(), &["--max-file-size", "1000000"]);
    assert_eq!(code, 1);
    assert_eq!(
        errors(&v),
        [("src/generated.rs".into(), "too-large".into())]
    );
    assert_eq!(findings(&v), [main_finding()]);
}

#[cfg(unix)]
#[test]
fn symlinks_fifos_and_directories_named_like_sources() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "elsewhere/far.rs",
        b"fn far() { std::fs::write(\"far\", \"x\").unwrap(); }\n",
    );
    let dir = crate_with(&[]);
    let src = dir.path().join("src");
    symlink("../src", src.join("loop")).unwrap(); // a directory loop
    symlink("self_loop.rs", src.join("self_loop.rs")).unwrap(); // a link to itself
    symlink(outside.path().join("elsewhere"), src.join("outside")).unwrap(); // a dir out of the tree
    symlink(
        outside.path().join("elsewhere/far.rs"),
        src.join("linked.rs"),
    )
    .unwrap(); // a file
    std::fs::create_dir(src.join("y.rs")).unwrap();
    let fifo = src.join("x.rs");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let have_fifo = made.is_ok_and(|s| s.success());

    let (code, v) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    // A symlinked file is a source like any other; symlinked directories are not followed.
    assert_eq!(
        findings(&v),
        [
            ("src/linked.rs".into(), "local-file-write".into(), 1),
            main_finding()
        ]
    );
    let mut expected = vec![("src/self_loop.rs".to_string(), "io".to_string())];
    if have_fifo {
        expected.push(("src/x.rs".into(), "io".into()));
    }
    assert_eq!(errors(&v), expected);
    if have_fifo {
        let x = v["errors"].as_array().unwrap().last().unwrap();
        assert!(
            x["message"]
                .as_str()
                .unwrap()
                .contains("not a regular file"),
            "{x}"
        );
    }
}

#[test]
fn empty_comment_only_and_compiled_out_files_report_nothing() {
    let dir = crate_with(&[
        ("src/empty.rs", b""),
        (
            "src/comments.rs",
            b"// nothing here\n/* nor /* here */ */\n//! docs\n",
        ),
        ("src/only_bom.rs", b"\xEF\xBB\xBF"),
        (
            "src/off.rs",
            b"#![cfg(any())]\nfn never() { std::fs::write(\"a\", \"b\").unwrap(); }\n",
        ),
        (
            "src/on.rs",
            b"#![cfg(all())]\nfn always() { std::fs::write(\"a\", \"b\").unwrap(); }\n",
        ),
    ]);
    let (code, v) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(errors(&v), []);
    assert_eq!(
        findings(&v),
        [
            main_finding(),
            ("src/on.rs".into(), "local-file-write".into(), 2)
        ]
    );
    assert_eq!(v["summary"]["files"], 6);
}

#[test]
fn missing_paths_are_usage_errors_and_the_other_paths_are_linted() {
    let dir = crate_with(&[]);
    let run = statelint(
        &["check", "no/such/dir", ".", "--format", "json"],
        dir.path(),
    );
    assert_eq!(run.code, 2);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(errors(&v), [("no/such/dir".into(), "missing".into())]);
    assert_eq!(findings(&v), [main_finding()]);
    let run = statelint(&["check", "no/such/dir", "."], dir.path());
    assert_eq!(run.code, 2);
    let shown = format!("{}{}", run.stdout, run.stderr);
    assert!(shown.contains("cannot lint `no/such/dir`"), "{shown}");
}

/// A file that disappears (or becomes unreadable) between the walk and the read: the engine
/// reports it and goes on. Run at library level, since a test running as root cannot make a
/// file unreadable.
#[test]
fn a_file_vanishing_between_walk_and_read_is_listed() {
    let dir = crate_with(&[(
        "src/gone.rs",
        b"fn g() { std::fs::write(\"a\", \"b\").unwrap(); }\n",
    )]);
    let plan = statelint::workspace::discover::discover(&[dir.path().to_path_buf()]);
    std::fs::remove_file(dir.path().join("src/gone.rs")).unwrap();
    let rules = statelint::rules::compile::compile(
        &statelint::rules::builtin_sources(),
        &Default::default(),
    )
    .unwrap();
    let options = statelint::engine::CheckOptions {
        threads: Some(2),
        max_file_size: 64 << 20,
    };
    let outcome = statelint::engine::run(&plan, &rules, &options, &AtomicUsize::new(0));
    assert_eq!(outcome.errors.len(), 1);
    assert!(outcome.errors[0].file.ends_with("src/gone.rs"));
    assert_eq!(outcome.errors[0].kind, "io");
    assert_eq!(outcome.findings.len(), 1);
    assert!(outcome.findings[0].file.ends_with("src/main.rs"));
}

/// A panic inside one rule costs that rule's findings in that file, not the run: the file is
/// listed as an internal error naming the rule, the other rules still report, exit code 1.
/// The fault is injected with a debug-build hook (`STATELINT_PANIC_IN_RULE`).
#[test]
fn a_crashing_rule_is_isolated_and_named() {
    if !cfg!(debug_assertions) {
        // The hook exists only in debug builds (the binary is built with this test's profile).
        eprintln!("skipped: STATELINT_PANIC_IN_RULE is a debug-build hook");
        return;
    }
    let dir = crate_with(&[(
        "src/cache.rs",
        b"static SEEN: std::sync::Mutex<Vec<u64>> = std::sync::Mutex::new(Vec::new());\nfn f() { std::fs::write(\"a\", \"b\").unwrap(); }\nfn g() { SEEN.lock().unwrap().push(1); }\n",
    )]);
    for stage in ["walk:", "resolve:", ""] {
        let target = format!("{stage}local-file-write");
        let run = statelint_env(
            &["check", ".", "--format", "json"],
            dir.path(),
            &[("STATELINT_PANIC_IN_RULE", &target)],
        );
        assert_eq!(run.code, 1, "{target}: {}", run.stderr);
        let v: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(
            findings(&v),
            [("src/cache.rs".into(), "in-process-cache".into(), 1)],
            "{target}"
        );
        assert_eq!(
            errors(&v),
            [
                ("src/cache.rs".into(), "internal".into()),
                ("src/main.rs".into(), "internal".into())
            ],
            "{target}"
        );
        let message = v["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("rule `local-file-write` crashed"),
            "{message}"
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    // The internal error alone fails the run even when nothing else is found.
    let run = statelint_env(
        &["check", ".", "--select", "local-file-write"],
        dir.path(),
        &[("STATELINT_PANIC_IN_RULE", "local-file-write")],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let shown = format!("{}{}", run.stdout, run.stderr);
    assert!(
        shown.contains("src/main.rs: rule `local-file-write` crashed"),
        "{shown}"
    );
}

/// Every way a rule file or a config can be broken stops the run with exit 2 and a report
/// naming the file, line and key, never a panic.
#[test]
fn broken_rule_files_and_configs_name_file_line_and_key() {
    let dir = crate_with(&[]);
    let rule = |extra: &str| {
        format!(
            "[[rule]]\nid = \"team-rule\"\nseverity = \"error\"\nmessage = \"m\"\nhelp = \"h\"\n\n[[rule.match]]\non = \"call\"\npath = [\"acme::*\"]\n{extra}"
        )
    };
    let huge = format!("name = \"{}\"\n", "\\\\w{1000}".repeat(20));
    let rule_cases: Vec<(String, &str)> = vec![
        (
            "[[rule]\nid = \"x\"\n".into(),
            "team.toml:1:8: unclosed array table",
        ),
        (
            rule("").replace("severity = \"error\"", "severity = 3"),
            "team.toml:3:12: key `severity`: expected a string",
        ),
        (
            rule("").replace("severity = \"error\"", "severity = \"fatal\""),
            "team.toml:3:12: key `severity`",
        ),
        (rule("colour = \"red\"\n"), "team.toml:10:1: key `colour`"),
        (
            rule("name = \"([unclosed\"\n"),
            "team.toml:10:8: key `name`: invalid regex",
        ),
        (
            huge,
            "key `name`: invalid regex: Compiled regex exceeds size limit",
        ),
        (rule("type = [\"Vec<[\"]\n"), "team.toml:10:8: key `type`"),
        (
            rule("").replace("path = [\"acme::*\"]", "path = [\"acme::[\"]"),
            "team.toml:9:9: key `path`: invalid glob",
        ),
        (
            rule("").replace("team-rule", "in-memory-session"),
            "team.toml:2:6: key `id`: rule `in-memory-session` is already defined",
        ),
        (
            format!("{}\n{}", rule(""), rule("")),
            "team.toml:12:6: key `id`: rule `team-rule` is already defined",
        ),
        (rule("on = \"call\"\n"), "team.toml:10:1"),
        (
            rule("").replace("on = \"call\"", "on = \"teleport\""),
            "team.toml:8:6: key `on`",
        ),
    ];
    let rules_dir = tempfile::tempdir().unwrap();
    let team = rules_dir.path().join("team.toml");
    for (text, expected) in &rule_cases {
        // The huge regex case is a bare `name` line: put it in a full rule.
        let text = if text.starts_with("name =") {
            rule(text)
        } else {
            text.clone()
        };
        std::fs::write(&team, &text).unwrap();
        let run = statelint(
            &["check", ".", "--rules", team.to_str().unwrap()],
            dir.path(),
        );
        assert_eq!(run.code, 2, "{text}\n{}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "for\n{text}\nexpected {expected:?} in:\n{}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    let config_cases = [
        ("fail-on = [\"error\"\n", "statelint.toml:1:"),
        ("select = 3\n", "statelint.toml:1:10: key `select`"),
        ("fail-on = 1\n", "statelint.toml:1:11: key `fail-on`"),
        ("colour = true\n", "statelint.toml:1:1: key `colour`"),
        (
            "ignore = [\"nope\"]\n",
            "statelint.toml:1:11: key `ignore`: unknown rule `nope`",
        ),
        (
            "select = [\"x\"]\n",
            "statelint.toml:1:11: key `select`: unknown rule `x`",
        ),
        (
            "exclude = [\"a/{b\"]\n",
            "statelint.toml:1:12: key `exclude`: invalid glob",
        ),
        ("rules = [\"no-such-dir\"]\n", "no-such-dir"),
        (
            "[severity]\nin-memory-session = \"fatal\"\n",
            "statelint.toml:2:21: key `in-memory-session`",
        ),
    ];
    for (text, expected) in config_cases {
        std::fs::write(dir.path().join("statelint.toml"), text).unwrap();
        let run = statelint(&["check", "."], dir.path());
        assert_eq!(run.code, 2, "{text}\n{}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "for {text:?} expected {expected:?} in:\n{}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

/// A check never writes into the tree it lints, whatever the format; the only file statelint
/// writes is the baseline it is asked for, where it is asked for.
#[test]
fn the_fixture_tree_is_never_written() {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let snapshot = || -> Vec<(String, Vec<u8>, Option<std::time::SystemTime>)> {
        let mut files: Vec<_> = walkdir::WalkDir::new(&tree)
            .into_iter()
            .filter_map(Result::ok)
            .map(|e| {
                let content = if e.file_type().is_file() {
                    std::fs::read(e.path()).unwrap()
                } else {
                    Vec::new()
                };
                let modified = e.metadata().ok().and_then(|m| m.modified().ok());
                (e.path().display().to_string(), content, modified)
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot();
    let out = tempfile::tempdir().unwrap();
    let baseline = out.path().join("baseline.json");
    for format in ["human", "short", "json", "sarif", "github", "markdown"] {
        let run = statelint(&["check", ".", "--format", format], &tree);
        assert!(matches!(run.code, 0..=2), "{format}: {}", run.stderr);
    }
    let run = statelint(
        &["check", ".", "--write-baseline", baseline.to_str().unwrap()],
        &tree,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = statelint(
        &["check", ".", "--baseline", baseline.to_str().unwrap()],
        &tree,
    );
    assert!(matches!(run.code, 0 | 1), "{}", run.stderr);
    let run = statelint(&["test", "."], &tree);
    assert!(matches!(run.code, 0 | 1), "{}", run.stderr);
    assert!(before == snapshot(), "statelint changed the fixture tree");
    // Only the baseline (and no temp file next to it) was written.
    let written: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(written, ["baseline.json"]);
}

/// Structs that name each other, wide and in a cycle, under a store's lock: following them
/// (each struct once) finishes and still finds the map at the bottom, changed at run time,
/// reported where the store holds it.
#[test]
fn wide_cyclic_structs_behind_a_store_lock_are_looked_into_boundedly() {
    let mut src = String::from("use std::collections::HashMap;\nuse std::sync::{Arc, Mutex};\n");
    src.push_str("pub struct JobStore {\n    inner: Arc<Mutex<Level0>>,\n}\n");
    src.push_str("impl JobStore {\n    pub fn reset(&self) {\n        self.inner.lock().unwrap().f0 = None;\n    }\n}\n");
    src.push_str("impl Level2 {\n    pub fn add(&mut self, id: u64) {\n        self.jobs.insert(id, String::new());\n    }\n}\n");
    for level in 0..40 {
        src.push_str(&format!("pub struct Level{level} {{\n"));
        for f in 0..30 {
            let next = (level + 1 + f) % 40;
            src.push_str(&format!("    f{f}: Option<Box<Level{next}>>,\n"));
        }
        if level == 2 {
            src.push_str("    jobs: HashMap<u64, String>,\n");
        }
        src.push_str("}\n");
    }
    let dir = crate_with(&[("src/store.rs", src.as_bytes())]);
    write(
        dir.path(),
        "src/main.rs",
        main_declaring("store").as_bytes(),
    );
    let (code, v) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "{v}");
    assert!(
        findings(&v).contains(&(
            "src/store.rs".to_string(),
            "in-process-cache".to_string(),
            4
        )),
        "{:?}",
        findings(&v)
    );
}

/// Periodic loops nested hundreds deep: each is a loop node with a scope of its own and its
/// body is read for `return`/`break` once per loop, so the work grows with depth squared;
/// the run must still finish with the loops' findings, and a `select!`
/// whose futures are not Rust is skipped, not an error.
#[test]
fn deeply_nested_periodic_loops_finish_and_are_reported() {
    let depth = 300;
    let mut src = String::from("pub async fn worker(pool: sqlx::PgPool) {\n");
    for _ in 0..depth {
        src.push_str("loop { tokio::time::sleep(std::time::Duration::from_secs(1)).await;\n");
    }
    src.push_str("sqlx::query(\"UPDATE t SET x = 1\").execute(&pool).await.unwrap();\n");
    src.push_str(&"}\n".repeat(depth));
    src.push_str("}\n");
    src.push_str(
        "pub async fn odd() { loop { tokio::select! { ??? => {} } tokio::time::sleep(d).await; } }\n",
    );
    let dir = crate_with(&[("src/worker.rs", src.as_bytes())]);
    write(
        dir.path(),
        "Cargo.toml",
        b"[package]\nname = \"t\"\nversion = \"0.1.0\"\n[dependencies]\nsqlx = \"0.8\"\ntokio = \"1\"\n",
    );
    write(
        dir.path(),
        "src/main.rs",
        main_declaring("worker").as_bytes(),
    );
    let (code, v) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "{v}");
    let schedule: Vec<_> = findings(&v)
        .into_iter()
        .filter(|f| f.1 == "unlocked-schedule")
        .collect();
    assert!(!schedule.is_empty(), "{:?}", findings(&v));
    assert!(errors(&v).is_empty(), "{:?}", errors(&v));
}
