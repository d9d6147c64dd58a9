//! Finding crates and files: Cargo manifests and the directory walk.

pub mod discover;
pub mod manifest;
