//! Sockets, poll and epoll.

use super::H;
use crate::decode::flags::{self, enum_name, flags};
use crate::decode::structs;

/// A sockaddr whose length lives behind a `socklen_t *` (accept, getsockname).
fn sockaddr_out(h: &H, addr: u64, lenp: u64) -> (String, String) {
    if addr == 0 || h.ret.is_none() {
        // strace shows the length passed in, even when the call failed.
        return (h.ptr(addr), h.int_ref(lenp));
    }
    let len = h
        .mem()
        .read(lenp, 4)
        .map(|b| u64::from(renacer_format::le::u32_at(&b, 0)));
    match len {
        Some(l) => (structs::sockaddr(h.mem(), addr, l), h.len_change(l)),
        None => (h.ptr(addr), h.ptr(lenp)),
    }
}

/// `SOL_NETLINK` socket options.
const NETLINK_OPTS: &[(u64, &str)] = &[
    (1, "NETLINK_ADD_MEMBERSHIP"),
    (2, "NETLINK_DROP_MEMBERSHIP"),
    (3, "NETLINK_PKTINFO"),
    (4, "NETLINK_BROADCAST_ERROR"),
    (5, "NETLINK_NO_ENOBUFS"),
    (6, "NETLINK_RX_RING"),
    (7, "NETLINK_TX_RING"),
    (8, "NETLINK_LISTEN_ALL_NSID"),
    (9, "NETLINK_LIST_MEMBERSHIPS"),
    (10, "NETLINK_CAP_ACK"),
    (11, "NETLINK_EXT_ACK"),
    (12, "NETLINK_GET_STRICT_CHK"),
];

fn protocol(domain: u64, p: u64) -> String {
    match domain {
        2 | 10 => enum_name(p, flags::IPPROTO),
        16 => enum_name(p, flags::NETLINK_PROTOCOLS),
        _ => (p as i32).to_string(),
    }
}

const SOL: &[(u64, &str)] = &[
    (0, "SOL_IP"),
    (1, "SOL_SOCKET"),
    (6, "SOL_TCP"),
    (17, "SOL_UDP"),
    (41, "SOL_IPV6"),
    (270, "SOL_NETLINK"),
];
const SO: &[(u64, &str)] = &[
    (1, "SO_DEBUG"),
    (2, "SO_REUSEADDR"),
    (3, "SO_TYPE"),
    (4, "SO_ERROR"),
    (5, "SO_DONTROUTE"),
    (6, "SO_BROADCAST"),
    (7, "SO_SNDBUF"),
    (8, "SO_RCVBUF"),
    (9, "SO_KEEPALIVE"),
    (13, "SO_LINGER"),
    (15, "SO_REUSEPORT"),
    (16, "SO_PASSCRED"),
    (17, "SO_PEERCRED"),
    (20, "SO_RCVTIMEO"),
    (21, "SO_SNDTIMEO"),
];

/// The netlink protocol of socket `fd`, when it is one.
fn netlink_of(h: &H, fd: u64) -> Option<u64> {
    crate::decode::fdinfo::netlink_protocol(h.mem().pid, fd as i32)
}

/// The data of a `sendto` (`len` bytes) or a `recvfrom` (`len`: the
/// result): netlink messages on a netlink socket, else a byte string.
fn sock_data(h: &H, fd: u64, addr: u64, len: Option<i64>) -> String {
    let Some(len) = len.filter(|&n| n >= 0) else {
        return h.ptr(addr);
    };
    netlink_of(h, fd)
        .and_then(|proto| {
            crate::decode::netlink::messages(h.mem(), addr, len as u64, proto, h.ctx.strsize)
        })
        .unwrap_or_else(|| h.inbuf(addr, len as u64))
}

pub(super) fn decode(h: &H, name: &str, a: &[u64; 6]) -> Option<Vec<String>> {
    Some(match name {
        "socket" => vec![
            enum_name(a[0], flags::AF),
            flags::sock_type(a[1]),
            protocol(a[0], a[2]),
        ],
        "socketpair" => vec![
            enum_name(a[0], flags::AF),
            flags::sock_type(a[1]),
            protocol(a[0], a[2]),
            h.fd_pair(a[3]),
        ],
        "connect" | "bind" => {
            vec![
                h.fd(a[0]),
                structs::sockaddr(h.mem(), a[1], a[2]),
                h.uint(a[2]),
            ]
        }
        "accept" | "accept4" | "getsockname" | "getpeername" => {
            let (addr, len) = sockaddr_out(h, a[1], a[2]);
            let mut v = vec![h.fd(a[0]), addr, len];
            if name == "accept4" {
                v.push(flags(
                    a[3],
                    &[(0o4000, "SOCK_NONBLOCK"), (0o2000000, "SOCK_CLOEXEC")],
                    "0",
                ));
            }
            v
        }
        "listen" => vec![h.fd(a[0]), h.int(a[1])],
        "shutdown" => vec![h.fd(a[0]), enum_name(a[1], flags::SHUT)],
        "sendto" => vec![
            h.fd(a[0]),
            sock_data(h, a[0], a[1], Some(a[2] as i64)),
            h.uint(a[2]),
            flags(a[3], flags::MSG, "0"),
            structs::sockaddr(h.mem(), a[4], a[5]),
            h.uint(a[5]),
        ],
        "recvfrom" => {
            let (addr, len) = sockaddr_out(h, a[4], a[5]);
            vec![
                h.fd(a[0]),
                sock_data(h, a[0], a[1], h.ret),
                h.uint(a[2]),
                flags(a[3], flags::MSG, "0"),
                addr,
                len,
            ]
        }
        "sendmsg" => vec![
            h.fd(a[0]),
            h.inp(a[1], |m, p| {
                structs::msghdr(m, p, u64::MAX, None, h.ctx.strsize, netlink_of(h, a[0]))
            }),
            flags(a[2], flags::MSG, "0"),
        ],
        "recvmsg" => {
            let msg = match h.ret {
                Some(n) => structs::msghdr(
                    h.mem(),
                    a[1],
                    n as u64,
                    h.ctx.len_in,
                    h.ctx.strsize,
                    netlink_of(h, a[0]),
                ),
                None => h.ptr(a[1]),
            };
            vec![h.fd(a[0]), msg, flags(a[2], flags::MSG, "0")]
        }
        "setsockopt" | "getsockopt" => {
            let opt = match a[1] {
                1 => enum_name(a[2], SO),
                270 => enum_name(a[2], NETLINK_OPTS),
                _ => h.int(a[2]),
            };
            // An int-sized value prints as `[N]`, as strace prints the
            // int options; others stay an address.
            let (value, last) = if name == "getsockopt" {
                let len = h
                    .mem()
                    .read(a[4], 4)
                    .map(|b| renacer_format::le::u32_at(&b, 0));
                let value = match (h.ret, len) {
                    (Some(_), Some(4)) => h.int_ref(a[3]),
                    _ => h.ptr(a[3]),
                };
                let last = match (h.ret, len) {
                    (Some(_), Some(l)) => h.len_change(u64::from(l)),
                    _ => h.int_ref(a[4]),
                };
                (value, last)
            } else {
                let value = if a[4] == 4 {
                    h.int_ref(a[3])
                } else {
                    h.ptr(a[3])
                };
                (value, h.uint(a[4]))
            };
            vec![h.fd(a[0]), enum_name(a[1], SOL), opt, value, last]
        }
        "poll" => vec![
            structs::pollfds(h.mem(), a[0], a[1], false),
            h.uint(a[1]),
            h.int(a[2]),
        ],
        "ppoll" => vec![
            structs::pollfds(h.mem(), a[0], a[1], false),
            h.uint(a[1]),
            structs::timespec(h.mem(), a[2]),
            h.inp(a[3], |m, p| structs::sigset(m, p, a[4])),
            h.uint(a[4]),
        ],
        "epoll_create" => vec![h.int(a[0])],
        "epoll_create1" => vec![flags(a[0], &[(0o2000000, "EPOLL_CLOEXEC")], "0")],
        "epoll_ctl" => vec![
            h.fd(a[0]),
            enum_name(a[1], flags::EPOLL_CTL),
            h.fd(a[2]),
            // The kernel ignores the event of EPOLL_CTL_DEL: strace prints
            // its address, not whatever memory it points at.
            if a[1] == 2 {
                h.ptr(a[3])
            } else {
                h.inp(a[3], |m, p| {
                    let s = structs::epoll_events(m, p, 1);
                    s.trim_start_matches('[').trim_end_matches(']').to_string()
                })
            },
        ],
        "epoll_wait" | "epoll_pwait" => {
            let evs = match h.ret {
                Some(n) if n > 0 => structs::epoll_events(h.mem(), a[1], n as u64),
                Some(_) => "[]".into(),
                None => h.ptr(a[1]),
            };
            let mut v = vec![h.fd(a[0]), evs, h.int(a[2]), h.int(a[3])];
            if name == "epoll_pwait" {
                v.push(h.inp(a[4], |m, p| structs::sigset(m, p, a[5])));
                v.push(h.uint(a[5]));
            }
            v
        }
        "eventfd2" => vec![
            h.uint(a[0]),
            flags(
                a[1],
                &[
                    (0o2000000, "EFD_CLOEXEC"),
                    (0o4000, "EFD_NONBLOCK"),
                    (1, "EFD_SEMAPHORE"),
                ],
                "0",
            ),
        ],
        _ => return None,
    })
}
