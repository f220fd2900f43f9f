//! Files, descriptors and I/O: open/read/write/stat/mmap-free file calls.

use super::H;
use crate::decode::flags::{self, enum_name, flags};
use crate::decode::structs;

fn open_args(mut v: Vec<String>, fl: u64, mode: u64) -> Vec<String> {
    v.push(flags::open_flags(fl));
    if flags::open_needs_mode(fl) {
        v.push(flags::octal(mode));
    }
    v
}

pub(super) fn decode(h: &H, name: &str, a: &[u64; 6]) -> Option<Vec<String>> {
    let aarch64 = h.ctx.arch.name == "aarch64";
    let stat = |m, p| structs::stat(m, p, aarch64, h.ctx.verbose);
    Some(match name {
        "read" => vec![h.fd(a[0]), h.outbuf(a[1]), h.uint(a[2])],
        "write" => vec![h.fd(a[0]), h.inbuf(a[1], a[2]), h.uint(a[2])],
        "pread64" => vec![h.fd(a[0]), h.outbuf(a[1]), h.uint(a[2]), h.long(a[3])],
        "pwrite64" => vec![h.fd(a[0]), h.inbuf(a[1], a[2]), h.uint(a[2]), h.long(a[3])],
        "readv" | "preadv" => {
            let total = h.ret.map(|r| r as u64).unwrap_or(0);
            let iov = match h.ret {
                Some(_) => structs::iovec(h.mem(), a[1], a[2], total, h.ctx.strsize),
                None => h.ptr(a[1]),
            };
            let mut v = vec![h.fd(a[0]), iov, h.int(a[2])];
            if name == "preadv" {
                v.push(h.long(a[3]));
            }
            v
        }
        "writev" | "pwritev" => {
            let mut v = vec![
                h.fd(a[0]),
                structs::iovec(h.mem(), a[1], a[2], u64::MAX, h.ctx.strsize),
                h.int(a[2]),
            ];
            if name == "pwritev" {
                v.push(h.long(a[3]));
            }
            v
        }
        "open" => open_args(vec![h.path(a[0])], a[1], a[2]),
        "openat" => open_args(vec![h.dirfd(a[0]), h.path(a[1])], a[2], a[3]),
        "creat" => vec![h.path(a[0]), flags::mode(a[1])],
        "openat2" => vec![
            h.dirfd(a[0]),
            h.path(a[1]),
            h.inp(a[2], |m, p| structs::open_how(m, p, a[3])),
            h.uint(a[3]),
        ],
        "close" | "fsync" | "fdatasync" | "fchdir" | "syncfs" => vec![h.fd(a[0])],
        "stat" | "lstat" => vec![h.path(a[0]), h.out(a[1], stat)],
        "fstat" => vec![h.fd(a[0]), h.out(a[1], stat)],
        "newfstatat" | "fstatat64" => {
            vec![
                h.dirfd(a[0]),
                h.path(a[1]),
                h.out(a[2], stat),
                flags(a[3], flags::AT, "0"),
            ]
        }
        "statx" => {
            let fl = if a[2] & 0x6000 == 0 {
                let rest = flags(a[2], flags::AT, "");
                if rest.is_empty() {
                    "AT_STATX_SYNC_AS_STAT".to_string()
                } else {
                    format!("AT_STATX_SYNC_AS_STAT|{rest}")
                }
            } else {
                flags(a[2], flags::AT, "0")
            };
            vec![
                h.dirfd(a[0]),
                h.path(a[1]),
                fl,
                flags(a[3], flags::STATX, "0"),
                h.out(a[4], |m, p| structs::statx(m, p, h.ctx.verbose)),
            ]
        }
        "lseek" => vec![h.fd(a[0]), h.long(a[1]), enum_name(a[2], flags::WHENCE)],
        "access" => vec![h.path(a[0]), flags::access_mode(a[1])],
        "faccessat" => vec![h.dirfd(a[0]), h.path(a[1]), flags::access_mode(a[2])],
        "faccessat2" => vec![
            h.dirfd(a[0]),
            h.path(a[1]),
            flags::access_mode(a[2]),
            flags(a[3], flags::AT_ACCESS, "0"),
        ],
        "getdents64" | "getdents" => {
            let buf = match h.ret {
                Some(n) if n > 0 => match structs::dirent_count(h.mem(), a[1], n as u64) {
                    Some(c) if name == "getdents64" => {
                        format!("{} /* {c} entries */", h.ptr(a[1]))
                    }
                    _ => h.ptr(a[1]),
                },
                Some(0) if h.mem().shows_structs() => format!("{} /* 0 entries */", h.ptr(a[1])),
                _ => h.ptr(a[1]),
            };
            vec![h.fd(a[0]), buf, h.uint(a[2])]
        }
        "ioctl" => {
            let mut v = vec![h.fd(a[0]), flags::enum_hex(a[1], flags::IOCTL)];
            // The argument in the form each request takes, as strace
            // prints it; unknown requests keep the raw word.
            match a[1] & 0xffff_ffff {
                0x5450 | 0x5451 | 0x540e | 0x5422 => {}
                0x5421 | 0x5452 | 0x5410 => v.push(h.int_ref(a[2])),
                0x541b | 0x540f | 0x5429 | 0x80086601 | 0x80081272 => v.push(h.out_int(a[2])),
                0x40049409 => v.push(h.int(a[2])),
                0x5413 => v.push(h.out(a[2], structs::winsize)),
                0x5414 => v.push(h.inp(a[2], structs::winsize)),
                _ => v.push(crate::decode::hex_or_zero(a[2])),
            }
            v
        }
        "dup" => vec![h.fd(a[0])],
        "dup2" => vec![h.fd(a[0]), h.fd(a[1])],
        "dup3" => vec![
            h.fd(a[0]),
            h.fd(a[1]),
            flags(a[2], &[(0o2000000, "O_CLOEXEC")], "0"),
        ],
        "pipe" => vec![h.fd_pair(a[0])],
        "pipe2" => vec![h.fd_pair(a[0]), flags(a[1], flags::OPEN, "0")],
        "fcntl" | "fcntl64" => {
            let mut v = vec![h.fd(a[0]), enum_name(a[1], flags::FCNTL)];
            match a[1] {
                1 | 3 | 9 | 1032 | 1034 => {}
                2 => v.push(flags(a[2], &[(1, "FD_CLOEXEC")], "0")),
                4 => v.push(flags::open_flags(a[2])),
                0 | 1030 | 8 | 1031 => v.push(h.int(a[2])),
                _ => v.push(h.ptr(a[2])),
            }
            v
        }
        "readlink" => vec![h.path(a[0]), h.outbuf(a[1]), h.uint(a[2])],
        "readlinkat" => vec![h.dirfd(a[0]), h.path(a[1]), h.outbuf(a[2]), h.uint(a[3])],
        "getcwd" => {
            let buf = match h.ret {
                Some(n) if n > 0 => h.path(a[0]),
                _ => h.ptr(a[0]),
            };
            vec![buf, h.uint(a[1])]
        }
        "chdir" | "rmdir" | "unlink" | "chroot" | "acct" | "swapoff" => vec![h.path(a[0])],
        // strace prints these modes as plain octal, file-type bits
        // included (`0100744`), unlike `mknod`'s `S_IFREG|0644`.
        "mkdir" | "chmod" => vec![h.path(a[0]), flags::octal(a[1])],
        "mkdirat" | "fchmodat" => vec![h.dirfd(a[0]), h.path(a[1]), flags::octal(a[2])],
        "fchmod" => vec![h.fd(a[0]), flags::octal(a[1])],
        "unlinkat" => vec![h.dirfd(a[0]), h.path(a[1]), flags(a[2], flags::AT, "0")],
        "rename" | "link" | "symlink" => vec![h.path(a[0]), h.path(a[1])],
        "renameat" | "linkat" => {
            let mut v = vec![h.dirfd(a[0]), h.path(a[1]), h.dirfd(a[2]), h.path(a[3])];
            if name == "linkat" {
                v.push(flags(a[4], flags::AT, "0"));
            }
            v
        }
        "renameat2" => vec![
            h.dirfd(a[0]),
            h.path(a[1]),
            h.dirfd(a[2]),
            h.path(a[3]),
            flags(
                a[4],
                &[
                    (1, "RENAME_NOREPLACE"),
                    (2, "RENAME_EXCHANGE"),
                    (4, "RENAME_WHITEOUT"),
                ],
                "0",
            ),
        ],
        "symlinkat" => vec![h.path(a[0]), h.dirfd(a[1]), h.path(a[2])],
        "chown" | "lchown" => vec![h.path(a[0]), h.int(a[1]), h.int(a[2])],
        "fchown" => vec![h.fd(a[0]), h.int(a[1]), h.int(a[2])],
        "fchownat" => vec![
            h.dirfd(a[0]),
            h.path(a[1]),
            h.int(a[2]),
            h.int(a[3]),
            flags(a[4], flags::AT, "0"),
        ],
        "truncate" => vec![h.path(a[0]), h.long(a[1])],
        "ftruncate" => vec![h.fd(a[0]), h.long(a[1])],
        "umask" => vec![flags::octal(a[0])],
        "mknod" => {
            // The device only for block and character devices, as strace.
            let mut v = vec![h.path(a[0]), flags::mode(a[1])];
            if matches!(a[1] & 0o170000, 0o020000 | 0o060000) {
                v.push(structs::makedev(a[2]));
            }
            v
        }
        "utimensat" => vec![
            h.dirfd(a[0]),
            h.path(a[1]),
            h.inp(a[2], structs::utimens),
            flags(a[3], flags::AT, "0"),
        ],
        "flock" => vec![
            h.fd(a[0]),
            flags(
                a[1],
                &[
                    (1, "LOCK_SH"),
                    (2, "LOCK_EX"),
                    (4, "LOCK_NB"),
                    (8, "LOCK_UN"),
                ],
                "0",
            ),
        ],
        "sendfile" => vec![
            h.fd(a[0]),
            h.fd(a[1]),
            h.inp(a[2], structs::off_ref),
            h.uint(a[3]),
        ],
        "copy_file_range" => vec![
            h.fd(a[0]),
            h.inp(a[1], structs::off_ref),
            h.fd(a[2]),
            h.inp(a[3], structs::off_ref),
            h.uint(a[4]),
            h.uint(a[5] & 0xffff_ffff),
        ],
        "fadvise64" => vec![
            h.fd(a[0]),
            h.long(a[1]),
            h.uint(a[2]),
            enum_name(
                a[3],
                &[
                    (0, "POSIX_FADV_NORMAL"),
                    (1, "POSIX_FADV_RANDOM"),
                    (2, "POSIX_FADV_SEQUENTIAL"),
                    (3, "POSIX_FADV_WILLNEED"),
                    (4, "POSIX_FADV_DONTNEED"),
                    (5, "POSIX_FADV_NOREUSE"),
                ],
            ),
        ],
        "statfs" => vec![h.path(a[0]), h.out(a[1], structs::statfs)],
        "fstatfs" => vec![h.fd(a[0]), h.out(a[1], structs::statfs)],
        "memfd_create" => vec![
            h.string(a[0]),
            flags(
                a[1],
                &[
                    (1, "MFD_CLOEXEC"),
                    (2, "MFD_ALLOW_SEALING"),
                    (4, "MFD_HUGETLB"),
                ],
                "0",
            ),
        ],
        "close_range" => vec![
            h.fd(a[0]),
            (a[1] as u32).to_string(),
            flags(
                a[2],
                &[(2, "CLOSE_RANGE_UNSHARE"), (4, "CLOSE_RANGE_CLOEXEC")],
                "0",
            ),
        ],
        "getxattr" | "lgetxattr" => {
            vec![h.path(a[0]), h.string(a[1]), h.outbuf(a[2]), h.uint(a[3])]
        }
        "fgetxattr" => vec![h.fd(a[0]), h.string(a[1]), h.outbuf(a[2]), h.uint(a[3])],
        _ => return None,
    })
}
