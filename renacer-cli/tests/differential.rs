//! Differential tests: renacer and strace trace the same program; syscall
//! names, return values, errno and decoded arguments must agree once
//! addresses are normalised away.

mod common;
use common::*;
use std::collections::BTreeMap;

const FILEOPS: &str = r#"
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <string.h>
int main(int argc, char **argv) {
    char buf[64];
    int fd = open(argv[1], O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf);
    lseek(fd, 0, SEEK_SET);
    struct stat st;
    fstat(fd, &st);
    close(fd);
    write(1, buf, n);
    open("/nonexistent/renacer-test", O_RDONLY);
    access("/nonexistent/renacer-test", R_OK);
    int w = openat(AT_FDCWD, argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0640);
    write(w, "tab\there\n\x01\x7f", 11);
    close(w);
    unlink(argv[2]);
    close(12345);
    return 3;
}
"#;

/// Calls whose result is a pid/tid, different in every run.
const PID_VALUED: &[&str] = &[
    "set_tid_address",
    "getpid",
    "gettid",
    "clone",
    "clone3",
    "fork",
    "vfork",
    "wait4",
];

fn fixture_args() -> (String, String, String) {
    let exe = compile("fileops", FILEOPS);
    // Each test gets its own files: tests run in parallel.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let input = workdir().join(format!("fileops-input-{n}.txt"));
    std::fs::write(&input, "hello \"quoted\" world\n").unwrap();
    let scratch = workdir().join(format!("fileops-scratch-{n}.txt"));
    (
        exe.display().to_string(),
        input.display().to_string(),
        scratch.display().to_string(),
    )
}

#[test]
fn full_trace_matches_strace_line_by_line() {
    let (exe, input, scratch) = fixture_args();
    let (code, ours, _) = trace(&["--", &exe, &input, &scratch]);
    let theirs = strace(&["--", &exe, &input, &scratch]);
    assert_eq!(code, 3, "exit status of the traced program");
    let a: Vec<String> = syscall_lines(&ours).iter().map(|l| normalise(l)).collect();
    let b: Vec<String> = syscall_lines(&theirs)
        .iter()
        .map(|l| normalise(l))
        .collect();
    assert_eq!(
        a.len(),
        b.len(),
        "same number of syscalls\nours:\n{ours}\nstrace:\n{theirs}"
    );
    // Names, return values and errno everywhere.
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(name_of(x), name_of(y));
        if PID_VALUED.contains(&name_of(x)) {
            continue;
        }
        let rx = x.rsplit_once(" = ").map(|p| p.1);
        let ry = y.rsplit_once(" = ").map(|p| p.1);
        assert_eq!(rx, ry, "return value of\n  ours:   {x}\n  strace: {y}");
    }
    // Full decoded text for the calls this fixture is about.
    for call in [
        "openat", "read", "write", "close", "lseek", "access", "unlink", "fstat",
    ] {
        let ax: Vec<_> = a.iter().filter(|l| name_of(l) == call).collect();
        let bx: Vec<_> = b.iter().filter(|l| name_of(l) == call).collect();
        assert_eq!(ax, bx, "decoding of {call}");
    }
    assert!(ours.contains("+++ exited with 3 +++"));
}

/// `name -> (calls, errors)` from a `-c` table.
fn summary_rows(text: &str) -> BTreeMap<String, (u64, u64)> {
    let mut m = BTreeMap::new();
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 5 || f[0].starts_with('-') || f[0] == "%" || f.last() == Some(&"total") {
            continue;
        }
        let name = f.last().unwrap().to_string();
        let calls: u64 = f[3].parse().unwrap_or(0);
        let errors: u64 = if f.len() == 6 {
            f[4].parse().unwrap_or(0)
        } else {
            0
        };
        m.insert(name, (calls, errors));
    }
    m
}

#[test]
fn summary_counts_match_strace() {
    let (exe, input, scratch) = fixture_args();
    let (code, ours, _) = trace(&["-c", "--", &exe, &input, &scratch]);
    let theirs = strace(&["-c", "--", &exe, &input, &scratch]);
    assert_eq!(code, 3);
    let a = summary_rows(&ours);
    let b = summary_rows(&theirs);
    assert!(!a.is_empty(), "ours:\n{ours}");
    assert_eq!(a, b, "ours:\n{ours}\nstrace:\n{theirs}");
}

#[test]
fn filtered_trace_matches_strace() {
    let (exe, input, scratch) = fixture_args();
    let (_, ours, _) = trace(&["-e", "trace=openat,close", "--", &exe, &input, &scratch]);
    let theirs = strace(&["-e", "trace=openat,close", "--", &exe, &input, &scratch]);
    let a: Vec<String> = syscall_lines(&ours).iter().map(|l| normalise(l)).collect();
    let b: Vec<String> = syscall_lines(&theirs)
        .iter()
        .map(|l| normalise(l))
        .collect();
    assert_eq!(a, b);
}

/// Pipes, sockets, iovecs, poll/epoll, fcntl, stat of a device, signals,
/// rlimits, uname, fork/wait4, getdents64: the structs and flags of
/// docs/cli.md, compared with strace line by line.
const MISC: &str = r#"
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <poll.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <dirent.h>
int main(int argc, char **argv) {
    char sub[512]; strcpy(sub, argv[1]); strcat(sub, "/d");
    int p[2]; pipe2(p, O_CLOEXEC);
    write(p[1], "x", 1);
    struct pollfd pf = { .fd = p[0], .events = POLLIN };
    poll(&pf, 1, 100);
    dup2(p[0], 10); fcntl(10, F_GETFD); fcntl(10, F_SETFD, FD_CLOEXEC); fcntl(10, F_GETFL);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un un = { .sun_family = AF_UNIX }; strcpy(un.sun_path, "/nonexistent/sock");
    connect(s, (struct sockaddr *)&un, sizeof un);
    int t = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(0x7f000001) };
    connect(t, (struct sockaddr *)&in, sizeof in);
    sendto(t, "ping", 4, MSG_DONTWAIT, 0, 0);
    int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct iovec iov[2] = { { "ab", 2 }, { "cde", 3 } };
    writev(sv[0], iov, 2);
    char buf[8]; struct iovec rv = { buf, sizeof buf }; readv(sv[1], &rv, 1);
    struct iovec mi = { "msg", 3 }; struct msghdr mh; memset(&mh, 0, sizeof mh);
    mh.msg_iov = &mi; mh.msg_iovlen = 1; sendmsg(sv[0], &mh, MSG_NOSIGNAL);
    char mb[8]; struct iovec mr = { mb, sizeof mb }; struct msghdr mg; memset(&mg, 0, sizeof mg);
    mg.msg_iov = &mr; mg.msg_iovlen = 1; recvmsg(sv[1], &mg, 0);
    char cwd[256]; getcwd(cwd, sizeof cwd);
    char lnk[256]; readlink("/proc/self/exe", lnk, sizeof lnk);
    struct utsname u; uname(&u);
    struct timespec ts = { 0, 1000 }; nanosleep(&ts, 0);
    struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 }; epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    struct epoll_event out[2]; epoll_wait(ep, out, 2, 0);
    void *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(m, 4096, PROT_READ); munmap(m, 4096);
    mkdir(sub, 0755); rmdir(sub);
    struct stat st; stat("/dev/null", &st); lstat("/tmp", &st);
    sigset_t set; sigemptyset(&set); sigaddset(&set, SIGUSR1); sigprocmask(SIG_BLOCK, &set, 0);
    struct sigaction sa = { .sa_handler = SIG_IGN }; sigaction(SIGUSR2, &sa, 0);
    kill(getpid(), 0);
    umask(022);
    pid_t c = fork(); if (c == 0) _exit(3); int stt; wait4(c, &stt, 0, 0);
    DIR *d = opendir(argv[1]); while (readdir(d)); closedir(d);
    lseek(p[0], 0, SEEK_CUR);
    return 0;
}
"#;

#[test]
fn common_structs_and_flags_match_strace() {
    let exe = compile("misc", MISC);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let exe = exe.to_str().unwrap();
    let (code, ours, _) = trace(&["--", exe, d]);
    let theirs = strace(&["--", exe, d]);
    assert_eq!(code, 0, "{ours}");
    let keep = |l: &&str| {
        let n = name_of(strip_pid(l));
        !PID_VALUED.contains(&n)
            && !matches!(n, "getpid" | "kill" | "getrandom")
            && !l.starts_with("--- SIGCHLD")
    };
    let a: Vec<String> = ours.lines().filter(keep).map(normalise).collect();
    let b: Vec<String> = theirs.lines().filter(keep).map(normalise).collect();
    assert!(a.len() > 60, "{ours}");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert_eq!(a.len(), b.len());
}

const THREAD: &str = r#"
#include <pthread.h>
#include <unistd.h>
static void *w(void *a) { (void)a; getppid(); return 0; }
int main(void) { pthread_t t; pthread_create(&t, 0, w, 0); pthread_join(t, 0); return 0; }
"#;

#[test]
fn thread_creation_decodes_like_strace() {
    let exe = compile("onethread", THREAD);
    let exe = exe.to_str().unwrap();
    let args = ["-f", "-e", "trace=clone3,clone,exit", "--", exe];
    let (code, ours, _) = trace(&args);
    let theirs = strace(&args);
    assert_eq!(code, 0);
    let pick = |t: &str| {
        let mut v: Vec<String> = t
            .lines()
            .map(|l| long_numbers_as_n(3, &normalise(strip_pid(l))))
            // strace reads parent_tid from memory, which a thread that has
            // already exited cleared (CLONE_CHILD_CLEARTID, same address).
            .map(|l| l.replace("parent_tid=[0]", "parent_tid=[N]"))
            .filter(|l| !l.contains("resumed"))
            .collect();
        v.sort();
        v
    };
    let a = pick(&ours);
    let b = pick(&theirs);
    assert!(
        a.iter().any(|l| l.starts_with("clone3({flags=CLONE_VM|")),
        "{ours}"
    );
    assert!(
        a.iter().any(|l| l.contains("=> {parent_tid=[N]}")),
        "{ours}"
    );
    assert_eq!(a, b);
}

/// Decoders that printed something other than strace (issue 15, defect 4):
/// `chmod` modes with their file-type bits in octal, `rlim` values of 1024,
/// one-argument `sched_get_priority_*` with the policy's name, the ignored
/// event of `EPOLL_CTL_DEL` as an address, and strace's `SA_*` order.
const DECODER_FIXES: &str = r#"
#include <sys/stat.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/epoll.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>
static void h(int s) { (void)s; }
int main(int argc, char **argv) {
    int fd = open(argv[1], O_CREAT | O_WRONLY, 0644);
    chmod(argv[1], 0100744);
    fchmod(fd, 0744);
    struct rlimit r = {1024, 4096};
    setrlimit(RLIMIT_NOFILE, &r);
    sched_get_priority_max(SCHED_FIFO);
    sched_get_priority_min(SCHED_RR);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    struct epoll_event junk;
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, &junk);
    struct sigaction sa = {0};
    sa.sa_handler = h;
    sa.sa_flags = SA_RESTART | SA_NODEFER | SA_ONSTACK | SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGUSR1, &sa, 0);
    unlink(argv[1]);
    return 0;
}
"#;

#[test]
fn fixed_decoders_print_what_strace_prints() {
    let exe = compile("decoder-fixes", DECODER_FIXES);
    let file = workdir().join(format!("decoder-fixes-{}", std::process::id()));
    let (exe, file) = (exe.display().to_string(), file.display().to_string());
    let calls = "-etrace=chmod,fchmod,prlimit64,setrlimit,sched_get_priority_max,sched_get_priority_min,epoll_ctl,rt_sigaction";
    let (code, ours, _) = trace(&[calls, &exe, &file]);
    assert_eq!(code, 0, "{ours}");
    let theirs = strace(&[calls, &exe, &file]);
    let norm = |t: &str| -> Vec<String> {
        syscall_lines(t)
            .iter()
            // The C library's own rt_sigaction calls at start-up differ by
            // libc; compare ours (SIGUSR1) only.
            .filter(|l| !l.starts_with("rt_sigaction") || l.contains("SIGUSR1"))
            .map(|l| normalise(l))
            .collect()
    };
    let (ours, theirs) = (norm(&ours), norm(&theirs));
    assert!(ours.len() >= 8, "{ours:#?}");
    assert_eq!(ours, theirs);
}

/// One call or more from each decoder family that has no real program in
/// the fidelity set exercising it: extended attributes, fallocate, mknodat,
/// inotify, POSIX timers (every `sigev_notify` form), scheduling and I/O
/// priority, select, `times` and the NUMA memory policy calls.
const FAMILIES: &str = r#"
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/xattr.h>
int main(int argc, char **argv) {
    (void)argc;
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4096);
    fsetxattr(fd, "user.k", "v1", 2, XATTR_CREATE);
    char xb[64]; fgetxattr(fd, "user.k", xb, sizeof xb); flistxattr(fd, xb, sizeof xb);
    fremovexattr(fd, "user.k");
    mknodat(AT_FDCWD, argv[2], S_IFIFO | 0644, 0); unlink(argv[2]);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    int w = inotify_add_watch(in, argv[1], IN_MODIFY | IN_CLOSE_WRITE);
    inotify_rm_watch(in, w); close(in);
    timer_t t; struct sigevent ev; memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE; ev.sigev_signo = SIGUSR1;
    timer_create(CLOCK_MONOTONIC, &ev, &t);
    struct itimerspec its = {{0, 0}, {5, 0}}, old;
    timer_settime(t, 0, &its, &old); timer_gettime(t, &old); timer_delete(t);
    ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_value.sival_int = 7;
    timer_create(CLOCK_MONOTONIC, &ev, &t);
    ev.sigev_notify = 9; timer_create(CLOCK_MONOTONIC, &ev, &t);
    ev.sigev_notify = SIGEV_THREAD; syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &t);
    struct sched_param sp = {0};
    sched_setscheduler(0, SCHED_BATCH, &sp); sched_getscheduler(0); sched_getparam(0, &sp);
    syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 4); syscall(SYS_ioprio_get, 1, 0);
    fd_set rs; FD_ZERO(&rs); FD_SET(fd, &rs);
    struct timeval tv = {0, 1000}; select(fd + 1, &rs, NULL, NULL, &tv);
    struct tms tm; times(&tm); times(NULL);
    unsigned long mask[2] = {1, 0}; int mode;
    syscall(SYS_set_mempolicy, 1, mask, 64);
    syscall(SYS_get_mempolicy, &mode, mask, 128, NULL, 0);
    syscall(SYS_get_mempolicy, NULL, NULL, 0, NULL, 4);
    syscall(SYS_set_mempolicy, 0x8000 | 2, mask, 64);
    syscall(SYS_set_mempolicy, 0x63, NULL, 0);
    syscall(SYS_set_mempolicy, 0, NULL, 0);
    syscall(SYS_mbind, (unsigned long)xb & ~4095UL, 4096, 0, NULL, 0, 0x80);
    syscall(SYS_migrate_pages, 0, 1, mask, NULL);
    close(fd); unlink(argv[1]);
    return 0;
}
"#;

#[test]
fn decoder_families_print_what_strace_prints() {
    let exe = compile("families", FAMILIES);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file").display().to_string();
    let fifo = dir.path().join("fifo").display().to_string();
    let exe = exe.to_str().unwrap();
    let (code, ours, _) = trace(&["--", exe, &file, &fifo]);
    assert_eq!(code, 0, "{ours}");
    let theirs = strace(&["--", exe, &file, &fifo]);
    // Times left, timer ids' neighbours and tick counts change run to run.
    let norm = |t: &str| -> Vec<String> {
        syscall_lines(t)
            .iter()
            .filter(|l| !PID_VALUED.contains(&name_of(l)))
            .map(|l| long_numbers_as_n(3, &normalise(l)))
            .collect()
    };
    let (ours, theirs) = (norm(&ours), norm(&theirs));
    for want in [
        "set_mempolicy(MPOL_BIND|MPOL_F_STATIC_NODES",
        "times({tms_utime=",
        "sigev_notify=0xADDR /* SIGEV_??? */",
    ] {
        assert!(
            ours.iter().any(|l| l.contains(want)),
            "{want} missing: {ours:#?}"
        );
    }
    for (x, y) in ours.iter().zip(&theirs) {
        assert_eq!(x, y);
    }
    assert_eq!(ours.len(), theirs.len());
}

/// Netlink messages built by hand on route and uevent sockets: headers,
/// flags by request kind, several messages in one buffer, an ACK
/// (`NLMSG_ERROR` with `error=0` and the capped request), `NLMSG_DONE`'s
/// status, an unknown type and payloads strace prints as hex — through
/// `sendto`, `recvfrom`, `sendmsg` and `recvmsg` (whose data is read as
/// netlink only when addressed with a netlink sockaddr, as strace does).
const NETLINK: &str = r#"
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
static int put(char *b, unsigned len, unsigned short type, unsigned short flags, unsigned seq) {
    struct nlmsghdr h = {len, type, flags, seq, 0};
    memcpy(b, &h, sizeof h);
    return (len + 3) & ~3;
}
int main(void) {
    int r = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    struct sockaddr_nl me = {AF_NETLINK, 0, 0, 0};
    bind(r, (void *)&me, sizeof me);
    char b[256], in[4096];
    int n = put(b, 20, NLMSG_DONE, NLM_F_REQUEST, 5); memset(b + 16, 0, 4);
    sendto(r, b, n, 0, NULL, 0);
    n = put(b, 16, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 6);
    n += put(b + n, 16, NLMSG_DONE, NLM_F_REQUEST, 7);
    sendto(r, b, n, 0, NULL, 0);
    recvfrom(r, in, sizeof in, 0, NULL, NULL);
    n = put(b, 16, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 8);
    struct iovec iov = {b, n};
    struct sockaddr_nl k = {AF_NETLINK, 0, 0, 0};
    struct msghdr m = {0}; m.msg_iov = &iov; m.msg_iovlen = 1;
    m.msg_name = &k; m.msg_namelen = sizeof k;
    sendmsg(r, &m, 0);
    struct iovec iov2 = {in, sizeof in};
    struct msghdr m2 = {0}; m2.msg_iov = &iov2; m2.msg_iovlen = 1;
    m2.msg_name = &k; m2.msg_namelen = sizeof k;
    sendmsg(r, &m, 0);
    recvmsg(r, &m2, 0);
    m.msg_name = NULL; m.msg_namelen = 0;
    sendmsg(r, &m, 0);
    int u = socket(AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT);
    n = put(b, 24, 5, NLM_F_REQUEST | NLM_F_ACK, 1); memcpy(b + 16, "abcdefgh", 8);
    sendto(u, b, n, 0, NULL, 0);
    sendto(u, b, 12, 0, NULL, 0);
    return 0;
}
"#;

#[test]
fn netlink_messages_print_what_strace_prints() {
    let exe = compile("netlink", NETLINK);
    let calls = "-etrace=sendto,recvfrom,sendmsg,recvmsg";
    let exe = exe.to_str().unwrap();
    let (code, ours, _) = trace(&[calls, exe]);
    assert_eq!(code, 0, "{ours}");
    let theirs = strace(&[calls, exe]);
    // The kernel's port id for the socket is the process's pid.
    let norm = |t: &str| -> Vec<String> {
        syscall_lines(t)
            .iter()
            .map(|l| long_numbers_as_n(3, &normalise(l)))
            .collect()
    };
    let (ours, theirs) = (norm(&ours), norm(&theirs));
    assert!(
        ours.iter()
            .any(|l| l.contains("{error=0, msg={nlmsg_len=16, nlmsg_type=NLMSG_NOOP")),
        "{ours:#?}"
    );
    assert_eq!(ours, theirs);
}
