//! Conversion of renacer's [`SpanRecord`]s into OpenTelemetry `SpanData`, and
//! of the resolved configuration into the OTLP `Resource`.
//!
//! Attribute names follow the OpenTelemetry semantic conventions for code
//! (`code.function.name`, `code.file.path`, `code.line.number`) and threads
//! (`thread.id`, `thread.name`); renacer's own ids go under `renacer.*`.
//! 64-bit ids are written as 16 hex digits because OTLP integers are signed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use opentelemetry::trace::{
    SpanContext, SpanId as OtelSpanId, SpanKind as OtelKind, Status, TraceFlags,
    TraceId as OtelTraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use opentelemetry_sdk::Resource;

use super::config::OtlpConfig;
use crate::model::{FieldValue, SpanKind, SpanRecord, SpanStatus};

/// The instrumentation scope of every span renacer exports.
pub(super) fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("renacer")
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

/// The resource shared by spans and metrics: service, process, host, SDK.
pub(super) fn resource(cfg: &OtlpConfig) -> Resource {
    let mut attrs = vec![
        KeyValue::new("service.name", cfg.service_name.clone()),
        KeyValue::new("process.pid", i64::from(std::process::id())),
        KeyValue::new("telemetry.sdk.name", "renacer"),
        KeyValue::new("telemetry.sdk.language", "rust"),
        KeyValue::new("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
    ];
    if let Some(host) = host_name() {
        attrs.push(KeyValue::new("host.name", host));
    }
    if let Some(exe) = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
    {
        attrs.push(KeyValue::new("process.executable.path", exe));
    }
    // User-given attributes come last so they override the detected ones.
    for (k, v) in &cfg.resource_attributes {
        attrs.retain(|kv| kv.key.as_str() != k);
        attrs.push(KeyValue::new(k.clone(), v.clone()));
    }
    Resource::builder_empty().with_attributes(attrs).build()
}

fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: buf is valid for writes of buf.len() bytes; gethostname writes
    // at most that many and we only read up to the first NUL below.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).into_owned();
    (!name.is_empty()).then_some(name)
}

pub use crate::record::clock::ClockOffset;

fn field_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Bool(b) => Value::Bool(*b),
        FieldValue::I64(i) => Value::I64(*i),
        FieldValue::U64(u) => match i64::try_from(*u) {
            Ok(i) => Value::I64(i),
            Err(_) => Value::String(u.to_string().into()),
        },
        FieldValue::F64(f) => Value::F64(*f),
        FieldValue::Str(s) => Value::String(match s {
            Cow::Borrowed(b) => (*b).into(),
            Cow::Owned(o) => o.clone().into(),
        }),
    }
}

fn function_name(rec: &SpanRecord) -> String {
    if rec.module_path.is_empty() {
        rec.name.to_string()
    } else {
        format!("{}::{}", rec.module_path, rec.name)
    }
}

/// Per-site strings (`code.function.name`, hex site id), built once per
/// site and shared by reference count, so converting a span allocates only
/// its attribute vector. Bounded: past [`SiteStrings::MAX`] sites, strings
/// are built per span instead.
#[derive(Default)]
pub(super) struct SiteStrings {
    sites: HashMap<u64, CachedSite>,
}

/// The strings of one site, with the names they were built from (checked on
/// every hit, so two sites whose ids collide never share strings).
struct CachedSite {
    module_path: Cow<'static, str>,
    name: Cow<'static, str>,
    function: StringValue,
    site_hex: StringValue,
}

impl SiteStrings {
    const MAX: usize = 1 << 16;

    fn get(&mut self, rec: &SpanRecord) -> (StringValue, StringValue) {
        let make = || CachedSite {
            module_path: rec.module_path.clone(),
            name: rec.name.clone(),
            function: StringValue::from(Arc::<str>::from(function_name(rec))),
            site_hex: StringValue::from(Arc::<str>::from(format!("{:016x}", rec.site_id))),
        };
        if rec.site_id != 0 {
            if let Some(c) = self.sites.get(&rec.site_id) {
                if c.name == rec.name && c.module_path == rec.module_path {
                    return (c.function.clone(), c.site_hex.clone());
                }
            } else if self.sites.len() < Self::MAX {
                let c = self.sites.entry(rec.site_id).or_insert_with(make);
                return (c.function.clone(), c.site_hex.clone());
            }
        }
        let c = make();
        (c.function, c.site_hex)
    }
}

/// Converts one record. `remote_parent` is the span id this process was
/// given through `TRACEPARENT`, so the parent link can be flagged remote.
pub(super) fn span_data(
    strings: &mut SiteStrings,
    rec: &SpanRecord,
    clock: ClockOffset,
    remote_parent: Option<u64>,
    scope: &InstrumentationScope,
) -> SpanData {
    let mut attributes = Vec::with_capacity(8 + rec.fields.len());
    let (function, site_hex) = strings.get(rec);
    attributes.push(KeyValue::new("code.function.name", function));
    if !rec.file.is_empty() {
        attributes.push(KeyValue::new("code.file.path", rec.file.clone()));
        attributes.push(KeyValue::new("code.line.number", i64::from(rec.line)));
    }
    attributes.push(KeyValue::new("thread.id", i64::from(rec.tid)));
    if let Some(name) = &rec.thread_name {
        attributes.push(KeyValue::new(
            "thread.name",
            StringValue::from(name.clone()),
        ));
    }
    if rec.site_id != 0 {
        attributes.push(KeyValue::new("renacer.site_id", site_hex));
    }
    if let Some(d) = rec.decision_id {
        attributes.push(KeyValue::new("renacer.decision_id", format!("{d:016x}")));
    }
    if rec.kind != SpanKind::Function {
        attributes.push(KeyValue::new("renacer.span.kind", rec.kind.as_str()));
    }
    for (k, v) in &rec.fields {
        attributes.push(KeyValue::new(k.clone(), field_value(v)));
    }
    let parent = rec.parent_span_id.map_or(0, |p| p.0);
    SpanData {
        span_context: SpanContext::new(
            OtelTraceId::from(rec.trace_id.0),
            OtelSpanId::from(rec.span_id.0),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: OtelSpanId::from(parent),
        parent_span_is_remote: parent != 0 && remote_parent == Some(parent),
        span_kind: OtelKind::Internal,
        name: rec.name.clone(),
        start_time: clock.to_system_time(rec.start_ns),
        end_time: clock.to_system_time(rec.end_ns.max(rec.start_ns)),
        attributes,
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: match &rec.status {
            SpanStatus::Unset => Status::Unset,
            SpanStatus::Error(msg) => Status::Error {
                description: msg.clone(),
            },
        },
        instrumentation_scope: scope.clone(),
    }
}

/// Gives `d` the W3C `tracestate` of the trace it belongs to (the one this
/// process joined through `TRACEPARENT`/`TRACESTATE`).
pub(super) fn set_trace_state(d: &mut SpanData, state: &TraceState) {
    let c = &d.span_context;
    d.span_context = SpanContext::new(
        c.trace_id(),
        c.span_id(),
        c.trace_flags(),
        c.is_remote(),
        state.clone(),
    );
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
