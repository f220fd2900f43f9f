//! The common structs, read from tracee memory and printed strace style
//! (abbreviated with `...` where strace abbreviates without `-v`). Layouts are
//! those of x86_64 (and the generic layout for aarch64 where it differs).
//! Anything unreadable prints as its address, never as invented content.

use super::flags::{self, flags};
use super::mem::{self, Mem};
use super::signals;

pub(crate) use super::netstructs::{epoll_events, msghdr, pollfds, sockaddr};

pub(super) use renacer_format::le::{u16_at as le_u16, u32_at as le_u32, u64_at as le_u64};

fn hex0(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

/// `makedev(0x1, 0x3)` for a kernel `dev_t`.
pub(crate) fn makedev(dev: u64) -> String {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    format!("makedev({}, {})", hex0(major), hex0(minor))
}

/// `struct stat` (x86_64 layout, or the generic one on aarch64).
pub(crate) fn stat(m: Mem, addr: u64, aarch64: bool) -> String {
    let Some(b) = m.read(addr, 128) else {
        return format!("{addr:#x}");
    };
    let (mode, rdev) = if aarch64 {
        (le_u32(&b, 16) as u64, le_u64(&b, 32))
    } else {
        (le_u32(&b, 24) as u64, le_u64(&b, 40))
    };
    let size = le_u64(&b, 48) as i64;
    let ty = mode & 0o170000;
    if ty == 0o020000 || ty == 0o060000 {
        format!(
            "{{st_mode={}, st_rdev={}, ...}}",
            flags::mode(mode),
            makedev(rdev)
        )
    } else {
        format!("{{st_mode={}, st_size={size}, ...}}", flags::mode(mode))
    }
}

/// `struct statx`.
pub(crate) fn statx(m: Mem, addr: u64) -> String {
    let Some(b) = m.read(addr, 144) else {
        return format!("{addr:#x}");
    };
    let mask = le_u32(&b, 0) as u64;
    let mode = le_u16(&b, 28) as u64;
    format!(
        "{{stx_mask={}, stx_attributes={}, stx_mode={}, stx_size={}, ...}}",
        flags(mask, flags::STATX, "0"),
        hex0(le_u64(&b, 8)),
        flags::mode(mode),
        le_u64(&b, 40)
    )
}

/// `struct timespec`.
pub(crate) fn timespec(m: Mem, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match m.read(addr, 16) {
        Some(b) => format!(
            "{{tv_sec={}, tv_nsec={}}}",
            le_u64(&b, 0) as i64,
            le_u64(&b, 8) as i64
        ),
        None => format!("{addr:#x}"),
    }
}

/// An `iovec` array; `total` limits the bytes shown (the return value of
/// readv, or `u64::MAX` for writev).
pub(crate) fn iovec(m: Mem, addr: u64, count: u64, total: u64, strsize: usize) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    let n = count.min(64) as usize;
    let Some(b) = m.read(addr, n * 16) else {
        return format!("{addr:#x}");
    };
    let mut left = total;
    let mut items = Vec::new();
    for i in 0..n {
        let base = le_u64(&b, i * 16);
        let len = le_u64(&b, i * 16 + 8);
        let shown = len.min(left);
        left -= shown;
        let data = mem::buffer(m, base, shown as usize, strsize, false);
        items.push(format!("{{iov_base={data}, iov_len={len}}}"));
    }
    let more = if count as usize > n { ", ..." } else { "" };
    format!("[{}{more}]", items.join(", "))
}

/// Kernel `struct sigaction` (handler, flags, restorer, mask).
pub(crate) fn sigaction(m: Mem, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    let Some(b) = m.read(addr, 32) else {
        return format!("{addr:#x}");
    };
    let handler = match le_u64(&b, 0) {
        0 => "SIG_DFL".to_string(),
        1 => "SIG_IGN".to_string(),
        h => format!("{h:#x}"),
    };
    let fl = le_u64(&b, 8);
    let mut s = format!(
        "{{sa_handler={handler}, sa_mask={}, sa_flags={}",
        signals::sigset(le_u64(&b, 24), 8),
        flags(fl, flags::SA, "0")
    );
    if fl & 0x0400_0000 != 0 {
        s.push_str(&format!(", sa_restorer={:#x}", le_u64(&b, 16)));
    }
    s.push('}');
    s
}

/// A signal set of `size` bytes.
pub(crate) fn sigset(m: Mem, addr: u64, size: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match m.read(addr, size.clamp(1, 8) as usize) {
        Some(b) => {
            let mut a = [0u8; 8];
            a[..b.len()].copy_from_slice(&b);
            signals::sigset(u64::from_le_bytes(a), b.len())
        }
        None => format!("{addr:#x}"),
    }
}

fn rlim(v: u64) -> String {
    if v == u64::MAX {
        "RLIM64_INFINITY".into()
    } else if v > 1024 && v % 1024 == 0 {
        format!("{}*1024", v / 1024)
    } else {
        v.to_string()
    }
}

/// `struct rlimit` / `rlimit64`.
pub(crate) fn rlimit(m: Mem, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match m.read(addr, 16) {
        Some(b) => format!(
            "{{rlim_cur={}, rlim_max={}}}",
            rlim(le_u64(&b, 0)),
            rlim(le_u64(&b, 8))
        ),
        None => format!("{addr:#x}"),
    }
}

/// `struct utsname` (sysname and nodename, like strace without -v).
pub(crate) fn utsname(m: Mem, addr: u64) -> String {
    let Some(b) = m.read(addr, 65 * 2) else {
        return format!("{addr:#x}");
    };
    let field = |i: usize| {
        let f = &b[i * 65..(i + 1) * 65];
        let end = f.iter().position(|&c| c == 0).unwrap_or(65);
        mem::escape(&f[..end], false)
    };
    format!("{{sysname={}, nodename={}, ...}}", field(0), field(1))
}

/// `struct open_how` of `openat2`.
pub(crate) fn open_how(m: Mem, addr: u64, size: u64) -> String {
    let Some(b) = m.read(addr, 24) else {
        return format!("{addr:#x}");
    };
    let _ = size;
    let fl = le_u64(&b, 0);
    let mut s = format!("{{flags={}", flags::open_flags(fl));
    if flags::open_needs_mode(fl) || le_u64(&b, 8) != 0 {
        s.push_str(&format!(", mode={}", flags::octal(le_u64(&b, 8))));
    }
    s.push_str(&format!(
        ", resolve={}}}",
        flags(le_u64(&b, 16), flags::RESOLVE, "0")
    ));
    s
}

/// `struct clone_args` of `clone3`; after a successful call, the parent
/// tid the kernel stored (`=> {parent_tid=[N]}`), which is the returned tid
/// (read from the result, not from memory: with `CLONE_CHILD_CLEARTID` at
/// the same address, a thread that already exited has zeroed it).
pub(crate) fn clone_args(m: Mem, addr: u64, size: u64, returned: Option<i64>) -> String {
    let Some(b) = m.read(addr, size.clamp(64, 88) as usize) else {
        return format!("{addr:#x}");
    };
    let fl = le_u64(&b, 0);
    let mut s = format!("{{flags={}", flags(fl, flags::CLONE, "0"));
    let names = [
        "pidfd",
        "child_tid",
        "parent_tid",
        "exit_signal",
        "stack",
        "stack_size",
        "tls",
    ];
    for (i, n) in names.iter().enumerate() {
        let v = le_u64(&b, 8 + i * 8);
        if *n == "exit_signal" {
            let sig = if v == 0 {
                "0".into()
            } else {
                signals::name(v as i32)
            };
            s.push_str(&format!(", exit_signal={sig}"));
        } else if *n == "pidfd" && fl & 0x1000 == 0 {
            // Only meaningful with CLONE_PIDFD.
        } else if v != 0 {
            s.push_str(&format!(", {n}={v:#x}"));
        }
    }
    s.push('}');
    if let Some(tid) = returned.filter(|_| fl & 0x100000 != 0 && le_u64(&b, 24) != 0) {
        s.push_str(&format!(" => {{parent_tid=[{tid}]}}"));
    }
    s
}

/// `struct sysinfo` (x86_64 / generic 64-bit layout).
pub(crate) fn sysinfo(m: Mem, addr: u64) -> String {
    let Some(b) = m.read(addr, 112) else {
        return format!("{addr:#x}");
    };
    let u = |off| le_u64(&b, off);
    format!(
        "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, bufferram={}, \
         totalswap={}, freeswap={}, procs={}, totalhigh={}, freehigh={}, mem_unit={}}}",
        u(0) as i64,
        u(8),
        u(16),
        u(24),
        u(32),
        u(40),
        u(48),
        u(56),
        u(64),
        u(72),
        le_u16(&b, 80),
        u(88),
        u(96),
        le_u32(&b, 104)
    )
}

/// A wait status as strace prints it inside `[{...}]`.
pub(crate) fn wait_status(st: i32) -> String {
    let sig = st & 0x7f;
    if sig == 0 {
        format!(
            "[{{WIFEXITED(s) && WEXITSTATUS(s) == {}}}]",
            (st >> 8) & 0xff
        )
    } else if sig == 0x7f {
        if st == 0xffff {
            "[{WIFCONTINUED(s)}]".into()
        } else {
            format!(
                "[{{WIFSTOPPED(s) && WSTOPSIG(s) == {}}}]",
                signals::name((st >> 8) & 0xff)
            )
        }
    } else {
        let core = if st & 0x80 != 0 {
            " && WCOREDUMP(s)"
        } else {
            ""
        };
        format!(
            "[{{WIFSIGNALED(s) && WTERMSIG(s) == {}{core}}}]",
            signals::name(sig)
        )
    }
}

/// `int[2]` of pipe/pipe2/socketpair.
pub(crate) fn int_pair(m: Mem, addr: u64) -> String {
    match m.read(addr, 8) {
        Some(b) => format!("[{}, {}]", le_u32(&b, 0) as i32, le_u32(&b, 4) as i32),
        None => format!("{addr:#x}"),
    }
}

/// Number of `linux_dirent64` records in a getdents64 result.
pub(crate) fn dirent_count(m: Mem, addr: u64, len: u64) -> Option<usize> {
    let b = m.read(addr, len.min(1 << 20) as usize)?;
    let mut off = 0;
    let mut n = 0;
    while off + 19 <= b.len() {
        let reclen = le_u16(&b, off + 16) as usize;
        if reclen == 0 {
            break;
        }
        off += reclen;
        n += 1;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses() {
        assert_eq!(wait_status(0), "[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]");
        assert_eq!(
            wait_status(3 << 8),
            "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]"
        );
        assert_eq!(
            wait_status(9),
            "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]"
        );
        assert_eq!(
            wait_status(0x137f),
            "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}]"
        );
    }

    #[test]
    fn timespec_rlimit_iovec() {
        let ts: [i64; 2] = [1, 500];
        assert_eq!(
            timespec(Mem::this_process(), ts.as_ptr() as u64),
            "{tv_sec=1, tv_nsec=500}"
        );
        let rl: [u64; 2] = [8192 * 1024, u64::MAX];
        assert_eq!(
            rlimit(Mem::this_process(), rl.as_ptr() as u64),
            "{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}"
        );
        let data = b"hello";
        let iov: [u64; 2] = [data.as_ptr() as u64, 5];
        assert_eq!(
            iovec(Mem::this_process(), iov.as_ptr() as u64, 1, u64::MAX, 32),
            "[{iov_base=\"hello\", iov_len=5}]"
        );
        assert_eq!(makedev(0x103), "makedev(0x1, 0x3)");
    }

    #[test]
    fn sysinfo_layout() {
        let mut v = [0u64; 14];
        v[0] = 10;
        v[1] = 1;
        v[4] = 4096;
        v[10] = 7; // procs (u16 at byte 80)
        v[13] = 1; // mem_unit (u32 at byte 104)
        assert_eq!(
            sysinfo(Mem::this_process(), v.as_ptr() as u64),
            "{uptime=10, loads=[1, 0, 0], totalram=4096, freeram=0, sharedram=0, bufferram=0, \
             totalswap=0, freeswap=0, procs=7, totalhigh=0, freehigh=0, mem_unit=1}"
        );
    }
}
