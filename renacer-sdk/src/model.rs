//! The data model shared by every part of renacer: a completed span as the
//! collector hands it to exporters, and as the CLI reads it back from a spool.
//!
//! One definition, used by the SDK's exporters (JSON lines, Perfetto, OTLP,
//! spool) and by the CLI's merge, so the two sides can never disagree about
//! what a span is.

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
}

impl SpanKind {
    /// The name used in every serialized format (`"function"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            SpanKind::Function => "function",
            SpanKind::Process => "process",
            SpanKind::Syscall => "syscall",
        }
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
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(Cow<'static, str>),
}

/// A completed span: everything an exporter needs, times in nanoseconds of
/// `CLOCK_MONOTONIC` (convert with [`crate::clock::monotonic_to_unix_ns`] where a
/// format wants wall time).
#[derive(Clone, PartialEq, Debug)]
pub struct SpanRecord {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub name: Cow<'static, str>,
    pub kind: SpanKind,
    pub start_ns: u64,
    pub end_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub thread_name: Option<Arc<str>>,
    /// FNV-1a 64 of the call site (see [`crate::fnv1a64`]); 0 when unknown.
    pub site_id: u64,
    /// Transpiler decision id, when the site carries one.
    pub decision_id: Option<u64>,
    pub module_path: Cow<'static, str>,
    pub file: Cow<'static, str>,
    pub line: u32,
    pub fields: Vec<(Cow<'static, str>, FieldValue)>,
    pub status: SpanStatus,
}
