//! statelint: finds where a Rust service keeps state in the process (sessions, local files,
//! static caches, non-idempotent jobs, unlocked cron, local websocket fan-out) and says where
//! that state belongs instead.
//!
//! Pipeline: discover (`workspace`) → read and parse once per file (`engine::parse`) → one walk
//! per file producing facts and candidates (`syntax::walker`) → crate-level resolution
//! (`engine::crate_phase`) → report (`report`).

pub mod baseline;
pub mod cli;
pub mod commands;
pub mod config;
pub mod docs;
pub mod engine;
pub mod fault;
#[doc(hidden)]
pub mod fuzzing;
pub mod report;
pub mod rules;
pub mod settings;
pub mod source;
pub mod syntax;
pub mod terminal;
pub mod workspace;
