//! examples/ruchy-programs: the checked-in files are what the tools make
//! of the `.ruchy` programs, the annotation changes nothing but attributes,
//! compiles away with the `trace` feature off, and ties every decision id
//! to the `.ruchy` line of its function.

mod common;
use common::*;
use std::path::{Path, PathBuf};

#[path = "../../examples/transpiled/tests/asm_check.rs"]
mod asm_check;

use renacer_decisions::manifest::Manifest;

const PROGRAMS: [&str; 4] = ["fib", "sieve", "sum", "wordcount"];

fn example(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/ruchy-programs")
        .join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(example(rel)).unwrap()
}

#[test]
fn checked_in_files_are_the_annotate_output() {
    let dir = tempfile::tempdir().unwrap();
    for p in PROGRAMS {
        let (out, manifest) = (
            dir.path().join(format!("{p}.rs")),
            dir.path().join(format!("{p}.json")),
        );
        let o = renacer_output(&[
            "decisions",
            "annotate",
            "--ruchy",
            example(&format!("ruchy/{p}.ruchy")).to_str().unwrap(),
            "--transpiler",
            "ruchy 4.2.1",
            "--manifest",
            manifest.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            example(&format!("transpiled/{p}.rs")).to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{o:?}");
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            read(&format!("src/annotated/{p}.rs")),
            "{p}"
        );
        assert_eq!(
            Manifest::read(&manifest).unwrap(),
            Manifest::read(&example(&format!("manifests/{p}.json"))).unwrap(),
            "{p}"
        );
    }
}

#[test]
fn annotation_adds_attribute_lines_only() {
    for p in PROGRAMS {
        let annotated = read(&format!("src/annotated/{p}.rs"));
        let stripped: String = annotated
            .split_inclusive('\n')
            .filter(|l| {
                !l.trim_start()
                    .starts_with("#[cfg_attr(feature = \"trace\", renacer::trace(")
            })
            .collect();
        assert_eq!(
            stripped,
            read(&format!("transpiled/{p}.rs")),
            "{p}: byte for byte"
        );
        assert!(
            annotated.len() > stripped.len(),
            "{p}: something was annotated"
        );
    }
}

#[test]
fn decision_ids_point_at_the_ruchy_functions() {
    for p in PROGRAMS {
        let m = Manifest::read(&example(&format!("manifests/{p}.json"))).unwrap();
        let ruchy = read(&format!("ruchy/{p}.ruchy"));
        assert!(!m.entries.is_empty());
        for (id, e) in &m.entries {
            assert_eq!(e.source.file, format!("{p}.ruchy"));
            let line = ruchy.lines().nth(e.source.line as usize - 1).unwrap();
            assert!(line.starts_with(&format!("fun {}(", e.name)), "{p}: {line}");
            assert_eq!(
                *id,
                renacer_decisions::decision_id("codegen", &e.name, &e.source.file, e.source.line)
            );
            let attr = format!(
                "decision = \"codegen::{}\", source = \"{p}.ruchy:{}\"",
                e.name, e.source.line
            );
            assert!(
                read(&format!("src/annotated/{p}.rs")).contains(&attr),
                "{attr}"
            );
        }
    }
}

#[test]
fn trace_off_compiles_to_the_transpilers_functions() {
    for p in PROGRAMS {
        let src = read(&format!("src/annotated/{p}.rs"));
        let (plain, attributes) = asm_check::blank_trace_attributes(&src);
        assert!(attributes > 0);
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let with_attrs = asm_check::assembly(&src, a.path(), "3", "bin");
        let without = asm_check::assembly(&plain, b.path(), "3", "bin");
        assert!(!with_attrs.contains("renacer"), "{p}");
        assert_eq!(with_attrs, without, "{p}: assembly differs");
    }
}
