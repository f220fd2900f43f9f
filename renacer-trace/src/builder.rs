//! [`UnifiedBuilder`]: turns the tracer's structured events into a
//! [`MergeInput`].
//!
//! The tracer reports what ptrace told it, never presentation text:
//! - [`UnifiedBuilder::spawned`] for every `PTRACE_EVENT_FORK/VFORK/CLONE`
//!   (whatever `-e` displays), which gives the process tree and which
//!   threads belong to which process;
//! - [`UnifiedBuilder::exec`] for every successful exec, with the new
//!   program's path and whole argv read from the tracee;
//! - [`UnifiedBuilder::syscall`] for each displayed syscall and
//!   [`UnifiedBuilder::exited`] for each exit.
//!
//! A process's first event opens it, its main thread's exit closes it. A
//! fork edge hangs under the displayed `fork`/`clone` whose raw return
//! value is the child (resolved at the end: the child's first syscall often
//! completes before the parent's `clone` returns), else under the parent
//! process.

use std::collections::HashMap;

use super::{merge, ForkEdge, MergeInput, ProcessInfo, SyscallRecord, ThreadSpawn, UnifiedTrace};
use crate::model::{SpanId, SpanRecord, TraceId};

/// Default of [`UnifiedBuilder::with_limit`]: 4 M syscalls, each about 100
/// bytes plus its argument and result text.
pub const DEFAULT_SYSCALL_LIMIT: usize = 4_000_000;

/// A `PTRACE_EVENT_FORK/VFORK/CLONE` as the builder keeps it.
#[derive(Debug, Clone, Copy)]
struct Spawn {
    parent_pid: u32,
    parent_tid: u32,
    child_pid: u32,
    child_tid: u32,
}

/// Accumulates one traced run.
#[derive(Debug, Default)]
pub struct UnifiedBuilder {
    /// Syscalls kept at most; later ones are counted in `dropped`.
    limit: usize,
    dropped: u64,
    input: MergeInput,
    proc_of_pid: HashMap<u32, usize>,
    spawns: Vec<Spawn>,
    /// (thread, new task id) → index of the kept fork-like syscall of that
    /// thread that returned the new id.
    fork_syscall: HashMap<(u32, u32), usize>,
    root_argv: Vec<String>,
}

impl UnifiedBuilder {
    /// A builder for a run whose root process span is `root_span_id` in
    /// `trace_id` (both from the CLI's `SpoolSession`), started as
    /// `root_argv` (used until the process's own exec is seen).
    pub fn new(
        trace_id: Option<TraceId>,
        root_span_id: Option<SpanId>,
        external_parent: Option<SpanId>,
        root_argv: Vec<String>,
    ) -> UnifiedBuilder {
        UnifiedBuilder {
            input: MergeInput {
                trace_id,
                root_span_id,
                external_parent,
                ..MergeInput::default()
            },
            root_argv,
            limit: DEFAULT_SYSCALL_LIMIT,
            ..UnifiedBuilder::default()
        }
    }

    /// Keeps at most `max_syscalls` syscalls (the run is held in memory
    /// until it ends); later ones are dropped and counted in
    /// [`super::MergeStats::syscalls_dropped`]. Processes and exits are
    /// still tracked.
    pub fn with_limit(mut self, max_syscalls: usize) -> UnifiedBuilder {
        self.limit = max_syscalls;
        self
    }

    /// Syscalls dropped so far because of the limit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn process(&mut self, pid: u32, ts_ns: u64) -> &mut ProcessInfo {
        let procs = &mut self.input.processes;
        let i = *self.proc_of_pid.entry(pid).or_insert_with(|| {
            let argv = if procs.is_empty() {
                std::mem::take(&mut self.root_argv)
            } else {
                Vec::new()
            };
            procs.push(ProcessInfo {
                pid,
                ppid: None,
                exe: argv.first().cloned().unwrap_or_default(),
                argv,
                start_ns: ts_ns,
                end_ns: ts_ns,
                exit: None,
                fork: None,
            });
            procs.len() - 1
        });
        let p = &mut procs[i];
        p.start_ns = p.start_ns.min(ts_ns);
        p.end_ns = p.end_ns.max(ts_ns);
        p
    }

    /// Records one completed syscall.
    pub fn syscall(&mut self, s: SyscallRecord) {
        let index = self.input.syscalls.len();
        let over_limit = index >= self.limit;
        let p = self.process(s.pid, s.start_ns);
        p.end_ns = p.end_ns.max(s.end_ns);
        if over_limit {
            self.dropped += 1;
            return;
        }
        let fork_like = matches!(&*s.name, "fork" | "vfork" | "clone" | "clone3");
        if let (true, Ok(child)) = (fork_like, u32::try_from(s.ret_value)) {
            if child > 0 {
                self.fork_syscall.insert((s.tid, child), index);
            }
        }
        self.input.syscalls.push(s);
    }

    /// Records that thread `parent_tid` of `parent_pid` created task
    /// `child_tid` of thread group `child_pid` (equal to `parent_pid` for a
    /// new thread) at `ts_ns`.
    pub fn spawned(
        &mut self,
        parent_pid: u32,
        parent_tid: u32,
        child_pid: u32,
        child_tid: u32,
        ts_ns: u64,
    ) {
        self.process(parent_pid, ts_ns);
        if child_pid != parent_pid {
            self.process(child_pid, ts_ns);
        }
        self.spawns.push(Spawn {
            parent_pid,
            parent_tid,
            child_pid,
            child_tid,
        });
    }

    /// Records a successful exec in process `pid`: from now on it runs
    /// `exe` with `argv` (either may be empty when the tracee could not be
    /// read; then what was known before is kept).
    pub fn exec(&mut self, pid: u32, ts_ns: u64, exe: String, argv: Vec<String>) {
        let p = self.process(pid, ts_ns);
        if !exe.is_empty() {
            p.exe = exe;
        }
        if !argv.is_empty() {
            p.argv = argv;
        }
    }

    /// Records that thread `tid` of process `pid` ended; `how` is the
    /// strace wording (`exited with 0`, `killed by SIGKILL`). A process's
    /// exit is its main thread's.
    pub fn exited(&mut self, pid: u32, tid: u32, ts_ns: u64, how: String) {
        let p = self.process(pid, ts_ns);
        if tid == pid {
            p.exit = Some(how);
        }
    }

    /// Resolves fork edges and merges with the SDK's `spans`.
    pub fn finish(mut self, spans: Vec<SpanRecord>) -> UnifiedTrace {
        for sp in std::mem::take(&mut self.spawns) {
            let syscall = self
                .fork_syscall
                .get(&(sp.parent_tid, sp.child_tid))
                .copied();
            if sp.child_pid == sp.parent_pid {
                if let Some(syscall) = syscall {
                    self.input.thread_spawns.push(ThreadSpawn {
                        tid: sp.child_tid,
                        syscall,
                    });
                }
            } else if let Some(&i) = self.proc_of_pid.get(&sp.child_pid) {
                let p = &mut self.input.processes[i];
                p.ppid = Some(sp.parent_pid);
                p.fork = Some(ForkEdge {
                    parent_pid: sp.parent_pid,
                    syscall,
                });
            }
        }
        self.input.spans = spans;
        let mut trace = merge(self.input);
        trace.stats.syscalls_dropped = self.dropped;
        trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SpanKind;
    use crate::ItemSource;
    use std::borrow::Cow;

    fn sc(pid: u32, name: &'static str, args: &str, ret: i64, at: u64) -> SyscallRecord {
        SyscallRecord {
            pid,
            tid: pid,
            name: Cow::Borrowed(name),
            args: args.into(),
            ret: ret.to_string(),
            ret_value: ret,
            start_ns: at,
            end_ns: at + 5,
            source: None,
        }
    }

    #[test]
    fn the_syscall_limit_drops_and_counts() {
        let mut b = UnifiedBuilder::new(None, None, None, Vec::new()).with_limit(2);
        for k in 0..5 {
            b.syscall(sc(10, "read", "3", 1, 100 * k));
        }
        assert_eq!(b.dropped(), 3);
        let t = b.finish(Vec::new());
        assert_eq!(t.syscalls.len(), 2);
        assert_eq!(t.stats.syscalls_dropped, 3);
        // The process still spans the whole run.
        assert_eq!((t.processes[0].start_ns, t.processes[0].end_ns), (0, 405));
    }

    #[test]
    fn processes_forks_execs_and_exits_come_from_tracer_events() {
        let mut b = UnifiedBuilder::new(None, Some(SpanId(77)), None, vec!["app".into()]);
        b.exec(
            10,
            100,
            "/usr/bin/app".into(),
            vec!["app".into(), "-v".into()],
        );
        b.spawned(10, 10, 11, 11, 190);
        // The child's exec completes before the parent's clone returns.
        b.exec(
            11,
            250,
            "/bin/true".into(),
            vec!["true".into(), "héllo wörld".into()],
        );
        b.syscall(sc(10, "clone", "child_stack=NULL, flags=SIGCHLD", 11, 200));
        b.exited(11, 11, 400, "exited with 0".into());
        b.exited(10, 12, 450, "exited with 0".into()); // a thread, not the process
        b.exited(10, 10, 500, "exited with 3".into());
        let t = b.finish(Vec::new());
        let p10 = &t.processes[0];
        assert_eq!((p10.exe.as_str(), p10.argv.len()), ("/usr/bin/app", 2));
        assert_eq!(p10.exit.as_deref(), Some("exited with 3"));
        assert_eq!((p10.start_ns, p10.end_ns), (100, 500));
        let p11 = &t.processes[1];
        assert_eq!(p11.exe, "/bin/true");
        assert_eq!(p11.argv[1], "héllo wörld");
        assert_eq!(
            p11.fork,
            Some(ForkEdge {
                parent_pid: 10,
                syscall: Some(0)
            })
        );
        // The child process span hangs under the clone syscall.
        let child = t
            .items
            .iter()
            .find(|i| i.pid == 11 && i.kind == SpanKind::Process);
        let clone = t.items.iter().find(|i| i.source == ItemSource::Syscall(0));
        assert_eq!(
            child.and_then(|c| c.parent_span_id),
            clone.map(|c| c.span_id)
        );
        let root = t
            .items
            .iter()
            .find(|i| i.pid == 10 && i.kind == SpanKind::Process);
        assert_eq!(root.map(|r| r.span_id), Some(SpanId(77)));
    }

    #[test]
    fn the_process_tree_does_not_need_displayed_syscalls() {
        // `-e trace=%file`: no clone or execve is displayed, the tree still
        // comes from the ptrace events.
        let mut b = UnifiedBuilder::new(None, Some(SpanId(5)), None, vec!["sh".into()]);
        b.exec(
            20,
            10,
            "/bin/sh".into(),
            vec!["sh".into(), "-c".into(), "x".into()],
        );
        b.spawned(20, 20, 21, 21, 20);
        b.exec(
            21,
            30,
            "/bin/cat".into(),
            vec!["cat".into(), "/etc/hostname".into()],
        );
        b.syscall(sc(21, "openat", "AT_FDCWD, \"/etc/hostname\"", 3, 40));
        b.spawned(21, 21, 21, 22, 45); // a thread of cat
        b.exited(21, 21, 50, "exited with 0".into());
        b.exited(20, 20, 60, "exited with 0".into());
        let t = b.finish(Vec::new());
        assert_eq!(t.processes.len(), 2);
        let cat = &t.processes[1];
        assert_eq!(cat.argv, ["cat", "/etc/hostname"]);
        assert_eq!(
            cat.fork,
            Some(ForkEdge {
                parent_pid: 20,
                syscall: None
            })
        );
        let item = |pid| {
            t.items
                .iter()
                .find(|i| i.pid == pid && i.kind == SpanKind::Process)
                .unwrap()
        };
        assert_eq!(item(21).parent_span_id, Some(item(20).span_id));
    }
}
