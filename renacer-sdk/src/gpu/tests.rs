//! The pure parts of the GPU path: correlation, clock conversion, record
//! conversion. Decoding from real layouts is tested end to end in
//! `tests/gpu_synthetic.rs`.

use super::activity::{Activity, DeviceWork, Work};
use super::clock::Calibration;
use super::convert::{demangle, to_record, Context};
use super::correlate::*;
use crate::model::{FieldValue, SpanKind};

fn kernel(correlation: u32) -> Activity {
    Activity::Device(
        DeviceWork {
            start: 1_000,
            end: 3_000,
            device: 0,
            context: 1,
            stream: 7,
            correlation,
        },
        Work::Kernel {
            name: "_Z6vecAddPfS_S_i".into(),
            grid: [256, 1, 1],
            block: [128, 1, 1],
            registers_per_thread: 16,
            static_shared_memory: 0,
            dynamic_shared_memory: 1024,
        },
    )
}

fn api(correlation: u32, runtime: bool) -> Activity {
    Activity::Api {
        runtime,
        cbid: if runtime { 211 } else { 307 },
        start: 500,
        end: 900,
        thread: 4242,
        correlation,
    }
}

fn ext(correlation: u32, kind: u32, id: u64) -> Activity {
    Activity::External {
        kind,
        id,
        correlation,
    }
}

#[test]
fn device_work_waits_for_its_launch_record_then_names_the_span() {
    let mut c = Correlator::default();
    let mut out = Vec::new();
    c.add(kernel(9), &mut out);
    c.end_of_buffer(&mut out);
    assert!(out.is_empty(), "no API record yet: the kernel waits");
    for a in [
        ext(9, EXT_SPAN, 0xabc),
        ext(9, EXT_TRACE_HI, 1),
        ext(9, EXT_TRACE_LO, 2),
        api(9, false),
        api(9, true),
    ] {
        c.add(a, &mut out);
    }
    c.end_of_buffer(&mut out);
    assert_eq!(out.len(), 1);
    let r = &out[0];
    assert_eq!(
        r.parent,
        Some(Parent {
            trace: 1 << 64 | 2,
            span: 0xabc
        })
    );
    // The runtime call (the outer one) names the launch.
    assert!(r.launch.is_some_and(|l| l.runtime && l.cbid == 211));
}

#[test]
fn a_launch_outside_any_span_has_no_parent_and_waiting_is_bounded() {
    let mut c = Correlator::default();
    let mut out = Vec::new();
    c.add(api(1, false), &mut out);
    c.add(kernel(1), &mut out);
    c.add(kernel(2), &mut out); // its API record never comes
    c.end_of_buffer(&mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].parent, None);
    assert!(out[0].launch.is_some());
    for _ in 1..MAX_WAIT_BUFFERS {
        c.end_of_buffer(&mut out);
    }
    assert_eq!(
        out.len(),
        2,
        "emitted after waiting {MAX_WAIT_BUFFERS} buffers"
    );
    assert_eq!(out[1].launch, None);
    c.add(kernel(3), &mut out);
    c.finish(&mut out);
    assert_eq!(out.len(), 3, "the final flush emits what still waits");
}

#[test]
fn graph_launches_give_every_kernel_the_launch() {
    let mut c = Correlator::default();
    let mut out = Vec::new();
    c.add(ext(5, EXT_SPAN, 7), &mut out);
    c.add(ext(5, EXT_TRACE_HI, 0), &mut out);
    c.add(ext(5, EXT_TRACE_LO, 3), &mut out);
    c.add(api(5, true), &mut out);
    for _ in 0..3 {
        c.add(kernel(5), &mut out);
    }
    c.end_of_buffer(&mut out);
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|r| r.parent.is_some_and(|p| p.span == 7)));
}

#[test]
fn maps_stay_bounded_dropping_the_oldest() {
    let mut c = Correlator::default();
    let mut out = Vec::new();
    for i in 0..(MAX_ENTRIES as u32 + 10) {
        c.add(api(i, false), &mut out);
    }
    c.add(kernel(0), &mut out);
    c.add(kernel(MAX_ENTRIES as u32 + 9), &mut out);
    c.finish(&mut out);
    assert_eq!(out[0].launch, None, "the oldest launch was evicted");
    assert!(out[1].launch.is_some());
}

#[test]
fn calibration_keeps_the_narrowest_bracket() {
    // The host clock advances 100 ns per read, except once 2 ns; CUPTI's
    // clock runs 1 ms behind.
    let mut t = 10_000_000u64;
    let mut reads = 0;
    let host = std::cell::Cell::new(0u64);
    let cal = Calibration::measure(
        || {
            reads += 1;
            t += if reads == 12 { 2 } else { 100 };
            host.set(t);
            t
        },
        || host.get() - 1_000_000 + 1,
    );
    assert_eq!(cal.error_ns, 1, "half the 2 ns bracket");
    let converted = cal.to_host(5_000_000);
    assert!(converted.abs_diff(6_000_000) <= 1, "{converted}");
    assert_eq!(cal.to_host(0), 0, "CUPTI's 'not collected' stays 0");
}

#[test]
fn records_carry_the_kernel_facts_and_the_launch() {
    let mut c = Correlator::default();
    let mut out = Vec::new();
    c.add(api(3, false), &mut out);
    c.add(kernel(3), &mut out);
    c.end_of_buffer(&mut out);
    let cal = Calibration::measure(|| 10_000, || 0);
    let thread_of = |_c: u32| Some(77u32);
    let api_name = |_rt: bool, _id: u32| Some("cuLaunchKernel".to_string());
    let cx = Context {
        pid: 5,
        calibration: cal,
        thread_of: &thread_of,
        api_name: &api_name,
    };
    let r = to_record(out.remove(0), 0x1234, &cx);
    assert_eq!(r.kind, SpanKind::GpuKernel);
    assert_eq!(r.name, "vecAdd(float*, float*, float*, int)");
    assert_eq!((r.start_ns, r.end_ns), (11_000, 13_000));
    assert_eq!(r.tid, 77, "the thread renacer noted at the launch wins");
    let f = |k: &str| renacer_format::gpu::field(&r, k).cloned();
    assert_eq!(
        f(renacer_format::gpu::KERNEL_MANGLED_NAME),
        Some(FieldValue::Str("_Z6vecAddPfS_S_i".into()))
    );
    assert_eq!(
        f(renacer_format::gpu::GRID),
        Some(FieldValue::Str("256x1x1".into()))
    );
    assert_eq!(
        f(renacer_format::gpu::LAUNCH_API),
        Some(FieldValue::Str("cuLaunchKernel".into()))
    );
    assert_eq!(
        f(renacer_format::gpu::LAUNCH_START_NS),
        Some(FieldValue::U64(10_500))
    );
    assert_eq!(
        f(renacer_format::gpu::CLOCK_ERROR_NS),
        Some(FieldValue::U64(0))
    );
}

#[test]
fn copies_get_a_direction_memory_kinds_and_throughput() {
    let r = Resolved {
        work: DeviceWork {
            start: 0,
            end: 0,
            device: 1,
            context: 1,
            stream: 2,
            correlation: 4,
        },
        what: Work::Memcpy {
            copy_kind: 1,
            src_kind: 2,
            dst_kind: 3,
            bytes: 4096,
        },
        launch: None,
        parent: None,
    };
    let mut r = r;
    r.work.start = 1_000;
    r.work.end = 2_000;
    let cal = Calibration::measure(|| 0, || 0);
    let cx = Context {
        pid: 5,
        calibration: cal,
        thread_of: &|_| None,
        api_name: &|_, _| None,
    };
    let rec = to_record(r, 9, &cx);
    assert_eq!(rec.kind, SpanKind::GpuMemcpy);
    assert_eq!(rec.name, "memcpy HtoD");
    assert_eq!(rec.tid, 0, "no launch record, no noted thread");
    let f = |k: &str| renacer_format::gpu::field(&rec, k).cloned();
    assert_eq!(
        f(renacer_format::gpu::SRC_KIND),
        Some(FieldValue::Str("pinned".into()))
    );
    assert_eq!(
        f(renacer_format::gpu::DST_KIND),
        Some(FieldValue::Str("device".into()))
    );
    assert_eq!(
        f(renacer_format::gpu::THROUGHPUT_GB_S),
        Some(FieldValue::F64(4.096))
    );
}

#[test]
fn c_names_stay_as_they_are() {
    assert_eq!(demangle("vector_add"), "vector_add");
}

#[test]
fn work_submitting_calls_are_recognised_by_name() {
    use super::cupti::submits_work;
    for n in [
        "cuLaunchKernel",
        "cuLaunchKernelEx",
        "cudaLaunchKernel_v7000",
        "cuMemcpyHtoD_v2",
        "cudaMemcpyAsync_v3020",
        "cuMemsetD32_v2",
        "cuGraphLaunch",
        "cudaGraphLaunch_v10000",
    ] {
        assert!(submits_work(n), "{n}");
    }
    for n in [
        "cuCtxGetCurrent",
        "cudaMalloc_v3020",
        "cuModuleLoadData",
        "cuStreamSynchronize",
    ] {
        assert!(!submits_work(n), "{n}");
    }
}
