//! CUPTI activity records, decoded from the bytes of one record.
//!
//! Layouts are cudarc's `cupti::sys` structs (CUDA 12.8 headers): each field
//! is read at `offset_of!(Struct, field)` as the primitive it is, never by
//! reading a whole struct (several fields are enums, and bytes a newer or
//! broken CUPTI wrote there must not become an invalid enum value). CUPTI
//! 12.x writes `CUpti_ActivityKernel9`, `CUpti_ActivityMemcpy5` and
//! `CUpti_ActivityMemset4`; CUDA 13's later versions only append fields, so
//! their prefix reads the same. A record shorter than its layout (the end of
//! a truncated buffer) is refused, not read past.

use std::ffi::CStr;
use std::mem::{offset_of, size_of};

use cudarc::cupti::sys::{
    CUpti_ActivityAPI as Api, CUpti_ActivityExternalCorrelation as ExtCorr,
    CUpti_ActivityKernel9 as Kernel9, CUpti_ActivityKind, CUpti_ActivityMemcpy5 as Memcpy5,
    CUpti_ActivityMemset4 as Memset4,
};
use renacer_format::le::{i32_at, u16_at, u32_at, u64_at};

/// `CUPTI_ACTIVITY_KIND_*` values renacer reads.
pub(crate) mod kind {
    use super::CUpti_ActivityKind as K;
    pub(crate) const MEMCPY: u32 = K::CUPTI_ACTIVITY_KIND_MEMCPY as u32;
    pub(crate) const MEMSET: u32 = K::CUPTI_ACTIVITY_KIND_MEMSET as u32;
    pub(crate) const KERNEL: u32 = K::CUPTI_ACTIVITY_KIND_KERNEL as u32;
    pub(crate) const DRIVER: u32 = K::CUPTI_ACTIVITY_KIND_DRIVER as u32;
    pub(crate) const RUNTIME: u32 = K::CUPTI_ACTIVITY_KIND_RUNTIME as u32;
    pub(crate) const CONCURRENT_KERNEL: u32 = K::CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL as u32;
    pub(crate) const EXTERNAL_CORRELATION: u32 = K::CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION as u32;
}

/// Where and when device work ran, common to kernels, copies and sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeviceWork {
    /// CUPTI timestamps, ns.
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) device: u32,
    pub(crate) context: u32,
    pub(crate) stream: u32,
    pub(crate) correlation: u32,
}

/// What ran on the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Work {
    Kernel {
        /// The name as CUPTI reports it (mangled for C++ kernels).
        name: String,
        grid: [i32; 3],
        block: [i32; 3],
        registers_per_thread: u16,
        static_shared_memory: i32,
        dynamic_shared_memory: i32,
    },
    Memcpy {
        /// `CUpti_ActivityMemcpyKind`.
        copy_kind: u8,
        /// `CUpti_ActivityMemoryKind` of source and destination.
        src_kind: u8,
        dst_kind: u8,
        bytes: u64,
    },
    Memset {
        value: u32,
        bytes: u64,
        /// `CUpti_ActivityMemoryKind`.
        memory_kind: u16,
    },
}

/// One decoded activity record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Activity {
    /// A kernel, copy or set that ran.
    Device(DeviceWork, Work),
    /// A driver or runtime API call (the launch side of device work).
    Api {
        runtime: bool,
        cbid: u32,
        start: u64,
        end: u64,
        thread: u32,
        correlation: u32,
    },
    /// An external id pushed on the launching thread during an API call.
    External {
        /// `CUpti_ExternalCorrelationKind`.
        kind: u32,
        id: u64,
        correlation: u32,
    },
    /// A kind renacer does not read.
    Other(u32),
}

/// Why a record could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// Fewer bytes than the record's layout (or than its kind field).
    Truncated { kind: u32, have: usize, need: usize },
}

/// Bytes of a record of `kind` renacer reads: its layout's size; `None`
/// for kinds it does not read (their length is CUPTI's business).
pub(crate) fn record_len(k: u32) -> Option<usize> {
    Some(match k {
        kind::KERNEL | kind::CONCURRENT_KERNEL => size_of::<Kernel9>(),
        kind::MEMCPY => size_of::<Memcpy5>(),
        kind::MEMSET => size_of::<Memset4>(),
        kind::DRIVER | kind::RUNTIME => size_of::<Api>(),
        kind::EXTERNAL_CORRELATION => size_of::<ExtCorr>(),
        _ => return None,
    })
}

/// Decodes one record.
///
/// # Safety
/// In a kernel record, the name pointer must be null or point to a
/// NUL-terminated string that lives for the call (CUPTI's records point
/// into strings CUPTI owns).
pub(crate) unsafe fn decode(b: &[u8]) -> Result<Activity, Malformed> {
    if b.len() < 4 {
        return Err(Malformed::Truncated {
            kind: 0,
            have: b.len(),
            need: 4,
        });
    }
    let k = u32_at(b, 0);
    let Some(need) = record_len(k) else {
        return Ok(Activity::Other(k));
    };
    if b.len() < need {
        return Err(Malformed::Truncated {
            kind: k,
            have: b.len(),
            need,
        });
    }
    Ok(match k {
        kind::KERNEL | kind::CONCURRENT_KERNEL => {
            let name_ptr = u64_at(b, offset_of!(Kernel9, name)) as usize as *const std::ffi::c_char;
            let name = if name_ptr.is_null() {
                "unknown kernel".to_string()
            } else {
                // SAFETY: non-null, NUL-terminated and alive (this fn's
                // contract).
                unsafe { CStr::from_ptr(name_ptr) }
                    .to_string_lossy()
                    .into_owned()
            };
            let dim = |x, y, z| [i32_at(b, x), i32_at(b, y), i32_at(b, z)];
            Activity::Device(
                DeviceWork {
                    start: u64_at(b, offset_of!(Kernel9, start)),
                    end: u64_at(b, offset_of!(Kernel9, end)),
                    device: u32_at(b, offset_of!(Kernel9, deviceId)),
                    context: u32_at(b, offset_of!(Kernel9, contextId)),
                    stream: u32_at(b, offset_of!(Kernel9, streamId)),
                    correlation: u32_at(b, offset_of!(Kernel9, correlationId)),
                },
                Work::Kernel {
                    name,
                    grid: dim(
                        offset_of!(Kernel9, gridX),
                        offset_of!(Kernel9, gridY),
                        offset_of!(Kernel9, gridZ),
                    ),
                    block: dim(
                        offset_of!(Kernel9, blockX),
                        offset_of!(Kernel9, blockY),
                        offset_of!(Kernel9, blockZ),
                    ),
                    registers_per_thread: u16_at(b, offset_of!(Kernel9, registersPerThread)),
                    static_shared_memory: i32_at(b, offset_of!(Kernel9, staticSharedMemory)),
                    dynamic_shared_memory: i32_at(b, offset_of!(Kernel9, dynamicSharedMemory)),
                },
            )
        }
        kind::MEMCPY => Activity::Device(
            DeviceWork {
                start: u64_at(b, offset_of!(Memcpy5, start)),
                end: u64_at(b, offset_of!(Memcpy5, end)),
                device: u32_at(b, offset_of!(Memcpy5, deviceId)),
                context: u32_at(b, offset_of!(Memcpy5, contextId)),
                stream: u32_at(b, offset_of!(Memcpy5, streamId)),
                correlation: u32_at(b, offset_of!(Memcpy5, correlationId)),
            },
            Work::Memcpy {
                copy_kind: b[offset_of!(Memcpy5, copyKind)],
                src_kind: b[offset_of!(Memcpy5, srcKind)],
                dst_kind: b[offset_of!(Memcpy5, dstKind)],
                bytes: u64_at(b, offset_of!(Memcpy5, bytes)),
            },
        ),
        kind::MEMSET => Activity::Device(
            DeviceWork {
                start: u64_at(b, offset_of!(Memset4, start)),
                end: u64_at(b, offset_of!(Memset4, end)),
                device: u32_at(b, offset_of!(Memset4, deviceId)),
                context: u32_at(b, offset_of!(Memset4, contextId)),
                stream: u32_at(b, offset_of!(Memset4, streamId)),
                correlation: u32_at(b, offset_of!(Memset4, correlationId)),
            },
            Work::Memset {
                value: u32_at(b, offset_of!(Memset4, value)),
                bytes: u64_at(b, offset_of!(Memset4, bytes)),
                memory_kind: u16_at(b, offset_of!(Memset4, memoryKind)),
            },
        ),
        kind::DRIVER | kind::RUNTIME => Activity::Api {
            runtime: k == kind::RUNTIME,
            cbid: u32_at(b, offset_of!(Api, cbid)),
            start: u64_at(b, offset_of!(Api, start)),
            end: u64_at(b, offset_of!(Api, end)),
            thread: u32_at(b, offset_of!(Api, threadId)),
            correlation: u32_at(b, offset_of!(Api, correlationId)),
        },
        _ => Activity::External {
            kind: u32_at(b, offset_of!(ExtCorr, externalKind)),
            id: u64_at(b, offset_of!(ExtCorr, externalId)),
            correlation: u32_at(b, offset_of!(ExtCorr, correlationId)),
        },
    })
}

/// `CUpti_ActivityMemcpyKind` as a short name.
pub(crate) fn copy_kind_name(k: u8) -> &'static str {
    match k {
        1 => "HtoD",
        2 => "DtoH",
        3 => "HtoA",
        4 => "AtoH",
        5 => "AtoA",
        6 => "AtoD",
        7 => "DtoA",
        8 => "DtoD",
        9 => "HtoH",
        10 => "PtoP",
        _ => "unknown",
    }
}

/// `CUpti_ActivityMemoryKind` as a short name.
pub(crate) fn memory_kind_name(k: u16) -> &'static str {
    match k {
        1 => "pageable",
        2 => "pinned",
        3 => "device",
        4 => "array",
        5 => "managed",
        6 => "device_static",
        7 => "managed_static",
        _ => "unknown",
    }
}
