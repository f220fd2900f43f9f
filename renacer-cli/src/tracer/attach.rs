//! `-p PID[,PID...]`: seize every thread of running processes, trace until
//! they exit or renacer gets SIGINT/SIGTERM/SIGHUP/SIGQUIT, then detach
//! cleanly so the processes keep running exactly as before.

use super::event_loop::{Task, Tracer};
use super::{sys, Error};
use crate::args::Options;
use crate::output::Sink;
use std::time::Duration;

/// How often a busy trace checks for a pending detach signal, in stops.
const SIGNAL_POLL_EVERY: u32 = 64;

fn seize_all(pid: i32, options: u32) -> Result<Vec<i32>, Error> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/task")).map_err(|_| {
        Error::msg(format!(
            "attach: ptrace(PTRACE_SEIZE, {pid}): No such process"
        ))
    })?;
    let mut tids: Vec<i32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_unstable();
    let mut seized = Vec::new();
    for tid in tids {
        match sys::seize(tid, options) {
            Ok(()) => seized.push(tid),
            // A thread that exited between readdir and seize is not an error.
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) && tid != pid => {}
            Err(e) => {
                let hint = crate::procfs::seize_refusal(tid)
                    .map(|why| format!(" ({why})"))
                    .unwrap_or_default();
                let msg = e.to_string();
                let msg = msg.split(" (os error").next().unwrap_or(&msg);
                return Err(Error::msg(format!(
                    "attach: ptrace(PTRACE_SEIZE, {tid}): {msg}{hint}"
                )));
            }
        }
    }
    for &tid in &seized {
        let _ = sys::interrupt(tid);
    }
    Ok(seized)
}

/// Attach to `opts.pids`, trace, detach. Exit status 0.
pub(super) fn attach(
    opts: &Options,
    sink: &mut dyn Sink,
    source: Option<&mut crate::source::Resolver>,
) -> Result<u8, Error> {
    // -I: which signals end the session cleanly (blocked and polled);
    // -I 1 leaves them deadly, -I 3/4 ignores them.
    use crate::args::Interruptible;
    let detach_on: &[i32] = match opts.interruptible {
        Interruptible::Waiting => &sys::DETACH_SIGNALS,
        Interruptible::Anywhere => &[],
        i @ (Interruptible::Never | Interruptible::NeverTstp) => {
            sys::ignore_fatal_signals(i == Interruptible::NeverTstp);
            &[]
        }
    };
    let mut wait_set = detach_on.to_vec();
    wait_set.push(libc::SIGCHLD);
    sys::block_signals(&wait_set);
    let mut options = libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_TRACEEXEC;
    if opts.follow {
        options |= libc::PTRACE_O_TRACECLONE | libc::PTRACE_O_TRACEFORK | libc::PTRACE_O_TRACEVFORK;
    }
    let mut t = Tracer::new(opts, sink, false, source);
    for &pid in &opts.pids {
        let tids = seize_all(pid, options as u32)?;
        for &tid in &tids {
            t.tasks.insert(tid, Task::new(pid, false, true));
        }
        if !opts.quiet {
            if tids.len() > 1 {
                crate::report::say!(
                    "renacer: Process {pid} attached with {} threads",
                    tids.len()
                );
            } else {
                crate::report::say!("renacer: Process {pid} attached");
            }
        }
    }
    t.main_pid = opts.pids[0];
    let mut since_poll = 0u32;
    let mut detach = false;
    while !t.tasks.is_empty() {
        since_poll += 1;
        if since_poll >= SIGNAL_POLL_EVERY {
            since_poll = 0;
            if !detach_on.is_empty() && sys::wait_signal(detach_on, Duration::ZERO).is_some() {
                detach = true;
                break;
            }
        }
        match t.next_stop(true) {
            Ok(Some((tid, status))) => t.handle(tid, status).map_err(|e| Error::io("write", e))?,
            Ok(None) => {
                // Idle: make output live, then sleep until a stop or a signal.
                let _ = t.sink.flush();
                match sys::wait_signal(&wait_set, t.idle_wait(Duration::from_millis(100))) {
                    Some(s) if s != libc::SIGCHLD => {
                        detach = true;
                        break;
                    }
                    _ => {}
                }
            }
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
            Err(e) if e.raw_os_error() == Some(libc::ECHILD) => break,
            Err(e) => return Err(Error::io("waitpid", e)),
        }
    }
    if detach {
        // Only processes still traced are detached (and said to be): one
        // that exited meanwhile got its exit line instead.
        let traced: Vec<i32> = opts
            .pids
            .iter()
            .copied()
            .filter(|pid| t.tasks.values().any(|task| task.tgid == *pid))
            .collect();
        detach_all(&mut t)?;
        if !opts.quiet {
            for pid in traced {
                crate::report::say!("renacer: Process {pid} detached");
            }
        }
    }
    Ok(0)
}

/// Stop every task, then detach it from that stop, passing on a signal
/// that was about to be delivered so nothing is lost.
fn detach_all(t: &mut Tracer) -> Result<(), Error> {
    // Tasks held by an injected delay are already stopped: no interrupt
    // would report them again.
    for (tid, sig) in t.take_held() {
        if let Some((pid, p)) = t.take_pending(tid) {
            t.emit_unfinished(tid, pid, p, crate::output::DETACHED)
                .map_err(|e| Error::io("write", e))?;
        }
        let _ = sys::detach(tid, sig);
        t.tasks.remove(&tid);
    }
    let tids: Vec<i32> = t.tasks.keys().copied().collect();
    for tid in tids {
        let _ = sys::interrupt(tid);
    }
    while !t.tasks.is_empty() {
        let (tid, status) = match sys::wait_any(false) {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(_) => break,
        };
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            t.tasks.remove(&tid);
            continue;
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        let sig = libc::WSTOPSIG(status);
        let event = (status >> 16) & 0xff;
        let inject = if event == 0 && sig != (libc::SIGTRAP | 0x80) {
            sig
        } else {
            0
        };
        if let Some((pid, p)) = t.take_pending(tid) {
            t.emit_unfinished(tid, pid, p, crate::output::DETACHED)
                .map_err(|e| Error::io("write", e))?;
        }
        let _ = sys::detach(tid, inject);
        t.tasks.remove(&tid);
    }
    Ok(())
}
