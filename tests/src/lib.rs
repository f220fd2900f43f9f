//! Test harness shared by the end-to-end tests: a real OTLP collector
//! ([`rotel::Rotel`]) whose received spans are parsed ([`parse`]), and helpers
//! to run scenario programs in fresh processes (SDK init is process-global).

pub mod app;
pub mod parse;
pub mod rotel;

pub use parse::ReceivedSpan;
pub use rotel::Rotel;

/// `CLOCK_MONOTONIC` now, in ns (the clock span records are kept in).
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
