//! Head sampling with geometric skip counts.
//!
//! Instead of flipping a coin per call, each countdown draws how many calls
//! to skip before the next sampled one: a geometric variable with success
//! probability `p`, drawn from a per-thread `XorShiftRng`. An unsampled call
//! is then one thread-local decrement and a branch, and because the gaps are
//! random the sampler cannot lock step with periodic code (every-Nth
//! sampling would see only one phase of a loop).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rand_core::{Rng, SeedableRng};
use rand_xorshift::XorShiftRng;

/// Global sample rate, `f64` bits.
static RATE: AtomicU64 = AtomicU64::new(0x3ff0_0000_0000_0000); // 1.0
/// Seed of all per-thread generators; threads mix in their registration number.
static SEED: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);

/// Rate ≥ 1: roots need no draw (their next countdown is always 0).
pub(crate) static SAMPLE_ALL: AtomicBool = AtomicBool::new(true);

pub(crate) fn set_rate(rate: f64) {
    let rate = if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    };
    RATE.store(rate.to_bits(), Ordering::Relaxed);
    // With a root-context provider every root takes the cold decision.
    SAMPLE_ALL.store(rate >= 1.0 && !super::root_hook(), Ordering::Relaxed);
}

/// Whether the joined remote parent was not sampled (see `runtime::start`).
static PARENT_UNSAMPLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub(crate) fn set_parent_unsampled(unsampled: bool) {
    PARENT_UNSAMPLED.store(unsampled, Ordering::Relaxed);
}

/// A per-site rate as it applies now: 0 under an unsampled remote parent.
pub(crate) fn site_rate(rate: f64) -> f64 {
    if PARENT_UNSAMPLED.load(Ordering::Relaxed) {
        0.0
    } else {
        rate
    }
}

pub(crate) fn rate() -> f64 {
    f64::from_bits(RATE.load(Ordering::Relaxed))
}

pub(crate) fn set_seed(seed: u64) {
    SEED.store(seed, Ordering::Relaxed);
}

/// Longest countdown held in the thread's `skip` at once. The unsampled
/// path does not check whether `init` ran again (that would cost a load per
/// call), so a countdown drawn under an old configuration must run out
/// soon: longer ones are fed in pieces through the slow path, which does
/// check.
/// (The thread calling `init` adopts the new configuration at once.)
pub(crate) const MAX_COUNTDOWN: u64 = 1 << 10;

/// Splits "skip `r` calls, then sample" into the `skip` value
/// (`1 + calls skipped now`) and the calls left for later.
pub(crate) fn split_countdown(r: u64) -> (u64, u64) {
    let now = r.min(MAX_COUNTDOWN);
    (now + 1, r - now)
}

/// A generator for thread number `thread_no`.
pub(crate) fn thread_rng(thread_no: u64) -> XorShiftRng {
    XorShiftRng::seed_from_u64(mix64(
        SEED.load(Ordering::Relaxed) ^ thread_no.wrapping_mul(0xa076_1d64_78bd_642f),
    ))
}

pub(crate) use renacer_format::hash::splitmix64 as mix64;

/// Number of calls to skip before the next sampled one, for rate `p`.
///
/// `P(skip = k) = (1-p)^k · p`, so the long-run fraction of sampled calls is
/// exactly `p`. Rate ≥ 1 samples everything; rate ≤ 0 (or NaN) nothing.
pub(crate) fn geometric_skip(rng: &mut XorShiftRng, p: f64) -> u64 {
    if p >= 1.0 {
        return 0;
    }
    if p.is_nan() || p <= 0.0 {
        return u64::MAX;
    }
    // u uniform in (0, 1]: 53 random bits, shifted away from zero.
    let u = ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
    let k = (u.ln() / (-p).ln_1p()).floor();
    if k >= u64::MAX as f64 {
        u64::MAX
    } else {
        k as u64
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn extreme_rates() {
        let mut rng = thread_rng(1);
        assert_eq!(geometric_skip(&mut rng, 1.0), 0);
        assert_eq!(geometric_skip(&mut rng, 0.0), u64::MAX);
        assert_eq!(geometric_skip(&mut rng, f64::NAN), u64::MAX);
    }

    #[test]
    fn mean_skip_matches_the_geometric_mean() {
        let mut rng = thread_rng(7);
        let p = 0.01;
        let n = 20_000;
        let sum: u64 = (0..n).map(|_| geometric_skip(&mut rng, p)).sum();
        let mean = sum as f64 / n as f64;
        let want = (1.0 - p) / p; // 99
                                  // Std error of the mean ≈ sqrt((1-p)/p²)/sqrt(n) ≈ 0.7; allow 6σ.
        assert!((mean - want).abs() < 4.5, "mean {mean}");
    }
}
