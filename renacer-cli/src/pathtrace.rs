//! `-P PATH`: only the calls that touch PATH — a path argument equal to
//! it, or a descriptor argument open on it (`/proc/TID/fd/N`), decided at
//! entry as strace's `pathtrace.c` does (so `close(3)` still matches).
//! Paths compare as strings, the one given and its `realpath`, like
//! strace's: `openat(AT_FDCWD, "hostname")` matches `-P hostname` run in
//! `/etc`, and `-P /etc/hostname` through the resolved form.

use crate::decode::Mem;

/// The paths of `-P`, as given and resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PathSet {
    paths: Vec<String>,
}

impl PathSet {
    /// Adds `path` (and its resolved form); returns the resolved form when
    /// it differs, which strace announces.
    pub(crate) fn add(&mut self, path: &str) -> Option<String> {
        self.paths.push(path.to_string());
        let real = std::fs::canonicalize(path).ok()?;
        let real = real.to_string_lossy().into_owned();
        (real != path).then(|| {
            self.paths.push(real.clone());
            real
        })
    }

    /// Whether `-P` was given at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Whether call `name` of task `tid` with `args` touches a path.
    pub(crate) fn matches(&self, tid: i32, name: &str, args: &[u64; 6]) -> bool {
        let (paths, fds) = arguments(name);
        let mem = Mem::of(tid);
        let path_hit = paths.iter().any(|&i| {
            mem.cstr(args[i], 4096)
                .is_some_and(|(s, _)| self.paths.iter().any(|p| p.as_bytes() == s))
        });
        path_hit
            || fds.iter().any(|&i| {
                let fd = args[i] as i32;
                // AT_FDCWD and other negative descriptors name no file.
                fd >= 0 && crate::decode::fd_path(tid, fd).is_some_and(|f| self.paths.contains(&f))
            })
    }
}

/// Which arguments of `name` are paths and which descriptors.
fn arguments(name: &str) -> (&'static [usize], &'static [usize]) {
    const NONE: &[usize] = &[];
    match name {
        "open" | "creat" | "stat" | "lstat" | "newstat" | "newlstat" | "access" | "chdir"
        | "chmod" | "chown" | "lchown" | "truncate" | "mkdir" | "rmdir" | "unlink" | "readlink"
        | "statfs" | "execve" | "uselib" | "utime" | "utimes" | "getxattr" | "lgetxattr"
        | "setxattr" | "lsetxattr" | "listxattr" | "llistxattr" | "removexattr"
        | "lremovexattr" | "chroot" | "mknod" | "acct" | "swapon" | "swapoff" | "umount2" => {
            (&[0], NONE)
        }
        "rename" | "link" | "symlink" | "pivot_root" | "mount" => (&[0, 1], NONE),
        "openat" | "openat2" | "newfstatat" | "fstatat64" | "statx" | "faccessat"
        | "faccessat2" | "fchmodat" | "fchmodat2" | "fchownat" | "futimesat" | "mkdirat"
        | "mknodat" | "unlinkat" | "readlinkat" | "utimensat" | "name_to_handle_at"
        | "execveat" | "open_tree" | "fspick" | "inotify_add_watch" => (&[1], &[0]),
        "renameat" | "renameat2" | "linkat" => (&[1, 3], &[0, 2]),
        "symlinkat" => (&[0, 2], &[1]),
        "fanotify_mark" => (&[4], &[0, 3]),
        "mmap" | "mmap2" => (NONE, &[4]),
        "sendfile" | "sendfile64" | "tee" => (NONE, &[0, 1]),
        "splice" | "copy_file_range" => (NONE, &[0, 2]),
        "epoll_ctl" => (NONE, &[0, 2]),
        "read" | "write" | "pread64" | "pwrite64" | "readv" | "writev" | "preadv" | "pwritev"
        | "preadv2" | "pwritev2" | "fstat" | "newfstat" | "fstatfs" | "fsync" | "fdatasync"
        | "ftruncate" | "fchmod" | "fchown" | "fcntl" | "ioctl" | "lseek" | "getdents"
        | "getdents64" | "close" | "flock" | "fadvise64" | "fallocate" | "sync_file_range"
        | "dup" | "dup2" | "dup3" | "fchdir" | "fgetxattr" | "fsetxattr" | "flistxattr"
        | "fremovexattr" | "readahead" | "syncfs" | "recvfrom" | "sendto" | "recvmsg"
        | "sendmsg" | "recvmmsg" | "sendmmsg" | "bind" | "connect" | "listen" | "accept"
        | "accept4" | "shutdown" | "getsockname" | "getpeername" | "setsockopt" | "getsockopt"
        | "inotify_rm_watch" | "vmsplice" | "fstatfs64" | "timerfd_settime" | "timerfd_gettime" => {
            (NONE, &[0])
        }
        _ => (NONE, NONE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_given_and_resolved_descriptors_through_proc() {
        let mut set = PathSet::default();
        assert!(set.is_empty());
        assert_eq!(
            set.add("/etc/../etc/hostname").as_deref(),
            Some("/etc/hostname")
        );
        let path = b"/etc/hostname\0";
        let mut args = [0u64; 6];
        args[0] = (-100i64) as u64;
        args[1] = path.as_ptr() as u64;
        let me = std::process::id() as i32;
        assert!(set.matches(me, "openat", &args));
        assert!(!set.matches(me, "getpid", &args));
        let f = std::fs::File::open("/etc/hostname").unwrap();
        use std::os::fd::AsRawFd;
        assert!(set.matches(me, "read", &[f.as_raw_fd() as u64, 0, 0, 0, 0, 0]));
        assert!(!set.matches(me, "read", &[0, 0, 0, 0, 0, 0]));
    }
}
