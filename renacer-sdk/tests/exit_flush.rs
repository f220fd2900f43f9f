//! Flush at process exit and environment configuration, in child processes
//! (this test has its own `main`): a program that calls
//! `std::process::exit` or returns from `main` without dropping the init
//! guard loses nothing; `RENACER_OUTPUT` opens every listed sink; bad
//! `RENACER_*` values give a one-line warning and the default.

use std::path::Path;
use std::process::Command;

use renacer::__private::{enter, Site};

static WORK: Site = Site::new("work", module_path!(), file!(), 1, 0, &[]);

const MODE: &str = "RENACER_EXIT_TEST_MODE";

fn child(mode: &str) {
    let guard = renacer::init();
    assert!(guard.is_active());
    if mode == "flood" {
        // Spans until killed: the Perfetto sink writes 1 MiB chunks all the
        // while, so the kill lands between (or during) writes.
        loop {
            let _s = renacer::span!("flood", n = 1u64);
        }
    }
    for _ in 0..100 {
        let _outer = enter(&WORK);
        let _inner = renacer::span!("inner");
    }
    match mode {
        // Destructors do not run: only the atexit handler can flush.
        "exit" => std::process::exit(3),
        // Exit from inside a traced function: the open span is exported
        // as unfinished, so its child names a parent that exists.
        "exit_inside" => {
            let _open = renacer::span!("open_at_exit");
            drop(renacer::span!("closed_child"));
            std::process::exit(4)
        }
        // A fork()ed child that keeps running (a prefork worker) restarts
        // renacer at its first span and records to its own outputs: the
        // JSON-lines file is shared (appended), the Perfetto file is its
        // own (`PATH.PID`). Its exit flushes; the parent's spans are intact.
        "fork" => {
            // SAFETY: the child only records spans and exits.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0);
            if pid == 0 {
                drop(renacer::span!("in_the_child"));
                assert!(renacer::flush());
                let s = renacer::stats();
                assert_eq!((s.recorded, s.exported), (1, 1), "{s:?}");
                std::process::exit(7);
            }
            let mut status = 0;
            // SAFETY: waits for the child we just forked.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 7);
            drop(guard);
        }
        // Returning from main with the guard leaked.
        _ => std::mem::forget(guard),
    }
}

fn run_child(mode: &str, dir: &Path, extra_env: &[(&str, &str)]) -> std::process::Output {
    let jsonl = dir.join(format!("{mode}.jsonl"));
    let perfetto = dir.join(format!("{mode}.json"));
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(MODE, mode)
        .env(
            "RENACER_OUTPUT",
            format!("jsonl:{},perfetto:{}", jsonl.display(), perfetto.display()),
        )
        .env("RENACER_RATE_LIMIT", "0");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// `(min start_ns, max end_ns)` over a JSON-lines file, checking
/// `start_ns <= end_ns` on every line.
fn time_range(path: &Path) -> (u64, u64) {
    let mut range = (u64::MAX, 0);
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (s, e) = (
            v["start_ns"].as_u64().unwrap(),
            v["end_ns"].as_u64().unwrap(),
        );
        assert!(s <= e);
        range = (range.0.min(s), range.1.max(e));
    }
    range
}

fn count_lines(path: &Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().count()
}

fn main() {
    if let Ok(mode) = std::env::var(MODE) {
        child(&mode);
        return;
    }
    let dir = tempfile::tempdir().unwrap();

    // process::exit without dropping the guard. CLOCK_MONOTONIC is system
    // wide, so the child's exported times (TSC converted, where the TSC is
    // invariant) must lie between our readings before and after it ran.
    let before = renacer::clock::now_monotonic_ns();
    let out = run_child("exit", dir.path(), &[]);
    let after = renacer::clock::now_monotonic_ns();
    let (first, last) = time_range(&dir.path().join("exit.jsonl"));
    // Allow the TSC fit a little slack (it is refined while the program runs).
    assert!(
        first + 1_000_000 >= before && last <= after + 1_000_000,
        "{before} {first} {last} {after}"
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(count_lines(&dir.path().join("exit.jsonl")), 200);
    let trace: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("exit.json")).unwrap()).unwrap();
    let x = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "X")
        .count();
    assert_eq!(x, 200);

    // Returning from main with a leaked guard, plus bad environment values.
    let out = run_child(
        "return",
        dir.path(),
        &[
            ("RENACER_SAMPLE_RATE", "lots"),
            ("RENACER_RING_CAPACITY", "2"),
            ("RENACER_FLUSH_INTERVAL_MS", "0"),
            ("RENACER_CLOCK", "bogus"),
            ("RENACER_SHUTDOWN_TIMEOUT_MS", "soon"),
            ("RENACER_EXIT_SUMMARY", "maybe"),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("renacer: ignoring RENACER_SAMPLE_RATE=\"lots\": not a number; using 1"),
        "{stderr}"
    );
    assert!(stderr.contains("RENACER_RING_CAPACITY=\"2\""), "{stderr}");
    assert!(
        stderr.contains("RENACER_FLUSH_INTERVAL_MS=\"0\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("ignoring RENACER_CLOCK=\"bogus\": expected `monotonic` or `auto`"),
        "{stderr}"
    );
    // Each warning is one line.
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("renacer: "))
            .count(),
        6
    );
    assert!(
        stderr.contains("RENACER_SHUTDOWN_TIMEOUT_MS=\"soon\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("RENACER_EXIT_SUMMARY=\"maybe\": expected `on` or `off`"),
        "{stderr}"
    );
    // Defaults applied: rate 1 → everything recorded.
    assert_eq!(count_lines(&dir.path().join("return.jsonl")), 200);

    // A bad sink is reported and skipped; the good one still works; a bad
    // rate limit falls back to the default (10,000/s: enough for 200).
    let good = dir.path().join("good.jsonl");
    let out = Command::new(std::env::current_exe().unwrap())
        .env(MODE, "return")
        .env(
            "RENACER_OUTPUT",
            format!("bogus:x,jsonl:{}", good.display()),
        )
        .env("RENACER_RATE_LIMIT", "-5")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown sink `bogus`"), "{stderr}");
    assert!(stderr.contains("RENACER_RATE_LIMIT=\"-5\""), "{stderr}");
    assert_eq!(count_lines(&good), 200);

    // fork(): the child records its own span, the parent's are all there.
    let out = run_child("fork", dir.path(), &[]);
    assert!(out.status.success(), "{out:?}");
    let fork_jsonl = std::fs::read_to_string(dir.path().join("fork.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = fork_jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("no torn line"))
        .collect();
    assert_eq!(lines.len(), 201, "{fork_jsonl}");
    let child: Vec<_> = lines
        .iter()
        .filter(|s| s["name"] == "in_the_child")
        .collect();
    assert_eq!(child.len(), 1);
    let child_pid = child[0]["pid"].as_u64().unwrap();
    assert!(lines
        .iter()
        .filter(|s| s["name"] != "in_the_child")
        .all(|s| s["pid"].as_u64() != Some(child_pid)));
    let own_perfetto = dir.path().join(format!("fork.json.{child_pid}"));
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&own_perfetto).unwrap()).expect("child's own file");
    assert!(doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "in_the_child"));

    // RENACER_CLOCK=monotonic: the hot path reads CLOCK_MONOTONIC directly;
    // times need no conversion and lie exactly within our readings.
    let before = renacer::clock::now_monotonic_ns();
    let out = run_child("return", dir.path(), &[("RENACER_CLOCK", "monotonic")]);
    let after = renacer::clock::now_monotonic_ns();
    assert!(out.status.success(), "{out:?}");
    let (first, last) = time_range(&dir.path().join("return.jsonl"));
    assert!(
        before <= first && last <= after,
        "{before} {first} {last} {after}"
    );

    // SIGKILL mid-run (SIGTERM's default action is the same: no exit
    // handler runs): the Perfetto file is a complete document after every
    // write, so what was written is loadable.
    let perfetto = dir.path().join("flood.json");
    let mut flood = Command::new(std::env::current_exe().unwrap())
        .env(MODE, "flood")
        .env(
            "RENACER_OUTPUT",
            format!(
                "jsonl:{},perfetto:{}",
                dir.path().join("flood.jsonl").display(),
                perfetto.display()
            ),
        )
        .env("RENACER_RATE_LIMIT", "0")
        .env("RENACER_FLUSH_INTERVAL_MS", "1")
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::metadata(&perfetto).map_or(0, |m| m.len()) < 3 << 20
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Stop it first: a stop takes effect between syscalls, so the kill
    // lands between two writes, never inside one (a SIGKILL inside a
    // write() can cut that write short: the one case this does not cover,
    // see docs/formats.md). Every thread must have stopped, not only the
    // main one: the exporter thread writes, and each thread of a group
    // stops on its own way back to user space.
    let pid = flood.id() as i32;
    // SAFETY: signalling the child we spawned.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    let thread_stopped = |stat: &str| {
        stat.rsplit(") ")
            .next()
            .is_some_and(|r| r.starts_with('T') || r.starts_with('t'))
    };
    let stopped = || {
        let Ok(mut tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return false;
        };
        tasks.all(|t| {
            t.ok()
                .and_then(|t| std::fs::read_to_string(t.path().join("stat")).ok())
                .is_some_and(|s| thread_stopped(&s))
        })
    };
    while !stopped() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(stopped(), "the child's threads did not all stop");
    flood.kill().unwrap();
    flood.wait().unwrap();
    let bytes = std::fs::read(&perfetto).unwrap();
    assert!(
        bytes.len() >= 3 << 20,
        "the child wrote {} bytes",
        bytes.len()
    );
    let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("loadable after SIGKILL");
    assert!(doc["traceEvents"].as_array().unwrap().len() > 1000);

    // The exit summary: one line when spans were lost (here to the rate
    // limiter), naming the knob; none with RENACER_EXIT_SUMMARY=off.
    let summary = |env: &[(&str, &str)]| {
        let out = run_child("return", dir.path(), env);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.contains("spans not exported"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let lines = summary(&[("RENACER_RATE_LIMIT", "10")]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("renacer: "), "{lines:?}");
    assert!(
        lines[0].contains("rate-limited (RENACER_RATE_LIMIT"),
        "{lines:?}"
    );
    assert!(summary(&[
        ("RENACER_RATE_LIMIT", "10"),
        ("RENACER_EXIT_SUMMARY", "off")
    ])
    .is_empty());
    assert!(summary(&[]).is_empty(), "nothing lost, nothing said");

    // process::exit inside a span: exported as unfinished, parent intact.
    let out = run_child("exit_inside", dir.path(), &[]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let spans: Vec<serde_json::Value> =
        std::fs::read_to_string(dir.path().join("exit_inside.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let open = spans
        .iter()
        .find(|s| s["name"] == "open_at_exit")
        .expect("open span exported");
    let child = spans.iter().find(|s| s["name"] == "closed_child").unwrap();
    assert_eq!(open["unfinished"], true, "{open}");
    assert!(child.get("unfinished").is_none());
    assert_eq!(child["parent_span_id"], open["span_id"]);
    assert!(open["end_ns"].as_u64() >= child["end_ns"].as_u64());

    // RENACER_SAMPLE_RATE=0 records nothing.
    let out = run_child("return", dir.path(), &[("RENACER_SAMPLE_RATE", "0")]);
    assert!(out.status.success());
    assert_eq!(count_lines(&dir.path().join("return.jsonl")), 0);
    println!("exit_flush: ok");
}
