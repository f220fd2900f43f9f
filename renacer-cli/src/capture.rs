//! Transpiler decisions a traced program prints on stderr, in the v1 line
//! protocol, captured from its `write`/`writev` syscalls for the unified
//! trace:
//!
//! ```text
//! [DECISION] optimization::inline_candidate input={"size":12}
//! [RESULT] inline_candidate = "inline"
//! ```
//!
//! A `[RESULT]` line completes the latest decision of that name (in that
//! process) that has none yet. Stderr is followed through `dup`, `dup2`,
//! `dup3` and `fcntl(F_DUPFD*)` (whatever fd it was copied to) and `close`;
//! a forked child starts with its parent's set. Bytes are joined per process
//! until a newline, so a line split across writes is one line. The bytes are
//! read at the write's exit stop (the tracee is stopped, its buffer intact).

use std::collections::{HashMap, HashSet};

use crate::decode::Mem;
use crate::output::SyscallEvent;

/// Longest line kept (a longer one is cut there, then dropped at its end).
const MAX_LINE: usize = 64 * 1024;
/// Decisions kept at most (the trace is held in memory until the run
/// ends); later ones are counted in `dropped`.
pub(crate) const MAX_DECISIONS: usize = 1_000_000;

/// One captured decision.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Captured {
    pub pid: i32,
    pub tid: i32,
    /// Entry time of the write that completed its line.
    pub ts_ns: u64,
    pub category: String,
    pub name: String,
    /// The `input=` JSON (as written).
    pub input: String,
    pub result: Option<String>,
}

/// The capture state of a whole trace.
#[derive(Debug, Default)]
pub(crate) struct DecisionCapture {
    /// Per process: the fds that are copies of its original stderr.
    stderr: HashMap<i32, HashSet<u64>>,
    /// Per process: bytes after the last newline.
    partial: HashMap<i32, Vec<u8>>,
    pub decisions: Vec<Captured>,
    /// Decisions past [`MAX_DECISIONS`].
    pub dropped: u64,
}

/// `[DECISION] category::name input=<json>` → (category, name, input).
fn parse_decision(line: &str) -> Option<(String, String, String)> {
    let rest = line.strip_prefix("[DECISION] ")?;
    let (what, input) = match rest.split_once(" input=") {
        Some((w, i)) => (w.trim(), i.trim().to_string()),
        None => (rest.trim(), "null".to_string()),
    };
    let (category, name) = what.split_once("::")?;
    Some((category.to_string(), name.to_string(), input))
}

/// `[RESULT] name = <json>` → (name, result).
fn parse_result(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("[RESULT] ")?;
    let (name, value) = rest.split_once(" = ")?;
    Some((name.trim().to_string(), value.trim().to_string()))
}

impl DecisionCapture {
    fn fds(&mut self, pid: i32) -> &mut HashSet<u64> {
        self.stderr.entry(pid).or_insert_with(|| HashSet::from([2]))
    }

    /// A process forked another: it inherits the stderr copies.
    pub(crate) fn spawned(&mut self, parent: i32, child: i32) {
        if parent != child {
            let fds = self.fds(parent).clone();
            self.stderr.insert(child, fds);
        }
    }

    /// One completed syscall.
    pub(crate) fn syscall(&mut self, s: &SyscallEvent) {
        let Some(ret) = s.ret.filter(|_| !s.is_error) else {
            return;
        };
        let a = s.args;
        let (pid, is_stderr) = (s.pid, |set: &HashSet<u64>, fd: u64| set.contains(&fd));
        match &*s.name {
            "dup" if is_stderr(self.fds(pid), a[0]) => {
                self.fds(pid).insert(ret as u64);
            }
            "dup2" | "dup3" => {
                if is_stderr(self.fds(pid), a[0]) {
                    self.fds(pid).insert(a[1]);
                } else {
                    self.fds(pid).remove(&a[1]);
                }
            }
            // F_DUPFD (0) and F_DUPFD_CLOEXEC (1030).
            "fcntl" if (a[1] == 0 || a[1] == 1030) && is_stderr(self.fds(pid), a[0]) => {
                self.fds(pid).insert(ret as u64);
            }
            "close" => {
                self.fds(pid).remove(&a[0]);
            }
            "write" if is_stderr(self.fds(pid), a[0]) && ret > 0 => {
                let mem = Mem::of(s.tid);
                if let Some(bytes) = mem.read(a[1], (ret as usize).min(MAX_LINE)) {
                    self.bytes(s, &bytes);
                }
            }
            "writev" if is_stderr(self.fds(pid), a[0]) && ret > 0 => {
                let bytes = read_iov(Mem::of(s.tid), a[1], a[2], ret as usize);
                self.bytes(s, &bytes);
            }
            _ => {}
        }
    }

    fn bytes(&mut self, s: &SyscallEvent, bytes: &[u8]) {
        let buf = self.partial.entry(s.pid).or_default();
        buf.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(nl) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=nl).collect();
            lines.push(String::from_utf8_lossy(&line[..nl]).into_owned());
        }
        if buf.len() > MAX_LINE {
            buf.clear();
        }
        for line in lines {
            self.line(s, &line);
        }
    }

    fn line(&mut self, s: &SyscallEvent, line: &str) {
        if let Some((category, name, input)) = parse_decision(line) {
            if self.decisions.len() >= MAX_DECISIONS {
                self.dropped += 1;
                return;
            }
            self.decisions.push(Captured {
                pid: s.pid,
                tid: s.tid,
                ts_ns: s.entry_ns,
                category,
                name,
                input,
                result: None,
            });
        } else if let Some((name, result)) = parse_result(line) {
            if let Some(d) = self
                .decisions
                .iter_mut()
                .rev()
                .find(|d| d.pid == s.pid && d.name == name && d.result.is_none())
            {
                d.result = Some(result);
            }
        }
    }
}

/// The first `total` bytes written by a `writev(iov, count)`.
fn read_iov(mem: Mem, iov: u64, count: u64, total: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..count.min(1024) {
        let (Some(base), Some(len)) = (mem.u64(iov + 16 * i), mem.u64(iov + 16 * i + 8)) else {
            break;
        };
        let want = (len as usize).min(total - out.len()).min(MAX_LINE);
        match mem.read(base, want) {
            Some(b) => out.extend(b),
            None => break,
        }
        if out.len() >= total {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_lines() {
        assert_eq!(
            parse_decision("[DECISION] optimization::inline_candidate input={\"size\":12}"),
            Some((
                "optimization".into(),
                "inline_candidate".into(),
                "{\"size\":12}".into()
            ))
        );
        assert_eq!(parse_decision("[DECISION] nocategory input=1"), None);
        assert_eq!(parse_decision("plain stderr"), None);
        assert_eq!(
            parse_result("[RESULT] inline_candidate = \"inline\""),
            Some(("inline_candidate".into(), "\"inline\"".into()))
        );
    }
}
