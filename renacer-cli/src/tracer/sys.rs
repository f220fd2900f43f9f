//! Thin, safe wrappers over the raw ptrace / wait / process_vm_readv calls.
//! Every `unsafe` of the tracer lives here, next to its justification.

use std::io;

/// `PTRACE_GET_SYSCALL_INFO` (Linux 5.3).
const PTRACE_GET_SYSCALL_INFO: libc::c_uint = 0x420e;

/// What `PTRACE_GET_SYSCALL_INFO` says about the current stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyscallInfo {
    /// Syscall-entry stop, with the thread's instruction and stack pointers.
    Entry {
        arch: u32,
        nr: u64,
        args: [u64; 6],
        ip: u64,
        sp: u64,
    },
    /// Syscall-exit stop.
    Exit { rval: i64, is_error: bool },
    /// `PTRACE_EVENT_SECCOMP` stop (before the syscall runs).
    Seccomp {
        arch: u32,
        nr: u64,
        args: [u64; 6],
        ip: u64,
        sp: u64,
    },
    /// Not a syscall stop.
    None,
}

fn check(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn ptrace(req: libc::c_uint, pid: i32, addr: usize, data: usize) -> io::Result<libc::c_long> {
    // SAFETY: every request issued through this helper passes either plain
    // integers or a pointer to a live, correctly sized buffer owned by the
    // caller (see the call sites); the kernel validates the pid.
    check(unsafe {
        libc::ptrace(
            req,
            pid,
            addr as *mut libc::c_void,
            data as *mut libc::c_void,
        )
    })
}

/// `PTRACE_SEIZE` with options.
pub(crate) fn seize(pid: i32, options: u32) -> io::Result<()> {
    ptrace(libc::PTRACE_SEIZE, pid, 0, options as usize).map(drop)
}

/// `PTRACE_INTERRUPT`: bring a seized tracee to a `PTRACE_EVENT_STOP`.
pub(crate) fn interrupt(pid: i32) -> io::Result<()> {
    ptrace(libc::PTRACE_INTERRUPT, pid, 0, 0).map(drop)
}

/// Resume to the next syscall stop, delivering `sig` (0 for none).
pub(crate) fn resume_syscall(pid: i32, sig: i32) -> io::Result<()> {
    ptrace(libc::PTRACE_SYSCALL, pid, 0, sig as usize).map(drop)
}

/// Resume until the next event/seccomp stop, delivering `sig`.
pub(crate) fn resume_cont(pid: i32, sig: i32) -> io::Result<()> {
    ptrace(libc::PTRACE_CONT, pid, 0, sig as usize).map(drop)
}

/// `PTRACE_LISTEN`: leave a group-stopped tracee stopped but let it be
/// woken by `SIGCONT` (as it would without a tracer).
pub(crate) fn listen(pid: i32) -> io::Result<()> {
    ptrace(libc::PTRACE_LISTEN, pid, 0, 0).map(drop)
}

/// `PTRACE_DETACH`, delivering `sig`.
pub(crate) fn detach(pid: i32, sig: i32) -> io::Result<()> {
    ptrace(libc::PTRACE_DETACH, pid, 0, sig as usize).map(drop)
}

/// `PTRACE_GETEVENTMSG` (new pid for clone events, old tid for exec).
pub(crate) fn event_msg(pid: i32) -> io::Result<u64> {
    let mut msg: libc::c_ulong = 0;
    ptrace(
        libc::PTRACE_GETEVENTMSG,
        pid,
        0,
        &mut msg as *mut libc::c_ulong as usize,
    )?;
    Ok(msg as u64)
}

/// `PTRACE_GETSIGINFO` as raw bytes (128, the kernel's `siginfo_t`).
pub(crate) fn siginfo(pid: i32) -> io::Result<[u8; 128]> {
    let mut buf = [0u8; 128];
    ptrace(libc::PTRACE_GETSIGINFO, pid, 0, buf.as_mut_ptr() as usize)?;
    Ok(buf)
}

/// One `PTRACE_GET_SYSCALL_INFO`: everything about the stop in one call
/// instead of several register reads.
pub(crate) fn syscall_info(pid: i32) -> io::Result<SyscallInfo> {
    let mut buf = [0u64; 12];
    let size = std::mem::size_of_val(&buf);
    ptrace(
        PTRACE_GET_SYSCALL_INFO,
        pid,
        size,
        buf.as_mut_ptr() as usize,
    )?;
    let op = (buf[0] & 0xff) as u8;
    let arch = (buf[0] >> 32) as u32;
    let mut args = [0u64; 6];
    args.copy_from_slice(&buf[4..10]);
    Ok(match op {
        1 => SyscallInfo::Entry {
            arch,
            nr: buf[3],
            args,
            ip: buf[1],
            sp: buf[2],
        },
        2 => SyscallInfo::Exit {
            rval: buf[3] as i64,
            is_error: buf[4] & 0xff != 0,
        },
        3 => SyscallInfo::Seccomp {
            arch,
            nr: buf[3],
            args,
            ip: buf[1],
            sp: buf[2],
        },
        _ => SyscallInfo::None,
    })
}

/// One word of a stopped tracee's `user_regs_struct`, at byte `offset`.
#[cfg(target_arch = "x86_64")]
fn peek_user(pid: i32, offset: usize) -> io::Result<u64> {
    // SAFETY: PEEKUSER reads a word of the stopped tracee's registers and
    // returns it; errno tells a -1 word from an error.
    unsafe { *libc::__errno_location() = 0 };
    match ptrace(libc::PTRACE_PEEKUSER, pid, offset, 0) {
        Err(e) if e.raw_os_error() != Some(0) => Err(e),
        Err(_) => Ok(u64::MAX),
        Ok(v) => Ok(v as u64),
    }
}

/// Writes word `offset` of a stopped tracee's `user_regs_struct`
/// (`-e inject=`: `orig_rax` at entry, `rax` at exit).
#[cfg(target_arch = "x86_64")]
pub(crate) fn poke_user(pid: i32, offset: usize, value: u64) -> io::Result<()> {
    ptrace(libc::PTRACE_POKEUSER, pid, offset, value as usize).map(|_| ())
}

/// `orig_rax` and `rax` in `user_regs_struct` (words 15 and 10).
#[cfg(target_arch = "x86_64")]
pub(crate) const ORIG_RAX: usize = 15 * 8;
#[cfg(target_arch = "x86_64")]
pub(crate) const RAX: usize = 10 * 8;

/// The frame-pointer register (`rbp`, the fifth word of the kernel's
/// `user_regs_struct`) of a stopped tracee: with the instruction and stack
/// pointers from [`syscall_info`], what unwinding needs.
#[cfg(target_arch = "x86_64")]
pub(crate) fn frame_pointer(pid: i32) -> io::Result<u64> {
    peek_user(pid, 4 * 8)
}

/// The syscall number the tracee last entered (`orig_rax`, word 15; `-n`
/// on signal lines, as strace prints it), if any.
#[cfg(target_arch = "x86_64")]
pub(crate) fn last_syscall(pid: i32) -> Option<u64> {
    peek_user(pid, 15 * 8).ok().filter(|&nr| (nr as i64) >= 0)
}

/// The instruction pointer (`rip`, word 16) of a stopped tracee (`-i` on
/// signal lines).
#[cfg(target_arch = "x86_64")]
pub(crate) fn instruction_pointer(pid: i32) -> io::Result<u64> {
    peek_user(pid, 16 * 8)
}

/// `waitpid(-1, __WALL | flags)`. `Ok(None)` with `WNOHANG` and nothing ready.
pub(crate) fn wait_any(nohang: bool) -> io::Result<Option<(i32, i32)>> {
    wait4(nohang, false).map(|o| o.map(|(pid, status, _)| (pid, status)))
}

/// [`wait_any`] that also returns the stopped (or dead) task's system CPU
/// time in ns, `ru_stime` of `wait4`'s rusage: for a stopped tracee the
/// kernel reports its thread group's usage so far, which is what strace's
/// `-c` subtracts between a call's entry and exit stops.
pub(crate) fn wait_any_with_stime(nohang: bool) -> io::Result<Option<(i32, i32, u64)>> {
    wait4(nohang, true)
}

fn wait4(nohang: bool, rusage: bool) -> io::Result<Option<(i32, i32, u64)>> {
    let mut status = 0;
    let flags = libc::__WALL | if nohang { libc::WNOHANG } else { 0 };
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let ru_ptr: *mut libc::rusage = if rusage {
        &mut ru
    } else {
        std::ptr::null_mut()
    };
    // SAFETY: `status` is a live i32 and `ru_ptr` null or a live rusage,
    // both written by the kernel only for the duration of the call.
    let pid = unsafe { libc::wait4(-1, &mut status, flags, ru_ptr) };
    let stime = ru.ru_stime.tv_sec as u64 * 1_000_000_000 + ru.ru_stime.tv_usec as u64 * 1000;
    match pid {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(None),
        p => Ok(Some((p, status, stime))),
    }
}

/// How many CPUs renacer's affinity mask allows (1 if it cannot tell).
pub(crate) fn allowed_cpus() -> usize {
    // SAFETY: an all-zero cpu_set_t is a valid empty set; the kernel writes
    // at most `size_of::<cpu_set_t>()` bytes into it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return 1;
        }
        libc::CPU_COUNT(&set) as usize
    }
}

/// Send `sig` to `pid`.
pub(crate) fn kill(pid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: kill(2) takes plain integers.
    check(unsafe { libc::kill(pid, sig) } as libc::c_long).map(drop)
}

/// The signals that end an attach session (`-p`): Ctrl-C and friends.
pub(crate) const DETACH_SIGNALS: [i32; 4] =
    [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

fn sigset_of(sigs: &[i32]) -> libc::sigset_t {
    // SAFETY: an all-zero sigset_t is a valid value; sigemptyset/sigaddset
    // initialise it fully and only write through the pointer we pass.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in sigs {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Block `sigs` so they are only consumed by [`wait_signal`].
pub(crate) fn block_signals(sigs: &[i32]) {
    let set = sigset_of(sigs);
    // SAFETY: `set` is initialised; the old mask is not needed.
    unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// Wait up to `timeout` for one of `sigs` (blocked); `None` on timeout.
pub(crate) fn wait_signal(sigs: &[i32], timeout: std::time::Duration) -> Option<i32> {
    let set = sigset_of(sigs);
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `set` and `ts` are live; a null siginfo pointer is allowed.
    let s = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &ts) };
    (s > 0).then_some(s)
}

/// Ignore `sig` in renacer (Ctrl-C while a launched command runs goes to
/// the command, which is in the same process group, as under strace).
pub(crate) fn ignore_signal(sig: i32) {
    // SAFETY: installing SIG_IGN has no memory-safety preconditions.
    unsafe { libc::signal(sig, libc::SIG_IGN) };
}

/// `-I 3` / `-I 4`: HUP, INT, QUIT and TERM (and with `-I 4` SIGTSTP)
/// ignored for the whole trace.
pub(crate) fn ignore_fatal_signals(also_tstp: bool) {
    for sig in DETACH_SIGNALS {
        ignore_signal(sig);
    }
    if also_tstp {
        ignore_signal(libc::SIGTSTP);
    }
}

/// The launched command's pid, for [`forward_signal`].
static FORWARD_PID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn forward_signal(sig: libc::c_int) {
    let pid = FORWARD_PID.load(std::sync::atomic::Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill(2) is async-signal-safe and takes plain integers.
        unsafe { libc::kill(pid, sig) };
    }
}

/// Forward `sigs` received by renacer to `pid` (the launched command), so
/// `kill <renacer>` ends the traced command the same way; the tracer then
/// sees it die, writes its last lines and flushes — nothing buffered is lost.
/// Done inside the handler (kill is async-signal-safe), so no signal can
/// slip between a flag check and a blocking `waitpid`.
pub(crate) fn forward_signals_to(pid: i32, sigs: &[i32]) {
    FORWARD_PID.store(pid, std::sync::atomic::Ordering::Relaxed);
    for &sig in sigs {
        // SAFETY: an all-zero sigaction is valid; we set a handler that only
        // performs async-signal-safe work, with SA_RESTART so waitpid resumes.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = forward_signal as *const () as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}
