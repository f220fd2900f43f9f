//! Span status: `set_error()` and unwinding through a span (sync or async)
//! export `"status":"error"` with the cause; normal spans stay `"unset"`.

mod common;

use std::future::Future;
use std::task::{Context, Waker};

use renacer::__private::{enter, enter_async, Site};

static OK: Site = Site::new("ok", module_path!(), file!(), 1, 0, &[]);
static ERR: Site = Site::new("err", module_path!(), file!(), 2, 0, &[]);
static PANICS: Site = Site::new("panics", module_path!(), file!(), 3, 0, &[]);
static ASYNC_PANICS: Site = Site::new("async_panics", module_path!(), file!(), 4, 0, &[]);

#[test]
fn errors_and_panics_set_the_status() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("status.jsonl");
    let guard = renacer::ConfigBuilder::defaults()
        .rate_limit(0)
        .output(&format!("jsonl:{}", path.display()))
        .init();
    drop(enter(&OK));
    {
        let g = enter(&ERR);
        g.set_error();
    }
    let r = std::panic::catch_unwind(|| {
        let _g = enter(&PANICS);
        panic!("boom");
    });
    assert!(r.is_err());
    let r = std::panic::catch_unwind(|| {
        let mut fut = Box::pin(async {
            let s = enter_async(&ASYNC_PANICS);
            s.instrument(async { panic!("async boom") }).await
        });
        let _ = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    });
    assert!(r.is_err());
    // The thread keeps recording normally after the unwinds.
    drop(enter(&OK));
    assert!(renacer::flush());
    drop(guard);

    let spans = common::read_jsonl(&path);
    let status = |name: &str| {
        let s = spans.iter().find(|s| s["name"] == name).unwrap();
        (
            s["status"].as_str().unwrap().to_owned(),
            s["status_message"].as_str().map(str::to_owned),
        )
    };
    assert_eq!(spans.len(), 5);
    assert_eq!(status("ok"), ("unset".into(), None));
    assert_eq!(status("err"), ("error".into(), Some("error".into())));
    assert_eq!(status("panics"), ("error".into(), Some("panic".into())));
    assert_eq!(
        status("async_panics"),
        ("error".into(), Some("panic".into()))
    );
    // Nothing leaked into a parent link: every span is a root here.
    assert!(spans.iter().all(|s| s["parent_span_id"].is_null()));
}
