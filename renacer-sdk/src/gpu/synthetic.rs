//! The delivery path without CUPTI, for tests on machines without a GPU:
//! activity records built in memory from cudarc's real `cupti::sys`
//! layouts (each field written at its `offset_of!`) go through the same
//! decoding, correlation, clock conversion, queue and collector as the
//! buffers CUPTI hands back. Everything but the FFI calls is exercised.
//! Not part of the stable API.

use std::ffi::CStr;
use std::mem::{offset_of, size_of};
use std::sync::atomic::{AtomicU64, Ordering};

use cudarc::cupti::sys::{
    CUpti_ActivityAPI as Api, CUpti_ActivityExternalCorrelation as Ext,
    CUpti_ActivityKernel9 as Kernel9, CUpti_ActivityMemcpy5 as Memcpy5,
    CUpti_ActivityMemset4 as Memset4,
};

use super::activity::kind;
use super::correlate::{EXT_SPAN, EXT_TRACE_HI, EXT_TRACE_LO};

static CUPTI_BEHIND_NS: AtomicU64 = AtomicU64::new(0);

/// Uses a CUPTI clock `behind_ns` behind `CLOCK_MONOTONIC`, CUPTI's thread
/// ids as the launch threads, and `driver cbid N` / `runtime cbid N` as API
/// names.
pub fn start(behind_ns: u64) {
    CUPTI_BEHIND_NS.store(behind_ns, Ordering::Relaxed);
    super::set_sources(super::Sources {
        cupti_clock: now,
        thread_of: |_| None,
        api_name: |runtime, cbid| {
            let domain = if runtime { "runtime" } else { "driver" };
            Some(format!("{domain} cbid {cbid}"))
        },
    });
}

/// The synthetic CUPTI clock now.
pub fn now() -> u64 {
    crate::clock::now_monotonic_ns().saturating_sub(CUPTI_BEHIND_NS.load(Ordering::Relaxed))
}

/// One completed buffer: each element is one record's bytes.
///
/// # Safety
/// A kernel record's name pointer must be null or point to a
/// NUL-terminated string that outlives the call ([`kernel`] writes a
/// `&'static CStr`'s).
pub unsafe fn deliver_buffer(records: &[Vec<u8>]) {
    // SAFETY: the caller's contract is `decode`'s.
    let decoded = records
        .iter()
        .map(|r| unsafe { super::activity::decode(r) })
        .collect();
    super::receive(decoded);
    super::deliver();
}

/// The final flush: items still waiting for their launch record.
pub fn finish() {
    super::finish();
    super::deliver();
}

/// Bytes of a record of CUPTI activity kind `kind` that renacer reads.
pub fn record_len(kind: u32) -> Option<usize> {
    super::activity::record_len(kind)
}

/// A zeroed record of `T`'s size with its kind set.
fn record<T>(k: u32) -> Vec<u8> {
    let mut r = vec![0; size_of::<T>()];
    put(&mut r, 0, &k.to_le_bytes());
    r
}

fn put(r: &mut [u8], off: usize, b: &[u8]) {
    r[off..off + b.len()].copy_from_slice(b);
}

/// Where and when device work ran (CUPTI clock).
#[derive(Clone, Copy, Debug)]
pub struct Work {
    /// Launch correlation id.
    pub correlation: u32,
    /// Start and end, CUPTI clock ns.
    pub start: u64,
    /// End, CUPTI clock ns.
    pub end: u64,
    /// Device ordinal.
    pub device: u32,
    /// Stream id.
    pub stream: u32,
}

/// A `CUpti_ActivityKernel9` record.
pub fn kernel(w: Work, name: &'static CStr, grid: [i32; 3], block: [i32; 3]) -> Vec<u8> {
    let mut r = record::<Kernel9>(kind::CONCURRENT_KERNEL);
    put(&mut r, offset_of!(Kernel9, start), &w.start.to_le_bytes());
    put(&mut r, offset_of!(Kernel9, end), &w.end.to_le_bytes());
    put(
        &mut r,
        offset_of!(Kernel9, deviceId),
        &w.device.to_le_bytes(),
    );
    put(&mut r, offset_of!(Kernel9, contextId), &1u32.to_le_bytes());
    put(
        &mut r,
        offset_of!(Kernel9, streamId),
        &w.stream.to_le_bytes(),
    );
    put(
        &mut r,
        offset_of!(Kernel9, correlationId),
        &w.correlation.to_le_bytes(),
    );
    for (off, v) in [
        (offset_of!(Kernel9, gridX), grid[0]),
        (offset_of!(Kernel9, gridY), grid[1]),
        (offset_of!(Kernel9, gridZ), grid[2]),
        (offset_of!(Kernel9, blockX), block[0]),
        (offset_of!(Kernel9, blockY), block[1]),
        (offset_of!(Kernel9, blockZ), block[2]),
        (offset_of!(Kernel9, staticSharedMemory), 0),
        (offset_of!(Kernel9, dynamicSharedMemory), 2048),
    ] {
        put(&mut r, off, &v.to_le_bytes());
    }
    put(
        &mut r,
        offset_of!(Kernel9, registersPerThread),
        &18u16.to_le_bytes(),
    );
    let name = name.as_ptr() as usize as u64;
    put(&mut r, offset_of!(Kernel9, name), &name.to_le_bytes());
    r
}

/// A `CUpti_ActivityMemcpy5` record: `copy_kind` 1 is HtoD, memory kinds
/// 1 pageable, 3 device.
pub fn memcpy(w: Work, copy_kind: u8, src: u8, dst: u8, bytes: u64) -> Vec<u8> {
    let mut r = record::<Memcpy5>(kind::MEMCPY);
    r[offset_of!(Memcpy5, copyKind)] = copy_kind;
    r[offset_of!(Memcpy5, srcKind)] = src;
    r[offset_of!(Memcpy5, dstKind)] = dst;
    put(&mut r, offset_of!(Memcpy5, bytes), &bytes.to_le_bytes());
    put(&mut r, offset_of!(Memcpy5, start), &w.start.to_le_bytes());
    put(&mut r, offset_of!(Memcpy5, end), &w.end.to_le_bytes());
    put(
        &mut r,
        offset_of!(Memcpy5, deviceId),
        &w.device.to_le_bytes(),
    );
    put(
        &mut r,
        offset_of!(Memcpy5, streamId),
        &w.stream.to_le_bytes(),
    );
    put(
        &mut r,
        offset_of!(Memcpy5, correlationId),
        &w.correlation.to_le_bytes(),
    );
    r
}

/// A `CUpti_ActivityMemset4` record of device memory.
pub fn memset(w: Work, value: u32, bytes: u64) -> Vec<u8> {
    let mut r = record::<Memset4>(kind::MEMSET);
    put(&mut r, offset_of!(Memset4, value), &value.to_le_bytes());
    put(&mut r, offset_of!(Memset4, bytes), &bytes.to_le_bytes());
    put(&mut r, offset_of!(Memset4, start), &w.start.to_le_bytes());
    put(&mut r, offset_of!(Memset4, end), &w.end.to_le_bytes());
    put(
        &mut r,
        offset_of!(Memset4, deviceId),
        &w.device.to_le_bytes(),
    );
    put(
        &mut r,
        offset_of!(Memset4, streamId),
        &w.stream.to_le_bytes(),
    );
    put(
        &mut r,
        offset_of!(Memset4, correlationId),
        &w.correlation.to_le_bytes(),
    );
    put(&mut r, offset_of!(Memset4, memoryKind), &3u16.to_le_bytes());
    r
}

/// A `CUpti_ActivityAPI` record (driver or runtime) of a launch call.
pub fn api(
    runtime: bool,
    cbid: u32,
    correlation: u32,
    start: u64,
    end: u64,
    thread: u32,
) -> Vec<u8> {
    let mut r = record::<Api>(if runtime { kind::RUNTIME } else { kind::DRIVER });
    put(&mut r, offset_of!(Api, cbid), &cbid.to_le_bytes());
    put(&mut r, offset_of!(Api, start), &start.to_le_bytes());
    put(&mut r, offset_of!(Api, end), &end.to_le_bytes());
    put(
        &mut r,
        offset_of!(Api, processId),
        &std::process::id().to_le_bytes(),
    );
    put(&mut r, offset_of!(Api, threadId), &thread.to_le_bytes());
    put(
        &mut r,
        offset_of!(Api, correlationId),
        &correlation.to_le_bytes(),
    );
    r
}

/// A `CUpti_ActivityExternalCorrelation` record.
pub fn external(correlation: u32, external_kind: u32, id: u64) -> Vec<u8> {
    let mut r = record::<Ext>(kind::EXTERNAL_CORRELATION);
    put(
        &mut r,
        offset_of!(Ext, externalKind),
        &external_kind.to_le_bytes(),
    );
    put(&mut r, offset_of!(Ext, externalId), &id.to_le_bytes());
    put(
        &mut r,
        offset_of!(Ext, correlationId),
        &correlation.to_le_bytes(),
    );
    r
}

/// The three external correlation records CUPTI emits for a launch during
/// which renacer's callback pushed span `span` of trace `trace`.
pub fn launch_ids(correlation: u32, trace: u128, span: u64) -> [Vec<u8>; 3] {
    [
        external(correlation, EXT_SPAN, span),
        external(correlation, EXT_TRACE_HI, (trace >> 64) as u64),
        external(correlation, EXT_TRACE_LO, trace as u64),
    ]
}
