//! The `renacer` CLI built with its `otlp` feature, for the unified-trace
//! OTLP test (`tests/unified_otlp.rs`): same parsing and tracer as the real
//! binary, which cargo builds without optional features.

use std::process::ExitCode;

use renacer_cli::{args, tracer};

fn main() -> ExitCode {
    let argv: Vec<_> = std::env::args_os().skip(1).collect();
    let opts = match args::parse(argv) {
        Ok(args::Parsed::Run(o)) => o,
        Ok(_) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("renacer: {e}");
            return ExitCode::from(2);
        }
    };
    match tracer::run(&opts) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("renacer: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
