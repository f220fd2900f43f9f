//! Quick probe of the SDK's costs (not a criterion bench; those live in
//! `benches/`): unsampled and recorded span cost next to a bare call and a raw
//! `rdtsc`, and collector throughput (drain + pair + export) for JSON lines and
//! Perfetto. Minimum of 7 runs per figure.
//!
//! `cargo run --release -p renacer --example hotpath_probe`
//! (`PROBE_OUT` / `PROBE_OUT2` choose the export files; `/dev/null` measures
//! the CPU side only).

use renacer::__private::{enter, Site};
use std::hint::black_box;
use std::time::{Duration, Instant};
static S: Site = Site::new("s", module_path!(), file!(), 1, 0, &[]);

#[inline(never)]
fn bare(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}
#[inline(never)]
fn traced(x: u64) -> u64 {
    let _g = enter(&S);
    black_box(x).wrapping_mul(3)
}

fn time(n: u64, f: impl Fn(u64) -> u64) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        let mut acc = 0u64;
        for i in 0..n {
            acc = acc.wrapping_add(f(i));
        }
        black_box(acc);
        best = best.min(t.elapsed().as_nanos() as f64 / n as f64);
    }
    best
}

fn main() {
    let n = 10_000_000;
    println!(
        "no init: bare {:.2} traced {:.2}",
        time(n, bare),
        time(n, traced)
    );
    {
        let _g = renacer::ConfigBuilder::defaults()
            .sample_rate(1e-7)
            .rate_limit(0)
            .init();
        println!(
            "unsampled: bare {:.2} traced {:.2}",
            time(n, bare),
            time(n, traced)
        );
    }
    {
        let _g = renacer::ConfigBuilder::defaults()
            .sample_rate(1.0)
            .rate_limit(0)
            .ring_capacity(1 << 12)
            .init();
        let mut best = f64::MAX;
        // SAFETY: RDTSC exists on every x86_64 CPU.
        let rd = time(n, |_| unsafe { core::arch::x86_64::_rdtsc() });
        for _ in 0..7 {
            // 1000 spans fit the ring (2000 events of 4096); let the collector drain between rounds.
            let t = Instant::now();
            let mut acc = 0;
            for i in 0..1000 {
                acc += traced(i);
            }
            black_box(acc);
            best = best.min(t.elapsed().as_nanos() as f64 / 1000.0);
            renacer::flush();
        }
        println!(
            "recorded: {best:.2} ns/span (rdtsc loop {rd:.2} ns); {:?}",
            renacer::stats()
        );
    }
    let jsonl = std::env::var("PROBE_OUT").unwrap_or("/tmp/probe_export.jsonl".into());
    collector_throughput("jsonl", &jsonl);
    let perfetto = std::env::var("PROBE_OUT2").unwrap_or("/tmp/probe_export.json".into());
    collector_throughput("perfetto", &perfetto);
}

/// Records a million spans into a ring that is not drained meanwhile, then
/// times one flush of them through the `kind` exporter writing to `path`.
fn collector_throughput(kind: &str, path: &str) {
    let m = 1_000_000u64;
    let g = renacer::ConfigBuilder::defaults()
        .sample_rate(1.0)
        .rate_limit(0)
        .ring_capacity(1 << 22)
        .flush_interval(Duration::from_secs(3600))
        .output(&format!("{kind}:{path}"))
        .init();
    let before = renacer::stats().exported;
    for i in 0..m {
        black_box(traced(i));
    }
    let t = Instant::now();
    renacer::flush();
    let dt = t.elapsed().as_secs_f64();
    let st = renacer::stats();
    println!(
        "collector drain+pair+{kind}: {} spans in {:.3}s = {:.2} M spans/s (dropped {})",
        st.exported - before,
        dt,
        (st.exported - before) as f64 / dt / 1e6,
        st.ring_dropped
    );
    drop(g);
}
