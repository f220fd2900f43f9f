//! `renacer decisions report --flamegraph SVG`: the trace's span tree as a
//! flame graph (inferno), frames labelled by decision (`category::name`)
//! where the span carries one, else by span name; widths are self time.

use std::collections::HashMap;

use renacer_decisions::manifest::Manifest;

use super::spans::Span;

/// Folded stacks (`root;child;leaf self_ns`), one line per span with self
/// time, in a stable order.
pub(super) fn folded(spans: &[Span], manifest: Option<&Manifest>) -> Vec<String> {
    let by_id: HashMap<u64, &Span> = spans.iter().map(|s| (s.id, s)).collect();
    let mut children: HashMap<u64, u64> = HashMap::new();
    for s in spans.iter().filter(|s| s.in_process()) {
        if let Some(p) = s.parent {
            *children.entry(p).or_default() += s.duration();
        }
    }
    let label = |s: &Span| match s.decision.and_then(|d| manifest?.entries.get(&d)) {
        Some(e) => format!("{}::{}", e.category, e.name),
        None => match s.decision {
            Some(d) => format!("{} [{}]", s.name, renacer_decisions::id_key(d)),
            None => s.name.clone(),
        },
    };
    let mut lines: Vec<String> = Vec::new();
    for s in spans.iter().filter(|s| s.in_process()) {
        let own = s
            .duration()
            .saturating_sub(children.get(&s.id).copied().unwrap_or(0));
        if own == 0 {
            continue;
        }
        let mut stack = vec![label(s)];
        let mut cur = s.parent;
        // Walk up (bounded: a malformed file cannot loop forever).
        for _ in 0..1024 {
            let Some(p) = cur.and_then(|p| by_id.get(&p)) else {
                break;
            };
            stack.push(label(p).replace(';', ":"));
            cur = p.parent;
        }
        stack.reverse();
        lines.push(format!("{} {own}", stack.join(";")));
    }
    lines.sort();
    lines
}

/// Writes the flame graph SVG of `spans` to `out`.
pub(super) fn write(
    spans: &[Span],
    manifest: Option<&Manifest>,
    out: impl std::io::Write,
) -> std::io::Result<()> {
    let lines = folded(spans, manifest);
    let mut opts = inferno::flamegraph::Options::default();
    opts.title = "renacer: time by transpiler decision".into();
    opts.count_name = "ns".into();
    inferno::flamegraph::from_lines(&mut opts, lines.iter().map(String::as_str), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_carry_self_time_and_decision_labels() {
        let s = |id, parent, name: &str, t: (u64, u64), d| Span {
            id,
            parent,
            name: name.into(),
            kind: "function".into(),
            start_ns: t.0,
            end_ns: t.1,
            decision: d,
        };
        let spans = vec![
            s(1, None, "main", (0, 100), None),
            s(2, Some(1), "fib", (10, 70), Some(0xAB)),
        ];
        assert_eq!(folded(&spans, None), ["main 40", "main;fib [0xAB] 60"]);
        let mut svg = Vec::new();
        write(&spans, None, &mut svg).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(
            svg.starts_with("<?xml") && svg.contains("fib [0xAB]"),
            "{}",
            &svg[..200]
        );
    }
}
