//! With the `trace` feature off, the generated code is exactly the
//! uninstrumented program.
//!
//! Proof 1: `src/lib.rs` compiled without the feature produces the same
//! assembly, byte for byte, as the same file with every
//! `#[cfg_attr(feature = "trace", ...)]` attribute blanked out (blanked, not
//! removed, so line numbers in panic locations stay equal). Both are
//! compiled by the `rustc` on PATH, without any `--extern renacer`.
//!
//! Proof 2: `cargo tree` shows renacer among the normal dependencies only
//! when the feature is on.

use std::path::Path;
use std::process::Command;

/// `src` with every `#[cfg_attr(feature = "trace", ..)]` attribute (on one
/// line, or on several as rustfmt lays long ones out) replaced by blank
/// lines, and how many there were.
fn blank_trace_attributes(src: &str) -> (String, usize) {
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

fn assembly(src: &str, dir: &Path, opt: &str) -> String {
    std::fs::write(dir.join("lib.rs"), src).unwrap();
    let out = dir.join("lib.s");
    let remap = format!("{}=/generated", dir.display());
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let result = Command::new(rustc)
        .args(["--edition", "2021", "--crate-type", "lib", "--crate-name"])
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

#[test]
fn feature_off_assembly_equals_the_uninstrumented_source() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs")).unwrap();
    let (plain, instrumented) = blank_trace_attributes(&src);
    assert_eq!(instrumented, 5, "every generated function is instrumented");
    assert_eq!(plain.lines().count(), src.lines().count());
    let mut code = plain.lines().filter(|l| !l.trim_start().starts_with("//"));
    assert!(code.all(|l| !l.contains("renacer")), "{plain}");

    for opt in ["0", "3"] {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let with_attrs = assembly(&src, a.path(), opt);
        let without = assembly(&plain, b.path(), opt);
        assert!(
            with_attrs.contains("summarize"),
            "assembly has the functions"
        );
        assert!(
            !with_attrs.contains("renacer"),
            "renacer left a trace at -O{opt}"
        );
        assert_eq!(with_attrs, without, "assembly differs at opt-level={opt}");
    }
}

fn normal_deps(features: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "-e", "normal", "-p", "transpiled"])
        .args(features)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn renacer_is_a_dependency_only_with_the_trace_feature() {
    let off = normal_deps(&[]);
    assert!(off.starts_with("transpiled "), "{off}");
    assert!(!off.contains("renacer"), "{off}");
    let on = normal_deps(&["--features", "trace"]);
    assert!(on.contains("renacer v"), "{on}");
}
