//! Tests of the spool: round trips, damaged tails, versions, directories.

use std::borrow::Cow;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::model::{FieldValue, SpanId, SpanKind, SpanRecord, SpanStatus, TraceId};
use renacer::export::spool::{sink, sink_from_env, SpoolWriter};
use renacer_format::model::SpanFlags;
use renacer_format::spool::{CLOCK_MONOTONIC_ID, VERSION};

/// A fresh private directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(tempfile::TempDir);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        TempDir(
            tempfile::Builder::new()
                .prefix(&format!("renacer-{tag}-"))
                .tempdir()
                .expect("create temp dir"),
        )
    }
    pub(crate) fn path(&self) -> &Path {
        self.0.path()
    }
}

pub(crate) fn span(i: u64, name: &'static str) -> SpanRecord {
    SpanRecord {
        trace_id: TraceId(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c),
        span_id: SpanId(0x1000 + i),
        parent_span_id: (i > 0).then_some(SpanId(0x1000 + i - 1)),
        name: Cow::Borrowed(name),
        kind: SpanKind::Function,
        flags: Default::default(),
        start_ns: 1_000_000 + i * 100,
        end_ns: 1_000_050 + i * 100,
        pid: 4242,
        tid: 4243,
        thread_name: Some(Arc::from("main")),
        site_id: 0xdead_beef ^ i,
        decision_id: (i % 2 == 0).then_some(0x1234_5678_9abc_def0),
        module_path: Cow::Borrowed("demo::io"),
        file: Cow::Borrowed("src/main.rs"),
        line: 10 + i as u32,
        fields: vec![
            (Cow::Borrowed("n"), FieldValue::U64(i)),
            (
                Cow::Borrowed("path"),
                FieldValue::Str(Cow::Owned(format!("/tmp/{i}"))),
            ),
        ],
        status: if i % 3 == 0 {
            SpanStatus::Error(Cow::Borrowed("boom"))
        } else {
            SpanStatus::Unset
        },
    }
}

fn write_file(dir: &Path, spans: &[SpanRecord]) -> PathBuf {
    let mut w = SpoolWriter::create_in_for_pid(dir, 4242).expect("create spool");
    w.write_spans(spans).expect("export");
    w.flush_file().expect("flush");
    w.path().to_path_buf()
}

#[test]
fn round_trip_of_a_file_keeps_every_field() {
    let dir = TempDir::new("spool-rt");
    let spans: Vec<_> = (0..50).map(|i| span(i, "load_config")).collect();
    let path = write_file(dir.path(), &spans);
    assert_eq!(path, dir.path().join("4242.spool"));
    let file = SpoolFile::read(&path).expect("read");
    assert_eq!(file.header.pid, 4242);
    assert_eq!(file.header.clock_id, CLOCK_MONOTONIC_ID);
    assert!(file.header.created_monotonic_ns > 0);
    assert_eq!(file.warning, None);
    assert_eq!(file.spans, spans);
}

#[test]
fn spool_file_is_private_and_never_clobbered() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("spool-mode");
    let a = SpoolWriter::create_in_for_pid(dir.path(), 7).expect("first");
    let b = SpoolWriter::create_in_for_pid(dir.path(), 7).expect("second, same pid");
    assert_eq!(a.path(), dir.path().join("7.spool"));
    assert_eq!(b.path(), dir.path().join("7.1.spool"));
    let mode = std::fs::metadata(a.path())
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn interning_makes_repeated_names_cheap() {
    let dir = TempDir::new("spool-intern");
    let spans: Vec<_> = (0..1000)
        .map(|i| span(i, "a_rather_long_function_name_repeated"))
        .collect();
    let path = write_file(dir.path(), &spans);
    let size = std::fs::metadata(&path).expect("stat").len();
    // Each span's per-record strings are the two short field values; the
    // names, module, file, thread name and keys are written once.
    assert!(size < 1000 * 90, "spool is {size} bytes for 1000 spans");
    assert_eq!(SpoolFile::read(&path).expect("read").spans, spans);
}

#[test]
fn truncation_at_every_offset_yields_the_complete_prefix() {
    let dir = TempDir::new("spool-trunc");
    let spans: Vec<_> = (0..6).map(|i| span(i, "step")).collect();
    let bytes = std::fs::read(write_file(dir.path(), &spans)).expect("read back");
    // Offsets where each span's frame ends: a cut at or after one keeps it.
    let mut ends = Vec::new();
    {
        let mut r = SpoolReader::new(Cursor::new(&bytes), "x").expect("header");
        while r.next_span().is_some() {
            ends.push(r.offset());
        }
    }
    assert_eq!(ends.len(), spans.len());
    for cut in 0..bytes.len() {
        let file = SpoolFile::from_reader(Cursor::new(&bytes[..cut]), Path::new("cut"))
            .expect("a truncated file is never an error");
        let complete = ends.iter().filter(|&&e| e as usize <= cut).count();
        assert_eq!(file.spans, spans[..complete], "cut at {cut}");
        if cut == bytes.len() || ends.contains(&(cut as u64)) {
            assert_eq!(file.warning, None, "cut at {cut}");
        }
        if cut < 48 {
            assert_eq!(
                file.warning.map(|w| w.kind),
                Some(SpoolWarningKind::TruncatedHeader)
            );
        }
    }
}

#[test]
fn corrupt_bytes_in_the_tail_stop_reading_with_a_warning() {
    let dir = TempDir::new("spool-corrupt");
    let spans: Vec<_> = (0..4).map(|i| span(i, "step")).collect();
    let bytes = std::fs::read(write_file(dir.path(), &spans)).expect("read back");
    let mut ends = Vec::new();
    let mut r = SpoolReader::new(Cursor::new(&bytes), "x").expect("header");
    while r.next_span().is_some() {
        ends.push(r.offset() as usize);
    }
    // Flip one byte in each position of the last span's frame.
    for pos in ends[2]..ends[3] {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x5a;
        let file = SpoolFile::from_reader(Cursor::new(&bad), Path::new("bad")).expect("not fatal");
        assert_eq!(file.spans, spans[..3], "flip at {pos}");
        let w = file.warning.expect("a warning names the damage");
        assert_eq!(w.offset as usize, ends[2]);
        assert!(w.to_string().contains("ignoring the rest"), "{w}");
    }
    // Garbage appended after a complete file: everything before it is kept.
    let mut tail = bytes.clone();
    tail.extend_from_slice(&[0u8; 13]);
    let file = SpoolFile::from_reader(Cursor::new(&tail), Path::new("zeros")).expect("not fatal");
    assert_eq!(file.spans, spans);
    assert!(matches!(
        file.warning.map(|w| w.kind),
        Some(SpoolWarningKind::Corrupt(_))
    ));
}

#[test]
fn version_mismatch_and_foreign_files_are_clear_errors() {
    let dir = TempDir::new("spool-version");
    let mut bytes = std::fs::read(write_file(dir.path(), &[span(1, "f")])).expect("read back");
    bytes[8] = 9;
    let err = SpoolFile::from_reader(Cursor::new(&bytes), Path::new("v9.spool")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "v9.spool: spool format version 9 is not supported (this build reads versions 1 to 2)"
    );
    let err = SpoolFile::from_reader(Cursor::new(b"{\"json\": true}\n"), Path::new("j.spool"))
        .unwrap_err();
    assert!(matches!(err, SpoolError::NotASpool { .. }), "{err}");
    // A version-9 file in a spool directory fails the directory read too.
    std::fs::write(dir.path().join("99.spool"), &bytes).expect("write");
    assert!(matches!(
        read_spool_dir(dir.path()),
        Err(SpoolError::UnsupportedVersion { found: 9, .. })
    ));
}

/// A version-1 file (no flags byte), as released SDKs wrote it.
fn v1_file(spans: &[SpanRecord]) -> Vec<u8> {
    use renacer_format::spool::codec::encode_span;
    use renacer_format::spool::frame::{put_frame, SpoolHeader, TAG_SPAN};
    let header = SpoolHeader {
        version: 1,
        pid: 4242,
        clock_id: CLOCK_MONOTONIC_ID,
        created_monotonic_ns: 1,
        created_unix_ns: 2,
    };
    let mut out = header.encode().to_vec();
    for s in spans {
        let mut payload = Vec::new();
        encode_span(&mut payload, s, &mut |_| None);
        payload.pop(); // the flags byte, new in version 2
        put_frame(&mut out, TAG_SPAN, &payload);
    }
    out
}

#[test]
fn version_1_files_still_read_and_version_2_keeps_the_async_flag() {
    let spans = [span(1, "sync"), span(2, "also_sync")];
    let file = SpoolFile::from_reader(Cursor::new(v1_file(&spans)), Path::new("v1.spool"))
        .expect("a v1 file reads");
    assert_eq!(file.header.version, 1);
    assert_eq!(file.spans, spans);
    assert!(file.warning.is_none());

    let dir = TempDir::new("spool-v2-flags");
    let mut a = span(3, "task");
    a.flags = SpanFlags::ASYNC;
    let back = SpoolFile::read(&write_file(dir.path(), &[a.clone(), span(4, "f")])).expect("read");
    assert_eq!(back.header.version, VERSION);
    assert!(back.spans[0].flags.is_async());
    assert!(!back.spans[1].flags.is_async());
    assert_eq!(back.spans[0], a);
}

#[test]
fn reading_a_directory_collects_every_process() {
    let dir = TempDir::new("spool-dir");
    for pid in [10u32, 11, 12] {
        let mut w = SpoolWriter::create_in_for_pid(dir.path(), pid).expect("create");
        let mut s = span(u64::from(pid), "work");
        s.pid = pid;
        w.write_spans(&[s]).expect("export");
    } // dropped: flushed by Drop
    std::fs::write(dir.path().join("notes.txt"), "not a spool").expect("write");
    std::fs::write(dir.path().join("13.spool"), b"RNCR").expect("write"); // died at once
    let d = read_spool_dir(dir.path()).expect("read dir");
    assert_eq!(d.files.len(), 4);
    assert_eq!(d.warnings().count(), 1);
    let pids: Vec<u32> = d.into_spans().iter().map(|s| s.pid).collect();
    assert_eq!(pids, [10, 11, 12]);
}

#[test]
fn empty_spool_directory_reads_as_nothing() {
    let dir = TempDir::new("spool-empty");
    let d = read_spool_dir(dir.path()).expect("read dir");
    assert!(d.files.is_empty());
    assert!(read_spool_dir(&dir.path().join("missing")).is_err());
}

fn arb_str() -> impl Strategy<Value = Cow<'static, str>> {
    prop_oneof![
        Just(Cow::Borrowed("")),
        "[a-z_:]{1,12}".prop_map(Cow::Owned),
        ".{0,300}".prop_map(Cow::Owned),
    ]
}

fn arb_value() -> impl Strategy<Value = FieldValue> {
    prop_oneof![
        any::<bool>().prop_map(FieldValue::Bool),
        any::<i64>().prop_map(FieldValue::I64),
        any::<u64>().prop_map(FieldValue::U64),
        // Compare bit patterns, so NaN round trips are checked too.
        any::<u64>().prop_map(|b| FieldValue::F64(f64::from_bits(b))),
        arb_str().prop_map(FieldValue::Str),
    ]
}

prop_compose! {
    fn arb_span()(
        trace in any::<u128>(), id in 1u64.., parent in proptest::option::of(1u64..),
        name in arb_str(), kind in 0u8..3, start in any::<u64>(), end in any::<u64>(),
        pid in any::<u32>(), tid in any::<u32>(),
        thread in proptest::option::of("[a-z-]{0,20}"), site in any::<u64>(),
        decision in proptest::option::of(any::<u64>()), module in arb_str(), file in arb_str(),
        line in any::<u32>(), fields in proptest::collection::vec((arb_str(), arb_value()), 0..5),
        err in proptest::option::of(arb_str()),
    ) -> SpanRecord {
        SpanRecord {
            trace_id: TraceId(trace), span_id: SpanId(id), parent_span_id: parent.map(SpanId),
            name,
            kind: [SpanKind::Function, SpanKind::Process, SpanKind::Syscall][kind as usize],
            flags: Default::default(),
            start_ns: start, end_ns: end, pid, tid,
            thread_name: thread.map(|t| Arc::from(t.as_str())), site_id: site,
            decision_id: decision, module_path: module, file, line, fields,
            status: err.map_or(SpanStatus::Unset, SpanStatus::Error),
        }
    }
}

/// `FieldValue::F64` compares NaN unequal; compare through bit patterns.
fn normalized(spans: &[SpanRecord]) -> Vec<String> {
    spans
        .iter()
        .map(|s| {
            let mut s = s.clone();
            for (_, v) in &mut s.fields {
                if let FieldValue::F64(f) = v {
                    *v = FieldValue::U64(f.to_bits());
                }
            }
            format!("{s:?}")
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn round_trip_of_arbitrary_spans(spans in proptest::collection::vec(arb_span(), 0..20)) {
        let dir = TempDir::new("spool-prop");
        let path = write_file(dir.path(), &spans);
        let file = SpoolFile::read(&path).expect("read");
        prop_assert_eq!(file.warning, None);
        prop_assert_eq!(normalized(&file.spans), normalized(&spans));
    }
}

#[test]
fn spool_sink_works_through_the_exporter_trait() {
    use renacer::export::Exporter;
    let dir = TempDir::new("spool-sink");
    let spans: Vec<_> = (0..3).map(|i| span(i, "f")).collect();
    let mut sink: Box<dyn Exporter> =
        Box::new(sink(dir.path().to_str().expect("utf8")).expect("sink"));
    sink.export(&spans);
    sink.flush();
    // Readable after a flush, before shutdown (what a SIGKILL would leave).
    let d = read_spool_dir(dir.path()).expect("read");
    assert_eq!(d.files.len(), 1);
    assert_eq!(d.files[0].header.pid, std::process::id());
    assert_eq!(d.into_spans(), spans);
    sink.shutdown();
}

#[test]
fn spool_sink_rejects_bad_directories_with_a_message() {
    assert!(sink("").unwrap_err().contains("spool:DIR"));
    let err = sink("/nonexistent/renacer-spool").unwrap_err();
    assert!(err.contains("does not exist"), "{err}");
    assert!(sink_from_env(None).is_none());
    assert!(sink_from_env(Some("".into())).is_none());
    let err = sink_from_env(Some("/nonexistent/x".into()))
        .expect("set")
        .unwrap_err();
    assert!(err.starts_with("RENACER_SPOOL: "), "{err}");
    let dir = TempDir::new("spool-env");
    let w = sink_from_env(Some(dir.path().as_os_str().to_owned()))
        .expect("set")
        .expect("ok");
    assert!(w.path().starts_with(dir.path()));
}

#[test]
fn spool_is_a_named_sink_of_renacer_output() {
    let dir = TempDir::new("spool-output");
    let (sinks, errors) = renacer::export::parse_output(&format!("spool:{}", dir.path().display()));
    assert_eq!((sinks.len(), errors.len()), (1, 0), "{errors:?}");
    let (sinks, errors) = renacer::export::parse_output("spool:");
    assert_eq!(sinks.len(), 0);
    assert!(errors[0].contains("spool:DIR"), "{errors:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Any bytes after a valid prefix: the reader keeps the prefix's spans
    /// and never panics or errors.
    #[test]
    fn arbitrary_tails_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..600), keep in 0usize..3) {
        let dir = TempDir::new("spool-fuzz");
        let spans: Vec<_> = (0..3).map(|i| span(i, "fuzz")).collect();
        let bytes = std::fs::read(write_file(dir.path(), &spans[..keep])).expect("read back");
        let mut data = bytes.clone();
        data.extend_from_slice(&tail);
        let file = SpoolFile::from_reader(Cursor::new(&data), Path::new("fuzz")).expect("not fatal");
        prop_assert!(file.spans.len() >= keep);
        prop_assert_eq!(&file.spans[..keep], &spans[..keep]);
    }
}
