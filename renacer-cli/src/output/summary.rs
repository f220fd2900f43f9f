//! `-c` / `-C`: per-syscall counts, errors and time, printed like strace's
//! summary table, with its `-U` columns, `-S` order, `-w` clock and `-O`
//! overhead (`summary_spec`). With `-T`, the table adds each syscall's
//! latency percentiles (`latency.rs`) before the name.

use super::latency::{self, Samples};
use super::{Event, Sink};
use crate::summary_spec::{Clock, Column, SortBy, SummarySpec};
use std::collections::HashMap;
use std::io::{self, Write};

#[derive(Clone)]
struct Row {
    /// Syscall number: ties sort in number order, as strace's do.
    nr: u64,
    calls: u64,
    errors: u64,
    ns: u64,
    min_ns: u64,
    max_ns: u64,
    /// Latencies, with `-T`.
    samples: Option<Samples>,
}

impl Row {
    fn new(nr: u64, percentiles: bool) -> Self {
        Row {
            nr,
            calls: 0,
            errors: 0,
            ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
            samples: percentiles.then(Samples::default),
        }
    }

    fn add(&mut self, ns: u64, is_error: bool) {
        self.calls += 1;
        self.errors += u64::from(is_error);
        self.ns += ns;
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    fn avg_ns(&self) -> u64 {
        self.ns.checked_div(self.calls).unwrap_or(0)
    }
}

/// Accumulates the table and prints it at [`Sink::finish`].
pub(crate) struct SummarySink {
    out: Box<dyn Write>,
    rows: HashMap<String, Row>,
    text: bool,
    percentiles: bool,
    spec: SummarySpec,
}

impl SummarySink {
    /// `also_text`: another sink prints per-call lines (`-C`);
    /// `percentiles`: latency percentile columns (`-T`).
    pub(crate) fn new(
        out: Box<dyn Write>,
        also_text: bool,
        percentiles: bool,
        spec: SummarySpec,
    ) -> Self {
        SummarySink {
            out,
            rows: HashMap::new(),
            text: also_text,
            percentiles,
            spec,
        }
    }
}

impl Sink for SummarySink {
    fn event(&mut self, ev: &Event, _multi: bool) -> io::Result<()> {
        // Like strace, calls that never returned (exit_group, a thread killed
        // mid-call) are not counted: there is no result to count.
        let Event::Syscall(s) = ev else {
            return Ok(());
        };
        let Some(exit_ns) = s.exit_ns.filter(|_| s.ret.is_some()) else {
            return Ok(());
        };
        let measured = match self.spec.clock {
            Clock::Wall => exit_ns.saturating_sub(s.entry_ns),
            Clock::System => s.cpu_ns.unwrap_or(0),
        };
        let ns = measured.saturating_sub(self.spec.overhead_ns);
        let percentiles = self.percentiles;
        let row = self
            .rows
            .entry(s.name.to_string())
            .or_insert_with(|| Row::new(s.nr, percentiles));
        row.add(ns, s.is_error);
        if let Some(samples) = &mut row.samples {
            samples.push(ns);
        }
        Ok(())
    }

    fn wants_text(&self) -> bool {
        self.text
    }

    fn finish(&mut self) -> io::Result<()> {
        let table = render(&self.rows, &self.spec, self.percentiles);
        self.out.write_all(table.as_bytes())?;
        self.out.flush()
    }
}

/// Header and width of a column; the name column is left-aligned.
fn head(c: Column) -> (&'static str, usize) {
    match c {
        Column::TimePercent => ("% time", 6),
        Column::TotalTime => ("seconds", 11),
        Column::MinTime => ("shortest", 8),
        Column::MaxTime => ("longest", 8),
        Column::AvgTime => ("usecs/call", 11),
        Column::Calls => ("calls", 9),
        Column::Errors => ("errors", 9),
        Column::Name => ("syscall", 16),
    }
}

fn seconds(ns: u64) -> String {
    format!("{}.{:06}", ns / 1_000_000_000, (ns / 1000) % 1_000_000)
}

fn sorted(rows: &HashMap<String, Row>, sort: SortBy) -> Vec<(&String, &Row)> {
    let mut rows: Vec<(&String, &Row)> = rows.iter().collect();
    rows.sort_by_key(|(_, r)| r.nr);
    // A stable sort over number order: ties stay in number order.
    match sort {
        SortBy::Time => rows.sort_by_key(|(_, r)| std::cmp::Reverse(r.ns)),
        SortBy::MinTime => rows.sort_by_key(|(_, r)| std::cmp::Reverse(r.min_ns)),
        SortBy::MaxTime => rows.sort_by_key(|(_, r)| std::cmp::Reverse(r.max_ns)),
        SortBy::AvgTime => rows.sort_by_key(|(_, r)| std::cmp::Reverse(r.avg_ns())),
        SortBy::Calls => rows.sort_by_key(|(_, r)| std::cmp::Reverse(r.calls)),
        SortBy::Errors => rows.sort_by_key(|(_, r)| std::cmp::Reverse(r.errors)),
        SortBy::Name => rows.sort_by(|a, b| a.0.cmp(b.0)),
        SortBy::Nothing => {}
    }
    rows
}

/// The whole table, strace's layout: header, dashes, rows, dashes, total.
fn render(rows: &HashMap<String, Row>, spec: &SummarySpec, percentiles: bool) -> String {
    let rows = sorted(rows, spec.sort);
    let mut total = Row::new(0, false);
    for (_, r) in &rows {
        total.calls += r.calls;
        total.errors += r.errors;
        total.ns += r.ns;
        total.min_ns = total.min_ns.min(r.min_ns);
        total.max_ns = total.max_ns.max(r.max_ns);
    }
    let all: Vec<f32> = rows
        .iter()
        .filter_map(|(_, r)| r.samples.as_ref())
        .flat_map(|s| s.kept().iter().copied())
        .collect();
    let mut lines: Vec<Vec<String>> = Vec::new();
    let cell = |c: Column, name: &str, r: &Row, is_total: bool| -> String {
        let min = if r.calls == 0 { 0 } else { r.min_ns };
        match c {
            Column::TimePercent if is_total => "100.00".into(),
            Column::TimePercent => {
                let pct = match total.ns {
                    0 => 0.0,
                    t => r.ns as f64 * 100.0 / t as f64,
                };
                format!("{pct:.2}")
            }
            Column::TotalTime => seconds(r.ns),
            Column::MinTime => seconds(min),
            Column::MaxTime => seconds(r.max_ns),
            Column::AvgTime => (r.avg_ns() / 1000).to_string(),
            Column::Calls => r.calls.to_string(),
            Column::Errors if r.errors == 0 => String::new(),
            Column::Errors => r.errors.to_string(),
            Column::Name => name.to_string(),
        }
    };
    let pct_cells = |xs: Option<&[f32]>| -> Vec<String> {
        match xs.and_then(latency::latency) {
            Some(l) => [l.p50, l.p90, l.p99, l.max, l.stddev]
                .iter()
                .map(|v| format!("{v:.1}"))
                .collect(),
            None => vec![String::new(); 5],
        }
    };
    let row_cells = |name: &str, r: &Row, xs: Option<&[f32]>, is_total: bool| {
        let mut cells = Vec::new();
        for &c in &spec.columns {
            if c == Column::Name && percentiles {
                cells.extend(pct_cells(xs));
            }
            cells.push(cell(c, name, r, is_total));
        }
        cells
    };
    for (name, r) in &rows {
        lines.push(row_cells(
            name,
            r,
            r.samples.as_ref().map(Samples::kept),
            false,
        ));
    }
    let total_cells = row_cells("total", &total, Some(&all), true);
    // Column layout (header, width, left-aligned), the `-T` percentile
    // columns before the name.
    let mut layout: Vec<(&str, usize, bool)> = Vec::new();
    for &c in &spec.columns {
        if c == Column::Name && percentiles {
            for h in ["p50 usecs", "p90 usecs", "p99 usecs", "max usecs"] {
                layout.push((h, 10, false));
            }
            layout.push(("stddev usecs", 12, false));
        }
        let (h, mut w) = head(c);
        // Times of ten seconds and more widen their column.
        let at = layout.len();
        if matches!(c, Column::MinTime | Column::MaxTime | Column::TotalTime) {
            let longest = lines.iter().chain([&total_cells]).map(|l| l[at].len());
            w = w.max(longest.max().unwrap_or(0));
        }
        layout.push((h, w, c == Column::Name));
    }
    let print = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, (&(_, w, left), v)) in layout.iter().zip(cells).enumerate() {
            if i > 0 {
                s.push(' ');
            }
            match (left, i + 1 == layout.len()) {
                // strace pads the name only when a column follows it.
                (true, true) => s.push_str(v),
                (true, false) => s.push_str(&format!("{v:<w$}")),
                (false, _) => s.push_str(&format!("{v:>w$}")),
            }
        }
        s.push('\n');
        s
    };
    let heads: Vec<String> = layout.iter().map(|(h, _, _)| h.to_string()).collect();
    let dashes: Vec<String> = layout.iter().map(|(_, w, _)| "-".repeat(*w)).collect();
    let mut out = print(&heads);
    let sep = print(&dashes);
    out.push_str(&sep);
    for l in &lines {
        out.push_str(&print(l));
    }
    out.push_str(&sep);
    out.push_str(&print(&total_cells));
    out
}
