//! Latency percentiles for `-c -T`: per syscall p50, p90, p99, max, and the
//! mean and standard deviation from trueno (its two-pass variance, stable
//! where E[X²]−μ² in f32 is not, over samples centred on their median).
//! strace's `-c` has only totals and means.
//!
//! Samples are microseconds as f32 (exact to well under a nanosecond for
//! any latency below an hour). Each syscall keeps at most [`CAP`] samples:
//! beyond that a uniform reservoir (Vitter's algorithm R) stands in for
//! them, so memory stays bounded on long runs and the percentiles become
//! estimates from a uniform sample (the count, total and mean columns stay
//! exact).

use trueno::Vector;

/// Samples kept per syscall (4 MiB of f32).
pub(crate) const CAP: usize = 1 << 20;

/// The latencies of one syscall.
#[derive(Debug, Default, Clone)]
pub(crate) struct Samples {
    kept: Vec<f32>,
    seen: u64,
    rng: u64,
}

impl Samples {
    /// Adds one latency in nanoseconds.
    pub(crate) fn push(&mut self, ns: u64) {
        let us = ns as f32 / 1000.0;
        self.seen += 1;
        if self.kept.len() < CAP {
            self.kept.push(us);
            return;
        }
        // Replace a random kept sample with probability CAP / seen.
        let j = self.next() % self.seen;
        if (j as usize) < CAP {
            self.kept[j as usize] = us;
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*, seeded per syscall; the sequence only needs to be
        // uniform, not secret.
        if self.rng == 0 {
            self.rng = 0x9e37_79b9_7f4a_7c15;
        }
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Every sample kept (for the total row).
    pub(crate) fn kept(&self) -> &[f32] {
        &self.kept
    }
}

/// What the table shows, microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Latency {
    pub p50: f32,
    pub p90: f32,
    pub p99: f32,
    pub max: f32,
    pub mean: f32,
    pub stddev: f32,
}

/// The nearest-rank percentile `q` (0 < q ≤ 1) of sorted `xs`.
fn rank(sorted: &[f32], q: f64) -> f32 {
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

/// Percentiles (nearest rank), max, mean and standard deviation of `xs`;
/// `None` for no samples.
pub(crate) fn latency(xs: &[f32]) -> Option<Latency> {
    if xs.is_empty() {
        return None;
    }
    let mut sorted = xs.to_vec();
    sorted.sort_unstable_by(f32::total_cmp);
    let p50 = rank(&sorted, 0.50);
    // Mean and deviation of the samples less their median: the same
    // spread, but sums near zero, where f32 keeps its precision (a sum of a
    // million latencies near a second would not).
    let centred: Vec<f32> = xs.iter().map(|&x| x - p50).collect();
    let c = Vector::from_slice(&centred);
    Some(Latency {
        p50,
        p90: rank(&sorted, 0.90),
        p99: rank(&sorted, 0.99),
        max: Vector::from_slice(xs).max().ok()?,
        mean: p50 + c.mean().ok()?,
        stddev: c.stddev().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same statistics in plain Rust (f64, two passes).
    fn reference(xs: &[f32]) -> Latency {
        let mut s: Vec<f64> = xs.iter().map(|&x| f64::from(x)).collect();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let pick = |q: f64| s[((q * n as f64).ceil() as usize).clamp(1, n) - 1] as f32;
        let mean = s.iter().sum::<f64>() / n as f64;
        let var = s.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        Latency {
            p50: pick(0.5),
            p90: pick(0.9),
            p99: pick(0.99),
            max: s[n - 1] as f32,
            mean: mean as f32,
            stddev: var.sqrt() as f32,
        }
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() <= 1e-3 * b.abs().max(1.0)
    }

    #[test]
    fn matches_a_plain_rust_reference() {
        // Latencies with a long tail, as syscalls have: most fast, a few slow.
        let mut x = 12345u64;
        let xs: Vec<f32> = (0..100_003)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (x >> 40) as f32 / (1u64 << 24) as f32;
                0.5 + 3.0 * u + if u > 0.995 { 900.0 * u } else { 0.0 }
            })
            .collect();
        let got = latency(&xs).unwrap();
        let want = reference(&xs);
        assert_eq!(
            (got.p50, got.p90, got.p99, got.max),
            (want.p50, want.p90, want.p99, want.max)
        );
        assert!(close(got.mean, want.mean), "{got:?} {want:?}");
        assert!(close(got.stddev, want.stddev), "{got:?} {want:?}");
    }

    #[test]
    fn stable_when_the_mean_is_large() {
        // E[X²]−μ² in f32 loses everything here; two passes do not.
        let xs: Vec<f32> = (0..10_000).map(|i| 1_000_000.0 + (i % 2) as f32).collect();
        let got = latency(&xs).unwrap();
        assert!(close(got.stddev, 0.5), "{got:?}");
    }

    #[test]
    fn small_and_empty_inputs() {
        assert!(latency(&[]).is_none());
        let one = latency(&[7.0]).unwrap();
        assert_eq!(
            (one.p50, one.p99, one.max, one.stddev),
            (7.0, 7.0, 7.0, 0.0)
        );
        let l = latency(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!((l.p50, l.p90, l.p99), (2.0, 4.0, 4.0));
    }

    #[test]
    fn the_reservoir_bounds_memory_and_stays_uniform() {
        let mut s = Samples::default();
        for i in 0..(3 * CAP as u64) {
            s.push(i * 1000);
        }
        assert_eq!(s.kept().len(), CAP);
        // A uniform sample of 0..3·CAP µs: its median is near 1.5·CAP.
        let l = latency(s.kept()).unwrap();
        let mid = 1.5 * CAP as f32;
        assert!((l.p50 - mid).abs() < 0.01 * mid, "{l:?}");
    }
}
