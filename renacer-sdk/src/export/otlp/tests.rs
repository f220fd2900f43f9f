//! Tests of the exporter's failure behaviour without a collector: nothing
//! blocks, every lost span is counted. (Delivery to a real collector is
//! tested end to end in the `renacer-e2e` crate.)

use super::*;
use crate::model::{FieldValue, SpanId, SpanKind, SpanStatus, TraceId};
use std::sync::atomic::AtomicU64;

fn records(n: u64) -> Vec<SpanRecord> {
    (1..=n)
        .map(|i| SpanRecord {
            trace_id: TraceId(1),
            span_id: SpanId(i),
            parent_span_id: None,
            name: "f".into(),
            kind: SpanKind::Function,
            flags: Default::default(),
            start_ns: i,
            end_ns: i + 1,
            pid: 1,
            tid: 1,
            thread_name: None,
            site_id: 0,
            decision_id: None,
            module_path: "m".into(),
            file: "f.rs".into(),
            line: 1,
            fields: vec![("i".into(), FieldValue::U64(i))],
            status: SpanStatus::Unset,
        })
        .collect()
}

/// A loopback port nothing listens on (bound then closed).
fn dead_endpoint() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

fn exporter(protocol: Protocol, queue: usize, hook: Arc<AtomicU64>) -> OtlpExporter {
    let cfg = OtlpOptions {
        endpoint: Some(dead_endpoint()),
        protocol: Some(protocol),
        request_timeout: Some(Duration::from_millis(300)),
        shutdown_timeout: Some(Duration::from_millis(500)),
        queue_batches: Some(queue),
        batch_spans: Some(10),
        ..Default::default()
    }
    .resolve(|_| None)
    .unwrap();
    OtlpExporter::new(
        cfg,
        None,
        None,
        Box::new(move |spans, _| {
            hook.fetch_add(spans, Ordering::Relaxed);
        }),
    )
    .unwrap()
}

#[test]
fn collector_down_drops_and_counts_every_span() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let hook = Arc::new(AtomicU64::new(0));
        let mut e = exporter(protocol, 2, hook.clone());
        let counters = e.counters();
        e.export(&records(1000));
        e.shutdown();
        let c = &counters;
        let dropped = c.dropped_spans.load(Ordering::Relaxed);
        // Each span is either exported (impossible here) or dropped and counted
        // once; the queue of 2 batches overflowed immediately.
        assert_eq!(c.exported_spans.load(Ordering::Relaxed), 0, "{protocol:?}");
        assert_eq!(dropped, 1000, "{protocol:?}");
        assert_eq!(hook.load(Ordering::Relaxed), 1000, "{protocol:?}");
        assert!(
            c.queue_full_batches.load(Ordering::Relaxed) > 0,
            "{protocol:?}"
        );
    }
}

#[test]
fn shutdown_is_idempotent_and_export_after_it_counts_drops() {
    let hook = Arc::new(AtomicU64::new(0));
    let mut e = exporter(Protocol::Grpc, 4, hook.clone());
    e.shutdown();
    e.shutdown();
    e.export(&records(25));
    assert!(!e.flush());
    // 20 spans went in two full batches, 5 were flushed: all dropped.
    assert_eq!(e.counters().dropped_spans.load(Ordering::Relaxed), 25);
}

#[test]
fn spans_of_the_joined_trace_carry_its_tracestate() {
    let hook = Arc::new(AtomicU64::new(0));
    let mut e = exporter(Protocol::Grpc, 4, hook);
    let err = e.set_trace_state(1, "not a tracestate").unwrap_err();
    assert!(err.contains("invalid tracestate"), "{err}");
    e.set_trace_state(1, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        .unwrap();
    // Fewer spans than a batch: they stay pending, converted.
    let mut recs = records(3);
    recs[2].trace_id = TraceId(2);
    e.export(&recs);
    let states: Vec<String> = e
        .pending
        .iter()
        .map(|d| d.span_context.trace_state().header())
        .collect();
    assert_eq!(
        states,
        [
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
            "",
        ]
    );
    e.shutdown();
}
