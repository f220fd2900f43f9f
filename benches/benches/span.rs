//! The cost of a recorded span (enter + exit), in one run, against:
//! - the physical floor: two raw TSC reads, which any span with a start and
//!   an end time must pay;
//! - `#[fastrace::trace]` under a sampled root with its collector active;
//! - `#[tracing::instrument]` with a registry and a no-op layer.
//!
//! renacer and fastrace both record into thread-local buffers that a
//! collector drains. So that the measurement is of recording and not of ring
//! overflow (the ring drops the newest event when full), each timed batch
//! records fewer spans than a ring holds and the buffers are flushed between
//! batches, outside the timed region. The export cost is measured on its own
//! in `benches/export.rs`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fastrace::collector::SpanContext;
use fastrace::Span;
use renacer_benches::{fastrace_reported, DiscardReporter, NoopLayer};
use std::sync::atomic::{AtomicU64, Ordering};
use tracing_subscriber::layer::SubscriberExt;

/// fastrace leaf spans the timed batches made (warm-up included).
static FASTRACE_TIMED: AtomicU64 = AtomicU64::new(0);

/// Spans recorded per timed batch: below the ring capacity set below, and
/// below fastrace's 10,240 spans per local parent (beyond it fastrace
/// records nothing, cheaply: a 16,384-span batch once made it look 30 %
/// faster than it is).
const BATCH: u64 = 8_192;
const RING_CAPACITY: usize = 1 << 16;

#[inline(never)]
#[renacer::trace]
fn renacer_leaf(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

#[inline(never)]
#[fastrace::trace]
fn fastrace_leaf(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

#[inline(never)]
#[tracing::instrument(skip_all)]
fn tracing_leaf(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

/// The floor for an instrumented, non-inlined function: the same body with
/// a raw TSC read on entry and on exit, and nothing else.
#[inline(never)]
fn floor_leaf(x: u64) -> u64 {
    let start = rdtsc();
    let r = x.wrapping_mul(3).wrapping_add(1);
    let end = rdtsc();
    black_box((start, end));
    r
}

#[inline(always)]
fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no preconditions on x86_64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Times `iters` calls of `call` in batches of [`BATCH`]. Each batch runs
/// under a root made by `root` and is followed by `flush`; both untimed.
fn batched<R>(
    iters: u64,
    mut root: impl FnMut() -> R,
    mut call: impl FnMut(u64),
    mut flush: impl FnMut(),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = BATCH.min(iters - done);
        let root_guard = root();
        let t = Instant::now();
        for i in 0..n {
            call(black_box(i));
        }
        total += t.elapsed();
        drop(root_guard);
        flush();
        done += n;
    }
    total
}

fn recorded_span(c: &mut Criterion) {
    let _guard = renacer::Config::builder()
        .sample_rate(1.0)
        .rate_limit(0)
        .ring_capacity(RING_CAPACITY)
        .output("jsonl:/dev/null")
        .init();
    fastrace::set_reporter(DiscardReporter, Default::default());

    let mut g = c.benchmark_group("recorded_span");
    g.throughput(Throughput::Elements(1));
    g.bench_function("floor_two_tsc_reads", |b| {
        b.iter(|| {
            let start = rdtsc();
            let end = rdtsc();
            black_box((start, end))
        })
    });
    g.bench_function("floor_two_tsc_reads_in_fn", |b| {
        b.iter(|| black_box(floor_leaf(black_box(7))))
    });
    g.bench_function("renacer", |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                || renacer::span!("bench_root"),
                |i| {
                    black_box(renacer_leaf(i));
                },
                || {
                    renacer::flush();
                },
            )
        })
    });
    g.bench_function("fastrace", |b| {
        b.iter_custom(|iters| {
            FASTRACE_TIMED.fetch_add(iters, Ordering::Relaxed);
            batched(
                iters,
                || {
                    let root = Span::root("bench_root", SpanContext::random());
                    let parent = root.set_local_parent();
                    (parent, root)
                },
                |i| {
                    black_box(fastrace_leaf(i));
                },
                fastrace::flush,
            )
        })
    });
    let subscriber = tracing_subscriber::registry().with(NoopLayer);
    tracing::subscriber::with_default(subscriber, || {
        g.bench_function("tracing_registry_noop_layer", |b| {
            b.iter(|| black_box(tracing_leaf(black_box(7))))
        });
    });
    g.finish();
    fastrace::flush();
    renacer::flush();
    let stats = renacer::stats();
    eprintln!("renacer stats after the span bench: {stats:?}");
    // Each fastrace batch also reports its root span.
    let (timed, reported) = (FASTRACE_TIMED.load(Ordering::Relaxed), fastrace_reported());
    eprintln!("fastrace: {timed} leaf spans timed, {reported} spans reported (roots included)");
    assert!(
        reported >= timed,
        "fastrace skipped spans: the comparison is not like for like"
    );
}

criterion_group!(benches, recorded_span);
criterion_main!(benches);
