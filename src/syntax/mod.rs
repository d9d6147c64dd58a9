//! Reading Rust syntax into owned facts: names resolved, types modelled, one walk per file.

pub mod cfg;
pub mod exprs;
pub mod facts;
pub mod imports;
pub mod lex;
pub mod macros;
pub mod state;
pub mod suppress;
pub mod types;
pub mod walker;
