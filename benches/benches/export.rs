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
    let mut g = c.benchmark_group("collector");
    g.throughput(Throughput::Elements(SPANS));
    g.sample_size(10);
    // The same spans as JSON lines and as Perfetto JSON to a file in the
    // temp dir. (A tmpfs variant measured the same, so the disk is not what
    // limits it; it was dropped because the file grows by gigabytes over a
    // run, which tmpfs holds in memory.)
    for (label, base) in [("disk", std::env::temp_dir())] {
        if !base.is_dir() {
            eprintln!(
                "skipping the {label} rows: {} does not exist",
                base.display()
            );
            continue;
        }
        let dir = base.join(format!("renacer-export-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the bench's temp dir");
        for sink in ["jsonl", "perfetto"] {
            let path = dir.join(format!("spans.{sink}"));
            let guard = renacer::Config::builder()
                .sample_rate(1.0)
                .rate_limit(0)
                .ring_capacity(2 * SPANS as usize + 16)
                // No periodic passes while the batch is recorded: the timed
                // flush then drains the whole batch, so spans / flush time is
                // the collector's throughput (periodic passes would export
                // part of the batch outside the timed region).
                .flush_interval(Duration::from_secs(3600))
                .output(&format!("{sink}:{}", path.display()))
                .init();
            g.bench_function(format!("{sink}_{label}"), |b| {
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
            drop(guard);
            eprintln!("{sink} to {label}: {:?}", renacer::stats());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    g.finish();
}

criterion_group!(benches, export);
criterion_main!(benches);
