//! `renacer decisions list FILE`: a decision log's records — renacer's
//! msgpack log (a stream of 7-field records) or Depyler's file (one array
//! of 13-field records), told apart by trying Depyler's layout first (a log
//! never decodes as one: its first value is a record, not an array of
//! records).

use std::path::Path;

use renacer_decisions::{depyler, id_key, log};
use serde_json::{json, Value};

fn rows(bytes: &[u8]) -> Result<(&'static str, Vec<Value>, bool), String> {
    if let Ok(d) = depyler::decode(bytes) {
        let rows = d
            .decisions
            .iter()
            .map(|d| {
                json!({
                    "decision_id": id_key(d.id),
                    "category": d.category.as_str(),
                    "name": d.name,
                    "source": format!("{}:{}", d.source_file, d.source_line),
                    "result": d.chosen_path,
                    "alternatives": d.alternatives,
                    "confidence": d.confidence,
                })
            })
            .collect();
        return Ok(("depyler", rows, d.truncated));
    }
    let c = log::decode(bytes).map_err(|e| e.to_string())?;
    let rows = c
        .records
        .iter()
        .map(|r| {
            json!({
                "decision_id": r.id().map(id_key),
                "category": r.category,
                "name": r.name,
                "source": r.source_location,
                "input": r.input,
                "result": r.result,
                "timestamp_us": r.timestamp_us,
            })
        })
        .collect();
    Ok(("renacer", rows, c.truncated_at.is_some()))
}

/// Prints the records of `path` (text, or a JSON array).
pub(super) fn list(path: &Path, json: bool) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (format, rows, truncated) = rows(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    if truncated {
        crate::report::say!(
            "renacer: {}: cut short (a writer stopped mid-record); {} complete records listed",
            path.display(),
            rows.len()
        );
    }
    let text = if json {
        format!("{:#}\n", Value::Array(rows))
    } else {
        let mut t = format!("# {} decision file, {} records\n", format, rows.len());
        for r in &rows {
            let s = |k: &str| match &r[k] {
                Value::String(s) => s.clone(),
                Value::Null => "-".into(),
                v => v.to_string(),
            };
            t.push_str(&format!(
                "{} {}::{} {} -> {}\n",
                s("decision_id"),
                s("category"),
                s("name"),
                s("source"),
                s("result")
            ));
        }
        t
    };
    crate::report::stdout(format_args!("{text}"));
    Ok(())
}
