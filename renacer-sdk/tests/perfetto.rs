//! The Perfetto / Chrome Trace Event file follows the format's rules:
//! valid JSON, required keys per event, complete (`X`) events on one
//! thread properly nested or disjoint, async slices paired, and process
//! and thread name metadata for every track. Also valid after a flush,
//! before shutdown. The same rules hold for the unified trace's writer
//! (`renacer_trace::write_perfetto`, also behind `renacer --export
//! perfetto:`), which shares the format module `renacer_format::perfetto`.

mod common;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::task::{Context, Waker};

use common::YieldOnce;
use renacer::__private::{enter, enter_async, Site};
use renacer::model::{SpanId, SpanKind, SpanRecord, SpanStatus, TraceId};
use renacer_trace::{merge, write_perfetto, MergeInput, ProcessInfo, SyscallRecord};
use serde_json::Value;

static A: Site = Site::new("a", module_path!(), file!(), 1, 0, &["n"]);
static B: Site = Site::new("b", module_path!(), file!(), 2, 0x42, &[]);
static T: Site = Site::new("task", module_path!(), file!(), 3, 0, &[]);

fn check_trace(v: &Value) -> usize {
    assert_eq!(v["displayTimeUnit"], "ns");
    let events = v["traceEvents"].as_array().expect("traceEvents array");
    let mut x_by_tid: HashMap<(u64, u64), Vec<(f64, f64)>> = HashMap::new();
    let mut open_async: HashMap<String, f64> = HashMap::new();
    let mut thread_names = HashSet::new();
    let mut process_names = HashSet::new();
    let mut tracks = HashSet::new();
    for e in events {
        let ph = e["ph"].as_str().expect("ph");
        let pid = e["pid"].as_u64().expect("pid");
        let tid = e["tid"].as_u64().expect("tid");
        match ph {
            "M" => {
                let name = e["args"]["name"].as_str().expect("metadata args.name");
                assert!(!name.is_empty());
                match e["name"].as_str().unwrap() {
                    "process_name" => {
                        process_names.insert(pid);
                    }
                    "thread_name" => {
                        thread_names.insert((pid, tid));
                    }
                    other => panic!("unexpected metadata {other}"),
                }
            }
            "X" => {
                assert!(e["name"].is_string() && e["cat"].is_string());
                let ts = e["ts"].as_f64().expect("ts");
                let dur = e["dur"].as_f64().expect("dur");
                assert!(dur >= 0.0);
                assert!(e["args"]["span_id"].is_string());
                x_by_tid.entry((pid, tid)).or_default().push((ts, ts + dur));
                tracks.insert((pid, tid));
            }
            "b" | "e" => {
                assert!(e["name"].is_string() && e["cat"].is_string());
                let id = e["id"].as_str().expect("async id").to_owned();
                let ts = e["ts"].as_f64().expect("ts");
                if ph == "b" {
                    assert!(open_async.insert(id, ts).is_none());
                } else {
                    let start = open_async.remove(&id).expect("e without b");
                    assert!(ts >= start);
                }
                tracks.insert((pid, tid));
            }
            other => panic!("unexpected phase {other}"),
        }
    }
    assert!(open_async.is_empty(), "unterminated async slices");
    for (pid, tid) in &tracks {
        assert!(process_names.contains(pid), "no process_name for {pid}");
        assert!(
            thread_names.contains(&(*pid, *tid)),
            "no thread_name for {tid}"
        );
    }
    // X events on one thread: any two are nested or disjoint.
    for spans in x_by_tid.values() {
        for (i, a) in spans.iter().enumerate() {
            for b in &spans[i + 1..] {
                let disjoint = a.1 <= b.0 || b.1 <= a.0;
                let nested = (a.0 <= b.0 && b.1 <= a.1) || (b.0 <= a.0 && a.1 <= b.1);
                assert!(disjoint || nested, "overlap {a:?} {b:?}");
            }
        }
    }
    events.len()
}

/// The last name given to each process and thread track.
type Names = (HashMap<u64, String>, HashMap<(u64, u64), String>);

fn names(v: &Value) -> Names {
    let (mut procs, mut threads) = (HashMap::new(), HashMap::new());
    for e in v["traceEvents"].as_array().expect("events") {
        let (pid, tid) = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        let name = e["args"]["name"].as_str().unwrap_or_default().to_owned();
        match (e["ph"].as_str(), e["name"].as_str()) {
            (Some("M"), Some("process_name")) => {
                procs.insert(pid, name);
            }
            (Some("M"), Some("thread_name")) => {
                threads.insert((pid, tid), name);
            }
            _ => {}
        }
    }
    (procs, threads)
}

fn record_some() {
    for i in 0..50u64 {
        let a = enter(&A);
        a.record_field(0, i);
        let _b = enter(&B);
    }
}

#[test]
fn perfetto_file_follows_the_trace_event_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.json");
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .output(&format!("perfetto:{}", path.display()))
        .init();

    record_some();
    let workers: Vec<_> = (0..3)
        .map(|i| {
            std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(record_some)
                .unwrap()
        })
        .collect();
    // An async span that overlaps sync spans of its thread without nesting.
    let mut task = Box::pin(async {
        let s = enter_async(&T);
        s.instrument(std::future::ready(())).await
    });
    let outer = enter(&A);
    let mut cx = Context::from_waker(Waker::noop());
    let mut pending = Box::pin(async {
        let s = enter_async(&T);
        s.instrument(YieldOnce(false)).await
    });
    assert!(pending.as_mut().poll(&mut cx).is_pending());
    drop(outer);
    let after = enter(&B);
    assert!(pending.as_mut().poll(&mut cx).is_ready());
    assert!(task.as_mut().poll(&mut cx).is_ready());
    drop(after);
    for w in workers {
        w.join().unwrap();
    }

    // Valid after a flush, while the exporter is still open.
    assert!(renacer::flush());
    let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let n1 = check_trace(&v);
    // The process is named after its executable, threads after theirs.
    let (procs, threads) = names(&v);
    let exe = std::env::current_exe().unwrap();
    let exe = exe.file_name().unwrap().to_str().unwrap();
    assert_eq!(procs[&u64::from(std::process::id())], exe);
    for i in 0..3 {
        let worker = format!("worker-{i}");
        assert!(
            threads.values().any(|n| *n == worker),
            "{worker}: {threads:?}"
        );
    }
    // 4 threads × 100 X events + `outer` + `after`, 2 async b/e pairs,
    // 1 process_name + 4 thread_name.
    assert_eq!(n1, 400 + 2 + 4 + 5);

    record_some();
    drop(guard);
    let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let n2 = check_trace(&v);
    assert_eq!(n2, n1 + 100);
}

const DEMO: u32 = 2345;
const SERVER: u32 = 2347;
const HELPER: u32 = 2348;

fn span(id: u64, parent: Option<u64>, name: &'static str, tid: u32, t: (u64, u64)) -> SpanRecord {
    SpanRecord {
        trace_id: TraceId(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
        span_id: SpanId(id),
        parent_span_id: parent.map(SpanId),
        name: name.into(),
        kind: SpanKind::Function,
        flags: Default::default(),
        start_ns: t.0,
        end_ns: t.1,
        pid: DEMO,
        tid,
        thread_name: None,
        site_id: 0,
        decision_id: Some(0x42),
        module_path: "demo".into(),
        file: "src/main.rs".into(),
        line: 7,
        fields: Vec::new(),
        status: SpanStatus::Unset,
    }
}

fn syscall(name: &'static str, pid: u32, tid: u32, t: (u64, u64)) -> SyscallRecord {
    SyscallRecord {
        pid,
        tid,
        name: name.into(),
        args: "3, \"x\\n\", 1".into(),
        ret: "1".into(),
        ret_value: 1,
        start_ns: t.0,
        end_ns: t.1,
        source: None,
    }
}

/// `unified-demo` (pid 2345): `main` on the main thread, an `echo-server`
/// thread whose spans say so (its first item is a syscall outside any
/// span), a helper thread seen only through syscalls, and a child `sh`
/// known only by its argv.
fn demo() -> renacer_trace::UnifiedTrace {
    let proc_ = |pid, exe: &str, argv: &[&str], t: (u64, u64)| ProcessInfo {
        pid,
        ppid: None,
        exe: exe.into(),
        argv: argv.iter().map(|a| a.to_string()).collect(),
        start_ns: t.0,
        end_ns: t.1,
        exit: Some("exited with 0".into()),
        fork: None,
    };
    let mut spans = vec![
        span(1, None, "main", DEMO, (1_000, 90_000)),
        span(2, Some(1), "load_config", DEMO, (2_000, 3_000)),
        span(3, None, "serve", SERVER, (10_000, 50_000)),
        span(4, Some(3), "handle", SERVER, (20_000, 30_000)),
    ];
    spans[0].thread_name = Some("main".into());
    spans[2].thread_name = Some("echo-server".into());
    spans[3].thread_name = Some("echo-server".into());
    spans[3].status = SpanStatus::Error("boom".into());
    merge(MergeInput {
        processes: vec![
            proc_(
                DEMO,
                "/usr/local/bin/unified-demo",
                &["unified-demo", "-v"],
                (0, 100_000),
            ),
            proc_(2400, "", &["/bin/sh", "-c", "true"], (60_000, 70_000)),
        ],
        syscalls: vec![
            syscall("read", DEMO, DEMO, (2_100, 2_200)),
            syscall("accept", DEMO, SERVER, (5_000, 6_000)),
            // Exit stamped after `handle` ended: cut at its end to nest.
            syscall("write", DEMO, SERVER, (29_000, 31_000)),
            syscall("futex", DEMO, HELPER, (40_000, 41_000)),
            syscall("execve", 2400, 2400, (60_100, 60_200)),
        ],
        spans,
        ..MergeInput::default()
    })
}

fn check_names(v: &Value) {
    let (procs, threads) = names(v);
    assert_eq!(procs[&u64::from(DEMO)], "unified-demo");
    assert_eq!(procs[&2400], "sh");
    let thread = |tid: u32| threads[&(u64::from(DEMO), u64::from(tid))].as_str();
    assert_eq!(thread(DEMO), "main");
    assert_eq!(thread(SERVER), "echo-server");
    assert_eq!(thread(HELPER), "thread 2348");
    assert_eq!(threads[&(2400, 2400)], "main");
}

#[test]
fn unified_perfetto_follows_the_format_and_names_tracks() {
    let t = demo();
    let mut out = Vec::new();
    write_perfetto(&t, &mut out).expect("write");
    let v: Value = serde_json::from_slice(&out).expect("valid JSON");
    // 4 function + 5 syscall slices, 2 process_name + 4 thread_name.
    assert_eq!(check_trace(&v), 9 + 2 + 4);
    check_names(&v);
    assert_eq!(v["otherData"]["trace_id"], t.trace_id.to_string());
    let ev = v["traceEvents"].as_array().unwrap();
    let slice = |name: &str| ev.iter().find(|e| e["name"] == name).expect(name);
    // Function slices carry the same args as the SDK sink's, plus lamport.
    let handle = slice("handle");
    assert_eq!(handle["args"]["decision_id"], "0000000000000042");
    assert_eq!(handle["args"]["status_message"], "boom");
    assert_eq!(handle["args"]["code.line.number"], 7);
    assert!(handle["args"]["lamport"].as_u64().is_some());
    let write = slice("write");
    assert_eq!(write["args"]["end_ns"], 31_000);
    assert_eq!(write["args"]["args"], "3, \"x\\n\", 1");
    assert_eq!(write["dur"].as_f64(), Some(1.0));
}

#[test]
fn unified_async_spans_are_async_slices_and_tracks_stay_nested() {
    // An async span (flag from the spool) that starts inside `handle` and
    // ends after it: as a complete slice it would break the thread's
    // nesting; as an async slice it lives on its own track.
    let mut t = demo();
    let mut task = span(5, Some(4), "request", SERVER, (25_000, 45_000));
    task.flags = renacer::model::SpanFlags::ASYNC;
    let mut spans = t.spans.clone();
    spans.push(task);
    t = merge(MergeInput {
        processes: t.processes.clone(),
        syscalls: t.syscalls.clone(),
        spans,
        ..MergeInput::default()
    });
    let mut out = Vec::new();
    write_perfetto(&t, &mut out).expect("write");
    let v: Value = serde_json::from_slice(&out).expect("valid JSON");
    check_trace(&v);
    let ev = v["traceEvents"].as_array().unwrap();
    let phases: Vec<&str> = ev
        .iter()
        .filter(|e| e["name"] == "request")
        .map(|e| e["ph"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["b", "e"]);
}
