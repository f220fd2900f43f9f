//! CUPTI's timestamps converted to `CLOCK_MONOTONIC` ns.
//!
//! CUPTI stamps API calls and device work (normalized by CUPTI to its host
//! timestamp, `cuptiGetTimestamp`) on a clock of its own. renacer reads
//! `CLOCK_MONOTONIC`, then CUPTI's clock, then `CLOCK_MONOTONIC` again, a
//! few times, and keeps the narrowest bracket: CUPTI's reading happened
//! within it, so `offset = midpoint - cupti` is off by at most half the
//! bracket. Calibration is repeated at every flush and records are
//! converted with the latest one, so a rate difference between the two
//! clocks (NTP slewing `CLOCK_MONOTONIC`, at most 500 ppm) adds at most
//! 500 ns per ms since the last flush; the bound carried on every item
//! (`gpu.clock_error_ns`) is the bracket half-width only.

/// Bracketed readings taken per calibration.
pub(crate) const SAMPLES: usize = 16;

/// An offset from CUPTI's clock to `CLOCK_MONOTONIC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Calibration {
    offset: i128,
    /// Half the narrowest bracket, ns, rounded up.
    pub(crate) error_ns: u64,
}

impl Calibration {
    /// Measures with `host` (`CLOCK_MONOTONIC` ns) and `cupti` readers.
    pub(crate) fn measure(
        mut host: impl FnMut() -> u64,
        mut cupti: impl FnMut() -> u64,
    ) -> Calibration {
        let mut best: Option<(u64, u64, u64)> = None;
        for _ in 0..SAMPLES {
            let before = host();
            let c = cupti();
            let after = host().max(before);
            if best.is_none_or(|(b, _, a)| after - before < a - b) {
                best = Some((before, c, after));
            }
        }
        let (before, c, after) = best.unwrap_or_default();
        let width = after - before;
        Calibration {
            offset: i128::from(before + width / 2) - i128::from(c),
            error_ns: width.div_ceil(2),
        }
    }

    /// A CUPTI timestamp in `CLOCK_MONOTONIC` ns (0 stays 0: CUPTI's
    /// "not collected").
    pub(crate) fn to_host(self, t: u64) -> u64 {
        if t == 0 {
            return 0;
        }
        (i128::from(t) + self.offset).clamp(0, i128::from(u64::MAX)) as u64
    }
}
