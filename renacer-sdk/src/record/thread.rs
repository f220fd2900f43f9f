//! Per-thread recorder state and the registry of rings.
//!
//! `HOT` is a `const`-initialized thread-local without a destructor, so the
//! hot path reaches it with a plain TLS offset and no lazy-init check. The
//! thread's ring is owned by `OWNER` (which has a destructor): on thread exit
//! it marks the ring closed and clears `HOT.ring`, so nothing is pushed to a
//! ring the collector may be about to free. The registry keeps an `Arc` of
//! every ring until the collector has drained it after the thread exited:
//! a thread that exits before the collector runs loses nothing.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicUsize, Ordering as StdOrdering};
use std::sync::OnceLock;

use rand_xorshift::XorShiftRng;

use super::ring::Ring;
use crate::sync::{lock, Arc, AtomicU64, Mutex, Ordering};

/// Process that started the collector (0: none yet).
static OWNER_PID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Records this process as the one that initialized renacer.
pub(crate) fn set_owner_process() {
    OWNER_PID.store(std::process::id(), StdOrdering::Release);
}

/// Whether we are a `fork()` child of the process that initialized renacer.
pub(crate) fn forked_child() -> bool {
    let owner = OWNER_PID.load(StdOrdering::Acquire);
    owner != 0 && owner != std::process::id()
}

/// Default events per thread ring (32 bytes each: 512 KiB).
pub(crate) const DEFAULT_RING_CAPACITY: usize = 16 * 1024;
static RING_CAPACITY: AtomicUsize = AtomicUsize::new(DEFAULT_RING_CAPACITY);

pub(crate) fn set_ring_capacity(cap: usize) {
    RING_CAPACITY.store(cap, StdOrdering::Relaxed);
}

/// Hot per-thread state. Only the owning thread touches it.
pub(crate) struct Hot {
    /// Global-rate countdown: 0 = none drawn yet (new thread or new
    /// configuration); v ≥ 1 = the v-th call from now is sampled, the v-1
    /// before it are skipped. Held at 1 while a recorded tree is open.
    pub(crate) skip: Cell<u64>,
    /// Calls still to skip after `skip` runs out (countdowns longer than
    /// `sampler::MAX_COUNTDOWN` are fed to `skip` in pieces).
    pub(crate) rest: Cell<u64>,
    /// Calls the countdown piece now in `skip` (or `saved_skip`) skips on
    /// the hot path; counted as sampled out when the piece is used up or
    /// thrown away (see `decide::decide_root`).
    pub(crate) piece: Cell<u64>,
    /// `skip` to restore when the current recorded tree closes.
    pub(crate) saved_skip: Cell<u64>,
    /// Open recorded spans + async polls in progress on this thread.
    pub(crate) depth: Cell<u64>,
    /// Rate-limiter tokens taken from the global bucket and not used yet.
    pub(crate) tokens: Cell<u64>,
    /// `breaker::epoch() + 1` when this thread last found the bucket empty
    /// (0: it did not). Until the epoch moves on, calls are refused without
    /// touching the shared bucket or reading the clock.
    pub(crate) denied_in: Cell<u64>,
    /// This thread's ring, or null before registration / after exit.
    pub(crate) ring: Cell<*const Ring>,
    /// Set once the thread-exit destructor ran: never register again.
    pub(crate) dead: Cell<bool>,
    /// Configuration generation the cached state belongs to.
    pub(crate) generation: Cell<u64>,
    pub(crate) rng: Cell<Option<XorShiftRng>>,
    /// Counter behind this thread's async span ids.
    pub(crate) async_counter: Cell<u64>,
    /// Innermost recorded span open on this thread: 0 none, `ids::CUR_ASYNC`
    /// a poll (see `poll_id`), else its `ENTER`'s ring position + 1. Each
    /// sync guard keeps the value it replaced and puts it back on exit.
    pub(crate) cur: Cell<u64>,
    /// Ring position + 1 of the `ENTER` of the open sync root (depth 0).
    pub(crate) root: Cell<u64>,
    /// Async span whose poll encloses the current span (0: none), and its
    /// trace id. Saved and restored by each poll's guard.
    pub(crate) poll_id: Cell<u64>,
    pub(crate) poll_trace: Cell<u128>,
}

impl Hot {
    const fn new() -> Hot {
        Hot {
            skip: Cell::new(0),
            rest: Cell::new(0),
            piece: Cell::new(0),
            saved_skip: Cell::new(0),
            depth: Cell::new(0),
            tokens: Cell::new(0),
            denied_in: Cell::new(0),
            ring: Cell::new(std::ptr::null()),
            dead: Cell::new(false),
            generation: Cell::new(0),
            rng: Cell::new(None),
            async_counter: Cell::new(0),
            cur: Cell::new(0),
            root: Cell::new(0),
            poll_id: Cell::new(0),
            poll_trace: Cell::new(0),
        }
    }

    /// This thread's ring, registering it on first use.
    #[inline(always)]
    pub(crate) fn ring(&self) -> Option<&Ring> {
        let p = self.ring.get();
        if p.is_null() {
            return self.register();
        }
        // SAFETY: a non-null `ring` points into the `Arc<Ring>` held by
        // `OWNER` of this same thread, which nulls this pointer before it
        // releases the Arc (see `Owner::drop`).
        Some(unsafe { &*p })
    }

    /// Replaces this thread's ring by one of the configured capacity, if
    /// that changed. The old ring is closed: the collector drains and
    /// retires it like the ring of an exited thread. Call only at depth 0.
    pub(crate) fn resize_ring(&self) {
        let p = self.ring.get();
        if p.is_null() {
            return;
        }
        // SAFETY: non-null `ring` points into OWNER's Arc (see `ring()`).
        let old_cap = unsafe { &*p }.capacity();
        let want = super::ring::rounded_capacity(RING_CAPACITY.load(StdOrdering::Relaxed));
        if old_cap == want as u64 {
            return;
        }
        // Forget the old ring first: on failure we simply re-register later.
        self.ring.set(std::ptr::null());
        let _ = OWNER.try_with(|owner| {
            if let Some(old) = owner.0.borrow_mut().take() {
                old.close();
            }
        });
    }

    #[cold]
    #[inline(never)]
    fn register(&self) -> Option<&Ring> {
        // In a fork()ed child the registry lock may have been held by
        // another thread at the fork and nobody drains new rings.
        if self.dead.get() || forked_child() {
            return None;
        }
        let ring = OWNER
            .try_with(|owner| {
                let ring = registry().register(
                    RING_CAPACITY.load(StdOrdering::Relaxed),
                    current_tid(),
                    std::thread::current().name().map(std::sync::Arc::from),
                );
                let p: *const Ring = &*ring;
                *owner.0.borrow_mut() = Some(ring);
                p
            })
            .ok()?;
        self.ring.set(ring);
        // SAFETY: just stored in OWNER, see `ring()`.
        Some(unsafe { &*ring })
    }
}

/// In a `fork()`ed child: forgets every ring (the parent's threads do not
/// exist here; the forking thread's ring holds events the parent's
/// collector exports) and this thread's recording state, so the child
/// starts from nothing. `false` if the registry lock was held at the fork
/// (by a thread that no longer exists): the child then stays disabled.
#[cfg(not(loom))]
pub(crate) fn reset_after_fork() -> bool {
    let Ok(mut inner) = registry().inner.try_lock() else {
        return false;
    };
    inner.rings.clear();
    inner.retired = Totals::default();
    drop(inner);
    let _ = HOT.try_with(|h| {
        h.ring.set(std::ptr::null());
        h.depth.set(0);
        h.cur.set(0);
        h.root.set(0);
        h.skip.set(0);
        h.rest.set(0);
        h.piece.set(0);
        h.tokens.set(0);
        h.generation.set(0);
    });
    let _ = OWNER.try_with(|owner| owner.0.borrow_mut().take());
    OWNER_PID.store(0, StdOrdering::Release);
    super::ids::reset_process_key();
    true
}

/// Makes the calling thread's next instrumented call take the slow path,
/// where it adopts a new configuration (called by `init`).
pub(crate) fn expire_countdown() {
    let _ = HOT.try_with(|h| {
        if h.depth.get() == 0 {
            super::decide::settle(h);
            h.skip.set(0);
            h.rest.set(0);
        }
    });
}

thread_local! {
    pub(crate) static HOT: Hot = const { Hot::new() };
    static OWNER: Owner = const { Owner(RefCell::new(None)) };
}

struct Owner(RefCell<Option<Arc<Ring>>>);

impl Drop for Owner {
    fn drop(&mut self) {
        // Null the hot pointer first so no later destructor pushes into a
        // ring we are giving up.
        let _ = HOT.try_with(|h| {
            // Count the calls the unfinished countdown piece skipped (a
            // tree still open at exit holds the countdown elsewhere: its
            // piece stays uncounted, within the documented lag).
            if h.depth.get() == 0 {
                super::decide::settle(h);
            }
            h.ring.set(std::ptr::null());
            h.dead.set(true);
        });
        if let Some(ring) = self.0.borrow_mut().take() {
            ring.close();
        }
    }
}

fn current_tid() -> u32 {
    // SAFETY: gettid has no preconditions and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

/// Totals of rings the collector already retired.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Totals {
    pub(crate) sampled_out: u64,
    pub(crate) rate_limited: u64,
    pub(crate) ring_dropped: u64,
    pub(crate) events_dropped: u64,
    pub(crate) below_threshold: u64,
}

impl Totals {
    fn add_ring(&mut self, r: &Ring) {
        let c = &r.counters;
        self.sampled_out += c.sampled_out.load(Ordering::Relaxed);
        self.rate_limited += c.rate_limited.load(Ordering::Relaxed);
        self.ring_dropped += c.ring_dropped.load(Ordering::Relaxed);
        self.events_dropped += c.events_dropped.load(Ordering::Relaxed);
        self.below_threshold += c.below_threshold.load(Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
struct Inner {
    rings: Vec<Arc<Ring>>,
    retired: Totals,
}

/// Every live ring, plus the counters of retired ones.
#[derive(Debug)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
    next_thread_no: AtomicU64,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            inner: Mutex::new(Inner::default()),
            next_thread_no: AtomicU64::new(1),
        }
    }
}

impl Registry {
    /// Creates and registers a ring (the once-per-thread lock).
    pub(crate) fn register(
        &self,
        capacity: usize,
        tid: u32,
        name: Option<std::sync::Arc<str>>,
    ) -> Arc<Ring> {
        let no = self.next_thread_no.fetch_add(1, Ordering::Relaxed);
        let ring = Arc::new(Ring::new(capacity, no, tid, name));
        lock(&self.inner).rings.push(ring.clone());
        ring
    }

    /// Copies the current ring list into `out` (replacing its contents).
    pub(crate) fn snapshot(&self, out: &mut Vec<Arc<Ring>>) {
        out.clear();
        out.extend(lock(&self.inner).rings.iter().cloned());
    }

    /// Forgets a ring whose thread exited and which has been fully drained.
    pub(crate) fn retire(&self, ring: &Arc<Ring>) {
        let mut inner = lock(&self.inner);
        if let Some(i) = inner.rings.iter().position(|r| Arc::ptr_eq(r, ring)) {
            inner.rings.swap_remove(i);
            inner.retired.add_ring(ring);
        }
    }

    /// Counter totals over live and retired rings.
    pub(crate) fn totals(&self) -> Totals {
        let inner = lock(&self.inner);
        let mut t = inner.retired;
        for r in &inner.rings {
            t.add_ring(r);
        }
        t
    }

    #[cfg(loom)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.inner).rings.len()
    }
}

/// The process-wide registry.
pub(crate) fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}
