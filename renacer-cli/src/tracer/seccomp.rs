//! The seccomp-bpf program installed in a launched tracee when `-e trace=`
//! selects a subset: selected syscalls return `SECCOMP_RET_TRACE` (one
//! ptrace stop), everything else `SECCOMP_RET_ALLOW` (no stop at all).
//!
//! Syscalls of another ABI (i386 via int 0x80, x32) always trace; the
//! tracer filters those itself, so a program mixing ABIs is still correct.

use crate::arch::Arch;
use crate::filter::TraceSet;

const BPF_LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const BPF_JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const BPF_RET_K: u16 = 0x06; // BPF_RET | BPF_K
const BPF_JA: u16 = 0x05; // BPF_JMP | BPF_JA
const RET_ALLOW: u32 = 0x7fff_0000;
const RET_TRACE: u32 = 0x7ff0_0000;
/// x32 syscalls have this bit set in `nr`.
const X32_BIT: u32 = 0x4000_0000;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}
fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// Build the filter for `set` on the native ABI `arch`.
///
/// Layout: check arch (foreign → TRACE), load nr, x32 → TRACE, then one
/// `JEQ` per listed number jumping to the shared "hit" return. When more
/// than half the table is selected, the complement is listed instead (the
/// jump offsets are 8-bit, and shorter programs run faster).
pub(crate) fn program(set: &TraceSet, arch: &Arch) -> Vec<libc::sock_filter> {
    let selected = set.numbers(arch);
    let all: Vec<u64> = arch.iter().map(|(nr, _)| nr).collect();
    let invert = selected.len() * 2 > all.len();
    let listed: Vec<u32> = if invert {
        all.iter()
            .filter(|n| !selected.contains(n))
            .map(|&n| n as u32)
            .collect()
    } else {
        selected.iter().map(|&n| n as u32).collect()
    };
    let (hit, miss) = if invert {
        (RET_ALLOW, RET_TRACE)
    } else {
        (RET_TRACE, RET_ALLOW)
    };
    let mut p = vec![
        stmt(BPF_LD_W_ABS, 4), // seccomp_data.arch
        jump(BPF_JEQ_K, arch.audit, 1, 0),
        stmt(BPF_RET_K, RET_TRACE),
        stmt(BPF_LD_W_ABS, 0), // seccomp_data.nr
        jump(BPF_JGE_K, X32_BIT, 0, 1),
        stmt(BPF_RET_K, RET_TRACE),
    ];
    // Chunks of at most 250 comparisons, each ending in its own hit/miss
    // pair, keep every jump offset within u8.
    for chunk in listed.chunks(250) {
        let n = chunk.len();
        for (i, &nr) in chunk.iter().enumerate() {
            // From instruction i, skip the remaining n-1-i compares: land on
            // the "hit" return placed after the fall-through instruction.
            let to_hit = (n - 1 - i + 1) as u8;
            p.push(jump(BPF_JEQ_K, nr, to_hit, 0));
        }
        // Fall-through: jump over the hit return to the next chunk (or miss).
        p.push(stmt(BPF_JA, 1));
        p.push(stmt(BPF_RET_K, hit));
    }
    p.push(stmt(BPF_RET_K, miss));
    p
}

/// Install `prog` in the calling process. Called in the forked child just
/// before `execve`, so it only uses async-signal-safe system calls.
///
/// # Safety
/// Must only be called in a single-threaded child after `fork`; `prog` must
/// have been built by [`program`].
pub(crate) unsafe fn install(prog: &[libc::sock_filter]) -> bool {
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut _,
    };
    // SAFETY: plain integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return false;
    }
    // SAFETY: `fprog` points into `prog`, alive for the call; the kernel
    // copies the program.
    unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            1 as libc::c_ulong, // SECCOMP_SET_MODE_FILTER
            0 as libc::c_ulong,
            &fprog as *const libc::sock_fprog,
        ) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::X86_64;

    /// Run the BPF program on (arch, nr) with a tiny interpreter of the
    /// instructions we emit.
    fn eval(p: &[libc::sock_filter], audit: u32, nr: u32) -> u32 {
        let mut acc = 0u32;
        let mut pc = 0usize;
        loop {
            let i = p[pc];
            match i.code {
                BPF_LD_W_ABS => acc = if i.k == 4 { audit } else { nr },
                BPF_RET_K => return i.k,
                BPF_JEQ_K => {
                    pc += if acc == i.k {
                        i.jt as usize
                    } else {
                        i.jf as usize
                    }
                }
                BPF_JGE_K => {
                    pc += if acc >= i.k {
                        i.jt as usize
                    } else {
                        i.jf as usize
                    }
                }
                BPF_JA => pc += i.k as usize,
                c => panic!("unexpected opcode {c:#x}"),
            }
            pc += 1;
        }
    }

    #[test]
    fn subset_traces_only_selected() {
        let set = TraceSet::parse("openat,read").unwrap();
        let p = program(&set, &X86_64);
        assert_eq!(eval(&p, X86_64.audit, 257), RET_TRACE);
        assert_eq!(eval(&p, X86_64.audit, 0), RET_TRACE);
        assert_eq!(eval(&p, X86_64.audit, 1), RET_ALLOW);
        assert_eq!(eval(&p, crate::arch::AUDIT_ARCH_I386, 1), RET_TRACE);
        assert_eq!(eval(&p, X86_64.audit, 0x4000_0001), RET_TRACE);
    }

    #[test]
    fn large_and_negated_sets() {
        let set = TraceSet::parse("!write").unwrap();
        let p = program(&set, &X86_64);
        assert_eq!(eval(&p, X86_64.audit, 1), RET_ALLOW);
        assert_eq!(eval(&p, X86_64.audit, 0), RET_TRACE);
        assert_eq!(eval(&p, X86_64.audit, 257), RET_TRACE);
        // More than 250 listed numbers: several chunks.
        let big = TraceSet::parse("/^[a-m]/").unwrap();
        let p = program(&big, &X86_64);
        for (nr, name) in X86_64.iter() {
            let want = if (b'a'..=b'm').contains(&name.as_bytes()[0]) {
                RET_TRACE
            } else {
                RET_ALLOW
            };
            assert_eq!(eval(&p, X86_64.audit, nr as u32), want, "{name}");
        }
    }
}
