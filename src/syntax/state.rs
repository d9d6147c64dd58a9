//! What one file tells the state model (`engine::state`): what may hold state (statics, struct
//! fields, registered values, a task's locals), what is registered as application state, where
//! values of the crate's types are built, and where something long-lived may be changed
//! (mutation sites, each with the place it changes). Plain data: no syn types, no spans.

use crate::source::Location;

use super::types::Ty;

#[derive(Default)]
pub struct StateFacts {
    pub statics: Vec<StaticDecl>,
    pub fields: Vec<FieldDecl>,
    /// `let`s that a mutation, registration or spawn refers to (only those are recorded).
    pub lets: Vec<LetDecl>,
    pub registrations: Vec<Registration>,
    /// Types handlers receive application state as (`State<T>`, `web::Data<T>`): `T`.
    pub extracted: Vec<Extracted>,
    pub mutations: Vec<Mutation>,
    /// Values of the crate's own types built here (`Router::new()`, `Peers { .. }`).
    pub constructions: Vec<Construction>,
    /// Values of the crate's own types handed to a spawned task or thread.
    pub spawned: Vec<Spawned>,
    /// Crate types held shared (`Arc<Mutex<RateLimiter>>`, `Arc<Shared>`) in a field, static or
    /// `let`: made to be changed by whoever holds a clone, when they change behind `&self`.
    pub shared: Vec<Box<str>>,
}

/// Where a declaration is, as reports show it.
#[derive(Clone, Debug)]
pub struct DeclSite {
    pub loc: Location,
    pub snippet: Box<str>,
    /// Enclosing item (`crate::state::AppState`), for fingerprints.
    pub item: Box<str>,
}

#[derive(Clone, Debug)]
pub struct StaticDecl {
    pub name: Box<str>,
    /// Resolved path (`crate::state::SESSIONS`): how uses in other modules name it.
    pub path: Box<str>,
    pub ty: Ty,
    /// `static mut`.
    pub mutable: bool,
    /// Declared by `thread_local!`: one value per thread.
    pub thread_local: bool,
    pub site: DeclSite,
    /// The scope of its initializer (its contexts say whether it is test code).
    pub scope: u32,
}

#[derive(Clone, Debug)]
pub struct FieldDecl {
    /// The struct's name (last segment).
    pub owner: Box<str>,
    /// Field name, or `0`, `1`.. for a tuple struct.
    pub name: Box<str>,
    pub ty: Ty,
    pub site: DeclSite,
    /// The scope the struct is declared in.
    pub scope: u32,
}

#[derive(Clone, Debug)]
pub struct LetDecl {
    pub name: Box<str>,
    pub ty: Option<Ty>,
    pub site: DeclSite,
    pub scope: u32,
    /// Loops of its fn (closures included) that enclose the `let`: a value made per round of
    /// a loop (per connection, per message) does not outlive its round.
    pub loop_depth: u16,
}

/// A value handed to a framework as application state (`Router::with_state(state)`,
/// `App::app_data(data.clone())`, `rocket.manage(pool)`, `warp::any().map(move || db.clone())`).
#[derive(Clone, Debug)]
pub struct Registration {
    /// The registering call as resolved (`axum::Router::with_state`).
    pub via: Box<str>,
    /// The value's type, when the code says it.
    pub ty: Option<Ty>,
    /// The `let` holding the value (an index into `lets`), when it is a local.
    pub value: Option<u32>,
    pub site: DeclSite,
    pub scope: u32,
}

#[derive(Clone, Debug)]
pub struct Extracted {
    /// The state type (`AppState` of `State<AppState>`), aliases unexpanded.
    pub ty: Ty,
    /// The extractor as written resolved (`actix_web::web::Data`).
    pub extractor: Box<str>,
    pub scope: u32,
    pub site: DeclSite,
}

/// Where a mutation's place starts.
#[derive(Clone, Debug)]
pub enum Root {
    /// A static, by resolved path.
    Static(Box<str>),
    /// `self` in an `impl` of this type (by name).
    SelfOf(Box<str>),
    /// A parameter or a `let` whose type is known.
    Typed(Ty),
    /// A `let` of this file (an index into `lets`) whose type is not a crate type.
    Let(u32),
}

/// Something changed: `root.fields..`, looking through locks, guards, derefs and `Arc`s.
#[derive(Clone, Debug)]
pub struct Place {
    pub root: Root,
    pub fields: Vec<Box<str>>,
    /// Reached through a `.clone()` of a field (`let data = self.data.clone();`): the same
    /// state only when the field shares its value (`Arc`, a cache handle), else a copy.
    pub cloned: bool,
    /// Reached through a lock, a guard or a mutable borrow (`self.tree.lock()`): a method of
    /// the crate taking `&mut self` called on it changes what the lock guards.
    pub guarded: bool,
}

/// How the fn a mutation is in receives `self`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfKind {
    /// A free fn or associated fn.
    None,
    Ref,
    RefMut,
    /// `self` / `mut self`: a builder consuming itself.
    Value,
}

#[derive(Clone, Debug)]
pub struct Mutation {
    pub place: Place,
    /// The operation: a method name (`insert`, `fetch_add`) or `=` / `+=`.
    pub op: Box<str>,
    /// For keyed operations (`insert(k, v)`): the key's name (`token`, `session_id`), or its
    /// type's when a local of a crate type holds it.
    pub key: Option<Box<str>>,
    pub scope: u32,
    pub loc: Location,
    /// Loops of its fn (closures included) that enclose the site.
    pub loop_depth: u16,
    pub self_kind: SelfKind,
    /// The fn returns `Self` (or its impl's type): building a value, not changing a held one.
    pub in_constructor: bool,
    /// The fn is a method of a trait impl (`impl SessionStore for MemoryStore`): what callers
    /// of the interface, framework or crate, run.
    pub in_trait_impl: bool,
    /// A call of a method by this name (`tree.add_child(..)` on a guard): a mutation only if
    /// the crate defines such a method taking `&mut self` (decided by the crate phase).
    pub via_method: bool,
}

#[derive(Clone, Debug)]
pub struct Construction {
    /// Crate type name (last segment).
    pub ty: Box<str>,
    pub scope: u32,
    pub loop_depth: u16,
    /// Built inside a fn that returns `Self`: a constructor, whose callers are what counts.
    pub in_constructor: bool,
    /// How the fn building it takes `self`: a method of a live object (`&self`) builds values
    /// while the program runs (a session per connection).
    pub self_kind: SelfKind,
}

#[derive(Clone, Debug)]
pub struct Spawned {
    /// Crate type name (last segment) of the value the task owns.
    pub ty: Box<str>,
    /// The scope the spawn call is in.
    pub scope: u32,
    /// Spawned inside a loop (a task per connection or message) rather than once.
    pub in_loop: bool,
    pub loc: Location,
}

/// Methods that change what they are called on: collections, caches, cells, atomics, and
/// senders registered or fed. The first argument of the `KEYED` ones is a key.
pub const MUTATING_METHODS: &[&str] = &[
    // maps, sets, vectors, deques, heaps, slabs
    "insert",
    "try_insert",
    "push",
    "push_back",
    "push_front",
    "push_str",
    "entry",
    "get_mut",
    "get_or_insert",
    "get_or_insert_with",
    "get_or_insert_mut",
    "extend",
    "append",
    "remove",
    "remove_entry",
    "swap_remove",
    "shift_remove",
    "pop",
    "pop_back",
    "pop_front",
    "pop_first",
    "pop_last",
    "retain",
    "clear",
    "truncate",
    "drain",
    "split_off",
    "alter",
    "upsert",
    "vacant_entry",
    // caches (lru, moka, quick_cache, cached)
    "put",
    "get_or_insert_ref",
    "cache_set",
    "cache_get_or_set_with",
    "invalidate",
    "invalidate_all",
    "promote",
    // cells and swaps
    "set",
    "replace",
    "take",
    "store",
    "swap",
    "rcu",
    // atomics
    "fetch_add",
    "fetch_sub",
    "fetch_or",
    "fetch_and",
    "fetch_xor",
    "fetch_max",
    "fetch_min",
    "fetch_update",
    "compare_exchange",
    "compare_exchange_weak",
    "compare_and_swap",
    // a fan-out registry: a connection subscribes to a broadcast
    "subscribe",
];

/// Operations that only take away (`remove`, `clear`, `retain`): upkeep of what another
/// operation added. A holder that is only ever emptied is not made state by it.
pub const REMOVING_METHODS: &[&str] = &[
    "remove",
    "remove_entry",
    "swap_remove",
    "shift_remove",
    "pop",
    "pop_back",
    "pop_front",
    "pop_first",
    "pop_last",
    "retain",
    "clear",
    "truncate",
    "drain",
    "split_off",
    "invalidate",
    "invalidate_all",
    "take",
];

/// Calls on the way to a place that hand out access to what they are called on: locks and
/// their guards, borrows, unwrapping, `Arc` handles.
pub const GUARD_METHODS: &[&str] = &[
    "lock",
    "read",
    "write",
    "try_lock",
    "try_read",
    "try_write",
    "lock_owned",
    "read_owned",
    "write_owned",
    "blocking_lock",
    "blocking_write",
    "borrow",
    "borrow_mut",
    "unwrap",
    "expect",
    "unwrap_or_else",
    "as_mut",
    "as_ref",
    "deref",
    "deref_mut",
    "get_ref",
    "into_inner",
    "load",
    "load_full",
    "inner",
    "get",
    "get_or_init",
    "get_or_try_init",
];

pub fn is_mutating(method: &str) -> bool {
    MUTATING_METHODS.contains(&method)
}

pub fn is_removing(op: &str) -> bool {
    REMOVING_METHODS.contains(&op)
}

pub fn is_guard(method: &str) -> bool {
    GUARD_METHODS.contains(&method)
}

/// Guards that hand out mutable access (`lock`, `write`, `borrow_mut`).
pub fn is_mutable_guard(method: &str) -> bool {
    matches!(
        method,
        "lock"
            | "write"
            | "try_lock"
            | "try_write"
            | "lock_owned"
            | "write_owned"
            | "blocking_lock"
            | "blocking_write"
            | "borrow_mut"
            | "as_mut"
            | "deref_mut"
    )
}
