//! The `cuda` feature end to end without a GPU: activity buffers built in
//! memory from cudarc's real `cupti::sys` layouts (kernel, memcpy, memset,
//! driver/runtime API, external correlation; a truncated record) go
//! through renacer's delivery path — decoding, correlation, clock
//! conversion, the queue, the collector — into JSON lines and Perfetto.
//! And the absence path, for real: this machine has no NVIDIA driver.
//!
//! One test function: the runtime is process-wide.

use renacer::gpu::synthetic::{self, Work};
use renacer::gpu::{CudaMode, GpuStatus};

static KERNEL_NAME: &std::ffi::CStr = c"_Z6vecAddPKfS0_Pfi";

fn work(correlation: u32, start: u64, end: u64, stream: u32) -> Work {
    Work {
        correlation,
        start,
        end,
        device: 0,
        stream,
    }
}

fn deliver(records: &[Vec<u8>]) {
    // SAFETY: the only name pointer is `KERNEL_NAME`, a static C string.
    unsafe { synthetic::deliver_buffer(records) };
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
        let now = synthetic::now();
        let (span, trace) = (tp.parent_id.0, tp.trace_id.0);
        // Buffer 1: the kernel and the copy, before their launch records.
        deliver(&[
            synthetic::kernel(
                work(1, now + 2_000, now + 12_000, 13),
                KERNEL_NAME,
                [4096, 1, 1],
                [256, 1, 1],
            ),
            synthetic::memcpy(work(2, now + 500, now + 1_500, 13), 1, 1, 3, 1 << 20),
        ]);
        // Buffer 2: the launch records, the external ids renacer pushed
        // during the kernel's launch, and a truncated record.
        let mut truncated = synthetic::kernel(work(9, 0, 0, 13), KERNEL_NAME, [1, 1, 1], [1, 1, 1]);
        truncated.truncate(40);
        let mut buf: Vec<Vec<u8>> = synthetic::launch_ids(1, trace, span).into();
        buf.extend([
            synthetic::api(false, 307, 1, now + 100, now + 400, tid),
            synthetic::api(true, 211, 1, now + 50, now + 450, tid),
            synthetic::api(false, 279, 2, now + 450, now + 1_600, tid),
            truncated,
        ]);
        deliver(&buf);
        (span, trace, now + BEHIND + 50)
    };
    // A memset whose launch record never arrives: emitted at the final flush.
    let late = synthetic::now();
    deliver(&[synthetic::memset(work(3, late, late + 800, 14), 0, 1 << 20)]);
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

    // A burst larger than the queue (65,536 items) in one buffer: every
    // item is exported or counted as dropped, none vanishes.
    const BURST: u64 = 100_000;
    let t = synthetic::now();
    let burst: Vec<Vec<u8>> = (0..BURST as u32)
        .map(|i| synthetic::memset(work(100 + i, t, t + 10, 15), 0, 64))
        .collect();
    deliver(&burst);
    synthetic::finish();
    assert!(renacer::flush());
    let after = renacer::stats();
    assert_eq!(
        (after.gpu_items - s.gpu_items) + (after.gpu_dropped - s.gpu_dropped),
        BURST,
        "{after:?}"
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
            .find(|l| l["kind"] == k && l["fields"]["gpu.stream"] != 15)
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
        f["gpu.launch.api"], "runtime cbid 211",
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
