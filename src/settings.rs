//! The configuration each crate is checked with. As ruff resolves a configuration per file,
//! each crate gets the nearest config above it (`statelint.toml`, or Cargo metadata) merged
//! over its workspace's, so the result never depends on which PATH came first.
//!
//! Merging, nearest last wins: `select`, `ignore` and `fail-on` are replaced; `[severity]`
//! is merged by rule id; `rules`, `exclude`, `[per-path]` and `[lists]` add up (a member's
//! lock helpers extend the workspace's, and the workspace's excludes still apply to it).
//! `--config FILE` gives every crate that one file instead.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, FailOn};
use crate::rules::diagnostic::Diagnostics;
use crate::rules::model::{Severity, StrList};
use crate::workspace::discover::absolute;
use crate::workspace::manifest::read_manifest;

/// The configuration of one crate: the files it comes from, outermost first.
#[derive(Clone, Default)]
pub struct Settings {
    pub layers: Vec<Arc<Config>>,
}

fn strings(list: &Option<toml::Spanned<StrList>>) -> Option<Vec<String>> {
    list.as_ref()
        .map(|l| l.get_ref().iter().map(|s| s.get_ref().clone()).collect())
}

impl Settings {
    /// The config files, as diagnostics name them, outermost first.
    pub fn sources(&self) -> Vec<&str> {
        self.layers
            .iter()
            .filter_map(|c| c.source.as_ref().map(|(n, _)| n.as_str()))
            .collect()
    }

    /// Rule files and directories of every layer, each resolved against its own file.
    pub fn rule_paths(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        for p in self.layers.iter().flat_map(|c| c.rule_paths()) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// `[lists]` of every layer, added up.
    pub fn lists(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, items) in self.layers.iter().flat_map(|c| c.extra_lists()) {
            let list = out.entry(name).or_default();
            for item in items {
                if !list.contains(&item) {
                    list.push(item);
                }
            }
        }
        out
    }

    pub fn select(&self) -> Option<Vec<String>> {
        self.layers
            .iter()
            .rev()
            .find_map(|c| strings(&c.def.select))
    }

    pub fn ignore(&self) -> Option<Vec<String>> {
        self.layers
            .iter()
            .rev()
            .find_map(|c| strings(&c.def.ignore))
    }

    pub fn fail_on(&self) -> Option<FailOn> {
        self.layers
            .iter()
            .rev()
            .find_map(|c| c.def.fail_on.as_ref().map(|f| *f.get_ref()))
    }

    pub fn severity(&self) -> BTreeMap<String, Severity> {
        let mut out = BTreeMap::new();
        for c in &self.layers {
            for (id, sev) in &c.def.severity {
                out.insert(id.clone(), *sev.get_ref());
            }
        }
        out
    }

    /// Whether a layer's `exclude` globs (relative to that layer's file) name this file.
    pub fn excludes(&self, path: &Path, display: &str) -> bool {
        self.layers.iter().any(|c| {
            c.exclude_set().is_some_and(|set| {
                let rel = relative_to(&c.dir, path);
                set.is_match(&rel) || set.is_match(display)
            })
        })
    }

    /// Drops the findings that a layer's `[per-path]` turns off.
    pub fn apply_per_path(&self, findings: &mut Vec<crate::report::Finding>) {
        for c in &self.layers {
            c.apply_per_path(findings);
        }
    }

    /// What `--show-settings` prints: the merged settings as a `statelint.toml` would say
    /// them, with where they come from and the rules that run.
    pub fn render(&self, what: &str, rules: &crate::rules::compile::RuleSet) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Settings for {what}");
        let sources = self.sources();
        if sources.is_empty() {
            let _ = writeln!(out, "# from: no config file (defaults)");
        } else {
            let _ = writeln!(out, "# from (nearest last): {}", sources.join(", "));
        }
        let quote = |items: &[String]| -> String {
            let q: Vec<String> = items.iter().map(|s| toml_string(s)).collect();
            format!("[{}]", q.join(", "))
        };
        let paths: Vec<String> = self
            .rule_paths()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let _ = writeln!(out, "rules = {}", quote(&paths));
        match self.select() {
            Some(s) => {
                let _ = writeln!(out, "select = {}", quote(&s));
            }
            None => {
                let _ = writeln!(out, "# select: every rule");
            }
        }
        let _ = writeln!(
            out,
            "ignore = {}",
            quote(&self.ignore().unwrap_or_default())
        );
        let mut exclude = Vec::new();
        for c in &self.layers {
            for g in strings(&c.def.exclude).unwrap_or_default() {
                exclude.push(glob_in(&c.dir, &g));
            }
        }
        let _ = writeln!(out, "exclude = {}", quote(&exclude));
        let fail_on = match self.fail_on() {
            Some(f) => format!("{f:?}").to_lowercase(),
            None => "warning".to_string(),
        };
        let _ = writeln!(out, "fail-on = {}", toml_string(&fail_on));
        let _ = writeln!(out, "\n[severity]");
        for (id, sev) in self.severity() {
            let _ = writeln!(out, "{id} = {}", toml_string(sev.as_str()));
        }
        let _ = writeln!(out, "\n[per-path]");
        for c in &self.layers {
            for (glob, ids) in &c.def.per_path {
                let ids: Vec<String> = ids.get_ref().iter().map(|s| s.get_ref().clone()).collect();
                let _ = writeln!(
                    out,
                    "{} = {}",
                    toml_string(&glob_in(&c.dir, glob)),
                    quote(&ids)
                );
            }
        }
        let _ = writeln!(out, "\n[lists]");
        for (name, items) in self.lists() {
            let _ = writeln!(out, "{name} = {}", quote(&items));
        }
        let _ = writeln!(out, "\n# Rules that run, at their severity:");
        for r in rules.rules.iter().filter(|r| rules.is_enabled(&r.id)) {
            let _ = writeln!(out, "#   {} ({})", r.id, r.severity.as_str());
        }
        let off: Vec<&str> = rules
            .rules
            .iter()
            .filter(|r| !rules.is_enabled(&r.id))
            .map(|r| r.id.as_str())
            .collect();
        if !off.is_empty() {
            let _ = writeln!(out, "# Rules that do not run: {}", off.join(", "));
        }
        out
    }
}

/// A glob from a layer, as the user would write it relative to the current directory.
fn glob_in(dir: &Path, glob: &str) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let dir = absolute(dir);
    match dir.strip_prefix(&cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => glob.to_string(),
        Ok(rel) => format!("{}/{glob}", rel.to_string_lossy().replace('\\', "/")),
        Err(_) => format!("{}/{glob}", dir.to_string_lossy().replace('\\', "/")),
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn relative_to(base: &Path, path: &Path) -> String {
    let base = absolute(base);
    absolute(path)
        .strip_prefix(&base)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

/// Finds and reads config files once each, and says which apply to a directory.
pub struct Resolver {
    explicit: Option<Arc<Config>>,
    /// Directory -> the nearest config from there up (None: defaults).
    nearest: HashMap<PathBuf, Option<Arc<Config>>>,
    /// Config file name -> the one loaded copy of it.
    loaded: HashMap<String, Arc<Config>>,
}

impl Resolver {
    /// `explicit`: `--config FILE`, which every crate then uses alone.
    pub fn new(explicit: Option<&Path>) -> Result<Resolver, Diagnostics> {
        let explicit = match explicit {
            Some(f) => Some(Arc::new(Config::load(f)?)),
            None => None,
        };
        Ok(Resolver {
            explicit,
            nearest: HashMap::new(),
            loaded: HashMap::new(),
        })
    }

    /// The settings of a crate (or any directory): its nearest config merged over that of
    /// the workspace it belongs to.
    pub fn for_dir(&mut self, dir: &Path) -> Result<Settings, Diagnostics> {
        if let Some(c) = &self.explicit {
            return Ok(Settings {
                layers: vec![c.clone()],
            });
        }
        let dir = absolute(dir);
        let inner = self.nearest_config(&dir)?;
        let outer = match workspace_root(&dir) {
            Some(ws) if ws != dir => self.nearest_config(&ws)?,
            _ => None,
        };
        let layers = match (outer, inner) {
            (Some(o), Some(i)) if !Arc::ptr_eq(&o, &i) => vec![o, i],
            (_, Some(i)) => vec![i],
            (Some(o), None) => vec![o],
            (None, None) => Vec::new(),
        };
        Ok(Settings { layers })
    }

    /// Every config file read so far (each once), for validation.
    pub fn loaded(&self) -> Vec<Arc<Config>> {
        let mut all: Vec<Arc<Config>> = self.loaded.values().cloned().collect();
        all.extend(self.explicit.iter().cloned());
        all.sort_by(|a, b| source_name(a).cmp(source_name(b)));
        all
    }

    fn nearest_config(&mut self, dir: &Path) -> Result<Option<Arc<Config>>, Diagnostics> {
        if let Some(known) = self.nearest.get(dir) {
            return Ok(known.clone());
        }
        let found = Config::discover(dir)?;
        let found = match &found.source {
            None => None,
            Some((name, _)) => Some(
                self.loaded
                    .entry(name.clone())
                    .or_insert_with(|| Arc::new(found))
                    .clone(),
            ),
        };
        self.nearest.insert(dir.to_path_buf(), found.clone());
        Ok(found)
    }
}

fn source_name(c: &Config) -> &str {
    c.source.as_ref().map_or("", |(n, _)| n.as_str())
}

/// The nearest directory at or above `dir` whose `Cargo.toml` has a `[workspace]`.
pub fn workspace_root(dir: &Path) -> Option<PathBuf> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        let manifest = d.join("Cargo.toml");
        if manifest.is_file() && read_manifest(&manifest).is_ok_and(|m| m.workspace.is_some()) {
            return Some(d.to_path_buf());
        }
        cur = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, name: &str, text: &str) {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn a_member_config_merges_over_the_workspace_config() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "Cargo.toml",
            "[workspace]\nmembers = [\"a\", \"b\"]\n",
        );
        write(
            root,
            "statelint.toml",
            "ignore = [\"in-process-cache\"]\nfail-on = \"error\"\n[severity]\nlocal-file-write = \"error\"\nin-memory-session = \"warning\"\n[lists]\nlock-functions = [\"ws::lock\"]\n",
        );
        write(
            root,
            "a/Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n",
        );
        write(
            root,
            "a/statelint.toml",
            "ignore = [\"unlocked-schedule\"]\n[severity]\nlocal-file-write = \"info\"\n[lists]\nlock-functions = [\"a::lock\"]\n",
        );
        write(
            root,
            "b/Cargo.toml",
            "[package]\nname = \"b\"\nversion = \"0.1.0\"\n",
        );
        let mut r = Resolver::new(None).unwrap();

        let a = r.for_dir(&root.join("a")).unwrap();
        assert_eq!(a.layers.len(), 2);
        assert_eq!(a.ignore(), Some(vec!["unlocked-schedule".to_string()]));
        assert_eq!(a.fail_on(), Some(FailOn::Error));
        let sev = a.severity();
        assert_eq!(sev["local-file-write"], Severity::Info);
        assert_eq!(sev["in-memory-session"], Severity::Warning);
        assert_eq!(
            a.lists()["lock-functions"],
            vec!["ws::lock".to_string(), "a::lock".to_string()]
        );

        let b = r.for_dir(&root.join("b")).unwrap();
        assert_eq!(b.layers.len(), 1);
        assert_eq!(b.ignore(), Some(vec!["in-process-cache".to_string()]));
        assert_eq!(b.severity()["local-file-write"], Severity::Error);
        // The workspace's file was read once, for both crates.
        assert_eq!(r.loaded().len(), 2);
    }
}
