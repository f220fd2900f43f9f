//! `-Y` / `--decode-pids=comm`: a pid printed with its command name,
//! `1234<cat>`, as strace prints it — in line prefixes, in the arguments
//! of `kill`/`tkill`/`tgkill`/`wait4` and in the results of the calls that
//! return a pid. The name is `/proc/PID/comm` when the line is printed, so
//! a process that is gone (a reaped child) prints its bare number.

use std::sync::atomic::{AtomicBool, Ordering};

static COMM: AtomicBool = AtomicBool::new(false);

/// `-Y`.
pub(crate) fn set_comm(on: bool) {
    COMM.store(on, Ordering::Relaxed);
}

/// Whether `-Y` is on.
pub(crate) fn comm_on() -> bool {
    COMM.load(Ordering::Relaxed)
}

/// The command name of `pid`, if it can be read.
pub(crate) fn comm(pid: i32) -> Option<String> {
    let c = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(c.trim_end_matches('\n').to_string())
}

/// `pid`, with `<comm>` under `-Y`.
pub(crate) fn label(pid: i64) -> String {
    match comm_on()
        .then(|| i32::try_from(pid).ok().filter(|&p| p > 0).and_then(comm))
        .flatten()
    {
        Some(c) => format!("{pid}<{c}>"),
        None => pid.to_string(),
    }
}

/// Does `name` return a pid (or tid)?
pub(crate) fn returns_pid(name: &str) -> bool {
    matches!(
        name,
        "getpid"
            | "getppid"
            | "gettid"
            | "fork"
            | "vfork"
            | "clone"
            | "clone3"
            | "wait4"
            | "waitpid"
            | "getpgid"
            | "getpgrp"
            | "getsid"
            | "setsid"
    )
}
