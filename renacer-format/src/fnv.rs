//! Compile-time FNV-1a 64 ids for call sites and transpiler decisions.
//!
//! Decision ids follow the scheme transpilers (Ruchy, Depyler) already emit:
//! FNV-1a 64 over `category "::" name "::" file "::" line`, where `line` is
//! its 4 little-endian bytes. Site ids use the same scheme over
//! `module_path "::" name "::" file "::" line`. Both are `const fn`, so the
//! macro puts them in `const` items and no id is ever computed at run time.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 of `bytes`, continuing from `hash` (start with [`fnv1a64`]).
const fn fold(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(PRIME);
        i += 1;
    }
    hash
}

/// FNV-1a 64 of a byte string.
///
/// ```
/// assert_eq!(renacer_format::fnv::fnv1a64(b""), 0xcbf29ce484222325);
/// assert_eq!(renacer_format::fnv::fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
/// ```
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    fold(OFFSET, bytes)
}

/// FNV-1a 64 over `a "::" b "::" file "::" line_le_bytes`.
const fn scoped_id(a: &str, b: &str, file: &str, line: u32) -> u64 {
    let mut h = fold(OFFSET, a.as_bytes());
    h = fold(h, b"::");
    h = fold(h, b.as_bytes());
    h = fold(h, b"::");
    h = fold(h, file.as_bytes());
    h = fold(h, b"::");
    fold(h, &line.to_le_bytes())
}

/// The id of a transpiler decision `category::name` made at `file:line`.
///
/// ```
/// const ID: u64 = renacer_format::fnv::decision_id("optimization", "inline_candidate", "src/lib.rs", 42);
/// assert_ne!(ID, 0);
/// ```
pub const fn decision_id(category: &str, name: &str, file: &str, line: u32) -> u64 {
    scoped_id(category, name, file, line)
}

/// The id of an instrumented call site.
pub const fn site_id(module_path: &str, name: &str, file: &str, line: u32) -> u64 {
    scoped_id(module_path, name, file, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_vectors() {
        // Reference values of FNV-1a 64 (http://www.isthe.com/chongo/tech/comp/fnv/).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn decision_id_is_fnv_over_the_documented_byte_layout() {
        let mut bytes = b"optimization::inline_candidate::src/main.rs::".to_vec();
        bytes.extend_from_slice(&7u32.to_le_bytes());
        assert_eq!(
            decision_id("optimization", "inline_candidate", "src/main.rs", 7),
            fnv1a64(&bytes)
        );
    }

    #[test]
    fn decision_id_matches_the_value_transpilers_emit() {
        // The known value of the scheme in the wild (Ruchy/Depyler).
        assert_eq!(
            decision_id("optimization", "inline_candidate", "foo.rb", 3),
            0x7566_2DCF_2304_7DFE
        );
    }

    #[test]
    fn ids_are_computed_at_compile_time() {
        const ID: u64 = decision_id("a", "b", "f.rs", 1);
        assert_eq!(ID, decision_id("a", "b", "f.rs", 1));
        assert_ne!(ID, decision_id("a", "b", "f.rs", 2));
    }
}
