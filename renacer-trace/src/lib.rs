//! The unified trace: the CLI's processes and system calls merged with the
//! SDK's function spans into one tree per trace.
//!
//! The CLI's side of the data flow, kept out of the SDK so applications
//! never compile it: the tracer's structured events go into a
//! [`UnifiedBuilder`], the SDK's spans come back through the [`spool`]
//! reader, [`merge`] builds the tree, and the writers below print it. Inputs use `CLOCK_MONOTONIC`
//! nanoseconds on both sides, which is what makes the merge exact:
//!
//! * a syscall becomes a child of the innermost SDK span on the same pid and
//!   tid whose interval contains the syscall's **entry** time,
//!   `span.start_ns <= entry_ns < span.end_ns`; when several contain it, the
//!   latest-started wins (on equal starts: the deeper one in the SDK's own
//!   tree). A syscall on a span's end boundary therefore belongs to the
//!   enclosing span, one on its start boundary to the span itself. Entry
//!   time is used, not the whole interval, because the tracer stamps entry
//!   and exit late by its stop latency: the exit stamp can land after the
//!   span closed, the entry stamp can never precede the span's start;
//! * a syscall outside every span becomes a child of its process span;
//! * an SDK span whose parent is not an SDK span (a root, or one joined to
//!   the CLI's `TRACEPARENT`) becomes a child of its process span;
//! * a child process's span is a child of the syscall that forked it when
//!   that syscall is displayed, else of its parent's process span;
//! * async SDK spans never parent a syscall (their interval includes the
//!   time they were suspended);
//! * every item gets a Lamport clock (`lamport.rs`) from the causal graph, never
//!   from wall clocks, so order across skewed clocks stays right; a thread's
//!   first item follows the `clone` that created it, when known.
//!
//! The CLI drives it through [`SpoolSession`] (private spool directory and
//! the `TRACEPARENT`/`RENACER_SPOOL` environment of the traced program) and
//! [`UnifiedBuilder`] (fed ptrace's fork/clone/exec events, each displayed
//! syscall and each exit).
//!
//! Outputs: [`write_text`] (strace style with span enter/exit lines),
//! [`write_json`] (versioned unified JSON), [`write_perfetto`] (Chrome Trace
//! Event JSON) and [`UnifiedTrace::to_span_records`] (for OTLP).

#![warn(missing_docs, unreachable_pub)]

mod builder;
mod json;
mod lamport;
mod merge;
mod perfetto;
mod session;
pub mod spool;
mod text;

use std::borrow::Cow;

use renacer_format::model;

use crate::model::{SpanId, SpanKind, SpanRecord, TraceId};

pub use builder::{UnifiedBuilder, DEFAULT_SYSCALL_LIMIT};
pub use json::{write_json, UNIFIED_JSON_VERSION};
pub use merge::merge;
pub use perfetto::write_perfetto;
pub use session::SpoolSession;
pub use text::{write_text, TextOptions};

/// A process the CLI traced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Its process id (thread-group id).
    pub pid: u32,
    /// The parent pid as the kernel reported it, if known.
    pub ppid: Option<u32>,
    /// The executable (after the last `exec`), e.g. `/usr/bin/cat`.
    pub exe: String,
    /// Its whole argv as the kernel holds it, read from the tracee.
    pub argv: Vec<String>,
    /// First and last time the CLI saw the process (`CLOCK_MONOTONIC` ns).
    pub start_ns: u64,
    /// See `start_ns`.
    pub end_ns: u64,
    /// How it ended, e.g. `exited with 0` or `killed by SIGKILL`.
    pub exit: Option<String>,
    /// How it was created, when the CLI saw it being forked.
    pub fork: Option<ForkEdge>,
}

/// The causal edge from a parent process to a child it created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkEdge {
    /// The creating process.
    pub parent_pid: u32,
    /// Index, in [`MergeInput::syscalls`], of the `fork`/`clone`/`vfork`
    /// that created the child, when the CLI recorded it.
    pub syscall: Option<usize>,
}

/// A thread created by the `clone` at `syscalls[syscall]`, in the same
/// process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadSpawn {
    /// The new thread.
    pub tid: u32,
    /// Index in [`MergeInput::syscalls`] of the `clone` that created it.
    pub syscall: usize,
}

/// One completed system call, as the CLI saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallRecord {
    /// Process (thread group) id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// The syscall's name (`openat`).
    pub name: Cow<'static, str>,
    /// Decoded arguments, without the parentheses: `3, "abc", 4096`.
    pub args: String,
    /// Decoded result: `12`, `-1 ENOENT (No such file or directory)`.
    pub ret: String,
    /// The raw return value (negative errno on failure).
    pub ret_value: i64,
    /// Entry and exit stop times (`CLOCK_MONOTONIC` ns).
    pub start_ns: u64,
    /// See `start_ns`.
    pub end_ns: u64,
    /// The program's own code that made the call (`--source`), if known.
    pub source: Option<CodeLocation>,
}

/// Where in the traced program's source a system call was made: the first
/// frame of its stack that is the program's own code (`renacer --source`).
/// Exported as OpenTelemetry's `code.file.path`, `code.line.number` and
/// `code.function.name`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeLocation {
    /// Source file, as the line tables name it.
    pub file: Option<String>,
    /// Line in `file`.
    pub line: Option<u32>,
    /// Function (inlined functions resolved), demangled.
    pub function: Option<String>,
}

impl CodeLocation {
    /// OpenTelemetry's `code.*` attributes for what is known.
    pub fn attributes(&self) -> impl Iterator<Item = (Cow<'static, str>, model::FieldValue)> {
        use model::FieldValue;
        let file = self
            .file
            .clone()
            .map(|f| (Cow::Borrowed("code.file.path"), FieldValue::Str(f.into())));
        let line = self
            .line
            .map(|l| (Cow::Borrowed("code.line.number"), FieldValue::I64(l.into())));
        let function = self.function.clone().map(|f| {
            (
                Cow::Borrowed("code.function.name"),
                FieldValue::Str(f.into()),
            )
        });
        file.into_iter().chain(line).chain(function)
    }
}

/// A signal delivered to a traced thread, or a group-stop, as the CLI saw
/// it. Not a span: the text output shows it as strace does
/// (`--- SIGCHLD {si_signo=...} ---`, `--- stopped by SIGSTOP ---`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalRecord {
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// When the tracer saw it (`CLOCK_MONOTONIC` ns).
    pub ts_ns: u64,
    /// What goes between the dashes: `SIGCHLD {si_signo=SIGCHLD, ...}`.
    pub text: String,
}

/// Everything the merge needs.
#[derive(Clone, Debug, Default)]
pub struct MergeInput {
    /// The trace to build; when `None`, the SDK spans' trace id (or one
    /// derived from the processes) is used.
    pub trace_id: Option<TraceId>,
    /// The span id of the root process: the one the CLI put in the child's
    /// `TRACEPARENT`, so SDK roots that joined it line up without remapping.
    pub root_span_id: Option<SpanId>,
    /// The parent of the root process span (when the CLI itself was started
    /// inside a trace), else the root process span is the trace's root.
    pub external_parent: Option<SpanId>,
    /// Every traced process.
    pub processes: Vec<ProcessInfo>,
    /// Every kept syscall.
    pub syscalls: Vec<SyscallRecord>,
    /// Spans read from the spools (any order).
    pub spans: Vec<SpanRecord>,
    /// Threads created by a kept syscall. The thread's first item is then
    /// causally after that syscall.
    pub thread_spawns: Vec<ThreadSpawn>,
}

/// Where a [`UnifiedItem`]'s details live in its [`UnifiedTrace`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemSource {
    /// Index into [`UnifiedTrace::processes`].
    Process(usize),
    /// Index into [`UnifiedTrace::spans`].
    Function(usize),
    /// Index into [`UnifiedTrace::syscalls`].
    Syscall(usize),
}

/// One node of the unified tree. Details (names, arguments, fields) stay in
/// the trace's input vectors; `source` points at them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnifiedItem {
    /// Process, function, syscall, compute block, GPU item, decision.
    pub kind: SpanKind,
    /// The item's id in the trace (an SDK span keeps its own).
    pub span_id: SpanId,
    /// Its parent's id (`None` for the trace root).
    pub parent_span_id: Option<SpanId>,
    /// Index of the parent in [`UnifiedTrace::items`].
    pub parent: Option<usize>,
    /// Start, `CLOCK_MONOTONIC` ns.
    pub start_ns: u64,
    /// End, `CLOCK_MONOTONIC` ns.
    pub end_ns: u64,
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Lamport clock of the item's start: greater than its parent's and than
    /// every earlier item of the same thread.
    pub lamport: u64,
    /// Depth in the tree (a root process is 0).
    pub depth: u32,
    /// Where its details are.
    pub source: ItemSource,
}

/// What the merge did, so nothing is silently re-homed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeStats {
    /// Syscalls placed inside an SDK span.
    pub syscalls_in_spans: u64,
    /// Syscalls placed directly under their process span.
    pub syscalls_in_process: u64,
    /// SDK spans whose parent was not an SDK span, attached to their process.
    pub spans_reparented: u64,
    /// Processes seen only through spans or syscalls, given a synthetic
    /// process span.
    pub synthetic_processes: u64,
    /// SDK spans dropped because their span id was already taken.
    pub duplicate_spans: u64,
    /// Causal edges ignored because they closed a cycle (inconsistent input).
    pub cycles_broken: u64,
    /// Syscalls the [`UnifiedBuilder`] did not keep because its limit was
    /// reached (the trace is held in memory until the run ends).
    pub syscalls_dropped: u64,
}

/// The merged trace. `items` are in Lamport order (a topological order of
/// the causal graph); among equal clocks, processes first, then by pid, tid
/// and start time.
#[derive(Clone, Debug, Default)]
pub struct UnifiedTrace {
    /// The one trace every item belongs to.
    pub trace_id: TraceId,
    /// The tree, in Lamport order.
    pub items: Vec<UnifiedItem>,
    /// Details of process items.
    pub processes: Vec<ProcessInfo>,
    /// Details of syscall items.
    pub syscalls: Vec<SyscallRecord>,
    /// Details of SDK items (functions and the other in-process kinds).
    pub spans: Vec<SpanRecord>,
    /// Signals and stops, in the order seen; the caller (the CLI) fills
    /// them in after the merge. Only the text output shows them.
    pub signals: Vec<SignalRecord>,
    /// What the merge did.
    pub stats: MergeStats,
}

impl UnifiedTrace {
    /// The display name of an item: function name, syscall name, or the
    /// process's executable.
    pub fn name(&self, item: &UnifiedItem) -> &str {
        match item.source {
            ItemSource::Process(i) => process_name(&self.processes[i]),
            ItemSource::Function(i) => &self.spans[i].name,
            ItemSource::Syscall(i) => &self.syscalls[i].name,
        }
    }

    /// The merged trace as plain span records (process, function, syscall),
    /// for exporters such as OTLP. Syscall arguments and results become the
    /// fields `syscall.args`, `syscall.ret` and `syscall.ret_value`; a failed
    /// syscall gets an error status.
    pub fn to_span_records(&self) -> Vec<SpanRecord> {
        self.items
            .iter()
            .map(|it| self.to_span_record(it))
            .collect()
    }

    fn to_span_record(&self, it: &UnifiedItem) -> SpanRecord {
        use crate::model::{FieldValue, SpanStatus};
        let base = |name: Cow<'static, str>| SpanRecord {
            trace_id: self.trace_id,
            span_id: it.span_id,
            parent_span_id: it.parent_span_id,
            name,
            kind: it.kind,
            flags: Default::default(),
            start_ns: it.start_ns,
            end_ns: it.end_ns,
            pid: it.pid,
            tid: it.tid,
            thread_name: None,
            site_id: 0,
            decision_id: None,
            module_path: Cow::Borrowed(""),
            file: Cow::Borrowed(""),
            line: 0,
            fields: Vec::new(),
            status: SpanStatus::Unset,
        };
        let mut rec = match it.source {
            ItemSource::Function(i) => {
                let mut r = self.spans[i].clone();
                r.trace_id = self.trace_id;
                r.parent_span_id = it.parent_span_id;
                r
            }
            ItemSource::Syscall(i) => {
                let s = &self.syscalls[i];
                let mut r = base(s.name.clone());
                r.fields = vec![
                    (
                        Cow::Borrowed("syscall.args"),
                        FieldValue::Str(s.args.clone().into()),
                    ),
                    (
                        Cow::Borrowed("syscall.ret"),
                        FieldValue::Str(s.ret.clone().into()),
                    ),
                    (
                        Cow::Borrowed("syscall.ret_value"),
                        FieldValue::I64(s.ret_value),
                    ),
                ];
                if s.ret_value < 0 {
                    r.status = SpanStatus::Error(s.ret.clone().into());
                }
                if let Some(src) = &s.source {
                    r.fields.extend(src.attributes());
                }
                r
            }
            ItemSource::Process(i) => {
                let p = &self.processes[i];
                let mut r = base(Cow::Owned(process_name(p).to_string()));
                r.fields = vec![
                    (
                        Cow::Borrowed("process.executable.path"),
                        FieldValue::Str(p.exe.clone().into()),
                    ),
                    (
                        Cow::Borrowed("process.command_args"),
                        FieldValue::Str(p.argv.join(" ").into()),
                    ),
                ];
                if let Some(exit) = &p.exit {
                    r.fields.push((
                        Cow::Borrowed("process.exit"),
                        FieldValue::Str(exit.clone().into()),
                    ));
                }
                r
            }
        };
        rec.fields
            .push((Cow::Borrowed("lamport"), FieldValue::U64(it.lamport)));
        rec
    }
}

/// The short name of a process: the executable's file name.
fn process_name(p: &ProcessInfo) -> &str {
    let exe = if p.exe.is_empty() {
        p.argv.first().map_or("", String::as_str)
    } else {
        &p.exe
    };
    exe.rsplit('/').next().unwrap_or(exe)
}

#[cfg(test)]
mod tests;
