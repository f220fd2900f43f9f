//! Collector throughput: how fast recorded spans reach a JSON-lines file,
//! and the 10 M-call burst through the circuit breaker.
//!
//! `export_jsonl`: each iteration records [`SPANS`] spans (untimed), then
//! times `renacer::flush()`, which drains the ring, pairs the events and
//! writes them to a file on disk.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SPANS: u64 = 100_000;

#[inline(never)]
#[renacer::trace]
fn leaf(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

fn export(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("renacer-export-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the bench's temp dir");
    let path = dir.join("spans.jsonl");
    let _guard = renacer::Config::builder()
        .sample_rate(1.0)
        .rate_limit(0)
        .ring_capacity(2 * SPANS as usize + 16)
        .output(&format!("jsonl:{}", path.display()))
        .init();

    let mut g = c.benchmark_group("collector");
    g.throughput(Throughput::Elements(SPANS));
    g.sample_size(20);
    g.bench_function("export_jsonl", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                for i in 0..SPANS {
                    black_box(leaf(black_box(i)));
                }
                let t = Instant::now();
                renacer::flush();
                total += t.elapsed();
            }
            total
        })
    });
    g.finish();
    eprintln!(
        "renacer stats after the export bench: {:?}",
        renacer::stats()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, export);
criterion_main!(benches);
