//! The state model of one crate, the primary evidence of the state rules (`on = "state"`
//! blocks: in-memory sessions, in-process caches, local fan-out). In stages, each a module:
//!
//! 1. `holders`: what lives longer than a request — statics, values registered as application
//!    state and the structs they hold (followed through the crate's own field types), actors,
//!    values owned by long-lived tasks, values built at start-up, stores behind an interface;
//! 2. `mutations`: where each holder is changed (insert, push, store, fetch_add, assignment
//!    through a guard, ..), resolved from the place each mutation site names;
//! 3. `classify`: which sites run at run time (a handler, job, task: not start-up, tests or a
//!    constructor), what the holder holds (`shapes`), and which rule blocks match;
//! 4. `report`: one finding per piece of state, at its declaration, with its registration and
//!    mutation sites as related locations and the evidence that made it fire.
//!
//! A holder written only during start-up is configuration and is silent; names never decide
//! alone whether a finding exists (blocks may use them to choose the rule or the severity).

mod classify;
mod holders;
mod mutations;
mod report;
mod shapes;

use std::collections::{HashMap, HashSet};

use crate::report::Finding;
use crate::rules::compile::RuleSet;
use crate::source::Location;
use crate::syntax::facts::FileFacts;
use crate::syntax::state::{
    DeclSite, Extracted, FieldDecl, LetDecl, Mutation, Registration, StaticDecl,
};
use crate::syntax::types::{AliasDef, Ty};
use crate::workspace::discover::CrateUnit;

use super::crate_phase::{CrateIndex, UsedSuppressions};

/// Why a holder lives longer than a request (bits in `HOLDER_KINDS` order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HolderKind {
    Static = 0,
    AppState = 1,
    Actor = 2,
    Task = 3,
    StartUp = 4,
    Store = 5,
}

impl HolderKind {
    fn as_str(self) -> &'static str {
        crate::rules::compile::HOLDER_KINDS[self as usize]
    }
}

/// Where a holder is declared.
#[derive(Clone, Copy)]
pub(super) enum Decl<'f> {
    Static(&'f StaticDecl),
    Field(&'f FieldDecl),
    Let(&'f LetDecl),
    /// A registered value that is not a struct of the crate, known only by the type handlers
    /// receive it as (`web::Data<Mutex<usize>>`).
    Extracted(&'f Extracted),
    Registration(&'f Registration),
}

impl<'f> Decl<'f> {
    /// The type as the declaration writes it (or as inferred for a `let`).
    fn written(&self) -> &'f Ty {
        static UNKNOWN: Ty = Ty::Infer;
        match self {
            Decl::Static(s) => &s.ty,
            Decl::Field(f) => &f.ty,
            Decl::Let(l) => l.ty.as_ref().unwrap_or(&UNKNOWN),
            Decl::Extracted(e) => &e.ty,
            Decl::Registration(r) => r.ty.as_ref().unwrap_or(&UNKNOWN),
        }
    }

    fn site(&self) -> &'f DeclSite {
        match self {
            Decl::Static(s) => &s.site,
            Decl::Field(f) => &f.site,
            Decl::Let(l) => &l.site,
            Decl::Extracted(e) => &e.site,
            Decl::Registration(r) => &r.site,
        }
    }
}

/// A place related to a holder: where it is registered, spawned with, or built.
#[derive(Clone, Debug)]
pub(super) struct Via {
    pub file: usize,
    pub loc: Location,
    pub label: String,
}

/// A resolved mutation site.
#[derive(Clone, Copy)]
pub(super) struct Site<'f> {
    /// Position in `files`.
    pub file: usize,
    pub mutation: &'f Mutation,
    /// Crate-wide scope id.
    pub scope: u32,
}

pub(super) struct Holder<'f> {
    pub kind: HolderKind,
    /// Position in `files` of the declaration.
    pub file: usize,
    pub decl: Decl<'f>,
    /// `SESSIONS`, `AppState.sessions`, `peers`.
    pub display: String,
    /// The bare name name regexes see: `sessions`.
    pub name: &'f str,
    /// The struct a field belongs to.
    pub owner: Option<&'f str>,
    /// The declared type, aliases expanded, and as written.
    pub ty: Ty,
    pub written: &'f Ty,
    pub via: Vec<Via>,
    pub sites: Vec<Site<'f>>,
    /// Crate-wide scope of the declaration (test code, cfg).
    pub decl_scope: u32,
    /// A field of a struct reached from a root through fields (`Inner` behind `Arc<Mutex<..>>`),
    /// not of the root itself: changed through `&mut self` like any data behind a lock.
    pub inherited: bool,
    /// The root's own field this holder is reached through (`AppState.inner` for
    /// `Inner.sessions`), or the holder itself: where the state is declared as held.
    pub anchor: usize,
}

/// Everything the stages read.
pub(super) struct Input<'a> {
    pub unit: &'a CrateUnit,
    pub files: &'a [(usize, FileFacts)],
    pub rules: &'a RuleSet,
    pub index: &'a CrateIndex<'a>,
    pub aliases: &'a HashMap<String, AliasDef>,
    pub deps: &'a HashSet<&'a str>,
    pub usage: &'a [bool],
    /// Type name -> paths of the traits it implements.
    pub impls: &'a HashMap<&'a str, Vec<&'a str>>,
}

/// What the state model reports for a crate.
#[derive(Default)]
pub(super) struct Outcome<'a> {
    pub findings: Vec<Finding>,
    /// Reported statics' initializer scopes (-> finding), and reported fields' structs with
    /// the rule and the field's type as written (-> finding): a constructor call there
    /// (`LruCache::new` in the static, `Cache::builder()` in `Store::new`) builds that state.
    pub covered_scopes: HashMap<u32, usize>,
    /// (struct, field, rule, the field's type as written, finding).
    pub covered_owners: Vec<(String, String, usize, String, usize)>,
    pub used: UsedSuppressions,
    /// For `across-crates` rules: (holder name, crate-wide scopes of its sites, rule, index
    /// into `findings`), so other crates of the run reaching the state are reported too.
    pub exports: Vec<(&'a str, Vec<u32>, usize, usize)>,
}

/// Runs the stages for one crate. Cheap when no rule has `on = "state"` blocks.
pub(super) fn run<'a>(input: &Input<'a>) -> Outcome<'a> {
    if input.rules.blocks_by_kind[crate::rules::kinds::NodeKind::State.index()].is_empty() {
        return Outcome::default();
    }
    let any_mutation = input
        .files
        .iter()
        .any(|(_, f)| !f.state.mutations.is_empty());
    // A proc-macro crate runs inside the compiler: what it keeps is gone before the service starts.
    let proc_macro = input.unit.package.as_ref().is_some_and(|p| p.proc_macro);
    if !any_mutation || proc_macro {
        return Outcome::default();
    }
    let mut model = holders::find(input);
    mutations::attach(input, &mut model);
    if std::env::var_os("STATELINT_DEBUG_STATE").is_some() {
        dump(input, &model);
    }
    let judged = classify::judge(input, &model);
    report::findings(input, &model, judged)
}

/// Developer aid (`STATELINT_DEBUG_STATE=1`): the model's holders that have mutation sites.
fn dump(input: &Input, model: &holders::Model) {
    for h in &model.holders {
        if h.sites.is_empty() {
            continue;
        }
        let file = &input.unit.files[input.files[h.file].0];
        let is_struct = |n: &str| model.structs.contains_key(n);
        eprintln!(
            "state: {} {} `{}` at {}:{} ({}; holds {:?})",
            input.unit.name,
            h.kind.as_str(),
            h.display,
            file.display,
            h.decl.site().loc.line,
            h.ty.rendered(false),
            shapes::content(&input.rules.shapes, &h.ty, &is_struct)
        );
        for s in &h.sites {
            let f = &input.unit.files[input.files[s.file].0];
            let ctx = input.index.contexts[s.scope as usize];
            eprintln!(
                "    {} at {}:{} ctx={:?} self={:?} ctor={} trait={}",
                s.mutation.op,
                f.display,
                s.mutation.loc.line,
                crate::engine::crate_phase::primary_context(ctx, input.rules),
                s.mutation.self_kind,
                s.mutation.in_constructor,
                s.mutation.in_trait_impl
            );
        }
    }
    for (name, (kind, _)) in &model.roots {
        eprintln!("state: {} root {} {}", input.unit.name, kind.as_str(), name);
    }
}
