//! The `cuda` feature end to end without a GPU: activity buffers built in
//! memory from cudarc's real `cupti::sys` layouts (kernel, memcpy, memset,
//! driver/runtime API, external correlation; a truncated record) go
//! through renacer's delivery path — decoding, correlation, clock
//! conversion, the queue, the collector — into JSON lines and Perfetto.
//! And the absence path, for real: this machine has no NVIDIA driver.
//!
//! One test function: the runtime is process-wide.

use std::ffi::CStr;
use std::mem::{offset_of, size_of};

use cudarc::cupti::sys::{
    CUpti_ActivityAPI as Api, CUpti_ActivityExternalCorrelation as Ext,
    CUpti_ActivityKernel9 as Kernel9, CUpti_ActivityMemcpy5 as Memcpy5,
    CUpti_ActivityMemset4 as Memset4,
};
use renacer::gpu::{synthetic, CudaMode, GpuStatus};

const KERNEL: u32 = 10; // CONCURRENT_KERNEL
const MEMCPY: u32 = 1;
const MEMSET: u32 = 2;
const DRIVER: u32 = 4;
const RUNTIME: u32 = 5;
const EXTERNAL: u32 = 39;

/// A record of `len` bytes with fields written at their layout offsets.
struct Rec(Vec<u8>);

impl Rec {
    fn new(len: usize, kind: u32) -> Rec {
        assert_eq!(synthetic::record_len(kind), Some(len));
        let mut r = Rec(vec![0; len]);
        r.put(0, kind);
        r
    }
    fn put<T: Bytes>(&mut self, off: usize, v: T) -> &mut Rec {
        let b = v.le();
        self.0[off..off + b.len()].copy_from_slice(&b);
        self
    }
}

trait Bytes {
    fn le(self) -> Vec<u8>;
}
impl Bytes for u8 {
    fn le(self) -> Vec<u8> {
        vec![self]
    }
}
impl Bytes for u16 {
    fn le(self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}
impl Bytes for u32 {
    fn le(self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}
impl Bytes for i32 {
    fn le(self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}
impl Bytes for u64 {
    fn le(self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}

static KERNEL_NAME: &CStr = c"_Z6vecAddPKfS0_Pfi";

fn kernel(corr: u32, start: u64, end: u64) -> Rec {
    let mut r = Rec::new(size_of::<Kernel9>(), KERNEL);
    r.put(offset_of!(Kernel9, start), start)
        .put(offset_of!(Kernel9, end), end)
        .put(offset_of!(Kernel9, deviceId), 0u32)
        .put(offset_of!(Kernel9, contextId), 1u32)
        .put(offset_of!(Kernel9, streamId), 13u32)
        .put(offset_of!(Kernel9, correlationId), corr)
        .put(offset_of!(Kernel9, gridX), 4096i32)
        .put(offset_of!(Kernel9, gridY), 1i32)
        .put(offset_of!(Kernel9, gridZ), 1i32)
        .put(offset_of!(Kernel9, blockX), 256i32)
        .put(offset_of!(Kernel9, blockY), 1i32)
        .put(offset_of!(Kernel9, blockZ), 1i32)
        .put(offset_of!(Kernel9, registersPerThread), 18u16)
        .put(offset_of!(Kernel9, staticSharedMemory), 0i32)
        .put(offset_of!(Kernel9, dynamicSharedMemory), 2048i32)
        .put(
            offset_of!(Kernel9, name),
            KERNEL_NAME.as_ptr() as usize as u64,
        );
    r
}

fn memcpy(corr: u32, start: u64, end: u64, bytes: u64) -> Rec {
    let mut r = Rec::new(size_of::<Memcpy5>(), MEMCPY);
    r.put(offset_of!(Memcpy5, copyKind), 1u8) // HtoD
        .put(offset_of!(Memcpy5, srcKind), 1u8) // pageable
        .put(offset_of!(Memcpy5, dstKind), 3u8) // device
        .put(offset_of!(Memcpy5, bytes), bytes)
        .put(offset_of!(Memcpy5, start), start)
        .put(offset_of!(Memcpy5, end), end)
        .put(offset_of!(Memcpy5, streamId), 13u32)
        .put(offset_of!(Memcpy5, correlationId), corr);
    r
}

fn memset(corr: u32, start: u64, end: u64) -> Rec {
    let mut r = Rec::new(size_of::<Memset4>(), MEMSET);
    r.put(offset_of!(Memset4, value), 0u32)
        .put(offset_of!(Memset4, bytes), 1u64 << 20)
        .put(offset_of!(Memset4, start), start)
        .put(offset_of!(Memset4, end), end)
        .put(offset_of!(Memset4, streamId), 14u32)
        .put(offset_of!(Memset4, correlationId), corr)
        .put(offset_of!(Memset4, memoryKind), 3u16);
    r
}

fn api(kind: u32, corr: u32, start: u64, end: u64, tid: u32) -> Rec {
    let mut r = Rec::new(size_of::<Api>(), kind);
    r.put(offset_of!(Api, cbid), 307u32)
        .put(offset_of!(Api, start), start)
        .put(offset_of!(Api, end), end)
        .put(offset_of!(Api, processId), std::process::id())
        .put(offset_of!(Api, threadId), tid)
        .put(offset_of!(Api, correlationId), corr);
    r
}

fn ext(corr: u32, kind: u32, id: u64) -> Rec {
    let mut r = Rec::new(size_of::<Ext>(), EXTERNAL);
    r.put(offset_of!(Ext, externalKind), kind)
        .put(offset_of!(Ext, externalId), id)
        .put(offset_of!(Ext, correlationId), corr);
    r
}

fn deliver(records: &[&Rec]) {
    let slices: Vec<&[u8]> = records.iter().map(|r| &r.0[..]).collect();
    // SAFETY: the only name pointer is `KERNEL_NAME`, a static C string.
    unsafe { synthetic::deliver_buffer(&slices) };
}

fn gettid() -> u32 {
    // SAFETY: no preconditions.
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

#[test]
fn gpu_activity_nests_under_the_launching_span_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("t.jsonl");
    let perfetto = dir.path().join("t.json");
    // No NVIDIA driver here: asked for, CUDA is reported absent (one line
    // on stderr), and recording goes on.
    let guard = renacer::Config::builder()
        .sample_rate(1.0)
        .cuda(CudaMode::On)
        .output(&format!(
            "jsonl:{},perfetto:{}",
            jsonl.display(),
            perfetto.display()
        ))
        .init();
    match renacer::gpu::status() {
        GpuStatus::Absent(why) => assert!(why.contains("libcuda"), "{why}"),
        other => panic!("expected CUDA absent on a machine without a driver, got {other:?}"),
    }

    // CUPTI's clock 5 s behind CLOCK_MONOTONIC.
    const BEHIND: u64 = 5_000_000_000;
    synthetic::start(BEHIND);
    let tid = gettid();
    let (span_id, trace_id, launch_at) = {
        let _launch = renacer::span!("launch_vec_add");
        let tp = renacer::context::current_context().expect("inside a recorded span");
        let now = renacer::clock::now_monotonic_ns() - BEHIND;
        let (span, trace) = (tp.parent_id.0, tp.trace_id.0);
        // Buffer 1: the kernel and the copy, before their launch records.
        deliver(&[
            &kernel(1, now + 2_000, now + 12_000),
            &memcpy(2, now + 500, now + 1_500, 1 << 20),
        ]);
        // Buffer 2: the launch records, the external ids renacer pushed
        // during the kernel's launch, and a truncated record.
        let mut truncated = kernel(9, 0, 0);
        truncated.0.truncate(40);
        deliver(&[
            &ext(1, 3, span),
            &ext(1, 4, (trace >> 64) as u64),
            &ext(1, 5, trace as u64),
            &api(DRIVER, 1, now + 100, now + 400, tid),
            &api(RUNTIME, 1, now + 50, now + 450, tid),
            &api(DRIVER, 2, now + 450, now + 1_600, tid),
            &truncated,
        ]);
        (span, trace, now + BEHIND + 50)
    };
    // A memset whose launch record never arrives: emitted at the final flush.
    let late = renacer::clock::now_monotonic_ns() - BEHIND;
    deliver(&[&memset(3, late, late + 800)]);
    synthetic::finish();
    assert!(renacer::flush());
    let s = renacer::stats();
    assert_eq!(s.gpu_items, 3);
    assert_eq!(s.gpu_dropped, 1, "the truncated record");
    assert_eq!(s.recorded, 1 + s.gpu_items, "one span and three GPU items");
    assert_eq!(
        s.recorded,
        s.exported + s.export_dropped + s.collector_dropped + s.open
    );
    drop(guard);

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_kind = |k: &str| {
        lines
            .iter()
            .find(|l| l["kind"] == k)
            .unwrap_or_else(|| panic!("no {k} in {lines:?}"))
    };
    let k = by_kind("gpu_kernel");
    assert_eq!(k["name"], "vecAdd(float const*, float const*, float*, int)");
    assert_eq!(k["parent_span_id"], format!("{span_id:016x}"));
    assert_eq!(k["trace_id"], format!("{trace_id:032x}"));
    assert_eq!(k["tid"], tid);
    let f = &k["fields"];
    assert_eq!(f["gpu.kernel.mangled_name"], "_Z6vecAddPKfS0_Pfi");
    assert_eq!(f["gpu.kernel.grid"], "4096x1x1");
    assert_eq!(f["gpu.kernel.block"], "256x1x1");
    assert_eq!(f["gpu.kernel.registers_per_thread"], 18);
    assert_eq!(f["gpu.kernel.dynamic_shared_memory"], 2048);
    assert_eq!(f["gpu.stream"], 13);
    assert_eq!(
        f["gpu.launch.api"], "runtime cbid 307",
        "the runtime call is the launch"
    );
    // Converted to CLOCK_MONOTONIC within the calibration's bound.
    let err = f["gpu.clock_error_ns"].as_u64().unwrap();
    let launch = f["gpu.launch.start_ns"].as_u64().unwrap();
    assert!(
        launch.abs_diff(launch_at) <= err + 1,
        "{launch} vs {launch_at} ±{err}"
    );
    assert_eq!(
        k["end_ns"].as_u64().unwrap() - k["start_ns"].as_u64().unwrap(),
        10_000
    );
    let span = lines
        .iter()
        .find(|l| l["name"] == "launch_vec_add")
        .unwrap();
    assert_eq!(span["span_id"], k["parent_span_id"]);

    // The copy's launch carried no external ids (as a launch outside any
    // span does): it belongs to its thread, a root of its own trace.
    let c = by_kind("gpu_memcpy");
    assert_eq!(c["name"], "memcpy HtoD");
    assert_eq!(c["parent_span_id"], serde_json::Value::Null);
    assert_eq!(c["tid"], tid, "CUPTI's thread id of the launch");
    assert_eq!(c["fields"]["gpu.memcpy.src_kind"], "pageable");
    assert_eq!(c["fields"]["gpu.bytes"], 1 << 20);
    assert!((c["fields"]["gpu.throughput_gb_s"].as_f64().unwrap() - 1048.576).abs() < 1e-9);
    let m = by_kind("gpu_memset");
    assert_eq!(m["fields"]["gpu.memset.memory_kind"], "device");
    assert!(
        m["fields"].get("gpu.launch.start_ns").is_none(),
        "never saw its launch"
    );

    // Perfetto: the kernel on the GPU 0 stream 13 track, with a flow from
    // the launch on this thread's track.
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&perfetto).unwrap()).expect("valid Perfetto JSON");
    let events = v["traceEvents"].as_array().unwrap();
    let track = events
        .iter()
        .find(|e| e["ph"] == "M" && e["args"]["name"] == "GPU 0 stream 13")
        .expect("a named GPU track");
    let kx = events
        .iter()
        .find(|e| e["ph"] == "X" && e["cat"] == "gpu_kernel")
        .unwrap();
    assert_eq!(kx["tid"], track["tid"]);
    let flow: Vec<_> = events.iter().filter(|e| e["cat"] == "gpu_launch").collect();
    assert_eq!(flow.len(), 4, "kernel and copy: a start and an end each");
    assert!(flow.iter().any(|e| e["ph"] == "s" && e["tid"] == tid));
}
