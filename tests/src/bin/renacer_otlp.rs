//! The `renacer` CLI built with its `otlp` feature, for the unified-trace
//! OTLP test (`tests/unified_otlp.rs`): the real binary's entry point
//! ([`renacer_cli::cli::main`]), which cargo builds without optional features.

use std::process::ExitCode;

fn main() -> ExitCode {
    renacer_cli::cli::main(std::env::args_os().skip(1).collect())
}
