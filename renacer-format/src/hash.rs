//! The one 64-bit mixing function and the one hasher for id-keyed maps,
//! shared by the SDK (per-thread id and sampling seeds, per-site countdown
//! maps) and the trace crate (span-id and pid maps of the merge).

use std::hash::Hasher;

/// SplitMix64's finalizer: a bijection on `u64` that spreads every input
/// bit over the output, so distinct inputs give distinct, well-mixed values.
pub const fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hasher for maps keyed by ids, pids or addresses: one [`splitmix64`] at
/// `finish` instead of SipHash (the keys come from our own inputs, not
/// from an attacker, and are mostly distinct already).
#[derive(Default, Clone, Copy, Debug)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        splitmix64(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)) ^ (self.0 >> 56);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
    fn write_u32(&mut self, v: u32) {
        self.0 ^= u64::from(v);
    }
    fn write_usize(&mut self, v: usize) {
        self.0 ^= v as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::{BuildHasher, BuildHasherDefault};

    #[test]
    fn splitmix_matches_the_reference_and_is_a_bijection_on_a_sample() {
        // SplitMix64 seeded with 0: its first output is mix(0x9e3779b97f4a7c15).
        assert_eq!(splitmix64(0x9e37_79b9_7f4a_7c15), 0xe220_a839_7b1d_cdaf);
        let outs: HashSet<u64> = (0..10_000u64).map(splitmix64).collect();
        assert_eq!(outs.len(), 10_000);
    }

    #[test]
    fn sequential_ids_spread_over_buckets() {
        let b = BuildHasherDefault::<IdHasher>::default();
        let low_bits: HashSet<u64> = (0..1024u64).map(|i| b.hash_one(i) & 0x3ff).collect();
        assert!(low_bits.len() > 600, "{}", low_bits.len());
    }
}
