//! The trace context this process joined (W3C `TRACEPARENT`/`TRACESTATE`
//! read at init) and the context it hands on to child processes.
//!
//! Parsing itself lives in `renacer_format::w3c` (shared with the CLI):
//! a value that is not valid is reported in one line on stderr and ignored
//! (the program starts a new trace), never a panic.

pub use renacer_format::w3c::{
    parse_tracestate, ContextError, TraceParent, FLAG_SAMPLED, TRACEPARENT_ENV, TRACESTATE_ENV,
};

use crate::model::{SpanId, TraceId};
pub use crate::remote::RemoteContext;

/// Reads `TRACEPARENT` / `TRACESTATE` through `get`. A malformed value is
/// reported with one line on stderr and ignored: the program then starts a
/// new trace of its own.
pub fn remote_context_from(get: impl Fn(&str) -> Option<String>) -> Option<RemoteContext> {
    let raw = get(TRACEPARENT_ENV)?;
    let traceparent = match TraceParent::parse(&raw) {
        Ok(tp) => tp,
        Err(e) => {
            eprintln!("renacer: ignoring {TRACEPARENT_ENV}: {e}; starting a new trace");
            return None;
        }
    };
    let tracestate = get(TRACESTATE_ENV).and_then(|ts| match parse_tracestate(&ts) {
        Ok(ts) if ts.is_empty() => None,
        Ok(ts) => Some(ts),
        Err(e) => {
            eprintln!("renacer: ignoring {TRACESTATE_ENV}: {e}");
            None
        }
    });
    Some(RemoteContext {
        traceparent,
        tracestate,
    })
}

/// [`remote_context_from`] over the process environment.
pub fn remote_context_from_env() -> Option<RemoteContext> {
    remote_context_from(|k| std::env::var(k).ok())
}

/// Called by `init`: reads `TRACEPARENT`/`TRACESTATE` and makes the remote
/// parent the parent of this process's root spans (a malformed value: one
/// warning line, and a new trace).
pub(crate) fn apply_env() {
    crate::remote::set(remote_context_from_env());
}

/// The remote context this process joined at init, if any.
pub fn remote_context() -> Option<RemoteContext> {
    crate::remote::get()
}

/// The context to hand to work started from here (a child process, a
/// request): the innermost span recorded and still open on the calling
/// thread — an async span while one of its polls runs here — with its
/// trace; with no such span, the remote parent this process joined through
/// `TRACEPARENT`; otherwise `None`. Its span id and trace id are the ones
/// the exporters later write for that span.
pub fn current_context() -> Option<TraceParent> {
    match crate::record::ids::current() {
        Some((trace, span)) => Some(TraceParent::new(TraceId(trace), SpanId(span), FLAG_SAMPLED)),
        None => remote_context().map(|r| r.traceparent),
    }
}

/// [`current_context`] as a `traceparent` header value.
pub fn current_traceparent() -> Option<String> {
    current_context().map(|tp| tp.to_string())
}

/// Sets `TRACEPARENT` (from [`current_traceparent`]) and the joined
/// `TRACESTATE` on `cmd`, so the child process joins this trace under the
/// current span. Returns whether anything was set.
pub fn inject_env(cmd: &mut std::process::Command) -> bool {
    let Some(tp) = current_context() else {
        return false;
    };
    cmd.env(TRACEPARENT_ENV, tp.to_string());
    if let Some(ts) = remote_context().and_then(|r| r.tracestate) {
        cmd.env(TRACESTATE_ENV, ts);
    }
    true
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
