//! The live CUPTI session: presence checks, the launch callbacks, activity
//! buffers and their delivery. Everything here calls into `libcupti`
//! through cudarc's dynamically loaded `sys` bindings, which panic on a
//! missing library or symbol: [`probe`] checks both before anything else
//! is called, and optional symbols are looked up before each use.
//!
//! Threads: the launch callback runs on the application's launching
//! thread and does no allocation and takes no lock (a table store and, in
//! a recorded span, three external-id pushes). Buffers are requested on
//! whatever thread CUPTI needs one and come from a fixed pool allocated at
//! start; a full pool makes CUPTI drop records, which it counts and
//! renacer reads back into `stats().gpu_dropped`. Completed buffers are
//! decoded on CUPTI's delivery thread (or the thread calling flush) under
//! the session lock.

use std::ffi::{c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crossbeam_queue::ArrayQueue;
use cudarc::cupti::sys as cupti;
use cupti::{
    CUptiResult, CUpti_ActivityKind as Kind, CUpti_ApiCallbackSite, CUpti_CallbackData,
    CUpti_CallbackDomain, CUpti_ExternalCorrelationKind as ExtKind, CUpti_SubscriberHandle,
};

use super::activity::{decode, record_len};
use super::correlate::{EXT_SPAN, EXT_TRACE_HI, EXT_TRACE_LO};

/// Why no CUDA activity can be read in this process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Absent {
    /// No `libcuda` (no NVIDIA driver).
    NoDriver,
    /// No `libcupti` on the library path.
    NoCupti,
    /// `libcupti` lacks a function renacer needs (too old).
    MissingSymbol(&'static str),
    /// CUPTI older than 12.0 (API version 18): its records have other layouts.
    TooOld(u32),
    /// CUPTI refused a call renacer needs.
    Refused(&'static str, u32),
}

impl std::fmt::Display for Absent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Absent::NoDriver => write!(f, "no NVIDIA driver (libcuda) found"),
            Absent::NoCupti => write!(
                f,
                "no libcupti found (add CUDA's extras/CUPTI/lib64 to LD_LIBRARY_PATH)"
            ),
            Absent::MissingSymbol(s) => {
                write!(f, "libcupti has no {s} (CUPTI 12.0 or later needed)")
            }
            Absent::TooOld(v) => write!(f, "CUPTI API version {v} is older than 12.0 (18)"),
            Absent::Refused(call, code) => write!(f, "CUPTI refused {call} (CUptiResult {code})"),
        }
    }
}

/// Functions called unconditionally once the session starts.
const REQUIRED: [&str; 14] = [
    "cuptiGetVersion",
    "cuptiSubscribe",
    "cuptiUnsubscribe",
    "cuptiEnableCallback",
    "cuptiGetCallbackName",
    "cuptiGetTimestamp",
    "cuptiActivityEnable",
    "cuptiActivityDisable",
    "cuptiActivityRegisterCallbacks",
    "cuptiActivityFlushAll",
    "cuptiActivityGetNextRecord",
    "cuptiActivityGetNumDroppedRecords",
    "cuptiActivityPushExternalCorrelationId",
    "cuptiActivityPopExternalCorrelationId",
];

fn has_symbol(name: &str) -> bool {
    // SAFETY: called only after `is_culib_present` found the library, so
    // `culib` loads it instead of panicking; looking a symbol up has no
    // other precondition (the pointer is not called here).
    unsafe { cupti::culib().get::<*const c_void>(name) }.is_ok()
}

/// Whether CUDA activity can be read here; calls nothing that could panic.
pub(crate) fn probe() -> Result<(), Absent> {
    // SAFETY: the presence checks only try to open the libraries.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err(Absent::NoDriver);
    }
    // SAFETY: as above.
    if !unsafe { cupti::is_culib_present() } {
        return Err(Absent::NoCupti);
    }
    if let Some(missing) = REQUIRED.iter().find(|s| !has_symbol(s)) {
        return Err(Absent::MissingSymbol(missing));
    }
    let mut version = 0u32;
    // SAFETY: the symbol exists (checked above); `version` is a valid out
    // pointer.
    check("cuptiGetVersion", unsafe {
        cupti::cuptiGetVersion(&mut version)
    })?;
    if version < 18 {
        return Err(Absent::TooOld(version));
    }
    Ok(())
}

fn check(call: &'static str, r: CUptiResult) -> Result<(), Absent> {
    match r {
        CUptiResult::CUPTI_SUCCESS => Ok(()),
        other => Err(Absent::Refused(call, other as u32)),
    }
}

/// Activity buffers: 8 of 1 MiB, allocated once.
const BUFFERS: usize = 8;
const BUFFER_BYTES: usize = 1 << 20;

/// Launch correlation id → the launching thread, written by the launch
/// callback: each slot holds `correlation << 32 | tid` of the last launch
/// that hashed there, one relaxed store, no lock. A slot overwritten
/// before its device work was delivered (65,536 launches in flight) falls
/// back to CUPTI's own thread id.
const THREAD_SLOTS: usize = 1 << 16;

pub(crate) struct Session {
    pool: ArrayQueue<usize>,
    threads: Box<[AtomicU64]>,
}

static SESSION: OnceLock<Session> = OnceLock::new();

fn gettid() -> u32 {
    thread_local! {
        static TID: u32 = {
            // SAFETY: `gettid` has no preconditions.
            unsafe { libc::syscall(libc::SYS_gettid) as u32 }
        };
    }
    TID.try_with(|t| *t).unwrap_or(0)
}

pub(crate) fn cupti_now() -> u64 {
    let mut t = 0u64;
    // SAFETY: required symbol (probed); `t` is a valid out pointer.
    let _ = unsafe { cupti::cuptiGetTimestamp(&mut t) };
    t
}

/// The API kinds, the device kinds and the external correlation records.
const ACTIVITY_KINDS: [Kind; 6] = [
    Kind::CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
    Kind::CUPTI_ACTIVITY_KIND_MEMCPY,
    Kind::CUPTI_ACTIVITY_KIND_MEMSET,
    Kind::CUPTI_ACTIVITY_KIND_DRIVER,
    Kind::CUPTI_ACTIVITY_KIND_RUNTIME,
    Kind::CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION,
];

/// Whether an API (by its callback name) submits device work renacer
/// records: launches, copies, sets (and graph launches, whose kernels
/// share the launch's correlation id).
pub(crate) fn submits_work(name: &str) -> bool {
    let n = name.trim_start_matches("cu").trim_start_matches("da");
    n.starts_with("Launch")
        || n.starts_with("GraphLaunch")
        || n.contains("Memcpy")
        || n.contains("Memset")
}

/// Callback ids scanned per domain (above every CUDA 12/13 table's size).
const MAX_CBID: u32 = 1024;

/// Starts the session (once per process; later calls re-enable activity).
pub(crate) fn start() -> Result<&'static Session, Absent> {
    probe()?;
    if let Some(s) = SESSION.get() {
        enable_activity()?;
        return Ok(s);
    }
    let mut subscriber: CUpti_SubscriberHandle = std::ptr::null_mut();
    // SAFETY: probed symbols; `on_api` matches `CUpti_CallbackFunc` and
    // never unwinds; the out pointer is valid.
    check("cuptiSubscribe", unsafe {
        cupti::cuptiSubscribe(&mut subscriber, Some(on_api), std::ptr::null_mut())
    })?;
    // Callbacks only for the calls that submit work: other API calls cost
    // nothing more than without renacer.
    for domain in [
        CUpti_CallbackDomain::CUPTI_CB_DOMAIN_DRIVER_API,
        CUpti_CallbackDomain::CUPTI_CB_DOMAIN_RUNTIME_API,
    ] {
        for cbid in 1..MAX_CBID {
            let mut name: *const std::ffi::c_char = std::ptr::null();
            // SAFETY: probed symbol; an unknown cbid returns an error and
            // leaves `name` null.
            let r = unsafe { cupti::cuptiGetCallbackName(domain, cbid, &mut name) };
            if r != CUptiResult::CUPTI_SUCCESS || name.is_null() {
                continue;
            }
            // SAFETY: CUPTI returned a NUL-terminated static name.
            let n = unsafe { CStr::from_ptr(name) }.to_string_lossy();
            if submits_work(&n) {
                // SAFETY: probed symbol, live subscriber.
                let _ = unsafe { cupti::cuptiEnableCallback(1, subscriber, domain, cbid) };
            }
        }
    }
    // SAFETY: probed symbol; both callbacks match CUPTI's signatures and
    // never unwind (until the session exists, they hand out no buffer).
    let registered = check("cuptiActivityRegisterCallbacks", unsafe {
        cupti::cuptiActivityRegisterCallbacks(Some(buffer_requested), Some(buffer_completed))
    });
    if let Err(e) = registered {
        // SAFETY: probed symbol; the subscriber is ours and live.
        let _ = unsafe { cupti::cuptiUnsubscribe(subscriber) };
        return Err(e);
    }
    let pool = ArrayQueue::new(BUFFERS);
    for _ in 0..BUFFERS {
        // 8-byte aligned, as CUPTI requires; leaked: CUPTI may hold a
        // buffer until the process ends.
        let buf: &'static mut [u64] = Box::leak(vec![0u64; BUFFER_BYTES / 8].into_boxed_slice());
        let _ = pool.push(buf.as_mut_ptr() as usize);
    }
    let session = Session {
        pool,
        threads: (0..THREAD_SLOTS).map(|_| AtomicU64::new(0)).collect(),
    };
    let s = SESSION.get_or_init(|| session);
    super::set_sources(super::Sources {
        cupti_clock: cupti_now,
        thread_of: |c| SESSION.get().and_then(|s| s.thread_of(c)),
        api_name: |rt, cbid| SESSION.get().and_then(|s| s.api_name(rt, cbid)),
    });
    enable_activity()?;
    Ok(s)
}

fn enable_activity() -> Result<(), Absent> {
    for k in ACTIVITY_KINDS {
        // SAFETY: probed symbol.
        check("cuptiActivityEnable", unsafe {
            cupti::cuptiActivityEnable(k)
        })?;
    }
    Ok(())
}

/// Stops recording activity (after the final flush).
pub(crate) fn disable_activity() {
    for k in ACTIVITY_KINDS {
        // SAFETY: probed symbol (a session exists only after `probe`).
        let _ = unsafe { cupti::cuptiActivityDisable(k) };
    }
}

/// Delivers every buffer CUPTI holds, completed or not, through
/// `buffer_completed` on this thread.
pub(crate) fn flush_all() {
    // SAFETY: probed symbol. `FLUSH_FORCED` (1) also delivers buffers that
    // are not full.
    let _ = unsafe { cupti::cuptiActivityFlushAll(1) };
}

impl Session {
    /// The OS tid renacer noted for launch `correlation`.
    pub(crate) fn thread_of(&self, correlation: u32) -> Option<u32> {
        let v = self.threads[correlation as usize % THREAD_SLOTS].load(Ordering::Relaxed);
        (v >> 32 == u64::from(correlation) && v != 0).then_some(v as u32)
    }

    /// An API's name by domain and callback id.
    pub(crate) fn api_name(&self, runtime: bool, cbid: u32) -> Option<String> {
        let domain = if runtime {
            CUpti_CallbackDomain::CUPTI_CB_DOMAIN_RUNTIME_API
        } else {
            CUpti_CallbackDomain::CUPTI_CB_DOMAIN_DRIVER_API
        };
        let mut name: *const std::ffi::c_char = std::ptr::null();
        // SAFETY: probed symbol; `name` is a valid out pointer.
        let r = unsafe { cupti::cuptiGetCallbackName(domain, cbid, &mut name) };
        if r != CUptiResult::CUPTI_SUCCESS || name.is_null() {
            return None;
        }
        // SAFETY: CUPTI returned a NUL-terminated static name.
        Some(
            unsafe { CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}

thread_local! {
    /// Launch API calls open on this thread (nesting: a runtime call and
    /// the driver call inside it), and which of them pushed external ids.
    static NESTING: std::cell::Cell<(u32, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// The launch callback: at entry, notes the thread for the call's
/// correlation id and, inside a recorded span, pushes the span id and
/// trace id as external correlation ids; at exit, pops what was pushed.
unsafe extern "C" fn on_api(
    _user: *mut c_void,
    _domain: CUpti_CallbackDomain,
    _cbid: u32,
    data: *const c_void,
) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let Some(s) = SESSION.get() else { return };
        if data.is_null() {
            return;
        }
        // SAFETY: for API domains CUPTI passes a `CUpti_CallbackData`
        // valid for the callback.
        let d = unsafe { &*(data as *const CUpti_CallbackData) };
        let (depth, pushed) = NESTING.try_with(|n| n.get()).unwrap_or((0, 0));
        let bit = 1u64 << (depth.min(63));
        match d.callbackSite {
            CUpti_ApiCallbackSite::CUPTI_API_ENTER => {
                let slot = d.correlationId as usize % THREAD_SLOTS;
                s.threads[slot].store(
                    u64::from(d.correlationId) << 32 | u64::from(gettid()),
                    Ordering::Relaxed,
                );
                let mut pushed = pushed & !bit;
                if let Some((trace, span)) = crate::record::ids::current() {
                    for (kind, id) in [
                        (EXT_SPAN, span),
                        (EXT_TRACE_HI, (trace >> 64) as u64),
                        (EXT_TRACE_LO, trace as u64),
                    ] {
                        // SAFETY: probed symbol.
                        let _ = unsafe {
                            cupti::cuptiActivityPushExternalCorrelationId(ext_kind(kind), id)
                        };
                    }
                    pushed |= bit;
                }
                let _ = NESTING.try_with(|n| n.set((depth + 1, pushed)));
            }
            CUpti_ApiCallbackSite::CUPTI_API_EXIT => {
                let depth = depth.saturating_sub(1);
                let bit = 1u64 << depth.min(63);
                if pushed & bit != 0 {
                    for kind in [EXT_TRACE_LO, EXT_TRACE_HI, EXT_SPAN] {
                        let mut last = 0u64;
                        // SAFETY: probed symbol; `last` is a valid out pointer.
                        let _ = unsafe {
                            cupti::cuptiActivityPopExternalCorrelationId(ext_kind(kind), &mut last)
                        };
                    }
                }
                let _ = NESTING.try_with(|n| n.set((depth, pushed & !bit)));
            }
            _ => {}
        }
    }));
}

fn ext_kind(k: u32) -> ExtKind {
    match k {
        EXT_SPAN => ExtKind::CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0,
        EXT_TRACE_HI => ExtKind::CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM1,
        _ => ExtKind::CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM2,
    }
}

/// CUPTI asks for a buffer: one from the pool, or none (CUPTI then drops
/// records and counts them).
unsafe extern "C" fn buffer_requested(
    buffer: *mut *mut u8,
    size: *mut usize,
    max_records: *mut usize,
) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let got = SESSION.get().and_then(|s| s.pool.pop());
        // SAFETY: CUPTI passes valid out pointers.
        unsafe {
            *buffer = got.map_or(std::ptr::null_mut(), |p| p as *mut u8);
            *size = if got.is_some() { BUFFER_BYTES } else { 0 };
            *max_records = 0;
        }
    }));
}

/// CUPTI hands a buffer back: decode its records, resolve what can be,
/// read CUPTI's drop count, return the buffer to the pool.
unsafe extern "C" fn buffer_completed(
    ctx: cudarc::driver::sys::CUcontext,
    stream: u32,
    buffer: *mut u8,
    _size: usize,
    valid: usize,
) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let Some(s) = SESSION.get() else { return };
        if buffer.is_null() {
            return;
        }
        let mut records = Vec::new();
        let mut record: *mut cupti::CUpti_Activity = std::ptr::null_mut();
        loop {
            // SAFETY: `buffer` holds `valid` bytes of records written by
            // CUPTI; `record` is CUPTI's cursor into it.
            let r = unsafe { cupti::cuptiActivityGetNextRecord(buffer, valid, &mut record) };
            if r != CUptiResult::CUPTI_SUCCESS || record.is_null() {
                break;
            }
            let at = record as usize - buffer as usize;
            // SAFETY: the record lies inside the buffer's valid bytes and
            // starts with its 4-byte kind (read as a number: a kind newer
            // than cudarc's enum must not become an enum value).
            let kind = unsafe { std::ptr::read_unaligned(record as *const u32) };
            let len = record_len(kind).unwrap_or(4).min(valid.saturating_sub(at));
            // SAFETY: `len` bytes from `record` are inside the buffer.
            let bytes = unsafe { std::slice::from_raw_parts(record as *const u8, len) };
            // SAFETY: a CUPTI record's name pointer is null or a string
            // CUPTI owns, alive while the buffer is.
            records.push(unsafe { decode(bytes) });
        }
        super::receive(records);
        let mut dropped = 0usize;
        // SAFETY: probed symbol; `ctx` and `stream` are CUPTI's own.
        let _ = unsafe { cupti::cuptiActivityGetNumDroppedRecords(ctx, stream, &mut dropped) };
        super::count_dropped(dropped as u64);
        let _ = s.pool.push(buffer as usize);
        super::deliver();
    }));
}
