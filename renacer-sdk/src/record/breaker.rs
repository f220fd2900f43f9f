//! The rate limiter: a global token bucket used as a circuit breaker.
//!
//! Threads take tokens in batches of [`BATCH`] into a thread-local count, so
//! the shared atomic is touched once per 64 recorded spans. Refill is lazy:
//! the thread that finds the bucket empty credits the tokens accrued since
//! the last refill (no timer thread). When no token is left the breaker is
//! *open*: spans are dropped and counted as `rate_limited`; the first
//! successful take after that moves it to *half-open*, and it is *closed*
//! again once the bucket is back above half its burst. Never blocks (every
//! loop is a bounded number of CAS attempts) and never allocates.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use super::clock::now_monotonic_ns;

/// Tokens a thread takes from the global bucket at a time.
pub(crate) const BATCH: u64 = 64;
/// Batch handed out when there is no limit: large, so the shared state is
/// practically never touched.
const UNLIMITED_BATCH: u64 = 1 << 20;

static LIMIT: AtomicU64 = AtomicU64::new(10_000);
static TOKENS: AtomicU64 = AtomicU64::new(10_000);
static LAST_NS: AtomicU64 = AtomicU64::new(0);
static STATE: AtomicU8 = AtomicU8::new(CLOSED);
/// Moved on by the collector at every pass (see [`tick`]).
static EPOCH: AtomicU64 = AtomicU64::new(0);

const CLOSED: u8 = 0;
const OPEN: u8 = 1;
const HALF_OPEN: u8 = 2;

/// State of the circuit breaker, as reported by `stats()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Tokens available: spans are recorded.
    Closed,
    /// Bucket empty: spans are dropped and counted as rate-limited.
    Open,
    /// Tokens are trickling back after an open period.
    HalfOpen,
}

/// Sets the limit (spans/s, 0 = unlimited) and fills the bucket.
pub(crate) fn configure(limit: u64) {
    LIMIT.store(limit, Ordering::Relaxed);
    TOKENS.store(burst(limit), Ordering::Relaxed);
    LAST_NS.store(now_monotonic_ns(), Ordering::Relaxed);
    STATE.store(CLOSED, Ordering::Relaxed);
}

/// Bucket capacity: one second of tokens (at least one batch).
pub(crate) fn burst(limit: u64) -> u64 {
    limit.max(BATCH)
}

pub(crate) fn state() -> BreakerState {
    match STATE.load(Ordering::Relaxed) {
        OPEN => BreakerState::Open,
        HALF_OPEN => BreakerState::HalfOpen,
        _ => BreakerState::Closed,
    }
}

/// The current epoch: a thread refused by an empty bucket waits for the
/// next one before it asks the bucket again.
#[inline(always)]
pub(crate) fn epoch() -> u64 {
    EPOCH.load(Ordering::Relaxed)
}

/// Starts a new epoch; the collector calls it once per pass, so a refused
/// thread asks again at most one flush interval later.
pub(crate) fn tick() {
    EPOCH.fetch_add(1, Ordering::Relaxed);
}

/// Takes up to one batch of tokens; 0 means the breaker is open.
#[cold]
#[inline(never)]
pub(crate) fn take_batch() -> u64 {
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit == 0 {
        return UNLIMITED_BATCH;
    }
    let burst = burst(limit);
    for _ in 0..8 {
        let cur = TOKENS.load(Ordering::Relaxed);
        if cur == 0 {
            if refill(limit, burst) {
                continue;
            }
            // Load first: a store on every refusal would bounce the line
            // between the refused threads.
            if STATE.load(Ordering::Relaxed) != OPEN {
                STATE.store(OPEN, Ordering::Relaxed);
            }
            return 0;
        }
        let take = cur.min(BATCH);
        if TOKENS
            .compare_exchange_weak(cur, cur - take, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            match STATE.load(Ordering::Relaxed) {
                OPEN => STATE.store(HALF_OPEN, Ordering::Relaxed),
                HALF_OPEN if cur - take >= burst / 2 => STATE.store(CLOSED, Ordering::Relaxed),
                _ => {}
            }
            return take;
        }
    }
    // Heavy contention: treat as empty rather than spin.
    0
}

/// Credits the tokens accrued since the last refill. Returns whether any
/// tokens may now be available.
fn refill(limit: u64, burst: u64) -> bool {
    let now = now_monotonic_ns();
    let last = LAST_NS.load(Ordering::Relaxed);
    let elapsed = now.saturating_sub(last) as u128;
    let add = (elapsed * limit as u128 / 1_000_000_000) as u64;
    if add == 0 {
        return false;
    }
    // Advance `last` only by the time the credited tokens stand for, so the
    // fractional remainder is not lost.
    let used = (add as u128 * 1_000_000_000 / limit as u128) as u64;
    if LAST_NS
        .compare_exchange(last, last + used, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
    {
        let _ = TOKENS.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
            Some(t.saturating_add(add).min(burst))
        });
    }
    // Either we credited the tokens or another thread just did.
    true
}
