//! The data model shared by every part of renacer: a completed span as the
//! collector hands it to exporters, and as the CLI reads it back from a spool.
//!
//! One definition, used by the SDK's exporters (JSON lines, Perfetto, OTLP,
//! spool) and by the CLI's trace crate, so the two sides can never disagree
//! about what a span is. The SDK only ever creates [`SpanKind::Function`]
//! records; the other kinds are the unified trace's items, exported through
//! the same record type (OTLP, JSON lines) by the CLI.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// A W3C trace id: 128 bits, printed as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub u128);

/// A span id: 64 bits, printed as 16 lowercase hex digits. Zero is invalid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub u64);

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}
impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}
impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}
impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// What a span stands for. The SDK records `Function` spans; the CLI adds
/// the others when it builds the unified trace.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SpanKind {
    /// A `#[renacer::trace]` function, a `span!` block or a `tracing` span.
    Function,
    /// A whole process, as seen by the CLI.
    Process,
    /// One system call, as seen by the CLI.
    Syscall,
    /// A compute block (a Trueno SIMD/GPU operation or a user kernel).
    Compute,
    /// A GPU kernel execution, on its device/stream track.
    GpuKernel,
    /// A GPU memory copy (host↔device, device↔device).
    GpuMemcpy,
    /// A GPU memory set.
    GpuMemset,
    /// A transpiler decision's run-time extent.
    Decision,
}

/// Facts about a span that change how it is drawn or read, one bit each.
/// Travels inside the record (and the spool, since format version 2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SpanFlags(u8);

impl SpanFlags {
    /// No flag set: a synchronous span that ended normally.
    pub const NONE: SpanFlags = SpanFlags(0);
    /// An async span (a future): it may overlap anything on its thread and
    /// be polled on several threads, so viewers draw it on its own track.
    pub const ASYNC: SpanFlags = SpanFlags(1);
    /// The span never ended: its end is when it was last seen (the process
    /// exited or was killed with it open).
    pub const UNFINISHED: SpanFlags = SpanFlags(2);

    /// The raw bits (the spool's flags byte).
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// Flags from raw bits; unknown bits are kept, so a newer writer's flags
    /// survive a round trip through an older reader.
    pub const fn from_bits(bits: u8) -> SpanFlags {
        SpanFlags(bits)
    }
    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: SpanFlags) -> bool {
        self.0 & other.0 == other.0
    }
    /// `self` with the flags of `other` added.
    pub const fn with(self, other: SpanFlags) -> SpanFlags {
        SpanFlags(self.0 | other.0)
    }
    /// Whether [`SpanFlags::ASYNC`] is set.
    pub const fn is_async(self) -> bool {
        self.contains(SpanFlags::ASYNC)
    }
}

impl fmt::Debug for SpanFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_set();
        if self.contains(SpanFlags::ASYNC) {
            l.entry(&"ASYNC");
        }
        if self.contains(SpanFlags::UNFINISHED) {
            l.entry(&"UNFINISHED");
        }
        l.finish()
    }
}

impl SpanKind {
    /// The name used in every serialized format (`"function"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            SpanKind::Function => "function",
            SpanKind::Process => "process",
            SpanKind::Syscall => "syscall",
            SpanKind::Compute => "compute",
            SpanKind::GpuKernel => "gpu_kernel",
            SpanKind::GpuMemcpy => "gpu_memcpy",
            SpanKind::GpuMemset => "gpu_memset",
            SpanKind::Decision => "decision",
        }
    }

    /// Every kind, in code order (the spool's kind byte is the index).
    pub const ALL: [SpanKind; 8] = [
        SpanKind::Function,
        SpanKind::Process,
        SpanKind::Syscall,
        SpanKind::Compute,
        SpanKind::GpuKernel,
        SpanKind::GpuMemcpy,
        SpanKind::GpuMemset,
        SpanKind::Decision,
    ];

    /// Whether the kind is recorded in-process by the SDK (and so nests
    /// like a function span in the unified trace), rather than observed by
    /// the CLI from outside (processes, syscalls).
    pub const fn is_in_process(self) -> bool {
        !matches!(self, SpanKind::Process | SpanKind::Syscall)
    }
}

/// Outcome of a span, as OpenTelemetry understands it.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub enum SpanStatus {
    /// Nothing known: the normal case.
    #[default]
    Unset,
    /// The function returned `Err` or panicked.
    Error(Cow<'static, str>),
}

/// A captured field value (`#[trace(fields(x, y = expr))]`).
#[derive(Clone, PartialEq, Debug)]
pub enum FieldValue {
    /// `true` / `false`.
    Bool(bool),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float; NaN and infinities are written as `null` in JSON.
    F64(f64),
    /// A string.
    Str(Cow<'static, str>),
}

/// A completed span: everything an exporter needs, times in nanoseconds of
/// `CLOCK_MONOTONIC`.
#[derive(Clone, PartialEq, Debug)]
pub struct SpanRecord {
    /// The trace the span belongs to.
    pub trace_id: TraceId,
    /// The span's own id, unique in its trace.
    pub span_id: SpanId,
    /// The enclosing span, local or remote; `None` for a trace root.
    pub parent_span_id: Option<SpanId>,
    /// The function or span name.
    pub name: Cow<'static, str>,
    /// What the span stands for.
    pub kind: SpanKind,
    /// Async, unfinished, ...
    pub flags: SpanFlags,
    /// Start, `CLOCK_MONOTONIC` ns.
    pub start_ns: u64,
    /// End, `CLOCK_MONOTONIC` ns.
    pub end_ns: u64,
    /// The process that recorded it.
    pub pid: u32,
    /// The thread it started on.
    pub tid: u32,
    /// That thread's name, when it has one.
    pub thread_name: Option<Arc<str>>,
    /// FNV-1a 64 of the call site (see [`crate::fnv::site_id`]); 0 when unknown.
    pub site_id: u64,
    /// Transpiler decision id, when the site carries one.
    pub decision_id: Option<u64>,
    /// `module_path!()` of the call site.
    pub module_path: Cow<'static, str>,
    /// `file!()` of the call site.
    pub file: Cow<'static, str>,
    /// `line!()` of the call site.
    pub line: u32,
    /// Captured fields, in declaration order.
    pub fields: Vec<(Cow<'static, str>, FieldValue)>,
    /// Ok / error.
    pub status: SpanStatus,
}
