//! Self-telemetry: how many spans were recorded, skipped, dropped (and
//! why) and exported. Every drop anywhere in renacer lands in one of these
//! counters.

use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::record::breaker::BreakerState;

static RECORDED: AtomicU64 = AtomicU64::new(0);
static EXPORTED: AtomicU64 = AtomicU64::new(0);
static EXPORT_ERRORS: AtomicU64 = AtomicU64::new(0);
static EXPORT_DROPPED: AtomicU64 = AtomicU64::new(0);
static COLLECTOR_DROPPED: AtomicU64 = AtomicU64::new(0);

/// A snapshot of renacer's counters (totals since process start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Spans (sync and async) that reached the collector.
    pub recorded: u64,
    /// Calls skipped by sampling. Counted once they happened, per piece of
    /// at most 1024 calls: it lags by at most one piece per live thread
    /// (and per per-site-rate site a thread calls), never runs ahead.
    pub sampled_out: u64,
    /// Spans dropped because the rate limiter's breaker was open.
    pub rate_limited: u64,
    /// Events dropped because a ring was full (or, rarely, by the
    /// collector: events naming an async span that never started).
    pub ring_dropped: u64,
    /// Spans handed to the exporters.
    pub exported: u64,
    /// Export failures reported by exporters (failed writes, requests).
    pub export_errors: u64,
    /// Spans exporters reported as dropped (full queues, failed batches).
    pub export_dropped: u64,
    /// State of the rate limiter's circuit breaker.
    pub breaker: BreakerState,
}

/// Current counters. Spans still sitting in rings are not yet `recorded`;
/// call [`crate::flush`] first for exact totals.
pub fn stats() -> Stats {
    let t = crate::record::thread::registry().totals();
    Stats {
        recorded: RECORDED.load(Ordering::Relaxed),
        sampled_out: t.sampled_out,
        rate_limited: t.rate_limited,
        ring_dropped: t.ring_dropped + COLLECTOR_DROPPED.load(Ordering::Relaxed),
        exported: EXPORTED.load(Ordering::Relaxed),
        export_errors: EXPORT_ERRORS.load(Ordering::Relaxed),
        export_dropped: EXPORT_DROPPED.load(Ordering::Relaxed),
        breaker: crate::record::breaker::state(),
    }
}

pub(crate) fn add_recorded(n: u64) {
    RECORDED.fetch_add(n, Ordering::Relaxed);
}
pub(crate) fn add_exported(n: u64) {
    EXPORTED.fetch_add(n, Ordering::Relaxed);
}
pub(crate) fn add_export_errors(n: u64) {
    EXPORT_ERRORS.fetch_add(n, Ordering::Relaxed);
}
pub(crate) fn add_export_dropped(n: u64) {
    EXPORT_DROPPED.fetch_add(n, Ordering::Relaxed);
}
pub(crate) fn add_collector_dropped(n: u64) {
    COLLECTOR_DROPPED.fetch_add(n, Ordering::Relaxed);
}
