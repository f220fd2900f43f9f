//! Parser of the rotel debug exporter's detailed text output: one
//! [`ReceivedSpan`] per `Span #n` block, with its resource attributes.

use std::collections::BTreeMap;

/// One span as the collector printed it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReceivedSpan {
    pub trace_id: String,
    /// Empty for a root span.
    pub parent_id: String,
    pub span_id: String,
    pub name: String,
    pub kind: String,
    pub start_unix_ns: u64,
    pub end_unix_ns: u64,
    pub status_code: String,
    pub status_message: String,
    pub scope: String,
    /// Span attributes, values without their type wrapper (`Str(x)` → `x`).
    pub attributes: BTreeMap<String, String>,
    /// Attribute types as printed (`Str`, `Int`, `Bool`, `Double`).
    pub attribute_types: BTreeMap<String, String>,
    pub resource: BTreeMap<String, String>,
}

impl ReceivedSpan {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
    pub fn res(&self, key: &str) -> Option<&str> {
        self.resource.get(key).map(String::as_str)
    }
}

enum Section {
    None,
    Resource,
    SpanAttrs,
    Other,
}

/// `Str(x)` → (`Str`, `x`).
fn split_value(v: &str) -> (String, String) {
    match v.find('(') {
        Some(i) if v.ends_with(')') && v[..i].chars().all(|c| c.is_ascii_alphabetic()) => {
            (v[..i].to_string(), v[i + 1..v.len() - 1].to_string())
        }
        _ => (String::new(), v.to_string()),
    }
}

fn field<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    let rest = line.trim_start().strip_prefix(label)?;
    let rest = rest.trim_start().strip_prefix(':')?;
    Some(rest.trim())
}

/// Parses every span block of `output`.
pub fn parse_spans(output: &str) -> Vec<ReceivedSpan> {
    let mut spans = Vec::new();
    let mut resource = BTreeMap::new();
    let mut scope = String::new();
    let mut current: Option<ReceivedSpan> = None;
    let mut section = Section::None;
    let mut in_traces = false;
    for line in output.lines() {
        let t = line.trim();
        if t.starts_with("ResourceSpans #") {
            spans.extend(current.take());
            resource.clear();
            in_traces = true;
            section = Section::None;
            continue;
        }
        if t.starts_with("ResourceMetrics #") || t.starts_with("ResourceLogs #") {
            spans.extend(current.take());
            in_traces = false;
            continue;
        }
        if !in_traces {
            continue;
        }
        if t == "Resource attributes:" {
            section = Section::Resource;
        } else if let Some(s) = t.strip_prefix("InstrumentationScope ") {
            scope = s.trim().to_string();
            section = Section::None;
        } else if t.starts_with("Span #") {
            spans.extend(current.take());
            current = Some(ReceivedSpan {
                resource: resource.clone(),
                scope: scope.clone(),
                ..Default::default()
            });
            section = Section::None;
        } else if t == "Attributes:" {
            section = Section::SpanAttrs;
        } else if t.ends_with(':') && !t.contains(' ') {
            section = Section::Other; // Events:, Links:, ...
        } else if let Some(kv) = t.strip_prefix("-> ") {
            let Some((k, v)) = kv.split_once(": ") else {
                continue;
            };
            let (ty, val) = split_value(v);
            match (&section, current.as_mut()) {
                (Section::Resource, _) => {
                    resource.insert(k.to_string(), val);
                }
                (Section::SpanAttrs, Some(s)) => {
                    s.attributes.insert(k.to_string(), val);
                    s.attribute_types.insert(k.to_string(), ty);
                }
                _ => {}
            }
        } else if let Some(s) = current.as_mut() {
            if let Some(v) = field(line, "Trace ID") {
                s.trace_id = v.to_string();
            } else if let Some(v) = field(line, "Parent ID") {
                s.parent_id = v.to_string();
            } else if let Some(v) = field(line, "ID") {
                s.span_id = v.to_string();
            } else if let Some(v) = field(line, "Name") {
                s.name = v.to_string();
            } else if let Some(v) = field(line, "Kind") {
                s.kind = v.to_string();
            } else if let Some(v) = field(line, "Start time") {
                s.start_unix_ns = v.parse().unwrap_or(0);
            } else if let Some(v) = field(line, "End time") {
                s.end_unix_ns = v.parse().unwrap_or(0);
            } else if let Some(v) = field(line, "Status code") {
                s.status_code = v.to_string();
            } else if let Some(v) = field(line, "Status message") {
                s.status_message = v.to_string();
            }
        }
    }
    spans.extend(current);
    spans
}

/// Names of every metric printed (`-> Name: x` under `Descriptor:`).
pub fn parse_metric_names(output: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_metrics = false;
    for line in output.lines() {
        let t = line.trim();
        if t.starts_with("ResourceMetrics #") {
            in_metrics = true;
        } else if t.starts_with("ResourceSpans #") || t.starts_with("ResourceLogs #") {
            in_metrics = false;
        } else if in_metrics {
            if let Some(n) = t.strip_prefix("-> Name: ") {
                names.push(n.to_string());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\x1b[2m2026\x1b[0m INFO Starting Rotel.
ResourceSpans #0
Resource SchemaURL: 
Resource attributes:
     -> service.name: Str(x)
ScopeSpans #0
ScopeSpans SchemaURL: 
InstrumentationScope renacer 0.1.0
Span #0
    Trace ID       : 4bf92f3577b34da6a3ce929d0e0e4736
    Parent ID      : 00f067aa0ba902b8
    ID             : 00f067aa0ba902b7
    Name           : foo
    Kind           : SPAN_KIND_INTERNAL
Start time: 1700000000000000000
End time: 1700000000000001000
    Status code    : STATUS_CODE_ERROR
    Status message : bad
Attributes:
     -> code.line.number: Int(42)
     -> a.s: Str(hello: (world))
Span #1
    Trace ID       : 4bf92f3577b34da6a3ce929d0e0e4736
    Parent ID      : 
    ID             : 00f067aa0ba902b8
    Name           : root
ResourceMetrics #0
Resource attributes:
     -> service.name: Str(x)
Metric #0
Descriptor:
     -> Name: renacer.spans.recorded
";

    #[test]
    fn parses_spans_and_metrics() {
        let spans = parse_spans(SAMPLE);
        assert_eq!(spans.len(), 2);
        let s = &spans[0];
        assert_eq!(s.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(s.parent_id, "00f067aa0ba902b8");
        assert_eq!(s.span_id, "00f067aa0ba902b7");
        assert_eq!(s.name, "foo");
        assert_eq!(s.start_unix_ns, 1_700_000_000_000_000_000);
        assert_eq!(s.end_unix_ns, 1_700_000_000_000_001_000);
        assert_eq!(s.status_code, "STATUS_CODE_ERROR");
        assert_eq!(s.attr("code.line.number"), Some("42"));
        assert_eq!(s.attribute_types["code.line.number"], "Int");
        assert_eq!(s.attr("a.s"), Some("hello: (world)"));
        assert_eq!(s.res("service.name"), Some("x"));
        assert_eq!(s.scope, "renacer 0.1.0");
        assert_eq!(spans[1].parent_id, "");
        assert_eq!(parse_metric_names(SAMPLE), vec!["renacer.spans.recorded"]);
    }
}
