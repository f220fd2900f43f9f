//! The OTLP exporter against a real collector (rotel), fed directly with
//! span records: what arrives over gRPC and HTTP/protobuf, and what happens
//! when the collector is down, slow to come back, or restarted mid-run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use renacer::export::otlp::{OtlpExporter, OtlpOptions, Protocol};
use renacer::model::{FieldValue, SpanId, SpanKind, SpanRecord, SpanStatus, TraceId};
use renacer_e2e::{monotonic_ns, Rotel};

const WAIT: Duration = Duration::from_secs(30);

fn span(trace: u128, id: u64, parent: Option<u64>, name: &'static str, start: u64) -> SpanRecord {
    SpanRecord {
        trace_id: TraceId(trace),
        span_id: SpanId(id),
        parent_span_id: parent.map(SpanId),
        name: name.into(),
        kind: SpanKind::Function,
        flags: Default::default(),
        start_ns: start,
        end_ns: start + 1_500,
        pid: std::process::id(),
        tid: 4242,
        thread_name: Some(Arc::from("worker-7")),
        site_id: 0x0123_4567_89ab_cdef,
        decision_id: Some(0xfeed),
        module_path: "e2e::app".into(),
        file: "src/app.rs".into(),
        line: 99,
        fields: vec![
            ("user".into(), FieldValue::Str("ada".into())),
            ("n".into(), FieldValue::I64(7)),
        ],
        status: SpanStatus::Unset,
    }
}

fn exporter(opts: OtlpOptions, dropped: Arc<AtomicU64>) -> OtlpExporter {
    let cfg = opts.resolve(|_| None).expect("valid config");
    OtlpExporter::new(
        cfg,
        None,
        None,
        Box::new(move |n, _| {
            dropped.fetch_add(n, Ordering::Relaxed);
        }),
    )
    .expect("exporter starts")
}

fn options(endpoint: String, protocol: Protocol) -> OtlpOptions {
    OtlpOptions {
        endpoint: Some(endpoint),
        protocol: Some(protocol),
        service_name: Some("e2e-exporter".into()),
        resource_attributes: vec![("deployment.environment".into(), "ci".into())],
        request_timeout: Some(Duration::from_secs(2)),
        shutdown_timeout: Some(Duration::from_secs(5)),
        metrics_interval: Some(Duration::ZERO),
        ..OtlpOptions::default()
    }
}

fn delivers_a_tree(protocol: Protocol) {
    let rotel = Rotel::start();
    let endpoint = match protocol {
        Protocol::Grpc => rotel.grpc_endpoint(),
        Protocol::HttpProtobuf => rotel.http_endpoint(),
    };
    let dropped = Arc::new(AtomicU64::new(0));
    let mut e = exporter(options(endpoint, protocol), dropped.clone());
    let trace = 0x5eed_0000_0000_0000_0000_0000_0000_0001u128;
    let t0 = monotonic_ns();
    let mut child = span(trace, 2, Some(1), "load_config", t0 + 100);
    child.status = SpanStatus::Error("file not found".into());
    e.export(&[span(trace, 1, None, "main", t0), child]);
    assert!(e.flush(), "flush finished within the shutdown timeout");
    let spans = rotel.wait_for_spans(2, WAIT);
    assert_eq!(spans.len(), 2, "collector output:\n{}", rotel.output());
    let root = spans
        .iter()
        .find(|s| s.name == "main")
        .expect("root span arrived");
    let child = spans
        .iter()
        .find(|s| s.name == "load_config")
        .expect("child span arrived");
    assert_eq!(root.trace_id, format!("{trace:032x}"));
    assert_eq!(child.trace_id, root.trace_id);
    assert_eq!(root.parent_id, "");
    assert_eq!(root.span_id, "0000000000000001");
    assert_eq!(child.parent_id, root.span_id);
    assert_eq!(child.status_code, "STATUS_CODE_ERROR");
    assert_eq!(child.status_message, "file not found");
    assert_eq!(child.kind, "SPAN_KIND_INTERNAL");
    // Recorded times survive: duration exact, start in the recent past.
    assert_eq!(root.end_unix_ns - root.start_unix_ns, 1_500);
    assert_eq!(child.start_unix_ns - root.start_unix_ns, 100);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    assert!(
        root.start_unix_ns <= now && now - root.start_unix_ns < 600_000_000_000,
        "start {}",
        root.start_unix_ns
    );
    for s in [root, child] {
        assert_eq!(
            s.attr("code.function.name"),
            Some(format!("e2e::app::{}", s.name).as_str())
        );
        assert_eq!(s.attr("code.file.path"), Some("src/app.rs"));
        assert_eq!(s.attr("code.line.number"), Some("99"));
        assert_eq!(s.attr("thread.id"), Some("4242"));
        assert_eq!(s.attr("thread.name"), Some("worker-7"));
        assert_eq!(s.attr("renacer.site_id"), Some("0123456789abcdef"));
        assert_eq!(s.attr("renacer.decision_id"), Some("000000000000feed"));
        assert_eq!(s.attr("user"), Some("ada"));
        assert_eq!(s.attr("n"), Some("7"));
        assert_eq!(s.res("service.name"), Some("e2e-exporter"));
        assert_eq!(s.res("deployment.environment"), Some("ci"));
        assert_eq!(
            s.res("process.pid"),
            Some(std::process::id().to_string().as_str())
        );
        assert_eq!(s.res("telemetry.sdk.name"), Some("renacer"));
        assert!(s.res("host.name").is_some());
        assert!(s.scope.starts_with("renacer"), "scope {}", s.scope);
    }
    e.shutdown();
    let c = e.counters();
    assert_eq!(c.exported_spans.load(Ordering::Relaxed), 2);
    assert_eq!(c.dropped_spans.load(Ordering::Relaxed), 0);
    assert_eq!(dropped.load(Ordering::Relaxed), 0);
}

#[test]
fn exporter_delivers_a_span_tree_over_grpc() {
    delivers_a_tree(Protocol::Grpc);
}

#[test]
fn exporter_delivers_a_span_tree_over_http_protobuf() {
    delivers_a_tree(Protocol::HttpProtobuf);
}

#[test]
fn many_batches_all_arrive_exactly_once() {
    let rotel = Rotel::start();
    let mut opts = options(rotel.grpc_endpoint(), Protocol::Grpc);
    opts.batch_spans = Some(100);
    opts.queue_batches = Some(1024);
    let mut e = exporter(opts, Arc::new(AtomicU64::new(0)));
    let t0 = monotonic_ns();
    let batch: Vec<SpanRecord> = (1..=2_000)
        .map(|i| span(7, i, None, "leaf", t0 + i))
        .collect();
    for chunk in batch.chunks(333) {
        e.export(chunk);
    }
    e.shutdown();
    assert_eq!(e.counters().exported_spans.load(Ordering::Relaxed), 2_000);
    let spans = rotel.wait_for_spans(2_000, WAIT);
    let mut ids: Vec<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 2_000);
    assert_eq!(spans.len(), 2_000);
}

#[test]
fn collector_down_then_started_drops_counted_then_export_resumes() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        // Take ports, then stop the collector: nothing listens there.
        let mut rotel = Rotel::start();
        rotel.stop();
        let endpoint = match protocol {
            Protocol::Grpc => rotel.grpc_endpoint(),
            Protocol::HttpProtobuf => rotel.http_endpoint(),
        };
        let dropped = Arc::new(AtomicU64::new(0));
        let mut opts = options(endpoint, protocol);
        opts.request_timeout = Some(Duration::from_millis(500));
        let mut e = exporter(opts, dropped.clone());
        let t0 = monotonic_ns();
        e.export(&[span(1, 1, None, "lost", t0)]);
        e.flush();
        let c = e.counters();
        assert_eq!(c.dropped_spans.load(Ordering::Relaxed), 1, "{protocol:?}");
        assert!(c.export_errors.load(Ordering::Relaxed) >= 1, "{protocol:?}");
        assert_eq!(dropped.load(Ordering::Relaxed), 1, "{protocol:?}");

        // The collector comes (back) up on the same ports: export resumes.
        rotel.restart();
        let t1 = monotonic_ns();
        let deadline = std::time::Instant::now() + WAIT;
        let mut i = 10;
        // Reconnection may take a retry; keep sending until one arrives.
        while !rotel.spans().iter().any(|s| s.name == "found")
            && std::time::Instant::now() < deadline
        {
            i += 1;
            e.export(&[span(2, i, None, "found", t1)]);
            e.flush();
        }
        let spans = rotel.wait_for(WAIT, |s| s.iter().any(|s| s.name == "found"));
        assert!(
            spans.iter().any(|s| s.name == "found"),
            "{protocol:?}: {}",
            rotel.output()
        );
        assert!(!spans.iter().any(|s| s.name == "lost"), "{protocol:?}");
        e.shutdown();
        let c = e.counters();
        let sent = i - 10;
        assert_eq!(
            c.exported_spans.load(Ordering::Relaxed) + c.dropped_spans.load(Ordering::Relaxed),
            sent + 1,
            "{protocol:?}"
        );
    }
}

#[test]
fn collector_restarted_mid_run_later_spans_arrive() {
    let mut rotel = Rotel::start();
    let dropped = Arc::new(AtomicU64::new(0));
    let mut opts = options(rotel.grpc_endpoint(), Protocol::Grpc);
    opts.request_timeout = Some(Duration::from_millis(500));
    let mut e = exporter(opts, dropped.clone());
    let t0 = monotonic_ns();
    e.export(&[span(3, 1, None, "before", t0)]);
    assert!(e.flush());
    assert_eq!(
        rotel
            .wait_for(WAIT, |s| s.iter().any(|s| s.name == "before"))
            .len(),
        1
    );
    rotel.restart();
    let deadline = std::time::Instant::now() + WAIT;
    let mut i = 1;
    while !rotel.spans().iter().any(|s| s.name == "after") && std::time::Instant::now() < deadline {
        i += 1;
        e.export(&[span(3, i, None, "after", t0 + i)]);
        e.flush();
    }
    assert!(
        rotel.spans().iter().any(|s| s.name == "after"),
        "{}",
        rotel.output()
    );
    e.shutdown();
    let c = e.counters();
    assert_eq!(
        c.exported_spans.load(Ordering::Relaxed) + c.dropped_spans.load(Ordering::Relaxed),
        i
    );
    assert_eq!(
        c.dropped_spans.load(Ordering::Relaxed),
        dropped.load(Ordering::Relaxed)
    );
}

#[test]
fn self_telemetry_counters_arrive_as_metrics_over_both_protocols() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let rotel = Rotel::start();
        let endpoint = match protocol {
            Protocol::Grpc => rotel.grpc_endpoint(),
            Protocol::HttpProtobuf => rotel.http_endpoint(),
        };
        let cfg = options(endpoint, protocol).resolve(|_| None).unwrap();
        let source: renacer::export::otlp::StatsSource = Arc::new(|| {
            renacer::export::otlp::COUNTERS
                .iter()
                .enumerate()
                .map(|(i, &n)| (n, i as u64 * 10))
                .collect()
        });
        let mut e = OtlpExporter::new(cfg, None, Some(source), Box::new(|_, _| {})).unwrap();
        assert!(e.flush());
        let want: Vec<String> = renacer::export::otlp::COUNTERS
            .iter()
            .map(|n| format!("renacer.spans.{n}"))
            .collect();
        let deadline = std::time::Instant::now() + WAIT;
        while want.iter().any(|w| !rotel.metric_names().contains(w))
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        let got = rotel.metric_names();
        for w in &want {
            assert!(
                got.contains(w),
                "{protocol:?}: {w} missing; output:\n{}",
                rotel.output()
            );
        }
        assert!(rotel.output().contains("service.name: Str(e2e-exporter)"));
        e.shutdown();
        assert!(e.counters().metric_exports.load(Ordering::Relaxed) >= 1);
    }
}

#[test]
fn self_telemetry_is_also_exported_periodically() {
    let rotel = Rotel::start();
    let mut opts = options(rotel.grpc_endpoint(), Protocol::Grpc);
    opts.metrics_interval = Some(Duration::from_millis(100));
    let cfg = opts.resolve(|_| None).unwrap();
    let source: renacer::export::otlp::StatsSource = Arc::new(|| vec![("recorded", 1)]);
    let mut e = OtlpExporter::new(cfg, None, Some(source), Box::new(|_, _| {})).unwrap();
    // No flush: only the period can send them.
    let deadline = std::time::Instant::now() + WAIT;
    while rotel
        .metric_names()
        .iter()
        .filter(|n| *n == "renacer.spans.recorded")
        .count()
        < 2
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let sends = rotel
        .metric_names()
        .iter()
        .filter(|n| *n == "renacer.spans.recorded")
        .count();
    assert!(sends >= 2, "periodic metric exports seen: {sends}");
    e.shutdown();
}
