//! Soak tests on real tokio runtimes: 10,000 instrumented tasks whose
//! awaits move them between 4 workers (multi-thread), and the same load on
//! a current-thread runtime. Every span is exported, every child names an
//! exported parent in the same trace, and the counters add up exactly:
//!
//! calls = recorded + sampled_out + rate_limited + ring_dropped
//! recorded = exported + export_dropped + collector_dropped + open
//!
//! Bounded in time by their size (a few seconds on 2 cores), not by timing
//! assertions.

mod common;

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

const TASKS: u64 = 10_000;
/// Instrumented calls per task: `request`, `inner`, two `leaf`s.
const CALLS_PER_TASK: u64 = 4;

/// How far apart two collector passes' TSC fits may place one instant.
const FIT_SLACK_NS: u64 = 1_000;

fn num(s: &Value, key: &str) -> u64 {
    s[key].as_u64().unwrap_or_else(|| panic!("{key} in {s}"))
}

/// One renacer runtime per process: the two soaks run one after the other.
static SERIAL: Mutex<()> = Mutex::new(());

#[renacer::trace]
fn leaf(i: u64) -> u64 {
    i.wrapping_mul(31)
}

#[renacer::trace]
async fn inner(i: u64) -> u64 {
    tokio::task::yield_now().await;
    leaf(i)
}

#[renacer::trace(fields(i))]
async fn request(i: u64) -> u64 {
    tokio::task::yield_now().await;
    let a = leaf(i);
    tokio::task::yield_now().await;
    a ^ inner(i).await
}

fn run_soak(rt: tokio::runtime::Runtime) {
    // Rings large enough for the burst (10,000 tasks spawned at once, about
    // 20 events each, all on one thread for the current-thread runtime):
    // this soak checks that nothing is lost, the drop tests check counting.
    let before = renacer::stats();
    let traced = common::start_with(|b| b.ring_capacity(1 << 18));
    let t0 = std::time::Instant::now();
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..TASKS).map(|i| tokio::spawn(request(i))).collect();
        let mut sum = 0u64;
        for h in handles {
            sum = sum.wrapping_add(h.await.expect("task"));
        }
        sum
    });
    drop(rt);
    assert_ne!(sum, 1); // the work happened
    let ran = t0.elapsed();
    let t1 = std::time::Instant::now();
    let spans = traced.spans();
    let flushed = t1.elapsed();
    let stats = since(&before, renacer::stats());
    let t2 = std::time::Instant::now();
    drop(traced);
    // Reported for docs/benchmarks.md (`--nocapture`), never asserted on.
    eprintln!(
        "soak: {} spans recorded, {} exported, {} dropped; run {ran:?}, flush {flushed:?}, guard drop {:?}",
        stats.recorded,
        stats.exported,
        stats.ring_dropped + stats.collector_dropped + stats.export_dropped,
        t2.elapsed()
    );
    check_counters(&stats, TASKS * CALLS_PER_TASK);
    check_trees(&spans);
}

/// The counters of this run (totals are per process; `open` is a gauge).
fn since(b: &renacer::Stats, a: renacer::Stats) -> renacer::Stats {
    renacer::Stats {
        recorded: a.recorded - b.recorded,
        sampled_out: a.sampled_out - b.sampled_out,
        rate_limited: a.rate_limited - b.rate_limited,
        ring_dropped: a.ring_dropped - b.ring_dropped,
        events_dropped: a.events_dropped - b.events_dropped,
        collector_dropped: a.collector_dropped - b.collector_dropped,
        exported: a.exported - b.exported,
        export_errors: a.export_errors - b.export_errors,
        export_dropped: a.export_dropped - b.export_dropped,
        ..a
    }
}

/// The accounting invariant, and nothing lost on a run whose rings are
/// large enough.
fn check_counters(s: &renacer::Stats, calls: u64) {
    assert_eq!(
        s.recorded + s.sampled_out + s.rate_limited + s.ring_dropped,
        calls,
        "{s:?}"
    );
    assert_eq!(
        s.recorded,
        s.exported + s.export_dropped + s.collector_dropped + s.open,
        "{s:?}"
    );
    assert_eq!(
        (s.ring_dropped, s.events_dropped, s.collector_dropped),
        (0, 0, 0),
        "{s:?}"
    );
    assert_eq!((s.open, s.exported), (0, calls), "{s:?}");
}

fn check_trees(spans: &[Value]) {
    let by_id: HashMap<&str, &Value> = spans
        .iter()
        .map(|s| (s["span_id"].as_str().expect("span id"), s))
        .collect();
    assert_eq!(by_id.len(), spans.len(), "span ids are unique");
    let count = |name: &str| spans.iter().filter(|s| s["name"] == name).count() as u64;
    assert_eq!(count("request"), TASKS);
    assert_eq!(count("inner"), TASKS);
    assert_eq!(count("leaf"), 2 * TASKS);
    for s in spans {
        let parent = s["parent_span_id"].as_str().map(|p| by_id[p]);
        match (s["name"].as_str().unwrap(), parent) {
            // Spawned tasks are their own roots.
            ("request", None) => {}
            ("inner", Some(p)) => assert_eq!(p["name"], "request", "{s}"),
            ("leaf", Some(p)) => {
                assert!(p["name"] == "request" || p["name"] == "inner", "{s}");
                // A sync child lies within its async parent, up to the TSC
                // fit: the two may be converted in different collector
                // passes, whose fits differ by a few ns of measurement
                // noise (sync parents are clamped exactly; async ones
                // complete on other threads, in other passes).
                let (start, end) = (num(s, "start_ns"), num(s, "end_ns"));
                assert!(start + FIT_SLACK_NS >= num(p, "start_ns"), "{s} {p}");
                assert!(end <= num(p, "end_ns") + FIT_SLACK_NS, "{s} {p}");
            }
            other => panic!("unexpected span or parent: {other:?} {s}"),
        }
        if let Some(p) = parent {
            assert_eq!(s["trace_id"], p["trace_id"], "{s}");
        }
    }
    // Each request has its inner and two leaves (one directly, one in inner).
    let mut children: HashMap<&str, u32> = HashMap::new();
    for s in spans {
        if let Some(p) = s["parent_span_id"].as_str() {
            *children.entry(p).or_default() += 1;
        }
    }
    for s in spans.iter().filter(|s| s["name"] == "request") {
        assert_eq!(children[s["span_id"].as_str().unwrap()], 2, "{s}");
    }
}

#[test]
fn tokio_multi_thread_four_workers_ten_thousand_tasks() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    run_soak(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .build()
            .expect("runtime"),
    );
}

#[test]
fn tokio_current_thread_ten_thousand_tasks() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    run_soak(
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime"),
    );
}
