//! Timestamps: raw TSC ticks on the hot path where the TSC is invariant,
//! `CLOCK_MONOTONIC` (vDSO) everywhere else; the collector converts ticks to
//! `CLOCK_MONOTONIC` nanoseconds, so every exported time is in the same
//! clock the CLI's ptrace tracer uses.
//!
//! Calibration: at `init` we take an anchor pair (tsc₀, mono₀) and a second
//! pair ~2 ms later for a first slope; every collector pass takes a fresh
//! pair and refits the slope over the whole interval since the anchor, so
//! the conversion error shrinks as the program runs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;

/// Whether raw timestamps are TSC ticks (decided once per process).
static USE_TSC: AtomicBool = AtomicBool::new(false);
static MODE: OnceLock<bool> = OnceLock::new();
/// Anchor of the linear fit.
static ANCHOR: OnceLock<(u64, u64)> = OnceLock::new();
/// Nanoseconds per tick, as `f64` bits.
static SLOPE: AtomicU64 = AtomicU64::new(0);

/// `CLOCK_MONOTONIC` now, in nanoseconds.
pub fn now_monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// Converts a `CLOCK_MONOTONIC` time to nanoseconds since the Unix epoch,
/// using the current offset between the two clocks.
pub fn monotonic_to_unix_ns(mono_ns: u64) -> u64 {
    ClockOffset::now().to_unix_ns(mono_ns)
}

/// `CLOCK_REALTIME` now, in nanoseconds since the Unix epoch.
pub fn now_unix_ns() -> u64 {
    clock_ns(libc::CLOCK_REALTIME)
}

/// Monotonic-to-wall-clock conversion fixed at exporter start: spans keep
/// their recorded monotonic spacing even if the wall clock is stepped later.
#[derive(Clone, Copy, Debug)]
pub struct ClockOffset {
    /// `CLOCK_REALTIME - CLOCK_MONOTONIC`, in ns.
    offset_ns: i128,
}

impl ClockOffset {
    /// Measures the offset now (monotonic read between two realtime reads).
    pub fn now() -> ClockOffset {
        let r0 = i128::from(clock_ns(libc::CLOCK_REALTIME));
        let m = i128::from(clock_ns(libc::CLOCK_MONOTONIC));
        let r1 = i128::from(clock_ns(libc::CLOCK_REALTIME));
        ClockOffset {
            offset_ns: (r0 + r1) / 2 - m,
        }
    }

    /// Nanoseconds since the Unix epoch of a `CLOCK_MONOTONIC` instant.
    pub fn to_unix_ns(self, monotonic_ns: u64) -> u64 {
        let unix = (i128::from(monotonic_ns) + self.offset_ns).max(0);
        u64::try_from(unix).unwrap_or(u64::MAX)
    }

    /// Unix time of a `CLOCK_MONOTONIC` instant given in ns.
    pub fn to_system_time(self, monotonic_ns: u64) -> std::time::SystemTime {
        std::time::UNIX_EPOCH + std::time::Duration::from_nanos(self.to_unix_ns(monotonic_ns))
    }
}

/// The one `clock_gettime` wrapper.
fn clock_ns(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime on the
    // monotonic / realtime clocks cannot fail on Linux.
    unsafe { libc::clock_gettime(id, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Raw timestamp for the hot path: TSC ticks or monotonic ns.
#[inline(always)]
pub(crate) fn raw_now() -> u64 {
    #[cfg(all(target_arch = "x86_64", not(loom)))]
    if USE_TSC.load(Ordering::Relaxed) {
        // SAFETY: RDTSC is available on every x86_64 CPU; we only use it
        // when /proc/cpuinfo reports an invariant (constant, nonstop) TSC.
        return unsafe { core::arch::x86_64::_rdtsc() };
    }
    now_monotonic_ns()
}

#[cfg(target_arch = "x86_64")]
fn tsc_is_invariant() -> bool {
    if std::env::var_os("RENACER_CLOCK").is_some_and(|v| v == "monotonic") {
        return false;
    }
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
        return false;
    };
    let flags = info
        .lines()
        .find(|l| l.starts_with("flags"))
        .unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    has("constant_tsc") && has("nonstop_tsc")
}

#[cfg(not(target_arch = "x86_64"))]
fn tsc_is_invariant() -> bool {
    false
}

/// One (tsc, mono) pair, taking the tightest of a few reads.
fn pair() -> (u64, u64) {
    let mut best = (u64::MAX, 0, 0);
    for _ in 0..5 {
        let t0 = tsc_read();
        let m = now_monotonic_ns();
        let t1 = tsc_read();
        if t1.wrapping_sub(t0) < best.0 {
            best = (t1.wrapping_sub(t0), t0 / 2 + t1 / 2, m);
        }
    }
    (best.1, best.2)
}

fn tsc_read() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: RDTSC exists on every x86_64 CPU.
    return unsafe { core::arch::x86_64::_rdtsc() };
    #[cfg(not(target_arch = "x86_64"))]
    return now_monotonic_ns();
}

/// Decides the clock once and calibrates. Called by `init`.
pub(crate) fn calibrate() {
    let tsc = *MODE.get_or_init(|| {
        let ok = tsc_is_invariant();
        if ok {
            let anchor = pair();
            let _ = ANCHOR.set(anchor);
            std::thread::sleep(std::time::Duration::from_millis(2));
            refine();
        }
        ok
    });
    USE_TSC.store(tsc, Ordering::Relaxed);
}

/// Refits the slope with a fresh pair. Called by the collector each pass.
pub(crate) fn refine() {
    let Some(&(t0, m0)) = ANCHOR.get() else {
        return;
    };
    let (t, m) = pair();
    if t > t0 && m > m0 {
        let slope = (m - m0) as f64 / (t - t0) as f64;
        SLOPE.store(slope.to_bits(), Ordering::Relaxed);
    }
}

/// A snapshot of the conversion, taken once per collector pass.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Converter {
    tsc: bool,
    t0: u64,
    m0: u64,
    slope: f64,
}

impl Converter {
    pub(crate) fn current() -> Converter {
        let tsc = USE_TSC.load(Ordering::Relaxed);
        let (t0, m0) = ANCHOR.get().copied().unwrap_or((0, 0));
        Converter {
            tsc,
            t0,
            m0,
            slope: f64::from_bits(SLOPE.load(Ordering::Relaxed)),
        }
    }

    /// A difference of raw timestamps → ns.
    pub(crate) fn delta_ns(self, raw_delta: u64) -> u64 {
        if self.tsc {
            (raw_delta as f64 * self.slope) as u64
        } else {
            raw_delta
        }
    }

    /// Raw timestamp → `CLOCK_MONOTONIC` ns.
    pub(crate) fn to_ns(self, raw: u64) -> u64 {
        if !self.tsc {
            return raw;
        }
        // i64/f64 only: i128 <-> f64 conversions are library calls.
        let delta = raw.wrapping_sub(self.t0) as i64;
        (self.m0 as i64)
            .saturating_add((delta as f64 * self.slope) as i64)
            .max(0) as u64
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn converted_tsc_tracks_the_monotonic_clock() {
        calibrate();
        refine();
        let conv = Converter::current();
        let before = now_monotonic_ns();
        let raw = raw_now();
        let after = now_monotonic_ns();
        let ns = conv.to_ns(raw);
        // The fit is good to well under a millisecond a few ms after anchoring.
        assert!(
            ns + 1_000_000 >= before && ns <= after + 1_000_000,
            "{before} {ns} {after}"
        );
    }

    #[test]
    fn unix_conversion_is_close_to_realtime() {
        let unix = monotonic_to_unix_ns(now_monotonic_ns());
        let real = clock_ns(libc::CLOCK_REALTIME);
        assert!(unix.abs_diff(real) < 1_000_000_000);
    }
}
