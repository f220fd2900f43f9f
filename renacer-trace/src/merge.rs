//! [`merge`]: processes + syscalls + SDK spans → one [`UnifiedTrace`].
//!
//! O(n log n): spans and syscalls are each sorted once by (pid, tid, start)
//! and swept together with a stack of open spans per thread; everything else
//! is hash lookups and linear passes. See the module docs of
//! [`crate`] for the parenting rules.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::lamport::{self, NONE};
use super::{ItemSource, MergeInput, MergeStats, ProcessInfo, UnifiedItem, UnifiedTrace};
use crate::model::{SpanId, SpanKind, TraceId};

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

/// Merges the CLI's view and the SDK's spans into one trace.
pub fn merge(input: MergeInput) -> UnifiedTrace {
    let MergeInput {
        trace_id,
        root_span_id,
        external_parent,
        mut processes,
        syscalls,
        spans: raw_spans,
        thread_spawns,
    } = input;
    let mut stats = MergeStats::default();

    // SDK spans, deduplicated by id (a span exported twice is one span).
    // In place: moving a million 200-byte records costs more than the rest
    // of the merge's first half.
    let mut spans = raw_spans;
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

    let trace_id = trace_id
        .or_else(|| spans.first().map(|s| s.trace_id))
        .unwrap_or_else(|| {
            let seed = processes
                .first()
                .map_or(0, |p| u64::from(p.pid) ^ p.start_ns);
            TraceId((u128::from(mix(seed)) << 64) | u128::from(mix(!seed)) | 1)
        });

    // Processes: the CLI's, plus a synthetic one per pid seen only in data.
    let mut proc_of_pid: IdMap<u32, usize> = IdMap::default();
    for (i, p) in processes.iter().enumerate() {
        proc_of_pid.entry(p.pid).or_insert(i);
    }
    let mut extents: IdMap<u32, (u64, u64)> = IdMap::default();
    let seen = spans
        .iter()
        .map(|s| (s.pid, s.start_ns, s.end_ns))
        .chain(syscalls.iter().map(|s| (s.pid, s.start_ns, s.end_ns)));
    for (pid, start, end) in seen {
        if !proc_of_pid.contains_key(&pid) {
            let e = extents.entry(pid).or_insert((start, end));
            e.0 = e.0.min(start);
            e.1 = e.1.max(end);
        }
    }
    let mut synthetic: Vec<_> = extents.into_iter().collect();
    synthetic.sort_unstable();
    for (pid, (start_ns, end_ns)) in synthetic {
        proc_of_pid.insert(pid, processes.len());
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

    let np = processes.len();
    let nf = spans.len();
    let ns = syscalls.len();
    let n = np + nf + ns;
    let fn_item = |i: usize| (np + i) as u32;
    let sc_item = |i: usize| (np + nf + i) as u32;
    let proc_item = |pid: u32| proc_of_pid.get(&pid).map_or(NONE, |&i| i as u32);

    let mut ids = IdGen {
        next: (trace_id.0 as u64) ^ ((trace_id.0 >> 64) as u64),
        taken: &span_index,
        reserved: [
            root_span_id.map_or(0, |s| s.0),
            external_parent.map_or(0, |s| s.0),
        ],
    };
    let mut parent = vec![NONE; n];
    let mut span_id = vec![SpanId(0); n];

    // Process parents: the forking syscall, else the parent's process.
    let mut root_taken = false;
    for (i, p) in processes.iter().enumerate() {
        let fork_parent = p.fork.and_then(|f| {
            let by_syscall = f
                .syscall
                .filter(|&k| syscalls.get(k).is_some_and(|s| s.pid == f.parent_pid))
                .map(sc_item);
            by_syscall.or_else(|| Some(proc_item(f.parent_pid)).filter(|&x| x != NONE))
        });
        let ppid_parent = p.ppid.map(proc_item).filter(|&x| x != NONE);
        parent[i] = fork_parent
            .or(ppid_parent)
            .filter(|&x| x != i as u32)
            .unwrap_or(NONE);
        span_id[i] = match root_span_id {
            Some(id) if parent[i] == NONE && !root_taken => {
                root_taken = true;
                id
            }
            _ => ids.id(),
        };
    }

    // Function parents: their SDK parent if it is a known span, else their
    // process (roots, and spans joined to the CLI's TRACEPARENT).
    for (i, s) in spans.iter().enumerate() {
        parent[fn_item(i) as usize] = match s.parent_span_id.and_then(|p| span_index.get(&p.0)) {
            Some(&j) if j != i => fn_item(j),
            _ => {
                stats.spans_reparented += 1;
                proc_item(s.pid)
            }
        };
        span_id[fn_item(i) as usize] = s.span_id;
    }

    // Depth of each span in the SDK's own forest: the tie-break between
    // spans that start at the same nanosecond.
    let sdk_depth = sdk_depths(&parent[np..np + nf], np as u32);

    // Sweep syscalls through the open spans of their thread. Keys are
    // copied out before sorting: sorting indices with a key closure would
    // chase a pointer into a 200-byte record at every comparison.
    let mut by_thread: Vec<(u32, u32, u64, std::cmp::Reverse<u64>, u32, u32)> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                s.pid,
                s.tid,
                s.start_ns,
                std::cmp::Reverse(s.end_ns),
                sdk_depth[i],
                i as u32,
            )
        })
        .collect();
    by_thread.sort_unstable();
    let mut sc_order: Vec<(u32, u32, u64, u32)> = syscalls
        .iter()
        .enumerate()
        .map(|(i, s)| (s.pid, s.tid, s.start_ns, i as u32))
        .collect();
    sc_order.sort_unstable();
    let mut open: Vec<(u64, u32)> = Vec::new(); // (end_ns, span index)
    let mut next_span = 0usize;
    let mut thread = None;
    for &(pid, tid, entry, k) in &sc_order {
        let key = (pid, tid);
        if thread != Some(key) {
            thread = Some(key);
            open.clear();
            while next_span < nf && (by_thread[next_span].0, by_thread[next_span].1) < key {
                next_span += 1;
            }
        }
        while next_span < nf && {
            let s = &by_thread[next_span];
            (s.0, s.1) == key && s.2 <= entry
        } {
            // Async spans never parent a syscall: their interval includes
            // the time they were suspended, when the thread ran anything
            // else, and they do not nest like the thread's call stack.
            let s = &by_thread[next_span];
            if !spans[s.5 as usize].flags.is_async() {
                open.push((s.3 .0, s.5));
            }
            next_span += 1;
        }
        while open.last().is_some_and(|&(end, _)| end <= entry) {
            open.pop();
        }
        let item = sc_item(k as usize) as usize;
        parent[item] = match open.last() {
            Some(&(_, t)) => {
                stats.syscalls_in_spans += 1;
                fn_item(t as usize)
            }
            None => {
                stats.syscalls_in_process += 1;
                proc_item(pid)
            }
        };
        span_id[item] = ids.id();
    }

    // Program order per thread (processes are ordered by their parents
    // only): merge the two sorted lists; at equal starts a span comes
    // before a syscall, an outer span before an inner one.
    let mut prev = vec![NONE; n];
    // Every item in (pid, tid, start) order, processes first: the tie-break
    // order of the final Lamport sort.
    let mut by_time: Vec<u32> = Vec::with_capacity(n);
    by_time.extend(0..np as u32);
    let (mut a, mut b) = (0usize, 0usize);
    let spawn_of: IdMap<u32, usize> = thread_spawns
        .into_iter()
        .filter(|t| t.syscall < ns)
        .map(|t| (t.tid, t.syscall))
        .collect();
    let mut last: Option<((u32, u32), u32)> = None;
    while a < nf || b < ns {
        let take_span = match (by_thread.get(a), sc_order.get(b)) {
            (Some(x), Some(y)) => (x.0, x.1, x.2) <= (y.0, y.1, y.2),
            (Some(_), None) => true,
            _ => false,
        };
        let (thread_key, item) = if take_span {
            let x = &by_thread[a];
            a += 1;
            ((x.0, x.1), fn_item(x.5 as usize))
        } else {
            let y = &sc_order[b];
            b += 1;
            ((y.0, y.1), sc_item(y.3 as usize))
        };
        match last {
            Some((t, p)) if t == thread_key => prev[item as usize] = p,
            // A thread's first item: after the clone that created it.
            _ => {
                let (pid, tid) = thread_key;
                if let Some(&k) = spawn_of.get(&tid) {
                    if syscalls[k].pid == pid && sc_item(k) != item {
                        prev[item as usize] = sc_item(k);
                    }
                }
            }
        }
        last = Some((thread_key, item));
        by_time.push(item);
    }
    drop(by_thread);
    drop(sc_order);

    let clocks = lamport::assign(&parent, &prev);
    stats.cycles_broken = clocks.cycles_broken;

    // Where each item's details live: (kind, source, start, end, pid, tid).
    let info = |i: usize| {
        if i < np {
            let p = &processes[i];
            (
                SpanKind::Process,
                ItemSource::Process(i),
                p.start_ns,
                p.end_ns,
                p.pid,
                p.pid,
            )
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
    let mut perm = vec![0u32; n];
    for &i in &by_time {
        let l = clocks.lamport[i as usize] as usize;
        perm[slot[l] as usize] = i;
        slot[l] += 1;
    }
    drop(slot);
    drop(by_time);
    // Items are built directly at their final position, parents' indices
    // remapped to it.
    let mut new_pos = vec![0u32; n];
    for (pos, &old) in perm.iter().enumerate() {
        new_pos[old as usize] = pos as u32;
    }
    let sorted: Vec<UnifiedItem> = perm
        .iter()
        .map(|&i| {
            let i = i as usize;
            let (kind, source, start_ns, end_ns, pid, tid) = info(i);
            let p = parent[i];
            let has_parent = p != NONE && !clocks.parent_broken[i];
            UnifiedItem {
                kind,
                span_id: span_id[i],
                parent_span_id: if has_parent {
                    Some(span_id[p as usize])
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
        .collect();
    drop(perm);
    drop(parent);

    UnifiedTrace {
        trace_id,
        items: sorted,
        processes,
        syscalls,
        spans,
        signals: Vec::new(),
        stats,
    }
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
