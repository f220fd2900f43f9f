//! The stop-handling state machine shared by launched and attached tracing.

use super::spin::Spin;
use super::status::Status;
use super::{seccomp, spawn, sys, Error};
use crate::arch::{self, Arch};
use crate::args::Options;
use crate::decode::{self, ret, signals, Ctx, Mem};
use crate::output::{Event, Sink, SyscallEvent, DETACHED};
// The SDK stamps spans with this same clock; one definition keeps syscall
// and span times comparable in the unified trace.
use renacer::clock::now_monotonic_ns;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

const EVENT_FORK: i32 = 1;
const EVENT_VFORK: i32 = 2;
const EVENT_CLONE: i32 = 3;
const EVENT_EXEC: i32 = 4;
const EVENT_SECCOMP: i32 = 7;

/// A syscall between its entry and exit stops.
pub(super) struct Pending {
    arch: &'static Arch,
    nr: u64,
    args: [u64; 6],
    entry_ns: u64,
    /// Arguments decoded at entry (execve: the old image is gone at exit).
    pre_text: Option<String>,
    /// `-Y`: an execve's caller's command name, read at entry.
    comm: Option<String>,
    /// A blocking call's arguments decoded at entry, for the line printed
    /// if its task dies in it (`decode::blocks_on_memory_inputs`).
    entry_args: Option<Vec<String>>,
    /// `-y` path of `close`'s fd or `dup2`'s new fd at entry, before the
    /// call changes it (`None`: not open then).
    fd_hint: Option<(u64, Option<String>)>,
    /// A value-result length at entry (`getsockname`'s `[128 => 16]`).
    len_in: Option<u32>,
    /// `--source` / `-k`: unwound at entry (the image is gone after execve).
    source: Option<Box<crate::source::SyscallSource>>,
    /// The instruction pointer at entry (`-i`).
    ip: u64,
    /// `-e inject=` fired at entry: what to do at exit.
    inject: Option<Injected>,
    /// An execve made by a non-leader thread, now running under the
    /// leader's tid: the line shows the thread that called it.
    exec_caller: Option<i32>,
    /// The task's system CPU time at the entry stop (`-c`'s default clock).
    entry_stime: Option<u64>,
}

/// An injection under way (`-e inject=` / `-e fault=`).
#[derive(Debug, Clone, Copy)]
struct Injected {
    /// The result written at exit; `None`: the call ran (signal only).
    result: Option<i64>,
    signal: Option<i32>,
    delay_enter: Option<Duration>,
    delay_exit: Option<Duration>,
}

/// A task held at a stop by `-e inject=...:delay_enter=/delay_exit=`,
/// resumed (with `sig`) once `until` has passed.
struct Held {
    until: Instant,
    tid: i32,
    sig: i32,
}

/// One traced thread.
pub(super) struct Task {
    pub tgid: i32,
    pending: Option<Pending>,
    /// Launched child before its `execve`: its own setup is not shown.
    hidden: bool,
    /// Printed at all (`-f`, or the initial process).
    visible: bool,
    /// Calls seen per `-e inject=` rule (`when=` counts per thread).
    inject_counts: Vec<u64>,
    /// An injected delay to apply when the task is next resumed.
    hold: Option<Duration>,
}

impl Task {
    pub(super) fn new(tgid: i32, hidden: bool, visible: bool) -> Self {
        Task {
            tgid,
            inject_counts: Vec::new(),
            hold: None,
            pending: None,
            hidden,
            visible,
        }
    }
}

/// The tracer's state.
pub(super) struct Tracer<'a> {
    pub opts: &'a Options,
    pub sink: &'a mut dyn Sink,
    pub tasks: HashMap<i32, Task>,
    pub seccomp: bool,
    pub main_pid: i32,
    pub main_status: Option<u8>,
    want_text: bool,
    want_process_events: bool,
    /// `--source` / `-k`.
    source: Option<&'a mut crate::source::Resolver>,
    /// `-c` reads system CPU time: every wait asks for the rusage.
    measure_cpu: bool,
    /// The system CPU time reported with the stop being handled.
    stop_stime: Option<u64>,
    /// `-b execve` spares the launched command's first exec (strace's
    /// `skip_one_b_execve`): true until it has happened.
    pub spare_first_exec: bool,
    /// Tasks held by an injected delay, in no particular order (few).
    held: Vec<Held>,
    /// How a blocking wait for the next stop waits.
    spin: Spin,
}

/// Counts the call for every `-e inject=` rule whose set holds it and
/// returns what the first rule that fires injects.
fn fire_injection(
    rules: &[crate::inject::Rule],
    counts: &mut Vec<u64>,
    a: &Arch,
    nr: u64,
) -> Option<Injected> {
    use crate::inject::Action;
    counts.resize(rules.len(), 0);
    let mut fired = None;
    for (rule, n) in rules.iter().zip(counts.iter_mut()) {
        if !rule.set.contains(a, nr) {
            continue;
        }
        *n += 1;
        if fired.is_none() && rule.fires(*n) {
            fired = Some(Injected {
                result: match rule.action {
                    Action::Error(e) => Some(-i64::from(e)),
                    Action::Retval(v) => Some(v),
                    Action::Run => None,
                },
                signal: rule.signal,
                delay_enter: rule.delay_enter,
                delay_exit: rule.delay_exit,
            });
        }
    }
    fired
}

/// The argument of `name` that names an fd the call closes or replaces:
/// `-y` shows what it was before.
fn fd_changed_by(name: &str) -> Option<usize> {
    match name {
        "close" => Some(0),
        "dup2" | "dup3" => Some(1),
        _ => None,
    }
}

fn is_exec(name: &str) -> bool {
    name == "execve" || name == "execveat"
}

impl<'a> Tracer<'a> {
    pub(super) fn new(
        opts: &'a Options,
        sink: &'a mut dyn Sink,
        seccomp: bool,
        source: Option<&'a mut crate::source::Resolver>,
    ) -> Self {
        let want_text = sink.wants_text();
        let want_process_events = sink.wants_process_events();
        Tracer {
            opts,
            sink,
            tasks: HashMap::new(),
            seccomp,
            main_pid: 0,
            main_status: None,
            want_text,
            want_process_events,
            source,
            measure_cpu: opts.summary != crate::args::Summary::Off
                && opts.summary_spec.clock == crate::summary_spec::Clock::System,
            stop_stime: None,
            spare_first_exec: false,
            held: Vec::new(),
            spin: Spin::new(),
        }
    }

    /// The next stop (`waitpid`), with the task's system CPU time noted
    /// for [`Tracer::handle`] when `-c` measures it.
    ///
    /// While tasks are held by an injected delay, a blocking wait sleeps
    /// only until the next one is due (or any stop arrives: SIGCHLD is
    /// blocked for this) and releases the due ones first.
    pub(super) fn next_stop(&mut self, nohang: bool) -> io::Result<Option<(i32, i32)>> {
        loop {
            self.release_held();
            let Some(due_in) = self.next_release() else {
                return self.wait_stop(nohang);
            };
            if let Some(stop) = self.wait_stop(true)? {
                return Ok(Some(stop));
            }
            if nohang {
                return Ok(None);
            }
            sys::wait_signal(&[libc::SIGCHLD], due_in);
        }
    }

    /// How long an idle tracer may sleep: `max`, or less when a held task
    /// is due sooner.
    pub(super) fn idle_wait(&self, max: Duration) -> Duration {
        self.next_release().map_or(max, |d| d.min(max))
    }

    fn next_release(&self) -> Option<Duration> {
        if self.held.is_empty() {
            return None;
        }
        let now = Instant::now();
        self.held
            .iter()
            .map(|h| h.until.saturating_duration_since(now))
            .min()
    }

    fn release_held(&mut self) {
        if self.held.is_empty() {
            return;
        }
        let now = Instant::now();
        let (due, later): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.until <= now);
        self.held = later;
        for h in due {
            self.resume_now(h.tid, h.sig);
        }
    }

    /// Tasks held by an injected delay, with their signals (for detaching).
    pub(super) fn take_held(&mut self) -> Vec<(i32, i32)> {
        self.held.drain(..).map(|h| (h.tid, h.sig)).collect()
    }

    fn wait_stop(&mut self, nohang: bool) -> io::Result<Option<(i32, i32)>> {
        let measure_cpu = self.measure_cpu;
        let wait = |nohang| {
            if measure_cpu {
                sys::wait_any_with_stime(nohang)
            } else {
                sys::wait_any(nohang).map(|o| o.map(|(tid, status)| (tid, status, 0)))
            }
        };
        let stop = if nohang {
            wait(true)?
        } else {
            self.spin.wait(|| wait(true), || wait(false))?
        };
        if measure_cpu {
            self.stop_stime = stop.map(|(_, _, stime)| stime);
        }
        Ok(stop.map(|(tid, status, _)| (tid, status)))
    }

    fn multi(&self) -> bool {
        self.tasks.values().filter(|t| t.visible).count() > 1
    }

    fn emit(&mut self, ev: Event) -> io::Result<()> {
        let multi = self.multi();
        self.sink.event(&ev, multi)
    }

    /// Resume `tid`: to the next syscall stop while a call is open (or
    /// always without seccomp), else to the next seccomp/event stop.
    fn resume(&mut self, tid: i32, sig: i32) {
        if let Some(d) = self.tasks.get_mut(&tid).and_then(|t| t.hold.take()) {
            // An absurd delay (strace accepts any) waits "forever", never
            // overflows the clock.
            let now = Instant::now();
            let until = now
                .checked_add(d)
                .unwrap_or(now + Duration::from_secs(u64::from(u32::MAX)));
            self.held.push(Held { until, tid, sig });
            return;
        }
        self.resume_now(tid, sig);
    }

    fn resume_now(&self, tid: i32, sig: i32) {
        let open = self.tasks.get(&tid).is_some_and(|t| t.pending.is_some());
        let _ = if self.seccomp && !open {
            sys::resume_cont(tid, sig)
        } else {
            sys::resume_syscall(tid, sig)
        };
    }

    fn task(&mut self, tid: i32) -> &mut Task {
        let follow = self.opts.follow;
        self.tasks
            .entry(tid)
            .or_insert_with(|| Task::new(crate::procfs::tgid_of(tid).unwrap_or(tid), false, follow))
    }

    /// Handle one `waitpid` result.
    pub(super) fn handle(&mut self, tid: i32, status: i32) -> io::Result<()> {
        let status = Status::decode(status);
        match status {
            Status::Exited(_) | Status::Killed { .. } => return self.on_death(tid, status),
            Status::Other => return Ok(()),
            _ => {}
        }
        self.task(tid);
        match status {
            Status::Syscall => {
                match sys::syscall_info(tid) {
                    Ok(sys::SyscallInfo::Entry {
                        arch,
                        nr,
                        args,
                        ip,
                        sp,
                    }) => {
                        self.on_entry(tid, arch, nr, args, (ip, sp));
                    }
                    Ok(sys::SyscallInfo::Exit { rval, is_error }) => {
                        let sig = self.on_exit(tid, rval, is_error)?;
                        self.resume(tid, sig);
                        return Ok(());
                    }
                    _ => {}
                }
                self.resume(tid, 0);
            }
            Status::EventStop(
                sig @ (libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU),
            ) => {
                let t = &self.tasks[&tid];
                if t.visible && !t.hidden {
                    let pid = t.tgid;
                    self.emit(Event::Stopped {
                        pid,
                        tid,
                        ts_ns: now_monotonic_ns(),
                        signo: sig,
                    })?;
                }
                let _ = sys::listen(tid);
            }
            Status::EventStop(_) => self.resume(tid, 0),
            Status::Event(event) => {
                match event {
                    EVENT_SECCOMP => {
                        if let Ok(sys::SyscallInfo::Seccomp {
                            arch,
                            nr,
                            args,
                            ip,
                            sp,
                        }) = sys::syscall_info(tid)
                        {
                            self.on_entry(tid, arch, nr, args, (ip, sp));
                        }
                    }
                    EVENT_FORK | EVENT_VFORK | EVENT_CLONE => {
                        if let Ok(new) = sys::event_msg(tid) {
                            self.on_spawn(tid, new as i32)?;
                        }
                    }
                    EVENT_EXEC if self.detaches_on_exec() => {
                        // The task is no longer ours: no resume.
                        return self.detach_at_exec(tid);
                    }
                    EVENT_EXEC => self.on_exec(tid)?,
                    _ => {}
                }
                self.resume(tid, 0);
            }
            Status::Signal(sig) => {
                // Signal-delivery stop: show it (unless `-e signal=`
                // leaves it out), then deliver it unchanged.
                let t = &self.tasks[&tid];
                if t.visible && !t.hidden && self.opts.signals.contains(sig) {
                    let pid = t.tgid;
                    let info = sys::siginfo(tid)
                        .map(|r| signals::siginfo(&r))
                        .unwrap_or_default();
                    #[cfg(target_arch = "x86_64")]
                    let ip = self
                        .opts
                        .instruction_pointer
                        .then(|| sys::instruction_pointer(tid).ok())
                        .flatten();
                    #[cfg(target_arch = "x86_64")]
                    let nr = self
                        .opts
                        .syscall_number
                        .then(|| sys::last_syscall(tid))
                        .flatten();
                    #[cfg(not(target_arch = "x86_64"))]
                    let (ip, nr) = (None, None);
                    self.emit(Event::Signal {
                        pid,
                        tid,
                        ts_ns: now_monotonic_ns(),
                        signo: sig,
                        info,
                        ip,
                        nr,
                    })?;
                }
                self.resume(tid, sig);
            }
            Status::Exited(_) | Status::Killed { .. } | Status::Other => {}
        }
        Ok(())
    }

    /// `tid` created `new` (a process or a thread): known to the builder
    /// whatever `-e` displays, so the process tree never depends on which
    /// syscalls are shown.
    fn on_spawn(&mut self, tid: i32, new: i32) -> io::Result<()> {
        let child_pid = self.task(new).tgid;
        let (parent_pid, visible) = {
            let parent = self.task(tid);
            (parent.tgid, parent.visible)
        };
        // strace announces each followed task in the trace when the trace
        // goes to stderr (not into an -o file or stdout).
        let o = self.opts;
        if visible
            && o.follow
            && !o.quiet
            && o.output == crate::args::Output::Stderr
            && o.format == crate::args::Format::Text
        {
            // The trace is buffered: flush it first so the line lands in
            // order.
            self.sink.flush()?;
            crate::report::say!("renacer: Process {new} attached");
        }
        if self.want_process_events && visible && self.tasks[&new].visible {
            self.emit(Event::Spawned {
                parent_pid,
                parent_tid: tid,
                child_pid,
                child_tid: new,
                ts_ns: now_monotonic_ns(),
            })?;
        }
        Ok(())
    }

    /// A non-leader thread that execs takes over the leader's tid: the
    /// leader's open call ends `= ?`, the leader is `superseded`, and the
    /// execve moves to the tid, still shown under the thread that made it.
    fn adopt_exec_leader(&mut self, tid: i32) -> io::Result<()> {
        let Ok(former) = sys::event_msg(tid) else {
            return Ok(());
        };
        let former = former as i32;
        if former == tid {
            return Ok(());
        }
        let Some(old) = self.tasks.remove(&former) else {
            return Ok(());
        };
        if let Some((pid, p)) = self.take_pending(tid) {
            self.emit_unfinished(tid, pid, p, "?")?;
        }
        let (pid, visible) = {
            let t = self.task(tid);
            (t.tgid, t.visible)
        };
        if visible {
            self.emit(Event::Superseded {
                pid,
                tid,
                ts_ns: now_monotonic_ns(),
                by_tid: former,
            })?;
        }
        let t = self.task(tid);
        t.pending = old.pending.map(|p| Pending {
            exec_caller: Some(former),
            ..p
        });
        Ok(())
    }

    fn on_exec(&mut self, tid: i32) -> io::Result<()> {
        self.adopt_exec_leader(tid)?;
        let task = self.task(tid);
        task.hidden = false;
        let (pid, visible) = (task.tgid, task.visible);
        if let Some(r) = self.source.as_deref_mut() {
            r.forget(pid);
        }
        if self.want_process_events && visible {
            let (exe, argv) = crate::procfs::exec_image(tid);
            self.emit(Event::Exec {
                pid,
                ts_ns: now_monotonic_ns(),
                exe,
                argv,
            })?;
        }
        Ok(())
    }

    /// Whether this exec ends the task's trace (`-b execve`).
    fn detaches_on_exec(&mut self) -> bool {
        if !self.opts.detach_on_execve {
            return false;
        }
        !std::mem::take(&mut self.spare_first_exec)
    }

    /// `-b execve`: the exec's line is left open (`<detached ...>`), as
    /// strace leaves it, and the task runs on untraced.
    fn detach_at_exec(&mut self, tid: i32) -> io::Result<()> {
        self.adopt_exec_leader(tid)?;
        if let Some((pid, p)) = self.take_pending(tid) {
            self.emit_unfinished(tid, pid, p, DETACHED)?;
        }
        let _ = sys::detach(tid, 0);
        self.tasks.remove(&tid);
        Ok(())
    }

    fn on_death(&mut self, tid: i32, status: Status) -> io::Result<()> {
        self.held.retain(|h| h.tid != tid);
        let Some(mut task) = self.tasks.remove(&tid) else {
            return Ok(());
        };
        let ts = now_monotonic_ns();
        let pid = task.tgid;
        if let Some(r) = self.source.as_deref_mut().filter(|_| tid == pid) {
            r.forget(pid);
        }
        if task.visible {
            // Put the task back while emitting so prefixes count it.
            let pending = task.pending.take();
            self.tasks.insert(tid, task);
            if let Some(p) = pending {
                self.emit_died_in_call(tid, pid, p)?;
            }
            let ev = match status {
                Status::Killed { signo, core } => Event::Killed {
                    pid,
                    tid,
                    ts_ns: ts,
                    signo,
                    core,
                },
                Status::Exited(code) => Event::Exited {
                    pid,
                    tid,
                    ts_ns: ts,
                    code,
                },
                _ => return Ok(()),
            };
            self.emit(ev)?;
            self.tasks.remove(&tid);
        }
        if tid == self.main_pid {
            self.main_status = status.exit_code();
        }
        Ok(())
    }

    /// A syscall entry (from a syscall-entry stop or a seccomp stop).
    /// Returns whether it is being traced to its exit.
    fn on_entry(
        &mut self,
        tid: i32,
        audit: u32,
        nr: u64,
        args: [u64; 6],
        (ip, sp): (u64, u64),
    ) -> bool {
        let a = arch::from_audit(audit).unwrap_or_else(arch::native);
        let name = a.name(nr);
        let selected = self.opts.trace.contains(a, nr);
        let want_text = self.want_text;
        let (strsize, decode_fds) = (self.opts.strsize, self.opts.decode_fds);
        let rules = &self.opts.inject;
        let task = self.tasks.entry(tid).or_insert_with(|| {
            Task::new(
                crate::procfs::tgid_of(tid).unwrap_or(tid),
                false,
                self.opts.follow,
            )
        });
        let tgid = task.tgid;
        // The launched command's first execve is still renacer's code (the
        // forked tracer child): shown, but its stack is not the program's.
        let launching = task.hidden;
        if task.hidden {
            if !name.is_some_and(is_exec) {
                return false;
            }
            task.hidden = false;
        }
        // As in strace, only calls that are traced (selected, in a task
        // that is followed) are tampered with.
        let print = task.visible
            && selected
            && (self.opts.paths.is_empty()
                || name.is_some_and(|n| self.opts.paths.matches(tid, n, &args)));
        let inject = name
            .filter(|_| print && !launching && std::ptr::eq(a, arch::native()))
            .and_then(|_| fire_injection(rules, &mut task.inject_counts, a, nr));
        task.hold = inject.and_then(|i| i.delay_enter);
        #[cfg(target_arch = "x86_64")]
        if let Some(Injected {
            result: Some(_), ..
        }) = inject
        {
            // The kernel skips a call whose number is -1 (and returns
            // -ENOSYS, replaced at exit).
            let _ = sys::poke_user(tid, sys::ORIG_RAX, u64::MAX);
        }
        if !print {
            return false;
        }
        let mut p = Pending {
            arch: a,
            nr,
            args,
            entry_ns: now_monotonic_ns(),
            pre_text: None,
            comm: None,
            entry_args: None,
            fd_hint: None,
            len_in: None,
            source: None,
            ip,
            inject,
            entry_stime: self.stop_stime,
            exec_caller: None,
        };
        if let Some(r) = self
            .source
            .as_deref_mut()
            .filter(|_| !launching && std::ptr::eq(a, arch::native()))
        {
            let bp = sys::frame_pointer(tid).unwrap_or(0);
            let regs = crate::source::Regs { pc: ip, sp, bp };
            p.source = Some(Box::new(r.locate(tgid, tid, regs)));
        }
        if want_text {
            let n = name.unwrap_or("");
            // Decoded now: the image is gone at exit (execve), the call
            // never returns (exit), or it overwrites its inputs (select's
            // fd sets, which the result then shows).
            let ctx = Ctx {
                mem: Mem::of(tid).structs(self.opts.verbose.contains(a, nr)),
                arch: a,
                strsize,
                decode_fds,
                fd_hint: None,
                len_in: None,
                verbose: !self.opts.abbrev.contains(a, nr),
            };
            if is_exec(n) || matches!(n, "exit" | "exit_group" | "select" | "pselect6") {
                p.pre_text = Some(decode::args(&ctx, n, &args, None));
                if is_exec(n) && decode::pids::comm_on() {
                    p.comm = decode::pids::comm(tid);
                }
            } else if decode::blocks_on_memory_inputs(n) {
                p.entry_args = Some(decode::arg_list(&ctx, n, &args, None));
            } else if n == "rt_sigreturn" {
                // The mask being restored lies in the signal frame on the
                // stack; at exit the stack pointer is the interrupted
                // code's, so it is read now.
                let mem = Mem::of(tid);
                p.pre_text = decode::signals::sigreturn_mask(mem, a, sp);
            } else if let Some(at) = decode::value_result_len_addr(n, &args) {
                p.len_in = Mem::of(tid)
                    .read(at, 4)
                    .map(|b| renacer_format::le::u32_at(&b, 0));
            } else if let Some(i) = decode_fds.then(|| fd_changed_by(n)).flatten() {
                p.fd_hint = Some((args[i], decode::fdinfo::label(tid, args[i] as i32)));
            }
        }
        self.task(tid).pending = Some(p);
        true
    }

    /// The decoding context of call `p` of `tid`.
    fn call_ctx<'p>(&self, tid: i32, p: &'p Pending) -> Ctx<'p> {
        Ctx {
            mem: Mem::of(tid).structs(self.opts.verbose.contains(p.arch, p.nr)),
            arch: p.arch,
            strsize: self.opts.strsize,
            decode_fds: self.opts.decode_fds,
            fd_hint: p.fd_hint.as_ref().map(|(f, s)| (*f, s.as_deref())),
            len_in: p.len_in,
            verbose: !self.opts.abbrev.contains(p.arch, p.nr),
        }
    }

    /// A call its task died in (killed, or ended by another thread's
    /// exit): strace's open form, `read(0,  <unfinished ...>) = ?`, from
    /// the arguments decoded at entry where the call blocks on memory that
    /// is gone now. Calls decoded whole at entry (exit, execve) stay
    /// `exit_group(0) = ?`.
    fn emit_died_in_call(&mut self, tid: i32, pid: i32, mut p: Pending) -> io::Result<()> {
        if self.want_text && p.pre_text.is_none() {
            let name = p.arch.name(p.nr).unwrap_or("");
            let list = match p.entry_args.take() {
                Some(list) => list,
                None => decode::arg_list(&self.call_ctx(tid, &p), name, &p.args, None),
            };
            p.pre_text = Some(decode::unfinished_args(name, &list));
        }
        self.emit_unfinished(tid, pid, p, "?")
    }

    fn build(&self, tid: i32, pid: i32, p: Pending, ret: Option<(i64, bool)>) -> SyscallEvent {
        let name: Cow<'static, str> = match p.arch.name(p.nr) {
            Some(n) => Cow::Borrowed(n),
            None => Cow::Owned(format!("syscall_{:#x}", p.nr)),
        };
        let exit_ns = ret.map(|_| now_monotonic_ns());
        let (mut args_text, mut ret_text) = (String::new(), String::new());
        if self.want_text {
            let ctx = self.call_ctx(tid, &p);
            let ok = ret.and_then(|(r, e)| (!e).then_some(r));
            let raw = self
                .opts
                .raw
                .as_ref()
                .is_some_and(|r| r.contains(p.arch, p.nr));
            args_text = match &p.pre_text {
                _ if raw => decode::generic(&name, &p.args),
                Some(t) => t.clone(),
                None => decode::args(&ctx, &name, &p.args, ok),
            };
            ret_text = match ret {
                // `-e raw=`: the result undecoded too (strace prints it in hex).
                Some((r, false)) if raw => decode::hex_or_zero(r as u64),
                Some((r, e)) => ret::format(&ctx, &name, &p.args, r, e),
                None => "?".into(),
            };
        }
        SyscallEvent {
            pid,
            tid,
            arch: p.arch.name,
            nr: p.nr,
            name,
            args: p.args,
            args_text,
            ret: ret.map(|(r, _)| r),
            is_error: ret.is_some_and(|(_, e)| e),
            ret_text,
            entry_ns: p.entry_ns,
            exit_ns,
            source: p.source,
            ip: p.ip,
            cpu_ns: None,
            io_dump: None,
            comm: p.comm.map(String::into_boxed_str),
        }
    }

    /// A call's exit; returns the signal `-e inject=signal=` delivers as
    /// the task resumes (0: none).
    fn on_exit(&mut self, tid: i32, mut rval: i64, mut is_error: bool) -> io::Result<i32> {
        let Some(t) = self.tasks.get_mut(&tid) else {
            return Ok(0);
        };
        let pid = t.tgid;
        let Some(p) = t.pending.take() else {
            return Ok(0);
        };
        let mut signal = 0;
        if let Some(inj) = p.inject {
            #[cfg(target_arch = "x86_64")]
            if let Some(r) = inj.result {
                let _ = sys::poke_user(tid, sys::RAX, r as u64);
                (rval, is_error) = (r, (-4095..0).contains(&r));
            }
            signal = inj.signal.unwrap_or(0);
            t.hold = inj.delay_exit;
        }
        if !self.opts.status.admits(Some(is_error)) {
            return Ok(signal);
        }
        // strace marks a changed result, not a signal-only injection.
        let injected = p.inject.is_some_and(|i| i.result.is_some());
        let delayed = p
            .inject
            .is_some_and(|i| i.delay_enter.is_some() || i.delay_exit.is_some());
        let (entry_stime, exec_caller) = (p.entry_stime, p.exec_caller);
        let mut ev = self.build(tid, pid, p, Some((rval, is_error)));
        ev.tid = exec_caller.unwrap_or(ev.tid);
        ev.cpu_ns = entry_stime
            .zip(self.stop_stime)
            .map(|(entry, exit)| exit.saturating_sub(entry));
        let (reads, writes) = (&self.opts.dump_reads, &self.opts.dump_writes);
        if self.want_text && !(reads.is_empty() && writes.is_empty()) {
            let fd = ev.args[0] as i32;
            let which = (reads.contains(fd), writes.contains(fd));
            if which != (false, false) {
                let mem = Mem::of(tid);
                ev.io_dump = decode::dump::io_dump(mem, &ev.name, &ev.args, rval, which)
                    .map(String::into_boxed_str);
            }
        }
        if injected && self.want_text {
            ev.ret_text.push_str(" (INJECTED)");
        }
        if delayed && self.want_text {
            ev.ret_text.push_str(" (DELAYED)");
        }
        self.emit(Event::Syscall(ev))?;
        Ok(signal)
    }

    /// A call that will never return to us (process exit, detach).
    pub(super) fn emit_unfinished(
        &mut self,
        tid: i32,
        pid: i32,
        p: Pending,
        text: &str,
    ) -> io::Result<()> {
        if !self.opts.status.admits(None) {
            return Ok(());
        }
        let mut ev = self.build(tid, pid, p, None);
        if self.want_text {
            ev.ret_text = text.to_string();
        }
        self.emit(Event::Syscall(ev))
    }

    /// Take the open call of `tid`, if any (used when detaching).
    pub(super) fn take_pending(&mut self, tid: i32) -> Option<(i32, Pending)> {
        let t = self.tasks.get_mut(&tid)?;
        let pid = t.tgid;
        t.pending.take().map(|p| (pid, p))
    }
}

/// Launch `opts.command` and trace it to the end; returns its exit status.
pub(super) fn launch(
    opts: &Options,
    sink: &mut dyn Sink,
    source: Option<&mut crate::source::Resolver>,
) -> Result<u8, Error> {
    let use_seccomp = !opts.trace.is_all();
    let mut options =
        libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_TRACEEXEC | libc::PTRACE_O_EXITKILL;
    // With seccomp, children must stay traced even without -f: a filter
    // returning SECCOMP_RET_TRACE with no tracer makes the call fail.
    if opts.follow || use_seccomp {
        options |= libc::PTRACE_O_TRACECLONE | libc::PTRACE_O_TRACEFORK | libc::PTRACE_O_TRACEVFORK;
    }
    if use_seccomp {
        options |= libc::PTRACE_O_TRACESECCOMP;
    }
    let prog = use_seccomp.then(|| seccomp::program(&opts.trace, arch::native()));
    let resume: fn(i32, i32) -> io::Result<()> = if use_seccomp {
        sys::resume_cont
    } else {
        sys::resume_syscall
    };
    let mut env = sink.child_env();
    if let Some(lib) = &opts.cuda_inject {
        // CUDA loads the library at cuInit and calls InitializeInjection,
        // which starts renacer's CUPTI session writing to the spool.
        env.push(("CUDA_INJECTION64_PATH".into(), lib.display().to_string()));
        env.push(("RENACER_CUDA".into(), "on".into()));
    }
    let setup = spawn::Setup {
        env_changes: &opts.env_changes,
        extra_env: &env,
        run_as: opts.run_as.as_ref(),
        daemonize: opts.daemonize,
    };
    let pid = spawn::spawn(
        &opts.command,
        &setup,
        options as u32,
        prog.as_deref(),
        resume,
    )?;
    use crate::args::Interruptible;
    match opts.interruptible {
        Interruptible::Anywhere => {}
        Interruptible::Waiting => {
            sys::ignore_signal(libc::SIGINT);
            sys::ignore_signal(libc::SIGQUIT);
            sys::forward_signals_to(pid, &[libc::SIGTERM, libc::SIGHUP]);
        }
        i @ (Interruptible::Never | Interruptible::NeverTstp) => {
            sys::ignore_fatal_signals(i == Interruptible::NeverTstp)
        }
    }
    // Injected delays sleep in sigtimedwait on SIGCHLD, blocked only now
    // so that the command does not inherit the mask.
    if opts
        .inject
        .iter()
        .any(|r| r.delay_enter.is_some() || r.delay_exit.is_some())
    {
        sys::block_signals(&[libc::SIGCHLD]);
    }
    let mut t = Tracer::new(opts, sink, use_seccomp, source);
    if opts.daemonize != crate::args::Daemonize::Off && !opts.quiet {
        crate::report::say!("renacer: Process {pid} attached");
    }
    t.main_pid = pid;
    t.spare_first_exec = true;
    t.tasks.insert(pid, Task::new(pid, true, true));
    while !t.tasks.is_empty() {
        match t.next_stop(false) {
            Ok(Some((tid, status))) => t.handle(tid, status).map_err(|e| Error::io("write", e))?,
            Ok(None) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
            Err(e) if e.raw_os_error() == Some(libc::ECHILD) => break,
            Err(e) => return Err(Error::io("waitpid", e)),
        }
    }
    Ok(t.main_status.unwrap_or(0))
}
