//! `-p`: attach to running processes, detach cleanly on SIGINT/SIGTERM, and
//! refuse a second tracer with a clear message.

mod common;
use common::*;
use std::process::{Child, Command, Stdio};

const SLEEPER: &str = r#"
#include <pthread.h>
#include <unistd.h>
static void *spin(void *a) { (void)a; for (;;) { usleep(20000); getppid(); } return 0; }
int main(void) {
    pthread_t t;
    pthread_create(&t, 0, spin, 0);
    for (;;) { usleep(20000); getpid(); }
}
"#;

fn status_field(pid: u32, field: &str) -> Option<String> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .map(|v| v.trim().to_string())
}

fn state(pid: u32) -> char {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    s.rsplit_once(") ")
        .and_then(|(_, r)| r.chars().next())
        .unwrap_or('?')
}

struct Target(Child);
impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_target() -> Target {
    let exe = compile("sleeper", SLEEPER);
    let t = Target(Command::new(exe).spawn().expect("spawn sleeper"));
    let pid = t.0.id();
    assert!(wait_until(10, || std::fs::read_dir(format!(
        "/proc/{pid}/task"
    ))
    .map(|d| d.count())
    .unwrap_or(0)
        == 2));
    t
}

fn start_renacer(pid: u32, extra: &[&str], out: &std::path::Path) -> Child {
    start_renacer_on(&pid.to_string(), extra, out)
}

/// `renacer EXTRA -o OUT -p PIDS` with stderr captured.
fn start_renacer_on(pids: &str, extra: &[&str], out: &std::path::Path) -> Child {
    Command::new(renacer())
        .args(extra)
        .arg("-o")
        .arg(out)
        .arg("-p")
        .arg(pids)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn renacer")
}

fn traced_by(pid: u32, tracer: u32) -> bool {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    tasks.filter_map(|e| e.ok()).all(|e| {
        let tid: u32 = e.file_name().to_str().unwrap().parse().unwrap();
        let s =
            std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).unwrap_or_default();
        s.lines()
            .any(|l| l.strip_prefix("TracerPid:").map(|v| v.trim()) == Some(&tracer.to_string()))
    })
}

fn detach_with(sig: i32, extra: &[&str]) -> (String, String) {
    let target = start_target();
    let pid = target.0.id();
    let out = workdir().join(format!("attach-{sig}-{}.txt", extra.len()));
    let r = start_renacer(pid, extra, &out);
    let rpid = r.id();
    assert!(
        wait_until(20, || traced_by(pid, rpid)),
        "all threads attached"
    );
    // Output is flushed whenever the tracer goes idle: wait for a traced call.
    assert!(wait_until(20, || std::fs::read_to_string(&out)
        .is_ok_and(|t| t.contains("getpid()"))));
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(rpid as i32, sig) };
    let o = r.wait_with_output_bounded();
    assert_eq!(o.0, Some(0), "renacer exits 0 after detaching");
    assert!(wait_until(10, || status_field(pid, "TracerPid:")
        .as_deref()
        == Some("0")));
    let st = state(pid);
    assert!(
        st == 'S' || st == 'R',
        "process keeps running after detach, state {st}"
    );
    assert_eq!(target.0.id(), pid);
    (std::fs::read_to_string(&out).unwrap_or_default(), o.1)
}

trait BoundedWait {
    fn wait_with_output_bounded(self) -> (Option<i32>, String);
}
impl BoundedWait for Child {
    fn wait_with_output_bounded(mut self) -> (Option<i32>, String) {
        let status = wait_exit(&mut self, 20);
        if status.is_none() {
            let _ = self.kill();
        }
        let code = status.and_then(|s| s.code());
        let mut err = String::new();
        if let Some(mut e) = self.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        (code, err)
    }
}

#[test]
fn sigint_detaches_and_process_keeps_running() {
    let (text, err) = detach_with(libc::SIGINT, &[]);
    assert!(err.contains("attached with 2 threads"), "{err}");
    assert!(err.contains("detached"), "{err}");
    assert!(text.contains("getpid()"), "{text}");
}

#[test]
fn sigterm_detaches_quietly_with_q() {
    // With a filter: attached processes get no seccomp program, the tracer
    // filters (only getpid lines).
    let (text, err) = detach_with(libc::SIGTERM, &["-q", "-e", "trace=getpid"]);
    let calls = syscall_lines(&text);
    assert!(
        !calls.is_empty() && calls.iter().all(|l| l.starts_with("getpid()")),
        "{text}"
    );
    assert!(
        !err.contains("attached") && !err.contains("detached"),
        "{err}"
    );
}

#[test]
fn second_tracer_is_refused_clearly() {
    let target = start_target();
    let pid = target.0.id();
    let out = workdir().join("attach-first.txt");
    let first = start_renacer(pid, &["-q"], &out);
    let fpid = first.id();
    assert!(wait_until(20, || traced_by(pid, fpid)));
    let err = renacer_failure(&["-p", &pid.to_string()], 1);
    assert_eq!(
        err.trim_end(),
        format!("renacer: attach: ptrace(PTRACE_SEIZE, {pid}): Operation not permitted (already traced by process {fpid})")
    );
    // SAFETY: signalling our own child.
    unsafe { libc::kill(fpid as i32, libc::SIGINT) };
    assert_eq!(first.wait_with_output_bounded().0, Some(0));
}

#[test]
fn attach_to_missing_pid_fails() {
    assert!(renacer_failure(&["-p", "999999999"], 1).contains("No such process"));
}

#[test]
fn several_pids_attach_and_detach_together() {
    let a = start_target();
    let b = start_target();
    let (pa, pb) = (a.0.id(), b.0.id());
    let out = workdir().join("attach-two.txt");
    let r = start_renacer_on(&format!("{pa},{pb}"), &[], &out);
    let rpid = r.id();
    assert!(wait_until(20, || traced_by(pa, rpid) && traced_by(pb, rpid)));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(rpid as i32, libc::SIGINT) };
    let (code, err) = r.wait_with_output_bounded();
    assert_eq!(code, Some(0));
    assert!(
        err.contains(&format!("Process {pa} attached"))
            && err.contains(&format!("Process {pb} attached")),
        "{err}"
    );
    for pid in [pa, pb] {
        assert!(wait_until(10, || status_field(pid, "TracerPid:")
            .as_deref()
            == Some("0")));
        assert!(matches!(state(pid), 'S' | 'R'));
    }
}

fn voluntary_switches(pid: u32) -> u64 {
    status_field(pid, "voluntary_ctxt_switches:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn unified_attach_gives_the_syscalls_of_the_attached_process() {
    let target = start_target();
    let pid = target.0.id();
    let out = workdir().join("attach-unified.json");
    let r = start_renacer(pid, &["--format", "unified-json"], &out);
    let rpid = r.id();
    assert!(wait_until(20, || traced_by(pid, rpid)), "attached");
    // The unified trace is written at the end only: wait until the sleeper
    // has run (and so stopped at syscalls) a few times while traced.
    let before = voluntary_switches(pid);
    assert!(wait_until(20, || voluntary_switches(pid) >= before + 4));
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(rpid as i32, libc::SIGINT) };
    let (code, err) = r.wait_with_output_bounded();
    assert_eq!(code, Some(0), "{err}");
    let text = std::fs::read_to_string(&out).expect("trace written at detach");
    let v: serde_json::Value = serde_json::from_str(&text).expect("unified JSON");
    let items = v["items"].as_array().expect("items");
    // One process, named from /proc/PID/cmdline, no SDK spans (the attached
    // process never got TRACEPARENT/RENACER_SPOOL), its syscalls under it.
    assert_eq!(items[0]["kind"], "process");
    assert_eq!(items[0]["pid"], pid);
    assert!(
        items[0]["exe"]
            .as_str()
            .is_some_and(|e| e.ends_with("sleeper")),
        "{}",
        items[0]
    );
    assert!(items.iter().all(|i| i["kind"] != "function"));
    assert!(items
        .iter()
        .any(|i| i["kind"] == "syscall" && i["name"] == "getpid"));
    assert!(items
        .iter()
        .filter(|i| i["kind"] == "syscall")
        .all(|i| i["pid"] == pid));
}

/// A zombie cannot be attached; the message says so rather than guessing
/// "already traced".
#[test]
fn a_zombie_is_refused_with_the_reason() {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    assert!(wait_until(10, || state(pid) == 'Z'));
    let err = renacer_failure(&["-p", &pid.to_string()], 1);
    assert!(
        err.contains("(a zombie: it has exited and awaits its parent)"),
        "{err}"
    );
    let _ = child.wait();
}

/// Two `-p` with `-o FILE`: every line keeps its `PID ` prefix after one
/// process has exited (strace decides the prefix once, at the start), and
/// only the process still traced is said to be detached.
#[test]
fn two_pids_keep_prefixes_and_only_the_live_one_is_detached() {
    let a = start_target();
    let mut b = Command::new("sleep").arg("1").spawn().unwrap();
    let (pa, pb) = (a.0.id(), b.id());
    let out = workdir().join("attach-two-exit.txt");
    let r = start_renacer_on(&format!("{pa},{pb}"), &[], &out);
    let rpid = r.id();
    assert!(wait_until(20, || traced_by(pa, rpid) && traced_by(pb, rpid)));
    // b exits on its own while traced; a keeps making calls after that.
    let _ = b.wait();
    let exited = format!("{pb:<5} +++ exited with 0 +++");
    assert!(wait_until(20, || std::fs::read_to_string(&out).is_ok_and(
        |t| t.contains(&exited)
            && t.split(&exited)
                .nth(1)
                .is_some_and(|after| after.contains("getpid()"))
    )));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(rpid as i32, libc::SIGINT) };
    let (code, err) = r.wait_with_output_bounded();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains(&format!("Process {pa} detached")), "{err}");
    assert!(!err.contains(&format!("Process {pb} detached")), "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    // `TID ` on every line (the sleeper's two threads and b).
    for l in text.lines() {
        let (tid, _) = l.split_once(' ').unwrap_or_default();
        assert!(tid.parse::<u32>().is_ok(), "{l}\n{text}");
    }
}
