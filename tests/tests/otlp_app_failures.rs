//! Failure behaviour of the whole SDK with OTLP: collector down, a collector
//! that never answers, and what goes on the wire (headers, endpoints), with
//! the instrumented program (`otlp_app`) in fresh processes.

use std::time::Duration;

use renacer_e2e::app::{otlp_env, recording_http_collector, silent_collector, Run};
use renacer_e2e::Rotel;

const WAIT: Duration = Duration::from_secs(30);

fn run_app(scenario: &str, env: &[(&str, String)], limit: Duration) -> Run {
    renacer_e2e::app::run_app(env!("CARGO_BIN_EXE_otlp_app"), scenario, env, limit)
}

/// Runs the `burst` scenario (20 000 spans) against `endpoint`, where no
/// collector takes them, with the given request and shutdown timeouts (ms);
/// checks that it ends within `WAIT` and counts every span as dropped.
fn burst_all_dropped(
    endpoint: String,
    protocol: &str,
    service: &str,
    request_timeout_ms: u32,
    shutdown_timeout_ms: u32,
) -> Run {
    let mut env = otlp_env(endpoint, protocol, service);
    env.push(("OTEL_EXPORTER_OTLP_TIMEOUT", request_timeout_ms.to_string()));
    env.push((
        "RENACER_OTLP_SHUTDOWN_TIMEOUT_MS",
        shutdown_timeout_ms.to_string(),
    ));
    // Room for the whole burst, so every span reaches the exporter.
    env.push(("RENACER_RING_CAPACITY", "65536".to_string()));
    // The limit is generous for slow machines; the point is that it ends.
    let run = run_app("burst", &env, WAIT);
    let s = &run.stats;
    assert_eq!(s["recorded"], 20_000, "{protocol}: {}", run.stdout);
    assert_eq!(
        s["export_dropped"], 20_000,
        "{protocol}: every span dropped is counted: {}",
        run.stdout
    );
    assert!(s["export_errors"] >= 1, "{protocol}: {}", run.stdout);
    run
}

#[test]
fn collector_down_program_finishes_promptly_and_counts_the_drops() {
    let mut rotel = Rotel::start();
    rotel.stop(); // its ports: nothing listens there now
    let run = burst_all_dropped(rotel.grpc_endpoint(), "grpc", "down-app", 500, 1000);
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

#[test]
fn slow_collector_shutdown_is_bounded_and_drops_are_counted() {
    for protocol in ["grpc", "http/protobuf"] {
        let (_listener, endpoint) = silent_collector();
        // Would hang forever without request and shutdown timeouts.
        burst_all_dropped(endpoint, protocol, "slow-app", 300, 500);
    }
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
