//! Minimal, allocation-free JSON writing helpers for the exporters' hot
//! loop (serde_json per span would cost more than the collector's budget).

use std::io::Write;

use crate::model::FieldValue;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Two hex digits per byte value, so formatting is one table load per byte.
static HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 0xf]];
        i += 1;
    }
    t
};

/// Appends `v` as 16 lowercase hex digits.
#[inline]
pub fn hex64(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 16];
    for (i, b) in v.to_be_bytes().iter().enumerate() {
        buf[i * 2..i * 2 + 2].copy_from_slice(&HEX_PAIRS[*b as usize]);
    }
    out.extend_from_slice(&buf);
}

/// Appends `v` as `digits` lowercase hex digits (any count up to 32).
pub fn hex(out: &mut Vec<u8>, v: u128, digits: usize) {
    if digits == 32 {
        hex64(out, (v >> 64) as u64);
        hex64(out, v as u64);
        return;
    }
    if digits == 16 {
        hex64(out, v as u64);
        return;
    }
    for i in (0..digits).rev() {
        out.push(HEX[((v >> (i * 4)) & 0xf) as usize]);
    }
}

/// Appends `"`-quoted 16-digit hex.
#[inline]
pub fn hex16_quoted(out: &mut Vec<u8>, v: u64) {
    out.push(b'"');
    hex64(out, v);
    out.push(b'"');
}

/// A JSON unsigned integer.
pub fn uint(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// A JSON signed integer.
pub fn int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends a JSON string literal (quoted, escaped).
#[inline]
pub fn string(out: &mut Vec<u8>, s: &str) {
    // Fast path: most strings (names, paths) need no escaping. The check has
    // no early exit so the compiler can vectorize it.
    let needs_escape = s.bytes().fold(false, |acc, b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs_escape {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    string_escaped(out, s);
}

#[cold]
fn string_escaped(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends a field value (non-finite floats become `null`: JSON has none).
pub fn field_value(out: &mut Vec<u8>, v: &FieldValue) {
    match v {
        FieldValue::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        FieldValue::I64(i) => int(out, *i),
        FieldValue::U64(u) => uint(out, *u),
        FieldValue::F64(f) if f.is_finite() => {
            let _ = write!(out, "{f:?}");
        }
        FieldValue::F64(_) => out.extend_from_slice(b"null"),
        FieldValue::Str(s) => string(out, s),
    }
}

/// Appends nanoseconds as microseconds with 3 decimals (`12.345`).
pub fn micros(out: &mut Vec<u8>, ns: u64) {
    uint(out, ns / 1000);
    let frac = ns % 1000;
    out.push(b'.');
    out.push(b'0' + (frac / 100) as u8);
    out.push(b'0' + (frac / 10 % 10) as u8);
    out.push(b'0' + (frac % 10) as u8);
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_like_serde_json() {
        for s in [
            "plain",
            "q\"uote",
            "back\\slash",
            "nl\n\t\r",
            "\u{1}ctl",
            "ünï",
        ] {
            let mut out = Vec::new();
            string(&mut out, s);
            let parsed: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(parsed, s);
        }
    }

    #[test]
    fn numbers_and_micros() {
        let mut out = Vec::new();
        micros(&mut out, 1_234_567);
        assert_eq!(out, b"1234.567");
        out.clear();
        field_value(&mut out, &FieldValue::F64(0.5));
        assert_eq!(out, b"0.5");
        out.clear();
        field_value(&mut out, &FieldValue::F64(f64::NAN));
        assert_eq!(out, b"null");
        out.clear();
        hex(&mut out, 0xabc, 4);
        assert_eq!(out, b"0abc");
        out.clear();
        hex(&mut out, 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210, 32);
        assert_eq!(out, b"0123456789abcdeffedcba9876543210");
        out.clear();
        hex16_quoted(&mut out, 0xfeed);
        assert_eq!(out, b"\"000000000000feed\"");
    }
}
