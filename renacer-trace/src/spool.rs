//! Reading spools back: [`SpoolReader`] streams one file's spans and stops at
//! the first truncated or corrupt record with a [`SpoolWarning`];
//! [`read_spool_dir`] reads every `*.spool` file of a directory.
//!
//! Only a file that is not a spool at all, or from another format version,
//! is an error: a damaged tail is the expected result of a killed program.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::SpanRecord;
use renacer_format::spool::codec::{decode_span, Dec};
use renacer_format::spool::frame::{
    checksum, decode_header, HeaderError, SpoolHeader, FRAME_OVERHEAD, HEADER_LEN, MAX_RECORD_LEN,
    MIN_VERSION, TAG_SPAN, TAG_STRING, VERSION,
};

/// A spool that cannot be read at all.
#[derive(Debug)]
pub enum SpoolError {
    /// The file or directory could not be read.
    Io {
        /// Which one.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// The file does not start with the spool magic.
    NotASpool {
        /// Which file.
        path: PathBuf,
    },
    /// A format version this build does not read.
    UnsupportedVersion {
        /// Which file.
        path: PathBuf,
        /// Its version.
        found: u16,
    },
    /// The header's checksum does not match.
    CorruptHeader {
        /// Which file.
        path: PathBuf,
    },
}

impl fmt::Display for SpoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpoolError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            SpoolError::NotASpool { path } => {
                write!(f, "{}: not a renacer spool file (bad magic)", path.display())
            }
            SpoolError::UnsupportedVersion { path, found } => write!(
                f,
                "{}: spool format version {found} is not supported (this build reads versions {MIN_VERSION} to {VERSION})",
                path.display()
            ),
            SpoolError::CorruptHeader { path } => {
                write!(f, "{}: spool header checksum mismatch", path.display())
            }
        }
    }
}

impl std::error::Error for SpoolError {}

/// Why reading a file stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpoolWarningKind {
    /// The file ends inside the header: its writer died before the first flush.
    TruncatedHeader,
    /// The file ends inside a record: its writer died mid-write.
    Truncated,
    /// A record fails its checksum or does not decode.
    Corrupt(&'static str),
}

/// The tail of a spool file was ignored; everything before `offset` was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolWarning {
    /// The file.
    pub path: PathBuf,
    /// Bytes accepted before the problem.
    pub offset: u64,
    /// What the problem was.
    pub kind: SpoolWarningKind,
}

impl fmt::Display for SpoolWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.kind {
            SpoolWarningKind::TruncatedHeader => "truncated header".to_string(),
            SpoolWarningKind::Truncated => "truncated record".to_string(),
            SpoolWarningKind::Corrupt(why) => format!("corrupt record ({why})"),
        };
        write!(
            f,
            "{}: {what} at byte {}; ignoring the rest of the file",
            self.path.display(),
            self.offset
        )
    }
}

/// Streams the spans of one spool file.
pub struct SpoolReader<R> {
    inner: R,
    path: PathBuf,
    header: SpoolHeader,
    strings: Vec<Arc<str>>,
    offset: u64,
    buf: Vec<u8>,
    warning: Option<SpoolWarning>,
    done: bool,
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl<R: Read> SpoolReader<R> {
    /// Reads and checks the header. `path` only names the input in messages.
    ///
    /// A header cut short is not an error: the reader then yields nothing
    /// and reports [`SpoolWarningKind::TruncatedHeader`].
    pub fn new(mut inner: R, path: impl Into<PathBuf>) -> Result<SpoolReader<R>, SpoolError> {
        let path = path.into();
        let mut hb = [0u8; HEADER_LEN];
        let n = read_full(&mut inner, &mut hb).map_err(|error| SpoolError::Io {
            path: path.clone(),
            error,
        })?;
        let (header, warning) = match decode_header(&hb[..n]) {
            Ok(h) => (h, None),
            Err(HeaderError::Truncated) => (
                SpoolHeader {
                    version: VERSION,
                    pid: 0,
                    clock_id: 0,
                    created_monotonic_ns: 0,
                    created_unix_ns: 0,
                },
                Some(SpoolWarning {
                    path: path.clone(),
                    offset: 0,
                    kind: SpoolWarningKind::TruncatedHeader,
                }),
            ),
            Err(HeaderError::BadMagic) => return Err(SpoolError::NotASpool { path }),
            Err(HeaderError::UnsupportedVersion(found)) => {
                return Err(SpoolError::UnsupportedVersion { path, found })
            }
            Err(HeaderError::BadChecksum) => return Err(SpoolError::CorruptHeader { path }),
        };
        Ok(SpoolReader {
            inner,
            path,
            header,
            strings: Vec::new(),
            offset: HEADER_LEN as u64,
            buf: Vec::new(),
            done: warning.is_some(),
            warning,
        })
    }

    /// The file's header (zeroed pid and clock if it was truncated).
    pub fn header(&self) -> &SpoolHeader {
        &self.header
    }

    /// Bytes of the file read and accepted so far (header and records).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Why reading stopped early, once the iterator is exhausted.
    pub fn warning(&self) -> Option<&SpoolWarning> {
        self.warning.as_ref()
    }

    fn stop(&mut self, kind: SpoolWarningKind) -> Option<SpanRecord> {
        self.done = true;
        self.warning = Some(SpoolWarning {
            path: self.path.clone(),
            offset: self.offset,
            kind,
        });
        None
    }

    /// The next span, or `None` at the end of the file or of its valid prefix.
    pub fn next_span(&mut self) -> Option<SpanRecord> {
        while !self.done {
            let mut head = [0u8; 5];
            let n = match read_full(&mut self.inner, &mut head) {
                Ok(n) => n,
                Err(_) => return self.stop(SpoolWarningKind::Truncated),
            };
            if n == 0 {
                self.done = true;
                return None;
            }
            if n < head.len() {
                return self.stop(SpoolWarningKind::Truncated);
            }
            let tag = head[0];
            let len = renacer_format::le::u32_at(&head, 1);
            if len > MAX_RECORD_LEN {
                return self.stop(SpoolWarningKind::Corrupt("record length out of range"));
            }
            let rest = len as usize + 4;
            self.buf.resize(5 + rest, 0);
            self.buf[..5].copy_from_slice(&head);
            match read_full(&mut self.inner, &mut self.buf[5..]) {
                Ok(k) if k == rest => {}
                _ => return self.stop(SpoolWarningKind::Truncated),
            }
            let body_end = 5 + len as usize;
            let mut crc = [0u8; 4];
            crc.copy_from_slice(&self.buf[body_end..]);
            if checksum(&self.buf[..body_end]) != u32::from_le_bytes(crc) {
                return self.stop(SpoolWarningKind::Corrupt("checksum mismatch"));
            }
            let payload = &self.buf[5..body_end];
            match tag {
                TAG_STRING => match std::str::from_utf8(payload) {
                    Ok(s) => self.strings.push(Arc::from(s)),
                    Err(_) => return self.stop(SpoolWarningKind::Corrupt("string is not UTF-8")),
                },
                TAG_SPAN => {
                    match decode_span(&mut Dec::new(payload, &self.strings, self.header.version)) {
                        Ok(span) => {
                            self.offset += (len as usize + FRAME_OVERHEAD) as u64;
                            return Some(span);
                        }
                        Err(e) => return self.stop(SpoolWarningKind::Corrupt(e.0)),
                    }
                }
                _ => return self.stop(SpoolWarningKind::Corrupt("unknown record tag")),
            }
            self.offset += (len as usize + FRAME_OVERHEAD) as u64;
        }
        None
    }
}

impl<R: Read> Iterator for SpoolReader<R> {
    type Item = SpanRecord;
    fn next(&mut self) -> Option<SpanRecord> {
        self.next_span()
    }
}

/// Everything read from one spool file.
#[derive(Debug)]
pub struct SpoolFile {
    /// The file.
    pub path: PathBuf,
    /// Its header.
    pub header: SpoolHeader,
    /// Its complete records, in file order.
    pub spans: Vec<SpanRecord>,
    /// Why reading stopped early, if it did.
    pub warning: Option<SpoolWarning>,
}

impl SpoolFile {
    /// Reads a whole spool file; see [`SpoolReader`] for what is an error.
    pub fn read(path: &Path) -> Result<SpoolFile, SpoolError> {
        let file = File::open(path).map_err(|error| SpoolError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        SpoolFile::from_reader(BufReader::with_capacity(64 * 1024, file), path)
    }

    /// Reads a spool from any byte source; `path` names it in messages.
    pub fn from_reader(r: impl Read, path: &Path) -> Result<SpoolFile, SpoolError> {
        let mut reader = SpoolReader::new(r, path)?;
        let spans: Vec<SpanRecord> = reader.by_ref().collect();
        Ok(SpoolFile {
            path: path.to_path_buf(),
            header: reader.header,
            warning: reader.warning,
            spans,
        })
    }
}

/// Every spool file of a directory, in file-name order.
#[derive(Debug, Default)]
pub struct SpoolDir {
    /// One entry per `*.spool` file, sorted by path.
    pub files: Vec<SpoolFile>,
}

impl SpoolDir {
    /// The warnings of all files (damaged tails that were skipped).
    pub fn warnings(&self) -> impl Iterator<Item = &SpoolWarning> {
        self.files.iter().filter_map(|f| f.warning.as_ref())
    }

    /// All spans of all files, moved out.
    pub fn into_spans(self) -> Vec<SpanRecord> {
        self.files.into_iter().flat_map(|f| f.spans).collect()
    }
}

/// Reads every `*.spool` file in `dir`. A missing directory or a file of
/// another format or version is an error; damaged tails are warnings.
pub fn read_spool_dir(dir: &Path) -> Result<SpoolDir, SpoolError> {
    let io_err = |error| SpoolError::Io {
        path: dir.to_path_buf(),
        error,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        let path = entry.map_err(io_err)?.path();
        if path.extension().is_some_and(|e| e == "spool") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let files = paths
        .iter()
        .map(|p| SpoolFile::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SpoolDir { files })
}

#[cfg(test)]
#[path = "spool_tests.rs"]
pub(crate) mod tests;
