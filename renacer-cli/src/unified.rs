//! `--format unified|unified-json|perfetto`: the unified trace. The traced
//! program gets `TRACEPARENT` and `RENACER_SPOOL` (see
//! [`renacer::unified::SpoolSession`]); every syscall and exit goes to a
//! [`UnifiedBuilder`]; at the end the spools are read, merged with the
//! syscalls (each syscall under the innermost `#[renacer::trace]` span of
//! its thread) and written in the chosen format, and sent as span records
//! to the SDK sinks named by `--export` (OTLP, JSON lines, Perfetto file).

use std::io::{self, Write};

use renacer::unified::{
    write_json, write_perfetto, write_text, SignalRecord, SpoolSession, SyscallRecord, TextOptions,
    UnifiedBuilder,
};

use crate::args::{Format, Options, Timestamps};
use crate::output::{Event, Sink};

/// Collects the run and writes the merged trace on [`Sink::finish`].
pub struct UnifiedSink {
    out: Box<dyn Write>,
    format: Format,
    text: TextOptions,
    session: SpoolSession,
    builder: Option<UnifiedBuilder>,
    exporters: Vec<Box<dyn renacer::Exporter>>,
    /// Signals and stops for the text output (`--- SIGCHLD {...} ---`).
    signals: Vec<SignalRecord>,
    signals_dropped: u64,
}

/// Signal lines kept at most (the trace is held in memory until the run
/// ends; a program can take signals in a loop). Later ones are counted.
const SIGNAL_LIMIT: usize = 1_000_000;

impl UnifiedSink {
    /// A sink for `opts.format` (one of the unified formats) writing to `out`.
    /// Fails if a `--export` sink cannot be built.
    pub fn new(out: Box<dyn Write>, opts: &Options) -> io::Result<UnifiedSink> {
        let mut exporters = Vec::new();
        for spec in &opts.export {
            let (sinks, errors) = renacer::export::parse_output(spec);
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
            ([], &[pid]) => attached_argv(pid),
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
            signals: Vec::new(),
            signals_dropped: 0,
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

/// The command line of an attached process (`-p PID`), which renacer did not
/// start and so cannot name otherwise; empty if it cannot be read.
fn attached_argv(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
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
            Event::Syscall(s) => b.syscall(SyscallRecord {
                pid: u32_of(s.pid),
                tid: u32_of(s.tid),
                name: s.name.clone(),
                args: s.args_text.clone(),
                ret: s.ret_text.clone(),
                ret_value: s.ret.unwrap_or(0),
                start_ns: s.entry_ns,
                end_ns: s.exit_ns.unwrap_or(s.entry_ns),
            }),
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
        }
        Ok(())
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
                    eprintln!("renacer: {w}");
                }
                dir.into_spans()
            }
            Err(e) => {
                eprintln!("renacer: {e}; merging without SDK spans");
                Vec::new()
            }
        };
        let mut trace = builder.finish(spans);
        trace.signals = std::mem::take(&mut self.signals);
        if self.signals_dropped > 0 {
            eprintln!(
                "renacer: {} signals not kept in the unified trace (limit {SIGNAL_LIMIT})",
                self.signals_dropped
            );
        }
        if trace.stats.syscalls_dropped > 0 {
            eprintln!(
                "renacer: {} syscalls not kept in the unified trace (limit {})",
                trace.stats.syscalls_dropped,
                renacer::unified::DEFAULT_SYSCALL_LIMIT
            );
        }
        if !self.exporters.is_empty() {
            let records = trace.to_span_records();
            for e in &mut self.exporters {
                e.export(&records);
                e.shutdown();
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
