//! [`SpoolWriter`]: appends completed spans to this process's spool file.
//!
//! Runs on the collector thread (never on the hot path), so it may allocate
//! and do I/O. Spans are encoded into a reusable buffer and handed to a
//! `BufWriter`; [`SpoolWriter::flush_file`] pushes them to the kernel, so after a
//! flush a SIGKILL loses nothing that was exported.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::model::SpanRecord;
use renacer_format::spool::codec::encode_span;
use renacer_format::spool::frame::{
    put_frame, SpoolHeader, CLOCK_MONOTONIC_ID, TAG_SPAN, TAG_STRING, VERSION,
};

/// Strings longer than this are inlined: long strings are rarely repeated.
const MAX_INTERNED_LEN: usize = 256;
/// Bound on the intern table, so memory stays bounded however many distinct
/// names a program produces; later strings are inlined.
const MAX_INTERNED: usize = 1 << 16;
/// How many `<pid>.<n>.spool` names to try when `<pid>.spool` exists (a
/// process that `exec`s another instrumented program keeps its pid).
const MAX_NAME_ATTEMPTS: u32 = 64;

/// Writes one process's spans to `<dir>/<pid>.spool`.
pub struct SpoolWriter {
    out: BufWriter<File>,
    path: PathBuf,
    strings: HashMap<Box<str>, u32>,
    frame: Vec<u8>,
    payload: Vec<u8>,
    written: u64,
    dropped: u64,
    /// Set after the first I/O error: the file may now end in a torn frame,
    /// and anything appended after it would be unreadable, so stop writing.
    broken: bool,
}

impl SpoolWriter {
    /// Creates this process's spool file in `dir` (mode 0600, `O_EXCL`, so
    /// an existing file is never appended to or clobbered) and writes the
    /// header.
    pub fn create_in(dir: &Path) -> io::Result<SpoolWriter> {
        SpoolWriter::create_in_for_pid(dir, std::process::id())
    }

    /// As [`SpoolWriter::create_in`], for an explicit pid (tests, tools).
    pub fn create_in_for_pid(dir: &Path, pid: u32) -> io::Result<SpoolWriter> {
        let mut last_err = None;
        for n in 0..MAX_NAME_ATTEMPTS {
            let name = if n == 0 {
                format!("{pid}.spool")
            } else {
                format!("{pid}.{n}.spool")
            };
            let path = dir.join(name);
            match OpenOptions::new()
                .append(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => return SpoolWriter::start(file, path, pid),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot create spool file {}: {e}", path.display()),
                    ))
                }
            }
        }
        Err(last_err.unwrap_or_else(|| io::Error::other("no free spool file name")))
    }

    fn start(file: File, path: PathBuf, pid: u32) -> io::Result<SpoolWriter> {
        let header = SpoolHeader {
            version: VERSION,
            pid,
            clock_id: CLOCK_MONOTONIC_ID,
            created_monotonic_ns: crate::clock::now_monotonic_ns(),
            created_unix_ns: crate::clock::now_unix_ns(),
        };
        let mut out = BufWriter::with_capacity(64 * 1024, file);
        out.write_all(&header.encode())?;
        // The header goes out at once: a reader then always finds a valid
        // file, even if the program dies before its first export.
        out.flush()?;
        Ok(SpoolWriter {
            out,
            path,
            strings: HashMap::new(),
            frame: Vec::with_capacity(4096),
            payload: Vec::with_capacity(512),
            written: 0,
            dropped: 0,
            broken: false,
        })
    }

    /// The file this writer appends to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Spans handed to the file so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Spans lost because the file could not be written.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Appends `spans`. On an I/O error the writer stops (see `broken`),
    /// counts these and all later spans as dropped, and returns the error.
    pub fn write_spans(&mut self, spans: &[SpanRecord]) -> io::Result<()> {
        if self.broken {
            self.dropped += spans.len() as u64;
            return Err(io::Error::other(
                "spool writer stopped after an earlier error",
            ));
        }
        for (i, span) in spans.iter().enumerate() {
            self.encode(span);
            if let Err(e) = self.out.write_all(&self.frame) {
                self.broken = true;
                self.dropped += (spans.len() - i) as u64;
                return Err(e);
            }
            self.written += 1;
        }
        Ok(())
    }

    /// Encodes one span, preceded by definitions of its new strings, into
    /// `self.frame`.
    fn encode(&mut self, span: &SpanRecord) {
        self.frame.clear();
        self.payload.clear();
        let strings = &mut self.strings;
        let frame = &mut self.frame;
        let mut intern = |s: &str| -> Option<u32> {
            if let Some(&id) = strings.get(s) {
                return Some(id);
            }
            if s.len() > MAX_INTERNED_LEN || strings.len() >= MAX_INTERNED {
                return None;
            }
            let id = strings.len() as u32;
            strings.insert(s.into(), id);
            put_frame(frame, TAG_STRING, s.as_bytes());
            Some(id)
        };
        encode_span(&mut self.payload, span, &mut intern);
        put_frame(&mut self.frame, TAG_SPAN, &self.payload);
    }

    /// Whether an I/O error stopped the writer.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Pushes everything exported so far to the kernel.
    pub fn flush_file(&mut self) -> io::Result<()> {
        if self.broken {
            return Ok(());
        }
        self.out.flush().inspect_err(|_| self.broken = true)
    }
}

impl std::fmt::Debug for SpoolWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpoolWriter")
            .field("path", &self.path)
            .field("written", &self.written)
            .field("dropped", &self.dropped)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

impl Drop for SpoolWriter {
    fn drop(&mut self) {
        // Best effort: an error here has nowhere to go; `broken` already
        // accounts for it in `dropped` where spans were lost.
        let _ = self.flush_file();
    }
}
