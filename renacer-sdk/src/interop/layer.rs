//! The `tracing_subscriber::Layer` that feeds renacer.
//!
//! Each `tracing` span becomes a renacer dynamic span ([`AsyncSpan`]):
//! started when the `tracing` span is created (sampling and the rate limiter
//! decide there, exactly as for `#[renacer::trace]`), made the current span
//! of a thread for each enter/exit pair, and ended when the span closes, on
//! whichever thread that happens. Its parent is whatever renacer span is
//! current on the creating thread, so `tracing` and renacer spans nest.
//!
//! `tracing` callsite metadata is `'static`, so the [`Site`] renacer needs is
//! built once per callsite and leaked: memory is bounded by the number of
//! callsites in the program, like the metadata itself.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use tracing_core::callsite::Identifier;
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::record::{enter_async, AsyncSpan, PollGuard, Site};

/// Records `tracing` spans into renacer. Add it to a registry:
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(renacer::interop::RenacerLayer::new());
/// tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(subscriber))
///     .expect("no other global subscriber");
/// ```
#[derive(Default)]
pub struct RenacerLayer {
    sites: Mutex<HashMap<Identifier, &'static Site>>,
}

impl fmt::Debug for RenacerLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenacerLayer").finish_non_exhaustive()
    }
}

/// The renacer span of one `tracing` span, kept in its extensions.
/// `AsyncSpan` is `Send` but not `Sync`; the mutex makes the slot shareable.
struct Slot(Mutex<AsyncSpan>);

thread_local! {
    /// Enter scopes open on this thread: (tracing span id, renacer scope).
    static ENTERED: RefCell<Vec<(u64, PollGuard)>> = const { RefCell::new(Vec::new()) };
}

impl RenacerLayer {
    /// A new layer. Spans are recorded once `renacer::init` has run.
    pub fn new() -> RenacerLayer {
        RenacerLayer::default()
    }

    /// The renacer site of a `tracing` callsite, built on first use.
    fn site(&self, meta: &'static Metadata<'static>) -> &'static Site {
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        sites.entry(meta.callsite()).or_insert_with(|| {
            let fields: Vec<&'static str> = meta.fields().iter().map(|f| f.name()).collect();
            let site = Site::new(
                meta.name(),
                meta.module_path().unwrap_or_else(|| meta.target()),
                meta.file().unwrap_or(""),
                meta.line().unwrap_or(0),
                0,
                Box::leak(fields.into_boxed_slice()),
            );
            Box::leak(Box::new(site))
        })
    }
}

/// Copies `tracing` field values into a renacer span.
struct FieldVisitor<'a>(&'a AsyncSpan);

impl FieldVisitor<'_> {
    fn index(field: &Field) -> Option<u8> {
        u8::try_from(field.index()).ok()
    }
}

impl Visit for FieldVisitor<'_> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Some(i) = Self::index(field) {
            self.0.record_field(i, value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if let Some(i) = Self::index(field) {
            self.0.record_field(i, value);
        }
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        if let Some(i) = Self::index(field) {
            self.0.record_field(i, value);
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if let Some(i) = Self::index(field) {
            self.0.record_field(i, value);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if let Some(i) = Self::index(field) {
            self.0.record_field(i, value);
        }
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // A recorded error marks the span failed, as OpenTelemetry would.
        self.0.set_error();
        if let Some(i) = Self::index(field) {
            self.0.record_field(i, value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if let Some(i) = Self::index(field) {
            self.0.record_field(i, format!("{value:?}"));
        }
    }
}

fn with_slot<S, R>(ctx: &Context<'_, S>, id: &Id, f: impl FnOnce(&AsyncSpan) -> R) -> Option<R>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let span = ctx.span(id)?;
    let ext = span.extensions();
    let slot = ext.get::<Slot>()?;
    let guard = slot.0.lock().unwrap_or_else(|e| e.into_inner());
    Some(f(&guard))
}

impl<S> Layer<S> for RenacerLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let span = enter_async(self.site(attrs.metadata()));
        if !span.is_recording() {
            return; // not sampled, rate limited or not initialised: nothing kept
        }
        attrs.record(&mut FieldVisitor(&span));
        if let Some(s) = ctx.span(id) {
            s.extensions_mut().insert(Slot(Mutex::new(span)));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        with_slot(&ctx, id, |span| values.record(&mut FieldVisitor(span)));
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(scope) = with_slot(&ctx, id, AsyncSpan::enter) {
            let _ = ENTERED.try_with(|e| e.borrow_mut().push((id.into_u64(), scope)));
        }
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        let key = id.into_u64();
        let scope = ENTERED
            .try_with(|e| {
                let mut e = e.borrow_mut();
                let pos = e.iter().rposition(|(k, _)| *k == key)?;
                Some(e.remove(pos).1)
            })
            .ok()
            .flatten();
        drop(scope); // pops the span off this thread's renacer stack
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            // Dropping the AsyncSpan records its end, on this thread.
            drop(span.extensions_mut().remove::<Slot>());
        }
    }
}
