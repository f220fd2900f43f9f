//! Turning a syscall's raw arguments and result into strace's text.
//!
//! Decoding happens at syscall *exit* (so output buffers and structs are
//! filled in), except for calls that never return to the same image
//! (`execve`, `exit_group`), which the tracer decodes at entry. Anything this
//! module does not know is printed as strace prints undecoded arguments: in
//! hex, never invented.

pub(crate) mod calls;
pub(crate) mod dump;
pub(crate) mod fdinfo;
pub(crate) mod flags;
pub(crate) mod mem;
mod netflags;
mod netlink;
mod netstructs;
pub(crate) mod pids;
pub(crate) mod ret;
pub(crate) mod signals;
pub(crate) mod structs;
mod tables;

use crate::arch::Arch;
pub(crate) use mem::{set_hex_strings, HexStrings, Mem};

/// Everything a decoder may need about the call being printed.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    /// The tracee's memory.
    pub mem: Mem,
    /// The ABI of the call.
    pub arch: &'static Arch,
    /// `-s`.
    pub strsize: usize,
    /// `-y`.
    pub decode_fds: bool,
    /// Path of an fd captured at entry (for `close`, whose fd is gone at exit).
    /// An fd's path as it was at entry (`close`'s, gone at exit; `dup2`'s
    /// new fd, replaced by the call): `None` when it was not open then.
    pub fd_hint: Option<(u64, Option<&'a str>)>,
    /// A value-result length (`socklen_t *`) as it was at entry, so a
    /// changed one prints as strace prints it, `[128 => 16]`.
    pub len_in: Option<u32>,
    /// `-v` / `-e abbrev=`: structures printed whole, not cut at `...`.
    pub verbose: bool,
}

impl Ctx<'_> {
    /// A file descriptor argument: `3`, or `3</etc/passwd>` under `-y`,
    /// with the path it had at entry where that was captured.
    pub(crate) fn fd(&self, v: u64) -> String {
        match self.fd_hint {
            Some((hv, Some(p))) if hv == v && self.decode_fds => format!("{}<{p}>", v as i32),
            Some((hv, None)) if hv == v => (v as i32).to_string(),
            _ => self.fd_now(v),
        }
    }

    /// A file descriptor as it is now (a returned one).
    pub(crate) fn fd_now(&self, v: u64) -> String {
        let fd = v as i32;
        if !self.decode_fds || fd < 0 {
            return fd.to_string();
        }
        match fdinfo::label(self.mem.pid, fd) {
            Some(p) => format!("{fd}<{p}>"),
            None => fd.to_string(),
        }
    }
}

/// Where the value-result length of `name`'s address or option lies, read
/// at entry (see [`Ctx::len_in`]): a `socklen_t *` argument, or recvmsg's
/// `msg_namelen` inside its `struct msghdr`.
pub(crate) fn value_result_len_addr(name: &str, args: &[u64; 6]) -> Option<u64> {
    match name {
        "accept" | "accept4" | "getsockname" | "getpeername" => Some(args[2]),
        "recvfrom" => Some(args[5]),
        "getsockopt" => Some(args[4]),
        "recvmsg" => Some(args[1].wrapping_add(8)),
        _ => None,
    }
}

/// What `/proc/PID/fd/FD` points to.
pub(crate) fn fd_path(pid: i32, fd: i32) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// The argument list (without parentheses). `ret` is `Some(value)` when the
/// call has returned successfully, `None` at entry or after an error, so
/// output arguments print as addresses unless they were filled in.
pub(crate) fn args(ctx: &Ctx, name: &str, a: &[u64; 6], ret: Option<i64>) -> String {
    arg_list(ctx, name, a, ret).join(", ")
}

/// [`args`], one string per argument.
pub(crate) fn arg_list(ctx: &Ctx, name: &str, a: &[u64; 6], ret: Option<i64>) -> Vec<String> {
    // The struct decoders use 64-bit layouts; for 32-bit (compat) tracees
    // only calls whose arguments are integers, flags or strings are decoded,
    // the rest print as hex rather than as misread structs.
    if ctx.arch.name == "i386" && !COMPAT_SAFE.contains(&name) {
        return generic_list(name, a);
    }
    calls::decode(ctx, name, a, ret).unwrap_or_else(|| generic_list(name, a))
}

/// Calls that block on inputs in the tracee's memory: decoded at entry
/// too, so a task killed in one still shows them (its memory is gone by
/// then) — `clock_nanosleep(..., {tv_sec=5, tv_nsec=0},  <unfinished ...>)`.
pub(crate) fn blocks_on_memory_inputs(name: &str) -> bool {
    matches!(
        name,
        "nanosleep"
            | "clock_nanosleep"
            | "poll"
            | "ppoll"
            | "futex"
            | "rt_sigtimedwait"
            | "rt_sigsuspend"
            | "connect"
            | "epoll_pwait"
    )
}

/// strace's arguments of a call its task never returned from (killed,
/// or ended by another thread's exit): the inputs, then `<unfinished
/// ...>` where the first output argument would be — `read(0,  <unfinished
/// ...>)`, `futex(0x..., FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>)`.
pub(crate) fn unfinished_args(name: &str, list: &[String]) -> String {
    let first_output = match name {
        "read" | "pread64" | "readv" | "preadv" | "preadv2" | "recvfrom" | "recvmsg"
        | "recvmmsg" | "getdents64" | "accept" | "accept4" | "epoll_wait" | "epoll_pwait"
        | "epoll_pwait2" | "wait4" | "msgrcv" | "mq_timedreceive" | "nanosleep"
        | "rt_sigtimedwait" => Some(1),
        "waitid" => Some(2),
        "clock_nanosleep" | "io_getevents" => Some(3),
        _ => None,
    };
    match first_output.filter(|&k| k < list.len()) {
        Some(k) => format!("{},  <unfinished ...>", list[..k].join(", ")),
        None if list.is_empty() => " <unfinished ...>".into(),
        None => format!("{} <unfinished ...>", list.join(", ")),
    }
}

/// Calls decoded for i386 tracees: no pointer-sized or struct arguments.
const COMPAT_SAFE: &[&str] = &[
    "read",
    "write",
    "open",
    "openat",
    "close",
    "creat",
    "access",
    "faccessat",
    "unlink",
    "unlinkat",
    "mkdir",
    "mkdirat",
    "rmdir",
    "chdir",
    "fchdir",
    "chmod",
    "fchmod",
    "dup",
    "dup2",
    "dup3",
    "exit",
    "exit_group",
    "kill",
    "tkill",
    "tgkill",
    "lseek",
    "umask",
    "readlink",
    "rename",
    "link",
    "symlink",
    "alarm",
    "brk",
    "munmap",
    "mprotect",
    "ioctl",
    "fsync",
    "fdatasync",
    "truncate",
    "ftruncate",
    "setuid",
    "setgid",
    "setpgid",
    "getpgid",
];

/// strace's rendering of a call it does not decode: each argument in hex.
pub(crate) fn generic(name: &str, a: &[u64; 6]) -> String {
    generic_list(name, a).join(", ")
}

fn generic_list(name: &str, a: &[u64; 6]) -> Vec<String> {
    a[..crate::arch::nargs(name)]
        .iter()
        .map(|&v| hex_or_zero(v))
        .collect()
}

/// `0` or `0x...`, as strace prints an unknown word.
pub(crate) fn hex_or_zero(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::{I386, X86_64};

    fn ctx(arch: &'static Arch) -> Ctx<'static> {
        Ctx {
            mem: Mem::this_process(),
            arch,
            strsize: 32,
            decode_fds: false,
            fd_hint: None,
            len_in: None,
            verbose: false,
        }
    }

    #[test]
    fn compat_tracees_get_hex_for_struct_calls() {
        let a = [3, 0x1000, 0, 0, 0, 0];
        assert_eq!(args(&ctx(&I386), "fstat", &a, Some(0)), "0x3, 0x1000");
        assert_eq!(args(&ctx(&I386), "close", &a, Some(0)), "3");
        assert_eq!(args(&ctx(&X86_64), "close", &a, Some(0)), "3");
    }

    #[test]
    fn undecoded_calls_print_their_argument_count_in_hex() {
        let a = [1, 0, 0xff, 4, 5, 6];
        assert_eq!(
            args(&ctx(&X86_64), "io_uring_enter", &a, None),
            "0x1, 0, 0xff, 0x4, 0x5, 0x6"
        );
        assert_eq!(args(&ctx(&X86_64), "getpid", &a, None), "");
    }
}
