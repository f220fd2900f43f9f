//! Wiring of the OTLP exporter into the SDK: the [`Exporter`] impl driven by
//! the collector thread, the `otlp[:endpoint]` sink of `RENACER_OUTPUT`, and
//! the SDK counters as metrics and as the destination of every drop. (The
//! OTLP methods of `ConfigBuilder` live with the builder, in `config::otlp`.)

use std::sync::Arc;

use super::{OtlpExporter, OtlpOptions, StatsSource};
use crate::export::Exporter;
use crate::model::SpanRecord;

/// The SDK counters, as the metrics pipeline reads them.
fn sdk_stats() -> StatsSource {
    Arc::new(|| {
        let s = crate::stats();
        vec![
            ("recorded", s.recorded),
            ("sampled_out", s.sampled_out),
            ("below_threshold", s.below_threshold),
            ("rate_limited", s.rate_limited),
            ("ring_dropped", s.ring_dropped),
            ("events_dropped", s.events_dropped),
            ("collector_dropped", s.collector_dropped),
            ("exported", s.exported),
            ("export_errors", s.export_errors),
            ("export_dropped", s.export_dropped),
        ]
    })
}

/// Builds the `otlp` sink. A non-empty `argument` is the endpoint
/// (`otlp:http://collector:4318`), overriding builder and environment.
pub(crate) fn sink(argument: &str, builder: Option<&OtlpOptions>) -> Result<OtlpExporter, String> {
    let mut options = builder.cloned().unwrap_or_default();
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
            if let Some(r) = crate::remote::get() {
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
