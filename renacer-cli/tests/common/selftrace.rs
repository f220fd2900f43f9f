//! The unified-trace tests' scaffolding: the test binary re-runs itself
//! under renacer as the instrumented app (with an env var naming its work
//! dir, the named test plays the app instead of checking), and lookups in
//! the unified JSON it produces.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// `renacer -f ARGS -o OUT -- <this test binary> --exact NAME`, with
/// `app_env=dir` so the re-run test plays the app. Every span is kept and no
/// inherited output, spool or trace context leaks in from the outer run.
pub fn command(app_env: &str, dir: &Path, name: &str, args: &[&str], out: &Path) -> Command {
    let mut cmd = Command::new(super::renacer());
    cmd.arg("-f")
        .args(args)
        .arg("-o")
        .arg(out)
        .arg("--")
        .arg(std::env::current_exe().expect("test exe"))
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(app_env, dir)
        .env("RENACER_SAMPLE_RATE", "1")
        .env_remove("RENACER_OUTPUT")
        .env_remove("RENACER_SPOOL")
        .env_remove("TRACEPARENT");
    cmd
}

/// Name of `item`'s parent among the unified JSON's `items` (`?` if none).
pub fn parent_name<'a>(items: &'a [Value], item: &Value) -> &'a str {
    items
        .iter()
        .find(|i| i["span_id"] == item["parent_span_id"])
        .and_then(|i| i["name"].as_str())
        .unwrap_or("?")
}

/// The `openat` syscall items whose arguments name `file`.
pub fn opens_of<'a>(items: &'a [Value], file: &str) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|i| {
            i["kind"] == "syscall"
                && i["name"] == "openat"
                && i["args"].as_str().is_some_and(|a| a.contains(file))
        })
        .collect()
}
