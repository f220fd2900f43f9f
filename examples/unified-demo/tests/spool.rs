//! Runs the demo as the CLI would (`RENACER_SPOOL` + `TRACEPARENT`) and
//! merges what both of its processes left in the spool.

mod common;

use common::{demo, run_ok};
use renacer_trace::{merge, MergeInput, SpoolSession};

#[test]
fn parent_and_child_spool_their_spans_and_join_the_trace() {
    let session = SpoolSession::create().expect("spool session");
    run_ok(
        demo()
            .envs(session.env())
            .env("RENACER_SAMPLE_RATE", "1")
            .env_remove("RENACER_OUTPUT"),
    );
    let spool = session.read().expect("read spool");
    assert_eq!(spool.warnings().count(), 0);
    assert_eq!(spool.files.len(), 2, "one spool per process");
    let spans = spool.into_spans();
    for s in &spans {
        assert_eq!(
            s.trace_id,
            session.trace_id(),
            "{} joined the CLI's trace",
            s.name
        );
    }
    let names: Vec<&str> = spans.iter().map(|s| &*s.name).collect();
    for want in [
        "run",
        "tcp_roundtrip",
        "serve_one",
        "worker",
        "spawn_child",
        "child_main",
    ] {
        assert!(names.contains(&want), "no `{want}` in {names:?}");
    }
    // Merged without syscalls: each process's roots under its own process span.
    let t = merge(MergeInput {
        trace_id: Some(session.trace_id()),
        root_span_id: Some(session.root_span_id()),
        spans,
        ..MergeInput::default()
    });
    assert_eq!(t.processes.len(), 2);
    let run = t.items.iter().find(|i| t.name(i) == "run").expect("run");
    let child = t
        .items
        .iter()
        .find(|i| t.name(i) == "child_main")
        .expect("child_main");
    assert_ne!(run.pid, child.pid);
    assert_eq!(t.items[run.parent.expect("parent")].pid, run.pid);
    assert_eq!(t.items[child.parent.expect("parent")].pid, child.pid);
}
