//! The 10 M-call burst: four threads call an instrumented function 2.5 M
//! times each with the default circuit breaker (10,000 spans/s). Prints how
//! many spans were recorded and dropped, the wall time, and the peak RSS.
//! Run: `cargo bench -p renacer-benches --bench burst`.

use std::hint::black_box;
use std::time::Instant;

const THREADS: u64 = 4;
const CALLS: u64 = 10_000_000;

#[inline(never)]
#[renacer::trace]
fn burst_call(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing.
    // Both run the burst once: it is a measurement, not a criterion group.
    let dir = std::env::temp_dir().join(format!("renacer-burst-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the bench's temp dir");
    let guard = renacer::Config::builder()
        .sample_rate(1.0)
        .output(&format!("jsonl:{}", dir.join("burst.jsonl").display()))
        .init();
    let rss_before = renacer_benches::peak_rss_bytes();
    let start = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..CALLS / THREADS {
                    black_box(burst_call(black_box(i ^ t)));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("burst thread");
    }
    let elapsed = start.elapsed();
    renacer::flush();
    let stats = renacer::stats();
    drop(guard);
    println!(
        "burst: {CALLS} calls on {THREADS} threads in {:.3} s ({:.1} ns/call); \
         recorded {} spans, rate_limited {}, ring_dropped {}; \
         peak RSS {:.1} MiB (before the burst {:.1} MiB)",
        elapsed.as_secs_f64(),
        elapsed.as_nanos() as f64 / CALLS as f64,
        stats.recorded,
        stats.rate_limited,
        stats.ring_dropped,
        renacer_benches::peak_rss_bytes() as f64 / 1048576.0,
        rss_before as f64 / 1048576.0,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
