//! System-call tables and register mappings, one per architecture.
//!
//! The tracer never hard-codes a syscall number: it asks the [`Arch`] named by
//! `PTRACE_GET_SYSCALL_INFO`'s `arch` field (an `AUDIT_ARCH_*` value) for the
//! name, and filters/decoders work on names. That is what lets one x86_64
//! tracer follow i386 (compat) tracees, and what an aarch64 port plugs into.
//! Tables come from the `syscalls` crate (generated from the kernel's tables,
//! compiled in: no network at build time).

mod nargs;

pub(crate) use nargs::nargs;

/// `AUDIT_ARCH_X86_64` from `<linux/audit.h>`.
pub(crate) const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// `AUDIT_ARCH_I386` from `<linux/audit.h>`.
pub(crate) const AUDIT_ARCH_I386: u32 = 0x4000_0003;
/// `AUDIT_ARCH_AARCH64` from `<linux/audit.h>`.
pub(crate) const AUDIT_ARCH_AARCH64: u32 = 0xc000_00b7;

/// Where the syscall number, arguments and return value live in the
/// architecture's `user_regs_struct`, as indexes of 64-bit words. Used when
/// registers are read with `PTRACE_GETREGSET` instead of
/// `PTRACE_GET_SYSCALL_INFO` (kernels before 5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RegMap {
    /// Word holding the syscall number at entry.
    pub nr: usize,
    /// Word holding the return value at exit.
    pub ret: usize,
    /// Words holding arguments 0..6.
    pub args: [usize; 6],
}

impl RegMap {
    /// Syscall number and arguments from a raw register dump; `None` when the
    /// dump is too short for this mapping. Not wired into the tracer yet:
    /// it requires `PTRACE_GET_SYSCALL_INFO` (Linux 5.3+) and says so at
    /// start; the mapping is unit-tested for the aarch64 port.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn extract(&self, regs: &[u64]) -> Option<(u64, [u64; 6])> {
        let nr = *regs.get(self.nr)?;
        let mut args = [0u64; 6];
        for (slot, &idx) in args.iter_mut().zip(self.args.iter()) {
            *slot = *regs.get(idx)?;
        }
        Some((nr, args))
    }
}

/// One architecture's syscall ABI.
#[derive(Debug)]
pub(crate) struct Arch {
    /// Short name used in JSON output (`x86_64`, `i386`, `aarch64`).
    pub name: &'static str,
    /// The `AUDIT_ARCH_*` value the kernel reports for tracees of this ABI.
    pub audit: u32,
    /// Register layout for the register-read fallback (see
    /// [`RegMap::extract`]).
    #[cfg_attr(not(test), allow(dead_code))]
    pub regs: RegMap,
    name_of: fn(u64) -> Option<&'static str>,
    max_nr: u64,
}

impl Arch {
    /// The syscall's name, `None` for numbers the table does not know.
    pub(crate) fn name(&self, nr: u64) -> Option<&'static str> {
        (self.name_of)(nr)
    }

    /// The syscall's number for a name, `None` if this ABI has no such call.
    #[cfg(test)]
    pub(crate) fn number(&self, name: &str) -> Option<u64> {
        (0..=self.max_nr).find(|&nr| self.name(nr) == Some(name))
    }

    /// Every (number, name) pair of the table, in number order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &'static str)> + '_ {
        (0..=self.max_nr).filter_map(move |nr| self.name(nr).map(|n| (nr, n)))
    }

    /// The largest syscall number in the table.
    pub(crate) fn max_nr(&self) -> u64 {
        self.max_nr
    }
}

/// The `syscalls` crate spells Rust keywords as raw identifiers (`r#break`).
fn strip_raw(name: &'static str) -> &'static str {
    name.strip_prefix("r#").unwrap_or(name)
}

fn x86_64_name(nr: u64) -> Option<&'static str> {
    syscalls::x86_64::Sysno::new(usize::try_from(nr).ok()?).map(|s| strip_raw(s.name()))
}
fn i386_name(nr: u64) -> Option<&'static str> {
    syscalls::x86::Sysno::new(usize::try_from(nr).ok()?).map(|s| strip_raw(s.name()))
}
fn aarch64_name(nr: u64) -> Option<&'static str> {
    syscalls::aarch64::Sysno::new(usize::try_from(nr).ok()?).map(|s| strip_raw(s.name()))
}

/// x86_64: number in `orig_rax`, result in `rax`, arguments in
/// rdi, rsi, rdx, r10, r8, r9 (word indexes of `struct user_regs_struct`).
pub(crate) static X86_64: Arch = Arch {
    name: "x86_64",
    audit: AUDIT_ARCH_X86_64,
    regs: RegMap {
        nr: 15,
        ret: 10,
        args: [14, 13, 12, 7, 9, 8],
    },
    name_of: x86_64_name,
    max_nr: syscalls::x86_64::Sysno::last().id() as u64,
};

/// i386 (and x86_64's int 0x80 / compat ABI): number in `orig_eax`, result in
/// `eax`, arguments in ebx, ecx, edx, esi, edi, ebp. Indexes are into the
/// 32-bit tracee's `user_regs_struct` widened to 64-bit words.
pub(crate) static I386: Arch = Arch {
    name: "i386",
    audit: AUDIT_ARCH_I386,
    regs: RegMap {
        nr: 11,
        ret: 6,
        args: [0, 1, 2, 3, 4, 5],
    },
    name_of: i386_name,
    max_nr: syscalls::x86::Sysno::last().id() as u64,
};

/// aarch64: number in x8, result in x0, arguments in x0..x5
/// (`struct user_pt_regs { u64 regs[31]; sp; pc; pstate }`).
pub(crate) static AARCH64: Arch = Arch {
    name: "aarch64",
    audit: AUDIT_ARCH_AARCH64,
    regs: RegMap {
        nr: 8,
        ret: 0,
        args: [0, 1, 2, 3, 4, 5],
    },
    name_of: aarch64_name,
    max_nr: syscalls::aarch64::Sysno::last().id() as u64,
};

/// Every ABI this build knows, native first.
pub(crate) static ALL: [&Arch; 3] = [&X86_64, &I386, &AARCH64];

/// The tracer's native ABI (the one its own seccomp filter checks first).
pub(crate) fn native() -> &'static Arch {
    if cfg!(target_arch = "aarch64") {
        &AARCH64
    } else {
        &X86_64
    }
}

/// The ABI for an `AUDIT_ARCH_*` value, `None` if unknown.
pub(crate) fn from_audit(audit: u32) -> Option<&'static Arch> {
    ALL.iter().copied().find(|a| a.audit == audit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_64_table_has_the_common_calls() {
        assert_eq!(X86_64.name(0), Some("read"));
        assert_eq!(X86_64.name(257), Some("openat"));
        assert_eq!(X86_64.name(59), Some("execve"));
        assert_eq!(X86_64.name(231), Some("exit_group"));
        assert_eq!(X86_64.name(435), Some("clone3"));
        assert_eq!(X86_64.number("openat"), Some(257));
        assert_eq!(X86_64.name(100_000), None);
    }

    #[test]
    fn i386_table_is_the_compat_one() {
        assert_eq!(I386.name(5), Some("open"));
        assert_eq!(I386.name(11), Some("execve"));
        assert_eq!(I386.name(17), Some("break"));
        assert_eq!(from_audit(AUDIT_ARCH_I386).map(|a| a.name), Some("i386"));
    }

    #[test]
    fn aarch64_table_and_registers() {
        assert_eq!(AARCH64.name(56), Some("openat"));
        assert_eq!(AARCH64.name(63), Some("read"));
        assert_eq!(AARCH64.name(221), Some("execve"));
        assert_eq!(AARCH64.number("open"), None, "aarch64 has no open(2)");
        let mut regs = [0u64; 34];
        regs[8] = 56;
        for (i, r) in regs.iter_mut().enumerate().take(6) {
            *r = 100 + i as u64;
        }
        let (nr, args) = AARCH64.regs.extract(&regs).expect("long enough");
        assert_eq!(nr, 56);
        assert_eq!(args, [100, 101, 102, 103, 104, 105]);
        assert_eq!(AARCH64.regs.extract(&regs[..4]), None);
    }

    #[test]
    fn x86_64_register_mapping() {
        // user_regs_struct: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax ...
        let regs: Vec<u64> = (0..27).collect();
        let (nr, args) = X86_64.regs.extract(&regs).expect("long enough");
        assert_eq!(nr, 15);
        assert_eq!(args, [14, 13, 12, 7, 9, 8]);
    }
}
