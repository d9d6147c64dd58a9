//! The part of a match block that can be decided where the node is: names, resolved paths,
//! string arguments, method chains, and types that need no crate-level alias.

use std::collections::HashSet;

use crate::rules::compile::{Block, ChainPattern};
use crate::rules::kinds::NodeKind;
use crate::syntax::imports::ResolvedPath;
use crate::syntax::types::Ty;

/// A method call applied after a node, in order: `.append(true)` in `OpenOptions::new().append(true).open(p)`.
#[derive(Clone, Debug)]
pub struct ChainLink {
    pub name: String,
    /// Byte range of the text between the parentheses (read only when a pattern asks).
    pub args: std::ops::Range<usize>,
}

/// One piece of syntax, described the same way whatever its kind.
pub struct Node<'n> {
    pub kind: NodeKind,
    pub name: Option<&'n str>,
    pub ty: Option<&'n Ty>,
    pub path: Option<&'n ResolvedPath>,
    pub receiver: Option<&'n str>,
    pub literals: &'n [String],
    /// For a call: the methods applied to its result. For a method: the other methods of
    /// its chain, before and after it.
    pub chain: &'n [ChainLink],
    pub chain_before: &'n [ChainLink],
    pub mutable: bool,
    /// The file's text, to read chain arguments.
    pub source: &'n str,
}

pub enum Outcome {
    No,
    /// Passes locally; `deferred_type` means the type check waits for the crate's aliases.
    Yes { deferred_type: bool },
}

pub fn check(block: &Block, node: &Node, wrappers: &HashSet<String>) -> Outcome {
    if let Some(re) = &block.name {
        if !node.name.is_some_and(|n| re.is_match(n)) {
            return Outcome::No;
        }
    }
    if let Some(re) = &block.not_name {
        if node.name.is_some_and(|n| re.is_match(n)) {
            return Outcome::No;
        }
    }
    if let Some(m) = block.mutable {
        if node.mutable != m {
            return Outcome::No;
        }
    }
    if let Some(set) = &block.path {
        let Some(p) = node.path else { return Outcome::No };
        if !path_matches(set, p) {
            return Outcome::No;
        }
    }
    if let Some(set) = &block.not_path {
        if node.path.is_some_and(|p| path_matches(set, p)) {
            return Outcome::No;
        }
    }
    if let Some(set) = &block.receiver {
        if !node.receiver.is_some_and(|r| set.is_match(r)) {
            return Outcome::No;
        }
    }
    if let Some(res) = &block.args {
        if !node.literals.iter().any(|l| res.iter().any(|r| r.is_match(l))) {
            return Outcome::No;
        }
    }
    if let Some(res) = &block.not_args {
        if node.literals.iter().any(|l| res.iter().any(|r| r.is_match(l))) {
            return Outcome::No;
        }
    }
    let in_chain = |p: &ChainPattern| chain_contains(node.chain, p, node.source) || chain_contains(node.chain_before, p, node.source);
    if !block.chain_has.is_empty() && !block.chain_has.iter().any(in_chain) {
        return Outcome::No;
    }
    if block.chain_lacks.iter().any(in_chain) {
        return Outcome::No;
    }
    let mut deferred_type = false;
    if block.types.is_some() || block.not_types.is_some() {
        let Some(ty) = node.ty else { return Outcome::No };
        if ty.has_local_path() {
            deferred_type = true;
        } else if !type_ok(block, ty, wrappers) {
            return Outcome::No;
        }
    }
    Outcome::Yes { deferred_type }
}

/// `type` matches (when given) and `not-type` does not.
pub fn type_ok(block: &Block, ty: &Ty, wrappers: &HashSet<String>) -> bool {
    if let Some(t) = &block.types {
        if !t.matches(ty, wrappers) {
            return false;
        }
    }
    if let Some(t) = &block.not_types {
        if t.matches(ty, wrappers) {
            return false;
        }
    }
    true
}

fn path_matches(set: &globset::GlobSet, p: &ResolvedPath) -> bool {
    set.is_match(&p.path) || p.alternatives.iter().any(|a| set.is_match(a))
}

fn chain_contains(chain: &[ChainLink], p: &ChainPattern, source: &str) -> bool {
    chain.iter().any(|l| {
        p.method.is_match(&l.name) && p.args.as_ref().is_none_or(|re| re.is_match(source.get(l.args.clone()).unwrap_or("")))
    })
}
