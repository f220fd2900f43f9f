//! The `spool:` sink: how an SDK running under the renacer CLI hands its
//! completed spans to the CLI.
//!
//! The CLI starts the traced program with `RENACER_SPOOL=<dir>`; the SDK then
//! appends every exported span to `<dir>/<pid>.spool` (one file per process,
//! so no two writers ever share a file and no lock is needed). After the run
//! the CLI reads the whole directory back (`renacer-trace`) and merges the
//! spans with its syscalls. The format itself — frames, header, span codec —
//! is `renacer_format::spool`, shared by both sides.

mod exporter;
mod writer;

pub use exporter::{sink, sink_from_env};
pub use renacer_format::spool::SPOOL_ENV;
pub use writer::SpoolWriter;
