//! `renacer decisions report` on spans of decision-tagged functions with
//! known call counts and known sleeps, recorded by the SDK in this very
//! test: the counts are exact, the times at least the sleeps, self time
//! excludes nested decisions exactly, and the manifest names the rows.

mod common;
use common::*;
use std::time::Duration;

use renacer_decisions::manifest::{Manifest, SourceLocation};
use serde_json::{json, Value};

#[renacer::trace(decision = "optimization::inline_candidate", source = "fib.ruchy:3")]
fn leaf() {
    std::thread::sleep(Duration::from_millis(2));
}

#[renacer::trace(decision = "type_mapping::int_width", source = "fib.ruchy:1")]
fn outer() {
    std::thread::sleep(Duration::from_millis(1));
    leaf();
    leaf();
}

fn loc(line: u32) -> SourceLocation {
    SourceLocation {
        file: "fib.ruchy".into(),
        line,
        column: None,
    }
}

#[test]
fn report_prices_each_decision() {
    let dir = tempfile::tempdir().unwrap();
    let spans = dir.path().join("spans.jsonl");
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .output(&format!("jsonl:{}", spans.display()))
        .init();
    for _ in 0..3 {
        outer();
    }
    leaf();
    drop(guard);

    let mut m = Manifest::new("1.0", "abc123", "ruchy 4.2.1");
    let leaf_id = m.add(
        "optimization",
        "inline_candidate",
        loc(3),
        json!({"size": 3}),
        json!("inline"),
    );
    let outer_id = m.add(
        "type_mapping",
        "int_width",
        loc(1),
        json!("int"),
        json!("i64"),
    );
    m.add("loops", "unroll", loc(9), json!(4), json!("no"));
    let manifest = dir.path().join("decision_manifest.json");
    m.write(&manifest).unwrap();

    let out = renacer_output(&[
        "decisions",
        "report",
        "--format",
        "json",
        "--manifest",
        manifest.to_str().unwrap(),
        spans.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 3);
    let row = |id: u64| {
        rows.iter()
            .find(|r| r["decision_id"] == renacer_decisions::id_key(id))
            .unwrap()
    };
    let (l, o) = (row(leaf_id), row(outer_id));
    assert_eq!(l["calls"], 7);
    assert_eq!(o["calls"], 3);
    assert_eq!(l["name"], "inline_candidate");
    assert_eq!(o["source"], json!({"file": "fib.ruchy", "line": 1}));
    let ns = |r: &Value, k: &str| r[k].as_u64().unwrap();
    // At least the sleeps (a lower bound: sleep never returns early).
    assert!(ns(l, "total_ns") >= 7 * 2_000_000);
    assert!(ns(o, "total_ns") >= 3 * 5_000_000);
    assert!(ns(o, "self_ns") >= 3 * 1_000_000);
    // Self time excludes the nested leaves exactly: the reference, from
    // the span file itself.
    let lines: Vec<Value> = std::fs::read_to_string(&spans)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let dur = |s: &Value| s["end_ns"].as_u64().unwrap() - s["start_ns"].as_u64().unwrap();
    let outers: Vec<&Value> = lines.iter().filter(|s| s["name"] == "outer").collect();
    let nested: u64 = lines
        .iter()
        .filter(|s| outers.iter().any(|o| o["span_id"] == s["parent_span_id"]))
        .map(dur)
        .sum();
    let outer_total: u64 = outers.iter().map(|s| dur(s)).sum();
    assert_eq!(ns(o, "total_ns"), outer_total);
    assert_eq!(ns(o, "self_ns"), outer_total - nested);
    assert_eq!(
        ns(l, "self_ns"),
        ns(l, "total_ns"),
        "leaves have no children"
    );
    assert!(ns(l, "p50_ns") >= 2_000_000 && ns(l, "p50_ns") <= ns(l, "p99_ns"));
    // Sorted by total; the share is of the traced run.
    assert!(ns(&rows[0], "total_ns") >= ns(&rows[1], "total_ns"));
    let share = o["share"].as_f64().unwrap();
    assert!(share > 0.5 && share <= 1.0, "{share}");
    // The decision that never ran is listed as such.
    assert_eq!(rows[2]["name"], "unroll");
    assert_eq!(rows[2]["executed"], false);

    // Text, and the flame graph labelled by decision.
    let svg = dir.path().join("flame.svg");
    let out = renacer_output(&[
        "decisions",
        "report",
        "--manifest",
        manifest.to_str().unwrap(),
        "--flamegraph",
        svg.to_str().unwrap(),
        spans.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("type_mapping::int_width"), "{text}");
    assert!(
        text.contains("loops::unroll") && text.contains("never executed"),
        "{text}"
    );
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(svg.contains("optimization::inline_candidate"));

    // Without the manifest: rows by hex id.
    let out = renacer_output(&["decisions", "report", spans.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&renacer_decisions::id_key(leaf_id)), "{text}");
    assert!(text.contains("(not in the manifest)"), "{text}");
}

#[test]
fn unified_json_traces_are_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u.json");
    let item = |id: &str, parent: Value, kind: &str, t: (u64, u64), d: Value| {
        json!({"kind": kind, "span_id": id, "parent_span_id": parent, "name": id,
               "start_ns": t.0, "end_ns": t.1, "decision_id": d})
    };
    let doc = json!({"format": "renacer-unified", "items": [
        item("00000000000000a1", Value::Null, "process", (0, 1000), Value::Null),
        item("00000000000000a2", json!("00000000000000a1"), "function", (100, 600), json!("00000000000000ff")),
        item("00000000000000a3", json!("00000000000000a2"), "syscall", (200, 300), Value::Null),
    ]});
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = renacer_output(&[
        "decisions",
        "report",
        "--format=json",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["decision_id"], "0xFF");
    // A syscall is the function's own time; the share is of the process.
    assert_eq!(
        (rows[0]["total_ns"].as_u64(), rows[0]["self_ns"].as_u64()),
        (Some(500), Some(500))
    );
    assert_eq!(rows[0]["share"], 0.5);
}

#[test]
fn bad_input_is_one_clear_line() {
    let e = renacer_failure(&["decisions", "report"], 2);
    assert!(e.contains("needs a TRACE file"), "{e}");
    let e = renacer_failure(&["decisions", "report", "--format", "xml", "x"], 2);
    assert!(e.contains("invalid --format 'xml'"), "{e}");
    let e = renacer_failure(&["decisions", "list", "--bogus", "x"], 2);
    assert!(e.contains("unrecognized option '--bogus'"), "{e}");
    let e = renacer_failure(&["decisions", "list", "--format", "yaml", "x"], 2);
    assert!(e.contains("invalid --format 'yaml'"), "{e}");
    let e = renacer_failure(&["decisions", "annotate", "gen.rs"], 2);
    assert!(e.contains("needs --ruchy"), "{e}");
    let e = renacer_failure(&["decisions", "annotate", "-q", "gen.rs"], 2);
    assert!(e.contains("invalid option -- 'q'"), "{e}");
    let e = renacer_failure(&["decisions", "frobnicate"], 2);
    assert!(e.contains("unknown decisions command"), "{e}");
    let e = renacer_failure(&["decisions", "report", "/nonexistent/spans.jsonl"], 1);
    assert!(
        e.starts_with("renacer: /nonexistent/spans.jsonl: No such file"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.json");
    std::fs::write(&m, "{\"version\": \"1.0\", \"0xAB\": {\"decision_id\"").unwrap();
    let spans = dir.path().join("s.jsonl");
    std::fs::write(&spans, "").unwrap();
    let e = renacer_failure(
        &[
            "decisions",
            "report",
            "--manifest",
            m.to_str().unwrap(),
            spans.to_str().unwrap(),
        ],
        1,
    );
    assert!(e.contains("truncated or not JSON"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[test]
fn list_reads_renacer_logs_and_depyler_files() {
    use renacer_decisions::log::{encode, Record, Writer};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.msgpack");
    let rec = |i: u64| Record {
        timestamp_us: i,
        category: "optimization".into(),
        name: "inline_candidate".into(),
        input: json!({"size": i}),
        result: Some(json!("inline")),
        source_location: Some("foo.rb:3".into()),
        decision_id: None,
    };
    let mut w = Writer::open(&path).unwrap();
    w.append(&rec(1)).unwrap();
    w.append(&rec(2)).unwrap();
    // A writer killed mid-record.
    let partial = encode(&rec(3));
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&partial[..partial.len() / 2])
        .unwrap();
    let out = renacer_output(&["decisions", "list", path.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("# renacer decision file, 2 records"),
        "{text}"
    );
    assert!(
        text.contains("0x75662DCF23047DFE optimization::inline_candidate foo.rb:3 -> inline"),
        "{text}"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cut short") && err.lines().count() == 1,
        "{err}"
    );

    // Depyler's file, serialized as Depyler does (rmp_serde of its structs).
    #[derive(serde::Serialize)]
    enum DecisionCategory {
        TypeMapping,
    }
    #[derive(serde::Serialize)]
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
    let d = DepylerDecision {
        id: 0xAB,
        timestamp_ns: 1,
        thread_id: 2,
        source_file: "type_mapper.rs".into(),
        source_line: 40,
        category: DecisionCategory::TypeMapping,
        name: "int_type".into(),
        py_ast_hash: 3,
        chosen_path: "i64".into(),
        alternatives: vec!["i32".into()],
        confidence: 0.9,
        py_span: (1, 2),
        rs_span: None,
    };
    let dep = dir.path().join("depyler_decisions.msgpack");
    std::fs::write(&dep, rmp_serde::to_vec(&vec![d]).unwrap()).unwrap();
    let out = renacer_output(&[
        "decisions",
        "list",
        "--format",
        "json",
        dep.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["category"], "type_mapping");
    assert_eq!(rows[0]["source"], "type_mapper.rs:40");
    assert_eq!(rows[0]["result"], "i64");
    assert_eq!(rows[0]["decision_id"], "0xAB");

    // Neither: one line, exit 1.
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"\xc1\xc1\xc1").unwrap();
    let e = renacer_failure(&["decisions", "list", junk.to_str().unwrap()], 1);
    assert!(e.contains("not a renacer decision log"), "{e}");
}
