//! Output errors never kill or alter the traced program: a closed stderr
//! (`renacer ... 2>&1 | head -1`), a closed stdout with `-o -`, a full disk
//! (`-o /dev/full`), and `--help` into a closed pipe. The program runs to
//! its end, renacer exits with its status, one line says what happened
//! where it still can, and nothing panics.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// A program that keeps making syscalls after the reader gave up, then
/// leaves a marker and exits with 7.
fn busy_program(marker: &std::path::Path) -> Vec<String> {
    vec![
        "sh".into(),
        "-c".into(),
        format!(
            "for i in 1 2 3 4 5 6 7 8; do ls / >/dev/null; done; echo done > {}; exit 7",
            marker.display()
        ),
    ]
}

fn marker(name: &str) -> std::path::PathBuf {
    let m = common::workdir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&m);
    m
}

/// Runs renacer with `args` + the busy program, reads one line of `stream`
/// (stdout or stderr) and closes it; returns (status, the other stream).
fn close_after_one_line(args: &[&str], close_stdout: bool, m: &std::path::Path) -> (i32, String) {
    let mut cmd = Command::new(common::renacer());
    cmd.args(args).arg("-f").arg("--").args(busy_program(m));
    if close_stdout {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else {
        cmd.stderr(Stdio::piped()).stdout(Stdio::null());
    }
    let mut child = cmd.spawn().unwrap();
    let other = if close_stdout {
        let out = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line).unwrap();
        assert!(!line.is_empty());
        // Dropped here: the pipe's read end is closed.
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        err
    } else {
        let err = child.stderr.take().unwrap();
        let mut line = String::new();
        BufReader::new(err).read_line(&mut line).unwrap();
        assert!(!line.is_empty());
        String::new()
    };
    let status = common::wait_exit(&mut child, 60).expect("renacer exits");
    (status.code().unwrap_or(-1), other)
}

#[test]
fn closed_stderr_is_quiet_and_the_program_finishes() {
    let m = marker("closed-stderr");
    let (code, _) = close_after_one_line(&[], false, &m);
    assert_eq!(code, 7, "the program's own status");
    assert!(m.exists(), "the program ran to its end");
}

#[test]
fn closed_stdout_with_dash_o_is_reported_once_and_the_program_finishes() {
    let m = marker("closed-stdout");
    let (code, stderr) = close_after_one_line(&["-o", "-"], true, &m);
    assert_eq!(code, 7);
    assert!(m.exists());
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("renacer: "))
        .collect();
    assert_eq!(
        lines,
        ["renacer: output: Broken pipe; tracing continues without output"],
        "{stderr}"
    );
}

#[test]
fn a_full_disk_is_reported_once_and_the_program_finishes() {
    let m = marker("dev-full");
    let mut args = vec![
        "-o".to_string(),
        "/dev/full".into(),
        "-f".into(),
        "--".into(),
    ];
    args.extend(busy_program(&m));
    let out = Command::new(common::renacer())
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    assert!(m.exists());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        "renacer: output: No space left on device; tracing continues without output"
    );
}

#[test]
fn help_into_a_closed_pipe_does_not_panic() {
    let mut child = Command::new(common::renacer())
        .arg("--help")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // closed before anything is read
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
