//! Netlink messages in the buffers of `sendto`/`recvfrom`/`sendmsg`/
//! `recvmsg` on a netlink socket, as strace prints them: each `nlmsghdr`
//! decoded (length, type by protocol, flags by kind of request, sequence,
//! port id), `NLMSG_ERROR`'s `{error=..., msg=...}` with the message it
//! answers, `NLMSG_DONE`'s status. Family payloads (route's `ifinfomsg` and
//! attributes, sock_diag's records, ...) stay hex strings: strace decodes
//! those too, renacer does not yet.

use super::mem::{escape, Mem};
use renacer_format::le;

const NETLINK_ROUTE: u64 = 0;
const NETLINK_SOCK_DIAG: u64 = 4;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
/// First family-specific message type.
const NLMSG_MIN_TYPE: u16 = 16;
/// strace prints at most this many messages of one buffer, then `...`.
const MAX_MESSAGES: usize = 32;
const HDR: usize = 16;

const GENERIC_TYPES: &[(u64, &str)] = &[
    (1, "NLMSG_NOOP"),
    (2, "NLMSG_ERROR"),
    (3, "NLMSG_DONE"),
    (4, "NLMSG_OVERRUN"),
];

/// `RTM_*`, from `RTM_NEWLINK` (16) on; index = type - 16.
const RTM: &[&str] = &[
    "RTM_NEWLINK",
    "RTM_DELLINK",
    "RTM_GETLINK",
    "RTM_SETLINK",
    "RTM_NEWADDR",
    "RTM_DELADDR",
    "RTM_GETADDR",
    "",
    "RTM_NEWROUTE",
    "RTM_DELROUTE",
    "RTM_GETROUTE",
    "",
    "RTM_NEWNEIGH",
    "RTM_DELNEIGH",
    "RTM_GETNEIGH",
    "",
    "RTM_NEWRULE",
    "RTM_DELRULE",
    "RTM_GETRULE",
    "",
    "RTM_NEWQDISC",
    "RTM_DELQDISC",
    "RTM_GETQDISC",
    "",
    "RTM_NEWTCLASS",
    "RTM_DELTCLASS",
    "RTM_GETTCLASS",
    "",
    "RTM_NEWTFILTER",
    "RTM_DELTFILTER",
    "RTM_GETTFILTER",
    "",
    "RTM_NEWACTION",
    "RTM_DELACTION",
    "RTM_GETACTION",
    "",
    "RTM_NEWPREFIX",
    "",
    "",
    "",
    "",
    "",
    "RTM_GETMULTICAST",
    "",
    "",
    "",
    "RTM_GETANYCAST",
    "",
    "RTM_NEWNEIGHTBL",
    "",
    "RTM_GETNEIGHTBL",
    "RTM_SETNEIGHTBL",
    "RTM_NEWNDUSEROPT",
    "",
    "",
    "",
    "RTM_NEWADDRLABEL",
    "RTM_DELADDRLABEL",
    "RTM_GETADDRLABEL",
    "",
    "",
    "",
    "RTM_GETDCB",
    "RTM_SETDCB",
    "RTM_NEWNETCONF",
    "RTM_DELNETCONF",
    "RTM_GETNETCONF",
    "",
    "RTM_NEWMDB",
    "RTM_DELMDB",
    "RTM_GETMDB",
    "",
    "RTM_NEWNSID",
    "RTM_DELNSID",
    "RTM_GETNSID",
    "",
    "RTM_NEWSTATS",
    "",
    "RTM_GETSTATS",
    "RTM_SETSTATS",
    "RTM_NEWCACHEREPORT",
    "",
    "",
    "",
    "RTM_NEWCHAIN",
    "RTM_DELCHAIN",
    "RTM_GETCHAIN",
    "",
    "RTM_NEWNEXTHOP",
    "RTM_DELNEXTHOP",
    "RTM_GETNEXTHOP",
    "",
    "RTM_NEWLINKPROP",
    "RTM_DELLINKPROP",
    "",
    "",
    "RTM_NEWVLAN",
    "RTM_DELVLAN",
    "RTM_GETVLAN",
    "",
    "RTM_NEWNEXTHOPBUCKET",
    "RTM_DELNEXTHOPBUCKET",
    "RTM_GETNEXTHOPBUCKET",
    "",
    "RTM_NEWTUNNEL",
    "RTM_DELTUNNEL",
    "RTM_GETTUNNEL",
    "",
];

const BASE_FLAGS: &[(u64, &str)] = &[
    (0x01, "NLM_F_REQUEST"),
    (0x02, "NLM_F_MULTI"),
    (0x04, "NLM_F_ACK"),
    (0x08, "NLM_F_ECHO"),
    (0x10, "NLM_F_DUMP_INTR"),
    (0x20, "NLM_F_DUMP_FILTERED"),
];
const GET_FLAGS: &[(u64, &str)] = &[
    (0x300, "NLM_F_DUMP"),
    (0x100, "NLM_F_ROOT"),
    (0x200, "NLM_F_MATCH"),
    (0x400, "NLM_F_ATOMIC"),
];
const NEW_FLAGS: &[(u64, &str)] = &[
    (0x100, "NLM_F_REPLACE"),
    (0x200, "NLM_F_EXCL"),
    (0x400, "NLM_F_CREATE"),
    (0x800, "NLM_F_APPEND"),
];
const DEL_FLAGS: &[(u64, &str)] = &[(0x100, "NLM_F_NONREC"), (0x200, "NLM_F_BULK")];
const ERROR_FLAGS: &[(u64, &str)] = &[(0x100, "NLM_F_CAPPED"), (0x200, "NLM_F_ACK_TLVS")];

/// The messages in `len` bytes at `addr` of a socket of netlink protocol
/// `proto`; `None` (print the plain buffer) when the bytes are unreadable
/// or shorter than one header.
pub(crate) fn messages(m: Mem, addr: u64, len: u64, proto: u64, strsize: usize) -> Option<String> {
    if len < HDR as u64 {
        return None;
    }
    let b = m.read(addr, len.min(1 << 20) as usize)?;
    Some(list(&b, proto, strsize))
}

/// One message alone, several as a list (`[msg, msg, ...]`).
fn list(b: &[u8], proto: u64, strsize: usize) -> String {
    let mut items = Vec::new();
    let mut off = 0;
    while off + HDR <= b.len() {
        if items.len() == MAX_MESSAGES {
            items.push("...".to_string());
            break;
        }
        let n = le::u32_at(b, off) as usize;
        let end = if n < HDR {
            b.len()
        } else {
            (off + n).min(b.len())
        };
        items.push(message(&b[off..end], proto, strsize));
        // Messages are 4-byte aligned; a bad length ends the walk.
        if n < HDR {
            break;
        }
        off += n.next_multiple_of(4);
    }
    if off < b.len() && off + HDR > b.len() && !items.is_empty() {
        items.push(hex(&b[off..], strsize));
    }
    match items.len() {
        1 => items.remove(0),
        _ => format!("[{}]", items.join(", ")),
    }
}

/// `{header}` or `[{header}, payload]`.
fn message(b: &[u8], proto: u64, strsize: usize) -> String {
    let ty = le::u16_at(b, 4);
    let fl = u64::from(le::u16_at(b, 6));
    let hdr = format!(
        "{{nlmsg_len={}, nlmsg_type={}, nlmsg_flags={}, nlmsg_seq={}, nlmsg_pid={}}}",
        le::u32_at(b, 0),
        type_name(ty, proto),
        flag_names(fl, ty, proto),
        le::u32_at(b, 8),
        le::i32_at(b, 12)
    );
    let payload = &b[HDR..];
    if payload.is_empty() {
        return hdr;
    }
    let body = match ty {
        NLMSG_ERROR if payload.len() >= 4 => error(payload, proto, strsize),
        NLMSG_DONE if payload.len() >= 4 => le::i32_at(payload, 0).to_string(),
        _ => hex(payload, strsize),
    };
    format!("[{hdr}, {body}]")
}

/// `{error=-EPERM, msg=...}`: the errno and the start of the request it
/// answers (its header alone when the kernel capped it).
fn error(p: &[u8], proto: u64, strsize: usize) -> String {
    let e = le::i32_at(p, 0);
    let err = match e {
        0 => "0".to_string(),
        e if e < 0 => format!("-{}", super::ret::errno_name(-e)),
        e => e.to_string(),
    };
    let req = &p[4..];
    if req.len() < HDR {
        return format!("{{error={err}}}");
    }
    let n = (le::u32_at(req, 0) as usize).clamp(HDR, req.len());
    let msg = message(&req[..n], proto, strsize);
    let rest = &req[n..];
    match rest.is_empty() {
        true => format!("{{error={err}, msg={msg}}}"),
        false => format!("[{{error={err}, msg={msg}}}, {}]", hex(rest, strsize)),
    }
}

fn type_name(ty: u16, proto: u64) -> String {
    let v = u64::from(ty);
    if ty < NLMSG_MIN_TYPE {
        return super::flags::enum_or_unknown(v, GENERIC_TYPES, "NLMSG_???");
    }
    let known = match proto {
        NETLINK_ROUTE => RTM
            .get(usize::from(ty - NLMSG_MIN_TYPE))
            .filter(|n| !n.is_empty())
            .copied(),
        NETLINK_SOCK_DIAG => match ty {
            20 => Some("SOCK_DIAG_BY_FAMILY"),
            21 => Some("SOCK_DESTROY"),
            _ => None,
        },
        _ => None,
    };
    match known {
        Some(n) => super::flags::styled(format!("{v:#x}"), n.to_string()),
        None if proto == NETLINK_ROUTE && usize::from(ty - NLMSG_MIN_TYPE) < RTM.len() => {
            super::flags::unknown(v, "RTM_???")
        }
        None => super::flags::unknown(v, "NLMSG_???"),
    }
}

/// The flags, with the meaning of the high byte chosen by the kind of
/// message: get, new or delete request, or an error/ack.
fn flag_names(fl: u64, ty: u16, proto: u64) -> String {
    let request = match (proto, ty) {
        (_, NLMSG_ERROR) => Some(ERROR_FLAGS),
        (NETLINK_ROUTE, t) if t >= NLMSG_MIN_TYPE => Some(match (t - NLMSG_MIN_TYPE) % 4 {
            0 => NEW_FLAGS,
            1 => DEL_FLAGS,
            _ => GET_FLAGS,
        }),
        (NETLINK_SOCK_DIAG, 20) => Some(GET_FLAGS),
        _ => None,
    };
    let table: Vec<(u64, &str)> = BASE_FLAGS
        .iter()
        .chain(request.unwrap_or(&[]))
        .copied()
        .collect();
    super::flags::flags(fl, &table, "0")
}

fn hex(b: &[u8], strsize: usize) -> String {
    let mut s = escape(&b[..b.len().min(strsize)], true);
    if b.len() > strsize {
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(len: u32, ty: u16, flags: u16, seq: u32, pid: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&len.to_le_bytes());
        v.extend_from_slice(&ty.to_le_bytes());
        v.extend_from_slice(&flags.to_le_bytes());
        v.extend_from_slice(&seq.to_le_bytes());
        v.extend_from_slice(&pid.to_le_bytes());
        v
    }

    #[test]
    fn headers_payloads_and_acks_print_as_strace() {
        let done = hdr(16, 3, 1, 5, 0);
        assert_eq!(
            list(&done, 0, 32),
            "{nlmsg_len=16, nlmsg_type=NLMSG_DONE, nlmsg_flags=NLM_F_REQUEST, nlmsg_seq=5, nlmsg_pid=0}"
        );
        let mut two = done.clone();
        two.extend(hdr(20, 0x12, 0x301, 6, 0));
        two.extend_from_slice(b"\x03\x01\x00\x00");
        assert_eq!(
            list(&two, 0, 32),
            "[{nlmsg_len=16, nlmsg_type=NLMSG_DONE, nlmsg_flags=NLM_F_REQUEST, nlmsg_seq=5, nlmsg_pid=0}, \
             [{nlmsg_len=20, nlmsg_type=RTM_GETLINK, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP, nlmsg_seq=6, nlmsg_pid=0}, \"\\x03\\x01\\x00\\x00\"]]"
        );
        let mut ack = hdr(36, 2, 0x100, 6, 7263);
        ack.extend_from_slice(&0i32.to_le_bytes());
        ack.extend(hdr(16, 1, 5, 6, 0));
        assert_eq!(
            list(&ack, 0, 32),
            "[{nlmsg_len=36, nlmsg_type=NLMSG_ERROR, nlmsg_flags=NLM_F_CAPPED, nlmsg_seq=6, nlmsg_pid=7263}, \
             {error=0, msg={nlmsg_len=16, nlmsg_type=NLMSG_NOOP, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=6, nlmsg_pid=0}}]"
        );
        let unknown = hdr(16, 0x10, 0x301, 7, 0);
        assert_eq!(
            list(&unknown, 16, 32),
            "{nlmsg_len=16, nlmsg_type=0x10 /* NLMSG_??? */, nlmsg_flags=NLM_F_REQUEST|0x300, nlmsg_seq=7, nlmsg_pid=0}"
        );
    }
}
