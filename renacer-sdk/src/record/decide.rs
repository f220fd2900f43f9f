//! Sampling decisions on the slow path: adopting a new configuration,
//! drawing countdowns, and deciding roots and per-site calls whose
//! countdown is due. The fast path (a countdown still running) lives in
//! `record::enter`; see `Hot::skip` for the countdown encoding.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
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
    #[cfg(not(loom))]
    if active == super::fork::FORKED {
        // First call in a fork()ed child: restart there (resets this
        // thread's state too); this call records into the new runtime.
        super::fork::restart_in_child();
        return;
    }
    if h.depth.get() != 0 {
        return;
    }
    settle(h);
    h.generation.set(active);
    h.tokens.set(0);
    h.denied_in.set(0);
    h.rng.set(None);
    h.skip.set(0);
    h.rest.set(0);
    h.resize_ring();
}

/// Counts the calls the current piece of the global countdown has already
/// skipped, before the countdown is thrown away (new configuration, thread
/// exit). Call only at depth 0, where `skip` holds the countdown itself.
pub(crate) fn settle(h: &Hot) {
    let piece = h.piece.replace(0);
    let p = h.ring.get();
    if piece == 0 || p.is_null() {
        return;
    }
    // SAFETY: non-null `ring` is this thread's live ring (see `Hot::ring`).
    let ring = unsafe { &*p };
    let left = h.skip.get().saturating_sub(1).min(piece);
    Counters::bump(&ring.counters.sampled_out, piece - left);
}

/// Draws a geometric skip count at `rate` from the thread's generator.
/// (Skipped calls are counted as sampled out when they happen, piece by
/// piece: see `decide_root` and `site_decide`.)
pub(crate) fn draw(h: &Hot, ring: &Ring, rate: f64) -> u64 {
    let mut rng = h
        .rng
        .take()
        .unwrap_or_else(|| sampler::thread_rng(ring.thread_no));
    let n = sampler::geometric_skip(&mut rng, rate);
    h.rng.set(Some(rng));
    n
}

/// Decides a call at depth 0 under the global rate whose countdown is
/// due (1) or not started (0). On `true`, `saved_skip` holds the next
/// countdown.
///
/// `sampled_out` honesty: the hot path skips the calls of the current
/// piece (`Hot::piece`, at most `sampler::MAX_COUNTDOWN`) without
/// counting; they are counted here, when the piece is used up, and calls
/// skipped here are counted one by one. So `sampled_out` never includes a
/// call that has not happened, and lags by at most one piece per thread.
#[cold]
#[inline(never)]
pub(crate) fn decide_root(h: &Hot, ring: &Ring) -> bool {
    let rate = sampler::rate();
    let v = h.skip.get();
    if v > 1 {
        // Part of the current piece (counted when it is used up).
        h.skip.set(v - 1);
        return false;
    }
    // The current piece (if any) is used up.
    Counters::bump(&ring.counters.sampled_out, h.piece.replace(0));
    if rate >= 1.0 && v <= 1 && super::root_hook() {
        // The rate-1 shortcut of the recording path, taken here while a
        // root-context provider is installed: no draw, just the provider.
        h.saved_skip.set(1);
        super::push_root_parent(ring, 0);
        return true;
    }
    if v == 0 {
        // No countdown yet: draw one as if the previous sample just happened,
        // so a thread's first call is not always sampled.
        let r = draw(h, ring, rate);
        if r > 0 {
            Counters::bump(&ring.counters.sampled_out, 1);
            set_countdown(h, r - 1);
            return false;
        }
    } else if h.rest.get() > 0 {
        // A long countdown continues (see `sampler::MAX_COUNTDOWN`).
        Counters::bump(&ring.counters.sampled_out, 1);
        let r = h.rest.get() - 1;
        set_countdown(h, r);
        return false;
    }
    let (next, rest) = sampler::split_countdown(draw(h, ring, rate));
    h.saved_skip.set(next);
    h.rest.set(rest);
    h.piece.set(next - 1);
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
    h.piece.set(v - 1);
}

/// Decides a per-site call whose countdown is due (1) or not started (0).
/// Per-site countdowns are fed in pieces too, and counted the same way;
/// each site's piece length and the rest of its countdown live in this
/// thread's [`SITE_PIECES`] (one entry per per-site-rate site the thread
/// ever called: bounded by the program's sites).
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
    let rate = sampler::site_rate(rate);
    let v = skip.with(Cell::get);
    if v > 1 {
        // Not due (callers only come here when it is; kept for safety).
        skip.with(|s| s.set(v - 1));
        return false;
    }
    let key = skip as *const LocalKey<Cell<u64>> as usize;
    let decided = SITE_PIECES.try_with(|pieces| {
        let mut pieces = pieces.borrow_mut();
        let entry = pieces.entry(key).or_default();
        if v == 1 {
            Counters::bump(&ring.counters.sampled_out, std::mem::take(&mut entry.0));
        }
        let r = if v == 0 {
            draw(h, ring, rate)
        } else {
            std::mem::take(&mut entry.1)
        };
        if r == 0 {
            // Sampled: start the next countdown.
            let (next, rest) = sampler::split_countdown(draw(h, ring, rate));
            *entry = (next - 1, rest);
            skip.with(|s| s.set(next));
            return true;
        }
        // This call is skipped, then the countdown goes on.
        Counters::bump(&ring.counters.sampled_out, 1);
        let (next, rest) = sampler::split_countdown(r - 1);
        *entry = (next - 1, rest);
        skip.with(|s| s.set(next));
        false
    });
    // Without the table (thread exiting): sample, and start over later.
    if decided == Ok(false) {
        return false;
    }
    if h.depth.get() == 0 && super::root_hook() {
        super::push_root_parent(ring, 0);
    }
    true
}

thread_local! {
    /// Per-site countdown state of this thread, keyed by the site's
    /// countdown cell: (calls of the piece now in the cell, calls left
    /// after it).
    static SITE_PIECES: RefCell<HashMap<usize, (u64, u64), BuildHasherDefault<renacer_format::hash::IdHasher>>> =
        RefCell::new(HashMap::default());
}
