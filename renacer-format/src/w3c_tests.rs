//! Tests of the W3C Trace Context parser: the examples and invalid cases of
//! the specification, plus property tests (round trip; no input panics).

use super::*;
use proptest::prelude::*;

const SPEC_EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[test]
fn parses_the_spec_example() {
    let tp = TraceParent::parse(SPEC_EXAMPLE).unwrap();
    assert_eq!(tp.version, 0);
    assert_eq!(tp.trace_id, TraceId(0x4bf92f3577b34da6a3ce929d0e0e4736));
    assert_eq!(tp.parent_id, SpanId(0x00f067aa0ba902b7));
    assert!(tp.sampled());
    assert_eq!(tp.to_string(), SPEC_EXAMPLE);
}

#[test]
fn not_sampled_flag_is_kept() {
    let tp = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
    assert!(!tp.sampled());
    assert_eq!(tp.flags, 0);
}

#[test]
fn surrounding_blanks_are_ignored() {
    assert!(TraceParent::parse(&format!("  {SPEC_EXAMPLE}\n")).is_ok());
}

#[test]
fn rejects_invalid_version_00_values() {
    let cases: &[(&str, ContextError)] = &[
        ("", ContextError::Length(0)),
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
            ContextError::Length(54),
        ),
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
            ContextError::Length(56),
        ),
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            ContextError::Length(61),
        ),
        (
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            ContextError::NotHex("trace-id"),
        ),
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
            ContextError::NotHex("parent-id"),
        ),
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            ContextError::NotHex("trace-flags"),
        ),
        (
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ContextError::NotHex("version"),
        ),
        (
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            ContextError::ZeroTraceId,
        ),
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            ContextError::ZeroParentId,
        ),
        (
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ContextError::ForbiddenVersion,
        ),
        (
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ContextError::Separator,
        ),
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
            ContextError::Separator,
        ),
        (
            "00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ContextError::NotHex("trace-id"),
        ),
    ];
    for (value, want) in cases {
        assert_eq!(TraceParent::parse(value).as_ref(), Err(want), "{value:?}");
    }
}

#[test]
fn future_versions_are_parsed_leniently() {
    // Longer, with extra fields after a '-': accepted, unknown flag bits dropped.
    let tp =
        TraceParent::parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-what-ever")
            .unwrap();
    assert_eq!(tp.version, 0xcc);
    assert_eq!(tp.flags, FLAG_SAMPLED);
    assert_eq!(tp.to_string(), SPEC_EXAMPLE);
    // Exactly 55 characters is fine too.
    assert!(TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").is_ok());
    // But extra data must follow a '-'.
    assert_eq!(
        TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00x"),
        Err(ContextError::Separator)
    );
}

#[test]
fn tracestate_validation() {
    assert_eq!(
        parse_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE").unwrap(),
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
    );
    assert_eq!(parse_tracestate(" a=1 ,, b@c=2 ").unwrap(), "a=1,b@c=2");
    assert_eq!(parse_tracestate("").unwrap(), "");
    assert!(parse_tracestate("Upper=1").is_err());
    assert!(parse_tracestate("k=v=w").is_err());
    assert!(parse_tracestate("novalue").is_err());
    assert!(parse_tracestate("k=").is_err());
    let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
    assert!(parse_tracestate(&many.join(",")).is_err());
}

proptest! {
    #[test]
    fn round_trip(trace in 1u128.., parent in 1u64.., flags: u8) {
        let tp = TraceParent::new(TraceId(trace), SpanId(parent), flags);
        let s = tp.to_string();
        prop_assert_eq!(s.len(), 55);
        prop_assert_eq!(TraceParent::parse(&s), Ok(tp));
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,80}") {
        let _ = TraceParent::parse(&s);
        let _ = parse_tracestate(&s);
    }

    #[test]
    fn near_valid_strings_never_panic(s in "[0-9a-fA-F-]{50,60}") {
        if let Ok(tp) = TraceParent::parse(&s) {
            // Whatever parses prints back as a valid version-00 value.
            prop_assert!(TraceParent::parse(&tp.to_string()).is_ok());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let s = String::from_utf8_lossy(&bytes);
        let _ = TraceParent::parse(&s);
        let _ = parse_tracestate(&s);
    }
}
