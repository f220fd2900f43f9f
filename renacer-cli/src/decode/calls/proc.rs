//! Processes, memory, signals, time and misc kernel interfaces.

use super::H;
use crate::decode::flags::{self, enum_name, flags};
use crate::decode::{hex_or_zero, mem, signals, structs};

/// `["ls", "-la"]`, at most 64 entries (then `...`).
fn argv(h: &H, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    let mut items = Vec::new();
    for i in 0..=64u64 {
        let Some(p) = h.mem().u64(addr + i * 8) else {
            return h.ptr(addr);
        };
        if p == 0 {
            return format!("[{}]", items.join(", "));
        }
        if i == 64 {
            items.push("...".to_string());
            break;
        }
        items.push(mem::string(h.mem(), p, h.ctx.strsize));
    }
    format!("[{}]", items.join(", "))
}

/// A capability: `CAP_SYS_ADMIN`, or `0x32 /* CAP_??? */`.
fn cap(v: u64) -> String {
    match flags::CAPS.get(v as usize) {
        Some(n) => n.to_string(),
        None => format!("{v:#x} /* CAP_??? */"),
    }
}

/// `prctl`: each option with the arguments it takes, as strace prints
/// them; an unknown option with all four in hex.
fn prctl(h: &H, a: &[u64; 6]) -> Vec<String> {
    let opt = a[0] & 0xffff_ffff;
    let name = match flags::PRCTL.iter().find(|&&(v, _)| v == opt) {
        Some(&(_, n)) => n.to_string(),
        None => format!("{opt:#x} /* PR_??? */"),
    };
    let mut v = vec![name];
    let rest4 = |v: &mut Vec<String>, from: usize| {
        v.extend(a[from..5].iter().map(|&x| crate::decode::hex_or_zero(x)));
    };
    match opt {
        // No argument.
        3 | 7 | 21 | 30 | 34 | 40 => {}
        15 => v.push(h.string(a[1])),
        16 => v.push(match h.ret {
            Some(_) => h.string(a[1]),
            None => h.ptr(a[1]),
        }),
        1 => v.push(sig(a[1])),
        2 => v.push(match h.ret {
            Some(_) => match h.mem().read(a[1], 4) {
                Some(b) => format!("[{}]", sig(u64::from(renacer_format::le::u32_at(&b, 0)))),
                None => h.ptr(a[1]),
            },
            None => h.ptr(a[1]),
        }),
        4 => v.push(enum_name(
            a[1],
            &[
                (0, "SUID_DUMP_DISABLE"),
                (1, "SUID_DUMP_USER"),
                (2, "SUID_DUMP_ROOT"),
            ],
        )),
        23 | 24 => v.push(cap(a[1])),
        8 | 29 | 36 => v.push(h.uint(a[1])),
        37 => v.push(h.out_int(a[1])),
        0x5961_6d61 => v.push(h.int(a[1])),
        38 | 39 | 41 | 42 => v.extend(a[1..5].iter().map(|&x| h.uint(x))),
        47 => {
            v.push(enum_name(
                a[1],
                &[
                    (1, "PR_CAP_AMBIENT_IS_SET"),
                    (2, "PR_CAP_AMBIENT_RAISE"),
                    (3, "PR_CAP_AMBIENT_LOWER"),
                    (4, "PR_CAP_AMBIENT_CLEAR_ALL"),
                ],
            ));
            if a[1] == 4 {
                v.extend(a[2..5].iter().map(|&x| h.uint(x)));
            } else {
                v.push(cap(a[2]));
                v.extend(a[3..5].iter().map(|&x| h.uint(x)));
            }
        }
        22 => {
            v.push(enum_name(
                a[1],
                &[
                    (0, "SECCOMP_MODE_DISABLED"),
                    (1, "SECCOMP_MODE_STRICT"),
                    (2, "SECCOMP_MODE_FILTER"),
                ],
            ));
            if a[1] == 2 {
                v.push(h.ptr(a[2]));
            }
        }
        0x5356_4d41 => {
            v.push(enum_name(a[1], &[(0, "PR_SET_VMA_ANON_NAME")]));
            v.push(h.ptr(a[2]));
            v.push(h.uint(a[3]));
            v.push(if a[4] == 0 {
                "NULL".into()
            } else {
                h.string(a[4])
            });
        }
        _ => rest4(&mut v, 1),
    }
    v
}

/// `0x7ffe... /* 35 vars */`, or with `-v` the strings as for argv.
fn envp(h: &H, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    if h.ctx.verbose {
        return argv(h, addr);
    }
    let mut n = 0u64;
    while n < 100_000 {
        match h.mem().u64(addr + n * 8) {
            Some(0) => {
                let vars = if n == 1 { "var" } else { "vars" };
                return format!("{addr:#x} /* {n} {vars} */");
            }
            Some(_) => n += 1,
            None => break,
        }
    }
    h.ptr(addr)
}

fn sig(v: u64) -> String {
    signals::name(v as i32)
}

fn futex_op(v: u64) -> String {
    flags::styled(format!("{v:#x}"), futex_op_name(v))
}

fn futex_op_name(v: u64) -> String {
    const OPS: [&str; 14] = [
        "FUTEX_WAIT",
        "FUTEX_WAKE",
        "FUTEX_FD",
        "FUTEX_REQUEUE",
        "FUTEX_CMP_REQUEUE",
        "FUTEX_WAKE_OP",
        "FUTEX_LOCK_PI",
        "FUTEX_UNLOCK_PI",
        "FUTEX_TRYLOCK_PI",
        "FUTEX_WAIT_BITSET",
        "FUTEX_WAKE_BITSET",
        "FUTEX_WAIT_REQUEUE_PI",
        "FUTEX_CMP_REQUEUE_PI",
        "FUTEX_LOCK_PI2",
    ];
    let cmd = (v & 0x7f) as usize;
    let Some(base) = OPS.get(cmd) else {
        return format!("{v:#x}");
    };
    let private = if v & 128 != 0 { "_PRIVATE" } else { "" };
    let rt = if v & 256 != 0 {
        "|FUTEX_CLOCK_REALTIME"
    } else {
        ""
    };
    let rest = v & !(0x7f | 128 | 256);
    let tail = if rest != 0 {
        format!("|{rest:#x}")
    } else {
        String::new()
    };
    format!("{base}{private}{rt}{tail}")
}

pub(super) fn decode(h: &H, name: &str, a: &[u64; 6]) -> Option<Vec<String>> {
    let ts = |p| structs::timespec(h.mem(), p);
    Some(match name {
        "execve" => vec![h.path(a[0]), argv(h, a[1]), envp(h, a[2])],
        "execveat" => vec![
            h.dirfd(a[0]),
            h.path(a[1]),
            argv(h, a[2]),
            envp(h, a[3]),
            flags(a[4], flags::AT, "0"),
        ],
        "exit" | "exit_group" => vec![h.int(a[0])],
        "clone" => {
            let fl = a[0];
            let mut v = vec![
                format!("child_stack={}", h.ptr(a[1])),
                format!("flags={}", flags::clone_flags(fl)),
            ];
            if fl & 0x100000 != 0 {
                // The result is the tid the kernel stored there (memory may already be
                // cleared by the child's CLONE_CHILD_CLEARTID).
                let tid = h
                    .ret
                    .map(|r| format!("[{r}]"))
                    .unwrap_or_else(|| h.ptr(a[2]));
                v.push(format!("parent_tid={tid}"));
            }
            if fl & 0x80000 != 0 {
                v.push(format!("tls={}", h.ptr(a[4])));
            }
            if fl & 0x1200000 != 0 {
                v.push(format!("child_tidptr={}", h.ptr(a[3])));
            }
            v
        }
        "clone3" => vec![
            h.inp(a[0], |m, p| structs::clone_args(m, p, a[1], h.ret)),
            h.uint(a[1]),
        ],
        "wait4" => {
            let status = match h.ret {
                Some(r) if r > 0 && a[1] != 0 => match h.mem().read(a[1], 4) {
                    Some(b) => structs::wait_status(renacer_format::le::i32_at(&b, 0)),
                    None => h.ptr(a[1]),
                },
                _ => h.ptr(a[1]),
            };
            vec![
                h.pid(a[0]),
                status,
                flags(a[2], flags::WAIT, "0"),
                h.ptr(a[3]),
            ]
        }
        "waitid" => vec![
            enum_name(
                a[0],
                &[(0, "P_ALL"), (1, "P_PID"), (2, "P_PGID"), (3, "P_PIDFD")],
            ),
            h.int(a[1]),
            h.ptr(a[2]),
            flags(a[3], flags::WAIT, "0"),
            h.ptr(a[4]),
        ],
        "kill" => vec![h.pid(a[0]), sig(a[1])],
        "tkill" => vec![h.pid(a[0]), sig(a[1])],
        "tgkill" => vec![h.pid(a[0]), h.pid(a[1]), sig(a[2])],
        "rt_sigaction" => vec![
            sig(a[0]),
            h.inp(a[1], structs::sigaction),
            h.out(a[2], structs::sigaction),
            h.uint(a[3]),
        ],
        "rt_sigprocmask" => vec![
            enum_name(a[0], flags::SIG_HOW),
            h.inp(a[1], |m, p| structs::sigset(m, p, a[3])),
            h.out(a[2], |m, p| structs::sigset(m, p, a[3])),
            h.uint(a[3]),
        ],
        "rt_sigsuspend" => vec![
            h.inp(a[0], |m, p| structs::sigset(m, p, a[1])),
            h.uint(a[1]),
        ],
        "sigaltstack" => vec![h.inp(a[0], structs::stack_t), h.out(a[1], structs::stack_t)],
        "alarm" => vec![h.uint(a[0])],
        "mmap" => vec![
            h.ptr(a[0]),
            h.uint(a[1]),
            flags(a[2], flags::PROT, "PROT_NONE"),
            flags::map_flags(a[3]),
            h.fd(a[4]),
            hex_or_zero(a[5]),
        ],
        "mprotect" => vec![
            h.ptr(a[0]),
            h.uint(a[1]),
            flags(a[2], flags::PROT, "PROT_NONE"),
        ],
        "munmap" => vec![h.ptr(a[0]), h.uint(a[1])],
        "brk" => vec![h.ptr(a[0])],
        "madvise" => vec![h.ptr(a[0]), h.uint(a[1]), enum_name(a[2], flags::MADV)],
        "msync" => vec![
            h.ptr(a[0]),
            h.uint(a[1]),
            flags(
                a[2],
                &[(1, "MS_ASYNC"), (2, "MS_INVALIDATE"), (4, "MS_SYNC")],
                "0",
            ),
        ],
        "mremap" => vec![
            h.ptr(a[0]),
            h.uint(a[1]),
            h.uint(a[2]),
            flags(
                a[3],
                &[
                    (1, "MREMAP_MAYMOVE"),
                    (2, "MREMAP_FIXED"),
                    (4, "MREMAP_DONTUNMAP"),
                ],
                "0",
            ),
            h.ptr(a[4]),
        ],
        "mlock" | "munlock" => vec![h.ptr(a[0]), h.uint(a[1])],
        "futex" => {
            let cmd = a[1] & 0x7f;
            let timeout = if matches!(cmd, 0 | 9 | 11) {
                ts(a[3])
            } else {
                hex_or_zero(a[3])
            };
            let mut v = vec![h.ptr(a[0]), futex_op(a[1]), h.int(a[2])];
            match cmd {
                0 => v.push(timeout),
                9 => {
                    let mask = if a[5] as u32 == u32::MAX {
                        "FUTEX_BITSET_MATCH_ANY".to_string()
                    } else {
                        format!("{:#x}", a[5])
                    };
                    v.extend([timeout, mask]);
                }
                1 | 7 | 8 => {}
                _ => v.extend([timeout, h.ptr(a[4]), hex_or_zero(a[5])]),
            }
            v
        }
        "nanosleep" => vec![ts(a[0]), h.ptr(a[1])],
        "clock_nanosleep" => vec![
            enum_name(a[0], flags::CLOCK),
            flags(a[1], &[(1, "TIMER_ABSTIME")], "0"),
            ts(a[2]),
            h.ptr(a[3]),
        ],
        "clock_gettime" | "clock_getres" => vec![
            enum_name(a[0], flags::CLOCK),
            h.out(a[1], structs::timespec),
        ],
        "getrandom" => {
            let buf = match h.ret {
                Some(n) if n >= 0 => mem::buffer(h.mem(), a[0], n as usize, h.ctx.strsize, true),
                _ => h.ptr(a[0]),
            };
            vec![buf, h.uint(a[1]), flags(a[2], flags::GRND, "0")]
        }
        "uname" => vec![h.out(a[0], |m, p| structs::utsname(m, p, h.ctx.verbose))],
        "prlimit64" => vec![
            h.int(a[0]),
            enum_name(a[1], flags::RLIMIT),
            h.inp(a[2], structs::rlimit),
            h.out(a[3], structs::rlimit),
        ],
        "getrlimit" => vec![enum_name(a[0], flags::RLIMIT), h.out(a[1], structs::rlimit)],
        "setrlimit" => vec![enum_name(a[0], flags::RLIMIT), h.inp(a[1], structs::rlimit)],
        "arch_prctl" => vec![flags::enum_hex(a[0], flags::ARCH_PRCTL), h.ptr(a[1])],
        "set_tid_address" => vec![h.ptr(a[0])],
        "set_robust_list" => vec![h.ptr(a[0]), h.uint(a[1])],
        "rseq" => vec![
            h.ptr(a[0]),
            format!("{:#x}", a[1]),
            h.int(a[2]),
            format!("{:#x}", a[3]),
        ],
        "prctl" => prctl(h, a),
        "setuid" | "setgid" | "setfsuid" | "setfsgid" => vec![h.int(a[0])],
        "setreuid" | "setregid" => vec![h.int(a[0]), h.int(a[1])],
        "setresuid" | "setresgid" => vec![h.int(a[0]), h.int(a[1]), h.int(a[2])],
        "setpgid" => vec![h.int(a[0]), h.int(a[1])],
        "getpgid" | "getsid" => vec![h.int(a[0])],
        "pidfd_open" => vec![h.int(a[0]), flags(a[1], &[(0o4000, "PIDFD_NONBLOCK")], "0")],
        "sched_get_priority_max" | "sched_get_priority_min" => {
            vec![flags::enum_name(a[0], flags::SCHED_POLICY)]
        }
        "sched_setaffinity" => vec![
            h.int(a[0]),
            h.uint(a[1]),
            h.inp(a[2], |m, p| structs::cpu_mask(m, p, a[1])),
        ],
        // The kernel fills as many bytes as it returns.
        "sched_getaffinity" => vec![
            h.int(a[0]),
            h.uint(a[1]),
            match h.ret {
                Some(n) if n > 0 => structs::cpu_mask(h.mem(), a[2], n as u64),
                _ => h.ptr(a[2]),
            },
        ],
        "getgroups" => vec![
            h.int(a[0]),
            match h.ret {
                _ if a[1] == 0 => "NULL".into(),
                Some(n) if a[0] != 0 => structs::gid_list(h.mem(), a[1], n as u64),
                Some(_) => "[]".into(),
                None => h.ptr(a[1]),
            },
        ],
        "setgroups" => vec![
            h.int(a[0]),
            h.inp(a[1], |m, p| structs::gid_list(m, p, a[0])),
        ],
        "getpriority" | "setpriority" => {
            let mut v = vec![
                enum_name(
                    a[0],
                    &[(0, "PRIO_PROCESS"), (1, "PRIO_PGRP"), (2, "PRIO_USER")],
                ),
                h.int(a[1]),
            ];
            if name == "setpriority" {
                v.push(h.int(a[2]));
            }
            v
        }
        "sysinfo" => vec![h.out(a[0], structs::sysinfo)],
        "times" => vec![h.out(a[0], structs::tms)],
        "getrusage" => vec![
            enum_name(
                a[0] as i32 as i64 as u64,
                &[
                    (0, "RUSAGE_SELF"),
                    (u64::MAX, "RUSAGE_CHILDREN"),
                    (1, "RUSAGE_THREAD"),
                ],
            ),
            h.out(a[1], |m, p| structs::rusage(m, p, h.ctx.verbose)),
        ],
        _ => return None,
    })
}
