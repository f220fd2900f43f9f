//! strace's text format: `[pid N] ` / `N ` prefixes, optional timestamps,
//! `name(args) = ret` aligned at column 40, `<secs>` with `-T`.

use super::{Event, Sink};
use crate::args::Timestamps;
use crate::decode::signals;
use std::io::{self, Write};

/// Text output options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextOpts {
    /// With `-o FILE`, every line starts `PID `: strace decides this once,
    /// at the start, for `-f` or for more than one task attached (several
    /// `-p`, or one multi-threaded process) — and keeps it when only one
    /// task remains. Otherwise `[pid PID] ` while several are traced.
    pub fixed_pid_prefix: bool,
    /// Output goes to a file (`-o`).
    pub to_file: bool,
    /// `-t`/`-tt`/`-ttt`.
    pub timestamps: Timestamps,
    /// `-r`.
    pub relative: bool,
    /// `-T`.
    pub syscall_times: bool,
    /// `CLOCK_REALTIME - CLOCK_MONOTONIC` at start, to print wall times.
    pub realtime_offset_ns: i64,
    /// Flush after every line (interactive terminal).
    pub line_flush: bool,
    /// `--source`: a ` > file:line (function)` line after each syscall.
    pub source: bool,
    /// `-n`: `[ NR] ` before each line.
    pub syscall_number: bool,
    /// `-i`: `[IP] ` before each line.
    pub instruction_pointer: bool,
    /// `-a N`: the column ` = result` is aligned at.
    pub columns: usize,
    /// `-qq`: no `+++ exited ... +++` / `+++ killed ... +++` lines.
    pub quiet_exits: bool,
}

/// The strace-compatible text sink.
pub(crate) struct TextSink {
    out: Box<dyn Write>,
    opts: TextOpts,
    last_ts: Option<u64>,
    /// Each thread's last syscall number (`-n` on signal and exit lines,
    /// as strace prints it).
    last_nr: std::collections::HashMap<i32, u64>,
    /// `-ff -o FILE`: one file per task, `FILE.TID`, opened at its first
    /// line and closed at its exit.
    per_task: Option<PerTask>,
    /// `-A` for the per-task files.
    append: bool,
    /// `-Y`: each task's last command name, for its exit line.
    comms: std::collections::HashMap<i32, String>,
}

/// `-ff`'s files.
struct PerTask {
    base: std::path::PathBuf,
    open: std::collections::HashMap<i32, io::BufWriter<std::fs::File>>,
}

impl PerTask {
    fn file(&mut self, tid: i32, append: bool) -> io::Result<&mut io::BufWriter<std::fs::File>> {
        use std::collections::hash_map::Entry;
        match self.open.entry(tid) {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(v) => {
                let mut name = self.base.clone().into_os_string();
                name.push(format!(".{tid}"));
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .append(append)
                    .truncate(!append)
                    .open(&name)?;
                Ok(v.insert(io::BufWriter::with_capacity(64 * 1024, f)))
            }
        }
    }
}

impl TextSink {
    /// A sink writing to `out` (already buffered by the caller).
    pub(crate) fn new(out: Box<dyn Write>, opts: TextOpts) -> Self {
        TextSink {
            out,
            opts,
            last_ts: None,
            last_nr: std::collections::HashMap::new(),
            per_task: None,
            append: false,
            comms: Default::default(),
        }
    }

    /// `-ff -o BASE`: each task's lines go to `BASE.TID`, without pid
    /// prefixes (strace's layout); `append` with `-A`.
    pub(crate) fn per_task(base: std::path::PathBuf, mut opts: TextOpts, append: bool) -> Self {
        opts.fixed_pid_prefix = false;
        opts.to_file = true;
        let mut sink = TextSink::new(Box::new(io::sink()), opts);
        sink.append = append;
        sink.per_task = Some(PerTask {
            base,
            open: std::collections::HashMap::new(),
        });
        sink
    }

    /// `comm`: the command name at the call's entry where it differs from
    /// now (an execve's line names the program that called it, `-Y`).
    fn prefix(&mut self, line: &mut String, tid: i32, ts: u64, multi: bool, comm: Option<&str>) {
        // `-Y`: the command name after the pid, remembered for the exit
        // line (the task is gone by then).
        let comm = match crate::decode::pids::comm_on() {
            true => match comm
                .map(str::to_string)
                .or_else(|| crate::decode::pids::comm(tid))
            {
                Some(c) => {
                    self.comms.insert(tid, c.clone());
                    format!("<{c}>")
                }
                None => self
                    .comms
                    .get(&tid)
                    .map(|c| format!("<{c}>"))
                    .unwrap_or_default(),
            },
            false => String::new(),
        };
        if self.opts.fixed_pid_prefix && self.opts.to_file {
            let pid = format!("{tid}{comm}");
            line.push_str(&format!("{pid:<5} "));
        } else if multi {
            line.push_str(&format!("[pid {tid:>5}{comm}] "));
        }
        if self.opts.relative {
            let d = self.last_ts.map(|l| ts.saturating_sub(l)).unwrap_or(0);
            self.last_ts = Some(ts);
            line.push_str(&format!(
                "{:>6}.{:06} ",
                d / 1_000_000_000,
                (d / 1000) % 1_000_000
            ));
        }
        let wall = (ts as i64 + self.opts.realtime_offset_ns) as u64;
        let (secs, micros) = (wall / 1_000_000_000, (wall / 1000) % 1_000_000);
        match self.opts.timestamps {
            Timestamps::None => {}
            Timestamps::Seconds => line.push_str(&format!("{} ", time_of_day(secs))),
            Timestamps::Micros => line.push_str(&format!("{}.{micros:06} ", time_of_day(secs))),
            Timestamps::Epoch => line.push_str(&format!("{secs}.{micros:06} ")),
        }
    }

    /// `-n` and `-i` (strace's order: number, then address); `ip` is `None`
    /// where strace prints question marks (exit lines).
    fn call_site(&mut self, line: &mut String, tid: i32, nr: Option<u64>, ip: Option<u64>) {
        if self.opts.syscall_number {
            if let Some(nr) = nr {
                self.last_nr.insert(tid, nr);
            }
            match self.last_nr.get(&tid) {
                Some(nr) => line.push_str(&format!("[{nr:>4}] ")),
                None => line.push_str("[????] "),
            }
        }
        if self.opts.instruction_pointer {
            match ip {
                Some(ip) => line.push_str(&format!("[{ip:016x}] ")),
                None => line.push_str("[????????????????] "),
            }
        }
    }
}

/// `--source`'s line: ` > src/main.rs:12 (app::main)`; the function alone
/// when the object has no line tables.
fn source_line(line: &mut String, loc: Option<&renacer_trace::CodeLocation>) {
    use std::fmt::Write as _;
    let function = loc.and_then(|l| l.function.as_deref()).unwrap_or("?");
    let _ = match loc {
        Some(renacer_trace::CodeLocation {
            file: Some(file),
            line: l,
            ..
        }) => write!(line, " > {file}:{} ({function})", l.unwrap_or(0)),
        Some(_) => write!(line, " > {function} (no line information)"),
        None => write!(line, " > ? (no frame of the program's own code)"),
    };
}

/// One `-k` frame in strace's layout: ` > /lib/libc.so.6(write+0x14) [0x1148a4]`.
fn stack_line(line: &mut String, f: &crate::source::StackFrame) {
    use std::fmt::Write as _;
    let _ = match (&f.object, &f.symbol) {
        (Some(obj), Some((sym, off))) => write!(line, " > {obj}({sym}+{off:#x}) [{:#x}]", f.offset),
        (Some(obj), None) => write!(line, " > {obj}() [{:#x}]", f.offset),
        (None, _) => write!(line, " > backtracing_error [{:#x}]", f.pc),
    };
}

/// `HH:MM:SS` in local time.
fn time_of_day(secs: u64) -> String {
    let t = secs as libc::time_t;
    // SAFETY: an all-zero `tm` is a valid value of this plain C struct.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers refer to live locals; localtime_r is reentrant.
    let ok = !unsafe { libc::localtime_r(&t, &mut tm) }.is_null();
    if ok {
        format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
    } else {
        let s = secs % 86400;
        format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    }
}

impl Sink for TextSink {
    fn event(&mut self, ev: &Event, multi: bool) -> io::Result<()> {
        // One file per task: no `[pid N]` prefixes.
        let multi = multi && self.per_task.is_none();
        let mut line = String::with_capacity(128);
        match ev {
            Event::Syscall(s) => {
                self.prefix(&mut line, s.tid, s.entry_ns, multi, s.comm.as_deref());
                self.call_site(&mut line, s.tid, Some(s.nr), Some(s.ip));
                line.push_str(&s.name);
                line.push('(');
                line.push_str(&s.args_text);
                if s.ret.is_none() && s.ret_text == super::DETACHED {
                    // Left open, as strace leaves it.
                    line.push(' ');
                    line.push_str(super::DETACHED);
                } else {
                    line.push(')');
                    // strace aligns ` = ` at column `-a` (40) of the line,
                    // prefixes included.
                    let width = line.chars().count();
                    let col = self.opts.columns.saturating_sub(1);
                    if width < col {
                        line.extend(std::iter::repeat_n(' ', col - width));
                    }
                    line.push_str(" = ");
                    line.push_str(&s.ret_text);
                    if self.opts.syscall_times {
                        match s.exit_ns {
                            Some(x) => {
                                let d = x.saturating_sub(s.entry_ns);
                                line.push_str(&format!(
                                    " <{}.{:06}>",
                                    d / 1_000_000_000,
                                    (d / 1000) % 1_000_000
                                ));
                            }
                            None => line.push_str(" <unfinished ...>"),
                        }
                    }
                }
                if let Some(src) = &s.source {
                    if self.opts.source {
                        line.push('\n');
                        source_line(&mut line, src.location.as_ref());
                    }
                    for f in src.stack.iter().flatten() {
                        line.push('\n');
                        stack_line(&mut line, f);
                    }
                }
                if let Some(dump) = &s.io_dump {
                    line.push_str(dump);
                }
            }
            Event::Signal {
                tid,
                ts_ns,
                signo,
                info,
                ip,
                nr,
                ..
            } => {
                self.prefix(&mut line, *tid, *ts_ns, multi, None);
                self.call_site(&mut line, *tid, *nr, *ip);
                line.push_str(&format!("--- {} {info} ---", signals::name(*signo)));
            }
            Event::Stopped {
                tid, ts_ns, signo, ..
            } => {
                self.prefix(&mut line, *tid, *ts_ns, multi, None);
                self.call_site(&mut line, *tid, None, None);
                line.push_str(&format!("--- stopped by {} ---", signals::name(*signo)));
            }
            Event::Exited { .. } | Event::Killed { .. } if self.opts.quiet_exits => return Ok(()),
            Event::Exited {
                tid, ts_ns, code, ..
            } => {
                self.prefix(&mut line, *tid, *ts_ns, multi, None);
                self.call_site(&mut line, *tid, None, None);
                line.push_str(&format!("+++ exited with {code} +++"));
            }
            Event::Killed {
                tid,
                ts_ns,
                signo,
                core,
                ..
            } => {
                self.prefix(&mut line, *tid, *ts_ns, multi, None);
                self.call_site(&mut line, *tid, None, None);
                let c = if *core { " (core dumped)" } else { "" };
                line.push_str(&format!("+++ killed by {}{c} +++", signals::name(*signo)));
            }
            Event::Superseded {
                tid, ts_ns, by_tid, ..
            } => {
                self.prefix(&mut line, *tid, *ts_ns, multi, None);
                self.call_site(&mut line, *tid, None, None);
                line.push_str(&format!("+++ superseded by execve in pid {by_tid} +++"));
            }
            // strace prints nothing for these.
            Event::Spawned { .. } | Event::Exec { .. } => return Ok(()),
        }
        line.push('\n');
        let append = self.append;
        if let Some(files) = &mut self.per_task {
            let tid = event_tid(ev);
            files.file(tid, append)?.write_all(line.as_bytes())?;
            if matches!(ev, Event::Exited { .. } | Event::Killed { .. }) {
                if let Some(mut f) = files.open.remove(&tid) {
                    f.flush()?;
                }
            }
            return Ok(());
        }
        self.out.write_all(line.as_bytes())?;
        if self.opts.line_flush {
            self.out.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        for f in self.per_task.iter_mut().flat_map(|p| p.open.values_mut()) {
            f.flush()?;
        }
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// The task an event's line belongs to.
fn event_tid(ev: &Event) -> i32 {
    match ev {
        Event::Syscall(s) => s.tid,
        Event::Signal { tid, .. }
        | Event::Stopped { tid, .. }
        | Event::Exited { tid, .. }
        | Event::Killed { tid, .. }
        | Event::Superseded { tid, .. } => *tid,
        Event::Spawned { child_tid, .. } => *child_tid,
        Event::Exec { pid, .. } => *pid,
    }
}
