//! The TOML rule language as written by rule authors: plain serde structures with spans, so a
//! later validation step can point at the exact key that is wrong (the cargo-deny approach).
//! `deny_unknown_fields` + kebab-case as ruff does: a misspelt key is an error, not ignored.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleFileDef {
    #[serde(default)]
    pub rule: Vec<RuleDef>,
    #[serde(default)]
    pub context: Vec<ContextDef>,
    /// Named lists, referenced from globs and regex lists as `"@name"`; later files (and the
    /// config) extend a list of the same name.
    #[serde(default)]
    pub lists: BTreeMap<String, Spanned<StrList>>,
    #[serde(default)]
    pub app_state: Option<AppStateDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleDef {
    pub id: Spanned<String>,
    pub checklist: Option<Spanned<u8>>,
    pub severity: Spanned<Severity>,
    /// One line for `statelint rules`; defaults to the message without placeholders.
    pub title: Option<String>,
    pub message: Spanned<String>,
    pub help: Spanned<String>,
    /// Long text for `statelint explain`: what it does, why it breaks replicas.
    pub explain: Option<String>,
    /// Example code that fires.
    pub bad: Option<String>,
    /// Example code that does not.
    pub good: Option<String>,
    /// Reported by statelint itself rather than by match blocks (`unused-suppression`).
    #[serde(default)]
    pub internal: bool,
    /// More general rules that stay quiet on a node this rule reports (a session map is not
    /// also reported as an in-process cache).
    pub supersedes: Option<Spanned<StrList>>,
    /// Also report where a crate of the same run reaches what this rule found: a call of the
    /// fn that has the finding or uses the state, or a message to an actor whose handler does.
    pub across_crates: Option<bool>,
    /// With `across-crates`: only fns and handlers that also reach one of these calls (a
    /// handler that sends through the rooms map, not one that joins a room).
    pub across_crates_calls: Option<Spanned<StrList>>,
    #[serde(rename = "match", default)]
    pub matches: Vec<Spanned<MatchDef>>,
}

#[derive(
    Debug, Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One `[[rule.match]]` block: every key present must hold for the block to fire.
/// The same structure describes `[[context.passed-to]]` (where only the keys that can be
/// decided at the call site are allowed).
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MatchDef {
    pub on: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub type_: Option<Spanned<StrList>>,
    pub not_type: Option<Spanned<StrList>>,
    /// Regex (or a list of regexes, any of which may match) on the node's name.
    pub name: Option<Spanned<StrList>>,
    pub not_name: Option<Spanned<StrList>>,
    pub path: Option<Spanned<StrList>>,
    pub not_path: Option<Spanned<StrList>>,
    pub receiver: Option<Spanned<StrList>>,
    pub args: Option<Spanned<StrList>>,
    pub not_args: Option<Spanned<StrList>>,
    pub chain_has: Option<Spanned<StrList>>,
    pub chain_lacks: Option<Spanned<StrList>>,
    pub mutable: Option<Spanned<bool>>,
    /// The enclosing fn (or closure) can still fail after this call (`x?`, `return Err(..)`,
    /// `bail!`): a job retried after that failure makes the call again.
    pub fallible_after: Option<Spanned<bool>>,
    pub inside: Option<Spanned<StrList>>,
    pub not_inside: Option<Spanned<StrList>>,
    pub calls: Option<Spanned<StrList>>,
    pub calls_in_loop: Option<Spanned<StrList>>,
    /// Call globs the fn the node is in must reach, whatever the node hands over.
    pub fn_calls: Option<Spanned<StrList>>,
    pub unless_calls: Option<Spanned<StrList>>,
    pub strings: Option<Spanned<StrList>>,
    pub unless_strings: Option<Spanned<StrList>>,
    pub hops: Option<Spanned<u8>>,
    /// 1-based: the call's argument at this position is content the program is built with (a
    /// `const` or `static` item, `include_str!`/`include_bytes!`): what it writes is its own.
    pub constant_arg: Option<Spanned<u8>>,
    pub requires_dependency: Option<Spanned<StrList>>,
    pub unless_dependency: Option<Spanned<StrList>>,
    pub requires_usage: Option<Spanned<StrList>>,
    pub unless_usage: Option<Spanned<StrList>>,
    /// Call globs: the block does not fire when the node's state (the field, static or the
    /// fields declared with the alias) is used in code that makes one of these calls
    /// (within `hops` same-crate calls): a map of connections fed by a pub/sub subscription.
    pub unless_used_with: Option<Spanned<StrList>>,
    /// Call globs: the block fires only when the node's state is used in code that makes one of
    /// these calls (a settings lock taken with `.write()`), outside `used-with-not-inside`.
    pub used_with: Option<Spanned<StrList>>,
    /// Contexts whose code does not count for `used-with` (`main`: set once at start-up).
    pub used_with_not_inside: Option<Spanned<StrList>>,
    pub in_app_state: Option<Spanned<bool>>,
    /// For `on = "state"`: what the holder holds (`collection`, `cache`, `senders`, `value`,
    /// `scalar`), any of which may match.
    pub holds: Option<Spanned<StrList>>,
    /// For `on = "state"`: what makes the holder long-lived (`static`, `app-state`, `actor`,
    /// `task`, `start-up`, `store`), any of which may match.
    pub holder: Option<Spanned<StrList>>,
    /// The type check also looks into the crate's own structs the type names, three levels
    /// deep: `Arc<Mutex<Inner>>` with `struct Inner { jobs: HashMap<..> }` is a lock around a map.
    pub look_into_structs: Option<Spanned<bool>>,
    /// Regexes on the names of the keys the state is indexed with (`self.result_map.insert(res.token, ..)`
    /// is keyed by `token`): a map keyed by session tokens is a session store, whatever its name.
    pub keyed_by: Option<Spanned<StrList>>,
    /// Regexes on the name of the struct a field belongs to (`(?i)store$`).
    pub owner: Option<Spanned<StrList>>,
    /// Trait globs: the struct a field belongs to implements one (`*SessionStore`).
    pub owner_implements: Option<Spanned<StrList>>,
    /// The call builds state a field or static holds (`Cache::builder()` in `Store::new`, in a
    /// static's initializer): when that field or static is reported, by this rule or one that
    /// supersedes it, the call is not reported again.
    pub constructor: Option<Spanned<bool>>,
    /// Call globs: among this block's findings whose types carry the same arguments (handles
    /// of one `broadcast::Sender<Event>`), when the methods of some owning structs make one of
    /// these calls (create the channel), only those are reported; the others hold clones.
    pub prefer_owner_calls: Option<Spanned<StrList>>,
    /// Call globs: a field is not reported when the methods of its struct make one of these
    /// calls themselves (a store that opens its own SQLite pool is reported at the open).
    pub unless_owner_calls: Option<Spanned<StrList>>,
    pub severity: Option<Spanned<Severity>>,
    pub message: Option<Spanned<String>>,
    pub help: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContextDef {
    pub id: Spanned<String>,
    pub description: Option<String>,
    /// Same-crate functions called from this context (up to this many calls deep) are in it too.
    #[serde(default)]
    pub follow_calls: u8,
    /// Findings in this context are not reported unless a block names it in `inside`.
    #[serde(default)]
    pub excluded_by_default: bool,
    /// Attributes on a fn (or its impl) that put it in this context: `actix_web::get`, `test`.
    pub attribute: Option<Spanned<StrList>>,
    /// Parameter types (type globs) that make a fn a member: `axum::extract::State<*>`.
    pub param_type: Option<Spanned<StrList>>,
    /// Methods of impls of these traits are members: `fang::AsyncRunnable`.
    pub trait_impl: Option<Spanned<StrList>>,
    /// Regex on fn names (with `files`, for `main`).
    pub fn_name: Option<Spanned<String>>,
    /// Items compiled only when these cfg names are set (`#[cfg(test)]`, `#[cfg(all(test, x))]`).
    pub cfg_requires: Option<Spanned<StrList>>,
    /// Crate-relative file globs whose whole content is in the context: `tests/**`, `build.rs`.
    pub files: Option<Spanned<StrList>>,
    /// Fns (by path) and closures passed as an argument to a matching call are members.
    #[serde(default)]
    pub passed_to: Vec<Spanned<MatchDef>>,
    /// What code in this context means for state (see `engine::state`): `start-up` (what it
    /// writes is configuration), `run-time` (what it writes in a long-lived holder is state),
    /// `task` (run-time, and its `passed-to` calls start tasks that own what they are handed).
    pub state_role: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AppStateDef {
    /// Extractor types whose first generic argument is the application's shared state
    /// (`axum::extract::State<*>`, `actix_web::web::Data<*>`).
    pub extractor: Option<Spanned<StrList>>,
    /// Calls that register their first argument as application state
    /// (`Router::with_state(state)`, `App::app_data(data)`, `rocket.manage(pool)`).
    #[serde(default)]
    pub registered_by: Vec<Spanned<MatchDef>>,
}

/// A list of strings that may also be written as a single string; each item keeps its span.
#[derive(Debug, Clone, Default)]
pub struct StrList(pub Vec<Spanned<String>>);

impl StrList {
    pub fn iter(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.0.iter()
    }
}

impl<'de> Deserialize<'de> for StrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StrList, E> {
                // The enclosing `Spanned<StrList>` carries the span; 0..0 marks "use it".
                Ok(StrList(vec![Spanned::new(0..0, v.to_string())]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Spanned<String>>()? {
                    out.push(s);
                }
                Ok(StrList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The span of one list item, falling back to the whole value's span for the single-string form.
pub fn item_span(list: &Spanned<StrList>, item: &Spanned<String>) -> Range<usize> {
    let s = item.span();
    if s.start == 0 && s.end == 0 {
        list.span()
    } else {
        s
    }
}
