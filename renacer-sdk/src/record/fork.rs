//! `fork()` without `exec`: a child that keeps running (a prefork server's
//! workers) records its own spans to its own outputs.
//!
//! The `pthread_atfork` child handler only stores [`FORKED`] in `ACTIVE`
//! (async-signal-safe: one atomic store). No thread's generation ever
//! equals it, so the child's next sampled call takes the cold `refresh`
//! path, which calls the restart hook the runtime installed: a fresh ring
//! registry, fresh counters, a new collector and the sinks rebuilt from the
//! same configuration (paths with `{pid}` give the child its own files). The
//! collector thread and every other thread of the parent do not exist in the
//! child, so nothing of theirs is waited for or joined.

use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use super::ACTIVE;

/// `ACTIVE` in a forked child until it restarted.
pub(crate) const FORKED: u64 = u64::MAX;

static RESTART: OnceLock<fn()> = OnceLock::new();

extern "C" fn in_child() {
    // Only while renacer runs: a stopped runtime stays stopped.
    if ACTIVE.load(Ordering::Relaxed) != 0 {
        ACTIVE.store(FORKED, Ordering::Relaxed);
    }
}

/// Registers the restart hook and the atfork handler (once per process).
pub(crate) fn install(restart: fn()) {
    // The first install registers the handler; later inits find it set.
    if RESTART.set(restart).is_ok() {
        // SAFETY: `in_child` is an `extern "C" fn()` that only performs an
        // atomic load and store; no prepare/parent handlers.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        if rc != 0 {
            eprintln!(
                "renacer: cannot register the fork handler; a fork()ed child records nothing"
            );
        }
    }
}

/// Called on the cold path when a thread sees `ACTIVE == FORKED`: restarts
/// renacer in this child (once; later calls see the new generation).
#[cold]
pub(crate) fn restart_in_child() {
    if ACTIVE
        .compare_exchange(FORKED, 0, Ordering::AcqRel, Ordering::Relaxed)
        .is_ok()
    {
        if let Some(restart) = RESTART.get() {
            restart();
        }
    }
}
