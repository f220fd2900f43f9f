//! `#[trace(sample = ..)]`: a site's own rate overrides the global rate
//! (here 1.0), and `fields(..)` expressions run only for recorded calls.

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

static EVALUATED: AtomicU64 = AtomicU64::new(0);

fn count_evaluation() -> u64 {
    EVALUATED.fetch_add(1, Ordering::Relaxed)
}

#[renacer::trace(sample = 0.01, fields(v = count_evaluation()))]
fn hot(x: u64) -> u64 {
    x.wrapping_mul(31)
}

#[renacer::trace(sample = 0.01)]
async fn hot_async(x: u64) -> u64 {
    x + 1
}

#[renacer::trace]
fn every_call() {}

const CALLS: u64 = 100_000;

#[test]
fn site_rate_overrides_global_rate_and_fields_follow_sampling() {
    let traced = common::start_with(|b| b.ring_capacity(1 << 16));

    let mut acc = 0u64;
    let mut cx = Context::from_waker(Waker::noop());
    for i in 0..CALLS {
        acc = acc.wrapping_add(hot(i));
        let mut fut = std::pin::pin!(hot_async(i));
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(v) => acc = acc.wrapping_add(v),
            Poll::Pending => panic!("hot_async never waits"),
        }
    }
    for _ in 0..10 {
        every_call();
    }
    assert_ne!(acc, 0);
    let spans = traced.spans();
    let count = |n: &str| common::all(&spans, n).len() as u64;
    let (sync_n, async_n) = (count("hot"), count("hot_async"));
    // Expected 1000 each (1 %); the bounds are > 15 standard deviations away.
    assert!((500..2000).contains(&sync_n), "hot recorded {sync_n} times");
    assert!(
        (500..2000).contains(&async_n),
        "hot_async recorded {async_n} times"
    );
    // The global rate (1.0) still applies to sites without their own.
    assert_eq!(count("every_call"), 10);
    // Field expressions ran once per recorded span, never for the others.
    assert_eq!(EVALUATED.load(Ordering::Relaxed), sync_n);
    let st = renacer::stats();
    assert_eq!(st.ring_dropped, 0);
    assert!(st.sampled_out > 0);
    drop(traced);
}
