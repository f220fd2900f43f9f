//! Return values: `= 3`, `= 0x7f...` for addresses, `= -1 ENOENT (No such
//! file or directory)`, `= ? ERESTARTSYS (...)`, and the extra results
//! strace prints after some (`= 1 ([{fd=3, revents=POLLIN}])`).

use super::flags;
use super::structs;
use super::Ctx;

/// `ENOENT (No such file or directory)` for an errno value.
pub(crate) fn errno_text(e: i32) -> String {
    let restart = match e {
        512 => Some(("ERESTARTSYS", "To be restarted if SA_RESTART is set")),
        513 => Some(("ERESTARTNOINTR", "To be restarted")),
        514 => Some(("ERESTARTNOHAND", "To be restarted if no handler")),
        515 => Some(("ENOIOCTLCMD", "No ioctl command")),
        516 => Some(("ERESTART_RESTARTBLOCK", "Interrupted by signal")),
        _ => None,
    };
    if let Some((n, d)) = restart {
        return format!("{n} ({d})");
    }
    let name = syscalls::Errno::new(e)
        .name_and_description()
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| format!("errno {e}"));
    let msg = std::io::Error::from_raw_os_error(e).to_string();
    let msg = msg.split(" (os error").next().unwrap_or(&msg).to_string();
    format!("{name} ({msg})")
}

/// Name of an errno (`ENOENT`), for machine-readable output.
pub(crate) fn errno_name(e: i32) -> String {
    errno_text(e)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Does this call return an address rather than a number?
fn returns_addr(name: &str) -> bool {
    matches!(name, "mmap" | "mmap2" | "brk" | "mremap" | "shmat" | "sbrk")
}

/// Does this call return a new file descriptor?
pub(crate) fn returns_fd(name: &str) -> bool {
    matches!(
        name,
        "open"
            | "openat"
            | "openat2"
            | "creat"
            | "socket"
            | "accept"
            | "accept4"
            | "dup"
            | "dup2"
            | "dup3"
            | "epoll_create"
            | "epoll_create1"
            | "eventfd"
            | "eventfd2"
            | "memfd_create"
            | "pidfd_open"
            | "signalfd"
            | "signalfd4"
            | "timerfd_create"
            | "inotify_init"
            | "inotify_init1"
            | "fanotify_init"
            | "userfaultfd"
            | "fsopen"
            | "fsmount"
            | "open_tree"
            | "pidfd_getfd"
            | "perf_event_open"
            | "io_uring_setup"
            | "open_by_handle_at"
    )
}

/// The text after `= `. `ret` is the raw return value, `is_error` what
/// the kernel reported.
pub(crate) fn format(ctx: &Ctx, name: &str, args: &[u64; 6], ret: i64, is_error: bool) -> String {
    if is_error {
        let e = (-ret) as i32;
        let minus = if (512..=516).contains(&e) { "?" } else { "-1" };
        return format!("{minus} {}", errno_text(e));
    }
    if returns_addr(name) {
        return format!("{:#x}", ret as u64);
    }
    if returns_fd(name) && ctx.decode_fds {
        return ctx.fd_now(ret as u64);
    }
    if super::pids::comm_on() && super::pids::returns_pid(name) {
        return super::pids::label(ret);
    }
    match name {
        "fcntl" | "fcntl64" if args[1] == 1 && ret == 0 => "0".into(),
        "fcntl" | "fcntl64" if args[1] == 1 => {
            let fl = if ret & 1 != 0 {
                " (flags FD_CLOEXEC)"
            } else {
                ""
            };
            format!("{ret:#x}{fl}")
        }
        "fcntl" | "fcntl64" if args[1] == 3 => {
            format!(
                "{} (flags {})",
                super::hex_or_zero(ret as u64),
                flags::open_flags(ret as u64)
            )
        }
        "umask" => flags::octal(ret as u64),
        "prctl" if args[0] == 3 => {
            let what = ["SUID_DUMP_DISABLE", "SUID_DUMP_USER", "SUID_DUMP_ROOT"];
            match what.get(ret as usize) {
                Some(w) => format!("{ret} ({w})"),
                None => ret.to_string(),
            }
        }
        "poll" | "ppoll" if ret == 0 => "0 (Timeout)".into(),
        // strace leaves out the ready set of a call it does not show whole.
        "poll" | "ppoll" if !ctx.mem.shows_structs() => ret.to_string(),
        "poll" | "ppoll" => {
            format!(
                "{ret} ({})",
                structs::pollfds(ctx.mem, args[0], args[1], true)
            )
        }
        "select" | "pselect6" if ret == 0 => "0 (Timeout)".into(),
        "select" | "pselect6" => {
            // Which descriptors are ready, and the time left, read back.
            let n = args[0] as i32;
            let mut parts = Vec::new();
            for (what, p) in [("in", args[1]), ("out", args[2]), ("except", args[3])] {
                if p != 0 {
                    // Read back even under -e verbose= (as strace does).
                    let set = structs::fd_set(ctx.mem.structs(true), p, n);
                    if set != "[]" {
                        parts.push(format!("{what} {set}"));
                    }
                }
            }
            if args[4] != 0 {
                let left = if name == "pselect6" {
                    structs::timespec(ctx.mem, args[4])
                } else {
                    structs::timeval(ctx.mem, args[4])
                };
                parts.push(format!("left {left}"));
            }
            format!("{ret} ({})", parts.join(", "))
        }
        "sched_getscheduler" => match super::calls::misc::SCHED_POLICIES
            .iter()
            .find(|&&(v, _)| v == ret as u64)
        {
            Some((_, n)) => format!("{ret} ({n})"),
            None => ret.to_string(),
        },
        "ioprio_get" => format!("{ret} ({})", super::calls::misc::ioprio(ret as u64)),
        _ => ret.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos() {
        assert_eq!(errno_text(2), "ENOENT (No such file or directory)");
        assert_eq!(errno_text(13), "EACCES (Permission denied)");
        assert_eq!(
            errno_text(512),
            "ERESTARTSYS (To be restarted if SA_RESTART is set)"
        );
        assert_eq!(errno_name(10), "ECHILD");
    }
}
