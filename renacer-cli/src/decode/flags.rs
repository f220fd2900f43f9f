//! Symbolic names for flag words and enumerations, in strace's spelling and
//! order. Unknown bits are kept as hex so nothing is ever hidden or wrong.

pub(crate) use super::netflags::{
    sock_type, AF, EPOLL, EPOLL_CTL, IPPROTO, MSG, NETLINK_PROTOCOLS, POLL, SHUT,
};
pub(crate) use super::tables::{
    ARCH_PRCTL, CAPS, CLOCK, FCNTL, GRND, IOCTL, MADV, PRCTL, RESOLVE, RLIMIT,
};

/// `-X`: how named constants are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Xlat {
    /// Names (`O_RDONLY|O_CLOEXEC`), the default.
    #[default]
    Abbrev,
    /// Numbers only (`0x80000`).
    Raw,
    /// Both, the name in a comment (`0x80000 /* O_RDONLY|O_CLOEXEC */`).
    Verbose,
}

static XLAT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Sets `-X` for the rest of the run.
pub(crate) fn set_xlat(x: Xlat) {
    XLAT.store(x as u8, std::sync::atomic::Ordering::Relaxed);
}

fn xlat() -> Xlat {
    match XLAT.load(std::sync::atomic::Ordering::Relaxed) {
        1 => Xlat::Raw,
        2 => Xlat::Verbose,
        _ => Xlat::Abbrev,
    }
}

/// A constant printed in the `-X` style: `name`, `num` or `num /* name */`.
/// Values without a name print as their number whatever the style.
pub(crate) fn styled(num: String, name: String) -> String {
    if name == num {
        return name;
    }
    match xlat() {
        Xlat::Abbrev => name,
        Xlat::Raw => num,
        Xlat::Verbose => format!("{num} /* {name} */"),
    }
}

fn hex_num(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

/// `A|B|0x40` for the bits of `v` named in `table` (tried in order, multi-bit
/// entries first where they matter), `zero` when `v` is 0.
pub(crate) fn flags(v: u64, table: &[(u64, &str)], zero: &str) -> String {
    styled(hex_num(v), flag_names(v, table, zero))
}

fn flag_names(v: u64, table: &[(u64, &str)], zero: &str) -> String {
    if v == 0 {
        return zero.to_string();
    }
    let mut rest = v;
    let mut out: Vec<String> = Vec::new();
    for &(bits, name) in table {
        if bits != 0 && rest & bits == bits {
            out.push(name.to_string());
            rest &= !bits;
        }
    }
    if rest != 0 {
        out.push(format!("{rest:#x}"));
    }
    out.join("|")
}

/// The name of `v` in an enumeration, or the number (decimal) if unknown.
pub(crate) fn enum_name(v: u64, table: &[(u64, &str)]) -> String {
    match table.iter().find(|&&(x, _)| x == v) {
        // strace prints a named constant's number in hex under -X.
        Some(&(_, n)) => styled(hex_num(v), n.to_string()),
        None => format!("{}", v as i64),
    }
}

/// strace's form for a value no table entry names: `0x63 /* MPOL_??? */`,
/// the bare number under `-X raw`.
pub(crate) fn unknown(v: u64, what: &str) -> String {
    match xlat() {
        Xlat::Raw => format!("{v:#x}"),
        _ => format!("{v:#x} /* {what} */"),
    }
}

/// Like [`flags`], but a word with no named bit at all is marked unknown
/// (`0x80 /* MPOL_??? */`), as strace's `printflags` does.
pub(crate) fn flags_or_unknown(v: u64, table: &[(u64, &str)], zero: &str, what: &str) -> String {
    if v != 0 && table.iter().all(|&(bits, _)| bits == 0 || v & bits != bits) {
        return unknown(v, what);
    }
    flags(v, table, zero)
}

/// The name of `v` in an enumeration, or `0x63 /* X_??? */` if unknown
/// (strace's `printxval`).
pub(crate) fn enum_or_unknown(v: u64, table: &[(u64, &str)], what: &str) -> String {
    match table.iter().find(|&&(x, _)| x == v) {
        Some(&(_, n)) => styled(hex_num(v), n.to_string()),
        None => unknown(v, what),
    }
}

/// The name of `v` in an enumeration, or hex if unknown.
pub(crate) fn enum_hex(v: u64, table: &[(u64, &str)]) -> String {
    match table.iter().find(|&&(x, _)| x == v) {
        Some(&(_, n)) => styled(format!("{v:#x}"), n.to_string()),
        None => format!("{v:#x}"),
    }
}

/// `open`/`openat` flags: the access mode, then the other bits.
pub(crate) fn open_flags(v: u64) -> String {
    let mode = match v & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    };
    let rest = flag_names(v & !3, OPEN, "");
    let names = if rest.is_empty() {
        mode.to_string()
    } else {
        format!("{mode}|{rest}")
    };
    styled(hex_num(v), names)
}

/// Does this open flag word take a mode argument?
pub(crate) fn open_needs_mode(v: u64) -> bool {
    v & u64::from(g::O_CREAT) != 0 || v & u64::from(g::O_TMPFILE) == u64::from(g::O_TMPFILE)
}

/// A file mode in octal, with the file type when present (`S_IFREG|0644`);
/// under `-X raw` the whole word in octal (`0100644`).
pub(crate) fn mode(v: u64) -> String {
    styled(octal(v), mode_names(v))
}

fn mode_names(v: u64) -> String {
    let ty = match v & 0o170000 {
        0 => "",
        0o140000 => "S_IFSOCK|",
        0o120000 => "S_IFLNK|",
        0o100000 => "S_IFREG|",
        0o060000 => "S_IFBLK|",
        0o040000 => "S_IFDIR|",
        0o020000 => "S_IFCHR|",
        0o010000 => "S_IFIFO|",
        _ => "",
    };
    let ty = if ty.is_empty() && v & 0o170000 != 0 {
        format!("{:#o}|", v & 0o170000)
    } else {
        ty.to_string()
    };
    if ty.is_empty() {
        return octal(v & 0o7777);
    }
    let special = flag_names(
        v & 0o7000,
        &[
            (0o4000, "S_ISUID"),
            (0o2000, "S_ISGID"),
            (0o1000, "S_ISVTX"),
        ],
        "",
    );
    let special = if special.is_empty() {
        special
    } else {
        format!("{special}|")
    };
    format!("{ty}{special}{}", octal(v & 0o777))
}

/// C's `%#03o`: `0644`, `000`, `007`.
pub(crate) fn octal(v: u64) -> String {
    let s = if v == 0 {
        "0".to_string()
    } else {
        format!("0{v:o}")
    };
    format!("{s:0>3}")
}

/// `dirfd` arguments: `AT_FDCWD` or the number.
pub(crate) fn dirfd(v: u64) -> Option<&'static str> {
    (v as i32 == -100).then_some("AT_FDCWD")
}

/// The kernel's values for the architecture renacer is built for (x86_64
/// and its i386 compat ABI share them; an aarch64 build traces aarch64
/// tracees, whose `O_DIRECTORY` is x86_64's `O_DIRECT`).
use linux_raw_sys::general as g;

/// `O_*` bits other than the access mode. Multi-bit flags (`O_SYNC`
/// contains `O_DSYNC`, `O_TMPFILE` contains `O_DIRECTORY`) come before the
/// bits they contain.
pub(crate) const OPEN: &[(u64, &str)] = &[
    (g::O_CREAT as u64, "O_CREAT"),
    (g::O_EXCL as u64, "O_EXCL"),
    (g::O_NOCTTY as u64, "O_NOCTTY"),
    (g::O_TRUNC as u64, "O_TRUNC"),
    (g::O_APPEND as u64, "O_APPEND"),
    (g::O_NONBLOCK as u64, "O_NONBLOCK"),
    (g::O_SYNC as u64, "O_SYNC"),
    (g::O_DSYNC as u64, "O_DSYNC"),
    (g::FASYNC as u64, "O_ASYNC"),
    (g::O_DIRECT as u64, "O_DIRECT"),
    (g::O_LARGEFILE as u64, "O_LARGEFILE"),
    (g::O_NOFOLLOW as u64, "O_NOFOLLOW"),
    (g::O_NOATIME as u64, "O_NOATIME"),
    (g::O_CLOEXEC as u64, "O_CLOEXEC"),
    (g::O_PATH as u64, "O_PATH"),
    (g::O_TMPFILE as u64, "O_TMPFILE"),
    (g::O_DIRECTORY as u64, "O_DIRECTORY"),
];

/// `PROT_*`.
pub(crate) const PROT: &[(u64, &str)] = &[
    (g::PROT_READ as u64, "PROT_READ"),
    (g::PROT_WRITE as u64, "PROT_WRITE"),
    (g::PROT_EXEC as u64, "PROT_EXEC"),
    (g::PROT_SEM as u64, "PROT_SEM"),
    (g::PROT_GROWSDOWN as u64, "PROT_GROWSDOWN"),
    (g::PROT_GROWSUP as u64, "PROT_GROWSUP"),
];

/// `MAP_*` (the sharing type is handled by [`map_flags`]); `MAP_32BIT`
/// exists on x86_64 only.
pub(crate) const MAP: &[(u64, &str)] = &[
    (g::MAP_FIXED as u64, "MAP_FIXED"),
    (g::MAP_ANONYMOUS as u64, "MAP_ANONYMOUS"),
    #[cfg(target_arch = "x86_64")]
    (g::MAP_32BIT as u64, "MAP_32BIT"),
    (g::MAP_GROWSDOWN as u64, "MAP_GROWSDOWN"),
    (g::MAP_DENYWRITE as u64, "MAP_DENYWRITE"),
    (g::MAP_EXECUTABLE as u64, "MAP_EXECUTABLE"),
    (g::MAP_LOCKED as u64, "MAP_LOCKED"),
    (g::MAP_NORESERVE as u64, "MAP_NORESERVE"),
    (g::MAP_POPULATE as u64, "MAP_POPULATE"),
    (g::MAP_NONBLOCK as u64, "MAP_NONBLOCK"),
    (g::MAP_STACK as u64, "MAP_STACK"),
    (g::MAP_HUGETLB as u64, "MAP_HUGETLB"),
    (g::MAP_SYNC as u64, "MAP_SYNC"),
    (g::MAP_FIXED_NOREPLACE as u64, "MAP_FIXED_NOREPLACE"),
];

/// mmap flags: `MAP_PRIVATE|MAP_ANONYMOUS`...
pub(crate) fn map_flags(v: u64) -> String {
    let ty = match v & 0xf {
        1 => "MAP_SHARED",
        2 => "MAP_PRIVATE",
        3 => "MAP_SHARED_VALIDATE",
        _ => "",
    };
    let rest = flag_names(v & !0xf, MAP, "");
    let names = match (ty.is_empty(), rest.is_empty()) {
        (true, true) => format!("{:#x}", v & 0xf),
        (false, true) => ty.to_string(),
        (true, false) => rest,
        (false, false) => format!("{ty}|{rest}"),
    };
    styled(hex_num(v), names)
}

/// `AT_*` flags of the `*at` calls.
pub(crate) const AT: &[(u64, &str)] = &[
    (g::AT_SYMLINK_NOFOLLOW as u64, "AT_SYMLINK_NOFOLLOW"),
    (g::AT_REMOVEDIR as u64, "AT_REMOVEDIR"),
    (g::AT_SYMLINK_FOLLOW as u64, "AT_SYMLINK_FOLLOW"),
    (g::AT_NO_AUTOMOUNT as u64, "AT_NO_AUTOMOUNT"),
    (g::AT_EMPTY_PATH as u64, "AT_EMPTY_PATH"),
    (g::AT_STATX_FORCE_SYNC as u64, "AT_STATX_FORCE_SYNC"),
    (g::AT_STATX_DONT_SYNC as u64, "AT_STATX_DONT_SYNC"),
    (g::AT_RECURSIVE as u64, "AT_RECURSIVE"),
];

/// `faccessat2` flags (0x200 means AT_EACCESS there).
pub(crate) const AT_ACCESS: &[(u64, &str)] = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_EACCESS"),
    (0x1000, "AT_EMPTY_PATH"),
];

/// `access` modes.
pub(crate) fn access_mode(v: u64) -> String {
    flags(v, &[(4, "R_OK"), (2, "W_OK"), (1, "X_OK")], "F_OK")
}

/// `STATX_*` request/result mask.
pub(crate) const STATX: &[(u64, &str)] = &[
    (0xfff, "STATX_ALL"),
    (0x7ff, "STATX_BASIC_STATS"),
    (1, "STATX_TYPE"),
    (2, "STATX_MODE"),
    (4, "STATX_NLINK"),
    (8, "STATX_UID"),
    (0x10, "STATX_GID"),
    (0x20, "STATX_ATIME"),
    (0x40, "STATX_MTIME"),
    (0x80, "STATX_CTIME"),
    (0x100, "STATX_INO"),
    (0x200, "STATX_SIZE"),
    (0x400, "STATX_BLOCKS"),
    (0x800, "STATX_BTIME"),
    (0x1000, "STATX_MNT_ID"),
    (0x2000, "STATX_DIOALIGN"),
    (0x4000, "STATX_MNT_ID_UNIQUE"),
];

/// `lseek` whence.
pub(crate) const WHENCE: &[(u64, &str)] = &[
    (0, "SEEK_SET"),
    (1, "SEEK_CUR"),
    (2, "SEEK_END"),
    (3, "SEEK_DATA"),
    (4, "SEEK_HOLE"),
];

/// `clone` flags (the low byte is the exit signal).
pub(crate) const CLONE: &[(u64, &str)] = &[
    (0x100, "CLONE_VM"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"),
    (0x2000, "CLONE_PTRACE"),
    (0x4000, "CLONE_VFORK"),
    (0x8000, "CLONE_PARENT"),
    (0x10000, "CLONE_THREAD"),
    (0x20000, "CLONE_NEWNS"),
    (0x40000, "CLONE_SYSVSEM"),
    (0x80000, "CLONE_SETTLS"),
    (0x100000, "CLONE_PARENT_SETTID"),
    (0x200000, "CLONE_CHILD_CLEARTID"),
    (0x400000, "CLONE_DETACHED"),
    (0x800000, "CLONE_UNTRACED"),
    (0x1000000, "CLONE_CHILD_SETTID"),
    (0x2000000, "CLONE_NEWCGROUP"),
    (0x4000000, "CLONE_NEWUTS"),
    (0x8000000, "CLONE_NEWIPC"),
    (0x10000000, "CLONE_NEWUSER"),
    (0x20000000, "CLONE_NEWPID"),
    (0x40000000, "CLONE_NEWNET"),
    (0x80000000, "CLONE_IO"),
];

/// `clone` flags word: named bits plus the exit signal (`...|SIGCHLD`).
pub(crate) fn clone_flags(v: u64) -> String {
    styled(hex_num(v), clone_names(v))
}

fn clone_names(v: u64) -> String {
    let sig = v & 0xff;
    let mut s = flag_names(v & !0xff, CLONE, "");
    if sig != 0 {
        if !s.is_empty() {
            s.push('|');
        }
        s.push_str(&super::signals::name(sig as i32));
    }
    if s.is_empty() {
        s.push('0');
    }
    s
}

/// `wait4`/`waitid` options.
pub(crate) const WAIT: &[(u64, &str)] = &[
    (1, "WNOHANG"),
    (2, "WUNTRACED"),
    (4, "WEXITED"),
    (8, "WCONTINUED"),
    (0x0100_0000, "WNOWAIT"),
    (0x2000_0000, "__WNOTHREAD"),
    (0x4000_0000, "__WALL"),
    (0x8000_0000, "__WCLONE"),
];

/// `sigaction` flags, in strace's order.
pub(crate) const SA: &[(u64, &str)] = &[
    (0x0400_0000, "SA_RESTORER"),
    (0x0800_0000, "SA_ONSTACK"),
    (0x1000_0000, "SA_RESTART"),
    (0x4000_0000, "SA_NODEFER"),
    (0x8000_0000, "SA_RESETHAND"),
    (4, "SA_SIGINFO"),
    (1, "SA_NOCLDSTOP"),
    (2, "SA_NOCLDWAIT"),
];

/// Scheduling policies (`sched_get_priority_max`, ...).
pub(crate) const SCHED_POLICY: &[(u64, &str)] = &[
    (0, "SCHED_OTHER"),
    (1, "SCHED_FIFO"),
    (2, "SCHED_RR"),
    (3, "SCHED_BATCH"),
    (4, "SCHED_ISO"),
    (5, "SCHED_IDLE"),
    (6, "SCHED_DEADLINE"),
];

/// `sigprocmask` how.
pub(crate) const SIG_HOW: &[(u64, &str)] =
    &[(0, "SIG_BLOCK"), (1, "SIG_UNBLOCK"), (2, "SIG_SETMASK")];

#[cfg(test)]
mod tests {
    use super::*;

    /// x86_64's (and i386's) open flag values, as the kernel defines them
    /// (`arch/x86/include/uapi/asm/fcntl.h` falls back to the generic ones).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x86_64_open_flags_are_the_kernels() {
        assert_eq!(open_flags(0o2_000_000), "O_RDONLY|O_CLOEXEC");
        assert_eq!(
            open_flags(0o2_204_000),
            "O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY"
        );
        assert_eq!(open_flags(0o40_000), "O_RDONLY|O_DIRECT");
        assert_eq!(open_flags(0o100_000), "O_RDONLY|O_LARGEFILE");
        assert_eq!(open_flags(0o20_200_002), "O_RDWR|O_TMPFILE");
        assert!(open_needs_mode(0o20_200_002));
    }

    /// aarch64's differ (`arch/arm64/include/uapi/asm/fcntl.h`): an
    /// aarch64 build must not print x86_64's names. Runs on aarch64 builds
    /// (CI is x86_64 only; the values come from linux-raw-sys either way).
    #[cfg(target_arch = "aarch64")]
    #[test]
    fn aarch64_open_flags_are_the_kernels() {
        assert_eq!(open_flags(0o40_000), "O_RDONLY|O_DIRECTORY");
        assert_eq!(open_flags(0o100_000), "O_RDONLY|O_NOFOLLOW");
        assert_eq!(open_flags(0o200_000), "O_RDONLY|O_DIRECT");
        assert_eq!(open_flags(0o400_000), "O_RDONLY|O_LARGEFILE");
        assert_eq!(open_flags(0o20_040_002), "O_RDWR|O_TMPFILE");
    }

    #[test]
    fn strace_spellings() {
        assert_eq!(open_flags(0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(map_flags(0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(map_flags(0x812), "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE");
        assert_eq!(flags(0, PROT, "PROT_NONE"), "PROT_NONE");
        assert_eq!(flags(5, PROT, "PROT_NONE"), "PROT_READ|PROT_EXEC");
        assert_eq!(flags(0x1_0001, PROT, "PROT_NONE"), "PROT_READ|0x10000");
        assert_eq!(mode(0o100644), "S_IFREG|0644");
        assert_eq!(mode(0o755), "0755");
        assert_eq!(mode(0o41777), "S_IFDIR|S_ISVTX|0777");
        assert_eq!(access_mode(0), "F_OK");
        assert_eq!(access_mode(6), "R_OK|W_OK");
        assert_eq!(
            clone_flags(0x1200011),
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD"
        );
        assert_eq!(sock_type(0o2_000_001), "SOCK_STREAM|SOCK_CLOEXEC");
        assert_eq!(
            sock_type(0o2_004_001),
            "SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK"
        );
        assert_eq!(enum_name(99, WHENCE), "99");
    }
}
