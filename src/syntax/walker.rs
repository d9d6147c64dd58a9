//! The one pass over a file's syntax tree. It resolves names as it goes, keeps a stack of
//! scopes (module, impl, fn, closure, async block) with their contexts, records what each scope
//! calls, and offers every node to the rule blocks of its kind; nodes that pass what can be
//! decided here become candidates for the crate-level step.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::OnceCell;
use std::ops::Range;
use std::sync::Arc;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, ExprCall, ExprMethodCall, FnArg, ImplItem, Item, Macro, Stmt};

use crate::engine::aliases::CrateWords;
use crate::engine::local_match::{self, ChainLink, Node, Outcome};
use crate::fault;
use crate::rules::compile::{Block, CtxSet, RuleSet, WordSets};
use crate::rules::kinds::NodeKind;
use crate::source::{Location, SourceText};

use super::cfg::{never_compiled, requires_cfg};
use super::exprs::{self, infer_type, pattern_name, string_values, strip};
use super::facts::{Candidate, FileFacts, ForeignCall, Roots, ScopeFact};
use super::imports::{ExternNames, ImportScope, ResolvedPath, Resolver};
use super::macros::{self, MacroBody, MacroStatic};
use super::state::SelfKind;
use super::types::{AliasDef, RenderedTy, Ty, TypeWords};

mod state_walk;
use state_walk::LocalVal;

/// Fields of a struct `look-into-structs` expands (see `handle_struct`).
const MAX_LOOKED_INTO_FIELDS: usize = 32;

/// What the walker needs to know about the file besides its text.
pub struct FileInput<'a> {
    pub rules: &'a RuleSet,
    pub externs: Arc<ExternNames>,
    /// `crate::a::b` for `src/a/b.rs`.
    pub module_path: String,
    /// Crate-relative path with `/`, for `files` globs of contexts.
    pub rel_path: &'a str,
    /// The crate's `type` aliases and the words of their definitions (see `engine::aliases`).
    pub crate_words: &'a CrateWords,
    /// Record the lines of every item (the file has suppression comments that may cover one).
    pub record_items: bool,
    /// Per block: can it fire in this crate at all (its `requires-dependency` and
    /// `unless-dependency` hold)? Blocks that cannot are not tried.
    pub blocks_enabled: &'a [bool],
    /// Names (as paths start with them) of the other crates of this run this crate depends
    /// on: calls and messages into them are recorded as `ForeignCall`s.
    pub siblings: &'a std::collections::HashSet<String>,
}

pub fn extract(file: &syn::File, src: &SourceText, input: &FileInput) -> FileFacts {
    let rules = input.rules;
    let mut file_ctx: CtxSet = 0;
    let mut fn_name_file_ok = Vec::with_capacity(rules.contexts.len());
    for (bit, c) in rules.contexts.iter().enumerate() {
        let in_files = c.files.as_ref().map(|f| f.is_match(input.rel_path));
        fn_name_file_ok.push(in_files.unwrap_or(true));
        if c.fn_name.is_none() && in_files == Some(true) {
            file_ctx |= 1 << bit;
        }
    }
    let mut w = Walker {
        rules,
        src,
        resolver: Resolver::new(input.externs.clone()),
        facts: FileFacts {
            usage_hits: vec![false; rules.usage.count],
            line_count: src.line_count(),
            ..Default::default()
        },
        scope_stack: Vec::new(),
        items: Vec::new(),
        consts: HashMap::default(),
        name_ids: HashMap::default(),
        fn_name_file_ok,
        matches: Vec::new(),
        block_buf: Vec::new(),
        call_cache: HashMap::default(),
        call_buf: String::new(),
        impl_self: None,
        in_thread_local: false,
        impl_message: None,
        siblings: input.siblings,
        crate_words: input.crate_words,
        record_items: input.record_items,
        blocks_enabled: input.blocks_enabled,
        bound: HashSet::default(),
        local_types: HashMap::default(),
        local_closures: HashMap::default(),
        pending_fallible: Vec::new(),
        followed: Vec::new(),
        dropped: Vec::new(),
        state_locals: HashMap::default(),
        loop_depth: 0,
        long_loop_depth: 0,
        fn_self: SelfKind::None,
        fn_constructs: false,
        literal_field: None,
        impl_of_trait: false,
        fn_in_trait_impl: false,
    };
    let module = ImportScope::collect(&file.items, &input.module_path, &input.externs);
    w.note_usage_of_scope(&module);
    w.resolver.push_module(module);
    if never_compiled(&file.attrs) {
        return w.finish();
    }
    let ctx = file_ctx | w.cfg_contexts(&file.attrs);
    w.push_scope(ctx, None);
    for item in &file.items {
        w.visit_item(item);
    }
    w.finish()
}

struct Walker<'a> {
    rules: &'a RuleSet,
    src: &'a SourceText,
    resolver: Resolver,
    facts: FileFacts,
    scope_stack: Vec<u32>,
    /// Names of the enclosing items, for fingerprints.
    items: Vec<String>,
    /// `const NAME: &str = "..."` of this file, so SQL kept in consts is still seen.
    consts: HashMap<String, String>,
    name_ids: HashMap<Box<str>, u32>,
    /// Per context: does this file satisfy its `files` (for fn-name contexts such as `main`)?
    fn_name_file_ok: Vec<bool>,
    matches: Vec<usize>,
    block_buf: Vec<usize>,
    /// Call path -> predicates its calls satisfy, for this file.
    call_cache: HashMap<Box<str>, Vec<u16>>,
    call_buf: String,
    /// Name of the type whose `impl` encloses the current fn (fn table keys are `Type::fn`).
    impl_self: Option<String>,
    /// The statics being handled are those of a `thread_local!`.
    in_thread_local: bool,
    /// `M` of the enclosing `impl Handler<M> for Actor` (see `ScopeFact::handles`).
    impl_message: Option<String>,
    siblings: &'a std::collections::HashSet<String>,
    crate_words: &'a CrateWords,
    record_items: bool,
    blocks_enabled: &'a [bool],
    /// Parameter and `let` names of the enclosing fn: an argument `path` naming one is a
    /// variable, not a same-crate fn handed over (which the crate may also have, as `fn path`).
    bound: HashSet<String>,
    /// Full type paths of the enclosing fn's parameters and `let`s whose type is known
    /// (`let mut env = heed::EnvOpenOptions::new()`), for `receiver` globs on a variable.
    local_types: HashMap<String, String>,
    /// Locals of the current fn bound to a closure or async block (`let scheduler = move || ..`),
    /// by name: the scope that closure's code is in, for when the local is handed over
    /// (`thread::spawn(scheduler)`).
    local_closures: HashMap<String, u32>,
    /// Candidates of `fallible-after` blocks in the enclosing fn or closure that no fallible
    /// step has followed yet: (candidate index, byte where the node ends).
    pending_fallible: Vec<(usize, usize)>,
    /// Candidates of `fallible-after` blocks in the enclosing fn that a fallible step followed.
    followed: Vec<usize>,
    /// Candidates removed by `finish`: no fallible step followed them before their fn ended,
    /// or an earlier node of the same block in the same fn is reported (a retry repeats
    /// everything from the first one on: one finding per job says so).
    dropped: Vec<usize>,
    /// Parameters and `let`s of the enclosing fn, as the state model sees them.
    state_locals: HashMap<String, LocalVal>,
    /// Loops of the enclosing fn (closures included) around the node being walked, and those
    /// of them that run until stopped (`loop`, `while let Some(m) = rx.recv().await`).
    loop_depth: u16,
    long_loop_depth: u16,
    /// How the enclosing fn takes `self`, and whether it returns `Self`.
    fn_self: SelfKind,
    fn_constructs: bool,
    /// The struct literal field whose value is being walked (`profiles: ..` in `AppState {..}`).
    literal_field: Option<Box<str>>,
    /// The enclosing `impl` is of a trait, and so is the fn being walked a trait method.
    impl_of_trait: bool,
    fn_in_trait_impl: bool,
}

/// A fn parameter with its type resolved (and rendered once, if anything asks).
struct Param<'p> {
    pat: &'p syn::PatType,
    ty: Ty,
    rendered: OnceCell<RenderedTy>,
    words: OnceCell<WordSets>,
}

impl Param<'_> {
    fn words(&self, rules: &RuleSet) -> &WordSets {
        self.words.get_or_init(|| {
            WordSets::of(
                &rules.word_index,
                &TypeWords::of(&self.ty, &Default::default()),
            )
        })
    }

    fn rendered(&self, wrappers: &std::collections::HashSet<String>) -> &RenderedTy {
        self.rendered
            .get_or_init(|| RenderedTy::new(&self.ty, &|n: &str| wrappers.contains(n)))
    }
}

fn wrappers_of(rules: &RuleSet) -> &std::collections::HashSet<String> {
    &rules.wrappers
}

/// What a node offers beyond `Node`: where it is and what the message may mention.
///
/// Positions are computed only if a candidate is made (`span` is called at most once): asking
/// proc-macro2 for byte offsets, or syn for the span of a type, costs more than most matching.
struct Site<'s, F: FnOnce() -> (Range<usize>, Option<Range<usize>>)> {
    /// Byte range of the node, and a narrower one to use when it spans several lines.
    span: F,
    owner: Option<&'s str>,
    via_alias: Option<&'s str>,
    /// Where reachability starts; `None` is the current scope.
    roots: Option<Roots>,
}

fn byte_range(span: Span) -> Range<usize> {
    span.byte_range()
}

/// Methods that hand a message to an actor (actix `do_send`/`send`/`try_send`, kameo and
/// ractor `tell`/`ask`/`cast`): the message's handler runs in the actor's crate.
const MESSAGE_SENDS: &[&str] = &["do_send", "send", "try_send", "tell", "ask", "cast"];

/// `M` of a trait written `Handler<M>`: the first type argument, by its name (actix, xtra
/// and kameo handlers are all traits generic over the message).
fn message_of(trait_path: &syn::Path) -> Option<String> {
    let syn::PathArguments::AngleBracketed(args) = &trait_path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(syn::Type::Path(tp)) if tp.qself.is_none() => {
            Some(tp.path.segments.last()?.ident.to_string())
        }
        _ => None,
    })
}

/// `start` to `end`, and `start` to `narrow_end` for when that spans lines.
fn span_pair(
    start: Span,
    end: Span,
    narrow_end: Option<Span>,
) -> (Range<usize>, Option<Range<usize>>) {
    let s = byte_range(start).start;
    (
        s..byte_range(end).end,
        narrow_end.map(|n| s..byte_range(n).end),
    )
}

impl<'a> Walker<'a> {
    /// A node of `kind` with nothing known yet: no name, type, path, receiver, literals or
    /// chain. Callers set what they know and take the rest from here.
    fn blank_node(&self, kind: NodeKind) -> Node<'a> {
        let src: &'a SourceText = self.src;
        let rules: &'a RuleSet = self.rules;
        Node {
            kind,
            name: None,
            ty: None,
            path: None,
            receiver: None,
            literals: &[],
            constant_args: 0,
            chain: &[],
            chain_before: &[],
            mutable: false,
            source: src.text(),
            rendered: OnceCell::new(),
            alias_words: &self.crate_words.aliases,
            struct_words: &self.crate_words.structs,
            words: OnceCell::new(),
            word_index: &rules.word_index,
        }
    }

    fn current_scope(&self) -> u32 {
        *self.scope_stack.last().unwrap_or(&0)
    }

    fn push_scope(&mut self, contexts: CtxSet, fn_name: Option<&str>) -> u32 {
        let id = self.facts.scopes.len() as u32;
        self.facts.scopes.push(ScopeFact {
            parent: self.scope_stack.last().copied(),
            fn_name: fn_name.map(Into::into),
            contexts,
            ..Default::default()
        });
        self.scope_stack.push(id);
        id
    }

    fn pop_scope(&mut self) {
        self.scope_stack.pop();
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.facts.names.len() as u32;
        self.facts.names.push(name.into());
        self.name_ids.insert(name.into(), id);
        id
    }

    /// Lines an item spans, attributes and doc comments included (for suppressions).
    fn note_item_lines<T: Spanned>(&mut self, node: &T) {
        let r = byte_range(node.span());
        let (start, _) = self.src.line_col(r.start);
        let (end, _) = self.src.line_col(r.end);
        self.facts.item_lines.push((start, end));
    }

    /// Records a call; duplicates are removed once the file is done (`finish`).
    /// `add_callee` for a method call, as `.name` (see `method_callee`), without allocating.
    /// Returns the interned `.name`.
    fn add_method_callee(&mut self, name: &str) -> u32 {
        let mut key = std::mem::take(&mut self.call_buf);
        key.clear();
        key.push('.');
        key.push_str(name);
        let id = self.add_callee(&key);
        self.call_buf = key;
        id
    }

    fn add_callee(&mut self, name: &str) -> u32 {
        let id = self.intern(name);
        let scope = self.current_scope() as usize;
        self.facts.scopes[scope].callees.push(id);
        id
    }

    fn finish(mut self) -> FileFacts {
        self.settle_fallible(Vec::new(), Vec::new());
        if !self.dropped.is_empty() {
            self.dropped.sort_unstable();
            let mut index = 0;
            let dropped = &self.dropped;
            self.facts.candidates.retain(|_| {
                index += 1;
                dropped.binary_search(&(index - 1)).is_err()
            });
        }
        for s in &mut self.facts.scopes {
            s.callees.sort_unstable();
            s.callees.dedup();
            s.state_uses.sort_unstable();
            s.state_uses.dedup();
        }
        self.facts
    }

    /// `self.result_map.insert(res.token, ..)` in `impl HashCache`: `HashCache::result_map` is
    /// keyed by `token`. A key held in a local of a known type is named by its type
    /// (`token: Self::RollbackToken` is a `RollbackToken`), unless that is a plain string or
    /// number, whose meaning is in the variable's name.
    fn note_state_key(&mut self, m: &ExprMethodCall, method: &str) {
        if !exprs::KEYED_METHODS.contains(&method) {
            return;
        }
        let Some(arg) = m.args.first() else {
            return;
        };
        let Some(state) = exprs::indexed_state(&m.receiver) else {
            return;
        };
        let owner = match state {
            exprs::IndexedState::SelfField(_) => match self.enclosing_impl_type() {
                Some(owner) => owner,
                None => return,
            },
            exprs::IndexedState::Static(_) => String::new(),
        };
        let Some(mut key) = exprs::key_name(arg) else {
            return;
        };
        if let Expr::Path(p) = exprs::strip_conversions(arg)
            && p.path.get_ident().is_some()
            && let Some(ty) = self.local_types.get(&key)
        {
            let last = ty.rsplit("::").next().unwrap_or(ty);
            if !exprs::is_plain_key_type(last) {
                key = last.to_string();
            }
        }
        let entry = (
            owner.into_boxed_str(),
            state.name().into(),
            key.into_boxed_str(),
        );
        if !self.facts.state_keys.contains(&entry) {
            self.facts.state_keys.push(entry);
        }
    }

    /// The type of the `impl` whose method the walk is in (`HashCache` of `HashCache::save`).
    fn enclosing_impl_type(&self) -> Option<String> {
        let mut scope = Some(self.current_scope());
        while let Some(s) = scope {
            let fact = &self.facts.scopes[s as usize];
            if let Some(name) = &fact.fn_name {
                return name.rsplit_once("::").map(|(ty, _)| ty.to_string());
            }
            scope = fact.parent;
        }
        None
    }

    /// A method (its interned `.name`, see `add_method_callee`) called on a field
    /// (`state.site.write()`) or a static (`SETTINGS.write()`).
    fn note_state_call(&mut self, receiver: &Expr, method: u32) {
        let state = match receiver {
            Expr::Field(f) => match &f.member {
                syn::Member::Named(ident) => ident.to_string(),
                syn::Member::Unnamed(_) => return,
            },
            // A static, by its SCREAMING_CASE name (as `note_state_use` sees statics).
            Expr::Path(p) => match p.path.get_ident().map(|i| i.to_string()) {
                Some(name) if exprs::is_static_name(&name) => name,
                _ => return,
            },
            _ => return,
        };
        let state = self.intern(&state);
        let scope = self.current_scope() as usize;
        self.facts.scopes[scope].state_calls.push((state, method));
    }

    fn note_state_use(&mut self, name: &str) {
        let id = self.intern(name);
        let scope = self.current_scope() as usize;
        self.facts.scopes[scope].state_uses.push(id);
    }

    fn hit(&mut self, predicate: usize) {
        let scope = self.current_scope() as usize;
        let hits = &mut self.facts.scopes[scope].hits;
        let p = predicate as u16;
        if !hits.contains(&p) {
            hits.push(p);
        }
    }

    fn item_path(&self) -> String {
        let mut s = self.resolver.module_path().to_string();
        for i in &self.items {
            s.push_str("::");
            s.push_str(i);
        }
        s
    }

    // ---- facts about calls, strings and paths -------------------------------------------

    fn note_usage(&mut self, path: &str) {
        let Some(set) = &self.rules.usage.globs else {
            return;
        };
        set.matches_into(path, &mut self.matches);
        for &i in &self.matches {
            self.facts.usage_hits[self.rules.usage.owner[i]] = true;
        }
    }

    fn note_usage_of_scope(&mut self, scope: &ImportScope) {
        if self.rules.usage.globs.is_none() {
            return;
        }
        let targets: Vec<String> = scope
            .aliases
            .values()
            .chain(scope.globs.iter())
            .cloned()
            .collect();
        for t in targets {
            self.note_usage(&t);
            self.note_usage(&format!("{t}::*"));
        }
    }

    fn note_type_usage(&mut self, ty: &Ty) {
        if self.rules.usage.globs.is_none() {
            return;
        }
        match ty {
            Ty::Path(p) => {
                // Imported names were noted at their `use`; a qualified path is noted here.
                if p.full.contains("::") && !p.full.starts_with("crate::") {
                    let full = p.full.clone();
                    self.note_usage(&full);
                }
                for a in &p.args {
                    self.note_type_usage(a);
                }
            }
            Ty::Ref(i) | Ty::Slice(i) => self.note_type_usage(i),
            Ty::Tuple(items) => items.iter().for_each(|t| self.note_type_usage(t)),
            Ty::Dyn(b) => {
                for p in b {
                    let full = p.full.clone();
                    self.note_usage(&full);
                }
            }
            _ => {}
        }
    }

    /// A call of `path` (or `.method` for method calls) happens in the current scope.
    /// A call of `path` (or `.method` for method calls) happens in the current scope. The
    /// same callee recurs throughout a file, so each is matched against the call globs once.
    fn note_call(&mut self, rendered: &str) {
        let Some(set) = &self.rules.predicates.calls else {
            return;
        };
        let owners = match self.call_cache.get(rendered) {
            Some(o) => o.clone(),
            None => {
                set.matches_into(rendered, &mut self.matches);
                let owners: Vec<u16> = self
                    .matches
                    .iter()
                    .map(|&i| self.rules.predicates.call_owner[i] as u16)
                    .collect();
                self.call_cache.insert(rendered.into(), owners.clone());
                owners
            }
        };
        for o in owners {
            self.hit(o as usize);
        }
    }

    /// `.name` (and `.name(N)` when call globs mention arities) for a method call.
    fn note_method_call(&mut self, name: &str, args: usize) {
        if self.rules.predicates.calls.is_none() {
            return;
        }
        let mut buf = std::mem::take(&mut self.call_buf);
        buf.clear();
        buf.push('.');
        buf.push_str(name);
        self.note_call(&buf);
        if self.rules.predicates.with_arity {
            use std::fmt::Write;
            let _ = write!(buf, "({args})");
            self.note_call(&buf);
        }
        self.call_buf = buf;
    }

    /// `db.load` for `self.db.load()`, `state.db.load()` or `db.load()`: what the receiver is
    /// called often says what it is (a database handle behind a trait object).
    fn note_receiver_call(&mut self, receiver: &Expr, method: &str) {
        let ident = match receiver {
            Expr::Field(f) => match &f.member {
                syn::Member::Named(ident) => ident,
                syn::Member::Unnamed(_) => return,
            },
            Expr::Path(p) => match p.path.get_ident() {
                Some(ident) => ident,
                None => return,
            },
            _ => return,
        };
        let Some(set) = &self.rules.predicates.calls else {
            return;
        };
        let mut buf = std::mem::take(&mut self.call_buf);
        buf.clear();
        {
            use std::fmt::Write;
            let _ = write!(buf, "{ident}.");
        }
        buf.push_str(method);
        set.matches_into(&buf, &mut self.matches);
        self.call_buf = buf;
        let predicates = &self.rules.predicates;
        let owners: Vec<usize> = self
            .matches
            .iter()
            .filter(|&&i| predicates.receiver_form[i])
            .map(|&i| predicates.call_owner[i])
            .collect();
        for o in owners {
            self.hit(o);
        }
    }

    fn note_loop_call(&mut self, rendered: &str) {
        if let Some(set) = &self.rules.predicates.loop_calls {
            set.matches_into(rendered, &mut self.matches);
            let owners: Vec<usize> = self
                .matches
                .iter()
                .map(|&i| self.rules.predicates.loop_owner[i])
                .collect();
            for o in owners {
                self.hit(o);
            }
        }
    }

    fn note_string(&mut self, value: &str) {
        if let Some(set) = &self.rules.predicates.strings {
            if !set.is_match(value) {
                return;
            }
            let owners: Vec<usize> = set
                .matches(value)
                .into_iter()
                .map(|i| self.rules.predicates.string_owner[i])
                .collect();
            for o in owners {
                self.hit(o);
            }
        }
    }

    fn resolve_path(&self, path: &syn::Path) -> ResolvedPath {
        self.resolver.resolve_path(path)
    }

    /// `PoolOptions::<Sqlite>::new` also as `sqlx::pool::PoolOptions<sqlx::Sqlite>::new`, so a
    /// rule can tell a generic constructor's type arguments (the driver, the store) apart.
    /// `None` when no segment has type arguments (nearly every call).
    fn with_turbofish(&self, written: &syn::Path, resolved: &str) -> Option<String> {
        let (at, args) = written.segments.iter().enumerate().find_map(|(i, seg)| {
            matches!(seg.arguments, syn::PathArguments::AngleBracketed(_))
                .then_some((i, &seg.arguments))
        })?;
        let tys = crate::syntax::types::generic_args(args, &self.resolver);
        if tys.is_empty() {
            return None;
        }
        let mut segs: Vec<String> = resolved.split("::").map(str::to_string).collect();
        // Written segments line up with the resolved path's from the end (imports only change the front).
        let from_end = written.segments.len() - 1 - at;
        let index = segs.len().checked_sub(1 + from_end)?;
        let rendered: Vec<String> = tys.iter().map(|t| t.rendered(true)).collect();
        segs[index] = format!("{}<{}>", segs[index], rendered.join(","));
        Some(segs.join("::"))
    }

    // ---- contexts ------------------------------------------------------------------------

    fn cfg_contexts(&self, attrs: &[Attribute]) -> CtxSet {
        let mut set = 0;
        for (bit, c) in self.rules.contexts.iter().enumerate() {
            if c.cfg_requires.iter().any(|name| requires_cfg(attrs, name)) {
                set |= 1 << bit;
            }
        }
        set
    }

    fn attribute_contexts(&self, attrs: &[Attribute]) -> CtxSet {
        let mut set = self.cfg_contexts(attrs);
        for a in attrs {
            if is_builtin_attribute(a.path()) {
                continue;
            }
            let resolved = self.resolve_path(a.path());
            for (bit, c) in self.rules.contexts.iter().enumerate() {
                if let Some(g) = &c.attribute
                    && (g.is_match(&resolved.path)
                        || resolved.alternatives.iter().any(|p| g.is_match(p)))
                {
                    set |= 1 << bit;
                }
            }
        }
        set
    }

    /// `name` is the fn's own name, `key` its fn-table key (`Type::method` in an impl): a
    /// context's `fn-name` may name either (`^main$`, or a type: `^Tmp\w*::`).
    fn fn_contexts(
        &mut self,
        attrs: &[Attribute],
        name: &str,
        key: &str,
        params: &[Param],
    ) -> CtxSet {
        let mut set = self.attribute_contexts(attrs);
        for (bit, c) in self.rules.contexts.iter().enumerate() {
            if let Some(re) = &c.fn_name
                && self.fn_name_file_ok[bit]
                && (re.is_match(name) || (key != name && re.is_match(key)))
            {
                set |= 1 << bit;
            }
        }
        for p in params {
            for (bit, c) in self.rules.contexts.iter().enumerate() {
                if let Some(tg) = &c.param_type
                    && tg.may_match(p.words(self.rules))
                    && tg.matches_rendered(p.rendered(wrappers_of(self.rules)))
                {
                    set |= 1 << bit;
                }
            }
            self.note_app_state(p);
        }
        set
    }

    /// `State<Arc<AppState>>` as a parameter makes `AppState` application state.
    fn note_app_state(&mut self, p: &Param) {
        let Some(ex) = &self.rules.app_state_extractors else {
            return;
        };
        if !ex.may_match(p.words(self.rules))
            || !ex.matches_rendered(p.rendered(wrappers_of(self.rules)))
        {
            return;
        }
        let mut outer = &p.ty;
        while let Ty::Ref(inner) = outer {
            outer = inner;
        }
        let outer = outer.clone();
        self.note_extracted(&outer, byte_range(p.pat.span()));
        let wrappers = &self.rules.wrappers;
        let layers = p.ty.look_through(&|n: &str| wrappers.contains(n));
        if let Some(Ty::Path(inner)) = layers.last()
            && inner.local
        {
            self.facts.app_state.push(inner.name.clone());
        }
    }

    // ---- offering nodes to rules -------------------------------------------------------------

    /// The blocks of `kind` that may match a node with this name and path (usually none).
    fn blocks_for(
        &mut self,
        kind: NodeKind,
        name: Option<&str>,
        path: Option<&ResolvedPath>,
    ) -> Vec<usize> {
        let mut paths: Vec<&str> = Vec::new();
        if let Some(p) = path {
            paths.push(&p.path);
            paths.extend(p.alternatives.iter().map(String::as_str));
        }
        let mut blocks = std::mem::take(&mut self.block_buf);
        self.rules.prefilter[kind.index()].candidates(name, &paths, &mut self.matches, &mut blocks);
        blocks.retain(|&b| self.blocks_enabled[b]);
        blocks
    }

    fn offer<F: FnOnce() -> (Range<usize>, Option<Range<usize>>)>(
        &mut self,
        node: &Node,
        site: Site<F>,
    ) {
        let blocks = self.blocks_for(node.kind, node.name, node.path);
        self.offer_blocks(node, site, blocks);
    }

    fn offer_blocks<F: FnOnce() -> (Range<usize>, Option<Range<usize>>)>(
        &mut self,
        node: &Node,
        site: Site<F>,
        blocks: Vec<usize>,
    ) {
        let mut loc_cache: Option<Location> = None;
        let mut node_end = 0;
        let mut span = Some(site.span);
        let roots = site.roots.unwrap_or_else(|| Roots {
            scopes: vec![self.current_scope()],
            callees: vec![],
        });
        for &b in &blocks {
            let block: &Block = &self.rules.blocks[b];
            // The struct's name is known here: a block for other owners need not wait for the
            // crate (the crate phase checks it again, with `owner-implements`).
            if let (Some(re), Some(owner)) = (&block.owner, site.owner)
                && !re.is_match(owner)
            {
                continue;
            }
            let checked =
                fault::catch_rule(fault::Stage::Walk, &self.rules.rules[block.rule].id, || {
                    local_match::check(block, node, &self.rules.wrappers)
                });
            let Outcome::Yes { deferred_type } = (match checked {
                Ok(outcome) => outcome,
                Err(panic) => {
                    if !self.facts.faults.iter().any(|(r, _)| *r == block.rule) {
                        self.facts.faults.push((block.rule, panic));
                    }
                    continue;
                }
            }) else {
                continue;
            };
            let loc = match loc_cache {
                Some(l) => l,
                None => {
                    let (range, narrow) = (span.take().expect("computed once"))();
                    node_end = range.end;
                    let l = self.location(range, narrow);
                    loc_cache = Some(l);
                    l
                }
            };
            if block.fallible_after {
                self.pending_fallible
                    .push((self.facts.candidates.len(), node_end));
            }
            let snippet: Box<str> = self.src.line_text(loc.line).trim().into();
            let type_text = node.ty.map(|t| t.rendered(false).into_boxed_str());
            self.facts.candidates.push(Candidate {
                block: b as u32,
                scope: self.current_scope(),
                loc,
                snippet,
                item: self.item_path().into(),
                name: node.name.map(Into::into),
                type_text,
                path: node.path.map(|p| p.path.clone().into_boxed_str()),
                deferred_type: if deferred_type {
                    node.ty.cloned()
                } else {
                    None
                },
                owner: site.owner.map(Into::into),
                via_alias: site.via_alias.map(Into::into),
                roots: roots.clone(),
                field: self.literal_field.clone(),
            });
        }
        self.block_buf = blocks;
    }

    fn location(&self, range: Range<usize>, narrow: Option<Range<usize>>) -> Location {
        let loc = self.src.location(range);
        match narrow {
            Some(n) if loc.end_line != loc.line => self.src.location(n),
            _ => loc,
        }
    }

    /// Contexts conferred on what is passed to this node (`passed-to` blocks), as a bit set.
    fn passed_to_matches(&self, node: &Node) -> CtxSet {
        let mut set = 0;
        for &i in &self.rules.passed_to_by_kind[node.kind.index()] {
            let (bit, block) = &self.rules.passed_to[i];
            if let Outcome::Yes { .. } = local_match::check(block, node, &self.rules.wrappers) {
                set |= 1 << bit;
            }
        }
        set
    }

    /// Does the node register its first argument as application state?
    fn registers_state(&self, node: &Node) -> bool {
        self.rules.registered_by_kind[node.kind.index()]
            .iter()
            .any(|&i| {
                matches!(
                    local_match::check(&self.rules.registered_by[i], node, &self.rules.wrappers),
                    Outcome::Yes { .. }
                )
            })
    }

    /// Passing a fn or closure to a `passed-to` call puts it in that context.
    fn confer(&mut self, contexts: CtxSet, roots: &Roots) {
        if contexts == 0 {
            return;
        }
        for &s in &roots.scopes {
            self.facts.scopes[s as usize].contexts |= contexts;
        }
        for &c in &roots.callees {
            self.facts.registrations.push((c, contexts));
        }
    }

    /// Fns and closures an argument list hands over: closures and async blocks (scopes created
    /// while visiting the args), and same-crate fns named or called there.
    fn arg_roots<'e>(
        &mut self,
        args: impl Iterator<Item = &'e Expr>,
        first_new_scope: usize,
    ) -> Roots {
        let parent = self.current_scope();
        let mut scopes: Vec<u32> = (first_new_scope..self.facts.scopes.len())
            .filter(|&s| self.facts.scopes[s].parent == Some(parent))
            .map(|s| s as u32)
            .collect();
        let mut callees = Vec::new();
        for a in args {
            // A local bound to a closure (`let scheduler = move || loop { .. }; spawn(scheduler)`)
            // hands over that closure's code.
            if let Expr::Path(p) = strip(a)
                && let Some(ident) = p.path.get_ident()
                && let Some(&scope) = self.local_closures.get(&ident.to_string())
            {
                scopes.push(scope);
            }
            self.callee_roots(a, &mut callees, 0);
        }
        // A fn handed over (`build_fn(job)`, `get(handler)`) is not called from here: the
        // framework calls it later, in its own context. Only the node's roots point at it.
        Roots { scopes, callees }
    }

    fn callee_roots(&mut self, e: &Expr, out: &mut Vec<u32>, depth: u8) {
        if depth > 2 {
            return;
        }
        match strip(e) {
            Expr::Path(p) => {
                let Some(last) = p.path.segments.last() else {
                    return;
                };
                let name = last.ident.to_string();
                if !name.starts_with(|c: char| c.is_lowercase() || c == '_') {
                    return;
                }
                if p.path.segments.len() == 1 {
                    if self.bound.contains(&name) {
                        return;
                    }
                    // A fn of this crate, or a variable bound where we did not look (a
                    // pattern, a closure parameter); the crate's fn table tells later.
                    out.push(self.intern(&name));
                } else {
                    let r = self.resolve_path(&p.path);
                    if r.local {
                        out.push(self.intern(&callee_key(&r.path)));
                    }
                }
            }
            Expr::Call(c) => {
                if let Expr::Path(p) = strip(&c.func) {
                    let r = self.resolve_path(&p.path);
                    if r.local {
                        out.push(self.intern(&callee_key(&r.path)));
                    } else {
                        for a in &c.args {
                            self.callee_roots(a, out, depth + 1);
                        }
                    }
                }
            }
            Expr::MethodCall(m) => out.push(self.intern(&method_callee(&m.method.to_string()))),
            _ => {}
        }
    }

    fn chain_link(&self, m: &ExprMethodCall) -> ChainLink {
        ChainLink {
            name: m.method.to_string(),
            args: m.paren_token.span.join(),
        }
    }

    fn literals_of<'e>(&self, args: impl Iterator<Item = &'e Expr>) -> Vec<String> {
        let mut out = Vec::new();
        for a in args {
            string_values(a, &self.consts, &mut out);
        }
        out
    }

    // ---- calls -------------------------------------------------------------------------------

    fn handle_call(&mut self, call: &ExprCall, chain: &[ChainLink]) {
        for a in &call.attrs {
            self.visit_attribute(a);
        }
        let path = match strip(&call.func) {
            Expr::Path(p) if p.qself.is_none() => Some(p),
            other => {
                self.visit_expr(other);
                None
            }
        };
        let first_new = self.facts.scopes.len();
        for a in &call.args {
            self.visit_expr(a);
        }
        let Some(p) = path else { return };
        let mut resolved = self.resolve_path(&p.path);
        if let Some(alt) = self.with_turbofish(&p.path, &resolved.path) {
            resolved.alternatives.push(alt);
        }
        self.note_call(&resolved.path);
        for alt in resolved.alternatives.clone() {
            self.note_call(&alt);
        }
        // Imported names were noted at their `use`; only fully written paths add usage here.
        if p.path.segments.len() > 1 {
            self.note_usage(&resolved.path);
        }
        let last = p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if resolved.local {
            self.add_callee(&callee_key(&resolved.path));
        } else if !self.siblings.is_empty() {
            self.note_foreign(&resolved.path, false, byte_range(call.span()));
        }
        // Most calls concern no rule: decide that before gathering arguments.
        let blocks = self.blocks_for(NodeKind::Call, Some(&last), Some(&resolved));
        let mut node = Node {
            name: Some(&last),
            path: Some(&resolved),
            chain,
            ..self.blank_node(NodeKind::Call)
        };
        let passed_to = self.passed_to_matches(&node);
        if resolved.local
            && let Some(ty) = exprs::infer_call_type(call, &self.resolver, 0)
        {
            self.note_construction(&ty);
        }
        if passed_to & self.rules.task_contexts != 0 {
            self.note_spawned(&call.args);
        }
        if self.registers_state(&node)
            && let Some(arg) = call.args.first()
        {
            let range = byte_range(p.span()).start..byte_range(call.paren_token.span.close()).end;
            self.note_registration(&resolved.path, arg, range);
        }
        if blocks.is_empty() && passed_to == 0 {
            self.block_buf = blocks;
            return;
        }
        let roots = self.arg_roots(call.args.iter(), first_new);
        self.confer(passed_to, &roots);
        let literals = self.literals_of(call.args.iter());
        node.literals = &literals;
        node.constant_args = call
            .args
            .iter()
            .take(32)
            .enumerate()
            .filter(|(_, a)| exprs::is_constant(a))
            .fold(0, |bits, (i, _)| bits | 1 << i);
        let span = || {
            let func = byte_range(p.span());
            (
                func.start..byte_range(call.paren_token.span.close()).end,
                Some(func),
            )
        };
        self.offer_blocks(
            &node,
            Site {
                span,
                owner: None,
                via_alias: None,
                roots: Some(roots),
            },
            blocks,
        );
    }

    fn handle_method_chain(&mut self, outer: &ExprMethodCall) {
        let mut links: Vec<&ExprMethodCall> = vec![outer];
        let mut root: &Expr = &outer.receiver;
        while let Expr::MethodCall(inner) = strip(root) {
            links.push(inner);
            root = &inner.receiver;
        }
        links.reverse();
        let chain: Vec<ChainLink> = links.iter().map(|m| self.chain_link(m)).collect();
        let root = strip(root);
        let receiver: Option<String> = match root {
            Expr::Call(c) => match strip(&c.func) {
                Expr::Path(p) => Some(self.resolve_path(&p.path).path),
                _ => None,
            },
            Expr::Path(p) if p.path.segments.len() > 1 || self.rules.uses_receiver => {
                let local = p.path.get_ident().map(|i| i.to_string());
                match local.and_then(|n| self.local_types.get(&n).cloned()) {
                    Some(ty) => Some(ty),
                    None => Some(self.resolve_path(&p.path).path),
                }
            }
            _ => None,
        };
        match root {
            Expr::Call(c) => self.handle_call(c, &chain),
            other => self.visit_expr(other),
        }
        for (i, m) in links.iter().enumerate() {
            for a in &m.attrs {
                self.visit_attribute(a);
            }
            let first_new = self.facts.scopes.len();
            for a in &m.args {
                self.visit_expr(a);
            }
            let name = &chain[i].name;
            if self.rules.tracks_state_keys {
                self.note_state_key(links[i], name);
            }
            self.note_method_mutation(links[i], name);
            if !self.siblings.is_empty()
                && MESSAGE_SENDS.contains(&name.as_str())
                && let Some(ty) = m.args.first().and_then(|a| self.message_type(a))
            {
                self.note_foreign(&ty, true, byte_range(m.span()));
            }
            self.note_method_call(name, links[i].args.len());
            if i == 0 && self.rules.predicates.with_receiver {
                self.note_receiver_call(root, name);
            }
            let method = self.add_method_callee(name);
            if i == 0 && self.rules.tracks_state_use {
                self.note_state_call(root, method);
            }
            let blocks = self.blocks_for(NodeKind::Method, Some(name), None);
            let mut node = Node {
                name: Some(name),
                receiver: receiver.as_deref(),
                chain: &chain[i + 1..],
                chain_before: &chain[..i],
                ..self.blank_node(NodeKind::Method)
            };
            let passed_to = self.passed_to_matches(&node);
            if passed_to & self.rules.task_contexts != 0 {
                self.note_spawned(&m.args);
            }
            if self.registers_state(&node)
                && let Some(arg) = m.args.first()
            {
                let range =
                    byte_range(m.method.span()).start..byte_range(m.paren_token.span.close()).end;
                let via = format!("{}.{name}", receiver.as_deref().unwrap_or("_"));
                self.note_registration(&via, arg, range);
            }
            if blocks.is_empty() && passed_to == 0 {
                self.block_buf = blocks;
                continue;
            }
            let roots = self.arg_roots(m.args.iter(), first_new);
            self.confer(passed_to, &roots);
            let literals = self.literals_of(m.args.iter());
            node.literals = &literals;
            let span = || {
                span_pair(
                    m.method.span(),
                    m.paren_token.span.close(),
                    Some(m.method.span()),
                )
            };
            self.offer_blocks(
                &node,
                Site {
                    span,
                    owner: None,
                    via_alias: None,
                    roots: Some(roots),
                },
                blocks,
            );
        }
    }

    // ---- macros ------------------------------------------------------------------------------

    fn handle_macro(&mut self, mac: &Macro, attrs: &[Attribute]) {
        for a in attrs {
            self.visit_attribute(a);
        }
        let resolved = self.resolve_path(&mac.path);
        if mac.path.segments.len() > 1 {
            self.note_usage(&resolved.path);
        }
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if matches!(name.as_str(), "bail" | "ensure") {
            self.note_fallible_step(mac.bang_token.span);
        }
        // String literals matter to rules on this macro (SQL in `query!`) and to string
        // conditions (a lock taken in SQL); other bodies (crate DSLs such as windows-sys'
        // `link!`) are not scanned.
        let blocks = self.blocks_for(NodeKind::Macro, Some(&name), Some(&resolved));
        let mut literals = Vec::new();
        if !blocks.is_empty() || macros::may_hold_sql(&name) {
            macros::string_literals(&mac.tokens, &mut literals, 0);
            for value in &literals {
                self.note_string(value);
            }
        }
        let first_new = self.facts.scopes.len();
        let mut body_exprs: Vec<Expr> = Vec::new();
        match name.as_str() {
            "lazy_static" => {
                if let Some(statics) = macros::parse_lazy_static(mac.tokens.clone()) {
                    self.handle_macro_statics(attrs, &statics);
                }
            }
            "thread_local" => {
                if let Some(statics) = macros::parse_thread_local(mac.tokens.clone()) {
                    self.in_thread_local = true;
                    self.handle_macro_statics(attrs, &statics);
                    self.in_thread_local = false;
                }
            }
            "select" => {
                if let Some(exprs) = macros::parse_select(mac.tokens.clone()) {
                    body_exprs = exprs;
                }
            }
            code if macros::body_is_code(code)
                || (!macros::formats_only(code)
                    && macros::mentions_any(&mac.tokens, &self.rules.call_words))
                || (macros::builds_value(code)
                    && macros::calls_qualified(&mac.tokens, &self.rules.call_words)) =>
            {
                match macros::parse_generic(&mac.tokens) {
                    Some(MacroBody::Exprs(exprs)) => body_exprs = exprs,
                    Some(MacroBody::Stmts(stmts)) => {
                        for s in &stmts {
                            self.visit_stmt(s);
                        }
                    }
                    None => {}
                }
            }
            _ => {}
        }
        for e in &body_exprs {
            self.visit_expr(e);
        }
        let roots = self.arg_roots(body_exprs.iter(), first_new);
        let node = Node {
            name: Some(&name),
            path: Some(&resolved),
            literals: &literals,
            ..self.blank_node(NodeKind::Macro)
        };
        let passed_to = self.passed_to_matches(&node);
        self.confer(passed_to, &roots);
        let span = || {
            let path = byte_range(mac.path.span());
            (
                path.start..byte_range(mac.delimiter.span().close()).end,
                Some(path.start..path.end + 1),
            )
        };
        self.offer_blocks(
            &node,
            Site {
                span,
                owner: None,
                via_alias: None,
                roots: Some(roots),
            },
            blocks,
        );
    }

    // ---- items -------------------------------------------------------------------------------

    fn handle_static(
        &mut self,
        attrs: &[Attribute],
        start: Span,
        ident: &syn::Ident,
        ty: &syn::Type,
        expr: &Expr,
        mutable: bool,
    ) {
        // The initializer gets a scope of its own: `calls` on a static asks what *its*
        // initializer calls, not what the other items of the module do.
        let ctx = self.cfg_contexts(attrs);
        let scope = self.push_scope(ctx, None);
        self.facts.scopes[scope as usize].static_init = true;
        self.offer_attributes(attrs);
        let mut t = Ty::from_syn(ty, &self.resolver);
        if matches!(t, Ty::Infer) {
            t = infer_type(expr, &self.resolver, 0).unwrap_or(Ty::Infer);
        }
        // Only this static is the macro's: statics inside its initializer are plain ones.
        let in_thread_local = std::mem::replace(&mut self.in_thread_local, false);
        if in_thread_local {
            // What `thread_local!` declares: one value per thread, behind a `LocalKey`.
            t = Ty::named("std::thread::LocalKey".to_string(), false, vec![t]);
        }
        self.note_type_usage(&t);
        let name = ident.to_string();
        self.record_static(
            &name,
            &t,
            mutable,
            byte_range(start).start..byte_range(ty.span()).end,
        );
        self.note_shared_types(&t);
        self.items.push(name.clone());
        let node = Node {
            name: Some(&name),
            ty: Some(&t),
            mutable,
            ..self.blank_node(NodeKind::Static)
        };
        let span = || (byte_range(start).start..byte_range(ty.span()).end, None);
        self.offer(
            &node,
            Site {
                span,
                owner: None,
                via_alias: single_local_name(&t),
                roots: Some(Roots {
                    scopes: vec![scope],
                    callees: Vec::new(),
                }),
            },
        );
        self.visit_expr(expr);
        self.items.pop();
        self.pop_scope();
        self.in_thread_local = in_thread_local;
    }

    /// The statics of `lazy_static!` / `thread_local!`. The macro's own attributes apply to
    /// every static it declares (`#[cfg(test)] thread_local! { .. }`).
    fn handle_macro_statics(&mut self, macro_attrs: &[Attribute], statics: &[MacroStatic]) {
        for s in statics {
            let attrs: Vec<Attribute> = macro_attrs.iter().chain(&s.attrs).cloned().collect();
            self.handle_static(&attrs, s.static_token.span, &s.ident, &s.ty, &s.expr, false);
        }
    }

    fn offer_attributes(&mut self, attrs: &[Attribute]) {
        if self.rules.blocks_by_kind[NodeKind::Attribute.index()].is_empty()
            && self.rules.usage.globs.is_none()
        {
            return;
        }
        for a in attrs {
            if is_builtin_attribute(a.path()) {
                continue;
            }
            let resolved = self.resolve_path(a.path());
            if a.path().segments.len() > 1 {
                self.note_usage(&resolved.path);
            }
            let name = a
                .path()
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            let blocks = self.blocks_for(NodeKind::Attribute, Some(&name), Some(&resolved));
            if blocks.is_empty() {
                self.block_buf = blocks;
                continue;
            }
            let args = match &a.meta {
                syn::Meta::List(l) => vec![
                    self.src
                        .slice(byte_range(l.delimiter.span().join()))
                        .to_string(),
                ],
                syn::Meta::NameValue(nv) => {
                    vec![self.src.slice(byte_range(nv.value.span())).to_string()]
                }
                syn::Meta::Path(_) => vec![],
            };
            let node = Node {
                name: Some(&name),
                path: Some(&resolved),
                literals: &args,
                ..self.blank_node(NodeKind::Attribute)
            };
            let span = || span_pair(a.pound_token.span, a.bracket_token.span.close(), None);
            self.offer_blocks(
                &node,
                Site {
                    span,
                    owner: None,
                    via_alias: None,
                    roots: None,
                },
                blocks,
            );
        }
    }

    fn handle_fn(&mut self, attrs: &[Attribute], sig: &syn::Signature, body: Option<&syn::Block>) {
        // Each parameter type is resolved (and rendered) once, for contexts, app state and rules.
        let params: Vec<Param> = sig
            .inputs
            .iter()
            .filter_map(|i| match i {
                FnArg::Typed(pt) => Some(Param {
                    pat: pt,
                    ty: Ty::from_syn(&pt.ty, &self.resolver),
                    rendered: OnceCell::new(),
                    words: OnceCell::new(),
                }),
                FnArg::Receiver(_) => None,
            })
            .collect();
        let name = sig.ident.to_string();
        let key = match &self.impl_self {
            Some(t) => format!("{t}::{name}"),
            None => name.clone(),
        };
        let ctx = self.fn_contexts(attrs, &name, &key, &params);
        let saved_impl = self.impl_self.take();
        let handles = self.impl_message.take();
        let saved_bound = std::mem::take(&mut self.bound);
        let saved_types = std::mem::take(&mut self.local_types);
        let saved_closures = std::mem::take(&mut self.local_closures);
        let saved_pending = std::mem::take(&mut self.pending_fallible);
        let saved_followed = std::mem::take(&mut self.followed);
        let saved_state_locals = std::mem::take(&mut self.state_locals);
        let saved_literal_field = self.literal_field.take();
        let saved_loops = (
            std::mem::take(&mut self.loop_depth),
            std::mem::take(&mut self.long_loop_depth),
        );
        let constructs = state_walk::returns_self(sig, saved_impl.as_deref());
        let saved_self = (
            std::mem::replace(&mut self.fn_self, state_walk::self_kind(sig)),
            std::mem::replace(&mut self.fn_constructs, constructs),
            std::mem::replace(&mut self.fn_in_trait_impl, self.impl_of_trait),
        );
        for p in &params {
            if let Some((name, _)) = pattern_name(&p.pat.pat) {
                if let Ty::Path(tp) = &p.ty {
                    self.local_types.insert(name.clone(), tp.full.clone());
                }
                self.state_bind_param(&name, &p.ty);
                self.bound.insert(name);
            }
        }
        let scope = self.push_scope(ctx, Some(&key));
        self.facts.scopes[scope as usize].constructs = constructs;
        self.facts.scopes[scope as usize].self_mut = self.fn_self == SelfKind::RefMut;
        self.facts.scopes[scope as usize].is_method = sig.receiver().is_some();
        self.facts.scopes[scope as usize].handles = handles.as_deref().map(Into::into);
        self.facts.scopes[scope as usize].line =
            self.src.location(byte_range(sig.ident.span())).line;
        for p in &params {
            if let Some(name) = single_local_name(&p.ty)
                && self.crate_words.aliases.contains_key(name)
            {
                self.facts.alias_params.push((scope, name.to_string()));
            }
        }
        self.items.push(name.clone());
        self.offer_attributes(attrs);
        let ret = match &sig.output {
            syn::ReturnType::Type(_, t) => Some(Ty::from_syn(t, &self.resolver)),
            syn::ReturnType::Default => None,
        };
        let node = Node {
            name: Some(&name),
            ty: ret.as_ref(),
            ..self.blank_node(NodeKind::Fn)
        };
        let span = || {
            span_pair(
                sig.fn_token.span,
                sig.paren_token.span.close(),
                Some(sig.ident.span()),
            )
        };
        self.offer_rooted_at(&node, span, scope);
        for p in params {
            self.handle_param(p);
        }
        if let Some(b) = body {
            self.visit_block(b);
        }
        self.settle_fallible(saved_pending, saved_followed);
        self.state_locals = saved_state_locals;
        self.literal_field = saved_literal_field;
        (self.loop_depth, self.long_loop_depth) = saved_loops;
        (self.fn_self, self.fn_constructs, self.fn_in_trait_impl) = saved_self;
        self.bound = saved_bound;
        self.local_types = saved_types;
        self.local_closures = saved_closures;
        self.impl_self = saved_impl;
        self.impl_message = handles;
        self.items.pop();
        self.pop_scope();
    }

    fn handle_param(&mut self, p: Param) {
        let Param {
            pat: pt,
            ty: t,
            rendered,
            ..
        } = p;
        self.note_type_usage(&t);
        if self.rules.blocks_by_kind[NodeKind::Param.index()].is_empty() {
            return;
        }
        let (name, mutable) = pattern_name(&pt.pat).unwrap_or_default();
        let node = Node {
            name: if name.is_empty() { None } else { Some(&name) },
            ty: Some(&t),
            mutable,
            rendered,
            ..self.blank_node(NodeKind::Param)
        };
        let span = || {
            (
                byte_range(pt.pat.span()).start..byte_range(pt.ty.span()).end,
                None,
            )
        };
        self.offer(
            &node,
            Site {
                span,
                owner: None,
                via_alias: single_local_name(&t),
                roots: None,
            },
        );
    }

    fn handle_struct(&mut self, s: &syn::ItemStruct) {
        let ctx = self.cfg_contexts(&s.attrs);
        let pushed = ctx != 0;
        if pushed {
            self.push_scope(ctx, None);
        }
        self.offer_attributes(&s.attrs);
        let owner = s.ident.to_string();
        self.items.push(owner.clone());
        let mut field_types = Vec::new();
        let mut field_tys: Vec<Ty> = Vec::new();
        for (i, f) in s.fields.iter().enumerate() {
            // Field attributes carry configuration defaults (`#[arg(default_value = "..")]`).
            self.offer_attributes(&f.attrs);
            let t = Ty::from_syn(&f.ty, &self.resolver);
            if self.rules.looks_into_structs && field_tys.len() <= MAX_LOOKED_INTO_FIELDS {
                field_tys.push(t.clone());
            }
            self.note_type_usage(&t);
            let own_names = field_types.len();
            t.local_names(&mut field_types);
            let name = f
                .ident
                .as_ref()
                .map(|i| i.to_string())
                // A tuple struct's field is named by its struct (`Http01TokensMap.0`).
                .unwrap_or_else(|| format!("{owner}.{i}"));
            if self.rules.tracks_state_use {
                // Any alias the field's type mentions (`handlers: Arc<RwLock<HandlerMap>>`):
                // where the field is used is where the alias's state is used.
                for alias in &field_types[own_names..] {
                    if self.crate_words.aliases.contains_key(alias.as_str()) {
                        self.facts.typed_fields.push((alias.clone(), name.clone()));
                    }
                }
            }
            let field_range = {
                let ty = byte_range(f.ty.span());
                let start = f
                    .ident
                    .as_ref()
                    .map(|id| byte_range(id.span()).start)
                    .unwrap_or(ty.start);
                start..ty.end
            };
            let field_name = f
                .ident
                .as_ref()
                .map(|i| i.to_string())
                .unwrap_or_else(|| i.to_string());
            self.record_field(&owner, &field_name, &t, field_range.clone());
            self.note_shared_types(&t);
            let node = Node {
                name: Some(&name),
                ty: Some(&t),
                ..self.blank_node(NodeKind::Field)
            };
            let span = || (field_range, None);
            self.offer(
                &node,
                Site {
                    span,
                    owner: Some(&owner),
                    via_alias: single_local_name(&t),
                    roots: None,
                },
            );
        }
        // A struct of more fields is not looked into: three levels of such structs would make
        // one type thousands of nodes (generated bindings), and data behind a lock is small.
        if self.rules.looks_into_structs && field_tys.len() <= MAX_LOOKED_INTO_FIELDS {
            let params = s
                .generics
                .type_params()
                .map(|p| p.ident.to_string())
                .collect();
            // Not `local`: the expansion names the struct but is not expanded again.
            let ty = Ty::named(owner.clone(), false, field_tys);
            self.facts
                .struct_defs
                .push((owner.clone(), AliasDef { params, ty }));
        }
        self.facts.structs.push((owner, field_types));
        self.items.pop();
        if pushed {
            self.pop_scope();
        }
    }

    fn handle_type_alias(&mut self, t: &syn::ItemType) {
        let ty = Ty::from_syn(&t.ty, &self.resolver);
        self.note_type_usage(&ty);
        let name = t.ident.to_string();
        let params = t
            .generics
            .type_params()
            .map(|p| p.ident.to_string())
            .collect();
        self.facts.aliases.push((
            name.clone(),
            AliasDef {
                params,
                ty: ty.clone(),
            },
        ));
        let ctx = self.cfg_contexts(&t.attrs);
        if ctx != 0 {
            self.push_scope(ctx, None);
        }
        let node = Node {
            name: Some(&name),
            ty: Some(&ty),
            ..self.blank_node(NodeKind::TypeAlias)
        };
        let span = || span_pair(t.type_token.span, t.semi_token.span, None);
        self.offer(
            &node,
            Site {
                span,
                owner: Some(&name),
                via_alias: None,
                roots: None,
            },
        );
        if ctx != 0 {
            self.pop_scope();
        }
    }

    fn handle_impl(&mut self, i: &syn::ItemImpl) {
        let mut ctx = self.attribute_contexts(&i.attrs);
        let self_ty = Ty::from_syn(&i.self_ty, &self.resolver);
        let trait_path = i.trait_.as_ref().map(|(_, p, _)| self.resolve_path(p));
        if let Some(tp) = &trait_path {
            self.note_usage(&tp.path);
            for (bit, c) in self.rules.contexts.iter().enumerate() {
                if let Some(g) = &c.trait_impl
                    && (g.is_match(&tp.path) || tp.alternatives.iter().any(|p| g.is_match(p)))
                {
                    ctx |= 1 << bit;
                }
            }
        }
        let self_name = match &self_ty {
            Ty::Path(p) => p.name.clone(),
            other => other.rendered(false),
        };
        let self_path = match &self_ty {
            Ty::Path(p) => p.full.clone(),
            other => other.rendered(false),
        };
        if let Some(tp) = &trait_path {
            let mut paths = vec![tp.path.clone()];
            paths.extend(tp.alternatives.iter().cloned());
            self.facts.impls.push((self_name.clone(), paths));
        }
        let scope = self.push_scope(ctx, None);
        self.items.push(self_name.clone());
        let node = Node {
            name: Some(&self_name),
            ty: Some(&self_ty),
            path: trait_path.as_ref(),
            ..self.blank_node(NodeKind::Impl)
        };
        let span = || {
            (
                byte_range(i.impl_token.span).start..byte_range(i.self_ty.span()).end,
                None,
            )
        };
        let roots = Some(Roots {
            scopes: vec![scope],
            callees: vec![],
        });
        self.offer(
            &node,
            Site {
                span,
                owner: None,
                via_alias: None,
                roots,
            },
        );
        let saved = self.resolver.self_type.replace(self_path);
        let saved_impl = self.impl_self.replace(self_name.clone());
        let saved_of_trait = std::mem::replace(&mut self.impl_of_trait, i.trait_.is_some());
        let message = i.trait_.as_ref().and_then(|(_, p, _)| message_of(p));
        let saved_message = std::mem::replace(&mut self.impl_message, message);
        for item in &i.items {
            match item {
                ImplItem::Fn(f) => {
                    if self.record_items {
                        self.note_item_lines(f);
                    }
                    self.handle_fn(&f.attrs, &f.sig, Some(&f.block))
                }
                ImplItem::Const(c) => self.visit_expr(&c.expr),
                ImplItem::Macro(m) => self.handle_macro(&m.mac, &m.attrs),
                _ => {}
            }
        }
        self.resolver.self_type = saved;
        self.impl_self = saved_impl;
        self.impl_of_trait = saved_of_trait;
        self.impl_message = saved_message;
        self.items.pop();
        self.pop_scope();
    }

    /// Records a call or message whose path starts with another crate of this run.
    fn note_foreign(&mut self, target: &str, message: bool, range: Range<usize>) {
        let first = target.split("::").next().unwrap_or_default();
        if !self.siblings.contains(first) {
            return;
        }
        let loc = self.location(range, None);
        let snippet: Box<str> = self.src.line_text(loc.line).trim().into();
        self.facts.foreign_calls.push(ForeignCall {
            scope: self.current_scope(),
            target: target.into(),
            message,
            loc,
            snippet,
            item: self.item_path().into(),
        });
    }

    /// The type of a message handed to `addr.do_send(msg)`: a struct literal, a unit struct
    /// or a variable bound to one.
    fn message_type(&self, arg: &Expr) -> Option<String> {
        match strip(arg) {
            Expr::Path(p) => {
                if let Some(ident) = p.path.get_ident()
                    && let Some(ty) = self.local_types.get(&ident.to_string())
                {
                    return Some(ty.clone());
                }
                Some(self.resolve_path(&p.path).path)
            }
            other => match infer_type(other, &self.resolver, 0)? {
                Ty::Path(tp) => Some(tp.full),
                _ => None,
            },
        }
    }

    fn handle_local(&mut self, l: &syn::Local) {
        // `let (tx, _rx) = broadcast::channel(16);` is named by its first binding: what a
        // constructor returns first is what the pair is for (the sender, the key).
        let (name, mutable) = match &l.pat {
            syn::Pat::Tuple(t) => t.elems.iter().find_map(pattern_name),
            other => pattern_name(other),
        }
        .unwrap_or_default();
        let declared = match &l.pat {
            syn::Pat::Type(pt) => Some(Ty::from_syn(&pt.ty, &self.resolver)),
            _ => None,
        };
        let ty = declared.or_else(|| {
            l.init
                .as_ref()
                .and_then(|i| infer_type(&i.expr, &self.resolver, 0))
        });
        // As for a static, `calls` on a `let` asks what its initializer calls: it gets a scope
        // of its own when a rule may ask.
        let init_scope = (l.init.is_some() && !name.is_empty() && self.let_asks_reach(&name))
            .then(|| self.push_scope(0, None));
        let closure_scope = self.facts.scopes.len() as u32;
        let binds_closure = l
            .init
            .as_ref()
            .is_some_and(|i| matches!(strip(&i.expr), Expr::Closure(_) | Expr::Async(_)));
        if let Some(init) = &l.init {
            self.visit_expr(&init.expr);
            if let Some((_, div)) = &init.diverge {
                self.visit_expr(div);
            }
        }
        if init_scope.is_some() {
            self.pop_scope();
        }
        if name.is_empty() {
            return;
        }
        if binds_closure && (closure_scope as usize) < self.facts.scopes.len() {
            self.local_closures.insert(name.clone(), closure_scope);
        } else {
            self.local_closures.remove(&name);
        }
        self.bound.insert(name.clone());
        self.state_bind_let(l, &name, ty.as_ref());
        if let Some(t) = &ty {
            self.note_shared_types(t);
        }
        match &ty {
            Some(Ty::Path(tp)) => {
                self.local_types.insert(name.clone(), tp.full.clone());
            }
            _ => {
                self.local_types.remove(&name);
            }
        }
        if let Some(t) = &ty {
            self.note_type_usage(t);
        }
        let node = Node {
            name: Some(&name),
            ty: ty.as_ref(),
            mutable,
            ..self.blank_node(NodeKind::Let)
        };
        let span = || span_pair(l.let_token.span, l.semi_token.span, Some(l.pat.span()));
        self.offer(
            &node,
            Site {
                span,
                owner: None,
                via_alias: ty.as_ref().and_then(single_local_name),
                roots: init_scope.map(|scope| Roots {
                    scopes: vec![scope],
                    callees: Vec::new(),
                }),
            },
        );
    }

    /// Does a `let` block that may match this name ask what the initializer calls?
    fn let_asks_reach(&mut self, name: &str) -> bool {
        let blocks = self.blocks_for(NodeKind::Let, Some(name), None);
        let asks = blocks.iter().any(|&b| {
            let block = &self.rules.blocks[b];
            block.needs_reach() && block.name.as_ref().is_none_or(|re| re.is_match(name))
        });
        self.block_buf = blocks;
        asks
    }

    /// Statements directly in a loop body that call something (`interval.tick().await;`,
    /// `sleep(d).await;`): what makes a loop periodic.
    fn note_loop_calls(&mut self, calls: &[String]) {
        for call in calls {
            self.note_loop_call(call);
        }
    }

    /// The calls made by statements directly in a loop body, as `calls-in-loop` sees them
    /// (none when no block asks).
    fn loop_body_calls(&self, body: &syn::Block) -> Vec<String> {
        let mut out = Vec::new();
        if self.rules.predicates.loop_calls.is_none() {
            return out;
        }
        for stmt in &body.stmts {
            let e = match stmt {
                Stmt::Expr(e, _) => e,
                Stmt::Local(l) => match &l.init {
                    Some(i) => &*i.expr,
                    None => continue,
                },
                // `tokio::select! { _ = interval.tick() => .., _ = shutdown.recv() => break }`:
                // each branch's future is awaited every round.
                Stmt::Macro(m) => {
                    self.select_futures(&m.mac, &mut out);
                    continue;
                }
                Stmt::Item(_) => continue,
            };
            match strip(e) {
                Expr::Macro(m) => self.select_futures(&m.mac, &mut out),
                other => self.push_loop_call(other, &mut out),
            }
        }
        out
    }

    fn push_loop_call(&self, e: &Expr, out: &mut Vec<String>) {
        match strip(e) {
            Expr::Call(c) => {
                if let Expr::Path(p) = strip(&c.func) {
                    out.push(self.resolve_path(&p.path).path);
                }
            }
            Expr::MethodCall(m) => out.push(format!(".{}", m.method)),
            _ => {}
        }
    }

    /// A `select!` directly in a loop body is a statement of it when it only races the work's
    /// timer against a stop signal (`_ = interval.tick() => work(), _ = shutdown.recv() =>
    /// break`): the timer's branch then runs every round. A select that also waits for events
    /// (a channel of jobs, a notification) is an event loop with a timeout, and one whose timer
    /// branch does nothing (`_ = sleep(backoff) => {}`) is a retry's pause.
    fn select_futures(&self, mac: &Macro, out: &mut Vec<String>) {
        if mac.path.segments.last().is_none_or(|s| s.ident != "select") {
            return;
        }
        let Some(set) = self.rules.predicates.loop_calls.as_ref() else {
            return;
        };
        let Some(arms) = macros::parse_select_arms(mac.tokens.clone()) else {
            return;
        };
        let mut timers = Vec::new();
        for arm in &arms {
            let Some(future) = &arm.future else {
                continue;
            };
            let mut calls = Vec::new();
            self.push_loop_call(future, &mut calls);
            let waits = calls.iter().any(|c| set.is_match(c));
            if waits && !is_empty_block(&arm.handler) {
                timers.extend(calls);
            } else if !waits && !macros::waits_for_stop(future) {
                return;
            }
        }
        out.extend(timers);
    }

    /// A loop that some `on = "loop"` block may be about (one that waits on a timer every
    /// round and only ends with the program: no `return`, no `break` with a value, which is
    /// how retries and polls end) gets a scope of its own, so that what its body reaches is
    /// known apart from the rest of its fn.
    fn enter_loop(&mut self, long: bool) {
        self.loop_depth = self.loop_depth.saturating_add(1);
        if long {
            self.long_loop_depth = self.long_loop_depth.saturating_add(1);
        }
    }

    fn leave_loop(&mut self, long: bool) {
        self.loop_depth = self.loop_depth.saturating_sub(1);
        if long {
            self.long_loop_depth = self.long_loop_depth.saturating_sub(1);
        }
    }

    fn enter_endless_loop(
        &mut self,
        calls: &[String],
        body: &syn::Block,
        label: Option<&syn::Label>,
    ) -> Option<u32> {
        let set = self.rules.predicates.loop_calls.as_ref()?;
        if self.rules.blocks_by_kind[NodeKind::Loop.index()].is_empty() {
            return None;
        }
        if !calls.iter().any(|c| set.is_match(c)) {
            return None;
        }
        if exprs::leaves_loop_with_result(body, label) {
            return None;
        }
        Some(self.push_scope(0, None))
    }

    fn leave_endless_loop(&mut self, scope: u32, keyword: Span) {
        self.pop_scope();
        let node = self.blank_node(NodeKind::Loop);
        self.offer_rooted_at(&node, || (byte_range(keyword), None), scope);
    }

    /// A step at `at` can fail (`?`, `return Err(..)`, `bail!`): the nodes waiting for one
    /// that end before it are followed by a fallible step.
    fn note_fallible_step(&mut self, at: Span) {
        if self.pending_fallible.is_empty() {
            return;
        }
        let at = byte_range(at).start;
        let followed = &mut self.followed;
        self.pending_fallible.retain(|&(c, end)| {
            if end > at {
                return true;
            }
            followed.push(c);
            false
        });
    }

    /// Leaving a closure or async block: its `?` fails the closure, not the fn, but what it
    /// did is still followed by the fn's later fallible steps.
    fn leave_fallible_unit(&mut self, outer: Vec<(usize, usize)>) {
        let inner = std::mem::replace(&mut self.pending_fallible, outer);
        self.pending_fallible.extend(inner);
    }

    /// Leaving a fn: what no fallible step followed is not repeated by a failure of this fn,
    /// and of what was followed, the first node of each block is the one reported.
    fn settle_fallible(&mut self, outer_pending: Vec<(usize, usize)>, outer_followed: Vec<usize>) {
        let pending = std::mem::replace(&mut self.pending_fallible, outer_pending);
        self.dropped.extend(pending.into_iter().map(|(c, _)| c));
        let mut followed = std::mem::replace(&mut self.followed, outer_followed);
        followed.sort_unstable();
        let mut reported: Vec<u32> = Vec::new();
        for c in followed {
            let block = self.facts.candidates[c].block;
            if reported.contains(&block) {
                self.dropped.push(c);
            } else {
                reported.push(block);
            }
        }
    }

    /// Offers a node whose code is one scope (a fn's body, a loop's body).
    fn offer_rooted_at<F: FnOnce() -> (Range<usize>, Option<Range<usize>>)>(
        &mut self,
        node: &Node,
        span: F,
        scope: u32,
    ) {
        let roots = Some(Roots {
            scopes: vec![scope],
            callees: vec![],
        });
        self.offer(
            node,
            Site {
                span,
                owner: None,
                via_alias: None,
                roots,
            },
        );
    }
}

/// `{}` or `()`: a `select!` branch that does nothing.
fn is_empty_block(e: &Expr) -> bool {
    match strip(e) {
        Expr::Block(b) => b.block.stmts.is_empty(),
        Expr::Tuple(t) => t.elems.is_empty(),
        _ => false,
    }
}

/// Attributes of the language itself: never a rule's concern, skipped without resolving.
fn is_builtin_attribute(path: &syn::Path) -> bool {
    let Some(ident) = path.get_ident() else {
        return false;
    };
    [
        "doc",
        "derive",
        "repr",
        "inline",
        "allow",
        "warn",
        "deny",
        "forbid",
        "expect",
        "cfg",
        "cfg_attr",
        "must_use",
        "non_exhaustive",
        "deprecated",
        "cold",
        "track_caller",
        "automatically_derived",
        "rustfmt",
        "clippy",
        "no_mangle",
        "link",
        "link_name",
        "export_name",
        "used",
        "target_feature",
        "path",
        "macro_export",
        "serde",
    ]
    .iter()
    .any(|b| ident == b)
}

/// How a call names its callee for the crate's fn table: `Type::method` when a type
/// qualifies it (`Foo::new`, `Self::helper` after resolution), else the bare fn name.
pub fn callee_key(path: &str) -> String {
    let mut parts = path.rsplit("::");
    let name = parts.next().unwrap_or(path);
    match parts.next() {
        Some(q) if q.starts_with(|c: char| c.is_ascii_uppercase()) => format!("{q}::{name}"),
        _ => name.to_string(),
    }
}

/// The name of a crate-local type written as a single path (`SessionTable`), which may be an
/// alias that is reported on its own.
/// How a method call names its callee: `.name`, which only fns taking `self` answer to.
pub fn method_callee(name: &str) -> String {
    format!(".{name}")
}

fn single_local_name(t: &Ty) -> Option<&str> {
    match t {
        Ty::Path(p) if p.local => Some(&p.name),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if self.record_items {
            self.note_item_lines(item);
        }
        match item {
            Item::Fn(f) => self.handle_fn(&f.attrs, &f.sig, Some(&f.block)),
            Item::Impl(i) => self.handle_impl(i),
            Item::Struct(s) => self.handle_struct(s),
            Item::Static(s) => {
                let mutable = matches!(s.mutability, syn::StaticMutability::Mut(_));
                self.handle_static(
                    &s.attrs,
                    s.static_token.span,
                    &s.ident,
                    &s.ty,
                    &s.expr,
                    mutable,
                )
            }
            Item::Const(c) => {
                if let Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = strip(&c.expr)
                {
                    self.consts.insert(c.ident.to_string(), s.value());
                    self.note_string(&s.value());
                } else {
                    self.visit_expr(&c.expr);
                }
            }
            Item::Type(t) => self.handle_type_alias(t),
            Item::Macro(m) => self.handle_macro(&m.mac, &m.attrs),
            Item::Mod(m) => {
                let Some((_, items)) = &m.content else { return };
                let path = format!("{}::{}", self.resolver.module_path(), m.ident);
                let scope = ImportScope::collect(items, &path, &self.resolver.externs);
                self.note_usage_of_scope(&scope);
                self.resolver.push_module(scope);
                let ctx = self.cfg_contexts(&m.attrs);
                self.push_scope(ctx, None);
                let saved = std::mem::take(&mut self.items);
                for i in items {
                    self.visit_item(i);
                }
                self.items = saved;
                self.pop_scope();
                self.resolver.pop();
            }
            Item::Trait(t) => {
                let ctx = self.cfg_contexts(&t.attrs);
                self.push_scope(ctx, None);
                self.items.push(t.ident.to_string());
                for ti in &t.items {
                    if let syn::TraitItem::Fn(f) = ti {
                        if self.record_items {
                            self.note_item_lines(f);
                        }
                        self.handle_fn(&f.attrs, &f.sig, f.default.as_ref());
                    }
                }
                self.items.pop();
                self.pop_scope();
            }
            Item::Enum(_)
            | Item::Use(_)
            | Item::ExternCrate(_)
            | Item::ForeignMod(_)
            | Item::Union(_) => {}
            other => visit::visit_item(self, other),
        }
    }

    fn visit_block(&mut self, b: &'ast syn::Block) {
        let has_items = b.stmts.iter().any(|s| matches!(s, Stmt::Item(_)));
        if has_items {
            let items: Vec<&Item> = b
                .stmts
                .iter()
                .filter_map(|s| if let Stmt::Item(i) = s { Some(i) } else { None })
                .collect();
            let scope =
                ImportScope::collect(items, self.resolver.module_path(), &self.resolver.externs);
            self.note_usage_of_scope(&scope);
            self.resolver.push_block(scope);
        }
        for s in &b.stmts {
            self.visit_stmt(s);
        }
        if has_items {
            self.resolver.pop();
        }
    }

    fn visit_stmt(&mut self, s: &'ast Stmt) {
        match s {
            Stmt::Local(l) => self.handle_local(l),
            Stmt::Item(i) => self.visit_item(i),
            Stmt::Expr(e, _) => self.visit_expr(e),
            Stmt::Macro(m) => self.handle_macro(&m.mac, &m.attrs),
        }
    }

    fn visit_expr_call(&mut self, c: &'ast ExprCall) {
        self.handle_call(c, &[]);
    }

    fn visit_expr_method_call(&mut self, m: &'ast ExprMethodCall) {
        self.handle_method_chain(m);
    }

    fn visit_expr_macro(&mut self, m: &'ast syn::ExprMacro) {
        self.handle_macro(&m.mac, &m.attrs);
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        self.push_scope(0, None);
        let outer = std::mem::take(&mut self.pending_fallible);
        visit::visit_expr_closure(self, c);
        self.leave_fallible_unit(outer);
        self.pop_scope();
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        self.push_scope(0, None);
        let outer = std::mem::take(&mut self.pending_fallible);
        visit::visit_expr_async(self, a);
        self.leave_fallible_unit(outer);
        self.pop_scope();
    }

    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        // Noted before the operand is walked: what the operand contains is not followed by
        // its own `?` (the operand's nodes are not pending yet).
        self.note_fallible_step(t.question_token.span);
        self.visit_expr(&t.expr);
    }

    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        visit::visit_expr_return(self, r);
        if r.expr.as_deref().is_some_and(exprs::is_err_value) {
            self.note_fallible_step(r.return_token.span);
        }
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        let calls = self.loop_body_calls(&l.body);
        let scope = self.enter_endless_loop(&calls, &l.body, l.label.as_ref());
        self.note_loop_calls(&calls);
        self.enter_loop(true);
        visit::visit_expr_loop(self, l);
        self.leave_loop(true);
        if let Some(scope) = scope {
            self.leave_endless_loop(scope, l.loop_token.span);
        }
    }

    fn visit_expr_while(&mut self, l: &'ast syn::ExprWhile) {
        let calls = self.loop_body_calls(&l.body);
        let scope = self.enter_endless_loop(&calls, &l.body, l.label.as_ref());
        self.note_loop_calls(&calls);
        // `while let Some(msg) = rx.recv().await`: runs until the sender goes away.
        let long = exprs::awaits_or_receives(&l.cond);
        self.enter_loop(long);
        visit::visit_expr_while(self, l);
        self.leave_loop(long);
        if let Some(scope) = scope {
            self.leave_endless_loop(scope, l.while_token.span);
        }
    }

    fn visit_expr_for_loop(&mut self, l: &'ast syn::ExprForLoop) {
        let calls = self.loop_body_calls(&l.body);
        self.note_loop_calls(&calls);
        // `for stream in listener.incoming()`, `for msg in rx`: as long as the source lives.
        let long = exprs::awaits_or_receives(&l.expr);
        self.enter_loop(long);
        visit::visit_expr_for_loop(self, l);
        self.leave_loop(long);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.visit_expr(&m.expr);
        for arm in &m.arms {
            self.state_bind_pattern(&arm.pat, &m.expr);
            if let Some((_, guard)) = &arm.guard {
                self.visit_expr(guard);
            }
            self.visit_expr(&arm.body);
        }
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        self.visit_expr(&l.expr);
        self.state_bind_pattern(&l.pat, &l.expr);
    }

    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        let range = byte_range(a.left.span()).start..byte_range(a.right.span()).end;
        self.note_assignment(&a.left, "=", range);
        visit::visit_expr_assign(self, a);
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        use syn::BinOp::*;
        if matches!(
            b.op,
            AddAssign(_)
                | SubAssign(_)
                | MulAssign(_)
                | DivAssign(_)
                | RemAssign(_)
                | BitXorAssign(_)
                | BitAndAssign(_)
                | BitOrAssign(_)
                | ShlAssign(_)
                | ShrAssign(_)
        ) {
            let range = byte_range(b.left.span()).start..byte_range(b.right.span()).end;
            self.note_assignment(&b.left, "+=", range);
        }
        visit::visit_expr_binary(self, b);
    }

    fn visit_expr_struct(&mut self, e: &'ast syn::ExprStruct) {
        if e.qself.is_none() {
            let names: Vec<String> = e
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let r = self
                .resolver
                .resolve_segments(&names, e.path.leading_colon.is_some());
            if r.local {
                self.note_construction(&Ty::named(r.path, true, Vec::new()));
            }
        }
        for f in &e.fields {
            let name = match &f.member {
                syn::Member::Named(i) => i.to_string().into_boxed_str(),
                syn::Member::Unnamed(i) => i.index.to_string().into_boxed_str(),
            };
            let saved = self.literal_field.replace(name);
            self.visit_expr(&f.expr);
            self.literal_field = saved;
        }
        if let Some(rest) = &e.rest {
            self.visit_expr(rest);
        }
    }

    fn visit_expr_field(&mut self, f: &'ast syn::ExprField) {
        if self.rules.tracks_state_use
            && let syn::Member::Named(ident) = &f.member
        {
            self.note_state_use(&ident.to_string());
        }
        visit::visit_expr_field(self, f);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        // A value named by a path (`Role::Server`, `tungstenite::protocol::Role::Server`) is a
        // use of that path, as a call would be.
        if p.path.segments.len() > 1
            && self.rules.usage.globs.is_some()
            && p.path.segments.first().is_some_and(|s| s.ident != "Self")
        {
            let resolved = self.resolve_path(&p.path);
            self.note_usage(&resolved.path);
        }
        // A static is used by its SCREAMING_CASE name.
        if self.rules.tracks_state_use
            && let Some(ident) = p.path.get_ident()
        {
            let name = ident.to_string();
            if exprs::is_static_name(&name) {
                self.note_state_use(&name);
            }
        }
    }

    // Types, patterns, generics and attributes inside bodies hold nothing rules look at (types of
    // items are read where the item is handled): not descending into them keeps the second
    // pass over the tree short.
    fn visit_type(&mut self, _: &'ast syn::Type) {}
    fn visit_pat(&mut self, _: &'ast syn::Pat) {}
    fn visit_generics(&mut self, _: &'ast syn::Generics) {}
    fn visit_attribute(&mut self, _: &'ast Attribute) {}
    fn visit_lifetime(&mut self, _: &'ast syn::Lifetime) {}
    fn visit_path_arguments(&mut self, _: &'ast syn::PathArguments) {}
    fn visit_return_type(&mut self, _: &'ast syn::ReturnType) {}
    fn visit_lit(&mut self, l: &'ast syn::Lit) {
        if let syn::Lit::Str(s) = l {
            self.visit_lit_str(s);
        }
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        self.note_string(&s.value());
    }
}
