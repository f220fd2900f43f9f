//! renacer: function-level tracing at the cost of two clock reads per span.
//!
//! Put `#[renacer::trace]` on functions, call [`init`] once, and spans land in
//! lock-free per-thread rings; a background collector turns them into
//! [`model::SpanRecord`]s and hands them to exporters (JSON lines, Perfetto,
//! OTLP, the CLI's spool).
//!
//! ```
//! let path = std::env::temp_dir().join(format!("renacer-doc-{}.jsonl", std::process::id()));
//! let guard = renacer::Config::builder()
//!     .sample_rate(1.0)
//!     .output(&format!("jsonl:{}", path.display()))
//!     .init();
//! {
//!     let _span = renacer::span!("load_config", attempt = 1u32);
//!     // ... work ...
//! }
//! assert!(renacer::flush()); // exported when it returns
//! let stats = renacer::stats();
//! assert_eq!(stats.exported, 1);
//! drop(guard); // flushes and stops; also done at process exit
//! let line = std::fs::read_to_string(&path).unwrap();
//! assert!(line.contains("\"name\":\"load_config\""));
//! assert!(line.contains("\"attempt\":1"));
//! # std::fs::remove_file(&path).unwrap();
//! ```
//!
//! The code is laid out along the data flow: `record` (hot path: sampling,
//! rate limiting, clock, per-thread ring) → `collect` (collector thread:
//! pairing, ids, clock conversion) → `export` (sinks).

#![warn(missing_docs, unreachable_pub)]

mod collect;
pub mod compute;
pub mod config;
pub mod context;
pub mod export;
pub mod gpu;
#[cfg(feature = "tracing")]
pub mod interop;
mod record;
mod remote;
mod runtime;
pub mod stats;
pub(crate) mod sync;
mod value;

pub use config::{Config, ConfigBuilder};
#[cfg(feature = "otlp")]
pub use export::otlp::Protocol;
pub use export::Exporter;
pub use record::clock;
pub use record::{AsyncSpan, InCurrentSpan, Instrument, Instrumented, IntoFieldValue, SpanGuard};
pub use renacer_format::fnv::{decision_id, fnv1a64, site_id};
pub use renacer_format::model;
pub use renacer_macros::trace;
pub use runtime::{flush, init, InitGuard};
pub use stats::{stats, BreakerState, Stats};

#[doc(hidden)]
pub mod __private;

/// Opens a span for the rest of the enclosing block:
/// `let _g = renacer::span!("load_config");`. The name must be a string
/// literal; the site metadata is a `static`, like `#[renacer::trace]`'s.
#[macro_export]
macro_rules! span {
    ($name:literal) => {{
        static __RENACER_SITE: $crate::__private::Site =
            $crate::__private::Site::new($name, module_path!(), file!(), line!(), 0, &[]);
        $crate::__private::enter(&__RENACER_SITE)
    }};
    ($name:literal, $($field:ident = $value:expr),+ $(,)?) => {{
        static __RENACER_SITE: $crate::__private::Site = $crate::__private::Site::new(
            $name,
            module_path!(),
            file!(),
            line!(),
            0,
            &[$(stringify!($field)),+],
        );
        let guard = $crate::__private::enter(&__RENACER_SITE);
        if guard.is_recording() {
            let mut _index: u8 = 0;
            $(
                guard.record_field(_index, &($value));
                _index += 1;
            )+
        }
        guard
    }};
}

/// Starts an async (or dynamic) span for the rest of a future or for work
/// that crosses threads: `fut.in_span(renacer::async_span!("fetch"))`. The
/// name must be a string literal; the site metadata is a `static`.
#[macro_export]
macro_rules! async_span {
    ($name:literal) => {{
        static __RENACER_SITE: $crate::__private::Site =
            $crate::__private::Site::new($name, module_path!(), file!(), line!(), 0, &[]);
        $crate::__private::enter_async(&__RENACER_SITE)
    }};
}

/// Internals exposed to the loom models in `tests/loom_ring.rs`.
#[cfg(loom)]
#[doc(hidden)]
pub use record::loom_api as __loom;
