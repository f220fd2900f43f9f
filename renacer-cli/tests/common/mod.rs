//! Shared helpers for the CLI tests: compile small C fixtures with `cc`,
//! run renacer and strace, normalise their output for comparison.

#![allow(dead_code)]

pub mod selftrace;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A temp dir shared by one test binary (kept for its whole run).
pub fn workdir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"))
        .path()
}

/// Compile `src` (C) into an executable named `name`; cached per name.
pub fn compile(name: &str, src: &str) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = workdir();
    let exe = dir.join(name);
    if exe.exists() {
        return exe;
    }
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, src).expect("write C source");
    let tmp = dir.join(format!("{name}.tmp"));
    let st = Command::new("cc")
        .args(["-O0", "-pthread", "-o"])
        .arg(&tmp)
        .arg(&c)
        .status()
        .expect("cc runs");
    assert!(st.success(), "compiling {name} failed");
    std::fs::rename(&tmp, &exe).expect("rename");
    exe
}

/// Path of the renacer binary under test.
pub fn renacer() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_renacer"))
}

/// Run renacer with `args`, output and errors captured (no `-o`).
pub fn renacer_output(args: &[&str]) -> Output {
    assert_cmd::Command::new(renacer())
        .args(args)
        .output()
        .expect("renacer runs")
}

/// Run renacer with `args`, which must fail with exit status `code` and
/// say why on stderr; returns that stderr.
pub fn renacer_failure(args: &[&str], code: i32) -> String {
    let assert = assert_cmd::Command::new(renacer())
        .args(args)
        .assert()
        .code(code);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(!err.trim().is_empty(), "renacer {args:?}: no message");
    err
}

/// Run renacer with `args`, trace to a file; returns (exit code, trace text, stdout).
pub fn trace(args: &[&str]) -> (i32, String, String) {
    let out = workdir().join(format!("trace-{}-{}.txt", std::process::id(), unique()));
    let o = assert_cmd::Command::new(renacer())
        .arg("-o")
        .arg(&out)
        .args(args)
        .output()
        .expect("renacer runs");
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    (
        o.status.code().unwrap_or(-1),
        text,
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// Run strace with `args`, trace to a file; returns its trace text.
pub fn strace(args: &[&str]) -> String {
    let out = workdir().join(format!("strace-{}-{}.txt", std::process::id(), unique()));
    let st = Command::new("strace")
        .arg("-o")
        .arg(&out)
        .args(args)
        .output()
        .expect("strace runs (apt-get install strace)");
    assert!(st.status.code().is_some());
    std::fs::read_to_string(&out).expect("strace output")
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Lines that are syscalls (not signals / exits), without pid prefixes.
pub fn syscall_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(strip_pid)
        .filter(|l| !l.starts_with("---") && !l.starts_with("+++") && l.contains('('))
        .map(str::to_string)
        .collect()
}

/// Remove a `[pid N] ` or `N ` prefix. strace pads the `-o` form to five
/// columns (`%-5d `), so the spaces after a short pid go with it: a run
/// whose pids cross a power of ten must compare equal to one that did not.
pub fn strip_pid(l: &str) -> &str {
    let l = l.trim_start();
    if let Some(rest) = l.strip_prefix("[pid ") {
        return rest.split_once("] ").map(|(_, r)| r).unwrap_or(rest);
    }
    match l.split_once(' ') {
        Some((p, r)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => r.trim_start(),
        _ => l,
    }
}

/// A `-f` trace as one list of lines per process, in the order the
/// processes first appear, with each `<unfinished ...>` line joined to its
/// `<... resumed>` half. Two runs of the same process tree interleave their
/// processes differently (and so split different calls); per process the
/// lines are deterministic. Lines without a pid prefix belong to the first
/// process, which is the only one alive when strace drops the prefix in the
/// shell-runs-children-one-at-a-time scripts the tests use.
pub fn per_process(text: &str) -> Vec<Vec<String>> {
    let mut order: Vec<String> = Vec::new();
    let mut lines: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut pending: std::collections::HashMap<String, String> = Default::default();
    for raw in text.lines() {
        let body = strip_pid(raw);
        let pid = raw.trim_start()[..raw.trim_start().len() - body.len()]
            .trim_matches(|c: char| !c.is_ascii_digit())
            .to_string();
        if !order.contains(&pid) {
            order.push(pid.clone());
        }
        let line = if let Some(head) = body.strip_suffix(" <unfinished ...>") {
            pending.insert(pid, head.to_string());
            continue;
        } else if let Some(rest) = body.strip_prefix("<... ") {
            let tail = rest.split_once(" resumed>").map_or(rest, |(_, t)| t);
            let head = pending.remove(&pid).unwrap_or_default();
            format!("{head}{tail}")
        } else {
            body.to_string()
        };
        lines.entry(pid).or_default().push(line);
    }
    let mut out = Vec::new();
    for pid in order {
        let mut group = lines.remove(&pid).unwrap_or_default();
        group.extend(pending.remove(&pid));
        out.push(group);
    }
    out
}

/// Where two per-process traces first differ, for an assertion message
/// that shows the lines rather than both whole traces.
pub fn first_difference(a: &[Vec<String>], b: &[Vec<String>]) -> String {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if let Some(j) = (0..x.len().max(y.len())).find(|&j| x.get(j) != y.get(j)) {
            let around =
                |v: &Vec<String>| v[j.saturating_sub(2)..(j + 3).min(v.len())].join("\n  ");
            return format!(
                "process {i}, line {j}:\n ours:\n  {}\n theirs:\n  {}",
                around(x),
                around(y)
            );
        }
    }
    format!("{} processes against {}", a.len(), b.len())
}

/// The syscall name of a line.
pub fn name_of(l: &str) -> &str {
    l.split('(').next().unwrap_or("")
}

/// Replace hex addresses and collapse alignment spaces so two tracers'
/// lines compare equal when they decode the same thing.
pub fn normalise(l: &str) -> String {
    let re = regex_lite(l);
    re.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn regex_lite(l: &str) -> String {
    // Hand-rolled replacement of 0x[0-9a-f]+ by 0xADDR (no regex dep needed).
    let b = l.as_bytes();
    let mut out = String::with_capacity(l.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'0' && i + 1 < b.len() && b[i + 1] == b'x' {
            let mut j = i + 2;
            while j < b.len() && b[j].is_ascii_hexdigit() {
                j += 1;
            }
            out.push_str("0xADDR");
            i = j;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Every run of `min` or more digits (pids, tids, counters that change
/// from run to run) replaced by `N`.
pub fn long_numbers_as_n(min: usize, l: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in l.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() >= min { "N" } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Poll `cond` every 10 ms for up to `secs` seconds.
pub fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// Wait up to `secs` seconds for `child` to exit: its status, or `None`
/// while it is still running (the caller decides whether to kill it).
pub fn wait_exit(child: &mut Child, secs: u64) -> Option<ExitStatus> {
    let mut status = None;
    wait_until(secs, || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    status
}
