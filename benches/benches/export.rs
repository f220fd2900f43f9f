//! Collector throughput: how fast recorded spans reach a file.
//!
//! Each iteration records [`SPANS`] spans (untimed), then times
//! `renacer::flush()`, which drains the ring, pairs the events and writes
//! them to a file on disk: JSON lines, Perfetto JSON, or the spool (the
//! binary records the renacer CLI reads, `RENACER_SPOOL`).

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
    // The same spans as JSON lines, Perfetto JSON and spool records to a
    // file in the temp dir, emptied between batches.
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
        for sink in ["jsonl", "perfetto", "spool"] {
            let path = dir.join(format!("spans.{sink}"));
            // The spool is the CLI's sink: named by the environment, not by
            // `output`.
            let output = if sink == "spool" {
                std::fs::create_dir_all(&path).expect("create the spool dir");
                std::env::set_var("RENACER_SPOOL", &path);
                String::new()
            } else {
                format!("{sink}:{}", path.display())
            };
            let written = if sink == "spool" {
                path.join(format!("{}.spool", std::process::id()))
            } else {
                path.clone()
            };
            let guard = renacer::Config::builder()
                .sample_rate(1.0)
                .rate_limit(0)
                .ring_capacity(2 * SPANS as usize + 16)
                // No periodic passes while the batch is recorded: the timed
                // flush then drains the whole batch, so spans / flush time is
                // the collector's throughput (periodic passes would export
                // part of the batch outside the timed region).
                .flush_interval(Duration::from_secs(3600))
                .output(&output)
                .init();
            std::env::remove_var("RENACER_SPOOL");
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
                        // Untimed: the file starts each batch empty, so its
                        // page cache is recycled. A file grown to gigabytes
                        // measures the VM's first touch of fresh guest pages
                        // instead (70 % of the samples in the kernel's copy
                        // into new page-cache pages, docs/benchmarks.md).
                        truncate(&written);
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

/// Empties a sink's file; its writer appends (the spool) or writes on
/// from its offset into a sparse file (JSON lines, Perfetto), either way
/// into recycled pages.
fn truncate(path: &std::path::Path) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(0))
        .expect("truncate the sink's file");
}

criterion_group!(benches, export);
criterion_main!(benches);
