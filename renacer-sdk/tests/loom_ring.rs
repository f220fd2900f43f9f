//! Loom models of the lock-free parts: the SPSC ring (producer vs.
//! collector, full ring, reservations) and ring registration / retirement
//! on thread exit. Run with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p renacer --release --test loom_ring`.
#![cfg(loom)]

use loom::thread;
use renacer::__loom::{TestRegistry, TestRing};

/// Producer pushes more than fits while the collector drains concurrently:
/// every accepted event is received exactly once, in order; refused ones
/// never appear.
#[test]
fn spsc_ring_delivers_accepted_events_in_order() {
    loom::model(|| {
        let ring = TestRing::new(4);
        assert_eq!(ring.capacity(), 4);
        let producer = {
            let ring = ring.clone();
            thread::spawn(move || {
                let mut accepted = Vec::new();
                for i in 1..=6u64 {
                    // SAFETY: this thread is the only producer.
                    if unsafe { ring.push(i, 0) } {
                        accepted.push(i);
                    }
                }
                accepted
            })
        };
        // SAFETY: this thread is the only consumer.
        let mut got = unsafe { ring.drain() };
        let accepted = producer.join().unwrap();
        // SAFETY: only consumer.
        got.extend(unsafe { ring.drain() });
        assert_eq!(got, accepted);
        // Capacity 4 and one concurrent drain: at least 4 accepted.
        assert!(accepted.len() >= 4);
    });
}

/// Bounded drains (the collector drains in chunks) interleaved with
/// pushes lose and duplicate nothing.
#[test]
fn chunked_drains_preserve_order() {
    loom::model(|| {
        let ring = TestRing::new(4);
        let producer = {
            let ring = ring.clone();
            thread::spawn(move || {
                let mut accepted = Vec::new();
                for i in 1..=5u64 {
                    // SAFETY: this thread is the only producer.
                    if unsafe { ring.push(i, 0) } {
                        accepted.push(i);
                    }
                }
                accepted
            })
        };
        // SAFETY: this thread is the only consumer.
        let mut got = unsafe { ring.drain_at_most(1) };
        // SAFETY: as above.
        got.extend(unsafe { ring.drain_at_most(2) });
        let accepted = producer.join().unwrap();
        while !ring.is_empty() {
            // SAFETY: as above.
            got.extend(unsafe { ring.drain_at_most(1) });
        }
        assert_eq!(got, accepted);
        assert_eq!(ring.len(), 0);
    });
}

/// A push that asks for reserved slots is refused unless they stay free,
/// and a pair push is all-or-nothing, even while the consumer frees slots.
#[test]
fn reservations_and_pairs_are_all_or_nothing() {
    loom::model(|| {
        let ring = TestRing::new(4);
        // SAFETY: main thread is the producer until the spawn below.
        assert!(unsafe { ring.push(1, 0) });
        // SAFETY: still the only producer.
        assert!(unsafe { ring.push(2, 1) });
        let consumer = {
            let ring = ring.clone();
            // SAFETY: the spawned thread is the only consumer.
            thread::spawn(move || unsafe { ring.drain() })
        };
        // 2 used: a push reserving 2 more needs 3 free.
        // SAFETY: only producer.
        let r = unsafe { ring.push(3, 2) };
        // SAFETY: only producer.
        let p = unsafe { ring.push_pair(4, 5) };
        let mut got = consumer.join().unwrap();
        // SAFETY: the consumer thread has finished; we are the only consumer.
        got.extend(unsafe { ring.drain() });
        let mut want = vec![1, 2];
        if r {
            want.push(3);
        }
        if p {
            want.extend([4, 5]);
        }
        assert_eq!(got, want);
    });
}

/// A thread registers, records and exits (closes its ring) while the
/// collector runs passes: nothing it pushed is lost, the ring is retired
/// only after a drain that follows the close.
#[test]
fn exited_threads_are_drained_before_retirement() {
    loom::model(|| {
        let registry = std::sync::Arc::new(TestRegistry::new());
        let worker = {
            let registry = registry.clone();
            thread::spawn(move || {
                let ring = registry.register(4);
                // SAFETY: this thread owns the ring (single producer).
                assert!(unsafe { ring.push(7, 0) });
                // SAFETY: as above.
                assert!(unsafe { ring.push(8, 0) });
                ring.close();
            })
        };
        let mut seen = Vec::new();
        let pass = |seen: &mut Vec<u64>| {
            for ring in registry.snapshot() {
                let closed = ring.is_closed();
                // SAFETY: the collector (this thread) is the only consumer.
                seen.extend(unsafe { ring.drain() });
                if closed {
                    registry.retire(&ring);
                }
            }
        };
        pass(&mut seen);
        worker.join().unwrap();
        pass(&mut seen);
        pass(&mut seen);
        assert_eq!(seen, vec![7, 8]);
        assert!(registry.is_empty());
    });
}
