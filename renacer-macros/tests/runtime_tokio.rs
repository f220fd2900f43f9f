//! `#[renacer::trace]` async fns on a tokio multi-thread runtime: spans of
//! awaited futures nest under the awaiting one, spawned ones are their own
//! roots, sync spans inside a poll are children, and `Err` marks the span.

mod common;

use common::{num, one};

#[renacer::trace]
fn sync_child(x: u32) -> u32 {
    x + 1
}

#[derive(Debug)]
struct Failed;

#[renacer::trace]
async fn fallible(fail: bool) -> Result<u32, Failed> {
    tokio::task::yield_now().await;
    if fail {
        return Err(Failed);
    }
    let v: u32 = "5".parse().map_err(|_| Failed)?;
    Ok(v)
}

#[renacer::trace(fields(ms))]
async fn sleeper(ms: u64) -> u64 {
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    sync_child(1);
    ms
}

#[renacer::trace]
async fn fan_out() -> u64 {
    let a = tokio::spawn(sleeper(5));
    let b = tokio::spawn(sleeper(10));
    a.await.unwrap_or(0) + b.await.unwrap_or(0) + sleeper(1).await
}

#[test]
fn async_spans_on_a_multi_thread_runtime_nest_and_mark_errors() {
    let traced = common::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let (ok, err, total) = rt.block_on(async {
        let ok = fallible(false).await;
        let err = fallible(true).await;
        let total = tokio::spawn(fan_out()).await.unwrap();
        (ok, err, total)
    });
    drop(rt);
    assert_eq!(ok.unwrap(), 5);
    assert!(err.is_err());
    assert_eq!(total, 16);

    let spans = traced.spans();
    let fallibles: Vec<_> = common::all(&spans, "fallible");
    assert_eq!(fallibles.len(), 2);
    assert_eq!(
        fallibles.iter().filter(|s| s["status"] == "error").count(),
        1
    );

    let root = one(&spans, "fan_out");
    let sleepers: Vec<_> = common::all(&spans, "sleeper");
    assert_eq!(sleepers.len(), 3);
    // The awaited one (polled inside fan_out) is fan_out's child and ends
    // within it; every sleeper lasts at least its sleep.
    let nested: Vec<_> = sleepers
        .iter()
        .filter(|s| s["parent_span_id"] == root["span_id"])
        .collect();
    assert!(!nested.is_empty(), "{sleepers:#?}");
    for s in &nested {
        assert!(num(s, "start_ns") >= num(root, "start_ns"));
        assert!(num(s, "end_ns") <= num(root, "end_ns"));
    }
    for s in &sleepers {
        // A span covers its whole future, so at least the requested sleep.
        let ms = s["fields"]["ms"].as_u64().expect("ms field");
        assert!(num(s, "end_ns") - num(s, "start_ns") >= ms * 1_000_000);
        let child = spans
            .iter()
            .find(|c| c["name"] == "sync_child" && c["parent_span_id"] == s["span_id"]);
        assert!(child.is_some(), "sync_child under {s}");
    }
    drop(traced);
}
