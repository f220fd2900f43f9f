//! Output files are never clobbered: a re-`init` continues the file the
//! first run wrote, a child started with `inject_env` that inherits
//! `RENACER_OUTPUT` appends to its parent's JSON-lines file instead of
//! truncating it (and writes its own Perfetto file next to the parent's),
//! `{pid}` gives each process its own file, and a sink that cannot write
//! says so once on stderr while the counters count every lost span.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::new(());
const CHILD_ENV: &str = "RENACER_TEST_OUTPUT_CHILD";

fn names(path: &Path) -> Vec<String> {
    common::read_jsonl(path)
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn reinit_continues_the_file_it_wrote() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("spans.jsonl");
    let perfetto = dir.path().join("trace.json");
    let output = format!("jsonl:{},perfetto:{}", jsonl.display(), perfetto.display());
    for run in ["first_run", "second_run"] {
        let guard = renacer::ConfigBuilder::defaults().output(&output).init();
        drop(match run {
            "first_run" => renacer::span!("first_run"),
            _ => renacer::span!("second_run"),
        });
        drop(guard);
    }
    assert_eq!(names(&jsonl), ["first_run", "second_run"]);
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&perfetto).unwrap()).expect("one valid document");
    let slices: Vec<&str> = doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(slices, ["first_run", "second_run"]);
}

/// Child mode: the inherited `RENACER_OUTPUT` names the parent's files.
fn child() {
    let guard = renacer::init();
    drop(renacer::span!("child_span"));
    drop(guard);
}

#[test]
fn a_child_never_truncates_its_parents_files() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child();
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("shared.jsonl");
    let perfetto = dir.path().join("shared.json");
    let perpid = dir.path().join("own-{pid}.jsonl");
    let output = format!(
        "jsonl:{},perfetto:{},jsonl:{}",
        jsonl.display(),
        perfetto.display(),
        perpid.display()
    );
    let guard = renacer::ConfigBuilder::defaults().output(&output).init();
    let child_pid;
    {
        let _parent = renacer::span!("parent_span");
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "a_child_never_truncates_its_parents_files",
            "--nocapture",
        ])
        .env(CHILD_ENV, "1")
        .env("RENACER_OUTPUT", &output)
        .env("RENACER_SAMPLE_RATE", "1");
        assert!(renacer::context::inject_env(&mut cmd));
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("is being written by another process"),
            "{stderr}"
        );
        child_pid = stderr
            .split("shared.json.")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse::<u32>().ok())
            .expect("child's own Perfetto path on stderr");
    }
    drop(guard);
    // Parent and child spans, none lost, no torn line.
    let mut shared = names(&jsonl);
    shared.sort();
    assert_eq!(shared, ["child_span", "parent_span"]);
    // The parent's Perfetto document is intact; the child's is its own.
    for (path, name) in [
        (perfetto.clone(), "parent_span"),
        (
            dir.path().join(format!("shared.json.{child_pid}")),
            "child_span",
        ),
    ] {
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).expect("valid document");
        assert!(doc["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == name));
    }
    // `{pid}`: one file per process.
    let own = |pid: u32| dir.path().join(format!("own-{pid}.jsonl"));
    assert_eq!(names(&own(std::process::id())), ["parent_span"]);
    assert_eq!(names(&own(child_pid)), ["child_span"]);
}

#[test]
fn a_sink_that_cannot_write_says_so_and_counts() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    if !Path::new("/dev/full").exists() {
        return; // nothing to test against on this machine
    }
    // In a child: the message goes to its stderr, where we can read it.
    if std::env::var_os("RENACER_TEST_DEV_FULL").is_some() {
        let guard = renacer::ConfigBuilder::defaults()
            .output("jsonl:/dev/full")
            .init();
        for _ in 0..3 {
            drop(renacer::span!("lost"));
            assert!(renacer::flush());
        }
        let s = renacer::stats();
        assert_eq!((s.exported, s.export_dropped), (0, 3), "{s:?}");
        return drop(guard);
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_sink_that_cannot_write_says_so_and_counts",
            "--nocapture",
        ])
        .env("RENACER_TEST_DEV_FULL", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("renacer: jsonl:/dev/full"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("No space left on device"), "{stderr}");
}
