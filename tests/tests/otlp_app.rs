//! End to end through the whole SDK: an instrumented program (`otlp_app`,
//! one fresh process per scenario), configured only by environment
//! variables or the builder, sends its spans to a real collector (rotel);
//! the tests assert what the collector received.

use std::time::{Duration, Instant};

use renacer_e2e::app::{by_name, one, otlp_env, Run};
use renacer_e2e::{ReceivedSpan, Rotel};

const WAIT: Duration = Duration::from_secs(30);

fn run_app(scenario: &str, env: &[(&str, String)], limit: Duration) -> Run {
    renacer_e2e::app::run_app(env!("CARGO_BIN_EXE_otlp_app"), scenario, env, limit)
}

/// Waits for exactly `n` spans at the collector; otherwise fails showing
/// the app's stderr and the collector's log.
fn expect_spans(rotel: &Rotel, run: &Run, n: usize) -> Vec<ReceivedSpan> {
    let spans = rotel.wait_for_spans(n, WAIT);
    assert_eq!(
        spans.len(),
        n,
        "stderr: {}\ncollector: {}",
        run.stderr,
        rotel.output()
    );
    spans
}

fn threaded_program(protocol: &str) {
    let rotel = Rotel::start();
    let endpoint = if protocol == "grpc" {
        rotel.grpc_endpoint()
    } else {
        rotel.http_endpoint()
    };
    let run = run_app(
        "threads",
        &otlp_env(endpoint, protocol, "threads-app"),
        WAIT,
    );
    // 1 fan_out + 4 × 3 work_item + 4 × 3 checksum.
    let spans = expect_spans(&rotel, &run, 25);
    let root = one(&spans, "fan_out");
    assert_eq!(root.parent_id, "");
    let items = by_name(&spans, "work_item");
    assert_eq!(items.len(), 12);
    let mut threads = std::collections::BTreeSet::new();
    for item in &items {
        // A spawned thread starts its own roots (no implicit cross-thread
        // context); within the thread, each checksum nests in its work_item.
        assert_eq!(item.parent_id, "");
        let name = item.attr("thread.name").expect("thread.name").to_string();
        assert!(name.starts_with("worker-"), "{name}");
        threads.insert(name);
        assert_eq!(
            item.attr("code.function.name")
                .map(|f| f.ends_with("work_item")),
            Some(true)
        );
        assert!(item
            .attr("code.file.path")
            .is_some_and(|f| f.ends_with("otlp_app.rs")));
        assert!(item
            .attr("code.line.number")
            .is_some_and(|l| l.parse::<u32>().is_ok()));
        assert!(item.attr("worker").is_some(), "captured field");
        assert!(item.attr("renacer.site_id").is_some_and(|s| s.len() == 16));
        assert!(item.start_unix_ns > 0 && item.end_unix_ns >= item.start_unix_ns);
        let children: Vec<_> = spans
            .iter()
            .filter(|s| s.parent_id == item.span_id)
            .collect();
        assert_eq!(children.len(), 1, "one checksum under each work_item");
        assert_eq!(children[0].name, "checksum");
        assert_eq!(children[0].trace_id, item.trace_id);
        assert!(
            children[0].start_unix_ns >= item.start_unix_ns
                && children[0].end_unix_ns <= item.end_unix_ns
        );
        assert_eq!(children[0].attr("thread.id"), item.attr("thread.id"));
    }
    assert_eq!(threads.len(), 4);
    for s in &spans {
        assert_eq!(s.res("service.name"), Some("threads-app"));
        assert_eq!(s.res("deployment.environment"), Some("e2e"));
        assert_eq!(s.res("team"), Some("tracing"));
        assert_eq!(s.res("telemetry.sdk.name"), Some("renacer"));
        assert!(s
            .res("process.pid")
            .is_some_and(|p| p.parse::<u32>().is_ok()));
        assert!(s.res("host.name").is_some());
    }
    // The SDK's counters arrive as metrics with the same resource (final
    // export at shutdown).
    let deadline = Instant::now() + WAIT;
    let want = [
        "recorded",
        "sampled_out",
        "rate_limited",
        "ring_dropped",
        "exported",
        "export_errors",
        "export_dropped",
    ]
    .map(|n| format!("renacer.spans.{n}"));
    while want.iter().any(|w| !rotel.metric_names().contains(w)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let names = rotel.metric_names();
    for w in &want {
        assert!(names.contains(w), "metric {w} missing: {names:?}");
    }
    assert_eq!(run.stats["exported"], 25, "{}", run.stdout);
    assert_eq!(run.stats["export_dropped"], 0);
    assert_eq!(run.stats["export_errors"], 0);
}

#[test]
fn threaded_program_over_grpc() {
    threaded_program("grpc");
}

#[test]
fn threaded_program_over_http_protobuf() {
    threaded_program("http/protobuf");
}

#[test]
fn tokio_program_async_spans_nest() {
    let rotel = Rotel::start();
    let run = run_app(
        "tokio",
        &otlp_env(rotel.grpc_endpoint(), "grpc", "tokio-app"),
        WAIT,
    );
    // serve + 4 × (fetch + checksum).
    let spans = expect_spans(&rotel, &run, 9);
    let serve = one(&spans, "serve");
    let fetches = by_name(&spans, "fetch");
    assert_eq!(fetches.len(), 4);
    for f in fetches {
        let checks: Vec<_> = spans.iter().filter(|s| s.parent_id == f.span_id).collect();
        assert_eq!(
            checks.len(),
            1,
            "checksum nests in its fetch across await points"
        );
        assert_eq!(checks[0].name, "checksum");
        assert_eq!(checks[0].trace_id, f.trace_id);
    }
    assert_eq!(serve.res("service.name"), Some("tokio-app"));
    assert_eq!(run.stats["export_dropped"], 0);
}

#[test]
fn program_without_runtime_over_http_with_error_status() {
    let rotel = Rotel::start();
    let run = run_app(
        "plain",
        &otlp_env(rotel.http_endpoint(), "http/protobuf", "plain-app"),
        WAIT,
    );
    let spans = expect_spans(&rotel, &run, 3);
    let main = one(&spans, "plain_main");
    let load = one(&spans, "load_config");
    let check = one(&spans, "checksum");
    assert_eq!(load.parent_id, main.span_id);
    assert_eq!(check.parent_id, main.span_id);
    assert_eq!(load.status_code, "STATUS_CODE_ERROR");
    assert_eq!(main.status_code, "STATUS_CODE_UNSET");
    assert!(load.start_unix_ns >= main.start_unix_ns && load.end_unix_ns <= main.end_unix_ns);
}

#[test]
fn traceparent_from_outside_is_joined() {
    let rotel = Rotel::start();
    let mut env = otlp_env(rotel.grpc_endpoint(), "grpc", "joined-app");
    env.push((
        "TRACEPARENT",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string(),
    ));
    env.push(("TRACESTATE", "rojo=00f067aa0ba902b7".to_string()));
    let run = run_app("plain", &env, WAIT);
    let spans = expect_spans(&rotel, &run, 3);
    assert!(spans
        .iter()
        .all(|s| s.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(one(&spans, "plain_main").parent_id, "00f067aa0ba902b7");
}

#[test]
fn malformed_traceparent_warns_once_and_starts_a_new_trace() {
    let rotel = Rotel::start();
    let mut env = otlp_env(rotel.grpc_endpoint(), "grpc", "bad-parent-app");
    env.push((
        "TRACEPARENT",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01".to_string(),
    ));
    let run = run_app("plain", &env, WAIT);
    let warnings: Vec<_> = run
        .stderr
        .lines()
        .filter(|l| l.contains("TRACEPARENT"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    let spans = expect_spans(&rotel, &run, 3);
    let main = one(&spans, "plain_main");
    assert_eq!(main.parent_id, "");
    assert_ne!(main.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

#[test]
fn tracing_spans_nest_with_renacer_spans() {
    let rotel = Rotel::start();
    let run = run_app(
        "tracing",
        &otlp_env(rotel.grpc_endpoint(), "grpc", "tracing-app"),
        WAIT,
    );
    // tracing_root > renacer_inside_tracing > tracing_child > checksum, and
    // tracing_root > tracing_moved > checksum (on another thread).
    let spans = expect_spans(&rotel, &run, 6);
    let root = one(&spans, "tracing_root");
    let mid = one(&spans, "renacer_inside_tracing");
    let child = one(&spans, "tracing_child");
    let under = |parent: &str| {
        by_name(&spans, "checksum")
            .into_iter()
            .find(|s| s.parent_id == parent)
            .cloned()
    };
    let leaf = under(&child.span_id).expect("checksum under tracing_child");
    let moved = one(&spans, "tracing_moved");
    assert_eq!(moved.parent_id, root.span_id);
    let moved_leaf = under(&moved.span_id).expect("checksum under tracing_moved");
    assert_ne!(
        moved_leaf.attr("thread.id"),
        root.attr("thread.id"),
        "entered on another thread"
    );
    assert_eq!(root.parent_id, "");
    assert_eq!(mid.parent_id, root.span_id);
    assert_eq!(child.parent_id, mid.span_id);
    assert_eq!(leaf.parent_id, child.span_id);
    assert!(spans.iter().all(|s| s.trace_id == root.trace_id));
    assert_eq!(root.attr("user"), Some("ada"));
    assert_eq!(root.attr("attempt"), Some("3"));
    assert_eq!(child.attr("depth"), Some("2"));
    assert!(root
        .attr("code.file.path")
        .is_some_and(|f| f.ends_with("otlp_app.rs")));
}

#[test]
fn renacer_roots_nest_under_the_current_opentelemetry_span() {
    let rotel = Rotel::start();
    let run = run_app(
        "otel",
        &otlp_env(rotel.grpc_endpoint(), "grpc", "otel-app"),
        WAIT,
    );
    let line = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("OTEL "))
        .expect("OTEL line");
    let (otel_trace, otel_span) = line.split_once(' ').expect("trace and span id");
    let spans = expect_spans(&rotel, &run, 2);
    let root = one(&spans, "renacer_under_otel");
    let leaf = one(&spans, "checksum");
    assert_eq!(root.trace_id, otel_trace);
    assert_eq!(root.parent_id, otel_span);
    assert_eq!(leaf.trace_id, otel_trace);
    assert_eq!(leaf.parent_id, root.span_id);
}

#[test]
fn otlp_configured_by_the_builder_alone() {
    let rotel = Rotel::start();
    // No RENACER_OUTPUT and no OTEL_* variables: only the builder.
    let run = run_app(
        "builder",
        &[("OTLP_APP_ENDPOINT", rotel.http_endpoint())],
        WAIT,
    );
    let spans = expect_spans(&rotel, &run, 3);
    for s in &spans {
        assert_eq!(s.res("service.name"), Some("builder-app"));
        assert_eq!(s.res("configured.by"), Some("builder"));
    }
    assert_eq!(run.stats["export_dropped"], 0);
}
