//! The Chrome Trace Event / Perfetto JSON format, written in one place: the
//! file envelope, process and thread name metadata (`"ph":"M"`), complete
//! slices (`"ph":"X"`), async slices (`"ph":"b"`/`"e"`) and their `args`.
//!
//! Both the SDK's `perfetto:` sink (`renacer::export::perfetto`) and the
//! unified trace's writer (`renacer_trace::write_perfetto`) emit their
//! events through [`Events`], so the two files cannot drift apart. Documented in
//! `docs/formats.md`, section "Perfetto".
//!
//! Everything appends to a caller-owned `Vec<u8>` with the allocation-free
//! helpers of [`crate::json`]: the SDK sink runs on the collector
//! thread, where `serde_json` or `format!` per span would cost more than its
//! export budget. Times are `CLOCK_MONOTONIC` nanoseconds written as
//! microseconds with three decimals, from integers, so no precision is lost.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::gpu::{GpuTrack, Launch};
use crate::json;
use crate::model::{FieldValue, SpanId, SpanRecord, SpanStatus, TraceId};

/// The closing of the file, after the last event.
pub const TAIL: &[u8] = b"\n]}\n";

/// Appends the file's opening, up to the `[` of `traceEvents`.
/// `otherData` names the producer and, when known, the trace.
pub fn header(out: &mut Vec<u8>, trace_id: Option<TraceId>, service: Option<&str>) {
    out.extend_from_slice(b"{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"renacer\"");
    if let Some(s) = service {
        out.extend_from_slice(b",\"service.name\":");
        json::string(out, s);
    }
    if let Some(t) = trace_id {
        out.extend_from_slice(b",\"trace_id\":\"");
        json::hex(out, t.0, 32);
        out.push(b'"');
    }
    out.extend_from_slice(b"},\"traceEvents\":[\n");
}

/// The name of a thread's track: the name the program gave the thread when
/// known, else `main` for a process's first thread (`tid == pid`), else
/// `thread TID`.
pub fn thread_label(pid: u32, tid: u32, known: Option<&str>) -> Cow<'_, str> {
    match known {
        Some(name) if !name.is_empty() => Cow::Borrowed(name),
        _ if tid == pid => Cow::Borrowed("main"),
        _ => Cow::Owned(format!("thread {tid}")),
    }
}

/// Where a slice sits and what it covers.
#[derive(Clone, Copy, Debug)]
pub struct Slice<'a> {
    /// The slice's name.
    pub name: &'a str,
    /// The category: the span kind (`function`, `syscall`, ...).
    pub cat: &'a str,
    /// Process track.
    pub pid: u32,
    /// Thread track.
    pub tid: u32,
    /// Start, `CLOCK_MONOTONIC` ns.
    pub start_ns: u64,
    /// End, `CLOCK_MONOTONIC` ns.
    pub end_ns: u64,
}

/// Writes the events of one `traceEvents` array, separating them.
#[derive(Debug, Default)]
pub struct Events {
    wrote_any: bool,
}

impl Events {
    /// A writer continuing an array that already holds events (a file
    /// reopened by the process that wrote it).
    pub fn continuing(&mut self) {
        self.wrote_any = true;
    }

    fn begin(&mut self, out: &mut Vec<u8>) {
        if self.wrote_any {
            out.extend_from_slice(b",\n");
        }
        self.wrote_any = true;
    }

    fn metadata(&mut self, out: &mut Vec<u8>, what: &[u8], pid: u32, tid: u32, name: &str) {
        self.begin(out);
        out.extend_from_slice(b"{\"ph\":\"M\",\"name\":\"");
        out.extend_from_slice(what);
        out.extend_from_slice(b"\",\"pid\":");
        json::uint(out, u64::from(pid));
        out.extend_from_slice(b",\"tid\":");
        json::uint(out, u64::from(tid));
        out.extend_from_slice(b",\"args\":{\"name\":");
        json::string(out, name);
        out.extend_from_slice(b"}}");
    }

    /// Names process `pid`'s track group (viewers show the pid next to it).
    pub fn process_name(&mut self, out: &mut Vec<u8>, pid: u32, name: &str) {
        self.metadata(out, b"process_name", pid, 0, name);
    }

    /// Names thread `tid`'s track. A later event for the same thread
    /// renames it (the viewers keep the last name).
    pub fn thread_name(&mut self, out: &mut Vec<u8>, pid: u32, tid: u32, name: &str) {
        self.metadata(out, b"thread_name", pid, tid, name);
    }

    /// `,"name":…,"cat":…,"ts":…` — the part every slice event shares.
    fn common(out: &mut Vec<u8>, s: &Slice<'_>, ts_ns: u64) {
        out.extend_from_slice(b",\"name\":");
        json::string(out, s.name);
        out.extend_from_slice(b",\"cat\":");
        json::string(out, s.cat);
        out.extend_from_slice(b",\"ts\":");
        json::micros(out, ts_ns);
    }

    fn track(out: &mut Vec<u8>, s: &Slice<'_>) {
        out.extend_from_slice(b",\"pid\":");
        json::uint(out, u64::from(s.pid));
        out.extend_from_slice(b",\"tid\":");
        json::uint(out, u64::from(s.tid));
    }

    /// A complete slice on its thread's track. On one track, complete slices
    /// must be nested or disjoint: that is the caller's to guarantee.
    pub fn complete<'o>(&mut self, out: &'o mut Vec<u8>, s: &Slice<'_>) -> Args<'o> {
        self.begin(out);
        out.extend_from_slice(b"{\"ph\":\"X\"");
        Self::common(out, s, s.start_ns);
        out.extend_from_slice(b",\"dur\":");
        json::micros(out, s.end_ns.saturating_sub(s.start_ns));
        Self::track(out, s);
        Args::open(out)
    }

    /// An async slice (it may overlap anything on its thread), drawn on its
    /// own track keyed by `id`. Returns the begin event's args; the end
    /// event is written when they are dropped.
    pub fn async_slice<'o>(&mut self, out: &'o mut Vec<u8>, s: &Slice<'o>, id: u64) -> Args<'o> {
        self.begin(out);
        Self::async_event(out, b"b", s, id, s.start_ns);
        let mut args = Args::open(out);
        args.then_end = Some((*s, id));
        args
    }

    /// A GPU item (kernel, copy, set) as a complete slice on its device's
    /// stream track — named `GPU 0 stream 7` the first time `named` has not
    /// seen it — with its span args, and, when its launch is known, a flow
    /// arrow from the launching thread's track at the launch (the slice
    /// enclosing that instant: the launching span) to the item's start.
    /// Other spans are ignored. Both Perfetto writers draw GPU items here.
    pub fn gpu_item(
        &mut self,
        out: &mut Vec<u8>,
        s: &SpanRecord,
        ids: (TraceId, Option<SpanId>),
        named: &mut HashSet<GpuTrack>,
    ) {
        let Some(track) = GpuTrack::of(s) else {
            return;
        };
        if named.insert(track) {
            self.thread_name(out, s.pid, track.tid(), &track.label());
        }
        let slice = Slice {
            name: &s.name,
            cat: s.kind.as_str(),
            pid: s.pid,
            tid: track.tid(),
            start_ns: s.start_ns,
            end_ns: s.end_ns.max(s.start_ns),
        };
        self.complete(out, &slice).span(s, ids.0, ids.1);
        if let Some(launch) = Launch::of(s) {
            let from = Slice {
                name: "launch",
                cat: "gpu_launch",
                tid: launch.tid,
                start_ns: launch.start_ns,
                ..slice
            };
            self.begin(out);
            Self::async_event(out, b"s", &from, s.span_id.0, launch.start_ns);
            out.push(b'}');
            self.begin(out);
            let to = Slice {
                name: "launch",
                cat: "gpu_launch",
                ..slice
            };
            Self::async_event(out, b"f", &to, s.span_id.0, s.start_ns);
            out.extend_from_slice(b",\"bp\":\"e\"}");
        }
    }

    fn async_event(out: &mut Vec<u8>, ph: &[u8], s: &Slice<'_>, id: u64, ts_ns: u64) {
        out.extend_from_slice(b"{\"ph\":\"");
        out.extend_from_slice(ph);
        out.extend_from_slice(b"\",\"id\":\"0x");
        json::hex64(out, id);
        out.push(b'"');
        Self::common(out, s, ts_ns);
        Self::track(out, s);
    }
}

/// The `args` object of a slice being written. Dropping it closes the
/// object and the event, so an event can never be left open.
pub struct Args<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
    /// For an async slice: the end event to write after the begin event.
    then_end: Option<(Slice<'o>, u64)>,
}

impl<'o> Args<'o> {
    fn open(out: &'o mut Vec<u8>) -> Args<'o> {
        out.extend_from_slice(b",\"args\":{");
        Args {
            out,
            first: true,
            then_end: None,
        }
    }

    fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        json::string(self.out, k);
        self.out.push(b':');
        self.out
    }

    /// A string argument.
    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        json::string(self.key(k), v);
        self
    }

    /// An unsigned argument.
    pub fn uint(&mut self, k: &str, v: u64) -> &mut Self {
        json::uint(self.key(k), v);
        self
    }

    /// A signed argument.
    pub fn int(&mut self, k: &str, v: i64) -> &mut Self {
        json::int(self.key(k), v);
        self
    }

    /// A 64-bit id as a quoted 16-digit hex string (span ids, decision ids).
    pub fn id64(&mut self, k: &str, v: u64) -> &mut Self {
        json::hex16_quoted(self.key(k), v);
        self
    }

    /// A user field as an argument.
    pub fn field(&mut self, k: &str, v: &FieldValue) -> &mut Self {
        json::field_value(self.key(k), v);
        self
    }

    /// The ids, code location, decision id, error status and recorded fields
    /// of a span: the args every function slice carries. The ids are passed
    /// separately because the unified trace may re-home a span (new trace
    /// id, new parent).
    pub fn span(&mut self, s: &SpanRecord, trace: TraceId, parent: Option<SpanId>) {
        self.id64("span_id", s.span_id.0);
        let out = self.key("trace_id");
        out.push(b'"');
        json::hex(out, trace.0, 32);
        out.push(b'"');
        if let Some(p) = parent {
            self.id64("parent_span_id", p.0);
        }
        self.str("code.file.path", &s.file);
        self.uint("code.line.number", u64::from(s.line));
        if let Some(d) = s.decision_id {
            self.id64("decision_id", d);
        }
        if let SpanStatus::Error(msg) = &s.status {
            self.str("status", "error").str("status_message", msg);
        }
        for (k, v) in &s.fields {
            if RESERVED_ARGS.contains(&&**k) {
                // Never a second `span_id` that would override the real
                // one in the viewers: the user's field keeps its value under
                // `field.<key>`.
                self.field(&format!("field.{k}"), v);
            } else {
                self.field(k, v);
            }
        }
    }
}

/// Keys renacer writes into a slice's `args` itself (both writers).
pub const RESERVED_ARGS: &[&str] = &[
    "span_id",
    "trace_id",
    "parent_span_id",
    "name",
    "code.file.path",
    "code.line.number",
    "decision_id",
    "status",
    "status_message",
    "lamport",
    "args",
    "ret",
    "ret_value",
    "end_ns",
];

impl Drop for Args<'_> {
    fn drop(&mut self) {
        self.out.extend_from_slice(b"}}");
        if let Some((s, id)) = self.then_end.take() {
            self.out.extend_from_slice(b",\n");
            // An end before the start would be rejected by the viewers.
            Events::async_event(self.out, b"e", &s, id, s.end_ns.max(s.start_ns));
            self.out.push(b'}');
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn user_fields_never_override_renacer_keys() {
        use crate::model::{FieldValue, SpanFlags, SpanKind};
        use std::borrow::Cow;
        let rec = SpanRecord {
            trace_id: TraceId(1),
            span_id: SpanId(0x42),
            parent_span_id: None,
            name: Cow::Borrowed("f"),
            kind: SpanKind::Function,
            flags: SpanFlags::NONE,
            start_ns: 1,
            end_ns: 2,
            pid: 1,
            tid: 1,
            thread_name: None,
            site_id: 0,
            decision_id: None,
            module_path: Cow::Borrowed("m"),
            file: Cow::Borrowed("f.rs"),
            line: 1,
            fields: vec![
                (Cow::Borrowed("span_id"), FieldValue::U64(7)),
                (
                    Cow::Borrowed("name"),
                    FieldValue::Str(Cow::Borrowed("mine")),
                ),
                (Cow::Borrowed("user"), FieldValue::U64(1)),
            ],
            status: SpanStatus::Unset,
        };
        let mut out = Vec::new();
        let mut ev = Events::default();
        ev.complete(&mut out, &slice("f"))
            .span(&rec, rec.trace_id, None);
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(text.matches("\"span_id\"").count(), 1, "{text}");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["args"]["span_id"], "0000000000000042");
        assert_eq!(v["args"]["field.span_id"], 7);
        assert_eq!(v["args"]["field.name"], "mine");
        assert_eq!(v["args"]["user"], 1);
    }

    fn slice(name: &str) -> Slice<'_> {
        Slice {
            name,
            cat: "function",
            pid: 7,
            tid: 8,
            start_ns: 1_234_567,
            end_ns: 1_300_000,
        }
    }

    #[test]
    fn a_file_of_each_event_kind_is_valid_json() {
        let mut out = Vec::new();
        header(&mut out, Some(TraceId(0xabc)), Some("svc"));
        let mut ev = Events::default();
        ev.process_name(&mut out, 7, "demo \"x\"");
        ev.thread_name(&mut out, 7, 8, &thread_label(7, 8, None));
        ev.complete(&mut out, &slice("f\n"))
            .uint("n", 3)
            .int("r", -1);
        let s = slice("task");
        ev.async_slice(&mut out, &s, 0xfeed).str("k", "v");
        out.extend_from_slice(TAIL);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(v["otherData"]["trace_id"], format!("{:032x}", 0xabc));
        let e = v["traceEvents"].as_array().expect("events");
        assert_eq!(e.len(), 5);
        assert_eq!(e[0]["args"]["name"], "demo \"x\"");
        assert_eq!(e[1]["args"]["name"], "thread 8");
        assert_eq!(e[2]["name"], "f\n");
        assert_eq!(e[2]["ts"].as_f64(), Some(1234.567));
        assert_eq!(e[2]["dur"].as_f64(), Some(65.433));
        assert_eq!(e[2]["args"]["r"], -1);
        assert_eq!(
            (e[3]["ph"].as_str(), e[4]["ph"].as_str()),
            (Some("b"), Some("e"))
        );
        assert_eq!(e[4]["id"], "0x000000000000feed");
        assert_eq!(e[4]["ts"].as_f64(), Some(1300.0));
    }

    #[test]
    fn thread_labels_prefer_the_known_name() {
        assert_eq!(thread_label(5, 6, Some("echo-server")), "echo-server");
        assert_eq!(thread_label(5, 5, None), "main");
        assert_eq!(thread_label(5, 6, Some("")), "thread 6");
    }

    #[test]
    fn gpu_items_go_on_a_named_stream_track_with_a_flow_from_the_launch() {
        use crate::gpu;
        use crate::model::{FieldValue, SpanFlags, SpanKind};
        use std::borrow::Cow;
        let kernel = |stream: u64, launch: bool| {
            let mut fields = vec![
                (Cow::Borrowed(gpu::DEVICE), FieldValue::U64(0)),
                (Cow::Borrowed(gpu::STREAM), FieldValue::U64(stream)),
            ];
            if launch {
                fields.push((Cow::Borrowed(gpu::LAUNCH_START_NS), FieldValue::U64(1_000)));
                fields.push((Cow::Borrowed(gpu::LAUNCH_END_NS), FieldValue::U64(1_500)));
            }
            SpanRecord {
                trace_id: TraceId(1),
                span_id: SpanId(0x99 + stream),
                parent_span_id: Some(SpanId(0x42)),
                name: Cow::Borrowed("vec_add(float*)"),
                kind: SpanKind::GpuKernel,
                flags: SpanFlags::NONE,
                start_ns: 2_000,
                end_ns: 5_000,
                pid: 7,
                tid: 8,
                thread_name: None,
                site_id: 0,
                decision_id: None,
                module_path: Cow::Borrowed(""),
                file: Cow::Borrowed(""),
                line: 0,
                fields,
                status: SpanStatus::Unset,
            }
        };
        let mut out = Vec::new();
        header(&mut out, None, None);
        let mut ev = Events::default();
        let mut named = HashSet::new();
        let a = kernel(7, true);
        ev.gpu_item(&mut out, &a, (a.trace_id, a.parent_span_id), &mut named);
        let b = kernel(7, false);
        ev.gpu_item(&mut out, &b, (b.trace_id, b.parent_span_id), &mut named);
        out.extend_from_slice(TAIL);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        let e = v["traceEvents"].as_array().expect("events");
        // Track name once, the kernel, flow start + end, the second kernel.
        assert_eq!(e.len(), 5, "{v}");
        let track = u64::from(
            gpu::GpuTrack {
                device: 0,
                stream: 7,
            }
            .tid(),
        );
        assert_eq!(e[0]["ph"], "M");
        assert_eq!(e[0]["tid"], track);
        assert_eq!(e[0]["args"]["name"], "GPU 0 stream 7");
        assert_eq!(
            (e[1]["ph"].as_str(), e[1]["tid"].as_u64()),
            (Some("X"), Some(track))
        );
        assert_eq!(e[1]["cat"], "gpu_kernel");
        assert_eq!(e[1]["args"]["parent_span_id"], "0000000000000042");
        // The flow starts on the launching thread at the launch and ends,
        // bound to the enclosing slice, at the kernel's start.
        assert_eq!(
            (e[2]["ph"].as_str(), e[2]["tid"].as_u64()),
            (Some("s"), Some(8))
        );
        assert_eq!(e[2]["ts"].as_f64(), Some(1.0));
        assert_eq!(
            (e[3]["ph"].as_str(), e[3]["tid"].as_u64()),
            (Some("f"), Some(track))
        );
        assert_eq!(e[3]["bp"], "e");
        assert_eq!(e[3]["ts"].as_f64(), Some(2.0));
        assert_eq!(e[2]["id"], e[3]["id"]);
        assert_eq!(e[4]["ph"], "X");
    }
}
