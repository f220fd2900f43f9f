//! [`merge`]: processes + syscalls + SDK spans → one [`UnifiedTrace`].
//!
//! Phases, each a function below: deduplicate SDK spans → pick the trace
//! id → add synthetic processes → parent processes (fork edges) → parent
//! SDK spans → parent syscalls (a sweep of each thread's syscalls through
//! its open spans) → program order per thread → Lamport clocks → items in
//! Lamport order.
//!
//! O(n log n): spans and syscalls are each sorted once by thread and start
//! ([`SpanKey`], [`SyscallKey`]) and swept together; everything else is
//! hash lookups and linear passes. See the module docs of [`crate`] for the
//! parenting rules.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::lamport::{self, NONE};
use super::{
    ItemSource, MergeInput, MergeStats, ProcessInfo, SyscallRecord, ThreadSpawn, UnifiedItem,
    UnifiedTrace,
};
use crate::model::{SpanId, SpanKind, SpanRecord, TraceId};

use renacer_format::gpu;
use renacer_format::hash::{splitmix64 as mix, IdHasher};

type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Hands out span ids for process and syscall items that collide with no
/// SDK span id (nor zero, nor the ids the CLI fixed).
struct IdGen<'a> {
    next: u64,
    taken: &'a IdMap<u64, usize>,
    reserved: [u64; 2],
}

impl IdGen<'_> {
    fn id(&mut self) -> SpanId {
        loop {
            let id = mix(self.next);
            self.next = self.next.wrapping_add(1);
            if id != 0 && !self.taken.contains_key(&id) && !self.reserved.contains(&id) {
                return SpanId(id);
            }
        }
    }
}

/// Item numbers during the merge: processes first, then SDK spans, then
/// syscalls, each in input order. `u32` keeps the per-item vectors small.
#[derive(Clone, Copy)]
struct Layout {
    processes: usize,
    spans: usize,
    syscalls: usize,
}

impl Layout {
    fn len(self) -> usize {
        self.processes + self.spans + self.syscalls
    }
    fn span(self, i: usize) -> u32 {
        (self.processes + i) as u32
    }
    fn syscall(self, i: usize) -> u32 {
        (self.processes + self.spans + i) as u32
    }
}

/// A span's place in its thread's sweep. The derived order is the sweep
/// order: by thread, then start; on equal starts the outer one (later end)
/// first, then the shallower in the SDK's own tree. Keys are copied out of
/// the records before sorting: sorting indices with a key closure would
/// chase a pointer into a 200-byte record at every comparison.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SpanKey {
    pid: u32,
    tid: u32,
    start_ns: u64,
    end_ns: Reverse<u64>,
    sdk_depth: u32,
    /// Index in the deduplicated spans.
    span: u32,
}

/// A syscall's place in its thread's sweep: by thread, then entry time.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SyscallKey {
    pid: u32,
    tid: u32,
    entry_ns: u64,
    /// Index in the syscalls.
    syscall: u32,
}

/// The causal graph being built: each item's parent and span id.
struct Graph {
    parent: Vec<u32>,
    span_id: Vec<SpanId>,
}

/// pid → index of its process.
type ProcIndex = IdMap<u32, usize>;

fn proc_item(procs: &ProcIndex, pid: u32) -> u32 {
    procs.get(&pid).map_or(NONE, |&i| i as u32)
}

/// Merges the CLI's view and the SDK's spans into one trace.
pub fn merge(input: MergeInput) -> UnifiedTrace {
    let MergeInput {
        trace_id,
        root_span_id,
        external_parent,
        mut processes,
        syscalls,
        spans,
        thread_spawns,
    } = input;
    let mut stats = MergeStats::default();
    let (spans, span_index) = dedupe_spans(spans, &mut stats);
    let trace_id = trace_id.unwrap_or_else(|| derived_trace_id(&spans, &processes));
    let procs = add_synthetic_processes(&mut processes, &spans, &syscalls, &mut stats);
    let layout = Layout {
        processes: processes.len(),
        spans: spans.len(),
        syscalls: syscalls.len(),
    };
    let mut ids = IdGen {
        next: (trace_id.0 as u64) ^ ((trace_id.0 >> 64) as u64),
        taken: &span_index,
        reserved: [
            root_span_id.map_or(0, |s| s.0),
            external_parent.map_or(0, |s| s.0),
        ],
    };
    let mut graph = Graph {
        parent: vec![NONE; layout.len()],
        span_id: vec![SpanId(0); layout.len()],
    };
    parent_processes(
        &processes,
        &syscalls,
        layout,
        &procs,
        root_span_id,
        &mut ids,
        &mut graph,
    );
    parent_spans(&spans, &span_index, layout, &procs, &mut graph, &mut stats);
    let span_keys = span_keys(&spans, &graph, layout);
    parent_orphans_by_time(&spans, &span_index, &span_keys, layout, &mut graph);
    let syscall_keys = syscall_keys(&syscalls);
    parent_syscalls(
        &spans,
        &span_keys,
        &syscall_keys,
        layout,
        &procs,
        &mut ids,
        &mut graph,
        &mut stats,
    );
    let (prev, by_time) =
        program_order(&span_keys, &syscall_keys, &syscalls, &thread_spawns, layout);
    drop(span_keys);
    drop(syscall_keys);
    let clocks = lamport::assign(&graph.parent, &prev);
    stats.cycles_broken = clocks.cycles_broken;
    let items = items_in_lamport_order(
        &processes,
        &spans,
        &syscalls,
        layout,
        &graph,
        &clocks,
        by_time,
        external_parent,
    );
    UnifiedTrace {
        trace_id,
        items,
        processes,
        syscalls,
        spans,
        signals: Vec::new(),
        stats,
    }
}

/// SDK spans, deduplicated by id (a span exported twice is one span), and
/// the index of each id. In place: moving a million 200-byte records costs
/// more than the rest of the merge's first half.
fn dedupe_spans(
    mut spans: Vec<SpanRecord>,
    stats: &mut MergeStats,
) -> (Vec<SpanRecord>, IdMap<u64, usize>) {
    let mut span_index: IdMap<u64, usize> =
        IdMap::with_capacity_and_hasher(spans.len(), Default::default());
    let mut keep: Option<Vec<bool>> = None;
    for (i, s) in spans.iter().enumerate() {
        match span_index.entry(s.span_id.0) {
            std::collections::hash_map::Entry::Occupied(_) => {
                keep.get_or_insert_with(|| vec![true; spans.len()])[i] = false;
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
        }
    }
    if let Some(keep) = keep {
        stats.duplicate_spans = keep.iter().filter(|&&k| !k).count() as u64;
        let mut k = keep.iter();
        spans.retain(|_| *k.next().unwrap_or(&true));
        span_index.clear();
        for (i, s) in spans.iter().enumerate() {
            span_index.insert(s.span_id.0, i);
        }
    }
    (spans, span_index)
}

/// The SDK spans' trace id, else one derived from the first process.
fn derived_trace_id(spans: &[SpanRecord], processes: &[ProcessInfo]) -> TraceId {
    spans.first().map(|s| s.trace_id).unwrap_or_else(|| {
        let seed = processes
            .first()
            .map_or(0, |p| u64::from(p.pid) ^ p.start_ns);
        TraceId((u128::from(mix(seed)) << 64) | u128::from(mix(!seed)) | 1)
    })
}

/// Adds a synthetic process per pid seen only in spans or syscalls, and
/// returns the pid → process index.
fn add_synthetic_processes(
    processes: &mut Vec<ProcessInfo>,
    spans: &[SpanRecord],
    syscalls: &[SyscallRecord],
    stats: &mut MergeStats,
) -> ProcIndex {
    let mut procs = ProcIndex::default();
    for (i, p) in processes.iter().enumerate() {
        procs.entry(p.pid).or_insert(i);
    }
    let mut extents: IdMap<u32, (u64, u64)> = IdMap::default();
    let seen = spans
        .iter()
        .map(|s| (s.pid, s.start_ns, s.end_ns))
        .chain(syscalls.iter().map(|s| (s.pid, s.start_ns, s.end_ns)));
    for (pid, start, end) in seen {
        if !procs.contains_key(&pid) {
            let e = extents.entry(pid).or_insert((start, end));
            e.0 = e.0.min(start);
            e.1 = e.1.max(end);
        }
    }
    let mut synthetic: Vec<_> = extents.into_iter().collect();
    synthetic.sort_unstable();
    for (pid, (start_ns, end_ns)) in synthetic {
        procs.insert(pid, processes.len());
        processes.push(ProcessInfo {
            pid,
            ppid: None,
            exe: String::new(),
            argv: Vec::new(),
            start_ns,
            end_ns,
            exit: None,
            fork: None,
        });
        stats.synthetic_processes += 1;
    }
    procs
}

/// Process parents: the forking syscall, else the parent's process. The
/// first root process takes the CLI's root span id.
fn parent_processes(
    processes: &[ProcessInfo],
    syscalls: &[SyscallRecord],
    layout: Layout,
    procs: &ProcIndex,
    root_span_id: Option<SpanId>,
    ids: &mut IdGen<'_>,
    graph: &mut Graph,
) {
    let mut root_taken = false;
    for (i, p) in processes.iter().enumerate() {
        let fork_parent = p.fork.and_then(|f| {
            let by_syscall = f
                .syscall
                .filter(|&k| syscalls.get(k).is_some_and(|s| s.pid == f.parent_pid))
                .map(|k| layout.syscall(k));
            by_syscall.or_else(|| Some(proc_item(procs, f.parent_pid)).filter(|&x| x != NONE))
        });
        let ppid_parent = p.ppid.map(|pp| proc_item(procs, pp)).filter(|&x| x != NONE);
        graph.parent[i] = fork_parent
            .or(ppid_parent)
            .filter(|&x| x != i as u32)
            .unwrap_or(NONE);
        graph.span_id[i] = match root_span_id {
            Some(id) if graph.parent[i] == NONE && !root_taken => {
                root_taken = true;
                id
            }
            _ => ids.id(),
        };
    }
}

/// SDK span parents: their SDK parent if it is a known span, else their
/// process (roots, and spans joined to the CLI's `TRACEPARENT`).
fn parent_spans(
    spans: &[SpanRecord],
    span_index: &IdMap<u64, usize>,
    layout: Layout,
    procs: &ProcIndex,
    graph: &mut Graph,
    stats: &mut MergeStats,
) {
    for (i, s) in spans.iter().enumerate() {
        let item = layout.span(i) as usize;
        graph.parent[item] = match s.parent_span_id.and_then(|p| span_index.get(&p.0)) {
            Some(&j) if j != i => layout.span(j),
            _ => {
                stats.spans_reparented += 1;
                proc_item(procs, s.pid)
            }
        };
        graph.span_id[item] = s.span_id;
    }
}

/// In-process items without an SDK parent go under the innermost span open
/// on their thread at their time, as a syscall would: decisions the CLI
/// captured from the program's stderr (at their time), and GPU items whose
/// launch carried no span (a program without the SDK under `--cuda`: at
/// their launch, on the launching thread). One outside every span stays
/// under its process.
fn parent_orphans_by_time(
    spans: &[SpanRecord],
    span_index: &IdMap<u64, usize>,
    span_keys: &[SpanKey],
    layout: Layout,
    graph: &mut Graph,
) {
    for (i, d) in spans.iter().enumerate() {
        let orphan = d
            .parent_span_id
            .is_none_or(|p| !span_index.contains_key(&p.0));
        let at = match d.kind {
            SpanKind::Decision => d.start_ns,
            k if gpu::is_gpu(k) => gpu::Launch::of(d).map_or(d.start_ns, |l| l.start_ns),
            _ => continue,
        };
        if !orphan {
            continue;
        }
        let lo = span_keys.partition_point(|k| (k.pid, k.tid) < (d.pid, d.tid));
        let open = span_keys[lo..]
            .iter()
            .take_while(|k| (k.pid, k.tid) == (d.pid, d.tid) && k.start_ns <= at)
            .filter(|k| {
                let s = &spans[k.span as usize];
                k.span as usize != i
                    && s.kind != SpanKind::Decision
                    && !gpu::is_gpu(s.kind)
                    && !s.flags.is_async()
                    && at < s.end_ns
            })
            .last();
        if let Some(k) = open {
            graph.parent[layout.span(i) as usize] = layout.span(k.span as usize);
        }
    }
}

/// Every span's [`SpanKey`], sorted. The SDK depth (the tie-break between
/// spans that start at the same nanosecond) comes from the span parents.
fn span_keys(spans: &[SpanRecord], graph: &Graph, layout: Layout) -> Vec<SpanKey> {
    let np = layout.processes;
    let sdk_depth = sdk_depths(&graph.parent[np..np + layout.spans], np as u32);
    let mut keys: Vec<SpanKey> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| SpanKey {
            pid: s.pid,
            tid: s.tid,
            start_ns: s.start_ns,
            end_ns: Reverse(s.end_ns),
            sdk_depth: sdk_depth[i],
            span: i as u32,
        })
        .collect();
    keys.sort_unstable();
    keys
}

/// Every syscall's [`SyscallKey`], sorted.
fn syscall_keys(syscalls: &[SyscallRecord]) -> Vec<SyscallKey> {
    let mut keys: Vec<SyscallKey> = syscalls
        .iter()
        .enumerate()
        .map(|(i, s)| SyscallKey {
            pid: s.pid,
            tid: s.tid,
            entry_ns: s.start_ns,
            syscall: i as u32,
        })
        .collect();
    keys.sort_unstable();
    keys
}

/// Syscall parents: sweeps each thread's syscalls through its open spans;
/// the innermost sync span containing the entry time wins, else the
/// process.
#[allow(clippy::too_many_arguments)]
fn parent_syscalls(
    spans: &[SpanRecord],
    span_keys: &[SpanKey],
    syscall_keys: &[SyscallKey],
    layout: Layout,
    procs: &ProcIndex,
    ids: &mut IdGen<'_>,
    graph: &mut Graph,
    stats: &mut MergeStats,
) {
    let mut open: Vec<(u64, u32)> = Vec::new(); // (end_ns, span index)
    let mut next_span = 0usize;
    let mut thread = None;
    for sc in syscall_keys {
        let key = (sc.pid, sc.tid);
        if thread != Some(key) {
            thread = Some(key);
            open.clear();
            while next_span < span_keys.len()
                && (span_keys[next_span].pid, span_keys[next_span].tid) < key
            {
                next_span += 1;
            }
        }
        while let Some(s) = span_keys
            .get(next_span)
            .filter(|s| (s.pid, s.tid) == key && s.start_ns <= sc.entry_ns)
        {
            // Async spans never parent a syscall: their interval includes
            // the time they were suspended, when the thread ran anything
            // else, and they do not nest like the thread's call stack. Nor
            // do GPU items: they ran on the device, not on the thread.
            let span = &spans[s.span as usize];
            if !span.flags.is_async() && !gpu::is_gpu(span.kind) {
                open.push((s.end_ns.0, s.span));
            }
            next_span += 1;
        }
        while open.last().is_some_and(|&(end, _)| end <= sc.entry_ns) {
            open.pop();
        }
        let item = layout.syscall(sc.syscall as usize) as usize;
        graph.parent[item] = match open.last() {
            Some(&(_, span)) => {
                stats.syscalls_in_spans += 1;
                layout.span(span as usize)
            }
            None => {
                stats.syscalls_in_process += 1;
                proc_item(procs, sc.pid)
            }
        };
        graph.span_id[item] = ids.id();
    }
}

/// Program order per thread (processes are ordered by their parents only):
/// each item's predecessor on its thread, merging the two sorted key lists
/// (at equal starts a span before a syscall, an outer span before an inner
/// one); a thread's first item follows the `clone` that created it. Also
/// returns every item in (pid, tid, start) order, processes first: the
/// tie-break order of the final Lamport sort.
fn program_order(
    span_keys: &[SpanKey],
    syscall_keys: &[SyscallKey],
    syscalls: &[SyscallRecord],
    thread_spawns: &[ThreadSpawn],
    layout: Layout,
) -> (Vec<u32>, Vec<u32>) {
    let mut prev = vec![NONE; layout.len()];
    let mut by_time: Vec<u32> = Vec::with_capacity(layout.len());
    by_time.extend(0..layout.processes as u32);
    let spawn_of: IdMap<u32, usize> = thread_spawns
        .iter()
        .filter(|t| t.syscall < layout.syscalls)
        .map(|t| (t.tid, t.syscall))
        .collect();
    let (mut a, mut b) = (0usize, 0usize);
    let mut last: Option<((u32, u32), u32)> = None;
    while a < span_keys.len() || b < syscall_keys.len() {
        let take_span = match (span_keys.get(a), syscall_keys.get(b)) {
            (Some(x), Some(y)) => (x.pid, x.tid, x.start_ns) <= (y.pid, y.tid, y.entry_ns),
            (Some(_), None) => true,
            _ => false,
        };
        let (thread_key, item) = if take_span {
            let x = &span_keys[a];
            a += 1;
            ((x.pid, x.tid), layout.span(x.span as usize))
        } else {
            let y = &syscall_keys[b];
            b += 1;
            ((y.pid, y.tid), layout.syscall(y.syscall as usize))
        };
        match last {
            Some((t, p)) if t == thread_key => prev[item as usize] = p,
            // A thread's first item: after the clone that created it.
            _ => {
                let (pid, tid) = thread_key;
                if let Some(&k) = spawn_of.get(&tid) {
                    if syscalls[k].pid == pid && layout.syscall(k) != item {
                        prev[item as usize] = layout.syscall(k);
                    }
                }
            }
        }
        last = Some((thread_key, item));
        by_time.push(item);
    }
    (prev, by_time)
}

/// Builds the items at their final (Lamport-sorted) positions, parents'
/// indices remapped to them.
#[allow(clippy::too_many_arguments)]
fn items_in_lamport_order(
    processes: &[ProcessInfo],
    spans: &[SpanRecord],
    syscalls: &[SyscallRecord],
    layout: Layout,
    graph: &Graph,
    clocks: &lamport::Clocks,
    by_time: Vec<u32>,
    external_parent: Option<SpanId>,
) -> Vec<UnifiedItem> {
    let (np, nf) = (layout.processes, layout.spans);
    // Where an item's details live.
    let details = |i: usize| -> (SpanKind, ItemSource, u64, u64, u32, u32) {
        if i < np {
            let p = &processes[i];
            let src = ItemSource::Process(i);
            (SpanKind::Process, src, p.start_ns, p.end_ns, p.pid, p.pid)
        } else if i < np + nf {
            let s = &spans[i - np];
            let src = ItemSource::Function(i - np);
            (s.kind, src, s.start_ns, s.end_ns, s.pid, s.tid)
        } else {
            let s = &syscalls[i - np - nf];
            let src = ItemSource::Syscall(i - np - nf);
            (SpanKind::Syscall, src, s.start_ns, s.end_ns, s.pid, s.tid)
        }
    };
    // Lamport order by a stable counting sort of the time-ordered items
    // (clocks are at most n): O(n), where a comparison sort of 2 M keys
    // costs a quarter of the merge.
    let max_clock = clocks.lamport.iter().copied().max().unwrap_or(0) as usize;
    let mut slot = vec![0u32; max_clock + 2];
    for &l in &clocks.lamport {
        slot[l as usize + 1] += 1;
    }
    for c in 1..slot.len() {
        slot[c] += slot[c - 1];
    }
    let mut perm = vec![0u32; layout.len()];
    for &i in &by_time {
        let l = clocks.lamport[i as usize] as usize;
        perm[slot[l] as usize] = i;
        slot[l] += 1;
    }
    drop(slot);
    drop(by_time);
    let mut new_pos = vec![0u32; layout.len()];
    for (pos, &old) in perm.iter().enumerate() {
        new_pos[old as usize] = pos as u32;
    }
    perm.iter()
        .map(|&i| {
            let i = i as usize;
            let (kind, source, start_ns, end_ns, pid, tid) = details(i);
            let p = graph.parent[i];
            let has_parent = p != NONE && !clocks.parent_broken[i];
            UnifiedItem {
                kind,
                span_id: graph.span_id[i],
                parent_span_id: if has_parent {
                    Some(graph.span_id[p as usize])
                } else {
                    external_parent
                },
                parent: has_parent.then(|| new_pos[p as usize] as usize),
                start_ns,
                end_ns,
                pid,
                tid,
                lamport: clocks.lamport[i],
                depth: clocks.depth[i],
                source,
            }
        })
        .collect()
}

/// Depth of each SDK span along SDK parent edges (`parents[i]` is an item
/// index; function items start at `first_fn`). Iterative, cycle-safe.
fn sdk_depths(parents: &[u32], first_fn: u32) -> Vec<u32> {
    let nf = parents.len();
    let fn_parent = |i: usize| -> Option<usize> {
        let p = parents[i];
        (p != NONE && p >= first_fn).then(|| (p - first_fn) as usize)
    };
    let mut depth = vec![u32::MAX; nf];
    let mut path = Vec::new();
    let mut on_path = vec![false; nf];
    for i in 0..nf {
        let mut cur = i;
        // Climb until a known depth, a root, or a cycle.
        while depth[cur] == u32::MAX && !on_path[cur] {
            on_path[cur] = true;
            path.push(cur);
            match fn_parent(cur) {
                Some(p) => cur = p,
                None => break,
            }
        }
        let mut d = match fn_parent(*path.last().unwrap_or(&i)) {
            Some(p) if depth[p] != u32::MAX => depth[p] + 1,
            _ => 0,
        };
        while let Some(c) = path.pop() {
            on_path[c] = false;
            depth[c] = d;
            d += 1;
        }
    }
    depth
}
