//! The library `renacer --cuda` puts in `CUDA_INJECTION64_PATH`, so GPU
//! work of programs that do not use the SDK reaches the unified trace.
//!
//! CUDA loads it during `cuInit` and calls [`InitializeInjection`] there.
//! It starts renacer's runtime from the environment the CLI set up
//! (`RENACER_SPOOL`, `TRACEPARENT`, `RENACER_CUDA=on`), which starts the
//! CUPTI session of the SDK's `cuda` feature; kernels, copies and sets go
//! to the spool, where the CLI parents each under the span or syscall
//! context of its launching thread at launch time. The runtime stops in
//! the exit handler `init` registers, after a last CUPTI flush.
//!
//! A program that itself uses the SDK with the `cuda` feature gets two
//! runtimes in one process; CUPTI accepts one subscriber, so the second
//! CUPTI session is refused (one line on stderr) and the first one's
//! records are the trace's. Use `--cuda` for programs without the SDK.

#![warn(missing_docs, unreachable_pub)]

/// CUDA's injection entry point: returns 1 (success) whatever happens, so
/// tracing problems never fail the program's `cuInit`.
#[no_mangle]
pub extern "C" fn InitializeInjection() -> i32 {
    let _ = std::panic::catch_unwind(|| {
        let guard = renacer::init();
        // The runtime lives until the process exits (the exit handler
        // flushes and stops it).
        std::mem::forget(guard);
    });
    1
}
