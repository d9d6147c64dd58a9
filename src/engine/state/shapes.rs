//! Type shapes: what a holder's type holds once the wrappers that share or guard it are looked
//! through (`Arc<RwLock<HashMap<Uuid, Session>>>` holds a collection), from the `state-*` lists.

use crate::rules::compile::{ShapeGlobs, StateShapes};
use crate::syntax::types::Ty;

/// What a holder holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Holds {
    Collection,
    Cache,
    /// Senders, recipients, sockets (or collections of them): a fan-out registry.
    Senders,
    /// A collection whose entries reach connections or tasks (a struct holding a sender, ids
    /// of a registry's connections): fan-out where the crate serves websockets, else data
    /// kept per entry (a session registry).
    Registry,
    /// A lock or cell around one value that is not a number or flag.
    Value,
    /// A number, flag or point in time (atomics, `Mutex<u64>`).
    Scalar,
    /// Pools, clients, connections, handles: not data.
    Resource,
    /// A struct of the crate: its fields are holders of their own.
    Struct(String),
}

impl Holds {
    /// The name `holds = [..]` uses, for those a block can ask for.
    pub(super) fn bit(&self) -> Option<u16> {
        let bit = |name: &str| {
            crate::rules::compile::HOLDS
                .iter()
                .position(|h| *h == name)
                .map(|i| 1u16 << i)
        };
        if *self == Holds::Registry {
            return Some(bit("senders")? | bit("collection")?);
        }
        let name = match self {
            Holds::Collection => "collection",
            Holds::Cache => "cache",
            Holds::Senders => "senders",
            Holds::Value => "value",
            Holds::Scalar => "scalar",
            Holds::Resource | Holds::Struct(_) | Holds::Registry => return None,
        };
        bit(name)
    }

    pub(super) fn as_str(&self) -> &str {
        match self {
            Holds::Collection => "collection",
            Holds::Cache => "cache",
            Holds::Senders => "senders",
            Holds::Registry => "registry",
            Holds::Value => "value",
            Holds::Scalar => "scalar",
            Holds::Resource => "resource",
            Holds::Struct(s) => s,
        }
    }
}

fn matches(globs: &Option<ShapeGlobs>, ty: &Ty) -> bool {
    globs.as_ref().is_some_and(|g| g.matches(ty))
}

/// Is the type another crate's resource (a pool, a client, a metric)? The crate's own types
/// are data whatever they are called (a rate limiter's `Counter` bucket).
fn is_resource(shapes: &StateShapes, ty: &Ty) -> bool {
    !matches!(ty, Ty::Path(p) if p.local) && matches(&shapes.resources, ty)
}

/// Is the type a wrapper the model looks through (a share, a lock, a cell, an extractor)?
pub(super) fn is_wrapper(shapes: &StateShapes, ty: &Ty) -> bool {
    matches!(ty, Ty::Path(p) if !p.args.is_empty())
        && (matches(&shapes.holders, ty) || matches(&shapes.cells, ty))
}

/// The crate struct a type holds behind wrappers (`Arc<Mutex<Inner>>` -> `Inner`), if any.
pub(super) fn struct_behind<'t>(
    shapes: &StateShapes,
    ty: &'t Ty,
    is_struct: &dyn Fn(&str) -> bool,
) -> Option<&'t str> {
    let mut cur = ty;
    for _ in 0..16 {
        match cur {
            Ty::Ref(inner) => cur = inner,
            Ty::Path(p) if p.local && is_struct(&p.name) => return Some(&p.name),
            Ty::Path(p) if is_wrapper(shapes, cur) => cur = p.args.first()?,
            _ => return None,
        }
    }
    None
}

/// The names down a type's first arguments, wrappers left out (`Mutex<usize>` -> Mutex,
/// usize): how a registered value and the extractor that receives it are matched.
pub(super) fn chain(shapes: &StateShapes, ty: &Ty) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = ty;
    for _ in 0..8 {
        match cur {
            Ty::Ref(inner) => cur = inner,
            Ty::Path(p) => {
                if !matches(&shapes.holders, cur) || p.args.is_empty() {
                    out.push(p.name.clone());
                }
                match p.args.first() {
                    Some(a) => cur = a,
                    None => break,
                }
            }
            _ => break,
        }
    }
    out
}

/// Are two chains the same value seen with more or less of its type written
/// (`Mutex` from `Mutex::new(0)`, `Mutex, usize` from `Data<Mutex<usize>>`)?
pub(super) fn chains_agree(a: &[String], b: &[String]) -> bool {
    !a.is_empty() && !b.is_empty() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// What the type holds, looking through wrappers (`Arc`, locks, `Option`..) to the layer that
/// says: a resource (a pool, a client, `Mutex<()>`) anywhere on the way ends the question.
pub(super) fn content(shapes: &StateShapes, ty: &Ty, is_struct: &dyn Fn(&str) -> bool) -> Holds {
    let mut cur = ty;
    for _ in 0..16 {
        match cur {
            Ty::Ref(inner) => cur = inner,
            Ty::Path(p) => {
                if is_resource(shapes, cur) {
                    return Holds::Resource;
                }
                if is_wrapper(shapes, cur) {
                    cur = &p.args[0];
                    continue;
                }
                return layer_content(shapes, cur, p, is_struct);
            }
            Ty::Tuple(items) => {
                return if items.iter().any(|t| {
                    matches!(
                        content(shapes, t, is_struct),
                        Holds::Collection | Holds::Cache
                    )
                }) {
                    Holds::Collection
                } else {
                    Holds::Value
                };
            }
            Ty::Slice(_) => return Holds::Collection,
            _ => return Holds::Resource,
        }
    }
    Holds::Resource
}

/// What one layer that is not a wrapper is.
fn layer_content(
    shapes: &StateShapes,
    ty: &Ty,
    p: &crate::syntax::types::TyPath,
    is_struct: &dyn Fn(&str) -> bool,
) -> Holds {
    if matches(&shapes.caches, ty) {
        return Holds::Cache;
    }
    if matches(&shapes.collections, ty) {
        let holds_senders = p
            .args
            .iter()
            .any(|a| matches(&shapes.senders, peel(shapes, a)));
        if holds_senders {
            return Holds::Senders;
        }
        // A registry of code or of live resources (handlers, plugins, tasks, connections):
        // wiring of this process, not data.
        let values = p.args.last().map(|a| peel(shapes, a));
        if values.is_some_and(|v| matches!(v, Ty::Dyn(_) | Ty::Fn) || is_resource(shapes, v)) {
            return Holds::Resource;
        }
        return Holds::Collection;
    }
    if matches(&shapes.senders, ty) {
        return Holds::Senders;
    }
    if matches(&shapes.scalars, ty) {
        return Holds::Scalar;
    }
    if p.local && is_struct(&p.name) {
        return Holds::Struct(p.name.clone());
    }
    // A value is data when it is the crate's own type or plain data (text, paths, JSON);
    // another crate's opaque type (a channel, a backend) is a resource.
    if p.local || matches(&shapes.values, ty) {
        Holds::Value
    } else {
        Holds::Resource
    }
}

/// Is the type (behind `Arc`/`Box`/`Option`..) a cell filled once (`OnceCell`, `OnceLock`)?
pub(super) fn is_set_once(ty: &Ty) -> bool {
    let mut cur = ty;
    for _ in 0..8 {
        match cur {
            Ty::Ref(inner) => cur = inner,
            Ty::Path(p) if matches!(p.name.as_str(), "OnceCell" | "OnceLock" | "SetOnce") => {
                return true;
            }
            Ty::Path(p) if matches!(p.name.as_str(), "Arc" | "Rc" | "Box" | "Option") => {
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

/// The type without the wrappers around it.
fn peel<'t>(shapes: &StateShapes, ty: &'t Ty) -> &'t Ty {
    let mut cur = ty;
    for _ in 0..16 {
        match cur {
            Ty::Ref(inner) => cur = inner,
            Ty::Path(p) if is_wrapper(shapes, cur) => cur = &p.args[0],
            _ => break,
        }
    }
    cur
}

/// The collection at the heart of a type (behind wrappers), if it is one.
fn collection_of<'t>(shapes: &StateShapes, ty: &'t Ty) -> Option<&'t crate::syntax::types::TyPath> {
    match peel(shapes, ty) {
        t @ Ty::Path(p) if matches(&shapes.collections, t) => Some(p),
        _ => None,
    }
}

/// The names of the types a collection holds, keys first, looking into nested collections
/// (`HashMap<PostId, HashSet<ConnectionId>>`: PostId, HashSet, ConnectionId).
pub(super) fn entry_types(shapes: &StateShapes, ty: &Ty) -> Vec<String> {
    let mut out = Vec::new();
    let Some(p) = collection_of(shapes, ty) else {
        return out;
    };
    fn names(t: &Ty, out: &mut Vec<String>, depth: u8) {
        if depth > 4 {
            return;
        }
        match t {
            Ty::Ref(i) | Ty::Slice(i) => names(i, out, depth + 1),
            Ty::Path(p) => {
                out.push(p.name.clone());
                for a in &p.args {
                    names(a, out, depth + 1);
                }
            }
            Ty::Tuple(items) => items.iter().for_each(|i| names(i, out, depth + 1)),
            _ => {}
        }
    }
    for a in &p.args {
        names(a, &mut out, 0);
    }
    out
}

/// The key type of a map (its first argument), by name.
pub(super) fn key_type(shapes: &StateShapes, ty: &Ty) -> Option<String> {
    let p = collection_of(shapes, ty)?;
    if p.args.len() < 2 {
        return None;
    }
    match &p.args[0] {
        Ty::Path(k) => Some(k.name.clone()),
        _ => None,
    }
}
