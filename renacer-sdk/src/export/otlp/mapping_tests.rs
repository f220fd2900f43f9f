//! Tests of the SpanRecord → OTLP SpanData mapping.

use super::*;
use crate::model::{SpanId, TraceId};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn record() -> SpanRecord {
    SpanRecord {
        trace_id: TraceId(0x4bf92f3577b34da6a3ce929d0e0e4736),
        span_id: SpanId(0x1122334455667788),
        parent_span_id: Some(SpanId(0x00f067aa0ba902b7)),
        name: "load_config".into(),
        kind: SpanKind::Function,
        flags: Default::default(),
        start_ns: 1_000,
        end_ns: 3_500,
        pid: 42,
        tid: 43,
        thread_name: Some(Arc::from("worker-1")),
        site_id: 0xfeed_beef_0000_0001,
        decision_id: Some(0xabcd),
        module_path: "app::config".into(),
        file: "src/config.rs".into(),
        line: 17,
        fields: vec![
            ("path".into(), FieldValue::Str("/etc/app.toml".into())),
            ("big".into(), FieldValue::U64(u64::MAX)),
            ("n".into(), FieldValue::I64(-3)),
        ],
        status: SpanStatus::Error("boom".into()),
    }
}

fn attr<'a>(d: &'a SpanData, key: &str) -> Option<&'a Value> {
    d.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

#[test]
fn maps_ids_times_attributes_and_status() {
    let clock = ClockOffset::now();
    let d = span_data(
        &mut SiteStrings::default(),
        &record(),
        clock,
        Some(0x00f067aa0ba902b7),
        &scope(),
    );
    assert_eq!(
        d.span_context.trace_id().to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(d.span_context.span_id().to_string(), "1122334455667788");
    assert_eq!(d.parent_span_id.to_string(), "00f067aa0ba902b7");
    assert!(d.parent_span_is_remote);
    assert_eq!(d.name, "load_config");
    assert_eq!(
        d.end_time.duration_since(d.start_time).unwrap(),
        Duration::from_nanos(2_500)
    );
    assert_eq!(d.start_time, clock.to_system_time(1_000));
    assert_eq!(
        attr(&d, "code.function.name"),
        Some(&Value::from("app::config::load_config"))
    );
    assert_eq!(
        attr(&d, "code.file.path"),
        Some(&Value::from("src/config.rs"))
    );
    assert_eq!(attr(&d, "code.line.number"), Some(&Value::I64(17)));
    assert_eq!(attr(&d, "thread.id"), Some(&Value::I64(43)));
    assert_eq!(attr(&d, "thread.name"), Some(&Value::from("worker-1")));
    assert_eq!(
        attr(&d, "renacer.site_id"),
        Some(&Value::from("feedbeef00000001"))
    );
    assert_eq!(
        attr(&d, "renacer.decision_id"),
        Some(&Value::from("000000000000abcd"))
    );
    assert_eq!(attr(&d, "path"), Some(&Value::from("/etc/app.toml")));
    assert_eq!(attr(&d, "big"), Some(&Value::from(u64::MAX.to_string())));
    assert_eq!(attr(&d, "n"), Some(&Value::I64(-3)));
    assert_eq!(
        d.status,
        Status::Error {
            description: "boom".into()
        }
    );
}

#[test]
fn root_spans_have_no_parent_and_local_parents_are_not_remote() {
    let mut r = record();
    r.parent_span_id = None;
    let d = span_data(
        &mut SiteStrings::default(),
        &r,
        ClockOffset::now(),
        Some(7),
        &scope(),
    );
    assert_eq!(d.parent_span_id, OtelSpanId::INVALID);
    assert!(!d.parent_span_is_remote);
    let d = span_data(
        &mut SiteStrings::default(),
        &record(),
        ClockOffset::now(),
        None,
        &scope(),
    );
    assert!(!d.parent_span_is_remote);
}

#[test]
fn wall_clock_offset_is_close_to_now() {
    let clock = ClockOffset::now();
    let mono = crate::clock::now_monotonic_ns();
    let wall = clock.to_system_time(mono);
    let now = SystemTime::now();
    let diff = now.duration_since(wall).unwrap_or_else(|e| e.duration());
    assert!(diff < Duration::from_secs(1), "{diff:?}");
}

#[test]
fn resource_has_service_process_host_and_user_attributes() {
    let cfg = super::super::OtlpOptions {
        service_name: Some("checkout".into()),
        resource_attributes: vec![("deployment.environment".into(), "test".into())],
        ..Default::default()
    }
    .resolve(|_| None)
    .unwrap();
    let res = resource(&cfg);
    let get = |k: &'static str| res.get(&opentelemetry::Key::from_static_str(k));
    assert_eq!(get("service.name"), Some(Value::from("checkout")));
    assert_eq!(
        get("process.pid"),
        Some(Value::I64(i64::from(std::process::id())))
    );
    assert_eq!(get("telemetry.sdk.name"), Some(Value::from("renacer")));
    assert_eq!(get("deployment.environment"), Some(Value::from("test")));
    assert!(get("host.name").is_some());
}

#[test]
fn site_strings_are_shared_per_site_and_unknown_sites_still_map() {
    let mut strings = SiteStrings::default();
    let a = span_data(&mut strings, &record(), ClockOffset::now(), None, &scope());
    let b = span_data(&mut strings, &record(), ClockOffset::now(), None, &scope());
    assert_eq!(
        attr(&a, "code.function.name"),
        attr(&b, "code.function.name")
    );
    assert_eq!(strings.sites.len(), 1);
    let mut r = record();
    r.site_id = 0;
    r.module_path = "".into();
    let c = span_data(&mut strings, &r, ClockOffset::now(), None, &scope());
    assert_eq!(
        attr(&c, "code.function.name"),
        Some(&Value::from("load_config"))
    );
    assert_eq!(attr(&c, "renacer.site_id"), None);
    assert_eq!(strings.sites.len(), 1);
    // Same site id, another function (an id collision): not confused.
    let mut d = record();
    d.name = "other".into();
    let d = span_data(&mut strings, &d, ClockOffset::now(), None, &scope());
    assert_eq!(
        attr(&d, "code.function.name"),
        Some(&Value::from("app::config::other"))
    );
}
