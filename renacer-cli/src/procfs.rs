//! What `/proc` says about a traced task: its thread group, and right
//! after an exec its executable and whole argv. Shared by the tracer (which
//! reports them as events) and the unified sink (`-p PID`'s command line).

/// A numeric field of `/proc/TID/status` (`Tgid:`, `TracerPid:`).
fn status_number(tid: i32, field: &str) -> Option<i32> {
    let s = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().parse().ok())
}

/// The thread-group id of `tid`, from `/proc/TID/status`.
pub(crate) fn tgid_of(tid: i32) -> Option<i32> {
    status_number(tid, "Tgid:")
}

/// Why `PTRACE_SEIZE` of `tid` was refused, when `/proc` can tell: traced
/// by another process, a zombie, or a kernel thread (`PF_KTHREAD` in
/// `/proc/TID/stat`'s flags). `None` leaves the bare error.
pub(crate) fn seize_refusal(tid: i32) -> Option<String> {
    if let Some(tracer) = status_number(tid, "TracerPid:").filter(|&t| t != 0) {
        return Some(format!("already traced by process {tracer}"));
    }
    let stat = std::fs::read_to_string(format!("/proc/{tid}/stat")).ok()?;
    // Fields after the parenthesised command name: state is the first,
    // flags the seventh.
    let rest: Vec<&str> = stat.rsplit_once(") ")?.1.split(' ').collect();
    if rest.first() == Some(&"Z") {
        return Some("a zombie: it has exited and awaits its parent".into());
    }
    const PF_KTHREAD: u64 = 0x0020_0000;
    let flags: u64 = rest.get(6)?.parse().ok()?;
    (flags & PF_KTHREAD != 0).then(|| "a kernel thread, which cannot be traced".into())
}

/// What `tid` runs right after an exec: the executable's path and the
/// whole argv, from `/proc` (the new image is in place at the exec event
/// stop). Either is empty when it cannot be read.
pub(crate) fn exec_image(tid: i32) -> (String, Vec<String>) {
    let exe = std::fs::read_link(format!("/proc/{tid}/exe"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    (exe, cmdline(tid))
}

/// `/proc/PID/cmdline` split at NULs; empty if it cannot be read.
pub(crate) fn cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            // Every argument ends in a NUL; empty arguments are kept.
            let b = b.strip_suffix(&[0]).unwrap_or(&b);
            if b.is_empty() {
                return Vec::new();
            }
            b.split(|&c| c == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}
