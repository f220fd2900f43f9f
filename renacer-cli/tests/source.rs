//! `--source` and `-k` on real programs: the accuracy corpus
//! (`tests/source_corpus/`, Rust at opt-level 0–3 and C at -O0/-O2, PIE and
//! not, threads, fork, exec, dlopen), binaries without debug info, separate
//! debug files, and `-k` against `strace -k`.
//!
//! Ground truth comes from the corpus files: a line with `@mark NN` makes
//! the syscall whose arguments name `renacer-mark/NN`.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/source_corpus")
        .join(file)
}

/// `NN -> (file name, line)` from the `@mark` comments of the corpus files.
fn ground_truth(files: &[&str]) -> BTreeMap<u32, (String, u32)> {
    let mut marks = BTreeMap::new();
    for f in files {
        let text = std::fs::read_to_string(corpus(f)).unwrap();
        for (i, line) in text.lines().enumerate() {
            let Some((_, rest)) = line.split_once("@mark ") else {
                continue;
            };
            for id in rest.split_whitespace().map_while(|w| w.parse::<u32>().ok()) {
                let old = marks.insert(id, (f.to_string(), i as u32 + 1));
                assert!(old.is_none(), "mark {id} twice");
            }
        }
    }
    marks
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("compiler runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn rust(opt: u32) -> PathBuf {
    let exe = workdir().join(format!("marks-rs-O{opt}"));
    if !exe.exists() {
        run(Command::new("rustc")
            .arg(format!("-Copt-level={opt}"))
            .arg("-Cdebuginfo=line-tables-only")
            .arg("-o")
            .arg(&exe)
            .arg(corpus("marks.rs")));
    }
    exe
}

fn c(name: &str, flags: &[&str]) -> PathBuf {
    let exe = workdir().join(name);
    if !exe.exists() {
        run(Command::new("cc")
            .args(flags)
            .args(["-g", "-pthread", "-o"])
            .arg(&exe)
            .arg(corpus("marks.c"))
            .arg("-ldl"));
    }
    exe
}

fn library() -> PathBuf {
    let lib = workdir().join("libmark.so");
    if !lib.exists() {
        run(Command::new("cc")
            .args(["-O2", "-g", "-shared", "-fPIC", "-o"])
            .arg(&lib)
            .arg(corpus("libmark.c")));
    }
    lib
}

/// Trace `exe args` with `--source --format jsonl`: the syscall events.
fn source_events(extra: &[&str], exe: &Path, args: &[&Path]) -> Vec<serde_json::Value> {
    let out = workdir().join(format!(
        "{}.{}.jsonl",
        exe.file_name().unwrap().to_string_lossy(),
        extra.len()
    ));
    let st = Command::new(renacer())
        .args(["-f", "--source", "--format", "jsonl", "-o"])
        .arg(&out)
        .args(extra)
        .arg("--")
        .arg(exe)
        .args(args)
        .output()
        .unwrap();
    assert!(st.status.success(), "{st:?}");
    let report = String::from_utf8_lossy(&st.stderr);
    assert!(report.contains("renacer: source:"), "{report}");
    std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["type"] == "syscall")
        .collect()
}

/// The mark a syscall names, if any.
fn mark_of(ev: &serde_json::Value) -> Option<u32> {
    let args = ev["args"].as_str()?;
    let (_, rest) = args.split_once("renacer-mark/")?;
    rest.get(..2)?.parse().ok()
}

/// (right, total) over the marked syscalls; every mark must be seen.
fn accuracy(events: &[serde_json::Value], truth: &BTreeMap<u32, (String, u32)>) -> (usize, usize) {
    let mut seen = std::collections::BTreeSet::new();
    let (mut right, mut total) = (0, 0);
    for ev in events {
        let Some(id) = mark_of(ev) else { continue };
        let (file, line) = &truth[&id];
        seen.insert(id);
        total += 1;
        let src = &ev["source"];
        let ok = src["file"]
            .as_str()
            .is_some_and(|f| f.ends_with(&format!("/{file}")))
            && src["line"].as_u64() == Some(u64::from(*line));
        if ok {
            right += 1;
        } else {
            eprintln!("mark {id}: want {file}:{line}, got {src}");
        }
    }
    let missing: Vec<_> = truth.keys().filter(|k| !seen.contains(k)).collect();
    assert!(missing.is_empty(), "marks never traced: {missing:?}");
    (right, total)
}

#[test]
fn accuracy_corpus_meets_the_budgets() {
    let lib = library();
    let rust_truth = ground_truth(&["marks.rs"]);
    let c_truth = ground_truth(&["marks.c", "libmark.c"]);
    let mut report = vec!["| program | right / marked syscalls | share | budget |".to_string()];
    let mut failed = Vec::new();
    let mut check = |name: String, (right, total): (usize, usize), budget: f64| {
        let share = right as f64 / total as f64;
        report.push(format!(
            "| {name} | {right} / {total} | {:.1} % | ≥ {:.0} % |",
            share * 100.0,
            budget * 100.0
        ));
        if share < budget {
            failed.push(name);
        }
    };
    for opt in 0..=3 {
        let events = source_events(&[], &rust(opt), &[]);
        let budget = if opt <= 1 { 0.98 } else { 0.95 };
        check(
            format!("Rust opt-level={opt}"),
            accuracy(&events, &rust_truth),
            budget,
        );
    }
    for (name, flags, budget) in [
        ("C -O0 (PIE)", &["-O0"][..], 0.98),
        ("C -O2 (PIE)", &["-O2"][..], 0.95),
        ("C -O2 -no-pie", &["-O2", "-no-pie", "-fno-pie"][..], 0.95),
    ] {
        let exe = c(&name.replace([' ', '(', ')'], ""), flags);
        let events = source_events(&[], &exe, &[&lib]);
        check(name.to_string(), accuracy(&events, &c_truth), budget);
    }
    // Printed with --nocapture (scripts/test-all.sh does): the table in
    // docs/cli.md comes from here.
    println!("{}", report.join("\n"));
    assert!(
        failed.is_empty(),
        "below budget: {failed:?}\n{}",
        report.join("\n")
    );
}

#[test]
fn without_debug_info_the_function_comes_from_the_symbol_table() {
    let exe = c("marks-c-O0-nodebug", &["-O0"]);
    run(Command::new("strip").arg("--strip-debug").arg(&exe));
    let events = source_events(&[], &exe, &[]);
    let ev = events.iter().find(|e| mark_of(e) == Some(1)).unwrap();
    assert_eq!(ev["source"]["function"], "main", "{ev}");
    assert!(
        ev["source"]["file"].is_null() && ev["source"]["line"].is_null(),
        "{ev}"
    );
    let ev = events.iter().find(|e| mark_of(e) == Some(5)).unwrap();
    assert_eq!(ev["source"]["function"], "open_it", "{ev}");
    // The text output says so.
    let (code, text, _) = trace(&["--source", "-e", "trace=unlink", exe.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(" > main (no line information)"), "{text}");
}

/// Split `exe` into a stripped binary and a debug file; returns the debug
/// file's contents path and the build-id's hex.
fn split_debug(exe: &Path) -> (PathBuf, String) {
    let debug = exe.with_extension("debug");
    run(Command::new("objcopy")
        .arg("--only-keep-debug")
        .arg(exe)
        .arg(&debug));
    run(Command::new("strip").arg("--strip-debug").arg(exe));
    let notes = Command::new("readelf").arg("-n").arg(exe).output().unwrap();
    let notes = String::from_utf8_lossy(&notes.stdout).into_owned();
    let id = notes
        .lines()
        .find_map(|l| l.trim().strip_prefix("Build ID: "))
        .expect("cc writes a build-id")
        .trim()
        .to_string();
    (debug, id)
}

#[test]
fn separate_debug_files_by_build_id_and_debuglink() {
    let truth = ground_truth(&["marks.c", "libmark.c"]);
    let lib = library();
    // By build-id, under --debug-dir.
    let exe = c("marks-c-O2-buildid", &["-O2"]);
    let (debug, id) = split_debug(&exe);
    let root = workdir().join("debug-root");
    let dir = root.join(".build-id").join(&id[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::rename(&debug, dir.join(format!("{}.debug", &id[2..]))).unwrap();
    let stripped = source_events(&[], &exe, &[&lib]);
    assert_eq!(
        accuracy(&stripped, &truth).0,
        1,
        "only libmark.so has lines"
    );
    let root_arg = format!("--debug-dir={}", root.display());
    let (right, total) = accuracy(&source_events(&[&root_arg], &exe, &[&lib]), &truth);
    assert_eq!(right, total);
    // By .gnu_debuglink, next to the binary.
    let exe = c("marks-c-O2-debuglink", &["-O2"]);
    let (debug, _) = split_debug(&exe);
    let mut link = std::ffi::OsString::from("--add-gnu-debuglink=");
    link.push(&debug);
    run(Command::new("objcopy").arg(link).arg(&exe));
    let (right, total) = accuracy(&source_events(&[], &exe, &[&lib]), &truth);
    assert_eq!(right, total);
}

/// `-k` blocks: each syscall line with the `(object, offset)` of its frames.
fn stacks(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut in_signal = false;
    for l in text.lines() {
        if let Some(frame) = l.strip_prefix(" > ") {
            if in_signal {
                continue;
            }
            // `/path(sym+0x1f) [0x1234]` or `/path() [0x1234]`.
            let (obj, rest) = frame.split_once('(').unwrap_or((frame, ""));
            let offset = rest.rsplit_once('[').map(|(_, o)| o.trim_end_matches(']'));
            out.last_mut()
                .expect("a frame follows a syscall")
                .1
                .push((obj.to_string(), offset.unwrap_or("").to_string()));
        } else {
            in_signal = l.starts_with("---") || l.starts_with("+++");
            if !in_signal {
                out.push((normalise(l), Vec::new()));
            }
        }
    }
    out
}

#[test]
fn stack_trace_matches_strace_k() {
    let exe = c("marks-c-O0-k", &["-O0"]);
    let args = [
        "-k",
        "-e",
        "trace=newfstatat,openat,access,mkdir,unlink,write",
        exe.to_str().unwrap(),
    ];
    let ours = stacks(&trace(&args).1);
    let theirs = stacks(&strace(&args));
    assert!(ours.len() > 10, "{ours:?}");
    assert_eq!(ours.len(), theirs.len());
    for (o, t) in ours.iter().zip(&theirs) {
        assert_eq!(o, t);
    }
    // The symbols are there too: main and libc's entry.
    let (_, text, _) = trace(&args);
    assert!(
        text.contains(&format!(" > {}(main+0x", exe.display())),
        "{text}"
    );
}

/// Run renacer with `args` on `exe` (which exits 0), output to a file: its text.
fn trace_ok(args: &[&str], exe: &Path) -> String {
    let mut all = args.to_vec();
    all.push(exe.to_str().unwrap());
    let (code, text, _) = trace(&all);
    assert_eq!(code, 0, "{text}");
    text
}

#[test]
fn json_stack_and_unified_source_attributes() {
    let exe = c("marks-c-O0-json", &["-O0"]);
    let text = trace_ok(
        &["-k", "--source", "--format", "jsonl", "-e", "trace=unlink"],
        &exe,
    );
    let ev: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let stack = ev["stack"].as_array().unwrap();
    assert!(
        stack[0]["object"].as_str().unwrap().contains("libc"),
        "{ev}"
    );
    let main = stack
        .iter()
        .find(|f| f["symbol"] == "main")
        .expect("main on the stack");
    assert!(main["frames"][0]["file"]
        .as_str()
        .unwrap()
        .ends_with("/marks.c"));
    assert_eq!(ev["source"]["function"], "main");

    // Unified JSON carries the location on syscall items.
    let uni = trace_ok(
        &["--source", "--format", "unified-json", "-e", "trace=unlink"],
        &exe,
    );
    let doc: serde_json::Value = serde_json::from_str(&uni).unwrap();
    let unlink = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "unlink")
        .expect("the unlink item");
    let truth = ground_truth(&["marks.c"]);
    assert_eq!(unlink["source"]["line"], truth[&4].1, "{unlink}");
    assert_eq!(unlink["source"]["function"], "main");
}

#[test]
fn source_flags_are_checked() {
    let e = renacer_failure(&["--source-skip", "(", "true"], 2);
    assert!(
        e.starts_with("renacer: invalid --source-skip regex '('"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    let e = renacer_failure(&["--source-skip=x", "true"], 2);
    assert!(e.contains("--source-skip needs --source or -k"), "{e}");
    let e = renacer_failure(&["--source=yes", "true"], 2);
    assert!(e.contains("doesn't allow an argument"), "{e}");
    let e = renacer_failure(&["--source", "-c", "true"], 2);
    assert!(e.contains("-c prints none"), "{e}");
    let e = renacer_failure(&["--sourse", "true"], 2);
    assert!(e.contains("did you mean '--source'?"), "{e}");
}

#[test]
fn source_skip_moves_the_location_outward() {
    // With marks.c's open_it skipped, the open is attributed to its
    // callers in main.
    let exe = c("marks-c-O0-skip", &["-O0"]);
    let events = source_events(&["--source-skip=^open_it$"], &exe, &[]);
    let ev = events.iter().find(|e| mark_of(e) == Some(5)).unwrap();
    assert_eq!(ev["source"]["function"], "main", "{ev}");
    let text = std::fs::read_to_string(corpus("marks.c")).unwrap();
    let call = text
        .lines()
        .position(|l| l.contains("open_it(\"/nonexistent/renacer-mark/05\")"))
        .unwrap();
    assert_eq!(ev["source"]["line"], call as u64 + 1);
}
