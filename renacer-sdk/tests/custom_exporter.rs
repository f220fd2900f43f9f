//! `Config::builder().exporter(..)`: a custom sink receives every span with
//! its async flag, is flushed by `flush()` and shut down once on guard drop;
//! a panicking exporter is counted as an export error and neither kills the
//! collector nor disturbs the other sinks.

use std::sync::{Arc, Mutex};

use renacer::__private::{enter, enter_async, Site};
use renacer::model::SpanRecord;
use renacer::Exporter;

static A: Site = Site::new("a", module_path!(), file!(), 1, 0, &[]);
static T: Site = Site::new("t", module_path!(), file!(), 2, 0, &[]);

#[derive(Default)]
struct Seen {
    names: Vec<(String, bool)>,
    flushes: usize,
    shutdowns: usize,
}

struct Recording(Arc<Mutex<Seen>>);

impl Exporter for Recording {
    fn export(&mut self, spans: &[SpanRecord]) {
        let mut s = self.0.lock().unwrap();
        s.names.extend(
            spans
                .iter()
                .map(|r| (r.name.to_string(), r.flags.is_async())),
        );
    }
    fn flush(&mut self) {
        self.0.lock().unwrap().flushes += 1;
    }
    fn shutdown(&mut self) {
        self.0.lock().unwrap().shutdowns += 1;
    }
}

struct Panicking;

impl Exporter for Panicking {
    fn export(&mut self, _spans: &[SpanRecord]) {
        panic!("exporter bug");
    }
}

#[test]
fn custom_exporters_receive_spans_and_lifecycle_calls() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let before = renacer::stats();
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .exporter(Box::new(Panicking))
        .exporter(Box::new(Recording(seen.clone())))
        .init();
    {
        let _a = enter(&A);
    }
    drop(enter_async(&T));
    assert!(renacer::flush());
    {
        let s = seen.lock().unwrap();
        assert_eq!(
            s.names,
            vec![("a".to_owned(), false), ("t".to_owned(), true)]
        );
        assert!(s.flushes >= 1);
        assert_eq!(s.shutdowns, 0);
    }
    let mid = renacer::stats();
    assert!(mid.export_errors > before.export_errors);
    // The collector survived the panic: later spans still arrive.
    {
        let _a = enter(&A);
    }
    drop(guard);
    let s = seen.lock().unwrap();
    assert_eq!(s.names.len(), 3);
    assert_eq!(s.shutdowns, 1);
}
