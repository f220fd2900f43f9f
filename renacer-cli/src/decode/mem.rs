//! Reading the tracee's memory (strings, buffers, structs) and printing it
//! the way strace does: C-escaped, truncated at `-s` with `...`.

/// Access to one tracee's address space.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mem {
    /// Any tid of the process.
    pub pid: i32,
    /// Structures are read (strace's `-e verbose=`); when false, [`Mem::read`]
    /// fails so every decoder prints the structure's address, while strings,
    /// paths and data buffers are still read.
    structs: bool,
}

impl Mem {
    /// The memory of `pid`, structures included.
    pub(crate) fn of(pid: i32) -> Mem {
        Mem { pid, structs: true }
    }

    /// The same memory, structures read only when `on` (`-e verbose=`).
    pub(crate) fn structs(self, on: bool) -> Mem {
        Mem {
            structs: on,
            ..self
        }
    }

    /// Whether structures are read (`-e verbose=` holds the call).
    pub(crate) fn shows_structs(&self) -> bool {
        self.structs
    }

    /// The calling process: decoder unit tests read their own buffers.
    #[cfg(test)]
    pub(crate) fn this_process() -> Mem {
        Mem::of(std::process::id() as i32)
    }

    /// Exactly `len` bytes of a structure at `addr`, or `None` if any is
    /// unreadable or structures are not shown.
    pub(crate) fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        if !self.structs {
            return None;
        }
        self.bytes(addr, len)
    }

    /// Exactly `len` bytes of data (a string or buffer) at `addr`.
    fn bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; len];
        (read_mem(self.pid, addr, &mut buf) == len).then_some(buf)
    }

    /// Read a little-endian u64 / u32.
    pub(crate) fn u64(&self, addr: u64) -> Option<u64> {
        self.read(addr, 8)
            .map(|b| renacer_format::le::u64_at(&b, 0))
    }

    /// A NUL-terminated string of at most `max` bytes; the flag says whether
    /// the terminator was found within `max`.
    pub(crate) fn cstr(&self, addr: u64, max: usize) -> Option<(Vec<u8>, bool)> {
        if addr == 0 {
            return None;
        }
        let mut out = Vec::new();
        let mut cur = addr;
        // Read page by page: process_vm_readv stops at the first unmapped page,
        // and a string may end right before one.
        while out.len() < max {
            let page_left = 4096 - (cur % 4096) as usize;
            let want = page_left.min(max - out.len()).min(256);
            let mut chunk = vec![0u8; want];
            let n = read_mem(self.pid, cur, &mut chunk);
            if n == 0 {
                return if out.is_empty() {
                    None
                } else {
                    Some((out, false))
                };
            }
            if let Some(z) = chunk[..n].iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..z]);
                return Some((out, true));
            }
            out.extend_from_slice(&chunk[..n]);
            cur += n as u64;
        }
        Some((out, false))
    }
}

/// Escape bytes like strace: printable ASCII as is, `\n \t \r \v \f`,
/// `\"` `\\`, other bytes in the shortest octal that cannot be misread.
/// strace's `-x` / `-xx`: how strings are printed, one style per run (set
/// once from the options, before tracing starts; read by every decoder).
static HEX: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// `-x`: a string with any byte that is neither printable ASCII nor
/// `\t\n\v\f\r` is printed all in hex; `-xx`: every string in hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum HexStrings {
    /// strace's default escapes.
    #[default]
    Off,
    /// `-x`.
    NonAscii,
    /// `-xx`.
    All,
}

/// Sets the string style of this run.
pub(crate) fn set_hex_strings(mode: HexStrings) {
    HEX.store(mode as u8, std::sync::atomic::Ordering::Relaxed);
}

fn hex_strings() -> HexStrings {
    match HEX.load(std::sync::atomic::Ordering::Relaxed) {
        1 => HexStrings::NonAscii,
        2 => HexStrings::All,
        _ => HexStrings::Off,
    }
}

pub(crate) fn escape(bytes: &[u8], force_hex: bool) -> String {
    let plain =
        |b: u8| (0x20..=0x7e).contains(&b) || matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let force_hex = force_hex
        || match hex_strings() {
            HexStrings::Off => false,
            HexStrings::NonAscii => !bytes.iter().all(|&b| plain(b)),
            HexStrings::All => true,
        };
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for (i, &b) in bytes.iter().enumerate() {
        if force_hex {
            s.push_str(&format!("\\x{b:02x}"));
            continue;
        }
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x0b => s.push_str("\\v"),
            0x0c => s.push_str("\\f"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let next_is_octal = bytes.get(i + 1).is_some_and(|n| (b'0'..=b'7').contains(n));
                if next_is_octal {
                    s.push_str(&format!("\\{b:03o}"));
                } else {
                    s.push_str(&format!("\\{b:o}"));
                }
            }
        }
    }
    s.push('"');
    s
}

/// A buffer of `len` bytes at `addr`, printed up to `strsize` bytes, `...`
/// after the quote when cut; the address in hex when unreadable.
pub(crate) fn buffer(mem: Mem, addr: u64, len: usize, strsize: usize, force_hex: bool) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    let shown = len.min(strsize);
    match mem.bytes(addr, shown) {
        Some(b) => {
            let mut s = escape(&b, force_hex);
            if len > strsize {
                s.push_str("...");
            }
            s
        }
        None => format!("{addr:#x}"),
    }
}

/// A NUL-terminated string truncated at `strsize` (argv entries, names).
pub(crate) fn string(mem: Mem, addr: u64, strsize: usize) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match mem.cstr(addr, strsize + 1) {
        Some((b, complete)) => {
            if b.len() > strsize {
                format!("{}...", escape(&b[..strsize], false))
            } else if complete {
                escape(&b, false)
            } else {
                format!("{}...", escape(&b, false))
            }
        }
        None => format!("{addr:#x}"),
    }
}

/// A path (never truncated by `-s`, like strace; capped at PATH_MAX).
pub(crate) fn path(mem: Mem, addr: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    match mem.cstr(addr, 4096) {
        Some((b, true)) => escape(&b, false),
        Some((b, false)) => format!("{}...", escape(&b, false)),
        None => format!("{addr:#x}"),
    }
}

/// Read tracee memory with `process_vm_readv`; returns the bytes read
/// (fewer than asked at an unmapped page).
pub(crate) fn read_mem(pid: i32, addr: u64, buf: &mut [u8]) -> usize {
    if buf.is_empty() || addr == 0 {
        return 0;
    }
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` describes `buf`, which we own mutably for the call; the
    // remote iovec is only interpreted in the tracee's address space.
    let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    if n < 0 {
        0
    } else {
        n as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_strace() {
        assert_eq!(escape(b"hello\n", false), "\"hello\\n\"");
        assert_eq!(escape(b"\x7fELF\x02\x01", false), "\"\\177ELF\\2\\1\"");
        assert_eq!(escape(b"\x001", false), "\"\\0001\"");
        assert_eq!(escape(b"a\"b\\", false), "\"a\\\"b\\\\\"");
        assert_eq!(escape(b"\xff\x01", true), "\"\\xff\\x01\"");
    }

    #[test]
    fn reads_own_memory() {
        let mem = Mem::this_process();
        let data = b"some text that is longer than eight\0";
        let addr = data.as_ptr() as u64;
        assert_eq!(string(mem, addr, 4), "\"some\"...");
        assert_eq!(path(mem, addr), "\"some text that is longer than eight\"");
        assert_eq!(buffer(mem, addr, 9, 32, false), "\"some text\"");
        assert_eq!(buffer(mem, 0, 9, 32, false), "NULL");
        assert_eq!(string(mem, 8, 4), "0x8");
    }
}
