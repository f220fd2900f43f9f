//! The GPU layer on the CLI's side, without a GPU: this test binary, run
//! under renacer as the app, replays CUDA activity through the SDK's
//! synthetic CUPTI path (records built from cudarc's layouts, delivered as
//! CUPTI delivers buffers). The unified trace must put the kernel under
//! the function that launched it, a copy whose launch carried no span
//! (as under `--cuda` in a program without the SDK) under the function
//! open on its thread at the launch, both on a GPU stream track in
//! Perfetto. And `--cuda` itself: its usage errors, and the injection
//! library loaded into a real program on a machine without a driver.

mod common;

use std::path::Path;

use common::selftrace;
use renacer::gpu::synthetic::{self, Work};
use serde_json::Value;

const APP_ENV: &str = "GPU_APP_DIR";
static KERNEL: &std::ffi::CStr = c"_Z6vecAddPKfS0_Pfi";

fn gettid() -> u32 {
    // SAFETY: no preconditions.
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

fn deliver(records: &[Vec<u8>]) {
    // SAFETY: the only name pointer is `KERNEL`, a static C string.
    unsafe { synthetic::deliver_buffer(records) };
}

fn work(correlation: u32, start: u64, end: u64) -> Work {
    Work {
        correlation,
        start,
        end,
        device: 0,
        stream: 7,
    }
}

/// Launches a kernel inside this span: CUPTI's records carry the ids
/// renacer's launch callback pushed.
#[renacer::trace]
fn launch_kernel(dir: &Path) {
    let tp = renacer::context::current_context().expect("a recorded span");
    let t = synthetic::now();
    std::fs::write(dir.join("input.bin"), [1u8; 64]).expect("input");
    let mut records: Vec<Vec<u8>> = synthetic::launch_ids(1, tp.trace_id.0, tp.parent_id.0).into();
    records.push(synthetic::api(true, 211, 1, t, t + 300, gettid()));
    records.push(synthetic::kernel(
        work(1, t + 1_000, t + 40_000),
        KERNEL,
        [64, 1, 1],
        [256, 1, 1],
    ));
    deliver(&records);
}

/// A device-to-host copy launched here without external ids.
#[renacer::trace]
fn copy_back() {
    let t = synthetic::now();
    deliver(&[
        synthetic::api(false, 279, 2, t, t + 200, gettid()),
        synthetic::memcpy(work(2, t + 300, t + 20_300), 2, 3, 1, 4096),
    ]);
}

fn run_as_app() -> bool {
    let Some(dir) = std::env::var_os(APP_ENV) else {
        return false;
    };
    let guard = renacer::init();
    synthetic::start(3_000_000_000);
    launch_kernel(Path::new(&dir));
    copy_back();
    synthetic::finish();
    drop(guard);
    true
}

fn trace(format: &str, dir: &Path, name: &str) -> String {
    let out = dir.join(format!("out.{format}"));
    let status = selftrace::command(APP_ENV, dir, name, &["--format", format], &out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run renacer");
    assert!(status.success(), "renacer --format {format}: {status}");
    std::fs::read_to_string(out).expect("output written")
}

#[test]
fn gpu_items_nest_under_the_span_that_launched_them() {
    if run_as_app() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let name = "gpu_items_nest_under_the_span_that_launched_them";
    let v: Value = serde_json::from_str(&trace("unified-json", dir.path(), name)).unwrap();
    let items = v["items"].as_array().expect("items");
    let one = |kind: &str| {
        let found: Vec<&Value> = items.iter().filter(|i| i["kind"] == kind).collect();
        assert_eq!(found.len(), 1, "{kind}: {found:?}");
        found[0]
    };
    let kernel = one("gpu_kernel");
    assert_eq!(
        kernel["name"],
        "vecAdd(float const*, float const*, float*, int)"
    );
    assert_eq!(selftrace::parent_name(items, kernel), "launch_kernel");
    let copy = one("gpu_memcpy");
    assert_eq!(copy["name"], "memcpy DtoH");
    assert_eq!(
        selftrace::parent_name(items, copy),
        "copy_back",
        "parented by launch time on its thread"
    );
    // The syscall the launching function made is its child too.
    let write = items
        .iter()
        .find(|i| {
            i["kind"] == "syscall" && i["args"].as_str().is_some_and(|a| a.contains("input.bin"))
        })
        .expect("the openat of input.bin");
    assert_eq!(selftrace::parent_name(items, write), "launch_kernel");

    let text = trace("unified", dir.path(), name);
    assert!(
        text.lines().any(|l| l.contains("vecAdd(float const*, float const*, float*, int) [GPU 0 stream 7, grid 64x1x1 block 256x1x1]")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("memcpy DtoH [GPU 0 stream 7, DtoH 4096 bytes")),
        "{text}"
    );

    let p: Value = serde_json::from_str(&trace("perfetto", dir.path(), name)).unwrap();
    let events = p["traceEvents"].as_array().unwrap();
    let track = events
        .iter()
        .find(|e| e["ph"] == "M" && e["args"]["name"] == "GPU 0 stream 7")
        .expect("the GPU track");
    let on_track: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["tid"] == track["tid"])
        .filter_map(|e| e["cat"].as_str())
        .collect();
    assert_eq!(on_track, ["gpu_kernel", "gpu_memcpy"]);
    let flows = events.iter().filter(|e| e["cat"] == "gpu_launch").count();
    assert_eq!(flows, 4, "a flow per item, start and end");
}

#[test]
fn cuda_without_a_unified_output_or_with_attach_is_a_usage_error() {
    let Some(lib) = inject_lib() else {
        return missing_lib();
    };
    for (args, want) in [
        (
            vec!["--cuda", "--", "true"],
            "--cuda puts GPU work into the unified trace",
        ),
        (
            vec!["--cuda", "--format", "unified", "-p", "1"],
            "cannot attach",
        ),
    ] {
        let out = std::process::Command::new(common::renacer())
            .args(&args)
            .env("RENACER_CUDA_INJECT", &lib)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let out = std::process::Command::new(common::renacer())
        .args(["--cuda", "--format", "unified", "--", "true"])
        .env("RENACER_CUDA_INJECT", "/nonexistent/lib.so")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("RENACER_CUDA_INJECT=/nonexistent/lib.so is not a file"));
}

/// The injection library, built next to the renacer binary
/// (`cargo build -p renacer-cuda-inject`; `scripts/test-all.sh` does).
fn inject_lib() -> Option<std::path::PathBuf> {
    let p = Path::new(&common::renacer()).with_file_name("librenacer_cuda_inject.so");
    p.is_file().then_some(p)
}

fn missing_lib() {
    panic!("librenacer_cuda_inject.so is not built next to renacer: run `cargo build -p renacer-cuda-inject` first (scripts/test-all.sh does)");
}

/// A real program under `renacer --cuda` gets `CUDA_INJECTION64_PATH`;
/// calling the library's entry point as CUDA would (here from Python's
/// ctypes: no libcuda on this machine, so CUDA never does) starts
/// renacer, which reports CUDA absent in one line; the program goes on.
#[test]
fn the_injection_library_starts_renacer_and_reports_cuda_absent() {
    let Some(lib) = inject_lib() else {
        return missing_lib();
    };
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("out.json");
    let script = "import ctypes, os\n\
                  p = os.environ['CUDA_INJECTION64_PATH']\n\
                  print('lib', p)\n\
                  print('init', ctypes.CDLL(p).InitializeInjection())\n\
                  print('after')\n";
    let out = std::process::Command::new(common::renacer())
        .args(["--cuda", "--format", "unified-json", "-o"])
        .arg(&out_file)
        .args(["--", "python3", "-c", script])
        .env("RENACER_CUDA_INJECT", &lib)
        .env_remove("RENACER_SPOOL")
        .env_remove("TRACEPARENT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let canonical = std::fs::canonicalize(&lib).unwrap();
    assert!(
        stdout.contains(&format!("lib {}", canonical.display())),
        "{stdout}"
    );
    assert!(stdout.contains("init 1\nafter"), "{stdout}");
    let absent: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("RENACER_CUDA=on"))
        .collect();
    assert_eq!(
        absent,
        ["renacer: RENACER_CUDA=on but no NVIDIA driver (libcuda) found; GPU activity is not traced"],
        "{stderr}"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "syscall"));
}
