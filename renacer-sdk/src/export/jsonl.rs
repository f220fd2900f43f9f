//! JSON lines: one completed span per line, schema `renacer.span/1`
//! (documented in `docs/formats.md`, section "JSON lines").
//!
//! [`write_span_json`] is the one serializer of that schema.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use super::Exporter;
use crate::model::{SpanRecord, SpanStatus};
use renacer_format::json;

/// Version marker written in every line.
pub const SCHEMA: &str = "renacer.span/1";

/// Appends one span as a JSON object (no trailing newline) to `out`, with
/// `service.name` when given.
pub fn write_span_json(out: &mut Vec<u8>, s: &SpanRecord, service: Option<&str>) {
    out.extend_from_slice(b"{\"schema\":\"");
    out.extend_from_slice(SCHEMA.as_bytes());
    out.extend_from_slice(b"\",\"name\":");
    json::string(out, &s.name);
    out.extend_from_slice(b",\"kind\":\"");
    out.extend_from_slice(s.kind.as_str().as_bytes());
    out.extend_from_slice(b"\",\"trace_id\":\"");
    json::hex(out, s.trace_id.0, 32);
    out.extend_from_slice(b"\",\"span_id\":");
    json::hex16_quoted(out, s.span_id.0);
    out.extend_from_slice(b",\"parent_span_id\":");
    match s.parent_span_id {
        Some(p) => json::hex16_quoted(out, p.0),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"start_ns\":");
    json::uint(out, s.start_ns);
    out.extend_from_slice(b",\"end_ns\":");
    json::uint(out, s.end_ns);
    out.extend_from_slice(b",\"pid\":");
    json::uint(out, s.pid as u64);
    out.extend_from_slice(b",\"tid\":");
    json::uint(out, s.tid as u64);
    out.extend_from_slice(b",\"thread_name\":");
    match &s.thread_name {
        Some(n) => json::string(out, n),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"site_id\":");
    json::hex16_quoted(out, s.site_id);
    out.extend_from_slice(b",\"decision_id\":");
    match s.decision_id {
        Some(d) => json::hex16_quoted(out, d),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"code.file.path\":");
    json::string(out, &s.file);
    out.extend_from_slice(b",\"code.line.number\":");
    json::uint(out, s.line as u64);
    out.extend_from_slice(b",\"code.function.name\":");
    json::string(out, &s.name);
    out.extend_from_slice(b",\"code.namespace\":");
    json::string(out, &s.module_path);
    match &s.status {
        SpanStatus::Unset => out.extend_from_slice(b",\"status\":\"unset\""),
        SpanStatus::Error(msg) => {
            out.extend_from_slice(b",\"status\":\"error\",\"status_message\":");
            json::string(out, msg);
        }
    }
    if s.flags.is_async() {
        out.extend_from_slice(b",\"async\":true");
    }
    if s.flags.contains(crate::model::SpanFlags::UNFINISHED) {
        out.extend_from_slice(b",\"unfinished\":true");
    }
    if let Some(service) = service {
        out.extend_from_slice(b",\"service.name\":");
        json::string(out, service);
    }
    out.extend_from_slice(b",\"fields\":{");
    for (i, (k, v)) in s.fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json::string(out, k);
        out.push(b':');
        json::field_value(out, v);
    }
    out.extend_from_slice(b"}}");
}

/// Bytes buffered before a write: large writes, one copy (no BufWriter).
const WRITE_CHUNK: usize = 1 << 20;

/// Writes spans as JSON lines to a file (buffered; written on flush).
#[derive(Debug)]
pub struct JsonLinesExporter {
    out: File,
    path: std::path::PathBuf,
    /// A write failed (reported once on stderr; later losses only counted).
    failed: bool,
    /// `service.name` of every line.
    service: Box<str>,
    buf: Vec<u8>,
    /// Spans whose lines sit in `buf`.
    pending_spans: u64,
}

impl JsonLinesExporter {
    /// Opens the file at `path` (`{pid}` expanded): truncated when nobody
    /// else writes it, appended to when this process wrote it before or
    /// another process's sink holds it (see `export::file`).
    pub fn create(path: impl AsRef<Path>) -> Result<JsonLinesExporter, String> {
        Self::create_for(path, &super::service_name(None))
    }

    /// As [`JsonLinesExporter::create`], every line naming `service`.
    pub fn create_for(path: impl AsRef<Path>, service: &str) -> Result<JsonLinesExporter, String> {
        let path = path.as_ref();
        if path.as_os_str().is_empty() {
            return Err("jsonl sink needs a path (jsonl:PATH)".into());
        }
        let path = super::file::expand(&path.to_string_lossy());
        let (file, _) = super::file::open(&path, true)?;
        Ok(JsonLinesExporter {
            out: file,
            path,
            buf: Vec::with_capacity(WRITE_CHUNK + 64 * 1024),
            pending_spans: 0,
            failed: false,
            service: service.into(),
        })
    }

    /// Writes the buffer out; on failure counts the lost spans.
    fn write_buf(&mut self, spans_in_buf: u64) {
        if self.buf.is_empty() {
            return;
        }
        if let Err(e) = self.out.write_all(&self.buf) {
            if !self.failed {
                self.failed = true;
                eprintln!(
                    "renacer: jsonl:{}: {e}; its spans are dropped and counted (renacer::stats)",
                    self.path.display()
                );
            }
            super::count_export_errors(1);
            super::count_dropped_spans(spans_in_buf);
        }
        self.buf.clear();
    }
}

impl Exporter for JsonLinesExporter {
    fn export(&mut self, spans: &[SpanRecord]) {
        let mut pending = self.pending_spans;
        for s in spans {
            write_span_json(&mut self.buf, s, Some(&self.service));
            self.buf.push(b'\n');
            pending += 1;
            if self.buf.len() >= WRITE_CHUNK {
                self.write_buf(pending);
                pending = 0;
            }
        }
        // The rest stays buffered until the next batch or flush; count it
        // as lost there if the write fails (lines of this batch only).
        self.pending_spans = pending;
    }

    fn flush(&mut self) {
        let n = std::mem::take(&mut self.pending_spans);
        self.write_buf(n);
    }
}

impl Drop for JsonLinesExporter {
    fn drop(&mut self) {
        Exporter::flush(self);
    }
}
