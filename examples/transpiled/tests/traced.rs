//! With the `trace` feature (on for test builds), the generated functions
//! record spans whose decision ids are the ones in the manifest.

use std::collections::HashMap;

use transpiled::{fib, summarize, DECISIONS};

#[test]
fn spans_carry_the_manifest_decision_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spans.jsonl");
    let guard = renacer::Config::builder()
        .rate_limit(0)
        .sample_rate(1.0)
        .output(&format!("jsonl:{}", path.display()))
        .init();
    assert!(guard.is_active());

    assert_eq!(summarize("3 40 8").unwrap(), (3.0 + 30.0 + 8.0) / 3.0);
    assert!(summarize("3 x").is_err());
    assert_eq!(fib(10), 55);
    assert!(renacer::flush());

    let spans: Vec<serde_json::Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut by_name: HashMap<&str, Vec<&serde_json::Value>> = HashMap::new();
    for s in &spans {
        by_name
            .entry(s["name"].as_str().unwrap())
            .or_default()
            .push(s);
    }

    for d in DECISIONS {
        let id = renacer::decision_id(d.category, d.name, d.file, d.line);
        let hex = format!("{id:016x}");
        let recorded = &by_name[d.function];
        assert!(!recorded.is_empty());
        for s in recorded {
            assert_eq!(s["decision_id"], hex.as_str(), "{}", d.function);
            assert_eq!(s["code.line.number"], d.line);
        }
    }
    // parse_int ran 5 times (3 + 2 words), one failed; summarize failed once.
    let parses = &by_name["parse_int"];
    assert_eq!(parses.len(), 5);
    assert_eq!(parses.iter().filter(|s| s["status"] == "error").count(), 1);
    let sums = &by_name["summarize"];
    assert_eq!(sums.iter().filter(|s| s["status"] == "error").count(), 1);
    // parse_int nests under summarize; fib records its argument.
    assert!(parses
        .iter()
        .all(|p| sums.iter().any(|s| s["span_id"] == p["parent_span_id"])));
    assert_eq!(by_name["fib"].len(), 177);
    assert!(by_name["fib"].iter().any(|s| s["fields"]["n"] == 10));
    // No decision on summarize.
    assert!(sums.iter().all(|s| s["decision_id"].is_null()));
    drop(guard);
}
