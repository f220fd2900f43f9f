//! Shared by the runtime tests: start renacer with a JSON-lines sink in a
//! temporary directory and read the exported spans back.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// A running renacer whose spans go to `path`.
pub struct Traced {
    pub guard: renacer::InitGuard,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

/// Records every span (sample rate 1, no rate limit) into a fresh file.
pub fn start() -> Traced {
    start_with(|b| b)
}

/// As [`start`], with further settings applied by `configure`.
pub fn start_with(
    configure: impl FnOnce(renacer::ConfigBuilder) -> renacer::ConfigBuilder,
) -> Traced {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("spans.jsonl");
    let builder = renacer::Config::builder()
        .rate_limit(0)
        .sample_rate(1.0)
        .output(&format!("jsonl:{}", path.display()));
    let guard = configure(builder).init();
    assert!(guard.is_active(), "renacer did not start");
    Traced {
        guard,
        path,
        _dir: dir,
    }
}

impl Traced {
    /// Flushes and returns every span exported so far.
    pub fn spans(&self) -> Vec<Value> {
        assert!(renacer::flush(), "flush failed");
        std::fs::read_to_string(&self.path)
            .expect("jsonl file")
            .lines()
            .map(|l| serde_json::from_str(l).expect("valid JSON line"))
            .collect()
    }
}

/// The only span called `name`.
pub fn one<'a>(spans: &'a [Value], name: &str) -> &'a Value {
    let found: Vec<&Value> = spans.iter().filter(|s| s["name"] == name).collect();
    assert_eq!(found.len(), 1, "spans named {name}: {spans:#?}");
    found[0]
}

/// Every span called `name`.
pub fn all<'a>(spans: &'a [Value], name: &str) -> Vec<&'a Value> {
    spans.iter().filter(|s| s["name"] == name).collect()
}

/// A u64 member of a span.
pub fn num(span: &Value, key: &str) -> u64 {
    span[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {span}"))
}

/// A 16-hex-digit id as exported.
pub fn hex(id: u64) -> String {
    format!("{id:016x}")
}
