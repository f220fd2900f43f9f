//! Command-line parsing, strace-compatible: combined short flags (`-ftt`,
//! `-s64`, `-ofile`), `--` before the command, `-e trace=...`.
//!
//! `lexopt` rather than clap: it tokenizes exactly strace's grammar
//! (clusters, glued values, repeatable `-t`) and leaves the meaning to us,
//! where a derive parser would fight `-ttt` and `-e` expressions. Unknown
//! long options and formats suggest the nearest valid one (`strsim`).

use crate::filter::{StatusFilter, TraceSet};
use std::ffi::OsString;
use std::path::PathBuf;

/// How `-t`/`-tt`/`-ttt` stamp each line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Timestamps {
    /// No stamp.
    #[default]
    None,
    /// `-t`: wall-clock time of day, seconds.
    Seconds,
    /// `-tt`: time of day with microseconds.
    Micros,
    /// `-ttt`: seconds since the epoch with microseconds.
    Epoch,
}

/// `-c` / `-C`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Summary {
    /// Normal per-call output.
    #[default]
    Off,
    /// `-c`: only the summary table.
    Only,
    /// `-C`: per-call output and the summary table.
    Also,
}

/// `-I`: when renacer's own fatal signals (HUP, INT, QUIT, TERM) act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Interruptible {
    /// `-I 1`: at once, their default action — renacer dies (a launched
    /// command with it, `PTRACE_O_EXITKILL`; attached ones are detached by
    /// the kernel) and buffered output is lost.
    Anywhere,
    /// `-I 2`, the default: between stops — a launched command gets TERM
    /// and HUP forwarded (INT and QUIT reach it from the terminal), an
    /// attach session detaches cleanly.
    #[default]
    Waiting,
    /// `-I 3`: never — they are ignored until the trace ends by itself.
    Never,
    /// `-I 4`: never, and Ctrl-Z (SIGTSTP) does not stop renacer either.
    NeverTstp,
}

/// `-D` / `--daemonize`: renacer traces from a grandchild of the
/// command's process, so the command stays the direct child of whoever
/// started renacer (its parent sees it, not renacer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Daemonize {
    /// renacer is the command's parent.
    #[default]
    Off,
    /// `-D`, `--daemonize=grandchild`.
    Grandchild,
    /// `-DD`, `--daemonize=pgroup`: and in a process group of its own.
    Pgroup,
    /// `-DDD`, `--daemonize=session`: and in a session of its own.
    Session,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Format {
    /// strace-style text.
    #[default]
    Text,
    /// One JSON document (`{"version":1,"events":[...]}`).
    Json,
    /// One JSON object per line.
    Jsonl,
    /// The unified trace as text: syscalls inside `→ fn` / `← fn` lines of
    /// the traced program's `#[renacer::trace]` spans.
    Unified,
    /// The unified trace as versioned JSON (docs/formats.md, `unified`).
    UnifiedJson,
    /// The unified trace as Perfetto / Chrome Trace Event JSON.
    Perfetto,
}

impl Format {
    /// Whether the format is one of the unified (syscalls + SDK spans) ones.
    pub(crate) fn is_unified(self) -> bool {
        matches!(
            self,
            Format::Unified | Format::UnifiedJson | Format::Perfetto
        )
    }
}

/// Where output goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Output {
    /// The default, like strace.
    #[default]
    Stderr,
    /// `-o -`.
    Stdout,
    /// `-o FILE`.
    File(PathBuf),
}

/// Everything the command line says.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// `-f`: follow forks, vforks and threads.
    pub follow: bool,
    /// `-p PID[,PID...]`: attach to running processes.
    pub pids: Vec<i32>,
    /// `-e trace=`.
    pub trace: TraceSet,
    /// `-e status=`.
    pub status: StatusFilter,
    /// `-c` / `-C`.
    pub summary: Summary,
    /// Calls whose structures are abbreviated (`...`): all by default,
    /// none with `-v`, `-e abbrev=SET`.
    pub abbrev: TraceSet,
    /// `-e verbose=SET`: calls whose structures are read and printed; the
    /// others show their addresses (all by default).
    pub verbose: TraceSet,
    /// `-I N`.
    pub interruptible: Interruptible,
    /// `-Y` / `--decode-pids=comm`: pids with their command names.
    pub decode_pids_comm: bool,
    /// `-b execve`: stop tracing a task when it executes a new program.
    pub detach_on_execve: bool,
    /// `-P PATH` (repeatable): only calls touching these paths.
    pub paths: crate::pathtrace::PathSet,
    /// `-e read=SET` / `-e write=SET`: descriptors whose data is dumped.
    pub dump_reads: crate::filter::FdSet,
    /// See `dump_reads`.
    pub dump_writes: crate::filter::FdSet,
    /// `-c`'s columns, order, clock and overhead (`-U`, `-S`, `-w`, `-O`).
    pub summary_spec: crate::summary_spec::SummarySpec,
    /// `-T`: time spent in each call.
    pub syscall_times: bool,
    /// `-t`, `-tt`, `-ttt`.
    pub timestamps: Timestamps,
    /// `-r`: relative timestamp (since the previous line).
    pub relative: bool,
    /// `-s N`: longest string printed (default 32).
    pub strsize: usize,
    /// `-y`: print paths of file descriptors.
    pub decode_fds: bool,
    /// `-yy` / `--decode-fds=all|socket|dev`: also socket endpoints and
    /// device numbers (sockets, devices).
    pub fd_details: (bool, bool),
    /// `-o`.
    pub output: Output,
    /// `-q`: no attach/detach messages.
    pub quiet: bool,
    /// `-qq`: no exit lines (`+++ exited with N +++`, `+++ killed by ...`).
    pub quiet_exits: bool,
    /// `-n`: the syscall number before each call, `[   1] `.
    pub syscall_number: bool,
    /// `-i`: the instruction pointer at each call, `[00007f...] `.
    pub instruction_pointer: bool,
    /// `-a N`: the column results are aligned at (default 40).
    pub columns: usize,
    /// `-A`: open `-o FILE` for appending.
    pub append: bool,
    /// `-ff` (with `-o FILE`): one file per task, `FILE.TID`.
    pub per_task_files: bool,
    /// `-D`.
    pub daemonize: Daemonize,
    /// `-x` / `-xx`.
    pub hex_strings: crate::decode::HexStrings,
    /// `-e signal=`: the signals whose delivery lines are printed.
    pub signals: crate::filter::SignalSet,
    /// `--format`.
    pub format: Format,
    /// `--export SPEC` (repeatable): SDK sinks (`otlp[:ENDPOINT]`,
    /// `jsonl:PATH`, `perfetto:PATH`) that also receive the unified trace.
    pub export: Vec<String>,
    /// `--source`: the program's own file:line that made each syscall.
    pub source: bool,
    /// `-k` / `--stack-trace`: the whole symbolized stack of each syscall.
    pub stack_trace: bool,
    /// `--source-skip=REGEX`: frames (file or function) that are not the
    /// program's own code, besides the built-in rule.
    pub source_skip: Option<regex::Regex>,
    /// `--debug-dir DIR` (repeatable): where separate debug files are
    /// looked up by build-id (default `/usr/lib/debug`).
    pub debug_dirs: Vec<PathBuf>,
    /// `--cuda`: the injection library CUDA loads into the program
    /// (`CUDA_INJECTION64_PATH`), found at parse time.
    pub cuda_inject: Option<PathBuf>,
    /// `-E VAR=val` / `-E VAR`: the command's environment changes, in order.
    pub env_changes: Vec<(OsString, Option<OsString>)>,
    /// `-u USER`: run the command as USER (resolved at parse time).
    pub run_as: Option<crate::user::RunAs>,
    /// `-X FORMAT`: named constants as names, numbers, or both.
    pub xlat: crate::decode::flags::Xlat,
    /// `-e inject=` / `-e fault=` rules, in order (the first that fires wins).
    pub inject: Vec<crate::inject::Rule>,
    /// `-e raw=SET`: calls whose arguments are printed undecoded, in hex.
    pub raw: Option<TraceSet>,
    /// The command to run (empty with `-p`).
    pub command: Vec<OsString>,
}

/// What the user asked for.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// Trace.
    Run(Box<Options>),
    /// `-h` / `--help`.
    Help,
    /// `-V` / `--version`.
    Version,
}

/// Usage text for `--help`.
pub(crate) const USAGE: &str = "\
usage: renacer [-AcCfiknqrTtvwxyYzZ] [-a N] [-e EXPR] [-P PATH] [-E VAR=val] [-o FILE] [-p PID[,PID...]]
               [-I N] [-O OVERHEAD] [-s N] [-S SORTBY] [-u USER] [-U COLUMNS] [-X FORMAT]
               [--format FORMAT] [--export SPEC] { -p PID | [--] PROG [ARGS...] }

  -f             follow forks, vforks and threads (pid prefixes)
  -ff            with -o FILE: one file per process/thread, FILE.PID
  -p PID,...     attach to running processes; Ctrl-C detaches
  -D / -DD / -DDD  trace from a grandchild (the command stays its starter's child);
                 -DD in its own process group, -DDD its own session (--daemonize=)
  -I N           renacer's HUP/INT/QUIT/TERM: 1 act at once, 2 between stops
                 (default), 3 never, 4 never and ignore Ctrl-Z too
  -b execve      stop tracing each task when it executes a new program (the
                 command's own first execve excepted)
  -P PATH        only calls that touch PATH (a path or an fd open on it); repeatable
  -e trace=SET   names, %file %network %process %memory %signal %ipc %desc %creds,
                 %stat %lstat %fstat %%stat %statfs %fstatfs %%statfs %clock %pure %net,
                 /regex/, all, none, !negation (seccomp-bpf filtered)
  -e status=SET  successful failed unfinished unavailable detached all none !
  -e signal=SET  signal lines to print: names, numbers, all, none, !negation
  -e raw=SET     print these calls' arguments and results undecoded (hex)
  -e quiet=SET   attach, exit, all, none (silence those messages)
  -e read=FDS    hex-dump all data read from these descriptors (write= written)
  -e inject=SET:error=E|retval=N[:signal=S][:delay_enter=T][:delay_exit=T][:when=N[+[S]]]
  -e fault=SET[:error=E][:when=...]   make calls fail (or return N, raise S)
  -v             print structures whole (stat, uname, getrusage, execve's env)
  -e abbrev=SET  calls whose structures are abbreviated (default all)
  -e verbose=SET calls whose structures are printed, not their addresses (default all)
  -X FORMAT      constants as names (abbrev), numbers (raw) or both (verbose)
  -E VAR=val     set (or with -E VAR remove) a variable for the command
  -u USER        run the command as USER
  -c / -C        summary table only / output and summary table
  -w             -c times are wall-clock latency (default: system CPU time)
  -S SORTBY      -c order: time, min-time, max-time, avg-time, calls, errors,
                 name, nothing
  -U COLUMNS     -c columns: time-percent, total-time, min-time, max-time,
                 avg-time, calls, errors, name
  -O OVERHEAD    subtract OVERHEAD[s|ms|us|ns] (default us) from each call's time
  -T             time spent in each call
  -t -tt -ttt    time of day / with microseconds / epoch seconds
  -r             relative timestamps
  -s N           string size to print (default 32)
  -y             print paths associated with file descriptors
  -Y             print command names with pids, 1234<cat> (--decode-pids=comm)
  -yy            and socket endpoints, device numbers (--decode-fds=all)
  -o FILE        write to FILE (- for stdout); default stderr
  -q / -qq       suppress attach/detach messages / and exit lines
  -z / -Z        only successful / only failed calls (-e status=)
  -n             print the syscall number, [ NR]
  -i             print the instruction pointer at each call
  -a N           align results at column N (default 40)
  -x / -xx       print non-ASCII strings / all strings in hex
  -A             append to -o FILE
  --format F     text (default), json, jsonl; unified, unified-json, perfetto:
                 one trace of syscalls and the program's #[renacer::trace] spans
  --export SPEC  also send the unified trace to otlp[:ENDPOINT] (OTEL_* variables
                 apply), jsonl:PATH or perfetto:PATH; repeatable
  --source       the program's own file:line (function) that made each syscall,
                 unwound from the tracee's .eh_frame (x86_64)
  -k             also print the whole symbolized stack of each syscall
  --source-skip RE
                 frames whose file or function match RE are not the program's
  --debug-dir D  look for separate debug files under D/.build-id (repeatable;
                 default /usr/lib/debug)
  --cuda         CUDA kernels and copies of the program in the unified trace
                 (CUPTI through CUDA_INJECTION64_PATH; any CUDA program)
";

/// File name of the injection library (crate `renacer-cuda-inject`).
pub(crate) const CUDA_INJECT_LIB: &str = "librenacer_cuda_inject.so";

/// `--cuda`'s library: `RENACER_CUDA_INJECT` when set, else next to the
/// renacer binary (where `cargo build` puts both).
fn find_cuda_inject() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("RENACER_CUDA_INJECT") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            std::fs::canonicalize(&p)
                .map_err(|e| format!("RENACER_CUDA_INJECT={}: {e}", p.display()))
        } else {
            Err(format!("RENACER_CUDA_INJECT={} is not a file", p.display()))
        };
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join(CUDA_INJECT_LIB)))
        .filter(|p| p.is_file());
    beside.ok_or_else(|| {
        format!("--cuda needs {CUDA_INJECT_LIB} next to the renacer binary or RENACER_CUDA_INJECT=PATH (build it: cargo build --release -p renacer-cuda-inject)")
    })
}

/// `-E VAR=val` sets, `-E VAR` removes.
fn env_change(v: OsString) -> Result<(OsString, Option<OsString>), String> {
    use std::os::unix::ffi::OsStrExt;
    let b = v.as_bytes();
    if b.is_empty() || b[0] == b'=' {
        return Err("invalid -E argument: expected VAR=value or VAR".into());
    }
    Ok(match b.iter().position(|&c| c == b'=') {
        Some(i) => (
            OsString::from(std::ffi::OsStr::from_bytes(&b[..i])),
            Some(OsString::from(std::ffi::OsStr::from_bytes(&b[i + 1..]))),
        ),
        None => (v, None),
    })
}

fn apply_expr(opts: &mut Options, expr: &str) -> Result<(), String> {
    let (qual, value) = match expr.split_once('=') {
        Some((q, v)) => (q, v),
        None => ("trace", expr),
    };
    match qual {
        "trace" | "t" => opts.trace = TraceSet::parse(value)?,
        "status" => opts.status = StatusFilter::parse(value)?,
        "signal" | "signals" | "s" => opts.signals = crate::filter::SignalSet::parse(value)?,
        "raw" | "x" => opts.raw = Some(TraceSet::parse(value)?),
        "abbrev" | "a" => opts.abbrev = TraceSet::parse(value)?,
        "verbose" | "v" => opts.verbose = TraceSet::parse(value)?,
        "read" | "reads" | "r" => opts.dump_reads = crate::filter::FdSet::parse(value, "read")?,
        "write" | "writes" | "w" => {
            opts.dump_writes = crate::filter::FdSet::parse(value, "write")?
        }
        "inject" | "fault" => {
            if !cfg!(target_arch = "x86_64") {
                return Err(format!("-e {qual}= works on x86_64 only, for now"));
            }
            opts.inject.push(crate::inject::Rule::parse(value, qual == "fault")?)
        }
        "quiet" | "silent" | "silence" | "q" => apply_quiet(opts, value)?,
        other => {
            return Err(format!(
                "invalid -e qualifier '{other}' (expected trace=, status=, signal=, raw=, abbrev=, read=, write=, quiet=, inject= or fault=)"
            ))
        }
    }
    Ok(())
}

/// `-e quiet=SET`: `attach` is `-q` (attach/detach messages), `exit` the
/// exit lines of `-qq`; `all`, `none`, `!negation`. strace's other message
/// kinds (`path-resolution`, `personality`, `thread-execve`, `superseded`)
/// are accepted: renacer prints no such message to silence.
fn apply_quiet(opts: &mut Options, value: &str) -> Result<(), String> {
    let (negate, body) = match value.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (mut attach, mut exit) = (false, false);
    for item in body.split(',') {
        match item {
            "attach" => attach = true,
            "exit" | "exits" => exit = true,
            "all" => (attach, exit) = (true, true),
            "none" | "path-resolution" | "personality" | "thread-execve" | "superseded" => {}
            other => {
                return Err(format!(
                    "invalid quiet= item '{other}' (expected attach, exit, path-resolution, personality, thread-execve, superseded, all or none)"
                ))
            }
        }
    }
    if negate {
        (attach, exit) = (!attach, !exit);
    }
    opts.quiet = attach;
    opts.quiet_exits = exit;
    Ok(())
}

fn parse_columns(v: &str) -> Result<usize, String> {
    v.parse::<usize>()
        .ok()
        .filter(|&n| n <= 1000)
        .ok_or_else(|| format!("invalid -a argument: '{v}'"))
}

fn parse_pids(v: &str, out: &mut Vec<i32>) -> Result<(), String> {
    for p in v.split([',', ' ']).filter(|s| !s.is_empty()) {
        match p.parse::<i32>() {
            Ok(n) if n > 0 => out.push(n),
            _ => return Err(format!("invalid process id: '{p}'")),
        }
    }
    Ok(())
}

/// `-I N` by number or strace's name.
fn parse_interruptible(v: &str) -> Result<Interruptible, String> {
    Ok(match v {
        "1" | "anywhere" => Interruptible::Anywhere,
        "2" | "waiting" => Interruptible::Waiting,
        "3" | "never" => Interruptible::Never,
        "4" | "never_tstp" => Interruptible::NeverTstp,
        _ => {
            return Err(format!(
                "invalid -I argument: '{v}' (1/anywhere, 2/waiting, 3/never or 4/never_tstp)"
            ))
        }
    })
}

/// `-b SYSCALL`: strace supports execve only.
fn detach_on(opts: &mut Options, call: &str) -> Result<(), String> {
    if call != "execve" {
        return Err(format!(
            "Syscall '{call}' for -b isn't supported (only execve is)"
        ));
    }
    opts.detach_on_execve = true;
    Ok(())
}

/// `-P PATH`: strace announces a path that resolves to another.
fn trace_path(opts: &mut Options, path: &str) {
    if let Some(real) = opts.paths.add(path) {
        crate::report::say!("renacer: Requested path \"{path}\" resolved into \"{real}\"");
    }
}

/// `-S`, `-U` or `-O` (and their long spellings).
fn summary_value(opts: &mut Options, flag: char, v: &str) -> Result<(), String> {
    use crate::summary_spec as spec;
    let s = &mut opts.summary_spec;
    match flag {
        'S' => s.sort = spec::parse_sort(v)?,
        'U' => s.columns = spec::parse_columns(v)?,
        _ => s.overhead_ns = spec::parse_overhead(v)?,
    }
    Ok(())
}

/// Long options, for "did you mean".
const LONG_OPTIONS: [&str; 38] = [
    "daemonize",
    "decode-pids",
    "interruptible",
    "no-abbrev",
    "detach-on",
    "trace-path",
    "summary-wall-clock",
    "summary-sort-by",
    "summary-columns",
    "summary-syscall-overhead",
    "help",
    "cuda",
    "version",
    "format",
    "export",
    "source",
    "stack-trace",
    "source-skip",
    "debug-dir",
    "follow-forks",
    "summary-only",
    "summary",
    "syscall-times",
    "relative-timestamps",
    "decode-fds",
    "quiet",
    "successful-only",
    "failed-only",
    "syscall-number",
    "instruction-pointer",
    "output-append-mode",
    "seccomp-bpf",
    "output",
    "trace",
    "status",
    "string-limit",
    "columns",
    "attach",
];
/// `--format` values, for "did you mean".
const FORMATS: [&str; 6] = [
    "text",
    "json",
    "jsonl",
    "unified",
    "unified-json",
    "perfetto",
];

/// ` (did you mean 'X'?)` when one of `known` is close to `typed`.
fn did_you_mean(prefix: &str, typed: &str, known: &[&str]) -> String {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(typed, k), k))
        .filter(|&(d, k)| d <= 2.max(k.len() / 3) && d < typed.len().max(1))
        .min()
        .map(|(_, k)| format!(" (did you mean '{prefix}{k}'?)"))
        .unwrap_or_default()
}

/// The value of short option `-c`.
fn short_value(p: &mut lexopt::Parser, c: char) -> Result<OsString, String> {
    p.value()
        .map_err(|_| format!("option requires an argument -- '{c}'"))
}

/// The value of short option `-c`, as UTF-8.
fn short_utf8(p: &mut lexopt::Parser, c: char) -> Result<String, String> {
    short_value(p, c)?
        .into_string()
        .map_err(|_| format!("invalid UTF-8 in argument of -{c}"))
}

/// The value of option `flag`, as UTF-8.
fn utf8_value(p: &mut lexopt::Parser, flag: &str) -> Result<String, String> {
    let v = p
        .value()
        .map_err(|_| format!("option '{flag}' requires an argument"))?;
    v.into_string()
        .map_err(|_| format!("invalid UTF-8 in the argument of {flag}"))
}

fn parse_format(v: &str) -> Result<Format, String> {
    Ok(match v {
        "text" => Format::Text,
        "json" => Format::Json,
        "jsonl" => Format::Jsonl,
        "unified" => Format::Unified,
        "unified-json" => Format::UnifiedJson,
        "perfetto" => Format::Perfetto,
        o => {
            return Err(format!(
                "invalid --format '{o}'{} (text, json, jsonl, unified, unified-json or perfetto)",
                did_you_mean("", o, &FORMATS)
            ))
        }
    })
}

/// Parse the arguments after the program name. strace's grammar through
/// `lexopt`: clustered short flags (`-ftt`, `-ff`), glued values (`-s100`,
/// `-etrace=open`, `-ofile`), `--long=value` or `--long value`, `--`, and
/// the first operand starts the command (its own flags are its own).
pub(crate) fn parse(args: Vec<OsString>) -> Result<Parsed, String> {
    use lexopt::Arg::{Long, Short, Value};
    let mut opts = Options {
        strsize: 32,
        columns: 40,
        ..Options::default()
    };
    let (mut t_count, mut d_count) = (0, 0);
    let mut p = lexopt::Parser::from_args(args);
    loop {
        let arg = match p.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(lexopt::Error::UnexpectedValue { option, .. }) => {
                return Err(format!("option '{option}' doesn't allow an argument"))
            }
            Err(e) => return Err(e.to_string()),
        };
        match arg {
            Short('f') => {
                opts.per_task_files = opts.follow;
                opts.follow = true;
            }
            Short('c') => opts.summary = Summary::Only,
            Short('C') => opts.summary = Summary::Also,
            Short('T') => opts.syscall_times = true,
            Short('Y') => opts.decode_pids_comm = true,
            Short('v') => opts.abbrev = TraceSet::parse("none")?,
            Short('w') => opts.summary_spec.clock = crate::summary_spec::Clock::Wall,
            Short('I') => opts.interruptible = parse_interruptible(&short_utf8(&mut p, 'I')?)?,
            Short('b') => detach_on(&mut opts, &short_utf8(&mut p, 'b')?)?,
            Short('P') => {
                let v = short_utf8(&mut p, 'P')?;
                trace_path(&mut opts, &v);
            }
            Short(c @ ('S' | 'U' | 'O')) => {
                let v = short_utf8(&mut p, c)?;
                summary_value(&mut opts, c, &v)?;
            }
            Short('t') => t_count += 1,
            Short('D') => d_count += 1,
            Short('r') => opts.relative = true,
            Short('y') => {
                if opts.decode_fds {
                    opts.fd_details = (true, true);
                }
                opts.decode_fds = true;
            }
            Short('q') => {
                opts.quiet_exits = opts.quiet;
                opts.quiet = true;
            }
            Short('z') => opts.status = StatusFilter::SUCCESSFUL,
            Short('Z') => opts.status = StatusFilter::FAILED,
            Short('n') => opts.syscall_number = true,
            Short('x') => {
                opts.hex_strings = match opts.hex_strings {
                    crate::decode::HexStrings::Off => crate::decode::HexStrings::NonAscii,
                    _ => crate::decode::HexStrings::All,
                }
            }
            Short('i') => opts.instruction_pointer = true,
            Short('A') => opts.append = true,
            Short('a') => {
                let v = short_utf8(&mut p, 'a')?;
                opts.columns = parse_columns(&v)?;
            }
            Short('k') => opts.stack_trace = true,
            Short('h') => return Ok(Parsed::Help),
            Short('V') => return Ok(Parsed::Version),
            Short('o') => {
                let v = short_value(&mut p, 'o')?;
                opts.output = if v == "-" {
                    Output::Stdout
                } else {
                    Output::File(PathBuf::from(v))
                };
            }
            Short('E') => {
                let v = short_value(&mut p, 'E')?;
                opts.env_changes.push(env_change(v)?);
            }
            Short('X') => {
                let v = short_value(&mut p, 'X')?;
                opts.xlat = match v.to_str() {
                    Some("raw") => crate::decode::flags::Xlat::Raw,
                    Some("abbrev") => crate::decode::flags::Xlat::Abbrev,
                    Some("verbose") => crate::decode::flags::Xlat::Verbose,
                    _ => {
                        return Err(format!(
                            "invalid -X argument: '{}' (expected raw, abbrev or verbose)",
                            v.to_string_lossy()
                        ))
                    }
                };
            }
            Short('u') => {
                let v = short_utf8(&mut p, 'u')?;
                opts.run_as = Some(crate::user::RunAs::lookup(&v)?);
            }
            Short(c @ ('p' | 'e' | 's')) => {
                let v = short_utf8(&mut p, c)?;
                match c {
                    'p' => parse_pids(&v, &mut opts.pids)?,
                    'e' => apply_expr(&mut opts, &v)?,
                    _ => {
                        opts.strsize = v
                            .parse()
                            .map_err(|_| format!("invalid -s argument: '{v}'"))?
                    }
                }
            }
            Short(other) => return Err(format!("invalid option -- '{other}'")),
            Long(name) => {
                let name = name.to_string();
                match name.as_str() {
                    "help" | "version" if p.optional_value().is_some() => {
                        return Err(format!("option '--{name}' doesn't allow an argument"))
                    }
                    "help" => return Ok(Parsed::Help),
                    "version" => return Ok(Parsed::Version),
                    // strace's long spellings of the short flags.
                    "follow-forks" => opts.follow = true,
                    "summary-only" => opts.summary = Summary::Only,
                    "summary" => opts.summary = Summary::Also,
                    "syscall-times" => opts.syscall_times = true,
                    "decode-pids" => match utf8_value(&mut p, "--decode-pids")?.as_str() {
                        "comm" => opts.decode_pids_comm = true,
                        o => {
                            return Err(format!(
                                "invalid --decode-pids argument: '{o}' (comm; strace's pidns is not supported)"
                            ))
                        }
                    },
                    "daemonize" => {
                        let v = p.optional_value().map(|v| v.to_string_lossy().into_owned());
                        d_count = match v.as_deref() {
                            None | Some("grandchild") => 1,
                            Some("pgroup" | "pgrp") => 2,
                            Some("session") => 3,
                            Some(o) => {
                                return Err(format!(
                                    "invalid --daemonize argument: '{o}' (grandchild, pgroup or session)"
                                ))
                            }
                        };
                    }
                    "no-abbrev" => opts.abbrev = TraceSet::parse("none")?,
                    "interruptible" => {
                        opts.interruptible =
                            parse_interruptible(&utf8_value(&mut p, "--interruptible")?)?
                    }
                    "detach-on" => detach_on(&mut opts, &utf8_value(&mut p, "--detach-on")?)?,
                    "trace-path" => trace_path(&mut opts, &utf8_value(&mut p, "--trace-path")?),
                    "summary-wall-clock" => {
                        opts.summary_spec.clock = crate::summary_spec::Clock::Wall
                    }
                    "summary-sort-by" => {
                        summary_value(&mut opts, 'S', &utf8_value(&mut p, "--summary-sort-by")?)?
                    }
                    "summary-columns" => {
                        summary_value(&mut opts, 'U', &utf8_value(&mut p, "--summary-columns")?)?
                    }
                    "summary-syscall-overhead" => summary_value(
                        &mut opts,
                        'O',
                        &utf8_value(&mut p, "--summary-syscall-overhead")?,
                    )?,
                    "relative-timestamps" => opts.relative = true,
                    "decode-fds" => {
                        let v = p.optional_value().map(|v| v.to_string_lossy().into_owned());
                        opts.decode_fds = true;
                        opts.fd_details = match v.as_deref() {
                            None | Some("path") => (false, false),
                            Some("all") => (true, true),
                            Some("socket") => (true, false),
                            Some("dev") => (false, true),
                            Some(o) => {
                                return Err(format!(
                                "invalid --decode-fds argument: '{o}' (path, socket, dev or all)"
                            ))
                            }
                        };
                    }
                    "quiet" => opts.quiet = true,
                    "successful-only" => opts.status = StatusFilter::SUCCESSFUL,
                    "failed-only" => opts.status = StatusFilter::FAILED,
                    "syscall-number" => opts.syscall_number = true,
                    "instruction-pointer" => opts.instruction_pointer = true,
                    "output-append-mode" => opts.append = true,
                    // Filtering is already automatic (seccomp-bpf whenever
                    // `-e trace=` selects a subset): accepted, nothing to do.
                    "seccomp-bpf" => {}
                    "output" => {
                        let v = utf8_value(&mut p, "--output")?;
                        opts.output = if v == "-" {
                            Output::Stdout
                        } else {
                            Output::File(PathBuf::from(v))
                        };
                    }
                    "trace" => opts.trace = TraceSet::parse(&utf8_value(&mut p, "--trace")?)?,
                    "status" => {
                        opts.status = StatusFilter::parse(&utf8_value(&mut p, "--status")?)?
                    }
                    "string-limit" => {
                        let v = utf8_value(&mut p, "--string-limit")?;
                        opts.strsize = v
                            .parse()
                            .map_err(|_| format!("invalid --string-limit argument: '{v}'"))?;
                    }
                    "columns" => opts.columns = parse_columns(&utf8_value(&mut p, "--columns")?)?,
                    "attach" => parse_pids(&utf8_value(&mut p, "--attach")?, &mut opts.pids)?,
                    "format" => opts.format = parse_format(&utf8_value(&mut p, "--format")?)?,
                    "export" => opts.export.push(utf8_value(&mut p, "--export")?),
                    "source" | "stack-trace" | "cuda" if p.optional_value().is_some() => {
                        return Err(format!("option '--{name}' doesn't allow an argument"))
                    }
                    "source" => opts.source = true,
                    "cuda" => opts.cuda_inject = Some(find_cuda_inject()?),
                    "stack-trace" => opts.stack_trace = true,
                    "source-skip" => {
                        let v = utf8_value(&mut p, "--source-skip")?;
                        let re = regex::Regex::new(&v).map_err(|e| {
                            let e = e.to_string();
                            let last = e.lines().last().unwrap_or(&e).trim().to_string();
                            format!("invalid --source-skip regex '{v}': {last}")
                        })?;
                        opts.source_skip = Some(re);
                    }
                    "debug-dir" => opts
                        .debug_dirs
                        .push(PathBuf::from(utf8_value(&mut p, "--debug-dir")?)),
                    _ => {
                        return Err(format!(
                            "unrecognized option '--{name}'{}",
                            did_you_mean("--", &name, &LONG_OPTIONS)
                        ))
                    }
                }
            }
            Value(program) => {
                opts.command.push(program);
                opts.command
                    .extend(p.raw_args().map_err(|e| e.to_string())?);
                break;
            }
        }
    }
    opts.timestamps = match t_count {
        0 => Timestamps::None,
        1 => Timestamps::Seconds,
        2 => Timestamps::Micros,
        _ => Timestamps::Epoch,
    };
    opts.daemonize = match d_count {
        0 => Daemonize::Off,
        1 => Daemonize::Grandchild,
        2 => Daemonize::Pgroup,
        3 => Daemonize::Session,
        n => {
            return Err(format!(
                "too many -D's ({n}), maximum supported -D count is 3"
            ))
        }
    };
    if opts.daemonize != Daemonize::Off && opts.command.is_empty() {
        return Err("PROG [ARGS] must be specified with -D/--daemonize".into());
    }
    if opts.command.is_empty() && opts.pids.is_empty() {
        return Err("must have PROG [ARGS] or -p PID".into());
    }
    if !opts.command.is_empty() && !opts.pids.is_empty() {
        return Err("-p and a command are mutually exclusive".into());
    }
    if (opts.source || opts.stack_trace) && !cfg!(target_arch = "x86_64") {
        return Err("--source and -k unwind x86_64 stacks only, for now".into());
    }
    if (opts.source || opts.stack_trace) && opts.summary == Summary::Only {
        return Err("--source and -k annotate per-call lines; -c prints none (use -C)".into());
    }
    if opts.cuda_inject.is_some() && !opts.pids.is_empty() {
        return Err("--cuda injects into a program renacer starts; it cannot attach (-p)".into());
    }
    if opts.cuda_inject.is_some()
        && opts.export.is_empty()
        && !matches!(
            opts.format,
            Format::Unified | Format::UnifiedJson | Format::Perfetto
        )
    {
        return Err("--cuda puts GPU work into the unified trace: add --format unified (or unified-json, perfetto) or --export".into());
    }
    if opts.source_skip.is_some() && !(opts.source || opts.stack_trace) {
        return Err("--source-skip needs --source or -k".into());
    }
    if opts.debug_dirs.is_empty() {
        opts.debug_dirs.push(PathBuf::from("/usr/lib/debug"));
    }
    if !opts.export.is_empty() && !opts.format.is_unified() {
        return Err("--export needs --format unified, unified-json or perfetto".into());
    }
    Ok(Parsed::Run(Box::new(opts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(OsString::from).collect())? {
            Parsed::Run(o) => Ok(*o),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn combined_and_glued_flags() {
        let o = p(&[
            "-ftt",
            "-s64",
            "-ofile.txt",
            "-e",
            "trace=openat",
            "--",
            "ls",
            "-l",
        ])
        .unwrap();
        assert!(o.follow);
        assert_eq!(o.timestamps, Timestamps::Micros);
        assert_eq!(o.strsize, 64);
        assert_eq!(o.output, Output::File("file.txt".into()));
        assert!(!o.trace.is_all());
        assert_eq!(o.command, vec![OsString::from("ls"), OsString::from("-l")]);
    }

    #[test]
    fn command_stops_option_parsing() {
        let o = p(&["-c", "ls", "-f"]).unwrap();
        assert_eq!(o.summary, Summary::Only);
        assert!(!o.follow);
        assert_eq!(o.command.len(), 2);
    }

    #[test]
    fn pids_format_and_status() {
        let o = p(&[
            "-p",
            "12,34",
            "--format=jsonl",
            "-e",
            "status=failed",
            "-o",
            "-",
        ])
        .unwrap();
        assert_eq!(o.pids, vec![12, 34]);
        assert_eq!(o.format, Format::Jsonl);
        assert_eq!(o.status, StatusFilter::FAILED);
        assert_eq!(o.output, Output::Stdout);
        assert_eq!(p(&["-ttt", "-p1"]).unwrap().timestamps, Timestamps::Epoch);
    }

    #[test]
    fn errors() {
        assert!(p(&["-J", "ls"]).unwrap_err().contains("'J'"));
        assert!(p(&["-e", "trace=nosuch", "ls"])
            .unwrap_err()
            .contains("nosuch"));
        assert!(p(&[]).unwrap_err().contains("PROG"));
        assert!(p(&["-s"]).unwrap_err().contains("requires an argument"));
        assert!(p(&["-p", "x"]).unwrap_err().contains("process id"));
        assert!(p(&["--bogus", "ls"]).unwrap_err().contains("--bogus"));
        assert!(p(&["--format", "xml", "ls"]).unwrap_err().contains("xml"));
        assert!(p(&["--help=x", "ls"])
            .unwrap_err()
            .contains("doesn't allow an argument"));
    }

    #[test]
    fn strace_clusters_and_glued_values() {
        let o = p(&[
            "-ff",
            "-s100",
            "-etrace=open",
            "-o",
            "out.txt",
            "-yT",
            "true",
        ])
        .unwrap();
        assert!(o.follow && o.decode_fds && o.syscall_times);
        assert_eq!(o.strsize, 100);
        assert!(!o.trace.is_all());
        assert_eq!(o.output, Output::File("out.txt".into()));
        assert_eq!(o.command, vec![OsString::from("true")]);
        let o = p(&[
            "--format",
            "unified",
            "--export=jsonl:/tmp/x",
            "--",
            "-weird-prog",
        ])
        .unwrap();
        assert_eq!(o.format, Format::Unified);
        assert_eq!(o.export, vec!["jsonl:/tmp/x".to_string()]);
        assert_eq!(o.command, vec![OsString::from("-weird-prog")]);
    }

    #[test]
    fn unknown_options_suggest_the_nearest_valid_one() {
        let e = p(&["--fromat", "json", "ls"]).unwrap_err();
        assert!(e.contains("did you mean '--format'?"), "{e}");
        let e = p(&["--exprot", "otlp", "ls"]).unwrap_err();
        assert!(e.contains("did you mean '--export'?"), "{e}");
        let e = p(&["--format", "unifed", "ls"]).unwrap_err();
        assert!(e.contains("did you mean 'unified'?"), "{e}");
        let e = p(&["--format", "jsn", "ls"]).unwrap_err();
        assert!(e.contains("did you mean 'json'?"), "{e}");
        // Nothing close: no suggestion.
        let e = p(&["--zzzzzzzz", "ls"]).unwrap_err();
        assert!(!e.contains("did you mean"), "{e}");
    }

    #[test]
    fn long_spellings_set_what_the_short_flags_set() {
        let key = |o: &Options| {
            format!(
                "{} {:?} {} {} {} {:?} {} {} {} {} {} {} {:?} {}",
                o.follow,
                o.summary,
                o.syscall_times,
                o.relative,
                o.decode_fds,
                o.status,
                o.quiet,
                o.syscall_number,
                o.instruction_pointer,
                o.append,
                o.columns,
                o.strsize,
                o.pids,
                o.stack_trace
            )
        };
        for (long, short) in [
            (&["--follow-forks"][..], &["-f"][..]),
            (&["--summary"], &["-C"]),
            (&["--summary-only"], &["-c"]),
            (&["--syscall-times"], &["-T"]),
            (&["--relative-timestamps"], &["-r"]),
            (&["--decode-fds"], &["-y"]),
            (&["--quiet"], &["-q"]),
            (&["--status=failed"], &["-e", "status=failed"]),
            (&["--successful-only"], &["-z"]),
            (&["--failed-only"], &["-Z"]),
            (&["--syscall-number"], &["-n"]),
            (&["--instruction-pointer"], &["-i"]),
            (&["--output-append-mode"], &["-A"]),
            (&["--columns=50"], &["-a50"]),
            (&["--string-limit", "7"], &["-s7"]),
            (&["--stack-trace"], &["-k"]),
        ] {
            let run = |flags: &[&str]| {
                let mut a = flags.to_vec();
                a.push("true");
                p(&a).unwrap()
            };
            assert_eq!(key(&run(long)), key(&run(short)), "{long:?} vs {short:?}");
            assert_ne!(
                key(&run(long)),
                key(&run(&[])),
                "{long:?} changes something"
            );
        }
        let a = p(&["--attach=12,34"]).unwrap();
        assert_eq!(a.pids, vec![12, 34]);
        let t = p(&["--trace=openat", "true"]).unwrap();
        assert!(!t.trace.is_all());
        let o = p(&["--output=x.txt", "true"]).unwrap();
        assert_eq!(o.output, Output::File("x.txt".into()));
    }

    #[test]
    fn non_utf8_command_is_kept() {
        use std::os::unix::ffi::OsStringExt;
        let prog = OsString::from_vec(b"/tmp/\xff-prog".to_vec());
        let o = match parse(vec!["-f".into(), prog.clone(), "-x".into()]).unwrap() {
            Parsed::Run(o) => *o,
            other => panic!("{other:?}"),
        };
        assert_eq!(o.command, vec![prog, OsString::from("-x")]);
    }
}
