//! What `#[renacer::trace]` and `renacer::span!` expand to. Not a public API:
//! only the macros may name these items, and they may change in any release.
//!
//! The contract, per instrumented function:
//!
//! ```text
//! static SITE: Site = Site::new(name, module_path!(), file!(), line!(),
//!                               decision_id_or_0, &["field", ...]);
//! // sync fn, global rate:   let g = enter(&SITE);
//! // sync fn, own rate:      thread_local!{ static SKIP: Cell<u64> = const { Cell::new(0) } }
//! //                         let g = enter_with_rate(&SITE, RATE, &SKIP);
//! // fields, only if g.is_recording(): g.record_field(i, &value);
//! // Err results:            g.set_error();
//! // async fn (inside the async body, so it runs at first poll):
//! //                         let s = enter_async(&SITE) / enter_async_with_rate(..);
//! //                         s.record_field(..); s.instrument(async move { body }).await
//! // dynamic spans (tracing layer): AsyncSpan from enter_async, scoped with
//! //                         let _p: PollGuard = s.enter(); ended by dropping s
//! ```

pub use crate::record::field::{DebugField, DisplayField};
pub use crate::record::{
    enter, enter_async, enter_async_with_rate, enter_with_rate, AsyncSpan, Instrumented,
    IntoFieldValue, PollGuard, Site, SpanGuard,
};
pub use renacer_format::fnv::{decision_id, site_id};
pub use std::cell::Cell;
pub use std::thread::LocalKey;

/// Calls `f` once. The macro wraps a `Result`-returning body in a closure to
/// inspect its outcome; through this helper the closure is an `FnOnce`, so
/// it may return references borrowed from the parameters it captured.
#[inline(always)]
pub fn call_once<R>(f: impl FnOnce() -> R) -> R {
    f()
}
