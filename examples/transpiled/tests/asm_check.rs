//! The proof that a `#[cfg_attr(feature = "trace", ...)]`-annotated source
//! compiles, feature off, to the same assembly as the source without the
//! attributes (shared by examples/transpiled and examples/ruchy-programs).

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// `src` with every `#[cfg_attr(feature = "trace", ..)]` attribute (on one
/// line, or on several as rustfmt lays long ones out) replaced by blank
/// lines, and how many there were.
pub fn blank_trace_attributes(src: &str) -> (String, usize) {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    let (mut count, mut inside) = (0, false);
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let multi_line = t == "#[cfg_attr("
            && lines
                .get(i + 1)
                .is_some_and(|next| next.trim() == "feature = \"trace\",");
        let opens = multi_line || t.starts_with("#[cfg_attr(feature = \"trace\",");
        if opens {
            count += 1;
        }
        if opens || inside {
            inside = !t.ends_with(")]");
            out.push("");
        } else {
            out.push(line);
        }
    }
    (out.join("\n") + "\n", count)
}

pub fn assembly(src: &str, dir: &Path, opt: &str, crate_type: &str) -> String {
    std::fs::write(dir.join("lib.rs"), src).unwrap();
    let out = dir.join("lib.s");
    let remap = format!("{}=/generated", dir.display());
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let result = Command::new(rustc)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            crate_type,
            "--crate-name",
        ])
        .args(["transpiled", "--emit", "asm", "-C"])
        .arg(format!("opt-level={opt}"))
        .args(["-C", "metadata=fixed", "--remap-path-prefix", &remap, "-o"])
        .arg(&out)
        .arg(dir.join("lib.rs"))
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "rustc failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::read_to_string(out).unwrap()
}
