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

use std::process::Command;

// Shared with examples/ruchy-programs, whose generated code gets the same proof.
#[path = "asm_check.rs"]
mod asm_check;
use asm_check::{assembly, blank_trace_attributes};

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
        let with_attrs = assembly(&src, a.path(), opt, "lib");
        let without = assembly(&plain, b.path(), opt, "lib");
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
