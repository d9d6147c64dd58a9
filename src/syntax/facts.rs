//! What one file contributes once its syntax tree is gone: scopes with their calls and
//! contexts, `type` aliases, app-state types, and candidate findings whose remaining
//! conditions need the whole crate (aliases from other files, contexts conferred elsewhere,
//! locks taken in functions defined elsewhere).

use crate::rules::compile::CtxSet;
use crate::source::Location;

use super::types::{AliasDef, Ty};

#[derive(Default)]
pub struct FileFacts {
    /// Interned names of possibly same-crate callees (indexes are per file).
    pub names: Vec<Box<str>>,
    pub scopes: Vec<ScopeFact>,
    /// A same-crate fn, by name, is in these contexts because it was passed to a call
    /// (`route("/", get(login))`, `build_fn(send_email)`).
    pub registrations: Vec<(u32, CtxSet)>,
    /// (fn scope, alias name) for parameters typed with a crate `type` alias
    /// (`req: Request` where `type Request = hyper::Request<Incoming>`): the crate phase
    /// expands the alias and checks it against the contexts' parameter types.
    pub alias_params: Vec<(u32, String)>,
    /// (type name, paths of a trait it implements: resolved and alternatives).
    pub impls: Vec<(String, Vec<String>)>,
    pub aliases: Vec<(String, AliasDef)>,
    /// Structs as pseudo-aliases `Name<field types..>` (generic parameters as parameters), for
    /// blocks that look into them (`look-into-structs`).
    pub struct_defs: Vec<(String, AliasDef)>,
    /// Struct name -> crate-local type names of its fields (to find state nested in app state).
    pub structs: Vec<(String, Vec<String>)>,
    /// Local type names used as application state (`State<AppState>`).
    pub app_state: Vec<String>,
    /// (type name, field name) for fields declared with a single crate-local type name
    /// (`peers: Peers`): which fields an alias stands for.
    pub typed_fields: Vec<(String, String)>,
    /// (struct, field, key name) for entries stored or looked up by key
    /// (`self.result_map.insert(res.token, ..)` in `impl HashCache`), when a rule asks
    /// (`keyed-by`); the struct is empty for a static.
    pub state_keys: Vec<(Box<str>, Box<str>, Box<str>)>,
    /// Which `requires-usage` / `unless-usage` sets this file mentions.
    pub usage_hits: Vec<bool>,
    pub candidates: Vec<Candidate>,
    pub line_count: usize,
    /// (first line, last line) of items, attributes included; only recorded when the file
    /// has suppression comments.
    pub item_lines: Vec<(u32, u32)>,
    pub suppressions: Vec<super::suppress::Suppression>,
    /// Source line of each suppression (for reports about the suppression itself).
    pub suppression_snippets: Vec<String>,
    /// Rules that panicked on this file (rule index, panic message), first panic per rule.
    pub faults: Vec<(usize, String)>,
    /// Calls and actor messages into other crates of this run (see `ForeignCall`).
    pub foreign_calls: Vec<ForeignCall>,
    /// What the state model needs of this file (see `engine::state`).
    pub state: super::state::StateFacts,
}

/// A call of a fn (`lemmy_utils::Settings::save_config_file(..)`) or a message sent to an
/// actor (`addr.do_send(lemmy_websocket::SendAllMessage { .. })`) whose path starts with the
/// name of another crate of this run: what the state that crate keeps is reached through.
#[derive(Clone, Debug)]
pub struct ForeignCall {
    pub scope: u32,
    /// Resolved path of the fn, or of the message type.
    pub target: Box<str>,
    pub message: bool,
    pub loc: Location,
    pub snippet: Box<str>,
    /// Enclosing item, for fingerprints.
    pub item: Box<str>,
}

#[derive(Default, Clone)]
pub struct ScopeFact {
    pub parent: Option<u32>,
    /// For fns: the name calls reach it by.
    pub fn_name: Option<Box<str>>,
    /// For fns: it takes `self`, so `x.name()` may call it (a free fn cannot be).
    pub is_method: bool,
    /// For fns: the line of its name (where a finding reached through it points back to).
    pub line: u32,
    pub contexts: CtxSet,
    /// Interned callee names (see `FileFacts::names`).
    pub callees: Vec<u32>,
    /// Predicates satisfied directly in this scope.
    pub hits: Vec<u16>,
    /// Interned names of fields (`x.peers`) and statics (`SESSIONS`) used here, when a rule
    /// asks where state is used (`unless-used-with`).
    pub state_uses: Vec<u32>,
    /// Methods called directly on such state (`SETTINGS.write()`: the name's id and the
    /// interned `.write`), for `used-with` lists of methods.
    pub state_calls: Vec<(u32, u32)>,
    /// For fns of `impl Handler<M> for Actor` (any trait with a type argument): `M`'s name,
    /// the message whose sending runs this fn.
    pub handles: Option<Box<str>>,
    /// The scope of a static's initializer: what is built there is the static's value.
    pub static_init: bool,
    /// For fns: it returns `Self` or its impl's type (it builds a value of the type).
    pub constructs: bool,
    /// For fns: it takes `&mut self`.
    pub self_mut: bool,
}

/// Where reachability for `calls`/`unless-calls` starts: the node's own scope, or for a call
/// the closures and functions passed to it.
#[derive(Default, Clone, Debug)]
pub struct Roots {
    pub scopes: Vec<u32>,
    pub callees: Vec<u32>,
}

/// A node that passed every condition decidable in its file.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub block: u32,
    pub scope: u32,
    pub loc: Location,
    pub snippet: Box<str>,
    /// Enclosing item (`crate::jobs::send_email`), for baseline fingerprints.
    pub item: Box<str>,
    pub name: Option<Box<str>>,
    pub type_text: Option<Box<str>>,
    pub path: Option<Box<str>>,
    /// The type check waits for the crate's aliases.
    pub deferred_type: Option<Ty>,
    /// Struct that holds a field, or the alias/struct name of a type-alias node.
    pub owner: Option<Box<str>>,
    /// The node's declared type is this crate-local name (maybe an alias reported itself).
    pub via_alias: Option<Box<str>>,
    pub roots: Roots,
    /// The field of a struct literal the node's value is assigned to (`profiles:
    /// Cache::builder()..` in `AppState { .. }`), so a builder meets the field it fills.
    pub field: Option<Box<str>>,
}
