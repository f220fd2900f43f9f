//! The `renacer` system-call tracer. Everything is private: the binary
//! (`src/main.rs`) and the e2e crate's copy of it call [`main`] and nothing
//! else. The data flow is `args` → `tracer` (ptrace loop, `decode` of each
//! stop) → `output` events → a sink: text, JSON, `-c` summary, or the
//! unified trace (`unified`, which feeds `renacer-trace`).

#![warn(missing_docs, unreachable_pub)]

mod arch;
mod args;
mod capture;
mod cli;
mod decisions;
mod decode;
mod filter;
mod inject;
mod output;
mod pathtrace;
mod procfs;
mod report;
mod source;
mod summary_spec;
mod tracer;
mod unified;
mod user;

pub use cli::main;
