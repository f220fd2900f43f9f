//! Unified JSON: one document per trace, one item per line, versioned.
//!
//! ```text
//! {"format":"renacer-unified","version":1,"trace_id":"…","stats":{…},"items":[
//! {"kind":"process","trace_id":…,"span_id":…,"parent_span_id":…|null,"name":…,
//!  "start_ns":…,"end_ns":…,"pid":…,"tid":…,"lamport":…,"depth":…, <kind fields>},
//! …
//! ]}
//! ```
//! Kind fields: process `exe`, `argv`, `exit`; function `module_path`, `file`,
//! `line`, `site_id`, `decision_id`, `thread_name`, `fields`, `status`,
//! `error`; syscall `args`, `ret`, `ret_value`. Ids are lowercase hex strings
//! as in W3C trace context. Items appear in Lamport order. The schema is
//! documented in docs/formats.md (section `unified`).

use std::io::{self, Write};

use super::{ItemSource, UnifiedTrace};
use crate::model::{FieldValue, SpanStatus};
use renacer_format::json;

/// Version of the unified JSON schema written by [`write_json`].
pub const UNIFIED_JSON_VERSION: u32 = 1;

/// A JSON string, escaped by the one escaper every renacer JSON writer
/// uses (`renacer_format::json`).
/// A JSON string, or `null`.
fn js_opt(out: &mut dyn Write, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => js(out, s),
        None => out.write_all(b"null"),
    }
}

fn js(out: &mut dyn Write, s: &str) -> io::Result<()> {
    let mut b = Vec::with_capacity(s.len() + 2);
    json::string(&mut b, s);
    out.write_all(&b)
}

/// A field value, by the shared rule (non-finite floats are `null`).
fn field_value(out: &mut dyn Write, v: &FieldValue) -> io::Result<()> {
    let mut b = Vec::with_capacity(24);
    json::field_value(&mut b, v);
    out.write_all(&b)
}

/// Writes `trace` as unified JSON.
pub fn write_json(trace: &UnifiedTrace, out: &mut dyn Write) -> io::Result<()> {
    let st = &trace.stats;
    write!(
        out,
        "{{\"format\":\"renacer-unified\",\"version\":{UNIFIED_JSON_VERSION},\"trace_id\":\"{}\",\
         \"stats\":{{\"syscalls_in_spans\":{},\"syscalls_in_process\":{},\"spans_reparented\":{},\
         \"synthetic_processes\":{},\"duplicate_spans\":{},\"cycles_broken\":{},\
         \"syscalls_dropped\":{}}},\"items\":[",
        trace.trace_id,
        st.syscalls_in_spans,
        st.syscalls_in_process,
        st.spans_reparented,
        st.synthetic_processes,
        st.duplicate_spans,
        st.cycles_broken,
        st.syscalls_dropped
    )?;
    for (n, it) in trace.items.iter().enumerate() {
        out.write_all(if n == 0 { b"\n" } else { b",\n" })?;
        write!(
            out,
            "{{\"kind\":\"{}\",\"trace_id\":\"{}\",\"span_id\":\"{}\",\"parent_span_id\":",
            it.kind.as_str(),
            trace.trace_id,
            it.span_id
        )?;
        match it.parent_span_id {
            Some(p) => write!(out, "\"{p}\"")?,
            None => out.write_all(b"null")?,
        }
        out.write_all(b",\"name\":")?;
        js(out, trace.name(it))?;
        write!(
            out,
            ",\"start_ns\":{},\"end_ns\":{},\"pid\":{},\"tid\":{},\"lamport\":{},\"depth\":{}",
            it.start_ns, it.end_ns, it.pid, it.tid, it.lamport, it.depth
        )?;
        match it.source {
            ItemSource::Process(i) => {
                let p = &trace.processes[i];
                out.write_all(b",\"exe\":")?;
                js(out, &p.exe)?;
                out.write_all(b",\"argv\":[")?;
                for (k, a) in p.argv.iter().enumerate() {
                    if k > 0 {
                        out.write_all(b",")?;
                    }
                    js(out, a)?;
                }
                out.write_all(b"],\"exit\":")?;
                match &p.exit {
                    Some(e) => js(out, e)?,
                    None => out.write_all(b"null")?,
                }
            }
            ItemSource::Function(i) => {
                let s = &trace.spans[i];
                out.write_all(b",\"module_path\":")?;
                js(out, &s.module_path)?;
                out.write_all(b",\"file\":")?;
                js(out, &s.file)?;
                write!(
                    out,
                    ",\"line\":{},\"site_id\":\"{:016x}\",\"decision_id\":",
                    s.line, s.site_id
                )?;
                match s.decision_id {
                    Some(d) => write!(out, "\"{d:016x}\"")?,
                    None => out.write_all(b"null")?,
                }
                out.write_all(b",\"thread_name\":")?;
                js_opt(out, s.thread_name.as_deref())?;
                out.write_all(b",\"fields\":{")?;
                for (k, (key, v)) in s.fields.iter().enumerate() {
                    if k > 0 {
                        out.write_all(b",")?;
                    }
                    js(out, key)?;
                    out.write_all(b":")?;
                    field_value(out, v)?;
                }
                out.write_all(b"}")?;
                match &s.status {
                    SpanStatus::Unset => out.write_all(b",\"status\":\"unset\",\"error\":null")?,
                    SpanStatus::Error(e) => {
                        out.write_all(b",\"status\":\"error\",\"error\":")?;
                        js(out, e)?;
                    }
                }
            }
            ItemSource::Syscall(i) => {
                let s = &trace.syscalls[i];
                out.write_all(b",\"args\":")?;
                js(out, &s.args)?;
                out.write_all(b",\"ret\":")?;
                js(out, &s.ret)?;
                write!(out, ",\"ret_value\":{}", s.ret_value)?;
                if let Some(src) = &s.source {
                    out.write_all(b",\"source\":{\"file\":")?;
                    js_opt(out, src.file.as_deref())?;
                    match src.line {
                        Some(l) => write!(out, ",\"line\":{l}")?,
                        None => out.write_all(b",\"line\":null")?,
                    }
                    out.write_all(b",\"function\":")?;
                    js_opt(out, src.function.as_deref())?;
                    out.write_all(b"}")?;
                }
            }
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"\n]}\n")
}
