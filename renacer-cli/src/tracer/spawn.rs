//! Launching the traced command: resolve it on `PATH` (so a missing command
//! is a clean one-line error, not a traced failing execve), fork, seize the
//! child while it waits on a pipe, optionally install the seccomp filter,
//! then let it `execve`.
//!
//! With `-D` the roles of the fork are swapped, as in strace: the original
//! process becomes the command (so it stays its starter's child), the child
//! forks the tracer and exits at once (the command reaps it), and the
//! grandchild seizes the original process and lets it go on.

use super::{sys, Error};
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

fn is_executable(p: &Path) -> bool {
    let Ok(c) = CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string for the call.
    p.is_file() && unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0
}

/// Find `prog` like `execvp` would.
pub(super) fn resolve(prog: &OsString) -> Result<PathBuf, Error> {
    let p = Path::new(prog);
    let shown = p.display();
    if prog.as_bytes().contains(&b'/') {
        if !p.exists() {
            return Err(Error::usage(format!(
                "cannot run '{shown}': No such file or directory"
            )));
        }
        if !is_executable(p) {
            return Err(Error::usage(format!(
                "cannot run '{shown}': Permission denied"
            )));
        }
        return Ok(p.to_path_buf());
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    for dir in std::env::split_paths(&path) {
        let cand = dir.join(p);
        if is_executable(&cand) {
            return Ok(cand);
        }
    }
    Err(Error::usage(format!(
        "cannot run '{shown}': command not found"
    )))
}

fn cstring(b: &[u8]) -> Result<CString, Error> {
    CString::new(b).map_err(|_| Error::usage("argument contains a NUL byte".into()))
}

/// Start `argv` traced. Returns the child's pid, stopped in a
/// `PTRACE_EVENT_STOP` and already resumed with `resume`.
/// How the command's process is set up before its `execve`.
pub(super) struct Setup<'a> {
    /// `-E VAR=val` (set) / `-E VAR` (remove), in order.
    pub env_changes: &'a [(OsString, Option<OsString>)],
    /// renacer's own variables (spool, trace context, CUDA injection).
    pub extra_env: &'a [(String, String)],
    /// `-u USER`: the identity to run as.
    pub run_as: Option<&'a crate::user::RunAs>,
    /// `-D`: trace from a grandchild.
    pub daemonize: crate::args::Daemonize,
}

/// The command's environment: renacer's, with `-E` applied, then renacer's
/// own variables.
fn environment(setup: &Setup<'_>) -> Result<Vec<CString>, Error> {
    let mut vars: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    for (k, v) in setup.env_changes {
        vars.retain(|(ek, _)| ek != k);
        if let Some(v) = v {
            vars.push((k.clone(), v.clone()));
        }
    }
    let mut env = Vec::new();
    for (k, v) in &vars {
        if setup
            .extra_env
            .iter()
            .any(|(ek, _)| ek.as_bytes() == k.as_bytes())
        {
            continue;
        }
        let mut kv = k.as_bytes().to_vec();
        kv.push(b'=');
        kv.extend_from_slice(v.as_bytes());
        env.push(cstring(&kv)?);
    }
    for (k, v) in setup.extra_env {
        env.push(cstring(format!("{k}={v}").as_bytes())?);
    }
    Ok(env)
}

pub(super) fn spawn(
    argv: &[OsString],
    setup: &Setup<'_>,
    options: u32,
    filter: Option<&[libc::sock_filter]>,
    resume: fn(i32, i32) -> std::io::Result<()>,
) -> Result<i32, Error> {
    let path = resolve(&argv[0])?;
    let c_path = cstring(path.as_os_str().as_bytes())?;
    let c_argv: Vec<CString> = argv
        .iter()
        .map(|a| cstring(a.as_bytes()))
        .collect::<Result<_, _>>()?;
    let env = environment(setup)?;
    let mut argv_p: Vec<*const libc::c_char> = c_argv.iter().map(|c| c.as_ptr()).collect();
    argv_p.push(std::ptr::null());
    let mut env_p: Vec<*const libc::c_char> = env.iter().map(|c| c.as_ptr()).collect();
    env_p.push(std::ptr::null());

    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a live [i32; 2] as pipe2 requires.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::io("pipe", std::io::Error::last_os_error()));
    }
    let (rd, wr) = (fds[0], fds[1]);
    use crate::args::Daemonize;
    let daemon = setup.daemonize != Daemonize::Off;
    // SAFETY: getpid has no preconditions.
    let original = unsafe { libc::getpid() };
    // SAFETY: renacer is single-threaded here; the side that becomes the
    // command only calls async-signal-safe functions (read, prctl,
    // waitpid, seccomp, execve, _exit) on memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Error::io("fork", std::io::Error::last_os_error()));
    }
    if (pid == 0) != daemon {
        if daemon {
            // SAFETY: closing our copy of the write end, so a tracer that
            // dies before writing reads as end of file here.
            unsafe { libc::close(wr) };
            // Yama's ptrace_scope=1 lets only ancestors attach; the tracer
            // is a grandchild. Any process may attach for the handshake,
            // then the exception is withdrawn (EINVAL without Yama).
            // SAFETY: prctl with integer arguments.
            unsafe { libc::prctl(libc::PR_SET_PTRACER, libc::PR_SET_PTRACER_ANY, 0, 0, 0) };
        }
        let mut b = 0u8;
        let got = loop {
            // SAFETY: reading one byte into a live local.
            let n = unsafe { libc::read(rd, (&mut b as *mut u8).cast(), 1) };
            if n >= 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                break n == 1;
            }
        };
        if !got {
            // The tracer is gone before it attached: never run untraced.
            // SAFETY: _exit is async-signal-safe.
            unsafe { libc::_exit(1) };
        }
        if daemon {
            // SAFETY: prctl with integer arguments; waitpid reaps the
            // intermediate child (it exits as soon as the tracer forked).
            unsafe {
                libc::prctl(libc::PR_SET_PTRACER, 0, 0, 0, 0);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
        // Rust's runtime ignores SIGPIPE in renacer; an ignored disposition
        // survives execve, so restore the default the command would have had.
        // SAFETY: resetting a disposition to SIG_DFL is async-signal-safe.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        if let Some(u) = setup.run_as {
            // Groups first, then the gid, then the uid (after which the
            // others could no longer be changed).
            // SAFETY: plain syscalls on memory prepared before the fork.
            let ok = unsafe {
                libc::setgroups(u.groups.len(), u.groups.as_ptr()) == 0
                    && libc::setgid(u.gid) == 0
                    && libc::setuid(u.uid) == 0
            };
            if !ok {
                // SAFETY: _exit is async-signal-safe.
                unsafe { libc::_exit(126) };
            }
        }
        if let Some(f) = filter {
            // SAFETY: single-threaded child after fork; `f` was built by
            // seccomp::program.
            if !unsafe { super::seccomp::install(f) } {
                // SAFETY: _exit is async-signal-safe.
                unsafe { libc::_exit(126) };
            }
        }
        // SAFETY: all pointers are NUL-terminated arrays of C strings kept
        // alive by the parent's copies, which the child shares.
        unsafe { libc::execve(c_path.as_ptr(), argv_p.as_ptr(), env_p.as_ptr()) };
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(127) };
    }
    let close = |fd| {
        // SAFETY: closing our own pipe end once.
        unsafe { libc::close(fd) };
    };
    close(rd);
    let pid = if daemon {
        become_grandchild(setup.daemonize);
        original
    } else {
        pid
    };
    let fail = |what: &str, e: std::io::Error| {
        let _ = sys::kill(pid, libc::SIGKILL);
        Error::io(what, e)
    };
    sys::seize(pid, options).map_err(|e| fail("ptrace(PTRACE_SEIZE)", e))?;
    sys::interrupt(pid).map_err(|e| fail("ptrace(PTRACE_INTERRUPT)", e))?;
    let mut status = 0;
    // SAFETY: `status` is a live i32.
    let w = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
    if w != pid || !libc::WIFSTOPPED(status) {
        return Err(fail("waitpid", std::io::Error::other("child did not stop")));
    }
    resume(pid, 0).map_err(|e| fail("ptrace(resume)", e))?;
    let one = [1u8];
    // SAFETY: writing one byte from a live buffer to our pipe end.
    unsafe { libc::write(wr, one.as_ptr().cast(), 1) };
    close(wr);
    Ok(pid)
}

/// `-D`, in the original process's child: fork the tracer and exit, so
/// the tracer is a grandchild of the command (re-parented away from it)
/// and the command's `waitpid` reaps only this short-lived child.
fn become_grandchild(how: crate::args::Daemonize) {
    // SAFETY: single-threaded (this is a fresh fork of a single-threaded
    // renacer); the intermediate child only forks and exits.
    let g = unsafe { libc::fork() };
    if g != 0 {
        // SAFETY: _exit is async-signal-safe. A failed fork exits 1, which
        // leaves the command at end of file on its pipe: it exits 1 too.
        unsafe { libc::_exit(if g > 0 { 0 } else { 1 }) };
    }
    // SAFETY: plain syscalls on our own process.
    unsafe {
        match how {
            crate::args::Daemonize::Pgroup => {
                libc::setpgid(0, 0);
            }
            crate::args::Daemonize::Session => {
                libc::setsid();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_on_path_or_fails_cleanly() {
        assert!(resolve(&OsString::from("sh")).is_ok());
        let e = resolve(&OsString::from("definitely-not-a-command-xyz")).unwrap_err();
        assert!(e.to_string().contains("command not found"));
        let e = resolve(&OsString::from("/nonexistent/x")).unwrap_err();
        assert!(e.to_string().contains("No such file"));
    }
}
