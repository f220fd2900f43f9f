//! Traced forms of trueno's operations (feature `trueno`; trueno is the
//! library of crate `aprender-compute` 0.72): each call is a compute block
//! whose `compute.backend` is the kernel that **ran**, which is not always
//! the vector's tag.
//!
//! ```
//! use renacer::compute::trueno::Traced;
//! use trueno::Vector;
//! let a = Vector::from_slice(&[1.0, 2.0, 3.0]);
//! let b = Vector::from_slice(&[4.0, 5.0, 6.0]);
//! assert_eq!(a.traced().dot(&b).unwrap(), a.dot(&b).unwrap());
//! ```
//!
//! What ran is read off trueno 0.72.3's own dispatch (the `match` on the
//! tag in each operation), per operation and tag; [`kernel`] holds that
//! table and the tests check it tag by tag on the machine that runs them:
//!
//! * most vector kernels: `SSE2`/`AVX` → SSE2 kernel (there are no AVX
//!   kernels), `AVX2` → AVX2, `AVX512` → AVX-512, and `NEON`/`WasmSIMD` off
//!   their architecture, `GPU` and `Auto` tags → the **scalar** kernel;
//! * `min`, `max`, `scale`, `matvec`: `AVX512` → the AVX2 kernel;
//! * `variance`/`stddev`: the sum kernel for the mean, then a scalar pass
//!   (`avx512+scalar`); `softmax`: the max kernel, then scalar `exp`/sum;
//! * `Matrix::matmul` ignores the tag: one row → BLIS `gemv`, any dimension
//!   ≥ 64 → BLIS `gemm` (AVX2+FMA microkernel when the CPU has it, else its
//!   scalar one), smaller → a scalar loop; with the `gpu` feature and every
//!   dimension ≥ 500, wgpu first: recorded as `wgpu` when an adapter
//!   exists (trueno does not say whether that attempt then succeeded),
//!   else as BLIS with the reason "no GPU adapter".
//!
//! A kernel below the one asked for is a fallback (`compute.fallback` and
//! a reason). The one behavioural difference from calling trueno directly:
//! a tag the CPU cannot run (`AVX512` without `avx512f`, `AVX2` without
//! `avx2`+`fma`) would make trueno execute those instructions anyway; the
//! traced form runs trueno's best available backend instead and records
//! the fallback.

use trueno::{Backend, Matrix, TruenoError, Vector};

use super::{begin, ComputeClass, ComputeInfo, FIELDS};
use crate::model::SpanKind;
use crate::record::Site;

/// Traced operations, `x.traced().op(..)`, for trueno vectors and matrices.
pub trait Traced {
    /// The traced view.
    type View<'a>
    where
        Self: 'a;
    /// A view whose methods are trueno's, recorded as compute blocks.
    fn traced(&self) -> Self::View<'_>;
}

impl Traced for Vector<f32> {
    type View<'a> = TracedVector<'a>;
    fn traced(&self) -> TracedVector<'_> {
        TracedVector(self)
    }
}

impl Traced for Matrix<f32> {
    type View<'a> = TracedMatrix<'a>;
    fn traced(&self) -> TracedMatrix<'_> {
        TracedMatrix(self)
    }
}

/// A trueno operation the traced forms cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `Vector::sum`.
    Sum,
    /// `Vector::mean`.
    Mean,
    /// `Vector::variance` (two-pass).
    Variance,
    /// `Vector::stddev`.
    Stddev,
    /// `Vector::min`.
    Min,
    /// `Vector::max`.
    Max,
    /// `Vector::dot`.
    Dot,
    /// `Vector::add`.
    Add,
    /// `Vector::sub`.
    Sub,
    /// `Vector::mul`.
    Mul,
    /// `Vector::scale`.
    Scale,
    /// `Vector::softmax`.
    Softmax,
    /// `Vector::relu`.
    Relu,
    /// `Vector::sigmoid`.
    Sigmoid,
    /// `Matrix::matvec`.
    Matvec,
    /// `Matrix::matmul`.
    Matmul,
}

impl Op {
    const ALL: [Op; 16] = [
        Op::Sum,
        Op::Mean,
        Op::Variance,
        Op::Stddev,
        Op::Min,
        Op::Max,
        Op::Dot,
        Op::Add,
        Op::Sub,
        Op::Mul,
        Op::Scale,
        Op::Softmax,
        Op::Relu,
        Op::Sigmoid,
        Op::Matvec,
        Op::Matmul,
    ];

    /// The operation's name (`compute.operation`).
    pub const fn name(self) -> &'static str {
        match self {
            Op::Sum => "sum",
            Op::Mean => "mean",
            Op::Variance => "variance",
            Op::Stddev => "stddev",
            Op::Min => "min",
            Op::Max => "max",
            Op::Dot => "dot",
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Scale => "scale",
            Op::Softmax => "softmax",
            Op::Relu => "relu",
            Op::Sigmoid => "sigmoid",
            Op::Matvec => "matvec",
            Op::Matmul => "matmul",
        }
    }

    const fn span_name(self) -> &'static str {
        match self {
            Op::Sum => "trueno.sum",
            Op::Mean => "trueno.mean",
            Op::Variance => "trueno.variance",
            Op::Stddev => "trueno.stddev",
            Op::Min => "trueno.min",
            Op::Max => "trueno.max",
            Op::Dot => "trueno.dot",
            Op::Add => "trueno.add",
            Op::Sub => "trueno.sub",
            Op::Mul => "trueno.mul",
            Op::Scale => "trueno.scale",
            Op::Softmax => "trueno.softmax",
            Op::Relu => "trueno.relu",
            Op::Sigmoid => "trueno.sigmoid",
            Op::Matvec => "trueno.matvec",
            Op::Matmul => "trueno.matmul",
        }
    }
}

const fn site(op: Op) -> Site {
    Site::new(op.span_name(), module_path!(), file!(), line!(), 0, FIELDS)
        .with_kind(SpanKind::Compute)
}

static SITES: [Site; 16] = {
    let mut i = 0;
    // `Site` is not `Copy`: fill the array in a const loop.
    let mut out = [const { site(Op::Sum) }; 16];
    while i < 16 {
        out[i] = site(Op::ALL[i]);
        i += 1;
    }
    out
};

/// The name of a tag, as `compute.backend_requested` shows it.
pub fn tag_name(tag: Backend) -> &'static str {
    match tag {
        Backend::Scalar => "scalar",
        Backend::SSE2 => "sse2",
        Backend::AVX => "avx",
        Backend::AVX2 => "avx2",
        Backend::AVX512 => "avx512",
        Backend::NEON => "neon",
        Backend::WasmSIMD => "wasm-simd",
        Backend::GPU => "gpu",
        Backend::Auto => "auto",
    }
}

/// Rank of a tag's ISA: a kernel ranked below its tag is a fallback.
fn tag_rank(tag: Backend) -> u8 {
    match tag {
        Backend::Scalar => 0,
        Backend::SSE2 | Backend::NEON | Backend::WasmSIMD => 1,
        Backend::AVX => 2,
        Backend::AVX2 => 3,
        Backend::AVX512 => 4,
        Backend::GPU | Backend::Auto => 5,
    }
}

/// A kernel trueno runs (`compute.backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Plain Rust loops.
    Scalar,
    /// `Sse2Backend`.
    Sse2,
    /// `Avx2Backend`.
    Avx2,
    /// `Avx512Backend`.
    Avx512,
    /// `NeonBackend`.
    Neon,
    /// `WasmBackend`.
    WasmSimd,
    /// A SIMD kernel, then a scalar pass (variance, softmax).
    ThenScalar(Simd),
    /// BLIS gemm with its AVX2+FMA microkernel.
    BlisAvx2Fma,
    /// BLIS gemm with its scalar microkernel.
    BlisScalar,
    /// BLIS gemv, AVX2+FMA.
    BlisGemvAvx2Fma,
    /// BLIS gemv, scalar.
    BlisGemvScalar,
    /// The wgpu backend.
    Wgpu,
    /// No kernel: trueno returned an error for the tag.
    None,
}

/// The SIMD kernel of a [`Kernel::ThenScalar`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// SSE2.
    Sse2,
    /// AVX2.
    Avx2,
    /// AVX-512.
    Avx512,
    /// NEON.
    Neon,
    /// WASM SIMD.
    WasmSimd,
}

impl Kernel {
    /// The name recorded as `compute.backend`.
    pub const fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Sse2 => "sse2",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
            Kernel::Neon => "neon",
            Kernel::WasmSimd => "wasm-simd",
            Kernel::ThenScalar(Simd::Sse2) => "sse2+scalar",
            Kernel::ThenScalar(Simd::Avx2) => "avx2+scalar",
            Kernel::ThenScalar(Simd::Avx512) => "avx512+scalar",
            Kernel::ThenScalar(Simd::Neon) => "neon+scalar",
            Kernel::ThenScalar(Simd::WasmSimd) => "wasm-simd+scalar",
            Kernel::BlisAvx2Fma => "blis-avx2-fma",
            Kernel::BlisScalar => "blis-scalar",
            Kernel::BlisGemvAvx2Fma => "blis-gemv-avx2-fma",
            Kernel::BlisGemvScalar => "blis-gemv-scalar",
            Kernel::Wgpu => "wgpu",
            Kernel::None => "none",
        }
    }

    /// The kernel's main ISA, as the tag that asks for it.
    const fn main_tag(self) -> Option<Backend> {
        match self {
            Kernel::Scalar | Kernel::BlisScalar | Kernel::BlisGemvScalar => Some(Backend::Scalar),
            Kernel::Sse2 | Kernel::ThenScalar(Simd::Sse2) => Some(Backend::SSE2),
            Kernel::Avx2
            | Kernel::ThenScalar(Simd::Avx2)
            | Kernel::BlisAvx2Fma
            | Kernel::BlisGemvAvx2Fma => Some(Backend::AVX2),
            Kernel::Avx512 | Kernel::ThenScalar(Simd::Avx512) => Some(Backend::AVX512),
            Kernel::Neon | Kernel::ThenScalar(Simd::Neon) => Some(Backend::NEON),
            Kernel::WasmSimd | Kernel::ThenScalar(Simd::WasmSimd) => Some(Backend::WasmSIMD),
            Kernel::Wgpu => Some(Backend::GPU),
            Kernel::None => None,
        }
    }

    /// Whether a kernel of this kind ran in place of `tag`'s own: the tag
    /// is shown as `compute.backend_requested`.
    fn differs_from(self, tag: Backend) -> bool {
        self.main_tag() != Some(tag)
    }

    /// Whether this kernel is below `tag`'s ISA (a fallback).
    fn below(self, tag: Backend) -> bool {
        self.main_tag().is_some_and(|t| tag_rank(t) < tag_rank(tag))
    }

    fn then_scalar(self) -> Kernel {
        match self {
            Kernel::Sse2 => Kernel::ThenScalar(Simd::Sse2),
            Kernel::Avx2 => Kernel::ThenScalar(Simd::Avx2),
            Kernel::Avx512 => Kernel::ThenScalar(Simd::Avx512),
            Kernel::Neon => Kernel::ThenScalar(Simd::Neon),
            Kernel::WasmSimd => Kernel::ThenScalar(Simd::WasmSimd),
            other => other,
        }
    }
}

/// The kernel of a plain SIMD family, per the dispatch macros; `avx512`:
/// whether the operation has an AVX-512 kernel.
fn simd_kernel(tag: Backend, avx512: bool) -> Kernel {
    match tag {
        Backend::Scalar => Kernel::Scalar,
        #[cfg(target_arch = "x86_64")]
        Backend::SSE2 | Backend::AVX => Kernel::Sse2,
        #[cfg(target_arch = "x86_64")]
        Backend::AVX2 => Kernel::Avx2,
        #[cfg(target_arch = "x86_64")]
        Backend::AVX512 if avx512 => Kernel::Avx512,
        #[cfg(target_arch = "x86_64")]
        Backend::AVX512 => Kernel::Avx2,
        #[cfg(any(target_arch = "aarch64", target_arch = "arm"))]
        Backend::NEON => Kernel::Neon,
        #[cfg(target_arch = "wasm32")]
        Backend::WasmSIMD => Kernel::WasmSimd,
        _ => Kernel::Scalar,
    }
}

fn cpu_has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Matrix shapes `matmul` chooses its path by.
#[derive(Debug, Clone, Copy)]
pub struct MatmulShape {
    /// Rows of the left matrix.
    pub m: usize,
    /// Inner dimension.
    pub k: usize,
    /// Columns of the right matrix.
    pub n: usize,
}

/// The kernel trueno 0.72 runs for `op` on a value tagged `tag` (`shape`
/// for `matmul`), and why it is below the tag when it is.
pub fn kernel(op: Op, tag: Backend, shape: Option<MatmulShape>) -> (Kernel, Option<&'static str>) {
    let ran = match op {
        // trueno's `scale` returns `UnsupportedBackend` for these tags: no
        // kernel runs (the block records the error).
        Op::Scale if matches!(tag, Backend::GPU | Backend::Auto) => return (Kernel::None, None),
        Op::Sum | Op::Mean | Op::Dot | Op::Add | Op::Sub | Op::Mul | Op::Relu | Op::Sigmoid => {
            simd_kernel(tag, true)
        }
        Op::Min | Op::Max | Op::Scale | Op::Matvec => simd_kernel(tag, false),
        Op::Variance | Op::Stddev => simd_kernel(tag, true).then_scalar(),
        Op::Softmax => simd_kernel(tag, false).then_scalar(),
        Op::Matmul => return matmul_kernel(tag, shape),
    };
    (ran, ran.below(tag).then(|| fallback_reason(op, tag)))
}

fn matmul_kernel(tag: Backend, shape: Option<MatmulShape>) -> (Kernel, Option<&'static str>) {
    let MatmulShape { m, k, n } = shape.unwrap_or(MatmulShape { m: 0, k: 0, n: 0 });
    let fma = cpu_has_avx2_fma();
    let why = |ran: Kernel, reason: &'static str| (ran, ran.below(tag).then_some(reason));
    if m == 1 {
        let ran = if fma {
            Kernel::BlisGemvAvx2Fma
        } else {
            Kernel::BlisGemvScalar
        };
        return why(
            ran,
            "Matrix::matmul of one row uses BLIS gemv, whatever the tag",
        );
    }
    #[cfg(feature = "trueno-gpu")]
    if m >= 500 && k >= 500 && n >= 500 {
        if trueno::backends::gpu::GpuBackend::is_available() {
            return (Kernel::Wgpu, None);
        }
        let ran = if fma {
            Kernel::BlisAvx2Fma
        } else {
            Kernel::BlisScalar
        };
        return (
            ran,
            Some("no GPU adapter: Matrix::matmul ran BLIS instead of wgpu"),
        );
    }
    if m >= 64 || k >= 64 || n >= 64 {
        let ran = if fma {
            Kernel::BlisAvx2Fma
        } else {
            Kernel::BlisScalar
        };
        why(
            ran,
            "Matrix::matmul uses BLIS's AVX2+FMA microkernel whatever the tag",
        )
    } else {
        why(
            Kernel::Scalar,
            "Matrix::matmul multiplies matrices under 64 in every dimension with a scalar loop",
        )
    }
}

fn fallback_reason(op: Op, tag: Backend) -> &'static str {
    match tag {
        Backend::GPU | Backend::Auto => {
            "a GPU- or Auto-tagged vector runs trueno's scalar kernel (its GPU paths are disabled)"
        }
        Backend::NEON | Backend::WasmSIMD => {
            "that SIMD extension does not exist on this architecture: trueno runs the scalar kernel"
        }
        Backend::AVX => "trueno has no AVX kernels: the AVX tag runs the SSE2 kernel",
        Backend::AVX512
            if matches!(op, Op::Min | Op::Max | Op::Scale | Op::Matvec | Op::Softmax) =>
        {
            "trueno has no AVX-512 kernel for this operation: it runs the AVX2 kernel"
        }
        _ => "trueno runs a lesser kernel than the tag for this operation",
    }
}

/// Bit `tag as u8` set: this CPU runs the tag's kernels (bit 15: known).
static RUNNABLE: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);

/// Whether this CPU can run the kernels of `tag` (trueno does not check):
/// one relaxed load after the first call.
#[inline]
fn runnable(tag: Backend) -> bool {
    let mut bits = RUNNABLE.load(std::sync::atomic::Ordering::Relaxed);
    if bits == 0 {
        bits = runnable_bits();
        RUNNABLE.store(bits, std::sync::atomic::Ordering::Relaxed);
    }
    bits & (1 << tag as u16) != 0
}

#[cold]
fn runnable_bits() -> u16 {
    let all = [
        Backend::Scalar,
        Backend::SSE2,
        Backend::AVX,
        Backend::AVX2,
        Backend::AVX512,
        Backend::NEON,
        Backend::WasmSIMD,
        Backend::GPU,
        Backend::Auto,
    ];
    let ok = |tag: Backend| {
        #[cfg(target_arch = "x86_64")]
        return match tag {
            Backend::AVX512 => std::arch::is_x86_feature_detected!("avx512f"),
            Backend::AVX2 => cpu_has_avx2_fma(),
            _ => true,
        };
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = tag;
            true
        }
    };
    all.iter()
        .filter(|&&t| ok(t))
        .fold(1 << 15, |bits, &t| bits | 1 << t as u16)
}

const UNRUNNABLE: &str =
    "this CPU cannot run the tag's instructions: ran trueno's best available backend instead";

/// A traced view of a `Vector<f32>` (see [`Traced`]).
#[derive(Debug, Clone, Copy)]
pub struct TracedVector<'a>(&'a Vector<f32>);

/// A traced view of a `Matrix<f32>` (see [`Traced`]).
#[derive(Debug, Clone, Copy)]
pub struct TracedMatrix<'a>(&'a Matrix<f32>);

/// A copy of `v` tagged with the best available backend, for a tag the CPU
/// cannot run.
#[cold]
#[inline(never)]
fn retagged(v: &Vector<f32>) -> Vector<f32> {
    Vector::from_slice_with_backend(v.as_slice(), trueno::select_best_available_backend())
}

/// Runs `f` as the compute block `op` over `elements` values tagged `tag`.
#[inline(always)]
fn block<T>(
    op: Op,
    tag: Backend,
    shape: Option<MatmulShape>,
    elements: usize,
    f: impl FnOnce(bool) -> Result<T, TruenoError>,
) -> Result<T, TruenoError> {
    let retag = op != Op::Matmul && !runnable(tag);
    let timer = begin(&SITES[op as usize]);
    if !timer.is_sampled() {
        return f(retag);
    }
    let out = f(retag);
    record(op, tag, retag, shape, elements, timer, out.as_ref().err());
    out
}

/// The sampled path: what ran, then the record (out of line: the
/// unsampled path stays a countdown and the call).
#[inline(never)]
fn record(
    op: Op,
    tag: Backend,
    retag: bool,
    shape: Option<MatmulShape>,
    elements: usize,
    timer: super::ComputeTimer,
    error: Option<&TruenoError>,
) {
    let ran_tag = if retag {
        trueno::select_best_available_backend()
    } else {
        tag
    };
    let (kernel, reason) = kernel(op, ran_tag, shape);
    let info = ComputeInfo {
        library: "trueno",
        operation: op.name(),
        backend: kernel.name(),
        backend_requested: kernel.differs_from(tag).then(|| tag_name(tag)),
        elements: elements as u64,
        data_type: "f32",
        fallback_reason: if retag { Some(UNRUNNABLE) } else { reason },
        class: if kernel == Kernel::Wgpu {
            ComputeClass::Gpu
        } else {
            ComputeClass::Simd
        },
    };
    timer.finish(&info, error.map(|e| e as &dyn std::fmt::Display));
}

macro_rules! unary {
    ($(#[$doc:meta] $name:ident -> $ret:ty, $op:expr;)*) => {
        impl TracedVector<'_> {
            $(
                #[$doc]
                pub fn $name(&self) -> Result<$ret, TruenoError> {
                    let v = self.0;
                    block($op, v.backend(), None, v.len(), |retag| {
                        if retag { retagged(v).$name() } else { v.$name() }
                    })
                }
            )*
        }
    };
}

macro_rules! binary {
    ($(#[$doc:meta] $name:ident -> $ret:ty, $op:expr;)*) => {
        impl TracedVector<'_> {
            $(
                #[$doc]
                pub fn $name(&self, other: &Vector<f32>) -> Result<$ret, TruenoError> {
                    let v = self.0;
                    block($op, v.backend(), None, v.len(), |retag| {
                        if retag { retagged(v).$name(other) } else { v.$name(other) }
                    })
                }
            )*
        }
    };
}

unary! {
    /// `Vector::sum`, traced.
    sum -> f32, Op::Sum;
    /// `Vector::mean`, traced.
    mean -> f32, Op::Mean;
    /// `Vector::variance`, traced.
    variance -> f32, Op::Variance;
    /// `Vector::stddev`, traced.
    stddev -> f32, Op::Stddev;
    /// `Vector::min`, traced.
    min -> f32, Op::Min;
    /// `Vector::max`, traced.
    max -> f32, Op::Max;
    /// `Vector::softmax`, traced.
    softmax -> Vector<f32>, Op::Softmax;
    /// `Vector::relu`, traced.
    relu -> Vector<f32>, Op::Relu;
    /// `Vector::sigmoid`, traced.
    sigmoid -> Vector<f32>, Op::Sigmoid;
}

binary! {
    /// `Vector::dot`, traced.
    dot -> f32, Op::Dot;
    /// `Vector::add`, traced.
    add -> Vector<f32>, Op::Add;
    /// `Vector::sub`, traced.
    sub -> Vector<f32>, Op::Sub;
    /// `Vector::mul`, traced.
    mul -> Vector<f32>, Op::Mul;
}

impl TracedVector<'_> {
    /// `Vector::scale`, traced.
    pub fn scale(&self, factor: f32) -> Result<Vector<f32>, TruenoError> {
        let v = self.0;
        block(Op::Scale, v.backend(), None, v.len(), |retag| {
            if retag {
                retagged(v).scale(factor)
            } else {
                v.scale(factor)
            }
        })
    }
}

impl TracedMatrix<'_> {
    /// `Matrix::matvec`, traced (`compute.elements`: rows × cols).
    pub fn matvec(&self, v: &Vector<f32>) -> Result<Vector<f32>, TruenoError> {
        let m = self.0;
        block(
            Op::Matvec,
            m.backend(),
            None,
            m.rows() * m.cols(),
            |retag| {
                if retag {
                    let best = trueno::select_best_available_backend();
                    Matrix::from_vec_with_backend(m.rows(), m.cols(), m.as_slice().to_vec(), best)
                        .matvec(v)
                } else {
                    m.matvec(v)
                }
            },
        )
    }

    /// `Matrix::matmul`, traced (`compute.elements`: the m × k × n
    /// multiply-adds). Its path depends on the shapes, not the tag.
    pub fn matmul(&self, other: &Matrix<f32>) -> Result<Matrix<f32>, TruenoError> {
        let m = self.0;
        let shape = MatmulShape {
            m: m.rows(),
            k: m.cols(),
            n: other.cols(),
        };
        block(
            Op::Matmul,
            m.backend(),
            Some(shape),
            shape.m * shape.k * shape.n,
            |_| m.matmul(other),
        )
    }
}
