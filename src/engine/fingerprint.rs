//! Baseline fingerprints: stable across edits elsewhere in the file, so they use the rule, the
//! crate-relative path, the enclosing item and what the finding is about — never line numbers.
//! "What it is about" is the state's or the callee's resolved name when the engine knows it
//! (`std::fs::write`, `SESSIONS`), so editing the rest of the line (`connect(uri)` →
//! `connect(&uri)`) keeps the finding known; only findings with no name fall back to the code
//! of the line with whitespace collapsed. FNV-1a is used because it is stable across Rust
//! versions and platforms (std's `DefaultHasher` is not).

/// The fingerprint of a finding about `name` (resolved path and/or name of the state, callee
/// or method; at least one given), or else about the code `snippet`.
pub fn about(
    rule: &str,
    rel_path: &str,
    item: &str,
    path: Option<&str>,
    name: Option<&str>,
    snippet: &str,
) -> String {
    if path.is_none() && name.is_none() {
        return fingerprint(rule, rel_path, item, snippet);
    }
    let mut h = Fnv::new();
    h.write(rule.as_bytes());
    h.write(&[0]);
    h.write(rel_path.as_bytes());
    h.write(&[0]);
    h.write(item.as_bytes());
    // A tag byte keeps a name from ever hashing like a snippet.
    h.write(&[1]);
    h.write(path.unwrap_or_default().as_bytes());
    h.write(&[0]);
    h.write(name.unwrap_or_default().as_bytes());
    format!("{:016x}", h.0)
}

/// The fingerprint of a finding about the code `snippet` (whitespace collapsed).
pub fn fingerprint(rule: &str, rel_path: &str, item: &str, snippet: &str) -> String {
    let mut h = Fnv::new();
    h.write(rule.as_bytes());
    h.write(&[0]);
    h.write(rel_path.as_bytes());
    h.write(&[0]);
    h.write(item.as_bytes());
    h.write(&[0]);
    for (i, word) in snippet.split_whitespace().enumerate() {
        if i > 0 {
            h.write(b" ");
        }
        h.write(word.as_bytes());
    }
    format!("{:016x}", h.0)
}

/// A second identical finding in the same item gets its own fingerprint.
pub fn with_occurrence(fp: &str, occurrence: usize) -> String {
    if occurrence == 0 {
        return fp.to_string();
    }
    let mut h = Fnv::new();
    h.write(fp.as_bytes());
    h.write(&occurrence.to_le_bytes());
    format!("{:016x}", h.0)
}

struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_whitespace_changes_but_not_content() {
        let a = fingerprint("r", "src/a.rs", "crate::f", "std::fs::write(p,  d);");
        let b = fingerprint("r", "src/a.rs", "crate::f", "  std::fs::write(p, d);");
        let c = fingerprint("r", "src/a.rs", "crate::g", "std::fs::write(p, d);");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(with_occurrence(&a, 1), a);
    }

    #[test]
    fn a_named_finding_ignores_the_rest_of_its_line() {
        let fp = |snippet| {
            about(
                "embedded-local-database",
                "src/db.rs",
                "crate::db::open",
                Some("sqlx::SqlitePool::connect"),
                Some("connect"),
                snippet,
            )
        };
        assert_eq!(
            fp("SqlitePool::connect(uri).await?"),
            fp("SqlitePool::connect(&uri).await?")
        );
        let other = about(
            "embedded-local-database",
            "src/db.rs",
            "crate::db::open",
            Some("rusqlite::Connection::open"),
            Some("open"),
            "SqlitePool::connect(uri).await?",
        );
        assert_ne!(fp("x"), other);
        // With no name, the code decides, as before.
        assert_eq!(
            about("r", "a.rs", "f", None, None, "write(p,  d)"),
            fingerprint("r", "a.rs", "f", "write(p, d)")
        );
    }
}
