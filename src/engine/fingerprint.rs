//! Baseline fingerprints: stable across edits elsewhere in the file, so they use the rule, the
//! crate-relative path, the enclosing item and the snippet with whitespace collapsed — never
//! line numbers. FNV-1a is used because it is stable across Rust versions and platforms
//! (std's `DefaultHasher` is not).

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
}
