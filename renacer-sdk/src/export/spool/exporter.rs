//! The spool as a collector sink: [`SpoolWriter`] implements the SDK's
//! [`Exporter`], and [`sink`] / [`sink_from_env`] build it from the
//! `spool:DIR` entry of `RENACER_OUTPUT` or from `RENACER_SPOOL`.

use std::ffi::OsString;
use std::path::Path;

use super::writer::SpoolWriter;
use crate::export::{count_dropped_spans, count_export_errors, Exporter};
use crate::model::SpanRecord;

impl Exporter for SpoolWriter {
    fn export(&mut self, spans: &[SpanRecord]) {
        let was_broken = self.is_broken();
        let before = self.dropped();
        if self.write_spans(spans).is_err() && !was_broken {
            // One error per failure, not one per later batch it stops.
            count_export_errors(1);
        }
        count_dropped_spans(self.dropped() - before);
    }

    fn flush(&mut self) {
        if self.flush_file().is_err() {
            count_export_errors(1);
        }
    }

    /// A flush, no fsync: the spool only has to outlive the program, not
    /// the machine, and an fsync at every traced program's exit costs
    /// milliseconds.
    fn shutdown(&mut self) {
        Exporter::flush(self);
    }
}

/// Opens this process's spool file in `dir`, which must exist (the CLI
/// creates it, mode 0700; the SDK never creates directories it was not given).
pub fn sink(dir: &str) -> Result<SpoolWriter, String> {
    if dir.is_empty() {
        return Err("spool needs a directory: spool:DIR".into());
    }
    let path = Path::new(dir);
    if !path.is_dir() {
        return Err(format!(
            "spool directory {dir} does not exist or is not a directory"
        ));
    }
    SpoolWriter::create_in(path).map_err(|e| e.to_string())
}

/// The spool sink named by `RENACER_SPOOL` (pass
/// `std::env::var_os(SPOOL_ENV)`): `None` when unset or empty.
pub fn sink_from_env(value: Option<OsString>) -> Option<Result<SpoolWriter, String>> {
    let value = value.filter(|v| !v.is_empty())?;
    Some(match value.to_str() {
        Some(dir) => sink(dir).map_err(|e| format!("{}: {e}", super::SPOOL_ENV)),
        None => Err(format!(
            "{}: the directory name is not UTF-8",
            super::SPOOL_ENV
        )),
    })
}
