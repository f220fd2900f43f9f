//! `--source` and `-k`: the file:line of the program's own code that made
//! each syscall, from the tracee's own unwind tables.
//!
//! At a syscall-entry stop the tracer hands over the thread's `pc`, `sp`
//! and `bp`. The stack is unwound with framehop from the `.eh_frame` (or
//! `.debug_frame`) of every object the process maps — so optimized code
//! without frame pointers unwinds through libc and std — reading the stack
//! a page at a time ([`stack`]). Each return address is then symbolized
//! with addr2line (inline frames included) and the first frame that
//! [`rule`] calls the program's own is the location.
//!
//! Caches: objects by file identity (shared by every process and `exec`
//! that maps the file), framehop's rule cache, and resolved frames by
//! (object, address), bounded at [`FRAME_CACHE_LIMIT`] entries. A process's
//! module list is dropped at `exec` and rebuilt from `/proc/PID/maps`; an
//! address outside every known module (a `dlopen`ed library) re-reads the
//! maps once, and an address still unknown then is remembered as such.

mod maps;
mod object;
pub(crate) mod rule;
mod stack;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;
use std::rc::Rc;

use framehop::x86_64::{CacheX86_64, UnwindRegsX86_64, UnwinderX86_64};
use framehop::{FrameAddress, Unwinder as _};
use renacer_trace::CodeLocation;

pub(crate) use object::SymFrame;
use object::{Bytes, Object};
pub(crate) use rule::Rule;

/// Resolved frames kept at most; the cache is cleared when full (and the
/// clearing counted).
pub(crate) const FRAME_CACHE_LIMIT: usize = 1 << 16;
/// Frames unwound at most per syscall.
const MAX_FRAMES: usize = 256;

/// Registers at a syscall stop: all framehop needs on x86_64.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Regs {
    pub pc: u64,
    pub sp: u64,
    pub bp: u64,
}

/// One physical frame of a `-k` stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StackFrame {
    /// The object's path; `None` outside every mapped object.
    pub object: Option<String>,
    /// The address (return address, or the pc for the first frame).
    pub pc: u64,
    /// `pc` as the object states it (minus the load bias).
    pub offset: u64,
    /// The symbol-table entry: name and offset into it.
    pub symbol: Option<(String, u64)>,
    /// Function frames at this address, innermost (inlined) first.
    pub frames: Rc<[SymFrame]>,
}

/// What `--source` / `-k` found for one syscall.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SyscallSource {
    /// The first frame of the program's own code, if any.
    pub location: Option<CodeLocation>,
    /// The whole stack, outermost last (`-k` only).
    pub stack: Option<Vec<StackFrame>>,
}

/// Counters and sizes, for the exit report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SourceStats {
    /// Stacks unwound.
    pub unwinds: u64,
    /// Of those, with a frame of the program's own code.
    pub located: u64,
    /// Objects loaded, and the unwind bytes they hold.
    pub objects: usize,
    pub object_bytes: usize,
    /// Resolved frames cached now, and times the cache was cleared.
    pub frames_cached: usize,
    pub frame_cache_clears: u64,
    /// `/proc/PID/maps` reads.
    pub maps_reads: u64,
}

/// What one address of one object resolves to (cached).
#[derive(Clone)]
struct Resolved {
    frames: Rc<[SymFrame]>,
    symbol: Option<(String, u64)>,
}

/// A file as the kernel identifies it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ObjectKey {
    File { dev: u64, ino: u64, mtime_ns: i64 },
    Vdso,
}

struct Loaded {
    avma: Range<u64>,
    bias: u64,
    object: Rc<Object>,
    /// The process's main executable (never a system object).
    main: bool,
}

/// One traced process's address space.
struct Process {
    unwinder: UnwinderX86_64<Bytes>,
    modules: Vec<Loaded>,
    /// Pages known to be outside every object after a fresh maps read.
    unknown_pages: HashSet<u64>,
}

impl Process {
    fn module_at(&self, addr: u64) -> Option<&Loaded> {
        let i = self.modules.partition_point(|m| m.avma.start <= addr);
        self.modules[..i].last().filter(|m| m.avma.contains(&addr))
    }
}

/// The resolver: the caches for every traced process.
pub(crate) struct Resolver {
    rule: Rule,
    want_stack: bool,
    debug_dirs: Rc<[PathBuf]>,
    objects: HashMap<ObjectKey, Option<Rc<Object>>>,
    processes: HashMap<i32, Process>,
    cache: CacheX86_64,
    frames: HashMap<(u32, u64), Resolved>,
    next_id: u32,
    stats: SourceStats,
}

impl Resolver {
    /// `want_stack`: keep the whole stack (`-k`). Separate debug files are
    /// looked up under `debug_dirs` (`/usr/lib/debug` by default).
    pub(crate) fn new(rule: Rule, want_stack: bool, debug_dirs: Vec<PathBuf>) -> Resolver {
        Resolver {
            rule,
            want_stack,
            debug_dirs: debug_dirs.into(),
            objects: HashMap::new(),
            processes: HashMap::new(),
            cache: CacheX86_64::new(),
            frames: HashMap::new(),
            next_id: 0,
            stats: SourceStats::default(),
        }
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> SourceStats {
        SourceStats {
            frames_cached: self.frames.len(),
            objects: self.objects.values().flatten().count(),
            object_bytes: self
                .objects
                .values()
                .flatten()
                .map(|o| o.unwind_bytes)
                .sum(),
            ..self.stats
        }
    }

    /// Process `pid` replaced its image (`exec`) or exited: forget its
    /// address space (the objects stay cached).
    pub(crate) fn forget(&mut self, pid: i32) {
        self.processes.remove(&pid);
    }

    /// Unwind thread `tid` of process `pid` stopped with `regs`.
    pub(crate) fn locate(&mut self, pid: i32, tid: i32, regs: Regs) -> SyscallSource {
        self.stats.unwinds += 1;
        if !self.processes.contains_key(&pid) {
            let p = self.load_process(pid);
            self.processes.insert(pid, p);
        }
        let mut addrs = self.unwind(pid, tid, regs);
        let unknown = |p: &Process, a: &FrameAddress| {
            let addr = a.address_for_lookup();
            p.module_at(addr).is_none() && !p.unknown_pages.contains(&(addr >> 12))
        };
        if addrs.iter().any(|a| unknown(&self.processes[&pid], a)) {
            // A library mapped since the maps were read (dlopen): read
            // them again; what is still outside every object stays so.
            let mut p = self.load_process(pid);
            for a in &addrs {
                let addr = a.address_for_lookup();
                if p.module_at(addr).is_none() {
                    p.unknown_pages.insert(addr >> 12);
                }
            }
            self.processes.insert(pid, p);
            addrs = self.unwind(pid, tid, regs);
        }
        let out = self.symbolize(pid, &addrs);
        if out.location.is_some() {
            self.stats.located += 1;
        }
        out
    }

    fn unwind(&mut self, pid: i32, tid: i32, regs: Regs) -> Vec<FrameAddress> {
        let p = &self.processes[&pid];
        let mut stack = stack::Stack::new(tid);
        let mut read = |addr| stack.word(addr);
        let mut it = p.unwinder.iter_frames(
            regs.pc,
            UnwindRegsX86_64::new(regs.pc, regs.sp, regs.bp),
            &mut self.cache,
            &mut read,
        );
        let mut out = Vec::new();
        while let Ok(Some(f)) = it.next() {
            out.push(f);
            if out.len() >= MAX_FRAMES {
                break;
            }
        }
        out
    }

    fn symbolize(&mut self, pid: i32, addrs: &[FrameAddress]) -> SyscallSource {
        let mut out = SyscallSource {
            location: None,
            stack: self.want_stack.then(Vec::new),
        };
        // A frame of the program's own objects when they have no line
        // tables at all (stripped of debug info): its function from the
        // symbol table, used only when no frame has lines. (An object with
        // line tables but none for the address is generated or runtime
        // code, e.g. Rust's `main` shim: not the program's own.)
        let mut by_symbol: Option<CodeLocation> = None;
        for a in addrs {
            let addr = a.address_for_lookup();
            let Some((object, bias, main)) = self.processes[&pid]
                .module_at(addr)
                .map(|m| (m.object.clone(), m.bias, m.main))
            else {
                if let Some(stack) = &mut out.stack {
                    stack.push(StackFrame {
                        object: None,
                        pc: a.address(),
                        offset: a.address(),
                        symbol: None,
                        frames: Rc::from([]),
                    });
                }
                continue;
            };
            let svma = addr.wrapping_sub(bias);
            let own_object = main || !Rule::is_system_object(&object.path);
            let need = self.want_stack || (own_object && out.location.is_none());
            if !need {
                continue;
            }
            let Resolved { frames, symbol } = self.resolve(&object, svma);
            if own_object && out.location.is_none() {
                if let Some(i) = frames.iter().position(|f| self.rule.is_own(f)) {
                    let mut loc = frames[i].clone();
                    // Line tables alone (`-C debuginfo=line-tables-only`)
                    // may not name the function: the symbol table names
                    // the physical one, the outermost frame.
                    if loc.function.is_none() && i + 1 == frames.len() {
                        loc.function = symbol.as_ref().map(|(name, _)| name.clone());
                    }
                    out.location = Some(loc);
                } else if by_symbol.is_none() && !object.has_line_tables() {
                    by_symbol = symbol
                        .as_ref()
                        .filter(|(name, _)| self.rule.is_own_symbol(name))
                        .map(|(name, _)| CodeLocation {
                            file: None,
                            line: None,
                            function: Some(name.clone()),
                        });
                }
            }
            if let Some(stack) = &mut out.stack {
                // strace's layout shows the return address itself (not the
                // call instruction's address used for the lookup).
                let offset = a.address().wrapping_sub(bias);
                let symbol = symbol.map(|(name, off)| (name, offset - (svma - off)));
                stack.push(StackFrame {
                    object: Some(object.path.clone()),
                    pc: a.address(),
                    offset,
                    symbol,
                    frames,
                });
            } else if out.location.is_some() {
                break;
            }
        }
        if out.location.is_none() {
            out.location = by_symbol;
        }
        out
    }

    fn resolve(&mut self, object: &Object, svma: u64) -> Resolved {
        if let Some(hit) = self.frames.get(&(object.id, svma)) {
            return hit.clone();
        }
        if self.frames.len() >= FRAME_CACHE_LIMIT {
            self.frames.clear();
            self.stats.frame_cache_clears += 1;
        }
        let resolved = Resolved {
            frames: object.frames(svma).into(),
            symbol: object.symbol(svma).map(|s| (s.name, s.offset)),
        };
        self.frames.insert((object.id, svma), resolved.clone());
        resolved
    }

    /// Build a process's module list from its maps.
    fn load_process(&mut self, pid: i32) -> Process {
        self.stats.maps_reads += 1;
        let maps = maps::read(pid).unwrap_or_default();
        let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut unwinder = UnwinderX86_64::new();
        let mut modules: Vec<Loaded> = Vec::new();
        for m in maps.iter().filter(|m| m.executable && !m.path.is_empty()) {
            let Some(object) = self.object(pid, m) else {
                continue;
            };
            let Some(bias) = object.bias(m.start, m.offset) else {
                continue;
            };
            // The module spans every mapping of the same file (its headers
            // and data too), so return addresses anywhere in it are found.
            let same = maps.iter().filter(|o| o.path == m.path);
            let start = same.clone().map(|o| o.start).min().unwrap_or(m.start);
            let end = same.map(|o| o.end).max().unwrap_or(m.end);
            if modules
                .iter()
                .any(|l| l.avma.start < end && start < l.avma.end)
            {
                continue;
            }
            unwinder.add_module(object.module(start..end, bias));
            let main = m.path.strip_suffix(" (deleted)").unwrap_or(&m.path) == exe;
            modules.push(Loaded {
                avma: start..end,
                bias,
                object,
                main,
            });
        }
        modules.sort_by_key(|l| l.avma.start);
        Process {
            unwinder,
            modules,
            unknown_pages: HashSet::new(),
        }
    }

    /// The object mapped by `m`, loaded once per file.
    fn object(&mut self, pid: i32, m: &maps::Mapping) -> Option<Rc<Object>> {
        let (key, file) = object_key(pid, m)?;
        if let Some(o) = self.objects.get(&key) {
            return o.clone();
        }
        let data = match &file {
            Some(file) => std::fs::read(file).ok(),
            None => {
                crate::decode::Mem::of(pid).read(m.start, usize::try_from(m.end - m.start).ok()?)
            }
        };
        let o = data.and_then(|d| self.parse(&m.path, &d));
        self.objects.insert(key, o.clone());
        o
    }

    fn parse(&mut self, path: &str, data: &[u8]) -> Option<Rc<Object>> {
        self.next_id += 1;
        Object::parse(self.next_id, path, data, self.debug_dirs.clone()).map(Rc::new)
    }
}

/// How the object of mapping `m` is identified, and the file to read it
/// from (`None`: the vDSO, read from the tracee's memory).
fn object_key(pid: i32, m: &maps::Mapping) -> Option<(ObjectKey, Option<String>)> {
    use std::os::unix::fs::MetadataExt;
    if m.path == "[vdso]" {
        return Some((ObjectKey::Vdso, None));
    }
    if !m.path.starts_with('/') {
        return None;
    }
    // A deleted or replaced file is still readable through map_files.
    let file = if m.path.ends_with(" (deleted)") {
        format!("/proc/{pid}/map_files/{:x}-{:x}", m.start, m.end)
    } else {
        m.path.clone()
    };
    let meta = std::fs::metadata(&file).ok()?;
    let key = ObjectKey::File {
        dev: meta.dev(),
        ino: meta.ino(),
        mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
    };
    Some((key, Some(file)))
}
