//! The spool: how an SDK running under the renacer CLI hands its completed
//! spans to the CLI.
//!
//! The CLI starts the traced program with `RENACER_SPOOL=<dir>`; the SDK then
//! appends every exported span to `<dir>/<pid>.spool` (one file per process,
//! so no two writers ever share a file and no lock is needed). After the run
//! the CLI reads the whole directory back and merges the spans with its
//! syscalls (see [`crate::unified`]).
//!
//! The format (documented in `docs/formats.md`, section `spool`) is binary,
//! versioned, append-only and crash-tolerant: every record is length-prefixed
//! and carries a CRC-32, so a program killed mid-write leaves a file whose
//! complete prefix is still readable; the reader stops at the first truncated
//! or corrupt record and reports it as a warning, never as an error.

mod codec;
mod crc32;
mod exporter;
mod format;
mod reader;
mod writer;

pub use exporter::{sink, sink_from_env};
pub use format::{SpoolHeader, CLOCK_MONOTONIC_ID, MAGIC, MAX_RECORD_LEN, VERSION};
pub use reader::{
    read_spool_dir, SpoolDir, SpoolError, SpoolFile, SpoolReader, SpoolWarning, SpoolWarningKind,
};
pub use writer::SpoolWriter;

/// The environment variable through which the CLI names the spool directory.
pub const SPOOL_ENV: &str = "RENACER_SPOOL";

#[cfg(test)]
pub(crate) mod tests;
