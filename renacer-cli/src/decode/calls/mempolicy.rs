//! NUMA memory policy: `set_mempolicy`, `get_mempolicy`, `mbind`,
//! `migrate_pages`, `set_mempolicy_home_node` — modes, mode flags and node
//! masks as strace prints them.

use super::H;
use crate::decode::flags::{enum_or_unknown, flags_or_unknown, styled};
use crate::decode::mem::Mem;

const MPOL_MODES: &[(u64, &str)] = &[
    (0, "MPOL_DEFAULT"),
    (1, "MPOL_PREFERRED"),
    (2, "MPOL_BIND"),
    (3, "MPOL_INTERLEAVE"),
    (4, "MPOL_LOCAL"),
    (5, "MPOL_PREFERRED_MANY"),
    (6, "MPOL_WEIGHTED_INTERLEAVE"),
];

const MPOL_MODE_FLAGS: &[(u64, &str)] = &[
    (0x8000, "MPOL_F_STATIC_NODES"),
    (0x4000, "MPOL_F_RELATIVE_NODES"),
    (0x2000, "MPOL_F_NUMA_BALANCING"),
];

const MBIND_FLAGS: &[(u64, &str)] = &[
    (1, "MPOL_MF_STRICT"),
    (2, "MPOL_MF_MOVE"),
    (4, "MPOL_MF_MOVE_ALL"),
];

const GET_MEMPOLICY_FLAGS: &[(u64, &str)] = &[
    (1, "MPOL_F_NODE"),
    (2, "MPOL_F_ADDR"),
    (4, "MPOL_F_MEMS_ALLOWED"),
];

const UNKNOWN: &str = "MPOL_???";

pub(super) fn decode(h: &H, name: &str, a: &[u64; 6]) -> Option<Vec<String>> {
    Some(match name {
        "set_mempolicy" => vec![
            mode(a[0] as u32 as u64),
            nodemask(h.mem(), a[1], a[2]),
            h.uint(a[2]),
        ],
        "get_mempolicy" => vec![
            // The mode is an output: `[MPOL_BIND]` once the call succeeded.
            match h.ret {
                Some(_) if a[0] != 0 => match h.mem().read(a[0], 4) {
                    Some(b) => format!(
                        "[{}]",
                        enum_or_unknown(
                            u64::from(renacer_format::le::u32_at(&b, 0)),
                            MPOL_MODES,
                            UNKNOWN
                        )
                    ),
                    None => h.ptr(a[0]),
                },
                _ => h.ptr(a[0]),
            },
            if h.ret.is_some() {
                nodemask(h.mem(), a[1], a[2])
            } else {
                h.ptr(a[1])
            },
            h.uint(a[2]),
            h.ptr(a[3]),
            flags_or_unknown(a[4], GET_MEMPOLICY_FLAGS, "0", UNKNOWN),
        ],
        "mbind" => vec![
            h.ptr(a[0]),
            h.uint(a[1]),
            mode(a[2]),
            nodemask(h.mem(), a[3], a[4]),
            h.uint(a[4]),
            flags_or_unknown(a[5], MBIND_FLAGS, "0", UNKNOWN),
        ],
        "migrate_pages" => vec![
            h.pid(a[0]),
            h.uint(a[1]),
            nodemask(h.mem(), a[2], a[1]),
            nodemask(h.mem(), a[3], a[1]),
        ],
        "set_mempolicy_home_node" => vec![
            h.ptr(a[0]),
            h.uint(a[1]),
            h.uint(a[2]),
            if a[3] == 0 {
                "0".into()
            } else {
                format!("{:#x}", a[3])
            },
        ],
        _ => return None,
    })
}

/// A policy mode with its flags: `MPOL_BIND|MPOL_F_STATIC_NODES`; an
/// unknown mode falls back to the flags with the rest in hex.
fn mode(v: u64) -> String {
    let flag_bits = MPOL_MODE_FLAGS.iter().fold(0, |m, &(b, _)| m | b);
    let (base, fl) = (v & !flag_bits, v & flag_bits);
    if fl == 0 {
        return enum_or_unknown(base, MPOL_MODES, UNKNOWN);
    }
    match MPOL_MODES.iter().find(|&&(x, _)| x == base) {
        // The flags are named whatever -X says; only the number of the
        // whole word comes and goes with it.
        Some(&(_, name)) => styled(format!("{v:#x}"), format!("{name}|{}", flag_names(fl))),
        None => flags_or_unknown(v, MPOL_MODE_FLAGS, "0", UNKNOWN),
    }
}

fn flag_names(fl: u64) -> String {
    MPOL_MODE_FLAGS
        .iter()
        .filter(|&&(b, _)| fl & b == b)
        .map(|&(_, n)| n)
        .collect::<Vec<_>>()
        .join("|")
}

/// A node mask of `maxnode` bits: `[0x00000000000001, 0000000000000000]`.
/// The kernel reads `maxnode - 1` bits, hence strace's word count; a mask
/// that would need a partial word is printed as its address.
fn nodemask(m: Mem, addr: u64, maxnode: u64) -> String {
    if addr == 0 {
        return "NULL".into();
    }
    let words = maxnode.saturating_add(62) / 64;
    if words < maxnode / 64 || (maxnode != 0 && words == 0) {
        return format!("{addr:#x}");
    }
    const SHOWN: u64 = 32;
    let Some(b) = m.read(addr, (words.min(SHOWN) * 8) as usize) else {
        return format!("{addr:#x}");
    };
    let mut items: Vec<String> = b
        .chunks_exact(8)
        .map(|c| node_word(u64::from_le_bytes(c.try_into().expect("8-byte chunk"))))
        .collect();
    if words > SHOWN {
        items.push("...".into());
    }
    format!("[{}]", items.join(", "))
}

/// One mask word as C's `%#016lx` prints it: the `0x` counts in the
/// width, and zero gets no prefix.
fn node_word(v: u64) -> String {
    if v == 0 {
        "0".repeat(16)
    } else {
        format!("{v:#016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_words_pad_like_c() {
        assert_eq!(node_word(1), "0x00000000000001");
        assert_eq!(node_word(0), "0000000000000000");
        assert_eq!(node_word(0xdead_beef_cafe_1234), "0xdeadbeefcafe1234");
    }

    #[test]
    fn modes_and_flags() {
        assert_eq!(mode(0), "MPOL_DEFAULT");
        assert_eq!(mode(0x63), "0x63 /* MPOL_??? */");
        assert_eq!(mode(0x8002), "MPOL_BIND|MPOL_F_STATIC_NODES");
        assert_eq!(
            mode(0xc003),
            "MPOL_INTERLEAVE|MPOL_F_STATIC_NODES|MPOL_F_RELATIVE_NODES"
        );
        assert_eq!(mode(0x8063), "MPOL_F_STATIC_NODES|0x63");
    }
}
