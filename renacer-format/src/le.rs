//! The one little-endian reader: fixed-width integers at a byte offset, for
//! the spool's header and frames and the CLI's decoding of tracee structs
//! (x86_64 and aarch64 are little-endian). Panics if `b` is shorter than
//! `off + width`: callers read buffers whose length they checked.

/// `u16` at `off`.
pub fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

/// `u32` at `off`.
pub fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// `i32` at `off`.
pub fn i32_at(b: &[u8], off: usize) -> i32 {
    u32_at(b, off) as i32
}

/// `u64` at `off`.
pub fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

/// `i64` at `off`.
pub fn i64_at(b: &[u8], off: usize) -> i64 {
    u64_at(b, off) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_at_offsets() {
        let b = [0xff, 1, 2, 3, 4, 5, 6, 7, 8, 0xff];
        assert_eq!(u16_at(&b, 1), 0x0201);
        assert_eq!(u32_at(&b, 1), 0x0403_0201);
        assert_eq!(u64_at(&b, 1), 0x0807_0605_0403_0201);
        assert_eq!(i32_at(&[0xff; 4], 0), -1);
        assert_eq!(
            i64_at(&[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0),
            -2
        );
    }
}
