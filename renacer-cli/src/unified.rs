//! `--format unified|unified-json|perfetto`: the unified trace. The traced
//! program gets `TRACEPARENT` and `RENACER_SPOOL` (see
//! [`renacer_trace::SpoolSession`]); every syscall and exit goes to a
//! [`UnifiedBuilder`]; at the end the spools are read, merged with the
//! syscalls (each syscall under the innermost `#[renacer::trace]` span of
//! its thread) and written in the chosen format, and sent as span records
//! to the SDK sinks named by `--export` (OTLP, JSON lines, Perfetto file).

use std::io::{self, Write};

use renacer_trace::{
    write_json, write_perfetto, write_text, SignalRecord, SpoolSession, SyscallRecord, TextOptions,
    UnifiedBuilder,
};

use crate::args::{Format, Options, Timestamps};
use crate::output::{Event, Sink};

/// Collects the run and writes the merged trace on [`Sink::finish`].
pub(crate) struct UnifiedSink {
    out: Box<dyn Write>,
    format: Format,
    text: TextOptions,
    session: SpoolSession,
    builder: Option<UnifiedBuilder>,
    exporters: Vec<Box<dyn renacer::Exporter>>,
    /// `--export perfetto:PATH` files: written by the unified trace's own
    /// Perfetto writer, which knows processes and syscalls (the SDK's
    /// `perfetto:` sink only knows function spans).
    perfetto_files: Vec<std::path::PathBuf>,
    /// Signals and stops for the text output (`--- SIGCHLD {...} ---`).
    signals: Vec<SignalRecord>,
    signals_dropped: u64,
    /// `[DECISION]` lines the program wrote to stderr.
    decisions: crate::capture::DecisionCapture,
}

/// Signal lines kept at most (the trace is held in memory until the run
/// ends; a program can take signals in a loop). Later ones are counted.
const SIGNAL_LIMIT: usize = 1_000_000;

impl UnifiedSink {
    /// A sink for `opts.format` (one of the unified formats) writing to `out`.
    /// Fails if a `--export` sink cannot be built.
    pub(crate) fn new(out: Box<dyn Write>, opts: &Options) -> io::Result<UnifiedSink> {
        let mut exporters = Vec::new();
        let mut perfetto_files = Vec::new();
        for spec in &opts.export {
            let mut sdk_specs = Vec::new();
            for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match item.strip_prefix("perfetto:") {
                    Some("") => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            "--export perfetto needs a path (perfetto:PATH)",
                        ))
                    }
                    Some(path) => perfetto_files.push(path.into()),
                    None => sdk_specs.push(item),
                }
            }
            let (sinks, errors) = renacer::export::parse_output(&sdk_specs.join(","));
            if let Some(e) = errors.into_iter().next() {
                // InvalidInput: the user's spec is wrong (exit 2, like a bad flag).
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("--export {e}"),
                ));
            }
            exporters.extend(sinks);
        }
        let session = SpoolSession::create()?;
        let argv = match (&opts.command[..], &opts.pids[..]) {
            ([], &[pid]) => crate::procfs::cmdline(pid),
            (cmd, _) => cmd
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        };
        let builder = UnifiedBuilder::new(
            Some(session.trace_id()),
            Some(session.root_span_id()),
            session.external_parent(),
            argv,
        );
        Ok(UnifiedSink {
            out,
            format: opts.format,
            text: TextOptions {
                indent: true,
                timestamps: opts.timestamps != Timestamps::None,
                durations: opts.syscall_times,
            },
            session,
            builder: Some(builder),
            exporters,
            perfetto_files,
            signals: Vec::new(),
            signals_dropped: 0,
            decisions: Default::default(),
        })
    }
}

impl UnifiedSink {
    fn signal(&mut self, pid: i32, tid: i32, ts_ns: u64, text: String) {
        if self.signals.len() >= SIGNAL_LIMIT {
            self.signals_dropped += 1;
            return;
        }
        self.signals.push(SignalRecord {
            pid: u32_of(pid),
            tid: u32_of(tid),
            ts_ns,
            text,
        });
    }
}

/// Captured decisions as span records of kind `decision` at the time of
/// their write; the merge puts each under the span open on its thread then.
fn decision_spans(
    decisions: &[crate::capture::Captured],
    trace_id: renacer::model::TraceId,
) -> Vec<renacer::model::SpanRecord> {
    use renacer::model::{FieldValue, SpanId, SpanKind, SpanRecord, SpanStatus};
    use std::borrow::Cow;
    decisions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut fields = vec![
                (
                    Cow::Borrowed("decision.category"),
                    FieldValue::Str(d.category.clone().into()),
                ),
                (
                    Cow::Borrowed("decision.name"),
                    FieldValue::Str(d.name.clone().into()),
                ),
                (
                    Cow::Borrowed("decision.input"),
                    FieldValue::Str(d.input.clone().into()),
                ),
            ];
            if let Some(r) = &d.result {
                fields.push((
                    Cow::Borrowed("decision.result"),
                    FieldValue::Str(r.clone().into()),
                ));
            }
            SpanRecord {
                trace_id,
                // Distinct from SDK ids (random) in all but astronomically
                // rare cases; the merge deduplicates by id.
                span_id: SpanId(
                    renacer_format::hash::splitmix64(
                        (trace_id.0 as u64) ^ 0xdec1_5105 ^ (i as u64) << 20,
                    ) | 1,
                ),
                parent_span_id: None,
                name: Cow::Owned(format!("{}::{}", d.category, d.name)),
                kind: SpanKind::Decision,
                flags: Default::default(),
                start_ns: d.ts_ns,
                end_ns: d.ts_ns,
                pid: u32_of(d.pid),
                tid: u32_of(d.tid),
                thread_name: None,
                site_id: 0,
                decision_id: None,
                module_path: Cow::Borrowed(""),
                file: Cow::Borrowed(""),
                line: 0,
                fields,
                status: SpanStatus::Unset,
            }
        })
        .collect()
}

fn u32_of(id: i32) -> u32 {
    u32::try_from(id).unwrap_or(0)
}

impl Sink for UnifiedSink {
    fn event(&mut self, ev: &Event, _multi: bool) -> io::Result<()> {
        let Some(b) = self.builder.as_mut() else {
            return Ok(());
        };
        match ev {
            Event::Syscall(s) => {
                self.decisions.syscall(s);
                b.syscall(SyscallRecord {
                    pid: u32_of(s.pid),
                    tid: u32_of(s.tid),
                    name: s.name.clone(),
                    args: s.args_text.clone(),
                    ret: s.ret_text.clone(),
                    ret_value: s.ret.unwrap_or(0),
                    start_ns: s.entry_ns,
                    end_ns: s.exit_ns.unwrap_or(s.entry_ns),
                    source: s.source.as_ref().and_then(|x| x.location.clone()),
                })
            }
            Event::Exited {
                pid,
                tid,
                ts_ns,
                code,
            } => b.exited(
                u32_of(*pid),
                u32_of(*tid),
                *ts_ns,
                format!("exited with {code}"),
            ),
            Event::Killed {
                pid,
                tid,
                ts_ns,
                signo,
                core,
            } => {
                let dumped = if *core { " (core dumped)" } else { "" };
                let how = format!("killed by {}{dumped}", crate::decode::signals::name(*signo));
                b.exited(u32_of(*pid), u32_of(*tid), *ts_ns, how)
            }
            // Not spans: kept for the text output, like plain strace text.
            Event::Signal {
                pid,
                tid,
                ts_ns,
                signo,
                info,
                ..
            } => self.signal(
                *pid,
                *tid,
                *ts_ns,
                format!("{} {info}", crate::decode::signals::name(*signo)),
            ),
            Event::Stopped {
                pid,
                tid,
                ts_ns,
                signo,
            } => self.signal(
                *pid,
                *tid,
                *ts_ns,
                format!("stopped by {}", crate::decode::signals::name(*signo)),
            ),
            Event::Superseded {
                pid,
                tid,
                ts_ns,
                by_tid,
            } => self.signal(
                *pid,
                *tid,
                *ts_ns,
                format!("superseded by execve in pid {by_tid}"),
            ),
            Event::Spawned {
                parent_pid,
                parent_tid,
                child_pid,
                child_tid,
                ts_ns,
            } => {
                self.decisions.spawned(*parent_pid, *child_pid);
                b.spawned(
                    u32_of(*parent_pid),
                    u32_of(*parent_tid),
                    u32_of(*child_pid),
                    u32_of(*child_tid),
                    *ts_ns,
                )
            }
            Event::Exec {
                pid,
                ts_ns,
                exe,
                argv,
            } => b.exec(u32_of(*pid), *ts_ns, exe.clone(), argv.clone()),
        }
        Ok(())
    }

    fn wants_process_events(&self) -> bool {
        true
    }

    fn child_env(&self) -> Vec<(String, String)> {
        self.session.env()
    }

    fn finish(&mut self) -> io::Result<()> {
        let Some(builder) = self.builder.take() else {
            return Ok(());
        };
        let spans = match self.session.read() {
            Ok(dir) => {
                for w in dir.warnings() {
                    crate::report::say!("renacer: {w}");
                }
                dir.into_spans()
            }
            Err(e) => {
                crate::report::say!("renacer: {e}; merging without SDK spans");
                Vec::new()
            }
        };
        if self.decisions.dropped > 0 {
            crate::report::say!(
                "renacer: {} decisions not kept in the unified trace (limit {})",
                self.decisions.dropped,
                crate::capture::MAX_DECISIONS
            );
        }
        let mut spans = spans;
        spans.extend(decision_spans(
            &std::mem::take(&mut self.decisions.decisions),
            self.session.trace_id(),
        ));
        let mut trace = builder.finish(spans);
        trace.signals = std::mem::take(&mut self.signals);
        if self.signals_dropped > 0 {
            crate::report::say!(
                "renacer: {} signals not kept in the unified trace (limit {SIGNAL_LIMIT})",
                self.signals_dropped
            );
        }
        if trace.stats.syscalls_dropped > 0 {
            crate::report::say!(
                "renacer: {} syscalls not kept in the unified trace (limit {})",
                trace.stats.syscalls_dropped,
                renacer_trace::DEFAULT_SYSCALL_LIMIT
            );
        }
        if !self.exporters.is_empty() {
            let records = trace.to_span_records();
            for e in &mut self.exporters {
                e.export(&records);
                e.shutdown();
            }
        }
        for path in &self.perfetto_files {
            let written = std::fs::File::create(path).and_then(|f| {
                let mut w = io::BufWriter::new(f);
                write_perfetto(&trace, &mut w)?;
                w.flush()
            });
            if let Err(e) = written {
                crate::report::say!("renacer: --export perfetto:{}: {e}", path.display());
            }
        }
        match self.format {
            Format::UnifiedJson => write_json(&trace, &mut self.out)?,
            Format::Perfetto => write_perfetto(&trace, &mut self.out)?,
            _ => write_text(&trace, &mut self.out, self.text)?,
        }
        self.out.flush()
    }
}
