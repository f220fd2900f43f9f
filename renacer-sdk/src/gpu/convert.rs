//! A resolved GPU item as a span record (keys: `renacer_format::gpu`).

use std::borrow::Cow;

use renacer_format::gpu as keys;

use super::activity::{copy_kind_name, memory_kind_name, Work};
use super::clock::Calibration;
use super::correlate::Resolved;
use crate::model::{FieldValue, SpanFlags, SpanId, SpanKind, SpanRecord, SpanStatus, TraceId};

/// What conversion needs besides the item.
pub(crate) struct Context<'a> {
    pub(crate) pid: u32,
    pub(crate) calibration: Calibration,
    /// The launching thread's OS tid, as renacer noted it at the launch.
    pub(crate) thread_of: &'a dyn Fn(u32) -> Option<u32>,
    /// The name of an API callback id (`cuLaunchKernel`, ...).
    pub(crate) api_name: &'a dyn Fn(bool, u32) -> Option<String>,
}

/// A C++ kernel name demangled (`_Z6vecAddPfS_i` → `vecAdd(float*, float*,
/// int)`); other names as they are.
pub(crate) fn demangle(name: &str) -> String {
    cpp_demangle::Symbol::new(name)
        .ok()
        .and_then(|s| s.demangle().ok())
        .unwrap_or_else(|| name.to_string())
}

fn dims(d: [i32; 3]) -> FieldValue {
    FieldValue::Str(format!("{}x{}x{}", d[0], d[1], d[2]).into())
}

/// Converts `r`; `span_id` is the item's own (from `ids::gpu_span_id`).
pub(crate) fn to_record(r: Resolved, span_id: u64, cx: &Context<'_>) -> SpanRecord {
    let cal = cx.calibration;
    let start_ns = cal.to_host(r.work.start);
    let end_ns = cal.to_host(r.work.end).max(start_ns);
    let mut fields: Vec<(Cow<'static, str>, FieldValue)> = vec![
        (keys::DEVICE.into(), FieldValue::U64(r.work.device.into())),
        (keys::CONTEXT.into(), FieldValue::U64(r.work.context.into())),
        (keys::STREAM.into(), FieldValue::U64(r.work.stream.into())),
        (
            keys::CORRELATION_ID.into(),
            FieldValue::U64(r.work.correlation.into()),
        ),
    ];
    let throughput = |bytes: u64| {
        let ns = end_ns.saturating_sub(start_ns);
        (ns > 0).then(|| {
            (
                keys::THROUGHPUT_GB_S.into(),
                FieldValue::F64(bytes as f64 / ns as f64),
            )
        })
    };
    let (kind, name) = match r.what {
        Work::Kernel {
            name,
            grid,
            block,
            registers_per_thread,
            static_shared_memory,
            dynamic_shared_memory,
        } => {
            let shown = demangle(&name);
            fields.extend([
                (keys::GRID.into(), dims(grid)),
                (keys::BLOCK.into(), dims(block)),
                (
                    keys::REGISTERS_PER_THREAD.into(),
                    FieldValue::U64(registers_per_thread.into()),
                ),
                (
                    keys::STATIC_SHARED_MEMORY.into(),
                    FieldValue::I64(static_shared_memory.into()),
                ),
                (
                    keys::DYNAMIC_SHARED_MEMORY.into(),
                    FieldValue::I64(dynamic_shared_memory.into()),
                ),
            ]);
            if shown != name {
                fields.push((
                    keys::KERNEL_MANGLED_NAME.into(),
                    FieldValue::Str(name.into()),
                ));
            }
            (SpanKind::GpuKernel, shown)
        }
        Work::Memcpy {
            copy_kind,
            src_kind,
            dst_kind,
            bytes,
        } => {
            let k = copy_kind_name(copy_kind);
            fields.extend([
                (keys::COPY_KIND.into(), FieldValue::Str(k.into())),
                (
                    keys::SRC_KIND.into(),
                    FieldValue::Str(memory_kind_name(src_kind.into()).into()),
                ),
                (
                    keys::DST_KIND.into(),
                    FieldValue::Str(memory_kind_name(dst_kind.into()).into()),
                ),
                (keys::BYTES.into(), FieldValue::U64(bytes)),
            ]);
            fields.extend(throughput(bytes));
            (SpanKind::GpuMemcpy, format!("memcpy {k}"))
        }
        Work::Memset {
            value,
            bytes,
            memory_kind,
        } => {
            fields.extend([
                (
                    keys::MEMORY_KIND.into(),
                    FieldValue::Str(memory_kind_name(memory_kind).into()),
                ),
                (keys::MEMSET_VALUE.into(), FieldValue::U64(value.into())),
                (keys::BYTES.into(), FieldValue::U64(bytes)),
            ]);
            fields.extend(throughput(bytes));
            (SpanKind::GpuMemset, "memset".to_string())
        }
    };
    if let Some(call) = r.launch {
        if let Some(api) = (cx.api_name)(call.runtime, call.cbid) {
            fields.push((keys::LAUNCH_API.into(), FieldValue::Str(api.into())));
        }
        if call.start != 0 {
            fields.push((
                keys::LAUNCH_START_NS.into(),
                FieldValue::U64(cal.to_host(call.start)),
            ));
            fields.push((
                keys::LAUNCH_END_NS.into(),
                FieldValue::U64(cal.to_host(call.end)),
            ));
        }
    }
    fields.push((keys::CLOCK_ERROR_NS.into(), FieldValue::U64(cal.error_ns)));
    let tid = (cx.thread_of)(r.work.correlation)
        .or(r.launch.map(|c| c.thread))
        .unwrap_or(0);
    // Outside any span, an item belongs to its thread: a root of the
    // joined trace (under the CLI, the process span), else its own trace.
    let (trace, parent) = match r.parent {
        Some(p) => (p.trace, Some(SpanId(p.span))),
        None => match crate::remote::parent() {
            Some((trace, parent)) => (trace.0, Some(parent)),
            None => (crate::record::ids::trace_of_root(span_id), None),
        },
    };
    SpanRecord {
        trace_id: TraceId(trace),
        span_id: SpanId(span_id),
        parent_span_id: parent,
        name: name.into(),
        kind,
        flags: SpanFlags::NONE,
        start_ns,
        end_ns,
        pid: cx.pid,
        tid,
        thread_name: None,
        site_id: 0,
        decision_id: None,
        module_path: "".into(),
        file: "".into(),
        line: 0,
        fields,
        status: SpanStatus::Unset,
    }
}
