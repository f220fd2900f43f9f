//! A thin public face of the ring and the registry for the loom models in
//! `tests/loom_ring.rs` (compiled only under `--cfg loom`). Events carry a
//! test payload in place of a timestamp.

use super::event::Event;
use super::ring::Ring;
use super::thread::Registry;
use crate::sync::Arc;

/// A ring handle.
#[derive(Clone, Debug)]
pub struct TestRing(Arc<Ring>);

impl TestRing {
    /// A standalone ring of `capacity` events.
    pub fn new(capacity: usize) -> TestRing {
        TestRing(Arc::new(Ring::new(capacity, 1, 0, None)))
    }

    /// Pushes one event carrying `payload`, keeping `reserve` slots free.
    ///
    /// # Safety
    /// Single producer, as [`Ring::push`].
    pub unsafe fn push(&self, payload: u64, reserve: u64) -> bool {
        // SAFETY: forwarded contract.
        unsafe { self.0.push(&[Event::exit(payload, 0, 0)], reserve) }
    }

    /// Pushes two events atomically (both or neither).
    ///
    /// # Safety
    /// Single producer, as [`Ring::push`].
    pub unsafe fn push_pair(&self, a: u64, b: u64) -> bool {
        // SAFETY: forwarded contract.
        unsafe {
            self.0
                .push(&[Event::exit(a, 0, 0), Event::exit(b, 0, 0)], 0)
        }
    }

    /// Drains the payloads of all published events.
    ///
    /// # Safety
    /// Single consumer, as [`Ring::drain`].
    pub unsafe fn drain(&self) -> Vec<u64> {
        let mut out = Vec::new();
        // SAFETY: forwarded contract.
        unsafe { self.0.drain(&mut out) };
        out.iter().map(|e| e.w[0]).collect()
    }

    /// Drains the payloads of at most `max` published events.
    ///
    /// # Safety
    /// Single consumer, as [`Ring::drain_into`].
    pub unsafe fn drain_at_most(&self, max: usize) -> Vec<u64> {
        let mut out = Vec::new();
        // SAFETY: forwarded contract.
        unsafe { self.0.drain_into(&mut out, max) };
        out.iter().map(|e| e.w[0]).collect()
    }

    /// Published events not yet drained.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn capacity(&self) -> u64 {
        self.0.capacity()
    }

    pub fn close(&self) {
        self.0.close()
    }

    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
}

/// A registry handle.
#[derive(Debug, Default)]
pub struct TestRegistry(Registry);

impl TestRegistry {
    pub fn new() -> TestRegistry {
        TestRegistry(Registry::default())
    }

    /// Registers a ring (what a thread does on its first span).
    pub fn register(&self, capacity: usize) -> TestRing {
        TestRing(self.0.register(capacity, 0, None))
    }

    /// The live rings.
    pub fn snapshot(&self) -> Vec<TestRing> {
        let mut v = Vec::new();
        self.0.snapshot(&mut v);
        v.into_iter().map(TestRing).collect()
    }

    pub fn retire(&self, ring: &TestRing) {
        self.0.retire(&ring.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }
}
