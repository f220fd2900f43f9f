//! Merge throughput of the unified trace: 1 M syscalls + 1 M SDK spans from
//! 8 threads merged into one tree (`renacer_trace::merge`), and the spool
//! round trip of the spans that feed it.
//!
//! The input is built once; each iteration merges a clone (the clone is not
//! timed: `iter_batched` with `LargeInput`).

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use renacer::model::{SpanId, SpanKind, SpanRecord, SpanStatus, TraceId};
use renacer_trace::{merge, MergeInput, ProcessInfo, SyscallRecord};

const THREADS: u32 = 8;
const SPANS: u64 = 1_000_000;
const SYSCALLS: u64 = 1_000_000;
const PID: u32 = 4000;

fn span(id: u64, parent: Option<u64>, tid: u32, start: u64, end: u64) -> SpanRecord {
    SpanRecord {
        trace_id: TraceId(0x1234),
        span_id: SpanId(id),
        parent_span_id: parent.map(SpanId),
        name: Cow::Borrowed(if parent.is_some() { "inner" } else { "outer" }),
        kind: SpanKind::Function,
        flags: Default::default(),
        start_ns: start,
        end_ns: end,
        pid: PID,
        tid,
        thread_name: None,
        site_id: 0,
        decision_id: None,
        module_path: Cow::Borrowed("bench"),
        file: Cow::Borrowed("bench.rs"),
        line: 1,
        fields: Vec::new(),
        status: SpanStatus::Unset,
    }
}

/// Per thread: outer spans of 1 µs, each holding one inner span; one syscall
/// in every span, so half land in `inner` and half in `outer`.
fn input() -> MergeInput {
    let per_thread = SPANS / u64::from(THREADS) / 2;
    let mut spans = Vec::with_capacity(SPANS as usize);
    let mut syscalls = Vec::with_capacity(SYSCALLS as usize);
    let mut id = 1;
    for t in 0..THREADS {
        let tid = PID + t;
        for k in 0..per_thread {
            let base = 1_000_000 + k * 1_000 + u64::from(t);
            spans.push(span(id, None, tid, base, base + 900));
            spans.push(span(id + 1, Some(id), tid, base + 100, base + 500));
            id += 2;
            for at in [50, 200] {
                syscalls.push(SyscallRecord {
                    pid: PID,
                    tid,
                    name: Cow::Borrowed("read"),
                    args: String::new(),
                    ret: String::new(),
                    ret_value: 0,
                    start_ns: base + at,
                    end_ns: base + at + 20,
                    source: None,
                });
            }
        }
    }
    MergeInput {
        processes: vec![ProcessInfo {
            pid: PID,
            ppid: None,
            exe: "/bench".into(),
            argv: Vec::new(),
            start_ns: 0,
            end_ns: u64::MAX / 2,
            exit: None,
            fork: None,
        }],
        syscalls,
        spans,
        ..MergeInput::default()
    }
}

fn bench_merge(c: &mut Criterion) {
    let input = input();
    let mut g = c.benchmark_group("unified");
    g.sample_size(10);
    g.throughput(Throughput::Elements(SPANS + SYSCALLS));
    g.bench_function("merge_1M_syscalls_1M_spans", |b| {
        b.iter_batched(
            || input.clone(),
            |i| black_box(merge(i)).items.len(),
            BatchSize::LargeInput,
        )
    });
    let trace = merge(input.clone());
    g.bench_function("write_json_2M_items", |b| {
        b.iter(|| {
            let mut sink = std::io::sink();
            renacer_trace::write_json(&trace, &mut sink).expect("write to sink")
        })
    });
    g.finish();

    // Spool: write 1 M spans to a file, then read them back.
    let dir = std::env::temp_dir().join(format!("renacer-merge-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench temp dir");
    let mut g = c.benchmark_group("spool");
    g.sample_size(10);
    g.throughput(Throughput::Elements(SPANS));
    let mut n = 0u32;
    g.bench_function("write_1M_spans", |b| {
        b.iter(|| {
            n += 1;
            let mut w =
                renacer::export::spool::SpoolWriter::create_in_for_pid(&dir, n).expect("create");
            w.write_spans(&input.spans).expect("export");
            w.flush_file().expect("flush");
            std::fs::remove_file(w.path()).expect("remove");
        })
    });
    let mut w = renacer::export::spool::SpoolWriter::create_in_for_pid(&dir, 0).expect("create");
    w.write_spans(&input.spans).expect("export");
    w.flush_file().expect("flush");
    let path = w.path().to_path_buf();
    drop(w);
    g.bench_function("read_1M_spans", |b| {
        b.iter(|| {
            renacer_trace::spool::SpoolFile::read(&path)
                .expect("read")
                .spans
                .len()
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench_merge);
criterion_main!(benches);
