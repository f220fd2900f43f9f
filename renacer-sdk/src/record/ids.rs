//! Span and trace ids, derivable on both sides of the ring.
//!
//! The recording thread must be able to name its current span (to hand a
//! `traceparent` to a child process or a request) although the collector
//! assigns ids only later. So ids are *derived*, never drawn:
//!
//! - a sync span's id is a keyed bijective mix of (thread number, absolute
//!   ring position of its `ENTER` event). The producer learns the position
//!   from the push; the collector counts the events it drains. Recording
//!   adds two thread-local stores (the innermost span, and at depth 0 the
//!   root) and no arithmetic: the mix is computed only when someone asks;
//! - an async span's id is chosen by the producer from a per-thread counter
//!   (its later events, possibly on other threads, must name it);
//! - a new trace's id is a keyed mix of its root span's id, so the
//!   collector and the producer agree without exchanging it. A joined
//!   remote trace (`TRACEPARENT`) or an outside parent (the root-context
//!   provider) takes precedence, on both sides.
//!
//! The key is drawn once per process, so ids of different processes look
//! unrelated and ids within a process are unique (the mix is a bijection
//! of distinct inputs; positions are taken modulo 2^39 events per thread).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::thread::{Hot, HOT};
use super::{clock, sampler};

/// `Hot::cur` while a poll of an async (or dynamic) span is the innermost
/// open span: its id and trace are in `Hot::poll_id` / `Hot::poll_trace`.
/// Other non-zero values are a sync `ENTER` position + 1.
pub(crate) const CUR_ASYNC: u64 = 1 << 61;

/// The per-process key (0: not drawn yet).
static PROCESS_KEY: AtomicU64 = AtomicU64::new(0);

/// A per-process key, so span ids of different processes look unrelated.
fn process_key() -> u64 {
    let k = PROCESS_KEY.load(Ordering::Relaxed);
    if k != 0 {
        return k;
    }
    let drawn = sampler::mix64(
        clock::now_monotonic_ns() ^ (std::process::id() as u64) << 40 ^ clock::raw_now(),
    ) | 1;
    match PROCESS_KEY.compare_exchange(0, drawn, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => drawn,
        Err(other) => other,
    }
}

/// A `fork()`ed child draws its own key: its thread numbers continue the
/// parent's, and must not give the same ids as the parent's later threads.
#[cfg(not(loom))]
pub(crate) fn reset_process_key() {
    PROCESS_KEY.store(0, Ordering::Relaxed);
}

/// Span id number `n` of thread `thread_no`: for sync spans `n` is the ring
/// position of the `ENTER` event, for async spans the thread's async
/// counter; the `is_async` bit keeps the two sequences apart.
pub(crate) fn span_id(thread_no: u64, n: u64, is_async: bool) -> u64 {
    let raw = thread_no << 40 | (is_async as u64) << 39 | (n & ((1 << 39) - 1));
    match sampler::mix64(raw ^ process_key()) {
        0 => 1,
        id => id,
    }
}

/// Trace id of a new trace whose root span has id `root`.
pub(crate) fn trace_of_root(root: u64) -> u128 {
    let k = process_key();
    let hi = sampler::mix64(root ^ k.rotate_left(29) ^ 0x7472_6163_655f_6869);
    let lo = sampler::mix64(root ^ k.rotate_left(7) ^ 0x7472_6163_655f_6c6f);
    match (hi as u128) << 64 | lo as u128 {
        0 => 1,
        id => id,
    }
}

thread_local! {
    /// Trace id the root-context provider gave the last root decided on
    /// this thread (0: none), see `record::push_root_parent`.
    static PROVIDED_TRACE: Cell<u128> = const { Cell::new(0) };
}

/// Notes the outside trace of the root being decided now (0: none).
pub(crate) fn set_provided_trace(trace: u128) {
    let _ = PROVIDED_TRACE.try_with(|c| c.set(trace));
}

/// Trace of a root span with id `root` starting on this thread now: the
/// provider's, else the joined remote trace, else a new one. The collector
/// decides the same way (`collect::pairing`).
pub(crate) fn root_trace(root: u64) -> u128 {
    let provided = PROVIDED_TRACE.try_with(Cell::get).unwrap_or(0);
    if provided != 0 && super::root_hook() {
        return provided;
    }
    match crate::remote::trace() {
        0 => trace_of_root(root),
        remote => remote,
    }
}

/// `(trace id, span id)` of the innermost recorded span open on this
/// thread (an async span while one of its polls runs here).
pub(crate) fn current_in(h: &Hot) -> Option<(u128, u64)> {
    let cur = h.cur.get();
    if cur == 0 {
        return None;
    }
    if cur == CUR_ASYNC {
        return Some((h.poll_trace.get(), h.poll_id.get()));
    }
    let p = h.ring.get();
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null `ring` points into this thread's live ring (see
    // `Hot::ring`).
    let thread_no = unsafe { &*p }.thread_no;
    let span = span_id(thread_no, cur - 1, false);
    let trace = if h.poll_id.get() != 0 {
        // Inside a poll: the tree is the async span's.
        h.poll_trace.get()
    } else {
        root_trace(span_id(thread_no, h.root.get().wrapping_sub(1), false))
    };
    Some((trace, span))
}

/// [`current_in`] for the calling thread.
pub(crate) fn current() -> Option<(u128, u64)> {
    HOT.try_with(current_in).ok().flatten()
}

/// Thread number no thread ever gets (numbers count up from 1 and stay
/// below 2^24): span ids of GPU items come from its sequence.
const GPU_THREAD_NO: u64 = (1 << 24) - 1;

/// Span id of the `n`th GPU item of this process: the same keyed mix as
/// every other span id, over a sequence no thread uses, so it collides
/// with none of them.
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
pub(crate) fn gpu_span_id(n: u64) -> u64 {
    span_id(GPU_THREAD_NO, n, true)
}
