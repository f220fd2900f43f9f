//! Chrome Trace Event / Perfetto JSON (`{"traceEvents":[...]}`), the format
//! ui.perfetto.dev and chrome://tracing open. Documented in
//! `docs/formats.md`, section "Perfetto".
//!
//! Sync spans become complete events (`"ph":"X"`) on their thread, which
//! nest like the call stack. Async spans may overlap anything on their
//! thread, so they become async slices (`"ph":"b"`/`"e"` with an `id`) that
//! the viewers draw on their own tracks. Timestamps are microseconds with
//! three decimals (exact nanoseconds) of `CLOCK_MONOTONIC`.
//!
//! The file is valid JSON after every flush: the closing `]}` is written,
//! then overwritten by the next batch, so a killed program still leaves a
//! loadable trace up to its last flush.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use super::json;
use super::Exporter;
use crate::model::{SpanRecord, SpanStatus};

const HEADER: &[u8] =
    b"{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"renacer\"},\"traceEvents\":[\n";
const TAIL: &[u8] = b"\n]}\n";
/// Bytes buffered before a write.
const WRITE_CHUNK: usize = 1 << 20;

/// Writes a Perfetto / Chrome JSON trace file.
#[derive(Debug)]
pub struct PerfettoExporter {
    out: File,
    buf: Vec<u8>,
    /// File offset where the next bytes go (the tail is written there).
    pos: u64,
    /// Spans whose events sit in `buf`.
    pending_spans: u64,
    first: bool,
    pids: HashSet<u32>,
    tids: HashSet<(u32, u32)>,
}

impl PerfettoExporter {
    /// Creates (truncates) the trace file at `path`.
    pub fn create(path: impl AsRef<Path>) -> Result<PerfettoExporter, String> {
        let path = path.as_ref();
        if path.as_os_str().is_empty() {
            return Err("perfetto sink needs a path (perfetto:PATH)".into());
        }
        let file =
            File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let mut out = file;
        out.write_all(HEADER)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let mut me = PerfettoExporter {
            out,
            buf: Vec::with_capacity(WRITE_CHUNK + 64 * 1024),
            pending_spans: 0,
            pos: HEADER.len() as u64,
            first: true,
            pids: HashSet::new(),
            tids: HashSet::new(),
        };
        me.finish_file();
        Ok(me)
    }

    fn begin_event(&mut self) {
        if !self.first {
            self.buf.extend_from_slice(b",\n");
        }
        self.first = false;
    }

    fn metadata(&mut self, s: &SpanRecord) {
        if self.pids.insert(s.pid) {
            self.begin_event();
            let name = if s.pid == std::process::id() {
                process_name()
            } else {
                format!("pid {}", s.pid)
            };
            self.buf
                .extend_from_slice(b"{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":");
            json::uint(&mut self.buf, s.pid as u64);
            self.buf
                .extend_from_slice(b",\"tid\":0,\"args\":{\"name\":");
            json::string(&mut self.buf, &name);
            self.buf.extend_from_slice(b"}}");
        }
        if self.tids.insert((s.pid, s.tid)) {
            self.begin_event();
            self.buf
                .extend_from_slice(b"{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":");
            json::uint(&mut self.buf, s.pid as u64);
            self.buf.extend_from_slice(b",\"tid\":");
            json::uint(&mut self.buf, s.tid as u64);
            self.buf.extend_from_slice(b",\"args\":{\"name\":");
            let fallback = format!("thread {}", s.tid);
            json::string(&mut self.buf, s.thread_name.as_deref().unwrap_or(&fallback));
            self.buf.extend_from_slice(b"}}");
        }
    }

    /// The part every event of span `s` shares after `"ph"`.
    fn common(&mut self, s: &SpanRecord, ts_ns: u64) {
        self.buf.extend_from_slice(b",\"name\":");
        json::string(&mut self.buf, &s.name);
        self.buf.extend_from_slice(b",\"cat\":\"");
        self.buf.extend_from_slice(s.kind.as_str().as_bytes());
        self.buf.extend_from_slice(b"\",\"ts\":");
        json::micros(&mut self.buf, ts_ns);
        self.buf.extend_from_slice(b",\"pid\":");
        json::uint(&mut self.buf, s.pid as u64);
        self.buf.extend_from_slice(b",\"tid\":");
        json::uint(&mut self.buf, s.tid as u64);
    }

    fn args(&mut self, s: &SpanRecord) {
        let b = &mut self.buf;
        b.extend_from_slice(b",\"args\":{\"span_id\":");
        json::hex16_quoted(b, s.span_id.0);
        b.extend_from_slice(b",\"trace_id\":\"");
        json::hex(b, s.trace_id.0, 32);
        b.push(b'"');
        if let Some(p) = s.parent_span_id {
            b.extend_from_slice(b",\"parent_span_id\":");
            json::hex16_quoted(b, p.0);
        }
        b.extend_from_slice(b",\"code.file.path\":");
        json::string(b, &s.file);
        b.extend_from_slice(b",\"code.line.number\":");
        json::uint(b, s.line as u64);
        if let Some(d) = s.decision_id {
            b.extend_from_slice(b",\"decision_id\":");
            json::hex16_quoted(b, d);
        }
        if let SpanStatus::Error(msg) = &s.status {
            b.extend_from_slice(b",\"status\":\"error\",\"status_message\":");
            json::string(b, msg);
        }
        for (k, v) in &s.fields {
            b.push(b',');
            json::string(b, k);
            b.push(b':');
            json::field_value(b, v);
        }
        b.push(b'}');
    }

    fn span(&mut self, s: &SpanRecord, is_async: bool) {
        self.metadata(s);
        self.begin_event();
        let dur = s.end_ns.saturating_sub(s.start_ns);
        if is_async {
            self.buf.extend_from_slice(b"{\"ph\":\"b\",\"id\":\"0x");
            json::hex(&mut self.buf, s.span_id.0 as u128, 16);
            self.buf.push(b'"');
            self.common(s, s.start_ns);
            self.args(s);
            self.buf.extend_from_slice(b"},\n{\"ph\":\"e\",\"id\":\"0x");
            json::hex(&mut self.buf, s.span_id.0 as u128, 16);
            self.buf.push(b'"');
            self.common(s, s.end_ns.max(s.start_ns));
            self.buf.push(b'}');
        } else {
            self.buf.extend_from_slice(b"{\"ph\":\"X\"");
            self.common(s, s.start_ns);
            self.buf.extend_from_slice(b",\"dur\":");
            json::micros(&mut self.buf, dur);
            self.args(s);
            self.buf.push(b'}');
        }
    }

    /// Writes the buffered events at `pos`.
    fn write_buf(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if self.out.write_all(&self.buf).is_ok() {
            self.pos += self.buf.len() as u64;
        } else {
            super::count_export_errors(1);
            super::count_dropped_spans(self.pending_spans);
            // Re-sync the offset with where we believe the events end.
            let _ = self.out.seek(SeekFrom::Start(self.pos));
        }
        self.buf.clear();
        self.pending_spans = 0;
    }

    /// Writes pending events and the closing `]}`, then steps back before
    /// the closing so the next events overwrite it.
    fn finish_file(&mut self) {
        self.write_buf();
        let ok = self.out.write_all(TAIL).is_ok()
            && self.out.set_len(self.pos + TAIL.len() as u64).is_ok()
            && self.out.seek(SeekFrom::Start(self.pos)).is_ok();
        if !ok {
            super::count_export_errors(1);
        }
    }
}

fn process_name() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .map(|s| s.trim_end().to_owned())
        .unwrap_or_else(|_| format!("pid {}", std::process::id()))
}

impl Exporter for PerfettoExporter {
    fn export(&mut self, spans: &[SpanRecord]) {
        self.export_with_kinds(spans, &[]);
    }

    fn export_with_kinds(&mut self, spans: &[SpanRecord], is_async: &[bool]) {
        for (i, s) in spans.iter().enumerate() {
            self.span(s, is_async.get(i).copied().unwrap_or(false));
            self.pending_spans += 1;
            if self.buf.len() >= WRITE_CHUNK {
                self.write_buf();
            }
        }
    }

    fn flush(&mut self) {
        self.finish_file();
    }
}

impl Drop for PerfettoExporter {
    fn drop(&mut self) {
        self.finish_file();
    }
}
