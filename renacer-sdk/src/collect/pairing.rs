//! Turns ring events into completed [`SpanRecord`]s.
//!
//! Per thread the collector replays the thread's events against a stack:
//! `ENTER` pushes a frame (parent = the frame below, or a new root),
//! `EXIT` pops and emits it, `RESUME`/`SUSPEND` bracket the polls of an
//! async span so sync spans inside become its children. Async spans live in
//! a map keyed by their producer-chosen id, because their start, polls and
//! end may be on different threads.
//!
//! Replay order between rings never decides whether a span survives: no
//! event waits for another ring. A `RESUME` carries the span's trace id, so
//! a poll's children are complete without the span's start; an end or a
//! targeted field that arrives before its span's `ASYNC_START` (which sits
//! in a ring drained later) is kept in the span's entry, and the span is
//! emitted when both its start and its end have been seen, in either order.
//! Spans still open at shutdown are emitted as `UNFINISHED`.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::model::{FieldValue, SpanFlags, SpanId, SpanRecord, SpanStatus, TraceId};
use crate::record::clock::Converter;
use crate::record::event::{self, Event};
use crate::record::ids::{span_id, trace_of_root};
use crate::record::ring::Ring;
use crate::record::Site;

/// Cap on concurrently open async spans tracked by the collector.
const MAX_OPEN_ASYNC: usize = 1 << 16;

type Fields = Vec<(Cow<'static, str>, FieldValue)>;

struct Open {
    site: &'static Site,
    /// Start in `CLOCK_MONOTONIC` ns, converted once when the start was
    /// replayed (a span's start and end may be converted in different
    /// passes, whose TSC fits differ by a few ns of noise).
    start_ns: u64,
    /// The latest end of its sync children emitted so far: its own end is
    /// never earlier, so children nest inside it whatever fit converted them.
    children_end_ns: u64,
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

/// Which ends of an evicted async span have gone by.
struct Forgotten {
    started: bool,
    ended: bool,
}

/// What has been seen of one async span, in whatever order its events
/// arrived.
#[derive(Default)]
struct AsyncEntry {
    /// From `ASYNC_START`: the span and its starting thread.
    start: Option<(Open, u32, Option<Arc<str>>)>,
    /// From `ASYNC_END`: raw end time and flags.
    end: Option<(u64, u8)>,
    /// Targeted fields seen before the start: (index, value).
    early_fields: Vec<(u8, FieldValue)>,
    /// Order of first sight, for eviction.
    seen: u64,
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
            root_parent: None,
        }
    }
}

impl ThreadCtx {
    /// Sync spans entered and not yet exited on this thread.
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
    /// Sync spans that ended while a span entered after them was still open
    /// (guards dropped out of order, or a guard held across an `.await`).
    pub(crate) misnested: u64,
}

/// Pairing state shared by all threads.
pub(crate) struct Pairing {
    asyncs: HashMap<u64, AsyncEntry>,
    /// Counter behind `AsyncEntry::seen`.
    sightings: u64,
    /// Async spans whose start and end were both seen, not yet emitted.
    completed: Vec<u64>,
    /// Most open async spans tracked at once (`MAX_OPEN_ASYNC`).
    max_open_async: usize,
    /// Async spans evicted from a full `asyncs`: their later events are
    /// skipped, and forgotten once both start and end went by.
    forgotten: HashMap<u64, Forgotten>,
    pid: u32,
    pub(crate) remote: Option<(TraceId, SpanId)>,
}

impl Pairing {
    pub(crate) fn new() -> Pairing {
        Pairing {
            asyncs: HashMap::new(),
            sightings: 0,
            completed: Vec::new(),
            max_open_async: MAX_OPEN_ASYNC,
            forgotten: HashMap::new(),
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

    /// Replays `ctx.pending` until it is empty, or until `out` holds
    /// `limit` spans (the caller exports them and calls again), so a batch
    /// never grows beyond `limit`. Returns whether any event was consumed.
    pub(crate) fn replay(
        &mut self,
        ctx: &mut ThreadCtx,
        conv: &Converter,
        out: &mut Batch,
        limit: usize,
    ) -> bool {
        let mut progressed = false;
        while out.spans.len() < limit {
            let Some(ev) = ctx.pending.pop_front() else {
                break;
            };
            self.apply(ctx, ev, conv, out);
            ctx.pos += 1;
            progressed = true;
        }
        progressed
    }

    /// Applies one event.
    fn apply(&mut self, ctx: &mut ThreadCtx, ev: Event, conv: &Converter, out: &mut Batch) {
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
                let start_ns = start_within(ctx, conv.to_ns(ev.w[1]));
                ctx.stack.push(Frame::Sync(Open {
                    site: ev.site(),
                    start_ns,
                    children_end_ns: 0,
                    id,
                    parent,
                    trace,
                    fields: Vec::new(),
                }));
                out.started += 1;
            }
            event::EXIT => {
                // The span the exit names (a guard dropped out of order ends
                // its own span, not the innermost one), else the innermost.
                let named =
                    (ev.w[1] != 0).then(|| SpanId(span_id(ctx.ring.thread_no, ev.w[1] - 1, false)));
                let innermost = ctx.stack.iter().rposition(|f| matches!(f, Frame::Sync(_)));
                let found = named.and_then(|id| {
                    ctx.stack
                        .iter()
                        .rposition(|f| matches!(f, Frame::Sync(o) if o.id == id))
                });
                if found.is_some() && found != innermost {
                    out.misnested += 1;
                }
                if let Some(pos) = found.or(innermost) {
                    if let Frame::Sync(open) = ctx.stack.remove(pos) {
                        let rec = self.record(
                            open,
                            ev.w[0],
                            ev.a,
                            conv,
                            ctx.ring.tid,
                            ctx.ring.thread_name.clone(),
                        );
                        // Its parent, still open below it, ends no earlier.
                        if let Some(Frame::Sync(parent)) = ctx.stack.iter_mut().rev().find(
                            |f| matches!(f, Frame::Sync(o) if Some(o.id) == rec.parent_span_id),
                        ) {
                            parent.children_end_ns = parent.children_end_ns.max(rec.end_ns);
                        }
                        out.spans.push(rec);
                    }
                }
            }
            event::FIELD => {
                // SAFETY: this event was moved out of the ring and is
                // consumed here exactly once.
                let value = unsafe { ev.into_field_value() };
                if ev.c & event::FIELD_TARGETED != 0 {
                    let Some(id) = ctx.target.filter(|id| !self.forgotten.contains_key(id)) else {
                        return;
                    };
                    let entry = self.entry(id, out);
                    match &mut entry.start {
                        Some((open, ..)) => push_field(open, ev.a, value),
                        // Named once the start (and its site) is known.
                        None => entry.early_fields.push((ev.a, value)),
                    }
                } else if let Some(open) = ctx.stack.iter_mut().rev().find_map(|f| match f {
                    Frame::Sync(o) => Some(o),
                    Frame::Resume(..) => None,
                }) {
                    push_field(open, ev.a, value);
                }
            }
            event::TARGET => ctx.target = Some(ev.w[0]),
            event::ASYNC_START => {
                let id = ev.w[1];
                if let Some(f) = self.forgotten.get_mut(&id) {
                    // Recorded, then dropped here: counted on both sides.
                    out.started += 1;
                    out.dropped += 1;
                    f.started = true;
                    if f.ended {
                        self.forgotten.remove(&id);
                    }
                    return;
                }
                let (parent, trace) = self.parent_of(ctx, id);
                let start_ns = start_within(ctx, conv.to_ns(ev.w[2]));
                let mut open = Open {
                    site: ev.site(),
                    start_ns,
                    children_end_ns: 0,
                    id: SpanId(id),
                    parent,
                    trace,
                    fields: Vec::new(),
                };
                let entry = self.entry(id, out);
                for (index, value) in std::mem::take(&mut entry.early_fields) {
                    push_field(&mut open, index, value);
                }
                entry.start = Some((open, ctx.ring.tid, ctx.ring.thread_name.clone()));
                out.started += 1;
                self.complete_async(id);
            }
            event::ASYNC_END => {
                let id = ev.w[0];
                if let Some(f) = self.forgotten.get_mut(&id) {
                    f.ended = true;
                    if f.started {
                        self.forgotten.remove(&id);
                    }
                    return;
                }
                self.entry(id, out).end = Some((ev.w[1], ev.a));
                self.complete_async(id);
            }
            event::RESUME => {
                let trace = TraceId((ev.w[1] as u128) << 64 | ev.w[2] as u128);
                ctx.stack.push(Frame::Resume(SpanId(ev.w[0]), trace));
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
    }

    /// The entry of async span `id`, created (and, when the map is full,
    /// room made for it) on first sight.
    fn entry(&mut self, id: u64, out: &mut Batch) -> &mut AsyncEntry {
        if !self.asyncs.contains_key(&id) && self.asyncs.len() >= self.max_open_async {
            self.evict_oldest_async(out);
        }
        let seen = self.sightings;
        self.sightings += 1;
        self.asyncs.entry(id).or_insert_with(|| AsyncEntry {
            seen,
            ..AsyncEntry::default()
        })
    }

    /// Notes that async span `id` has both its start and its end: it is
    /// emitted by [`Pairing::emit_completed`] after the collector has
    /// drained every ring once more, so fields recorded on other threads
    /// before the end (in rings drained later) still reach it.
    fn complete_async(&mut self, id: u64) {
        let done = self
            .asyncs
            .get(&id)
            .is_some_and(|e| e.start.is_some() && e.end.is_some());
        if done {
            self.completed.push(id);
        }
    }

    /// Async spans started and not yet emitted (open, or completed and
    /// waiting for the next drain).
    pub(crate) fn open_async(&self) -> usize {
        self.asyncs.values().filter(|e| e.start.is_some()).count()
    }

    /// The async spans completed so far, to emit after the next drain.
    pub(crate) fn take_completed(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.completed)
    }

    /// Emits the async spans `ids` (from [`Pairing::take_completed`]).
    pub(crate) fn emit_completed(&mut self, ids: Vec<u64>, conv: &Converter, out: &mut Batch) {
        for id in ids {
            if let Some(AsyncEntry {
                start: Some((open, tid, thread_name)),
                end: Some((end_raw, flags)),
                ..
            }) = self.asyncs.remove(&id)
            {
                let mut rec = self.record(open, end_raw, flags, conv, tid, thread_name);
                rec.flags = SpanFlags::ASYNC;
                out.spans.push(rec);
            }
        }
    }

    /// Emits every span still open — sync frames of `ctx`'s stack, and,
    /// with `asyncs`, every started async span — as `UNFINISHED`, ending at
    /// `end_raw` (shutdown: the process is exiting with them open, and their
    /// children name them as parents).
    pub(crate) fn finish_open(
        &mut self,
        ctx: &mut ThreadCtx,
        end_raw: u64,
        conv: &Converter,
        out: &mut Batch,
    ) {
        while let Some(frame) = ctx.stack.pop() {
            if let Frame::Sync(open) = frame {
                let mut rec = self.record(
                    open,
                    end_raw,
                    0,
                    conv,
                    ctx.ring.tid,
                    ctx.ring.thread_name.clone(),
                );
                rec.flags = SpanFlags::UNFINISHED;
                out.spans.push(rec);
            }
        }
    }

    /// Emits every started async span: completed ones as they are, the
    /// others as `UNFINISHED` at `end_raw`. Entries without a start
    /// (impossible once every ring is drained) are dropped uncounted: their
    /// span was never recorded.
    pub(crate) fn finish_open_async(&mut self, end_raw: u64, conv: &Converter, out: &mut Batch) {
        self.completed.clear();
        let mut open: Vec<_> = self.asyncs.drain().collect();
        open.sort_unstable_by_key(|(_, e)| e.seen);
        for (_, entry) in open {
            if let Some((span, tid, thread_name)) = entry.start {
                let (end, flags, unfinished) = match entry.end {
                    Some((end, flags)) => (end, flags, false),
                    None => (end_raw, 0, true),
                };
                let mut rec = self.record(span, end, flags, conv, tid, thread_name);
                rec.flags = if unfinished {
                    SpanFlags::ASYNC.with(SpanFlags::UNFINISHED)
                } else {
                    SpanFlags::ASYNC
                };
                out.spans.push(rec);
            }
        }
    }

    /// Makes room in a full map of open async spans by dropping the one
    /// seen first (most likely one whose end was lost to a full ring, never
    /// to complete). A started one is counted as dropped now; one not yet
    /// started is counted when its start arrives. Its later events are
    /// skipped.
    fn evict_oldest_async(&mut self, out: &mut Batch) {
        let Some(oldest) = self
            .asyncs
            .iter()
            .min_by_key(|(_, a)| a.seen)
            .map(|(id, _)| *id)
        else {
            return;
        };
        let Some(entry) = self.asyncs.remove(&oldest) else {
            return;
        };
        if entry.start.is_some() {
            out.dropped += 1;
        }
        if self.forgotten.len() >= self.max_open_async {
            // Bounded: past this, late events of long-gone spans open new
            // entries, emitted as unfinished at shutdown at worst.
            self.forgotten.clear();
        }
        self.forgotten.insert(
            oldest,
            Forgotten {
                started: entry.start.is_some(),
                ended: entry.end.is_some(),
            },
        );
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
        let start_ns = open.start_ns;
        let end_ns = conv.to_ns(end_raw).max(start_ns).max(open.children_end_ns);
        // `#[trace(err)]` records the error's `Display` as the field
        // `error`: it becomes the status message.
        let message = || {
            open.fields.iter().find_map(|(k, v)| match (&**k, v) {
                ("error", FieldValue::Str(m)) => Some(m.clone()),
                _ => None,
            })
        };
        let status = if flags & event::FLAG_PANIC != 0 {
            SpanStatus::Error(Cow::Borrowed("panic"))
        } else if flags & event::FLAG_ERROR != 0 {
            SpanStatus::Error(message().unwrap_or(Cow::Borrowed("error")))
        } else {
            SpanStatus::Unset
        };
        let site = open.site;
        SpanRecord {
            trace_id: open.trace,
            span_id: open.id,
            parent_span_id: open.parent,
            name: Cow::Borrowed(site.name),
            kind: site.kind,
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

/// A start converted now, never before the innermost sync span open on
/// `ctx` (its parent, converted in an earlier pass perhaps).
fn start_within(ctx: &ThreadCtx, start_ns: u64) -> u64 {
    match ctx.stack.last() {
        Some(Frame::Sync(parent)) => start_ns.max(parent.start_ns),
        _ => start_ns,
    }
}

/// Appends field `index` of `open`'s site (named after the site's list).
fn push_field(open: &mut Open, index: u8, value: FieldValue) {
    let name = match open.site.fields.get(index as usize) {
        Some(n) => Cow::Borrowed(*n),
        None => Cow::Owned(format!("field{index}")),
    };
    open.fields.push((name, value));
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::record::ring::Ring;

    static SITE: Site = Site::new("a", "m", "f.rs", 1, 0, &[]);

    fn ctx() -> ThreadCtx {
        ThreadCtx::new(crate::sync::Arc::new(Ring::new(16, 1, 7, None)))
    }

    /// What the collector does after its second drain of a pass.
    fn settle(p: &mut Pairing, conv: &Converter, out: &mut Batch) {
        let done = p.take_completed();
        p.emit_completed(done, conv, out);
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
        settle(&mut p, &conv, &mut out);
        assert!(c.pending.is_empty());
        assert_eq!(out.dropped, 1);
        let ids: Vec<u64> = out.spans.iter().map(|s| s.span_id.0).collect();
        assert_eq!(ids, vec![12, 13]);
        assert!(p.forgotten.is_empty() && p.asyncs.is_empty());
    }

    #[test]
    fn an_end_replayed_before_its_start_waits_for_nothing() {
        let mut p = Pairing::new();
        let conv = Converter::current();
        let (mut a, mut b) = (ctx(), ctx());
        let mut out = Batch::default();
        // Thread b completed the future; its ring is replayed first.
        b.pending
            .push_back(Event::simple(event::ASYNC_END, 21, 500, 0));
        assert!(p.replay(&mut b, &conv, &mut out, usize::MAX));
        assert!(b.pending.is_empty() && out.spans.is_empty());
        a.pending.push_back(Event::async_start(&SITE, 21, 100));
        assert!(p.replay(&mut a, &conv, &mut out, usize::MAX));
        settle(&mut p, &conv, &mut out);
        assert_eq!(out.spans.len(), 1);
        assert!(out.spans[0].flags.is_async());
        assert_eq!(out.started, 1);
        assert!(p.asyncs.is_empty());
    }

    /// The deadlock the old "wait for the start" rule had on work-stealing
    /// runtimes: ring A holds span X's start after a poll of Y, ring B
    /// holds Y's start after a poll of X. Either replay order completes both,
    /// with the polls' children under the right span and trace.
    #[test]
    fn crossed_polls_on_two_threads_complete_in_either_replay_order() {
        static CHILD: Site = Site::new("child", "m", "f.rs", 2, 0, &[]);
        for a_first in [true, false] {
            let mut p = Pairing::new();
            let conv = Converter::current();
            let (mut a, mut b) = (ctx(), ctx());
            let mut out = Batch::default();
            let (tx, ty) = (0xaaa_u128, 0xbbb_u128);
            // Ring A: poll of Y (child inside), then X starts, then Y ends.
            a.pending.push_back(Event::resume(32, ty));
            a.pending.push_back(Event::enter(&CHILD, 110));
            a.pending.push_back(Event::exit(120, 0, 0));
            a.pending.push_back(Event::simple(event::SUSPEND, 32, 0, 0));
            a.pending.push_back(Event::async_start(&SITE, 31, 130));
            a.pending
                .push_back(Event::simple(event::ASYNC_END, 32, 300, 0));
            // Ring B: poll of X, then Y starts, then X ends.
            b.pending.push_back(Event::resume(31, tx));
            b.pending.push_back(Event::simple(event::SUSPEND, 31, 0, 0));
            b.pending.push_back(Event::async_start(&SITE, 32, 100));
            b.pending
                .push_back(Event::simple(event::ASYNC_END, 31, 400, 0));
            let (first, second) = if a_first {
                (&mut a, &mut b)
            } else {
                (&mut b, &mut a)
            };
            assert!(p.replay(first, &conv, &mut out, usize::MAX));
            assert!(p.replay(second, &conv, &mut out, usize::MAX));
            settle(&mut p, &conv, &mut out);
            assert!(a.pending.is_empty() && b.pending.is_empty());
            let mut names: Vec<(&str, u64)> =
                out.spans.iter().map(|s| (&*s.name, s.span_id.0)).collect();
            names.sort();
            assert_eq!(names.len(), 3, "{names:?}");
            let child = out.spans.iter().find(|s| s.name == "child").unwrap();
            assert_eq!(child.parent_span_id, Some(SpanId(32)));
            assert_eq!(child.trace_id, TraceId(ty));
            assert_eq!(out.started, 3);
            assert!(p.asyncs.is_empty());
        }
    }

    /// The end seen first (its thread's ring replayed first), then the
    /// start and a field recorded after it on the starting thread: the
    /// span waits for the next drain, so the field is not lost.
    #[test]
    fn fields_after_the_start_are_kept_when_the_end_was_replayed_first() {
        static FIELDED: Site = Site::new("fielded", "m", "f.rs", 3, 0, &["job"]);
        let mut p = Pairing::new();
        let conv = Converter::current();
        let (mut a, mut b) = (ctx(), ctx());
        let mut out = Batch::default();
        b.pending
            .push_back(Event::simple(event::ASYNC_END, 51, 900, 0));
        assert!(p.replay(&mut b, &conv, &mut out, usize::MAX));
        // First drain of a pass: a's start only.
        a.pending.push_back(Event::async_start(&FIELDED, 51, 100));
        assert!(p.replay(&mut a, &conv, &mut out, usize::MAX));
        let completed = p.take_completed();
        // Second drain: the rest of a's ring.
        a.pending.push_back(Event::simple(event::TARGET, 51, 0, 0));
        a.pending.push_back(Event::field(
            0,
            crate::record::event::RawField::U64(7),
            true,
        ));
        assert!(p.replay(&mut a, &conv, &mut out, usize::MAX));
        p.emit_completed(completed, &conv, &mut out);
        assert_eq!(out.spans.len(), 1);
        assert_eq!(
            out.spans[0].fields,
            vec![(Cow::Borrowed("job"), FieldValue::U64(7))]
        );
    }

    #[test]
    fn open_spans_at_shutdown_are_exported_unfinished() {
        let mut p = Pairing::new();
        let conv = Converter::current();
        let mut c = ctx();
        let mut out = Batch::default();
        c.pending.push_back(Event::enter(&SITE, 100));
        c.pending.push_back(Event::async_start(&SITE, 41, 150));
        assert!(p.replay(&mut c, &conv, &mut out, usize::MAX));
        assert!(out.spans.is_empty());
        p.finish_open(&mut c, 1_000, &conv, &mut out);
        p.finish_open_async(1_000, &conv, &mut out);
        assert_eq!(out.spans.len(), 2);
        assert!(out
            .spans
            .iter()
            .all(|s| s.flags.contains(SpanFlags::UNFINISHED)));
        assert!(out.spans.iter().any(|s| s.flags.is_async()));
        // The async span started inside the sync one: its parent is exported.
        let sync_id = out
            .spans
            .iter()
            .find(|s| !s.flags.is_async())
            .unwrap()
            .span_id;
        let a = out.spans.iter().find(|s| s.flags.is_async()).unwrap();
        assert_eq!(a.parent_span_id, Some(sync_id));
    }

    /// The accounting invariant of the collector, for any interleaving:
    /// async tasks polled on random threads with sync children in their
    /// polls, sync trees, rings replayed in random order and chunk sizes.
    /// Every started span is emitted exactly once (ended, or unfinished at
    /// shutdown), ids are unique, and every child names an emitted parent
    /// in its own trace.
    mod property {
        use super::*;
        use proptest::prelude::*;
        use std::collections::{HashMap, HashSet};

        static CHILD: Site = Site::new("child", "m", "f.rs", 9, 0, &[]);

        /// One step of a generated program: task `task` is polled on
        /// `thread` (its first poll starts it, its last ends it), with
        /// `children` sync spans inside the poll; or a standalone sync tree.
        #[derive(Debug, Clone)]
        enum Step {
            Poll {
                task: usize,
                thread: usize,
                children: u8,
            },
            SyncTree {
                thread: usize,
                depth: u8,
            },
        }

        fn program() -> impl Strategy<Value = (usize, Vec<Step>, Vec<usize>, bool)> {
            let step = prop_oneof![
                3 => (0..6usize, 0..3usize, 0..3u8)
                    .prop_map(|(task, thread, children)| Step::Poll { task, thread, children }),
                1 => (0..3usize, 1..4u8).prop_map(|(thread, depth)| Step::SyncTree { thread, depth }),
            ];
            (
                2..4usize,
                proptest::collection::vec(step, 1..40),
                proptest::collection::vec(1..8usize, 1..20),
                any::<bool>(),
            )
        }

        proptest! {
            #[test]
            fn every_span_once_and_every_parent_exported(
                (threads, steps, chunks, leave_open) in program()
            ) {
                let rings: Vec<Vec<Event>> = build(threads, &steps, leave_open);
                let mut p = Pairing::new();
                let conv = Converter::current();
                let mut ctxs: Vec<ThreadCtx> = (0..threads)
                    .map(|t| ThreadCtx::new(crate::sync::Arc::new(Ring::new(16, t as u64 + 1, 100 + t as u32, None))))
                    .collect();
                let mut next = vec![0usize; threads];
                let mut out = Batch::default();
                let mut spans = Vec::new();
                // Passes: each drains a chunk of some rings, replays, and
                // emits what completed before one more drain.
                let mut k = 0;
                while next.iter().zip(&rings).any(|(n, r)| *n < r.len()) {
                    for half in 0..2 {
                        for t in 0..threads {
                            let t = (t + k + half) % threads;
                            let n = chunks[(k + t) % chunks.len()];
                            let end = (next[t] + n).min(rings[t].len());
                            ctxs[t].pending.extend(rings[t][next[t]..end].iter().copied());
                            next[t] = end;
                            p.replay(&mut ctxs[t], &conv, &mut out, usize::MAX);
                        }
                        if half == 0 {
                            let done = p.take_completed();
                            // The second half is the extra drain.
                            p.completed = done;
                        }
                    }
                    let done = p.take_completed();
                    p.emit_completed(done, &conv, &mut out);
                    spans.append(&mut out.spans);
                    k += 1;
                }
                // Shutdown.
                for c in &mut ctxs {
                    p.finish_open(c, 1 << 40, &conv, &mut out);
                }
                p.finish_open_async(1 << 40, &conv, &mut out);
                spans.append(&mut out.spans);

                prop_assert_eq!(out.dropped, 0);
                prop_assert_eq!(spans.len() as u64, out.started);
                let ids: HashSet<u64> = spans.iter().map(|s| s.span_id.0).collect();
                prop_assert_eq!(ids.len(), spans.len());
                let by_id: HashMap<u64, &SpanRecord> = spans.iter().map(|s| (s.span_id.0, s)).collect();
                for s in &spans {
                    if let Some(parent) = s.parent_span_id {
                        let parent = by_id.get(&parent.0);
                        prop_assert!(parent.is_some(), "parent of {:?} not emitted", s.name);
                        prop_assert_eq!(parent.unwrap().trace_id, s.trace_id);
                    }
                }
                prop_assert!(p.asyncs.is_empty());
            }
        }

        /// The ring contents of `steps` run in order (tasks polled in the
        /// order the steps name them; a task's last step ends it unless
        /// `leave_open`).
        fn build(threads: usize, steps: &[Step], leave_open: bool) -> Vec<Vec<Event>> {
            let mut rings: Vec<Vec<Event>> = vec![Vec::new(); threads];
            let last_poll: HashMap<usize, usize> = steps
                .iter()
                .enumerate()
                .filter_map(|(i, s)| match s {
                    Step::Poll { task, .. } => Some((*task, i)),
                    _ => None,
                })
                .collect();
            let mut started = HashSet::new();
            let mut ts = 1u64;
            for (i, step) in steps.iter().enumerate() {
                ts += 10;
                match *step {
                    Step::Poll {
                        task,
                        thread,
                        children,
                    } => {
                        let t = thread % threads;
                        let id = 5_000 + task as u64;
                        let ring = &mut rings[t];
                        if started.insert(task) {
                            ring.push(Event::async_start(&SITE, id, ts));
                        }
                        ring.push(Event::resume(id, trace_of_root(id)));
                        for _ in 0..children {
                            let pos = ring.len() as u64;
                            ring.push(Event::enter(&CHILD, ts + 1));
                            ring.push(Event::exit(ts + 2, 0, pos + 1));
                        }
                        ring.push(Event::simple(event::SUSPEND, id, 0, 0));
                        if last_poll[&task] == i && !(leave_open && task == 0) {
                            ring.push(Event::simple(event::ASYNC_END, id, ts + 5, 0));
                        }
                    }
                    Step::SyncTree { thread, depth } => {
                        let ring = &mut rings[thread % threads];
                        let mut open = Vec::new();
                        for d in 0..depth {
                            open.push(ring.len() as u64);
                            ring.push(Event::enter(&CHILD, ts + u64::from(d)));
                        }
                        // The program's last step may leave its tree open
                        // (a process exiting inside a traced function);
                        // earlier ones close, so every later async start
                        // on this thread is a root, as `trace_of_root`
                        // above assumes.
                        let close = if leave_open && i + 1 == steps.len() {
                            depth.saturating_sub(1)
                        } else {
                            depth
                        };
                        for _ in 0..close {
                            let pos = open.pop().unwrap_or(0);
                            ring.push(Event::exit(ts + 9, 0, pos + 1));
                        }
                    }
                }
            }
            rings
        }
    }
}
