//! Accuracy on real published crates: recall and precision per rule against hand labels.
//!
//! The corpus is described in tests/realworld/README.md. This test downloads crates, so it is
//! ignored by default; run it with
//!
//!     cargo test --release --test realworld -- --ignored --nocapture
//!
//! It prints tables and lists every miss and false alarm; it asserts no thresholds (yet), but fails
//! when fetching, statelint itself, or its JSON output breaks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The rules measured here (checklist items 1–6); findings of other rules are ignored.
const RULES: [&str; 7] = [
    "in-memory-session",
    "local-file-write",
    "embedded-local-database",
    "in-process-cache",
    "non-idempotent-job",
    "unlocked-schedule",
    "local-websocket-fanout",
];

/// A finding within this many lines of a label's line matches it.
const LINE_SLACK: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Violation,
    Fine,
    /// Read and judged ambiguous by the labeller: findings near it count neither way.
    Unclear,
}

#[derive(Debug, Clone)]
struct Label {
    set: String,
    krate: String,
    file: String,
    /// Every place where this one piece of state or effect may reasonably be reported (a field
    /// and the line that builds it; a spawn and its loop; a job and the POST in the fn it calls),
    /// as (file, line); a finding near any of them matches. Written `12` (same file) or
    /// `src/other.rs:40`, comma-separated.
    places: Vec<(String, usize)>,
    rule: String,
    verdict: Verdict,
    note: String,
}

#[derive(Debug, Clone)]
struct Finding {
    set: String,
    krate: String,
    file: String,
    line: usize,
    /// The job or handler fn the finding is reached from, when that is another fn.
    reached_from: Option<(String, usize)>,
    rule: String,
    severity: String,
    message: String,
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn realworld_dir() -> PathBuf {
    repo().join("tests/realworld")
}

/// Where the vendored crates live: `$STATELINT_REALWORLD_DIR` or target/realworld.
fn vendor_root() -> PathBuf {
    match std::env::var_os("STATELINT_REALWORLD_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => repo().join("target/realworld"),
    }
}

fn set_names() -> Vec<String> {
    let mut sets: Vec<String> = std::fs::read_dir(realworld_dir().join("sets"))
        .expect("tests/realworld/sets exists")
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    sets.sort();
    // STATELINT_REALWORLD_SETS=train-a,train-b or train-* narrows the run (e.g. to keep holdout
    // results out of sight while developing rules).
    if let Ok(filter) = std::env::var("STATELINT_REALWORLD_SETS") {
        let wanted: Vec<&str> = filter
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        sets.retain(|set| {
            wanted.iter().any(|w| match w.strip_suffix('*') {
                Some(prefix) => set.starts_with(prefix),
                None => set == w,
            })
        });
    }
    sets
}

fn group_of(set: &str) -> &'static str {
    if set.starts_with("holdout-") {
        "holdout"
    } else {
        "train"
    }
}

/// Runs fetch.sh for the selected sets; it skips a set already vendored from the same Cargo.lock.
fn ensure_fetched(sets: &[String], root: &Path) {
    let status = Command::new("bash")
        .arg(realworld_dir().join("fetch.sh"))
        .arg(root)
        .args(sets)
        .current_dir(repo())
        .status()
        .expect("bash runs tests/realworld/fetch.sh");
    assert!(
        status.success(),
        "tests/realworld/fetch.sh failed: {status}"
    );
}

fn parse_labels(set: &str) -> Vec<Label> {
    let path = realworld_dir().join("labels").join(format!("{set}.tsv"));
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("realworld: no labels for set {set} ({})", path.display());
        return Vec::new();
    };
    let mut labels = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let at = format!("{}:{}", path.display(), index + 1);
        if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = raw.split('\t').collect();
        assert_eq!(
            cols.len(),
            6,
            "{at}: expected 6 tab-separated columns, got {}",
            cols.len()
        );
        let rule = cols[3].trim().to_string();
        assert!(
            RULES.contains(&rule.as_str()),
            "{at}: unknown rule `{rule}`"
        );
        let verdict = match cols[4].trim() {
            "violation" => Verdict::Violation,
            "fine" => Verdict::Fine,
            "unclear" => Verdict::Unclear,
            other => panic!("{at}: verdict must be violation, fine or unclear, not `{other}`"),
        };
        labels.push(Label {
            set: set.to_string(),
            krate: cols[0].trim().to_string(),
            file: cols[1].trim().to_string(),
            places: cols[2]
                .split(',')
                .map(|place| {
                    let (file, line) = match place.trim().rsplit_once(':') {
                        Some((file, line)) => (file.to_string(), line),
                        None => (cols[1].trim().to_string(), place.trim()),
                    };
                    let line = line
                        .parse()
                        .unwrap_or_else(|e| panic!("{at}: bad line number `{place}`: {e}"));
                    (file, line)
                })
                .collect(),
            rule,
            verdict,
            note: cols[5].trim().to_string(),
        });
    }
    labels
}

/// The project each vendored crate of a set is published from (`repository`, else
/// `homepage`, as statelint itself reads it to link crates), by crate directory.
fn repositories(set_root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(set_root) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let project = statelint::workspace::manifest::parse_manifest(&path, &text)
            .ok()
            .and_then(|m| m.package)
            .and_then(|p| p.project);
        if let Some(project) = project {
            out.insert(entry.file_name().to_string_lossy().into_owned(), project);
        }
    }
    out
}

/// Lints vendored crates of a set together and returns their warning+ findings of the
/// measured rules, each attributed to the crate directory it is in.
fn lint(set: &str, set_root: &Path, members: &[String]) -> Vec<Finding> {
    let out = Command::new(env!("CARGO_BIN_EXE_statelint"))
        .arg("check")
        .args(members)
        .args(["--format", "json", "--fail-on", "never"])
        .current_dir(set_root)
        .env("NO_COLOR", "1")
        .output()
        .expect("statelint runs");
    let dir = set_root;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // --fail-on never exits 0; 1 is still a complete report when some file could not be parsed.
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "statelint crashed on {} ({:?}):\n{stderr}",
        dir.display(),
        out.status
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "statelint output for {} is not JSON ({e}):\n{stdout}\n{stderr}",
            dir.display()
        )
    });
    if let Some(errors) = json["errors"]
        .as_array()
        .filter(|errors| !errors.is_empty())
    {
        eprintln!("realworld: {set}: {} file error(s):", errors.len());
        for error in errors {
            eprintln!("  {error}");
        }
    }
    let findings = json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no `findings` array for {}:\n{stdout}", dir.display()));
    let prefix = format!("{}/", dir.display());
    findings
        .iter()
        .filter_map(|f| {
            let field = |name: &str| {
                f[name]
                    .as_str()
                    .unwrap_or_else(|| panic!("finding without string `{name}`: {f}"))
                    .to_string()
            };
            let rule = field("rule");
            let severity = field("severity");
            if !RULES.contains(&rule.as_str()) || !matches!(severity.as_str(), "warning" | "error")
            {
                return None;
            }
            let relative = |file: &str| {
                let file = file.replace('\\', "/");
                let file = file.strip_prefix(&prefix).unwrap_or(&file);
                file.strip_prefix("./").unwrap_or(file).to_string()
            };
            // Paths are `<crate dir>/src/..`: split off the crate.
            let (krate, file) = {
                let path = relative(&field("file"));
                let member = members
                    .iter()
                    .find(|m| path.starts_with(&format!("{m}/")))
                    .unwrap_or_else(|| panic!("finding outside the linted crates: {path}"));
                (member.clone(), path[member.len() + 1..].to_string())
            };
            let in_crate = |path: String| {
                path.strip_prefix(&format!("{krate}/"))
                    .map(str::to_string)
                    .unwrap_or(path)
            };
            // A finding in a helper points back at the job or handler that calls it.
            let reached_from = f["reached_from"].as_object().map(|r| {
                (
                    in_crate(relative(r["file"].as_str().unwrap_or_default())),
                    r["line"].as_u64().unwrap_or_default() as usize,
                )
            });
            Some(Finding {
                set: set.to_string(),
                krate,
                file,
                line: f["line"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("finding without numeric `line`: {f}"))
                    as usize,
                reached_from,
                rule,
                severity,
                message: field("message"),
            })
        })
        .collect()
}

fn near(finding: &Finding, label: &Label) -> bool {
    finding.set == label.set
        && finding.krate == label.krate
        && finding.rule == label.rule
        && label.places.iter().any(|(file, line)| {
            let at = |f: &str, l: usize| f == file && l.abs_diff(*line) <= LINE_SLACK;
            at(&finding.file, finding.line)
                || finding
                    .reached_from
                    .as_ref()
                    .is_some_and(|(f, l)| at(f, *l))
        })
}

#[derive(Default, Clone, Copy)]
struct Tally {
    labels: usize,
    found: usize,
    matched: usize,
    true_findings: usize,
    /// Findings a labeller judged: near a violation or a `fine` label (not unlabelled lines,
    /// which some sets leave out of the key on purpose, e.g. holdout-a's deletions).
    judged: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.labels += other.labels;
        self.found += other.found;
        self.matched += other.matched;
        self.true_findings += other.true_findings;
        self.judged += other.judged;
    }
}

fn ratio(num: usize, den: usize) -> String {
    if den == 0 {
        "-".to_string()
    } else {
        format!("{:.2}", num as f64 / den as f64)
    }
}

fn print_table(title: &str, tallies: &BTreeMap<&str, Tally>) {
    println!("\n== {title} ==");
    println!(
        "{:<24} {:>6} {:>6} {:>7} {:>7} {:>9} {:>8}",
        "rule", "labels", "found", "matched", "recall", "precision", "(judged)"
    );
    let row = |name: &str, t: &Tally| {
        println!(
            "{:<24} {:>6} {:>6} {:>7} {:>7} {:>9} {:>8}",
            name,
            t.labels,
            t.found,
            t.matched,
            ratio(t.matched, t.labels),
            ratio(t.true_findings, t.found),
            ratio(t.true_findings, t.judged)
        );
    };
    let mut total = Tally::default();
    for rule in RULES {
        let t = tallies.get(rule).copied().unwrap_or_default();
        total.add(t);
        row(rule, &t);
    }
    row("overall", &total);
}

#[test]
#[ignore = "downloads crates; run with: cargo test --release --test realworld -- --ignored --nocapture"]
fn realworld_accuracy() {
    let sets = set_names();
    assert!(
        !sets.is_empty(),
        "no sets under tests/realworld/sets (or none selected)"
    );
    let root = vendor_root();
    ensure_fetched(&sets, &root);

    let mut labels: Vec<Label> = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    for set in &sets {
        let set_labels = parse_labels(set);
        let crates: BTreeSet<String> = set_labels.iter().map(|l| l.krate.clone()).collect();
        let set_root = root.join(set);
        for krate in &crates {
            let dir = set_root.join(krate);
            assert!(
                dir.join("Cargo.toml").is_file(),
                "labelled crate {krate} of set {set} is not vendored at {}",
                dir.display()
            );
            for label in set_labels.iter().filter(|l| &l.krate == krate) {
                for (file, _) in &label.places {
                    assert!(
                        dir.join(file).is_file(),
                        "label file {krate}/{file} does not exist"
                    );
                }
            }
        }
        // Crates published from one repository are one workspace upstream: they are linted
        // together, as their users would lint the repository, so calls between them count.
        let repositories = repositories(&set_root);
        let mut done: BTreeSet<String> = BTreeSet::new();
        for krate in &crates {
            if done.contains(krate) {
                continue;
            }
            let members: Vec<String> = match repositories.get(krate) {
                Some(repo) => repositories
                    .iter()
                    .filter(|(_, r)| *r == repo)
                    .map(|(c, _)| c.clone())
                    .collect(),
                None => vec![krate.clone()],
            };
            let found = lint(set, &set_root, &members);
            for member in members.iter().filter(|m| crates.contains(*m)) {
                let of_member: Vec<Finding> = found
                    .iter()
                    .filter(|f| &f.krate == member)
                    .cloned()
                    .collect();
                eprintln!(
                    "realworld: {set}/{member}: {} warning+ finding(s) (linted with {} crate(s) of its repository)",
                    of_member.len(),
                    members.len()
                );
                findings.extend(of_member);
                done.insert(member.clone());
            }
        }
        labels.extend(set_labels);
    }

    let groups: Vec<&str> = ["train", "holdout"]
        .into_iter()
        .filter(|g| sets.iter().any(|s| group_of(s) == *g))
        .collect();
    let mut all: BTreeMap<&str, Tally> = BTreeMap::new();
    for group in &groups {
        let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
        for rule in RULES {
            let violations: Vec<&Label> = labels
                .iter()
                .filter(|l| group_of(&l.set) == *group && l.rule == rule)
                .filter(|l| l.verdict == Verdict::Violation)
                .collect();
            // A finding near an `unclear` label (and no violation) is not scored either way.
            let rule_findings: Vec<&Finding> = findings
                .iter()
                .filter(|f| group_of(&f.set) == *group && f.rule == rule)
                .filter(|f| {
                    !labels
                        .iter()
                        .any(|l| l.verdict == Verdict::Unclear && near(f, l))
                        || violations.iter().any(|l| near(f, l))
                })
                .collect();
            let t = Tally {
                labels: violations.len(),
                found: rule_findings.len(),
                matched: violations
                    .iter()
                    .filter(|l| rule_findings.iter().any(|f| near(f, l)))
                    .count(),
                true_findings: rule_findings
                    .iter()
                    .filter(|f| violations.iter().any(|l| near(f, l)))
                    .count(),
                judged: rule_findings
                    .iter()
                    .filter(|f| {
                        labels.iter().any(|l| {
                            matches!(l.verdict, Verdict::Violation | Verdict::Fine) && near(f, l)
                        })
                    })
                    .count(),
            };
            tallies.insert(rule, t);
            all.entry(rule).or_default().add(t);
        }
        print_table(
            &format!("{group} (sets: {})", sets_of(&sets, group)),
            &tallies,
        );
    }
    if groups.len() > 1 {
        print_table("all sets", &all);
    }

    for group in &groups {
        println!("\n== {group}: misses (violation labels with no warning+ finding) ==");
        let mut misses = 0;
        for label in labels.iter().filter(|l| group_of(&l.set) == *group) {
            if label.verdict == Verdict::Violation && !findings.iter().any(|f| near(f, label)) {
                misses += 1;
                println!(
                    "MISS  {:<24} {}/{}:{}  {}",
                    label.rule, label.krate, label.file, label.places[0].1, label.note
                );
            }
        }
        if misses == 0 {
            println!("(none)");
        }

        println!("\n== {group}: false alarms (warning+ findings matching no violation label) ==");
        let mut alarms = 0;
        for finding in findings.iter().filter(|f| group_of(&f.set) == *group) {
            let matches = |verdict| {
                labels
                    .iter()
                    .any(|l| l.verdict == verdict && near(finding, l))
            };
            if matches(Verdict::Violation) || matches(Verdict::Unclear) {
                continue;
            }
            alarms += 1;
            let kind = if matches(Verdict::Fine) {
                "hit-fine-label"
            } else {
                "unlabelled"
            };
            println!(
                "FALSE {:<24} {}/{}:{}  [{} {}]  {}",
                finding.rule,
                finding.krate,
                finding.file,
                finding.line,
                finding.severity,
                kind,
                finding.message
            );
        }
        if alarms == 0 {
            println!("(none)");
        }
    }
}

fn sets_of(sets: &[String], group: &str) -> String {
    sets.iter()
        .filter(|s| group_of(s) == group)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}
