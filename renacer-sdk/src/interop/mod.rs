//! Interoperability with the `tracing` ecosystem (feature `tracing`):
//! [`RenacerLayer`], a `tracing-subscriber` layer that records `tracing`
//! spans into renacer's rings, so programs already instrumented with
//! `tracing` get renacer's sampling, rate limiting and exporters, and their
//! spans nest with `#[renacer::trace]` spans in one tree.
//!
//! With feature `tracing-opentelemetry`, renacer root spans started while a
//! `tracing-opentelemetry` span is current become its children (same trace
//! id, that span as parent), so both land in one trace at the collector.

mod layer;
#[cfg(feature = "tracing-opentelemetry")]
mod otel;

pub use layer::RenacerLayer;
#[cfg(feature = "tracing-opentelemetry")]
pub use otel::{current_otel_parent, link_opentelemetry};
