//! W3C Trace Context: parsing and formatting of `traceparent` / `tracestate`,
//! reading them from the environment at init, and handing them on to child
//! processes.
//!
//! This is how a renacer program joins a trace started elsewhere: the renacer
//! CLI (or any OpenTelemetry-instrumented parent) starts it with
//! `TRACEPARENT=00-<trace id>-<parent span id>-<flags>`; at init the SDK
//! continues that trace, so root spans get its trace id and its span as
//! parent. Parsing follows <https://www.w3.org/TR/trace-context/> strictly: a
//! value that is not valid is reported in one line on stderr and ignored (the
//! program starts a new trace), never a panic.

use std::fmt;

use crate::model::{SpanId, TraceId};

/// Environment variable carrying the W3C `traceparent` header value.
pub const TRACEPARENT_ENV: &str = "TRACEPARENT";
/// Environment variable carrying the W3C `tracestate` header value.
pub const TRACESTATE_ENV: &str = "TRACESTATE";

/// The `sampled` bit of `trace-flags`.
pub const FLAG_SAMPLED: u8 = 0x01;

/// A parsed `traceparent`: which trace, which parent span, and its flags.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TraceParent {
    /// The header version (`00` today; higher versions are parsed leniently).
    pub version: u8,
    /// The trace.
    pub trace_id: TraceId,
    /// The span of the caller: the parent of our root spans.
    pub parent_id: SpanId,
    /// `trace-flags` ([`FLAG_SAMPLED`]).
    pub flags: u8,
}

/// Why a `traceparent` or `tracestate` value was rejected.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ContextError {
    /// Wrong overall length for its version (55 characters for version 00).
    Length(usize),
    /// A field is not lowercase hexadecimal of the right width.
    NotHex(&'static str),
    /// A `-` separator is missing.
    Separator,
    /// Version `ff` is forbidden by the specification.
    ForbiddenVersion,
    /// The trace id is all zeros.
    ZeroTraceId,
    /// The parent id is all zeros.
    ZeroParentId,
    /// A `tracestate` list member is malformed (the offending member).
    TraceState(String),
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextError::Length(n) => {
                write!(f, "traceparent has {n} characters, version 00 needs 55")
            }
            ContextError::NotHex(field) => {
                write!(
                    f,
                    "traceparent {field} is not lowercase hex of the right width"
                )
            }
            ContextError::Separator => write!(f, "traceparent fields must be separated by '-'"),
            ContextError::ForbiddenVersion => write!(f, "traceparent version ff is invalid"),
            ContextError::ZeroTraceId => write!(f, "traceparent trace-id is all zeros"),
            ContextError::ZeroParentId => write!(f, "traceparent parent-id is all zeros"),
            ContextError::TraceState(m) => write!(f, "tracestate member {m:?} is malformed"),
        }
    }
}

impl std::error::Error for ContextError {}

/// Parses exactly `width` lowercase hex digits (uppercase is invalid per spec).
fn lower_hex(s: &str, field: &'static str) -> Result<u128, ContextError> {
    if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ContextError::NotHex(field));
    }
    u128::from_str_radix(s, 16).map_err(|_| ContextError::NotHex(field))
}

impl TraceParent {
    /// A new `traceparent` of version 00.
    pub fn new(trace_id: TraceId, parent_id: SpanId, flags: u8) -> TraceParent {
        TraceParent {
            version: 0,
            trace_id,
            parent_id,
            flags,
        }
    }

    /// Whether the caller recorded its span (`sampled` flag).
    pub fn sampled(&self) -> bool {
        self.flags & FLAG_SAMPLED != 0
    }

    /// Parses a `traceparent` value. Surrounding blanks (optional white space
    /// of an HTTP header, or a stray newline in an env file) are ignored.
    pub fn parse(value: &str) -> Result<TraceParent, ContextError> {
        let s = value.trim_matches(|c| c == ' ' || c == '\t' || c == '\n' || c == '\r');
        if !s.is_ascii() {
            return Err(ContextError::NotHex("header"));
        }
        if s.len() < 55 {
            return Err(ContextError::Length(s.len()));
        }
        let b = s.as_bytes();
        if b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
            return Err(ContextError::Separator);
        }
        let version = lower_hex(&s[0..2], "version")? as u8;
        if version == 0xff {
            return Err(ContextError::ForbiddenVersion);
        }
        if version == 0 && s.len() != 55 {
            return Err(ContextError::Length(s.len()));
        }
        // A future version may append fields, but only after another '-'.
        if s.len() > 55 && b[55] != b'-' {
            return Err(ContextError::Separator);
        }
        let trace_id = lower_hex(&s[3..35], "trace-id")?;
        let parent_id = lower_hex(&s[36..52], "parent-id")? as u64;
        let mut flags = lower_hex(&s[53..55], "trace-flags")? as u8;
        if version > 0 {
            // Of an unknown version only the sampled bit has a known meaning.
            flags &= FLAG_SAMPLED;
        }
        if trace_id == 0 {
            return Err(ContextError::ZeroTraceId);
        }
        if parent_id == 0 {
            return Err(ContextError::ZeroParentId);
        }
        Ok(TraceParent {
            version,
            trace_id: TraceId(trace_id),
            parent_id: SpanId(parent_id),
            flags,
        })
    }
}

impl fmt::Display for TraceParent {
    /// Always written as version 00, the only version this code produces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            self.trace_id, self.parent_id, self.flags
        )
    }
}

impl std::str::FromStr for TraceParent {
    type Err = ContextError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TraceParent::parse(s)
    }
}

/// Checks one `tracestate` key: `simple-key` or `tenant@system`.
fn valid_key(key: &str) -> bool {
    fn part(s: &str, max: usize, first_digit_ok: bool) -> bool {
        let mut bytes = s.bytes();
        let Some(first) = bytes.next() else {
            return false;
        };
        let first_ok = first.is_ascii_lowercase() || (first_digit_ok && first.is_ascii_digit());
        first_ok
            && s.len() <= max
            && bytes.all(|c| {
                c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || matches!(c, b'_' | b'-' | b'*' | b'/')
            })
    }
    match key.split_once('@') {
        None => part(key, 256, false),
        Some((tenant, system)) => part(tenant, 241, true) && part(system, 14, false),
    }
}

/// Checks one `tracestate` value: printable ASCII except `,` and `=`, no
/// trailing space, at most 256 characters.
fn valid_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 256
        && !value.ends_with(' ')
        && value
            .bytes()
            .all(|c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
}

/// Validates a `tracestate` value and returns it normalised (members trimmed,
/// empty members dropped). At most 32 members are allowed.
pub fn parse_tracestate(value: &str) -> Result<String, ContextError> {
    let mut members = Vec::new();
    for member in value.split(',') {
        let member = member.trim_matches(|c| c == ' ' || c == '\t');
        if member.is_empty() {
            continue;
        }
        let ok = member
            .split_once('=')
            .is_some_and(|(k, v)| valid_key(k) && valid_value(v));
        if !ok {
            return Err(ContextError::TraceState(member.chars().take(64).collect()));
        }
        members.push(member);
    }
    if members.len() > 32 {
        return Err(ContextError::TraceState(format!(
            "{} members (at most 32)",
            members.len()
        )));
    }
    Ok(members.join(","))
}

#[cfg(test)]
#[path = "w3c_tests.rs"]
mod tests;
