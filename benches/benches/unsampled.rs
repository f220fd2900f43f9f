//! The cost of an instrumented call that is not recorded, against the bare
//! call and against fastrace's and tracing's not-recorded paths, in one run.
//!
//! Order matters: the "no init" case runs before `renacer::init`, the
//! "unsampled" case after an init whose sample rate makes a recorded call
//! practically impossible (one in 10^12), so every call takes the skip path.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

#[inline(never)]
fn bare(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

#[inline(never)]
#[renacer::trace]
fn renacer_traced(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

/// A per-site rate (`sample = ..`): its own thread-local countdown.
#[inline(never)]
#[renacer::trace(sample = 1e-12)]
fn renacer_site_rate_traced(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

#[inline(never)]
#[fastrace::trace]
fn fastrace_traced(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

#[inline(never)]
#[tracing::instrument(skip_all)]
fn tracing_traced(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

fn not_recorded(c: &mut Criterion) {
    let mut g = c.benchmark_group("not_recorded");
    g.bench_function("bare", |b| b.iter(|| bare(black_box(7))));
    g.bench_function("renacer_no_init", |b| {
        b.iter(|| renacer_traced(black_box(7)))
    });
    // fastrace with a reporter but no sampled parent: its not-sampled path.
    fastrace::set_reporter(fastrace::collector::ConsoleReporter, Default::default());
    g.bench_function("fastrace_no_parent", |b| {
        b.iter(|| fastrace_traced(black_box(7)))
    });
    g.bench_function("tracing_no_subscriber", |b| {
        b.iter(|| tracing_traced(black_box(7)))
    });

    let _guard = renacer::Config::builder()
        .sample_rate(1e-12)
        .output("")
        .init();
    g.bench_function("renacer_unsampled", |b| {
        b.iter(|| renacer_traced(black_box(7)))
    });
    g.bench_function("renacer_site_rate_unsampled", |b| {
        b.iter(|| renacer_site_rate_traced(black_box(7)))
    });
    g.finish();
    let stats = renacer::stats();
    eprintln!("renacer stats after the unsampled bench: {stats:?}");
}

criterion_group!(benches, not_recorded);
criterion_main!(benches);
