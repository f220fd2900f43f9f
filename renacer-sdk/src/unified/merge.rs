//! [`merge`]: processes + syscalls + SDK spans → one [`UnifiedTrace`].
//!
//! O(n log n): spans and syscalls are each sorted once by (pid, tid, start)
//! and swept together with a stack of open spans per thread; everything else
//! is hash lookups and linear passes. See the module docs of
//! [`crate::unified`] for the parenting rules.

use std::collections::HashMap;

use super::lamport::{self, NONE};
use super::{ItemSource, MergeInput, MergeStats, ProcessInfo, UnifiedItem, UnifiedTrace};
use crate::model::{SpanId, SpanKind, SpanRecord, TraceId};

/// SplitMix64's finalizer: a bijection on u64, so distinct inputs give
/// distinct ids.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hands out span ids for process and syscall items that collide with no
/// SDK span id (nor zero, nor the ids the CLI fixed).
struct IdGen<'a> {
    next: u64,
    taken: &'a HashMap<u64, usize>,
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
    } = input;
    let mut stats = MergeStats::default();

    // SDK spans, deduplicated by id (a span exported twice is one span).
    let mut span_index: HashMap<u64, usize> = HashMap::with_capacity(raw_spans.len());
    let mut spans: Vec<SpanRecord> = Vec::with_capacity(raw_spans.len());
    for s in raw_spans {
        if span_index.contains_key(&s.span_id.0) {
            stats.duplicate_spans += 1;
            continue;
        }
        span_index.insert(s.span_id.0, spans.len());
        spans.push(s);
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
    let mut proc_of_pid: HashMap<u32, usize> = HashMap::new();
    for (i, p) in processes.iter().enumerate() {
        proc_of_pid.entry(p.pid).or_insert(i);
    }
    let mut extents: HashMap<u32, (u64, u64)> = HashMap::new();
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

    // Sweep syscalls through the open spans of their thread.
    let mut by_thread: Vec<u32> = (0..nf as u32).collect();
    by_thread.sort_unstable_by_key(|&i| {
        let s = &spans[i as usize];
        (
            s.pid,
            s.tid,
            s.start_ns,
            std::cmp::Reverse(s.end_ns),
            sdk_depth[i as usize],
        )
    });
    let mut sc_order: Vec<u32> = (0..ns as u32).collect();
    sc_order.sort_unstable_by_key(|&i| {
        let s = &syscalls[i as usize];
        (s.pid, s.tid, s.start_ns, i)
    });
    let mut open: Vec<u32> = Vec::new();
    let mut next_span = 0usize;
    let mut thread = None;
    for &k in &sc_order {
        let sc = &syscalls[k as usize];
        let key = (sc.pid, sc.tid);
        if thread != Some(key) {
            thread = Some(key);
            open.clear();
            while next_span < nf && {
                let s = &spans[by_thread[next_span] as usize];
                (s.pid, s.tid) < key
            } {
                next_span += 1;
            }
        }
        while next_span < nf && {
            let s = &spans[by_thread[next_span] as usize];
            (s.pid, s.tid) == key && s.start_ns <= sc.start_ns
        } {
            open.push(by_thread[next_span]);
            next_span += 1;
        }
        while open
            .last()
            .is_some_and(|&t| spans[t as usize].end_ns <= sc.start_ns)
        {
            open.pop();
        }
        let item = sc_item(k as usize) as usize;
        parent[item] = match open.last() {
            Some(&t) => {
                stats.syscalls_in_spans += 1;
                fn_item(t as usize)
            }
            None => {
                stats.syscalls_in_process += 1;
                proc_item(sc.pid)
            }
        };
        span_id[item] = ids.id();
    }

    // Program order per thread (processes are ordered by their parents only).
    let mut prev = vec![NONE; n];
    let mut order: Vec<u32> = (np as u32..n as u32).collect();
    let key_of = |it: u32| -> (u32, u32, u64, u8, u32) {
        let it = it as usize;
        if it < np + nf {
            let s = &spans[it - np];
            (s.pid, s.tid, s.start_ns, 0, sdk_depth[it - np])
        } else {
            let s = &syscalls[it - np - nf];
            (s.pid, s.tid, s.start_ns, 1, 0)
        }
    };
    order.sort_unstable_by_key(|&it| key_of(it));
    for w in order.windows(2) {
        let (a, b) = (key_of(w[0]), key_of(w[1]));
        if (a.0, a.1) == (b.0, b.1) {
            prev[w[1] as usize] = w[0];
        }
    }
    drop(order);

    let clocks = lamport::assign(&parent, &prev);
    stats.cycles_broken = clocks.cycles_broken;

    let mut items: Vec<UnifiedItem> = (0..n)
        .map(|i| {
            let (kind, source, start_ns, end_ns, pid, tid) = if i < np {
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
                (
                    SpanKind::Function,
                    ItemSource::Function(i - np),
                    s.start_ns,
                    s.end_ns,
                    s.pid,
                    s.tid,
                )
            } else {
                let s = &syscalls[i - np - nf];
                (
                    SpanKind::Syscall,
                    ItemSource::Syscall(i - np - nf),
                    s.start_ns,
                    s.end_ns,
                    s.pid,
                    s.tid,
                )
            };
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
                parent: has_parent.then_some(p as usize),
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
    drop(parent);

    // Lamport order, with parents' indices remapped to the new positions.
    let mut perm: Vec<u32> = (0..n as u32).collect();
    perm.sort_unstable_by_key(|&i| {
        let it = &items[i as usize];
        (it.lamport, it.pid, it.tid, it.start_ns, i)
    });
    let mut new_pos = vec![0usize; n];
    for (pos, &old) in perm.iter().enumerate() {
        new_pos[old as usize] = pos;
    }
    let mut sorted: Vec<UnifiedItem> = perm.iter().map(|&old| items[old as usize]).collect();
    for it in &mut sorted {
        it.parent = it.parent.map(|p| new_pos[p]);
    }
    items.clear();

    UnifiedTrace {
        trace_id,
        items: sorted,
        processes,
        syscalls,
        spans,
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
