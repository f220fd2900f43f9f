//! Workload of `benches/unified_overhead.sh`: `N` calls of a
//! `#[renacer::trace]` function that opens, reads and closes a small file
//! (3 syscalls each), spread over 2 threads.
//!
//! `UNIFIED_OVERHEAD_SDK=1` calls `renacer::init()` (every span recorded:
//! sample rate 1, no rate limit), so under `renacer --format unified` the
//! SDK spools its spans; unset, the SDK is never initialised and the
//! instrumented functions cost one relaxed load, as in a program without it.
//! Prints the elapsed wall time of the workload in ns on stdout.

use std::io::Read;
use std::path::Path;
use std::time::Instant;

#[renacer::trace]
fn read_file(path: &Path, buf: &mut [u8]) -> usize {
    std::fs::File::open(path)
        .and_then(|mut f| f.read(buf))
        .unwrap_or(0)
}

#[renacer::trace]
fn batch(path: &Path, n: usize) -> usize {
    let mut buf = [0u8; 64];
    (0..n).map(|_| read_file(path, &mut buf)).sum()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let sdk = std::env::var_os("UNIFIED_OVERHEAD_SDK").is_some_and(|v| v == "1");
    let guard = sdk.then(|| {
        renacer::Config::builder()
            .sample_rate(1.0)
            .rate_limit(0)
            .init()
    });
    let path = std::env::temp_dir().join(format!("renacer-overhead-{}", std::process::id()));
    std::fs::write(&path, b"renacer unified overhead workload\n").expect("write input file");
    let start = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || batch(&p, n / 2))
        })
        .collect();
    let bytes: usize = threads.into_iter().map(|t| t.join().unwrap_or(0)).sum();
    let elapsed = start.elapsed();
    drop(guard);
    let _ = std::fs::remove_file(&path);
    assert!(bytes > 0, "workload read nothing");
    println!("{}", elapsed.as_nanos());
}
