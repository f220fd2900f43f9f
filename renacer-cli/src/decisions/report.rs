//! `renacer decisions report`: what each transpiler decision costs at run
//! time, from the spans of the functions its id is on.
//!
//! Per decision id: calls (spans), total ns (their durations), self ns
//! (total less the durations of their direct in-process children: nested
//! function spans and compute blocks; syscalls are the function's own
//! time), p50 and p99 ns (nearest rank), and the share of the traced run
//! time (the process spans of a unified trace, else first start to last
//! end). Sorted by total; decisions of the manifest that never ran follow,
//! marked so; ids not in the manifest are shown by hex id.

use std::collections::HashMap;

use renacer_decisions::manifest::{Manifest, SourceLocation};
use serde_json::{json, Value};

use super::spans::Span;

/// One row.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    pub id: u64,
    pub category: Option<String>,
    pub name: Option<String>,
    pub source: Option<SourceLocation>,
    pub calls: u64,
    pub total_ns: u64,
    pub self_ns: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
    /// Of the traced run time, 0..1.
    pub share: f64,
}

fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

/// The traced run time: the process spans' extent, else all spans'.
pub(super) fn run_time(spans: &[Span]) -> u64 {
    let extent = |it: &mut dyn Iterator<Item = &Span>| {
        let (mut lo, mut hi) = (u64::MAX, 0);
        for s in it {
            lo = lo.min(s.start_ns);
            hi = hi.max(s.end_ns);
        }
        hi.saturating_sub(lo)
    };
    let procs = extent(&mut spans.iter().filter(|s| s.kind == "process"));
    if procs > 0 {
        procs
    } else {
        extent(&mut spans.iter())
    }
}

/// The rows for `spans`, named from `manifest`.
pub(super) fn rows(spans: &[Span], manifest: Option<&Manifest>) -> Vec<Row> {
    let mut children: HashMap<u64, u64> = HashMap::new();
    for s in spans.iter().filter(|s| s.in_process()) {
        if let Some(p) = s.parent {
            *children.entry(p).or_default() += s.duration();
        }
    }
    let mut by_id: HashMap<u64, (Vec<u64>, u64)> = HashMap::new();
    for s in spans {
        if let Some(id) = s.decision {
            let e = by_id.entry(id).or_default();
            e.0.push(s.duration());
            e.1 += s
                .duration()
                .saturating_sub(children.get(&s.id).copied().unwrap_or(0));
        }
    }
    let run = run_time(spans).max(1) as f64;
    let entry = |id: u64| manifest.and_then(|m| m.entries.get(&id));
    let mut rows: Vec<Row> = by_id
        .into_iter()
        .map(|(id, (mut durations, self_ns))| {
            durations.sort_unstable();
            let total_ns: u64 = durations.iter().sum();
            let e = entry(id);
            Row {
                id,
                category: e.map(|e| e.category.clone()),
                name: e.map(|e| e.name.clone()),
                source: e.map(|e| e.source.clone()),
                calls: durations.len() as u64,
                total_ns,
                self_ns,
                p50_ns: percentile(&durations, 0.5),
                p99_ns: percentile(&durations, 0.99),
                share: total_ns as f64 / run,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.total_ns.cmp(&a.total_ns).then(a.id.cmp(&b.id)));
    if let Some(m) = manifest {
        let ran: std::collections::HashSet<u64> = rows.iter().map(|r| r.id).collect();
        for (id, e) in m.entries.iter().filter(|(id, _)| !ran.contains(id)) {
            rows.push(Row {
                id: *id,
                category: Some(e.category.clone()),
                name: Some(e.name.clone()),
                source: Some(e.source.clone()),
                calls: 0,
                total_ns: 0,
                self_ns: 0,
                p50_ns: 0,
                p99_ns: 0,
                share: 0.0,
            });
        }
    }
    rows
}

/// `category::name`, or the hex id for a decision the manifest lacks.
pub(super) fn label(r: &Row) -> String {
    match (&r.category, &r.name) {
        (Some(c), Some(n)) => format!("{c}::{n}"),
        _ => renacer_decisions::id_key(r.id),
    }
}

/// The text table.
pub(super) fn text(rows: &[Row]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<40} {:<24} {:>8} {:>12} {:>12} {:>10} {:>10} {:>7}",
        "decision", "source", "calls", "total ms", "self ms", "p50 µs", "p99 µs", "share"
    );
    for r in rows {
        let source = r
            .source
            .as_ref()
            .map(|s| format!("{}:{}", s.file, s.line))
            .unwrap_or_else(|| "(not in the manifest)".into());
        if r.calls == 0 {
            let _ = writeln!(out, "{:<40} {:<24} never executed", label(r), source);
            continue;
        }
        let _ = writeln!(
            out,
            "{:<40} {:<24} {:>8} {:>12.3} {:>12.3} {:>10.1} {:>10.1} {:>6.1}%",
            label(r),
            source,
            r.calls,
            r.total_ns as f64 / 1e6,
            r.self_ns as f64 / 1e6,
            r.p50_ns as f64 / 1e3,
            r.p99_ns as f64 / 1e3,
            r.share * 100.0
        );
    }
    out
}

/// The rows as JSON (docs/formats.md, section decisions: report rows).
pub(super) fn json(rows: &[Row]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                json!({
                    "decision_id": renacer_decisions::id_key(r.id),
                    "category": r.category,
                    "name": r.name,
                    "source": r.source.as_ref().map(|s| json!({"file": s.file, "line": s.line})),
                    "executed": r.calls > 0,
                    "calls": r.calls,
                    "total_ns": r.total_ns,
                    "self_ns": r.self_ns,
                    "p50_ns": r.p50_ns,
                    "p99_ns": r.p99_ns,
                    "share": r.share,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(
        id: u64,
        parent: Option<u64>,
        kind: &str,
        t: (u64, u64),
        decision: Option<u64>,
    ) -> Span {
        Span {
            id,
            parent,
            name: format!("s{id}"),
            kind: kind.into(),
            start_ns: t.0,
            end_ns: t.1,
            decision,
        }
    }

    #[test]
    fn self_time_excludes_in_process_children_only() {
        let spans = vec![
            span(1, None, "process", (0, 1000), None),
            span(2, Some(1), "function", (100, 600), Some(7)),
            span(3, Some(2), "function", (150, 350), Some(8)),
            span(4, Some(2), "syscall", (400, 450), None),
            span(5, Some(2), "compute", (460, 560), None),
            span(6, Some(1), "function", (700, 800), Some(7)),
        ];
        let rows = rows(&spans, None);
        assert_eq!(rows.len(), 2);
        let seven = &rows[0];
        assert_eq!((seven.id, seven.calls, seven.total_ns), (7, 2, 600));
        // 500 - (200 function + 100 compute) + 100 (the second call).
        assert_eq!(seven.self_ns, 300);
        assert_eq!((seven.p50_ns, seven.p99_ns), (100, 500));
        assert!((seven.share - 0.6).abs() < 1e-9);
        assert_eq!(label(seven), "0x7");
        assert_eq!(
            (rows[1].id, rows[1].total_ns, rows[1].self_ns),
            (8, 200, 200)
        );
    }

    #[test]
    fn manifest_names_rows_and_lists_decisions_that_never_ran() {
        let mut m = Manifest::new("1.0", "", "test");
        let loc = |line| SourceLocation {
            file: "fib.ruchy".into(),
            line,
            column: None,
        };
        let ran = m.add("optimization", "inline", loc(3), Value::Null, Value::Null);
        m.add(
            "type_mapping",
            "int_width",
            loc(1),
            Value::Null,
            Value::Null,
        );
        let spans = vec![span(1, None, "function", (0, 10), Some(ran))];
        let rows = rows(&spans, Some(&m));
        assert_eq!(rows.len(), 2);
        assert_eq!(label(&rows[0]), "optimization::inline");
        assert_eq!(rows[1].calls, 0);
        let t = text(&rows);
        assert!(t.contains("type_mapping::int_width"), "{t}");
        assert!(t.contains("never executed"), "{t}");
        let j = json(&rows);
        assert_eq!(j[1]["executed"], false);
        assert_eq!(j[0]["source"]["line"], 3);
    }
}
