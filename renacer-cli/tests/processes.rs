//! Processes, threads, signals and exit statuses, traced as a user would.

mod common;
use common::*;
use std::process::Command;

const THREADS: &str = r#"
#include <pthread.h>
#include <fcntl.h>
#include <unistd.h>
#define N 25
static void *worker(void *arg) {
    for (int i = 0; i < N; i++) { int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY); close(fd); }
    return 0;
}
int main(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, worker, 0);
    for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
    return 0;
}
"#;

const FORKS: &str = r#"
#include <fcntl.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    pid_t p = fork();
    if (p == 0) { open("/renacer-fork-child", O_RDONLY); _exit(4); }
    int st; waitpid(p, &st, 0);
    pid_t v = vfork();
    if (v == 0) { execl("/bin/true", "true", (char *)0); _exit(127); }
    waitpid(v, &st, 0);
    return WEXITSTATUS(st);
}
"#;

const SIGNALS: &str = r#"
#include <signal.h>
#include <unistd.h>
#include <string.h>
static void on_usr1(int s) { (void)s; write(1, "handled\n", 8); }
int main(void) {
    signal(SIGUSR1, on_usr1);
    kill(getpid(), SIGUSR1);
    return 0;
}
"#;

const SIGKILL_SELF: &str = r#"
#include <signal.h>
#include <unistd.h>
int main(void) { kill(getpid(), SIGKILL); return 0; }
"#;

#[test]
fn four_threads_every_openat_seen() {
    let exe = compile("threads", THREADS);
    let (code, text, _) = trace(&["-f", "-e", "trace=openat", "--", exe.to_str().unwrap()]);
    assert_eq!(code, 0);
    let hits: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("openat(AT_FDCWD, \"/dev/null\""))
        .collect();
    assert_eq!(hits.len(), 100, "{text}");
    let tids: std::collections::BTreeSet<&str> = hits
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(tids.len(), 4, "four distinct thread ids prefix the lines");
    // Every thread's exit is reported too.
    assert!(text.matches("+++ exited with 0 +++").count() >= 5, "{text}");
}

#[test]
fn threads_seen_without_seccomp_too() {
    let exe = compile("threads", THREADS);
    let (code, text, _) = trace(&["-f", "--", exe.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(
        text.matches("openat(AT_FDCWD, \"/dev/null\", O_RDONLY) = ")
            .count(),
        100
    );
}

#[test]
fn fork_and_vfork_children_followed() {
    let exe = compile("forks", FORKS);
    let (code, text, _) = trace(&["-f", "--", exe.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(
            "open(\"/renacer-fork-child\", O_RDONLY) = -1 ENOENT (No such file or directory)"
        ) || text.contains("openat(AT_FDCWD, \"/renacer-fork-child\", O_RDONLY) = -1 ENOENT"),
        "{text}"
    );
    assert!(text.contains("+++ exited with 4 +++"), "{text}");
    assert!(text.contains("execve(\"/bin/true\", [\"true\"]"), "{text}");
    assert!(text.contains("si_code=CLD_EXITED"), "{text}");
}

#[test]
fn without_follow_children_run_untraced_but_work() {
    // With a filter, children carry the seccomp program: they must still run
    // (the tracer keeps them attached invisibly) and print nothing.
    let exe = compile("forks", FORKS);
    let (code, text, _) = trace(&[
        "-e",
        "trace=openat,open,execve",
        "--",
        exe.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("renacer-fork-child"), "{text}");
    assert!(!text.contains("[pid"));
    let (_, _, out) = trace(&[
        "-e",
        "trace=write",
        "--",
        "sh",
        "-c",
        "/bin/echo from-child",
    ]);
    assert_eq!(out, "from-child\n");
}

#[test]
fn signal_handler_runs_and_signal_is_shown() {
    let exe = compile("signals", SIGNALS);
    let (code, text, out) = trace(&["--", exe.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(out, "handled\n");
    assert!(
        text.contains("--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid="),
        "{text}"
    );
    assert!(text.contains("rt_sigreturn("), "{text}");
}

#[test]
fn default_action_kills_with_128_plus_signal() {
    let (code, text, _) = trace(&["--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(code, 128 + 15);
    assert!(text.contains("+++ killed by SIGTERM +++"), "{text}");
}

#[test]
fn sigkill_is_reported() {
    let exe = compile("sigkill", SIGKILL_SELF);
    let (code, text, _) = trace(&["--", exe.to_str().unwrap()]);
    assert_eq!(code, 128 + 9);
    assert!(
        text.trim_end().ends_with("+++ killed by SIGKILL +++"),
        "{text}"
    );
}

#[test]
fn exit_status_is_the_commands() {
    let (code, text, _) = trace(&["--", "sh", "-c", "exit 7"]);
    assert_eq!(code, 7);
    assert!(text.contains("exit_group(7)"));
    assert!(text.trim_end().ends_with("+++ exited with 7 +++"));
}

#[test]
fn execve_shown_with_arguments_first() {
    let (_, text, _) = trace(&["--", "/bin/echo", "a b", "c"]);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("execve(\"/bin/echo\", [\"/bin/echo\", \"a b\", \"c\"], 0x"),
        "{first}"
    );
    assert!(first.contains(" vars */) = 0"), "{first}");
}

#[test]
fn missing_command_is_one_line_and_exit_2() {
    let err = renacer_failure(&["--", "no-such-command-renacer"], 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no-such-command-renacer"), "{err}");
}

/// An i386 (compat ABI) syscall from a 64-bit process: `int $0x80` with
/// eax = 20 is getpid on i386 (20 is writev on x86_64).
const INT80: &str = r#"
int main(void) {
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
    return r > 0 ? 0 : 1;
}
"#;

#[test]
fn i386_compat_syscalls_use_the_i386_table() {
    let exe = compile("int80", INT80);
    let exe = exe.to_str().unwrap();
    let (code, text, _) = trace(&["--format", "jsonl", "--", exe]);
    assert_eq!(code, 0, "{text}");
    let compat: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["arch"] == "i386")
        .collect();
    assert_eq!(compat.len(), 1, "{text}");
    assert_eq!(compat[0]["name"], "getpid");
    assert_eq!(compat[0]["nr"], 20);
    // Under a seccomp filter, foreign-ABI calls stop and the tracer filters them.
    let (code, text, _) = trace(&["-e", "trace=getpid", "--", exe]);
    assert_eq!(code, 0);
    assert_eq!(syscall_lines(&text).len(), 1, "{text}");
    assert!(text.starts_with("getpid()"), "{text}");
}

/// A child stops itself (group-stop); its parent sees the stop with
/// WUNTRACED and resumes it with SIGCONT — exactly as without a tracer.
const GROUP_STOP: &str = r#"
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    pid_t c = fork();
    if (c == 0) { raise(SIGSTOP); _exit(5); }
    int st;
    waitpid(c, &st, WUNTRACED);
    if (!WIFSTOPPED(st)) return 1;
    kill(c, SIGCONT);
    waitpid(c, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}
"#;

#[test]
fn group_stop_and_sigcont_behave_as_untraced() {
    let exe = compile("groupstop", GROUP_STOP);
    let out = workdir().join("groupstop.txt");
    let o = Command::new("timeout")
        .arg("60")
        .arg(renacer())
        .args(["-f", "-o"])
        .arg(&out)
        .arg(&exe)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert_eq!(o.status.code(), Some(5), "{text}");
    assert!(
        text.contains("--- SIGSTOP {si_signo=SIGSTOP, si_code=SI_TKILL"),
        "{text}"
    );
    assert!(text.contains("--- stopped by SIGSTOP ---"), "{text}");
    assert!(
        text.contains("--- SIGCONT {si_signo=SIGCONT, si_code=SI_USER"),
        "{text}"
    );
    assert!(text.contains("+++ exited with 5 +++"), "{text}");
}

const SLEEP_LOOP: &str = r#"
#include <unistd.h>
int main(void) { for (;;) pause(); }
"#;

/// The first child of process `pid` (renacer's traced command), if any yet.
fn first_child(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
}

#[test]
fn ctrl_c_reaches_the_command_not_the_tracer() {
    use std::os::unix::process::CommandExt;
    let exe = compile("pauser", SLEEP_LOOP);
    let out = workdir().join("ctrlc.txt");
    let mut r = Command::new(renacer())
        .arg("-o")
        .arg(&out)
        .arg(&exe)
        .process_group(0)
        .spawn()
        .unwrap();
    let rpid = r.id();
    // The command is running once renacer has a child that is in pause().
    let child = || first_child(rpid);
    assert!(wait_until(20, || child().is_some_and(|c| {
        std::fs::read_to_string(format!("/proc/{c}/wchan")).is_ok_and(|w| w.contains("pause"))
            || std::fs::read_to_string(format!("/proc/{c}/syscall"))
                .is_ok_and(|s| s.starts_with("34 "))
    })));
    // Ctrl-C: SIGINT to the whole foreground process group.
    // SAFETY: signalling a process group we created.
    unsafe { libc::kill(-(rpid as i32), libc::SIGINT) };
    let code = wait_exit(&mut r, 20).expect("renacer exits").code();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert_eq!(code, Some(128 + 2), "{text}");
    assert!(
        text.contains("--- SIGINT {si_signo=SIGINT, si_code=SI_USER"),
        "{text}"
    );
    assert!(
        text.trim_end().ends_with("+++ killed by SIGINT +++"),
        "{text}"
    );
}

#[test]
fn sigterm_to_renacer_ends_the_command_and_flushes() {
    let exe = compile("pauser", SLEEP_LOOP);
    let out = workdir().join("sigterm-forward.txt");
    let mut r = Command::new(renacer())
        .arg("-o")
        .arg(&out)
        .arg(&exe)
        .spawn()
        .unwrap();
    let rpid = r.id();
    let child = || first_child(rpid);
    assert!(wait_until(20, || child().is_some_and(|c| {
        std::fs::read_to_string(format!("/proc/{c}/syscall")).is_ok_and(|s| s.starts_with("34 "))
    })));
    // SAFETY: signalling our own child (renacer only, not its group).
    unsafe { libc::kill(rpid as i32, libc::SIGTERM) };
    let code = wait_exit(&mut r, 20).expect("renacer exits").code();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert_eq!(code, Some(128 + 15), "{text}");
    assert!(
        text.starts_with("execve("),
        "buffered lines were flushed: {text}"
    );
    assert!(
        text.trim_end().ends_with("+++ killed by SIGTERM +++"),
        "{text}"
    );
}

/// Exit 0 iff SIGPIPE has its default disposition.
const SIGPIPE_DFL: &str = r#"
#include <signal.h>
int main(void) {
    struct sigaction old;
    sigaction(SIGPIPE, 0, &old);
    return old.sa_handler == SIG_DFL ? 0 : 1;
}
"#;

#[test]
fn command_gets_default_sigpipe_disposition() {
    // renacer's runtime ignores SIGPIPE; the traced command must not inherit
    // that (`renacer -- yes | head` must still end `yes` with SIGPIPE).
    let exe = compile("sigpipe_dfl", SIGPIPE_DFL);
    let (code, _, _) = trace(&["--", exe.to_str().unwrap()]);
    assert_eq!(code, 0);
    let (code, _, _) = trace(&["-e", "trace=openat", "--", exe.to_str().unwrap()]);
    assert_eq!(code, 0);
}

/// The unified trace's process items of `args` (run under `--format
/// unified-json -o FILE`): (pid, parent process pid, exe, argv).
fn unified_processes(args: &[&str]) -> Vec<(u64, Option<u64>, String, Vec<String>)> {
    let mut all = vec!["--format", "unified-json"];
    all.extend_from_slice(args);
    let (code, json, _) = trace(&all);
    assert_eq!(code, 0, "renacer {args:?}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("unified JSON");
    let items = v["items"].as_array().expect("items");
    let procs: Vec<&serde_json::Value> = items.iter().filter(|i| i["kind"] == "process").collect();
    let pid_of_span = |id: &serde_json::Value| {
        // A child process hangs under its parent's process span or under
        // the parent's fork syscall; either names the parent's pid.
        items
            .iter()
            .find(|i| &i["span_id"] == id)
            .map(|i| i["pid"].as_u64().unwrap())
    };
    procs
        .iter()
        .map(|p| {
            (
                p["pid"].as_u64().unwrap(),
                pid_of_span(&p["parent_span_id"]),
                p["exe"].as_str().unwrap_or("").to_string(),
                p["argv"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn unified_process_tree_survives_a_syscall_filter() {
    // No clone or execve is displayed under trace=%file: the tree and the
    // argv still come from ptrace's fork and exec events.
    let procs = unified_processes(&[
        "-f",
        "-e",
        "trace=%file",
        "--",
        "sh",
        "-c",
        "cat /etc/hostname; ls /",
    ]);
    assert_eq!(procs.len(), 3, "sh, cat and ls: {procs:?}");
    let sh = procs[0].0;
    let find = |name: &str| {
        procs
            .iter()
            .find(|p| p.2.ends_with(name))
            .unwrap_or_else(|| panic!("{name} in {procs:?}"))
    };
    let cat = find("/cat");
    assert_eq!(cat.3, ["cat", "/etc/hostname"]);
    assert_eq!(cat.1, Some(sh), "cat's parent is sh");
    let ls = find("/ls");
    assert_eq!(ls.3, ["ls", "/"]);
    assert_eq!(ls.1, Some(sh), "ls's parent is sh");
}

#[test]
fn unified_argv_keeps_non_ascii_and_long_arguments_intact() {
    let long = "x".repeat(300); // longer than -s
    let procs = unified_processes(&["-s", "16", "--", "echo", "héllo wörld", &long]);
    assert_eq!(procs[0].3, ["echo", "héllo wörld", long.as_str()]);
    assert!(procs[0].2.ends_with("/echo"), "{procs:?}");
}

/// A non-leader thread's execve: the leader's open `pause()` ends `= ?`,
/// the leader is `+++ superseded by execve in pid T +++`, the execve is
/// shown under the thread that made it and the new program then runs
/// under the leader's pid — the lines strace prints, pids aside.
#[test]
fn execve_from_a_thread_supersedes_the_leader_as_in_strace() {
    let exe = compile(
        "thread_execve",
        r#"#include <pthread.h>
#include <unistd.h>
static void *run(void *a) {
    (void)a;
    usleep(50000);
    char *argv[] = {"true", 0}, *envp[] = {0};
    execve("/bin/true", argv, envp);
    return 0;
}
int main(void) { pthread_t t; pthread_create(&t, 0, run, 0); for (;;) pause(); }
"#,
    );
    let calls = "trace=pause,execve,exit_group";
    let (code, ours, _) = trace(&["-f", "-e", calls, exe.to_str().unwrap()]);
    assert_eq!(code, 0, "{ours}");
    let theirs = strace(&["-f", "-e", calls, exe.to_str().unwrap()]);
    // strace splits the two open calls; joined (and with pids named by
    // role, L the leader, T the thread) both traces read the same.
    let roles = |t: &str| -> Vec<String> {
        let mut pids: Vec<String> = Vec::new();
        for l in t.lines() {
            let pid = l.split_once(' ').unwrap().0;
            if !pids.iter().any(|p| p == pid) {
                pids.push(pid.to_string());
            }
        }
        let mut out: Vec<String> = Vec::new();
        let mut open: Vec<(String, String)> = Vec::new();
        for l in t.lines() {
            let (pid, body) = l.split_once(' ').unwrap();
            let mut body = normalise(body);
            for (i, p) in pids.iter().enumerate() {
                body = body.replace(p, ["L", "T"][i.min(1)]);
            }
            let who = ["L", "T"][pids.iter().position(|p| p == pid).unwrap().min(1)];
            if let Some(head) = body.strip_suffix(" <unfinished ...>") {
                open.push((who.to_string(), head.to_string()));
                continue;
            }
            if let Some(rest) = body.strip_prefix("<... ") {
                let (name, tail) = rest.split_once(" resumed>").unwrap();
                let i = open.iter().position(|(_, h)| h.starts_with(name)).unwrap();
                let (caller, head) = open.remove(i);
                out.push(format!("{caller} {head}{tail}"));
                continue;
            }
            out.push(format!("{who} {body}"));
        }
        out
    };
    let mut theirs_joined = roles(&theirs);
    // strace prints the leader's `pause() = ?` as its pause resuming; the
    // joined form puts it after the first lines of the thread's execve.
    theirs_joined.sort();
    let mut ours_joined = roles(&ours);
    ours_joined.sort();
    assert_eq!(ours_joined, theirs_joined, "\n{ours}\n{theirs}");
    // In order: the leader's last call, its supersession, the execve,
    // then the new program under the leader's pid.
    let at = |needle: &str| {
        ours.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {ours}"))
    };
    assert!(
        at("pause()") < at("+++ superseded by execve in pid "),
        "{ours}"
    );
    assert!(at("+++ superseded") < at("execve(\"/bin/true\""), "{ours}");
    assert!(at("execve(\"/bin/true\"") < at("exit_group(0)"), "{ours}");
}

/// Signal lines of timers as strace prints them: `SI_TIMER` with the
/// timer id, overrun count and the sigevent's value; `setitimer`/`alarm`
/// as `SI_KERNEL`; `sigqueue`'s value.
#[test]
fn timer_signals_print_their_siginfo_as_strace_does() {
    let exe = compile(
        "timer_signals",
        r#"#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>
static void h(int s) { (void)s; }
int main(void) {
    signal(SIGALRM, h); signal(SIGUSR1, h);
    timer_t t; struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = SIGUSR1; ev.sigev_value.sival_int = 42;
    timer_create(CLOCK_MONOTONIC, &ev, &t);
    struct itimerspec its = {{0, 0}, {0, 1000000}}; timer_settime(t, 0, &its, 0); pause();
    struct itimerval iv = {{0, 0}, {0, 1000}}; setitimer(ITIMER_REAL, &iv, 0); pause();
    sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 7});
    return 0;
}
"#,
    );
    let args = ["-e", "trace=none", exe.to_str().unwrap()];
    let (code, ours, _) = trace(&args);
    assert_eq!(code, 0, "{ours}");
    let theirs = strace(&args);
    // The sigqueue's sender pid differs between the runs.
    let norm = |t: &str| {
        t.lines()
            .map(|l| l.split(", si_pid=").next().unwrap_or(l).to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(norm(&ours), norm(&theirs));
    assert!(
        ours.contains("si_code=SI_TIMER, si_timerid=0, si_overrun=0, si_int=42, si_ptr=0x2a"),
        "{ours}"
    );
}

/// Calls a task dies in print as strace prints them: the inputs, then
/// `<unfinished ...>` where the outputs would be, `= ?` — for threads
/// ended by another's `_exit` (read, poll) and for a process killed in
/// `clock_nanosleep`, whose timespec was read at entry (its memory is gone
/// when the death is seen).
#[test]
fn calls_a_task_dies_in_keep_their_inputs() {
    let exe = compile(
        "die_in_calls",
        r#"#include <pthread.h>
#include <unistd.h>
#include <poll.h>
static int p[2];
static void *r(void *a) { (void)a; char b[8]; read(p[0], b, 8); return 0; }
static void *q(void *a) { (void)a; struct pollfd f = {p[0], POLLIN, 0}; poll(&f, 1, -1); return 0; }
int main(void) {
    pipe(p);
    pthread_t t1, t2;
    pthread_create(&t1, 0, r, 0); pthread_create(&t2, 0, q, 0);
    usleep(100000);
    _exit(0);
}
"#,
    );
    let args = [
        "-f",
        "-e",
        "trace=read,poll,exit_group",
        exe.to_str().unwrap(),
    ];
    let (code, ours, _) = trace(&args);
    assert_eq!(code, 0, "{ours}");
    let theirs = strace(&args);
    let norm = |t: &str| {
        let kept: Vec<String> = t
            .lines()
            .filter(|l| !l.contains("\\177ELF"))
            .map(normalise)
            .collect();
        // The threads start in either order.
        let mut groups = per_process(&kept.join("\n"));
        groups.sort();
        groups
    };
    assert_eq!(norm(&ours), norm(&theirs));
    assert!(ours.contains("read(3,  <unfinished ...>)"), "{ours}");
    // Killed in a sleep: the request is still shown.
    let out = workdir().join("killed-in-sleep.txt");
    let mut r = Command::new(renacer())
        .arg("-o")
        .arg(&out)
        .args(["sh", "-c", "exec sleep 30"])
        .spawn()
        .unwrap();
    let sleeping = || {
        std::fs::read_to_string(format!("/proc/{}/task/{}/children", r.id(), r.id()))
            .ok()
            .and_then(|c| c.split_whitespace().next().map(str::to_string))
            // `sleep` blocked ('S', not a tracing stop 't'): in its one
            // blocking call, clock_nanosleep.
            .filter(|c| {
                let comm = std::fs::read_to_string(format!("/proc/{c}/comm")).unwrap_or_default();
                let stat = std::fs::read_to_string(format!("/proc/{c}/stat")).unwrap_or_default();
                let state = stat.rsplit_once(") ").and_then(|(_, r)| r.chars().next());
                comm.trim() == "sleep" && state == Some('S')
            })
    };
    let mut child = None;
    assert!(wait_until(20, || {
        child = sleeping();
        child.is_some()
    }));
    let child: i32 = child.unwrap().parse().unwrap();
    // SAFETY: a signal to our own grandchild.
    unsafe { libc::kill(child, libc::SIGKILL) };
    assert!(wait_exit(&mut r, 20).is_some());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains(
            "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=30, tv_nsec=0},  <unfinished ...>)"
        ),
        "{text}"
    );
    assert!(text.contains("+++ killed by SIGKILL +++"), "{text}");
}
