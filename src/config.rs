//! `statelint.toml` (or `[package.metadata.statelint]` / `[workspace.metadata.statelint]` in a
//! Cargo.toml): found from the linted path upward, validated like rule files (unknown keys and
//! unknown rule ids are errors that point at the line), and overridden by CLI flags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::rules::compile::RuleSet;
use crate::rules::diagnostic::{Diagnostics, FileDiagnostic};
use crate::rules::model::{Severity, StrList, item_span};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigDef {
    /// Extra rule files or directories, relative to the config file.
    pub rules: Option<Spanned<StrList>>,
    pub select: Option<Spanned<StrList>>,
    pub ignore: Option<Spanned<StrList>>,
    /// Globs (relative to the config file) of files not to lint.
    pub exclude: Option<Spanned<StrList>>,
    pub fail_on: Option<Spanned<FailOn>>,
    #[serde(default)]
    pub severity: BTreeMap<String, Spanned<Severity>>,
    /// Items added to the rules' named lists (`lock-functions`, `pubsub-crates`, ...).
    #[serde(default)]
    pub lists: BTreeMap<String, Spanned<StrList>>,
    /// Rules not reported in files matching a glob (relative to the config file):
    /// `"src/legacy/**" = ["in-process-cache"]`.
    #[serde(default)]
    pub per_path: BTreeMap<String, Spanned<StrList>>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// A loaded configuration and where it came from.
#[derive(Default)]
pub struct Config {
    /// Directory relative paths in the config are resolved against.
    pub dir: PathBuf,
    /// Display name and text of the file, for diagnostics.
    pub source: Option<(String, Arc<String>)>,
    pub def: ConfigDef,
}

#[derive(Deserialize)]
struct CargoWithMetadata {
    package: Option<MetadataHolder>,
    workspace: Option<MetadataHolder>,
}

#[derive(Deserialize)]
struct MetadataHolder {
    metadata: Option<MetadataTable>,
}

#[derive(Deserialize)]
struct MetadataTable {
    statelint: Option<ConfigDef>,
}

impl Config {
    /// `--config FILE`: a `statelint.toml`-style file, or a Cargo.toml with metadata.
    pub fn load(path: &Path) -> Result<Config, Diagnostics> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostics(vec![FileDiagnostic::whole_file(
                &name,
                format!("cannot read config: {e}"),
            )])
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if path.file_name().is_some_and(|n| n == "Cargo.toml") {
            return Config::from_cargo(&name, text, dir).map(|c| c.unwrap_or_default());
        }
        let text = Arc::new(text);
        match toml::from_str::<ConfigDef>(&text) {
            Ok(def) => Ok(Config {
                dir,
                source: Some((name, text)),
                def,
            }),
            Err(e) => Err(Diagnostics(vec![FileDiagnostic::from_toml(
                &name, &text, &e,
            )])),
        }
    }

    fn from_cargo(name: &str, text: String, dir: PathBuf) -> Result<Option<Config>, Diagnostics> {
        let text = Arc::new(text);
        let parsed: CargoWithMetadata = match toml::from_str(&text) {
            Ok(p) => p,
            // A broken Cargo.toml is reported when its crate is linted; here it has no config.
            Err(e) if !e.message().contains("statelint") => return Ok(None),
            Err(e) => {
                return Err(Diagnostics(vec![FileDiagnostic::from_toml(
                    name, &text, &e,
                )]));
            }
        };
        let def = parsed
            .package
            .and_then(|p| p.metadata?.statelint)
            .or_else(|| parsed.workspace.and_then(|w| w.metadata?.statelint));
        Ok(def.map(|def| Config {
            dir,
            source: Some((name.to_string(), text.clone())),
            def,
        }))
    }

    /// The nearest `statelint.toml`, or Cargo.toml with statelint metadata, from `start` up.
    pub fn discover(start: &Path) -> Result<Config, Diagnostics> {
        let start = crate::workspace::discover::absolute(start);
        let mut dir = if start.is_file() {
            start.parent().map(Path::to_path_buf)
        } else {
            Some(start)
        };
        while let Some(d) = dir {
            let candidate = d.join("statelint.toml");
            if candidate.is_file() {
                return Config::load(&candidate);
            }
            let cargo = d.join("Cargo.toml");
            if cargo.is_file()
                && let Ok(text) = std::fs::read_to_string(&cargo)
                && text.contains("statelint")
                && let Some(c) = Config::from_cargo(&cargo.display().to_string(), text, d.clone())?
            {
                return Ok(c);
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        Ok(Config::default())
    }

    fn diag(&self, span: std::ops::Range<usize>, key: &str, message: String) -> FileDiagnostic {
        match &self.source {
            Some((name, text)) => FileDiagnostic::at(name, text, Some(span), Some(key), message),
            None => FileDiagnostic::whole_file("config", message),
        }
    }

    pub fn rule_paths(&self) -> Vec<PathBuf> {
        match &self.def.rules {
            Some(list) => list
                .get_ref()
                .iter()
                .map(|p| self.dir.join(p.get_ref()))
                .collect(),
            None => Vec::new(),
        }
    }

    pub fn extra_lists(&self) -> BTreeMap<String, Vec<String>> {
        self.def
            .lists
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.get_ref().iter().map(|s| s.get_ref().clone()).collect(),
                )
            })
            .collect()
    }

    /// Checks rule ids named in the config against the loaded rules.
    pub fn validate(&self, rules: &RuleSet) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::default();
        let known = |id: &str| rules.rules.iter().any(|r| r.id == id);
        for (key, list) in [("select", &self.def.select), ("ignore", &self.def.ignore)] {
            if let Some(list) = list {
                for item in list.get_ref().iter() {
                    if !known(item.get_ref()) {
                        diags.push(self.diag(
                            item_span(list, item),
                            key,
                            unknown_rule_message(item.get_ref(), rules),
                        ));
                    }
                }
            }
        }
        for (id, sev) in &self.def.severity {
            if !known(id) {
                diags.push(self.diag(sev.span(), "severity", unknown_rule_message(id, rules)));
            }
        }
        for (glob, ids) in &self.def.per_path {
            if let Err(e) = globset::Glob::new(glob) {
                diags.push(self.diag(
                    ids.span(),
                    "per-path",
                    format!("invalid glob `{glob}`: {}", e.kind()),
                ));
            }
            for item in ids.get_ref().iter() {
                if !known(item.get_ref()) {
                    diags.push(self.diag(
                        item_span(ids, item),
                        "per-path",
                        unknown_rule_message(item.get_ref(), rules),
                    ));
                }
            }
        }
        for name in self.def.lists.keys() {
            if !rules.defined_lists.contains(name) {
                let known_lists: Vec<&str> =
                    rules.defined_lists.iter().map(String::as_str).collect();
                let span = self.def.lists[name].span();
                diags.push(self.diag(
                    span,
                    "lists",
                    format!(
                        "no rule reads a list named `{name}`; lists: {}",
                        known_lists.join(", ")
                    ),
                ));
            }
        }
        if let Some(list) = &self.def.exclude {
            for item in list.get_ref().iter() {
                if let Err(e) = globset::Glob::new(item.get_ref()) {
                    diags.push(self.diag(
                        item_span(list, item),
                        "exclude",
                        format!("invalid glob: {}", e.kind()),
                    ));
                }
            }
        }
        diags.into_result(())
    }

    /// Drops findings of rules that `[per-path]` turns off for their file.
    pub fn apply_per_path(&self, findings: &mut Vec<crate::report::Finding>) {
        if self.def.per_path.is_empty() {
            return;
        }
        let entries: Vec<(globset::GlobMatcher, Vec<String>)> = self
            .def
            .per_path
            .iter()
            .filter_map(|(g, ids)| {
                let m = globset::Glob::new(g).ok()?.compile_matcher();
                Some((
                    m,
                    ids.get_ref().iter().map(|i| i.get_ref().clone()).collect(),
                ))
            })
            .collect();
        let base = crate::workspace::discover::absolute(&self.dir);
        findings.retain(|f| {
            let abs = crate::workspace::discover::absolute(&f.path);
            let rel = abs
                .strip_prefix(&base)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            !entries
                .iter()
                .any(|(m, ids)| (m.is_match(&rel) || m.is_match(&f.file)) && ids.contains(&f.rule))
        });
    }

    pub fn exclude_set(&self) -> Option<globset::GlobSet> {
        let list = self.def.exclude.as_ref()?;
        let mut b = globset::GlobSetBuilder::new();
        for item in list.get_ref().iter() {
            if let Ok(g) = globset::Glob::new(item.get_ref()) {
                b.add(g);
            }
        }
        b.build().ok()
    }
}

/// "unknown rule `x`", with the id it is most likely a typo of (as clap's "did you mean").
pub fn unknown_rule_message(id: &str, rules: &RuleSet) -> String {
    let mut ids: Vec<&str> = rules.rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    let score = |k: &str| {
        if k.contains(id) || id.contains(k) {
            1.0
        } else {
            strsim::normalized_damerau_levenshtein(k, id)
        }
    };
    let best = ids.iter().map(|k| score(k)).fold(0.0, f64::max);
    let close: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|k| best >= 0.6 && score(k) >= best - 0.05)
        .collect();
    if close.is_empty() {
        format!("unknown rule `{id}`; `statelint rules` lists them")
    } else {
        format!(
            "unknown rule `{id}`; did you mean {}?",
            close
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error_with_line() {
        let dir = std::env::temp_dir().join(format!("statelint-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("statelint.toml");
        std::fs::write(
            &f,
            "select = [\"in-memory-session\"]\nfail_onn = \"error\"\n",
        )
        .unwrap();
        let err = Config::load(&f).err().expect("must fail");
        let text = err.to_string();
        assert!(text.contains(":2:1"), "{text}");
        assert!(text.contains("fail_onn"), "{text}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
