//! Per-syscall argument decoders, grouped by area. Each group returns `None`
//! for calls it does not own; the first group that knows the call wins.

mod fs;
mod mempolicy;
pub(crate) mod misc;
mod net;
mod proc;

use super::mem::{self, Mem};
use super::Ctx;

/// Decoded arguments of `name`, or `None` when no decoder exists (the caller
/// prints the raw words in hex).
pub(super) fn decode(ctx: &Ctx, name: &str, a: &[u64; 6], ret: Option<i64>) -> Option<Vec<String>> {
    let h = H { ctx, ret };
    fs::decode(&h, name, a)
        .or_else(|| proc::decode(&h, name, a))
        .or_else(|| net::decode(&h, name, a))
        .or_else(|| misc::decode(&h, name, a))
        .or_else(|| mempolicy::decode(&h, name, a))
}

/// Shared helpers for the decoders.
struct H<'a, 'b> {
    ctx: &'a Ctx<'b>,
    ret: Option<i64>,
}

impl H<'_, '_> {
    fn mem(&self) -> Mem {
        self.ctx.mem
    }
    /// A C `int`.
    fn int(&self, v: u64) -> String {
        (v as i32).to_string()
    }
    /// A pid argument: `1234`, `1234<cat>` under `-Y`.
    fn pid(&self, v: u64) -> String {
        super::pids::label(i64::from(v as i32))
    }
    /// A `long` / `off_t`.
    fn long(&self, v: u64) -> String {
        (v as i64).to_string()
    }
    /// An unsigned count.
    fn uint(&self, v: u64) -> String {
        v.to_string()
    }
    /// A pointer: `NULL` or hex.
    fn ptr(&self, v: u64) -> String {
        if v == 0 {
            "NULL".into()
        } else {
            format!("{v:#x}")
        }
    }
    fn fd(&self, v: u64) -> String {
        self.ctx.fd(v)
    }
    fn dirfd(&self, v: u64) -> String {
        match super::flags::dirfd(v) {
            // -y: the working directory, as strace shows it.
            Some(s) => {
                let name = super::flags::styled((v as i32).to_string(), s.to_string());
                if !self.ctx.decode_fds {
                    return name;
                }
                match std::fs::read_link(format!("/proc/{}/cwd", self.mem().pid)) {
                    Ok(cwd) => format!("{name}<{}>", cwd.display()),
                    Err(_) => name,
                }
            }
            None => self.fd(v),
        }
    }
    /// An `int[2]` of fds filled by the call (`pipe2`, `socketpair`):
    /// `[3, 4]`, each with its path under `-y`.
    fn fd_pair(&self, addr: u64) -> String {
        if addr == 0 || self.ret.is_none() {
            return self.ptr(addr);
        }
        match self.mem().read(addr, 8) {
            Some(b) => {
                let fd = |o| {
                    self.ctx
                        .fd_now(u64::from(renacer_format::le::u32_at(&b, o)))
                };
                format!("[{}, {}]", fd(0), fd(4))
            }
            None => format!("{addr:#x}"),
        }
    }
    fn path(&self, v: u64) -> String {
        mem::path(self.mem(), v)
    }
    fn string(&self, v: u64) -> String {
        mem::string(self.mem(), v, self.ctx.strsize)
    }
    /// An input buffer of `len` bytes.
    fn inbuf(&self, addr: u64, len: u64) -> String {
        mem::buffer(self.mem(), addr, len as usize, self.ctx.strsize, false)
    }
    /// An output buffer, filled with the returned byte count on success.
    fn outbuf(&self, addr: u64) -> String {
        match self.ret {
            Some(n) if n >= 0 => mem::buffer(self.mem(), addr, n as usize, self.ctx.strsize, false),
            _ => self.ptr(addr),
        }
    }
    /// An output struct printed by `f` when the call succeeded.
    fn out(&self, addr: u64, f: impl FnOnce(Mem, u64) -> String) -> String {
        if addr != 0 && self.ret.is_some() {
            f(self.mem(), addr)
        } else {
            self.ptr(addr)
        }
    }
    /// An input struct printed by `f`.
    fn inp(&self, addr: u64, f: impl FnOnce(Mem, u64) -> String) -> String {
        if addr != 0 {
            f(self.mem(), addr)
        } else {
            "NULL".into()
        }
    }
    /// A value-result length after the call: `[16]`, or `[128 => 16]`
    /// when it changed from what was passed in.
    fn len_change(&self, out: u64) -> String {
        match self.ctx.len_in {
            Some(i) if u64::from(i) != out => format!("[{i} => {out}]"),
            _ => format!("[{out}]"),
        }
    }
    /// An output `int *`: `[N]` once the call succeeded, else the address.
    fn out_int(&self, addr: u64) -> String {
        if self.ret.is_some() {
            self.int_ref(addr)
        } else {
            self.ptr(addr)
        }
    }
    /// `[N]` for an `int *` / `socklen_t *` holding N.
    fn int_ref(&self, addr: u64) -> String {
        if addr == 0 {
            return "NULL".into();
        }
        match self.mem().read(addr, 4) {
            Some(b) => format!("[{}]", renacer_format::le::i32_at(&b, 0)),
            None => self.ptr(addr),
        }
    }
}
