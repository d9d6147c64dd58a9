//! Validates rule files and compiles them into matchers: globs into `GlobSet`s, regexes into
//! `Regex`/`RegexSet`, context names into bits, `@list` references into their items. Every
//! problem becomes a diagnostic that points at the key in the user's TOML; loading goes on to
//! report all problems at once rather than the first.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use regex::{Regex, RegexSet};
use toml::Spanned;

use super::diagnostic::{Diagnostics, FileDiagnostic};
use super::kinds::{COMMON_KEYS, NODE_KINDS, NodeKind};
use super::model::{ContextDef, MatchDef, RuleDef, RuleFileDef, Severity, StrList, item_span};
use super::template::Template;
use crate::syntax::types::{RenderedTy, Ty, TypeWords};

/// A rule file's text and where it came from.
#[derive(Clone)]
pub struct RuleSource {
    /// As shown in messages: a path, or `builtin:rules/x.toml`.
    pub name: String,
    pub text: Arc<String>,
}

/// Contexts are a bit set: at most 32 may be defined.
pub type CtxSet = u32;
pub const MAX_CONTEXTS: usize = 32;

pub struct RuleSet {
    pub rules: Vec<RuleMeta>,
    pub blocks: Vec<Block>,
    pub blocks_by_kind: [Vec<usize>; NODE_KINDS],
    /// Per kind, a combined matcher over the blocks' `path` (or else `name`) keys, so a node is
    /// tested against all blocks at once and only the plausible ones are checked in full.
    pub prefilter: [Prefilter; NODE_KINDS],
    pub contexts: Vec<Context>,
    /// Blocks of `[[context.passed-to]]`, with the context bit they confer.
    pub passed_to: Vec<(usize, Block)>,
    pub passed_to_by_kind: [Vec<usize>; NODE_KINDS],
    /// `[[app-state.registered-by]]`: calls whose first argument becomes application state.
    pub registered_by: Vec<Block>,
    pub registered_by_kind: [Vec<usize>; NODE_KINDS],
    /// Contexts by their `state-role`: start-up code, run-time code, and code started as a
    /// task (a subset of run-time) whose `passed-to` calls hand values to the task.
    pub startup_contexts: CtxSet,
    pub runtime_contexts: CtxSet,
    pub task_contexts: CtxSet,
    /// The type shapes the state model classifies holders by (`[lists] state-*`).
    pub shapes: StateShapes,
    pub excluded_by_default: CtxSet,
    pub predicates: Predicates,
    pub usage: UsageSets,
    pub app_state_extractors: Option<TypeGlobs>,
    pub wrappers: HashSet<String>,
    /// Some block or `passed-to` tests the root of a method chain that is a plain variable.
    pub uses_receiver: bool,
    /// Some block has `unless-used-with`: record where fields and statics are used.
    pub tracks_state_use: bool,
    /// Some block has `keyed-by`: record the keys fields and statics are indexed with.
    pub tracks_state_keys: bool,
    /// Some block has `look-into-structs`: record the field types of the crate's structs.
    pub looks_into_structs: bool,
    /// Last segments of the call paths rules name (`remove_file`, `spawn`, `tick`): a macro the
    /// walker does not know is read as code when its body mentions one (`try_!(fs::copy(..))`).
    pub call_words: HashSet<String>,
    /// Rules turned off for this run (`--select`/`--ignore`, config).
    pub disabled: HashSet<String>,
    /// Names of the lists rule files define (the config may only extend these).
    pub defined_lists: BTreeSet<String>,
    /// The words of all type patterns (see `TypeGlobs::may_match`).
    pub word_index: WordIndex,
    /// Globs for dependencies that make a crate a pub/sub relay etc. live in lists; kept for config.
    pub lists: BTreeMap<String, Vec<String>>,
}

pub struct RuleMeta {
    pub id: String,
    pub checklist: Option<u8>,
    pub severity: Severity,
    pub title: String,
    pub message: Template,
    pub help: String,
    pub explain: Option<String>,
    pub bad: Option<String>,
    pub good: Option<String>,
    pub supersedes: Vec<String>,
    /// Reported where other crates of the run reach it (`across-crates`), and the calls the
    /// reaching fn must make (`across-crates-calls`, a predicate id).
    pub across_crates: bool,
    pub across_crates_calls: Option<u16>,
    pub origin: String,
    pub internal: bool,
}

pub struct Block {
    pub rule: usize,
    pub kind: NodeKind,
    /// The `path` globs one by one, for the kind's prefilter.
    pub path_globs: Vec<Glob>,
    pub name: Option<Regex>,
    pub not_name: Option<Regex>,
    pub path: Option<GlobSet>,
    pub not_path: Option<GlobSet>,
    pub receiver: Option<GlobSet>,
    pub types: Option<TypeGlobs>,
    pub not_types: Option<TypeGlobs>,
    pub args: Option<Vec<Regex>>,
    pub not_args: Option<Vec<Regex>>,
    pub chain_has: Vec<ChainPattern>,
    pub chain_lacks: Vec<ChainPattern>,
    pub mutable: Option<bool>,
    /// `fallible-after`: only when a fallible step follows the node in its fn.
    pub fallible_after: bool,
    pub inside: CtxSet,
    pub not_inside: CtxSet,
    /// Each must be reached from the node's scope within `hops` (`calls`, `strings`).
    pub requires: Vec<usize>,
    /// Each must be reached from the fn the node is in, within `hops` (`fn-calls`): for a call
    /// that hands something over, `requires` starts from what it hands over instead.
    pub requires_fn: Vec<usize>,
    /// Each must be reached within one hop (`calls-in-loop`): the loop is the node's own code
    /// or a fn it calls directly, not something a distant callee happens to contain.
    pub requires_near: Vec<usize>,
    /// If reached, the block does not fire (`unless-calls` and `unless-strings`).
    pub unless: Option<usize>,
    pub hops: u8,
    /// `constant-arg`: 0-based position of an argument that must be a constant.
    pub constant_arg: Option<u8>,
    pub requires_dependency: Vec<String>,
    pub unless_dependency: Vec<String>,
    pub requires_usage: Option<usize>,
    pub unless_usage: Option<usize>,
    /// Predicate over the code that uses the node's state (`unless-used-with`).
    pub unless_used_with: Option<usize>,
    /// Predicate the code using the node's state must satisfy (`used-with`), and the contexts
    /// whose code does not count (`used-with-not-inside`).
    pub used_with: Option<usize>,
    pub used_with_not_inside: CtxSet,
    /// When every `used-with` pattern is a method (`.write`): the methods, which must then be
    /// called on the state itself (`SETTINGS.write()`, `state.site.write()`), not merely in a
    /// fn that also touches it.
    pub used_with_methods: Option<GlobSet>,
    /// Not reported when the field or static it builds is (see `MatchDef::constructor`).
    pub constructor: bool,
    /// Predicate: the owner's methods create what the field holds (see `MatchDef`).
    pub prefer_owner_calls: Option<usize>,
    /// Predicate: the owner's methods make such a call, so the field is not reported.
    pub unless_owner_calls: Option<usize>,
    pub in_app_state: Option<bool>,
    /// `on = "state"`: bits of `HOLDS` and `HOLDER_KINDS` (0: any).
    pub holds: u16,
    pub holder_kinds: u16,
    /// `look-into-structs`: crate structs named by the type are expanded for the type check.
    pub look_into_structs: bool,
    /// The field's struct is named so (`owner`) / implements such a trait (`owner-implements`).
    pub owner: Option<Regex>,
    /// The state is indexed somewhere in the crate with a key named so (`keyed-by`).
    pub keyed_by: Option<Regex>,
    pub owner_implements: Option<GlobSet>,
    pub severity: Option<Severity>,
    pub message: Option<Template>,
    pub help: Option<String>,
}

impl Block {
    /// Needs facts only known once the whole crate is read.
    pub fn needs_reach(&self) -> bool {
        !self.requires.is_empty()
            || !self.requires_fn.is_empty()
            || !self.requires_near.is_empty()
            || self.unless.is_some()
    }
}

/// Type globs, split by whether they name full paths (`tokio::sync::Mutex<*>`) or last
/// segments (`Mutex<*>`), since each is matched against a different rendering.
pub struct TypeGlobs {
    pub short: Option<GlobSet>,
    pub full: Option<GlobSet>,
    /// Per pattern, the words its match must contain (`*Map<*,*Session*>`: `Map`, `Session`),
    /// checked on the type's names before anything is rendered. `None`: no cheap test.
    words: Option<Vec<GlobWords>>,
}

struct GlobWords {
    /// Words are looked for in resolved paths (pattern with `::`) or in last segments.
    full: bool,
    words: Vec<String>,
    /// The words' ids in the rule set's `WordIndex`.
    ids: Vec<u32>,
}

/// Every word of every type pattern in one automaton: a node's type names are scanned once,
/// and each pattern's check is then a test on a bit set.
pub struct WordIndex {
    automaton: aho_corasick::AhoCorasick,
    len: usize,
}

/// Which indexed words occur in a type's last segments and in its resolved paths.
pub struct WordSets {
    short: Vec<u64>,
    full: Vec<u64>,
}

impl WordSets {
    pub fn of(index: &WordIndex, words: &TypeWords) -> WordSets {
        let blocks = index.len.div_ceil(64);
        let mut sets = WordSets {
            short: vec![0; blocks],
            full: vec![0; blocks],
        };
        let mut mark = |text: &str, short: bool, full: bool| {
            for m in index.automaton.find_overlapping_iter(text) {
                let id = m.pattern().as_usize();
                if short {
                    sets.short[id / 64] |= 1 << (id % 64);
                }
                if full {
                    sets.full[id / 64] |= 1 << (id % 64);
                }
            }
        };
        words.names.iter().for_each(|n| mark(n, true, false));
        words.fulls.iter().for_each(|n| mark(n, false, true));
        words.alias.iter().for_each(|n| mark(n, true, true));
        sets
    }

    fn has(set: &[u64], id: u32) -> bool {
        set[id as usize / 64] & (1 << (id % 64)) != 0
    }
}

impl GlobWords {
    /// `None` when the pattern uses classes or alternatives, whose words are not required.
    fn of(pattern: &str) -> Option<GlobWords> {
        if pattern.contains(['[', '{', '?', '\\']) {
            return None;
        }
        let words = pattern
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty() && !matches!(*w, "dyn" | "impl" | "fn"))
            .map(str::to_string)
            .collect();
        Some(GlobWords {
            full: pattern.contains("::"),
            words,
            ids: Vec::new(),
        })
    }
}

impl TypeGlobs {
    /// Does the type, or anything a wrapper in it holds, match?
    pub fn matches(&self, ty: &Ty, wrappers: &HashSet<String>) -> bool {
        self.matches_rendered(&RenderedTy::new(ty, &|n: &str| wrappers.contains(n)))
    }

    /// A cheap necessary condition for `matches`, on the words found in the type (and in the
    /// definitions of crate aliases it names): every word of some pattern is there.
    pub fn may_match(&self, sets: &WordSets) -> bool {
        let Some(words) = &self.words else {
            return true;
        };
        words.iter().any(|g| {
            let set = if g.full { &sets.full } else { &sets.short };
            g.ids.iter().all(|&id| WordSets::has(set, id))
        })
    }

    pub fn matches_rendered(&self, r: &RenderedTy) -> bool {
        self.short
            .as_ref()
            .is_some_and(|set| r.short.iter().any(|t| set.is_match(t)))
            || self
                .full
                .as_ref()
                .is_some_and(|set| r.full.iter().any(|t| set.is_match(t)))
    }
}

/// Gives every word of every type pattern an id and builds the automaton that finds them.
fn index_type_words(set: &mut RuleSet) {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut assign = |tg: &mut TypeGlobs| {
        if let Some(words) = &mut tg.words {
            for g in words {
                g.ids = g
                    .words
                    .iter()
                    .map(|w| {
                        let next = ids.len() as u32;
                        *ids.entry(w.clone()).or_insert(next)
                    })
                    .collect();
            }
        }
    };
    for b in &mut set.blocks {
        b.types
            .iter_mut()
            .chain(b.not_types.iter_mut())
            .for_each(&mut assign);
    }
    for c in &mut set.contexts {
        c.param_type.iter_mut().for_each(&mut assign);
    }
    set.app_state_extractors.iter_mut().for_each(&mut assign);
    let mut words: Vec<(u32, String)> = ids.into_iter().map(|(w, i)| (i, w)).collect();
    words.sort();
    let patterns: Vec<String> = words.into_iter().map(|(_, w)| w).collect();
    if let Ok(automaton) = aho_corasick::AhoCorasick::new(&patterns) {
        set.word_index = WordIndex {
            automaton,
            len: patterns.len(),
        };
    } else {
        // Cannot happen for plain words; without an index every pattern stays possible.
        for b in &mut set.blocks {
            b.types
                .iter_mut()
                .chain(b.not_types.iter_mut())
                .for_each(|t| t.words = None);
        }
    }
}

/// Narrows the blocks of one kind a node must be checked against.
#[derive(Default)]
pub struct Prefilter {
    paths: Option<GlobSet>,
    path_owner: Vec<usize>,
    names: Option<RegexSet>,
    name_owner: Vec<usize>,
    /// Blocks with neither key: always checked.
    always: Vec<usize>,
}

impl Prefilter {
    /// Blocks that may match a node with this name and these resolved paths, in rule order.
    pub fn candidates(
        &self,
        name: Option<&str>,
        paths: &[&str],
        scratch: &mut Vec<usize>,
        out: &mut Vec<usize>,
    ) {
        out.clear();
        out.extend_from_slice(&self.always);
        if let Some(set) = &self.paths {
            for p in paths {
                set.matches_into(p, scratch);
                out.extend(scratch.iter().map(|&i| self.path_owner[i]));
            }
        }
        if let (Some(set), Some(name)) = (&self.names, name)
            && set.is_match(name)
        {
            out.extend(set.matches(name).into_iter().map(|i| self.name_owner[i]));
        }
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
    }
}

fn build_prefilters(set: &mut RuleSet) {
    for kind in 0..NODE_KINDS {
        let mut pf = Prefilter::default();
        let mut globs = GlobSetBuilder::new();
        let mut names = Vec::new();
        for &b in &set.blocks_by_kind[kind] {
            let block = &set.blocks[b];
            if !block.path_globs.is_empty() {
                for g in &block.path_globs {
                    globs.add(g.clone());
                    pf.path_owner.push(b);
                }
            } else if let Some(n) = &block.name {
                names.push(n.as_str().to_string());
                pf.name_owner.push(b);
            } else {
                pf.always.push(b);
            }
        }
        if !pf.path_owner.is_empty() {
            pf.paths = build_globset(globs);
        }
        if !names.is_empty() {
            pf.names = RegexSet::new(&names).ok();
            if pf.names.is_none() {
                // Too large to combine: check those blocks every time.
                pf.always.append(&mut pf.name_owner);
                pf.always.sort_unstable();
            }
        }
        set.prefilter[kind] = pf;
    }
}

/// `append(true)` in `chain-has`: a method (glob on its name) and optionally a regex on the
/// source text of its arguments.
pub struct ChainPattern {
    pub method: GlobMatcher,
    pub args: Option<Regex>,
}

/// What the state model knows of type shapes: globs on one layer of a type, each rendered with
/// last segments (`Mutex<HashMap<K,V>>`) and with resolved paths.
#[derive(Default)]
pub struct StateShapes {
    /// Collections of data (`*Map<*>`, `Vec<*>`, `Slab<*>`).
    pub collections: Option<ShapeGlobs>,
    /// Caches (`*Cache<*>`, `LruMap<*>`).
    pub caches: Option<ShapeGlobs>,
    /// Wrappers with interior mutability (`Mutex<*>`, `RwLock<*>`, `ArcSwap<*>`, `RefCell<*>`).
    pub cells: Option<ShapeGlobs>,
    /// Wrappers that share or hold without changing (`Arc<*>`, `Box<*>`, `OnceLock<*>`,
    /// `Lazy<*>`, `Option<*>`, extractors such as `Data<*>`).
    pub holders: Option<ShapeGlobs>,
    /// Atomics and numbers, flags and points in time.
    pub scalars: Option<ShapeGlobs>,
    /// What a fan-out registry holds: senders, recipients, sinks, sockets.
    pub senders: Option<ShapeGlobs>,
    /// Resources that are not data: pools, clients, connections, handles, channels.
    pub resources: Option<ShapeGlobs>,
    /// Other crates' types that are plain data (`String`, `PathBuf`, `serde_json::Value`):
    /// a lock around one is a value that may change; any other foreign type is a resource.
    pub values: Option<ShapeGlobs>,
}

/// Globs matched against one layer of a type. A pattern naming arguments (`*Sender<()>`,
/// `Mutex<*>`) is matched against the layer's rendering with its arguments; one without
/// (`*Pool`, `Atomic*`) against the layer's own name only, so that `*Counter` does not match
/// `HashMap<String, Addr<Counter>>`.
pub struct ShapeGlobs {
    head_short: Option<GlobSet>,
    head_full: Option<GlobSet>,
    short: Option<GlobSet>,
    full: Option<GlobSet>,
}

impl ShapeGlobs {
    pub fn matches(&self, ty: &Ty) -> bool {
        if let Ty::Path(p) = ty
            && (self
                .head_short
                .as_ref()
                .is_some_and(|g| g.is_match(&p.name))
                || self.head_full.as_ref().is_some_and(|g| g.is_match(&p.full)))
        {
            return true;
        }
        if self.short.is_none() && self.full.is_none() {
            return false;
        }
        self.short
            .as_ref()
            .is_some_and(|g| g.is_match(ty.rendered(false)))
            || self
                .full
                .as_ref()
                .is_some_and(|g| g.is_match(ty.rendered(true)))
    }

    fn of(items: &[String]) -> Option<ShapeGlobs> {
        let mut sets: [(GlobSetBuilder, usize); 4] =
            std::array::from_fn(|_| (GlobSetBuilder::new(), 0));
        for item in items {
            let p = normalize_type_pattern(item);
            let Ok(g) = GlobBuilder::new(&p)
                .literal_separator(false)
                .backslash_escape(true)
                .build()
            else {
                // Reported where the list is defined (see `check_state_lists`).
                continue;
            };
            let which = match (p.contains('<') || p.contains('('), p.contains("::")) {
                (false, false) => 0,
                (false, true) => 1,
                (true, false) => 2,
                (true, true) => 3,
            };
            sets[which].0.add(g);
            sets[which].1 += 1;
        }
        if sets.iter().all(|(_, n)| *n == 0) {
            return None;
        }
        let [hs, hf, s, f] = sets.map(|(b, n)| if n > 0 { build_globset(b) } else { None });
        Some(ShapeGlobs {
            head_short: hs,
            head_full: hf,
            short: s,
            full: f,
        })
    }
}

/// Kinds of content a state holder may have (`holds = [..]`), as bits.
pub const HOLDS: &[&str] = &["collection", "cache", "senders", "value", "scalar"];
/// Kinds of long-lived holder (`holder = [..]`), as bits.
pub const HOLDER_KINDS: &[&str] = &["static", "app-state", "actor", "task", "start-up", "store"];

pub struct Context {
    pub id: String,
    pub description: String,
    pub follow_calls: u8,
    pub excluded_by_default: bool,
    pub attribute: Option<GlobSet>,
    pub param_type: Option<TypeGlobs>,
    pub trait_impl: Option<GlobSet>,
    pub fn_name: Option<Regex>,
    pub cfg_requires: Vec<String>,
    pub files: Option<GlobSet>,
    pub state_role: Option<StateRole>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateRole {
    StartUp,
    RunTime,
    Task,
}

/// `db.*`, `*_repo.load`: a call glob naming the receiver of a method (not `.name`, not a path).
fn is_receiver_form(glob: &str) -> bool {
    !glob.starts_with('.') && !glob.contains("::") && glob.contains('.')
}

/// Conditions on what a scope (and the same-crate functions it calls) does: compiled into
/// combined sets so each call or string in a file is tested once against all of them.
#[derive(Default)]
pub struct Predicates {
    pub count: usize,
    /// Some call glob names an arity (`.subscribe(1)`): method calls are also offered as
    /// `.name(N)` with N their number of arguments.
    pub with_arity: bool,
    /// Some call glob names a method by its receiver (`db.*`): method calls are also noted
    /// as `receiver.name`, the receiver's last name (`self.db.load()` is `db.load`).
    pub with_receiver: bool,
    pub calls: Option<GlobSet>,
    pub call_owner: Vec<usize>,
    /// Per call glob: it is written in the receiver form (`db.*`). Only those globs are
    /// matched against `receiver.name`, so `*heartbeat*` is not met by `heartbeats.len()`.
    pub receiver_form: Vec<bool>,
    pub loop_calls: Option<GlobSet>,
    pub loop_owner: Vec<usize>,
    pub strings: Option<RegexSet>,
    pub string_owner: Vec<usize>,
}

/// Crate-wide `requires-usage` / `unless-usage`: does the crate mention such a path anywhere?
#[derive(Default)]
pub struct UsageSets {
    pub count: usize,
    pub globs: Option<GlobSet>,
    pub owner: Vec<usize>,
}

const DEFAULT_WRAPPERS: &[&str] = &[
    "Arc",
    "Rc",
    "Box",
    "Mutex",
    "RwLock",
    "RefCell",
    "Cell",
    "Lazy",
    "LazyLock",
    "LazyCell",
    "OnceLock",
    "OnceCell",
    "Data",
    "State",
    "Extension",
    "ArcSwap",
    "ArcSwapOption",
    "AtomicRefCell",
    "ReentrantMutex",
    "FairMutex",
    "CachePadded",
    "Option",
    "UnsafeCell",
    "SyncUnsafeCell",
    "ManuallyDrop",
    "MaybeUninit",
    "Pin",
];

struct Loader<'a> {
    file: &'a str,
    text: &'a Arc<String>,
    diags: &'a mut Diagnostics,
    lists: &'a BTreeMap<String, Vec<String>>,
}

impl Loader<'_> {
    fn error(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        let d = FileDiagnostic::at(self.file, self.text, Some(span), Some(key), message);
        self.diags.push(d);
    }

    /// List items with `@name` references expanded.
    fn items(&mut self, list: &Spanned<StrList>, key: &str) -> Vec<(String, Range<usize>)> {
        let mut out = Vec::new();
        for item in list.get_ref().iter() {
            let span = item_span(list, item);
            let value = item.get_ref();
            if let Some(name) = value.strip_prefix('@') {
                match self.lists.get(name) {
                    Some(values) => out.extend(values.iter().map(|v| (v.clone(), span.clone()))),
                    None => {
                        let known: Vec<&str> = self.lists.keys().map(String::as_str).collect();
                        self.error(
                            span,
                            key,
                            format!(
                                "unknown list `@{name}`; defined lists: {}",
                                known.join(", ")
                            ),
                        );
                    }
                }
            } else {
                out.push((value.clone(), span));
            }
        }
        out
    }

    fn glob(&mut self, pattern: &str, span: Range<usize>, key: &str) -> Option<Glob> {
        match GlobBuilder::new(pattern)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
        {
            Ok(g) => Some(g),
            Err(e) => {
                self.error(span, key, format!("invalid glob `{pattern}`: {}", e.kind()));
                None
            }
        }
    }

    fn globset(&mut self, list: &Option<Spanned<StrList>>, key: &str) -> Option<GlobSet> {
        self.globs(list, key).1
    }

    fn globs(
        &mut self,
        list: &Option<Spanned<StrList>>,
        key: &str,
    ) -> (Vec<Glob>, Option<GlobSet>) {
        let Some(list) = list.as_ref() else {
            return (Vec::new(), None);
        };
        let mut b = GlobSetBuilder::new();
        let mut all = Vec::new();
        for (p, span) in self.items(list, key) {
            if let Some(g) = self.glob(&p, span, key) {
                b.add(g.clone());
                all.push(g);
            }
        }
        (all, build_globset(b))
    }

    fn type_globs(&mut self, list: &Option<Spanned<StrList>>, key: &str) -> Option<TypeGlobs> {
        let list = list.as_ref()?;
        let mut short = GlobSetBuilder::new();
        let mut full = GlobSetBuilder::new();
        let (mut n_short, mut n_full) = (0, 0);
        let mut words = Some(Vec::new());
        for (p, span) in self.items(list, key) {
            let p = normalize_type_pattern(&p);
            match (GlobWords::of(&p), words.as_mut()) {
                (Some(w), Some(all)) => all.push(w),
                _ => words = None,
            }
            if let Some(g) = self.glob(&p, span, key) {
                if p.contains("::") {
                    full.add(g);
                    n_full += 1;
                } else {
                    short.add(g);
                    n_short += 1;
                }
            }
        }
        Some(TypeGlobs {
            short: if n_short > 0 {
                build_globset(short)
            } else {
                None
            },
            full: if n_full > 0 {
                build_globset(full)
            } else {
                None
            },
            words,
        })
    }

    fn regex(&mut self, value: &Spanned<String>, key: &str) -> Option<Regex> {
        match Regex::new(value.get_ref()) {
            Ok(r) => Some(r),
            Err(e) => {
                self.error(
                    value.span(),
                    key,
                    format!("invalid regex: {}", one_line(&e.to_string())),
                );
                None
            }
        }
    }

    fn regex_opt(&mut self, value: &Option<Spanned<String>>, key: &str) -> Option<Regex> {
        self.regex(value.as_ref()?, key)
    }

    /// Names from a fixed vocabulary as bits (`holds = ["collection", "cache"]`).
    fn bits(&mut self, list: &Option<Spanned<StrList>>, key: &str, names: &[&str]) -> u16 {
        let Some(list) = list.as_ref() else {
            return 0;
        };
        let mut bits = 0u16;
        for (item, span) in self.items(list, key) {
            match names.iter().position(|n| *n == item) {
                Some(i) => bits |= 1 << i,
                None => self.error(
                    span,
                    key,
                    format!(
                        "unknown value `{item}`: expected one of {}",
                        names.join(", ")
                    ),
                ),
            }
        }
        bits
    }

    /// Several regexes as one that matches when any of them does.
    fn regex_any(&mut self, list: &Option<Spanned<StrList>>, key: &str) -> Option<Regex> {
        let list = list.as_ref()?;
        let mut parts = Vec::new();
        for (p, span) in self.items(list, key) {
            match Regex::new(&p) {
                Ok(_) => parts.push(format!("(?:{p})")),
                Err(e) => self.error(
                    span,
                    key,
                    format!("invalid regex: {}", one_line(&e.to_string())),
                ),
            }
        }
        if parts.is_empty() {
            return None;
        }
        match Regex::new(&parts.join("|")) {
            Ok(r) => Some(r),
            Err(e) => {
                self.error(
                    list.span(),
                    key,
                    format!("invalid regex: {}", one_line(&e.to_string())),
                );
                None
            }
        }
    }

    fn regex_list(&mut self, list: &Option<Spanned<StrList>>, key: &str) -> Option<Vec<Regex>> {
        let list = list.as_ref()?;
        let mut out = Vec::new();
        for (p, span) in self.items(list, key) {
            match Regex::new(&p) {
                Ok(r) => out.push(r),
                Err(e) => self.error(
                    span,
                    key,
                    format!("invalid regex: {}", one_line(&e.to_string())),
                ),
            }
        }
        Some(out)
    }

    fn chain(&mut self, list: &Option<Spanned<StrList>>, key: &str) -> Vec<ChainPattern> {
        let Some(list) = list.as_ref() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (p, span) in self.items(list, key) {
            let (method, args) = match (p.find('('), p.ends_with(')')) {
                (Some(open), true) => (&p[..open], Some(&p[open + 1..p.len() - 1])),
                _ => (p.as_str(), None),
            };
            let Some(glob) = self.glob(method.trim(), span.clone(), key) else {
                continue;
            };
            let args = match args {
                Some(a) => match Regex::new(a) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        self.error(
                            span,
                            key,
                            format!("invalid regex in `{p}`: {}", one_line(&e.to_string())),
                        );
                        continue;
                    }
                },
                None => None,
            };
            out.push(ChainPattern {
                method: glob.compile_matcher(),
                args,
            });
        }
        out
    }

    fn contexts(
        &mut self,
        list: &Option<Spanned<StrList>>,
        key: &str,
        ids: &HashMap<String, usize>,
    ) -> CtxSet {
        let Some(list) = list.as_ref() else { return 0 };
        let mut set = 0;
        for (name, span) in self.items(list, key) {
            match ids.get(&name) {
                Some(bit) => set |= 1 << bit,
                None => {
                    let mut known: Vec<&str> = ids.keys().map(String::as_str).collect();
                    known.sort();
                    self.error(
                        span,
                        key,
                        format!(
                            "unknown context `{name}`; defined contexts: {}",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        set
    }

    fn crate_names(&mut self, list: &Option<Spanned<StrList>>, key: &str) -> Vec<String> {
        match list {
            Some(l) => self
                .items(l, key)
                .into_iter()
                .map(|(n, _)| n.replace('-', "_"))
                .collect(),
            None => Vec::new(),
        }
    }

    fn template(&mut self, value: &Spanned<String>, key: &str) -> Option<Template> {
        match Template::parse(value.get_ref()) {
            Ok(t) => Some(t),
            Err(msg) => {
                self.error(value.span(), key, msg);
                None
            }
        }
    }
}

/// Types are rendered without spaces (`HashMap<K,V>`, `dyn Fn`); authors may write
/// `HashMap<K, V>` and `impl Fn`.
pub fn normalize_type_pattern(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut word = String::new();
    let mut pending_space = false;
    for c in p.chars() {
        if c.is_whitespace() {
            pending_space = matches!(word.as_str(), "dyn" | "impl");
            continue;
        }
        if pending_space && (c.is_alphanumeric() || c == '_' || c == '*') {
            out.push(' ');
        }
        pending_space = false;
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            word.clear();
        }
        out.push(c);
    }
    out.replace("impl ", "dyn ")
}

fn build_globset(b: GlobSetBuilder) -> Option<GlobSet> {
    // Each glob was validated on its own; building the set cannot fail for another reason.
    b.build().ok()
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which keys a block sets, with their spans, to check them against the block's kind.
fn present_keys(m: &MatchDef) -> Vec<(&'static str, Range<usize>)> {
    let mut out = Vec::new();
    macro_rules! key {
        ($field:ident, $name:expr) => {
            if let Some(v) = &m.$field {
                out.push(($name, v.span()));
            }
        };
    }
    key!(on, "on");
    key!(type_, "type");
    key!(not_type, "not-type");
    key!(name, "name");
    key!(not_name, "not-name");
    key!(path, "path");
    key!(not_path, "not-path");
    key!(receiver, "receiver");
    key!(args, "args");
    key!(not_args, "not-args");
    key!(chain_has, "chain-has");
    key!(chain_lacks, "chain-lacks");
    key!(mutable, "mutable");
    key!(fallible_after, "fallible-after");
    key!(inside, "inside");
    key!(not_inside, "not-inside");
    key!(calls, "calls");
    key!(calls_in_loop, "calls-in-loop");
    key!(fn_calls, "fn-calls");
    key!(unless_calls, "unless-calls");
    key!(strings, "strings");
    key!(unless_strings, "unless-strings");
    key!(hops, "hops");
    key!(constant_arg, "constant-arg");
    key!(requires_dependency, "requires-dependency");
    key!(unless_dependency, "unless-dependency");
    key!(requires_usage, "requires-usage");
    key!(unless_usage, "unless-usage");
    key!(unless_used_with, "unless-used-with");
    key!(used_with, "used-with");
    key!(used_with_not_inside, "used-with-not-inside");
    key!(in_app_state, "in-app-state");
    key!(holds, "holds");
    key!(holder, "holder");
    key!(look_into_structs, "look-into-structs");
    key!(owner, "owner");
    key!(keyed_by, "keyed-by");
    key!(owner_implements, "owner-implements");
    key!(constructor, "constructor");
    key!(prefer_owner_calls, "prefer-owner-calls");
    key!(unless_owner_calls, "unless-owner-calls");
    key!(severity, "severity");
    key!(message, "message");
    key!(help, "help");
    out
}

/// Keys a `[[context.passed-to]]` block may use: only what is known at the call site.
const PASSED_TO_KEYS: &[&str] = &[
    "on",
    "path",
    "not-path",
    "name",
    "not-name",
    "receiver",
    "chain-has",
    "chain-lacks",
];

/// Collects predicate patterns while blocks are compiled; built into `Predicates` at the end.
#[derive(Default)]
struct PredicateBuilder {
    count: usize,
    calls: Vec<(Glob, usize)>,
    loop_calls: Vec<(Glob, usize)>,
    strings: Vec<(String, usize)>,
}

impl PredicateBuilder {
    fn new_id(&mut self) -> usize {
        self.count += 1;
        self.count - 1
    }

    fn build(self) -> Predicates {
        let mut p = Predicates {
            count: self.count,
            with_arity: self.calls.iter().any(|(g, _)| g.glob().ends_with(')')),
            with_receiver: self.calls.iter().any(|(g, _)| is_receiver_form(g.glob())),
            ..Default::default()
        };
        if !self.calls.is_empty() {
            let mut b = GlobSetBuilder::new();
            for (g, owner) in self.calls {
                p.receiver_form.push(is_receiver_form(g.glob()));
                b.add(g);
                p.call_owner.push(owner);
            }
            p.calls = build_globset(b);
        }
        if !self.loop_calls.is_empty() {
            let mut b = GlobSetBuilder::new();
            for (g, owner) in self.loop_calls {
                b.add(g);
                p.loop_owner.push(owner);
            }
            p.loop_calls = build_globset(b);
        }
        if !self.strings.is_empty() {
            let (patterns, owners): (Vec<String>, Vec<usize>) = self.strings.into_iter().unzip();
            p.strings = RegexSet::new(&patterns).ok();
            p.string_owner = owners;
        }
        p
    }
}

#[derive(Default)]
pub struct CompileOptions {
    /// Extra items for named lists (from the config file), appended to the rule files' lists.
    pub extra_lists: BTreeMap<String, Vec<String>>,
}

/// Loads and validates rule files, returning every problem found.
pub fn compile(sources: &[RuleSource], options: &CompileOptions) -> Result<RuleSet, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut defs: Vec<(usize, RuleFileDef)> = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        match toml::from_str::<RuleFileDef>(src.text.as_str()) {
            Ok(def) => defs.push((i, def)),
            Err(e) => diags.push(FileDiagnostic::from_toml(&src.name, &src.text, &e)),
        }
    }

    // Lists first: any file may use a list another file defines.
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, def) in &defs {
        for (name, items) in &def.lists {
            // `@other` inside a list would be kept as a literal pattern that matches nothing.
            for item in items.get_ref().iter() {
                if item.get_ref().starts_with('@') {
                    let src = &sources[*i];
                    diags.push(FileDiagnostic::at(
                        &src.name,
                        &src.text,
                        Some(item_span(items, item)),
                        Some(name),
                        format!(
                            "a list cannot include another list (`{}`): name both lists where the list is used",
                            item.get_ref()
                        ),
                    ));
                }
            }
            let entry = lists.entry(name.clone()).or_default();
            entry.extend(items.get_ref().iter().map(|s| s.get_ref().clone()));
        }
    }
    let defined_lists: BTreeSet<String> = lists.keys().cloned().collect();
    for (name, items) in &options.extra_lists {
        lists
            .entry(name.clone())
            .or_default()
            .extend(items.iter().cloned());
    }

    // Context ids next: blocks refer to them by name.
    let mut ctx_ids: HashMap<String, usize> = HashMap::new();
    for (i, def) in &defs {
        for c in &def.context {
            let id = c.id.get_ref();
            if ctx_ids.contains_key(id) {
                let src = &sources[*i];
                diags.push(FileDiagnostic::at(
                    &src.name,
                    &src.text,
                    Some(c.id.span()),
                    Some("id"),
                    format!("context `{id}` is defined twice"),
                ));
            } else if ctx_ids.len() == MAX_CONTEXTS {
                let src = &sources[*i];
                diags.push(FileDiagnostic::at(
                    &src.name,
                    &src.text,
                    Some(c.id.span()),
                    Some("id"),
                    format!("at most {MAX_CONTEXTS} contexts can be defined"),
                ));
            } else {
                let n = ctx_ids.len();
                ctx_ids.insert(id.clone(), n);
            }
        }
    }

    let mut preds = PredicateBuilder::default();
    let mut usage: Vec<(Glob, usize)> = Vec::new();
    let mut usage_count = 0usize;
    let mut set = RuleSet {
        rules: Vec::new(),
        blocks: Vec::new(),
        blocks_by_kind: Default::default(),
        prefilter: Default::default(),
        contexts: Vec::new(),
        passed_to: Vec::new(),
        passed_to_by_kind: Default::default(),
        registered_by: Vec::new(),
        registered_by_kind: Default::default(),
        startup_contexts: 0,
        runtime_contexts: 0,
        task_contexts: 0,
        shapes: StateShapes::default(),
        excluded_by_default: 0,
        predicates: Predicates::default(),
        usage: UsageSets::default(),
        app_state_extractors: None,
        wrappers: DEFAULT_WRAPPERS.iter().map(|s| s.to_string()).collect(),
        uses_receiver: false,
        tracks_state_use: false,
        tracks_state_keys: false,
        looks_into_structs: false,
        call_words: HashSet::new(),
        disabled: HashSet::new(),
        defined_lists: BTreeSet::new(),
        word_index: WordIndex {
            automaton: aho_corasick::AhoCorasick::new(Vec::<&str>::new()).expect("empty automaton"),
            len: 0,
        },
        lists: BTreeMap::new(),
    };
    if let Some(w) = lists.get("wrappers") {
        set.wrappers.extend(w.iter().cloned());
    }
    let mut contexts: Vec<Option<Context>> = (0..ctx_ids.len()).map(|_| None).collect();
    let mut seen_rules: HashMap<String, String> = HashMap::new();
    let mut supersede_refs: Vec<(usize, String, Range<usize>)> = Vec::new();
    let mut extractors: Vec<(usize, Spanned<StrList>)> = Vec::new();

    for (i, def) in defs {
        let src = &sources[i];
        let mut l = Loader {
            file: &src.name,
            text: &src.text,
            diags: &mut diags,
            lists: &lists,
        };
        for c in &def.context {
            let Some(&bit) = ctx_ids.get(c.id.get_ref()) else {
                continue;
            };
            if contexts[bit].is_some() {
                continue;
            }
            let ctx = compile_context(&mut l, c, &ctx_ids);
            for pt in &c.passed_to {
                if let Some(block) = compile_passed_to(&mut l, pt) {
                    set.passed_to_by_kind[block.kind.index()].push(set.passed_to.len());
                    set.passed_to.push((bit, block));
                }
            }
            contexts[bit] = Some(ctx);
        }
        if let Some(app) = def.app_state {
            for m in &app.registered_by {
                if let Some(block) = compile_passed_to(&mut l, m) {
                    set.registered_by_kind[block.kind.index()].push(set.registered_by.len());
                    set.registered_by.push(block);
                }
            }
            if let Some(e) = app.extractor {
                extractors.push((i, e));
            }
        }
        check_state_lists(&mut l, &def.lists);
        for r in &def.rule {
            let id = r.id.get_ref();
            if !is_kebab(id) {
                l.error(
                    r.id.span(),
                    "id",
                    format!(
                        "rule id `{id}` must be kebab-case (lowercase letters, digits and `-`)"
                    ),
                );
            }
            if let Some(prev) = seen_rules.get(id) {
                l.error(
                    r.id.span(),
                    "id",
                    format!("rule `{id}` is already defined in {prev}"),
                );
                continue;
            }
            seen_rules.insert(id.clone(), src.name.clone());
            let rule_index = set.rules.len();
            if let Some(list) = &r.supersedes {
                for item in list.get_ref().iter() {
                    supersede_refs.push((i, item.get_ref().clone(), item_span(list, item)));
                }
            }
            if let Some(mut meta) = compile_meta(&mut l, r) {
                if let Some(list) = &r.across_crates_calls {
                    let id = preds.new_id();
                    for (p, span) in l.items(list, "across-crates-calls") {
                        if let Some(g) = l.glob(&p, span, "across-crates-calls") {
                            preds.calls.push((g, id));
                        }
                    }
                    meta.across_crates_calls = Some(id as u16);
                }
                set.rules.push(meta);
            } else {
                continue;
            }
            if r.matches.is_empty() && !r.internal {
                l.error(
                    r.id.span(),
                    "match",
                    format!("rule `{id}` has no [[rule.match]] block, so it can never fire"),
                );
            }
            for m in &r.matches {
                if let Some(block) = compile_block(
                    &mut l,
                    m,
                    rule_index,
                    &ctx_ids,
                    &mut preds,
                    &mut usage,
                    &mut usage_count,
                ) {
                    set.blocks_by_kind[block.kind.index()].push(set.blocks.len());
                    set.blocks.push(block);
                }
            }
        }
    }

    for (i, id, span) in supersede_refs {
        if !seen_rules.contains_key(&id) {
            let src = &sources[i];
            diags.push(FileDiagnostic::at(
                &src.name,
                &src.text,
                Some(span),
                Some("supersedes"),
                format!("unknown rule `{id}`"),
            ));
        }
    }

    for (i, e) in extractors {
        let src = &sources[i];
        let mut l = Loader {
            file: &src.name,
            text: &src.text,
            diags: &mut diags,
            lists: &lists,
        };
        let tg = l.type_globs(&Some(e), "extractor");
        // Several files may add extractors: keep them all by merging their sets.
        set.app_state_extractors = merge_type_globs(set.app_state_extractors.take(), tg);
    }

    set.contexts = contexts.into_iter().flatten().collect();
    for (bit, c) in set.contexts.iter().enumerate() {
        match c.state_role {
            Some(StateRole::StartUp) => set.startup_contexts |= 1 << bit,
            Some(StateRole::RunTime) => set.runtime_contexts |= 1 << bit,
            Some(StateRole::Task) => {
                set.runtime_contexts |= 1 << bit;
                set.task_contexts |= 1 << bit;
            }
            None => {}
        }
    }
    let shape = |name: &str| lists.get(name).and_then(|items| ShapeGlobs::of(items));
    set.shapes = StateShapes {
        collections: shape("state-collections"),
        caches: shape("state-caches"),
        cells: shape("state-cells"),
        holders: shape("state-holders"),
        scalars: shape("state-scalars"),
        senders: shape("state-senders"),
        resources: shape("state-resources"),
        values: shape("state-values"),
    };
    set.excluded_by_default = set
        .contexts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.excluded_by_default)
        .fold(0, |acc, (i, _)| acc | (1 << i));
    set.call_words = call_words(
        preds
            .calls
            .iter()
            .chain(preds.loop_calls.iter())
            .map(|(g, _)| g.glob())
            .chain(set.blocks.iter().flat_map(|b| {
                b.path_globs
                    .iter()
                    .filter(|_| matches!(b.kind, NodeKind::Call | NodeKind::Method))
                    .map(|g| g.glob())
            })),
    );
    set.predicates = preds.build();
    if !usage.is_empty() {
        let mut b = GlobSetBuilder::new();
        for (g, owner) in usage {
            b.add(g);
            set.usage.owner.push(owner);
        }
        set.usage.globs = build_globset(b);
    }
    set.usage.count = usage_count;
    set.lists = lists;
    set.defined_lists = defined_lists;
    set.tracks_state_use = set.blocks.iter().any(|b| {
        b.unless_used_with.is_some() || b.used_with.is_some() || b.used_with_methods.is_some()
    });
    set.tracks_state_keys = set.blocks.iter().any(|b| b.keyed_by.is_some());
    set.looks_into_structs = set.blocks.iter().any(|b| b.look_into_structs);
    set.uses_receiver = set
        .blocks
        .iter()
        .chain(set.passed_to.iter().map(|(_, b)| b))
        .any(|b| b.receiver.is_some());
    build_prefilters(&mut set);
    index_type_words(&mut set);
    diags.into_result(set)
}

/// The `state-*` lists are type globs the state model reads directly: a bad one is reported
/// where it is written.
fn check_state_lists(l: &mut Loader, lists: &BTreeMap<String, Spanned<StrList>>) {
    for (name, items) in lists {
        if !name.starts_with("state-") {
            continue;
        }
        for item in items.get_ref().iter() {
            let p = normalize_type_pattern(item.get_ref());
            l.glob(&p, item_span(items, item), name);
        }
    }
}

fn merge_type_globs(a: Option<TypeGlobs>, b: Option<TypeGlobs>) -> Option<TypeGlobs> {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        // Rare (two files defining extractors); keep the later, more specific set.
        (Some(a), Some(b)) => Some(TypeGlobs {
            short: b.short.or(a.short),
            full: b.full.or(a.full),
            words: match (a.words, b.words) {
                (Some(mut x), Some(y)) => {
                    x.extend(y);
                    Some(x)
                }
                _ => None,
            },
        }),
    }
}

/// The literal last segment of each call glob (`std::fs::remove_file` -> `remove_file`,
/// `.tick` -> `tick`, `.subscribe(1)` -> `subscribe`); wildcard segments name no word.
fn call_words<'a>(patterns: impl Iterator<Item = &'a str>) -> HashSet<String> {
    patterns
        .filter_map(|p| {
            let last = p.rsplit("::").next().unwrap_or(p);
            let last = last.trim_start_matches('.');
            let last = last.split('(').next().unwrap_or(last);
            let literal =
                !last.is_empty() && last.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            literal.then(|| last.to_string())
        })
        .collect()
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

fn compile_meta(l: &mut Loader, r: &RuleDef) -> Option<RuleMeta> {
    let message = l.template(&r.message, "message")?;
    if let Some(c) = &r.checklist
        && !(1..=6).contains(c.get_ref())
    {
        l.error(c.span(), "checklist", "checklist item must be 1 to 6 (the stateless checklist); leave it out for rules beyond it");
    }
    let title = r.title.clone().unwrap_or_else(|| message.plain());
    Some(RuleMeta {
        id: r.id.get_ref().clone(),
        checklist: r.checklist.as_ref().map(|c| *c.get_ref()),
        severity: *r.severity.get_ref(),
        title,
        message,
        help: r.help.get_ref().clone(),
        explain: r.explain.clone(),
        bad: r.bad.clone(),
        good: r.good.clone(),
        supersedes: match &r.supersedes {
            Some(list) => l
                .items(list, "supersedes")
                .into_iter()
                .map(|(s, _)| s)
                .collect(),
            None => Vec::new(),
        },
        across_crates: r.across_crates.unwrap_or(false) || r.across_crates_calls.is_some(),
        across_crates_calls: None,
        origin: l.file.to_string(),
        internal: r.internal,
    })
}

fn compile_context(l: &mut Loader, c: &ContextDef, ids: &HashMap<String, usize>) -> Context {
    let _ = ids;
    let cfg_requires = match &c.cfg_requires {
        Some(list) => l
            .items(list, "cfg-requires")
            .into_iter()
            .map(|(s, _)| s)
            .collect(),
        None => Vec::new(),
    };
    Context {
        id: c.id.get_ref().clone(),
        description: c.description.clone().unwrap_or_default(),
        follow_calls: c.follow_calls,
        excluded_by_default: c.excluded_by_default,
        attribute: l.globset(&c.attribute, "attribute"),
        param_type: l.type_globs(&c.param_type, "param-type"),
        trait_impl: l.globset(&c.trait_impl, "trait-impl"),
        fn_name: l.regex_opt(&c.fn_name, "fn-name"),
        cfg_requires,
        files: l.globset(&c.files, "files"),
        state_role: c
            .state_role
            .as_ref()
            .and_then(|r| match r.get_ref().as_str() {
                "start-up" => Some(StateRole::StartUp),
                "run-time" => Some(StateRole::RunTime),
                "task" => Some(StateRole::Task),
                other => {
                    l.error(
                    r.span(),
                    "state-role",
                    format!(
                        "unknown state role `{other}`: expected `start-up`, `run-time` or `task`"
                    ),
                );
                    None
                }
            }),
    }
}

fn parse_kind(l: &mut Loader, m: &Spanned<MatchDef>) -> Option<NodeKind> {
    let Some(on) = &m.get_ref().on else {
        l.error(
            m.span(),
            "on",
            format!("a match block needs `on` (one of: {})", NodeKind::names()),
        );
        return None;
    };
    match NodeKind::parse(on.get_ref()) {
        Some(k) => Some(k),
        None => {
            l.error(
                on.span(),
                "on",
                format!(
                    "unknown node kind `{}`; expected one of: {}",
                    on.get_ref(),
                    NodeKind::names()
                ),
            );
            None
        }
    }
}

fn check_keys(
    l: &mut Loader,
    m: &MatchDef,
    kind: NodeKind,
    allowed_extra: Option<&[&str]>,
) -> bool {
    let mut ok = true;
    for (key, span) in present_keys(m) {
        let allowed = match allowed_extra {
            Some(only) => {
                only.contains(&key)
                    && (key == "on"
                        || COMMON_KEYS.contains(&key)
                        || kind.specific_keys().contains(&key))
            }
            None => COMMON_KEYS.contains(&key) || kind.specific_keys().contains(&key),
        };
        if !allowed {
            let mut valid: Vec<&str> = match allowed_extra {
                Some(only) => only
                    .iter()
                    .copied()
                    .filter(|k| *k == "on" || kind.specific_keys().contains(k))
                    .collect(),
                None => COMMON_KEYS
                    .iter()
                    .chain(kind.specific_keys())
                    .copied()
                    .collect(),
            };
            valid.sort();
            l.error(
                span,
                key,
                format!(
                    "`{key}` does not apply to `on = \"{}\"`; valid keys here: {}",
                    kind.as_str(),
                    valid.join(", ")
                ),
            );
            ok = false;
        }
    }
    ok
}

fn local_parts(l: &mut Loader, m: &MatchDef, kind: NodeKind, rule: usize) -> Block {
    let mutable = m.mutable.as_ref().map(|v| *v.get_ref());
    let (path_globs, path) = l.globs(&m.path, "path");
    Block {
        rule,
        kind,
        path_globs,
        name: l.regex_any(&m.name, "name"),
        not_name: l.regex_any(&m.not_name, "not-name"),
        path,
        not_path: l.globset(&m.not_path, "not-path"),
        receiver: l.globset(&m.receiver, "receiver"),
        types: l.type_globs(&m.type_, "type"),
        not_types: l.type_globs(&m.not_type, "not-type"),
        args: l.regex_list(&m.args, "args"),
        not_args: l.regex_list(&m.not_args, "not-args"),
        chain_has: l.chain(&m.chain_has, "chain-has"),
        chain_lacks: l.chain(&m.chain_lacks, "chain-lacks"),
        mutable,
        fallible_after: m.fallible_after.as_ref().is_some_and(|v| *v.get_ref()),
        inside: 0,
        not_inside: 0,
        requires: Vec::new(),
        requires_fn: Vec::new(),
        requires_near: Vec::new(),
        unless: None,
        hops: 3,
        constant_arg: None,
        requires_dependency: Vec::new(),
        unless_dependency: Vec::new(),
        requires_usage: None,
        unless_usage: None,
        unless_used_with: None,
        used_with: None,
        used_with_not_inside: 0,
        used_with_methods: None,
        constructor: false,
        prefer_owner_calls: None,
        unless_owner_calls: None,
        in_app_state: m.in_app_state.as_ref().map(|v| *v.get_ref()),
        holds: l.bits(&m.holds, "holds", HOLDS),
        holder_kinds: l.bits(&m.holder, "holder", HOLDER_KINDS),
        look_into_structs: m.look_into_structs.as_ref().is_some_and(|v| *v.get_ref()),
        owner: l.regex_any(&m.owner, "owner"),
        keyed_by: l.regex_any(&m.keyed_by, "keyed-by"),
        owner_implements: l.globset(&m.owner_implements, "owner-implements"),
        severity: m.severity.as_ref().map(|s| *s.get_ref()),
        message: None,
        help: m.help.as_ref().map(|h| h.get_ref().clone()),
    }
}

fn compile_passed_to(l: &mut Loader, m: &Spanned<MatchDef>) -> Option<Block> {
    let kind = parse_kind(l, m)?;
    if !matches!(kind, NodeKind::Call | NodeKind::Method | NodeKind::Macro) {
        l.error(
            m.get_ref().on.as_ref().unwrap().span(),
            "on",
            "`passed-to` blocks match a call, method or macro",
        );
        return None;
    }
    if !check_keys(l, m.get_ref(), kind, Some(PASSED_TO_KEYS)) {
        return None;
    }
    Some(local_parts(l, m.get_ref(), kind, usize::MAX))
}

#[allow(clippy::too_many_arguments)]
fn compile_block(
    l: &mut Loader,
    ms: &Spanned<MatchDef>,
    rule: usize,
    ctx_ids: &HashMap<String, usize>,
    preds: &mut PredicateBuilder,
    usage: &mut Vec<(Glob, usize)>,
    usage_count: &mut usize,
) -> Option<Block> {
    let kind = parse_kind(l, ms)?;
    let m = ms.get_ref();
    if !check_keys(l, m, kind, None) {
        return None;
    }
    let mut block = local_parts(l, m, kind, rule);
    block.inside = l.contexts(&m.inside, "inside", ctx_ids);
    block.not_inside = l.contexts(&m.not_inside, "not-inside", ctx_ids);
    if let Some(h) = &m.hops {
        block.hops = *h.get_ref();
    }
    if let Some(n) = &m.constant_arg {
        match *n.get_ref() {
            0 => l.error(n.span(), "constant-arg", "argument positions start at 1"),
            n => block.constant_arg = Some(n - 1),
        }
    }
    if let Some(msg) = &m.message {
        block.message = l.template(msg, "message");
    }
    let call_pred = |l: &mut Loader,
                     list: &Option<Spanned<StrList>>,
                     key: &str,
                     in_loop: bool,
                     preds: &mut PredicateBuilder|
     -> Option<usize> {
        let list = list.as_ref()?;
        let id = preds.new_id();
        for (p, span) in l.items(list, key) {
            if let Some(g) = l.glob(&p, span, key) {
                if in_loop {
                    preds.loop_calls.push((g, id));
                } else {
                    preds.calls.push((g, id));
                }
            }
        }
        Some(id)
    };
    if let Some(id) = call_pred(l, &m.calls, "calls", false, preds) {
        block.requires.push(id);
    }
    if let Some(id) = call_pred(l, &m.fn_calls, "fn-calls", false, preds) {
        block.requires_fn.push(id);
    }
    if let Some(id) = call_pred(l, &m.calls_in_loop, "calls-in-loop", true, preds) {
        block.requires_near.push(id);
    }
    if let Some(list) = &m.strings {
        let id = preds.new_id();
        for (p, span) in l.items(list, "strings") {
            match Regex::new(&p) {
                Ok(_) => preds.strings.push((p, id)),
                Err(e) => l.error(
                    span,
                    "strings",
                    format!("invalid regex: {}", one_line(&e.to_string())),
                ),
            }
        }
        block.requires.push(id);
    }
    if m.unless_calls.is_some() || m.unless_strings.is_some() {
        let id = preds.new_id();
        if let Some(list) = &m.unless_calls {
            for (p, span) in l.items(list, "unless-calls") {
                if let Some(g) = l.glob(&p, span, "unless-calls") {
                    preds.calls.push((g, id));
                }
            }
        }
        if let Some(list) = &m.unless_strings {
            for (p, span) in l.items(list, "unless-strings") {
                match Regex::new(&p) {
                    Ok(_) => preds.strings.push((p, id)),
                    Err(e) => l.error(
                        span,
                        "unless-strings",
                        format!("invalid regex: {}", one_line(&e.to_string())),
                    ),
                }
            }
        }
        block.unless = Some(id);
    }
    block.requires_dependency = l.crate_names(&m.requires_dependency, "requires-dependency");
    block.unless_dependency = l.crate_names(&m.unless_dependency, "unless-dependency");
    let mut usage_set =
        |l: &mut Loader, list: &Option<Spanned<StrList>>, key: &str| -> Option<usize> {
            let list = list.as_ref()?;
            let id = *usage_count;
            *usage_count += 1;
            for (p, span) in l.items(list, key) {
                if let Some(g) = l.glob(&p, span, key) {
                    usage.push((g, id));
                }
            }
            Some(id)
        };
    block.requires_usage = usage_set(l, &m.requires_usage, "requires-usage");
    block.unless_usage = usage_set(l, &m.unless_usage, "unless-usage");
    block.unless_used_with = call_pred(l, &m.unless_used_with, "unless-used-with", false, preds);
    // Methods only (`.write`): matched on the state's own calls in the crate phase, so they
    // need no walk-time predicate; anything else is a call predicate over the using code.
    let used_with_items = m.used_with.as_ref().map(|list| l.items(list, "used-with"));
    match used_with_items {
        Some(items) if !items.is_empty() && items.iter().all(|(p, _)| p.starts_with('.')) => {
            let mut set = GlobSetBuilder::new();
            for (p, span) in items {
                if let Some(g) = l.glob(&p, span, "used-with") {
                    set.add(g);
                }
            }
            block.used_with_methods = set.build().ok();
        }
        _ => block.used_with = call_pred(l, &m.used_with, "used-with", false, preds),
    }
    block.used_with_not_inside =
        l.contexts(&m.used_with_not_inside, "used-with-not-inside", ctx_ids);
    block.constructor = m.constructor.as_ref().is_some_and(|c| *c.get_ref());
    block.prefer_owner_calls =
        call_pred(l, &m.prefer_owner_calls, "prefer-owner-calls", false, preds);
    block.unless_owner_calls =
        call_pred(l, &m.unless_owner_calls, "unless-owner-calls", false, preds);
    Some(block)
}

impl RuleSet {
    /// Keeps only the rules `keep` accepts (for `--select`/`--ignore`); the others never run.
    pub fn retain_rules(&mut self, keep: impl Fn(&str) -> bool) {
        let (rules, blocks) = (&self.rules, &self.blocks);
        for kind in self.blocks_by_kind.iter_mut() {
            kind.retain(|&b| keep(&rules[blocks[b].rule].id));
        }
        self.disabled = self
            .rules
            .iter()
            .filter(|r| !keep(&r.id))
            .map(|r| r.id.clone())
            .collect();
        build_prefilters(self);
    }

    /// Per block: can it fire in a crate with these dependencies?
    pub fn blocks_enabled_for(&self, deps: &HashSet<&str>) -> Vec<bool> {
        self.blocks
            .iter()
            .map(|b| {
                (b.requires_dependency.is_empty()
                    || b.requires_dependency
                        .iter()
                        .any(|d| deps.contains(d.as_str())))
                    && !b
                        .unless_dependency
                        .iter()
                        .any(|d| deps.contains(d.as_str()))
            })
            .collect()
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        self.rule(id).is_some() && !self.disabled.contains(id)
    }

    pub fn set_severity(&mut self, id: &str, severity: Severity) {
        if let Some(r) = self.rules.iter_mut().find(|r| r.id == id) {
            r.severity = severity;
        }
    }

    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile_one(text: &str) -> Result<RuleSet, Diagnostics> {
        let src = RuleSource {
            name: "team.toml".to_string(),
            text: Arc::new(text.to_string()),
        };
        let mut sources = crate::rules::builtin_sources();
        sources.push(src);
        compile(
            &sources,
            &CompileOptions {
                extra_lists: BTreeMap::new(),
            },
        )
    }

    /// The one diagnostic about team.toml: (line, key, message).
    fn error_of(text: &str) -> (usize, Option<String>, String) {
        let diags = compile_one(text).err().expect("should not compile");
        let d = diags
            .0
            .iter()
            .find(|d| d.file == "team.toml")
            .expect("a diagnostic for team.toml");
        (d.line, d.key.clone(), d.message.clone())
    }

    const HEAD: &str = "[[rule]]\nid = \"t\"\nseverity = \"error\"\nmessage = \"m\"\nhelp = \"h\"\n[[rule.match]]\non = \"static\"\n";

    #[test]
    fn unknown_key_names_line_and_key() {
        let (line, key, msg) = error_of(&format!("{HEAD}typ = \"Mutex<*>\"\n"));
        assert_eq!((line, key.as_deref()), (8, Some("typ")));
        assert!(msg.contains("unknown field"), "{msg}");
    }

    #[test]
    fn toml_syntax_error_names_line() {
        let (line, _, msg) = error_of("[[rule]]\nid = \"t\nseverity = 1\n");
        assert_eq!(line, 2);
        assert!(!msg.is_empty());
    }

    #[test]
    fn bad_regex_names_key() {
        let (line, key, msg) = error_of(&format!("{HEAD}name = \"(unclosed\"\n"));
        assert_eq!((line, key.as_deref()), (8, Some("name")));
        assert!(msg.contains("invalid regex"), "{msg}");
    }

    #[test]
    fn bad_glob_names_key() {
        let (line, key, msg) = error_of(&format!("{HEAD}type = [\"Mutex<*>\", \"[unclosed\"]\n"));
        assert_eq!((line, key.as_deref()), (8, Some("type")));
        assert!(msg.contains("invalid glob"), "{msg}");
    }

    #[test]
    fn argument_positions_start_at_one() {
        let head = HEAD.replace(
            "on = \"static\"",
            "on = \"call\"\npath = [\"std::fs::write\"]",
        );
        let (line, key, msg) = error_of(&format!("{head}constant-arg = 0\n"));
        assert_eq!((line, key.as_deref()), (9, Some("constant-arg")));
        assert!(msg.contains("start at 1"), "{msg}");
    }

    #[test]
    fn key_that_does_not_apply_to_the_kind() {
        let (line, key, msg) = error_of(&format!("{HEAD}path = [\"std::fs::write\"]\n"));
        assert_eq!((line, key.as_deref()), (8, Some("path")));
        assert!(msg.contains("does not apply to `on = \"static\"`"), "{msg}");
    }

    #[test]
    fn a_list_including_a_list_is_refused() {
        let (line, key, msg) = error_of(&format!(
            "[lists]\nsmall = [\"a\"]\nbig = [\"@small\", \"b\"]\n{HEAD}type = \"@big\"\n"
        ));
        assert_eq!((line, key.as_deref()), (3, Some("big")));
        assert!(msg.contains("cannot include another list"), "{msg}");
    }

    #[test]
    fn unknown_context_list_and_placeholder() {
        let (_, key, msg) = error_of(&format!("{HEAD}inside = [\"handlr\"]\n"));
        assert_eq!(key.as_deref(), Some("inside"));
        assert!(msg.contains("unknown context `handlr`"), "{msg}");
        let (_, key, msg) = error_of(&format!("{HEAD}type = \"@no-such-list\"\n"));
        assert_eq!(key.as_deref(), Some("type"));
        assert!(msg.contains("unknown list `@no-such-list`"), "{msg}");
        let (line, key, msg) = error_of(
            "[[rule]]\nid = \"t\"\nseverity = \"error\"\nmessage = \"{nme}\"\nhelp = \"h\"\n[[rule.match]]\non = \"static\"\n",
        );
        assert_eq!((line, key.as_deref()), (4, Some("message")));
        assert!(msg.contains("unknown placeholder"), "{msg}");
    }

    #[test]
    fn duplicate_and_badly_named_ids() {
        let (_, key, msg) = error_of(
            "[[rule]]\nid = \"in-memory-session\"\nseverity = \"error\"\nmessage = \"m\"\nhelp = \"h\"\n[[rule.match]]\non = \"static\"\n",
        );
        assert_eq!(key.as_deref(), Some("id"));
        assert!(
            msg.contains("already defined in builtin:rules/in-memory-session.toml"),
            "{msg}"
        );
        let (_, _, msg) = error_of(
            "[[rule]]\nid = \"Bad_Id\"\nseverity = \"error\"\nmessage = \"m\"\nhelp = \"h\"\n[[rule.match]]\non = \"static\"\n",
        );
        assert!(msg.contains("kebab-case"), "{msg}");
    }

    #[test]
    fn unknown_severity_and_kind() {
        let (line, key, msg) =
            error_of("[[rule]]\nid = \"t\"\nseverity = \"fatal\"\nmessage = \"m\"\nhelp = \"h\"\n");
        assert_eq!(line, 3);
        assert!(msg.contains("unknown variant `fatal`"), "{msg} {key:?}");
        let (line, key, msg) = error_of(
            "[[rule]]\nid = \"t\"\nseverity = \"error\"\nmessage = \"m\"\nhelp = \"h\"\n[[rule.match]]\non = \"statik\"\n",
        );
        assert_eq!((line, key.as_deref()), (7, Some("on")));
        assert!(msg.contains("unknown node kind `statik`"), "{msg}");
    }

    #[test]
    fn type_globs_look_through_wrappers_and_ignore_spaces() {
        let set = compile_one(&format!(
            "{HEAD}type = [\"HashMap<String, *Session*>\", \"tokio::sync::Mutex<*>\"]\n"
        ))
        .unwrap();
        let block = set
            .blocks
            .iter()
            .find(|b| set.rules[b.rule].id == "t")
            .unwrap();
        let tg = block.types.as_ref().unwrap();
        let parse = |src: &str, uses: &str| {
            let file: syn::File = syn::parse_str(uses).unwrap();
            let externs = Arc::new(crate::syntax::imports::ExternNames::default());
            let mut r = crate::syntax::imports::Resolver::new(externs.clone());
            r.push_module(crate::syntax::imports::ImportScope::collect(
                &file.items,
                "crate",
                &externs,
            ));
            Ty::from_syn(&syn::parse_str(src).unwrap(), &r)
        };
        assert!(tg.matches(
            &parse("Arc<RwLock<HashMap<String, UserSession>>>", ""),
            &set.wrappers
        ));
        assert!(!tg.matches(&parse("HashMap<String, User>", ""), &set.wrappers));
        assert!(tg.matches(
            &parse("Arc<Mutex<u8>>", "use tokio::sync::Mutex;"),
            &set.wrappers
        ));
        assert!(!tg.matches(
            &parse("Arc<Mutex<u8>>", "use std::sync::Mutex;"),
            &set.wrappers
        ));
    }
}
