//! Interoperability with the `tracing` ecosystem (feature `tracing`):
//! [`RenacerLayer`], a `tracing-subscriber` layer that records `tracing`
//! spans into renacer's rings, so programs already instrumented with
//! `tracing` get renacer's sampling, rate limiting and exporters, and their
//! spans nest with `#[renacer::trace]` spans in one tree.

mod layer;

pub use layer::RenacerLayer;
