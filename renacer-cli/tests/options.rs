//! Every command-line option, exercised on real processes.

mod common;
use common::*;

fn lines_of<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| strip_pid(l).starts_with(&format!("{name}(")))
        .collect()
}

/// Collapse strace's column alignment.
fn squeeze(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn trace_set_names_only() {
    let (code, text, _) = trace(&["-e", "trace=openat,close", "--", "cat", "/etc/hostname"]);
    assert_eq!(code, 0);
    for l in syscall_lines(&text) {
        assert!(
            matches!(name_of(&l), "openat" | "close"),
            "unexpected line {l}"
        );
    }
    assert!(
        text.contains("openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3"),
        "{text}"
    );
}

#[test]
fn trace_classes_negation_and_regex() {
    let (_, text, _) = trace(&["-e", "trace=%file,%network", "--", "ls", "/"]);
    assert!(!lines_of(&text, "openat").is_empty());
    assert!(
        lines_of(&text, "mmap").is_empty() && lines_of(&text, "read").is_empty(),
        "{text}"
    );
    let (_, text, _) = trace(&["-e", "trace=%memory", "--", "true"]);
    assert!(!lines_of(&text, "mmap").is_empty() && lines_of(&text, "openat").is_empty());
    let (_, text, _) = trace(&["-e", "trace=!mmap,openat,read", "--", "true"]);
    assert!(lines_of(&text, "mmap").is_empty() && lines_of(&text, "openat").is_empty());
    assert!(!lines_of(&text, "close").is_empty());
    let (_, text, _) = trace(&["-e", "trace=/^(m|p)protect$/", "--", "true"]);
    let names: Vec<String> = syscall_lines(&text)
        .iter()
        .map(|l| name_of(l).to_string())
        .collect();
    assert!(
        !names.is_empty() && names.iter().all(|n| n == "mprotect"),
        "{names:?}"
    );
    for class in ["%process", "%signal", "%desc", "%ipc", "%creds"] {
        let (code, _, _) = trace(&["-e", &format!("trace={class}"), "--", "true"]);
        assert_eq!(code, 0, "{class}");
    }
}

#[test]
fn status_failed_and_successful() {
    let (_, text, _) = trace(&["-e", "status=failed", "--", "ls", "/nonexistent-renacer"]);
    let calls = syscall_lines(&text);
    assert!(!calls.is_empty());
    assert!(calls.iter().all(|l| l.contains("= -1 ")), "{text}");
    let (_, text, _) = trace(&[
        "-e",
        "status=successful",
        "--",
        "ls",
        "/nonexistent-renacer",
    ]);
    assert!(
        !syscall_lines(&text).iter().any(|l| l.contains("= -1 ")),
        "{text}"
    );
}

#[test]
fn summary_only_and_with_output() {
    let (_, text, _) = trace(&["-c", "--", "true"]);
    assert!(
        text.starts_with("% time     seconds  usecs/call     calls    errors syscall"),
        "{text}"
    );
    assert!(text.lines().last().unwrap().ends_with(" total"));
    assert!(!text.contains("execve(\""));
    let (_, text, _) = trace(&["-C", "--", "true"]);
    assert!(
        text.contains("execve(\"/usr/bin/true\"") || text.contains("execve(\"/bin/true\""),
        "{text}"
    );
    assert!(text.contains("% time     seconds"), "{text}");
    assert!(text.find("+++ exited").unwrap() < text.find("% time").unwrap());
}

/// `-S` orders and `-U` columns: the same table as strace's, cell for
/// cell where a cell does not hold a time (times differ between any two
/// runs; their columns are compared by width).
#[test]
fn summary_sort_and_columns_match_strace() {
    let all = "name,calls,min-time,max-time,avg-time,total-time,time-percent,errors";
    for flags in [
        &["-S", "calls", "-U", "name,calls,errors"][..],
        &["-S", "name", "-U", "calls,errors"],
        &["-S", "nothing", "-U", "errors,calls"],
        &["-S", "errors", "-U", "calls,name,errors"],
        &["-S", "count", "-U", all],
        &["--summary-sort-by=syscall", "--summary-columns=count,error"],
        &["-w", "-S", "calls"],
    ] {
        let mut args = vec!["-c"];
        args.extend_from_slice(flags);
        args.extend(["ls", "/nonexistent-renacer"]);
        let (_, ours, _) = trace(&args);
        let theirs = strace(&args);
        let cells = |t: &str| {
            t.lines()
                .map(|l| {
                    l.split(' ')
                        .map(|c| match c.contains('.') {
                            true => "T".to_string(),
                            false => c.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>()
        };
        // Without a time column the whole table is deterministic.
        let timed = flags.iter().any(|f| f.contains("time") || *f == "-w");
        if timed {
            let shape = |t: &str| {
                cells(t)
                    .iter()
                    .map(|l| {
                        let w: Vec<&str> = l.split_whitespace().collect();
                        (w.len(), w.first().map(|s| s.to_string()))
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(shape(&ours), shape(&theirs), "{flags:?}\n{ours}\n{theirs}");
            assert_eq!(ours.lines().next(), theirs.lines().next(), "{flags:?}");
        } else {
            assert_eq!(ours, theirs, "{flags:?}");
        }
    }
    let err = renacer_failure(&["-c", "-S", "percent", "true"], 2);
    assert!(err.contains("invalid sortby: 'percent'"), "{err}");
    let err = renacer_failure(&["-c", "-U", "seconds", "true"], 2);
    assert!(err.contains("unknown column name: 'seconds'"), "{err}");
    let err = renacer_failure(&["-c", "-O", "2h", "true"], 2);
    assert!(err.contains("invalid -O argument: '2h'"), "{err}");
}

/// `-c` counts system CPU time by default and wall-clock latency with
/// `-w`, as strace does: a 300 ms sleep is ~0 s of the one and >= 0.3 s of
/// the other; `-O` takes its overhead off every call.
#[test]
fn summary_clock_and_overhead() {
    let seconds_of = |text: &str, call: &str| -> f64 {
        let row = text
            .lines()
            .find(|l| l.split_whitespace().last() == Some(call))
            .unwrap_or_else(|| panic!("no {call} row in\n{text}"));
        row.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let args = |extra: &[&'static str]| {
        let mut a = vec!["-c", "-e", "trace=clock_nanosleep"];
        a.extend_from_slice(extra);
        a.extend(["sleep", "0.3"]);
        a
    };
    let (_, wall, _) = trace(&args(&["-w"]));
    assert!(seconds_of(&wall, "clock_nanosleep") >= 0.3, "{wall}");
    let (_, system, _) = trace(&args(&[]));
    assert!(seconds_of(&system, "clock_nanosleep") < 0.1, "{system}");
    let (_, less, _) = trace(&args(&["-w", "-O", "10s"]));
    assert_eq!(seconds_of(&less, "clock_nanosleep"), 0.0, "{less}");
}

#[test]
fn summary_with_latency_percentiles() {
    // -c -T: p50/p90/p99/max/stddev per syscall (strace has only totals).
    let (_, text, _) = trace(&["-c", "-T", "--", "ls", "/"]);
    let mut lines = text.lines();
    let head = lines.next().unwrap();
    assert!(
        head.contains("p50 usecs  p90 usecs  p99 usecs  max usecs stddev usecs syscall"),
        "{text}"
    );
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(2)
        .filter(|l| !l.starts_with("---"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(rows.len() > 5, "{text}");
    for r in &rows {
        // The last six columns: p50 p90 p99 max stddev name.
        let n = r.len();
        let num = |i: usize| r[n - 6 + i].parse::<f64>().unwrap();
        let (p50, p90, p99, max) = (num(0), num(1), num(2), num(3));
        assert!(p50 <= p90 && p90 <= p99 && p99 <= max, "{r:?}");
        // The mean (usecs/call) is within [min, max] of the samples.
        let per_call: f64 = r[2].parse().unwrap();
        assert!(per_call <= max + 1.0, "{r:?}");
    }
    assert_eq!(rows.last().unwrap().last(), Some(&"total"));
}

#[test]
fn syscall_times_and_timestamps() {
    let (_, text, _) = trace(&["-T", "-e", "trace=close", "--", "true"]);
    let l = lines_of(&text, "close")[0];
    let t = l.rsplit_once(" <").expect("-T suffix").1;
    assert!(
        t.ends_with('>') && t[..t.len() - 1].parse::<f64>().is_ok(),
        "{l}"
    );
    let (_, text, _) = trace(&["-t", "-e", "trace=close", "--", "true"]);
    let first = text.lines().next().unwrap();
    assert_eq!(&first[2..3], ":");
    assert_eq!(&first[8..9], " ", "{first}");
    let (_, text, _) = trace(&["-tt", "-e", "trace=close", "--", "true"]);
    let first = text.lines().next().unwrap();
    assert_eq!(&first[8..9], ".");
    assert!(first[9..15].chars().all(|c| c.is_ascii_digit()), "{first}");
    let (_, text, _) = trace(&["-ttt", "-e", "trace=close", "--", "true"]);
    let stamp: f64 = text.split_whitespace().next().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - stamp).abs() < 3600.0, "{stamp} vs {now}");
    let (_, text, _) = trace(&["-r", "-e", "trace=close", "--", "true"]);
    let first = text.lines().next().unwrap().trim_start();
    assert!(first.starts_with("0.000000 close("), "{first}");
}

#[test]
fn string_size_and_fd_paths() {
    let (_, text, _) = trace(&["-s", "4", "-e", "trace=write", "--", "echo", "hello world"]);
    let text = squeeze(&text);
    assert!(text.contains("write(1, \"hell\"..., 12) = 12"), "{text}");
    let (_, text, _) = trace(&[
        "-y",
        "-e",
        "trace=openat,read,close",
        "--",
        "cat",
        "/etc/hostname",
    ]);
    let text = squeeze(&text);
    assert!(
        text.contains(&format!(
            "openat(AT_FDCWD<{}>, \"/etc/hostname\", O_RDONLY) = 3</etc/hostname>",
            std::env::current_dir().unwrap().display()
        )),
        "{text}"
    );
    assert!(text.contains("read(3</etc/hostname>, "), "{text}");
    assert!(text.contains("close(3</etc/hostname>) = 0"), "{text}");
}

#[test]
fn output_to_stdout_and_stderr() {
    let o = renacer_output(&["-o", "-", "-e", "trace=exit_group", "--", "true"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("exit_group(0)"), "{out}");
    let o = renacer_output(&["-e", "trace=exit_group", "--", "true"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("exit_group(0)") && err.contains("+++ exited with 0 +++"),
        "{err}"
    );
}

#[test]
fn follow_pid_prefixes() {
    // strace conventions: "PID " on every line with -f -o FILE.
    let (_, text, _) = trace(&["-f", "--", "sh", "-c", "/bin/true"]);
    assert!(
        text.lines()
            .all(|l| l.split_whitespace().next().unwrap().parse::<u32>().is_ok()),
        "{text}"
    );
    // "[pid N] " on stderr once more than one process is traced.
    let o = renacer_output(&["-f", "--", "sh", "-c", "/bin/true; /bin/true"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.lines().next().unwrap().starts_with("execve("), "{err}");
    assert!(err.contains("[pid "), "{err}");
}

#[test]
fn json_and_jsonl_formats() {
    let (code, text, _) = trace(&["--format", "json", "--", "cat", "/nonexistent-renacer"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON document");
    assert_eq!(v["version"], 1);
    let evs = v["events"].as_array().unwrap();
    let open = evs
        .iter()
        .find(|e| {
            e["name"] == "openat" && e["args"].as_str().unwrap().contains("nonexistent-renacer")
        })
        .expect("openat event");
    assert_eq!(open["errno"], "ENOENT");
    assert_eq!(open["ret"], -2);
    assert_eq!(open["arch"], "x86_64");
    assert!(open["exit_ns"].as_u64().unwrap() >= open["entry_ns"].as_u64().unwrap());
    assert_eq!(evs.last().unwrap()["type"], "exited");
    assert_eq!(evs.last().unwrap()["code"], 1);
    let (_, text, _) = trace(&["--format=jsonl", "-e", "trace=openat", "--", "true"]);
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).expect("one object per line");
        assert!(v["type"] == "syscall" || v["type"] == "exited");
    }
}

#[test]
fn bad_usage_exits_2_with_one_line() {
    for args in [
        vec!["-J", "true"],
        vec!["-e", "trace=nosuchcall", "true"],
        vec!["-e", "trace=%bogus", "true"],
        vec!["-e", "bogus=1", "true"],
        vec!["-s", "x", "true"],
        vec!["--format", "xml", "true"],
        vec![],
        vec!["-p", "1", "true"],
    ] {
        let err = renacer_failure(&args, 2);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("renacer: "), "{err}");
    }
    let o = renacer_output(&["--help"]);
    assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("-e trace=SET"));
    let o = renacer_output(&["-V"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("renacer "));
}

#[test]
fn unwritable_output_is_one_clear_line() {
    let err = renacer_failure(&["-o", "/nonexistent-dir/trace.txt", "--", "true"], 1);
    assert_eq!(
        err.trim_end(),
        "renacer: can't open '/nonexistent-dir/trace.txt': No such file or directory"
    );
}

/// Replaces `[` + 16 hex digits + `]` (an `-i` address) by `[IP]` and
/// `0x…` by `0xADDR`: what differs between two runs of the same program.
fn without_addresses(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut l = line.to_string();
        let mut from = 0;
        while let Some(i) = l[from..].find('[').map(|i| i + from) {
            let b = l.as_bytes();
            if b.len() >= i + 18
                && b[i + 17] == b']'
                && b[i + 1..i + 17].iter().all(u8::is_ascii_hexdigit)
            {
                l.replace_range(i..i + 18, "[IP]");
            }
            from = i + 1;
        }
        // A child's pid differs between runs.
        if let Some(i) = l.find("si_pid=") {
            let n = l[i + 7..].bytes().take_while(u8::is_ascii_digit).count();
            l.replace_range(i + 7..i + 7 + n, "PID");
        }
        // So do its CPU times (`si_stime=1 /* 0.01 s */` on a busy machine).
        for key in ["si_utime=", "si_stime="] {
            if let Some(i) = l.find(key).map(|i| i + key.len()) {
                let n = l[i..].find([',', '}']).unwrap_or(l.len() - i);
                l.replace_range(i..i + n, "T");
            }
        }
        out.push_str(&normalise_keep_spaces(&l));
        out.push('\n');
    }
    out
}

/// `0x…` → `0xADDR`, whitespace kept (alignment is what `-a` changes).
fn normalise_keep_spaces(l: &str) -> String {
    let mut out = String::new();
    let mut rest = l;
    while let Some(i) = rest.find("0x") {
        out.push_str(&rest[..i]);
        out.push_str("0xADDR");
        let tail = &rest[i + 2..];
        let n = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        rest = &tail[n..];
    }
    out.push_str(rest);
    out
}

#[test]
fn strace_line_options_match_strace() {
    let sh = "echo hi; ls /nonexistent-renacer 2>/dev/null; true";
    for flags in [
        &["-n"][..],
        &["-i"],
        &["-n", "-i", "-tt"][..],
        &["-a", "50"],
        &["-a", "10"],
        &["-z"],
        &["-Z"],
        &["-qq"],
        &["--syscall-number"],
        &["--instruction-pointer"],
        &["--successful-only"],
        &["--failed-only"],
        &["--columns=60"],
    ] {
        let mut args = flags.to_vec();
        args.extend([
            "-e",
            "trace=openat,access,write,close,exit_group",
            "sh",
            "-c",
            sh,
        ]);
        let (_, ours, _) = trace(&args);
        let theirs = strace(&args);
        // -tt times differ; compare everything after them. When the child's
        // SIGCHLD arrives (which call it interrupts) differs from run to
        // run: signal lines are compared by form only.
        let strip = |t: &str| {
            without_addresses(t)
                .lines()
                .filter(|l| {
                    let signal = l.contains("--- SIG");
                    if signal && flags.contains(&"-n") {
                        assert!(l.contains("] --- SIG") && l.contains('['), "{l}");
                    }
                    !signal
                })
                .map(|l| match flags.contains(&"-tt") {
                    true => l.split_once(' ').map_or(l, |(_, r)| r).to_string(),
                    false => l.to_string(),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&ours), strip(&theirs), "{flags:?}");
    }
}

#[test]
fn append_mode_and_long_spellings() {
    let out = workdir().join("append.txt");
    let o = out.to_str().unwrap();
    for _ in 0..2 {
        let st = renacer_output(&["-A", "-o", o, "-e", "trace=none", "true"]);
        assert!(st.status.success());
    }
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.matches("+++ exited with 0 +++").count(), 2, "{text}");
    let st = renacer_output(&[
        "--output-append-mode",
        "--output",
        o,
        "--trace=none",
        "true",
    ]);
    assert!(st.status.success());
    assert_eq!(
        std::fs::read_to_string(&out)
            .unwrap()
            .matches("+++ exited")
            .count(),
        3
    );

    // Long spellings give what the short flags give.
    let same = |long: &[&str], short: &[&str]| {
        let (_, a, _) = trace(
            &[
                long,
                &["-e", "trace=openat", "sh", "-c", "cat /etc/hostname"],
            ]
            .concat(),
        );
        let (_, b, _) = trace(
            &[
                short,
                &["-e", "trace=openat", "sh", "-c", "cat /etc/hostname"],
            ]
            .concat(),
        );
        let norm = |t: &str| syscall_lines(t);
        assert_eq!(norm(&a), norm(&b), "{long:?} vs {short:?}");
    };
    same(&["--follow-forks"], &["-f"]);
    same(&["--string-limit=5", "--decode-fds"], &["-s5", "-y"]);
    same(&["--seccomp-bpf"], &[]);
    let (_, summary, _) = trace(&["--summary-only", "true"]);
    assert!(summary.starts_with("% time"), "{summary}");
    let e = renacer_failure(&["-a", "x", "true"], 2);
    assert!(e.contains("invalid -a argument"), "{e}");
    let e = renacer_failure(&["--follow-forks=yes", "true"], 2);
    assert!(e.contains("doesn't allow an argument"), "{e}");
}

#[test]
fn ff_writes_one_file_per_task_like_strace() {
    let files = |tracer: &str| {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("t");
        let prog = if tracer == "strace" {
            std::path::PathBuf::from("strace")
        } else {
            renacer()
        };
        let st = std::process::Command::new(prog)
            .args(["-ff", "-e", "trace=write,exit_group", "-o"])
            .arg(&base)
            .args(["sh", "-c", "echo a; (echo b); echo c | cat"])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "{tracer}");
        assert!(!base.exists(), "{tracer}: no FILE itself, only FILE.PID");
        let mut texts: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                assert!(
                    name.starts_with("t.") && name[2..].parse::<u32>().is_ok(),
                    "{name}"
                );
                // Pids differ between the two runs.
                without_addresses(&std::fs::read_to_string(e.path()).unwrap())
            })
            .collect();
        texts.sort();
        texts
    };
    assert_eq!(files("renacer"), files("strace"));
}

#[test]
fn hex_strings_match_strace() {
    let exe = compile(
        "hexstrings",
        r#"
#include <fcntl.h>
#include <unistd.h>
int main(void) {
    write(1, "plain\n\ttext", 11);
    write(1, "caf\xc3\xa9", 5);
    write(1, "a\x01\xff", 3);
    open("/nonexistent/\xe2\x9c\x93", O_RDONLY);
    return 0;
}
"#,
    );
    let exe = exe.to_str().unwrap();
    for flag in ["-x", "-xx"] {
        let args = [flag, "-e", "trace=write,openat", exe];
        let (_, ours, _) = trace(&args);
        let theirs = strace(&args);
        assert_eq!(
            without_addresses(&ours),
            without_addresses(&theirs),
            "{flag}"
        );
    }
}

#[test]
fn signal_qualifier_matches_strace() {
    let sh = "trap '' USR1; kill -USR1 $$; (true); true";
    for set in [
        "signal=none",
        "signal=!SIGCHLD",
        "signal=USR1",
        "signal=10,17",
        "signal=all",
    ] {
        let args = ["-e", set, "-e", "trace=kill", "sh", "-c", sh];
        let (_, ours, _) = trace(&args);
        let theirs = strace(&args);
        let norm = |t: &str| {
            without_addresses(t)
                .lines()
                // pids differ between the runs
                .map(|l| {
                    l.chars()
                        .map(|c| if c.is_ascii_digit() { '0' } else { c })
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(norm(&ours), norm(&theirs), "{set}");
    }
    let e = renacer_failure(&["-e", "signal=SIGNOPE", "true"], 2);
    assert!(e.contains("invalid signal 'SIGNOPE'"), "{e}");
}

#[test]
fn stat_clock_and_pure_classes_match_strace() {
    let exe = compile(
        "classes",
        r#"
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(void) {
    struct stat st; struct statfs sf; struct timespec ts; struct statx sx;
    syscall(SYS_stat, "/", &st); syscall(SYS_lstat, "/", &st); syscall(SYS_fstat, 0, &st);
    syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0);
    syscall(SYS_statx, AT_FDCWD, "/", 0, STATX_ALL, &sx);
    syscall(SYS_statfs, "/", &sf); syscall(SYS_fstatfs, 0, &sf);
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts); syscall(SYS_clock_getres, CLOCK_MONOTONIC, &ts);
    syscall(SYS_gettimeofday, 0, 0); syscall(SYS_time, 0);
    syscall(SYS_getpid); syscall(SYS_getppid); syscall(SYS_getuid); syscall(SYS_gettid);
    syscall(SYS_getpgid, 0); syscall(SYS_getsid, 0);
    return 0;
}
"#,
    );
    let exe = exe.to_str().unwrap();
    for class in [
        "%stat", "%lstat", "%fstat", "%statfs", "%fstatfs", "%%stat", "%%statfs", "%clock",
        "%pure", "%net",
    ] {
        let set = format!("trace={class}");
        let names = |t: &str| {
            syscall_lines(t)
                .iter()
                .map(|l| name_of(l).to_string())
                .collect::<Vec<_>>()
        };
        let (_, ours, _) = trace(&["-e", &set, exe]);
        let theirs = strace(&["-e", &set, exe]);
        assert_eq!(names(&ours), names(&theirs), "{class}");
    }
}

/// `-X raw|verbose`, `-e raw=`, `-e quiet=`, `-e status=` sets, `?name`,
/// `name@64` and strace's `/regex`: the same lines as strace prints.
#[test]
fn xlat_raw_quiet_status_and_trace_set_forms_match_strace() {
    let sh = "cat /etc/hostname >/dev/null; ls /nonexistent-renacer 2>/dev/null; true";
    let calls = "openat,close,exit_group,newfstatat,fcntl,lseek,access";
    let trace_calls = format!("trace={calls}");
    for flags in [
        &["-X", "raw", "-e", &trace_calls][..],
        &["-X", "verbose", "-e", &trace_calls],
        &["-X", "abbrev", "-e", &trace_calls],
        &["-e", "raw=openat,close", "-e", &trace_calls],
        &["-e", "quiet=attach,exit", "-e", &trace_calls],
        &["-e", "quiet=!attach", "-e", &trace_calls],
        &["-e", "status=!failed", "-e", &trace_calls],
        &["-e", "status=failed,unfinished", "-e", &trace_calls],
        &["-e", "trace=?no_such_call,openat"],
        &["-e", "trace=openat@64,close"],
        &["-e", "trace=/^open"],
    ] {
        let mut args = vec!["-f"];
        args.extend_from_slice(flags);
        args.extend(["sh", "-c", sh]);
        let (_, ours, _) = trace(&args);
        let theirs = strace(&args);
        let strip = |t: &str| {
            let kept = without_addresses(t)
                .lines()
                .filter(|l| !l.contains("--- SIG"))
                .collect::<Vec<_>>()
                .join("\n");
            per_process(&kept)
        };
        assert_eq!(strip(&ours), strip(&theirs), "{flags:?}");
    }
}

/// `-E VAR=val` / `-E VAR` change the command's environment as strace's
/// do; `-u` runs it as another user (root can; the test runs as root in
/// CI, and checks the refusal of an unknown user everywhere).
#[test]
fn env_and_user_options() {
    let (code, text, out) = trace(&[
        "-e",
        "trace=none",
        "-E",
        "RENACER_E_SET=yes",
        "-E",
        "HOME",
        "--",
        "sh",
        "-c",
        "echo set=$RENACER_E_SET home=${HOME-unset}",
    ]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(out.trim(), "set=yes home=unset");
    let err = renacer_failure(&["-u", "no-such-user-renacer", "--", "true"], 2);
    assert!(
        err.contains("cannot find user 'no-such-user-renacer'"),
        "{err}"
    );
    let err = renacer_failure(&["-E", "=x", "--", "true"], 2);
    assert!(err.contains("invalid -E argument"), "{err}");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let (code, _, out) = trace(&["-e", "trace=none", "-u", "nobody", "--", "id", "-u"]);
        assert_eq!(code, 0);
        let nobody = std::process::Command::new("id")
            .args(["-u", "nobody"])
            .output()
            .unwrap();
        assert_eq!(out.trim(), String::from_utf8_lossy(&nobody.stdout).trim());
    }
}

/// `-e inject=` / `-e fault=`: the same calls fail (or return the given
/// value, or get the signal) as under strace, with strace's
/// ` (INJECTED)` marks, and the program sees it (its exit status and
/// output are strace's too).
#[test]
fn inject_and_fault_match_strace() {
    let sh = "cat /etc/hostname; id -u";
    for flags in [
        &["-e", "inject=openat:error=ENOENT:when=3"][..],
        &["-e", "fault=openat:when=2+"],
        &["-e", "inject=getuid:signal=USR1"],
        &["-e", "inject=openat:error=EACCES", "-e", "trace=close"],
        &["-e", "inject=read:retval=0:when=1+2", "-e", "trace=read"],
        &["-e", "inject=getpid:retval=42", "-e", "trace=getpid"],
        &["-e", "inject=getuid:delay_enter=20ms", "-e", "trace=getuid"],
        &["-e", "inject=openat:error=ENOENT:delay_exit=5ms:when=2"],
    ] {
        let mut args = flags.to_vec();
        args.extend(["sh", "-c", sh]);
        let (code, ours, out) = trace(&args);
        let st = std::process::Command::new("strace")
            .arg("-o")
            .arg(workdir().join("inject-strace.txt"))
            .args(&args)
            .output()
            .unwrap();
        let theirs = std::fs::read_to_string(workdir().join("inject-strace.txt")).unwrap();
        // A command killed by a signal: renacer exits 128 + N where
        // strace re-raises N (docs/cli.md, "Exit status and signals").
        use std::os::unix::process::ExitStatusExt;
        let strace_code = st.status.code().or(st.status.signal().map(|s| 128 + s));
        assert_eq!(Some(code), strace_code, "{flags:?}");
        assert_eq!(out, String::from_utf8_lossy(&st.stdout), "{flags:?}");
        // Pids and random bytes differ between any two runs.
        let varies = [
            "--- SIG",
            "rt_sigreturn",
            "set_tid_address(",
            "getpid()",
            "getppid()",
            "vfork()",
            "wait4(",
            "getrandom(",
        ];
        let strip = |t: &str| {
            without_addresses(t)
                .lines()
                .filter(|l| !varies.iter().any(|v| l.contains(v)) || l.contains("INJECTED"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&ours), strip(&theirs), "{flags:?}");
        // An untraced call (trace=close) is left alone, as strace does; a
        // signal- or delay-only injection changes no result and is not
        // marked INJECTED; a delayed call is marked DELAYED.
        let changes = flags[1].starts_with("fault=")
            || flags[1].contains("error=")
            || flags[1].contains("retval=");
        let marked = !flags.contains(&"trace=close") && changes;
        assert_eq!(ours.contains(" (INJECTED)"), marked, "{flags:?}: {ours}");
        assert_eq!(
            ours.contains(" (DELAYED)"),
            flags[1].contains("delay_"),
            "{flags:?}: {ours}"
        );
    }
    let err = renacer_failure(&["-e", "inject=openat", "--", "true"], 2);
    assert!(err.contains("needs error=, retval=, signal="), "{err}");
    let err = renacer_failure(&["-e", "inject=openat:delay_enter=1s5", "--", "true"], 2);
    assert!(err.contains("invalid delay_enter="), "{err}");
    let err = renacer_failure(
        &["-e", "inject=openat:error=ENOENT:when=0", "--", "true"],
        2,
    );
    assert!(err.contains("invalid when="), "{err}");
}

const HELD_WRITER: &str = r#"
#include <pthread.h>
#include <unistd.h>
static int p[2];
static void *reader(void *a) {
    (void)a; char c; read(p[0], &c, 1);
    for (int i = 0; i < 5; i++) getppid();
    return 0;
}
int main(void) {
    pipe(p);
    pthread_t t; pthread_create(&t, 0, reader, 0);
    write(p[1], "x", 1);
    getpid();
    pthread_join(t, 0);
    return 0;
}
"#;

/// An injected delay holds only the task it fires in: the main thread's
/// `getpid` is held for two seconds at its entry while the thread that
/// reads what main wrote just before makes its calls (their lines come
/// first: a line is printed at the call's exit) — the single tracer thread
/// keeps serving everyone.
#[test]
fn an_injected_delay_holds_only_its_own_task() {
    let exe = compile("held-writer", HELD_WRITER);
    let (code, out, _) = trace(&[
        "-f",
        "-e",
        "trace=getpid,getppid",
        "-e",
        "inject=getpid:delay_enter=2s",
        exe.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let held = lines
        .iter()
        .position(|l| l.contains("getpid()") && l.ends_with(" (DELAYED)"));
    let ppids: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("getppid()"))
        .collect();
    assert_eq!(ppids.len(), 5, "{out}");
    assert!(held.is_some_and(|h| ppids.iter().all(|&i| i < h)), "{out}");
}

/// `-e read=` / `-e write=`: the hex dumps strace prints after each call
/// on a listed descriptor — plain, vector (` * N bytes in buffer I`) and
/// socket calls — line for line, with recvmsg's `msg_namelen=110 => 0`.
#[test]
fn read_and_write_dumps_match_strace() {
    let data = workdir().join("dump-input.txt");
    std::fs::write(
        &data,
        b"hello world, this is a longer line of data!\n\x01\x02",
    )
    .unwrap();
    let d = data.to_str().unwrap();
    let py = "import os,socket\n\
              a,b=socket.socketpair()\n\
              a.sendmsg([b'ab',b'cd']); b.recvmsg(10)\n\
              a.send(b'hello'); b.recv(3)\n\
              os.writev(a.fileno(),[b'xy',b'z\\n'])\n\
              r,w=os.pipe(); os.write(w,b'0123456789abcdef0123')\n\
              os.readv(r,[bytearray(4),bytearray(30)])\n";
    let io = "trace=sendmsg,recvmsg,sendto,recvfrom,writev,readv,write";
    for args in [
        &[
            "-e",
            "trace=read,write",
            "-e",
            "read=3",
            "-e",
            "write=1",
            "cat",
            d,
        ][..],
        &["-e", "trace=read,write", "-e", "read=all", "cat", d],
        &["-e", "trace=read,write", "-e", "write=!1", "cat", d],
        &[
            "-e",
            io,
            "-e",
            "read=all",
            "-e",
            "write=all",
            "python3",
            "-c",
            py,
        ],
    ] {
        let (code, ours, _) = trace(args);
        assert_eq!(code, 0, "{ours}");
        let theirs = strace(args);
        let norm = |t: &str| {
            t.lines()
                .filter(|l| !l.contains("--- SIGCHLD"))
                .map(normalise)
                .collect::<Vec<_>>()
        };
        assert_eq!(norm(&ours), norm(&theirs), "{args:?}");
        // cat writes only to fd 1: `write=!1` dumps nothing.
        let dumps = !args.contains(&"write=!1");
        assert_eq!(ours.contains(" | 00000  "), dumps, "{ours}");
    }
    let err = renacer_failure(&["-e", "read=x", "true"], 2);
    assert!(err.contains("invalid descriptor 'x' in -e read="), "{err}");
}

/// `-P PATH`: only calls that name the path or use a descriptor open on
/// it, given and resolved forms (announced on stderr as strace does), in
/// followed children too — the same lines as strace's.
#[test]
fn trace_path_matches_strace() {
    let sh = "cat /etc/hostname; head -c1 /etc/passwd";
    for args in [
        &["-P", "/etc/hostname", "cat", "/etc/hostname"][..],
        &[
            "-f",
            "-P",
            "/etc/../etc/hostname",
            "-P",
            "/etc/passwd",
            "sh",
            "-c",
            sh,
        ],
        &["-f", "--trace-path=/etc/passwd", "sh", "-c", sh],
        &["-P", "/nonexistent-renacer", "cat", "/etc/hostname"],
    ] {
        let (code, ours, _) = trace(args);
        assert_eq!(code, 0, "{ours}");
        let theirs = strace(args);
        let norm = |t: &str| -> Vec<Vec<String>> {
            let kept: Vec<&str> = t.lines().filter(|l| !l.contains("--- SIGCHLD")).collect();
            per_process(&without_addresses(&kept.join("\n")))
        };
        assert_eq!(norm(&ours), norm(&theirs), "{args:?}");
    }
    let o = renacer_output(&["-P", "/etc/../etc/hostname", "-e", "trace=none", "true"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "renacer: Requested path \"/etc/../etc/hostname\" resolved into \"/etc/hostname\""
        ),
        "{err}"
    );
}

/// Each task `-f` follows is announced, `Process N attached`, when the
/// trace goes to stderr (strace prints none into an `-o` file); `-q`
/// silences it.
#[test]
fn followed_tasks_are_announced_on_stderr() {
    let sh = ["sh", "-c", "cat /etc/hostname >/dev/null; true"];
    let run = |extra: &[&str]| {
        let mut args = vec!["-f", "-e", "trace=none"];
        args.extend_from_slice(extra);
        args.extend(sh);
        String::from_utf8_lossy(&renacer_output(&args).stderr).into_owned()
    };
    let err = run(&[]);
    let attached = err
        .lines()
        .position(|l| l.starts_with("renacer: Process ") && l.ends_with(" attached"));
    let exited = err
        .lines()
        .position(|l| l.starts_with("[pid ") && l.contains("+++ exited"));
    assert!(attached.is_some() && attached < exited, "{err}");
    assert!(!run(&["-q"]).contains("attached"));
    let file = workdir().join("announce.txt");
    assert!(!run(&["-o", file.to_str().unwrap()]).contains("attached"));
}

/// `-b execve`: a followed child's execve is left open and
/// the child runs on untraced (no exit line); the command's own first
/// execve is spared — strace's lines, per process.
#[test]
fn detach_on_execve_matches_strace() {
    let sh = ["sh", "-c", "cat /etc/hostname >/dev/null; true"];
    for flags in [
        &["-f", "-b", "execve"][..],
        &["-b", "execve"],
        &["-f", "--detach-on=execve"],
    ] {
        let mut args = flags.to_vec();
        args.extend(sh);
        let (code, ours, _) = trace(&args);
        assert_eq!(code, 0, "{ours}");
        let theirs = strace(&args);
        let norm = |t: &str| -> Vec<Vec<String>> {
            let kept: Vec<String> = t
                .lines()
                // Pids, random bytes and when SIGCHLD lands differ per run.
                .filter(|l| {
                    let varies = [
                        "getrandom(",
                        "--- SIGCHLD",
                        "set_tid_address(",
                        "getpid(",
                        "getppid(",
                        "vfork",
                        "wait4(",
                        "rt_sigreturn(",
                    ];
                    !varies.iter().any(|v| l.contains(v))
                })
                // strace leaves the line `<unfinished ...>` when another
                // task printed meanwhile, else `<detached ...>`.
                .map(|l| normalise(l).replace(" <detached ...>", ""))
                .collect();
            per_process(&kept.join("\n"))
        };
        assert_eq!(norm(&ours), norm(&theirs), "{flags:?}");
        if flags.contains(&"-f") {
            assert!(ours.contains("execve(\"/usr/bin/cat\""), "{ours}");
            assert!(ours.contains("*/ <detached ...>"), "{ours}");
        }
    }
    let err = renacer_failure(&["-b", "open", "true"], 2);
    assert!(
        err.contains("Syscall 'open' for -b isn't supported"),
        "{err}"
    );
}

/// `-v`, `--no-abbrev`, `-e abbrev=SET`: whole `stat` and `statx`
/// structures (times with their comments, devices' `st_rdev`), `uname`,
/// `getrusage` and `execve`'s environment, as strace prints them.
#[test]
fn verbose_structures_match_strace() {
    let exe = compile(
        "verbose",
        r#"#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/resource.h>
#include <unistd.h>
#include <fcntl.h>
int main(void) {
    struct stat st; struct utsname u; struct rusage ru;
    stat("/etc/hostname", &st);
    stat("/dev/null", &st);
    lstat("/etc/hostname", &st);
    fstat(open("/etc/hostname", O_RDONLY), &st);
    struct statx sx;
    statx(AT_FDCWD, "/etc/hostname", 0, STATX_ALL, &sx);
    statx(AT_FDCWD, "/dev/null", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx);
    uname(&u);
    getrusage(RUSAGE_SELF, &ru);
    char *argv[] = {"true", 0};
    char *envp[] = {"A=1", "B=two", 0};
    execve("/bin/true", argv, envp);
    return 1;
}
"#,
    );
    let exe = exe.to_str().unwrap();
    for flags in [
        &["-v"][..],
        &["--no-abbrev"],
        &[
            "-e",
            "abbrev=none",
            "-e",
            "trace=execve,newfstatat,statx,uname,getrusage",
        ],
        &["-e", "abbrev=execve", "-e", "trace=execve,newfstatat,uname"],
    ] {
        let mut args = flags.to_vec();
        args.push(exe);
        let (code, ours, _) = trace(&args);
        assert_eq!(code, 0, "{ours}");
        let theirs = strace(&args);
        // Usage counters and the pid differ between the runs.
        let norm = |t: &str| -> Vec<String> {
            t.lines()
                .map(
                    |l| match l.starts_with("getrusage(") || l.starts_with("set_tid_address(") {
                        true => name_of(l).to_string(),
                        false => normalise(l),
                    },
                )
                .collect()
        };
        assert_eq!(norm(&ours), norm(&theirs), "{flags:?}");
    }
    let (_, ours, _) = trace(&["-v", "-e", "trace=newfstatat,execve", exe]);
    assert!(ours.contains("st_rdev=makedev(0x1, 0x3)"), "{ours}");
    assert!(ours.contains("[\"A=1\", \"B=two\"]"), "{ours}");
    let err = renacer_failure(&["-e", "verbose=nosuchcall", "true"], 2);
    assert!(err.contains("nosuchcall"), "{err}");
}

/// `-yy`: socket endpoints (TCP, TCPv6, UDP, UNIX with peer and name,
/// NETLINK with its port) and device numbers, as strace prints them —
/// inodes, ports and pids aside, which differ between the runs.
#[test]
fn socket_and_device_details_match_strace() {
    let sock = workdir().join("yy.sock");
    let py = format!(
        "import socket,os\n\
         a,b=socket.socketpair(); a.send(b'x')\n\
         s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen()\n\
         c=socket.create_connection(s.getsockname()); d,_=s.accept(); c.send(b'y')\n\
         u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); u.bind(('127.0.0.1',0)); u.sendto(b'z',u.getsockname())\n\
         s6=socket.socket(socket.AF_INET6); s6.bind(('::1',0)); s6.listen(); c6=socket.create_connection(s6.getsockname()[:2]); c6.send(b'a')\n\
         n=socket.socket(socket.AF_NETLINK,socket.SOCK_RAW,0); n.bind((0,0)); n.getsockname()\n\
         f=os.open('/dev/null',os.O_WRONLY); os.write(f,b'q')\n\
         u2=socket.socket(socket.AF_UNIX); u2.bind('{}'); u2.getsockname(); os.unlink('{}')\n",
        sock.display(),
        sock.display()
    );
    for flag in ["-yy", "--decode-fds=all"] {
        let args = [
            flag,
            "-e",
            "trace=sendto,write,getsockname,close,socket",
            "python3",
            "-c",
            &py,
        ];
        let (code, ours, _) = trace(&args);
        assert_eq!(code, 0, "{ours}");
        let theirs = strace(&args);
        let labelled = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| {
                    ["<TCP", "<UDP", "<UNIX", "<NETLINK", "<char "]
                        .iter()
                        .any(|k| l.contains(k))
                })
                .map(|l| {
                    let l = normalise(l);
                    let mut out = String::new();
                    let mut digits = false;
                    for c in l.chars() {
                        match (c.is_ascii_digit(), digits) {
                            (true, true) => {}
                            (true, false) => out.push('N'),
                            _ => out.push(c),
                        }
                        digits = c.is_ascii_digit();
                    }
                    out
                })
                .collect()
        };
        let (o, s) = (labelled(&ours), labelled(&theirs));
        assert!(o.len() >= 10, "{ours}");
        assert_eq!(o, s, "{flag}");
    }
    let err = renacer_failure(&["--decode-fds=bogus", "true"], 2);
    assert!(err.contains("invalid --decode-fds argument"), "{err}");
}

/// `-y` where strace annotates beyond plain fd arguments: `AT_FDCWD</cwd>`,
/// the fd of `mmap`, both fds `pipe2` and `socketpair` return, and
/// `dup2`'s new fd with the file it named before the call.
#[test]
fn fd_paths_in_dirfds_mmap_pairs_and_dup2_match_strace() {
    let py = "import os,socket,mmap\n\
              os.pipe(); socket.socketpair()\n\
              f=os.open('/etc/hostname',os.O_RDONLY); os.dup2(f,9); os.dup2(f,9); os.dup2(1,9)\n\
              m=mmap.mmap(f,0,prot=mmap.PROT_READ); os.close(f)\n";
    let args = [
        "-y",
        "-e",
        "trace=openat,mmap,pipe2,dup2,socketpair,close",
        "python3",
        "-c",
        py,
    ];
    let (code, ours, _) = trace(&args);
    assert_eq!(code, 0, "{ours}");
    let theirs = strace(&args);
    // Addresses, pipe and socket inodes differ between the runs, and so
    // does where a SIGCHLD lands.
    let norm = |t: &str| -> Vec<String> {
        t.lines()
            // python's anonymous arenas vary from run to run.
            .filter(|l| {
                !l.contains("--- SIGCHLD")
                    && !l.contains("MAP_ANONYMOUS")
                    && !l.starts_with("munmap(")
            })
            .map(|l| {
                let mut l = normalise(l);
                for kind in ["pipe:[", "socket:["] {
                    let mut from = 0;
                    while let Some(i) = l[from..].find(kind).map(|i| i + from + kind.len()) {
                        let end = l[i..].find(']').map_or(l.len(), |e| e + i);
                        l.replace_range(i..end, "N");
                        from = i;
                    }
                }
                l
            })
            .collect()
    };
    let (o, t) = (vec![norm(&ours)], vec![norm(&theirs)]);
    assert!(o == t, "{}", first_difference(&o, &t));
    for want in ["AT_FDCWD</", "pipe2([", "dup2(", "</etc/hostname>, 0)"] {
        assert!(ours.contains(want), "{want}: {ours}");
    }
}

/// `-Y`: command names with pids — line prefixes (an execve's line with
/// the caller's name), `kill`'s argument and the pid results — as strace
/// prints them, the tracer's own name (`<renacer>` / `<strace>`) aside.
#[test]
fn pid_command_names_match_strace() {
    let sh = ["sh", "-c", "cat /etc/hostname >/dev/null; kill -0 $$"];
    for flag in ["-Y", "--decode-pids=comm"] {
        let mut args = vec![flag, "-f"];
        args.extend(sh);
        let (code, ours, _) = trace(&args);
        assert_eq!(code, 0, "{ours}");
        let theirs = strace(&args);
        // Pid numbers differ per run; the names stay. The prefix's name
        // moves out of the way of the per-process join, and is compared as
        // the set of (name, call) pairs.
        let unnumbered = |l: &str| -> String {
            let l = normalise(l).replace("<renacer>", "<strace>");
            let mut out = String::new();
            let mut digits = String::new();
            for c in l.chars().chain([' ']) {
                if c.is_ascii_digit() {
                    digits.push(c);
                    continue;
                }
                if digits.len() >= 3 && c == '<' {
                    out.push('P');
                } else {
                    out.push_str(&digits);
                }
                digits.clear();
                out.push(c);
            }
            out.trim_end().to_string()
        };
        let kept = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| {
                    ![
                        "getrandom(",
                        "--- SIGCHLD",
                        "set_tid_address(",
                        "rt_sigreturn(",
                        // The child may not have its new name yet when vfork
                        // returns (exec renames after releasing the parent).
                        "vfork",
                        "wait4",
                    ]
                    .iter()
                    .any(|v| l.contains(v))
                })
                .map(str::to_string)
                .collect()
        };
        let norm = |t: &str| -> (
            Vec<Vec<String>>,
            std::collections::BTreeSet<(String, String)>,
        ) {
            let mut lines = Vec::new();
            let mut named = std::collections::BTreeSet::new();
            for l in kept(t) {
                let (prefix, body) = l.split_once(' ').unwrap();
                let (pid, comm) = prefix.split_once('<').unwrap_or((prefix, ""));
                if !body.starts_with("<...") {
                    named.insert((
                        comm.replace("renacer>", "strace>"),
                        name_of(body.trim_start()).to_string(),
                    ));
                }
                lines.push(format!("{pid} {}", unnumbered(body)));
            }
            (per_process(&lines.join("\n")), named)
        };
        let (o, t) = (norm(&ours), norm(&theirs));
        assert!(o.0 == t.0, "{flag}: {}", first_difference(&o.0, &t.0));
        assert_eq!(o.1, t.1, "{flag}");
        assert!(
            ours.contains("<sh> kill(") && ours.contains("<renacer> execve("),
            "{ours}"
        );
    }
    let err = renacer_failure(&["--decode-pids=pidns", "true"], 2);
    assert!(err.contains("invalid --decode-pids argument"), "{err}");
}

/// `--decode-fds=socket` / `=dev` / `=path`: each adds only its own part
/// of `-yy` to `-y`'s paths.
#[test]
fn decode_fds_parts_add_only_their_details() {
    let py = "import os,socket\na,b=socket.socketpair(); a.send(b'x')\nos.write(os.open('/dev/null',os.O_WRONLY),b'q')\n";
    let run = |v: &str| {
        let flag = format!("--decode-fds={v}");
        let (code, text, _) = trace(&[&flag, "-e", "trace=sendto,write", "python3", "-c", py]);
        assert_eq!(code, 0, "{text}");
        let sock = text.contains("<UNIX-STREAM:[");
        let dev = text.contains("</dev/null<char 1:3>>");
        let path = text.contains("</dev/null>") || dev;
        (sock, dev, path)
    };
    assert_eq!(run("socket"), (true, false, true));
    assert_eq!(run("dev"), (false, true, true));
    assert_eq!(run("path"), (false, false, true));
}

const WHO_TRACES_ME: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    char line[256]; int tracer = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "TracerPid:", 10)) tracer = atoi(line + 10);
    printf("%d %d %d %d %d %d %d\n", getpid(), getppid(), tracer,
           getpgid(0), getsid(0), getpgid(tracer), getsid(tracer));
    return 3;
}
"#;

/// `-D`, `-DD`, `-DDD` (and `--daemonize=...`): the command keeps the pid
/// renacer was started with and stays its starter's child (here: the test),
/// traced by another process — in the command's process group and session,
/// in a group of its own, or in a session of its own. The exit status is the
/// command's own (its starter sees it directly); the trace is whole.
#[test]
fn daemonized_tracer_leaves_the_command_a_child_of_its_starter() {
    let exe = compile("who-traces-me", WHO_TRACES_ME);
    for flag in ["-D", "-DD", "-DDD", "--daemonize=session"] {
        let out = workdir().join(format!("daemon-{}{flag}.txt", std::process::id()));
        let child = std::process::Command::new(renacer())
            .args([flag, "-e", "trace=getppid", "-o"])
            .arg(&out)
            .arg(&exe)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started_as = child.id() as i32;
        // Waits for the tracer too: it holds the same stdout and stderr.
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(3), "{flag}");
        let n: Vec<i32> = String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .map(|w| w.parse().unwrap())
            .collect();
        let [pid, ppid, tracer, pgid, sid, tracer_pgid, tracer_sid] = n[..] else {
            panic!("{flag}: {n:?}");
        };
        assert_eq!(
            (pid, ppid),
            (started_as, std::process::id() as i32),
            "{flag}"
        );
        assert!(
            tracer > 0 && tracer != pid && tracer != ppid,
            "{flag}: {n:?}"
        );
        match flag {
            "-D" => assert_eq!((tracer_pgid, tracer_sid), (pgid, sid), "{flag}"),
            "-DD" => assert_eq!((tracer_pgid, tracer_sid), (tracer, sid), "{flag}"),
            _ => assert_eq!(tracer_sid, tracer, "{flag}"),
        }
        let text = std::fs::read_to_string(&out).unwrap();
        let ppid_line = format!("getppid() = {ppid}");
        assert!(normalise(&text).contains(&ppid_line), "{flag}: {text}");
        assert!(text.ends_with("+++ exited with 3 +++\n"), "{flag}: {text}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            err.trim(),
            format!("renacer: Process {pid} attached"),
            "{flag}"
        );
    }
    let err = renacer_failure(&["-D", "-p", "1"], 2);
    assert!(
        err.contains("PROG [ARGS] must be specified with -D"),
        "{err}"
    );
    let err = renacer_failure(&["-DDDD", "true"], 2);
    assert!(err.contains("too many -D's (4)"), "{err}");
}

const STRUCTS: &str = r#"
#define _GNU_SOURCE
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    (void)argc;
    struct stat st; stat("/", &st); fstat(0, &st);
    struct sigaction sa = {0}; sa.sa_handler = SIG_IGN; sigaction(SIGUSR1, &sa, NULL);
    sigset_t s; sigemptyset(&s); sigaddset(&s, SIGUSR2); sigprocmask(SIG_BLOCK, &s, NULL);
    struct rlimit r; getrlimit(RLIMIT_NOFILE, &r); struct utsname u; uname(&u);
    struct timespec ts = {0, 1000}; nanosleep(&ts, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {AF_INET, htons(1), {htonl(0x7f000001)}, {0}};
    connect(fd, (void *)&a, sizeof a);
    int one = 1; setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4);
    struct pollfd p = {fd, POLLOUT, 0}; poll(&p, 1, 0);
    struct statfs sf; statfs("/", &sf);
    struct itimerval it = {{0, 0}, {0, 0}}; setitimer(ITIMER_REAL, &it, NULL);
    int pp[2]; pipe(pp); char buf[4]; struct iovec iov = {buf, 4};
    write(pp[1], "abcd", 4); readv(pp[0], &iov, 1);
    fd_set rs; FD_ZERO(&rs); FD_SET(pp[0], &rs); write(pp[1], "e", 1);
    struct timeval tv = {0, 1000}; select(pp[0] + 1, &rs, NULL, NULL, &tv);
    DIR *d = opendir(argv[1]); while (readdir(d)); closedir(d);
    return 0;
}
"#;

/// `-e verbose=SET`: the calls outside SET print their structures as
/// addresses (strings, paths and data still read; `poll`'s ready set left
/// out, `select`'s kept), line for line with strace.
#[test]
fn verbose_set_prints_other_calls_structures_as_addresses() {
    let exe = compile("structs", STRUCTS);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), "x").unwrap();
    let d = dir.path().to_str().unwrap();
    for set in ["none", "!connect,newfstatat", "uname,poll"] {
        let flag = format!("-everbose={set}");
        let args = [flag.as_str(), exe.to_str().unwrap(), d];
        let (code, ours, _) = trace(&args);
        assert_eq!(code, 0, "{ours}");
        let theirs = strace(&args);
        // Tids, free blocks and the time select leaves differ between runs.
        let norm = |t: &str| -> Vec<String> {
            without_addresses(t)
                .lines()
                .filter(|l| !l.starts_with("getrandom"))
                .map(|l| {
                    let l = l.split_whitespace().collect::<Vec<_>>().join(" ");
                    let l = l.find("left {").map_or(l.as_str(), |i| &l[..i]);
                    long_numbers_as_n(4, l)
                })
                .collect()
        };
        let (ours, theirs) = (norm(&ours), norm(&theirs));
        let uname = ours.iter().find(|l| l.starts_with("uname(")).unwrap();
        assert_eq!(uname.contains("sysname="), set != "none", "{set}: {uname}");
        for (x, y) in ours.iter().zip(&theirs) {
            assert_eq!(x, y, "{set}");
        }
        assert_eq!(ours.len(), theirs.len(), "{set}");
    }
}
