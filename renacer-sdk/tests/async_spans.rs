//! Async spans: start at the first poll, end at completion, survive moving
//! between threads, parent the sync spans recorded during their polls, and
//! nest under the sync span that was open when they started.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use common::YieldOnce;
use renacer::__private::{enter, enter_async, Site};
use serde_json::Value;

static OUTER: Site = Site::new("outer", module_path!(), file!(), 1, 0, &[]);
static TASK: Site = Site::new("task", module_path!(), file!(), 2, 0, &["job"]);
static STEP: Site = Site::new("step", module_path!(), file!(), 3, 0, &[]);
static FAILS: Site = Site::new("fails", module_path!(), file!(), 4, 0, &[]);

/// The runtime is process-global: tests of this binary take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn async_span_crosses_threads_and_parents_sync_spans() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("async.jsonl");
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .output(&format!("jsonl:{}", path.display()))
        .init();

    // What `#[trace] async fn task()` expands to: the span is taken inside
    // the async body, i.e. at the first poll.
    let fut = async {
        let span = enter_async(&TASK);
        assert!(span.is_recording());
        span.record_field(0, "import");
        span.instrument(async {
            {
                let _s = enter(&STEP);
            }
            YieldOnce(false).await;
            {
                let _s = enter(&STEP);
            }
            7
        })
        .await
    };
    let mut fut: Pin<Box<dyn Future<Output = i32> + Send>> = Box::pin(fut);

    let first_tid = std::thread::Builder::new()
        .name("poller-a".into())
        .spawn({
            // First poll under a sync span on thread A.
            let mut f = Some(fut);
            move || {
                let _outer = enter(&OUTER);
                let mut fut = f.take().unwrap();
                assert!(poll_once(fut.as_mut()).is_pending());
                fut
            }
        })
        .unwrap()
        .join()
        .unwrap();
    fut = first_tid;
    let out = std::thread::Builder::new()
        .name("poller-b".into())
        .spawn(move || match poll_once(fut.as_mut()) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("second poll must complete"),
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(out, 7);

    // An async span marked as failed.
    let mut failing = Box::pin(async {
        let span = enter_async(&FAILS);
        span.set_error();
        span.instrument(async {}).await
    });
    assert!(poll_once(failing.as_mut()).is_ready());

    assert!(renacer::flush());
    let spans = common::read_jsonl(&path);
    assert_eq!(spans.len(), 5, "{spans:#?}");
    let outer = spans.iter().find(|s| s["name"] == "outer").unwrap();
    let task = spans.iter().find(|s| s["name"] == "task").unwrap();
    let steps: Vec<&Value> = spans.iter().filter(|s| s["name"] == "step").collect();
    let fails = spans.iter().find(|s| s["name"] == "fails").unwrap();

    // The task started under `outer` on thread A and is in its trace.
    assert_eq!(task["parent_span_id"], outer["span_id"]);
    assert_eq!(task["trace_id"], outer["trace_id"]);
    assert_eq!(task["thread_name"], "poller-a");
    assert_eq!(task["fields"]["job"], "import", "{task:#}");
    assert_eq!(task["status"], "unset");
    // One step per poll, on each thread, both children of the task.
    assert_eq!(steps.len(), 2);
    let names: Vec<&str> = steps
        .iter()
        .map(|s| s["thread_name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"poller-a") && names.contains(&"poller-b"),
        "{names:?}"
    );
    for s in &steps {
        assert_eq!(s["parent_span_id"], task["span_id"]);
        assert_eq!(s["trace_id"], task["trace_id"]);
        assert!(s["start_ns"].as_u64() >= task["start_ns"].as_u64());
        assert!(s["end_ns"].as_u64() <= task["end_ns"].as_u64());
    }
    // The task ended after the second poll, after `outer` ended.
    assert!(task["end_ns"].as_u64() > outer["end_ns"].as_u64());
    assert_eq!(fails["status"], "error");
    assert_eq!(fails["parent_span_id"], Value::Null);

    drop(guard);
}

#[test]
fn dynamic_span_ends_on_another_thread() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // An AsyncSpan as a dynamic span: start here, end on another thread.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dyn.jsonl");
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .output(&format!("jsonl:{}", path.display()))
        .init();
    assert!(guard.is_active());
    let span = enter_async(&TASK);
    {
        let _scope = span.enter();
        let _child = enter(&STEP);
    }
    std::thread::spawn(move || drop(span)).join().unwrap();
    assert!(renacer::flush());
    let spans = common::read_jsonl(&path);
    let task = spans.iter().find(|s| s["name"] == "task").unwrap();
    let step = spans.iter().find(|s| s["name"] == "step").unwrap();
    assert_eq!(step["parent_span_id"], task["span_id"]);
    drop(guard);
}
