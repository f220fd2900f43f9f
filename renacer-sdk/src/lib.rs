//! renacer: function-level tracing at the cost of two clock reads per span.
//!
//! Put `#[renacer::trace]` on functions, call [`init`] once, and spans land in
//! lock-free per-thread rings; a background collector turns them into
//! [`model::SpanRecord`]s and hands them to exporters (JSON lines, Perfetto,
//! OTLP, the CLI's spool).
//!
//! The code is laid out along the data flow: `record` (hot path: sampling,
//! rate limiting, clock, per-thread ring) → `collect` (collector thread:
//! pairing, ids, clock conversion) → `export` (sinks).

pub mod context;
mod fnv;
pub mod model;
mod record;
pub mod spool;
pub mod unified;
// OTLP sink; moves under `export` once that module exists.
#[cfg(feature = "otlp")]
#[path = "export/otlp/mod.rs"]
pub mod otlp;

pub use fnv::{decision_id, fnv1a64, site_id};
pub use renacer_macros::trace;

#[doc(hidden)]
pub mod __private;
