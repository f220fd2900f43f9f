//! Self-telemetry: how many spans were recorded, skipped, dropped (and
//! why) and exported. Every drop anywhere in renacer lands in one of these
//! counters, and they add up exactly (once [`crate::flush`] returned):
//!
//! ```text
//! instrumented calls + gpu_items = recorded + sampled_out
//!                      + below_threshold + rate_limited + ring_dropped
//! recorded           = exported + export_dropped + collector_dropped + open
//! ```
//!
//! where `open` counts spans recorded but not finished yet (still open, or
//! an async span waiting for the collector's next drain); it is 0 after
//! shutdown, when every open span was exported as unfinished.
//!
//! `events_dropped` counts ring events that are not spans (fields, poll
//! markers) lost to a full ring: the span they belong to is still counted
//! above.

use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::record::breaker::BreakerState;

static RECORDED: AtomicU64 = AtomicU64::new(0);
/// Spans handed to the sinks (exported + export_dropped).
static HANDED: AtomicU64 = AtomicU64::new(0);
static EXPORT_ERRORS: AtomicU64 = AtomicU64::new(0);
static EXPORT_DROPPED: AtomicU64 = AtomicU64::new(0);
static COLLECTOR_DROPPED: AtomicU64 = AtomicU64::new(0);
static MISNESTED: AtomicU64 = AtomicU64::new(0);
/// Gauge: recorded spans not yet exported or dropped, as of the last pass.
static OPEN: AtomicU64 = AtomicU64::new(0);
static GPU_ITEMS: AtomicU64 = AtomicU64::new(0);
static GPU_DROPPED: AtomicU64 = AtomicU64::new(0);

/// A snapshot of renacer's counters (totals since process start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Spans (sync and async) that reached the collector.
    pub recorded: u64,
    /// Calls skipped by sampling. Counted once they happened, per piece of
    /// at most 1024 calls: it lags by at most one piece per live thread
    /// (and per per-site-rate site a thread calls), never runs ahead.
    pub sampled_out: u64,
    /// Compute blocks (`compute!`, traced trueno operations) sampled and
    /// timed but shorter than their duration threshold
    /// (`RENACER_COMPUTE_SIMD_THRESHOLD_US` / `_GPU_`): counted, not
    /// recorded.
    pub below_threshold: u64,
    /// Spans dropped because the rate limiter's breaker was open.
    pub rate_limited: u64,
    /// Spans not recorded because their thread's ring was full.
    pub ring_dropped: u64,
    /// Non-span events (fields, poll markers) lost to a full ring.
    pub events_dropped: u64,
    /// Recorded spans the collector dropped (too many async spans open at
    /// once, spans of an exited thread left open).
    pub collector_dropped: u64,
    /// Spans the sinks took.
    pub exported: u64,
    /// Export failures reported by exporters (failed writes, requests, a
    /// panicking sink).
    pub export_errors: u64,
    /// Spans handed to the sinks but lost there (full queue, failed write,
    /// unreachable collector, a sink that panicked), or with no sink to go
    /// to. With several sinks, a span any sink lost counts here.
    pub export_dropped: u64,
    /// Sync spans that ended while a span entered after them on the same
    /// thread was still open: guards dropped out of order, or a `span!`
    /// guard held across an `.await` on a single-threaded runtime (other
    /// tasks' spans then nest under it). Each still ends itself; spans
    /// started meanwhile may be misattributed.
    pub misnested: u64,
    /// Recorded spans not yet exported or dropped as of the collector's
    /// last pass: still open (entered, not exited), or async spans
    /// completed and waiting for the next drain.
    pub open: u64,
    /// GPU items (kernels, copies, sets; feature `cuda`) that reached the
    /// collector. They travel in the same batches as spans and are counted
    /// in `recorded` too, so `instrumented calls + gpu_items = recorded +
    /// sampled_out + below_threshold + rate_limited + ring_dropped`.
    pub gpu_items: u64,
    /// CUDA activity lost: records CUPTI dropped for lack of a buffer,
    /// records that could not be decoded, items the full queue refused.
    pub gpu_dropped: u64,
    /// State of the rate limiter's circuit breaker.
    pub breaker: BreakerState,
}

/// Current counters. Spans still sitting in rings are not yet `recorded`;
/// call [`crate::flush`] first for exact totals.
pub fn stats() -> Stats {
    let t = crate::record::thread::registry().totals();
    let handed = HANDED.load(Ordering::Relaxed);
    // A sink reports its losses after the hand-over (an OTLP batch that
    // fails later); capped so two sinks losing the same span count it once
    // at most per hand-over.
    let export_dropped = EXPORT_DROPPED.load(Ordering::Relaxed).min(handed);
    Stats {
        recorded: RECORDED.load(Ordering::Relaxed),
        sampled_out: t.sampled_out,
        below_threshold: t.below_threshold,
        rate_limited: t.rate_limited,
        ring_dropped: t.ring_dropped,
        events_dropped: t.events_dropped,
        collector_dropped: COLLECTOR_DROPPED.load(Ordering::Relaxed),
        exported: handed - export_dropped,
        export_errors: EXPORT_ERRORS.load(Ordering::Relaxed),
        export_dropped,
        misnested: MISNESTED.load(Ordering::Relaxed),
        open: OPEN.load(Ordering::Relaxed),
        gpu_items: GPU_ITEMS.load(Ordering::Relaxed),
        gpu_dropped: GPU_DROPPED.load(Ordering::Relaxed),
        breaker: crate::record::breaker::state(),
    }
}

pub(crate) fn add_recorded(n: u64) {
    RECORDED.fetch_add(n, Ordering::Relaxed);
}
pub(crate) fn add_handed(n: u64) {
    HANDED.fetch_add(n, Ordering::Relaxed);
}
pub(crate) fn add_export_errors(n: u64) {
    EXPORT_ERRORS.fetch_add(n, Ordering::Relaxed);
}
pub(crate) fn add_export_dropped(n: u64) {
    EXPORT_DROPPED.fetch_add(n, Ordering::Relaxed);
}
pub(crate) fn add_gpu_items(n: u64) {
    GPU_ITEMS.fetch_add(n, Ordering::Relaxed);
}
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
pub(crate) fn add_gpu_dropped(n: u64) {
    GPU_DROPPED.fetch_add(n, Ordering::Relaxed);
}
pub(crate) fn add_misnested(n: u64) {
    MISNESTED.fetch_add(n, Ordering::Relaxed);
}

/// The one line printed at shutdown when spans were lost or misnested
/// (`None` when nothing was): what was lost, where, and the knob to turn.
pub(crate) fn exit_summary(s: &Stats) -> Option<String> {
    let lost = s.rate_limited + s.ring_dropped + s.collector_dropped + s.export_dropped;
    if lost == 0 && s.events_dropped == 0 && s.misnested == 0 && s.gpu_dropped == 0 {
        return None;
    }
    let mut parts = Vec::new();
    if s.rate_limited > 0 {
        parts.push(format!(
            "{} rate-limited (RENACER_RATE_LIMIT, default 10000 spans/s)",
            s.rate_limited
        ));
    }
    if s.ring_dropped > 0 {
        parts.push(format!(
            "{} dropped by full rings (RENACER_RING_CAPACITY)",
            s.ring_dropped
        ));
    }
    if s.collector_dropped > 0 {
        parts.push(format!("{} dropped by the collector", s.collector_dropped));
    }
    if s.export_dropped > 0 {
        parts.push(format!("{} lost by the sinks", s.export_dropped));
    }
    if s.events_dropped > 0 {
        parts.push(format!(
            "{} fields or poll markers dropped",
            s.events_dropped
        ));
    }
    if s.gpu_dropped > 0 {
        parts.push(format!("{} CUDA activity records lost", s.gpu_dropped));
    }
    if s.misnested > 0 {
        parts.push(format!(
            "{} spans ended out of order (a span! guard held across .await?)",
            s.misnested
        ));
    }
    Some(format!(
        "renacer: {lost} of {} spans not exported: {} (RENACER_EXIT_SUMMARY=off silences this)",
        s.recorded + s.rate_limited + s.ring_dropped,
        parts.join(", ")
    ))
}

/// A `fork()`ed child counts its own spans only.
#[cfg(not(loom))]
pub(crate) fn reset_after_fork() {
    for c in [
        &RECORDED,
        &HANDED,
        &EXPORT_ERRORS,
        &EXPORT_DROPPED,
        &COLLECTOR_DROPPED,
        &MISNESTED,
        &OPEN,
        &GPU_ITEMS,
        &GPU_DROPPED,
    ] {
        c.store(0, Ordering::Relaxed);
    }
}

pub(crate) fn set_open(n: u64) {
    OPEN.store(n, Ordering::Relaxed);
}
pub(crate) fn add_collector_dropped(n: u64) {
    COLLECTOR_DROPPED.fetch_add(n, Ordering::Relaxed);
}
