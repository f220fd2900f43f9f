//! Compute blocks: a SIMD or GPU operation (a traced trueno call, or a user
//! kernel in [`compute!`](crate::compute!)) recorded as a span of kind
//! `compute`, with what ran: library, operation, the backend (kernel) that
//! really ran and the one asked for, element count, data type, fallback.
//!
//! A block is a leaf that is recorded *after* it ran, in one ring push
//! (`ENTER`, its fields, `EXIT`), so it can be filtered by duration:
//!
//! 1. head sampling exactly as for a function span (inside a recorded span
//!    every block is sampled; at the root, the global rate) — an unsampled
//!    block costs the countdown only, **no clock read**;
//! 2. a sampled block reads the clock before and after the operation; if it
//!    took less than its class's threshold (SIMD 50 µs, GPU 100 µs by
//!    default; `RENACER_COMPUTE_SIMD_THRESHOLD_US`,
//!    `RENACER_COMPUTE_GPU_THRESHOLD_US`, [`ConfigBuilder::compute_threshold`])
//!    it is counted in `Stats::below_threshold` and not recorded;
//! 3. a block over the threshold takes a rate-limiter token and is pushed.
//!
//! Its parent is the innermost span open on the thread (it is pushed while
//! that span is open). Spans opened *inside* a block are not its children
//! (they are pushed first).
//!
//! [`ConfigBuilder::compute_threshold`]: crate::ConfigBuilder::compute_threshold

#[cfg(feature = "trueno")]
pub mod trueno;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_backends_get_the_gpu_threshold() {
        assert_eq!(class_of("cuda-sm90"), ComputeClass::Gpu);
        assert_eq!(class_of("wgpu"), ComputeClass::Gpu);
        assert_eq!(class_of("avx2"), ComputeClass::Simd);
        assert_eq!(class_of(""), ComputeClass::Simd);
    }
}

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::record::{self, Site};

/// Which duration threshold applies to a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputeClass {
    /// CPU kernels: scalar and SIMD (default threshold 50 µs).
    Simd,
    /// GPU kernels (default threshold 100 µs).
    Gpu,
}

/// Default duration threshold of SIMD blocks.
pub const DEFAULT_SIMD_THRESHOLD: Duration = Duration::from_micros(50);
/// Default duration threshold of GPU blocks.
pub const DEFAULT_GPU_THRESHOLD: Duration = Duration::from_micros(100);

static SIMD_THRESHOLD_NS: AtomicU64 = AtomicU64::new(50_000);
static GPU_THRESHOLD_NS: AtomicU64 = AtomicU64::new(100_000);

/// Sets both thresholds (at `init`).
pub(crate) fn set_thresholds(simd: Duration, gpu: Duration) {
    let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    SIMD_THRESHOLD_NS.store(ns(simd), Ordering::Relaxed);
    GPU_THRESHOLD_NS.store(ns(gpu), Ordering::Relaxed);
}

fn threshold_ns(class: ComputeClass) -> u64 {
    match class {
        ComputeClass::Simd => SIMD_THRESHOLD_NS.load(Ordering::Relaxed),
        ComputeClass::Gpu => GPU_THRESHOLD_NS.load(Ordering::Relaxed),
    }
}

/// The field names of every compute site, in this order (what
/// [`ComputeTimer::finish`] records, by index).
pub const FIELDS: &[&str] = &[
    "compute.library",
    "compute.operation",
    "compute.backend",
    "compute.backend_requested",
    "compute.elements",
    "compute.data_type",
    "compute.fallback",
    "compute.fallback_reason",
    "error",
];

/// What ran, as the block's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputeInfo {
    /// `trueno`, or the user's library name.
    pub library: &'static str,
    /// `dot`, `matmul`, `fft`...
    pub operation: &'static str,
    /// The kernel that ran: `avx2`, `sse2`, `scalar`, `blis-avx2-fma`...
    pub backend: &'static str,
    /// The backend asked for, when it differs from `backend`.
    pub backend_requested: Option<&'static str>,
    /// Elements processed.
    pub elements: u64,
    /// `f32`, `f64`, `i8`...
    pub data_type: &'static str,
    /// Why a lesser kernel ran than the one asked for; `None`: no fallback.
    pub fallback_reason: Option<&'static str>,
    /// Which duration threshold applies.
    pub class: ComputeClass,
}

/// The threshold class of a backend name: GPU when it names a GPU API
/// (`gpu`, `cuda`, `wgpu`, `vulkan`, `metal`, `opencl`), else SIMD. A
/// `const fn`, so `compute!` decides it at compile time.
pub const fn class_of(backend: &str) -> ComputeClass {
    const GPU: [&str; 6] = ["gpu", "cuda", "wgpu", "vulkan", "metal", "opencl"];
    let b = backend.as_bytes();
    let mut g = 0;
    while g < GPU.len() {
        let needle = GPU[g].as_bytes();
        let mut i = 0;
        while i + needle.len() <= b.len() {
            let mut j = 0;
            while j < needle.len() && b[i + j] == needle[j] {
                j += 1;
            }
            if j == needle.len() {
                return ComputeClass::Gpu;
            }
            i += 1;
        }
        g += 1;
    }
    ComputeClass::Simd
}

/// A block being timed: the raw start timestamp, 0 when unsampled.
///
/// Not `Send`: the block is pushed to the ring of the thread it started on.
#[must_use = "finish the block to record it"]
#[derive(Debug)]
pub struct ComputeTimer {
    start: u64,
    site: &'static Site,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl ComputeTimer {
    /// Whether the block was sampled (its fields are only worth working out
    /// when it was).
    #[inline(always)]
    pub fn is_sampled(&self) -> bool {
        self.start != 0
    }

    /// Ends the block: records it with `info` if it was sampled and lasted
    /// at least its class's threshold; `error` is the operation's error.
    #[inline]
    pub fn finish(self, info: &ComputeInfo, error: Option<&dyn std::fmt::Display>) {
        if self.start != 0 {
            let end = record::clock::raw_now();
            record::push_compute(
                self.site,
                self.start,
                end,
                threshold_ns(info.class),
                |push| {
                    push(0, record::RawField::Static(info.library));
                    push(1, record::RawField::Static(info.operation));
                    push(2, record::RawField::Static(info.backend));
                    if let Some(r) = info.backend_requested {
                        push(3, record::RawField::Static(r));
                    }
                    push(4, record::RawField::U64(info.elements));
                    push(5, record::RawField::Static(info.data_type));
                    push(6, record::RawField::Bool(info.fallback_reason.is_some()));
                    if let Some(r) = info.fallback_reason {
                        push(7, record::RawField::Static(r));
                    }
                    if let Some(e) = error {
                        push(8, record::RawField::from_string(e.to_string()));
                    }
                },
                error.is_some(),
            );
        }
    }
}

/// Starts a compute block of `site` (a site built with
/// `Site::new(..).with_kind(SpanKind::Compute)` and [`FIELDS`]): the
/// sampling decision, and the clock read only when sampled.
#[inline(always)]
pub fn begin(site: &'static Site) -> ComputeTimer {
    ComputeTimer {
        start: record::begin_compute(),
        site,
        _not_send: std::marker::PhantomData,
    }
}

/// A block whose [`ComputeInfo`] is known before it runs (what
/// [`compute!`](crate::compute!) builds): recorded when dropped, so a body
/// that returns early (`?`, `return`) or panics is still recorded — a panic
/// with an error status.
#[must_use = "the block ends when the guard is dropped"]
#[derive(Debug)]
pub struct ComputeGuard {
    timer: Option<ComputeTimer>,
    info: ComputeInfo,
}

/// Starts a block of `site` described by `info`; it ends when the guard drops.
#[inline(always)]
pub fn guard(site: &'static Site, info: ComputeInfo) -> ComputeGuard {
    ComputeGuard {
        timer: Some(begin(site)),
        info,
    }
}

impl Drop for ComputeGuard {
    #[inline]
    fn drop(&mut self) {
        if let Some(t) = self.timer.take().filter(ComputeTimer::is_sampled) {
            let panicked = std::thread::panicking().then_some(&"panic" as &dyn std::fmt::Display);
            t.finish(&self.info, panicked);
        }
    }
}

/// A compute block around `$body`: a user kernel recorded like a traced
/// trueno operation (kind `compute`, library `user`), filtered by the
/// duration threshold of its backend's class.
///
/// ```
/// let data = vec![1.0f32; 4096];
/// let sum: f32 = renacer::compute!("sum", elements = data.len(), data_type = "f32",
///                                  backend = "scalar", { data.iter().sum() });
/// assert_eq!(sum, 4096.0);
/// ```
#[macro_export]
macro_rules! compute {
    ($op:literal, elements = $n:expr, data_type = $dt:literal, backend = $be:literal, $body:block) => {{
        static __RENACER_COMPUTE_SITE: $crate::__private::Site = $crate::__private::Site::new(
            $op,
            module_path!(),
            file!(),
            line!(),
            0,
            $crate::compute::FIELDS,
        )
        .with_kind($crate::model::SpanKind::Compute);
        const __RENACER_CLASS: $crate::compute::ComputeClass = $crate::compute::class_of($be);
        let __renacer_block = $crate::compute::guard(
            &__RENACER_COMPUTE_SITE,
            $crate::compute::ComputeInfo {
                library: "user",
                operation: $op,
                backend: $be,
                backend_requested: None,
                elements: ($n) as u64,
                data_type: $dt,
                fallback_reason: None,
                class: __RENACER_CLASS,
            },
        );
        // The body is the tail: the guard drops after it, and nothing
        // follows a body that diverges (no unreachable-code warning).
        $body
    }};
}
