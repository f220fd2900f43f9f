//! The unified trace's hard cases, end to end through the CLI: signals and
//! exits in the text, a program without the SDK, a program killed with
//! SIGKILL mid-run, a corrupt spool tail, and the spool's permissions.
//!
//! As in `tests/unified.rs`, the traced program is this test binary: run
//! with `UNIFIED_CASE_DIR` set, the named test plays the app instead of
//! checking (no extra binary to build, whatever runner or filter is used).

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::selftrace::{self, opens_of, parent_name};
use serde_json::Value;

const APP_ENV: &str = "UNIFIED_CASE_DIR";

#[renacer::trace]
fn save(path: &Path) {
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(b"case\n"))
        .expect("save");
}

#[renacer::trace]
fn run_child() {
    let st = Command::new("true").status().expect("spawn true");
    assert!(st.success());
}

/// Sends SIGCHLD to this very thread: unlike the child's exit signal, which
/// the kernel may hand to any thread, it lands on the traced function's.
#[renacer::trace]
fn poke() {
    // SAFETY: raise has no memory-safety preconditions; SIGCHLD's default
    // action is to ignore it.
    unsafe {
        libc::raise(libc::SIGCHLD);
    }
}

/// The app's directory when this process is the app.
fn app_dir() -> Option<PathBuf> {
    std::env::var_os(APP_ENV).map(PathBuf::from)
}

/// The spool directory the CLI handed the app.
fn spool_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("RENACER_SPOOL").expect("RENACER_SPOOL set by the CLI"))
}

fn spool_files(spool: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(spool)
        .expect("read spool dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "spool"))
        .collect();
    v.sort();
    v
}

struct Run {
    code: Option<i32>,
    out: String,
    stderr: String,
}

/// Runs renacer `args` on this test binary playing test `name` in `dir`.
fn trace(dir: &Path, name: &str, args: &[&str]) -> Run {
    let out = dir.join("trace.out");
    let Output { status, stderr, .. } = selftrace::command(APP_ENV, dir, name, args, &out)
        .output()
        .expect("run renacer");
    Run {
        code: status.code(),
        out: std::fs::read_to_string(out).expect("output written"),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

#[test]
fn unified_text_shows_signals_and_exit_lines() {
    let name = "unified_text_shows_signals_and_exit_lines";
    if app_dir().is_some() {
        let guard = renacer::init();
        run_child();
        poke();
        drop(guard);
        std::process::exit(3);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run = trace(dir.path(), name, &["--format", "unified"]);
    assert_eq!(run.code, Some(3), "the app's exit status is renacer's");
    let text = &run.out;
    let sig_line = |code: &str| {
        text.lines()
            .find(|l| l.contains("--- SIGCHLD {si_signo=SIGCHLD") && l.contains(code))
            .unwrap_or_else(|| panic!("no SIGCHLD {code} line:\n{text}"))
    };
    let exited = sig_line("si_code=CLD_EXITED");
    assert!(exited.trim_end().ends_with("} ---"), "{exited}");
    let sigchld = sig_line("si_code=SI_TKILL");
    // The child's `+++ exited with 0 +++` and the app's own exit status.
    assert!(text.contains("+++ exited with 0 +++"), "{text}");
    // Processes print one after another: the app's block ends with its exit.
    let child_line = text.find("+++ process true").expect("child's block");
    let child_block = text[..child_line].rfind('\n').expect("a line before");
    assert!(
        text[..child_block]
            .trim_end()
            .ends_with("+++ exited with 3 +++"),
        "{text}"
    );
    // The raised signal sits between poke's enter and exit lines, indented
    // as its child.
    let inside = text
        .split("→ poke")
        .nth(1)
        .and_then(|t| t.split("← poke").next())
        .expect("poke entered and exited");
    assert!(inside.contains(sigchld), "{text}");
    let enter = text
        .lines()
        .find(|l| l.contains("→ poke"))
        .expect("enter line");
    let indent = |l: &str| {
        l.split_once("] ")
            .map_or(0, |(_, r)| r.len() - r.trim_start().len())
    };
    assert_eq!(indent(sigchld), indent(enter) + 2, "{text}");
}

#[test]
fn program_without_the_sdk_gets_a_plain_trace_and_no_spool_noise() {
    let name = "program_without_the_sdk_gets_a_plain_trace_and_no_spool_noise";
    if let Some(dir) = app_dir() {
        // No renacer::init(): the SDK never starts, never writes a spool.
        let spool = spool_dir();
        std::fs::write(dir.join("spool-path"), spool.display().to_string()).expect("write");
        save(&dir.join("no-sdk.txt"));
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for format in ["unified", "unified-json"] {
        let run = trace(dir.path(), name, &["--format", format]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert_eq!(run.stderr, "", "no warning, no spool error");
        let spool = std::fs::read_to_string(dir.path().join("spool-path")).expect("app ran");
        assert!(
            !Path::new(&spool).exists(),
            "spool dir {spool} removed afterwards"
        );
        if format == "unified" {
            assert!(!run.out.contains('→'), "no function spans:\n{}", run.out);
            assert!(run.out.contains("no-sdk.txt"), "{}", run.out);
            continue;
        }
        let v: Value = serde_json::from_str(&run.out).expect("JSON");
        let items = v["items"].as_array().expect("items");
        assert!(items.iter().all(|i| i["kind"] != "function"));
        let opens = opens_of(items, "no-sdk.txt");
        assert_eq!(opens.len(), 1);
        assert_eq!(opens[0]["parent_span_id"], items[0]["span_id"]);
        assert_eq!(items[0]["kind"], "process");
    }
}

#[test]
fn spool_directory_is_0700_and_its_files_0600() {
    let name = "spool_directory_is_0700_and_its_files_0600";
    if let Some(dir) = app_dir() {
        let guard = renacer::init();
        save(&dir.join("perm.txt"));
        assert!(renacer::flush(), "flush");
        let spool = spool_dir();
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        let mut report = format!("dir {:o}\n", mode(&spool));
        for f in spool_files(&spool) {
            report.push_str(&format!("file {:o}\n", mode(&f)));
        }
        std::fs::write(dir.join("modes"), report).expect("write modes");
        drop(guard);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run = trace(dir.path(), name, &["--format", "unified"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let modes = std::fs::read_to_string(dir.path().join("modes")).expect("app ran");
    let lines: Vec<&str> = modes.lines().collect();
    assert_eq!(lines[0], "dir 700", "{modes}");
    assert!(lines.len() >= 2, "at least one spool file: {modes}");
    assert!(lines[1..].iter().all(|l| *l == "file 600"), "{modes}");
    assert!(run.out.contains("→ save"), "{}", run.out);
}

#[renacer::trace]
fn doomed(path: &Path) {
    std::fs::File::create(path).expect("create");
    // SAFETY: getpid and kill have no memory-safety preconditions; the
    // process kills itself on purpose (SIGKILL cannot be caught).
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
}

#[test]
fn sigkill_mid_run_still_writes_the_partial_trace() {
    let name = "sigkill_mid_run_still_writes_the_partial_trace";
    if let Some(dir) = app_dir() {
        let _guard = renacer::init();
        save(&dir.join("before-kill.txt"));
        assert!(renacer::flush(), "flush");
        doomed(&dir.join("doomed.txt"));
        unreachable!("SIGKILL");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run = trace(dir.path(), name, &["--format", "unified-json"]);
    assert_eq!(run.code, Some(128 + 9), "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.out).expect("JSON");
    let items = v["items"].as_array().expect("items");
    // The span flushed before the kill, with its syscall inside it.
    let before = opens_of(items, "before-kill.txt");
    assert_eq!(before.len(), 1);
    assert_eq!(parent_name(items, before[0]), "save");
    // The killed span never ended, so it never reached the spool, but its
    // syscalls are all there, under the process.
    assert!(items.iter().all(|i| i["name"] != "doomed"));
    assert_eq!(opens_of(items, "doomed.txt").len(), 1);
    assert!(items
        .iter()
        .any(|i| i["kind"] == "syscall" && i["name"] == "kill"));
    assert!(items
        .iter()
        .any(|i| i["kind"] == "process" && i["exit"] == "killed by SIGKILL"));
}

#[test]
fn corrupt_spool_tail_warns_once_and_merges_the_rest() {
    let name = "corrupt_spool_tail_warns_once_and_merges_the_rest";
    if let Some(dir) = app_dir() {
        let guard = renacer::init();
        save(&dir.join("intact.txt"));
        drop(guard); // final flush: the spool is complete
        let files = spool_files(&spool_dir());
        assert_eq!(files.len(), 1, "{files:?}");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&files[0])
            .expect("open own spool");
        f.write_all(&[
            0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
        ])
        .expect("append garbage");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run = trace(dir.path(), name, &["--format", "unified-json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let warnings: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(
        warnings[0].starts_with("renacer: ") && warnings[0].contains("ignoring the rest"),
        "{}",
        warnings[0]
    );
    let v: Value = serde_json::from_str(&run.out).expect("JSON");
    let items = v["items"].as_array().expect("items");
    let opens = opens_of(items, "intact.txt");
    assert_eq!(opens.len(), 1);
    assert_eq!(parent_name(items, opens[0]), "save");
}

#[test]
fn unified_text_takes_timestamps_and_durations() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The app of the permissions test: one `save` span with its syscalls.
    let app = "spool_directory_is_0700_and_its_files_0600";
    let run = trace(dir.path(), app, &["--format", "unified", "-tt", "-T"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let secs_micros = |w: &str| {
        w.split_once('.').is_some_and(|(s, us)| {
            s.parse::<u64>().is_ok() && us.len() == 6 && us.parse::<u32>().is_ok()
        })
    };
    let lines: Vec<&str> = run.out.lines().skip(1).collect();
    assert!(!lines.is_empty());
    for l in &lines {
        let stamp = l
            .split_once("] ")
            .map(|(_, r)| r.split(' ').next().unwrap_or(""));
        assert!(
            stamp.is_some_and(secs_micros),
            "no seconds.micros stamp: {l}"
        );
    }
    let duration = |l: &&str| {
        l.trim_end()
            .strip_suffix('>')
            .and_then(|r| r.rsplit_once(" <"))
            .is_some_and(|(_, d)| secs_micros(d))
    };
    let exit = lines
        .iter()
        .find(|l| l.contains("← save"))
        .expect("save exits");
    assert!(duration(exit), "{exit}");
    let open = lines
        .iter()
        .find(|l| l.contains("openat(") && l.contains("perm.txt"))
        .expect("the open");
    assert!(duration(open), "{open}");
}

/// Stops this process with SIGSTOP; a helper child sends SIGCONT until the
/// process shows it resumed (so the order of STOP and CONT cannot hang it).
#[renacer::trace]
fn stop_and_resume(dir: &Path) {
    let resumed = dir.join("resumed");
    let script = format!(
        "while [ ! -e '{}' ]; do kill -CONT {}; sleep 0.05; done",
        resumed.display(),
        std::process::id()
    );
    let mut helper = Command::new("sh")
        .args(["-c", &script])
        .spawn()
        .expect("spawn helper");
    // SAFETY: raise has no memory-safety preconditions; the helper resumes us.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    std::fs::write(&resumed, b"").expect("mark resumed");
    helper.wait().expect("helper");
}

#[test]
fn unified_text_shows_group_stops() {
    let name = "unified_text_shows_group_stops";
    if let Some(dir) = app_dir() {
        let guard = renacer::init();
        stop_and_resume(&dir);
        drop(guard);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run = trace(dir.path(), name, &["--format", "unified"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let text = &run.out;
    let inside = text
        .split("→ stop_and_resume")
        .nth(1)
        .and_then(|t| t.split("← stop_and_resume").next())
        .expect("stop_and_resume entered and exited");
    assert!(inside.contains("--- SIGSTOP {si_signo=SIGSTOP"), "{text}");
    assert!(inside.contains("--- stopped by SIGSTOP ---"), "{text}");
    assert!(text.contains("--- SIGCONT {si_signo=SIGCONT"), "{text}");
}
