//! Structured trace events and the sinks that write them.
//!
//! The tracer produces [`Event`]s (one per completed syscall, signal, exit)
//! and hands them to a [`Sink`]; text, JSON, JSON lines and the `-c` summary
//! are sinks, and the unified-trace merge plugs in as another one.

mod json;
mod latency;
mod summary;
mod text;

pub(crate) use json::JsonSink;
pub(crate) use summary::SummarySink;
pub(crate) use text::TextSink;

use std::borrow::Cow;
use std::io;

/// One system call, entry to exit.
#[derive(Debug, Clone)]
pub(crate) struct SyscallEvent {
    /// Thread-group id (process id).
    pub pid: i32,
    /// Thread id that made the call.
    pub tid: i32,
    /// ABI name (`x86_64`, `i386`).
    pub arch: &'static str,
    /// Syscall number in that ABI.
    pub nr: u64,
    /// Name (`openat`), or `syscall_0x...` for numbers the table lacks.
    pub name: Cow<'static, str>,
    /// Raw argument words.
    pub args: [u64; 6],
    /// Decoded argument list, strace style (empty when the sink needs none).
    pub args_text: String,
    /// Raw return value; `None` when the call never returned (`= ?`).
    pub ret: Option<i64>,
    /// The kernel reported an error (`ret` is `-errno`).
    pub is_error: bool,
    /// Decoded return value (`3`, `-1 ENOENT (...)`, `?`).
    pub ret_text: String,
    /// Entry time, `CLOCK_MONOTONIC` ns.
    pub entry_ns: u64,
    /// Exit time, `CLOCK_MONOTONIC` ns (`None` when it never returned).
    pub exit_ns: Option<u64>,
    /// `--source` / `-k`: where the program's own code made the call.
    pub source: Option<Box<crate::source::SyscallSource>>,
    /// The instruction pointer at the call (`-i`).
    pub ip: u64,
    /// System CPU time the tracee spent in the call (`ru_stime` at exit
    /// minus at entry), measured only for `-c`'s default clock.
    pub cpu_ns: Option<u64>,
    /// `-e read=` / `-e write=`: the data's hex dump, lines each starting
    /// with `\n`, printed after the call's line.
    pub io_dump: Option<Box<str>>,
    /// `-Y`: the command name at entry, for calls that change it (execve).
    pub comm: Option<Box<str>>,
}

/// The result text of a call whose trace ended before it returned (a
/// detach: `-p` ended, `-b execve`), which strace prints open:
/// `execve(...) <detached ...>`.
pub(crate) const DETACHED: &str = "<detached ...>";

/// Everything the tracer reports.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// A completed (or abandoned) system call.
    Syscall(SyscallEvent),
    /// A signal delivered to the tracee (`--- SIGCHLD {...} ---`).
    Signal {
        pid: i32,
        tid: i32,
        ts_ns: u64,
        signo: i32,
        info: String,
        /// The instruction pointer at delivery, when read (`-i`).
        ip: Option<u64>,
        /// The syscall the thread last entered, when read (`-n`).
        nr: Option<u64>,
    },
    /// A group-stop (`--- stopped by SIGSTOP ---`).
    Stopped {
        pid: i32,
        tid: i32,
        ts_ns: u64,
        signo: i32,
    },
    /// A thread or process exited (`+++ exited with N +++`).
    Exited {
        pid: i32,
        tid: i32,
        ts_ns: u64,
        code: i32,
    },
    /// Killed by a signal (`+++ killed by SIGKILL +++`).
    Killed {
        pid: i32,
        tid: i32,
        ts_ns: u64,
        signo: i32,
        core: bool,
    },
    /// A thread-group leader replaced by a non-leader thread's execve,
    /// which takes over its tid (`+++ superseded by execve in pid N +++`).
    Superseded {
        pid: i32,
        tid: i32,
        ts_ns: u64,
        /// The thread that called execve.
        by_tid: i32,
    },
    /// A traced task created another (`PTRACE_EVENT_FORK/VFORK/CLONE`),
    /// whatever `-e` displays. Only sinks that ask for process events
    /// ([`Sink::wants_process_events`]) get it.
    Spawned {
        parent_pid: i32,
        parent_tid: i32,
        /// The new task's thread group: `parent_pid` for a thread.
        child_pid: i32,
        child_tid: i32,
        ts_ns: u64,
    },
    /// A task's `execve` succeeded (`PTRACE_EVENT_EXEC`): the new program
    /// and its whole argv, read from the tracee (`/proc/PID/exe`,
    /// `/proc/PID/cmdline`), not cut at `-s` and not re-parsed from text.
    Exec {
        pid: i32,
        ts_ns: u64,
        exe: String,
        argv: Vec<String>,
    },
}

/// A destination for events.
pub(crate) trait Sink {
    /// Write one event. `multi` is true while more than one task is traced
    /// (strace adds `[pid N]` prefixes then).
    fn event(&mut self, ev: &Event, multi: bool) -> io::Result<()>;
    /// Does this sink print decoded arguments? (`-c` alone does not, which
    /// saves all memory reads.)
    fn wants_text(&self) -> bool {
        true
    }
    /// Push buffered output out (the tracer calls this when it goes idle,
    /// so `-p` output is live without a write per line).
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Does this sink want [`Event::Spawned`] and [`Event::Exec`]? (The
    /// unified trace does; the tracer skips the `/proc` reads otherwise.)
    fn wants_process_events(&self) -> bool {
        false
    }
    /// Variables to add to a launched program's environment (the unified
    /// sink's `TRACEPARENT` and `RENACER_SPOOL`).
    fn child_env(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// Flush everything (end of trace, detach, fatal signal).
    fn finish(&mut self) -> io::Result<()>;
}

/// The sink the options chose, made safe to lose: the first output error (a
/// closed pipe, `head` that stopped reading, a full disk) is reported once
/// (on stderr, if that is still open) and from then on events are dropped.
/// The traced program runs on, unaltered, to its end — as under strace —
/// and renacer exits with its status.
pub(crate) struct Resilient {
    inner: Box<dyn Sink>,
    failed: bool,
}

impl Resilient {
    pub(crate) fn new(inner: Box<dyn Sink>) -> Resilient {
        Resilient {
            inner,
            failed: false,
        }
    }

    fn check(&mut self, r: io::Result<()>) -> io::Result<()> {
        if let Err(e) = r {
            if !self.failed {
                self.failed = true;
                let e = e.to_string();
                let e = e.split(" (os error").next().unwrap_or(&e);
                crate::report::say!("renacer: output: {e}; tracing continues without output");
            }
        }
        Ok(())
    }
}

impl Sink for Resilient {
    fn event(&mut self, ev: &Event, multi: bool) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        let r = self.inner.event(ev, multi);
        self.check(r)
    }
    fn wants_text(&self) -> bool {
        self.inner.wants_text()
    }
    fn wants_process_events(&self) -> bool {
        self.inner.wants_process_events()
    }
    fn child_env(&self) -> Vec<(String, String)> {
        self.inner.child_env()
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.check(r)
    }
    fn finish(&mut self) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        let r = self.inner.finish();
        self.check(r)
    }
}

/// Two sinks fed the same events (`-C`: text and summary).
pub(crate) struct Tee(pub Box<dyn Sink>, pub Box<dyn Sink>);

impl Sink for Tee {
    fn event(&mut self, ev: &Event, multi: bool) -> io::Result<()> {
        self.0.event(ev, multi)?;
        self.1.event(ev, multi)
    }
    fn wants_text(&self) -> bool {
        self.0.wants_text() || self.1.wants_text()
    }
    fn wants_process_events(&self) -> bool {
        self.0.wants_process_events() || self.1.wants_process_events()
    }
    fn child_env(&self) -> Vec<(String, String)> {
        let mut env = self.0.child_env();
        env.extend(self.1.child_env());
        env
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.0.finish()?;
        self.1.finish()
    }
}

/// How many tasks `-p` will attach: the threads of every listed process
/// (`/proc/PID/task`; one for a process that cannot be read, whose attach
/// then fails with its own message).
fn attached_tasks(pids: &[i32]) -> usize {
    pids.iter()
        .map(|p| std::fs::read_dir(format!("/proc/{p}/task")).map_or(1, |d| d.count().max(1)))
        .sum()
}

/// Text options from the command line.
pub(crate) fn text_opts(
    opts: &crate::args::Options,
    tty: bool,
    realtime_offset_ns: i64,
) -> text::TextOpts {
    text::TextOpts {
        fixed_pid_prefix: opts.follow || attached_tasks(&opts.pids) > 1,
        to_file: matches!(opts.output, crate::args::Output::File(_)),
        timestamps: opts.timestamps,
        relative: opts.relative,
        syscall_times: opts.syscall_times,
        realtime_offset_ns,
        line_flush: tty,
        source: opts.source,
        syscall_number: opts.syscall_number,
        instruction_pointer: opts.instruction_pointer,
        columns: opts.columns,
        quiet_exits: opts.quiet_exits,
    }
}
