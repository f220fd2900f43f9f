//! Runtime behaviour of `#[renacer::trace]` on synchronous functions:
//! names, nesting through methods, generics and trait impls, fields, error
//! status, and compile-time site and decision ids — read back from the
//! JSON-lines export.

mod common;

use common::{all, hex, num, one};

#[renacer::trace]
fn outer() -> u64 {
    let c = Counter { n: 2 };
    c.via_method() + Square(3).area()
}

struct Counter {
    n: u64,
}

impl Counter {
    #[renacer::trace(name = "Counter::via_method")]
    fn via_method(&self) -> u64 {
        generic_sum(&[self.n, 1])
    }
}

#[renacer::trace]
fn generic_sum<T: Copy + Into<u64>>(xs: &[T]) -> u64 {
    xs.iter().map(|&x| x.into()).sum()
}

trait Area {
    fn area(&self) -> u64;
}

struct Square(u64);

impl Area for Square {
    #[renacer::trace]
    fn area(&self) -> u64 {
        self.0 * self.0
    }
}

const FIB_LINE: u32 = line!() + 1;
#[renacer::trace(decision = "optimization::inline_candidate", fields(n, doubled = n * 2, label = "fib"))]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

// On several lines, the decision id takes the literal's line and the site
// (code.line.number) the attribute's first line.
const SPLIT_ATTR_LINE: u32 = line!() + 2;
#[rustfmt::skip]
#[renacer::trace(
    name = "split",
    decision = "codegen::split_attribute"
)]
fn split_attribute() {}

// Tied to the transpiler's input: the id is computed over `fib.ruchy:3`,
// as the decision manifest has it, not over this file.
#[renacer::trace(decision = "optimization::inline_candidate", source = "fib.ruchy:3")]
fn from_ruchy() {}

#[derive(Debug)]
struct ParseError;

#[renacer::trace]
fn parse(s: &str) -> Result<u32, ParseError> {
    let v: u32 = s.parse().map_err(|_| ParseError)?;
    if v == 0 {
        return Err(ParseError);
    }
    Ok(v)
}

#[renacer::trace]
fn io_fails() -> std::io::Result<String> {
    std::fs::read_to_string("/nonexistent/renacer-macro-test")
}

static EVALUATED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn count_evaluation() -> u64 {
    EVALUATED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
}

#[renacer::trace(fields(v = count_evaluation()))]
fn with_costly_field() {}

#[renacer::trace]
fn panics(fail: bool) -> u32 {
    assert!(!fail, "asked to fail");
    1
}

#[test]
fn sync_functions_export_named_nested_spans_with_ids_fields_and_status() {
    // Before init nothing records, so field expressions never run.
    with_costly_field();
    assert_eq!(EVALUATED.load(std::sync::atomic::Ordering::Relaxed), 0);

    let traced = common::start();
    assert_eq!(outer(), 3 + 9);
    assert_eq!(fib(3), 2);
    assert_eq!(parse("7").unwrap(), 7);
    assert!(parse("x").is_err());
    assert!(parse("0").is_err());
    assert!(io_fails().is_err());
    with_costly_field();
    split_attribute();
    from_ruchy();
    assert_eq!(panics(false), 1);
    assert!(std::panic::catch_unwind(|| panics(true)).is_err());
    let spans = traced.spans();

    // Names: the function's, or `name = ...`; nesting through a method, a
    // generic function and a trait impl, all in one trace.
    let root = one(&spans, "outer");
    let method = one(&spans, "Counter::via_method");
    let generic = one(&spans, "generic_sum");
    let area = one(&spans, "area");
    assert_eq!(root["parent_span_id"], serde_json::Value::Null);
    assert_eq!(method["parent_span_id"], root["span_id"]);
    assert_eq!(generic["parent_span_id"], method["span_id"]);
    assert_eq!(area["parent_span_id"], root["span_id"]);
    for s in [method, generic, area] {
        assert_eq!(s["trace_id"], root["trace_id"]);
        assert!(num(s, "start_ns") >= num(root, "start_ns"));
        assert!(num(s, "end_ns") <= num(root, "end_ns"));
    }
    assert!(num(generic, "end_ns") <= num(method, "end_ns"));
    assert_eq!(root["code.namespace"], module_path!());
    assert_eq!(root["code.file.path"], file!());

    // fib(3) calls fib 5 times: a tree with the root's fields evaluated per call.
    let fibs = all(&spans, "fib");
    assert_eq!(fibs.len(), 5);
    let fib_root = fibs
        .iter()
        .find(|s| s["parent_span_id"].is_null())
        .expect("root fib");
    assert_eq!(fib_root["fields"]["n"], 3);
    assert_eq!(fib_root["fields"]["doubled"], 6);
    assert_eq!(fib_root["fields"]["label"], "fib");
    let children: Vec<_> = fibs
        .iter()
        .filter(|s| s["parent_span_id"] == fib_root["span_id"])
        .collect();
    assert_eq!(children.len(), 2);

    // Decision id: FNV-1a 64 over "optimization::inline_candidate::<file>::<line LE>",
    // with the attribute's line, the same as a transpiler computes it.
    let expected = renacer::decision_id("optimization", "inline_candidate", file!(), FIB_LINE);
    let mut bytes = format!("optimization::inline_candidate::{}::", file!()).into_bytes();
    bytes.extend_from_slice(&FIB_LINE.to_le_bytes());
    assert_eq!(expected, renacer::fnv1a64(&bytes));
    for s in &fibs {
        assert_eq!(s["decision_id"], hex(expected));
        assert_eq!(num(s, "code.line.number"), u64::from(FIB_LINE));
        assert_eq!(
            s["site_id"],
            hex(renacer::site_id(module_path!(), "fib", file!(), FIB_LINE))
        );
    }
    assert_eq!(root["decision_id"], serde_json::Value::Null);

    let ruchy = one(&spans, "from_ruchy");
    let ruchy_id = renacer::decision_id("optimization", "inline_candidate", "fib.ruchy", 3);
    assert_eq!(ruchy["decision_id"], hex(ruchy_id));

    let split = one(&spans, "split");
    let split_id = renacer::decision_id("codegen", "split_attribute", file!(), SPLIT_ATTR_LINE + 2);
    assert_eq!(split["decision_id"], hex(split_id));
    assert_eq!(num(split, "code.line.number"), u64::from(SPLIT_ATTR_LINE));

    // Result: Err (returned, or via `?`) marks the span, Ok does not.
    let parses = all(&spans, "parse");
    assert_eq!(parses.len(), 3);
    let errors = parses.iter().filter(|s| s["status"] == "error").count();
    assert_eq!(errors, 2, "{parses:#?}");
    assert_eq!(one(&spans, "io_fails")["status"], "error");
    assert_eq!(root["status"], "unset");

    // A panic unwinding through the function marks its span too.
    let panicked = all(&spans, "panics");
    assert_eq!(panicked.len(), 2);
    assert_eq!(
        panicked.iter().filter(|s| s["status"] == "error").count(),
        1
    );

    // The field expression ran exactly once: for the one recorded call.
    let costly = one(&spans, "with_costly_field");
    assert_eq!(costly["fields"]["v"], 1);
    assert_eq!(EVALUATED.load(std::sync::atomic::Ordering::Relaxed), 1);
    drop(traced);
}
