//! Transpiler decisions as files: what a transpiler (Ruchy, Depyler) writes
//! about the code-generation choices it made, so renacer can price each
//! choice at run time (`renacer decisions report`).
//!
//! * [`manifest`]: `decision_manifest.json`, one entry per decision id with
//!   its category, name, source location (in the `.ruchy`/`.py` file), input
//!   and result — the table the report names its rows from;
//! * [`log`]: renacer's msgpack decision log, one positional array per
//!   decision, appended record by record (a crash leaves the complete
//!   records readable);
//! * [`depyler`]: the reader for Depyler's `decision-tracing` file, whose
//!   records have their own positional layout;
//! * [`decision_id`]: FNV-1a 64 over `category "::" name "::" file "::"`
//!   and the line as 4 little-endian bytes — the id `#[renacer::trace(decision
//!   = ..)]` puts on spans, so spans, manifests and logs meet on it.
//!
//! Formats: docs/formats.md, section decisions.

#![warn(missing_docs, unreachable_pub)]

pub mod depyler;
pub mod log;
pub mod manifest;

pub use renacer_format::fnv::decision_id;

/// The decision id as manifests key it: `0x` and uppercase hex, no padding.
pub fn id_key(id: u64) -> String {
    format!("0x{id:X}")
}

/// Parses an id written as `0x…` hex (either case, as manifests key it),
/// as 16 hex digits (as span records write it), or as a decimal number.
pub fn parse_id(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None if s.len() == 16 => u64::from_str_radix(s, 16).ok(),
        None => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_decision_id() {
        assert_eq!(
            decision_id("optimization", "inline_candidate", "foo.rb", 3),
            0x7566_2DCF_2304_7DFE
        );
        assert_eq!(id_key(0x7566_2DCF_2304_7DFE), "0x75662DCF23047DFE");
        assert_eq!(id_key(0xAB), "0xAB");
    }

    #[test]
    fn ids_parse_in_every_spelling() {
        assert_eq!(parse_id("0x75662DCF23047DFE"), Some(0x7566_2DCF_2304_7DFE));
        assert_eq!(parse_id("0x75662dcf23047dfe"), Some(0x7566_2DCF_2304_7DFE));
        assert_eq!(parse_id("75662dcf23047dfe"), Some(0x7566_2DCF_2304_7DFE));
        assert_eq!(parse_id("0000000000001234"), Some(0x1234));
        assert_eq!(parse_id("42"), Some(42));
        assert_eq!(parse_id("0xZZ"), None);
    }
}
