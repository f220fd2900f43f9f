//! Turns ring events into completed [`SpanRecord`]s.
//!
//! Per thread the collector replays the thread's events against a stack:
//! `ENTER` pushes a frame (parent = the frame below, or a new root),
//! `EXIT` pops and emits it, `RESUME`/`SUSPEND` bracket the polls of an
//! async span so sync spans inside become its children. Async spans live in
//! a map keyed by their producer-chosen id, because their start, polls and
//! end may be on different threads. Rings are drained in some order, so an
//! event can name an async span whose `ASYNC_START` sits in a ring not yet
//! drained; such a thread's replay pauses at that event and resumes on the
//! next drain of the other ring (the start happened before, so it is there).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::model::{FieldValue, SpanFlags, SpanId, SpanKind, SpanRecord, SpanStatus, TraceId};
use crate::record::clock::Converter;
use crate::record::event::{self, Event};
use crate::record::ids::{span_id, trace_of_root};
use crate::record::ring::Ring;
use crate::record::Site;

/// Passes an event may stay blocked before it is dropped (and counted):
/// only reachable if the `ASYNC_START` it waits for was never pushed.
const MAX_STALL_PASSES: u32 = 500;
/// Cap on concurrently open async spans tracked by the collector.
const MAX_OPEN_ASYNC: usize = 1 << 16;

type Fields = Vec<(Cow<'static, str>, FieldValue)>;

struct Open {
    site: &'static Site,
    start: u64,
    id: SpanId,
    parent: Option<SpanId>,
    trace: TraceId,
    fields: Fields,
}

enum Frame {
    Sync(Open),
    /// A poll of async span `id` is running on this thread.
    Resume(SpanId, TraceId),
}

struct OpenAsync {
    span: Open,
    tid: u32,
    thread_name: Option<Arc<str>>,
}

/// Collector-side state of one thread.
pub(crate) struct ThreadCtx {
    pub(crate) ring: crate::sync::Arc<Ring>,
    pub(crate) pending: VecDeque<Event>,
    stack: Vec<Frame>,
    /// Ring position of `pending.front()`: events drained so far, so each
    /// `ENTER`'s position — and with it the span's id — is the one the
    /// producer derived (`record::ids`).
    pos: u64,
    target: Option<u64>,
    stalled: u32,
    /// Outside parent announced (`ROOT_PARENT`) for the next root span.
    root_parent: Option<(TraceId, SpanId)>,
}

impl ThreadCtx {
    pub(crate) fn new(ring: crate::sync::Arc<Ring>) -> ThreadCtx {
        ThreadCtx {
            ring,
            pending: VecDeque::new(),
            stack: Vec::new(),
            pos: 0,
            target: None,
            stalled: 0,
            root_parent: None,
        }
    }

    /// Spans still open (never exited) on this thread.
    pub(crate) fn open_spans(&self) -> usize {
        self.stack
            .iter()
            .filter(|f| matches!(f, Frame::Sync(_)))
            .count()
    }
}

impl Drop for ThreadCtx {
    fn drop(&mut self) {
        for ev in self.pending.drain(..) {
            // SAFETY: pending events were moved out of the ring and never
            // decoded; each is discarded once.
            unsafe { ev.discard() };
        }
    }
}

/// Output of one pass: spans in completion order.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) spans: Vec<SpanRecord>,
    pub(crate) started: u64,
    pub(crate) dropped: u64,
}

/// Pairing state shared by all threads.
pub(crate) struct Pairing {
    asyncs: HashMap<u64, OpenAsync>,
    /// Most open async spans tracked at once (`MAX_OPEN_ASYNC`).
    max_open_async: usize,
    /// Async spans evicted from a full `asyncs` (counted as dropped): their
    /// later events are skipped instead of waiting for a start that is gone.
    forgotten: HashSet<u64>,
    pid: u32,
    pub(crate) remote: Option<(TraceId, SpanId)>,
}

impl Pairing {
    pub(crate) fn new() -> Pairing {
        Pairing {
            asyncs: HashMap::new(),
            max_open_async: MAX_OPEN_ASYNC,
            forgotten: HashSet::new(),
            pid: std::process::id(),
            remote: None,
        }
    }

    /// Parent and trace of span `id` starting on `ctx` now. A root takes
    /// the outside parent announced just before it (`ROOT_PARENT`), else
    /// the remote parent, else starts a trace derived from its id — the
    /// same rule as the producer's `record::ids::root_trace`.
    fn parent_of(&mut self, ctx: &mut ThreadCtx, id: u64) -> (Option<SpanId>, TraceId) {
        let announced = ctx.root_parent.take();
        match ctx.stack.last() {
            Some(Frame::Sync(o)) => (Some(o.id), o.trace),
            Some(Frame::Resume(id, trace)) => (Some(*id), *trace),
            None => match announced.or(self.remote) {
                Some((trace, parent)) => (Some(parent), trace),
                None => (None, TraceId(trace_of_root(id))),
            },
        }
    }

    /// Replays `ctx.pending` until it is empty or blocked. Returns whether
    /// any event was consumed.
    /// Stops early once `out` holds `limit` spans (the caller exports them
    /// and calls again), so a batch never grows beyond `limit`.
    pub(crate) fn replay(
        &mut self,
        ctx: &mut ThreadCtx,
        conv: &Converter,
        out: &mut Batch,
        limit: usize,
    ) -> bool {
        let mut progressed = false;
        while let Some(&ev) = ctx.pending.front() {
            if out.spans.len() >= limit {
                return progressed;
            }
            if !self.apply(ctx, ev, conv, out) {
                return progressed;
            }
            ctx.pending.pop_front();
            ctx.pos += 1;
            ctx.stalled = 0;
            progressed = true;
        }
        progressed
    }

    /// Called once per pass for a thread still blocked after all replays:
    /// after too many passes, drops the blocking event.
    pub(crate) fn note_stall(&mut self, ctx: &mut ThreadCtx, out: &mut Batch) {
        if ctx.pending.is_empty() {
            return;
        }
        ctx.stalled += 1;
        if ctx.stalled > MAX_STALL_PASSES {
            if let Some(ev) = ctx.pending.pop_front() {
                // SAFETY: removed from the queue, discarded once.
                unsafe { ev.discard() };
                ctx.pos += 1;
                out.dropped += 1;
            }
            ctx.stalled = 0;
        }
    }

    /// Applies one event; `false` if it names an async span not seen yet.
    fn apply(&mut self, ctx: &mut ThreadCtx, ev: Event, conv: &Converter, out: &mut Batch) -> bool {
        match ev.kind {
            event::ROOT_PARENT => {
                let trace = TraceId((ev.w[0] as u128) << 64 | ev.w[1] as u128);
                // Zeros: the provider had no context for this root.
                ctx.root_parent =
                    (trace.0 != 0 && ev.w[2] != 0).then_some((trace, SpanId(ev.w[2])));
            }
            event::ENTER => {
                let id = span_id(ctx.ring.thread_no, ctx.pos, false);
                let (parent, trace) = self.parent_of(ctx, id);
                let id = SpanId(id);
                ctx.stack.push(Frame::Sync(Open {
                    site: ev.site(),
                    start: ev.w[1],
                    id,
                    parent,
                    trace,
                    fields: Vec::new(),
                }));
                out.started += 1;
            }
            event::EXIT => {
                if let Some(pos) = ctx.stack.iter().rposition(|f| matches!(f, Frame::Sync(_))) {
                    if let Frame::Sync(open) = ctx.stack.remove(pos) {
                        let rec = self.record(
                            open,
                            ev.w[0],
                            ev.a,
                            conv,
                            ctx.ring.tid,
                            ctx.ring.thread_name.clone(),
                        );
                        out.spans.push(rec);
                    }
                }
            }
            event::FIELD => {
                // SAFETY: this event was moved out of the ring and is
                // consumed here exactly once.
                let value = unsafe { ev.into_field_value() };
                let target = if ev.c & event::FIELD_TARGETED != 0 {
                    ctx.target
                        .and_then(|id| self.asyncs.get_mut(&id))
                        .map(|a| &mut a.span)
                } else {
                    ctx.stack.iter_mut().rev().find_map(|f| match f {
                        Frame::Sync(o) => Some(o),
                        Frame::Resume(..) => None,
                    })
                };
                if let Some(open) = target {
                    let name = match open.site.fields.get(ev.a as usize) {
                        Some(n) => Cow::Borrowed(*n),
                        None => Cow::Owned(format!("field{}", ev.a)),
                    };
                    open.fields.push((name, value));
                }
            }
            event::TARGET => {
                if self.forgotten.contains(&ev.w[0]) {
                    ctx.target = None;
                    return true;
                }
                if !self.asyncs.contains_key(&ev.w[0]) {
                    return false;
                }
                ctx.target = Some(ev.w[0]);
            }
            event::ASYNC_START => {
                let (parent, trace) = self.parent_of(ctx, ev.w[1]);
                if self.asyncs.len() >= self.max_open_async {
                    self.evict_oldest_async(out);
                }
                self.asyncs.insert(
                    ev.w[1],
                    OpenAsync {
                        span: Open {
                            site: ev.site(),
                            start: ev.w[2],
                            id: SpanId(ev.w[1]),
                            parent,
                            trace,
                            fields: Vec::new(),
                        },
                        tid: ctx.ring.tid,
                        thread_name: ctx.ring.thread_name.clone(),
                    },
                );
                out.started += 1;
            }
            event::ASYNC_END => {
                if self.forgotten.remove(&ev.w[0]) {
                    return true;
                }
                let Some(a) = self.asyncs.remove(&ev.w[0]) else {
                    return false;
                };
                let mut rec = self.record(a.span, ev.w[1], ev.a, conv, a.tid, a.thread_name);
                rec.flags = SpanFlags::ASYNC;
                out.spans.push(rec);
            }
            event::RESUME => {
                if self.forgotten.contains(&ev.w[0]) {
                    return true;
                }
                let Some(a) = self.asyncs.get(&ev.w[0]) else {
                    return false;
                };
                ctx.stack.push(Frame::Resume(a.span.id, a.span.trace));
            }
            event::SUSPEND => {
                if let Some(pos) = ctx
                    .stack
                    .iter()
                    .rposition(|f| matches!(f, Frame::Resume(id, _) if id.0 == ev.w[0]))
                {
                    ctx.stack.truncate(pos);
                }
            }
            _ => {}
        }
        true
    }

    /// Makes room in a full map of open async spans by dropping (and
    /// counting) the one that started first: most likely one whose end was
    /// lost to a full ring, never to complete.
    fn evict_oldest_async(&mut self, out: &mut Batch) {
        let Some(oldest) = self
            .asyncs
            .iter()
            .min_by_key(|(_, a)| a.span.start)
            .map(|(id, _)| *id)
        else {
            return;
        };
        self.asyncs.remove(&oldest);
        if self.forgotten.len() >= self.max_open_async {
            // Bounded: past this, late events of long-gone spans fall back
            // to the stall limit.
            self.forgotten.clear();
        }
        self.forgotten.insert(oldest);
        out.dropped += 1;
    }

    fn record(
        &self,
        open: Open,
        end_raw: u64,
        flags: u8,
        conv: &Converter,
        tid: u32,
        thread_name: Option<Arc<str>>,
    ) -> SpanRecord {
        let start_ns = conv.to_ns(open.start);
        let end_ns = conv.to_ns(end_raw).max(start_ns);
        let status = if flags & event::FLAG_PANIC != 0 {
            SpanStatus::Error(Cow::Borrowed("panic"))
        } else if flags & event::FLAG_ERROR != 0 {
            SpanStatus::Error(Cow::Borrowed("error"))
        } else {
            SpanStatus::Unset
        };
        let site = open.site;
        SpanRecord {
            trace_id: open.trace,
            span_id: open.id,
            parent_span_id: open.parent,
            name: Cow::Borrowed(site.name),
            kind: SpanKind::Function,
            flags: SpanFlags::NONE,
            start_ns,
            end_ns,
            pid: self.pid,
            tid,
            thread_name,
            site_id: site.site_id,
            decision_id: (site.decision_id != 0).then_some(site.decision_id),
            module_path: Cow::Borrowed(site.module_path),
            file: Cow::Borrowed(site.file),
            line: site.line,
            fields: open.fields,
            status,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::record::ring::Ring;

    static SITE: Site = Site::new("a", "m", "f.rs", 1, 0, &[]);

    fn ctx() -> ThreadCtx {
        ThreadCtx::new(crate::sync::Arc::new(Ring::new(16, 1, 7, None)))
    }

    #[test]
    fn full_async_map_evicts_the_oldest_and_skips_its_later_events() {
        let mut p = Pairing::new();
        p.max_open_async = 2;
        let conv = Converter::current();
        let mut c = ctx();
        let mut out = Batch::default();
        for (id, ts) in [(11, 100), (12, 200), (13, 300)] {
            c.pending.push_back(Event::async_start(&SITE, id, ts));
        }
        // Events of the evicted span 11 must not block the thread.
        c.pending.push_back(Event::simple(event::RESUME, 11, 0, 0));
        c.pending.push_back(Event::simple(event::SUSPEND, 11, 0, 0));
        c.pending
            .push_back(Event::simple(event::ASYNC_END, 11, 400, 0));
        c.pending
            .push_back(Event::simple(event::ASYNC_END, 12, 500, 0));
        c.pending
            .push_back(Event::simple(event::ASYNC_END, 13, 600, 0));
        assert!(p.replay(&mut c, &conv, &mut out, usize::MAX));
        assert!(c.pending.is_empty());
        assert_eq!(out.dropped, 1);
        let ids: Vec<u64> = out.spans.iter().map(|s| s.span_id.0).collect();
        assert_eq!(ids, vec![12, 13]);
        assert!(p.forgotten.is_empty() && p.asyncs.is_empty());
    }

    #[test]
    fn unknown_async_ids_block_only_until_their_start_arrives() {
        let mut p = Pairing::new();
        let conv = Converter::current();
        let (mut a, mut b) = (ctx(), ctx());
        let mut out = Batch::default();
        b.pending
            .push_back(Event::simple(event::ASYNC_END, 21, 500, 0));
        assert!(!p.replay(&mut b, &conv, &mut out, usize::MAX));
        assert_eq!(b.pending.len(), 1);
        a.pending.push_back(Event::async_start(&SITE, 21, 100));
        assert!(p.replay(&mut a, &conv, &mut out, usize::MAX));
        assert!(p.replay(&mut b, &conv, &mut out, usize::MAX));
        assert_eq!(out.spans.len(), 1);
        assert!(out.spans[0].flags.is_async());
    }
}
