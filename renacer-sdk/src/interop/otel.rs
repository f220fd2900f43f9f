//! Linking with `tracing-opentelemetry` (feature `tracing-opentelemetry`):
//! the root-context provider that makes renacer root spans children of the
//! current OpenTelemetry span.
//!
//! The SDK calls the provider only when a root span is sampled (never for
//! nested or unsampled calls), on the recording thread, and records the
//! answer in the ring next to the span's start, so the collector gives that
//! root the OpenTelemetry trace id and parent.

use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// `(trace id, span id)` of the OpenTelemetry span that is current through
/// `tracing` (a span of a `tracing-opentelemetry` layer), if any.
pub fn current_otel_parent() -> Option<(u128, u64)> {
    let current = tracing::Span::current();
    if current.is_none() {
        return None; // no tracing span entered: nothing to link to
    }
    let cx = current.context();
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid().then(|| {
        (
            u128::from_be_bytes(sc.trace_id().to_bytes()),
            u64::from_be_bytes(sc.span_id().to_bytes()),
        )
    })
}

/// Makes renacer root spans children of the current OpenTelemetry span.
/// `renacer::init` calls it when the feature is on; calling it again is
/// harmless.
pub fn link_opentelemetry() {
    crate::record::set_root_context_provider(current_otel_parent);
}
