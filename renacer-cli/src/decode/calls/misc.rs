//! Timers, scheduling and I/O priority, inotify, extended attributes,
//! `fallocate`, `mknod*`, `unshare` and the `select` family.

use super::H;
use crate::decode::flags::{self, enum_name, flags};
use crate::decode::structs;

const IN_FLAGS: &[(u64, &str)] = &[
    (0x0000_0001, "IN_ACCESS"),
    (0x0000_0002, "IN_MODIFY"),
    (0x0000_0004, "IN_ATTRIB"),
    (0x0000_0008, "IN_CLOSE_WRITE"),
    (0x0000_0010, "IN_CLOSE_NOWRITE"),
    (0x0000_0020, "IN_OPEN"),
    (0x0000_0040, "IN_MOVED_FROM"),
    (0x0000_0080, "IN_MOVED_TO"),
    (0x0000_0100, "IN_CREATE"),
    (0x0000_0200, "IN_DELETE"),
    (0x0000_0400, "IN_DELETE_SELF"),
    (0x0000_0800, "IN_MOVE_SELF"),
    (0x0000_2000, "IN_UNMOUNT"),
    (0x0000_4000, "IN_Q_OVERFLOW"),
    (0x0000_8000, "IN_IGNORED"),
    (0x0100_0000, "IN_ONLYDIR"),
    (0x0200_0000, "IN_DONT_FOLLOW"),
    (0x0400_0000, "IN_EXCL_UNLINK"),
    (0x1000_0000, "IN_MASK_CREATE"),
    (0x2000_0000, "IN_MASK_ADD"),
    (0x4000_0000, "IN_ISDIR"),
    (0x8000_0000, "IN_ONESHOT"),
];

const FALLOC: &[(u64, &str)] = &[
    (0x01, "FALLOC_FL_KEEP_SIZE"),
    (0x02, "FALLOC_FL_PUNCH_HOLE"),
    (0x04, "FALLOC_FL_NO_HIDE_STALE"),
    (0x08, "FALLOC_FL_COLLAPSE_RANGE"),
    (0x10, "FALLOC_FL_ZERO_RANGE"),
    (0x20, "FALLOC_FL_INSERT_RANGE"),
    (0x40, "FALLOC_FL_UNSHARE_RANGE"),
];

const XATTR: &[(u64, &str)] = &[(1, "XATTR_CREATE"), (2, "XATTR_REPLACE")];

/// `unshare` / `clone` namespace and sharing flags strace names.
const UNSHARE: &[(u64, &str)] = &[
    (0x0000_0080, "CLONE_NEWTIME"),
    (0x0000_0200, "CLONE_FS"),
    (0x0000_0400, "CLONE_FILES"),
    (0x0000_2000, "CLONE_SYSVSEM"),
    (0x0002_0000, "CLONE_NEWNS"),
    (0x0200_0000, "CLONE_NEWCGROUP"),
    (0x0400_0000, "CLONE_NEWUTS"),
    (0x0800_0000, "CLONE_NEWIPC"),
    (0x1000_0000, "CLONE_NEWUSER"),
    (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"),
    (0x0000_0100, "CLONE_VM"),
    (0x0000_0800, "CLONE_SIGHAND"),
    (0x0001_0000, "CLONE_THREAD"),
];

pub(crate) const SCHED_POLICIES: &[(u64, &str)] = &[
    (0, "SCHED_OTHER"),
    (1, "SCHED_FIFO"),
    (2, "SCHED_RR"),
    (3, "SCHED_BATCH"),
    (5, "SCHED_IDLE"),
    (6, "SCHED_DEADLINE"),
];

const IOPRIO_WHO: &[(u64, &str)] = &[
    (1, "IOPRIO_WHO_PROCESS"),
    (2, "IOPRIO_WHO_PGRP"),
    (3, "IOPRIO_WHO_USER"),
];

/// `IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4)`.
pub(crate) fn ioprio(v: u64) -> String {
    let class = [
        "IOPRIO_CLASS_NONE",
        "IOPRIO_CLASS_RT",
        "IOPRIO_CLASS_BE",
        "IOPRIO_CLASS_IDLE",
    ];
    match class.get((v >> 13) as usize) {
        Some(c) => format!("IOPRIO_PRIO_VALUE({c}, {})", v & 0x1fff),
        None => format!("{v:#x}"),
    }
}

/// `ITIMER_REAL`, or `0x7 /* ITIMER_??? */`.
fn itimer_which(v: u64) -> String {
    flags::enum_or_unknown(
        v as i32 as u64,
        &[
            (0, "ITIMER_REAL"),
            (1, "ITIMER_VIRTUAL"),
            (2, "ITIMER_PROF"),
        ],
        "ITIMER_???",
    )
}

pub(super) fn decode(h: &H, name: &str, a: &[u64; 6]) -> Option<Vec<String>> {
    Some(match name {
        "inotify_init1" => vec![flags(
            a[0],
            &[(0o4000, "IN_NONBLOCK"), (0o2000000, "IN_CLOEXEC")],
            "0",
        )],
        "inotify_add_watch" => vec![h.fd(a[0]), h.path(a[1]), flags(a[2], IN_FLAGS, "0")],
        "inotify_rm_watch" => vec![h.fd(a[0]), h.int(a[1])],
        "fallocate" => vec![
            h.fd(a[0]),
            flags(a[1], FALLOC, "0"),
            h.long(a[2]),
            h.long(a[3]),
        ],
        "setxattr" | "lsetxattr" | "fsetxattr" => {
            let target = if name == "fsetxattr" {
                h.fd(a[0])
            } else {
                h.path(a[0])
            };
            vec![
                target,
                h.string(a[1]),
                h.inbuf(a[2], a[3]),
                h.uint(a[3]),
                flags(a[4], XATTR, "0"),
            ]
        }
        "listxattr" | "llistxattr" | "flistxattr" => {
            let target = if name == "flistxattr" {
                h.fd(a[0])
            } else {
                h.path(a[0])
            };
            let list = if a[2] == 0 {
                h.ptr(a[1])
            } else {
                h.outbuf(a[1])
            };
            vec![target, list, h.uint(a[2])]
        }
        "removexattr" | "lremovexattr" => vec![h.path(a[0]), h.string(a[1])],
        "fremovexattr" => vec![h.fd(a[0]), h.string(a[1])],
        "mknodat" => {
            let mut v = vec![
                h.dirfd(a[0]),
                h.path(a[1]),
                crate::decode::flags::mode(a[2]),
            ];
            if matches!(a[2] & 0o170000, 0o020000 | 0o060000) {
                v.push(structs::makedev(a[3]));
            }
            v
        }
        "unshare" => vec![flags(a[0], UNSHARE, "0")],
        "timer_create" => vec![
            enum_name(a[0], flags::CLOCK),
            h.inp(a[1], structs::sigevent),
            h.out_int(a[2]),
        ],
        "timer_settime" => vec![
            h.int(a[0]),
            flags(a[1], &[(1, "TIMER_ABSTIME")], "0"),
            h.inp(a[2], structs::itimerspec),
            h.out(a[3], structs::itimerspec),
        ],
        "timer_gettime" => vec![h.int(a[0]), h.out(a[1], structs::itimerspec)],
        "setitimer" => vec![
            itimer_which(a[0]),
            h.inp(a[1], structs::itimerval),
            h.out(a[2], structs::itimerval),
        ],
        "getitimer" => vec![itimer_which(a[0]), h.out(a[1], structs::itimerval)],
        "timer_delete" | "timer_getoverrun" => vec![h.int(a[0])],
        "sched_setscheduler" => vec![
            h.int(a[0]),
            enum_name(a[1], SCHED_POLICIES),
            h.int_ref(a[2]),
        ],
        "sched_getscheduler" => vec![h.int(a[0])],
        "sched_setparam" => vec![h.int(a[0]), h.int_ref(a[1])],
        "sched_getparam" => vec![h.int(a[0]), h.out_int(a[1])],
        "ioprio_set" => vec![enum_name(a[0], IOPRIO_WHO), h.int(a[1]), ioprio(a[2])],
        "ioprio_get" => vec![enum_name(a[0], IOPRIO_WHO), h.int(a[1])],
        "pselect6" | "select" => {
            let n = a[0] as i32;
            let mut v = vec![
                h.int(a[0]),
                h.inp(a[1], |m, p| structs::fd_set(m, p, n)),
                h.inp(a[2], |m, p| structs::fd_set(m, p, n)),
                h.inp(a[3], |m, p| structs::fd_set(m, p, n)),
            ];
            if name == "pselect6" {
                v.push(h.inp(a[4], structs::timespec));
                v.push(h.inp(a[5], |m, p| {
                    // { const sigset_t *ss; size_t ss_len; }
                    match (m.u64(p), m.u64(p + 8)) {
                        (Some(ss), Some(len)) => format!(
                            "{{sigmask={}, sigsetsize={len}}}",
                            structs::sigset(m, ss, len)
                        ),
                        _ => format!("{p:#x}"),
                    }
                }));
            } else {
                v.push(h.inp(a[4], structs::timeval));
            }
            v
        }
        _ => return None,
    })
}
