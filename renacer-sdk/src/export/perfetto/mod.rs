//! Chrome Trace Event / Perfetto JSON (`{"traceEvents":[...]}`), the format
//! ui.perfetto.dev and chrome://tracing open. Documented in
//! `docs/formats.md`, section "Perfetto".
//!
//! Sync spans become complete events (`"ph":"X"`) on their thread, which
//! nest like the call stack. Async spans may overlap anything on their
//! thread, so they become async slices (`"ph":"b"`/`"e"` with an `id`) that
//! the viewers draw on their own tracks. Timestamps are microseconds with
//! three decimals (exact nanoseconds) of `CLOCK_MONOTONIC`. Processes are
//! named (`process_name` metadata: the executable's file name, or the name
//! of a process span) rather than drawn as slices; threads are named after
//! the span's `thread_name` when one is known.
//!
//! The format itself (envelope, events, args) is `renacer_format::perfetto`,
//! shared with the unified trace's writer in `renacer-trace`, which also
//! owns everything about processes and syscalls; this sink only ever sees
//! the SDK's function spans.
//!
//! The file is valid JSON after every flush: the closing `]}` is written,
//! then overwritten by the next batch, so a killed program still leaves a
//! loadable trace up to its last flush.

use renacer_format::perfetto::{self as events, thread_label, Events, Slice};

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::Exporter;
use crate::model::SpanRecord;

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
    events: Events,
    /// Processes and threads whose name metadata was written, and whether
    /// that name was a real one (`false`: a fallback such as `thread 12`,
    /// replaced when a span brings the real name).
    pids: HashMap<u32, bool>,
    tids: HashMap<(u32, u32), bool>,
    /// This process's id (`std::process::id()` is a syscall: not per span)
    /// and name (its executable's file name, looked up once).
    own_pid: u32,
    own_name: Option<String>,
    /// The last span's thread and whether its name is a real one: spans
    /// come in runs per thread, so most skip the maps.
    last_track: Option<(u32, u32, bool)>,
    /// GPU (device, stream) tracks whose name was written.
    gpu_tracks: HashSet<renacer_format::gpu::GpuTrack>,
}

impl PerfettoExporter {
    /// Creates (truncates) the trace file at `path`.
    pub fn create(path: impl AsRef<Path>) -> Result<PerfettoExporter, String> {
        Self::create_for(path, &super::service_name(None))
    }

    /// As [`PerfettoExporter::create`], the file naming `service`.
    pub fn create_for(path: impl AsRef<Path>, service: &str) -> Result<PerfettoExporter, String> {
        let path = path.as_ref();
        if path.as_os_str().is_empty() {
            return Err("perfetto sink needs a path (perfetto:PATH)".into());
        }
        let mut path = super::file::expand(&path.to_string_lossy());
        let (mut out, mut opened) = super::file::open(&path, false)?;
        if opened == super::file::Opened::Shared {
            // One JSON document has one writer: another process holds this
            // one, so this process writes its own next to it.
            let own = PathBuf::from(format!("{}.{}", path.display(), std::process::id()));
            eprintln!(
                "renacer: perfetto:{} is being written by another process; writing {}",
                path.display(),
                own.display()
            );
            path = own;
            (out, opened) = super::file::open(&path, false)?;
        }
        let mut events = Events::default();
        let pos = match continue_at(&mut out, opened) {
            Some(pos) => {
                // This process wrote it before (re-init): keep its events.
                events.continuing();
                pos
            }
            None => {
                let mut header = Vec::new();
                events::header(&mut header, None, Some(service));
                // Fresh files are empty already; a continued one that does
                // not end like ours is started over.
                let regular = out.metadata().is_ok_and(|m| m.is_file());
                (if regular { out.set_len(0) } else { Ok(()) })
                    .and_then(|()| out.seek(SeekFrom::Start(0)))
                    .and_then(|_| out.write_all(&header))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                header.len() as u64
            }
        };
        let mut me = PerfettoExporter {
            out,
            buf: Vec::with_capacity(WRITE_CHUNK + 64 * 1024),
            pending_spans: 0,
            pos,
            events,
            pids: HashMap::new(),
            tids: HashMap::new(),
            own_pid: std::process::id(),
            own_name: None,
            last_track: None,
            gpu_tracks: HashSet::new(),
        };
        me.finish_file();
        Ok(me)
    }

    /// Writes name metadata for the span's process and thread the first
    /// time they appear, and again when a span first brings a real name
    /// where a fallback was written.
    fn metadata(&mut self, s: &SpanRecord) {
        let named = s.thread_name.as_deref().is_some_and(|n| !n.is_empty());
        if let Some((pid, tid, has_name)) = self.last_track {
            // Same thread as the last span: only a first real thread name
            // could add anything.
            if (pid, tid) == (s.pid, s.tid) && (has_name || !named) {
                return;
            }
        }
        // This process is named after its executable; others (spans a
        // custom pipeline forwards) by pid until nothing better is known.
        let real = s.pid == self.own_pid;
        let seen = self.pids.get(&s.pid).copied();
        if seen.is_none() || (real && seen == Some(false)) {
            self.pids.insert(s.pid, real);
            let name = if s.pid == self.own_pid {
                self.own_name
                    .get_or_insert_with(|| {
                        super::own_process_name().unwrap_or_else(|| format!("pid {}", self.own_pid))
                    })
                    .clone()
            } else {
                format!("pid {}", s.pid)
            };
            self.events.process_name(&mut self.buf, s.pid, &name);
        }
        let seen = self.tids.get(&(s.pid, s.tid)).copied();
        if seen.is_none() || (named && seen == Some(false)) {
            self.tids.insert((s.pid, s.tid), named);
            let name = thread_label(s.pid, s.tid, s.thread_name.as_deref());
            self.events.thread_name(&mut self.buf, s.pid, s.tid, &name);
        }
        self.last_track = Some((s.pid, s.tid, named || seen == Some(true)));
    }

    fn span(&mut self, s: &SpanRecord) {
        self.metadata(s);
        if renacer_format::gpu::is_gpu(s.kind) {
            let ids = (s.trace_id, s.parent_span_id);
            self.events
                .gpu_item(&mut self.buf, s, ids, &mut self.gpu_tracks);
            return;
        }
        let slice = Slice {
            name: &s.name,
            cat: s.kind.as_str(),
            pid: s.pid,
            tid: s.tid,
            start_ns: s.start_ns,
            end_ns: s.end_ns,
        };
        let mut args = if s.flags.is_async() {
            self.events.async_slice(&mut self.buf, &slice, s.span_id.0)
        } else {
            self.events.complete(&mut self.buf, &slice)
        };
        args.span(s, s.trace_id, s.parent_span_id);
    }

    /// Writes the buffered events at `pos`.
    fn write_buf(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        // The events and the closing `]}` go out in one write, then the
        // offset steps back before the closing: the file is a complete
        // document after every write, so a SIGKILL or SIGTERM between two
        // writes (no exit handler runs then) leaves it loadable.
        let events_len = self.buf.len() as u64;
        self.buf.extend_from_slice(events::TAIL);
        let written = self.out.write_all(&self.buf).is_ok();
        if written {
            self.pos += events_len;
        } else {
            super::count_export_errors(1);
            super::count_dropped_spans(self.pending_spans);
        }
        // Re-sync with where the events end (the closing follows there).
        if self.out.seek(SeekFrom::Start(self.pos)).is_err() && written {
            super::count_export_errors(1);
        }
        self.buf.clear();
        self.pending_spans = 0;
    }

    /// Writes pending events (with the closing `]}`, see `write_buf`) and
    /// trims anything after the closing.
    fn finish_file(&mut self) {
        if self.buf.is_empty() {
            // Nothing new: make sure the closing is there (a fresh file).
            self.buf.clear();
            let ok = self.out.write_all(events::TAIL).is_ok()
                && self.out.seek(SeekFrom::Start(self.pos)).is_ok();
            if !ok {
                super::count_export_errors(1);
            }
        } else {
            self.write_buf();
        }
        if self.out.metadata().is_ok_and(|m| m.is_file())
            && self
                .out
                .set_len(self.pos + events::TAIL.len() as u64)
                .is_err()
        {
            super::count_export_errors(1);
        }
    }
}

/// Where a file this process wrote before continues: just before its
/// closing `]}` (which the next events overwrite), if it ends with one.
fn continue_at(out: &mut File, opened: super::file::Opened) -> Option<u64> {
    use std::io::Read;
    if opened != super::file::Opened::Continued {
        return None;
    }
    let len = out.metadata().ok()?.len();
    let tail_len = events::TAIL.len() as u64;
    if len < tail_len {
        return None;
    }
    let mut tail = vec![0u8; events::TAIL.len()];
    out.seek(SeekFrom::Start(len - tail_len)).ok()?;
    out.read_exact(&mut tail).ok()?;
    (tail == events::TAIL).then_some(len - tail_len)
}

impl Exporter for PerfettoExporter {
    fn export(&mut self, spans: &[SpanRecord]) {
        for s in spans {
            self.span(s);
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
