//! The `renacer` system-call tracer as a library: argument parsing, syscall
//! tables, decoding, the ptrace loop and the output sinks. The binary
//! (`src/main.rs`) is a thin wrapper; the unified-trace merge builds on the
//! structured events of [`output`].

pub mod arch;
pub mod args;
pub mod cli;
pub mod decode;
pub mod filter;
pub mod output;
pub mod tracer;
pub mod unified;
