//! What a transpiler (Depyler for Python, Ruchy) emits when asked for
//! traceable output: ordinary Rust with one
//! `#[cfg_attr(feature = "trace", renacer::trace(...))]` per function,
//! each naming the code-generation decision that shaped it.
//!
//! Without the `trace` feature the attributes are removed before macro
//! expansion, so the build is the uninstrumented program — the tests prove
//! it by comparing assembly (`tests/compiled_out.rs`). With it, every call
//! records a span whose `decision_id` is the id the transpiler listed in
//! [`DECISIONS`].
//!
//! Source (`stats.py`):
//!
//! ```text
//! def parse_int(s: str) -> int: return int(s.strip())
//! def mean(xs: list[float]) -> float: return sum(xs) / len(xs) if xs else 0.0
//! def fib(n: int) -> int: return n if n < 2 else fib(n - 1) + fib(n - 2)
//! def clamp(x: int, lo: int, hi: int) -> int: return max(lo, min(x, hi))
//! def summarize(text: str) -> float:
//!     return mean([float(clamp(parse_int(w), 0, 30)) for w in text.split()])
//! ```

use std::num::ParseIntError;

/// One code-generation decision, as the transpiler's decision manifest
/// lists it. Its id is `renacer::decision_id(category, name, file, line)`:
/// FNV-1a 64 over `category::name::file::line` (line as 4 LE bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The generated function the decision applies to.
    pub function: &'static str,
    pub category: &'static str,
    pub name: &'static str,
    pub file: &'static str,
    /// Line of the decision's string literal (`decision = "..."`).
    pub line: u32,
}

/// The decision manifest emitted next to the generated code.
pub const DECISIONS: &[Decision] = &[
    Decision {
        function: "parse_int",
        category: "error_handling",
        name: "exception_to_result",
        file: file!(),
        line: PARSE_INT_LINE,
    },
    Decision {
        function: "mean",
        category: "optimization",
        name: "inline_candidate",
        file: file!(),
        line: MEAN_LINE,
    },
    Decision {
        function: "fib",
        category: "type_inference",
        name: "int_to_u64",
        file: file!(),
        line: FIB_LINE,
    },
];

// Line of the decision literal below, for the manifest.
const PARSE_INT_LINE: u32 = line!() + 3;
#[cfg_attr(
    feature = "trace",
    renacer::trace(decision = "error_handling::exception_to_result")
)]
/// `int(s.strip())`: Python's `ValueError` becomes `Err`.
pub fn parse_int(s: &str) -> Result<i64, ParseIntError> {
    s.trim().parse::<i64>()
}

// Line of the decision literal below, for the manifest.
const MEAN_LINE: u32 = line!() + 3;
#[cfg_attr(
    feature = "trace",
    renacer::trace(decision = "optimization::inline_candidate")
)]
/// `sum(xs) / len(xs) if xs else 0.0`.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

// Line of the decision literal below, for the manifest.
const FIB_LINE: u32 = line!() + 3;
#[cfg_attr(
    feature = "trace",
    renacer::trace(decision = "type_inference::int_to_u64", fields(n))
)]
/// `int` inferred as `u64`: never negative here.
pub fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

/// Hot helper: sampled at 1 call in 100.
#[cfg_attr(feature = "trace", renacer::trace(sample = 0.01))]
pub fn clamp(x: i64, lo: i64, hi: i64) -> i64 {
    x.min(hi).max(lo)
}

/// The list comprehension, lowered to an iterator chain.
#[cfg_attr(feature = "trace", renacer::trace)]
pub fn summarize(text: &str) -> Result<f64, ParseIntError> {
    let mut values = Vec::new();
    for word in text.split_whitespace() {
        values.push(clamp(parse_int(word)?, 0, 30) as f64);
    }
    Ok(mean(&values))
}
