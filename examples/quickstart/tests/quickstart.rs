//! Runs the quickstart binary and checks the spans it writes.

use std::process::Command;

#[test]
fn quickstart_writes_the_three_kinds_of_spans() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("spans.jsonl");
    let status = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .arg(&out)
        .current_dir(dir.path())
        .env_remove("RENACER_OUTPUT")
        .env_remove("RENACER_SAMPLE_RATE")
        .env("RENACER_RATE_LIMIT", "0")
        .status()
        .unwrap();
    assert!(status.success());

    let spans: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let named = |n: &'static str| spans.iter().filter(move |s| s["name"] == n);

    // No quickstart.toml in the temp dir: load_config fails, once.
    let load: Vec<_> = named("load_config").collect();
    assert_eq!(load.len(), 1);
    assert_eq!(load[0]["status"], "error");

    // fib(15) makes 1973 calls, every one recorded, in one tree.
    let fibs: Vec<_> = named("fib").collect();
    assert_eq!(fibs.len(), 1973);
    assert_eq!(
        fibs.iter()
            .filter(|s| s["parent_span_id"].is_null())
            .count(),
        1
    );
    let first = fibs[0]["decision_id"].as_str().expect("decision id");
    assert!(fibs.iter().all(|s| s["decision_id"] == first));
    assert!(fibs.iter().any(|s| s["fields"]["n"] == 15));

    // step: 100000 calls at 1 in 1000 → about 100 (bounds > 9 σ away).
    let steps = named("step").count();
    assert!((10..400).contains(&steps), "{steps} step spans");
}
