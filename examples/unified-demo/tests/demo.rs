//! Runs the demo binary: it succeeds, and with `RENACER_OUTPUT` set its
//! spans (parent and child process) land in JSON-lines files.

mod common;

use common::{demo, run_ok};

#[test]
fn demo_does_its_work_and_reports_it() {
    let out = run_ok(demo().env_remove("RENACER_OUTPUT"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("tcp: echoed 29 bytes"), "{stdout}");
    assert!(stdout.contains("workers: read back 2304 bytes"), "{stdout}");
    assert!(stdout.contains("child: config has 2 lines"), "{stdout}");
}

#[test]
fn demo_rejects_unknown_arguments() {
    let out = demo().arg("--bogus").output().expect("run demo");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument `--bogus`"));
}

#[test]
fn demo_spans_cover_every_traced_function() {
    let dir = std::env::temp_dir().join(format!("unified-demo-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("spans.jsonl");
    run_ok(
        demo()
            .env("RENACER_OUTPUT", format!("jsonl:{}", file.display()))
            .env("RENACER_SAMPLE_RATE", "1"),
    );
    let text = std::fs::read_to_string(&file).expect("spans written");
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["name"].as_str().map(str::to_owned))
        .collect();
    for want in [
        "run",
        "write_config",
        "load_config",
        "tcp_roundtrip",
        "serve_one",
        "run_workers",
        "worker",
        "spawn_child",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "no span `{want}` in {names:?}"
        );
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
