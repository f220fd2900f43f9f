//! The unified trace over OTLP: `renacer --format unified --export
//! otlp:ENDPOINT -- otlp_app plain` sends process, function and syscall
//! spans in one trace to a real collector (rotel), each syscall under the
//! function that issued it.

use std::process::{Command, Stdio};
use std::time::Duration;

use renacer_e2e::Rotel;

/// `renacer --format unified --export otlp:<rotel> -- otlp_app ARGS`.
fn trace_to(rotel: &Rotel, args: &[&str]) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_renacer-under-test"));
    cmd.args(["-f", "--format", "unified", "-o", "/dev/null", "--export"])
        .arg(format!("otlp:{}", rotel.grpc_endpoint()))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_otlp_app"))
        .args(args)
        .env("RENACER_SAMPLE_RATE", "1")
        .stdout(Stdio::null());
    for var in [
        "TRACEPARENT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "RENACER_OUTPUT",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("run renacer");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cli_sends_the_unified_trace_to_a_collector() {
    let rotel = Rotel::start();
    // The argument is read back from the tracee's memory, not from strace
    // text: intact.
    trace_to(&rotel, &["plain", "héllo wörld"]);
    let spans = rotel.wait_for(Duration::from_secs(30), |s| {
        s.iter().any(|x| x.name == "load_config")
            && s.iter().any(|x| x.name == "openat")
            && s.iter().any(|x| x.name == "otlp_app")
    });
    let by_id = |id: &str| spans.iter().find(|s| s.span_id == id);
    let load = spans
        .iter()
        .find(|s| s.name == "load_config")
        .expect("load_config");
    // The failed open of the missing file happened inside load_config.
    let open = spans
        .iter()
        .find(|s| {
            s.name == "openat"
                && s.attr("syscall.args")
                    .is_some_and(|a| a.contains("renacer-e2e.toml"))
        })
        .expect("openat of the config file");
    assert_eq!(open.parent_id, load.span_id);
    assert!(
        open.status_code.to_ascii_lowercase().contains("error"),
        "{open:?}"
    );
    // load_config → plain_main → the process span, all in one trace.
    let main = by_id(&load.parent_id).expect("load_config's parent");
    assert_eq!(main.name, "plain_main");
    let process = by_id(&main.parent_id).expect("plain_main's parent");
    assert_eq!(process.name, "otlp_app");
    assert!(spans.iter().all(|s| s.trace_id == load.trace_id));
    assert!(process.attr("lamport").is_some());
    let args = process.attr("process.command_args").expect("command args");
    assert!(args.ends_with(" plain héllo wörld"), "{args}");
}

#[test]
fn compute_blocks_reach_the_collector_between_function_and_syscalls() {
    let rotel = Rotel::start();
    trace_to(&rotel, &["compute"]);
    let spans = rotel.wait_for(Duration::from_secs(30), |s| {
        s.iter().any(|x| x.name == "digest") && s.iter().any(|x| x.name == "compute_main")
    });
    let digest = spans.iter().find(|s| s.name == "digest").expect("digest");
    assert_eq!(digest.attr("renacer.span.kind"), Some("compute"));
    assert_eq!(digest.attr("compute.library"), Some("user"));
    assert_eq!(digest.attr("compute.backend"), Some("scalar"));
    let main = spans.iter().find(|s| s.name == "compute_main").unwrap();
    assert_eq!(digest.parent_id, main.span_id);
    // The file read inside the block is the block's child.
    let open = spans
        .iter()
        .find(|s| {
            s.name == "openat"
                && s.attr("syscall.args")
                    .is_some_and(|a| a.contains("/proc/self/status"))
        })
        .expect("the openat inside the block");
    assert_eq!(open.parent_id, digest.span_id);
}

#[test]
fn gpu_kernels_reach_the_collector_under_their_launching_span() {
    let rotel = Rotel::start();
    trace_to(&rotel, &["gpu"]);
    let spans = rotel.wait_for(Duration::from_secs(30), |s| {
        s.iter().any(|x| x.name == "scale(float*, int)") && s.iter().any(|x| x.name == "gpu_main")
    });
    let kernel = spans
        .iter()
        .find(|s| s.name == "scale(float*, int)")
        .unwrap();
    let main = spans.iter().find(|s| s.name == "gpu_main").unwrap();
    assert_eq!(kernel.parent_id, main.span_id);
    assert_eq!(kernel.trace_id, main.trace_id);
    assert_eq!(kernel.attr("renacer.span.kind"), Some("gpu_kernel"));
    assert_eq!(kernel.attr("gpu.kernel.grid"), Some("32x2x1"));
    assert_eq!(kernel.attr("gpu.kernel.mangled_name"), Some("_Z5scalePfi"));
    assert_eq!(kernel.attr("gpu.launch.api"), Some("driver cbid 307"));
    assert_eq!(kernel.end_unix_ns - kernel.start_unix_ns, 9_000);
    assert_eq!(
        kernel
            .attribute_types
            .get("gpu.kernel.registers_per_thread")
            .map(String::as_str),
        Some("Int")
    );
}
