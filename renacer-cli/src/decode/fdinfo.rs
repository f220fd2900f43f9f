//! `-yy`: what an fd is beyond its path, as strace prints it — socket
//! endpoints (`TCP:[127.0.0.1:5000->127.0.0.1:41000]`, `UNIX-STREAM:[ino->
//! peer]`, `NETLINK:[ROUTE:1722]`) and device numbers (`/dev/null<char
//! 1:3>`). The protocol comes from the socket's `system.sockprotoname`
//! attribute; IP endpoints from the tracee's `/proc/PID/net/{tcp,udp}[6]`,
//! netlink ports from `/proc/PID/net/netlink`, a UNIX socket's peer and
//! name from `NETLINK_SOCK_DIAG` (`/proc/net/unix` has no peer) — the
//! sources strace uses, so a socket the kernel will not describe keeps
//! strace's `PROTO:[inode]`.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU8, Ordering};

/// What `-yy` / `--decode-fds=` adds: bit 0 sockets, bit 1 devices.
static DETAILS: AtomicU8 = AtomicU8::new(0);

/// `-yy` (`all`), `--decode-fds=socket`, `--decode-fds=dev`.
pub(crate) fn set_details(sockets: bool, devices: bool) {
    DETAILS.store(
        u8::from(sockets) | u8::from(devices) << 1,
        Ordering::Relaxed,
    );
}

/// The `-y` label of `fd` of `pid` (the `/proc/PID/fd/FD` link), with the
/// `-yy` details switched on.
pub(crate) fn label(pid: i32, fd: i32) -> Option<String> {
    let link = super::fd_path(pid, fd)?;
    let details = DETAILS.load(Ordering::Relaxed);
    if details & 1 != 0 {
        if let Some(inode) = link
            .strip_prefix("socket:[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<u64>().ok())
        {
            return Some(socket(pid, fd, inode).unwrap_or(link));
        }
    }
    if details & 2 != 0 && link.starts_with('/') {
        if let Some(dev) = device(&link) {
            return Some(format!("{link}<{dev}>"));
        }
    }
    Some(link)
}

/// `char 1:3` / `block 8:1` for a device node.
fn device(path: &str) -> Option<String> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let m = std::fs::metadata(path).ok()?;
    let kind = match m.file_type() {
        t if t.is_char_device() => "char",
        t if t.is_block_device() => "block",
        _ => return None,
    };
    let rdev = m.rdev();
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    Some(format!("{kind} {major}:{minor}"))
}

/// Described sockets by inode. strace answers from such a cache before it
/// asks the kernel, so a socket keeps the endpoints it was first described
/// with (a UNIX socket its peer after the peer closed); renacer does the
/// same to print the same. Bounded: cleared when full.
static SEEN: std::sync::Mutex<Option<std::collections::HashMap<u64, String>>> =
    std::sync::Mutex::new(None);
const SEEN_LIMIT: usize = 4096;

fn socket(pid: i32, fd: i32, inode: u64) -> Option<String> {
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let seen = seen.get_or_insert_with(Default::default);
    if let Some(s) = seen.get(&inode) {
        return Some(s.clone());
    }
    let proto = protocol_name(pid, fd)?;
    let detail = match proto.as_str() {
        "TCP" => inet(pid, "tcp", inode, false),
        "TCPv6" => inet(pid, "tcp6", inode, true),
        "UDP" => inet(pid, "udp", inode, false),
        "UDPv6" => inet(pid, "udp6", inode, true),
        p if p.starts_with("UNIX") => unix(inode),
        "NETLINK" => netlink(pid, inode),
        _ => None,
    };
    let Some(detail) = detail else {
        return Some(format!("{proto}:[{inode}]"));
    };
    let label = format!("{proto}:[{detail}]");
    if seen.len() >= SEEN_LIMIT {
        seen.clear();
    }
    seen.insert(inode, label.clone());
    Some(label)
}

/// `system.sockprotoname` of `/proc/PID/fd/FD`.
fn protocol_name(pid: i32, fd: i32) -> Option<String> {
    let path = std::ffi::CString::new(format!("/proc/{pid}/fd/{fd}")).ok()?;
    let mut buf = [0u8; 64];
    // SAFETY: both strings are NUL-terminated and `buf` is writable for
    // its length, which is what getxattr is told.
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            c"system.sockprotoname".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    let n = usize::try_from(n).ok()?;
    let name = buf[..n].split(|&b| b == 0).next()?;
    Some(String::from_utf8_lossy(name).into_owned())
}

/// `local[->remote]` of an IP socket from `/proc/PID/net/FILE`.
fn inet(pid: i32, file: &str, inode: u64, v6: bool) -> Option<String> {
    let table = std::fs::read_to_string(format!("/proc/{pid}/net/{file}")).ok()?;
    let want = inode.to_string();
    let row = table
        .lines()
        .skip(1)
        .find(|l| l.split_whitespace().nth(9) == Some(&want))?;
    let cols: Vec<&str> = row.split_whitespace().collect();
    let local = endpoint(cols[1], v6)?;
    let remote = endpoint(cols[2], v6)?;
    // An unconnected socket's remote is all zeros with port 0.
    let unconnected = cols[2].split(':').nth(1).is_some_and(|p| p == "0000");
    Some(match unconnected {
        true => local,
        false => format!("{local}->{remote}"),
    })
}

/// `0100007F:1F90` → `127.0.0.1:8080`; IPv6 as `[::1]:8080`. The address
/// is the kernel's words in host order, printed in hex.
fn endpoint(field: &str, v6: bool) -> Option<String> {
    let (addr, port) = field.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    for i in (0..addr.len()).step_by(8) {
        let word = u32::from_str_radix(addr.get(i..i + 8)?, 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    Some(match v6 {
        false => format!(
            "{}:{port}",
            Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?)
        ),
        true => format!(
            "[{}]:{port}",
            Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)
        ),
    })
}

/// `PROTO:portid` of a netlink socket, from `/proc/PID/net/netlink`.
fn netlink(pid: i32, inode: u64) -> Option<String> {
    let (proto, port) = netlink_row(pid, inode)?;
    let name = super::flags::NETLINK_PROTOCOLS
        .iter()
        .find(|(n, _)| *n == proto)
        .map_or_else(
            || proto.to_string(),
            |(_, s)| s.trim_start_matches("NETLINK_").to_string(),
        );
    Some(format!("{name}:{port}"))
}

/// (protocol, port id) of the netlink socket `inode` of `pid`.
fn netlink_row(pid: i32, inode: u64) -> Option<(u64, String)> {
    let table = std::fs::read_to_string(format!("/proc/{pid}/net/netlink")).ok()?;
    let want = inode.to_string();
    let row = table
        .lines()
        .skip(1)
        .find(|l| l.split_whitespace().last() == Some(&want))?;
    let cols: Vec<&str> = row.split_whitespace().collect();
    Some((cols.get(1)?.parse().ok()?, cols.get(2)?.to_string()))
}

/// The `NETLINK_*` protocol of `fd` of `pid` when it is a netlink socket
/// (its messages are then decoded), remembered per socket inode.
pub(crate) fn netlink_protocol(pid: i32, fd: i32) -> Option<u64> {
    static PROTOCOLS: std::sync::Mutex<Option<std::collections::HashMap<u64, Option<u64>>>> =
        std::sync::Mutex::new(None);
    let link = super::fd_path(pid, fd)?;
    let inode: u64 = link
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()?;
    let mut known = PROTOCOLS.lock().unwrap_or_else(|e| e.into_inner());
    let known = known.get_or_insert_with(Default::default);
    if let Some(&p) = known.get(&inode) {
        return p;
    }
    let proto = match protocol_name(pid, fd)?.as_str() {
        "NETLINK" => netlink_row(pid, inode).map(|(p, _)| p),
        _ => None,
    };
    if known.len() >= SEEN_LIMIT {
        known.clear();
    }
    known.insert(inode, proto);
    proto
}

/// `ino[->peer][,"path"]` of a UNIX socket, asked of `NETLINK_SOCK_DIAG`;
/// `None` for one with neither (nothing to remember).
fn unix(inode: u64) -> Option<String> {
    let (peer, name) = unix_diag(u32::try_from(inode).ok()?)?;
    let peer = peer.filter(|&p| p != 0);
    if peer.is_none() && name.is_none() {
        return None;
    }
    let mut s = inode.to_string();
    if let Some(p) = peer {
        s.push_str(&format!("->{p}"));
    }
    if let Some(n) = name {
        s.push_str(&format!(",{}", super::mem::escape(&n, false)));
    }
    Some(s)
}

/// One `SOCK_DIAG_BY_FAMILY` request for UNIX socket `inode`: its peer's
/// inode and bound name (an abstract name keeps its leading `@`).
fn unix_diag(inode: u32) -> Option<(Option<u32>, Option<Vec<u8>>)> {
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const UDIAG_SHOW_NAME: u32 = 1;
    const UDIAG_SHOW_PEER: u32 = 4;
    const UNIX_DIAG_NAME: u16 = 0;
    const UNIX_DIAG_PEER: u16 = 2;
    // nlmsghdr (16 bytes) + unix_diag_req (24 bytes).
    let mut req = [0u8; 40];
    req[0..4].copy_from_slice(&40u32.to_ne_bytes());
    req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req[6..8].copy_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    req[16] = libc::AF_UNIX as u8;
    req[20..24].copy_from_slice(&u32::MAX.to_ne_bytes()); // every state
    req[24..28].copy_from_slice(&inode.to_ne_bytes());
    req[28..32].copy_from_slice(&(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER).to_ne_bytes());
    req[32..40].copy_from_slice(&[0xff; 8]); // no cookie
                                             // SAFETY: socket(2) takes plain integers; the fd is closed below.
    let sock = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_SOCK_DIAG,
        )
    };
    if sock < 0 {
        return None;
    }
    let mut resp = [0u8; 8192];
    // SAFETY: `req` and `resp` are live buffers of the lengths passed;
    // `sock` is the socket just opened and closed right after.
    let n = unsafe {
        let sent = libc::send(sock, req.as_ptr().cast(), req.len(), 0);
        let n = match sent {
            40 => libc::recv(sock, resp.as_mut_ptr().cast(), resp.len(), 0),
            _ => -1,
        };
        libc::close(sock);
        n
    };
    let resp = &resp[..usize::try_from(n).ok()?];
    use renacer_format::le::u32_at;
    let u16_at = |o: usize| u16::from_ne_bytes([resp[o], resp[o + 1]]);
    // One reply: nlmsghdr, unix_diag_msg (16 bytes), then attributes.
    if resp.len() < 32 || u16_at(4) != SOCK_DIAG_BY_FAMILY || u32_at(resp, 20) != inode {
        return None;
    }
    let end = (u32_at(resp, 0) as usize).min(resp.len());
    let (mut peer, mut name) = (None, None);
    let mut off = 32;
    while off + 4 <= end {
        let len = u16_at(off) as usize;
        if len < 4 || off + len > end {
            break;
        }
        let body = &resp[off + 4..off + len];
        match u16_at(off + 2) {
            UNIX_DIAG_PEER if body.len() >= 4 => peer = Some(u32_at(body, 0)),
            UNIX_DIAG_NAME if !body.is_empty() => {
                let mut n = body.to_vec();
                if n[0] == 0 {
                    n[0] = b'@';
                } else if let Some(end) = n.iter().position(|&b| b == 0) {
                    // A path name comes with its terminator.
                    n.truncate(end);
                }
                name = Some(n);
            }
            _ => {}
        }
        off += (len + 3) & !3;
    }
    Some((peer, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_endpoints_read_as_strace_prints_them() {
        assert_eq!(
            endpoint("0100007F:1F90", false).as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            endpoint("00000000000000000000000001000000:0035", true).as_deref(),
            Some("[::1]:53")
        );
        assert_eq!(endpoint("zz:1", false), None);
    }

    #[test]
    fn a_socketpair_is_described_with_its_peer() {
        use std::os::fd::AsRawFd;
        set_details(true, true);
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let me = std::process::id() as i32;
        let ino = |fd: i32| {
            let l = super::super::fd_path(me, fd).unwrap();
            l.trim_start_matches("socket:[")
                .trim_end_matches(']')
                .to_string()
        };
        let (ia, ib) = (ino(a.as_raw_fd()), ino(b.as_raw_fd()));
        assert_eq!(
            label(me, a.as_raw_fd()).unwrap(),
            format!("UNIX-STREAM:[{ia}->{ib}]")
        );
        assert_eq!(label(me, -1), None);
        let null = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(label(me, null.as_raw_fd()).unwrap(), "/dev/null<char 1:3>");
    }
}
