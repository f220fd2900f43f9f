//! Soak of the `tracing` Layer on a tokio multi-thread runtime (4 workers):
//! 10,000 tasks instrumented with `tracing::Instrument`, awaiting between
//! polls so they move between workers, with a sync `tracing` span inside.
//! Every span is exported, every child names its exported parent, and the
//! counters add up exactly. (The Layer lost spans the way `#[trace]` async
//! fns did, before replay order stopped mattering.)

use std::collections::HashMap;

use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

const TASKS: u64 = 10_000;

async fn request(i: u64) -> u64 {
    tokio::task::yield_now().await;
    let v = tracing::info_span!("leaf").in_scope(|| i.wrapping_mul(7));
    tokio::task::yield_now().await;
    v
}

#[test]
fn tracing_layer_on_tokio_multi_thread_loses_nothing() {
    let subscriber = tracing_subscriber::registry().with(renacer::interop::RenacerLayer::new());
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spans.jsonl");
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .ring_capacity(1 << 17)
        .output(&format!("jsonl:{}", path.display()))
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async {
        let handles: Vec<_> = (0..TASKS)
            .map(|i| tokio::spawn(request(i).instrument(tracing::info_span!("request"))))
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    drop(rt);
    assert!(renacer::flush());
    let s = renacer::stats();
    let spans: Vec<serde_json::Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        s.recorded + s.sampled_out + s.rate_limited + s.ring_dropped,
        2 * TASKS,
        "{s:?}"
    );
    assert_eq!(
        s.recorded,
        s.exported + s.export_dropped + s.collector_dropped + s.open,
        "{s:?}"
    );
    assert_eq!(
        (s.exported, s.open, s.ring_dropped),
        (2 * TASKS, 0, 0),
        "{s:?}"
    );
    let by_id: HashMap<&str, &serde_json::Value> = spans
        .iter()
        .map(|s| (s["span_id"].as_str().unwrap(), s))
        .collect();
    assert_eq!(spans.len() as u64, 2 * TASKS);
    for leaf in spans.iter().filter(|s| s["name"] == "leaf") {
        let parent = by_id[leaf["parent_span_id"].as_str().expect("leaf has a parent")];
        assert_eq!(parent["name"], "request");
        assert_eq!(parent["trace_id"], leaf["trace_id"]);
    }
    drop(guard);
}
