//! The on-disk layout of a spool file: constants, the file header and the
//! record frame. Both the writer and the reader use these definitions, so the
//! two can only disagree across versions, which the header's version catches.
//!
//! ```text
//! file   := header frame*
//! header := magic[8] "RNCRSPL\0" | version u16 | header_len u16 | pid u32
//!         | clock_id u32 | flags u32 | created_monotonic_ns u64
//!         | created_unix_ns u64 | reserved u32 | crc32 u32      (48 bytes, LE)
//! frame  := tag u8 | len u32 | payload[len] | checksum(tag, len, payload) u32
//! ```

/// The first eight bytes of every spool file.
pub const MAGIC: [u8; 8] = *b"RNCRSPL\0";
/// The format version this build writes. Version 2 added the span flags
/// byte (async, unfinished); readers accept [`MIN_VERSION`]`..=VERSION`.
pub const VERSION: u16 = 2;
/// The oldest format version this build still reads.
pub const MIN_VERSION: u16 = 1;
/// `clock_id` of a file whose timestamps are `CLOCK_MONOTONIC` nanoseconds.
pub const CLOCK_MONOTONIC_ID: u32 = 1;
/// Largest payload a reader accepts; anything larger is taken for corruption
/// (a torn length field), so one bad byte cannot make the reader allocate GBs.
pub const MAX_RECORD_LEN: u32 = 16 << 20;

/// Bytes of the file header.
pub const HEADER_LEN: usize = 48;
/// Bytes of a frame around its payload: tag, length, CRC.
pub const FRAME_OVERHEAD: usize = 1 + 4 + 4;

/// Frame tag: define the next interned string (payload: its UTF-8 bytes).
pub const TAG_STRING: u8 = 1;
/// Frame tag: one completed span (payload: see `codec`).
pub const TAG_SPAN: u8 = 2;

/// What the header of a spool file says about its writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpoolHeader {
    /// The format version the file was written in.
    pub version: u16,
    /// The process that wrote the file.
    pub pid: u32,
    /// The clock of every timestamp in the file ([`CLOCK_MONOTONIC_ID`]).
    pub clock_id: u32,
    /// `CLOCK_MONOTONIC` and `CLOCK_REALTIME` read together when the file was
    /// created, so a reader can map the file's times to wall time.
    pub created_monotonic_ns: u64,
    /// `CLOCK_REALTIME` at the same moment.
    pub created_unix_ns: u64,
}

impl SpoolHeader {
    /// The 48 header bytes, checksum included.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..10].copy_from_slice(&self.version.to_le_bytes());
        b[10..12].copy_from_slice(&(HEADER_LEN as u16).to_le_bytes());
        b[12..16].copy_from_slice(&self.pid.to_le_bytes());
        b[16..20].copy_from_slice(&self.clock_id.to_le_bytes());
        // 20..24 flags, 40..44 reserved: zero in version 1.
        b[24..32].copy_from_slice(&self.created_monotonic_ns.to_le_bytes());
        b[32..40].copy_from_slice(&self.created_unix_ns.to_le_bytes());
        let crc = checksum(&b[..44]);
        b[44..48].copy_from_slice(&crc.to_le_bytes());
        b
    }
}

/// Why a header could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer bytes than a header: the writer died before its first flush.
    Truncated,
    /// Not a spool file.
    BadMagic,
    /// A format version this build does not read.
    UnsupportedVersion(u16),
    /// The header's CRC does not match.
    BadChecksum,
}

/// Decodes a header from the first bytes of a file.
pub fn decode_header(b: &[u8]) -> Result<SpoolHeader, HeaderError> {
    // Check magic and version on whatever is there first, so a file from a
    // different version gets the precise error even when it is short.
    if b.len() >= 8 && b[0..8] != MAGIC {
        return Err(HeaderError::BadMagic);
    }
    if b.len() >= 10 {
        let version = crate::le::u16_at(b, 8);
        if !(MIN_VERSION..=VERSION).contains(&version) {
            return Err(HeaderError::UnsupportedVersion(version));
        }
    }
    if b.len() < HEADER_LEN {
        return if MAGIC.starts_with(b) || b.len() >= 8 {
            Err(HeaderError::Truncated)
        } else {
            Err(HeaderError::BadMagic)
        };
    }
    let u32_at = |o: usize| crate::le::u32_at(b, o);
    let u64_at = |o: usize| crate::le::u64_at(b, o);
    if checksum(&b[..44]) != u32_at(44) {
        return Err(HeaderError::BadChecksum);
    }
    Ok(SpoolHeader {
        version: crate::le::u16_at(b, 8),
        pid: u32_at(12),
        clock_id: u32_at(16),
        created_monotonic_ns: u64_at(24),
        created_unix_ns: u64_at(32),
    })
}

/// Appends one frame (tag, length, payload, CRC) to `out`.
pub fn put_frame(out: &mut Vec<u8>, tag: u8, payload: &[u8]) {
    let start = out.len();
    out.push(tag);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = checksum(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// CRC-32 (IEEE) of `bytes`, the checksum of headers and frames.
pub fn checksum(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}
