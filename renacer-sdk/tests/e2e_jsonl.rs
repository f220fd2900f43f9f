//! End to end: spans recorded with `span!` and the `__private` API reach a
//! JSON-lines file through the collector, with correct nesting, fields,
//! status, thread identity and the documented schema.

mod common;

use std::collections::HashMap;

use common::read_jsonl;
use renacer::__private::{enter, Site};
use serde_json::Value;

static WORK: Site = Site::new("work", module_path!(), file!(), 10, 0, &["n", "label"]);
static FAILING: Site = Site::new("failing", module_path!(), file!(), 20, 0xfeed, &[]);

#[test]
fn spans_flow_to_a_jsonl_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spans.jsonl");
    let guard = renacer::Config::builder()
        .rate_limit(0)
        .sample_rate(1.0)
        .service_name("checkout")
        .output(&format!(
            "jsonl:{},perfetto:{}",
            path.display(),
            dir.path().join("trace.json").display()
        ))
        .init();
    assert!(guard.is_active());

    {
        let _root = renacer::span!("root");
        {
            let g = enter(&WORK);
            assert!(g.is_recording());
            g.record_field(0, 42u32);
            g.record_field(1, "hello");
            let f = enter(&FAILING);
            f.set_error();
        }
    }
    std::thread::Builder::new()
        .name("worker-1".into())
        .spawn(|| {
            let _t = renacer::span!("in_thread", k = 7i64);
        })
        .unwrap()
        .join()
        .unwrap();

    assert!(renacer::flush());
    let spans = read_jsonl(&path);
    assert_eq!(spans.len(), 4, "{spans:?}");
    let by_name: HashMap<&str, &Value> = spans
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s))
        .collect();

    let root = by_name["root"];
    let work = by_name["work"];
    let failing = by_name["failing"];
    let thread = by_name["in_thread"];
    // The service name is in every output, not only OTLP.
    let perfetto: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("trace.json")).unwrap()).unwrap();
    assert_eq!(perfetto["otherData"]["service.name"], "checkout");
    for s in &spans {
        assert_eq!(s["service.name"], "checkout");
        assert_eq!(s["schema"], "renacer.span/1");
        assert_eq!(s["kind"], "function");
        assert_eq!(s["trace_id"].as_str().unwrap().len(), 32);
        assert_eq!(s["span_id"].as_str().unwrap().len(), 16);
        assert_eq!(s["site_id"].as_str().unwrap().len(), 16);
        assert_eq!(s["pid"], std::process::id());
        assert!(s["start_ns"].as_u64().unwrap() <= s["end_ns"].as_u64().unwrap());
        assert_eq!(s["code.file.path"], file!());
    }
    // Nesting: root > work > failing, one trace.
    assert_eq!(root["parent_span_id"], Value::Null);
    assert_eq!(work["parent_span_id"], root["span_id"]);
    assert_eq!(failing["parent_span_id"], work["span_id"]);
    assert_eq!(work["trace_id"], root["trace_id"]);
    assert_eq!(failing["trace_id"], root["trace_id"]);
    assert!(root["start_ns"].as_u64() <= work["start_ns"].as_u64());
    assert!(work["end_ns"].as_u64() <= root["end_ns"].as_u64());
    // Fields, decision id, status.
    assert_eq!(work["fields"]["n"], 42);
    assert_eq!(work["fields"]["label"], "hello");
    assert_eq!(work["code.line.number"], 10);
    assert_eq!(failing["decision_id"], "000000000000feed");
    assert_eq!(failing["status"], "error");
    assert_eq!(work["status"], "unset");
    assert_eq!(work["decision_id"], Value::Null);
    // The thread's span: own root, thread name, other tid, field by name.
    assert_eq!(thread["parent_span_id"], Value::Null);
    assert_ne!(thread["trace_id"], root["trace_id"]);
    assert_eq!(thread["thread_name"], "worker-1");
    assert_ne!(thread["tid"], root["tid"]);
    assert_eq!(thread["fields"]["k"], 7);
    // Span ids are unique.
    let mut ids: Vec<&str> = spans
        .iter()
        .map(|s| s["span_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);

    let st = renacer::stats();
    assert_eq!(st.recorded, 4);
    assert_eq!(st.exported, 4);
    assert_eq!(st.ring_dropped, 0);
    assert_eq!(st.rate_limited, 0);

    // After the guard drops, recording stops and nothing more is written.
    drop(guard);
    {
        let g = renacer::span!("after_shutdown");
        assert!(!g.is_recording());
    }
    assert!(!renacer::flush());
    assert_eq!(read_jsonl(&path).len(), 4);
}
