//! The remote trace context this process joined (`TRACEPARENT` /
//! `TRACESTATE` at init): its one owner. Recording threads read its trace
//! id without a lock (root spans join it), the collector reads the parent
//! span, `context` and the OTLP exporter read the whole value.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::model::{SpanId, TraceId};
use renacer_format::w3c::TraceParent;

/// The remote parent given to this process, as read from the environment.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RemoteContext {
    /// The parent: trace, span and flags.
    pub traceparent: TraceParent,
    /// Validated `tracestate`, passed on unchanged to children.
    pub tracestate: Option<String>,
}

static REMOTE: Mutex<Option<RemoteContext>> = Mutex::new(None);

/// The remote trace id, readable without the lock; 0 when none. Written
/// only by [`set`].
static TRACE: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Makes `remote` the context this process joined (`None`: roots start new
/// traces). Read at every collector pass, so it applies to roots that start
/// afterwards.
pub(crate) fn set(remote: Option<RemoteContext>) {
    let trace = remote.as_ref().map_or(0, |r| r.traceparent.trace_id.0);
    TRACE[0].store((trace >> 64) as u64, Ordering::Relaxed);
    TRACE[1].store(trace as u64, Ordering::Relaxed);
    *REMOTE.lock().unwrap_or_else(|p| p.into_inner()) = remote;
}

/// The joined context, if any.
pub(crate) fn get() -> Option<RemoteContext> {
    REMOTE.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The joined trace and parent span, if any.
pub(crate) fn parent() -> Option<(TraceId, SpanId)> {
    get().map(|r| (r.traceparent.trace_id, r.traceparent.parent_id))
}

/// The joined trace id (0: none), without a lock: the hot path's view.
pub(crate) fn trace() -> u128 {
    (TRACE[0].load(Ordering::Relaxed) as u128) << 64 | TRACE[1].load(Ordering::Relaxed) as u128
}
