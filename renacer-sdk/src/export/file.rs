//! Opening the output file of a file sink (`jsonl:PATH`, `perfetto:PATH`)
//! so that no process ever clobbers spans another one is writing:
//!
//! - `{pid}` in the path is replaced by this process's id (one file per
//!   process, e.g. for prefork servers or `inject_env` children);
//! - a path this process already wrote (re-`init` after dropping the
//!   guard) is continued, not truncated;
//! - a path another live process holds (its sink keeps an exclusive
//!   `flock` on the file) is never truncated: JSON lines are appended to it
//!   (every write is whole lines, with `O_APPEND`), a Perfetto file — one
//!   document that only one writer can keep valid — goes to `PATH.PID`
//!   instead, with one line on stderr.
//!
//! Only a path nobody holds and this process did not write is truncated,
//! which is what re-running a program expects.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Paths this process's file sinks wrote.
static WRITTEN: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// A `fork()`ed child has written nothing yet: the paths its parent wrote
/// are the parent's (still held by the parent's sinks).
#[cfg(not(loom))]
pub(crate) fn forget_written_after_fork() {
    if let Ok(mut w) = WRITTEN.try_lock() {
        *w = None;
    }
}

/// How [`open`] found the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opened {
    /// Fresh: nobody held it, it is now empty and ours.
    Fresh,
    /// This process wrote it before: continue after its content.
    Continued,
    /// Another process holds it: append only, never truncate.
    Shared,
}

/// `path` with `{pid}` replaced by this process's id.
pub(crate) fn expand(path: &str) -> PathBuf {
    PathBuf::from(path.replace("{pid}", &std::process::id().to_string()))
}

/// Opens `path` for a sink (see the module docs); `append` opens it with
/// `O_APPEND` (JSON lines) rather than for positioned writes (Perfetto).
pub(crate) fn open(path: &Path, append: bool) -> Result<(File, Opened), String> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .append(append)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut written = WRITTEN.lock().unwrap_or_else(|e| e.into_inner());
    let written = written.get_or_insert_with(HashSet::new);
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    // SAFETY: flock on a descriptor we own; LOCK_NB never blocks.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    let opened = if written.contains(&key) {
        Opened::Continued
    } else if locked {
        // Only regular files are truncated (`/dev/stderr`, a FIFO: as is).
        if file.metadata().is_ok_and(|m| m.is_file()) {
            file.set_len(0)
                .map_err(|e| format!("cannot truncate {}: {e}", path.display()))?;
        }
        Opened::Fresh
    } else {
        Opened::Shared
    };
    written.insert(key);
    Ok((file, opened))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn pid_placeholder_expands() {
        let p = expand("/tmp/trace-{pid}.jsonl");
        assert_eq!(
            p,
            PathBuf::from(format!("/tmp/trace-{}.jsonl", std::process::id()))
        );
    }

    #[test]
    fn a_held_file_is_shared_and_a_rewritten_one_continued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        std::fs::write(&path, "old\n").unwrap();
        let (mut first, how) = open(&path, true).unwrap();
        assert_eq!(how, Opened::Fresh);
        first.write_all(b"a\n").unwrap();
        // While the first holds it (another process's sink, as far as flock
        // knows: locks are per open file description).
        let (mut second, how) = open(&path, true).unwrap();
        assert_eq!(how, Opened::Continued); // same process wrote it
        second.write_all(b"b\n").unwrap();
        drop((first, second));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\nb\n");

        // A file another writer holds (its own flock) is never truncated.
        let other = dir.path().join("other.jsonl");
        std::fs::write(&other, "theirs\n").unwrap();
        let holder = File::open(&other).unwrap();
        // SAFETY: flock on a descriptor we own.
        assert_eq!(unsafe { libc::flock(holder.as_raw_fd(), libc::LOCK_EX) }, 0);
        let (mut ours, how) = open(&other, true).unwrap();
        assert_eq!(how, Opened::Shared);
        ours.write_all(b"ours\n").unwrap();
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "theirs\nours\n");
    }
}
