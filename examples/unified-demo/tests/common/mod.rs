//! Shared by the demo's tests: the demo binary as a command, and running it
//! to a successful end.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::process::{Command, Output};

/// The demo binary, not yet run.
pub fn demo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_unified-demo"))
}

/// Runs `cmd` and checks that it succeeded (showing its stderr otherwise).
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run demo");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
