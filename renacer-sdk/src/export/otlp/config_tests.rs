//! Tests of OTLP configuration resolution: builder over env over defaults.

use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn defaults_are_grpc_on_localhost() {
    let c = OtlpOptions::default().resolve(env(&[])).unwrap();
    assert_eq!(c.protocol, Protocol::Grpc);
    assert_eq!(c.traces_endpoint, "http://localhost:4317");
    assert!(c.service_name.starts_with("unknown_service"));
    assert_eq!(c.shutdown_timeout, Duration::from_secs(5));
    assert_eq!(c.request_timeout, Duration::from_secs(10));
}

#[test]
fn http_appends_signal_paths_to_the_base_endpoint() {
    let c = OtlpOptions::default()
        .resolve(env(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
        ]))
        .unwrap();
    assert_eq!(c.protocol, Protocol::HttpProtobuf);
    assert_eq!(c.traces_endpoint, "http://collector:4318/v1/traces");
    assert_eq!(c.metrics_endpoint, "http://collector:4318/v1/metrics");
}

#[test]
fn traces_endpoint_variable_is_used_as_is() {
    let c = OtlpOptions::default()
        .resolve(env(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:9999/custom"),
        ]))
        .unwrap();
    assert_eq!(c.traces_endpoint, "http://b:9999/custom");
    assert_eq!(c.metrics_endpoint, "http://a:4318/v1/metrics");
}

#[test]
fn builder_wins_over_environment() {
    let opts = OtlpOptions {
        endpoint: Some("http://code:1".into()),
        protocol: Some(Protocol::Grpc),
        service_name: Some("from-code".into()),
        shutdown_timeout: Some(Duration::from_millis(250)),
        ..OtlpOptions::default()
    };
    let c = opts
        .resolve(env(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://env:2"),
            ("OTEL_SERVICE_NAME", "from-env"),
            ("RENACER_OTLP_SHUTDOWN_TIMEOUT_MS", "9000"),
        ]))
        .unwrap();
    assert_eq!(c.traces_endpoint, "http://code:1");
    assert_eq!(c.service_name, "from-code");
    assert_eq!(c.shutdown_timeout, Duration::from_millis(250));
}

#[test]
fn service_name_and_resource_attributes() {
    let c = OtlpOptions::default()
        .resolve(env(&[(
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=from-attrs, deployment.environment=prod,team=a%2Cb",
        )]))
        .unwrap();
    assert_eq!(c.service_name, "from-attrs");
    assert_eq!(
        c.resource_attributes,
        vec![
            ("deployment.environment".into(), "prod".into()),
            ("team".into(), "a,b".into())
        ]
    );
    let c = OtlpOptions::default()
        .resolve(env(&[
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=x"),
            ("OTEL_SERVICE_NAME", "y"),
        ]))
        .unwrap();
    assert_eq!(c.service_name, "y");
}

#[test]
fn headers_and_timeouts_from_env() {
    let c = OtlpOptions::default()
        .resolve(env(&[
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "api-key=secret,x-tenant=t%201",
            ),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1500"),
            ("RENACER_OTLP_SHUTDOWN_TIMEOUT_MS", "300"),
            ("RENACER_OTLP_QUEUE_BATCHES", "4"),
            ("RENACER_OTLP_BATCH_SPANS", "100"),
            ("RENACER_OTLP_METRICS_INTERVAL_MS", "0"),
        ]))
        .unwrap();
    assert_eq!(
        c.headers,
        vec![
            ("api-key".into(), "secret".into()),
            ("x-tenant".into(), "t 1".into())
        ]
    );
    assert_eq!(c.request_timeout, Duration::from_millis(1500));
    assert_eq!(c.shutdown_timeout, Duration::from_millis(300));
    assert_eq!(c.queue_batches, 4);
    assert_eq!(c.batch_spans, 100);
    assert_eq!(c.metrics_interval, None);
}

#[test]
fn bad_values_are_one_line_errors() {
    let bad: &[(&str, &str)] = &[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4317"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon"),
        ("RENACER_OTLP_QUEUE_BATCHES", "0"),
        ("OTEL_RESOURCE_ATTRIBUTES", "novalue"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "=v"),
    ];
    for (k, v) in bad {
        let err = OtlpOptions::default().resolve(env(&[(k, v)])).unwrap_err();
        assert!(!err.contains('\n') && !err.is_empty(), "{k}={v}: {err}");
    }
}

#[test]
fn percent_decoding_keeps_bad_escapes() {
    assert_eq!(percent_decode("a%20b"), "a b");
    assert_eq!(percent_decode("100%"), "100%");
    assert_eq!(percent_decode("%zz"), "%zz");
    assert_eq!(percent_decode("é%41"), "éA");
}
