//! Sampling decisions on the slow path: adopting a new configuration,
//! drawing countdowns, and deciding roots and per-site calls whose
//! countdown is due. The fast path (a countdown still running) lives in
//! `record::enter`; see `Hot::skip` for the countdown encoding.

use std::cell::Cell;
use std::thread::LocalKey;

use super::ring::{Counters, Ring};
use super::sampler;
use super::thread::Hot;

/// Adopts a new configuration (`init` again) on this thread: drops the
/// cached tokens, generator and countdown, and replaces the ring if the
/// configured capacity changed. Only at depth 0, where no open span holds
/// a reserved slot in the old ring; deeper calls keep the old state until
/// the tree closes.
#[cold]
#[inline(never)]
pub(crate) fn refresh(h: &Hot, active: u64) {
    if h.depth.get() != 0 {
        return;
    }
    h.generation.set(active);
    h.tokens.set(0);
    h.rng.set(None);
    h.skip.set(0);
    h.rest.set(0);
    h.resize_ring();
}

/// Draws a geometric skip count at `rate` from the thread's generator and
/// counts the calls it skips as sampled out.
pub(crate) fn draw(h: &Hot, ring: &Ring, rate: f64) -> u64 {
    let mut rng = h
        .rng
        .take()
        .unwrap_or_else(|| sampler::thread_rng(ring.thread_no));
    let n = sampler::geometric_skip(&mut rng, rate);
    h.rng.set(Some(rng));
    Counters::bump(&ring.counters.sampled_out, n.min(u32::MAX as u64));
    n
}

/// Decides a call at depth 0 under the global rate whose countdown is
/// due (1) or not started (0). On `true`, `saved_skip` holds the next
/// countdown.
#[cold]
#[inline(never)]
pub(crate) fn decide_root(h: &Hot, ring: &Ring) -> bool {
    let rate = sampler::rate();
    if rate >= 1.0 && h.skip.get() <= 1 && super::root_hook() {
        // The rate-1 shortcut of the recording path, taken here while a
        // root-context provider is installed: no draw, just the provider.
        h.saved_skip.set(1);
        super::push_root_parent(ring, 0);
        return true;
    }
    let v = h.skip.get();
    if v > 1 {
        h.skip.set(v - 1);
        return false;
    }
    if v == 0 {
        // No countdown yet: draw one as if the previous sample just happened,
        // so a thread's first call is not always sampled.
        let r = draw(h, ring, rate);
        if r > 0 {
            set_countdown(h, r - 1);
            return false;
        }
    } else if h.rest.get() > 0 {
        // A long countdown continues (see `sampler::MAX_COUNTDOWN`).
        let r = h.rest.get() - 1;
        set_countdown(h, r);
        return false;
    }
    let (next, rest) = sampler::split_countdown(draw(h, ring, rate));
    h.saved_skip.set(next);
    h.rest.set(rest);
    if super::root_hook() {
        super::push_root_parent(ring, 0);
    }
    true
}

/// Skips the next `r` calls, then samples.
fn set_countdown(h: &Hot, r: u64) {
    let (v, rest) = sampler::split_countdown(r);
    h.skip.set(v);
    h.rest.set(rest);
}

/// Decides a per-site call whose countdown is due (1) or not started (0).
#[cold]
#[inline(never)]
pub(crate) fn site_decide(
    h: &Hot,
    active: u64,
    rate: f64,
    skip: &'static LocalKey<Cell<u64>>,
) -> bool {
    if h.generation.get() != active {
        refresh(h, active);
    }
    let Some(ring) = h.ring() else {
        return false;
    };
    let mut v = skip.with(Cell::get);
    if v == 0 {
        v = draw(h, ring, rate).saturating_add(1);
    }
    if v > 1 {
        skip.with(|s| s.set(v - 1));
        return false;
    }
    let next = draw(h, ring, rate).saturating_add(1);
    skip.with(|s| s.set(next));
    if h.depth.get() == 0 && super::root_hook() {
        super::push_root_parent(ring, 0);
    }
    true
}
