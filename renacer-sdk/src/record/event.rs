//! The 32-byte event that travels through a per-thread ring.
//!
//! Events are plain data (`Copy`) so a ring slot is written with one store
//! sequence and no destructor ever runs on the hot path. Site metadata is
//! carried as a pointer to the macro-generated `static`, never as strings.
//! The only event that owns memory is a `Field` holding a heap string
//! (`OWNED_STR`); whoever consumes or discards such an event frees it with
//! [`Event::into_field_value`] or [`Event::discard`].

use std::borrow::Cow;

use super::Site;
use crate::model::FieldValue;

/// Span entered: `w[0]` = `&'static Site`, `w[1]` = raw timestamp.
pub(crate) const ENTER: u8 = 1;
/// A sync span exited: `w[0]` = raw timestamp, `w[1]` = ring position + 1
/// of its `ENTER` (0: the innermost open one), `a` = flags.
pub(crate) const EXIT: u8 = 2;
/// Field of the innermost open sync span (or of the span named by the
/// preceding `TARGET` when `c & FIELD_TARGETED` is set): `a` = index,
/// `b` = value type, `len` = inline string length, `w` = payload.
pub(crate) const FIELD: u8 = 3;
/// Async span started: `w[0]` = site, `w[1]` = span id, `w[2]` = raw timestamp.
pub(crate) const ASYNC_START: u8 = 4;
/// Async span ended: `w[0]` = span id, `w[1]` = raw timestamp, `a` = flags.
pub(crate) const ASYNC_END: u8 = 5;
/// An async span is being polled on this thread: `w[0]` = span id,
/// `w[1]`/`w[2]` = its trace id high/low (so the poll's children know their
/// trace whatever ring holds the span's start).
pub(crate) const RESUME: u8 = 6;
/// The poll started by the matching `RESUME` returned: `w[0]` = span id.
pub(crate) const SUSPEND: u8 = 7;
/// The next `FIELD` belongs to async span `w[0]`.
pub(crate) const TARGET: u8 = 8;
/// The span entered or started right after this event, a root, is a child
/// of a context from outside renacer (the current OpenTelemetry span):
/// `w[0]`/`w[1]` = trace id high/low, `w[2]` = parent span id.
pub(crate) const ROOT_PARENT: u8 = 9;

/// Flag of `EXIT` / `ASYNC_END`: the span ended in error.
pub(crate) const FLAG_ERROR: u8 = 1;
/// Flag of `EXIT` / `ASYNC_END`: the span ended by unwinding.
pub(crate) const FLAG_PANIC: u8 = 2;
/// Flag of `FIELD` (in `c`): the field belongs to the preceding `TARGET`.
pub(crate) const FIELD_TARGETED: u8 = 1;

const V_BOOL: u8 = 1;
const V_I64: u8 = 2;
const V_U64: u8 = 3;
const V_F64: u8 = 4;
const V_STATIC_STR: u8 = 5;
const V_INLINE_STR: u8 = 6;
const V_OWNED_STR: u8 = 7;

/// Longest string stored inside the event itself, without allocating.
pub(crate) const INLINE_STR_MAX: usize = 24;

/// One ring slot.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(8))]
pub(crate) struct Event {
    pub(crate) kind: u8,
    pub(crate) a: u8,
    pub(crate) b: u8,
    pub(crate) c: u8,
    pub(crate) len: u32,
    pub(crate) w: [u64; 3],
}

// The design budget: at most 32 bytes per ring event.
const _: () = assert!(std::mem::size_of::<Event>() <= 32);

/// A field value on its way into the ring. Numbers, bools, `&'static str` and
/// short strings need no allocation; a long borrowed string is copied once.
#[derive(Debug)]
pub enum RawField {
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Static(&'static str),
    Inline([u8; INLINE_STR_MAX], u8),
    Owned(Box<str>),
    /// No value (`None`): nothing is recorded.
    Absent,
}

impl RawField {
    /// Encodes a borrowed string: inline when short, else one heap copy.
    pub(crate) fn from_str(s: &str) -> RawField {
        if s.len() <= INLINE_STR_MAX {
            let mut buf = [0u8; INLINE_STR_MAX];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            RawField::Inline(buf, s.len() as u8)
        } else {
            RawField::Owned(s.into())
        }
    }

    /// Encodes an owned string: inline when short, else moved as is.
    pub(crate) fn from_string(s: String) -> RawField {
        if s.len() <= INLINE_STR_MAX {
            RawField::from_str(&s)
        } else {
            RawField::Owned(s.into_boxed_str())
        }
    }

    pub(crate) fn from_value(v: FieldValue) -> RawField {
        match v {
            FieldValue::Bool(b) => RawField::Bool(b),
            FieldValue::I64(i) => RawField::I64(i),
            FieldValue::U64(u) => RawField::U64(u),
            FieldValue::F64(f) => RawField::F64(f),
            FieldValue::Str(Cow::Borrowed(s)) => RawField::Static(s),
            FieldValue::Str(Cow::Owned(s)) => RawField::Owned(s.into_boxed_str()),
        }
    }
}

impl Event {
    #[inline(always)]
    pub(crate) fn enter(site: &'static Site, ts: u64) -> Event {
        Event {
            kind: ENTER,
            w: [site as *const Site as u64, ts, 0],
            ..Event::default()
        }
    }

    #[inline(always)]
    pub(crate) fn exit(ts: u64, flags: u8, enter_pos: u64) -> Event {
        Event {
            kind: EXIT,
            a: flags,
            w: [ts, enter_pos, 0],
            ..Event::default()
        }
    }

    pub(crate) fn simple(kind: u8, id: u64, ts: u64, flags: u8) -> Event {
        Event {
            kind,
            a: flags,
            w: [id, ts, 0],
            ..Event::default()
        }
    }

    pub(crate) fn resume(id: u64, trace: u128) -> Event {
        Event {
            kind: RESUME,
            w: [id, (trace >> 64) as u64, trace as u64],
            ..Event::default()
        }
    }

    pub(crate) fn root_parent(trace: u128, span: u64) -> Event {
        Event {
            kind: ROOT_PARENT,
            w: [(trace >> 64) as u64, trace as u64, span],
            ..Event::default()
        }
    }

    pub(crate) fn async_start(site: &'static Site, id: u64, ts: u64) -> Event {
        Event {
            kind: ASYNC_START,
            w: [site as *const Site as u64, id, ts],
            ..Event::default()
        }
    }

    /// A field event. Ownership of an `Owned` string moves into the event.
    pub(crate) fn field(index: u8, value: RawField, targeted: bool) -> Event {
        let mut ev = Event {
            kind: FIELD,
            a: index,
            c: if targeted { FIELD_TARGETED } else { 0 },
            ..Event::default()
        };
        match value {
            RawField::Bool(b) => (ev.b, ev.w[0]) = (V_BOOL, b as u64),
            RawField::I64(i) => (ev.b, ev.w[0]) = (V_I64, i as u64),
            RawField::U64(u) => (ev.b, ev.w[0]) = (V_U64, u),
            RawField::F64(f) => (ev.b, ev.w[0]) = (V_F64, f.to_bits()),
            RawField::Static(s) => {
                ev.b = V_STATIC_STR;
                ev.w = [s.as_ptr() as u64, s.len() as u64, 0];
            }
            RawField::Inline(buf, len) => {
                ev.b = V_INLINE_STR;
                ev.len = len as u32;
                for (i, chunk) in buf.chunks_exact(8).enumerate() {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(chunk);
                    ev.w[i] = u64::from_le_bytes(word);
                }
            }
            RawField::Owned(s) => {
                ev.b = V_OWNED_STR;
                let len = s.len() as u64;
                ev.w = [Box::into_raw(s) as *mut u8 as u64, len, 0];
            }
            // Callers never build an event from an absent value.
            RawField::Absent => {}
        }
        ev
    }

    /// The site of an `ENTER` or `ASYNC_START` event.
    pub(crate) fn site(&self) -> &'static Site {
        // SAFETY: ENTER/ASYNC_START events are only built by `Event::enter` /
        // `Event::async_start` from a `&'static Site`, so w[0] is a valid
        // pointer to a static that lives for the whole program.
        unsafe { &*(self.w[0] as usize as *const Site) }
    }

    /// Decodes a `FIELD` event, taking ownership of a heap string.
    ///
    /// # Safety
    /// Must be called at most once per event built by [`Event::field`]
    /// (copies of the same event must not be decoded or discarded again).
    pub(crate) unsafe fn into_field_value(self) -> FieldValue {
        match self.b {
            V_BOOL => FieldValue::Bool(self.w[0] != 0),
            V_I64 => FieldValue::I64(self.w[0] as i64),
            V_U64 => FieldValue::U64(self.w[0]),
            V_F64 => FieldValue::F64(f64::from_bits(self.w[0])),
            V_STATIC_STR => {
                // SAFETY: built from a `&'static str` in `Event::field`.
                let bytes = unsafe {
                    std::slice::from_raw_parts(self.w[0] as usize as *const u8, self.w[1] as usize)
                };
                // SAFETY: the bytes came from a `str`, so they are UTF-8.
                FieldValue::Str(Cow::Borrowed(unsafe {
                    std::str::from_utf8_unchecked(bytes)
                }))
            }
            V_INLINE_STR => {
                let mut buf = [0u8; INLINE_STR_MAX];
                for (i, word) in self.w.iter().enumerate() {
                    buf[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
                }
                let len = (self.len as usize).min(INLINE_STR_MAX);
                FieldValue::Str(Cow::Owned(
                    String::from_utf8_lossy(&buf[..len]).into_owned(),
                ))
            }
            V_OWNED_STR => {
                let ptr = std::ptr::slice_from_raw_parts_mut(
                    self.w[0] as usize as *mut u8,
                    self.w[1] as usize,
                ) as *mut str;
                // SAFETY: produced by `Box::into_raw` in `Event::field`; the
                // caller guarantees this is the only decode of this event.
                let s: Box<str> = unsafe { Box::from_raw(ptr) };
                FieldValue::Str(Cow::Owned(s.into()))
            }
            _ => FieldValue::Bool(false),
        }
    }

    /// Frees whatever the event owns (a heap string), for events that are
    /// dropped instead of consumed.
    ///
    /// # Safety
    /// Same contract as [`Event::into_field_value`].
    pub(crate) unsafe fn discard(self) {
        if self.kind == FIELD && self.b == V_OWNED_STR {
            // SAFETY: forwarded contract.
            drop(unsafe { self.into_field_value() });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn field_values_round_trip() {
        let cases = [
            RawField::Bool(true),
            RawField::I64(-5),
            RawField::U64(u64::MAX),
            RawField::F64(1.5),
            RawField::Static("static"),
            RawField::from_str("short inline"),
            RawField::from_str("a string longer than twenty-four bytes"),
        ];
        let want = [
            FieldValue::Bool(true),
            FieldValue::I64(-5),
            FieldValue::U64(u64::MAX),
            FieldValue::F64(1.5),
            FieldValue::Str("static".into()),
            FieldValue::Str("short inline".into()),
            FieldValue::Str("a string longer than twenty-four bytes".into()),
        ];
        for (raw, want) in cases.into_iter().zip(want) {
            let ev = Event::field(3, raw, false);
            assert_eq!(ev.a, 3);
            // SAFETY: each event is decoded exactly once.
            assert_eq!(unsafe { ev.into_field_value() }, want);
        }
    }

    #[test]
    fn inline_limit_is_exact() {
        let s = "x".repeat(INLINE_STR_MAX);
        assert!(matches!(RawField::from_str(&s), RawField::Inline(_, 24)));
        let s = "x".repeat(INLINE_STR_MAX + 1);
        assert!(matches!(RawField::from_str(&s), RawField::Owned(_)));
    }
}
