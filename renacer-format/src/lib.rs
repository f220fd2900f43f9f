//! The definitions every part of renacer shares, owned once.
//!
//! - [`model`]: a completed span ([`model::SpanRecord`]) with its flags,
//!   ids and fields — what the SDK's collector hands to exporters and what
//!   the CLI reads back from a spool;
//! - [`spool`]: the spool file's frame format and the span codec, both
//!   directions (the SDK writes files, the CLI's trace crate reads them);
//! - [`perfetto`]: the Chrome Trace Event writer used by the SDK's
//!   `perfetto:` sink and by the unified trace's Perfetto output;
//! - [`json`]: the one JSON string escaper and number rules (NaN/inf → null);
//! - [`w3c`]: `traceparent`/`tracestate` parsing and formatting;
//! - [`le`]: the one little-endian integer reader;
//! - [`gpu`]: GPU items' field keys, tracks and launches;
//! - [`fnv`]: compile-time FNV-1a 64 site and decision ids;
//! - [`hash`]: the one SplitMix64 mixer and the one id-map hasher.
//!
//! Small on purpose: no I/O beyond `Write`, two tiny dependencies.

#![warn(missing_docs, unreachable_pub)]

pub mod fnv;
pub mod gpu;
pub mod hash;
pub mod json;
pub mod le;
pub mod model;
pub mod perfetto;
pub mod spool;
pub mod w3c;
