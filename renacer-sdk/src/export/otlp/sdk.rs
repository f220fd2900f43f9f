//! Wiring of the OTLP exporter into the SDK: the [`Exporter`] impl driven by
//! the collector thread, the `otlp[:endpoint]` sink of `RENACER_OUTPUT`, the
//! OTLP methods of [`ConfigBuilder`], and the SDK counters as metrics and as
//! the destination of every drop.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{OtlpExporter, OtlpOptions, Protocol, StatsSource};
use crate::config::ConfigBuilder;
use crate::export::Exporter;
use crate::model::SpanRecord;

/// OTLP options given to the builder of the `Config` being built; read by
/// the `otlp` sink, which `RENACER_OUTPUT` parsing creates without access to
/// the builder.
static BUILDER_OPTIONS: Mutex<Option<OtlpOptions>> = Mutex::new(None);

/// Called by `ConfigBuilder::build`: remembers the builder's OTLP options
/// and, when the builder configured OTLP explicitly but no output names it,
/// adds the `otlp` sink.
pub(crate) fn configure(options: &Option<OtlpOptions>, specs: &mut Vec<(String, &'static str)>) {
    *BUILDER_OPTIONS.lock().unwrap_or_else(|e| e.into_inner()) = options.clone();
    add_otlp_spec(options.is_some(), specs);
}

/// Adds the `otlp` sink when OTLP was configured in code but no output
/// names it (so `otlp_endpoint(..)` alone is enough, and never two sinks).
fn add_otlp_spec(configured: bool, specs: &mut Vec<(String, &'static str)>) {
    let named = specs.iter().any(|(s, _)| {
        s.split(',')
            .any(|i| i.trim() == "otlp" || i.trim().starts_with("otlp:"))
    });
    if configured && !named {
        specs.push(("otlp".to_string(), "otlp_endpoint"));
    }
}

/// The SDK counters, as the metrics pipeline reads them.
fn sdk_stats() -> StatsSource {
    Arc::new(|| {
        let s = crate::stats();
        vec![
            ("recorded", s.recorded),
            ("sampled_out", s.sampled_out),
            ("rate_limited", s.rate_limited),
            ("ring_dropped", s.ring_dropped),
            ("exported", s.exported),
            ("export_errors", s.export_errors),
            ("export_dropped", s.export_dropped),
        ]
    })
}

/// Builds the `otlp` sink. A non-empty `argument` is the endpoint
/// (`otlp:http://collector:4318`), overriding builder and environment.
pub(crate) fn sink(argument: &str) -> Result<OtlpExporter, String> {
    let mut options = BUILDER_OPTIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default();
    if !argument.trim().is_empty() {
        options.endpoint = Some(argument.trim().to_string());
        options.traces_endpoint = None;
    }
    let cfg = options.resolve(|k| std::env::var(k).ok())?;
    OtlpExporter::new(
        cfg,
        None,
        Some(sdk_stats()),
        Box::new(|spans, errors| {
            crate::export::count_dropped_spans(spans);
            crate::export::count_export_errors(errors);
        }),
    )
}

impl Exporter for OtlpExporter {
    fn export(&mut self, spans: &[SpanRecord]) {
        // TRACEPARENT/TRACESTATE are applied at init, after the sink was
        // built.
        if self.remote_parent.is_none() {
            if let Some(r) = crate::context::remote_context() {
                self.remote_parent = Some(r.traceparent.parent_id.0);
                if let Some(state) = &r.tracestate {
                    // Validated by `context` already; a value the
                    // OpenTelemetry parser refuses is reported once.
                    if let Err(e) = self.set_trace_state(r.traceparent.trace_id.0, state) {
                        eprintln!("renacer: OTLP spans without tracestate: {e}");
                    }
                }
            }
        }
        OtlpExporter::export(self, spans);
    }

    fn flush(&mut self) {
        OtlpExporter::flush(self);
    }

    fn shutdown(&mut self) {
        OtlpExporter::shutdown(self);
    }
}

/// OTLP settings of the builder (feature `otlp`). Each also enables the
/// `otlp` sink when no output names it.
impl ConfigBuilder {
    fn otlp_options(&mut self) -> &mut OtlpOptions {
        self.otlp.get_or_insert_with(OtlpOptions::default)
    }

    /// Collector endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`), e.g.
    /// `http://collector:4317` (gRPC) or `http://collector:4318` (HTTP).
    pub fn otlp_endpoint(mut self, endpoint: &str) -> Self {
        self.otlp_options().endpoint = Some(endpoint.to_string());
        self
    }

    /// Wire protocol (`OTEL_EXPORTER_OTLP_PROTOCOL`).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.otlp_options().protocol = Some(protocol);
        self
    }

    /// `service.name` of the resource (`OTEL_SERVICE_NAME`).
    pub fn service_name(mut self, name: &str) -> Self {
        self.otlp_options().service_name = Some(name.to_string());
        self
    }

    /// Adds a resource attribute (`OTEL_RESOURCE_ATTRIBUTES`).
    pub fn resource_attribute(mut self, key: &str, value: &str) -> Self {
        self.otlp_options()
            .resource_attributes
            .push((key.to_string(), value.to_string()));
        self
    }

    /// Adds a request header / gRPC metadata entry (`OTEL_EXPORTER_OTLP_HEADERS`).
    pub fn otlp_header(mut self, key: &str, value: &str) -> Self {
        self.otlp_options()
            .headers
            .push((key.to_string(), value.to_string()));
        self
    }

    /// Per-request timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`).
    pub fn otlp_request_timeout(mut self, timeout: Duration) -> Self {
        self.otlp_options().request_timeout = Some(timeout);
        self
    }

    /// Longest wait for queued spans at flush and shutdown
    /// (`RENACER_OTLP_SHUTDOWN_TIMEOUT_MS`).
    pub fn otlp_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.otlp_options().shutdown_timeout = Some(timeout);
        self
    }

    /// Period of the self-telemetry metrics (`RENACER_OTLP_METRICS_INTERVAL_MS`);
    /// zero: only at flush and shutdown.
    pub fn otlp_metrics_interval(mut self, interval: Duration) -> Self {
        self.otlp_options().metrics_interval = Some(interval);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_otlp_adds_one_sink_only_when_none_is_named() {
        let mut specs = vec![("jsonl:/tmp/x".to_string(), "output")];
        add_otlp_spec(true, &mut specs);
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[1].0, "otlp");
        let mut specs = vec![(
            "jsonl:/tmp/x, otlp:http://c:4317".to_string(),
            "RENACER_OUTPUT",
        )];
        add_otlp_spec(true, &mut specs);
        assert_eq!(specs.len(), 1);
        let mut specs = vec![("jsonl:/tmp/x".to_string(), "output")];
        add_otlp_spec(false, &mut specs);
        assert_eq!(specs.len(), 1);
    }
}
