//! CUDA kernels, memory copies and memory sets in the trace, read from
//! NVIDIA's CUPTI Activity API (feature `cuda`, through cudarc's
//! dynamically loaded bindings: nothing is linked, and a machine without
//! the driver or CUPTI runs exactly as without the feature).
//!
//! Data flow: at `init` (when the feature is on, `RENACER_CUDA` is not
//! `off` and the libraries are present) renacer subscribes to CUPTI's
//! callbacks for the API calls that submit work and enables the kernel,
//! memcpy, memset, driver/runtime API and external-correlation activity
//! kinds. During a launch inside a recorded span, the launch callback
//! pushes the span's id and trace id as external correlation ids
//! (`cupti.rs`). CUPTI hands back filled buffers; their records are decoded
//! (`activity.rs`), joined with their launch (`correlate.rs`), converted to
//! `CLOCK_MONOTONIC` (`clock.rs`) and to span records (`convert.rs`), and
//! queued for the collector, which exports them with the next batch. GPU
//! items are children of the launching span; a launch outside any span
//! gives an item that belongs to its thread (a root, or under the CLI's
//! process span). `renacer::flush()`, the guard's drop and process exit
//! flush CUPTI first.
//!
//! Counted in [`crate::stats()`]: `gpu_items` (exported through the same
//! batches as spans, so also in `recorded`), `gpu_dropped` (records CUPTI
//! dropped for lack of a buffer, records that could not be decoded, items
//! the full queue refused).

#[cfg(feature = "cuda")]
mod activity;
#[cfg(feature = "cuda")]
mod clock;
#[cfg(feature = "cuda")]
mod convert;
#[cfg(feature = "cuda")]
mod correlate;
#[cfg(feature = "cuda")]
mod cupti;
#[cfg(all(test, feature = "cuda"))]
mod tests;

use std::sync::atomic::{AtomicU8, Ordering};

/// Whether to read CUDA activity (`RENACER_CUDA`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CudaMode {
    /// Read it when the `cuda` feature is built in and the libraries are
    /// present; silent otherwise (the default).
    #[default]
    Auto,
    /// Read it; say in one line at init why not, when it cannot be.
    On,
    /// Never touch CUDA.
    Off,
}

impl CudaMode {
    /// Parses `auto`, `on`/`1`/`true`, `off`/`0`/`false`.
    pub fn parse(s: &str) -> Result<CudaMode, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(CudaMode::Auto),
            "on" | "1" | "true" => Ok(CudaMode::On),
            "off" | "0" | "false" => Ok(CudaMode::Off),
            _ => Err("expected auto, on or off".into()),
        }
    }
}

/// Where GPU tracing stands in this process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GpuStatus {
    /// Not started: renacer not initialized, or `RENACER_CUDA=off`.
    Off,
    /// This build has no `cuda` feature.
    NotBuilt,
    /// Asked for, but no activity can be read here (the reason).
    Absent(String),
    /// Activity is being read.
    Active,
}

const OFF: u8 = 0;
const NOT_BUILT: u8 = 1;
const ABSENT: u8 = 2;
const ACTIVE: u8 = 3;
static STATE: AtomicU8 = AtomicU8::new(OFF);
static ABSENT_WHY: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// Where GPU tracing stands in this process.
pub fn status() -> GpuStatus {
    match STATE.load(Ordering::Acquire) {
        NOT_BUILT => GpuStatus::NotBuilt,
        ABSENT => GpuStatus::Absent(ABSENT_WHY.lock().unwrap_or_else(|p| p.into_inner()).clone()),
        ACTIVE => GpuStatus::Active,
        _ => GpuStatus::Off,
    }
}

#[cfg(feature = "cuda")]
fn set_absent(why: String, mode: CudaMode) {
    if mode == CudaMode::On {
        eprintln!("renacer: RENACER_CUDA=on but {why}; GPU activity is not traced");
    }
    *ABSENT_WHY.lock().unwrap_or_else(|p| p.into_inner()) = why;
    STATE.store(ABSENT, Ordering::Release);
}

/// Called by `init`, after the collector started.
pub(crate) fn start(mode: CudaMode) {
    if mode == CudaMode::Off {
        STATE.store(OFF, Ordering::Release);
        return;
    }
    #[cfg(not(feature = "cuda"))]
    {
        if mode == CudaMode::On {
            eprintln!("renacer: RENACER_CUDA=on but this build has no `cuda` feature; GPU activity is not traced");
        }
        STATE.store(NOT_BUILT, Ordering::Release);
    }
    #[cfg(feature = "cuda")]
    match cupti::start() {
        Ok(_) => STATE.store(ACTIVE, Ordering::Release),
        Err(why) => set_absent(why.to_string(), mode),
    }
}

/// Called by `flush()` before the collector's flush: CUPTI delivers what
/// it holds, so it is in the queue when the collector drains.
pub(crate) fn flush() {
    #[cfg(feature = "cuda")]
    if STATE.load(Ordering::Acquire) == ACTIVE {
        cupti::flush_all();
    }
}

/// Called at shutdown before the collector stops: the last delivery, every
/// item still waiting for its launch record emitted, activity disabled.
pub(crate) fn stop() {
    #[cfg(feature = "cuda")]
    if STATE.swap(OFF, Ordering::AcqRel) == ACTIVE {
        cupti::flush_all();
        finish();
        deliver();
        cupti::disable_activity();
    }
    #[cfg(not(feature = "cuda"))]
    if STATE.load(Ordering::Acquire) == NOT_BUILT {
        STATE.store(OFF, Ordering::Release);
    }
}

/// Moves the queued GPU items into `out` (the collector's batch); returns
/// how many.
pub(crate) fn drain_into(out: &mut Vec<crate::model::SpanRecord>) -> u64 {
    #[cfg(feature = "cuda")]
    {
        let Some(q) = QUEUE.get() else { return 0 };
        let mut n = 0;
        while let Ok(r) = q.1.try_recv() {
            out.push(r);
            n += 1;
        }
        n
    }
    #[cfg(not(feature = "cuda"))]
    {
        let _ = out;
        0
    }
}

/// Items waiting for the collector.
#[cfg(feature = "cuda")]
const QUEUE_CAPACITY: usize = 1 << 16;

#[cfg(feature = "cuda")]
type Queue = (
    crossbeam_channel::Sender<crate::model::SpanRecord>,
    crossbeam_channel::Receiver<crate::model::SpanRecord>,
);

#[cfg(feature = "cuda")]
static QUEUE: std::sync::OnceLock<Queue> = std::sync::OnceLock::new();

#[cfg(feature = "cuda")]
static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[cfg(feature = "cuda")]
pub(crate) fn count_dropped(n: u64) {
    crate::stats::add_gpu_dropped(n);
}

/// Where delivery reads CUPTI's clock, launch threads and API names: the
/// live session's, or the synthetic path's ([`synthetic`]).
#[cfg(feature = "cuda")]
#[derive(Clone, Copy)]
pub(crate) struct Sources {
    pub(crate) cupti_clock: fn() -> u64,
    pub(crate) thread_of: fn(u32) -> Option<u32>,
    pub(crate) api_name: fn(bool, u32) -> Option<String>,
}

/// What buffer delivery touches, behind one lock.
#[cfg(feature = "cuda")]
struct Delivery {
    correlator: correlate::Correlator,
    resolved: Vec<correlate::Resolved>,
    sources: Sources,
}

#[cfg(feature = "cuda")]
static DELIVERY: std::sync::Mutex<Option<Delivery>> = std::sync::Mutex::new(None);

#[cfg(feature = "cuda")]
fn delivery() -> std::sync::MutexGuard<'static, Option<Delivery>> {
    DELIVERY.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(feature = "cuda")]
pub(crate) fn set_sources(sources: Sources) {
    let mut d = delivery();
    match d.as_mut() {
        Some(d) => d.sources = sources,
        None => {
            *d = Some(Delivery {
                correlator: correlate::Correlator::default(),
                resolved: Vec::new(),
                sources,
            })
        }
    }
}

/// Takes the decoded records of one completed buffer.
#[cfg(feature = "cuda")]
pub(crate) fn receive(records: Vec<Result<activity::Activity, activity::Malformed>>) {
    let mut d = delivery();
    let Some(d) = d.as_mut() else { return };
    let Delivery {
        correlator,
        resolved,
        ..
    } = d;
    for r in records {
        match r {
            Ok(a) => correlator.add(a, resolved),
            Err(_) => count_dropped(1),
        }
    }
    correlator.end_of_buffer(resolved);
}

/// At the final flush: everything still waiting for its launch record.
#[cfg(feature = "cuda")]
fn finish() {
    if let Some(d) = delivery().as_mut() {
        d.correlator.finish(&mut d.resolved);
    }
}

/// Converts what was resolved and queues it for the collector, with a
/// calibration of CUPTI's clock measured now.
#[cfg(feature = "cuda")]
pub(crate) fn deliver() {
    let q = QUEUE.get_or_init(|| crossbeam_channel::bounded(QUEUE_CAPACITY));
    let (resolved, sources) = {
        let mut d = delivery();
        let Some(d) = d.as_mut() else { return };
        (std::mem::take(&mut d.resolved), d.sources)
    };
    if resolved.is_empty() {
        return;
    }
    let calibration =
        clock::Calibration::measure(crate::clock::now_monotonic_ns, sources.cupti_clock);
    let cx = convert::Context {
        pid: std::process::id(),
        calibration,
        thread_of: &sources.thread_of,
        api_name: &sources.api_name,
    };
    for r in resolved {
        let id = crate::record::ids::gpu_span_id(SEQ.fetch_add(1, Ordering::Relaxed));
        if q.0.try_send(convert::to_record(r, id, &cx)).is_err() {
            count_dropped(1);
        }
    }
}

#[cfg(feature = "cuda")]
#[doc(hidden)]
pub mod synthetic;

#[cfg(test)]
mod mode_tests {
    use super::CudaMode;

    #[test]
    fn modes_parse_and_bad_values_say_what_is_expected() {
        assert_eq!(CudaMode::parse("auto"), Ok(CudaMode::Auto));
        assert_eq!(CudaMode::parse(" ON "), Ok(CudaMode::On));
        assert_eq!(CudaMode::parse("1"), Ok(CudaMode::On));
        assert_eq!(CudaMode::parse("off"), Ok(CudaMode::Off));
        assert_eq!(CudaMode::parse("false"), Ok(CudaMode::Off));
        assert_eq!(
            CudaMode::parse("gpu"),
            Err("expected auto, on or off".into())
        );
    }
}
