//! Joins device work with its launch: the API call that launched it (the
//! launching thread's CUPTI API record, same correlation id) and the span
//! that was current there (the external ids renacer pushed during the
//! call).
//!
//! CUPTI delivers the records of one launch in no guaranteed order and in
//! different buffers, so device work waits until its API record is seen,
//! at most [`MAX_WAIT_BUFFERS`] completed buffers, and at the final flush
//! everything left is emitted with what is known. The maps are bounded:
//! correlation ids grow, so the oldest entries go first.

use std::collections::{BTreeMap, VecDeque};

use super::activity::{Activity, DeviceWork, Work};

/// `CUpti_ExternalCorrelationKind` values renacer pushes on the launching
/// thread during a launch API call inside a recorded span: the span id and
/// the two halves of its trace id. Nothing is pushed outside a span.
pub(crate) const EXT_SPAN: u32 = 3; // CUSTOM0
pub(crate) const EXT_TRACE_HI: u32 = 4; // CUSTOM1
pub(crate) const EXT_TRACE_LO: u32 = 5; // CUSTOM2

/// Completed buffers device work waits for its API record.
pub(crate) const MAX_WAIT_BUFFERS: u32 = 4;
/// Entries kept per map (and device items waiting).
pub(crate) const MAX_ENTRIES: usize = 1 << 16;

/// The launch API call, in CUPTI time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ApiCall {
    pub(crate) runtime: bool,
    pub(crate) cbid: u32,
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// CUPTI's thread id of the call.
    pub(crate) thread: u32,
}

/// The span current on the launching thread during the launch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parent {
    pub(crate) trace: u128,
    pub(crate) span: u64,
}

/// Device work with everything known about its launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub(crate) work: DeviceWork,
    pub(crate) what: Work,
    pub(crate) launch: Option<ApiCall>,
    pub(crate) parent: Option<Parent>,
}

#[derive(Default, Clone, Copy)]
struct Ext {
    span: Option<u64>,
    hi: Option<u64>,
    lo: Option<u64>,
}

/// The join state (one per process, behind the CUPTI session's lock).
#[derive(Default)]
pub(crate) struct Correlator {
    ext: BTreeMap<u32, Ext>,
    api: BTreeMap<u32, ApiCall>,
    /// Device work waiting for its API record, with the buffers it waited.
    pending: VecDeque<(DeviceWork, Work, u32)>,
}

fn bound<V>(m: &mut BTreeMap<u32, V>) {
    while m.len() > MAX_ENTRIES {
        m.pop_first();
    }
}

impl Correlator {
    /// Takes one decoded record.
    pub(crate) fn add(&mut self, a: Activity, out: &mut Vec<Resolved>) {
        match a {
            Activity::Device(work, what) => {
                self.pending.push_back((work, what, 0));
                if self.pending.len() > MAX_ENTRIES {
                    // Emit the oldest now rather than hold more.
                    if let Some((w, x, _)) = self.pending.pop_front() {
                        out.push(self.resolve(w, x));
                    }
                }
            }
            Activity::Api {
                runtime,
                cbid,
                start,
                end,
                thread,
                correlation,
            } => {
                // A runtime call and the driver call it made share nothing
                // but the launching thread; the device record names the
                // outermost one, so a runtime record wins a tie.
                let call = ApiCall {
                    runtime,
                    cbid,
                    start,
                    end,
                    thread,
                };
                let e = self.api.entry(correlation).or_insert(call);
                if runtime {
                    *e = call;
                }
                bound(&mut self.api);
            }
            Activity::External {
                kind,
                id,
                correlation,
            } => {
                let e = self.ext.entry(correlation).or_default();
                match kind {
                    EXT_SPAN => e.span = Some(id),
                    EXT_TRACE_HI => e.hi = Some(id),
                    EXT_TRACE_LO => e.lo = Some(id),
                    _ => {}
                }
                bound(&mut self.ext);
            }
            Activity::Other(_) => {}
        }
    }

    fn resolve(&self, work: DeviceWork, what: Work) -> Resolved {
        let parent = self
            .ext
            .get(&work.correlation)
            .and_then(|e| match (e.span, e.hi, e.lo) {
                (Some(span), Some(hi), Some(lo)) if span != 0 => Some(Parent {
                    trace: (hi as u128) << 64 | lo as u128,
                    span,
                }),
                _ => None,
            });
        Resolved {
            launch: self.api.get(&work.correlation).copied(),
            parent,
            work,
            what,
        }
    }

    /// After each completed buffer: emits device work whose API record is
    /// known, or that waited [`MAX_WAIT_BUFFERS`] buffers.
    pub(crate) fn end_of_buffer(&mut self, out: &mut Vec<Resolved>) {
        let pending = std::mem::take(&mut self.pending);
        for (work, what, waited) in pending {
            if waited + 1 >= MAX_WAIT_BUFFERS || self.api.contains_key(&work.correlation) {
                out.push(self.resolve(work, what));
            } else {
                self.pending.push_back((work, what, waited + 1));
            }
        }
    }

    /// At the final flush: emits everything still waiting.
    pub(crate) fn finish(&mut self, out: &mut Vec<Resolved>) {
        for (work, what, _) in std::mem::take(&mut self.pending) {
            out.push(self.resolve(work, what));
        }
    }
}
