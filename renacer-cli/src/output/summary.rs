//! `-c` / `-C`: per-syscall counts, errors and time, printed like strace's
//! summary table. Time is the wall-clock latency from syscall entry to exit
//! as seen by the tracer (strace's `-w`), documented in docs/cli.md. With
//! `-T`, the table adds each syscall's latency percentiles (`latency.rs`).

use super::latency::{self, Samples};
use super::{Event, Sink};
use std::collections::HashMap;
use std::io::{self, Write};

#[derive(Default, Clone)]
struct Row {
    calls: u64,
    errors: u64,
    ns: u64,
    /// Latencies, with `-T`.
    samples: Option<Samples>,
}

/// Accumulates the table and prints it at [`Sink::finish`].
pub(crate) struct SummarySink {
    out: Box<dyn Write>,
    rows: HashMap<String, Row>,
    text: bool,
    percentiles: bool,
}

impl SummarySink {
    /// `also_text`: another sink prints per-call lines (`-C`);
    /// `percentiles`: latency percentile columns (`-T`).
    pub(crate) fn new(out: Box<dyn Write>, also_text: bool, percentiles: bool) -> Self {
        SummarySink {
            out,
            rows: HashMap::new(),
            text: also_text,
            percentiles,
        }
    }
}

impl Sink for SummarySink {
    fn event(&mut self, ev: &Event, _multi: bool) -> io::Result<()> {
        // Like strace, calls that never returned (exit_group, a thread killed
        // mid-call) are not counted: there is no result to count.
        if let Event::Syscall(s) = ev {
            if s.ret.is_none() {
                return Ok(());
            }
            if !self.rows.contains_key(&*s.name) {
                let row = Row {
                    samples: self.percentiles.then(Samples::default),
                    ..Row::default()
                };
                self.rows.insert(s.name.to_string(), row);
            }
            let Some(r) = self.rows.get_mut(&*s.name) else {
                return Ok(());
            };
            r.calls += 1;
            if s.is_error {
                r.errors += 1;
            }
            if let Some(x) = s.exit_ns {
                let ns = x.saturating_sub(s.entry_ns);
                r.ns += ns;
                if let Some(samples) = &mut r.samples {
                    samples.push(ns);
                }
            }
        }
        Ok(())
    }

    fn wants_text(&self) -> bool {
        self.text
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut rows: Vec<(&String, &Row)> = self.rows.iter().collect();
        rows.sort_by(|a, b| {
            b.1.ns
                .cmp(&a.1.ns)
                .then(b.1.calls.cmp(&a.1.calls))
                .then(a.0.cmp(b.0))
        });
        let total = rows.iter().fold(Row::default(), |acc, (_, r)| Row {
            calls: acc.calls + r.calls,
            errors: acc.errors + r.errors,
            ns: acc.ns + r.ns,
            samples: None,
        });
        let all: Vec<f32> = rows
            .iter()
            .filter_map(|(_, r)| r.samples.as_ref())
            .flat_map(|s| s.kept().iter().copied())
            .collect();
        let pct_head = if self.percentiles {
            "  p50 usecs  p90 usecs  p99 usecs  max usecs stddev usecs "
        } else {
            ""
        };
        let pct_sep = if self.percentiles {
            "---------- ---------- ---------- ---------- ------------ "
        } else {
            ""
        };
        let percentiles = |xs: Option<&[f32]>| -> String {
            if !self.percentiles {
                return String::new();
            }
            match xs.and_then(latency::latency) {
                Some(l) => format!(
                    "{:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>12.1} ",
                    l.p50, l.p90, l.p99, l.max, l.stddev
                ),
                None => format!("{:>10} {:>10} {:>10} {:>10} {:>12} ", "", "", "", "", ""),
            }
        };
        let sep =
            format!("------ ----------- ----------- --------- --------- {pct_sep}----------------");
        let mut s = String::new();
        s.push_str(&format!(
            "% time     seconds  usecs/call     calls    errors {pct_head}syscall\n"
        ));
        s.push_str(&sep);
        s.push('\n');
        let line = |name: &str, r: &Row, xs: Option<&[f32]>| {
            let pct = if total.ns > 0 {
                r.ns as f64 * 100.0 / total.ns as f64
            } else {
                0.0
            };
            let per = (r.ns / 1000).checked_div(r.calls).unwrap_or(0);
            let errs = if r.errors > 0 {
                r.errors.to_string()
            } else {
                String::new()
            };
            format!(
                "{pct:6.2} {:>4}.{:06} {per:>11} {:>9} {errs:>9} {}{name}\n",
                r.ns / 1_000_000_000,
                (r.ns / 1000) % 1_000_000,
                r.calls,
                percentiles(xs)
            )
        };
        for (name, r) in &rows {
            s.push_str(&line(name, r, r.samples.as_ref().map(Samples::kept)));
        }
        s.push_str(&sep);
        s.push('\n');
        let mut t = line("total", &total, Some(&all));
        if total.ns > 0 {
            t.replace_range(0..6, "100.00");
        }
        s.push_str(&t);
        self.out.write_all(s.as_bytes())?;
        self.out.flush()
    }
}
