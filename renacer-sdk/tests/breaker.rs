//! The rate limiter under a flood: 10,000,000 calls on 4 threads against a
//! 10,000 spans/s limit. Every call is accounted for (recorded, rate
//! limited or ring-dropped), the recorded count respects the token bucket,
//! memory stays bounded by the rings, and every thread finishes (nothing
//! blocks). Then the breaker opens, half-opens and closes as tokens return.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use renacer::__private::{enter, Site};
use renacer::BreakerState;

static FLOOD: Site = Site::new("flood", module_path!(), file!(), 1, 0, &[]);
static SERIAL: Mutex<()> = Mutex::new(());

const THREADS: u64 = 4;
const CALLS_PER_THREAD: u64 = 2_500_000;
const LIMIT: u64 = 10_000;
const RING: usize = 4096;

#[test]
fn flood_is_limited_counted_and_bounded() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before_stats = renacer::stats();
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(LIMIT)
        .ring_capacity(RING)
        .init();
    assert!(guard.is_active());
    let rss_before = common::resident_bytes();
    let start = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            std::thread::spawn(|| {
                let mut recorded = 0u64;
                for _ in 0..CALLS_PER_THREAD {
                    let g = enter(&FLOOD);
                    recorded += g.is_recording() as u64;
                }
                recorded
            })
        })
        .collect();
    let seen: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let elapsed = start.elapsed().as_secs_f64();
    let rss_after = common::resident_bytes();
    assert!(renacer::flush());
    let st = renacer::stats();
    drop(guard);

    let total = THREADS * CALLS_PER_THREAD;
    let recorded = st.recorded - before_stats.recorded;
    let limited = st.rate_limited - before_stats.rate_limited;
    let dropped = st.ring_dropped - before_stats.ring_dropped;
    assert_eq!(recorded, seen);
    assert_eq!(recorded + limited + dropped, total, "{st:?}");
    // Bucket: burst (one second of tokens) + refill over the run + at most
    // one batch cached per thread beyond that.
    let bound = LIMIT as f64 * elapsed + LIMIT as f64 + (THREADS * 64) as f64;
    assert!(
        (recorded as f64) <= bound,
        "recorded {recorded} > {bound} over {elapsed:.3}s"
    );
    assert!(limited > 0);
    // Memory: at most the rings (capacity × 32 bytes per thread) plus slack
    // for thread stacks and allocator noise; a leak per call would be
    // hundreds of MiB.
    let growth = rss_after.saturating_sub(rss_before);
    let ring_bytes = THREADS * RING as u64 * 32;
    assert!(
        growth <= ring_bytes + 16 * 1024 * 1024,
        "RSS grew {growth} bytes"
    );
}

#[test]
fn breaker_opens_then_closes_when_tokens_return() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let guard = renacer::ConfigBuilder::defaults().rate_limit(1_000).init();
    assert_eq!(renacer::stats().breaker, BreakerState::Closed);
    // Exhaust the bucket (burst 1000).
    let mut limited = false;
    for _ in 0..100_000 {
        if !enter(&FLOOD).is_recording() {
            limited = true;
            break;
        }
    }
    assert!(limited);
    assert_eq!(renacer::stats().breaker, BreakerState::Open);
    // Tokens return over time (1 per ms): the next batch half-opens it.
    let mut reopened = false;
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(10));
        if enter(&FLOOD).is_recording() {
            reopened = true;
            break;
        }
    }
    assert!(reopened);
    assert_ne!(renacer::stats().breaker, BreakerState::Open);
    // Once the bucket is back above half its burst, it is closed: idle for
    // a while (refill 1/ms), then spend more than the thread's cached batch
    // so a span takes from the bucket again.
    let mut closed = false;
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(700));
        for _ in 0..128 {
            drop(enter(&FLOOD));
        }
        if renacer::stats().breaker == BreakerState::Closed {
            closed = true;
            break;
        }
    }
    assert!(closed);
    drop(guard);
}
