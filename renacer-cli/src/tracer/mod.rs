//! The ptrace tracing loop.
//!
//! `PTRACE_SEIZE` + `PTRACE_O_TRACESYSGOOD` and the clone/fork/vfork/exec
//! events, `waitpid(__WALL)`, one `PTRACE_GET_SYSCALL_INFO` per stop, and —
//! when `-e trace=` selects a subset of a launched command — a seccomp filter
//! so unselected syscalls never stop at all (`PTRACE_CONT` between traced
//! calls, `PTRACE_SYSCALL` only from a seccomp stop to its exit).

mod attach;
mod event_loop;
pub(crate) mod seccomp;
mod spawn;
mod spin;
mod status;
pub(crate) mod sys;

use crate::args::{Format, Options, Output, Summary};
use crate::output::{JsonSink, Sink, SummarySink, Tee, TextSink};
use std::fmt;
use std::io::{self, IsTerminal, Write};

/// A fatal error, with the exit status renacer should return.
#[derive(Debug)]
pub(crate) struct Error {
    msg: String,
    code: u8,
}

impl Error {
    /// A problem with what the user asked (exit 2).
    pub(crate) fn usage(msg: String) -> Self {
        Error { msg, code: 2 }
    }
    /// A system call renacer itself made failed (exit 1).
    pub(crate) fn io(what: &str, e: io::Error) -> Self {
        Error {
            msg: format!("{what}: {e}"),
            code: 1,
        }
    }
    /// A plain message (exit 1).
    pub(crate) fn msg(msg: String) -> Self {
        Error { msg, code: 1 }
    }
    /// The exit status for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        self.code
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = self.msg.trim_end_matches(" (os error 1)");
        f.write_str(msg.split(" (os error").next().unwrap_or(msg))
    }
}

fn open_output(opts: &Options) -> Result<(Box<dyn Write>, bool), Error> {
    Ok(match &opts.output {
        Output::Stderr => {
            let tty = io::stderr().is_terminal();
            (
                Box::new(io::BufWriter::with_capacity(64 * 1024, io::stderr())),
                tty,
            )
        }
        Output::Stdout => {
            let tty = io::stdout().is_terminal();
            (
                Box::new(io::BufWriter::with_capacity(64 * 1024, io::stdout())),
                tty,
            )
        }
        Output::File(p) => {
            // `-A`: append, as strace's --output-append-mode.
            let f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .append(opts.append)
                .truncate(!opts.append)
                .open(p)
                .map_err(|e| Error::msg(format!("can't open '{}': {e}", p.display())))?;
            (Box::new(io::BufWriter::with_capacity(256 * 1024, f)), false)
        }
    })
}

/// Build the sink the options ask for.
pub(crate) fn make_sink(opts: &Options) -> Result<Box<dyn Sink>, Error> {
    // `-ff -o FILE`: strace's one file per task (text, no summary).
    if let (true, Output::File(base), Format::Text, Summary::Off) =
        (opts.per_task_files, &opts.output, opts.format, opts.summary)
    {
        let offset = renacer::clock::monotonic_to_unix_ns(0) as i64;
        let text = crate::output::text_opts(opts, false, offset);
        return Ok(Box::new(TextSink::per_task(
            base.clone(),
            text,
            opts.append,
        )));
    }
    let (out, tty) = open_output(opts)?;
    if opts.summary == Summary::Only {
        return Ok(Box::new(SummarySink::new(
            out,
            false,
            opts.syscall_times,
            opts.summary_spec.clone(),
        )));
    }
    // `CLOCK_REALTIME - CLOCK_MONOTONIC`, from the SDK's clock module so
    // syscall and span times convert to wall time the same way.
    let offset = renacer::clock::monotonic_to_unix_ns(0) as i64;
    let per_call: Box<dyn Sink> = match opts.format {
        Format::Text => Box::new(TextSink::new(
            out,
            crate::output::text_opts(opts, tty, offset),
        )),
        Format::Json => Box::new(JsonSink::new(out, false)),
        Format::Jsonl => Box::new(JsonSink::new(out, true)),
        Format::Unified | Format::UnifiedJson | Format::Perfetto => Box::new(
            crate::unified::UnifiedSink::new(out, opts).map_err(|e| match e.kind() {
                io::ErrorKind::InvalidInput => Error::usage(e.to_string()),
                _ => Error::msg(e.to_string()),
            })?,
        ),
    };
    if opts.summary == Summary::Off {
        return Ok(per_call);
    }
    // -C: the table follows the per-call lines on the same stream; it is
    // written after they are flushed (the file is reopened for appending).
    let out2: Box<dyn Write> = match &opts.output {
        Output::Stderr => Box::new(io::stderr()),
        Output::Stdout => Box::new(io::stdout()),
        Output::File(p) => Box::new(
            std::fs::OpenOptions::new()
                .append(true)
                .open(p)
                .map_err(|e| Error::msg(format!("can't open '{}': {e}", p.display())))?,
        ),
    };
    Ok(Box::new(Tee(
        per_call,
        Box::new(SummarySink::new(
            out2,
            true,
            opts.syscall_times,
            opts.summary_spec.clone(),
        )),
    )))
}

/// `--source`'s one line at the end (after the trace is out): how many
/// stacks were unwound and located, and what the bounded caches hold.
fn report_source(s: crate::source::SourceStats) {
    crate::report::say!(
        "renacer: source: {} of {} syscalls located in the program's own code; \
         {} objects ({} KiB of unwind tables), {} frames cached (limit {}, cleared {}x), \
         {} maps reads",
        s.located,
        s.unwinds,
        s.objects,
        s.object_bytes / 1024,
        s.frames_cached,
        crate::source::FRAME_CACHE_LIMIT,
        s.frame_cache_clears,
        s.maps_reads
    );
}

/// Trace as the options say; returns renacer's exit status.
pub(crate) fn run(opts: &Options) -> Result<u8, Error> {
    crate::decode::set_hex_strings(opts.hex_strings);
    crate::decode::fdinfo::set_details(opts.fd_details.0, opts.fd_details.1);
    crate::decode::pids::set_comm(opts.decode_pids_comm);
    crate::decode::flags::set_xlat(opts.xlat);
    let mut sink = crate::output::Resilient::new(make_sink(opts)?);
    let mut source = (opts.source || opts.stack_trace).then(|| {
        crate::source::Resolver::new(
            crate::source::Rule::new(opts.source_skip.clone()),
            opts.stack_trace,
            opts.debug_dirs.clone(),
        )
    });
    let result = if opts.pids.is_empty() {
        event_loop::launch(opts, &mut sink, source.as_mut())
    } else {
        attach::attach(opts, &mut sink, source.as_mut())
    };
    let flushed = sink.finish();
    if let Some(r) = &source {
        report_source(r.stats());
    }
    let code = result?;
    flushed.map_err(|e| Error::io("write", e))?;
    Ok(code)
}
