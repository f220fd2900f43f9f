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
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use super::json;
use super::Exporter;
use crate::model::{SpanRecord, SpanStatus};

const HEADER: &[u8] =
    b"{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"renacer\"},\"traceEvents\":[\n";
const TAIL: &[u8] = b"\n]}\n";

/// Writes a Perfetto / Chrome JSON trace file.
#[derive(Debug)]
pub struct PerfettoExporter {
    out: BufWriter<File>,
    buf: Vec<u8>,
    /// Bytes of events written after the header (where the tail goes).
    pos: u64,
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
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        out.write_all(HEADER)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let mut me = PerfettoExporter {
            out,
            buf: Vec::with_capacity(64 * 1024),
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

    /// Writes the closing `]}` at the current end and steps back before it.
    fn finish_file(&mut self) {
        let ok = self.out.write_all(TAIL).is_ok()
            && self.out.flush().is_ok()
            && self
                .out
                .get_ref()
                .set_len(self.pos + TAIL.len() as u64)
                .is_ok()
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
        for (i, chunk) in spans.chunks(256).enumerate() {
            self.buf.clear();
            for (j, s) in chunk.iter().enumerate() {
                let a = is_async.get(i * 256 + j).copied().unwrap_or(false);
                self.span(s, a);
            }
            if self.out.write_all(&self.buf).is_ok() {
                self.pos += self.buf.len() as u64;
            } else {
                super::count_export_errors(1);
                super::count_dropped_spans(chunk.len() as u64);
            }
        }
    }

    fn flush(&mut self) {
        self.finish_file();
    }
}
