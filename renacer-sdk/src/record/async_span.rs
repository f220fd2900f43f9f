//! Async spans: from the first poll of a future to its completion, on
//! whatever threads it is polled.
//!
//! `enter_async` (called by the macro inside the `async` body, so at the
//! first poll) pushes `ASYNC_START` with a span id chosen here, on the
//! producer side, because later events on other threads must name it. Each
//! poll of the [`Instrumented`] future pushes `RESUME`/`SUSPEND` around the
//! inner poll, so sync spans recorded during the poll become its children
//! (and, like under a recorded sync root, are recorded: head sampling). The
//! end (`ASYNC_END`) is pushed on the thread that completes or drops it.
//!
//! [`AsyncSpan`] is `Send` and doubles as a generic dynamic span (the
//! `tracing` layer starts one on a thread and ends it on any other; its
//! [`AsyncSpan::enter`] scopes map to `RESUME`/`SUSPEND`).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::thread::LocalKey;

use super::event::{self, Event};
use super::ids::{self, span_id, CUR_ASYNC};
use super::ring::{Counters, Ring};
use super::thread::{Hot, HOT};
use super::{clock, decide_root, refresh, IntoFieldValue, Site, ACTIVE};

/// Handle of an async (or dynamic) span. Ends when dropped, or when the
/// future it instruments completes.
#[derive(Debug)]
pub struct AsyncSpan {
    /// 0 when not recording (or already ended).
    id: u64,
    /// The span's trace id (resolved at the start, see `record::ids`).
    trace: u128,
    error: Cell<bool>,
}

impl AsyncSpan {
    const fn inert() -> AsyncSpan {
        AsyncSpan {
            id: 0,
            trace: 0,
            error: Cell::new(false),
        }
    }

    /// Whether this span is being recorded.
    pub fn is_recording(&self) -> bool {
        self.id != 0
    }

    /// The span's id (as exported), when recording.
    pub fn span_id(&self) -> Option<crate::model::SpanId> {
        (self.id != 0).then_some(crate::model::SpanId(self.id))
    }

    /// Attaches field `index` of the site's field list (macro API).
    #[doc(hidden)]
    pub fn record_field<V: IntoFieldValue>(&self, index: u8, value: V) {
        if self.id == 0 {
            return;
        }
        let raw = value.__into_raw();
        if matches!(raw, super::event::RawField::Absent) {
            return;
        }
        let ev = [
            Event::simple(event::TARGET, self.id, 0, 0),
            Event::field(index, raw, true),
        ];
        if !push_here(&ev) {
            // SAFETY: not pushed, so we own the only copy.
            unsafe { ev[1].discard() };
        }
    }

    /// Marks the span as failed.
    pub fn set_error(&self) {
        self.error.set(true);
    }

    /// Makes this span the parent of sync spans recorded on this thread
    /// until the returned guard drops (one poll, or one `tracing` enter).
    pub fn enter(&self) -> PollGuard {
        enter_scope(self.id, self.trace)
    }

    /// Wraps `fut`: each poll runs inside [`AsyncSpan::enter`], and the span
    /// ends when the future completes (or is dropped).
    pub fn instrument<F: Future>(self, fut: F) -> Instrumented<F> {
        Instrumented { span: self, fut }
    }

    fn end(&mut self) {
        if self.id == 0 {
            return;
        }
        let mut flags = 0;
        if self.error.get() {
            flags |= event::FLAG_ERROR;
        }
        if std::thread::panicking() {
            flags |= event::FLAG_ERROR | event::FLAG_PANIC;
        }
        push_here(&[Event::simple(
            event::ASYNC_END,
            self.id,
            clock::raw_now(),
            flags,
        )]);
        self.id = 0;
    }
}

impl Drop for AsyncSpan {
    fn drop(&mut self) {
        self.end();
    }
}

/// Makes span `id` of trace `trace` (0: none) the current span of this
/// thread until the guard drops: a `RESUME`/`SUSPEND` pair around one poll.
/// The span may have been started (and even ended) on another thread: the
/// `RESUME` carries its trace, so nothing waits for its start.
fn enter_scope(id: u64, trace: u128) -> PollGuard {
    let mut guard = PollGuard {
        id: 0,
        prev_cur: 0,
        prev_id: 0,
        prev_trace: 0,
    };
    if id == 0 {
        return guard;
    }
    let pushed = HOT
        .try_with(|h| {
            let ring = h.ring()?;
            let depth = h.depth.get();
            // SAFETY: own ring, single producer; reserve the SUSPEND slot
            // and the exits of open spans.
            if !unsafe { ring.push(&[Event::resume(id, trace)], depth + 1) } {
                Counters::bump(&ring.counters.events_dropped, 1);
                return None;
            }
            if depth == 0 {
                // Sync spans during the poll are this span's children:
                // record them all (head sampling), as under a sync root.
                h.saved_skip.set(h.skip.get());
                h.skip.set(1);
            }
            h.depth.set(depth + 1);
            // This span is the thread's current one during the poll.
            guard.prev_cur = h.cur.replace(CUR_ASYNC);
            guard.prev_id = h.poll_id.replace(id);
            guard.prev_trace = h.poll_trace.replace(trace);
            Some(())
        })
        .ok()
        .flatten();
    if pushed.is_some() {
        guard.id = id;
    }
    guard
}

/// `.in_span(..)` and `.in_current_span()` for any future, as
/// `tracing::Instrument` offers them.
pub trait Instrument: Future + Sized {
    /// Runs the future inside `span` (from [`crate::async_span!`]): each
    /// poll is the span's scope, and the span ends when the future
    /// completes or is dropped.
    fn in_span(self, span: AsyncSpan) -> Instrumented<Self> {
        span.instrument(self)
    }

    /// Runs each poll of the future — on whatever thread: a
    /// `tokio::spawn`ed task — as a scope of the span current here and now,
    /// so the spans it records are that span's children. Nothing changes
    /// when no span is current (or it is not recorded).
    fn in_current_span(self) -> InCurrentSpan<Self> {
        let (trace, id) = super::ids::current().unwrap_or((0, 0));
        InCurrentSpan {
            id,
            trace,
            fut: self,
        }
    }
}

impl<F: Future> Instrument for F {}

/// A future whose polls run in the span that was current when it was made
/// (see [`Instrument::in_current_span`]).
#[derive(Debug)]
pub struct InCurrentSpan<F> {
    id: u64,
    trace: u128,
    fut: F,
}

impl<F: Future> Future for InCurrentSpan<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: structural pinning of `fut`, as in `Instrumented::poll`:
        // never moved out; `id`/`trace` are plain data.
        let this = unsafe { self.get_unchecked_mut() };
        let _scope = enter_scope(this.id, this.trace);
        // SAFETY: see above.
        unsafe { Pin::new_unchecked(&mut this.fut) }.poll(cx)
    }
}

/// Scope of one poll (see [`AsyncSpan::enter`]).
#[derive(Debug)]
#[must_use]
pub struct PollGuard {
    id: u64,
    /// The thread's current-span state before the poll (`Hot::cur`,
    /// `poll_id`, `poll_trace`), restored when it ends.
    prev_cur: u64,
    prev_id: u64,
    prev_trace: u128,
}

impl Drop for PollGuard {
    fn drop(&mut self) {
        if self.id == 0 {
            return;
        }
        let _ = HOT.try_with(|h| {
            let p = h.ring.get();
            if !p.is_null() {
                // SAFETY: non-null `ring` is this thread's live ring; the
                // slot was reserved by the RESUME push.
                let ring = unsafe { &*p };
                // SAFETY: single producer (own ring).
                if !unsafe { ring.push(&[Event::simple(event::SUSPEND, self.id, 0, 0)], 0) } {
                    Counters::bump(&ring.counters.events_dropped, 1);
                }
            }
            h.cur.set(self.prev_cur);
            h.poll_id.set(self.prev_id);
            h.poll_trace.set(self.prev_trace);
            let depth = h.depth.get().saturating_sub(1);
            h.depth.set(depth);
            if depth == 0 {
                h.skip.set(h.saved_skip.get());
            }
        });
    }
}

/// Pushes events to this thread's ring, keeping open spans' exit slots.
fn push_here(events: &[Event]) -> bool {
    HOT.try_with(|h| {
        let Some(ring) = h.ring() else {
            return false;
        };
        // SAFETY: own ring, single producer.
        if unsafe { ring.push(events, h.depth.get()) } {
            true
        } else {
            Counters::bump(&ring.counters.events_dropped, 1);
            false
        }
    })
    .unwrap_or(false)
}

/// Starts an async span of `site` under the global sample rate.
pub fn enter_async(site: &'static Site) -> AsyncSpan {
    HOT.with(|h| {
        let skip = h.skip.get();
        if skip > 1 {
            h.skip.set(skip - 1);
            return AsyncSpan::inert();
        }
        let active = ACTIVE.load(Ordering::Relaxed);
        if active == 0 {
            return AsyncSpan::inert();
        }
        if h.generation.get() != active {
            refresh(h, active);
        }
        let Some(ring) = h.ring() else {
            return AsyncSpan::inert();
        };
        if h.depth.get() == 0 {
            if !decide_root(h, ring) {
                return AsyncSpan::inert();
            }
            // The async span does not hold this thread's countdown open
            // (its polls do, see `AsyncSpan::enter`): continue it now.
            h.skip.set(h.saved_skip.get());
        }
        start(h, ring, site)
    })
}

/// Starts an async span of `site` under its own sample rate.
#[inline(always)]
pub fn enter_async_with_rate(
    site: &'static Site,
    rate: f64,
    skip: &'static LocalKey<Cell<u64>>,
) -> AsyncSpan {
    if super::site_skips(skip) {
        return AsyncSpan::inert();
    }
    enter_async_with_rate_due(site, rate, skip)
}

/// The due path, out of line for the same reason as the sync one
/// (`record::enter_with_rate_due`).
#[inline(never)]
fn enter_async_with_rate_due(
    site: &'static Site,
    rate: f64,
    skip: &'static LocalKey<Cell<u64>>,
) -> AsyncSpan {
    super::decide_site_call(rate, skip, AsyncSpan::inert, |h, _| match h.ring() {
        Some(ring) => start(h, ring, site),
        None => AsyncSpan::inert(),
    })
}

fn start(h: &Hot, ring: &Ring, site: &'static Site) -> AsyncSpan {
    if !super::take_token(h, ring) {
        return AsyncSpan::inert();
    }
    let counter = h.async_counter.get() + 1;
    h.async_counter.set(counter);
    let id = span_id(ring.thread_no, counter, true);
    if h.depth.get() == 0 && super::root_hook() {
        super::push_root_parent(ring, h.depth.get());
    }
    // Same rule as the collector's: the current span's trace, or as a root
    // the outside / remote trace or a new one derived from the id.
    let trace = match ids::current_in(h) {
        Some((trace, _)) => trace,
        None => ids::root_trace(id),
    };
    let ev = Event::async_start(site, id, clock::raw_now());
    // SAFETY: own ring, single producer; keep the open spans' exit slots.
    if unsafe { ring.push(&[ev], h.depth.get()) } {
        AsyncSpan {
            id,
            trace,
            error: Cell::new(false),
        }
    } else {
        Counters::bump(&ring.counters.ring_dropped, 1);
        AsyncSpan::inert()
    }
}

/// A future wrapped in an async span.
#[derive(Debug)]
pub struct Instrumented<F> {
    span: AsyncSpan,
    fut: F,
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: structural pinning of `fut`: we never move it out of the
        // pinned `Instrumented`, and `Instrumented` has no Drop impl that
        // moves it. `span` is not structurally pinned (only read/ended).
        let this = unsafe { self.get_unchecked_mut() };
        let poll = {
            let _scope = this.span.enter();
            // SAFETY: see above: `fut` stays pinned inside `this`.
            unsafe { Pin::new_unchecked(&mut this.fut) }.poll(cx)
        };
        if poll.is_ready() {
            this.span.end();
        }
        poll
    }
}

// `AsyncSpan` and instrumented futures must cross threads.
const _: () = {
    const fn is_send<T: Send>() {}
    is_send::<AsyncSpan>();
    is_send::<Instrumented<std::future::Ready<()>>>();
};
