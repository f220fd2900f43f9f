//! Machine-readable output: `--format jsonl` (one object per line) and
//! `--format json` (`{"version":1,"events":[...]}`). Schema: docs/formats.md,
//! section cli-json. Written by hand to keep the tracer free of serde.

use super::{Event, Sink};
use crate::decode::{ret, signals};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Schema version written in every document / line.
pub(super) const VERSION: u32 = 1;

/// JSON or JSON-lines sink.
pub(crate) struct JsonSink {
    out: Box<dyn Write>,
    lines: bool,
    first: bool,
}

impl JsonSink {
    /// `lines`: JSON lines instead of one document.
    pub(crate) fn new(out: Box<dyn Write>, lines: bool) -> Self {
        JsonSink {
            out,
            lines,
            first: true,
        }
    }
}

/// A JSON string literal.
pub(super) fn quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// `,"source":{...}` (and `,"stack":[...]` with `-k`) of a syscall.
fn source_fields(src: &crate::source::SyscallSource) -> String {
    let opt_str = |v: Option<&str>| v.map(quote).unwrap_or_else(|| "null".into());
    let opt_num = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_else(|| "null".into());
    let frame = |f: &renacer_trace::CodeLocation| {
        format!(
            "{{\"file\":{},\"line\":{},\"function\":{}}}",
            opt_str(f.file.as_deref()),
            opt_num(f.line),
            opt_str(f.function.as_deref())
        )
    };
    let mut out = String::from(",\"source\":");
    match &src.location {
        Some(l) => out.push_str(&frame(l)),
        None => out.push_str("null"),
    }
    if let Some(stack) = &src.stack {
        let frames: Vec<String> = stack
            .iter()
            .map(|f| {
                let inlined: Vec<String> = f.frames.iter().map(frame).collect();
                format!(
                    "{{\"pc\":{},\"object\":{},\"offset\":{},\"symbol\":{},\"symbol_offset\":{},\"frames\":[{}]}}",
                    f.pc,
                    opt_str(f.object.as_deref()),
                    f.offset,
                    opt_str(f.symbol.as_ref().map(|s| s.0.as_str())),
                    f.symbol.as_ref().map(|s| s.1.to_string()).unwrap_or_else(|| "null".into()),
                    inlined.join(",")
                )
            })
            .collect();
        out.push_str(&format!(",\"stack\":[{}]", frames.join(",")));
    }
    out
}

/// One event as a JSON object.
/// `None` for events the JSON schema has no object for (process events,
/// which this sink never asks for).
pub(super) fn object(ev: &Event) -> Option<String> {
    Some(match ev {
        Event::Syscall(s) => {
            let args: Vec<String> = s.args.iter().map(|a| a.to_string()).collect();
            let (ret, errno) = match (s.ret, s.is_error) {
                (Some(r), true) => (r.to_string(), quote(&ret::errno_name((-r) as i32))),
                (Some(r), false) => (r.to_string(), "null".into()),
                (None, _) => ("null".into(), "null".into()),
            };
            let exit = s.exit_ns.map(|x| x.to_string()).unwrap_or("null".into());
            let dur = s.exit_ns.map(|x| x.saturating_sub(s.entry_ns).to_string()).unwrap_or("null".into());
            let source = s.source.as_deref().map(source_fields).unwrap_or_default();
            format!(
                "{{\"type\":\"syscall\",\"pid\":{},\"tid\":{},\"arch\":\"{}\",\"nr\":{},\"name\":{},\
                 \"args\":{},\"raw_args\":[{}],\"ret\":{ret},\"errno\":{errno},\"ret_text\":{},\
                 \"entry_ns\":{},\"exit_ns\":{exit},\"duration_ns\":{dur}{source}}}",
                s.pid,
                s.tid,
                s.arch,
                s.nr,
                quote(&s.name),
                quote(&s.args_text),
                args.join(","),
                quote(&s.ret_text),
                s.entry_ns
            )
        }
        Event::Signal { pid, tid, ts_ns, signo, info, .. } => format!(
            "{{\"type\":\"signal\",\"pid\":{pid},\"tid\":{tid},\"ts_ns\":{ts_ns},\"signal\":\"{}\",\"info\":{}}}",
            signals::name(*signo),
            quote(info)
        ),
        Event::Stopped { pid, tid, ts_ns, signo } => format!(
            "{{\"type\":\"stopped\",\"pid\":{pid},\"tid\":{tid},\"ts_ns\":{ts_ns},\"signal\":\"{}\"}}",
            signals::name(*signo)
        ),
        Event::Exited { pid, tid, ts_ns, code } => format!(
            "{{\"type\":\"exited\",\"pid\":{pid},\"tid\":{tid},\"ts_ns\":{ts_ns},\"code\":{code}}}"
        ),
        Event::Killed { pid, tid, ts_ns, signo, core } => format!(
            "{{\"type\":\"killed\",\"pid\":{pid},\"tid\":{tid},\"ts_ns\":{ts_ns},\"signal\":\"{}\",\"core_dumped\":{core}}}",
            signals::name(*signo)
        ),
        Event::Superseded { pid, tid, ts_ns, by_tid } => format!(
            "{{\"type\":\"superseded\",\"pid\":{pid},\"tid\":{tid},\"ts_ns\":{ts_ns},\"by_tid\":{by_tid}}}"
        ),
        Event::Spawned { .. } | Event::Exec { .. } => return None,
    })
}

impl Sink for JsonSink {
    fn event(&mut self, ev: &Event, _multi: bool) -> io::Result<()> {
        let Some(obj) = object(ev) else {
            return Ok(());
        };
        if self.lines {
            writeln!(self.out, "{obj}")
        } else {
            let lead = if self.first {
                format!("{{\"version\":{VERSION},\"events\":[\n")
            } else {
                ",\n".into()
            };
            self.first = false;
            write!(self.out, "{lead}{obj}")
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.lines {
            if self.first {
                write!(self.out, "{{\"version\":{VERSION},\"events\":[")?;
                self.first = false;
            }
            writeln!(self.out, "\n]}}")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"");
    }
}
