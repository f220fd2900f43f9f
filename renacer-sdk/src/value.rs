//! The one parser of configuration numbers (`RENACER_*`, `OTEL_*` and
//! `RENACER_OTLP_*` values): each returns the reason a value is refused,
//! which the caller turns into its one-line message.

use std::time::Duration;

/// A non-negative integer.
pub(crate) fn parse_u64(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| "not a non-negative integer".into())
}

/// An integer within `range`.
pub(crate) fn parse_in(s: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, String> {
    match parse_u64(s)? {
        v if range.contains(&v) => Ok(v),
        _ => Err(format!(
            "must be within [{}, {}]",
            range.start(),
            range.end()
        )),
    }
}

/// A positive integer.
pub(crate) fn parse_positive(s: &str) -> Result<u64, String> {
    parse_u64(s)
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| "not a positive integer".into())
}

/// A whole number of milliseconds.
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) fn parse_ms(s: &str) -> Result<Duration, String> {
    parse_u64(s)
        .map(Duration::from_millis)
        .map_err(|_| "not a number of milliseconds".into())
}

/// A fraction within [0, 1].
pub(crate) fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        Ok(_) => Err("must be within [0, 1]".into()),
        Err(_) => Err("not a number".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_parser_says_why() {
        assert_eq!(parse_u64(" 12 "), Ok(12));
        assert!(parse_u64("-1").unwrap_err().contains("non-negative"));
        assert_eq!(parse_in("4", 4..=8), Ok(4));
        assert!(parse_in("9", 4..=8).unwrap_err().contains("[4, 8]"));
        assert!(parse_positive("0").unwrap_err().contains("positive"));
        assert_eq!(parse_ms("250"), Ok(Duration::from_millis(250)));
        assert!(parse_ms("1s").unwrap_err().contains("milliseconds"));
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert!(parse_fraction("1.5").unwrap_err().contains("[0, 1]"));
        assert!(parse_fraction("NaN").unwrap_err().contains("[0, 1]"));
    }
}
