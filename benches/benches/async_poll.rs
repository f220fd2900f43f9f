//! The cost of an instrumented future, per poll, in one run: a future that
//! is polled `POLLS` times (it returns `Pending` and wakes itself in
//! between) driven by hand with a no-op waker, bare and wrapped in
//! - renacer's `.in_span(renacer::async_span!(..))` (span start, a
//!   `RESUME`/`SUSPEND` pair per poll, end);
//! - `tracing::Instrument::instrument` with a registry and a no-op layer;
//! - fastrace's `FutureExt::in_span` under a sampled root.
//!
//! Throughput is per poll, so each row is the cost of one poll with its
//! share of the span's start and end. As in `span.rs`, renacer's rings are
//! flushed between timed batches so the measurement is not of ring
//! overflow.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fastrace::collector::SpanContext;
use fastrace::Span;
use renacer_benches::{DiscardReporter, NoopLayer};
use tracing::Instrument as _;
use tracing_subscriber::layer::SubscriberExt;

/// Polls per future.
const POLLS: u64 = 8;
/// Futures per timed batch (each records one span and 2 events per poll).
const BATCH: u64 = 1_024;

/// Returns `Pending` `left` times, waking itself each time.
struct Yields {
    left: u64,
}

impl Future for Yields {
    type Output = u64;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if self.left == 0 {
            return Poll::Ready(black_box(7));
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Drives `fut` to completion with a no-op waker.
fn drive<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Times `iters` polls: futures of `POLLS - 1` yields made by `make`, in
/// batches of [`BATCH`] futures, `flush` untimed between batches.
fn per_poll<F: Future>(
    iters: u64,
    mut make: impl FnMut() -> F,
    mut flush: impl FnMut(),
) -> Duration {
    let futures = iters.div_ceil(POLLS);
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < futures {
        let n = BATCH.min(futures - done);
        let t = Instant::now();
        for _ in 0..n {
            black_box(drive(make()));
        }
        total += t.elapsed();
        flush();
        done += n;
    }
    total
}

fn yields() -> Yields {
    Yields { left: POLLS - 1 }
}

fn async_poll(c: &mut Criterion) {
    let _guard = renacer::Config::builder()
        .sample_rate(1.0)
        .rate_limit(0)
        .ring_capacity(1 << 16)
        .output("jsonl:/dev/null")
        .init();
    fastrace::set_reporter(DiscardReporter, Default::default());

    let mut g = c.benchmark_group("async_poll");
    g.throughput(Throughput::Elements(1));
    g.bench_function("bare_future", |b| {
        b.iter_custom(|iters| per_poll(iters, yields, || {}))
    });
    g.bench_function("renacer_in_span", |b| {
        b.iter_custom(|iters| {
            per_poll(
                iters,
                || renacer::Instrument::in_span(yields(), renacer::async_span!("bench_future")),
                || {
                    renacer::flush();
                },
            )
        })
    });
    g.bench_function("fastrace_in_span", |b| {
        b.iter_custom(|iters| {
            let root = Span::root("bench_root", SpanContext::random());
            let t = per_poll(
                iters,
                || {
                    fastrace::future::FutureExt::in_span(
                        yields(),
                        Span::enter_with_parent("bench_future", &root),
                    )
                },
                fastrace::flush,
            );
            drop(root);
            fastrace::flush();
            t
        })
    });
    let subscriber = tracing_subscriber::registry().with(NoopLayer);
    tracing::subscriber::with_default(subscriber, || {
        g.bench_function("tracing_instrument_noop_layer", |b| {
            b.iter_custom(|iters| {
                per_poll(
                    iters,
                    || yields().instrument(tracing::info_span!("bench_future")),
                    || {},
                )
            })
        });
    });
    g.finish();
    renacer::flush();
    eprintln!(
        "renacer stats after the async bench: {:?}",
        renacer::stats()
    );
}

criterion_group!(benches, async_poll);
criterion_main!(benches);
