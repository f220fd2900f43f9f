//! The quickstart of the README: three instrumented functions, spans in a
//! JSON-lines file.
//!
//! ```text
//! cargo run -p quickstart -- [OUTPUT.jsonl]     # default: quickstart.jsonl
//! ```
//!
//! `load_config` is recorded on every call (and marked as an error when the
//! file is missing), `step` is hot and sampled at 1 call in 1000, and `fib`
//! carries a transpiler decision id and its argument as a field.

use std::io;

#[renacer::trace]
fn load_config(path: &str) -> io::Result<String> {
    std::fs::read_to_string(path)
}

#[renacer::trace(sample = 0.001)]
fn step(state: u64) -> u64 {
    state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1)
}

#[renacer::trace(decision = "optimization::inline_candidate", fields(n))]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "quickstart.jsonl".to_owned());
    // The environment (RENACER_SAMPLE_RATE, RENACER_RATE_LIMIT, ...) still
    // applies; the output file is set here.
    let _guard = renacer::Config::builder()
        .output(&format!("jsonl:{out}"))
        .init();

    let config = load_config("quickstart.toml").unwrap_or_else(|_| String::from("steps = 100000"));
    let steps: u64 = config
        .trim()
        .strip_prefix("steps = ")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut state = 1;
    for _ in 0..steps {
        state = step(state);
    }
    println!("state {state:#x}, fib(15) = {}, spans in {out}", fib(15));
    // Dropping the guard flushes every span to the file.
}
