//! One ELF object a tracee maps: its unwind sections (for framehop), its
//! program headers (for the load bias) and, on first use, its line tables
//! and symbols (for file:line), from the object itself or from a separate
//! debug file found by build-id or `.gnu_debuglink`.

use std::cell::OnceCell;
use std::ops::{Deref, Range};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use object::{Object as _, ObjectSection as _, ObjectSegment as _};

/// The page size the kernel maps ELF segments with (x86_64, aarch64 4K).
const PAGE: u64 = 0x1000;

/// Section bytes handed to framehop, shared by every process that maps
/// the object.
#[derive(Clone, Default)]
pub(super) struct Bytes(Rc<[u8]>);

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// A loaded ELF object.
pub(super) struct Object {
    /// Small id, unique per object in this run (the frame cache's key).
    pub id: u32,
    /// Where it was read from (the mapping's path).
    pub path: String,
    /// `NT_GNU_BUILD_ID`, when it has one.
    pub build_id: Option<Vec<u8>>,
    /// `(p_offset, p_vaddr)` of each `PT_LOAD`, both page-aligned down.
    loads: Vec<(u64, u64)>,
    unwind: framehop::ExplicitModuleSectionInfo<Bytes>,
    /// Bytes held for unwinding.
    pub unwind_bytes: usize,
    /// The file's line tables and symbols, loaded on first lookup.
    symbols: OnceCell<Option<addr2line::Loader>>,
    /// The object has `.debug_line` itself.
    has_lines: bool,
    /// The `.gnu_debuglink` file name, if any.
    debuglink: Option<String>,
    /// The separate debug file that holds the line tables, if found.
    debug_file: OnceCell<Option<PathBuf>>,
    /// Directories searched for `.build-id/xx/rest.debug` files.
    debug_dirs: Rc<[PathBuf]>,
}

/// One function frame at an address (inlined ones included): the same
/// three facts as a syscall's source location.
pub(crate) type SymFrame = renacer_trace::CodeLocation;

/// The nearest symbol at or before an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Symbol {
    /// Demangled name.
    pub name: String,
    /// Address minus the symbol's start.
    pub offset: u64,
}

impl Object {
    /// Parse `data` (the file's bytes) as an ELF object; `None` if it is not
    /// one. Only what unwinding needs is kept: the bytes are dropped.
    pub(super) fn parse(
        id: u32,
        path: &str,
        data: &[u8],
        debug_dirs: Rc<[PathBuf]>,
    ) -> Option<Object> {
        let file = object::File::parse(data).ok()?;
        let loads = file
            .segments()
            .map(|s| {
                let (off, _) = s.file_range();
                (off & !(PAGE - 1), s.address() & !(PAGE - 1))
            })
            .collect();
        let mut held = 0;
        let mut section = |name: &str| -> Option<(Range<u64>, Bytes)> {
            let s = file.section_by_name(name)?;
            let bytes: Rc<[u8]> = s.uncompressed_data().ok()?.as_ref().into();
            held += bytes.len();
            Some((s.address()..s.address() + s.size(), Bytes(bytes)))
        };
        let text = section(".text");
        let eh_frame = section(".eh_frame");
        let eh_frame_hdr = section(".eh_frame_hdr");
        let debug_frame = section(".debug_frame");
        let got = file
            .section_by_name(".got")
            .map(|s| s.address()..s.address() + s.size());
        let unwind = framehop::ExplicitModuleSectionInfo {
            base_svma: 0,
            text_svma: text.as_ref().map(|t| t.0.clone()),
            text: text.map(|t| t.1),
            got_svma: got,
            eh_frame_svma: eh_frame.as_ref().map(|t| t.0.clone()),
            eh_frame: eh_frame.map(|t| t.1),
            eh_frame_hdr_svma: eh_frame_hdr.as_ref().map(|t| t.0.clone()),
            eh_frame_hdr: eh_frame_hdr.map(|t| t.1),
            debug_frame: debug_frame.map(|t| t.1),
            ..Default::default()
        };
        Some(Object {
            id,
            path: path.to_string(),
            build_id: file.build_id().ok().flatten().map(<[u8]>::to_vec),
            loads,
            unwind,
            unwind_bytes: held,
            symbols: OnceCell::new(),
            has_lines: file.section_by_name(".debug_line").is_some(),
            debuglink: file
                .gnu_debuglink()
                .ok()
                .flatten()
                .and_then(|(name, _crc)| std::str::from_utf8(name).ok().map(str::to_string)),
            debug_file: OnceCell::new(),
            debug_dirs,
        })
    }

    /// The load bias (actual address minus the address the object states)
    /// of a mapping of this object at `start` with file offset `offset`:
    /// from the `PT_LOAD` whose page-aligned file offset is the mapping's
    /// offset. (Taking the first segment's address instead is off by a
    /// page, or more, for every mapping but the first.)
    pub(super) fn bias(&self, start: u64, offset: u64) -> Option<u64> {
        self.loads
            .iter()
            .find(|(off, _)| *off == offset)
            .map(|(_, vaddr)| start.wrapping_sub(*vaddr))
    }

    /// A framehop module for this object mapped over `avma` with `bias`.
    pub(super) fn module(&self, avma: Range<u64>, bias: u64) -> framehop::Module<Bytes> {
        framehop::Module::new(self.path.clone(), avma, bias, self.unwind.clone())
    }

    fn loader(&self) -> Option<&addr2line::Loader> {
        self.symbols
            .get_or_init(|| {
                let file = self.debug_file().unwrap_or_else(|| Path::new(&self.path));
                addr2line::Loader::new(file).ok()
            })
            .as_ref()
    }

    /// Whether line tables exist for this object (its own or a debug
    /// file's). Without them, functions are named from the symbol table.
    pub(super) fn has_line_tables(&self) -> bool {
        self.has_lines || self.debug_file().is_some()
    }

    /// The separate debug file holding this object's line tables, if the
    /// object has none of its own and one is installed: by build-id under
    /// each debug directory (`.build-id/ab/cdef….debug`), else by
    /// `.gnu_debuglink` next to the object, in its `.debug/` directory or
    /// under each debug directory (gdb's search order).
    pub(super) fn debug_file(&self) -> Option<&Path> {
        self.debug_file
            .get_or_init(|| {
                if self.has_lines {
                    return None;
                }
                if let Some(id) = self.build_id.as_deref().filter(|id| id.len() > 1) {
                    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
                    let rel = format!(".build-id/{}/{}.debug", &hex[..2], &hex[2..]);
                    let found = self
                        .debug_dirs
                        .iter()
                        .map(|d| d.join(&rel))
                        .find(|p| p.is_file());
                    if found.is_some() {
                        return found;
                    }
                }
                let name = self.debuglink.as_deref()?;
                let dir = Path::new(&self.path).parent()?;
                let mut candidates = vec![dir.join(name), dir.join(".debug").join(name)];
                for d in self.debug_dirs.iter() {
                    candidates.push(d.join(dir.strip_prefix("/").unwrap_or(dir)).join(name));
                }
                candidates
                    .into_iter()
                    .find(|p| p.is_file() && p != Path::new(&self.path))
            })
            .as_deref()
    }

    /// The frames at `svma` (an address as the object states it),
    /// innermost (inlined) first. Empty when the object has no line
    /// tables for it; then [`Object::symbol`] still names the function.
    pub(super) fn frames(&self, svma: u64) -> Vec<SymFrame> {
        let Some(loader) = self.loader() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Ok(mut it) = loader.find_frames(svma) {
            while let Ok(Some(f)) = it.next() {
                let function = f
                    .function
                    .as_ref()
                    .and_then(|n| n.demangle().ok())
                    .map(|n| n.into_owned());
                let (file, line) = match f.location {
                    Some(l) => (l.file.map(str::to_string), l.line),
                    None => (None, None),
                };
                out.push(SymFrame {
                    function,
                    file,
                    line,
                });
            }
        }
        out
    }

    /// The symbol-table entry covering `svma`.
    pub(super) fn symbol(&self, svma: u64) -> Option<Symbol> {
        let s = self.loader()?.find_symbol_info(svma)?;
        Some(Symbol {
            name: addr2line::demangle_auto(s.name().into(), None).into_owned(),
            offset: svma.saturating_sub(s.address()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn a_function_of_this_test() -> u64 {
        std::hint::black_box(7)
    }

    /// The load bias of this very test binary, from its own maps: the code
    /// is in a mapping whose file offset is not 0, where taking the first
    /// segment's address instead is off by a page (or more).
    #[test]
    fn load_bias_from_the_segment_of_the_mapping() {
        let exe = std::env::current_exe().unwrap();
        let data = std::fs::read(&exe).unwrap();
        let object = Object::parse(1, exe.to_str().unwrap(), &data, Rc::from([])).unwrap();
        let addr = a_function_of_this_test as *const () as u64;
        assert_eq!(a_function_of_this_test(), 7);
        let maps = super::super::maps::read(std::process::id() as i32).unwrap();
        let m = maps
            .iter()
            .find(|m| m.start <= addr && addr < m.end)
            .expect("the function is mapped");
        assert!(m.executable && m.offset != 0, "{m:?}");
        let bias = object
            .bias(m.start, m.offset)
            .expect("a PT_LOAD at that offset");
        let svma = addr - bias;
        let sym = object.symbol(svma).expect("a symbol");
        assert!(sym.name.ends_with("a_function_of_this_test"), "{sym:?}");
        assert_eq!(sym.offset, 0);
        let frames = object.frames(svma);
        assert!(
            frames
                .iter()
                .any(|f| f.file.as_deref().is_some_and(|f| f.ends_with("object.rs"))),
            "{frames:?}"
        );
        // The first segment's address would be wrong here.
        let naive = m.start - object.loads[0].1;
        assert_ne!(naive, bias);
    }

    #[test]
    fn not_an_elf_file() {
        assert!(Object::parse(1, "x", b"not an object", Rc::from([])).is_none());
    }
}
