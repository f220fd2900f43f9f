//! The guard of a synchronous span: its exit and its fields.

use std::cell::Cell;
use std::marker::PhantomData;

use super::event::{self, Event, RawField};
use super::ring::Counters;
use super::thread::HOT;
use super::{clock, IntoFieldValue};

const RECORDING: u64 = 1;
const ERROR: u64 = 2;
/// `state` keeps the thread's previous current span (`Hot::cur`) above
/// these flag bits, so the exit restores it without a stack: 0 (inert) is
/// still the whole cost of an unsampled guard.
const FLAG_BITS: u32 = 2;

/// Guard of a synchronous span: records the exit when dropped.
///
/// Not `Send`: the exit must be pushed to the ring of the thread that
/// pushed the enter. Use [`crate::AsyncSpan`] for spans that cross threads.
#[must_use = "the span ends when the guard is dropped"]
#[derive(Debug)]
pub struct SpanGuard {
    state: Cell<u64>,
    /// Ring position + 1 of this span's `ENTER` (0 when inert): the exit
    /// names its span, so guards dropped out of order end their own spans.
    own: u64,
    _not_send: PhantomData<*const ()>,
}

impl SpanGuard {
    pub(crate) const fn inert() -> SpanGuard {
        SpanGuard {
            state: Cell::new(0),
            own: 0,
            _not_send: PhantomData,
        }
    }

    /// A recording guard of the span entered at ring position `own - 1`;
    /// `prev` is the `Hot::cur` its span replaced.
    pub(crate) const fn recording(prev: u64, own: u64) -> SpanGuard {
        SpanGuard {
            state: Cell::new(prev << FLAG_BITS | RECORDING),
            own,
            _not_send: PhantomData,
        }
    }

    /// Whether this span is being recorded (fields are only worth computing
    /// when it is).
    #[inline(always)]
    pub fn is_recording(&self) -> bool {
        self.state.get() != 0
    }

    /// Attaches field `index` of the site's field list. Applies to the
    /// innermost open span of this thread, which is this one as long as
    /// guards are dropped in reverse order (they are, for the macros).
    #[inline]
    #[doc(hidden)]
    pub fn record_field<V: IntoFieldValue>(&self, index: u8, value: V) {
        if self.is_recording() {
            push_field(index, value.__into_raw());
        }
    }

    /// Marks the span as failed (`SpanStatus::Error`).
    #[inline]
    pub fn set_error(&self) {
        if self.is_recording() {
            self.state.set(self.state.get() | ERROR);
        }
    }
}

impl Drop for SpanGuard {
    #[inline(always)]
    fn drop(&mut self) {
        let state = self.state.get();
        if state != 0 {
            exit_recorded(state, self.own);
        }
    }
}

/// Out of line for the same reason as `record::enter_sampled`.
#[inline(never)]
fn exit_recorded(state: u64, own: u64) {
    HOT.with(|h| {
        let ts = clock::raw_now();
        let mut flags = 0;
        if state & ERROR != 0 {
            flags |= event::FLAG_ERROR;
        }
        if std::thread::panicking() {
            flags |= event::FLAG_PANIC | event::FLAG_ERROR;
        }
        let p = h.ring.get();
        if !p.is_null() {
            // SAFETY: non-null `ring` is this thread's live ring (see
            // `Hot::ring`); only this thread pushes. The slot was reserved
            // when the span entered, so this push cannot fail.
            let ring = unsafe { &*p };
            // SAFETY: as above, single producer.
            if !unsafe { ring.push(&[Event::exit(ts, flags, own)], 0) } {
                Counters::bump(&ring.counters.events_dropped, 1);
            }
        }
        h.cur.set(state >> FLAG_BITS);
        let depth = h.depth.get().saturating_sub(1);
        h.depth.set(depth);
        if depth == 0 {
            h.skip.set(h.saved_skip.get());
        }
    })
}

/// Pushes a field event for the innermost open span of this thread.
#[cold]
#[inline(never)]
fn push_field(index: u8, value: RawField) {
    if matches!(value, RawField::Absent) {
        return;
    }
    let ev = Event::field(index, value, false);
    let pushed = HOT
        .try_with(|h| {
            let ring = h.ring()?;
            // SAFETY: own ring, single producer; keep the open spans' exit
            // slots free.
            if unsafe { ring.push(&[ev], h.depth.get()) } {
                Some(true)
            } else {
                Counters::bump(&ring.counters.events_dropped, 1);
                Some(false)
            }
        })
        .ok()
        .flatten();
    if pushed != Some(true) {
        // SAFETY: the event was not pushed, so this is its only owner.
        unsafe { ev.discard() };
    }
}
