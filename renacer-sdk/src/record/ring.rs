//! The per-thread single-producer / single-consumer ring.
//!
//! The owning thread is the only producer; the collector is the only
//! consumer. Positions are monotonically increasing `u64`s (never wrap in
//! practice), the slot is `pos & mask`. The producer keeps a private copy of
//! the tail and a cached copy of the consumer's head, so a push touches the
//! shared head only when the cached view says the ring looks full: in the
//! common case a push is one slot write and one release store.
//!
//! When full the *newest* event is refused (the caller counts it). A push can
//! ask to keep `reserve` slots free: the recorder reserves one slot per open
//! span, so an accepted `ENTER` always finds room for its `EXIT` and the
//! collector never sees an unbalanced stack.

use std::mem::MaybeUninit;

use super::event::Event;
use crate::sync::{AtomicBool, AtomicU64, Ordering, UnsafeCell};

/// Keeps the producer's and consumer's hot words on separate cache lines.
#[derive(Debug)]
#[repr(align(64))]
struct Padded<T>(T);

#[derive(Debug)]
struct ProducerLocal {
    tail: u64,
    head_cache: u64,
}

/// Per-thread drop and sampling counters, written only by the owning thread
/// (load + store, no read-modify-write) and read by `stats()`.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sampled_out: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) ring_dropped: AtomicU64,
    pub(crate) events_dropped: AtomicU64,
    /// Compute blocks measured shorter than their duration threshold.
    pub(crate) below_threshold: AtomicU64,
}

impl Counters {
    /// Adds `n` to a counter only the calling thread writes.
    #[inline(always)]
    pub(crate) fn bump(c: &AtomicU64, n: u64) {
        c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
    }
}

/// A fixed-capacity SPSC ring of [`Event`]s plus the identity of its thread.
#[derive(Debug)]
pub(crate) struct Ring {
    /// Next position the consumer reads.
    head: Padded<AtomicU64>,
    /// Next position the producer writes (published).
    tail: Padded<AtomicU64>,
    producer: Padded<UnsafeCell<ProducerLocal>>,
    slots: Box<[UnsafeCell<MaybeUninit<Event>>]>,
    mask: u64,
    /// Set by the owning thread when it exits; the collector removes the ring
    /// once it has drained everything pushed before.
    closed: AtomicBool,
    pub(crate) counters: Counters,
    /// Registration order, 1-based; the prefix of this thread's span ids.
    pub(crate) thread_no: u64,
    pub(crate) tid: u32,
    pub(crate) thread_name: Option<std::sync::Arc<str>>,
}

// SAFETY: the slots and the producer-local state are only accessed under the
// SPSC protocol documented on `push` / `drain`: one producer thread, one
// consumer at a time, with positions published through acquire/release
// atomics, so no slot is ever accessed by two threads concurrently.
unsafe impl Sync for Ring {}
// SAFETY: all fields are owned data; `Event`s are plain values (an owned
// string inside is a `Box<str>` in raw form, which is `Send`).
unsafe impl Send for Ring {}

/// The capacity a ring created for `requested` events actually has.
pub(crate) fn rounded_capacity(requested: usize) -> usize {
    requested.clamp(4, 1 << 30).next_power_of_two()
}

impl Ring {
    /// A ring holding at least `capacity` events (rounded up to a power of
    /// two, minimum 4).
    pub(crate) fn new(
        capacity: usize,
        thread_no: u64,
        tid: u32,
        thread_name: Option<std::sync::Arc<str>>,
    ) -> Ring {
        let cap = rounded_capacity(capacity);
        Ring {
            head: Padded(AtomicU64::new(0)),
            tail: Padded(AtomicU64::new(0)),
            producer: Padded(UnsafeCell::new(ProducerLocal {
                tail: 0,
                head_cache: 0,
            })),
            slots: (0..cap)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
            mask: cap as u64 - 1,
            closed: AtomicBool::new(false),
            counters: Counters::default(),
            thread_no,
            tid,
            thread_name,
        }
    }

    pub(crate) fn capacity(&self) -> u64 {
        self.mask + 1
    }

    /// Appends `events` if at least `events.len() + reserve` slots are free;
    /// otherwise appends nothing and returns `false`.
    ///
    /// # Safety
    /// Only one thread (the ring's producer) may call `push` over the ring's
    /// lifetime, or at least never two threads concurrently.
    #[inline(always)]
    pub(crate) unsafe fn push(&self, events: &[Event], reserve: u64) -> bool {
        // SAFETY: forwarded contract.
        unsafe { self.push_at(events, reserve) }.is_some()
    }

    /// [`Ring::push`], returning the absolute position of the first event
    /// pushed (positions count every event ever pushed to this ring, from
    /// 0). The collector counts the events it drains, so both sides know
    /// each event's position: span ids are derived from it (see
    /// `record::ids`).
    ///
    /// # Safety
    /// Same contract as [`Ring::push`].
    #[inline(always)]
    pub(crate) unsafe fn push_at(&self, events: &[Event], reserve: u64) -> Option<u64> {
        let cap = self.mask + 1;
        let need = events.len() as u64 + reserve;
        self.producer.0.with_mut(|p| {
            // SAFETY: the producer-local state is only touched by the single
            // producer (caller's contract).
            let p = unsafe { &mut *p };
            if cap - (p.tail - p.head_cache) < need {
                // Looks full: refresh the consumer's position. Acquire pairs
                // with the consumer's release store after it finished
                // reading the slots it frees.
                p.head_cache = self.head.0.load(Ordering::Acquire);
                if cap - (p.tail - p.head_cache) < need {
                    return None;
                }
            }
            for (i, ev) in events.iter().enumerate() {
                let slot = &self.slots[((p.tail + i as u64) & self.mask) as usize];
                // SAFETY: positions tail..tail+need are free: the consumer
                // only reads below the published tail, and has released
                // everything below head_cache.
                slot.with_mut(|s| unsafe { (*s).write(*ev) });
            }
            let at = p.tail;
            p.tail += events.len() as u64;
            // Release publishes the slot writes to the consumer.
            self.tail.0.store(p.tail, Ordering::Release);
            Some(at)
        })
    }

    /// Moves every published event into `out`; returns how many.
    ///
    /// # Safety
    /// Only one consumer may drain at a time (the collector holds the rings
    /// it drains exclusively).
    #[cfg_attr(not(loom), allow(dead_code))]
    pub(crate) unsafe fn drain(&self, out: &mut Vec<Event>) -> usize {
        // SAFETY: forwarded contract.
        unsafe { self.drain_into(out, usize::MAX) }
    }

    /// Moves up to `max` published events into `out`, oldest first; returns
    /// how many.
    ///
    /// # Safety
    /// Only one consumer may drain at a time.
    pub(crate) unsafe fn drain_into(&self, out: &mut impl Extend<Event>, max: usize) -> usize {
        let head = self.head.0.load(Ordering::Relaxed);
        // Acquire pairs with the producer's release store of the tail.
        let tail = self.tail.0.load(Ordering::Acquire);
        let end = head + (tail - head).min(max as u64);
        out.extend((head..end).map(|pos| {
            let slot = &self.slots[(pos & self.mask) as usize];
            // SAFETY: head..tail were written and published by the producer
            // and are not rewritten until we release them below.
            slot.with(|s| unsafe { (*s).assume_init_read() })
        }));
        // Release: the producer may reuse the slots once it sees this head.
        self.head.0.store(end, Ordering::Release);
        (end - head) as usize
    }

    /// Published events not yet drained (consumer side).
    pub(crate) fn len(&self) -> usize {
        let head = self.head.0.load(Ordering::Relaxed);
        (self.tail.0.load(Ordering::Acquire) - head) as usize
    }

    /// Whether every published event has been drained (consumer side).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Called by the owning thread when it exits (after its last push).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Whether the owner exited. Everything it pushed is visible to a drain
    /// that starts after this returned `true`.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        let mut rest = Vec::new();
        // SAFETY: `&mut self`: no producer or consumer can exist any more.
        unsafe { self.drain(&mut rest) };
        for ev in rest {
            // SAFETY: each drained event is discarded exactly once.
            unsafe { ev.discard() };
        }
    }
}
