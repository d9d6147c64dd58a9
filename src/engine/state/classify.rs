//! Stage 3: which holders keep state between requests, what they hold, and which rule block
//! reports them. A mutation site counts when it runs at run time: not in start-up code only,
//! not in tests, not in a constructor or a builder consuming `self`. A holder counts when some
//! counting site adds to it (a holder that is only ever emptied is upkeep).

use crate::rules::compile::Block;
use crate::rules::kinds::NodeKind;
use crate::syntax::state::{self, SelfKind};
use crate::syntax::types::RenderedTy;

use super::holders::Model;
use super::shapes::{self, Holds};
use super::{Decl, Holder, HolderKind, Input};

/// A holder a block reports.
pub(super) struct Judged {
    pub holder: usize,
    pub block: usize,
    pub holds: Holds,
    /// Indexes into the holder's sites that run at run time, in the block's contexts.
    pub live: Vec<usize>,
}

pub(super) fn judge(input: &Input, model: &Model) -> Vec<Judged> {
    let rules = input.rules;
    let mut out = Vec::new();
    let contents = contents(input, model);
    // Holders reached through another (`Inner.sessions` through `AppState.inner`) first: they
    // say best what the state is, and the finding at their anchor is theirs.
    let mut order: Vec<usize> = (0..model.holders.len()).collect();
    order.sort_by_key(|&id| model.holders[id].anchor == id);
    for id in order {
        let h = &model.holders[id];
        if !lives_long(input, h) {
            continue;
        }
        // No site found that changes it: a static, registered value or actor whose type is
        // made to change (a lock or concurrent map around a collection, a cache) still is
        // state, changed where the model cannot follow (another crate, a macro, a callback).
        // Sites found only in start-up code make it configuration.
        let unseen = h.sites.is_empty();
        if unseen && !(FALLBACK && made_to_change(input, h, &contents[id])) {
            continue;
        }
        let live: Vec<usize> = (0..h.sites.len())
            .filter(|&i| runs_at_run_time(input, h, i))
            .collect();
        if !unseen
            && !live
                .iter()
                .any(|&i| !state::is_removing(&h.sites[i].mutation.op))
        {
            continue;
        }
        let holds = match contents[id].clone() {
            Holds::Resource => continue,
            // A struct's fields are holders of their own; the struct itself counts when it is
            // replaced whole (`*state.config.write() = new_config`).
            Holds::Struct(name) => {
                let sites = live.iter().map(|&i| h.sites[i].mutation);
                if sites.clone().any(|m| m.via_method) {
                    // Changed by its own `&mut self` methods: it holds what its fields hold.
                    aggregate(input, model, &name)
                } else if sites.clone().any(|m| m.op.as_ref() == "=") {
                    Holds::Value
                } else {
                    continue;
                }
            }
            other => other,
        };
        // A type found to be a store only by how it changes itself (no registration, static or
        // task holds it) is one when it keeps entries; one value behind `&self` (a session's id,
        // a flag) is an object's own, shared by its clones for one request as often as for all.
        if h.kind == HolderKind::Store
            && !matches!(
                holds,
                Holds::Collection | Holds::Cache | Holds::Senders | Holds::Registry
            )
        {
            continue;
        }
        let mut matched: Vec<Judged> = Vec::new();
        for &b in &rules.blocks_by_kind[NodeKind::State.index()] {
            let block = &rules.blocks[b];
            if matched
                .iter()
                .any(|j| rules.blocks[j.block].rule == block.rule)
            {
                continue;
            }
            if let Some(sites) = block_matches(input, h, &holds, &live, unseen, block) {
                matched.push(Judged {
                    holder: id,
                    block: b,
                    holds: holds.clone(),
                    live: sites,
                });
            }
        }
        drop_superseded(input, &mut matched);
        out.extend(matched);
    }
    out
}

/// What each holder holds. A collection whose entries are structs of the crate holding a
/// sender (`HashMap<ConnectionId, Session { addr: Recipient<Msg> }>`) is a fan-out registry,
/// and so is a collection of the ids that registry is keyed by, in the same struct (rooms:
/// `HashMap<PostId, HashSet<ConnectionId>>`).
fn contents(input: &Input, model: &Model) -> Vec<Holds> {
    let shapes = &input.rules.shapes;
    let is_struct = |n: &str| model.structs.contains_key(n);
    let holds_sender = |name: &str| {
        model.structs.get(name).is_some_and(|fields| {
            fields
                .iter()
                .any(|(_, f)| matches!(shapes::content(shapes, &f.ty, &|_| false), Holds::Senders))
        })
    };
    // A registry of the crate's handlers (`HashMap<Name, ToolRoute { call: Arc<dyn Fn> }>`):
    // code wired at start-up, not data.
    let holds_code = |name: &str| {
        model
            .structs
            .get(name)
            .is_some_and(|fields| fields.iter().any(|(_, f)| is_code(&f.ty)))
    };
    let mut out: Vec<Holds> = model
        .holders
        .iter()
        .map(|h| {
            let c = shapes::content(shapes, &h.ty, &is_struct);
            if c == Holds::Collection
                && shapes::entry_types(shapes, &h.ty)
                    .last()
                    .is_some_and(|n| holds_code(n))
            {
                return Holds::Resource;
            }
            if c == Holds::Collection
                && shapes::entry_types(shapes, &h.ty)
                    .iter()
                    .any(|n| holds_sender(n))
            {
                return Holds::Senders;
            }
            c
        })
        .collect();
    // Keys of registries, per owner struct: ids of connections.
    let mut registry_keys: Vec<(&str, String)> = Vec::new();
    for (h, c) in model.holders.iter().zip(&out) {
        if matches!(c, Holds::Senders | Holds::Registry)
            && let (Some(owner), Some(key)) = (h.owner, shapes::key_type(shapes, h.written))
            && !crate::syntax::exprs::is_plain_key_type(&key)
        {
            registry_keys.push((owner, key));
        }
    }
    for (h, c) in model.holders.iter().zip(out.iter_mut()) {
        if *c != Holds::Collection {
            continue;
        }
        let Some(owner) = h.owner else { continue };
        // As written: `HashSet<ConnId>` says connection ids where the alias's `usize` does not.
        let entries = shapes::entry_types(shapes, h.written);
        if registry_keys
            .iter()
            .any(|(o, k)| *o == owner && entries.iter().skip(1).any(|e| e == k))
        {
            *c = Holds::Registry;
        }
    }
    out
}

/// Whether a holder with no mutation site found is judged by its type alone (measured: it
/// found one more label on the seen sets and reported caches built with a TTL as warnings; off).
const FALLBACK: bool = false;

/// A holder whose declaration says it is made to change: a static, registered value or actor
/// holding a collection behind a lock, a concurrent collection or a cache.
fn made_to_change(input: &Input, h: &Holder, holds: &Holds) -> bool {
    if !matches!(
        h.kind,
        HolderKind::Static | HolderKind::AppState | HolderKind::Actor
    ) {
        return false;
    }
    if !matches!(
        holds,
        Holds::Collection | Holds::Cache | Holds::Senders | Holds::Registry
    ) {
        return false;
    }
    if h.kind == HolderKind::Actor || *holds == Holds::Cache {
        return true;
    }
    let cells = &input.rules.shapes.cells;
    let mut guarded = false;
    h.ty.any_path(&mut |p| {
        let ty = crate::syntax::types::Ty::Path(Box::new(p.clone()));
        guarded |= !p.args.is_empty() && cells.as_ref().is_some_and(|c| c.matches(&ty));
        guarded |= matches!(
            p.name.as_str(),
            "DashMap" | "DashSet" | "SkipMap" | "SkipSet"
        ) || p.full.starts_with("scc::")
            || p.full.starts_with("papaya::")
            || p.full.starts_with("flurry::");
        guarded
    });
    guarded
}

/// What a struct of the crate holds as a whole: a collection if one of its fields is one.
fn aggregate(input: &Input, model: &Model, name: &str) -> Holds {
    let is_struct = |n: &str| model.structs.contains_key(n);
    let fields = model.structs.get(name).into_iter().flatten();
    let contents: Vec<Holds> = fields
        .map(|(_, f)| shapes::content(&input.rules.shapes, &f.ty, &is_struct))
        .collect();
    if contents
        .iter()
        .any(|c| matches!(c, Holds::Collection | Holds::Cache))
    {
        Holds::Collection
    } else {
        Holds::Value
    }
}

/// Is the type a callable (`Box<dyn Fn..>`, `Arc<dyn Handler>`, a fn pointer)?
fn is_code(ty: &crate::syntax::types::Ty) -> bool {
    use crate::syntax::types::Ty;
    let mut cur = ty;
    for _ in 0..6 {
        match cur {
            Ty::Fn | Ty::Dyn(_) => return true,
            Ty::Ref(inner) => cur = inner,
            Ty::Path(p) if matches!(p.name.as_str(), "Box" | "Arc" | "Rc" | "Pin") => {
                match p.args.first() {
                    Some(a) => cur = a,
                    None => return false,
                }
            }
            _ => return false,
        }
    }
    false
}

/// Does the holder outlive a request? A task's own `let` must be in a task or start-up code
/// (not a handler's local); a holder declared in tests is not the service's.
fn lives_long(input: &Input, h: &Holder) -> bool {
    let rules = input.rules;
    let ctx = input.index.contexts[h.decl_scope as usize];
    if ctx & rules.excluded_by_default != 0 {
        return false;
    }
    if let Decl::Static(s) = h.decl
        && s.thread_local
    {
        // One value per thread: a memo each thread keeps, not shared by a replica's requests.
        return false;
    }
    if let (HolderKind::Task, Decl::Let(_)) = (h.kind, h.decl) {
        // A task's own local: declared in the code handed to the spawn (or in `main`), not in a
        // fn some task happens to call.
        let request_time = rules.runtime_contexts & !rules.task_contexts;
        let own = input.index.own_contexts[h.decl_scope as usize];
        return (own & rules.task_contexts != 0 || ctx & rules.startup_contexts != 0)
            && ctx & request_time == 0;
    }
    true
}

/// Does this mutation site run while the service serves (or is its code of unknown context,
/// which for a holder that is long-lived by construction is the library's API)?
fn runs_at_run_time(input: &Input, h: &Holder, i: usize) -> bool {
    let rules = input.rules;
    let site = &h.sites[i];
    let m = site.mutation;
    let ctx = input.index.contexts[site.scope as usize];
    if ctx & rules.excluded_by_default != 0 || m.in_constructor || m.self_kind == SelfKind::Value {
        return false;
    }
    if in_static_init(input, site.scope) {
        return false;
    }
    // Filling a cell that is set once (`OnceLock::set`) initializes it, whenever it happens.
    if matches!(m.op.as_ref(), "set" | "get_or_init" | "get_or_try_init")
        && shapes::is_set_once(&h.ty)
    {
        return false;
    }
    let run_time = ctx & rules.runtime_contexts != 0;
    let start_up = ctx & rules.startup_contexts != 0;
    if start_up && !run_time {
        return false;
    }
    match h.kind {
        // Built at start-up: only code known to run later changes it as state.
        HolderKind::StartUp => run_time,
        // A store changes itself through `&self` (shared by whoever holds it), or through an
        // interface it implements.
        HolderKind::Store => {
            h.inherited
                || m.self_kind == SelfKind::Ref
                || (m.self_kind == SelfKind::RefMut && m.in_trait_impl)
                || run_time
        }
        _ => true,
    }
}

fn in_static_init(input: &Input, scope: u32) -> bool {
    let mut at = Some(scope);
    while let Some(s) = at {
        if input.index.scope_fact(input.files, s).static_init {
            return true;
        }
        at = input.index.parent[s as usize];
    }
    false
}

/// Every key of the block holds for this holder: returns the sites in its contexts.
fn block_matches(
    input: &Input,
    h: &Holder,
    holds: &Holds,
    live: &[usize],
    unseen: bool,
    block: &Block,
) -> Option<Vec<usize>> {
    let rules = input.rules;
    if block.holds != 0 && holds.bit().is_none_or(|bit| block.holds & bit == 0) {
        return None;
    }
    if block.holder_kinds != 0 && block.holder_kinds & (1 << h.kind as u16) == 0 {
        return None;
    }
    if !block.requires_dependency.is_empty()
        && !block
            .requires_dependency
            .iter()
            .any(|d| input.deps.contains(d.as_str()))
    {
        return None;
    }
    if block
        .unless_dependency
        .iter()
        .any(|d| input.deps.contains(d.as_str()))
    {
        return None;
    }
    if block.requires_usage.is_some_and(|u| !input.usage[u])
        || block.unless_usage.is_some_and(|u| input.usage[u])
    {
        return None;
    }
    if let Some(re) = &block.name
        && !re.is_match(h.name)
    {
        return None;
    }
    if let Some(re) = &block.not_name
        && re.is_match(h.name)
    {
        return None;
    }
    if let Some(re) = &block.owner
        && !h.owner.is_some_and(|o| re.is_match(o))
    {
        return None;
    }
    if let Some(traits) = &block.owner_implements {
        let implemented = h
            .owner
            .and_then(|o| input.impls.get(o))
            .is_some_and(|paths| paths.iter().any(|p| traits.is_match(p)));
        if !implemented {
            return None;
        }
    }
    if block.types.is_some() || block.not_types.is_some() {
        // The type as declared (`SessionTable`) and with aliases expanded.
        let is_wrapper = |n: &str| rules.wrappers.contains(n);
        let expanded = RenderedTy::new(&h.ty, &is_wrapper);
        let written = RenderedTy::new(h.written, &is_wrapper);
        let any = |t: &crate::rules::compile::TypeGlobs| {
            t.matches_rendered(&expanded) || t.matches_rendered(&written)
        };
        if block.types.as_ref().is_some_and(|t| !any(t)) {
            return None;
        }
        if block.not_types.as_ref().is_some_and(any) {
            return None;
        }
    }
    if let Some(re) = &block.keyed_by {
        let keyed = h
            .sites
            .iter()
            .filter_map(|s| s.mutation.key.as_deref())
            .any(|k| re.is_match(k));
        if !keyed {
            return None;
        }
    }
    let sites: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&i| {
            let ctx = input.index.contexts[h.sites[i].scope as usize];
            (block.inside == 0 || ctx & block.inside != 0) && ctx & block.not_inside == 0
        })
        .collect();
    if sites.is_empty() && !(unseen && block.inside == 0) {
        return None;
    }
    // `calls`: every site that changes the holder runs in code that reaches one of these calls
    // (a refresher writing what it fetched from elsewhere).
    if !block.requires.is_empty() {
        let all_reach = sites.iter().all(|&i| {
            let f = input.index.enclosing_fn(h.sites[i].scope);
            block
                .requires
                .iter()
                .all(|&p| input.index.reaches(&[f], p as u16, block.hops))
        });
        if sites.is_empty() || !all_reach {
            return None;
        }
    }
    if let Some(p) = block.unless_used_with {
        let fns: Vec<u32> = sites
            .iter()
            .map(|&i| input.index.enclosing_fn(h.sites[i].scope))
            .collect();
        if input.index.reaches(&fns, p as u16, block.hops) {
            return None;
        }
        let names = [h.name];
        if super::super::crate_phase::state_used_with(
            input.index,
            input.files,
            &names,
            p as u16,
            block.hops,
            rules.excluded_by_default,
        ) {
            return None;
        }
    }
    Some(sites)
}

/// When a more specific rule reports a holder, the rules it supersedes stay quiet on it.
fn drop_superseded(input: &Input, matched: &mut Vec<Judged>) {
    let rules = input.rules;
    let superseded: Vec<String> = matched
        .iter()
        .flat_map(|j| {
            rules.rules[rules.blocks[j.block].rule]
                .supersedes
                .iter()
                .cloned()
        })
        .collect();
    matched.retain(|j| !superseded.contains(&rules.rules[rules.blocks[j.block].rule].id));
}
