//! Perfetto / Chrome Trace Event JSON of a unified trace: one track per
//! thread, named processes and threads, function spans as complete (`X`)
//! slices with the syscalls they issued nested inside (nesting follows from
//! time containment, which the merge guarantees for parented syscalls).
//! Opens in ui.perfetto.dev and chrome://tracing.
//!
//! Processes are metadata (`process_name`, with pid and command line), not
//! slices: a slice spanning the whole process would only add a level above
//! every thread's work. Times are microseconds with nanosecond decimals,
//! printed from integers so no precision is lost to floats.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{ItemSource, UnifiedTrace};
use crate::model::SpanKind;

fn js(out: &mut dyn Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::other)
}

fn us(ns: u64) -> String {
    format!("{}.{:03}", ns / 1_000, ns % 1_000)
}

/// Writes `trace` as Chrome Trace Event JSON.
pub fn write_perfetto(trace: &UnifiedTrace, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"{\"displayTimeUnit\":\"ns\",\"otherData\":{\"trace_id\":")?;
    js(out, &trace.trace_id.to_string())?;
    out.write_all(b"},\"traceEvents\":[")?;
    let mut first = true;
    let mut sep = |out: &mut dyn Write| -> io::Result<()> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        Ok(())
    };
    // Thread names: the SDK knows them; otherwise "main" for the main thread.
    let mut threads: BTreeMap<(u32, u32), Option<&str>> = BTreeMap::new();
    for it in &trace.items {
        let name = match it.source {
            ItemSource::Function(i) => trace.spans[i].thread_name.as_deref(),
            _ => None,
        };
        let e = threads.entry((it.pid, it.tid)).or_insert(None);
        if e.is_none() {
            *e = name;
        }
    }
    for it in &trace.items {
        if let ItemSource::Process(i) = it.source {
            let p = &trace.processes[i];
            sep(out)?;
            write!(out, "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{},\"tid\":{},\"args\":{{\"name\":", it.pid, it.pid)?;
            let label = if p.argv.is_empty() {
                trace.name(it).to_string()
            } else {
                p.argv.join(" ")
            };
            js(out, &label)?;
            out.write_all(b"}}")?;
        }
    }
    for (&(pid, tid), name) in &threads {
        sep(out)?;
        write!(out, "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{pid},\"tid\":{tid},\"args\":{{\"name\":")?;
        let fallback = if tid == pid {
            "main".to_string()
        } else {
            format!("thread {tid}")
        };
        js(out, name.unwrap_or(&fallback))?;
        out.write_all(b"}}")?;
    }
    for it in &trace.items {
        if it.kind == SpanKind::Process {
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
        sep(out)?;
        out.write_all(b"{\"ph\":\"X\",\"name\":")?;
        js(out, trace.name(it))?;
        write!(
            out,
            ",\"cat\":\"{}\",\"pid\":{},\"tid\":{},\"ts\":{},\"dur\":{},\"args\":{{\"span_id\":\"{}\",\"lamport\":{}",
            it.kind.as_str(),
            it.pid,
            it.tid,
            us(it.start_ns),
            us(end_ns.saturating_sub(it.start_ns)),
            it.span_id,
            it.lamport
        )?;
        match it.source {
            ItemSource::Syscall(k) => {
                let s = &trace.syscalls[k];
                out.write_all(b",\"args\":")?;
                js(out, &s.args)?;
                out.write_all(b",\"ret\":")?;
                js(out, &s.ret)?;
                write!(out, ",\"end_ns\":{}", it.end_ns)?;
            }
            ItemSource::Function(k) => {
                let s = &trace.spans[k];
                if !s.file.is_empty() {
                    out.write_all(b",\"code\":")?;
                    js(out, &format!("{}:{}", s.file, s.line))?;
                }
            }
            ItemSource::Process(_) => {}
        }
        out.write_all(b"}}")?;
    }
    out.write_all(b"\n]}\n")
}
