//! `--format unified|unified-json|perfetto` end to end: the CLI traces an
//! instrumented program and each syscall shows up inside the
//! `#[renacer::trace]` function that issued it.
//!
//! The instrumented program is this test binary itself: run with
//! `UNIFIED_APP_DIR` set, a test does the app's work instead of its checks
//! (so no extra binary has to be built, whatever runner or filter is used).

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use common::selftrace;
use serde_json::Value;

const APP_ENV: &str = "UNIFIED_APP_DIR";

#[renacer::trace]
fn save(path: &Path) -> std::io::Result<()> {
    std::fs::File::create(path)?.write_all(b"unified\n")
}

#[renacer::trace]
fn load(path: &Path) -> std::io::Result<String> {
    let mut s = String::new();
    std::fs::File::open(path)?.read_to_string(&mut s)?;
    Ok(s)
}

#[renacer::trace]
fn worker(path: &Path) -> std::io::Result<()> {
    save(path)
}

/// Prints transpiler decisions on stderr in the v1 protocol: through a
/// `dup` of fd 2, one line split across two writes, the result through
/// `writev` on fd 2 itself.
#[renacer::trace]
fn decide() {
    fn write(fd: i32, bytes: &[u8]) {
        // SAFETY: a plain write of a live buffer.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        assert_eq!(n as usize, bytes.len());
    }
    // SAFETY: dup of an open fd.
    let copy = unsafe { libc::dup(2) };
    assert!(copy > 2);
    write(copy, b"[DECISION] optimization::inline_ca");
    write(copy, b"ndidate input={\"size\":3}\n");
    let parts = [&b"[RESULT] inline_candidate"[..], b" = \"inline\"\n"];
    let iov: Vec<libc::iovec> = parts
        .iter()
        .map(|p| libc::iovec {
            iov_base: p.as_ptr() as *mut libc::c_void,
            iov_len: p.len(),
        })
        .collect();
    // SAFETY: the iovecs point at live buffers.
    let n = unsafe { libc::writev(2, iov.as_ptr(), iov.len() as i32) };
    assert!(n > 0);
    // SAFETY: closing our own copy.
    unsafe { libc::close(copy) };
}

/// A compute block that reads its input: the read nests under the block,
/// the block under the function.
#[renacer::trace]
fn crunch(path: &Path) -> u64 {
    renacer::compute!(
        "crunch_block",
        elements = 10,
        data_type = "u8",
        backend = "scalar",
        {
            let bytes = std::fs::read(path).expect("compute input");
            bytes.iter().map(|&b| u64::from(b)).sum()
        }
    )
}

/// The app: known syscalls in known functions, on two threads. Returns
/// `true` when this process is the app (it then did its work).
fn run_as_app() -> bool {
    let Some(dir) = std::env::var_os(APP_ENV) else {
        return false;
    };
    // Every compute block recorded, whatever its duration.
    let guard = renacer::ConfigBuilder::from_env()
        .compute_threshold(
            renacer::compute::ComputeClass::Simd,
            std::time::Duration::ZERO,
        )
        .init();
    let dir = Path::new(&dir);
    std::fs::write(dir.join("compute-input.bin"), b"0123456789").expect("input");
    assert_eq!(crunch(&dir.join("compute-input.bin")), 525);
    decide();
    save(&dir.join("main-file.txt")).expect("save");
    assert_eq!(load(&dir.join("main-file.txt")).expect("load"), "unified\n");
    let thread_file = dir.join("thread-file.txt");
    std::thread::spawn(move || worker(&thread_file))
        .join()
        .expect("worker thread")
        .expect("worker");
    drop(guard); // flushes the spool
    true
}

/// Runs renacer on this test binary in app mode (test `name`), returns its
/// output file's text.
fn trace(format: &str, dir: &Path, name: &str) -> String {
    trace_with(format, dir, name, &[])
}

fn trace_with(format: &str, dir: &Path, name: &str, extra: &[String]) -> String {
    let out = dir.join(format!("out.{format}"));
    let mut args = vec!["--format", format];
    args.extend(extra.iter().map(String::as_str));
    let status = selftrace::command(APP_ENV, dir, name, &args, &out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run renacer");
    assert!(
        status.success(),
        "renacer --format {format} failed: {status}"
    );
    std::fs::read_to_string(out).expect("output written")
}

#[test]
fn unified_json_puts_syscalls_inside_their_functions() {
    if run_as_app() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let name = "unified_json_puts_syscalls_inside_their_functions";
    let v: Value =
        serde_json::from_str(&trace("unified-json", dir.path(), name)).expect("valid JSON");
    assert_eq!(v["format"], "renacer-unified");
    let items = v["items"].as_array().expect("items");
    let span_of = |name: &str| -> Vec<&Value> {
        items
            .iter()
            .filter(|i| i["kind"] == "function" && i["name"] == name)
            .collect()
    };
    let parent_name = |item: &Value| selftrace::parent_name(items, item).to_string();
    // The file opens, by the file they name.
    let opens: Vec<&Value> = items
        .iter()
        .filter(|i| i["kind"] == "syscall" && i["name"] == "openat")
        .collect();
    let open_of = |file: &str| {
        opens
            .iter()
            .filter(|i| i["args"].as_str().is_some_and(|a| a.contains(file)))
            .map(|i| parent_name(i))
            .collect::<Vec<_>>()
    };
    assert_eq!(open_of("main-file.txt"), ["save", "load"]);
    assert_eq!(open_of("thread-file.txt"), ["save"]);
    // Every write of the payload (one per thread) and every read of it
    // happened inside save and load respectively: none fell outside.
    let parents_of = |call: &str, needle: &str| {
        items
            .iter()
            .filter(|i| i["kind"] == "syscall" && i["name"] == call)
            .filter(|i| i["args"].as_str().is_some_and(|a| a.contains(needle)))
            .map(|i| (parent_name(i), i["tid"].as_u64()))
            .collect::<Vec<_>>()
    };
    let writes = parents_of("write", "\"unified\\n\"");
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes.iter().all(|(p, _)| p == "save"), "{writes:?}");
    assert_ne!(writes[0].1, writes[1].1, "one write per thread");
    let reads = parents_of("read", "\"unified\\n\"");
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(reads[0].0, "load");
    // The thread's save nests in worker, on another tid than main's save.
    let saves = span_of("save");
    assert_eq!(saves.len(), 2);
    assert_ne!(saves[0]["tid"], saves[1]["tid"]);
    assert!(saves.iter().any(|s| parent_name(s) == "worker"));
    // Roots hang under the process span; everything has a Lamport clock.
    let load = span_of("load")[0];
    let root = parent_name(load);
    assert!(
        root.starts_with("unified-"),
        "load's parent is the process span, got {root}"
    );
    assert!(items
        .iter()
        .all(|i| i["lamport"].as_u64().is_some_and(|l| l > 0)));
    assert!(v["stats"]["syscalls_in_spans"]
        .as_u64()
        .is_some_and(|n| n >= 3));
}

#[test]
fn unified_text_and_perfetto_formats() {
    if run_as_app() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let name = "unified_text_and_perfetto_formats";
    let text = trace("unified", dir.path(), name);
    assert!(text.contains("→ load"), "{text}");
    assert!(text.contains("← load"), "{text}");
    let after_load = text.split("→ load").nth(1).expect("load entered");
    let inside = after_load.split("← load").next().expect("load exited");
    assert!(
        inside.contains("openat(") && inside.contains("main-file.txt"),
        "{inside}"
    );

    let v: Value = serde_json::from_str(&trace("perfetto", dir.path(), name)).expect("valid JSON");
    let ev = v["traceEvents"].as_array().expect("events");
    assert!(ev
        .iter()
        .any(|e| e["ph"] == "X" && e["cat"] == "function" && e["name"] == "worker"));
    assert!(ev
        .iter()
        .any(|e| e["ph"] == "X" && e["cat"] == "syscall" && e["name"] == "openat"));
    assert!(ev
        .iter()
        .any(|e| e["ph"] == "X" && e["cat"] == "compute" && e["name"] == "crunch_block"));
    // The text shows the block with what ran, around its read.
    let block = text
        .split("→ crunch_block [scalar, 10 u8]")
        .nth(1)
        .expect("block line");
    let inside = block.split("← crunch_block").next().expect("block exit");
    assert!(inside.contains("compute-input.bin"), "{inside}");
}

#[test]
fn compute_blocks_nest_between_functions_and_syscalls() {
    if run_as_app() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let name = "compute_blocks_nest_between_functions_and_syscalls";
    let v: Value =
        serde_json::from_str(&trace("unified-json", dir.path(), name)).expect("valid JSON");
    let items = v["items"].as_array().expect("items");
    let block = items
        .iter()
        .find(|i| i["name"] == "crunch_block")
        .expect("the compute block");
    assert_eq!(block["kind"], "compute");
    assert_eq!(block["fields"]["compute.backend"], "scalar");
    assert_eq!(selftrace::parent_name(items, block), "crunch");
    let open = items
        .iter()
        .find(|i| {
            i["kind"] == "syscall"
                && i["name"] == "openat"
                && i["args"]
                    .as_str()
                    .is_some_and(|a| a.contains("compute-input.bin") && a.contains("O_RDONLY"))
        })
        .expect("the block's openat (the input was written before, outside)");
    assert_eq!(open["parent_span_id"], block["span_id"], "{block}\n{open}");
}

#[test]
fn unknown_format_lists_the_unified_ones() {
    let out = Command::new(env!("CARGO_BIN_EXE_renacer"))
        .args(["--format", "xml", "true"])
        .output()
        .expect("run renacer");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unified-json or perfetto"));
}

#[test]
fn export_sends_the_merged_trace_to_sdk_sinks() {
    if run_as_app() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let jsonl = dir.path().join("export.jsonl");
    let name = "export_sends_the_merged_trace_to_sdk_sinks";
    let extra = [format!("--export=jsonl:{}", jsonl.display())];
    let unified: Value =
        serde_json::from_str(&trace_with("unified-json", dir.path(), name, &extra)).expect("JSON");
    let lines: Vec<Value> = std::fs::read_to_string(&jsonl)
        .expect("export written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let items = unified["items"].as_array().expect("items");
    assert_eq!(lines.len(), items.len(), "every item exported once");
    for kind in ["process", "function", "syscall"] {
        assert!(
            lines.iter().any(|l| l["kind"] == kind),
            "no {kind} span exported"
        );
    }
    // Same ids and tree as the unified JSON.
    let load = lines
        .iter()
        .find(|l| l["name"] == "load")
        .expect("load exported");
    let open_in_load = lines
        .iter()
        .find(|l| l["name"] == "openat" && l["parent_span_id"] == load["span_id"]);
    assert!(open_in_load.is_some(), "openat under load in the export");
    assert!(lines.iter().all(|l| l["trace_id"] == unified["trace_id"]));
}

#[test]
fn export_errors_are_reported_before_tracing() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_renacer"))
            .args(args)
            .output()
            .expect("run renacer");
        assert_eq!(out.status.code(), Some(2), "{args:?} is a usage error");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = run(&["--export", "jsonl:/tmp/x.jsonl", "true"]);
    assert!(e.contains("--export needs --format unified"), "{e}");
    let e = run(&["--format", "unified", "--export", "nope:x", "true"]);
    assert!(e.contains("unknown sink `nope`"), "{e}");
    let e = run(&["--format", "unified", "--export", "perfetto:", "true"]);
    assert!(e.contains("perfetto:PATH"), "{e}");
}

#[test]
fn decisions_on_stderr_become_items_under_their_function() {
    if run_as_app() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let name = "decisions_on_stderr_become_items_under_their_function";
    let v: Value =
        serde_json::from_str(&trace("unified-json", dir.path(), name)).expect("valid JSON");
    let items = v["items"].as_array().expect("items");
    let decisions: Vec<&Value> = items.iter().filter(|i| i["kind"] == "decision").collect();
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    let d = decisions[0];
    assert_eq!(d["name"], "optimization::inline_candidate");
    assert_eq!(d["fields"]["decision.input"], "{\"size\":3}");
    assert_eq!(d["fields"]["decision.result"], "\"inline\"");
    assert_eq!(selftrace::parent_name(items, d), "decide");
    let text = trace("unified", dir.path(), name);
    assert!(
        text.contains("◆ optimization::inline_candidate input={\"size\":3} → \"inline\""),
        "{text}"
    );
}
