//! Whole workloads instrumented at 0.1% sampling vs the same code with the
//! attribute compiled out vs the bare code, in one run.
//!
//! Every function of the workload carries the attribute (fib: ~30 M calls
//! of a few ns each; the sieve: one call per prime below 1000; the array
//! sum: one call per 1024-element chunk, a few hundred ns each).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use renacer_benches::{bare, compiled_out, instrumented};

fn workloads(c: &mut Criterion) {
    let _guard = renacer::Config::builder()
        .sample_rate(0.001)
        .output("jsonl:/dev/null")
        .init();
    let data: Vec<u64> = (0..10_000_000).collect();

    let mut g = c.benchmark_group("fib35");
    g.sample_size(10);
    g.bench_function("bare", |b| b.iter(|| bare::fib(black_box(35))));
    g.bench_function("compiled_out", |b| {
        b.iter(|| compiled_out::fib(black_box(35)))
    });
    g.bench_function("sampled_0.1%", |b| {
        b.iter(|| instrumented::fib(black_box(35)))
    });
    g.finish();

    let mut g = c.benchmark_group("sieve_1e6");
    g.bench_function("bare", |b| b.iter(|| bare::sieve(black_box(1_000_000))));
    g.bench_function("compiled_out", |b| {
        b.iter(|| compiled_out::sieve(black_box(1_000_000)))
    });
    g.bench_function("sampled_0.1%", |b| {
        b.iter(|| instrumented::sieve(black_box(1_000_000)))
    });
    g.finish();

    let mut g = c.benchmark_group("array_sum_1e7");
    g.bench_function("bare", |b| b.iter(|| bare::array_sum(black_box(&data))));
    g.bench_function("compiled_out", |b| {
        b.iter(|| compiled_out::array_sum(black_box(&data)))
    });
    g.bench_function("sampled_0.1%", |b| {
        b.iter(|| instrumented::array_sum(black_box(&data)))
    });
    g.finish();

    renacer::flush();
    eprintln!("renacer stats after the workloads: {:?}", renacer::stats());
}

criterion_group!(benches, workloads);
criterion_main!(benches);
