//! A full ring drops the newest events and counts them, never blocks, and
//! never leaves an unbalanced span: every exported span is complete and
//! every parent it names was exported too.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use renacer::__private::{enter, Site};

static OUTER: Site = Site::new("outer", module_path!(), file!(), 1, 0, &["label"]);
static INNER: Site = Site::new("inner", module_path!(), file!(), 2, 0, &[]);

/// The runtime is process-global: tests of this binary take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn full_ring_drops_newest_and_keeps_trees_consistent() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = renacer::stats();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.jsonl");
    // A tiny ring and a collector that only drains on flush.
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .ring_capacity(64)
        .flush_interval(Duration::from_secs(3600))
        .output(&format!("jsonl:{}", path.display()))
        .init();
    let calls = std::thread::spawn(|| {
        let mut calls = 0u64;
        for i in 0..1000u64 {
            let o = enter(&OUTER);
            // Long strings travel as heap boxes: dropped ones must be freed.
            o.record_field(0, format!("a label long enough to need the heap #{i}"));
            calls += 1;
            for _ in 0..3 {
                let _i = enter(&INNER);
                calls += 1;
            }
        }
        calls
    })
    .join()
    .unwrap();
    assert!(renacer::flush());
    let st = renacer::stats();
    drop(guard);

    let spans = common::read_jsonl(&path);
    let recorded = st.recorded - before.recorded;
    assert!(st.ring_dropped > before.ring_dropped, "{st:?}");
    assert!(recorded < calls);
    assert_eq!(recorded, spans.len() as u64);
    assert_eq!(st.exported - before.exported, spans.len() as u64);
    let ids: HashSet<&str> = spans
        .iter()
        .map(|s| s["span_id"].as_str().unwrap())
        .collect();
    for s in &spans {
        if let Some(p) = s["parent_span_id"].as_str() {
            assert!(ids.contains(p), "dangling parent {p}");
        }
        assert!(s["start_ns"].as_u64() <= s["end_ns"].as_u64());
        if s["name"] == "outer" {
            // A recorded span's field is either present (pushed) or missing
            // (dropped), never garbled.
            if let Some(l) = s["fields"]["label"].as_str() {
                assert!(l.starts_with("a label long enough"));
            }
        }
    }
}

#[test]
fn reinit_with_a_larger_ring_replaces_the_threads_ring() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let record = |n: u64| {
        for _ in 0..n {
            let _o = enter(&OUTER);
        }
    };
    let small = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .ring_capacity(16)
        .flush_interval(Duration::from_secs(3600))
        .init();
    let before = renacer::stats();
    record(100);
    assert!(renacer::flush());
    let mid = renacer::stats();
    assert!(mid.ring_dropped > before.ring_dropped);
    drop(small);

    // Same thread, new configuration: the 16-slot ring is replaced.
    let big = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .ring_capacity(4096)
        .flush_interval(Duration::from_secs(3600))
        .init();
    record(1000);
    assert!(renacer::flush());
    let after = renacer::stats();
    drop(big);
    assert_eq!(after.ring_dropped, mid.ring_dropped);
    assert_eq!(after.recorded - mid.recorded, 1000);
}
