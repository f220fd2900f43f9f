//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde_json::Value;

/// Reads a JSON-lines span file.
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Spans by name (the last one wins when names repeat).
pub fn by_name(spans: &[Value]) -> HashMap<String, Value> {
    spans
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), s.clone()))
        .collect()
}

/// Resident set size of this process in bytes (from /proc/self/statm).
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    pages * page
}

/// A future that returns `Pending` once, then `Ready`: one suspension point,
/// to drive async spans through a second poll by hand.
pub struct YieldOnce(pub bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}
