//! `stats().sampled_out` counts calls that were actually skipped: never a
//! call that has not happened yet, and at most one countdown piece (1024
//! calls) per live thread and per per-site-rate site behind. Threads that
//! exited are counted exactly.

use renacer::__private::{enter, enter_with_rate, Cell, Site};

static ROOT: Site = Site::new("root", module_path!(), file!(), 1, 0, &[]);
static HOT: Site = Site::new("hot", module_path!(), file!(), 2, 0, &[]);

/// The documented lag: one countdown piece.
const PIECE: u64 = 1024;

/// The runtime and the counters are process-global: tests take turns, and
/// run their calls on threads they join, so no test thread settles a
/// countdown piece while the next test measures.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn start(rate: f64) -> renacer::InitGuard {
    let guard = renacer::ConfigBuilder::defaults()
        .sample_rate(rate)
        .rate_limit(0)
        .ring_capacity(1 << 18)
        .init();
    assert!(guard.is_active());
    guard
}

fn sampled_out() -> u64 {
    renacer::stats().sampled_out
}

fn assert_within_lag(counted: u64, calls: u64, lag: u64) {
    assert!(
        counted <= calls && counted + lag >= calls,
        "counted {counted} of {calls} skipped calls (lag allowed {lag})"
    );
}

fn on_a_thread(f: impl FnOnce() + Send + 'static) {
    std::thread::spawn(f).join().unwrap();
}

#[test]
fn tiny_rate_counts_only_calls_that_happened() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let guard = start(1e-12);
    on_a_thread(|| {
        // Checked after each batch, counting from this thread's first call
        // (a fresh thread: nothing of it was counted before).
        let before = sampled_out();
        let mut calls = 0;
        for n in [1u64, 10, 1000, 5000, 100_000] {
            for _ in 0..n {
                assert!(!enter(&ROOT).is_recording());
            }
            calls += n;
            assert_within_lag(sampled_out() - before, calls, PIECE);
        }
    });
    // Threads that exited have their last piece counted: exact.
    let before = sampled_out();
    let threads: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(|| {
                for _ in 0..30_000 {
                    assert!(!enter(&ROOT).is_recording());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(sampled_out() - before, 3 * 30_000);
    drop(guard);
}

#[test]
fn per_site_rate_counts_only_calls_that_happened() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    thread_local! {
        static SKIP: Cell<u64> = const { Cell::new(0) };
    }
    let guard = start(1.0);
    on_a_thread(|| {
        let before = sampled_out();
        let mut calls = 0;
        for n in [1u64, 3000, 50_000] {
            for _ in 0..n {
                assert!(!enter_with_rate(&HOT, 1e-12, &SKIP).is_recording());
            }
            calls += n;
            assert_within_lag(sampled_out() - before, calls, PIECE);
        }
    });
    drop(guard);
}

#[test]
fn recorded_plus_sampled_out_is_every_call() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let guard = start(0.5);
    assert!(renacer::flush());
    let s0 = renacer::stats();
    let n = 100_000u64;
    on_a_thread(move || {
        let mut recorded = 0;
        for _ in 0..n {
            recorded += enter(&ROOT).is_recording() as u64;
        }
        assert!(renacer::flush());
        let s1 = renacer::stats();
        assert_eq!(s1.recorded - s0.recorded, recorded);
        assert_eq!(s1.ring_dropped, s0.ring_dropped);
        assert!(recorded > 0 && recorded < n);
        assert_within_lag(recorded + s1.sampled_out - s0.sampled_out, n, PIECE);
    });
    drop(guard);
}
