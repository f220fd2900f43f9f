//! `-e` expressions: which syscalls to show (`trace=`) and which outcomes
//! (`status=`), with strace's syntax: names, `%class`, `/regex/`, `!`
//! negation, `all`, `none`; and which signal lines (`signal=`).
//!
//! A set is resolved by *name*, then turned into per-ABI number bitmaps, so
//! the same expression selects `open` on i386 and `openat` everywhere.

use crate::arch::{self, Arch};
use regex::Regex;

/// Syscall classes, as strace names them.
const CLASSES: &[(&str, &str)] = &[
    (
        "file",
        "open openat openat2 creat access faccessat faccessat2 stat lstat newfstatat statx \
         statfs stat64 lstat64 fstatat64 statfs64 chdir chmod fchmodat fchmodat2 chown lchown \
         fchownat chown32 lchown32 execve execveat link linkat unlink unlinkat symlink symlinkat \
         readlink readlinkat rename renameat renameat2 mkdir mkdirat rmdir mknod mknodat \
         truncate truncate64 utime utimes utimensat futimesat getxattr setxattr lgetxattr \
         lsetxattr listxattr llistxattr removexattr lremovexattr mount umount umount2 \
         pivot_root chroot swapon swapoff acct quotactl inotify_add_watch fanotify_mark \
         name_to_handle_at uselib getcwd open_tree move_mount mount_setattr",
    ),
    (
        "network",
        "socket socketpair bind connect listen accept accept4 getsockname getpeername sendto \
         recvfrom sendmsg recvmsg sendmmsg recvmmsg shutdown setsockopt getsockopt socketcall",
    ),
    (
        "process",
        "fork vfork clone clone3 execve execveat exit exit_group wait4 waitid waitpid kill tkill \
         tgkill rt_sigqueueinfo rt_tgsigqueueinfo pidfd_send_signal pidfd_open unshare",
    ),
    (
        "memory",
        "brk mmap mmap2 munmap mprotect mremap madvise mlock munlock mlockall munlockall \
         mincore msync remap_file_pages mbind get_mempolicy set_mempolicy migrate_pages \
         move_pages pkey_mprotect mlock2 shmat shmdt process_madvise map_shadow_stack mseal",
    ),
    (
        "signal",
        "rt_sigaction rt_sigprocmask rt_sigreturn rt_sigsuspend rt_sigpending rt_sigtimedwait \
         rt_sigqueueinfo rt_tgsigqueueinfo sigaltstack kill tkill tgkill pause alarm signalfd \
         signalfd4 pidfd_send_signal signal sigaction sigprocmask sigreturn sigsuspend \
         sigpending sgetmask ssetmask",
    ),
    (
        "ipc",
        "msgget msgsnd msgrcv msgctl semget semop semctl semtimedop shmget shmat shmdt shmctl ipc",
    ),
    (
        "desc",
        "read write open openat openat2 creat close lseek _llseek pread64 pwrite64 readv writev \
         preadv pwritev preadv2 pwritev2 dup dup2 dup3 fcntl fcntl64 flock fsync fdatasync \
         ftruncate ftruncate64 getdents getdents64 fchdir fchmod fchown fchown32 fstat fstat64 \
         fstatfs fstatfs64 ioctl poll ppoll select _newselect pselect6 epoll_create \
         epoll_create1 epoll_ctl epoll_wait epoll_pwait epoll_pwait2 eventfd eventfd2 signalfd \
         signalfd4 timerfd_create timerfd_settime timerfd_gettime pipe pipe2 sendfile splice \
         tee vmsplice copy_file_range fallocate fadvise64 readahead inotify_init inotify_init1 \
         fanotify_init memfd_create pidfd_open pidfd_getfd close_range mmap mmap2 newfstatat \
         statx faccessat faccessat2 fchmodat fchownat linkat mkdirat mknodat readlinkat \
         renameat renameat2 symlinkat unlinkat utimensat futimesat execveat fgetxattr \
         fsetxattr flistxattr fremovexattr syncfs sync_file_range io_uring_setup \
         io_uring_enter io_uring_register userfaultfd perf_event_open bpf fsopen fsmount \
         fspick open_by_handle_at name_to_handle_at socket socketpair bind connect listen \
         accept accept4 getsockname getpeername sendto recvfrom sendmsg recvmsg sendmmsg \
         recvmmsg shutdown setsockopt getsockopt",
    ),
    (
        "creds",
        "getuid geteuid getgid getegid setuid setgid setreuid setregid setresuid getresuid \
         setresgid getresgid setfsuid setfsgid getgroups setgroups capget capset getuid32 \
         geteuid32 getgid32 getegid32 setuid32 setgid32 setreuid32 setregid32 setresuid32 \
         getresuid32 setresgid32 getresgid32 setfsuid32 setfsgid32 getgroups32 setgroups32 \
         prctl",
    ),
    // The stat families (strace's TRACE_STAT / LSTAT / FSTAT / STATFS ...;
    // `%%stat` is all of stat, lstat and fstat, `%%statfs` both statfs).
    ("stat", "stat stat64 oldstat"),
    ("lstat", "lstat lstat64 oldlstat"),
    ("fstat", "fstat fstat64 oldfstat newfstatat fstatat64 statx"),
    (
        "%stat",
        "stat stat64 oldstat lstat lstat64 oldlstat fstat fstat64 oldfstat newfstatat \
         fstatat64 statx",
    ),
    ("statfs", "statfs statfs64"),
    ("fstatfs", "fstatfs fstatfs64"),
    ("%statfs", "statfs statfs64 fstatfs fstatfs64 ustat"),
    (
        "clock",
        "adjtimex clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 \
         clock_gettime clock_gettime64 clock_settime clock_settime64 gettimeofday \
         settimeofday time stime",
    ),
    // Calls that take no argument and cannot fail.
    (
        "pure",
        "getegid geteuid getgid getpgrp getpid getppid gettid getuid getegid32 geteuid32 \
         getgid32 getuid32",
    ),
];

/// Which syscalls to trace, resolved per ABI.
#[derive(Debug, Clone)]
pub(crate) struct TraceSet {
    /// `true` when every syscall is selected (no seccomp filter needed).
    all: bool,
    /// One bitmap per entry of [`arch::ALL`], indexed by syscall number.
    bits: Vec<Vec<bool>>,
}

impl Default for TraceSet {
    fn default() -> Self {
        TraceSet::everything()
    }
}

impl TraceSet {
    /// Every syscall.
    pub(crate) fn everything() -> Self {
        TraceSet {
            all: true,
            bits: arch::ALL
                .iter()
                .map(|a| vec![true; a.max_nr() as usize + 1])
                .collect(),
        }
    }

    /// Parse the value of `-e trace=` (`SET` of strace's syntax).
    pub(crate) fn parse(spec: &str) -> Result<Self, String> {
        let (negate, body) = match spec.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let mut names: Vec<&'static str> = Vec::new();
        let mut everything = false;
        for item in split_items(body) {
            if item.is_empty() {
                return Err(format!("invalid system call '{spec}'"));
            }
            resolve_item(item, &mut names, &mut everything)?;
        }
        let mut bits = Vec::new();
        let mut all_selected = true;
        for a in arch::ALL.iter() {
            let mut v = vec![everything; a.max_nr() as usize + 1];
            if !everything {
                for (nr, n) in a.iter() {
                    if names.contains(&n) {
                        v[nr as usize] = true;
                    }
                }
            }
            if negate {
                v.iter_mut().for_each(|b| *b = !*b);
            }
            all_selected &= v.iter().all(|&b| b);
            bits.push(v);
        }
        Ok(TraceSet {
            all: all_selected,
            bits,
        })
    }

    /// `true` when no syscall is filtered out.
    pub(crate) fn is_all(&self) -> bool {
        self.all
    }

    /// Is syscall `nr` of ABI `a` selected? Numbers beyond the table are
    /// selected only when everything is.
    pub(crate) fn contains(&self, a: &Arch, nr: u64) -> bool {
        let idx = arch::ALL
            .iter()
            .position(|x| x.audit == a.audit)
            .unwrap_or(0);
        match self.bits[idx].get(nr as usize) {
            Some(&b) => b,
            None => self.all,
        }
    }

    /// Selected syscall numbers of ABI `a`.
    pub(crate) fn numbers(&self, a: &Arch) -> Vec<u64> {
        a.iter()
            .filter(|&(nr, _)| self.contains(a, nr))
            .map(|(nr, _)| nr)
            .collect()
    }
}

/// Split on commas, but not inside a `/regex/` (which may contain commas).
fn split_items(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_re = false;
    for (i, c) in body.char_indices() {
        match c {
            '/' if i == start => in_re = true,
            '/' if in_re => in_re = false,
            ',' if !in_re => {
                out.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&body[start..]);
    out
}

fn all_names() -> impl Iterator<Item = &'static str> {
    arch::ALL.iter().flat_map(|a| a.iter().map(|(_, n)| n))
}

fn resolve_item(
    item: &str,
    names: &mut Vec<&'static str>,
    everything: &mut bool,
) -> Result<(), String> {
    if item == "all" {
        *everything = true;
    } else if item == "none" {
    } else if let Some(class) = item.strip_prefix('%') {
        // strace's short spelling.
        let class = if class == "net" { "network" } else { class };
        let (_, list) = CLASSES
            .iter()
            .find(|(c, _)| *c == class)
            .ok_or_else(|| format!("invalid system call class '%{class}'"))?;
        names.extend(list.split_ascii_whitespace());
    } else if item.len() >= 2 && item.starts_with('/') && item.ends_with('/') {
        let re = Regex::new(&item[1..item.len() - 1])
            .map_err(|e| format!("invalid regular expression '{item}': {e}"))?;
        let matched: Vec<_> = all_names().filter(|n| re.is_match(n)).collect();
        if matched.is_empty() {
            return Err(format!(
                "regular expression '{item}' matches no system call"
            ));
        }
        names.extend(matched);
    } else if let Some(n) = all_names().find(|n| *n == item) {
        names.push(n);
    } else {
        return Err(format!("invalid system call '{item}'"));
    }
    Ok(())
}

/// `-e status=`: which outcomes to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum StatusFilter {
    /// Everything (the default).
    #[default]
    Any,
    /// Only calls that returned an error.
    Failed,
    /// Only calls that did not return an error.
    Successful,
}

impl StatusFilter {
    /// Parse the value of `-e status=`.
    pub(crate) fn parse(spec: &str) -> Result<Self, String> {
        match spec {
            "failed" => Ok(StatusFilter::Failed),
            "successful" => Ok(StatusFilter::Successful),
            "all" | "any" => Ok(StatusFilter::Any),
            other => Err(format!(
                "invalid status '{other}' (expected failed, successful or all)"
            )),
        }
    }

    /// Does a call that `failed` (or not) pass? Calls that never returned
    /// (`= ?`) pass only the default filter.
    pub(crate) fn admits(self, failed: Option<bool>) -> bool {
        match (self, failed) {
            (StatusFilter::Any, _) => true,
            (StatusFilter::Failed, Some(f)) => f,
            (StatusFilter::Successful, Some(f)) => !f,
            (_, None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::{I386, X86_64};

    #[test]
    fn names_and_classes() {
        let s = TraceSet::parse("openat,read").unwrap();
        assert!(!s.is_all());
        assert!(s.contains(&X86_64, 257) && s.contains(&X86_64, 0));
        assert!(!s.contains(&X86_64, 1));
        let f = TraceSet::parse("%file").unwrap();
        assert!(f.contains(&X86_64, 257) && f.contains(&I386, 5));
        assert!(!f.contains(&X86_64, 0));
        let n = TraceSet::parse("%network").unwrap();
        assert_eq!(n.numbers(&X86_64).len(), 18);
    }

    #[test]
    fn negation_regex_all_none() {
        let s = TraceSet::parse("!read,write").unwrap();
        assert!(!s.contains(&X86_64, 0) && !s.contains(&X86_64, 1) && s.contains(&X86_64, 3));
        let r = TraceSet::parse("/^(open|read)/").unwrap();
        assert!(r.contains(&X86_64, 257) && r.contains(&X86_64, 89) && !r.contains(&X86_64, 1));
        assert!(TraceSet::parse("all").unwrap().is_all());
        assert!(TraceSet::parse("!none").unwrap().is_all());
        assert!(TraceSet::parse("none").unwrap().numbers(&X86_64).is_empty());
        let c = TraceSet::parse("/^wri{1,2}te$/,read").unwrap();
        assert!(c.contains(&X86_64, 0));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            TraceSet::parse("opnat").unwrap_err(),
            "invalid system call 'opnat'"
        );
        assert!(TraceSet::parse("%nope").unwrap_err().contains("%nope"));
        assert!(TraceSet::parse("/[/")
            .unwrap_err()
            .contains("regular expression"));
        assert!(StatusFilter::parse("bad").is_err());
        assert!(StatusFilter::Failed.admits(Some(true)));
        assert!(!StatusFilter::Successful.admits(Some(true)));
    }
}

/// `-e signal=SET`: which signal-delivery lines are printed (strace's
/// syntax: names with or without `SIG`, numbers, `all`, `none`, a leading
/// `!` negating the set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignalSet {
    /// Bit `n` set: signal `n` is printed.
    bits: u128,
}

impl Default for SignalSet {
    fn default() -> Self {
        SignalSet { bits: u128::MAX }
    }
}

impl SignalSet {
    /// Parses `SET`.
    pub(crate) fn parse(v: &str) -> Result<SignalSet, String> {
        let (negate, body) = match v.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, v),
        };
        let mut bits = 0u128;
        for item in body.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "all" => bits = u128::MAX,
                "none" => {}
                name => {
                    let n = crate::decode::signals::number(name)
                        .ok_or_else(|| format!("invalid signal '{name}' in -e signal="))?;
                    bits |= 1 << n;
                }
            }
        }
        Ok(SignalSet {
            bits: if negate { !bits } else { bits },
        })
    }

    /// Whether signal `sig` is printed.
    pub(crate) fn contains(&self, sig: i32) -> bool {
        (0..128).contains(&sig) && self.bits & (1 << sig) != 0
    }
}
