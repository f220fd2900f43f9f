//! Process-wide runtime: `init`, `flush`, shutdown on guard drop and at
//! process exit.
//!
//! `init` applies the configuration to the hot path's globals, starts the
//! collector and publishes a new generation in `ACTIVE`. Dropping the [`InitGuard`] flushes,
//! shuts the exporters down and disables recording; the runtime can be
//! initialized again afterwards. Programs that never drop the guard
//! (`std::process::exit`, returning from `main` with the guard in a
//! static) are covered by a `libc::atexit` handler doing the same.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use crate::collect::{Collector, Shared};
use crate::config::{Config, ConfigBuilder};
use crate::record::{breaker, clock, sampler, thread, ACTIVE, GENERATION};

static RUNTIME: Mutex<Option<Collector>> = Mutex::new(None);
/// How the running configuration was built, for a `fork()`ed child.
static RECIPE: Mutex<Option<crate::config::Recipe>> = Mutex::new(None);
static ATEXIT: Once = Once::new();
use crate::record::thread::forked_child;

/// Whether shutdown prints the one-line summary of lost spans.
static EXIT_SUMMARY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Longest wait for the collector and exporters at shutdown (guard drop,
/// process exit), set at init.
static SHUTDOWN_TIMEOUT_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(5_000);

fn shutdown_timeout() -> Duration {
    Duration::from_millis(SHUTDOWN_TIMEOUT_MS.load(Ordering::Relaxed))
}

/// How long `flush` waits for a wedged exporter before giving up.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

fn runtime() -> std::sync::MutexGuard<'static, Option<Collector>> {
    RUNTIME.lock().unwrap_or_else(|p| p.into_inner())
}

/// Keeps the runtime alive; dropping it flushes and shuts down.
#[must_use = "dropping the guard shuts renacer down at once"]
#[derive(Debug)]
pub struct InitGuard {
    active: bool,
}

impl InitGuard {
    /// Whether this guard started the runtime (`false` if renacer was
    /// already initialized, or the collector could not start).
    pub fn is_active(&self) -> bool {
        self.active
    }
}

impl Drop for InitGuard {
    fn drop(&mut self) {
        if self.active {
            shutdown();
        }
    }
}

/// Initializes renacer from the environment (see [`Config::builder`]).
pub fn init() -> InitGuard {
    Config::builder().init()
}

impl ConfigBuilder {
    /// Builds and starts the runtime (see [`crate::init`]).
    pub fn init(self) -> InitGuard {
        start(self.build())
    }
}

pub(crate) fn start(cfg: Config) -> InitGuard {
    if forked_child() {
        eprintln!("renacer: init in a fork()ed child of a traced process is not supported; tracing disabled here");
        return InitGuard { active: false };
    }
    let mut rt = runtime();
    if rt.is_some() {
        eprintln!(
            "renacer: init called while already initialized; keeping the running configuration"
        );
        return InitGuard { active: false };
    }
    clock::calibrate();
    let seed = cfg.recipe.seed.unwrap_or_else(|| {
        sampler::mix64(clock::now_monotonic_ns() ^ (std::process::id() as u64) << 32)
    });
    sampler::set_seed(seed);
    sampler::set_rate(cfg.recipe.sample_rate);
    breaker::configure(cfg.recipe.rate_limit);
    let (simd, gpu) = cfg.recipe.compute_thresholds;
    crate::compute::set_thresholds(simd, gpu);
    EXIT_SUMMARY.store(cfg.recipe.exit_summary, Ordering::Relaxed);
    SHUTDOWN_TIMEOUT_MS.store(
        u64::try_from(cfg.recipe.shutdown_timeout.as_millis()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
    thread::set_ring_capacity(cfg.recipe.ring_capacity);
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed) + 1;
    crate::context::apply_env();
    // Parent-based sampling: a joined parent that was not sampled (W3C
    // flags `00`) means this process's roots, which all join it, are not
    // recorded either (counted as sampled out), whatever the local rate.
    let parent_unsampled = crate::remote::get().is_some_and(|r| !r.traceparent.sampled());
    sampler::set_parent_unsampled(parent_unsampled);
    if parent_unsampled {
        sampler::set_rate(0.0);
    }
    #[cfg(feature = "tracing-opentelemetry")]
    crate::interop::link_opentelemetry();
    match Collector::start(cfg.exporters, cfg.recipe.flush_interval) {
        Ok(c) => *rt = Some(c),
        Err(e) => {
            eprintln!("renacer: {e}; tracing disabled");
            return InitGuard { active: false };
        }
    }
    crate::gpu::start(cfg.recipe.cuda);
    thread::set_owner_process();
    *RECIPE.lock().unwrap_or_else(|p| p.into_inner()) = Some(cfg.recipe.clone());
    #[cfg(not(loom))]
    crate::record::fork::install(restart_in_child);
    ACTIVE.store(generation, Ordering::Release);
    // Other threads adopt the new configuration within
    // `MAX_COUNTDOWN` calls; this one at once.
    thread::expire_countdown();
    drop(rt);
    ATEXIT.call_once(|| {
        // SAFETY: `at_exit` is an `extern "C" fn()` that never unwinds (it
        // catches panics); registering it has no other precondition.
        if unsafe { libc::atexit(at_exit) } != 0 {
            eprintln!(
                "renacer: cannot register the exit handler; call renacer::flush() before exiting"
            );
        }
    });
    InitGuard { active: true }
}

/// The fork hook: runs in a `fork()`ed child, on its only thread, at its
/// first sampled call. Every lock another thread may have held at the fork
/// is tried, never waited for; if one is taken, the child stays disabled
/// (one line on stderr).
#[cfg(not(loom))]
fn restart_in_child() {
    let recipe = match RECIPE.try_lock() {
        Ok(r) => r.clone(),
        Err(_) => None,
    };
    let parent = match RUNTIME.try_lock() {
        Ok(mut rt) => rt.take(),
        Err(_) => {
            eprintln!("renacer: fork()ed while renacer was busy; this child records nothing");
            return;
        }
    };
    // The parent's collector thread does not exist here: forget it.
    std::mem::forget(parent);
    let Some(recipe) = recipe else { return };
    if !thread::reset_after_fork() {
        eprintln!("renacer: fork()ed while renacer was busy; this child records nothing");
        return;
    }
    crate::stats::reset_after_fork();
    crate::export::reset_after_fork();
    if recipe.custom_exporters > 0 {
        eprintln!(
            "renacer: a fork()ed child records to the configured outputs only ({} custom exporter(s) stay with the parent)",
            recipe.custom_exporters
        );
    }
    // The child runs until it exits: its runtime stops in the exit handler
    // (inherited from the parent), like a guard that is never dropped.
    std::mem::forget(start(recipe.config()));
}

/// Exports everything recorded before the call (spans that have ended) and
/// flushes the exporters. Returns `false` if renacer is not initialized or
/// the collector did not finish within 10 s.
pub fn flush() -> bool {
    if forked_child() {
        return false;
    }
    let shared: Option<Arc<Shared>> = runtime().as_ref().map(|c| c.shared.clone());
    match shared {
        Some(s) => {
            crate::gpu::flush();
            s.flush(FLUSH_TIMEOUT)
        }
        None => false,
    }
}

/// Stops recording, drains and exports everything, shuts exporters down.
pub(crate) fn shutdown() {
    if forked_child() {
        // The collector thread does not exist in a child created by fork()
        // (and the runtime lock may have been held at the fork): stop
        // recording and touch nothing else. What this process recorded is
        // lost, and counted nowhere but here: its rings are never drained.
        ACTIVE.store(0, Ordering::Release);
        return;
    }
    let collector = runtime().take();
    if let Some(c) = collector {
        ACTIVE.store(0, Ordering::Release);
        crate::gpu::stop();
        c.stop(shutdown_timeout());
        if EXIT_SUMMARY.load(Ordering::Relaxed) {
            if let Some(line) = crate::stats::exit_summary(&crate::stats()) {
                eprintln!("{line}");
            }
        }
    }
}

extern "C" fn at_exit() {
    let _ = std::panic::catch_unwind(shutdown);
}
