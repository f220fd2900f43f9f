//! Depyler's decision trace (`decision-tracing` feature, written to
//! `/tmp/depyler_decisions.msgpack`): `rmp_serde::to_vec` of a
//! `Vec<DepylerDecision>`, i.e. one msgpack array of records, each the
//! positional array
//!
//! ```text
//! [id, timestamp_ns, thread_id, source_file, source_line, category, name,
//!  py_ast_hash, chosen_path, alternatives, confidence, py_span, rs_span | nil]
//! ```
//!
//! with `category` one of `TypeMapping`, `BorrowStrategy`, `LifetimeInfer`,
//! `MethodDispatch`, `ImportResolve`, `ErrorHandling`, `Ownership` and the
//! spans `[start, end]` pairs. This is not renacer's own log layout
//! ([`crate::log`]) — reading one as the other is the bug this module fixes.
//! Depyler rewrites the whole file on each flush; a file cut short (the
//! process died mid-write) yields the complete leading records.

use std::path::Path;

use serde::Deserialize;

/// Depyler's decision categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Category {
    /// Python type → Rust type.
    TypeMapping,
    /// `&T` vs `T` vs `&mut T`.
    BorrowStrategy,
    /// Lifetime annotations.
    LifetimeInfer,
    /// Trait method resolution.
    MethodDispatch,
    /// `use` resolution.
    ImportResolve,
    /// `Result`/`Option` wrapping.
    ErrorHandling,
    /// Move vs clone vs `Rc`.
    Ownership,
}

impl Category {
    /// The name Depyler hashes into its ids (`type_mapping`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::TypeMapping => "type_mapping",
            Category::BorrowStrategy => "borrow_strategy",
            Category::LifetimeInfer => "lifetime_infer",
            Category::MethodDispatch => "method_dispatch",
            Category::ImportResolve => "import_resolve",
            Category::ErrorHandling => "error_handling",
            Category::Ownership => "ownership",
        }
    }
}

/// One Depyler decision.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Decision {
    /// FNV-1a id of category, name, file, line.
    pub id: u64,
    /// Nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    /// Hash of the deciding thread's id.
    pub thread_id: u64,
    /// The Depyler source file that made it.
    pub source_file: String,
    /// Its line.
    pub source_line: u32,
    /// The category.
    pub category: Category,
    /// The decision's name.
    pub name: String,
    /// Hash of the Python AST node.
    pub py_ast_hash: u64,
    /// The code-generation path chosen.
    pub chosen_path: String,
    /// The paths considered.
    pub alternatives: Vec<String>,
    /// 0..1.
    pub confidence: f32,
    /// Byte span in the Python source.
    pub py_span: (u64, u64),
    /// Byte span in the generated Rust, when known.
    pub rs_span: Option<(u64, u64)>,
}

/// What a Depyler file held.
#[derive(Debug, Clone, PartialEq)]
pub struct Contents {
    /// The complete records.
    pub decisions: Vec<Decision>,
    /// The array announced more records than the file holds (cut short).
    pub truncated: bool,
}

/// Decodes a Depyler file's bytes.
pub fn decode(bytes: &[u8]) -> Result<Contents, String> {
    let mut rd = bytes;
    let n = rmp::decode::read_array_len(&mut rd)
        .map_err(|e| format!("not a Depyler decision file (expected an array of records): {e}"))?;
    let mut decisions = Vec::new();
    for i in 0..n {
        match rmp_serde::from_read::<_, Decision>(&mut rd) {
            Ok(d) => decisions.push(d),
            Err(e) if crate::log::is_eof(&e) => {
                return Ok(Contents {
                    decisions,
                    truncated: true,
                })
            }
            Err(e) => return Err(format!("record {i} of {n} is not a Depyler decision: {e}")),
        }
    }
    Ok(Contents {
        decisions,
        truncated: false,
    })
}

/// Reads a Depyler file.
pub fn read(path: &Path) -> Result<Contents, String> {
    decode(&std::fs::read(path).map_err(|e| e.to_string())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    // Depyler's own types, as it serializes them (its
    // `#[derive(Serialize)]` struct and enum, through `rmp_serde::to_vec`).
    #[derive(Serialize)]
    enum DecisionCategory {
        TypeMapping,
        BorrowStrategy,
    }

    #[derive(Serialize)]
    struct DepylerDecision {
        id: u64,
        timestamp_ns: u64,
        thread_id: u64,
        source_file: String,
        source_line: u32,
        category: DecisionCategory,
        name: String,
        py_ast_hash: u64,
        chosen_path: String,
        alternatives: Vec<String>,
        confidence: f32,
        py_span: (usize, usize),
        rs_span: Option<(usize, usize)>,
    }

    fn fixture() -> Vec<u8> {
        let d = |i: u64, category| DepylerDecision {
            id: crate::decision_id("type_mapping", "int_width", "codegen.rs", 10 + i as u32),
            timestamp_ns: 1_700_000_000_000_000_000 + i,
            thread_id: 77,
            source_file: "codegen.rs".into(),
            source_line: 10 + i as u32,
            category,
            name: "int_width".into(),
            py_ast_hash: 0xfeed,
            chosen_path: "i64".into(),
            alternatives: vec!["i32".into(), "BigInt".into()],
            confidence: 0.75,
            py_span: (3, 9),
            rs_span: (i % 2 == 0).then_some((40, 52)),
        };
        rmp_serde::to_vec(&vec![
            d(0, DecisionCategory::TypeMapping),
            d(1, DecisionCategory::BorrowStrategy),
            d(2, DecisionCategory::TypeMapping),
        ])
        .unwrap()
    }

    #[test]
    fn reads_depylers_layout() {
        let c = decode(&fixture()).unwrap();
        assert!(!c.truncated);
        assert_eq!(c.decisions.len(), 3);
        let d = &c.decisions[1];
        assert_eq!(d.category, Category::BorrowStrategy);
        assert_eq!(d.source_line, 11);
        assert_eq!(d.alternatives, ["i32", "BigInt"]);
        assert_eq!(d.confidence, 0.75);
        assert_eq!(d.py_span, (3, 9));
        assert_eq!(d.rs_span, None);
        assert_eq!(c.decisions[0].rs_span, Some((40, 52)));
        assert_eq!(
            c.decisions[0].id,
            crate::decision_id(
                Category::TypeMapping.as_str(),
                "int_width",
                "codegen.rs",
                10
            )
        );
    }

    #[test]
    fn a_cut_file_keeps_its_complete_records() {
        let bytes = fixture();
        let c = decode(&bytes[..bytes.len() - 5]).unwrap();
        assert!(c.truncated);
        assert_eq!(c.decisions.len(), 2);
    }

    #[test]
    fn renacers_log_is_not_mistaken_for_depylers() {
        let log = crate::log::encode(&crate::log::Record {
            timestamp_us: 1,
            category: "c".into(),
            name: "n".into(),
            input: serde_json::Value::Null,
            result: None,
            source_location: None,
            decision_id: None,
        });
        let e = decode(&log).unwrap_err();
        assert!(e.contains("not a Depyler decision"), "{e}");
    }
}
