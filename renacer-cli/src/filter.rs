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
        let mut names: Vec<Selected> = Vec::new();
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
                    if names
                        .iter()
                        .any(|&(x, p)| x == n && p.is_none_or(|p| p.admits(a)))
                    {
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

/// A selected name and the ABI it is limited to (`name@64`), if any.
type Selected = (&'static str, Option<Personality>);

/// strace's personality suffixes: `@64` the native 64-bit ABI, `@32` the
/// 32-bit one (i386 on x86_64). `@x32` names an ABI renacer does not trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Personality {
    Bits64,
    Bits32,
}

impl Personality {
    fn admits(self, a: &Arch) -> bool {
        let is32 = a.name == "i386";
        match self {
            Personality::Bits64 => !is32,
            Personality::Bits32 => is32,
        }
    }
}

/// One item of a `trace=` list: `?` (no error when it matches nothing),
/// a `@64`/`@32` suffix, then a name, `%class`, `/regex` (strace's form)
/// or `/regex/`.
fn resolve_item(
    item: &str,
    names: &mut Vec<Selected>,
    everything: &mut bool,
) -> Result<(), String> {
    let (optional, item) = match item.strip_prefix('?') {
        Some(rest) => (true, rest),
        None => (false, item),
    };
    let (item, personality) = match item.rsplit_once('@') {
        Some((base, "64")) => (base, Some(Personality::Bits64)),
        Some((base, "32")) => (base, Some(Personality::Bits32)),
        Some((_, "x32")) => {
            return Err(format!("'{item}': the x32 ABI is not traced by renacer"));
        }
        Some((_, other)) if !item.starts_with('/') => {
            return Err(format!(
                "invalid personality '@{other}' in '{item}' (expected @64 or @32)"
            ));
        }
        _ => (item, None),
    };
    let mut found = Vec::new();
    let r = resolve_names(item, &mut found, everything);
    match r {
        Err(_) if optional => {}
        Err(e) => return Err(e),
        Ok(()) => names.extend(found.into_iter().map(|n| (n, personality))),
    }
    Ok(())
}

fn resolve_names(
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
    } else if let Some(body) = item.strip_prefix('/') {
        // strace writes `/regex`; `/regex/` is accepted too.
        let body = body.strip_suffix('/').unwrap_or(body);
        let re =
            Regex::new(body).map_err(|e| format!("invalid regular expression '{item}': {e}"))?;
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

/// `-e status=SET`: which outcomes to show, a set as in strace 6.1:
/// `successful`, `failed`, `unfinished` (the task exited or was killed
/// inside the call), `unavailable` (no return value: `= ?`), `detached`
/// (the tracer let go inside the call), `all`/`any`, `none`, `!negation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatusFilter(u8);

impl Default for StatusFilter {
    fn default() -> Self {
        StatusFilter::ANY
    }
}

impl StatusFilter {
    const SUCCESSFUL_BIT: u8 = 1;
    const FAILED_BIT: u8 = 2;
    const UNFINISHED_BIT: u8 = 4;
    const UNAVAILABLE_BIT: u8 = 8;
    const DETACHED_BIT: u8 = 16;
    /// Every outcome (the default).
    pub(crate) const ANY: StatusFilter = StatusFilter(31);
    /// `-z`: calls that returned without an error.
    pub(crate) const SUCCESSFUL: StatusFilter = StatusFilter(Self::SUCCESSFUL_BIT);
    /// `-Z`: calls that returned an error.
    pub(crate) const FAILED: StatusFilter = StatusFilter(Self::FAILED_BIT);

    pub(crate) fn parse(spec: &str) -> Result<Self, String> {
        let (negate, body) = match spec.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let mut bits = 0u8;
        for item in body.split(',') {
            bits |= match item {
                "successful" => Self::SUCCESSFUL_BIT,
                "failed" => Self::FAILED_BIT,
                "unfinished" => Self::UNFINISHED_BIT,
                "unavailable" => Self::UNAVAILABLE_BIT,
                "detached" => Self::DETACHED_BIT,
                "all" | "any" => Self::ANY.0,
                "none" => 0,
                other => {
                    return Err(format!(
                        "invalid status '{other}' (expected successful, failed, unfinished, unavailable, detached, all or none)"
                    ))
                }
            };
        }
        Ok(StatusFilter(if negate {
            !bits & Self::ANY.0
        } else {
            bits
        }))
    }

    /// Does a call that `failed` (or not) pass? A call that never returned
    /// (`= ?`, `failed == None`) is unfinished, and its value unavailable:
    /// it passes when either is selected.
    pub(crate) fn admits(self, failed: Option<bool>) -> bool {
        let need = match failed {
            Some(true) => Self::FAILED_BIT,
            Some(false) => Self::SUCCESSFUL_BIT,
            None => Self::UNFINISHED_BIT | Self::UNAVAILABLE_BIT | Self::DETACHED_BIT,
        };
        self.0 & need != 0
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
        assert!(StatusFilter::FAILED.admits(Some(true)));
        assert!(!StatusFilter::SUCCESSFUL.admits(Some(true)));
    }

    #[test]
    fn optional_names_personalities_and_strace_regexes() {
        // `?`: an unknown name is not an error.
        let s = TraceSet::parse("?no_such_call,read").unwrap();
        assert!(s.contains(&X86_64, 0) && !s.contains(&X86_64, 1));
        assert!(TraceSet::parse("no_such_call").is_err());
        // `@64` / `@32`: one ABI only.
        let s = TraceSet::parse("read@64").unwrap();
        assert!(s.contains(&X86_64, 0));
        assert!(!s.contains(&I386, 3), "i386 read is excluded");
        let s = TraceSet::parse("read@32").unwrap();
        assert!(!s.contains(&X86_64, 0) && s.contains(&I386, 3));
        assert!(TraceSet::parse("read@x32").unwrap_err().contains("x32"));
        assert!(TraceSet::parse("read@16").unwrap_err().contains("@16"));
        // strace's `/regex` and renacer's `/regex/` select the same calls.
        let a = TraceSet::parse("/^getp").unwrap();
        let b = TraceSet::parse("/^getp/").unwrap();
        assert_eq!(a.numbers(&X86_64), b.numbers(&X86_64));
        assert!(a.contains(&X86_64, 39), "getpid");
    }

    #[test]
    fn status_sets() {
        let s = StatusFilter::parse("successful,unfinished").unwrap();
        assert!(s.admits(Some(false)) && s.admits(None) && !s.admits(Some(true)));
        let s = StatusFilter::parse("!failed").unwrap();
        assert!(!s.admits(Some(true)) && s.admits(Some(false)) && s.admits(None));
        let s = StatusFilter::parse("unavailable").unwrap();
        assert!(s.admits(None) && !s.admits(Some(false)));
        assert_eq!(StatusFilter::parse("all").unwrap(), StatusFilter::ANY);
        let none = StatusFilter::parse("none").unwrap();
        assert!(!none.admits(Some(false)) && !none.admits(None));
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

/// `-e read=SET` / `-e write=SET`: descriptors whose data is dumped
/// (numbers, `all`, `none`, a leading `!` negating the set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FdSet {
    fds: Vec<i32>,
    negate: bool,
}

impl FdSet {
    /// Parses `SET`; `which` names the qualifier in messages.
    pub(crate) fn parse(v: &str, which: &str) -> Result<FdSet, String> {
        let (negate, body) = match v.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, v),
        };
        let mut set = FdSet {
            fds: Vec::new(),
            negate,
        };
        for item in body.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                // `all` is the empty set negated.
                "all" => {
                    return Ok(FdSet {
                        fds: Vec::new(),
                        negate: !negate,
                    })
                }
                "none" => {}
                n => match n.parse::<i32>() {
                    Ok(fd) if fd >= 0 => set.fds.push(fd),
                    _ => return Err(format!("invalid descriptor '{n}' in -e {which}=")),
                },
            }
        }
        Ok(set)
    }

    /// Whether `fd`'s data is dumped.
    pub(crate) fn contains(&self, fd: i32) -> bool {
        fd >= 0 && self.fds.contains(&fd) != self.negate
    }

    /// Whether no descriptor is dumped (the tracer skips the lookup).
    pub(crate) fn is_empty(&self) -> bool {
        self.fds.is_empty() && !self.negate
    }
}

#[cfg(test)]
mod fd_set_tests {
    use super::FdSet;

    #[test]
    fn fd_sets_parse_like_straces() {
        let s = FdSet::parse("1,3", "read").unwrap();
        assert!(s.contains(1) && s.contains(3) && !s.contains(2) && !s.contains(-1));
        assert!(FdSet::parse("all", "read").unwrap().contains(77));
        assert!(!FdSet::parse("!all", "read").unwrap().contains(77));
        assert!(FdSet::parse("!0", "write").unwrap().contains(1));
        assert!(FdSet::parse("none", "write").unwrap().is_empty());
        assert!(FdSet::parse("x", "write")
            .unwrap_err()
            .contains("-e write="));
    }
}
