//! Encoding of one span into a frame payload, and back.
//!
//! Integers that are usually small (times, ids of threads, lengths) are LEB128
//! varints; ids that are uniformly random (span, site, decision ids) are fixed
//! 8 bytes, where a varint would only cost more. Strings are either a
//! reference to a string interned earlier in the same file or inline:
//!
//! ```text
//! strref := varint(id << 1)                 interned string number `id`
//!         | varint(len << 1 | 1) bytes[len] inline UTF-8
//! span   := trace_id[16] | span_id u64 | parent u64 (0 = none) | name strref
//!         | kind u8 | start varint | (end - start) varint (wrapping)
//!         | pid varint | tid varint | has_thread_name u8 [strref]
//!         | site_id u64 | has_decision u8 [u64] | module strref | file strref
//!         | line varint | nfields varint (key strref | type u8 | value)*
//!         | status u8 (0 unset, 1 error) [message strref]
//!         | flags u8                        (version 2 on: SpanFlags bits)
//! value  := bool u8 | i64 zigzag varint | u64 varint | f64 bits u64 | strref
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use crate::model::{FieldValue, SpanFlags, SpanId, SpanKind, SpanRecord, SpanStatus, TraceId};

/// Why a payload could not be decoded; the reader turns it into a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(
    /// What was wrong.
    pub &'static str,
);

/// Appends `v` as an LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a string reference; `interned` is a string to its interned number
/// when the writer decided to intern it (it emits the definition itself).
pub fn put_str(out: &mut Vec<u8>, s: &str, interned: Option<u32>) {
    match interned {
        Some(id) => put_varint(out, u64::from(id) << 1),
        None => {
            put_varint(out, ((s.len() as u64) << 1) | 1);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

fn kind_code(kind: SpanKind) -> u8 {
    SpanKind::ALL.iter().position(|&k| k == kind).unwrap_or(0) as u8
}

/// Encodes `span` into `out`. `intern` is called for each string that may be
/// interned (names, paths, keys) and returns its number, or `None` to inline.
pub fn encode_span(
    out: &mut Vec<u8>,
    span: &SpanRecord,
    intern: &mut dyn FnMut(&str) -> Option<u32>,
) {
    out.extend_from_slice(&span.trace_id.0.to_le_bytes());
    put_u64(out, span.span_id.0);
    put_u64(out, span.parent_span_id.map_or(0, |p| p.0));
    put_str(out, &span.name, intern(&span.name));
    out.push(kind_code(span.kind));
    put_varint(out, span.start_ns);
    put_varint(out, span.end_ns.wrapping_sub(span.start_ns));
    put_varint(out, u64::from(span.pid));
    put_varint(out, u64::from(span.tid));
    match &span.thread_name {
        Some(t) => {
            out.push(1);
            put_str(out, t, intern(t));
        }
        None => out.push(0),
    }
    put_u64(out, span.site_id);
    match span.decision_id {
        Some(d) => {
            out.push(1);
            put_u64(out, d);
        }
        None => out.push(0),
    }
    put_str(out, &span.module_path, intern(&span.module_path));
    put_str(out, &span.file, intern(&span.file));
    put_varint(out, u64::from(span.line));
    put_varint(out, span.fields.len() as u64);
    for (key, value) in &span.fields {
        put_str(out, key, intern(key));
        match value {
            FieldValue::Bool(b) => {
                out.push(0);
                out.push(u8::from(*b));
            }
            FieldValue::I64(v) => {
                out.push(1);
                put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
            }
            FieldValue::U64(v) => {
                out.push(2);
                put_varint(out, *v);
            }
            FieldValue::F64(v) => {
                out.push(3);
                put_u64(out, v.to_bits());
            }
            // Field values vary per call: inline, never interned.
            FieldValue::Str(s) => {
                out.push(4);
                put_str(out, s, None);
            }
        }
    }
    match &span.status {
        SpanStatus::Unset => out.push(0),
        SpanStatus::Error(msg) => {
            out.push(1);
            put_str(out, msg, None);
        }
    }
    out.push(span.flags.bits());
}

/// A cursor over one payload of a file in format `version`, whose interned
/// strings so far are `strings`.
pub struct Dec<'a> {
    buf: &'a [u8],
    pos: usize,
    strings: &'a [Arc<str>],
    version: u16,
}

const SHORT: DecodeError = DecodeError("record shorter than its fields");

impl<'a> Dec<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a [u8], strings: &'a [Arc<str>], version: u16) -> Dec<'a> {
        Dec {
            buf,
            pos: 0,
            strings,
            version,
        }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(SHORT)?;
        let s = self.buf.get(self.pos..end).ok_or(SHORT)?;
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.bytes(1)?[0])
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.bytes(8)?);
        Ok(u64::from_le_bytes(a))
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError("varint longer than 10 bytes"))
    }

    fn u32_varint(&mut self) -> Result<u32, DecodeError> {
        u32::try_from(self.varint()?).map_err(|_| DecodeError("32-bit value out of range"))
    }

    fn flag(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError("invalid flag byte")),
        }
    }

    fn str_arc(&mut self) -> Result<Arc<str>, DecodeError> {
        let v = self.varint()?;
        if v & 1 == 0 {
            let id = usize::try_from(v >> 1).map_err(|_| DecodeError("bad string id"))?;
            self.strings
                .get(id)
                .cloned()
                .ok_or(DecodeError("reference to an undefined string"))
        } else {
            let len = usize::try_from(v >> 1).map_err(|_| SHORT)?;
            let b = self.bytes(len)?;
            std::str::from_utf8(b)
                .map(Arc::from)
                .map_err(|_| DecodeError("string is not UTF-8"))
        }
    }

    fn cow(&mut self) -> Result<Cow<'static, str>, DecodeError> {
        Ok(Cow::Owned(String::from(&*self.str_arc()?)))
    }

    fn finish(&self) -> Result<(), DecodeError> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(DecodeError("trailing bytes after the record"))
        }
    }
}

/// Decodes one span payload.
pub fn decode_span(d: &mut Dec<'_>) -> Result<SpanRecord, DecodeError> {
    let mut tid_bytes = [0u8; 16];
    tid_bytes.copy_from_slice(d.bytes(16)?);
    let trace_id = TraceId(u128::from_le_bytes(tid_bytes));
    let span_id = SpanId(d.u64()?);
    let parent = d.u64()?;
    let name = d.cow()?;
    let kind = *SpanKind::ALL
        .get(usize::from(d.u8()?))
        .ok_or(DecodeError("unknown span kind"))?;
    let start_ns = d.varint()?;
    let end_ns = start_ns.wrapping_add(d.varint()?);
    let pid = d.u32_varint()?;
    let tid = d.u32_varint()?;
    let thread_name = if d.flag()? { Some(d.str_arc()?) } else { None };
    let site_id = d.u64()?;
    let decision_id = if d.flag()? { Some(d.u64()?) } else { None };
    let module_path = d.cow()?;
    let file = d.cow()?;
    let line = d.u32_varint()?;
    let nfields = d.varint()?;
    // Every field takes at least 3 bytes; bound the allocation by what is left.
    if nfields > (d.buf.len() - d.pos) as u64 / 3 {
        return Err(DecodeError("field count larger than the record"));
    }
    let mut fields = Vec::with_capacity(nfields as usize);
    for _ in 0..nfields {
        let key = d.cow()?;
        let value = match d.u8()? {
            0 => FieldValue::Bool(d.flag()?),
            1 => {
                let z = d.varint()?;
                FieldValue::I64(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            2 => FieldValue::U64(d.varint()?),
            3 => FieldValue::F64(f64::from_bits(d.u64()?)),
            4 => FieldValue::Str(d.cow()?),
            _ => return Err(DecodeError("unknown field type")),
        };
        fields.push((key, value));
    }
    let status = if d.flag()? {
        SpanStatus::Error(d.cow()?)
    } else {
        SpanStatus::Unset
    };
    // Version 1 had no flags: its async spans read back as sync ones.
    let flags = if d.version >= 2 {
        SpanFlags::from_bits(d.u8()?)
    } else {
        SpanFlags::NONE
    };
    d.finish()?;
    Ok(SpanRecord {
        trace_id,
        span_id,
        parent_span_id: (parent != 0).then_some(SpanId(parent)),
        name,
        kind,
        flags,
        start_ns,
        end_ns,
        pid,
        tid,
        thread_name,
        site_id,
        decision_id,
        module_path,
        file,
        line,
        fields,
        status,
    })
}
