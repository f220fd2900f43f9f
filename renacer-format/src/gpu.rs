//! GPU items (kernels, memory copies, memory sets) as span records: the
//! field keys every writer reads, the GPU track an item is drawn on, and
//! the launch it came from.
//!
//! A GPU item is a [`SpanRecord`] of kind [`SpanKind::GpuKernel`],
//! [`SpanKind::GpuMemcpy`] or [`SpanKind::GpuMemset`] whose parent is the
//! span that was current on the launching thread when the launch API was
//! called (none for a launch outside any span), whose `tid` is that
//! thread's, and whose start/end are the device's execution, converted to
//! `CLOCK_MONOTONIC` ns. The facts CUPTI reports travel as fields under the
//! keys below, so the spool, JSON lines and OTLP carry them without a
//! format of their own. Written by the SDK's `cuda` feature
//! (`renacer::gpu`), read by the Perfetto writers and the CLI's text view.

use crate::model::{FieldValue, SpanKind, SpanRecord};

/// Device ordinal (`u64`).
pub const DEVICE: &str = "gpu.device";
/// CUDA context id (`u64`).
pub const CONTEXT: &str = "gpu.context";
/// Stream id (`u64`).
pub const STREAM: &str = "gpu.stream";
/// CUPTI correlation id of the launch (`u64`).
pub const CORRELATION_ID: &str = "gpu.correlation_id";
/// A kernel's mangled name (`str`); the span name is the demangled one.
pub const KERNEL_MANGLED_NAME: &str = "gpu.kernel.mangled_name";
/// Grid dimensions, `XxYxZ` (`str`).
pub const GRID: &str = "gpu.kernel.grid";
/// Block dimensions, `XxYxZ` (`str`).
pub const BLOCK: &str = "gpu.kernel.block";
/// Registers per thread (`u64`).
pub const REGISTERS_PER_THREAD: &str = "gpu.kernel.registers_per_thread";
/// Static shared memory per block, bytes (`u64`).
pub const STATIC_SHARED_MEMORY: &str = "gpu.kernel.static_shared_memory";
/// Dynamic shared memory per block, bytes (`u64`).
pub const DYNAMIC_SHARED_MEMORY: &str = "gpu.kernel.dynamic_shared_memory";
/// A copy's direction: `HtoD`, `DtoH`, `DtoD`, ... (`str`).
pub const COPY_KIND: &str = "gpu.memcpy.kind";
/// Memory kind of a copy's source: `pageable`, `pinned`, `device`, ... (`str`).
pub const SRC_KIND: &str = "gpu.memcpy.src_kind";
/// Memory kind of a copy's destination (`str`).
pub const DST_KIND: &str = "gpu.memcpy.dst_kind";
/// Memory kind a memset wrote (`str`).
pub const MEMORY_KIND: &str = "gpu.memset.memory_kind";
/// The byte value a memset wrote (`u64`).
pub const MEMSET_VALUE: &str = "gpu.memset.value";
/// Bytes copied or set (`u64`).
pub const BYTES: &str = "gpu.bytes";
/// Bytes per nanosecond of device time, i.e. GB/s (`f64`).
pub const THROUGHPUT_GB_S: &str = "gpu.throughput_gb_s";
/// The API call that launched the item, `cuLaunchKernel`... (`str`).
pub const LAUNCH_API: &str = "gpu.launch.api";
/// Start of the launch API call on the host, `CLOCK_MONOTONIC` ns (`u64`).
pub const LAUNCH_START_NS: &str = "gpu.launch.start_ns";
/// End of the launch API call on the host, `CLOCK_MONOTONIC` ns (`u64`).
pub const LAUNCH_END_NS: &str = "gpu.launch.end_ns";
/// Bound on the error of the start/end conversion to the host clock, ns
/// (`u64`): half the widest bracket of the calibration samples used.
pub const CLOCK_ERROR_NS: &str = "gpu.clock_error_ns";

/// Whether `kind` is a GPU item.
pub const fn is_gpu(kind: SpanKind) -> bool {
    matches!(
        kind,
        SpanKind::GpuKernel | SpanKind::GpuMemcpy | SpanKind::GpuMemset
    )
}

/// A field of `s` by key.
pub fn field<'s>(s: &'s SpanRecord, key: &str) -> Option<&'s FieldValue> {
    s.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn uint(s: &SpanRecord, key: &str) -> Option<u64> {
    match field(s, key)? {
        FieldValue::U64(v) => Some(*v),
        FieldValue::I64(v) => u64::try_from(*v).ok(),
        _ => None,
    }
}

fn text<'s>(s: &'s SpanRecord, key: &str) -> Option<&'s str> {
    match field(s, key)? {
        FieldValue::Str(v) => Some(v),
        _ => None,
    }
}

/// The (device, stream) track a GPU item is drawn on.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct GpuTrack {
    /// Device ordinal.
    pub device: u32,
    /// Stream id.
    pub stream: u32,
}

impl GpuTrack {
    /// The track of a GPU item; `None` for other spans.
    pub fn of(s: &SpanRecord) -> Option<GpuTrack> {
        if !is_gpu(s.kind) {
            return None;
        }
        Some(GpuTrack {
            device: uint(s, DEVICE).unwrap_or(0) as u32,
            stream: uint(s, STREAM).unwrap_or(0) as u32,
        })
    }

    /// The track's id in formats that know only (pid, tid) tracks: above
    /// every Linux tid (`pid_max` is at most 2^22), unique per (device,
    /// stream) for 256 devices and 2^20 streams.
    pub const fn tid(self) -> u32 {
        0x4000_0000 | (self.device & 0xff) << 20 | (self.stream & 0xf_ffff)
    }

    /// The track's name, `GPU 0 stream 7`.
    pub fn label(self) -> String {
        format!("GPU {} stream {}", self.device, self.stream)
    }
}

/// Where and when a GPU item was launched on the host.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Launch {
    /// The launching thread.
    pub tid: u32,
    /// Start of the launch API call, `CLOCK_MONOTONIC` ns.
    pub start_ns: u64,
    /// End of the launch API call, `CLOCK_MONOTONIC` ns.
    pub end_ns: u64,
}

impl Launch {
    /// The launch of a GPU item, when its API record was seen.
    pub fn of(s: &SpanRecord) -> Option<Launch> {
        if !is_gpu(s.kind) {
            return None;
        }
        let start_ns = uint(s, LAUNCH_START_NS)?;
        Some(Launch {
            tid: s.tid,
            start_ns,
            end_ns: uint(s, LAUNCH_END_NS).unwrap_or(start_ns),
        })
    }
}

/// A one-line summary of a GPU item's facts for the text view:
/// `GPU 0 stream 7, grid 256x1x1 block 128x1x1` for a kernel,
/// `HtoD 4194304 bytes, 11.8 GB/s` for a copy; empty for other spans.
pub fn detail(s: &SpanRecord) -> String {
    let Some(track) = GpuTrack::of(s) else {
        return String::new();
    };
    let mut parts = vec![track.label()];
    match s.kind {
        SpanKind::GpuKernel => {
            if let (Some(g), Some(b)) = (text(s, GRID), text(s, BLOCK)) {
                parts.push(format!("grid {g} block {b}"));
            }
        }
        _ => {
            let what = text(s, COPY_KIND).or_else(|| text(s, MEMORY_KIND));
            let bytes = uint(s, BYTES).unwrap_or(0);
            parts.push(match what {
                Some(w) => format!("{w} {bytes} bytes"),
                None => format!("{bytes} bytes"),
            });
            if let Some(FieldValue::F64(gbs)) = field(s, THROUGHPUT_GB_S) {
                parts.push(format!("{gbs:.1} GB/s"));
            }
        }
    }
    format!(" [{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SpanFlags, SpanId, SpanStatus, TraceId};
    use std::borrow::Cow;

    fn item(kind: SpanKind, fields: Vec<(&'static str, FieldValue)>) -> SpanRecord {
        SpanRecord {
            trace_id: TraceId(1),
            span_id: SpanId(2),
            parent_span_id: Some(SpanId(3)),
            name: "vec_add".into(),
            kind,
            flags: SpanFlags::NONE,
            start_ns: 100,
            end_ns: 200,
            pid: 10,
            tid: 11,
            thread_name: None,
            site_id: 0,
            decision_id: None,
            module_path: "".into(),
            file: "".into(),
            line: 0,
            fields: fields
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), v))
                .collect(),
            status: SpanStatus::Unset,
        }
    }

    #[test]
    fn tracks_are_per_device_and_stream_and_above_every_tid() {
        let a = GpuTrack {
            device: 0,
            stream: 7,
        };
        let b = GpuTrack {
            device: 1,
            stream: 7,
        };
        assert_ne!(a.tid(), b.tid());
        assert!(a.tid() > 1 << 22);
        assert_eq!(a.label(), "GPU 0 stream 7");
        let k = item(
            SpanKind::GpuKernel,
            vec![(DEVICE, FieldValue::U64(1)), (STREAM, FieldValue::U64(7))],
        );
        assert_eq!(GpuTrack::of(&k), Some(b));
        assert_eq!(GpuTrack::of(&item(SpanKind::Function, vec![])), None);
    }

    #[test]
    fn launch_and_detail_read_the_fields() {
        let k = item(
            SpanKind::GpuKernel,
            vec![
                (GRID, FieldValue::Str("256x1x1".into())),
                (BLOCK, FieldValue::Str("128x1x1".into())),
                (LAUNCH_START_NS, FieldValue::U64(50)),
                (LAUNCH_END_NS, FieldValue::U64(60)),
            ],
        );
        assert_eq!(
            Launch::of(&k),
            Some(Launch {
                tid: 11,
                start_ns: 50,
                end_ns: 60
            })
        );
        assert_eq!(detail(&k), " [GPU 0 stream 0, grid 256x1x1 block 128x1x1]");
        let c = item(
            SpanKind::GpuMemcpy,
            vec![
                (COPY_KIND, FieldValue::Str("HtoD".into())),
                (BYTES, FieldValue::U64(4096)),
                (THROUGHPUT_GB_S, FieldValue::F64(40.96)),
            ],
        );
        assert_eq!(Launch::of(&c), None);
        assert_eq!(detail(&c), " [GPU 0 stream 0, HtoD 4096 bytes, 41.0 GB/s]");
        assert_eq!(detail(&item(SpanKind::Function, vec![])), "");
    }
}
