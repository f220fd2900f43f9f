//! Running a scenario program in a fresh process (renacer's init is
//! process-global) and reading back what it reports, plus fake collectors
//! for failure cases: one that never answers, one that records request heads.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::ReceivedSpan;

/// Result of one run of the scenario program.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub stats: BTreeMap<String, u64>,
}

/// Runs `otlp_app <scenario>` with `env`, waiting at most `limit` (then it is
/// killed and the test fails: the program must never hang on the exporter).
pub fn run_app(program: &str, scenario: &str, env: &[(&str, String)], limit: Duration) -> Run {
    let mut cmd = Command::new(program);
    cmd.arg(scenario)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "TRACEPARENT",
        "TRACESTATE",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "RENACER_OUTPUT",
        "RENACER_SAMPLE_RATE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn otlp_app");
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().expect("wait otlp_app").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("collect output");
            panic!(
                "otlp_app {scenario} still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("collect output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "otlp_app {scenario} failed: {:?}\n{stderr}",
        out.status
    );
    let stats = stdout
        .lines()
        .find_map(|l| l.strip_prefix("STATS "))
        .unwrap_or_else(|| panic!("no STATS line in {stdout:?}"))
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().unwrap_or(u64::MAX)))
        .collect();
    Run {
        stdout,
        stderr,
        stats,
    }
}

pub fn otlp_env(endpoint: String, protocol: &str, service: &str) -> Vec<(&'static str, String)> {
    vec![
        ("RENACER_OUTPUT", "otlp".to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_string()),
        ("OTEL_SERVICE_NAME", service.to_string()),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=e2e,team=tracing".to_string(),
        ),
    ]
}

pub fn by_name<'a>(spans: &'a [ReceivedSpan], name: &str) -> Vec<&'a ReceivedSpan> {
    spans.iter().filter(|s| s.name == name).collect()
}

pub fn one<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    let v = by_name(spans, name);
    assert_eq!(
        v.len(),
        1,
        "exactly one {name:?} span expected among {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    v[0]
}

/// A "collector" that accepts connections and never answers: every request
/// hangs until renacer's timeouts cut it.
pub fn silent_collector() -> (std::net::TcpListener, String) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", l.local_addr().expect("addr"));
    let accept = l.try_clone().expect("clone listener");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in accept.incoming().map_while(Result::ok) {
            held.push(conn); // keep it open, read nothing, answer nothing
        }
    });
    (l, endpoint)
}

/// A minimal HTTP "collector" that records each request head and answers
/// `200 OK` with an empty (valid, all-default) protobuf body.
pub fn recording_http_collector() -> (String, Arc<Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", l.local_addr().expect("addr"));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    std::thread::spawn(move || {
        for mut conn in l.incoming().map_while(Result::ok) {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 16384];
                loop {
                    // Read a whole request: head, then content-length bytes.
                    let Ok(n) = conn.read(&mut chunk) else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let head = text[..end].to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() < end + 4 + len {
                        continue;
                    }
                    seen.lock().unwrap_or_else(|e| e.into_inner()).push(head);
                    buf.drain(..end + 4 + len);
                    let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
                    if conn.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (endpoint, heads)
}
