//! Exported span times are `CLOCK_MONOTONIC` nanoseconds, exact to well
//! under a microsecond even when the hot path reads the TSC: a span recorded
//! between two `clock_gettime(CLOCK_MONOTONIC)` readings is exported inside
//! that window (1 µs slack for the TSC fit). The CLI's syscall → span
//! attribution relies on this.

mod common;

use std::time::Duration;

use renacer::__private::{enter, Site};

static S: Site = Site::new("s", module_path!(), file!(), 1, 0, &[]);

#[test]
fn exported_times_lie_within_monotonic_readings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clock.jsonl");
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .output(&format!("jsonl:{}", path.display()))
        .init();
    let mut windows = Vec::new();
    for i in 0..30 {
        std::thread::sleep(Duration::from_millis(if i < 10 { 1 } else { 20 }));
        let before = renacer::clock::now_monotonic_ns();
        drop(enter(&S));
        let after = renacer::clock::now_monotonic_ns();
        windows.push((before, after));
        // Converted now, with the clock fit as it is this early.
        assert!(renacer::flush());
    }
    drop(guard);
    let spans = common::read_jsonl(&path);
    assert_eq!(spans.len(), windows.len());
    for (s, (before, after)) in spans.iter().zip(windows) {
        let start = s["start_ns"].as_u64().unwrap();
        let end = s["end_ns"].as_u64().unwrap();
        assert!(start <= end);
        assert!(
            start + 1_000 >= before,
            "start {start} before window {before}"
        );
        assert!(end <= after + 1_000, "end {end} after window {after}");
    }
}
