//! `APR_FORCE_ISA` (trueno reads it once per process): the backend a traced
//! operation records follows the cap, for default vectors and for the
//! compute-bound selection. Each case runs in a child process of this test
//! (its own `main`).

use std::process::Command;
use std::sync::{Arc, Mutex};

use renacer::compute::trueno::Traced;
use renacer::model::{FieldValue, SpanRecord};
use trueno::{OperationType, Vector};

const CHILD: &str = "RENACER_FORCE_ISA_CHILD";

struct Recording(Arc<Mutex<Vec<SpanRecord>>>);

impl renacer::Exporter for Recording {
    fn export(&mut self, spans: &[SpanRecord]) {
        self.0.lock().unwrap().extend(spans.iter().cloned());
    }
}

/// Prints `default=<kernel> compute_bound=<kernel>` for two dot products.
fn child() {
    let spans = Arc::new(Mutex::new(Vec::new()));
    let guard = renacer::ConfigBuilder::defaults()
        .compute_threshold(
            renacer::compute::ComputeClass::Simd,
            std::time::Duration::ZERO,
        )
        .exporter(Box::new(Recording(spans.clone())))
        .init();
    let data: Vec<f32> = (0..4096).map(|i| i as f32).collect();
    let v = Vector::from_slice(&data);
    v.traced().dot(&v).unwrap();
    let tag = trueno::select_backend_for_operation(OperationType::ComputeBound);
    let w = Vector::from_slice_with_backend(&data, tag);
    w.traced().dot(&w).unwrap();
    drop(guard);
    let spans = spans.lock().unwrap();
    let kernels: Vec<String> = spans
        .iter()
        .map(
            |s| match s.fields.iter().find(|(k, _)| k == "compute.backend") {
                Some((_, FieldValue::Str(b))) => b.to_string(),
                other => panic!("{other:?}"),
            },
        )
        .collect();
    println!("default={} compute_bound={}", kernels[0], kernels[1]);
}

fn run(force: Option<&str>) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(CHILD, "1");
    match force {
        Some(v) => cmd.env("APR_FORCE_ISA", v),
        None => cmd.env_remove("APR_FORCE_ISA"),
    };
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        let avx512 = is_x86_feature_detected!("avx512f");
        // Unforced: default vectors get trueno's best general backend (AVX2
        // where available: trueno never picks AVX-512 by default); the
        // compute-bound selection takes AVX-512 when the CPU has it.
        let best = if avx2 { "avx2" } else { "sse2" };
        let bound = if avx512 { "avx512" } else { best };
        assert_eq!(run(None), format!("default={best} compute_bound={bound}"));
        // Capped to scalar: everything runs the scalar kernel.
        assert_eq!(run(Some("scalar")), "default=scalar compute_bound=scalar");
        // Capped to AVX2 (trueno refuses the cap on a CPU without AVX2).
        if avx2 {
            assert_eq!(run(Some("avx2")), "default=avx2 compute_bound=avx2");
        }
    }
    println!("compute_force_isa: ok");
}
