//! Test harness shared by the end-to-end tests: a real OTLP collector
//! ([`rotel::Rotel`]) whose received spans are parsed ([`parse`]), and helpers
//! to run scenario programs in fresh processes (SDK init is process-global).

pub mod app;
pub mod parse;
pub mod rotel;

pub use parse::ReceivedSpan;
pub use rotel::Rotel;

/// `CLOCK_MONOTONIC` now, in ns: the SDK's own clock read, so test
/// timestamps are in exactly the clock span records are kept in.
pub fn monotonic_ns() -> u64 {
    renacer::clock::now_monotonic_ns()
}
