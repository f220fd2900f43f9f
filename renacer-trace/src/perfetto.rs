//! Perfetto / Chrome Trace Event JSON of a unified trace: one track per
//! thread, named processes and threads, GPU items on a track per device
//! stream with a flow arrow from their launch, function spans as complete (`X`)
//! slices with the syscalls they issued nested inside (nesting follows from
//! time containment, which the merge guarantees for parented syscalls).
//! Opens in ui.perfetto.dev and chrome://tracing.
//!
//! The events are written by the SDK's Perfetto format module
//! (`export::perfetto::events`), the same code as the `perfetto:` sink, so
//! both files follow one definition. Processes are metadata
//! (`process_name`: the executable's file name; viewers show the pid next to
//! it), not slices: a slice spanning the whole process would only add a
//! level above every thread's work. A thread is named after the SDK's
//! `thread_name` of its spans when the program reported one.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};

use super::{process_name, ItemSource, UnifiedTrace};
use renacer_format::gpu;
use renacer_format::perfetto::{self as events, thread_label, Events, Slice};

use crate::model::SpanKind;

/// Bytes buffered before a write.
const WRITE_CHUNK: usize = 1 << 20;

/// Writes `trace` as Chrome Trace Event JSON.
pub fn write_perfetto(trace: &UnifiedTrace, out: &mut dyn Write) -> io::Result<()> {
    let mut buf = Vec::with_capacity(64 * 1024);
    events::header(&mut buf, Some(trace.trace_id), None);
    let mut ev = Events::default();
    for it in &trace.items {
        if let ItemSource::Process(i) = it.source {
            ev.process_name(&mut buf, it.pid, process_name(&trace.processes[i]));
        }
    }
    // A thread's name: the first one its SDK spans report.
    let mut threads: BTreeMap<(u32, u32), Option<&str>> = BTreeMap::new();
    for it in &trace.items {
        let name = match it.source {
            ItemSource::Function(i) => trace.spans[i].thread_name.as_deref(),
            _ => None,
        };
        let known = threads.entry((it.pid, it.tid)).or_insert(None);
        if known.is_none() {
            *known = name.filter(|n| !n.is_empty());
        }
    }
    for (&(pid, tid), &name) in &threads {
        ev.thread_name(&mut buf, pid, tid, &thread_label(pid, tid, name));
    }
    let mut gpu_tracks = HashSet::new();
    for it in &trace.items {
        if it.kind == SpanKind::Process {
            continue;
        }
        if let (ItemSource::Function(k), true) = (it.source, gpu::is_gpu(it.kind)) {
            let ids = (trace.trace_id, it.parent_span_id);
            ev.gpu_item(&mut buf, &trace.spans[k], ids, &mut gpu_tracks);
            continue;
        }
        // The tracer stamps a syscall's exit late (after its ptrace stop), so
        // it can pass its span's end; complete events must nest on a track,
        // so the slice is cut at the span's end (`args.end_ns` keeps the
        // recorded time).
        let mut end_ns = it.end_ns;
        if let (SpanKind::Syscall, Some(p)) = (it.kind, it.parent.map(|p| &trace.items[p])) {
            if p.kind == SpanKind::Function && p.tid == it.tid {
                end_ns = end_ns.min(p.end_ns).max(it.start_ns);
            }
        }
        let slice = Slice {
            name: trace.name(it),
            cat: it.kind.as_str(),
            pid: it.pid,
            tid: it.tid,
            start_ns: it.start_ns,
            end_ns,
        };
        // Async SDK spans (flag from the spool, format v2) may overlap
        // anything on their thread: async slices, on their own track, so
        // the thread's complete slices stay nested.
        let is_async = match it.source {
            ItemSource::Function(k) => trace.spans[k].flags.is_async(),
            _ => false,
        };
        let mut args = if is_async {
            ev.async_slice(&mut buf, &slice, it.span_id.0)
        } else {
            ev.complete(&mut buf, &slice)
        };
        match it.source {
            ItemSource::Function(k) => {
                args.span(&trace.spans[k], trace.trace_id, it.parent_span_id);
            }
            ItemSource::Syscall(k) => {
                let s = &trace.syscalls[k];
                args.id64("span_id", it.span_id.0);
                if let Some(p) = it.parent_span_id {
                    args.id64("parent_span_id", p.0);
                }
                args.str("args", &s.args)
                    .str("ret", &s.ret)
                    .int("ret_value", s.ret_value)
                    .uint("end_ns", it.end_ns);
            }
            ItemSource::Process(_) => {}
        }
        args.uint("lamport", it.lamport);
        drop(args);
        if buf.len() >= WRITE_CHUNK {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(events::TAIL);
    out.write_all(&buf)
}
