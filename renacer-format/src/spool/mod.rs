//! The spool: how an SDK running under the renacer CLI hands its completed
//! spans to the CLI. This module is the format, both directions; the SDK's
//! `spool` sink writes files with it and the CLI's trace crate reads them.
//!
//! The CLI starts the traced program with `RENACER_SPOOL=<dir>`; the SDK then
//! appends every exported span to `<dir>/<pid>.spool` (one file per process,
//! so no two writers ever share a file and no lock is needed).
//!
//! The format (documented in `docs/formats.md`, section `spool`) is binary,
//! versioned, append-only and crash-tolerant: every record is length-prefixed
//! and carries a CRC-32, so a program killed mid-write leaves a file whose
//! complete prefix is still readable.

pub mod codec;
pub mod frame;

pub use frame::{SpoolHeader, CLOCK_MONOTONIC_ID, MAGIC, MAX_RECORD_LEN, MIN_VERSION, VERSION};

/// The environment variable through which the CLI names the spool directory.
pub const SPOOL_ENV: &str = "RENACER_SPOOL";
