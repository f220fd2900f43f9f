//! Traced trueno operations (feature `trueno`): same results as trueno
//! itself, one compute block per call with the kernel that really ran —
//! checked tag by tag against trueno 0.72.3's dispatch, written out here
//! independently of the SDK's table — nested under the calling span,
//! filtered by duration, counted when filtered.

use std::sync::{Arc, Mutex, MutexGuard};

use renacer::__private::{enter, Site};
use renacer::compute::trueno::Traced;
use renacer::model::{FieldValue, SpanKind, SpanRecord, SpanStatus};
use renacer::Exporter;
use trueno::{Backend, Matrix, Vector};

static CALLER: Site = Site::new("caller", module_path!(), file!(), 1, 0, &[]);

struct Recording(Arc<Mutex<Vec<SpanRecord>>>);

impl Exporter for Recording {
    fn export(&mut self, spans: &[SpanRecord]) {
        self.0.lock().unwrap().extend(spans.iter().cloned());
    }
}

/// One runtime at a time (it is process-global).
static SERIAL: Mutex<()> = Mutex::new(());

struct Run {
    spans: Arc<Mutex<Vec<SpanRecord>>>,
    guard: Option<renacer::InitGuard>,
    _serial: MutexGuard<'static, ()>,
}

/// A runtime recording every span and every compute block (threshold 0).
fn start() -> Run {
    start_with(|b| {
        b.compute_threshold(
            renacer::compute::ComputeClass::Simd,
            std::time::Duration::ZERO,
        )
        .compute_threshold(
            renacer::compute::ComputeClass::Gpu,
            std::time::Duration::ZERO,
        )
    })
}

fn start_with(f: impl FnOnce(renacer::ConfigBuilder) -> renacer::ConfigBuilder) -> Run {
    let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let spans = Arc::new(Mutex::new(Vec::new()));
    let builder = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .exporter(Box::new(Recording(spans.clone())));
    let guard = f(builder).init();
    assert!(guard.is_active());
    Run {
        spans,
        guard: Some(guard),
        _serial: serial,
    }
}

impl Run {
    /// Everything exported, after shutdown.
    fn finish(mut self) -> Vec<SpanRecord> {
        drop(self.guard.take());
        std::mem::take(&mut *self.spans.lock().unwrap())
    }
}

fn field<'a>(s: &'a SpanRecord, key: &str) -> Option<&'a FieldValue> {
    s.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn str_field<'a>(s: &'a SpanRecord, key: &str) -> Option<&'a str> {
    match field(s, key) {
        Some(FieldValue::Str(v)) => Some(v),
        _ => None,
    }
}

fn compute_blocks(spans: &[SpanRecord]) -> Vec<&SpanRecord> {
    spans
        .iter()
        .filter(|s| s.kind == SpanKind::Compute)
        .collect()
}

fn data(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919) % 1000) as f32 / 100.0 - 5.0)
        .collect()
}

/// Whether this CPU runs the kernels of `tag`.
fn runnable_here(tag: Backend) -> bool {
    #[cfg(target_arch = "x86_64")]
    return match tag {
        Backend::AVX512 => cpu("avx512f"),
        Backend::AVX2 => cpu("avx2+fma"),
        _ => true,
    };
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = tag;
        true
    }
}

#[cfg(target_arch = "x86_64")]
fn cpu(feature: &str) -> bool {
    match feature {
        "avx2+fma" => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
        "avx512f" => is_x86_feature_detected!("avx512f"),
        _ => unreachable!(),
    }
}

/// The kernel trueno 0.72.3 runs for each operation under `tag` on x86_64,
/// read off its dispatch code (vector/dispatch.rs, the per-operation
/// matches in vector/ops and matrix/ops/linear).
#[cfg(target_arch = "x86_64")]
fn documented(tag: Backend) -> [(&'static str, &'static str); 15] {
    match tag {
        Backend::Scalar | Backend::NEON | Backend::WasmSIMD | Backend::GPU | Backend::Auto => [
            ("sum", "scalar"),
            ("mean", "scalar"),
            ("variance", "scalar"),
            ("stddev", "scalar"),
            ("min", "scalar"),
            ("max", "scalar"),
            ("dot", "scalar"),
            ("add", "scalar"),
            ("sub", "scalar"),
            ("mul", "scalar"),
            // trueno's scale returns UnsupportedBackend for GPU and Auto.
            (
                "scale",
                if matches!(tag, Backend::GPU | Backend::Auto) {
                    "none"
                } else {
                    "scalar"
                },
            ),
            ("softmax", "scalar"),
            ("relu", "scalar"),
            ("sigmoid", "scalar"),
            ("matvec", "scalar"),
        ],
        Backend::SSE2 | Backend::AVX => [
            ("sum", "sse2"),
            ("mean", "sse2"),
            ("variance", "sse2+scalar"),
            ("stddev", "sse2+scalar"),
            ("min", "sse2"),
            ("max", "sse2"),
            ("dot", "sse2"),
            ("add", "sse2"),
            ("sub", "sse2"),
            ("mul", "sse2"),
            ("scale", "sse2"),
            ("softmax", "sse2+scalar"),
            ("relu", "sse2"),
            ("sigmoid", "sse2"),
            ("matvec", "sse2"),
        ],
        Backend::AVX2 => [
            ("sum", "avx2"),
            ("mean", "avx2"),
            ("variance", "avx2+scalar"),
            ("stddev", "avx2+scalar"),
            ("min", "avx2"),
            ("max", "avx2"),
            ("dot", "avx2"),
            ("add", "avx2"),
            ("sub", "avx2"),
            ("mul", "avx2"),
            ("scale", "avx2"),
            ("softmax", "avx2+scalar"),
            ("relu", "avx2"),
            ("sigmoid", "avx2"),
            ("matvec", "avx2"),
        ],
        Backend::AVX512 => [
            ("sum", "avx512"),
            ("mean", "avx512"),
            ("variance", "avx512+scalar"),
            ("stddev", "avx512+scalar"),
            ("min", "avx2"),
            ("max", "avx2"),
            ("dot", "avx512"),
            ("add", "avx512"),
            ("sub", "avx512"),
            ("mul", "avx512"),
            ("scale", "avx2"),
            ("softmax", "avx2+scalar"),
            ("relu", "avx512"),
            ("sigmoid", "avx512"),
            ("matvec", "avx2"),
        ],
    }
}

/// Runs every vector operation and matvec on data tagged `tag`, checks
/// each result against trueno called directly, and returns the blocks.
fn run_all(tag: Backend, n: usize) -> Vec<SpanRecord> {
    let run = start();
    let a = Vector::from_slice_with_backend(&data(n), tag);
    let b = Vector::from_slice_with_backend(&data(n + 3)[3..], tag);
    let mat = Matrix::from_vec_with_backend(4, n / 4, data(n), tag);
    // What trueno gives untraced: the same tag (the same kernel, so the
    // same bits), or its best backend for a tag this CPU cannot run.
    let direct_tag = if runnable_here(tag) {
        tag
    } else {
        trueno::select_best_available_backend()
    };
    let safe = |v: &Vector<f32>| Vector::from_slice_with_backend(v.as_slice(), direct_tag);
    let (sa, sb) = (safe(&a), safe(&b));
    let close = |x: f32, y: f32| x.to_bits() == y.to_bits();
    let t = a.traced();
    assert!(close(t.sum().unwrap(), sa.sum().unwrap()));
    assert!(close(t.mean().unwrap(), sa.mean().unwrap()));
    assert!(close(t.variance().unwrap(), sa.variance().unwrap()));
    assert!(close(t.stddev().unwrap(), sa.stddev().unwrap()));
    assert_eq!(t.min().unwrap(), sa.min().unwrap());
    assert_eq!(t.max().unwrap(), sa.max().unwrap());
    assert!(close(t.dot(&b).unwrap(), sa.dot(&sb).unwrap()));
    assert_eq!(
        t.add(&b).unwrap().as_slice(),
        sa.add(&sb).unwrap().as_slice()
    );
    assert_eq!(
        t.sub(&b).unwrap().as_slice(),
        sa.sub(&sb).unwrap().as_slice()
    );
    assert_eq!(
        t.mul(&b).unwrap().as_slice(),
        sa.mul(&sb).unwrap().as_slice()
    );
    match (t.scale(2.5), sa.scale(2.5)) {
        (Ok(x), Ok(y)) => assert_eq!(x.as_slice(), y.as_slice()),
        // GPU and Auto tags: trueno's scale has no kernel for them.
        (Err(x), Err(y)) => assert_eq!(x.to_string(), y.to_string()),
        other => panic!("{other:?}"),
    }
    let (s1, s2) = (t.softmax().unwrap(), sa.softmax().unwrap());
    assert!(s1
        .as_slice()
        .iter()
        .zip(s2.as_slice())
        .all(|(x, y)| close(*x, *y)));
    assert_eq!(t.relu().unwrap().as_slice(), sa.relu().unwrap().as_slice());
    let (g1, g2) = (t.sigmoid().unwrap(), sa.sigmoid().unwrap());
    assert!(g1
        .as_slice()
        .iter()
        .zip(g2.as_slice())
        .all(|(x, y)| close(*x, *y)));
    let col = Vector::from_slice(&data(n / 4));
    let direct = Matrix::from_vec_with_backend(4, n / 4, data(n), direct_tag);
    let (m1, m2) = (
        mat.traced().matvec(&col).unwrap(),
        direct.matvec(&col).unwrap(),
    );
    assert!(m1
        .as_slice()
        .iter()
        .zip(m2.as_slice())
        .all(|(x, y)| close(*x, *y)));
    run.finish()
}

/// Checks every block of `run_all(tag)` against the documented kernel
/// (or, for a tag the CPU cannot run, the recorded fallback).
#[cfg(target_arch = "x86_64")]
fn check_tag(tag: Backend, runnable: bool) {
    let spans = run_all(tag, 1024);
    let blocks = compute_blocks(&spans);
    assert_eq!(blocks.len(), 15, "{blocks:#?}");
    let requested = renacer::compute::trueno::tag_name(tag);
    let want = documented(if runnable {
        tag
    } else {
        trueno::select_best_available_backend()
    });
    for (op, kernel) in want {
        let b = blocks
            .iter()
            .find(|s| str_field(s, "compute.operation") == Some(op))
            .unwrap_or_else(|| panic!("no block for {op}"));
        assert_eq!(b.name, format!("trueno.{op}"));
        assert_eq!(str_field(b, "compute.library"), Some("trueno"));
        assert_eq!(str_field(b, "compute.data_type"), Some("f32"));
        assert_eq!(
            str_field(b, "compute.backend"),
            Some(kernel),
            "{op} under {tag:?}"
        );
        let expected_requested = (kernel.split('+').next() != Some(requested)).then_some(requested);
        assert_eq!(
            str_field(b, "compute.backend_requested"),
            expected_requested,
            "{op}"
        );
        let rank = |k: &str| match k.split('+').next().unwrap() {
            "scalar" => 0,
            "sse2" | "neon" | "wasm-simd" => 1,
            "avx" => 2,
            "avx2" => 3,
            "avx512" => 4,
            _ => 5,
        };
        let fallback = rank(kernel) < rank(requested) || !runnable;
        assert_eq!(
            field(b, "compute.fallback"),
            Some(&FieldValue::Bool(fallback)),
            "{op}"
        );
        assert_eq!(
            str_field(b, "compute.fallback_reason").is_some(),
            fallback,
            "{op}: {b:?}"
        );
        // matvec: rows × cols = 4 × 256.
        assert_eq!(field(b, "compute.elements"), Some(&FieldValue::U64(1024)));
        let failed = matches!(b.status, SpanStatus::Error(_));
        assert_eq!(failed, kernel == "none", "{op}: {:?}", b.status);
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn scalar_tag_runs_the_scalar_kernels() {
    check_tag(Backend::Scalar, true);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn sse2_tag_runs_the_sse2_kernels() {
    check_tag(Backend::SSE2, true);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn avx_tag_runs_the_sse2_kernels_and_says_so() {
    check_tag(Backend::AVX, true);
    let spans = run_all(Backend::AVX, 64);
    let sum = compute_blocks(&spans)
        .into_iter()
        .find(|s| s.name == "trueno.sum")
        .unwrap();
    assert!(str_field(sum, "compute.fallback_reason")
        .unwrap()
        .contains("no AVX kernels"));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn avx2_tag_runs_avx2_or_falls_back_on_a_cpu_without_it() {
    check_tag(Backend::AVX2, cpu("avx2+fma"));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn avx512_tag_runs_avx512_where_trueno_has_it() {
    check_tag(Backend::AVX512, cpu("avx512f"));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn neon_tag_off_arm_is_a_fallback_to_scalar() {
    check_tag(Backend::NEON, true);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn wasm_simd_tag_off_wasm_is_a_fallback_to_scalar() {
    check_tag(Backend::WasmSIMD, true);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn gpu_tagged_vectors_run_scalar_and_never_panic() {
    check_tag(Backend::GPU, true);
    let spans = run_all(Backend::GPU, 64);
    let dot = compute_blocks(&spans)
        .into_iter()
        .find(|s| s.name == "trueno.dot")
        .unwrap();
    assert!(str_field(dot, "compute.fallback_reason")
        .unwrap()
        .contains("scalar kernel"));
}

#[test]
fn default_vectors_record_the_best_available_backend() {
    let run = start();
    let v = Vector::from_slice(&data(256));
    let tag = v.backend();
    assert_eq!(tag, trueno::select_best_available_backend());
    v.traced().sum().unwrap();
    let spans = run.finish();
    let b = compute_blocks(&spans)[0];
    let (kernel, _) =
        renacer::compute::trueno::kernel(renacer::compute::trueno::Op::Sum, tag, None);
    assert_eq!(str_field(b, "compute.backend"), Some(kernel.name()));
    assert_eq!(field(b, "compute.fallback"), Some(&FieldValue::Bool(false)));
}

fn matmul_block(m: usize, k: usize, n: usize) -> SpanRecord {
    let run = start();
    let a = Matrix::from_vec(m, k, data(m * k)).unwrap();
    let b = Matrix::from_vec(k, n, data(k * n)).unwrap();
    let traced = a.traced().matmul(&b).unwrap();
    assert_eq!(traced.as_slice(), a.matmul(&b).unwrap().as_slice());
    let spans = run.finish();
    let blocks = compute_blocks(&spans);
    assert_eq!(blocks.len(), 1);
    let b = blocks[0].clone();
    assert_eq!(
        field(&b, "compute.elements"),
        Some(&FieldValue::U64((m * k * n) as u64))
    );
    b
}

#[test]
fn matmul_of_small_matrices_is_a_scalar_loop() {
    let b = matmul_block(8, 16, 8);
    assert_eq!(str_field(&b, "compute.backend"), Some("scalar"));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn matmul_of_larger_matrices_is_blis_whatever_the_tag() {
    let b = matmul_block(96, 64, 80);
    let want = if cpu("avx2+fma") {
        "blis-avx2-fma"
    } else {
        "blis-scalar"
    };
    assert_eq!(str_field(&b, "compute.backend"), Some(want));
    let one_row = matmul_block(1, 128, 64);
    let want = if cpu("avx2+fma") {
        "blis-gemv-avx2-fma"
    } else {
        "blis-gemv-scalar"
    };
    assert_eq!(str_field(&one_row, "compute.backend"), Some(want));
}

#[cfg(feature = "trueno-gpu")]
#[test]
fn gpu_matmul_without_an_adapter_is_a_recorded_fallback_not_a_panic() {
    let b = matmul_block(512, 512, 512);
    if trueno::backends::gpu::GpuBackend::is_available() {
        assert_eq!(str_field(&b, "compute.backend"), Some("wgpu"));
    } else {
        assert!(str_field(&b, "compute.backend")
            .unwrap()
            .starts_with("blis"));
        assert!(str_field(&b, "compute.fallback_reason")
            .unwrap()
            .contains("no GPU adapter"));
    }
}

#[test]
fn a_block_is_a_child_of_the_calling_span() {
    let run = start();
    let v = Vector::from_slice(&data(512));
    {
        let _caller = enter(&CALLER);
        v.traced().dot(&v).unwrap();
    }
    let spans = run.finish();
    let caller = spans.iter().find(|s| s.name == "caller").unwrap();
    let dot = spans.iter().find(|s| s.name == "trueno.dot").unwrap();
    assert_eq!(dot.parent_span_id, Some(caller.span_id));
    assert_eq!(dot.trace_id, caller.trace_id);
    assert!(caller.start_ns <= dot.start_ns && dot.end_ns <= caller.end_ns);
    assert_eq!(dot.kind, SpanKind::Compute);
}

#[test]
fn errors_are_recorded_with_their_message() {
    let run = start();
    let a = Vector::from_slice(&data(8));
    let b = Vector::from_slice(&data(9));
    assert!(a.traced().dot(&b).is_err());
    let spans = run.finish();
    let dot = compute_blocks(&spans)[0].clone();
    match &dot.status {
        SpanStatus::Error(m) => assert!(m.contains('8') && m.contains('9'), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn blocks_under_the_threshold_are_counted_not_recorded() {
    let before = renacer::stats();
    // Default thresholds: 50 µs for SIMD blocks; a 64-element sum is far
    // below it.
    let run = start_with(|b| b);
    let v = Vector::from_slice(&data(64));
    for _ in 0..100 {
        v.traced().sum().unwrap();
    }
    // A block longer than the threshold is recorded.
    let big = Vector::from_slice(&data(1 << 22));
    let mut slow = 0;
    for _ in 0..20 {
        big.traced().sigmoid().unwrap();
        slow += 1;
    }
    let spans = run.finish();
    let after = renacer::stats();
    let recorded = compute_blocks(&spans).len() as u64;
    let below = after.below_threshold - before.below_threshold;
    assert!(
        recorded >= 1,
        "a 4M-element sigmoid takes longer than 50 µs"
    );
    assert_eq!(
        recorded + below,
        100 + slow,
        "every block is recorded or counted"
    );
    assert!(below >= 100);
    assert!(compute_blocks(&spans)
        .iter()
        .all(|s| s.name == "trueno.sigmoid"));
}

#[test]
fn unsampled_blocks_are_counted_as_sampled_out() {
    let before = renacer::stats();
    let run = start_with(|b| b.sample_rate(0.0));
    let v = Vector::from_slice(&data(64));
    let t0 = std::thread::spawn(move || {
        for _ in 0..50 {
            v.traced().max().unwrap();
        }
    });
    t0.join().unwrap();
    let spans = run.finish();
    let after = renacer::stats();
    assert!(compute_blocks(&spans).is_empty());
    assert_eq!(after.sampled_out - before.sampled_out, 50);
    assert_eq!(after.below_threshold, before.below_threshold);
}

#[test]
fn the_compute_macro_records_a_user_kernel() {
    let run = start();
    let xs = data(1000);
    let total: f32 = renacer::compute!(
        "my_reduce",
        elements = xs.len(),
        data_type = "f32",
        backend = "scalar",
        { xs.iter().map(|x| x * x).sum() }
    );
    assert!(total > 0.0);
    let spans = run.finish();
    let b = compute_blocks(&spans)[0].clone();
    assert_eq!(b.name, "my_reduce");
    assert_eq!(str_field(&b, "compute.library"), Some("user"));
    assert_eq!(str_field(&b, "compute.backend"), Some("scalar"));
    assert_eq!(field(&b, "compute.elements"), Some(&FieldValue::U64(1000)));
    assert_eq!(
        field(&b, "compute.fallback"),
        Some(&FieldValue::Bool(false))
    );
    assert!(b.line > 0 && b.file.ends_with("compute_trueno.rs"));
}

#[test]
fn compute_blocks_in_json_lines_and_perfetto_files() {
    let dir = tempfile::tempdir().unwrap();
    let (jsonl, perfetto) = (dir.path().join("t.jsonl"), dir.path().join("t.json"));
    let spec = format!("jsonl:{},perfetto:{}", jsonl.display(), perfetto.display());
    let run = start_with(|b| {
        b.output(&spec).compute_threshold(
            renacer::compute::ComputeClass::Simd,
            std::time::Duration::ZERO,
        )
    });
    let v = Vector::from_slice(&data(2048));
    {
        let _caller = enter(&CALLER);
        v.traced().stddev().unwrap();
    }
    run.finish();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let caller = lines.iter().find(|s| s["name"] == "caller").unwrap();
    let block = lines.iter().find(|s| s["name"] == "trueno.stddev").unwrap();
    assert_eq!(block["kind"], "compute");
    assert_eq!(block["parent_span_id"], caller["span_id"]);
    assert_eq!(block["fields"]["compute.library"], "trueno");
    assert_eq!(block["fields"]["compute.elements"], 2048);
    assert!(block["fields"]["compute.backend"].is_string());

    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&perfetto).unwrap()).unwrap();
    let events = doc["traceEvents"].as_array().unwrap();
    let slice = |name: &str| {
        events
            .iter()
            .find(|e| e["ph"] == "X" && e["name"] == name)
            .unwrap_or_else(|| panic!("no slice {name}"))
    };
    let (outer, inner) = (slice("caller"), slice("trueno.stddev"));
    assert_eq!(inner["cat"], "compute");
    assert_eq!(inner["tid"], outer["tid"]);
    let (ots, odur) = (
        outer["ts"].as_f64().unwrap(),
        outer["dur"].as_f64().unwrap(),
    );
    let (its, idur) = (
        inner["ts"].as_f64().unwrap(),
        inner["dur"].as_f64().unwrap(),
    );
    assert!(
        ots <= its && its + idur <= ots + odur,
        "nested on the caller's track"
    );
    assert_eq!(inner["args"]["compute.library"], "trueno");
}

#[test]
fn a_compute_block_left_early_or_by_panic_is_still_recorded() {
    let run = start();
    fn early(fail: bool) -> Result<u32, String> {
        renacer::compute!(
            "checked",
            elements = 3,
            data_type = "u32",
            backend = "scalar",
            {
                if fail {
                    return Err("stop".to_string());
                }
                Ok::<u32, String>(3)
            }
        )
    }
    assert!(early(true).is_err());
    assert_eq!(early(false), Ok(3));
    let caught = std::panic::catch_unwind(|| {
        renacer::compute!(
            "boom",
            elements = 1,
            data_type = "u8",
            backend = "scalar",
            { panic!("kernel bug") }
        )
    });
    assert!(caught.is_err());
    let spans = run.finish();
    let blocks = compute_blocks(&spans);
    assert_eq!(blocks.iter().filter(|b| b.name == "checked").count(), 2);
    let boom = blocks
        .iter()
        .find(|b| b.name == "boom")
        .expect("the panicked block");
    assert!(
        matches!(&boom.status, SpanStatus::Error(m) if m == "panic"),
        "{boom:?}"
    );
}
