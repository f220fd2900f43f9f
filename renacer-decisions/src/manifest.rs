//! `decision_manifest.json`: what the transpiler decided, one entry per
//! decision id, beside three header keys.
//!
//! ```json
//! {
//!   "version": "1.0",
//!   "git_commit": "4f2a9c1",
//!   "transpiler_version": "ruchy 4.2.1",
//!   "0x75662DCF23047DFE": {
//!     "decision_id": 8459447958443310590,
//!     "category": "optimization",
//!     "name": "inline_candidate",
//!     "source": {"file": "fib.ruchy", "line": 3, "column": 1},
//!     "input": {"size": 12},
//!     "result": "inline"
//!   }
//! }
//! ```
//!
//! Entries are flattened into the top-level object, keyed `0x` + uppercase
//! hex without padding ([`crate::id_key`]). `decision_id` is read as a
//! number or a hex string; `column` is optional. Writing is atomic (a
//! temporary file renamed over the old one).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where in the transpiler's input a decision was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    /// The source file (`fib.ruchy`, `app.py`), as the transpiler names it.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

/// One decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its id ([`crate::decision_id`] of category, name, file and line).
    pub decision_id: u64,
    /// `optimization`, `type_mapping`...
    pub category: String,
    /// `inline_candidate`, `int_width`...
    pub name: String,
    /// Where it was made.
    pub source: SourceLocation,
    /// What the transpiler looked at.
    pub input: Value,
    /// What it chose.
    pub result: Value,
}

/// A whole manifest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Manifest {
    /// Format version (`"1.0"`).
    pub version: String,
    /// Commit of the transpiled sources, if known.
    pub git_commit: String,
    /// `ruchy 4.2.1`, `depyler 4.1.1`...
    pub transpiler_version: String,
    /// The decisions, by id.
    pub entries: BTreeMap<u64, Entry>,
}

const HEADER: [&str; 3] = ["version", "git_commit", "transpiler_version"];

/// Why a manifest could not be read.
#[derive(Debug)]
pub enum Error {
    /// The file could not be read or written.
    Io(std::io::Error),
    /// Not JSON, or not a manifest: what is wrong, and where.
    Invalid(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(e) => write!(f, "{e}"),
            Error::Invalid(why) => write!(f, "not a decision manifest: {why}"),
        }
    }
}

impl std::error::Error for Error {}

impl Manifest {
    /// A manifest with these header values and no entries.
    pub fn new(version: &str, git_commit: &str, transpiler_version: &str) -> Manifest {
        Manifest {
            version: version.into(),
            git_commit: git_commit.into(),
            transpiler_version: transpiler_version.into(),
            entries: BTreeMap::new(),
        }
    }

    /// Adds a decision made at `source`; its id is computed here.
    pub fn add(
        &mut self,
        category: &str,
        name: &str,
        source: SourceLocation,
        input: Value,
        result: Value,
    ) -> u64 {
        let id = crate::decision_id(category, name, &source.file, source.line);
        self.entries.insert(
            id,
            Entry {
                decision_id: id,
                category: category.into(),
                name: name.into(),
                source,
                input,
                result,
            },
        );
        id
    }

    /// The manifest as a JSON value (header keys first, then entries by id).
    pub fn to_json(&self) -> Value {
        let mut top = Map::new();
        top.insert("version".into(), self.version.clone().into());
        top.insert("git_commit".into(), self.git_commit.clone().into());
        top.insert(
            "transpiler_version".into(),
            self.transpiler_version.clone().into(),
        );
        for (id, e) in &self.entries {
            let mut obj = Map::new();
            obj.insert("decision_id".into(), (*id).into());
            obj.insert("category".into(), e.category.clone().into());
            obj.insert("name".into(), e.name.clone().into());
            obj.insert(
                "source".into(),
                serde_json::to_value(&e.source).unwrap_or(Value::Null),
            );
            obj.insert("input".into(), e.input.clone());
            obj.insert("result".into(), e.result.clone());
            top.insert(crate::id_key(*id), Value::Object(obj));
        }
        Value::Object(top)
    }

    /// Reads a manifest from its JSON value.
    pub fn from_json(v: &Value) -> Result<Manifest, Error> {
        let top = v
            .as_object()
            .ok_or_else(|| Error::Invalid("the top level is not an object".into()))?;
        let header = |k: &str| top.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let mut m = Manifest::new(
            &header("version"),
            &header("git_commit"),
            &header("transpiler_version"),
        );
        for (key, val) in top.iter().filter(|(k, _)| !HEADER.contains(&k.as_str())) {
            let id = crate::parse_id(key)
                .filter(|_| key.starts_with("0x") || key.starts_with("0X"))
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "key {key:?} is neither a header key nor a 0x… decision id"
                    ))
                })?;
            let entry = entry_from_json(id, val)
                .map_err(|why| Error::Invalid(format!("entry {key}: {why}")))?;
            m.entries.insert(id, entry);
        }
        Ok(m)
    }

    /// Reads `path`.
    pub fn read(path: &Path) -> Result<Manifest, Error> {
        let text = std::fs::read_to_string(path).map_err(Error::Io)?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| Error::Invalid(format!("{e} (truncated or not JSON?)")))?;
        Manifest::from_json(&v)
    }

    /// Writes `path` atomically (a temporary file renamed over it).
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(&self.to_json())
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text + "\n").map_err(Error::Io)?;
        std::fs::rename(&tmp, path).map_err(Error::Io)
    }
}

fn entry_from_json(id: u64, v: &Value) -> Result<Entry, String> {
    let obj = v.as_object().ok_or("not an object")?;
    let text = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or(format!("`{k}` missing or not a string"))
    };
    let stated = match obj.get("decision_id") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => crate::parse_id(s),
        _ => None,
    }
    .ok_or("`decision_id` missing or not a number or hex string")?;
    if stated != id {
        return Err(format!(
            "`decision_id` {} differs from its key",
            crate::id_key(stated)
        ));
    }
    let source: SourceLocation =
        serde_json::from_value(obj.get("source").cloned().unwrap_or(Value::Null))
            .map_err(|e| format!("`source`: {e}"))?;
    Ok(Entry {
        decision_id: id,
        category: text("category")?,
        name: text("name")?,
        source,
        input: obj.get("input").cloned().unwrap_or(Value::Null),
        result: obj.get("result").cloned().unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Manifest {
        let mut m = Manifest::new("1.0", "4f2a9c1", "ruchy 4.2.1");
        m.add(
            "optimization",
            "inline_candidate",
            SourceLocation {
                file: "foo.rb".into(),
                line: 3,
                column: None,
            },
            json!({"size": 12}),
            json!("inline"),
        );
        m.add(
            "type_mapping",
            "int_width",
            SourceLocation {
                file: "fib.ruchy".into(),
                line: 1,
                column: Some(5),
            },
            json!("int"),
            json!("i64"),
        );
        m
    }

    #[test]
    fn round_trips_with_flattened_uppercase_keys() {
        let m = sample();
        let v = m.to_json();
        let e = &v["0x75662DCF23047DFE"];
        assert_eq!(e["decision_id"], json!(0x7566_2DCF_2304_7DFEu64));
        assert_eq!(e["source"], json!({"file": "foo.rb", "line": 3}));
        assert_eq!(v["transpiler_version"], "ruchy 4.2.1");
        assert_eq!(Manifest::from_json(&v).unwrap(), m);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("decision_manifest.json");
        m.write(&path).unwrap();
        assert_eq!(Manifest::read(&path).unwrap(), m);
    }

    #[test]
    fn hex_string_ids_are_accepted() {
        let mut v = sample().to_json();
        v["0x75662DCF23047DFE"]["decision_id"] = json!("0x75662DCF23047DFE");
        assert!(Manifest::from_json(&v).is_ok());
    }

    #[test]
    fn bad_manifests_say_what_is_wrong() {
        let mut v = sample().to_json();
        v["0x75662DCF23047DFE"]["decision_id"] = json!(1);
        let e = Manifest::from_json(&v).unwrap_err().to_string();
        assert!(e.contains("differs from its key"), "{e}");
        let e = Manifest::from_json(&json!({"version": "1", "nope": {}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"nope\""), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let text = serde_json::to_string(&sample().to_json()).unwrap();
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        let e = Manifest::read(&path).unwrap_err().to_string();
        assert!(e.contains("truncated or not JSON"), "{e}");
    }
}
