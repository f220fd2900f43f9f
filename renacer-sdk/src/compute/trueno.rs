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

use std::borrow::Cow;

use trueno::{Backend, Matrix, TruenoError, Vector};

use super::{begin, ComputeInfo, FIELDS};
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

/// Rank of a kernel's ISA: a kernel below the requested rank is a fallback
/// (`none`, no kernel at all, is an error, not a fallback).
fn rank(kernel: &str) -> u8 {
    match kernel.split('+').next().unwrap_or(kernel) {
        "scalar" | "blis-scalar" | "blis-gemv-scalar" => 0,
        "sse2" | "neon" | "wasm-simd" => 1,
        "avx" => 2,
        "avx2" | "blis-avx2-fma" | "blis-gemv-avx2-fma" => 3,
        "avx512" => 4,
        _ => 5, // gpu, wgpu, auto
    }
}

/// The kernel of a plain SIMD family, per the dispatch macros.
fn simd_kernel(tag: Backend, avx512: bool) -> &'static str {
    match tag {
        Backend::Scalar => "scalar",
        #[cfg(target_arch = "x86_64")]
        Backend::SSE2 | Backend::AVX => "sse2",
        #[cfg(target_arch = "x86_64")]
        Backend::AVX2 => "avx2",
        #[cfg(target_arch = "x86_64")]
        Backend::AVX512 => {
            if avx512 {
                "avx512"
            } else {
                "avx2"
            }
        }
        #[cfg(any(target_arch = "aarch64", target_arch = "arm"))]
        Backend::NEON => "neon",
        #[cfg(target_arch = "wasm32")]
        Backend::WasmSIMD => "wasm-simd",
        _ => "scalar",
    }
}

/// `kernel` followed by a scalar pass.
fn then_scalar(kernel: &'static str) -> &'static str {
    match kernel {
        "sse2" => "sse2+scalar",
        "avx2" => "avx2+scalar",
        "avx512" => "avx512+scalar",
        "neon" => "neon+scalar",
        "wasm-simd" => "wasm-simd+scalar",
        _ => "scalar",
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
pub fn kernel(
    op: Op,
    tag: Backend,
    shape: Option<MatmulShape>,
) -> (&'static str, Option<&'static str>) {
    let ran = match op {
        // trueno's `scale` returns `UnsupportedBackend` for these tags: no
        // kernel runs (the block records the error).
        Op::Scale if matches!(tag, Backend::GPU | Backend::Auto) => return ("none", None),
        Op::Sum | Op::Mean | Op::Dot | Op::Add | Op::Sub | Op::Mul | Op::Relu | Op::Sigmoid => {
            simd_kernel(tag, true)
        }
        Op::Min | Op::Max | Op::Scale | Op::Matvec => simd_kernel(tag, false),
        Op::Variance | Op::Stddev => then_scalar(simd_kernel(tag, true)),
        Op::Softmax => then_scalar(simd_kernel(tag, false)),
        Op::Matmul => return matmul_kernel(tag, shape),
    };
    (ran, fallback_reason(op, tag, ran))
}

fn matmul_kernel(tag: Backend, shape: Option<MatmulShape>) -> (&'static str, Option<&'static str>) {
    let MatmulShape { m, k, n } = shape.unwrap_or(MatmulShape { m: 0, k: 0, n: 0 });
    let fma = cpu_has_avx2_fma();
    if m == 1 {
        let ran = if fma {
            "blis-gemv-avx2-fma"
        } else {
            "blis-gemv-scalar"
        };
        return (
            ran,
            below(
                tag,
                ran,
                "Matrix::matmul of one row uses BLIS gemv, whatever the tag",
            ),
        );
    }
    #[cfg(feature = "trueno-gpu")]
    if m >= 500 && k >= 500 && n >= 500 {
        if trueno::backends::gpu::GpuBackend::is_available() {
            return ("wgpu", None);
        }
        let ran = if fma { "blis-avx2-fma" } else { "blis-scalar" };
        return (
            ran,
            Some("no GPU adapter: Matrix::matmul ran BLIS instead of wgpu"),
        );
    }
    if m >= 64 || k >= 64 || n >= 64 {
        let ran = if fma { "blis-avx2-fma" } else { "blis-scalar" };
        (
            ran,
            below(
                tag,
                ran,
                "Matrix::matmul uses BLIS's AVX2+FMA microkernel whatever the tag",
            ),
        )
    } else {
        (
            "scalar",
            below(
                tag,
                "scalar",
                "Matrix::matmul multiplies matrices under 64 in every dimension with a scalar loop",
            ),
        )
    }
}

fn below(tag: Backend, ran: &str, why: &'static str) -> Option<&'static str> {
    (rank(ran) < rank(tag_name(tag))).then_some(why)
}

fn fallback_reason(op: Op, tag: Backend, ran: &'static str) -> Option<&'static str> {
    if rank(ran) >= rank(tag_name(tag)) {
        return None;
    }
    Some(match tag {
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
    })
}

/// Whether this CPU can run the kernels of `tag` (trueno does not check).
fn runnable(tag: Backend) -> bool {
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
}

const UNRUNNABLE: &str =
    "this CPU cannot run the tag's instructions: ran trueno's best available backend instead";

/// A traced view of a `Vector<f32>` (see [`Traced`]).
#[derive(Debug, Clone, Copy)]
pub struct TracedVector<'a>(&'a Vector<f32>);

/// A traced view of a `Matrix<f32>` (see [`Traced`]).
#[derive(Debug, Clone, Copy)]
pub struct TracedMatrix<'a>(&'a Matrix<f32>);

/// `v`, or a copy tagged with the best available backend when the CPU
/// cannot run `v`'s tag.
fn runnable_vector(v: &Vector<f32>) -> Cow<'_, Vector<f32>> {
    if runnable(v.backend()) {
        Cow::Borrowed(v)
    } else {
        Cow::Owned(Vector::from_slice_with_backend(
            v.as_slice(),
            trueno::select_best_available_backend(),
        ))
    }
}

/// Runs `f` as the compute block `op` over `elements` values tagged `tag`.
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
    let ran_tag = if retag {
        trueno::select_best_available_backend()
    } else {
        tag
    };
    let (backend, reason) = kernel(op, ran_tag, shape);
    let reason = if retag { Some(UNRUNNABLE) } else { reason };
    let requested = tag_name(tag);
    let info = ComputeInfo {
        library: "trueno",
        operation: op.name(),
        backend,
        // `avx2+scalar` honours an AVX2 request: compare the main kernel.
        backend_requested: (backend.split('+').next() != Some(requested)).then_some(requested),
        elements: elements as u64,
        data_type: "f32",
        fallback_reason: reason,
    };
    match &out {
        Ok(_) => timer.finish(&info, None),
        Err(e) => timer.finish(&info, Some(e)),
    }
    out
}

macro_rules! unary {
    ($(#[$doc:meta] $name:ident -> $ret:ty, $op:expr;)*) => {
        impl TracedVector<'_> {
            $(
                #[$doc]
                pub fn $name(&self) -> Result<$ret, TruenoError> {
                    let v = self.0;
                    block($op, v.backend(), None, v.len(), |_| runnable_vector(v).$name())
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
                    block($op, v.backend(), None, v.len(), |_| runnable_vector(v).$name(other))
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
        block(Op::Scale, v.backend(), None, v.len(), |_| {
            runnable_vector(v).scale(factor)
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
