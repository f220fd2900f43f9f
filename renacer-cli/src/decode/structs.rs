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
    flags::styled(
        hex0(dev),
        format!("makedev({}, {})", hex0(major), hex0(minor)),
    )
}

/// `struct stat` (x86_64 layout, or the generic one on aarch64): mode and
/// size (or device) then `...`, or with `verbose` (`-v`) every field as
/// strace prints them.
pub(crate) fn stat(m: Mem, addr: u64, aarch64: bool, verbose: bool) -> String {
    let Some(b) = m.read(addr, 128) else {
        return format!("{addr:#x}");
    };
    // (mode, nlink, uid, gid, rdev, blksize)
    let (mode, nlink, uid, gid, rdev, blksize) = if aarch64 {
        let f = |o| le_u32(&b, o) as u64;
        (f(16), f(20), f(24), f(28), le_u64(&b, 32), f(56))
    } else {
        let f = |o| le_u32(&b, o) as u64;
        (
            f(24),
            le_u64(&b, 16),
            f(28),
            f(32),
            le_u64(&b, 40),
            le_u64(&b, 56),
        )
    };
    let size = le_u64(&b, 48) as i64;
    let ty = mode & 0o170000;
    let device = ty == 0o020000 || ty == 0o060000;
    if verbose {
        let size_or_dev = match device {
            true => format!("st_rdev={}", makedev(rdev)),
            false => format!("st_size={size}"),
        };
        let time = |name: &str, off: usize| {
            let (sec, nsec) = (le_u64(&b, off) as i64, le_u64(&b, off + 8) as i64);
            format!(
                "{name}={sec}{}, {name}_nsec={nsec}",
                local_time_comment(sec, nsec)
            )
        };
        return format!(
            "{{st_dev={}, st_ino={}, st_mode={}, st_nlink={nlink}, st_uid={uid}, st_gid={gid}, \
             st_blksize={blksize}, st_blocks={}, {size_or_dev}, {}, {}, {}}}",
            makedev(le_u64(&b, 0)),
            le_u64(&b, 8),
            flags::mode(mode),
            le_u64(&b, 64) as i64,
            time("st_atime", 72),
            time("st_mtime", 88),
            time("st_ctime", 104),
        );
    }
    if device {
        format!(
            "{{st_mode={}, st_rdev={}, ...}}",
            flags::mode(mode),
            makedev(rdev)
        )
    } else {
        format!("{{st_mode={}, st_size={size}, ...}}", flags::mode(mode))
    }
}

/// `STATX_ATTR_*` bits of `stx_attributes` / `stx_attributes_mask`.
const STATX_ATTR: &[(u64, &str)] = &[
    (0x4, "STATX_ATTR_COMPRESSED"),
    (0x10, "STATX_ATTR_IMMUTABLE"),
    (0x20, "STATX_ATTR_APPEND"),
    (0x40, "STATX_ATTR_NODUMP"),
    (0x800, "STATX_ATTR_ENCRYPTED"),
    (0x1000, "STATX_ATTR_AUTOMOUNT"),
    (0x2000, "STATX_ATTR_MOUNT_ROOT"),
    (0x10_0000, "STATX_ATTR_VERITY"),
    (0x20_0000, "STATX_ATTR_DAX"),
];

/// `struct statx`: abbreviated, or every field under `-v` (times with
/// strace's local-time comments, `stx_mnt_id` when the mask has it).
pub(crate) fn statx(m: Mem, addr: u64, verbose: bool) -> String {
    let Some(b) = m.read(addr, 152) else {
        return format!("{addr:#x}");
    };
    let mask = le_u32(&b, 0) as u64;
    let mode = flags::mode(le_u16(&b, 28) as u64);
    let attributes = flags(le_u64(&b, 8), STATX_ATTR, "0");
    let mask_names = flags(mask, flags::STATX, "0");
    if !verbose {
        return format!(
            "{{stx_mask={mask_names}, stx_attributes={attributes}, stx_mode={mode}, stx_size={}, ...}}",
            le_u64(&b, 40)
        );
    }
    let u32_at = |o| le_u32(&b, o);
    let time = |o: usize| {
        let (sec, nsec) = (le_u64(&b, o) as i64, i64::from(le_u32(&b, o + 8)));
        let comment = match (sec, nsec) {
            (0, 0) => String::new(),
            _ => local_time_comment(sec, nsec),
        };
        format!("{{tv_sec={sec}, tv_nsec={nsec}}}{comment}")
    };
    // The birth time and the mount id only where the mask says the
    // filesystem filled them, as strace prints them.
    const STATX_BTIME: u64 = 0x800;
    let btime = match mask & STATX_BTIME {
        0 => String::new(),
        _ => format!(", stx_btime={}", time(80)),
    };
    const STATX_MNT_ID: u64 = 0x1000;
    let mnt_id = match mask & STATX_MNT_ID {
        0 => String::new(),
        _ => format!(", stx_mnt_id={:#x}", le_u64(&b, 144)),
    };
    format!(
        "{{stx_mask={mask_names}, stx_blksize={}, stx_attributes={attributes}, stx_nlink={}, \
         stx_uid={}, stx_gid={}, stx_mode={mode}, stx_ino={}, stx_size={}, stx_blocks={}, \
         stx_attributes_mask={}, stx_atime={}{btime}, stx_ctime={}, stx_mtime={}, \
         stx_rdev_major={}, stx_rdev_minor={}, stx_dev_major={}, stx_dev_minor={}{mnt_id}}}",
        u32_at(4),
        u32_at(16),
        u32_at(20),
        u32_at(24),
        le_u64(&b, 32),
        le_u64(&b, 40),
        le_u64(&b, 48),
        flags(le_u64(&b, 56), STATX_ATTR, "0"),
        time(64),
        time(96),
        time(112),
        u32_at(128),
        u32_at(132),
        u32_at(136),
        u32_at(140),
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
    iovec_with(m, addr, count, total, &|base, n| {
        mem::buffer(m, base, n, strsize, false)
    })
}

/// An `iovec` array with each element's bytes printed by `data` (plain
/// buffers, or netlink messages on a netlink socket).
pub(crate) fn iovec_with(
    m: Mem,
    addr: u64,
    count: u64,
    total: u64,
    data: &dyn Fn(u64, usize) -> String,
) -> String {
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
        items.push(format!(
            "{{iov_base={}, iov_len={len}}}",
            data(base, shown as usize)
        ));
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
    flags::styled(v.to_string(), rlim_name(v))
}

fn rlim_name(v: u64) -> String {
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

/// `struct utsname`: sysname and nodename then `...` like strace without
/// `-v`, all six fields with `verbose`.
pub(crate) fn utsname(m: Mem, addr: u64, verbose: bool) -> String {
    let Some(b) = m.read(addr, 65 * 6) else {
        return format!("{addr:#x}");
    };
    let field = |i: usize| {
        let f = &b[i * 65..(i + 1) * 65];
        let end = f.iter().position(|&c| c == 0).unwrap_or(65);
        mem::escape(&f[..end], false)
    };
    if !verbose {
        return format!("{{sysname={}, nodename={}, ...}}", field(0), field(1));
    }
    format!(
        "{{sysname={}, nodename={}, release={}, version={}, machine={}, domainname={}}}",
        field(0),
        field(1),
        field(2),
        field(3),
        field(4),
        field(5)
    )
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

/// `struct tms` (`times`): four `clock_t` tick counts.
pub(crate) fn tms(m: Mem, addr: u64) -> String {
    let Some(b) = m.read(addr, 32) else {
        return format!("{addr:#x}");
    };
    let t = |off| le_u64(&b, off) as i64;
    format!(
        "{{tms_utime={}, tms_stime={}, tms_cutime={}, tms_cstime={}}}",
        t(0),
        t(8),
        t(16),
        t(24)
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

/// `statfs.f_type` magic numbers strace names (the common filesystems).
const FS_MAGIC: &[(u64, &str)] = &[
    (0xef53, "EXT2_SUPER_MAGIC"),
    (0x0102_1994, "TMPFS_MAGIC"),
    (0x9fa0, "PROC_SUPER_MAGIC"),
    (0x6265_6572, "SYSFS_MAGIC"),
    (0x794c_7630, "OVERLAYFS_SUPER_MAGIC"),
    (0x9123_683e, "BTRFS_SUPER_MAGIC"),
    (0x5846_5342, "XFS_SUPER_MAGIC"),
    (0x6367_7270, "CGROUP2_SUPER_MAGIC"),
    (0x0027_e0eb, "CGROUP_SUPER_MAGIC"),
    (0x1cd1, "DEVPTS_SUPER_MAGIC"),
    (0x6969, "NFS_SUPER_MAGIC"),
    (0x6573_5546, "FUSE_SUPER_MAGIC"),
    (0x7371_7368, "SQUASHFS_MAGIC"),
    (0x8584_58f6, "RAMFS_MAGIC"),
    (0x4d44, "MSDOS_SUPER_MAGIC"),
    (0x2011_bab0, "EXFAT_SUPER_MAGIC"),
    (0x6462_6720, "DEBUGFS_MAGIC"),
    (0x7472_6163, "TRACEFS_MAGIC"),
    (0xcafe_4a11, "BPF_FS_MAGIC"),
    (0x4244_4d44, "V9FS_MAGIC"),
];

/// `statfs.f_flags` (`ST_*`), reported by the kernel with `ST_VALID`.
const ST_FLAGS: &[(u64, &str)] = &[
    (1, "ST_RDONLY"),
    (2, "ST_NOSUID"),
    (4, "ST_NODEV"),
    (8, "ST_NOEXEC"),
    (16, "ST_SYNCHRONOUS"),
    (0x20, "ST_VALID"),
    (64, "ST_MANDLOCK"),
    (128, "ST_WRITE"),
    (256, "ST_APPEND"),
    (512, "ST_IMMUTABLE"),
    (1024, "ST_NOATIME"),
    (2048, "ST_NODIRATIME"),
    (4096, "ST_RELATIME"),
    (8192, "ST_NOSYMFOLLOW"),
];

/// `struct statfs` (64-bit layout), as strace prints it.
pub(crate) fn statfs(m: Mem, addr: u64) -> String {
    let Some(b) = m.read(addr, 88) else {
        return format!("{addr:#x}");
    };
    let w = |i: usize| le_u64(&b, i * 8);
    let f_type = w(0);
    let ty = FS_MAGIC
        .iter()
        .find(|&&(v, _)| v == f_type)
        .map_or_else(|| format!("{f_type:#x}"), |&(_, n)| n.to_string());
    let fsid = [
        renacer_format::le::u32_at(&b, 56),
        renacer_format::le::u32_at(&b, 60),
    ];
    let mut s = format!(
        "{{f_type={ty}, f_bsize={}, f_blocks={}, f_bfree={}, f_bavail={}, f_files={}, f_ffree={}, f_fsid={{val=[{}, {}]}}, f_namelen={}, f_frsize={}",
        w(1),
        w(2),
        w(3),
        w(4),
        w(5),
        w(6),
        hex0(fsid[0].into()),
        hex0(fsid[1].into()),
        w(8),
        w(9)
    );
    let fl = w(10);
    if fl & 0x20 != 0 {
        s.push_str(&format!(", f_flags={}", flags(fl, ST_FLAGS, "0")));
    }
    s.push('}');
    s
}

/// `UTIME_NOW` / `UTIME_OMIT` in a `tv_nsec`.
const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

/// `utimensat`'s `[atime, mtime]`: each `{tv_sec=S, tv_nsec=N} /* local time */`,
/// or `UTIME_NOW` / `UTIME_OMIT`, as strace prints them.
pub(crate) fn utimens(m: Mem, addr: u64) -> String {
    let Some(b) = m.read(addr, 32) else {
        return format!("{addr:#x}");
    };
    let one = |off: usize| {
        let (sec, nsec) = (le_u64(&b, off) as i64, le_u64(&b, off + 8) as i64);
        match nsec {
            UTIME_NOW => "UTIME_NOW".to_string(),
            UTIME_OMIT => "UTIME_OMIT".to_string(),
            _ => format!(
                "{{tv_sec={sec}, tv_nsec={nsec}}}{}",
                local_time_comment(sec, nsec)
            ),
        }
    };
    format!("[{}, {}]", one(0), one(16))
}

/// ` /* 2026-12-01T21:07:49.206487322+0000 */`: the time in the tracer's
/// local time zone, as strace comments absolute times.
fn local_time_comment(sec: i64, nsec: i64) -> String {
    // SAFETY: `localtime_r` writes only into `tm`; a zeroed `tm` is valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let t: libc::time_t = sec;
    // SAFETY: valid pointers to a time and a `tm`.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() || !(0..1_000_000_000).contains(&nsec) {
        return String::new();
    }
    let off = tm.tm_gmtoff;
    let sign = if off < 0 { '-' } else { '+' };
    let off = off.abs();
    // strace leaves out a zero fraction.
    let frac = match nsec {
        0 => String::new(),
        n => format!(".{n:09}"),
    };
    format!(
        " /* {:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}{sign}{:02}{:02} */",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        off / 3600,
        off % 3600 / 60
    )
}

/// A CPU mask of `len` bytes as strace prints it: `[0 1 5]`.
pub(crate) fn cpu_mask(m: Mem, addr: u64, len: u64) -> String {
    let Some(b) = m.read(addr, len.min(1 << 16) as usize) else {
        return format!("{addr:#x}");
    };
    let cpus: Vec<String> = b
        .iter()
        .enumerate()
        .flat_map(|(i, &byte)| {
            (0..8)
                .filter(move |bit| byte >> bit & 1 == 1)
                .map(move |bit| i * 8 + bit)
        })
        .map(|c| c.to_string())
        .collect();
    format!("[{}]", cpus.join(" "))
}

/// `stack_t` (`sigaltstack`).
pub(crate) fn stack_t(m: Mem, addr: u64) -> String {
    let Some(b) = m.read(addr, 24) else {
        return format!("{addr:#x}");
    };
    let fl = renacer_format::le::u32_at(&b, 8) as u64;
    format!(
        "{{ss_sp={}, ss_flags={}, ss_size={}}}",
        match le_u64(&b, 0) {
            0 => "NULL".to_string(),
            p => format!("{p:#x}"),
        },
        flags(
            fl,
            &[
                (1, "SS_ONSTACK"),
                (2, "SS_DISABLE"),
                (1 << 31, "SS_AUTODISARM")
            ],
            "0"
        ),
        le_u64(&b, 16)
    )
}

/// `n` `gid_t`s: `[0, 4, 24]`.
pub(crate) fn gid_list(m: Mem, addr: u64, n: u64) -> String {
    let Some(b) = m.read(addr, (n.min(65_536) * 4) as usize) else {
        return format!("{addr:#x}");
    };
    let ids: Vec<String> = b
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string())
        .collect();
    format!("[{}]", ids.join(", "))
}

/// `off_t *` in/out arguments (`copy_file_range`, `sendfile`): `[N]`.
pub(crate) fn off_ref(m: Mem, addr: u64) -> String {
    match m.u64(addr) {
        Some(v) => format!("[{}]", v as i64),
        None => format!("{addr:#x}"),
    }
}

/// `struct winsize` (`TIOCGWINSZ` / `TIOCSWINSZ`).
pub(crate) fn winsize(m: Mem, addr: u64) -> String {
    let Some(b) = m.read(addr, 8) else {
        return format!("{addr:#x}");
    };
    let w = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    format!(
        "{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}",
        w(0),
        w(2),
        w(4),
        w(6)
    )
}

/// `struct rusage`, abbreviated as strace prints it without `-v` (the
/// two times, then `...`), or with `verbose` every counter.
pub(crate) fn rusage(m: Mem, addr: u64, verbose: bool) -> String {
    let Some(b) = m.read(addr, 144) else {
        return format!("{addr:#x}");
    };
    let tv = |off: usize| {
        format!(
            "{{tv_sec={}, tv_usec={}}}",
            le_u64(&b, off) as i64,
            le_u64(&b, off + 8) as i64
        )
    };
    if !verbose {
        return format!("{{ru_utime={}, ru_stime={}, ...}}", tv(0), tv(16));
    }
    const COUNTERS: [&str; 14] = [
        "maxrss", "ixrss", "idrss", "isrss", "minflt", "majflt", "nswap", "inblock", "oublock",
        "msgsnd", "msgrcv", "nsignals", "nvcsw", "nivcsw",
    ];
    let counters: Vec<String> = COUNTERS
        .iter()
        .enumerate()
        .map(|(i, n)| format!("ru_{n}={}", le_u64(&b, 32 + i * 8) as i64))
        .collect();
    format!(
        "{{ru_utime={}, ru_stime={}, {}}}",
        tv(0),
        tv(16),
        counters.join(", ")
    )
}

/// `struct timeval`.
pub(crate) fn timeval(m: Mem, addr: u64) -> String {
    match m.read(addr, 16) {
        Some(b) => format!(
            "{{tv_sec={}, tv_usec={}}}",
            le_u64(&b, 0) as i64,
            le_u64(&b, 8) as i64
        ),
        None => format!("{addr:#x}"),
    }
}

/// `struct itimerspec`.
pub(crate) fn itimerspec(m: Mem, addr: u64) -> String {
    interval_and_value(m, addr, timespec)
}

/// `struct itimerval` (`setitimer`, `getitimer`).
pub(crate) fn itimerval(m: Mem, addr: u64) -> String {
    interval_and_value(m, addr, timeval)
}

/// `{it_interval=..., it_value=...}`: two 16-byte times printed by `time`,
/// or the address when the pair is unreadable.
fn interval_and_value(m: Mem, addr: u64, time: fn(Mem, u64) -> String) -> String {
    if m.read(addr, 32).is_none() {
        return format!("{addr:#x}");
    }
    format!(
        "{{it_interval={}, it_value={}}}",
        time(m, addr),
        time(m, addr + 16)
    )
}

/// `struct sigevent`: the signal and notification (and the thread for
/// `SIGEV_THREAD_ID`), the value when set.
pub(crate) fn sigevent(m: Mem, addr: u64) -> String {
    let Some(b) = m.read(addr, 32) else {
        return format!("{addr:#x}");
    };
    let value = le_u64(&b, 0);
    let signo = renacer_format::le::u32_at(&b, 8);
    let notify = renacer_format::le::u32_at(&b, 12);
    let mut s = String::from("{");
    if value != 0 {
        s.push_str(&format!(
            "sigev_value={{sival_int={}, sival_ptr={value:#x}}}, ",
            value as i32
        ));
    }
    // The signal is named only where it will be sent; otherwise it is just
    // a number in the struct.
    if matches!(notify, SIGEV_SIGNAL | SIGEV_THREAD | SIGEV_THREAD_ID) {
        s.push_str(&format!("sigev_signo={}, ", signals::name(signo as i32)));
    } else {
        s.push_str(&format!("sigev_signo={signo}, "));
    }
    let notify_name = flags::enum_or_unknown(
        notify.into(),
        &[
            (SIGEV_SIGNAL.into(), "SIGEV_SIGNAL"),
            (1, "SIGEV_NONE"),
            (SIGEV_THREAD.into(), "SIGEV_THREAD"),
            (SIGEV_THREAD_ID.into(), "SIGEV_THREAD_ID"),
        ],
        "SIGEV_???",
    );
    s.push_str(&format!("sigev_notify={notify_name}"));
    let ptr = |p: u64| {
        if p == 0 {
            "NULL".into()
        } else {
            format!("{p:#x}")
        }
    };
    match notify {
        SIGEV_THREAD_ID => s.push_str(&format!(
            ", sigev_notify_thread_id={}",
            renacer_format::le::u32_at(&b, 16)
        )),
        SIGEV_THREAD => s.push_str(&format!(
            ", sigev_notify_function={}, sigev_notify_attributes={}",
            ptr(le_u64(&b, 16)),
            ptr(le_u64(&b, 24))
        )),
        _ => {}
    }
    s.push('}');
    s
}

const SIGEV_SIGNAL: u32 = 0;
const SIGEV_THREAD: u32 = 2;
const SIGEV_THREAD_ID: u32 = 4;

/// An `fd_set` of `nfds` descriptors: the set ones, `[0 3]`.
pub(crate) fn fd_set(m: Mem, addr: u64, nfds: i32) -> String {
    let n = nfds.clamp(0, 1024) as usize;
    let Some(b) = m.read(addr, n.div_ceil(64) * 8) else {
        return format!("{addr:#x}");
    };
    let fds: Vec<String> = (0..n)
        .filter(|&fd| b[fd / 8] >> (fd % 8) & 1 == 1)
        .map(|fd| fd.to_string())
        .collect();
    format!("[{}]", fds.join(" "))
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

    #[test]
    fn statfs_utimens_masks_stacks_groups_rusage_winsize() {
        let m = Mem::this_process();
        let mut sf = [0u64; 15];
        sf[0] = 0xef53;
        sf[1] = 4096;
        sf[2] = 10;
        sf[7] = 0x0000_0002_0000_0001; // f_fsid {1, 2}
        sf[8] = 255;
        sf[9] = 4096;
        sf[10] = 0x20 | 0x1000;
        assert_eq!(
            statfs(m, sf.as_ptr() as u64),
            "{f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=10, f_bfree=0, f_bavail=0, f_files=0, f_ffree=0, f_fsid={val=[0x1, 0x2]}, f_namelen=255, f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}"
        );
        let times: [i64; 4] = [0, (1 << 30) - 1, 5, (1 << 30) - 2];
        assert_eq!(utimens(m, times.as_ptr() as u64), "[UTIME_NOW, UTIME_OMIT]");
        let mask: [u8; 2] = [0b0000_0011, 0b1000_0000];
        assert_eq!(cpu_mask(m, mask.as_ptr() as u64, 2), "[0 1 15]");
        let st: [u64; 3] = [0, 2, 8192];
        assert_eq!(
            stack_t(m, st.as_ptr() as u64),
            "{ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=8192}"
        );
        let gids: [u32; 3] = [0, 4, 24];
        assert_eq!(gid_list(m, gids.as_ptr() as u64, 3), "[0, 4, 24]");
        let mut ru = [0i64; 18];
        ru[..4].copy_from_slice(&[1, 20, 0, 3]);
        ru[4] = 1100; // maxrss
        ru[17] = 7; // nivcsw
        assert_eq!(
            rusage(m, ru.as_ptr() as u64, false),
            "{ru_utime={tv_sec=1, tv_usec=20}, ru_stime={tv_sec=0, tv_usec=3}, ...}"
        );
        assert_eq!(
            rusage(m, ru.as_ptr() as u64, true),
            "{ru_utime={tv_sec=1, tv_usec=20}, ru_stime={tv_sec=0, tv_usec=3}, ru_maxrss=1100, \
             ru_ixrss=0, ru_idrss=0, ru_isrss=0, ru_minflt=0, ru_majflt=0, ru_nswap=0, \
             ru_inblock=0, ru_oublock=0, ru_msgsnd=0, ru_msgrcv=0, ru_nsignals=0, ru_nvcsw=0, \
             ru_nivcsw=7}"
        );
        let ws: [u16; 4] = [24, 80, 0, 0];
        assert_eq!(
            winsize(m, ws.as_ptr() as u64),
            "{ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}"
        );
        let off: i64 = 42;
        assert_eq!(off_ref(m, &off as *const i64 as u64), "[42]");
    }

    #[test]
    fn absolute_times_carry_a_local_time_comment() {
        // The comment is in the tracer's zone; only its shape is fixed.
        let c = local_time_comment(0, 5);
        assert!(c.starts_with(" /* 19") && c.ends_with(" */"), "{c}");
        assert!(c.contains(".000000005"), "{c}");
        assert_eq!(local_time_comment(0, -1), "");
    }
}
