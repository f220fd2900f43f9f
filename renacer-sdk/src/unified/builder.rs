//! [`UnifiedBuilder`]: turns the tracer's stream of completed syscalls and
//! exits into a [`MergeInput`], discovering processes on the way.
//!
//! The tracer only has to report what it already prints: each syscall (with
//! its decoded argument text) and each exit. From those the builder learns
//! - the processes: a pid's first event opens it, its exit closes it;
//! - who forked whom: a successful `fork`/`vfork`/`clone`/`clone3` returns
//!   the child's id; when that id later shows up as a process, the syscall
//!   is its [`ForkEdge`] (resolved at the end, because the child's first
//!   syscall often completes before the parent's `clone` returns);
//! - which `clone` created each thread (a child id that never shows up as a
//!   process is a thread of its parent);
//! - what each process runs: a successful `execve`/`execveat`'s path and
//!   argv, parsed from the strace-style argument text.

use std::collections::HashMap;

use super::{merge, ForkEdge, MergeInput, ProcessInfo, SyscallRecord, UnifiedTrace};
use crate::model::{SpanId, SpanRecord, TraceId};

/// Default of [`UnifiedBuilder::with_limit`]: 4 M syscalls, each about 100
/// bytes plus its argument and result text.
pub const DEFAULT_SYSCALL_LIMIT: usize = 4_000_000;

/// Accumulates one traced run.
#[derive(Debug, Default)]
pub struct UnifiedBuilder {
    /// Syscalls kept at most; later ones are counted in `dropped`.
    limit: usize,
    dropped: u64,
    input: MergeInput,
    proc_of_pid: HashMap<u32, usize>,
    /// Child id returned by a fork-like syscall → that syscall's index.
    fork_of_child: HashMap<u32, usize>,
    root_argv: Vec<String>,
}

impl UnifiedBuilder {
    /// A builder for a run whose root process span is `root_span_id` in
    /// `trace_id` (both from the CLI's `SpoolSession`), started as
    /// `root_argv` (used until the process's own `execve` is seen).
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
        match &*s.name {
            "fork" | "vfork" | "clone" | "clone3" if s.ret_value > 0 => {
                if let Ok(child) = u32::try_from(s.ret_value) {
                    self.fork_of_child.insert(child, index);
                }
            }
            "execve" | "execveat" if s.ret_value == 0 => {
                let skip = usize::from(s.name == "execveat"); // dirfd first
                if let Some((exe, argv)) = parse_exec_args(&s.args, skip) {
                    p.exe = exe;
                    if !argv.is_empty() {
                        p.argv = argv;
                    }
                }
            }
            _ => {}
        }
        self.input.syscalls.push(s);
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
        // Children that never became processes of their own are threads.
        for (&child, &k) in &self.fork_of_child {
            if !self.proc_of_pid.contains_key(&child) {
                self.input.thread_spawns.push((child, k));
            }
        }
        for p in &mut self.input.processes {
            if let Some(&k) = self.fork_of_child.get(&p.pid) {
                let parent_pid = self.input.syscalls[k].pid;
                if parent_pid != p.pid {
                    p.ppid = Some(parent_pid);
                    p.fork = Some(ForkEdge {
                        parent_pid,
                        syscall: Some(k),
                    });
                }
            }
        }
        self.input.spans = spans;
        let mut trace = merge(self.input);
        trace.stats.syscalls_dropped = self.dropped;
        trace
    }
}

/// Parses one C string literal starting at `s[0] == '"'`; returns it
/// (escapes decoded) and the rest after the closing quote.
fn c_string(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// `"/bin/true", ["true", "-x"], 0x7ffd… /* 30 vars */` → path and argv.
/// `skip` leading arguments (execveat's dirfd) are ignored. Truncated
/// strings (`"abc"...`) are kept as far as they go.
fn parse_exec_args(text: &str, skip: usize) -> Option<(String, Vec<String>)> {
    let mut rest = text;
    for _ in 0..skip {
        rest = rest.split_once(", ")?.1;
    }
    let (exe, after) = c_string(rest.trim_start())?;
    let mut argv = Vec::new();
    let after = after.trim_start_matches("...").trim_start_matches(", ");
    if let Some(mut list) = after.strip_prefix('[') {
        while let Some((arg, r)) = c_string(list.trim_start()) {
            argv.push(arg);
            list = r.trim_start_matches("...").trim_start_matches(',');
        }
    }
    Some((exe, argv))
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn exec_arguments_are_parsed_from_strace_text() {
        assert_eq!(
            parse_exec_args(
                r#""/bin/echo", ["echo", "a \"b\"", "c\n"], 0x7ffd /* 3 vars */"#,
                0
            ),
            Some((
                "/bin/echo".into(),
                vec!["echo".into(), "a \"b\"".into(), "c\n".into()]
            ))
        );
        assert_eq!(
            parse_exec_args(r#"AT_FDCWD, "/bin/ls", ["ls"...], 0x1, 0"#, 1),
            Some(("/bin/ls".into(), vec!["ls".into()]))
        );
        assert_eq!(parse_exec_args("0x1234, 0x0, 0x0", 0), None);
        assert_eq!(parse_exec_args(r#""/unterminated"#, 0), None);
    }

    #[test]
    fn processes_forks_execs_and_exits_are_discovered() {
        let mut b = UnifiedBuilder::new(None, Some(SpanId(77)), None, vec!["app".into()]);
        b.syscall(sc(
            10,
            "execve",
            r#""/usr/bin/app", ["app", "-v"], 0x1 /* 2 vars */"#,
            0,
            100,
        ));
        // The child's first syscall completes before the parent's clone returns.
        b.syscall(sc(11, "execve", r#""/bin/true", ["true"], 0x1"#, 0, 250));
        b.syscall(sc(10, "clone", "child_stack=NULL, flags=SIGCHLD", 11, 200));
        b.syscall(sc(10, "execve", r#""/missing", ["x"], 0x1"#, -2, 300)); // failed: ignored
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
        assert_eq!(
            p11.fork,
            Some(ForkEdge {
                parent_pid: 10,
                syscall: Some(2)
            })
        );
        // The child process span hangs under the clone syscall.
        let child = t
            .items
            .iter()
            .find(|i| i.pid == 11 && i.kind == crate::model::SpanKind::Process);
        let clone = t
            .items
            .iter()
            .find(|i| i.source == super::super::ItemSource::Syscall(2));
        assert_eq!(
            child.and_then(|c| c.parent_span_id),
            clone.map(|c| c.span_id)
        );
        let root = t
            .items
            .iter()
            .find(|i| i.pid == 10 && i.kind == crate::model::SpanKind::Process);
        assert_eq!(root.map(|r| r.span_id), Some(SpanId(77)));
    }
}
