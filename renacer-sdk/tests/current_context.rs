//! `renacer::context::current_traceparent()` names the span that is open on
//! the calling thread — sync spans, nested spans, `#[renacer::trace]`
//! functions, async spans during their polls — with exactly the ids the
//! exporters later write, reverts when the span closes, and `inject_env`
//! hands that span to a child process as its parent.

mod common;

use std::future::Future;
use std::task::{Context, Waker};

use renacer::__private::{enter, enter_async, Site};
use renacer::context::{current_traceparent, inject_env, TraceParent};
use serde_json::Value;

static TASK: Site = Site::new("task", module_path!(), file!(), 1, 0, &[]);
static STEP: Site = Site::new("step", module_path!(), file!(), 2, 0, &[]);

/// The runtime is process-global: tests of this binary take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Set in the child process started by `child_process_joins_under_the_current_span`:
/// where the child writes its spans.
const CHILD_OUT_ENV: &str = "RENACER_TEST_CHILD_OUT";

fn start(path: &std::path::Path) -> renacer::InitGuard {
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .sample_rate(1.0)
        .output(&format!("jsonl:{}", path.display()))
        .init();
    assert!(guard.is_active());
    guard
}

fn tp() -> TraceParent {
    TraceParent::parse(&current_traceparent().expect("a span is open")).unwrap()
}

/// Asserts that the exported span `name` has `tp`'s trace and span id.
fn assert_names(spans: &[Value], name: &str, tp: &TraceParent) {
    let s = common::by_name(spans)[name].clone();
    assert_eq!(s["trace_id"], tp.trace_id.to_string(), "{name}: {s}");
    assert_eq!(s["span_id"], tp.parent_id.to_string(), "{name}: {s}");
    assert!(tp.sampled());
}

#[renacer::trace]
fn traced_fn() -> TraceParent {
    tp()
}

#[test]
fn traceparent_names_the_open_span_and_reverts() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.jsonl");
    let guard = start(&path);

    assert_eq!(current_traceparent(), None, "no span open, no TRACEPARENT");
    let (outer, inner, f, after_inner);
    {
        let _o = renacer::span!("outer");
        outer = tp();
        {
            let _i = renacer::span!("inner");
            inner = tp();
            f = traced_fn();
        }
        after_inner = tp();
    }
    assert_eq!(current_traceparent(), None, "reverts when the root closes");
    // A second tree gets a trace of its own.
    let second = {
        let _s = renacer::span!("second");
        tp()
    };
    drop(guard);

    let spans = common::read_jsonl(&path);
    assert_names(&spans, "outer", &outer);
    assert_names(&spans, "inner", &inner);
    assert_names(&spans, "traced_fn", &f);
    assert_names(&spans, "second", &second);
    assert_eq!(after_inner, outer);
    assert_eq!(inner.trace_id, outer.trace_id);
    assert_ne!(second.trace_id, outer.trace_id);
    let by = common::by_name(&spans);
    assert_eq!(
        by["traced_fn"]["parent_span_id"],
        inner.parent_id.to_string()
    );
}

#[test]
fn spans_on_other_threads_have_their_own_current_span() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("threads.jsonl");
    let guard = start(&path);
    let _main = renacer::span!("main_span");
    let main_tp = tp();
    let worker_tp = std::thread::spawn(|| {
        assert_eq!(current_traceparent(), None);
        let _w = renacer::span!("worker_span");
        tp()
    })
    .join()
    .unwrap();
    assert_eq!(tp(), main_tp);
    drop(_main);
    drop(guard);
    let spans = common::read_jsonl(&path);
    assert_names(&spans, "main_span", &main_tp);
    assert_names(&spans, "worker_span", &worker_tp);
}

#[test]
fn async_span_is_current_during_its_polls() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("async.jsonl");
    let guard = start(&path);

    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    // What `#[trace] async fn task()` expands to.
    let fut = async move {
        let span = enter_async(&TASK);
        assert!(span.is_recording());
        span.instrument(async move {
            seen2.lock().unwrap().push(tp());
            common::YieldOnce(false).await;
            // Second poll, on another thread.
            seen2.lock().unwrap().push(tp());
            let _s = enter(&STEP);
            seen2.lock().unwrap().push(tp());
        })
        .await;
    };
    let mut fut = Box::pin(fut);
    let _outer = renacer::span!("outer_sync");
    let outer = tp();
    assert!(fut
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_pending());
    // Between polls the sync span is current again.
    assert_eq!(tp(), outer);
    std::thread::spawn(move || {
        assert!(fut
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_ready());
        assert_eq!(current_traceparent(), None, "reverts after the poll");
    })
    .join()
    .unwrap();
    drop(_outer);
    drop(guard);

    let spans = common::read_jsonl(&path);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0], seen[1], "the same async span on both threads");
    assert_names(&spans, "task", &seen[0]);
    assert_names(&spans, "step", &seen[2]);
    assert_names(&spans, "outer_sync", &outer);
    assert_eq!(
        seen[0].trace_id, outer.trace_id,
        "the task nests under outer"
    );
}

/// Parent: records a span, starts this same test binary as a child with
/// `inject_env`, and checks that the child's root span is a child of that
/// span in the same trace. Child (`RENACER_TEST_CHILD_OUT` set): records
/// one root span to the file named there.
#[test]
fn child_process_joins_under_the_current_span() {
    if let Ok(out) = std::env::var(CHILD_OUT_ENV) {
        let guard = start(std::path::Path::new(&out));
        // With no span open, the joined context itself is current.
        let joined = std::env::var("TRACEPARENT").unwrap();
        assert_eq!(current_traceparent().as_deref(), Some(joined.as_str()));
        let joined = TraceParent::parse(&joined).unwrap();
        let _root = renacer::span!("child_root");
        // The root keeps the remote trace, under its own span id.
        let own = tp();
        assert_eq!(own.trace_id, joined.trace_id);
        assert_ne!(own.parent_id, joined.parent_id);
        return drop((_root, guard));
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parent.jsonl");
    let child_path = dir.path().join("child.jsonl");
    let guard = start(&path);
    let parent_tp;
    {
        let _s = renacer::span!("spawner");
        parent_tp = tp();
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "child_process_joins_under_the_current_span",
            "--test-threads=1",
        ])
        .env(CHILD_OUT_ENV, &child_path);
        assert!(inject_env(&mut cmd));
        let status = cmd.status().unwrap();
        assert!(status.success());
    }
    drop(guard);
    let spans = common::read_jsonl(&path);
    assert_names(&spans, "spawner", &parent_tp);
    let child = common::read_jsonl(&child_path);
    assert_eq!(child.len(), 1, "{child:?}");
    assert_eq!(child[0]["name"], "child_root");
    assert_eq!(child[0]["trace_id"], parent_tp.trace_id.to_string());
    assert_eq!(child[0]["parent_span_id"], parent_tp.parent_id.to_string());
}

/// A parent that was not sampled (`...-00`): the child records no root
/// (parent-based sampling, counted as sampled out) and hands the context
/// on with the flag it got, not as sampled.
#[test]
fn unsampled_parent_is_honoured_and_propagated_as_unsampled() {
    const UNSAMPLED: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    if let Ok(out) = std::env::var(CHILD_OUT_ENV) {
        if std::env::var("TRACEPARENT").as_deref() != Ok(UNSAMPLED) {
            return; // another test's child
        }
        let guard = start(std::path::Path::new(&out));
        {
            let _root = renacer::span!("must_not_be_recorded");
            assert!(!_root.is_recording());
            assert_eq!(current_traceparent().as_deref(), Some(UNSAMPLED));
        }
        let mut cmd = std::process::Command::new("true");
        assert!(inject_env(&mut cmd));
        let tp: Vec<_> = cmd
            .get_envs()
            .filter(|(k, _)| *k == "TRACEPARENT")
            .map(|(_, v)| v.unwrap().to_owned())
            .collect();
        assert_eq!(tp, [std::ffi::OsString::from(UNSAMPLED)]);
        assert!(renacer::flush());
        let s = renacer::stats();
        assert_eq!((s.recorded, s.sampled_out), (0, 1), "{s:?}");
        return drop(guard);
    }
    let dir = tempfile::tempdir().unwrap();
    let child_path = dir.path().join("child.jsonl");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "unsampled_parent_is_honoured_and_propagated_as_unsampled",
            "--test-threads=1",
        ])
        .env(CHILD_OUT_ENV, &child_path)
        .env("TRACEPARENT", UNSAMPLED)
        .status()
        .unwrap();
    assert!(status.success());
    let child = std::fs::read_to_string(&child_path).unwrap_or_default();
    assert!(child.is_empty(), "{child}");
}

/// `tracing` spans fed through the layer are renacer dynamic spans: each
/// is current while entered.
#[cfg(feature = "tracing-opentelemetry")]
#[test]
fn tracing_layer_spans_are_current_while_entered() {
    use tracing_subscriber::layer::SubscriberExt;

    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.jsonl");
    let guard = start(&path);
    let subscriber = tracing_subscriber::registry().with(renacer::interop::RenacerLayer::new());
    let (outer, inner, after) = tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("tracing_outer");
        let _e = span.enter();
        let outer = tp();
        let inner = {
            let _s = renacer::span!("sync_inside");
            tp()
        };
        (outer, inner, tp())
    });
    assert_eq!(current_traceparent(), None);
    drop(guard);
    let spans = common::read_jsonl(&path);
    assert_names(&spans, "tracing_outer", &outer);
    assert_names(&spans, "sync_inside", &inner);
    assert_eq!(after, outer);
    assert_eq!(inner.trace_id, outer.trace_id);
}
