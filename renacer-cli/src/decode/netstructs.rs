//! Socket addresses, `pollfd` and `epoll_event` arrays (split from
//! `structs`; re-exported there).

use super::flags::{self, flags};
use super::mem::{self, Mem};
use super::structs::{le_u16, le_u32, le_u64};

/// A socket address of `len` bytes.
pub(crate) fn sockaddr(m: Mem, addr: u64, len: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    let len = len.min(128) as usize;
    let Some(b) = m.read(addr, len.max(2)) else {
        return format!("{addr:#x}");
    };
    let fam = le_u16(&b, 0) as u64;
    let famname = flags::enum_name(fam, flags::AF);
    match fam {
        // An unnamed socket: no path at all.
        1 if len <= 2 => "{sa_family=AF_UNIX}".to_string(),
        1 => {
            let path = &b[2..len.max(2)];
            let body = if path.first() == Some(&0) && path.len() > 1 {
                format!("@{}", mem::escape(&path[1..], false))
            } else {
                let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
                mem::escape(&path[..end], false)
            };
            format!("{{sa_family=AF_UNIX, sun_path={body}}}")
        }
        2 if len >= 8 => {
            let port = u16::from_be_bytes([b[2], b[3]]);
            let ip = std::net::Ipv4Addr::new(b[4], b[5], b[6], b[7]);
            format!("{{sa_family=AF_INET, sin_port=htons({port}), sin_addr=inet_addr(\"{ip}\")}}")
        }
        10 if len >= 24 => {
            let port = u16::from_be_bytes([b[2], b[3]]);
            let flow = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[8..24]);
            let ip = std::net::Ipv6Addr::from(a);
            let scope = if len >= 28 { le_u32(&b, 24) } else { 0 };
            format!(
                "{{sa_family=AF_INET6, sin6_port=htons({port}), sin6_flowinfo=htonl({flow}), \
                 inet_pton(AF_INET6, \"{ip}\", &sin6_addr), sin6_scope_id={scope}}}"
            )
        }
        16 if len >= 12 => {
            // strace shows the padding only when a program left it dirty.
            let pad = match le_u16(&b, 2) {
                0 => String::new(),
                p => format!("nl_pad={p:#x}, "),
            };
            format!(
                "{{sa_family=AF_NETLINK, {pad}nl_pid={}, nl_groups={:08x}}}",
                le_u32(&b, 4),
                le_u32(&b, 8)
            )
        }
        _ => format!(
            "{{sa_family={famname}, sa_data={}}}",
            mem::escape(&b[2..], false)
        ),
    }
}

/// `pollfd` array; `revents` prints the results (`[{fd=3, revents=POLLIN}]`,
/// only entries with events) instead of the requests.
pub(crate) fn pollfds(m: Mem, addr: u64, n: u64, revents: bool) -> String {
    let n = n.min(256) as usize;
    let Some(b) = m.read(addr, n * 8) else {
        return format!("{addr:#x}");
    };
    let items: Vec<String> = (0..n)
        .filter_map(|i| {
            let fd = le_u32(&b, i * 8) as i32;
            let ev = le_u16(&b, i * 8 + 4) as u64;
            let rev = le_u16(&b, i * 8 + 6) as u64;
            if revents {
                (rev != 0).then(|| format!("{{fd={fd}, revents={}}}", flags(rev, flags::POLL, "0")))
            } else {
                Some(format!(
                    "{{fd={fd}, events={}}}",
                    flags(ev, flags::POLL, "0")
                ))
            }
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// `struct epoll_event` array (packed 12-byte layout on x86_64).
pub(crate) fn epoll_events(m: Mem, addr: u64, n: u64) -> String {
    let n = n.min(64) as usize;
    let size = 12;
    let Some(b) = m.read(addr, n * size) else {
        return format!("{addr:#x}");
    };
    let items: Vec<String> = (0..n)
        .map(|i| {
            let ev = le_u32(&b, i * size) as u64;
            let data = le_u64(&b, i * size + 4);
            format!(
                "{{events={}, data={{u32={}, u64={}}}}}",
                flags(ev, flags::EPOLL, "0"),
                data as u32,
                data
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// `struct msghdr` of sendmsg/recvmsg; `total` limits the iovec bytes
/// shown (the result of recvmsg, `u64::MAX` for sendmsg); `namelen_in`:
/// recvmsg's `msg_namelen` at entry, shown `110 => 16` when the kernel
/// changed it (no address at all, `=> 0`, leaves `msg_name` a pointer).
/// Control data is shown as its address and length (cmsg is not decoded).
pub(crate) fn msghdr(
    m: Mem,
    addr: u64,
    total: u64,
    namelen_in: Option<u32>,
    strsize: usize,
    netlink: Option<u64>,
) -> String {
    let Some(b) = m.read(addr, 56) else {
        return format!("{addr:#x}");
    };
    let name = le_u64(&b, 0);
    let namelen = le_u32(&b, 8) as u64;
    let iov = le_u64(&b, 16);
    let iovlen = le_u64(&b, 24);
    let control = le_u64(&b, 32);
    let controllen = le_u64(&b, 40);
    let fl = le_u32(&b, 48) as u64;
    // As strace: the data is read as netlink messages only when the
    // message is addressed with a netlink sockaddr.
    let family = match (name, namelen) {
        (0, _) | (_, 0) => None,
        _ => m.read(name, 2).map(|f| le_u16(&f, 0)),
    };
    let netlink = netlink.filter(|_| family == Some(libc::AF_NETLINK as u16));
    let name_s = match name {
        0 => "NULL".to_string(),
        _ if namelen == 0 => format!("{name:#x}"),
        _ => sockaddr(m, name, namelen.min(namelen_in.map_or(u64::MAX, u64::from))),
    };
    let namelen = match namelen_in {
        Some(i) if u64::from(i) != namelen => format!("{i} => {namelen}"),
        _ => namelen.to_string(),
    };
    let control_s = if controllen > 0 {
        format!("msg_control={control:#x}, ")
    } else {
        String::new()
    };
    format!(
        "{{msg_name={name_s}, msg_namelen={namelen}, msg_iov={}, msg_iovlen={iovlen}, \
         {control_s}msg_controllen={controllen}, msg_flags={}}}",
        super::structs::iovec_with(m, iov, iovlen, total, &|base, n| {
            netlink
                .and_then(|proto| super::netlink::messages(m, base, n as u64, proto, strsize))
                .unwrap_or_else(|| super::mem::buffer(m, base, n, strsize, false))
        }),
        flags(fl, flags::MSG, "0")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddrs_from_memory() {
        let mut inet = [0u8; 16];
        inet[0] = 2;
        inet[2..4].copy_from_slice(&80u16.to_be_bytes());
        inet[4..8].copy_from_slice(&[127, 0, 0, 1]);
        assert_eq!(
            sockaddr(Mem::this_process(), inet.as_ptr() as u64, 16),
            "{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"127.0.0.1\")}"
        );
        let mut un = [0u8; 110];
        un[0] = 1;
        un[2..6].copy_from_slice(b"/tmp");
        assert_eq!(
            sockaddr(Mem::this_process(), un.as_ptr() as u64, 110),
            "{sa_family=AF_UNIX, sun_path=\"/tmp\"}"
        );
        let mut six = [0u8; 28];
        six[0] = 10;
        six[23] = 1;
        assert!(sockaddr(Mem::this_process(), six.as_ptr() as u64, 28).contains("\"::1\""));
    }
}
