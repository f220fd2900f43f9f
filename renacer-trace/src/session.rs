//! [`SpoolSession`]: the CLI's side of the SDK hand-off for one traced run —
//! a private spool directory, the trace and span ids the traced program
//! joins, and the environment that tells it so.
//!
//! ```text
//! let session = SpoolSession::create()?;          // $TMPDIR/renacer-spool-…, 0700
//! spawn(program, env = session.env());            // TRACEPARENT + RENACER_SPOOL
//! … trace …
//! let spans = session.read()?.into_spans();       // every <pid>.spool
//! ```
//! The directory is removed when the session is dropped.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::model::{SpanId, TraceId};
use crate::spool::{read_spool_dir, SpoolDir, SpoolError};
use renacer_format::spool::SPOOL_ENV;
use renacer_format::w3c::{TraceParent, FLAG_SAMPLED, TRACEPARENT_ENV};

/// One traced run's spool directory and trace context.
#[derive(Debug)]
pub struct SpoolSession {
    /// Removed (best effort) when the session is dropped.
    dir: tempfile::TempDir,
    trace_id: TraceId,
    root_span_id: SpanId,
    external_parent: Option<SpanId>,
}

/// 16 random bytes from the kernel; falls back to time and pid (ids must
/// only be unlikely to collide, not secret).
fn random_u128() -> u128 {
    let mut buf = [0u8; 16];
    // SAFETY: `buf` is a live, writable 16-byte buffer; getrandom writes at
    // most `buf.len()` bytes into it.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n == buf.len() as isize {
        return u128::from_le_bytes(buf);
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    t ^ (u128::from(std::process::id()) << 64) ^ 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834
}

impl SpoolSession {
    /// Creates a session whose directory lives in the system temp dir. If
    /// the CLI itself runs inside a trace (`TRACEPARENT` set and valid), the
    /// run joins that trace under the caller's span.
    pub fn create() -> io::Result<SpoolSession> {
        let inherited = std::env::var(TRACEPARENT_ENV)
            .ok()
            .and_then(|v| TraceParent::parse(v.trim()).ok());
        SpoolSession::create_in(&std::env::temp_dir(), inherited)
    }

    /// Creates a session with its directory inside `parent`, joining
    /// `inherited` when given.
    pub fn create_in(parent: &Path, inherited: Option<TraceParent>) -> io::Result<SpoolSession> {
        let r = random_u128();
        let trace_id = inherited.map_or(TraceId(r | 1), |t| t.trace_id);
        let root_span_id = SpanId(((r >> 64) as u64) | 1);
        // A fresh name, created with O_EXCL semantics and mode 0700:
        // nobody can pre-create or read ours.
        let dir = tempfile::Builder::new()
            .prefix(&format!("renacer-spool-{}-", std::process::id()))
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(parent)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot create spool directory in {}: {e}", parent.display()),
                )
            })?;
        Ok(SpoolSession {
            dir,
            trace_id,
            root_span_id,
            external_parent: inherited.map(|t| t.parent_id),
        })
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The trace the run belongs to.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The span id of the traced program's process span: the parent named
    /// in its `TRACEPARENT`.
    pub fn root_span_id(&self) -> SpanId {
        self.root_span_id
    }

    /// The caller's span when the CLI itself ran inside a trace.
    pub fn external_parent(&self) -> Option<SpanId> {
        self.external_parent
    }

    /// The `TRACEPARENT` value for the traced program.
    pub fn traceparent(&self) -> String {
        TraceParent::new(self.trace_id, self.root_span_id, FLAG_SAMPLED).to_string()
    }

    /// The variables to add to the traced program's environment.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (TRACEPARENT_ENV.to_string(), self.traceparent()),
            (SPOOL_ENV.to_string(), self.dir().display().to_string()),
        ]
    }

    /// Reads every spool the run left (see [`read_spool_dir`]).
    pub fn read(&self) -> Result<SpoolDir, SpoolError> {
        read_spool_dir(self.dir())
    }
}
