//! What `/proc` says about a traced task: its thread group, and right
//! after an exec its executable and whole argv. Shared by the tracer (which
//! reports them as events) and the unified sink (`-p PID`'s command line).

/// The thread-group id of `tid`, from `/proc/TID/status`.
pub(crate) fn tgid_of(tid: i32) -> Option<i32> {
    let s = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
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
