//! End to end: a program started with `TRACEPARENT` and `TRACESTATE` exports
//! its spans with the joined `tracestate` (OTLP `Span.trace_state`), as
//! received and printed by a real collector (rotel's debug exporter).

use std::time::Duration;

use renacer_e2e::app::{otlp_env, run_app};
use renacer_e2e::Rotel;

const WAIT: Duration = Duration::from_secs(30);
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const STATE: &str = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";

#[test]
fn joined_tracestate_reaches_the_collector() {
    let rotel = Rotel::start();
    let mut env = otlp_env(rotel.grpc_endpoint(), "grpc", "tracestate-app");
    env.push(("TRACEPARENT", format!("00-{TRACE}-00f067aa0ba902b7-01")));
    env.push(("TRACESTATE", STATE.to_string()));
    let run = run_app(env!("CARGO_BIN_EXE_otlp_app"), "plain", &env, WAIT);
    let spans = rotel.wait_for_spans(3, WAIT);
    assert_eq!(spans.len(), 3, "stderr: {}", run.stderr);
    assert!(spans.iter().all(|s| s.trace_id == TRACE));
    // rotel prints one `TraceState` line per span.
    let output = rotel.output();
    let states: Vec<&str> = output
        .lines()
        .filter(|l| l.trim_start().starts_with("TraceState"))
        .map(|l| l.split_once(':').map_or("", |(_, v)| v.trim()))
        .collect();
    assert_eq!(states, [STATE; 3], "collector output:\n{output}");
}
