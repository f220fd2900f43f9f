//! Minimal, allocation-free JSON writing helpers for the exporters' hot
//! loop (serde_json per span would cost more than the collector's budget).

use std::io::Write;

use crate::model::FieldValue;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `v` as `digits` lowercase hex digits.
pub(crate) fn hex(out: &mut Vec<u8>, v: u128, digits: usize) {
    for i in (0..digits).rev() {
        out.push(HEX[((v >> (i * 4)) & 0xf) as usize]);
    }
}

/// Appends `"`-quoted 16-digit hex.
pub(crate) fn hex16_quoted(out: &mut Vec<u8>, v: u64) {
    out.push(b'"');
    hex(out, v as u128, 16);
    out.push(b'"');
}

pub(crate) fn uint(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

pub(crate) fn int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends a JSON string literal (quoted, escaped).
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
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
pub(crate) fn field_value(out: &mut Vec<u8>, v: &FieldValue) {
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
pub(crate) fn micros(out: &mut Vec<u8>, ns: u64) {
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
    }
}
