//! Runtime behaviour of `#[renacer::trace]` on `async fn`: the span starts
//! at the first poll and ends at completion, even when the future moves to
//! another thread between polls; sync spans inside a poll are its children;
//! `Err` marks it.

mod common;

use std::future::Future;
use std::task::{Context, Poll, Waker};

use common::{num, one};

#[renacer::trace]
fn sync_child(x: u32) -> u32 {
    x + 1
}

#[renacer::trace(fields(id))]
async fn wait_for(id: u32, rx: tokio::sync::oneshot::Receiver<u32>) -> u32 {
    let before = sync_child(id);
    let got = rx.await.unwrap_or(0);
    sync_child(before + got)
}

#[test]
fn async_spans_cover_the_future_across_threads() {
    let traced = common::start();

    // Poll once on this thread (Pending, waiting on the channel) ...
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut fut = Box::pin(wait_for(41, rx));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    let between = renacer::clock::now_monotonic_ns();
    tx.send(1).unwrap();
    // ... and finish it on another thread.
    let out = std::thread::spawn(move || {
        let mut cx = Context::from_waker(Waker::noop());
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("future should be ready"),
        }
    })
    .join()
    .unwrap();
    assert_eq!(out, 44);
    let after = renacer::clock::now_monotonic_ns();

    let spans = traced.spans();
    let span = one(&spans, "wait_for");
    assert!(num(span, "start_ns") <= between);
    assert!(num(span, "end_ns") >= between);
    assert!(num(span, "end_ns") <= after);
    assert_eq!(span["fields"]["id"], 41);
    let children: Vec<_> = common::all(&spans, "sync_child");
    assert_eq!(children.len(), 2);
    let tids: std::collections::HashSet<u64> = children.iter().map(|c| num(c, "tid")).collect();
    assert_eq!(tids.len(), 2, "the two polls ran on two threads");
    for c in &children {
        assert_eq!(c["parent_span_id"], span["span_id"]);
        assert_eq!(c["trace_id"], span["trace_id"]);
        assert!(num(c, "start_ns") >= num(span, "start_ns"));
        assert!(num(c, "end_ns") <= num(span, "end_ns"));
    }
    drop(traced);
}
