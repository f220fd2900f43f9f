//! Differential tests: renacer and strace trace the same program; syscall
//! names, return values, errno and decoded arguments must agree once
//! addresses are normalised away.

mod common;
use common::*;
use std::collections::BTreeMap;

const FILEOPS: &str = r#"
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <string.h>
int main(int argc, char **argv) {
    char buf[64];
    int fd = open(argv[1], O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf);
    lseek(fd, 0, SEEK_SET);
    struct stat st;
    fstat(fd, &st);
    close(fd);
    write(1, buf, n);
    open("/nonexistent/renacer-test", O_RDONLY);
    access("/nonexistent/renacer-test", R_OK);
    int w = openat(AT_FDCWD, argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0640);
    write(w, "tab\there\n\x01\x7f", 11);
    close(w);
    unlink(argv[2]);
    close(12345);
    return 3;
}
"#;

/// Calls whose result is a pid/tid, different in every run.
const PID_VALUED: &[&str] = &[
    "set_tid_address",
    "getpid",
    "gettid",
    "clone",
    "clone3",
    "fork",
    "vfork",
    "wait4",
];

fn fixture_args() -> (String, String, String) {
    let exe = compile("fileops", FILEOPS);
    // Each test gets its own files: tests run in parallel.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let input = workdir().join(format!("fileops-input-{n}.txt"));
    std::fs::write(&input, "hello \"quoted\" world\n").unwrap();
    let scratch = workdir().join(format!("fileops-scratch-{n}.txt"));
    (
        exe.display().to_string(),
        input.display().to_string(),
        scratch.display().to_string(),
    )
}

#[test]
fn full_trace_matches_strace_line_by_line() {
    let (exe, input, scratch) = fixture_args();
    let (code, ours, _) = trace(&["--", &exe, &input, &scratch]);
    let theirs = strace(&["--", &exe, &input, &scratch]);
    assert_eq!(code, 3, "exit status of the traced program");
    let a: Vec<String> = syscall_lines(&ours).iter().map(|l| normalise(l)).collect();
    let b: Vec<String> = syscall_lines(&theirs)
        .iter()
        .map(|l| normalise(l))
        .collect();
    assert_eq!(
        a.len(),
        b.len(),
        "same number of syscalls\nours:\n{ours}\nstrace:\n{theirs}"
    );
    // Names, return values and errno everywhere.
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(name_of(x), name_of(y));
        if PID_VALUED.contains(&name_of(x)) {
            continue;
        }
        let rx = x.rsplit_once(" = ").map(|p| p.1);
        let ry = y.rsplit_once(" = ").map(|p| p.1);
        assert_eq!(rx, ry, "return value of\n  ours:   {x}\n  strace: {y}");
    }
    // Full decoded text for the calls this fixture is about.
    for call in [
        "openat", "read", "write", "close", "lseek", "access", "unlink", "fstat",
    ] {
        let ax: Vec<_> = a.iter().filter(|l| name_of(l) == call).collect();
        let bx: Vec<_> = b.iter().filter(|l| name_of(l) == call).collect();
        assert_eq!(ax, bx, "decoding of {call}");
    }
    assert!(ours.contains("+++ exited with 3 +++"));
}

/// `name -> (calls, errors)` from a `-c` table.
fn summary_rows(text: &str) -> BTreeMap<String, (u64, u64)> {
    let mut m = BTreeMap::new();
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 5 || f[0].starts_with('-') || f[0] == "%" || f.last() == Some(&"total") {
            continue;
        }
        let name = f.last().unwrap().to_string();
        let calls: u64 = f[3].parse().unwrap_or(0);
        let errors: u64 = if f.len() == 6 {
            f[4].parse().unwrap_or(0)
        } else {
            0
        };
        m.insert(name, (calls, errors));
    }
    m
}

#[test]
fn summary_counts_match_strace() {
    let (exe, input, scratch) = fixture_args();
    let (code, ours, _) = trace(&["-c", "--", &exe, &input, &scratch]);
    let theirs = strace(&["-c", "--", &exe, &input, &scratch]);
    assert_eq!(code, 3);
    let a = summary_rows(&ours);
    let b = summary_rows(&theirs);
    assert!(!a.is_empty(), "ours:\n{ours}");
    assert_eq!(a, b, "ours:\n{ours}\nstrace:\n{theirs}");
}

#[test]
fn filtered_trace_matches_strace() {
    let (exe, input, scratch) = fixture_args();
    let (_, ours, _) = trace(&["-e", "trace=openat,close", "--", &exe, &input, &scratch]);
    let theirs = strace(&["-e", "trace=openat,close", "--", &exe, &input, &scratch]);
    let a: Vec<String> = syscall_lines(&ours).iter().map(|l| normalise(l)).collect();
    let b: Vec<String> = syscall_lines(&theirs)
        .iter()
        .map(|l| normalise(l))
        .collect();
    assert_eq!(a, b);
}
