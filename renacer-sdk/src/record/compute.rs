//! The ring side of compute blocks (`crate::compute`): the sampling
//! decision when a block starts, and one push of the whole span when it
//! ends (so a block shorter than its threshold leaves nothing in the ring).

use std::sync::atomic::Ordering;

use super::event::{Event, RawField, FLAG_ERROR};
use super::ring::Counters;
use super::thread::{Hot, HOT};
use super::{clock, decide_root, refresh, sampler, take_token, Site, ACTIVE};

/// Fields a compute block carries at most (`crate::compute::FIELDS`).
const MAX_FIELDS: usize = 9;

/// The raw start timestamp of a sampled block; 0 when it is not sampled
/// (then no clock was read).
#[inline(always)]
pub(crate) fn begin_compute() -> u64 {
    HOT.with(|h| {
        let skip = h.skip.get();
        if skip > 1 {
            h.skip.set(skip - 1);
            return 0;
        }
        let active = ACTIVE.load(Ordering::Relaxed);
        if active == 0 {
            return 0;
        }
        begin_sampled(h, active)
    })
}

#[inline(never)]
fn begin_sampled(h: &Hot, active: u64) -> u64 {
    if h.generation.get() != active {
        refresh(h, active);
    }
    let Some(ring) = h.ring() else {
        return 0;
    };
    if h.depth.get() == 0 {
        // A root candidate, decided as a function root is. A block is a
        // leaf and holds no tree open: the countdown goes on at once.
        if h.skip.get() == 1
            && h.generation.get() == active
            && sampler::SAMPLE_ALL.load(Ordering::Relaxed)
        {
            // Rate 1: the next countdown is "sample the next call".
            h.saved_skip.set(1);
        } else if !decide_root(h, ring) {
            return 0;
        }
        // What closing a recorded tree does (`exit_recorded`).
        h.skip.set(h.saved_skip.get());
    }
    clock::raw_now().max(1)
}

/// Records a sampled block that ran from `start` to `end` (raw clock) if it
/// lasted at least `threshold_ns`: its `ENTER`, the fields `fields` pushes,
/// and its `EXIT`, in one push.
pub(crate) fn push_compute(
    site: &'static Site,
    start: u64,
    end: u64,
    threshold_ns: u64,
    fields: impl FnOnce(&mut dyn FnMut(u8, RawField)),
    error: bool,
) {
    HOT.with(|h| {
        let Some(ring) = h.ring() else {
            return;
        };
        let took = clock::Converter::current().delta_ns(end.wrapping_sub(start));
        if took < threshold_ns {
            Counters::bump(&ring.counters.below_threshold, 1);
            return;
        }
        if !take_token(h, ring) {
            return;
        }
        let mut events = [Event::default(); MAX_FIELDS + 2];
        events[0] = Event::enter(site, start);
        let mut n = 1;
        fields(&mut |index, value| {
            if n <= MAX_FIELDS && !matches!(value, RawField::Absent) {
                events[n] = Event::field(index, value, false);
                n += 1;
            }
        });
        events[n] = Event::exit(end, if error { FLAG_ERROR } else { 0 }, 0);
        n += 1;
        // SAFETY: this thread's own ring (single producer); the open spans'
        // exit slots stay reserved.
        if unsafe { ring.push_at(&events[..n], h.depth.get()) }.is_none() {
            Counters::bump(&ring.counters.ring_dropped, 1);
            for ev in &events[1..n - 1] {
                // SAFETY: not pushed: these field events own their strings.
                unsafe { ev.discard() };
            }
        }
    })
}
