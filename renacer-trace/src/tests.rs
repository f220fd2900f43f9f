//! Tests of the merge rules, Lamport clocks and the three writers.

use std::borrow::Cow;
use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::model::{SpanId, SpanKind, SpanRecord, SpanStatus, TraceId};

const TRACE: TraceId = TraceId(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736);
const CLI_SPAN: SpanId = SpanId(0x00f0_67aa_0ba9_02b7);

fn sdk(
    id: u64,
    parent: Option<u64>,
    name: &'static str,
    pid: u32,
    tid: u32,
    start: u64,
    end: u64,
) -> SpanRecord {
    SpanRecord {
        trace_id: TRACE,
        span_id: SpanId(id),
        parent_span_id: parent.map(SpanId),
        name: Cow::Borrowed(name),
        kind: SpanKind::Function,
        flags: Default::default(),
        start_ns: start,
        end_ns: end,
        pid,
        tid,
        thread_name: None,
        site_id: 0,
        decision_id: None,
        module_path: Cow::Borrowed("demo"),
        file: Cow::Borrowed("src/main.rs"),
        line: 1,
        fields: Vec::new(),
        status: SpanStatus::Unset,
    }
}

fn sc(name: &'static str, pid: u32, tid: u32, start: u64, end: u64) -> SyscallRecord {
    SyscallRecord {
        pid,
        tid,
        name: Cow::Borrowed(name),
        args: "3, \"x\", 1".into(),
        ret: "1".into(),
        ret_value: 1,
        start_ns: start,
        end_ns: end,
        source: None,
    }
}

fn proc_(pid: u32, start: u64, end: u64, fork: Option<ForkEdge>) -> ProcessInfo {
    ProcessInfo {
        pid,
        ppid: fork.map(|f| f.parent_pid),
        exe: format!("/bin/p{pid}"),
        argv: vec![format!("p{pid}"), "-x".into()],
        start_ns: start,
        end_ns: end,
        exit: Some("exited with 0".into()),
        fork,
    }
}

/// The name of the parent of the item for syscall `k`.
fn parent_name_of_syscall(t: &UnifiedTrace, k: usize) -> String {
    let it = t
        .items
        .iter()
        .find(|i| i.source == ItemSource::Syscall(k))
        .expect("item");
    let p = &t.items[it.parent.expect("syscalls always have a parent")];
    assert_eq!(it.parent_span_id, Some(p.span_id));
    t.name(p).to_string()
}

fn item_of(t: &UnifiedTrace, src: ItemSource) -> &UnifiedItem {
    t.items.iter().find(|i| i.source == src).expect("item")
}

#[test]
fn ground_truth_syscalls_land_in_their_functions_on_several_threads() {
    // Three threads; each runs outer → inner, and issues syscalls in both.
    let mut spans = Vec::new();
    let mut syscalls = Vec::new();
    let mut expect = Vec::new();
    for (t, tid) in [100u32, 101, 102].into_iter().enumerate() {
        let base = 1_000 + t as u64 * 7; // threads overlap in time
        let outer = 10 + t as u64 * 10;
        spans.push(sdk(outer, None, "outer", 100, tid, base, base + 1000));
        spans.push(sdk(
            outer + 1,
            Some(outer),
            "inner",
            100,
            tid,
            base + 100,
            base + 500,
        ));
        for (k, (at, owner)) in [
            (50, "outer"),
            (150, "inner"),
            (499, "inner"),
            (500, "outer"),
            (999, "outer"),
            (1000, "p100"),
            (2000, "p100"),
        ]
        .into_iter()
        .enumerate()
        {
            syscalls.push(sc(
                if k % 2 == 0 { "read" } else { "write" },
                100,
                tid,
                base + at,
                base + at + 1,
            ));
            expect.push(owner);
        }
    }
    let t = merge(MergeInput {
        trace_id: Some(TRACE),
        root_span_id: Some(CLI_SPAN),
        processes: vec![proc_(100, 0, 10_000, None)],
        syscalls,
        spans,
        ..MergeInput::default()
    });
    for (k, want) in expect.iter().enumerate() {
        assert_eq!(parent_name_of_syscall(&t, k), *want, "syscall {k}");
        let it = item_of(&t, ItemSource::Syscall(k));
        assert_eq!(
            t.items[it.parent.unwrap()].tid,
            if *want == "p100" { 100 } else { it.tid }
        );
    }
    assert_eq!(t.stats.syscalls_in_spans, 15);
    assert_eq!(t.stats.syscalls_in_process, 6);
    // Roots hang under the root process, whose id is the CLI's TRACEPARENT span.
    let root = item_of(&t, ItemSource::Process(0));
    assert_eq!(root.span_id, CLI_SPAN);
    assert_eq!(root.parent_span_id, None);
    assert_eq!(
        item_of(&t, ItemSource::Function(0)).parent_span_id,
        Some(CLI_SPAN)
    );
    assert_eq!(t.trace_id, TRACE);
    // Ids are unique across kinds.
    let mut ids: Vec<u64> = t.items.iter().map(|i| i.span_id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), t.items.len());
}

#[test]
fn boundary_rules_entry_time_and_innermost_on_ties() {
    let spans = vec![
        sdk(1, None, "a", 7, 7, 100, 200),
        sdk(2, Some(1), "b", 7, 7, 100, 200), // same interval, deeper: innermost
        sdk(3, None, "c", 7, 7, 200, 300),    // starts where a ends
    ];
    let syscalls = vec![
        sc("openat", 7, 7, 100, 110),     // at the start of a and b → b
        sc("close", 7, 7, 200, 201),      // at a's end, c's start → c
        sc("read", 7, 7, 250, 400),       // exit after c ends: entry decides → c
        sc("exit_group", 7, 7, 300, 300), // at c's end → process
        sc("brk", 7, 7, 99, 150),         // entry before any span → process
        sc("mmap", 7, 8, 150, 160),       // other thread: no span there → process
    ];
    let t = merge(MergeInput {
        processes: vec![proc_(7, 0, 1000, None)],
        syscalls,
        spans,
        ..MergeInput::default()
    });
    let got: Vec<String> = (0..6).map(|k| parent_name_of_syscall(&t, k)).collect();
    assert_eq!(got, ["b", "c", "c", "p7", "p7", "p7"]);
}

#[test]
fn equal_start_spans_nest_by_length_then_depth() {
    let spans = vec![
        sdk(1, None, "long", 7, 7, 100, 500),
        sdk(2, Some(1), "short", 7, 7, 100, 200),
    ];
    let syscalls = vec![sc("read", 7, 7, 150, 160), sc("write", 7, 7, 300, 310)];
    let t = merge(MergeInput {
        syscalls,
        spans,
        ..MergeInput::default()
    });
    assert_eq!(parent_name_of_syscall(&t, 0), "short");
    assert_eq!(parent_name_of_syscall(&t, 1), "long");
    // No process info at all: a synthetic process span holds the roots.
    assert_eq!(t.stats.synthetic_processes, 1);
    assert_eq!(t.processes[0].start_ns, 100);
    assert_eq!(t.processes[0].end_ns, 500);
    assert_eq!(t.trace_id, TRACE);
}

#[test]
fn lamport_order_survives_clocks_skewed_by_ten_seconds() {
    const SKEW: u64 = 10_000_000_000;
    let base = 50 * SKEW;
    // Parent 1 forks child 2 at base+1000. The child's clock runs 10 s
    // behind, so every child timestamp is *before* the fork by wall clock.
    let mut syscalls = vec![
        sc("write", 1, 1, base + 500, base + 510),
        sc("clone", 1, 1, base + 1000, base + 1100),
        sc("wait4", 1, 1, base + 1200, base + 9000),
    ];
    syscalls.push(sc("execve", 2, 2, base - SKEW + 1050, base - SKEW + 1200));
    syscalls.push(sc("read", 2, 2, base - SKEW + 1300, base - SKEW + 1400));
    let spans = vec![
        sdk(
            1,
            Some(CLI_SPAN.0),
            "parent_main",
            1,
            1,
            base + 10,
            base + 9500,
        ),
        // The child joined the same TRACEPARENT (inherited environment).
        sdk(
            2,
            Some(CLI_SPAN.0),
            "child_main",
            2,
            2,
            base - SKEW + 1250,
            base - SKEW + 1500,
        ),
    ];
    let t = merge(MergeInput {
        trace_id: Some(TRACE),
        root_span_id: Some(CLI_SPAN),
        processes: vec![
            proc_(1, base, base + 10_000, None),
            proc_(
                2,
                base - SKEW + 1010,
                base - SKEW + 1600,
                Some(ForkEdge {
                    parent_pid: 1,
                    syscall: Some(1),
                }),
            ),
        ],
        syscalls,
        spans,
        ..MergeInput::default()
    });
    let clone = item_of(&t, ItemSource::Syscall(1));
    let child = item_of(&t, ItemSource::Process(1));
    assert_eq!(
        child.parent_span_id,
        Some(clone.span_id),
        "child process hangs off its clone"
    );
    assert!(child.lamport > clone.lamport);
    let child_main = item_of(&t, ItemSource::Function(1));
    assert_eq!(
        child_main.parent_span_id,
        Some(child.span_id),
        "TRACEPARENT root re-homed to its own process"
    );
    for k in [3, 4] {
        let it = item_of(&t, ItemSource::Syscall(k));
        assert!(
            it.lamport > clone.lamport,
            "child syscall {k} after the fork"
        );
        assert!(
            it.start_ns < clone.start_ns,
            "while its wall clock says before"
        );
    }
    assert!(
        item_of(&t, ItemSource::Syscall(4)).lamport > item_of(&t, ItemSource::Syscall(3)).lamport
    );
    // items are in Lamport order and every parent precedes its child.
    for (i, it) in t.items.iter().enumerate() {
        if let Some(p) = it.parent {
            assert!(p < i && t.items[p].lamport < it.lamport);
        }
    }
    assert!(t.items.windows(2).all(|w| w[0].lamport <= w[1].lamport));
    assert_eq!(t.stats.cycles_broken, 0);
}

#[test]
fn empty_input_gives_an_empty_trace() {
    let t = merge(MergeInput::default());
    assert!(t.items.is_empty());
    let mut text = Vec::new();
    write_text(&t, &mut text, TextOptions::default()).expect("text");
    let mut json = Vec::new();
    write_json(&t, &mut json).expect("json");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("valid JSON");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0));
    let mut pf = Vec::new();
    write_perfetto(&t, &mut pf).expect("perfetto");
    serde_json::from_slice::<serde_json::Value>(&pf).expect("valid JSON");
}

#[test]
fn empty_spool_dir_merges_to_syscalls_only() {
    let dir = crate::spool::tests::TempDir::new("unified-empty");
    let spans = crate::spool::read_spool_dir(dir.path())
        .expect("read")
        .into_spans();
    let t = merge(MergeInput {
        processes: vec![proc_(5, 0, 100, None)],
        syscalls: vec![sc("read", 5, 5, 10, 20), sc("write", 5, 6, 30, 40)],
        spans,
        ..MergeInput::default()
    });
    assert_eq!(t.items.len(), 3);
    assert_eq!(parent_name_of_syscall(&t, 0), "p5");
    assert_eq!(parent_name_of_syscall(&t, 1), "p5");
    assert_eq!(t.stats.syscalls_in_process, 2);
}

#[test]
fn duplicate_and_cyclic_sdk_spans_are_counted_not_fatal() {
    let spans = vec![
        sdk(1, Some(2), "x", 9, 9, 0, 10),
        sdk(2, Some(1), "y", 9, 9, 0, 10),
        sdk(2, None, "y-again", 9, 9, 0, 10),
    ];
    let t = merge(MergeInput {
        spans,
        ..MergeInput::default()
    });
    assert_eq!(t.stats.duplicate_spans, 1);
    assert!(t.stats.cycles_broken >= 1);
    assert_eq!(t.items.len(), 3);
}

fn demo_trace() -> UnifiedTrace {
    let mut spans = vec![
        sdk(1, Some(CLI_SPAN.0), "main", 1, 1, 1_000, 9_000),
        sdk(2, Some(1), "load_config", 1, 1, 2_000, 3_000),
        sdk(3, None, "worker", 1, 2, 2_500, 4_000),
    ];
    spans[1].fields.push((
        Cow::Borrowed("path"),
        crate::model::FieldValue::Str("a\"b".into()),
    ));
    spans[1].thread_name = Some("main".into());
    spans[2].status = SpanStatus::Error("boom".into());
    let mut failed = sc("openat", 1, 1, 2_100, 2_200);
    failed.ret = "-1 ENOENT (No such file or directory)".into();
    failed.ret_value = -2;
    failed.source = Some(crate::CodeLocation {
        file: Some("/src/app/main.rs".into()),
        line: Some(42),
        function: Some("app::load_config".into()),
    });
    merge(MergeInput {
        trace_id: Some(TRACE),
        root_span_id: Some(CLI_SPAN),
        processes: vec![
            proc_(1, 0, 10_000, None),
            proc_(
                3,
                5_000,
                6_000,
                Some(ForkEdge {
                    parent_pid: 1,
                    syscall: None,
                }),
            ),
        ],
        syscalls: vec![
            failed,
            sc("read", 1, 1, 2_300, 2_400),
            sc("write", 1, 2, 3_000, 3_100),
            sc("execve", 3, 3, 5_100, 5_200),
        ],
        spans,
        ..MergeInput::default()
    })
}

#[test]
fn text_output_nests_syscalls_between_enter_and_exit() {
    let t = demo_trace();
    let mut out = Vec::new();
    write_text(&t, &mut out, TextOptions::default()).expect("text");
    let text = String::from_utf8(out).expect("utf8");
    let want = "\
[pid 1] +++ process p1 p1 -x +++
[pid 1] → main
[pid 1]   → load_config
[pid 1]     openat(3, \"x\", 1) = -1 ENOENT (No such file or directory)
[pid 1]     read(3, \"x\", 1) = 1
[pid 1:2] → worker
[pid 1]   ← load_config
[pid 1:2]   write(3, \"x\", 1) = 1
[pid 1:2] ← worker
[pid 1] ← main
[pid 1] +++ exited with 0 +++
[pid 3] +++ process p3 p3 -x (from pid 1) +++
[pid 3] execve(3, \"x\", 1) = 1
[pid 3] +++ exited with 0 +++
";
    assert_eq!(text.split_once('\n').map(|x| x.1), Some(want), "{text}");

    let mut out = Vec::new();
    let opts = TextOptions {
        indent: false,
        timestamps: true,
        durations: true,
    };
    write_text(&t, &mut out, opts).expect("text");
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.contains("[pid 1] 0.000002 → load_config\n"), "{text}");
    assert!(
        text.contains("[pid 1] 0.000003 ← load_config <0.000001>\n"),
        "{text}"
    );
    assert!(
        text.contains("[pid 1] 0.000002 read(3, \"x\", 1) = 1 <0.000000>\n"),
        "{text}"
    );
}

#[test]
fn json_output_is_versioned_and_carries_ids_lamport_pid_tid() {
    let t = demo_trace();
    let mut out = Vec::new();
    write_json(&t, &mut out).expect("json");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(v["format"], "renacer-unified");
    assert_eq!(v["version"], UNIFIED_JSON_VERSION);
    assert_eq!(v["trace_id"], TRACE.to_string());
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), t.items.len());
    let by_name: HashMap<&str, &serde_json::Value> = items
        .iter()
        .map(|i| (i["name"].as_str().unwrap_or(""), i))
        .collect();
    let lc = by_name["load_config"];
    assert_eq!(lc["kind"], "function");
    assert_eq!(lc["parent_span_id"], "0000000000000001");
    assert_eq!(lc["fields"]["path"], "a\"b");
    assert_eq!(lc["thread_name"], "main");
    assert_eq!(by_name["openat"]["parent_span_id"], lc["span_id"]);
    assert_eq!(by_name["openat"]["ret_value"], -2);
    assert_eq!(by_name["worker"]["status"], "error");
    assert_eq!(by_name["worker"]["tid"], 2);
    assert_eq!(by_name["p1"]["span_id"], CLI_SPAN.to_string());
    assert_eq!(by_name["p3"]["argv"][1], "-x");
    for i in items {
        assert!(i["lamport"].as_u64().is_some_and(|l| l >= 1));
        assert!(i["pid"].is_u64() && i["depth"].is_u64());
    }
}

#[test]
fn perfetto_output_has_named_tracks_and_nested_slices() {
    let t = demo_trace();
    let mut out = Vec::new();
    write_perfetto(&t, &mut out).expect("perfetto");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    let ev = v["traceEvents"].as_array().expect("events");
    let meta: Vec<_> = ev.iter().filter(|e| e["ph"] == "M").collect();
    assert!(meta
        .iter()
        .any(|e| e["name"] == "process_name" && e["pid"] == 3 && e["args"]["name"] == "p3"));
    assert!(meta
        .iter()
        .any(|e| e["name"] == "thread_name" && e["tid"] == 1 && e["args"]["name"] == "main"));
    assert!(meta
        .iter()
        .any(|e| e["name"] == "thread_name" && e["tid"] == 2 && e["args"]["name"] == "thread 2"));
    let slice = |name: &str| {
        ev.iter()
            .find(|e| e["ph"] == "X" && e["name"] == name)
            .expect(name)
    };
    let (lc, read) = (slice("load_config"), slice("read"));
    assert_eq!(lc["ts"].as_f64(), Some(2.0));
    assert_eq!(read["cat"], "syscall");
    // The syscall slice lies inside its function's slice on the same track.
    let end =
        |e: &serde_json::Value| e["ts"].as_f64().unwrap_or(0.0) + e["dur"].as_f64().unwrap_or(0.0);
    assert_eq!(read["tid"], lc["tid"]);
    assert!(read["ts"].as_f64() >= lc["ts"].as_f64() && end(read) <= end(lc));
    assert_eq!(ev.iter().filter(|e| e["ph"] == "X").count(), 7);
}

#[test]
fn span_records_conversion_keeps_tree_and_syscall_details() {
    let t = demo_trace();
    let recs = t.to_span_records();
    assert_eq!(recs.len(), t.items.len());
    let ids: HashMap<SpanId, &SpanRecord> = recs.iter().map(|r| (r.span_id, r)).collect();
    for r in &recs {
        assert_eq!(r.trace_id, TRACE);
        if let Some(p) = r.parent_span_id {
            assert!(ids.contains_key(&p), "parent of {} present", r.name);
        }
    }
    let openat = recs.iter().find(|r| r.name == "openat").expect("openat");
    assert_eq!(openat.kind, SpanKind::Syscall);
    assert_eq!(
        ids[&openat.parent_span_id.expect("parent")].name,
        "load_config"
    );
    assert!(matches!(openat.status, SpanStatus::Error(_)));
    assert!(openat.fields.iter().any(|(k, _)| k == "syscall.args"));
    // `--source`: OpenTelemetry's code.* attributes.
    let field = |k: &str| openat.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
    use crate::model::FieldValue;
    assert_eq!(
        field("code.file.path"),
        Some(&FieldValue::Str("/src/app/main.rs".into()))
    );
    assert_eq!(field("code.line.number"), Some(&FieldValue::I64(42)));
    assert_eq!(
        field("code.function.name"),
        Some(&FieldValue::Str("app::load_config".into()))
    );
    assert_eq!(
        recs.iter().filter(|r| r.kind == SpanKind::Process).count(),
        2
    );
}

/// Brute force reference of the parenting rule: latest-started span on the
/// same thread with start <= entry < end; equal starts → shorter, then deeper.
fn reference_parent(spans: &[SpanRecord], depth: &[u32], s: &SyscallRecord) -> Option<usize> {
    spans
        .iter()
        .enumerate()
        .filter(|(_, x)| {
            x.pid == s.pid && x.tid == s.tid && x.start_ns <= s.start_ns && s.start_ns < x.end_ns
        })
        .max_by_key(|(i, x)| (x.start_ns, std::cmp::Reverse(x.end_ns), depth[*i], *i))
        .map(|(i, _)| i)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Random well-nested span trees on a few threads and random syscalls:
    /// the sweep agrees with the brute-force rule on every syscall.
    #[test]
    fn sweep_matches_brute_force(
        trees in proptest::collection::vec((0u32..3, proptest::collection::vec((0u64..50, 1u64..40), 1..12)), 1..6),
        calls in proptest::collection::vec((0u32..3, 0u64..400), 0..60),
    ) {
        // Build nested spans: each tree is a chain of nested intervals.
        let mut spans = Vec::new();
        let mut depth = Vec::new();
        let mut next_id = 1u64;
        for (n, (tid, chain)) in trees.iter().enumerate() {
            let (mut lo, mut hi) = (n as u64 * 60, n as u64 * 60 + 300);
            let mut parent = None;
            for (d, &(a, b)) in chain.iter().enumerate() {
                let nlo = (lo + a).min(hi);
                let nhi = nlo + b.min(hi - nlo);
                spans.push(sdk(next_id, parent, "f", 1, 100 + tid, nlo, nhi));
                depth.push(d as u32);
                parent = Some(next_id);
                next_id += 1;
                (lo, hi) = (nlo, nhi);
            }
        }
        let syscalls: Vec<_> = calls.iter().map(|&(tid, at)| sc("read", 1, 100 + tid, at, at + 3)).collect();
        let t = merge(MergeInput { spans: spans.clone(), syscalls: syscalls.clone(), ..MergeInput::default() });
        for (k, s) in syscalls.iter().enumerate() {
            let it = item_of(&t, ItemSource::Syscall(k));
            let got = match t.items[it.parent.expect("parent")].source {
                ItemSource::Function(i) => Some(i),
                _ => None,
            };
            prop_assert_eq!(got, reference_parent(&spans, &depth, s), "syscall at {}", s.start_ns);
        }
        for (i, it) in t.items.iter().enumerate() {
            if let Some(p) = it.parent {
                prop_assert!(p < i);
                prop_assert!(t.items[p].lamport < it.lamport);
                prop_assert_eq!(t.items[p].depth + 1, it.depth);
            }
        }
    }
}

#[test]
fn spool_session_end_to_end_with_a_spool_written_by_the_sdk_sink() {
    use std::os::unix::fs::PermissionsExt;
    let parent = crate::spool::tests::TempDir::new("session");
    let session = SpoolSession::create_in(parent.path(), None).expect("session");
    let mode = std::fs::metadata(session.dir())
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    let env = session.env();
    assert_eq!(env[0].0, "TRACEPARENT");
    let tp = renacer_format::w3c::TraceParent::parse(&env[0].1).expect("valid traceparent");
    assert_eq!(
        (tp.trace_id, tp.parent_id),
        (session.trace_id(), session.root_span_id())
    );
    assert_eq!(
        env[1],
        (
            "RENACER_SPOOL".to_string(),
            session.dir().display().to_string()
        )
    );

    // What the SDK in the traced program does: spool sink from the env value.
    let mut w = renacer::export::spool::sink_from_env(Some(env[1].1.clone().into()))
        .expect("set")
        .expect("sink");
    let mut root = sdk(
        500,
        Some(session.root_span_id().0),
        "load_config",
        42,
        42,
        100,
        200,
    );
    root.trace_id = session.trace_id();
    w.write_spans(&[root]).expect("write");
    w.flush_file().expect("flush");

    let mut b = UnifiedBuilder::new(
        Some(session.trace_id()),
        Some(session.root_span_id()),
        session.external_parent(),
        vec!["app".into()],
    );
    b.syscall(sc("openat", 42, 42, 150, 160));
    b.syscall(sc("write", 42, 42, 300, 310));
    b.exited(42, 42, 400, "exited with 0".into());
    let spans = session.read().expect("read spools").into_spans();
    let t = b.finish(spans);
    assert_eq!(parent_name_of_syscall(&t, 0), "load_config");
    assert_eq!(parent_name_of_syscall(&t, 1), "app");
    assert_eq!(
        item_of(&t, ItemSource::Function(0)).parent_span_id,
        Some(session.root_span_id())
    );
    let dir = session.dir().to_path_buf();
    drop(session);
    assert!(!dir.exists(), "the session removes its directory");
}

#[test]
fn spool_session_joins_an_inherited_trace() {
    let parent = crate::spool::tests::TempDir::new("session-join");
    let outer = renacer_format::w3c::TraceParent::new(TRACE, SpanId(0xabc), 1);
    let s = SpoolSession::create_in(parent.path(), Some(outer)).expect("session");
    assert_eq!(s.trace_id(), TRACE);
    assert_eq!(s.external_parent(), Some(SpanId(0xabc)));
    assert_ne!(s.root_span_id(), SpanId(0xabc));
    let t = UnifiedBuilder::new(
        Some(s.trace_id()),
        Some(s.root_span_id()),
        s.external_parent(),
        vec![],
    )
    .finish(vec![sdk(9, None, "f", 3, 3, 0, 1)]);
    let p = item_of(&t, ItemSource::Process(0));
    assert_eq!(p.parent_span_id, Some(SpanId(0xabc)));
    assert!(SpoolSession::create_in(&parent.path().join("missing"), None).is_err());
}

#[test]
fn perfetto_cuts_a_late_syscall_exit_at_its_span_end() {
    let t = merge(MergeInput {
        processes: vec![proc_(1, 0, 10_000, None)],
        spans: vec![sdk(1, None, "f", 1, 1, 1_000, 2_000)],
        // Entered inside f, exit stamped 500 ns after f ended.
        syscalls: vec![sc("read", 1, 1, 1_900, 2_500)],
        ..MergeInput::default()
    });
    assert_eq!(parent_name_of_syscall(&t, 0), "f");
    let mut out = Vec::new();
    write_perfetto(&t, &mut out).expect("perfetto");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    let ev = v["traceEvents"].as_array().expect("events");
    let read = ev.iter().find(|e| e["name"] == "read").expect("read slice");
    assert_eq!(read["ts"].as_f64(), Some(1.9));
    assert_eq!(read["dur"].as_f64(), Some(0.1));
    assert_eq!(read["args"]["end_ns"], 2_500);
}

#[test]
fn a_thread_starts_after_the_clone_that_created_it() {
    // Thread 2's clock runs ahead of nothing here: its first syscall is
    // stamped *before* the clone returned, yet it must follow the clone.
    let mut b = UnifiedBuilder::new(None, None, None, vec!["app".into()]);
    b.syscall(sc("openat", 1, 1, 100, 110));
    b.spawned(1, 1, 1, 2, 130); // PTRACE_EVENT_CLONE: a thread of pid 1
    b.syscall(sc("futex", 1, 2, 150, 160)); // new thread, first syscall
    let mut clone = sc("clone3", 1, 1, 120, 200);
    clone.ret_value = 2;
    b.syscall(clone);
    b.syscall(sc("write", 1, 1, 300, 310));
    let t = b.finish(Vec::new());
    assert_eq!(t.stats.cycles_broken, 0);
    let l = |k| item_of(&t, ItemSource::Syscall(k)).lamport;
    assert!(l(1) > l(2), "thread's first syscall after the clone");
    assert!(
        l(2) > l(0) && l(3) > l(2),
        "program order on the main thread"
    );
}

proptest! {
    /// Unified JSON escapes like every renacer JSON writer (one escaper):
    /// any name, field key or string value parses back unchanged, and a
    /// non-finite float is `null` as in the JSON-lines sink.
    #[test]
    fn unified_json_strings_round_trip_and_non_finite_floats_are_null(
        name in "\\PC{0,20}|[\\x00-\\x1f\"\\\\]{1,5}",
        value in "\\PC{0,20}|[\\x00-\\x1f\"\\\\]{1,5}",
        x in proptest::num::f64::ANY,
    ) {
        let mut s = sdk(1, None, "f", 1, 1, 10, 20);
        s.name = Cow::Owned(name.clone());
        s.fields = vec![
            (Cow::Owned(value.clone()), crate::model::FieldValue::Str(value.clone().into())),
            (Cow::Borrowed("x"), crate::model::FieldValue::F64(x)),
        ];
        let t = merge(MergeInput { spans: vec![s], ..MergeInput::default() });
        let mut out = Vec::new();
        write_json(&t, &mut out).expect("write");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        let f = v["items"].as_array().unwrap().iter().find(|i| i["kind"] == "function").unwrap();
        prop_assert_eq!(f["name"].as_str(), Some(name.as_str()));
        prop_assert_eq!(f["fields"][value.as_str()].as_str(), Some(value.as_str()));
        if x.is_finite() {
            prop_assert_eq!(f["fields"]["x"].as_f64(), Some(x));
        } else {
            prop_assert!(f["fields"]["x"].is_null());
        }
    }
}
