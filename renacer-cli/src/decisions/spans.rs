//! The spans a decision report reads: a JSON-lines span file
//! (`renacer.span/1`, the SDK's `jsonl:` sink) or a unified JSON trace
//! (`renacer --format unified-json`), reduced to what the report needs.

use std::path::Path;

use serde_json::Value;

/// One span of the input.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Span {
    pub id: u64,
    pub parent: Option<u64>,
    pub name: String,
    /// `function`, `compute`, `syscall`, `process`...
    pub kind: String,
    pub start_ns: u64,
    pub end_ns: u64,
    pub decision: Option<u64>,
}

impl Span {
    pub(super) fn duration(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }

    /// Runs in the traced program (not a process or a syscall): what a
    /// parent's self time excludes.
    pub(super) fn in_process(&self) -> bool {
        !matches!(self.kind.as_str(), "process" | "syscall")
    }
}

fn hex(v: &Value) -> Option<u64> {
    v.as_str().and_then(renacer_decisions::parse_id)
}

fn span_of(v: &Value) -> Option<Span> {
    Some(Span {
        id: hex(&v["span_id"])?,
        parent: hex(&v["parent_span_id"]),
        name: v["name"].as_str()?.to_string(),
        kind: v["kind"].as_str().unwrap_or("function").to_string(),
        start_ns: v["start_ns"].as_u64()?,
        end_ns: v["end_ns"].as_u64()?,
        decision: hex(&v["decision_id"]),
    })
}

/// Reads `path`: unified JSON if it is one JSON document with `items`,
/// else JSON lines. Lines or items that are not spans are skipped; a file
/// that is neither is an error saying so.
pub(super) fn read(path: &Path) -> Result<Vec<Span>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Ok(doc) = serde_json::from_str::<Value>(&text) {
        if let Some(items) = doc["items"].as_array() {
            return Ok(items.iter().filter_map(span_of).collect());
        }
    }
    let mut spans = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: Value = serde_json::from_str(line).map_err(|e| {
            format!(
                "{}:{}: neither a unified JSON trace nor JSON lines of spans ({e})",
                path.display(),
                i + 1
            )
        })?;
        spans.extend(span_of(&v));
    }
    Ok(spans)
}
