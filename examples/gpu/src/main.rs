//! A CUDA program traced by renacer: upload two vectors, add them on the
//! GPU, read the sum back — each step a `#[renacer::trace]` function, so
//! the unified trace shows `memcpy HtoD` under `upload`, the `vec_add`
//! kernel under `add_on_gpu` and `memcpy DtoH` under `download`, each on
//! the GPU's stream track.
//!
//! The kernel is PTX text loaded with the driver API (no nvcc, no NVRTC).
//! On a machine without an NVIDIA driver it says so and exits 0.
//!
//! `gpu-demo [N]` adds vectors of N floats (default 1<<20). With
//! `--without-renacer` it does not initialize renacer: the program then
//! stands for any CUDA program, for `renacer --cuda` (injection) to trace.

use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaSlice, CudaStream, LaunchConfig, PushKernelArg};

/// `c[i] = a[i] + b[i]` for `i < n`.
const VEC_ADD_PTX: &str = r#"
.version 7.0
.target sm_52
.address_size 64

.visible .entry vec_add(
    .param .u64 a,
    .param .u64 b,
    .param .u64 c,
    .param .u32 n
)
{
    .reg .pred  %p<2>;
    .reg .b32   %r<6>;
    .reg .f32   %f<4>;
    .reg .b64   %rd<11>;

    ld.param.u64    %rd1, [a];
    ld.param.u64    %rd2, [b];
    ld.param.u64    %rd3, [c];
    ld.param.u32    %r2, [n];
    mov.u32         %r3, %ctaid.x;
    mov.u32         %r4, %ntid.x;
    mov.u32         %r5, %tid.x;
    mad.lo.s32      %r1, %r3, %r4, %r5;
    setp.ge.u32     %p1, %r1, %r2;
    @%p1 bra        DONE;
    cvta.to.global.u64  %rd4, %rd1;
    cvta.to.global.u64  %rd5, %rd2;
    cvta.to.global.u64  %rd6, %rd3;
    mul.wide.u32    %rd7, %r1, 4;
    add.s64         %rd8, %rd4, %rd7;
    add.s64         %rd9, %rd5, %rd7;
    add.s64         %rd10, %rd6, %rd7;
    ld.global.f32   %f1, [%rd8];
    ld.global.f32   %f2, [%rd9];
    add.f32         %f3, %f1, %f2;
    st.global.f32   [%rd10], %f3;
DONE:
    ret;
}
"#;

type Result<T> = std::result::Result<T, cudarc::driver::DriverError>;

#[renacer::trace]
fn upload(stream: &Arc<CudaStream>, host: &[f32]) -> Result<CudaSlice<f32>> {
    stream.clone_htod(host)
}

#[renacer::trace]
fn add_on_gpu(
    ctx: &Arc<CudaContext>,
    stream: &Arc<CudaStream>,
    a: &CudaSlice<f32>,
    b: &CudaSlice<f32>,
    n: usize,
) -> Result<CudaSlice<f32>> {
    let module = ctx.load_module(cudarc::nvrtc::Ptx::from_src(VEC_ADD_PTX))?;
    let f = module.load_function("vec_add")?;
    let mut c = stream.alloc_zeros::<f32>(n)?;
    let len = n as u32;
    let mut launch = stream.launch_builder(&f);
    launch.arg(a).arg(b).arg(&mut c).arg(&len);
    // SAFETY: the kernel's parameters are three device pointers to `n`
    // floats and `n`, as pushed.
    unsafe { launch.launch(LaunchConfig::for_num_elems(len)) }?;
    Ok(c)
}

#[renacer::trace]
fn download(stream: &Arc<CudaStream>, c: &CudaSlice<f32>) -> Result<Vec<f32>> {
    stream.clone_dtoh(c)
}

#[renacer::trace]
fn run(n: usize) -> Result<f64> {
    let ctx = CudaContext::new(0)?;
    let stream = ctx.default_stream();
    let a: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let b: Vec<f32> = (0..n).map(|i| (n - i) as f32).collect();
    let da = upload(&stream, &a)?;
    let db = upload(&stream, &b)?;
    let dc = add_on_gpu(&ctx, &stream, &da, &db, n)?;
    let c = download(&stream, &dc)?;
    assert!(
        c.iter().all(|&x| x == n as f32),
        "vec_add computed a wrong sum"
    );
    Ok(c.iter().map(|&x| f64::from(x)).sum())
}

fn main() {
    let mut n = 1usize << 20;
    let mut with_renacer = true;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--without-renacer" => with_renacer = false,
            v => match v.parse() {
                Ok(v) if v > 0 => n = v,
                _ => {
                    eprintln!("usage: gpu-demo [--without-renacer] [N]");
                    std::process::exit(2);
                }
            },
        }
    }
    let guard = with_renacer.then(renacer::init);
    // cudarc's dynamically loaded calls panic without the library: ask first.
    // SAFETY: only tries to open libcuda.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        println!("gpu-demo: no NVIDIA driver here; nothing launched");
        return;
    }
    match run(n) {
        Ok(sum) => println!("gpu-demo: {n} floats added on the GPU, sum {sum}"),
        Err(e) => {
            eprintln!("gpu-demo: CUDA failed: {e}");
            std::process::exit(1);
        }
    }
    drop(guard);
    if with_renacer {
        let s = renacer::stats();
        println!(
            "gpu-demo: renacer {:?}, {} GPU items, {} GPU records lost",
            renacer::gpu::status(),
            s.gpu_items,
            s.gpu_dropped
        );
    }
}
