//! OTLP export, against a real collector (rotel, started by the e2e harness
//! with its debug output off so the collector's printing is not measured).
//!
//! * `otlp_delivery/{grpc,http_protobuf}`: spans per second delivered and
//!   acknowledged by the collector. Each iteration hands [`SPANS`] span
//!   records to the exporter (the collector thread's work: conversion and
//!   queueing) and waits for the export thread to have sent them all
//!   (`flush`), so the time covers conversion, encoding and the network.
//! * `hot_path/{jsonl_sink,otlp_sink}`: the cost of a recorded span on the
//!   application thread while the collector exports to a file or to OTLP.
//!   The sink runs on other threads, so this shows whether OTLP export
//!   disturbs the application (on 2 cores it competes for CPU).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use renacer::export::otlp::{OtlpExporter, OtlpOptions, Protocol};
use renacer::model::{FieldValue, SpanId, SpanKind, SpanRecord, SpanStatus, TraceId};
use renacer_e2e::Rotel;

const SPANS: u64 = 10_000;
/// Spans recorded per timed batch (below the ring capacity).
const BATCH: u64 = 16_384;
const RING_CAPACITY: usize = 1 << 16;

fn records(n: u64) -> Vec<SpanRecord> {
    let t0 = renacer_e2e::monotonic_ns();
    (1..=n)
        .map(|i| SpanRecord {
            trace_id: TraceId(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
            span_id: SpanId(i),
            parent_span_id: (i > 1).then_some(SpanId(1)),
            name: "work_item".into(),
            kind: SpanKind::Function,
            flags: Default::default(),
            start_ns: t0 + i * 100,
            end_ns: t0 + i * 100 + 50,
            pid: std::process::id(),
            tid: 1,
            thread_name: Some(Arc::from("main")),
            site_id: 0x0123_4567_89ab_cdef,
            decision_id: None,
            module_path: "bench::otlp".into(),
            file: "benches/otlp.rs".into(),
            line: 42,
            fields: vec![("i".into(), FieldValue::U64(i))],
            status: SpanStatus::Unset,
        })
        .collect()
}

fn delivery(c: &mut Criterion) {
    let rotel = Rotel::start_quiet();
    let batch = records(SPANS);
    let mut g = c.benchmark_group("otlp_delivery");
    g.throughput(Throughput::Elements(SPANS));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for (name, protocol, endpoint) in [
        ("grpc", Protocol::Grpc, rotel.grpc_endpoint()),
        (
            "http_protobuf",
            Protocol::HttpProtobuf,
            rotel.http_endpoint(),
        ),
    ] {
        let cfg = OtlpOptions {
            endpoint: Some(endpoint),
            protocol: Some(protocol),
            service_name: Some("otlp-bench".into()),
            queue_batches: Some(256),
            metrics_interval: Some(Duration::ZERO),
            ..OtlpOptions::default()
        }
        .resolve(|_| None)
        .expect("valid OTLP config");
        let mut exporter =
            OtlpExporter::new(cfg, None, None, Box::new(|_, _| {})).expect("start the exporter");
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    exporter.export(black_box(&batch));
                    assert!(exporter.flush(), "collector did not acknowledge in time");
                }
                t.elapsed()
            })
        });
        exporter.shutdown();
        let c = exporter.counters();
        eprintln!(
            "otlp_delivery/{name}: exported {} dropped {}",
            c.exported_spans.load(std::sync::atomic::Ordering::Relaxed),
            c.dropped_spans.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    g.finish();
}

#[inline(never)]
#[renacer::trace]
fn leaf(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

/// Times `iters` recorded spans in ring-sized batches; flushes between
/// batches, untimed.
fn recorded(iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = BATCH.min(iters - done);
        let t = Instant::now();
        for i in 0..n {
            black_box(leaf(black_box(i)));
        }
        total += t.elapsed();
        renacer::flush();
        done += n;
    }
    total
}

fn hot_path(c: &mut Criterion) {
    let rotel = Rotel::start_quiet();
    let mut g = c.benchmark_group("hot_path");
    g.throughput(Throughput::Elements(1));
    for (name, output) in [
        ("jsonl_sink", "jsonl:/dev/null".to_string()),
        ("otlp_sink", format!("otlp:{}", rotel.grpc_endpoint())),
    ] {
        // init is process-wide; each sink gets its own init/shutdown cycle.
        let guard = renacer::Config::builder()
            .sample_rate(1.0)
            .rate_limit(0)
            .ring_capacity(RING_CAPACITY)
            .output(&output)
            .init();
        g.bench_function(name, |b| b.iter_custom(recorded));
        renacer::flush();
        let s = renacer::stats();
        drop(guard);
        eprintln!(
            "hot_path/{name}: recorded {} exported {} export_dropped {} ring_dropped {}",
            s.recorded, s.exported, s.export_dropped, s.ring_dropped
        );
    }
    g.finish();
}

criterion_group!(benches, delivery, hot_path);
criterion_main!(benches);
