//! Traced trueno operations against direct calls, in one run:
//! - `dot` and `sum` over 1 K, 100 K and 10 M f32, each direct, traced and
//!   recorded (threshold 0), and traced under the default thresholds (a
//!   1 K block is below 50 µs: counted, not recorded);
//! - the per-call cost of a traced block that is not sampled (rate 0) and
//!   of one sampled but below its threshold, on a 16-element vector where
//!   the operation itself is a few nanoseconds.
//!
//! Budget (issue 11): ≤ 5 % at 100 K elements; ≤ 1 ns added for a block
//! that records nothing.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use renacer::compute::trueno::Traced;
use renacer::compute::ComputeClass;
use trueno::Vector;

fn data(n: usize) -> Vector<f32> {
    Vector::from_slice(
        &(0..n)
            .map(|i| (i % 1000) as f32 * 0.001)
            .collect::<Vec<_>>(),
    )
}

fn init(rate: f64, threshold: Duration) -> renacer::InitGuard {
    renacer::ConfigBuilder::defaults()
        .sample_rate(rate)
        .rate_limit(0)
        .ring_capacity(1 << 16)
        .compute_threshold(ComputeClass::Simd, threshold)
        .init()
}

fn sizes(c: &mut Criterion) {
    let mut g = c.benchmark_group("compute");
    for n in [1_000usize, 100_000, 10_000_000] {
        let (a, b) = (data(n), data(n));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("dot/direct", n), &n, |bench, _| {
            bench.iter(|| black_box(a.dot(&b).unwrap()))
        });
        {
            let _g = init(1.0, Duration::ZERO);
            g.bench_with_input(
                BenchmarkId::new("dot/traced-recorded", n),
                &n,
                |bench, _| bench.iter(|| black_box(a.traced().dot(&b).unwrap())),
            );
        }
        {
            let _g = init(1.0, renacer::compute::DEFAULT_SIMD_THRESHOLD);
            g.bench_with_input(BenchmarkId::new("dot/traced-default", n), &n, |bench, _| {
                bench.iter(|| black_box(a.traced().dot(&b).unwrap()))
            });
        }
        g.bench_with_input(BenchmarkId::new("sum/direct", n), &n, |bench, _| {
            bench.iter(|| black_box(a.sum().unwrap()))
        });
        {
            let _g = init(1.0, Duration::ZERO);
            g.bench_with_input(
                BenchmarkId::new("sum/traced-recorded", n),
                &n,
                |bench, _| bench.iter(|| black_box(a.traced().sum().unwrap())),
            );
        }
    }
    g.finish();
}

fn per_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("compute-per-call");
    let v = data(16);
    g.bench_function("sum16/direct", |b| {
        b.iter(|| black_box(black_box(&v).sum().unwrap()))
    });
    {
        let _g = init(0.0, renacer::compute::DEFAULT_SIMD_THRESHOLD);
        g.bench_function("sum16/traced-unsampled", |b| {
            b.iter(|| black_box(black_box(&v).traced().sum().unwrap()))
        });
    }
    {
        let _g = init(1.0, renacer::compute::DEFAULT_SIMD_THRESHOLD);
        g.bench_function("sum16/traced-below-threshold", |b| {
            b.iter(|| black_box(black_box(&v).traced().sum().unwrap()))
        });
    }
    {
        let _g = init(1.0, Duration::ZERO);
        g.bench_function("sum16/traced-recorded", |b| {
            b.iter(|| black_box(black_box(&v).traced().sum().unwrap()))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = sizes, per_call
}
criterion_main!(benches);
