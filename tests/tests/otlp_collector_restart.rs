//! End to end, program level: a program exporting with `RENACER_OUTPUT=otlp`
//! keeps recording spans while its collector (rotel) is stopped and started
//! again on the same ports. Spans recorded while it is down are dropped and
//! counted, spans recorded after the restart arrive, and at exit every span
//! is accounted for: received by the collector or counted in
//! `export_dropped`.
//!
//! The program is this test binary itself, started in child mode
//! (`RENACER_E2E_RESTART_CHILD`): it reads commands `NAME COUNT` on stdin,
//! records COUNT spans named NAME, flushes and answers `DONE`; at end of
//! input it shuts the SDK down and prints `END dropped=… recorded=…`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use renacer_e2e::app::otlp_env;
use renacer_e2e::Rotel;

const CHILD_ENV: &str = "RENACER_E2E_RESTART_CHILD";
const TEST_NAME: &str = "spans_after_a_collector_restart_arrive_and_drops_are_counted";
const WAIT: Duration = Duration::from_secs(30);

/// The child: one span per requested call, by phase name.
fn child() {
    let guard = renacer::init();
    assert!(guard.is_active());
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let (name, count) = line.split_once(' ').unwrap();
        for _ in 0..count.parse::<u32>().unwrap() {
            let _s = match name {
                "before" => renacer::span!("before"),
                "during" => renacer::span!("during"),
                _ => renacer::span!("after"),
            };
        }
        renacer::flush();
        say(&format!("DONE {name}"));
    }
    drop(guard);
    let s = renacer::stats();
    say(&format!(
        "END dropped={} recorded={}",
        s.export_dropped, s.recorded
    ));
}

/// Writes a line to the real stdout (`println!` in a test is captured by
/// the test harness) and flushes it: the parent waits for it.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

struct Child {
    proc: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Child {
    /// Sends one command and waits for its `DONE`; returns stdout lines
    /// of interest up to it.
    fn emit(&mut self, name: &str, count: u32) {
        writeln!(self.stdin, "{name} {count}").unwrap();
        self.stdin.flush().unwrap();
        self.read_until(&format!("DONE {name}"));
    }

    fn read_until(&mut self, prefix: &str) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "child ended before {prefix:?}");
            // The harness may have written `test NAME ... ` before it on
            // the same line.
            if let Some(at) = line.find(prefix) {
                return line[at..].trim().to_string();
            }
        }
    }
}

fn field(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {line:?}"))
}

#[test]
fn spans_after_a_collector_restart_arrive_and_drops_are_counted() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child();
    }
    let mut rotel = Rotel::start();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env_remove("TRACEPARENT")
        .env_remove("TRACESTATE")
        .env("RENACER_OTLP_SHUTDOWN_TIMEOUT_MS", "2000")
        .env("OTEL_EXPORTER_OTLP_TIMEOUT", "500")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    for (k, v) in otlp_env(rotel.grpc_endpoint(), "grpc", "restart-app") {
        cmd.env(k, v);
    }
    let mut proc = cmd.spawn().unwrap();
    let mut child = Child {
        stdin: proc.stdin.take().unwrap(),
        stdout: BufReader::new(proc.stdout.take().unwrap()),
        proc,
    };
    let count = |rotel: &Rotel, name: &str| rotel.spans().iter().filter(|s| s.name == name).count();

    child.emit("before", 10);
    rotel.wait_for(WAIT, |s| {
        s.iter().filter(|s| s.name == "before").count() >= 10
    });
    assert_eq!(count(&rotel, "before"), 10, "{}", rotel.output());

    rotel.stop();
    child.emit("during", 10);

    rotel.restart();
    // The exporter reconnects on a later request: keep recording until
    // spans arrive again (the program never stopped recording).
    let deadline = Instant::now() + WAIT;
    let mut after_sent = 0u64;
    while count(&rotel, "after") == 0 && Instant::now() < deadline {
        child.emit("after", 5);
        after_sent += 5;
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(count(&rotel, "after") > 0, "{}", rotel.output());
    // And once it is back, nothing more is lost.
    let received_before_last = count(&rotel, "after");
    child.emit("after", 20);
    after_sent += 20;
    rotel.wait_for(WAIT, |s| {
        s.iter().filter(|s| s.name == "after").count() >= received_before_last + 20
    });
    assert_eq!(count(&rotel, "after"), received_before_last + 20);

    drop(child.stdin);
    let end = {
        let mut line = String::new();
        let mut out = String::new();
        while child.stdout.read_line(&mut line).unwrap() > 0 {
            if let Some(at) = line.find("END ") {
                out = line[at..].trim().to_string();
            }
            line.clear();
        }
        out
    };
    assert!(child.proc.wait().unwrap().success());
    let dropped = field(&end, "dropped");
    let recorded = field(&end, "recorded");
    assert_eq!(recorded, 10 + 10 + after_sent, "{end}");
    // Spans recorded while the collector was down were dropped and counted.
    assert_eq!(count(&rotel, "during"), 0, "{}", rotel.output());
    assert!(dropped >= 10, "{end}");
    // Every span is accounted for: received, or counted as dropped.
    let received =
        (count(&rotel, "before") + count(&rotel, "during") + count(&rotel, "after")) as u64;
    assert_eq!(received + dropped, recorded, "{end}");
}
