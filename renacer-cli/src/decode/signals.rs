//! Signal names, signal sets (`[INT TERM]`, `~[RTMIN RT_1]`) and `siginfo_t`
//! as strace prints them in `--- SIGCHLD {...} ---` lines.

const NAMES: [&str; 32] = [
    "0",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// `SIGTERM`, `SIGRTMIN`, `SIGRT_3`, or the number.
pub(crate) fn name(sig: i32) -> String {
    match sig {
        1..=31 => NAMES[sig as usize].to_string(),
        32 => "SIGRTMIN".into(),
        33..=64 => format!("SIGRT_{}", sig - 32),
        _ => sig.to_string(),
    }
}

/// The number of a signal named `SIGTERM`, `TERM`, `sigterm` or `15`.
pub(crate) fn number(name: &str) -> Option<i32> {
    if let Ok(n) = name.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let up = name.to_ascii_uppercase();
    let full = if up.starts_with("SIG") {
        up
    } else {
        format!("SIG{up}")
    };
    (1..=64).find(|&s| self::name(s) == full)
}

/// A signal set of `bytes` bytes at the given bits, strace style: the
/// complement is printed when more than half the signals are set.
pub(crate) fn sigset(mask: u64, bytes: usize) -> String {
    let nsig = (bytes.min(8) * 8) as i32;
    let count = (1..=nsig)
        .filter(|&s| mask & (1u64 << (s - 1)) != 0)
        .count() as i32;
    let (invert, m) = if count * 2 > nsig {
        (true, !mask)
    } else {
        (false, mask)
    };
    let names: Vec<String> = (1..=nsig)
        .filter(|&s| m & (1u64 << (s - 1)) != 0)
        .map(|s| {
            let n = name(s);
            n.strip_prefix("SIG").map(str::to_string).unwrap_or(n)
        })
        .collect();
    format!("{}[{}]", if invert { "~" } else { "" }, names.join(" "))
}

use renacer_format::le::{i32_at, i64_at, u32_at};

fn si_code_name(signo: i32, code: i32) -> String {
    let generic = match code {
        0 => Some("SI_USER"),
        0x80 => Some("SI_KERNEL"),
        -1 => Some("SI_QUEUE"),
        -2 => Some("SI_TIMER"),
        -3 => Some("SI_MESGQ"),
        -4 => Some("SI_ASYNCIO"),
        -5 => Some("SI_SIGIO"),
        -6 => Some("SI_TKILL"),
        _ => None,
    };
    if let Some(g) = generic {
        return g.into();
    }
    let specific: &[&str] = match signo {
        17 => &[
            "CLD_EXITED",
            "CLD_KILLED",
            "CLD_DUMPED",
            "CLD_TRAPPED",
            "CLD_STOPPED",
            "CLD_CONTINUED",
        ],
        11 => &["SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"],
        7 => &["BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR"],
        4 => &[
            "ILL_ILLOPC",
            "ILL_ILLOPN",
            "ILL_ILLADR",
            "ILL_ILLTRP",
            "ILL_PRVOPC",
            "ILL_PRVREG",
            "ILL_COPROC",
            "ILL_BADSTK",
        ],
        8 => &[
            "FPE_INTDIV",
            "FPE_INTOVF",
            "FPE_FLTDIV",
            "FPE_FLTOVF",
            "FPE_FLTUND",
            "FPE_FLTRES",
            "FPE_FLTINV",
            "FPE_FLTSUB",
        ],
        5 => &["TRAP_BRKPT", "TRAP_TRACE"],
        _ => &[],
    };
    match usize::try_from(code)
        .ok()
        .and_then(|c| c.checked_sub(1))
        .and_then(|i| specific.get(i))
    {
        Some(n) => n.to_string(),
        None => code.to_string(),
    }
}

/// `{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=..., ...}` from the raw
/// 128-byte `siginfo_t` (x86_64/aarch64 layout).
pub(crate) fn siginfo(raw: &[u8; 128]) -> String {
    let signo = i32_at(raw, 0);
    let errno = i32_at(raw, 4);
    let code = i32_at(raw, 8);
    let mut s = format!(
        "{{si_signo={}, si_code={}",
        name(signo),
        si_code_name(signo, code)
    );
    if errno != 0 {
        s.push_str(&format!(", si_errno={errno}"));
    }
    let pid_uid = format!(", si_pid={}, si_uid={}", i32_at(raw, 16), u32_at(raw, 20));
    if code == -2 {
        // SI_TIMER (timer_create's SIGEV_SIGNAL): the timer, its overruns
        // and the sigevent's value.
        s.push_str(&format!(
            ", si_timerid={}, si_overrun={}, si_int={}, si_ptr={:#x}",
            // C's `%#x`: 0 stays `0`.
            super::hex_or_zero(u64::from(u32_at(raw, 16))),
            i32_at(raw, 20),
            i32_at(raw, 24),
            i64_at(raw, 24) as u64
        ));
    } else if code <= 0 {
        // Sent by kill/tkill/sigqueue: sender pid and uid.
        s.push_str(&pid_uid);
        if code == -1 || code == -2 {
            s.push_str(&format!(
                ", si_int={}, si_ptr={:#x}",
                i32_at(raw, 24),
                i64_at(raw, 24) as u64
            ));
        }
    } else if signo == 17 {
        let status = i32_at(raw, 24);
        s.push_str(&pid_uid);
        if code == 1 {
            s.push_str(&format!(", si_status={status}"));
        } else {
            s.push_str(&format!(", si_status={}", name(status)));
        }
        s.push_str(&format!(
            ", si_utime={}, si_stime={}",
            i64_at(raw, 32),
            i64_at(raw, 40)
        ));
    } else if matches!(signo, 4 | 7 | 8 | 11) && code != 0x80 {
        s.push_str(&format!(", si_addr={:#x}", i64_at(raw, 16) as u64));
    }
    s.push('}');
    s
}

/// `{mask=[...]}` of an `rt_sigreturn` at its entry, read from the signal
/// frame at the stack pointer `sp` (after the handler's `ret` popped the
/// restorer address): x86_64 `rt_sigframe.uc.uc_sigmask` is at `sp + 296`
/// (the ucontext's flags, link, `stack_t` and 256-byte `sigcontext`
/// precede it), aarch64's at `sp + 168` (the 128-byte siginfo, then the
/// ucontext's flags, link and `stack_t`). Other ABIs: `None`, printed `()`.
pub(crate) fn sigreturn_mask(mem: super::Mem, arch: &crate::arch::Arch, sp: u64) -> Option<String> {
    let off = if std::ptr::eq(arch, &crate::arch::X86_64) {
        296
    } else if std::ptr::eq(arch, &crate::arch::AARCH64) {
        168
    } else {
        return None;
    };
    let mask = mem.u64(sp.checked_add(off)?)?;
    Some(format!("{{mask={}}}", sigset(mask, 8)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sets() {
        assert_eq!(name(15), "SIGTERM");
        assert_eq!(name(32), "SIGRTMIN");
        assert_eq!(name(34), "SIGRT_2");
        assert_eq!(sigset(0, 8), "[]");
        assert_eq!(sigset((1 << 1) | (1 << 16), 8), "[INT CHLD]");
        assert_eq!(sigset(!((1u64 << 31) | (1u64 << 32)), 8), "~[RTMIN RT_1]");
    }

    #[test]
    fn sigchld_info() {
        let mut raw = [0u8; 128];
        raw[0] = 17;
        raw[8] = 1;
        raw[16..20].copy_from_slice(&1234i32.to_le_bytes());
        assert_eq!(
            siginfo(&raw),
            "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=1234, si_uid=0, si_status=0, si_utime=0, si_stime=0}"
        );
        let mut k = [0u8; 128];
        k[0] = 10;
        k[16] = 7;
        assert_eq!(
            siginfo(&k),
            "{si_signo=SIGUSR1, si_code=SI_USER, si_pid=7, si_uid=0}"
        );
    }

    #[test]
    fn sigreturn_reads_the_mask_from_the_frame() {
        let mut frame = [0u64; 40];
        frame[296 / 8] = 1 << 11; // SIGUSR2 (12)
        let m = crate::decode::Mem::this_process();
        assert_eq!(
            sigreturn_mask(m, &crate::arch::X86_64, frame.as_ptr() as u64).as_deref(),
            Some("{mask=[USR2]}")
        );
        frame[168 / 8] = 0;
        assert_eq!(
            sigreturn_mask(m, &crate::arch::AARCH64, frame.as_ptr() as u64).as_deref(),
            Some("{mask=[]}")
        );
        assert_eq!(
            sigreturn_mask(m, &crate::arch::I386, frame.as_ptr() as u64),
            None
        );
    }
}
