//! The Perfetto / Chrome Trace Event file follows the format's rules:
//! valid JSON, required keys per event, complete (`X`) events on one
//! thread properly nested or disjoint, async slices paired, and process
//! and thread name metadata for every track. Also valid after a flush,
//! before shutdown.

mod common;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use renacer::__private::{enter, enter_async, Site};
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
    // 4 threads × 100 X events + `outer` + `after`, 2 async b/e pairs,
    // 1 process_name + 4 thread_name.
    assert_eq!(n1, 400 + 2 + 4 + 5);

    record_some();
    drop(guard);
    let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let n2 = check_trace(&v);
    assert_eq!(n2, n1 + 100);
}

struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}
