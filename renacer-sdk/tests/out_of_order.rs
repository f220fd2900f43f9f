//! `span!` guards dropped out of order end their own spans (the exit names
//! its span), and the run counts them in `stats().misnested` (the exit
//! summary's wording is checked in `tests/exit_flush.rs`).

mod common;

#[test]
fn guards_dropped_out_of_order_keep_their_own_durations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("order.jsonl");
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .output(&format!("jsonl:{}", path.display()))
        .init();
    let outer = renacer::span!("outer");
    std::thread::sleep(std::time::Duration::from_millis(2));
    let inner = renacer::span!("inner");
    std::thread::sleep(std::time::Duration::from_millis(2));
    drop(outer); // out of order: the outer one first
    std::thread::sleep(std::time::Duration::from_millis(20));
    drop(inner);
    assert!(renacer::flush());
    let spans = common::by_name(&common::read_jsonl(&path));
    let (o, i) = (&spans["outer"], &spans["inner"]);
    let end = |s: &serde_json::Value| s["end_ns"].as_u64().unwrap();
    let start = |s: &serde_json::Value| s["start_ns"].as_u64().unwrap();
    // inner ended after outer: each exit ended its own span (the old
    // innermost-first pairing gave inner the first exit's time).
    assert!(end(i) > end(o), "{o} {i}");
    assert!(start(o) < start(i));
    assert_eq!(i["parent_span_id"], o["span_id"]);
    assert_eq!(renacer::stats().misnested, 1);
    drop(guard);
}
