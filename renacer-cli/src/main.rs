//! `renacer`: a ptrace system-call tracer, strace-compatible on the command
//! line and in its output. The entry point lives in the library
//! ([`renacer_cli::main`]) so the e2e crate's OTLP build runs the same code.

use std::process::ExitCode;

fn main() -> ExitCode {
    renacer_cli::main(std::env::args_os().skip(1).collect())
}
