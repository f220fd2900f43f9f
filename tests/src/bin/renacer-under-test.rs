//! The real `renacer` binary's entry point ([`renacer_cli::main`]), built
//! inside this crate because cargo gives a test the path of its own
//! package's binaries only (`CARGO_BIN_EXE_*`). Same code, same default
//! features (OTLP included) as `cargo install renacer-cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    renacer_cli::main(std::env::args_os().skip(1).collect())
}
