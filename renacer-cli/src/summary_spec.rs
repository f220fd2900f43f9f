//! What `-c`'s table shows, as strace 6 spells it: the columns (`-U`), the
//! order (`-S`), the clock a call's time is read from (`-w`) and the
//! per-call overhead subtracted from it (`-O`). Parsed here, printed by
//! `output::summary`, measured by the tracer (system time needs `wait4`'s
//! rusage at every stop, so the tracer asks only when the table wants it).

/// A column of the table (`-U`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    /// `% time`: share of the total time.
    TimePercent,
    /// `seconds`: total time.
    TotalTime,
    /// `shortest`: the shortest call.
    MinTime,
    /// `longest`: the longest call.
    MaxTime,
    /// `usecs/call`: mean time per call.
    AvgTime,
    /// `calls`.
    Calls,
    /// `errors`: calls that failed.
    Errors,
    /// `syscall`: the name.
    Name,
}

/// The row order (`-S`); ties keep syscall-number order, as strace's
/// stable sort of its number-indexed table does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum SortBy {
    /// Total time, longest first (the default).
    #[default]
    Time,
    /// Shortest call, longest first.
    MinTime,
    /// Longest call, longest first.
    MaxTime,
    /// Mean time, longest first.
    AvgTime,
    /// Most calls first.
    Calls,
    /// Most errors first.
    Errors,
    /// Alphabetical.
    Name,
    /// Syscall-number order.
    Nothing,
}

/// Where a call's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Clock {
    /// The tracee's system CPU time between entry and exit (`ru_stime`),
    /// strace's default.
    #[default]
    System,
    /// `-w`: wall-clock latency from the entry stop to the exit stop.
    Wall,
}

/// The table's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SummarySpec {
    /// Columns in print order; the name is always among them.
    pub columns: Vec<Column>,
    /// `-S`.
    pub sort: SortBy,
    /// `-w`.
    pub clock: Clock,
    /// `-O`: subtracted from every call's time (floored at zero).
    pub overhead_ns: u64,
}

impl Default for SummarySpec {
    fn default() -> Self {
        SummarySpec {
            columns: vec![
                Column::TimePercent,
                Column::TotalTime,
                Column::AvgTime,
                Column::Calls,
                Column::Errors,
                Column::Name,
            ],
            sort: SortBy::default(),
            clock: Clock::default(),
            overhead_ns: 0,
        }
    }
}

/// `-S SORTBY` with strace's aliases.
pub(crate) fn parse_sort(v: &str) -> Result<SortBy, String> {
    Ok(match v {
        "time" | "time-percent" | "total-time" | "time-total" => SortBy::Time,
        "min-time" | "shortest" | "time-min" => SortBy::MinTime,
        "max-time" | "longest" | "time-max" => SortBy::MaxTime,
        "avg-time" | "time-avg" => SortBy::AvgTime,
        "calls" | "count" => SortBy::Calls,
        "errors" | "error" => SortBy::Errors,
        "name" | "syscall" | "syscall-name" => SortBy::Name,
        "nothing" | "none" => SortBy::Nothing,
        _ => {
            return Err(format!(
            "invalid sortby: '{v}' (time, min-time, max-time, avg-time, calls, errors, name or nothing)"
        ))
        }
    })
}

/// `-U COLUMNS`: a comma-separated list with strace's aliases; the name
/// column is added last when the list leaves it out, as strace does.
pub(crate) fn parse_columns(v: &str) -> Result<Vec<Column>, String> {
    let mut cols = Vec::new();
    for c in v.split(',').filter(|c| !c.is_empty()) {
        let col = match c {
            "time-percent" => Column::TimePercent,
            "total-time" | "time-total" => Column::TotalTime,
            "min-time" | "shortest" | "time-min" => Column::MinTime,
            "max-time" | "longest" | "time-max" => Column::MaxTime,
            "avg-time" | "time-avg" => Column::AvgTime,
            "calls" | "count" => Column::Calls,
            "errors" | "error" => Column::Errors,
            "name" | "syscall" | "syscall-name" => Column::Name,
            _ => return Err(format!(
                "unknown column name: '{c}' (time-percent, total-time, min-time, max-time, avg-time, calls, errors, name)"
            )),
        };
        if !cols.contains(&col) {
            cols.push(col);
        }
    }
    if !cols.contains(&Column::Name) {
        cols.push(Column::Name);
    }
    Ok(cols)
}

/// `-O OVERHEAD[UNIT]`: s, ms, us or ns; microseconds without a unit.
pub(crate) fn parse_overhead(v: &str) -> Result<u64, String> {
    let bad = || format!("invalid -O argument: '{v}' (a time such as 2, 1.5us or 300ns)");
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let scale = match unit {
        "" | "us" => 1e3,
        "ns" => 1.0,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return Err(bad()),
    };
    let n: f64 = num.parse().map_err(|_| bad())?;
    Ok((n * scale).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_columns_and_overhead_parse_as_strace_spells_them() {
        assert_eq!(parse_sort("count"), Ok(SortBy::Calls));
        assert_eq!(parse_sort("none"), Ok(SortBy::Nothing));
        assert!(parse_sort("percent")
            .unwrap_err()
            .contains("invalid sortby"));
        assert_eq!(
            parse_columns("calls,max-time").unwrap(),
            [Column::Calls, Column::MaxTime, Column::Name]
        );
        assert!(parse_columns("seconds")
            .unwrap_err()
            .contains("unknown column"));
        assert_eq!(parse_overhead("2"), Ok(2000));
        assert_eq!(parse_overhead("1.5ms"), Ok(1_500_000));
        assert_eq!(parse_overhead("300ns"), Ok(300));
        assert!(parse_overhead("x").is_err());
        assert!(parse_overhead("2h").is_err());
    }
}
