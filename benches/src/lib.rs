//! Workloads and helpers shared by the benches.
//!
//! The workload functions exist three times, from one definition: with
//! `#[renacer::trace]`, with the attribute compiled out the way a transpiled
//! crate's `#[cfg_attr(feature = "trace", renacer::trace)]` does when the
//! feature is off, and bare. The benches compare the three in one run.

/// Defines the workload functions in module `$m`, each carrying `$attr`.
macro_rules! workloads {
    ($m:ident $(, #[$attr:meta])?) => {
        pub mod $m {
            /// Naive Fibonacci: ~30 M calls for n = 35, each a few ns of work.
            $(#[$attr])?
            pub fn fib(n: u32) -> u64 {
                if n < 2 {
                    n as u64
                } else {
                    fib(n - 1) + fib(n - 2)
                }
            }

            /// Crosses out the multiples of `p` (one call per prime up to √n).
            $(#[$attr])?
            pub fn cross_out(composite: &mut [bool], p: usize) {
                let mut m = p * p;
                while m < composite.len() {
                    composite[m] = true;
                    m += p;
                }
            }

            /// Counts the primes below `n` with the sieve of Eratosthenes.
            $(#[$attr])?
            pub fn sieve(n: usize) -> usize {
                let mut composite = vec![false; n];
                let mut p = 2;
                while p * p < n {
                    if !composite[p] {
                        cross_out(&mut composite, p);
                    }
                    p += 1;
                }
                composite.iter().skip(2).filter(|c| !**c).count()
            }

            /// Sums one chunk of the array (1024 elements, a few hundred ns).
            $(#[$attr])?
            pub fn sum_chunk(chunk: &[u64]) -> u64 {
                chunk.iter().fold(0u64, |a, b| a.wrapping_add(*b))
            }

            /// Sums the array chunk by chunk.
            $(#[$attr])?
            pub fn array_sum(data: &[u64]) -> u64 {
                data.chunks(1024).fold(0u64, |a, c| a.wrapping_add(sum_chunk(c)))
            }
        }
    };
}

workloads!(instrumented, #[renacer::trace]);
workloads!(compiled_out, #[cfg_attr(any(), renacer::trace)]);
workloads!(bare);

/// Peak resident set size of this process in bytes (`VmHWM`).
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// fastrace's collector hands finished spans here; dropping them keeps the
/// comparison about recording, like renacer's `/dev/null` sink. It counts
/// them ([`fastrace_reported`]), so a bench can show that every span it
/// timed was recorded (fastrace keeps at most 10,240 spans per local
/// parent and silently skips the rest).
pub struct DiscardReporter;

static FASTRACE_REPORTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Spans [`DiscardReporter`] has received so far.
pub fn fastrace_reported() -> u64 {
    FASTRACE_REPORTED.load(std::sync::atomic::Ordering::Relaxed)
}

impl fastrace::collector::Reporter for DiscardReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        FASTRACE_REPORTED.fetch_add(spans.len() as u64, std::sync::atomic::Ordering::Relaxed);
        std::hint::black_box(spans);
    }
}

/// A `tracing` layer that does nothing: the cost measured is tracing's own.
pub struct NoopLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for NoopLayer {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_variants_compute_the_same() {
        assert_eq!(bare::fib(20), 6765);
        assert_eq!(instrumented::fib(20), bare::fib(20));
        assert_eq!(compiled_out::fib(20), bare::fib(20));
        assert_eq!(bare::sieve(1_000_000), 78_498);
        assert_eq!(instrumented::sieve(10_000), bare::sieve(10_000));
        let data: Vec<u64> = (0..10_000).collect();
        assert_eq!(bare::array_sum(&data), 49_995_000);
        assert_eq!(
            instrumented::array_sum(&data),
            compiled_out::array_sum(&data)
        );
    }
}
