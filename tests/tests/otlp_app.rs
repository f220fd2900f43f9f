//! End to end through the whole SDK: an instrumented program (`otlp_app`,
//! one fresh process per scenario), configured only by environment
//! variables, sends its spans to a real collector (rotel); the tests assert
//! what the collector received.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use renacer_e2e::{ReceivedSpan, Rotel};

const WAIT: Duration = Duration::from_secs(30);

/// Result of one run of the scenario program.
struct Run {
    stdout: String,
    stderr: String,
    stats: BTreeMap<String, u64>,
}

/// Runs `otlp_app <scenario>` with `env`, waiting at most `limit` (then it is
/// killed and the test fails: the program must never hang on the exporter).
fn run_app(scenario: &str, env: &[(&str, String)], limit: Duration) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_otlp_app"));
    cmd.arg(scenario)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "TRACEPARENT",
        "TRACESTATE",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "RENACER_OUTPUT",
        "RENACER_SAMPLE_RATE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn otlp_app");
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().expect("wait otlp_app").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("collect output");
            panic!(
                "otlp_app {scenario} still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("collect output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "otlp_app {scenario} failed: {:?}\n{stderr}",
        out.status
    );
    let stats = stdout
        .lines()
        .find_map(|l| l.strip_prefix("STATS "))
        .unwrap_or_else(|| panic!("no STATS line in {stdout:?}"))
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().unwrap_or(u64::MAX)))
        .collect();
    Run {
        stdout,
        stderr,
        stats,
    }
}

fn otlp_env(endpoint: String, protocol: &str, service: &str) -> Vec<(&'static str, String)> {
    vec![
        ("RENACER_OUTPUT", "otlp".to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_string()),
        ("OTEL_SERVICE_NAME", service.to_string()),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=e2e,team=tracing".to_string(),
        ),
    ]
}

fn by_name<'a>(spans: &'a [ReceivedSpan], name: &str) -> Vec<&'a ReceivedSpan> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn one<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    let v = by_name(spans, name);
    assert_eq!(
        v.len(),
        1,
        "exactly one {name:?} span expected among {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    v[0]
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
    let spans = rotel.wait_for_spans(25, WAIT);
    assert_eq!(
        spans.len(),
        25,
        "stderr: {}\ncollector: {}",
        run.stderr,
        rotel.output()
    );
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
    let spans = rotel.wait_for_spans(9, WAIT);
    assert_eq!(
        spans.len(),
        9,
        "stderr: {}\ncollector: {}",
        run.stderr,
        rotel.output()
    );
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
    let spans = rotel.wait_for_spans(3, WAIT);
    assert_eq!(
        spans.len(),
        3,
        "stderr: {}\ncollector: {}",
        run.stderr,
        rotel.output()
    );
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
    let spans = rotel.wait_for_spans(3, WAIT);
    assert_eq!(spans.len(), 3, "stderr: {}", run.stderr);
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
    let spans = rotel.wait_for_spans(3, WAIT);
    assert_eq!(spans.len(), 3);
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
    let spans = rotel.wait_for_spans(6, WAIT);
    assert_eq!(
        spans.len(),
        6,
        "stderr: {}\ncollector: {}",
        run.stderr,
        rotel.output()
    );
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
fn collector_down_program_finishes_promptly_and_counts_the_drops() {
    let mut rotel = Rotel::start();
    rotel.stop(); // its ports: nothing listens there now
    let mut env = otlp_env(rotel.grpc_endpoint(), "grpc", "down-app");
    env.push(("RENACER_OTLP_SHUTDOWN_TIMEOUT_MS", "1000".to_string()));
    env.push(("OTEL_EXPORTER_OTLP_TIMEOUT", "500".to_string()));
    // Room for the whole burst, so every span reaches the exporter.
    env.push(("RENACER_RING_CAPACITY", "65536".to_string()));
    // The limit is generous for slow machines; the point is that it ends.
    let run = run_app("burst", &env, WAIT);
    let s = &run.stats;
    assert_eq!(s["recorded"], 20_000, "{}", run.stdout);
    assert_eq!(
        s["export_dropped"], 20_000,
        "every span dropped is counted: {}",
        run.stdout
    );
    assert!(s["export_errors"] >= 1, "{}", run.stdout);
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.contains("OTLP span export failed"))
            .count(),
        1,
        "one warning: {}",
        run.stderr
    );
}

/// A "collector" that accepts connections and never answers: every request
/// hangs until renacer's timeouts cut it.
fn silent_collector() -> (std::net::TcpListener, String) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", l.local_addr().expect("addr"));
    let accept = l.try_clone().expect("clone listener");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in accept.incoming().map_while(Result::ok) {
            held.push(conn); // keep it open, read nothing, answer nothing
        }
    });
    (l, endpoint)
}

#[test]
fn slow_collector_shutdown_is_bounded_and_drops_are_counted() {
    for protocol in ["grpc", "http/protobuf"] {
        let (_listener, endpoint) = silent_collector();
        let mut env = otlp_env(endpoint, protocol, "slow-app");
        env.push(("OTEL_EXPORTER_OTLP_TIMEOUT", "300".to_string()));
        env.push(("RENACER_OTLP_SHUTDOWN_TIMEOUT_MS", "500".to_string()));
        env.push(("RENACER_RING_CAPACITY", "65536".to_string()));
        // Would hang forever without request and shutdown timeouts.
        let run = run_app("burst", &env, WAIT);
        let s = &run.stats;
        assert_eq!(s["recorded"], 20_000, "{protocol}: {}", run.stdout);
        assert_eq!(s["export_dropped"], 20_000, "{protocol}: {}", run.stdout);
        assert!(s["export_errors"] >= 1, "{protocol}: {}", run.stdout);
    }
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
    let spans = rotel.wait_for_spans(2, WAIT);
    assert_eq!(
        spans.len(),
        2,
        "stderr: {}\ncollector: {}",
        run.stderr,
        rotel.output()
    );
    let root = one(&spans, "renacer_under_otel");
    let leaf = one(&spans, "checksum");
    assert_eq!(root.trace_id, otel_trace);
    assert_eq!(root.parent_id, otel_span);
    assert_eq!(leaf.trace_id, otel_trace);
    assert_eq!(leaf.parent_id, root.span_id);
}

/// A minimal HTTP "collector" that records each request head and answers
/// `200 OK` with an empty (valid, all-default) protobuf body.
fn recording_http_collector() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", l.local_addr().expect("addr"));
    let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = heads.clone();
    std::thread::spawn(move || {
        for mut conn in l.incoming().map_while(Result::ok) {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 16384];
                loop {
                    // Read a whole request: head, then content-length bytes.
                    let Ok(n) = conn.read(&mut chunk) else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let head = text[..end].to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() < end + 4 + len {
                        continue;
                    }
                    seen.lock().unwrap_or_else(|e| e.into_inner()).push(head);
                    buf.drain(..end + 4 + len);
                    let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
                    if conn.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (endpoint, heads)
}

#[test]
fn headers_from_the_environment_are_sent_over_http() {
    let (endpoint, heads) = recording_http_collector();
    let mut env = otlp_env(endpoint, "http/protobuf", "headers-app");
    env.push((
        "OTEL_EXPORTER_OTLP_HEADERS",
        "api-key=secret,x-tenant=t%201".to_string(),
    ));
    let run = run_app("plain", &env, WAIT);
    assert_eq!(
        run.stats["export_dropped"], 0,
        "{}\n{}",
        run.stdout, run.stderr
    );
    let heads = heads.lock().unwrap().clone();
    let traces: Vec<_> = heads
        .iter()
        .filter(|h| h.starts_with("post /v1/traces "))
        .collect();
    assert!(!traces.is_empty(), "no trace request: {heads:?}");
    for h in traces {
        assert!(h.contains("\r\napi-key: secret"), "{h}");
        assert!(h.contains("\r\nx-tenant: t 1"), "{h}");
        assert!(
            h.contains("\r\ncontent-type: application/x-protobuf"),
            "{h}"
        );
    }
    assert!(
        heads.iter().any(|h| h.starts_with("post /v1/metrics ")),
        "metrics go to /v1/metrics: {heads:?}"
    );
}

#[test]
fn traces_endpoint_variable_is_used_as_is() {
    let (endpoint, heads) = recording_http_collector();
    let mut env = otlp_env(
        "http://127.0.0.1:1".to_string(),
        "http/protobuf",
        "path-app",
    );
    env.push((
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        format!("{endpoint}/custom/spans"),
    ));
    let run = run_app("plain", &env, WAIT);
    assert_eq!(
        run.stats["export_dropped"], 0,
        "{}\n{}",
        run.stdout, run.stderr
    );
    let heads = heads.lock().unwrap().clone();
    assert!(
        heads.iter().any(|h| h.starts_with("post /custom/spans ")),
        "spans go to the traces endpoint as given: {heads:?}"
    );
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
    let spans = rotel.wait_for_spans(3, WAIT);
    assert_eq!(
        spans.len(),
        3,
        "stderr: {}\ncollector: {}",
        run.stderr,
        rotel.output()
    );
    for s in &spans {
        assert_eq!(s.res("service.name"), Some("builder-app"));
        assert_eq!(s.res("configured.by"), Some("builder"));
    }
    assert_eq!(run.stats["export_dropped"], 0);
}
