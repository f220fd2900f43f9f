//! `-e read=SET` / `-e write=SET`: the whole data a call read from or
//! wrote to a listed descriptor, dumped after its line in strace's layout
//! (` | 00000  68 69 0a ...  hi.  |`; ` * N bytes in buffer I` before each
//! buffer of a vector call). Native 64-bit layouts only, like the iovec
//! and msghdr decoders this follows.

use super::Mem;
use renacer_format::le::u64_at;

/// Bytes dumped per call at most: a 1 GiB `read` is not copied whole.
const MAX_DUMP: usize = 1 << 20;

/// The dump lines (each starting with `\n`) for call `name` on a
/// descriptor whose reads (`reads`) or writes (`writes`) are dumped, or
/// `None` when the call moves no such data or failed.
pub(crate) fn io_dump(
    mem: Mem,
    name: &str,
    args: &[u64; 6],
    rval: i64,
    (reads, writes): (bool, bool),
) -> Option<String> {
    if rval < 0 {
        return None;
    }
    let got = rval as u64;
    let mut out = String::new();
    if writes {
        match name {
            "write" | "pwrite64" | "send" | "sendto" | "mq_timedsend" => {
                buffer(&mut out, mem, args[1], args[2])
            }
            "writev" | "pwritev" | "pwritev2" | "vmsplice" => {
                iovecs(&mut out, mem, args[1], args[2], u64::MAX)
            }
            "sendmsg" => msg_iov(&mut out, mem, args[1], u64::MAX),
            _ => {}
        }
    }
    if reads {
        match name {
            "read" | "pread64" | "recv" | "recvfrom" | "mq_timedreceive" => {
                buffer(&mut out, mem, args[1], got)
            }
            "readv" | "preadv" | "preadv2" => iovecs(&mut out, mem, args[1], args[2], got),
            "recvmsg" => msg_iov(&mut out, mem, args[1], got),
            _ => {}
        }
    }
    (!out.is_empty()).then_some(out)
}

fn buffer(out: &mut String, mem: Mem, addr: u64, len: u64) {
    let len = (len as usize).min(MAX_DUMP);
    if let Some(data) = mem.read(addr, len) {
        hexdump(out, &data);
    }
}

/// Each buffer of an iovec array, `total` bytes in all at most.
fn iovecs(out: &mut String, mem: Mem, addr: u64, count: u64, mut total: u64) {
    let n = count.min(1024) as usize;
    let Some(b) = mem.read(addr, n * 16) else {
        return;
    };
    for i in 0..n {
        if total == 0 {
            break;
        }
        let len = u64_at(&b, i * 16 + 8).min(total);
        total -= len;
        out.push_str(&format!("\n * {len} bytes in buffer {i}"));
        buffer(out, mem, u64_at(&b, i * 16), len);
    }
}

fn msg_iov(out: &mut String, mem: Mem, msghdr: u64, total: u64) {
    // msg_iov and msg_iovlen, the third and fourth words.
    if let Some(b) = mem.read(msghdr, 32) {
        iovecs(out, mem, u64_at(&b, 16), u64_at(&b, 24), total);
    }
}

/// strace's `dumpstr`: 16 bytes a line, a gap after the eighth, printable
/// ASCII on the right and `.` for the rest.
pub(crate) fn hexdump(out: &mut String, data: &[u8]) {
    for (n, chunk) in data.chunks(16).enumerate() {
        out.push_str(&format!("\n | {:05x}  ", n * 16));
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => out.push_str(&format!("{b:02x} ")),
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push(' ');
        for i in 0..16 {
            out.push(match chunk.get(i) {
                Some(&b) if (0x20..0x7f).contains(&b) => b as char,
                Some(_) => '.',
                None => ' ',
            });
        }
        out.push_str(" |");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hexdump_matches_straces_layout() {
        let mut s = String::new();
        hexdump(
            &mut s,
            b"hello world, this is a longer line of data!\n\x01\x02",
        );
        let want = "
 | 00000  68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  hello world, thi |
 | 00010  73 20 69 73 20 61 20 6c  6f 6e 67 65 72 20 6c 69  s is a longer li |
 | 00020  6e 65 20 6f 66 20 64 61  74 61 21 0a 01 02        ne of data!...   |";
        assert_eq!(s, want);
    }
}
