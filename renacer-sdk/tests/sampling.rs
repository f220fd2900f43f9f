//! Sampling through the real runtime: the observed rate matches the
//! configured one within statistical bounds, and a strictly periodic
//! pattern is sampled without aliasing (geometric skips, not every-Nth).

use std::sync::Mutex;

use proptest::prelude::*;
use renacer::__private::{enter, enter_with_rate, Cell, Site};

static ROOT: Site = Site::new("root", module_path!(), file!(), 1, 0, &[]);
static SPECIAL: Site = Site::new("special", module_path!(), file!(), 2, 0, &[]);
static CHILD: Site = Site::new("child", module_path!(), file!(), 3, 0, &[]);
static HOT: Site = Site::new("hot", module_path!(), file!(), 4, 0, &[]);

/// The runtime is process-global: tests of this binary take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn start(rate: f64, seed: u64) -> renacer::InitGuard {
    renacer::ConfigBuilder::defaults()
        .sample_rate(rate)
        .rate_limit(0)
        .ring_capacity(1 << 18)
        .seed(seed)
        .init()
}

/// |observed - n·p| within 5 standard deviations (+1 for tiny n·p).
fn assert_binomial(observed: u64, n: u64, p: f64) {
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    assert!(
        (observed as f64 - mean).abs() <= 5.0 * sd + 1.0,
        "observed {observed} of {n} at p={p} (expected {mean:.1} ± {sd:.1})"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn observed_rate_matches_configured_rate(p in 0.005f64..0.9, seed in any::<u64>()) {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let guard = start(p, seed);
        prop_assert!(guard.is_active());
        let n = 20_000u64;
        let mut sampled = 0;
        for _ in 0..n {
            let g = enter(&ROOT);
            sampled += g.is_recording() as u64;
        }
        drop(guard);
        assert_binomial(sampled, n, p);
    }

    #[test]
    fn periodic_calls_are_not_aliased(p in 0.01f64..0.5, seed in any::<u64>()) {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let (special, _) = run_periodic(p, seed);
        assert_binomial(special, 2_000, p);
    }
}

/// 128,000 root calls where every 64th is `special`; returns how many
/// special and normal calls were sampled.
fn run_periodic(p: f64, seed: u64) -> (u64, u64) {
    let guard = start(p, seed);
    let (mut special, mut normal) = (0, 0);
    for i in 0..128_000u64 {
        if i % 64 == 0 {
            special += enter(&SPECIAL).is_recording() as u64;
        } else {
            normal += enter(&ROOT).is_recording() as u64;
        }
    }
    drop(guard);
    (special, normal)
}

#[test]
fn period_equal_to_the_mean_gap_is_not_aliased() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // An every-64th sampler at p = 1/64 would sample all special calls or
    // none of them.
    let p = 1.0 / 64.0;
    let (special, normal) = run_periodic(p, 42);
    assert_binomial(special, 2_000, p);
    assert_binomial(normal, 126_000, p);
}

#[test]
fn descendants_of_sampled_spans_are_always_recorded() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let guard = start(0.1, 7);
    let (mut roots, mut children) = (0u64, 0u64);
    for _ in 0..10_000 {
        let r = enter(&ROOT);
        let c = enter(&CHILD);
        let g = enter(&CHILD);
        if r.is_recording() {
            assert!(c.is_recording() && g.is_recording());
            roots += 1;
        }
        // A child of an unsampled root is itself a root candidate: it may be
        // sampled, and then its own subtree is complete.
        if c.is_recording() {
            assert!(g.is_recording());
        }
        children += c.is_recording() as u64;
    }
    drop(guard);
    assert!(children >= roots);
    assert_binomial(roots, 10_000, 0.1);
}

#[test]
fn per_site_rate_overrides_the_global_rate() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    thread_local! {
        static SKIP: Cell<u64> = const { Cell::new(0) };
    }
    // Global rate 1: everything else is recorded; the hot site keeps its own
    // 1% even inside recorded trees.
    let guard = start(1.0, 9);
    let mut hot = 0;
    for _ in 0..50_000 {
        let r = enter(&ROOT);
        assert!(r.is_recording());
        let h = enter_with_rate(&HOT, 0.01, &SKIP);
        hot += h.is_recording() as u64;
    }
    // Outside any tree too, and the global countdown is untouched by it.
    let mut hot_roots = 0;
    for _ in 0..50_000 {
        let h = enter_with_rate(&HOT, 0.01, &SKIP);
        hot_roots += h.is_recording() as u64;
        drop(h);
        assert!(enter(&ROOT).is_recording());
    }
    drop(guard);
    assert_binomial(hot, 50_000, 0.01);
    assert_binomial(hot_roots, 50_000, 0.01);
}

#[test]
fn rate_zero_records_nothing_and_counts_sampled_out() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let guard = start(0.0, 1);
    for _ in 0..1000 {
        assert!(!enter(&ROOT).is_recording());
    }
    assert!(renacer::stats().sampled_out > 0);
    drop(guard);
}

#[test]
fn other_threads_adopt_a_new_rate_within_a_bounded_number_of_calls() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (to_worker, from_main) = std::sync::mpsc::channel::<()>();
    let (to_main, from_worker) = std::sync::mpsc::channel::<u64>();
    let guard = start(1e-9, 3);
    let worker = std::thread::spawn(move || {
        // Under rate 1e-9 this thread draws a huge countdown.
        for _ in 0..100 {
            assert!(!enter(&ROOT).is_recording());
        }
        to_main.send(0).unwrap();
        from_main.recv().unwrap();
        // Now under rate 1: at most one countdown piece (1024 calls plus
        // the call that checks) is still skipped.
        let recorded = (0..5000).filter(|_| enter(&ROOT).is_recording()).count() as u64;
        to_main.send(recorded).unwrap();
    });
    from_worker.recv().unwrap();
    drop(guard);
    let guard = start(1.0, 4);
    to_worker.send(()).unwrap();
    let recorded = from_worker.recv().unwrap();
    worker.join().unwrap();
    drop(guard);
    assert!(recorded >= 5000 - 1025, "{recorded}");
}

#[test]
fn the_same_seed_gives_the_same_decisions() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Same thread: `init` restarts its countdown and its generator from the
    // configured seed.
    let a = run_periodic(0.05, 1234);
    let b = run_periodic(0.05, 1234);
    let c = run_periodic(0.05, 99);
    assert_eq!(a, b);
    assert_ne!(a, c);
}
