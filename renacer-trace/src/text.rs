//! Text output of a unified trace: strace-style syscall lines with function
//! enter (`→ name`) and exit (`← name`) lines around them.
//!
//! Processes are printed one after another in causal (Lamport) order, each
//! with its own events in time order: all events of one process share one
//! clock, so time orders them exactly, while across processes only the
//! causal order is meaningful. Threads of a process are interleaved by time,
//! like `strace -f`. A line starts with `[pid P]`, or `[pid P:T]` for a
//! thread `T` other than the main one.

use std::io::{self, Write};

use super::{ItemSource, UnifiedItem, UnifiedTrace};
use crate::model::SpanKind;

/// Options of [`write_text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextOptions {
    /// Indent lines by their depth under the process (two spaces a level).
    pub indent: bool,
    /// Prefix lines with the `CLOCK_MONOTONIC` time, `seconds.micros`.
    pub timestamps: bool,
    /// Append `<seconds>` durations to syscall and function-exit lines
    /// (strace's `-T`).
    pub durations: bool,
}

impl Default for TextOptions {
    fn default() -> TextOptions {
        TextOptions {
            indent: true,
            timestamps: false,
            durations: false,
        }
    }
}

/// One line to print, sorted within its process.
#[derive(Clone, Copy)]
struct Event {
    time: u64,
    /// Exits before enters at the same instant (a span ending at `t` does
    /// not contain what starts at `t`), deeper exits first, shallower
    /// enters first. [`SIGNAL`] events come last; their `item` indexes
    /// [`UnifiedTrace::signals`].
    class: u8,
    order: u32,
    item: u32,
}

/// [`Event::class`] of a signal line.
const SIGNAL: u8 = 2;

fn secs(ns: u64) -> String {
    format!("{}.{:06}", ns / 1_000_000_000, (ns % 1_000_000_000) / 1_000)
}

/// Writes `trace` as text.
pub fn write_text(trace: &UnifiedTrace, out: &mut dyn Write, opts: TextOptions) -> io::Result<()> {
    writeln!(
        out,
        "# renacer unified trace {} ({} processes, {} function spans, {} syscalls)",
        trace.trace_id,
        trace.processes.len(),
        trace.spans.len(),
        trace.syscalls.len()
    )?;
    // Group item indices per process item, in Lamport order of processes.
    let mut proc_items: Vec<usize> = Vec::new();
    let mut slot_of_pid = std::collections::HashMap::new();
    for (i, it) in trace.items.iter().enumerate() {
        if it.kind == SpanKind::Process {
            slot_of_pid.entry(it.pid).or_insert(proc_items.len());
            proc_items.push(i);
        }
    }
    let mut events: Vec<Vec<Event>> = vec![Vec::new(); proc_items.len()];
    for (i, it) in trace.items.iter().enumerate() {
        if it.kind == SpanKind::Process {
            continue;
        }
        let Some(&slot) = slot_of_pid.get(&it.pid) else {
            continue;
        };
        let ev = &mut events[slot];
        ev.push(Event {
            time: it.start_ns,
            class: 1,
            order: it.depth,
            item: i as u32,
        });
        // A captured decision is an instant: one line, no exit.
        if it.kind.is_in_process() && it.kind != SpanKind::Decision {
            ev.push(Event {
                time: it.end_ns,
                class: 0,
                order: u32::MAX - it.depth,
                item: i as u32,
            });
        }
    }
    for (k, sig) in trace.signals.iter().enumerate() {
        if let Some(&slot) = slot_of_pid.get(&sig.pid) {
            events[slot].push(Event {
                time: sig.ts_ns,
                class: SIGNAL,
                order: 0,
                item: k as u32,
            });
        }
    }
    for (slot, &pi) in proc_items.iter().enumerate() {
        let p_item = &trace.items[pi];
        let ItemSource::Process(pidx) = p_item.source else {
            continue;
        };
        let p = &trace.processes[pidx];
        let ev = &mut events[slot];
        ev.sort_unstable_by_key(|e| (e.time, e.class, e.order, e.item));
        let prefix = |it: &UnifiedItem| {
            if it.tid == it.pid {
                format!("[pid {}]", it.pid)
            } else {
                format!("[pid {}:{}]", it.pid, it.tid)
            }
        };
        let stamp = |ns: u64| {
            if opts.timestamps {
                format!("{} ", secs(ns))
            } else {
                String::new()
            }
        };
        let argv = if p.argv.is_empty() {
            p.exe.clone()
        } else {
            p.argv.join(" ")
        };
        let parent = p_item
            .parent
            .map(|x| format!(" (from pid {})", trace.items[x].pid))
            .unwrap_or_default();
        writeln!(
            out,
            "{} {}+++ process {} {argv}{parent} +++",
            prefix(p_item),
            stamp(p_item.start_ns),
            trace.name(p_item)
        )?;
        // Indent level of each thread's current innermost span's children,
        // for signal lines (which are not items and have no depth).
        let mut level: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
        for e in ev.iter() {
            if e.class == SIGNAL {
                let sig = &trace.signals[e.item as usize];
                let lvl = if opts.indent {
                    level.get(&sig.tid).copied().unwrap_or(0)
                } else {
                    0
                };
                let who = if sig.tid == sig.pid {
                    format!("[pid {}]", sig.pid)
                } else {
                    format!("[pid {}:{}]", sig.pid, sig.tid)
                };
                writeln!(
                    out,
                    "{who} {}{}--- {} ---",
                    stamp(e.time),
                    "  ".repeat(lvl),
                    sig.text
                )?;
                continue;
            }
            let it = &trace.items[e.item as usize];
            if it.kind.is_in_process() {
                let inner = it.depth.saturating_sub(p_item.depth) as usize;
                let lvl = if e.class == 1 {
                    inner
                } else {
                    inner.saturating_sub(1)
                };
                level.insert(it.tid, lvl);
            }
            let indent = if opts.indent {
                "  ".repeat(it.depth.saturating_sub(p_item.depth + 1) as usize)
            } else {
                String::new()
            };
            let dur = |it: &UnifiedItem| {
                if opts.durations {
                    format!(" <{}>", secs(it.end_ns.saturating_sub(it.start_ns)))
                } else {
                    String::new()
                }
            };
            match it.source {
                ItemSource::Function(k) if it.kind == SpanKind::Decision => writeln!(
                    out,
                    "{} {}{indent}◆ {}{}",
                    prefix(it),
                    stamp(e.time),
                    trace.name(it),
                    decision_detail(&trace.spans[k])
                )?,
                ItemSource::Function(k) if e.class == 1 => writeln!(
                    out,
                    "{} {}{indent}→ {}{}",
                    prefix(it),
                    stamp(e.time),
                    trace.name(it),
                    compute_detail(&trace.spans[k])
                )?,
                ItemSource::Function(k) => writeln!(
                    out,
                    "{} {}{indent}← {}{}{}",
                    prefix(it),
                    stamp(e.time),
                    trace.name(it),
                    renacer_format::gpu::detail(&trace.spans[k]),
                    dur(it)
                )?,
                ItemSource::Syscall(k) => {
                    let s = &trace.syscalls[k];
                    writeln!(
                        out,
                        "{} {}{indent}{}({}) = {}{}",
                        prefix(it),
                        stamp(e.time),
                        s.name,
                        s.args,
                        s.ret,
                        dur(it)
                    )?
                }
                ItemSource::Process(_) => {}
            }
        }
        if let Some(exit) = &p.exit {
            writeln!(
                out,
                "{} {}+++ {exit} +++",
                prefix(p_item),
                stamp(p_item.end_ns)
            )?;
        }
    }
    Ok(())
}

/// ` [avx2, 524288 f32]` after a compute block's name (and what was asked
/// for, when a lesser kernel ran); empty for other spans.
fn compute_detail(s: &crate::model::SpanRecord) -> String {
    use crate::model::FieldValue;
    if s.kind != SpanKind::Compute {
        return String::new();
    }
    let get = |key: &str| s.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let text = |key: &str| match get(key) {
        Some(FieldValue::Str(v)) => Some(v.to_string()),
        Some(FieldValue::U64(v)) => Some(v.to_string()),
        Some(FieldValue::I64(v)) => Some(v.to_string()),
        _ => None,
    };
    let mut parts = vec![text("compute.backend").unwrap_or_else(|| "?".into())];
    if let (Some(n), Some(t)) = (text("compute.elements"), text("compute.data_type")) {
        parts.push(format!("{n} {t}"));
    }
    if let Some(asked) = text("compute.backend_requested") {
        let how = if matches!(get("compute.fallback"), Some(FieldValue::Bool(true))) {
            "fallback from"
        } else {
            "asked"
        };
        parts.push(format!("{how} {asked}"));
    }
    format!(" [{}]", parts.join(", "))
}

/// ` input=… → result` after a captured decision's name.
fn decision_detail(s: &crate::model::SpanRecord) -> String {
    use crate::model::FieldValue;
    let get = |key: &str| {
        s.fields.iter().find_map(|(k, v)| match v {
            FieldValue::Str(v) if k == key => Some(v.to_string()),
            _ => None,
        })
    };
    let mut out = format!(
        " input={}",
        get("decision.input").unwrap_or_else(|| "null".into())
    );
    if let Some(r) = get("decision.result") {
        out.push_str(&format!(" → {r}"));
    }
    out
}
