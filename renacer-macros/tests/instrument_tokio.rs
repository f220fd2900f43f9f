//! `renacer::Instrument` on real tokio runtimes: a `tokio::spawn`ed task
//! wrapped in `.in_current_span()` records its spans as children of the
//! span that spawned it (whatever worker polls it), and `.in_span(..)`
//! gives a plain future its own span.

mod common;

use renacer::Instrument;

#[renacer::trace]
fn step() -> u32 {
    1
}

#[renacer::trace]
async fn spawned_work() -> u32 {
    tokio::task::yield_now().await;
    step()
}

#[renacer::trace]
async fn parent() -> u32 {
    let adopted = tokio::spawn(spawned_work().in_current_span());
    let orphan = tokio::spawn(spawned_work());
    let plain = async {
        tokio::task::yield_now().await;
        step()
    }
    .in_span(renacer::async_span!("plain_future"));
    adopted.await.unwrap() + orphan.await.unwrap() + plain.await
}

#[test]
fn spawned_tasks_join_the_span_that_spawned_them() {
    let traced = common::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    assert_eq!(rt.block_on(parent()), 3);
    drop(rt);
    let spans = traced.spans();
    let parent = common::one(&spans, "parent");
    let works = common::all(&spans, "spawned_work");
    assert_eq!(works.len(), 2);
    let adopted: Vec<_> = works
        .iter()
        .filter(|w| w["parent_span_id"] == parent["span_id"])
        .collect();
    assert_eq!(adopted.len(), 1, "one spawned task adopted: {works:#?}");
    assert_eq!(adopted[0]["trace_id"], parent["trace_id"]);
    // The other one, spawned without it, is a root of its own trace.
    let orphan = works
        .iter()
        .find(|w| w["parent_span_id"].is_null())
        .unwrap();
    assert_ne!(orphan["trace_id"], parent["trace_id"]);
    // `in_span`: the future's own span, a child of `parent`, with the sync
    // span recorded during its poll under it.
    let plain = common::one(&spans, "plain_future");
    assert_eq!(plain["parent_span_id"], parent["span_id"]);
    let steps = common::all(&spans, "step");
    assert_eq!(steps.len(), 3);
    assert!(steps
        .iter()
        .any(|s| s["parent_span_id"] == plain["span_id"]));
}
