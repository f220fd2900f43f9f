//! `-I N`: when renacer's own HUP/INT/QUIT/TERM act — at once (1), between
//! stops (2, the default: forwarded to a launched command), never (3), and
//! never with Ctrl-Z ignored too (4). Signals are sent only once renacer's
//! dispositions are in place (read from `/proc/PID/status`), so no run
//! depends on timing.

mod common;
use common::*;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

/// The bit of `sig` in a `/proc/PID/status` signal mask line (`SigIgn:`,
/// `SigCgt:`).
fn mask_has(pid: u32, field: &str, sig: i32) -> bool {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .is_some_and(|m| m & (1 << (sig - 1)) != 0)
}

/// Whether renacer's traced command (its child) has exec'd `sleep`.
fn child_runs_sleep(pid: u32) -> bool {
    let kids =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    kids.split_whitespace().any(|c| {
        std::fs::read_to_string(format!("/proc/{c}/comm")).is_ok_and(|n| n.trim() == "sleep")
    })
}

/// Launch `renacer -I level -- sleep 2`, wait for `ready`, send SIGTERM
/// (then, for `tstp`, SIGTSTP first); the exit status.
fn term_launched(level: &str, ready: fn(u32) -> bool, tstp: bool) -> std::process::ExitStatus {
    let mut r = Command::new(renacer())
        .args([
            "-I",
            level,
            "-e",
            "trace=none",
            "-o",
            "/dev/null",
            "--",
            "sleep",
            "2",
        ])
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn renacer");
    let pid = r.id();
    assert!(
        wait_until(20, || child_runs_sleep(pid) && ready(pid)),
        "-I {level} set up"
    );
    if tstp {
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(pid as i32, libc::SIGTSTP) };
    }
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    wait_exit(&mut r, 30).expect("renacer ends")
}

#[test]
fn interruptible_levels_decide_what_sigterm_does() {
    // 1: renacer dies of it at once (its command with it).
    let st = term_launched("1", |_| true, false);
    assert_eq!(st.signal(), Some(libc::SIGTERM), "{st:?}");
    // 2 (default): forwarded to the command, which dies of it; renacer
    // reports that as 128 + 15 after writing its last lines.
    let st = term_launched("waiting", |p| mask_has(p, "SigCgt:", libc::SIGTERM), false);
    assert_eq!(st.code(), Some(128 + libc::SIGTERM), "{st:?}");
    // 3: ignored; the trace runs to the command's own end.
    let st = term_launched("3", |p| mask_has(p, "SigIgn:", libc::SIGTERM), false);
    assert_eq!(st.code(), Some(0), "{st:?}");
    // 4: Ctrl-Z ignored too: renacer is not stopped, still ends by itself.
    let st = term_launched(
        "never_tstp",
        |p| mask_has(p, "SigIgn:", libc::SIGTSTP),
        true,
    );
    assert_eq!(st.code(), Some(0), "{st:?}");
    let err = renacer_failure(&["-I", "5", "true"], 2);
    assert!(err.contains("invalid -I argument: '5'"), "{err}");
}

/// An attach session with `-I 3` ignores SIGTERM and traces the process
/// to its end (its exit line is in the trace); the default would detach
/// on it and print none (tests/attach.rs).
#[test]
fn never_interruptible_attach_outlives_sigterm() {
    let mut target = Command::new("sleep").arg("1").spawn().expect("spawn sleep");
    let tpid = target.id().to_string();
    let out = workdir().join("interruptible-attach.txt");
    let mut r = Command::new(renacer())
        .args(["-I", "3", "-o"])
        .arg(&out)
        .args(["-p", &tpid])
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn renacer");
    let pid = r.id();
    assert!(wait_until(20, || mask_has(pid, "SigIgn:", libc::SIGTERM)));
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let st = wait_exit(&mut r, 30).expect("renacer ends with the process");
    assert_eq!(st.code(), Some(0), "{st:?}");
    let _ = target.wait();
    let trace = std::fs::read_to_string(&out).unwrap();
    assert!(trace.contains("+++ exited with 0 +++"), "{trace}");
}
