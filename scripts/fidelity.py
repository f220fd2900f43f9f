#!/usr/bin/env python3
"""strace fidelity harness: runs real programs under strace and under renacer
(`-f -o FILE`, same environment, same working directory), normalizes what
differs between any two runs (pids, addresses, times, inode numbers, random
bytes), joins strace's `<unfinished ...>` / `<... resumed>` pairs, and reports
the share of identical lines per program and overall, with the differing lines
grouped by syscall. strace against itself (a second strace run) is the noise
floor, reported next to it.

  scripts/fidelity.py                 # the full set, a table on stdout
  scripts/fidelity.py --fast --min 97 # CI's subset; exit 1 below 97 %
  scripts/fidelity.py --markdown      # the table for docs/cli.md
  scripts/fidelity.py --only tar -v   # one program, with its differing lines

renacer is target/debug/renacer unless --renacer or $RENACER names another.
"""
import argparse
import collections
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# C programs, one per decoder family renacer decodes (compiled with gcc).
C_PROGRAMS = {
    "c-files": r"""
#include <fcntl.h>
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
int main(void) {
    char buf[32];
    int fd = open("input.txt", O_RDONLY | O_CLOEXEC);
    read(fd, buf, sizeof buf);
    pread64(fd, buf, 8, 2);
    lseek(fd, 3, SEEK_CUR);
    struct stat st; fstat(fd, &st);
    struct statfs sf; fstatfs(fd, &sf);
    dup2(fd, 9); close(9);
    fcntl(fd, F_GETFD);
    close(fd);
    mkdir("c-dir", 0750); rmdir("c-dir");
    symlink("input.txt", "c-link"); readlink("c-link", buf, sizeof buf); unlink("c-link");
    chmod("input.txt", 0644);
    access("nonexistent", F_OK);
    int w = openat(AT_FDCWD, "c-out.txt", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    write(w, "abc\n", 4); ftruncate(w, 2); fsync(w); close(w);
    rename("c-out.txt", "c-out2.txt"); unlink("c-out2.txt");
    return 0;
}
""",
    "c-memory": r"""
#include <sys/mman.h>
#include <unistd.h>
int main(void) {
    void *p = mmap(0, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(p, 4096, PROT_READ);
    madvise(p, 4096, MADV_DONTNEED);
    msync(p, 4096, MS_ASYNC);
    munmap(p, 1 << 16);
    brk(0);
    return 0;
}
""",
    "c-signals": r"""
#include <signal.h>
#include <unistd.h>
#include <string.h>
static void h(int s) { (void)s; }
int main(void) {
    struct sigaction sa; memset(&sa, 0, sizeof sa);
    sa.sa_handler = h; sa.sa_flags = SA_RESTART; sigemptyset(&sa.sa_mask); sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, 0);
    sigset_t set; sigemptyset(&set); sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, 0);
    kill(getpid(), SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &set, 0);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}
""",
    "c-sockets": r"""
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <string.h>
int main(void) {
    int fds[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    write(fds[0], "ping", 4); char b[8]; read(fds[1], b, sizeof b);
    close(fds[0]); close(fds[1]);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1; setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a; memset(&a, 0, sizeof a);
    a.sin_family = AF_INET; a.sin_port = htons(9); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)&a, sizeof a);
    sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
    close(s);
    return 0;
}
""",
    "c-process": r"""
#include <sys/wait.h>
#include <sys/resource.h>
#include <unistd.h>
int main(void) {
    struct rlimit r; getrlimit(RLIMIT_NOFILE, &r);
    getuid(); getgid(); geteuid();
    int p[2]; pipe(p);
    pid_t c = fork();
    if (c == 0) { close(p[0]); write(p[1], "k", 1); _exit(7); }
    close(p[1]); char b; read(p[0], &b, 1);
    int st; wait4(c, &st, 0, 0);
    return 0;
}
""",
}

# (name, argv): run in a fresh directory holding input.txt, data.tar, a tree.
PROGRAMS = [
    ("true", ["true"]),
    ("echo", ["echo", "hello", "world"]),
    ("cat", ["cat", "input.txt"]),
    ("head", ["head", "-n", "2", "input.txt"]),
    ("tail", ["tail", "-n", "2", "input.txt"]),
    ("wc", ["wc", "input.txt"]),
    ("sort", ["sort", "input.txt"]),
    ("uniq", ["uniq", "input.txt"]),
    ("cut", ["cut", "-d", " ", "-f", "1", "input.txt"]),
    ("tr", ["sh", "-c", "tr a-z A-Z < input.txt"]),
    ("ls", ["ls", "-la", "tree"]),
    ("stat", ["stat", "input.txt"]),
    ("cp", ["cp", "input.txt", "copy.txt"]),
    ("mv", ["sh", "-c", "cp input.txt a.txt && mv a.txt b.txt"]),
    ("ln", ["ln", "-sf", "input.txt", "link.txt"]),
    ("mkdir", ["mkdir", "-p", "made/deep/dirs"]),
    ("touch", ["touch", "touched.txt"]),
    ("du", ["du", "-s", "tree"]),
    ("seq", ["seq", "1", "50"]),
    ("sha256sum", ["sha256sum", "input.txt"]),
    ("base64", ["base64", "input.txt"]),
    ("readlink", ["readlink", "-f", "input.txt"]),
    ("id", ["id"]),
    ("uname", ["uname", "-a"]),
    ("env", ["env", "-i", "A=1", "true"]),
    ("find", ["find", "tree"]),
    ("xargs", ["sh", "-c", "find tree -type f | xargs cat"]),
    ("tar-create", ["tar", "cf", "out.tar", "tree"]),
    ("tar-list", ["tar", "tf", "data.tar"]),
    ("gzip", ["gzip", "-k", "-f", "input.txt"]),
    ("xz", ["xz", "-k", "-f", "input.txt"]),
    ("sed", ["sed", "s/a/b/g", "input.txt"]),
    ("grep", ["grep", "-c", "line", "input.txt"]),
    ("awk", ["awk", "{ n += NF } END { print n }", "input.txt"]),
    ("sh-pipeline", ["sh", "-c", "cat input.txt | sort | uniq -c | wc -l"]),
    ("python", ["python3", "-S", "-c", "print(sum(range(10)))"]),
    ("python-threads", ["python3", "-S", "-c",
                        "import threading\nt=[threading.Thread(target=sum,args=([1,2],)) for _ in range(3)]\n"
                        "[x.start() for x in t]\n[x.join() for x in t]"]),
    ("python-subprocess", ["python3", "-S", "-c", "import subprocess; subprocess.run(['true'])"]),
    ("python-asyncio", ["python3", "-S", "-c",
                        "import asyncio\nasync def f():\n    await asyncio.sleep(0)\n    return 1\nasyncio.run(f())"]),
    ("python-udp", ["python3", "-S", "-c",
                    "import socket\na=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\na.bind(('127.0.0.1',0))\n"
                    "b=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nb.sendto(b'hi',a.getsockname())\nprint(a.recv(4))"]),
    ("df", ["df", "."]),
    ("od", ["od", "-c", "input.txt"]),
    ("tee", ["sh", "-c", "echo x | tee teed.txt"]),
    ("split", ["split", "-l", "2", "input.txt", "part-"]),
    ("date", ["date", "-u", "-d", "@0"]),
    ("nproc", ["nproc"]),
    ("ip", ["ip", "addr", "show", "lo"]),
    ("ss", ["ss", "-ltn"]),
    ("curl", ["sh", "-c", "curl -s file://$PWD/input.txt"]),
    ("gcc", ["gcc", "-c", "c-memory.c", "-o", "c-memory.o"]),
] + [(name, ["./" + name]) for name in C_PROGRAMS]

# CI's subset: a few seconds, one of each kind.
FAST = ["true", "cat", "cp", "id", "sort", "ls", "find", "sh-pipeline", "tar-list", "gzip",
        "c-files", "c-memory", "c-signals", "c-sockets", "c-process"]


def setup(work):
    os.makedirs(os.path.join(work, "tree", "sub"), exist_ok=True)
    with open(os.path.join(work, "input.txt"), "w") as f:
        f.write("line one\nline two\nline two\nalpha beta\n")
    for i in range(5):
        with open(os.path.join(work, "tree", "sub" if i % 2 else "", f"f{i}.txt"), "w") as f:
            f.write(f"file {i}\n")
    subprocess.run(["tar", "cf", "data.tar", "tree"], cwd=work, check=True)
    for name, src in C_PROGRAMS.items():
        c = os.path.join(work, name + ".c")
        with open(c, "w") as f:
            f.write(src)
        subprocess.run(["gcc", "-O1", "-o", os.path.join(work, name), c], check=True)


def run_traced(tracer, argv, work, out):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": work, "TZ": "UTC"}
    # Each run starts from the same directory contents.
    for f in ("copy.txt", "link.txt", "touched.txt", "out.tar", "input.txt.gz", "input.txt.xz", "b.txt",
              "teed.txt", "part-aa", "part-ab", "c-memory.o"):
        p = os.path.join(work, f)
        if os.path.lexists(p):
            os.remove(p)
    shutil.rmtree(os.path.join(work, "made"), ignore_errors=True)
    subprocess.run(tracer + ["-f", "-o", out, "--"] + argv, cwd=work, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    with open(out, encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


# Calls whose numbers are pids (or, for rt_sigreturn, whatever the
# interrupted call returned: often a pid from wait4).
PID_CALLS = ("clone", "clone3", "fork", "vfork", "wait4", "waitid", "getpid", "gettid", "getppid",
             "set_tid_address", "kill", "tgkill", "tkill", "prlimit64", "sched_getaffinity", "rt_sigreturn")


def normalize(lines):
    """Per process (pid), its lines with strace's unfinished/resumed pairs
    joined and what differs between runs replaced; processes in order of
    first appearance."""
    procs = collections.OrderedDict()
    pending = {}
    for line in lines:
        m = re.match(r"^(\d+) +(.*)$", line)
        pid, rest = (m.group(1), m.group(2)) if m else ("", line)
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")].rstrip()
            continue
        r = re.match(r"^<\.\.\. [\w]+ resumed>(.*)$", rest)
        if r and pid in pending:
            head, tail = pending.pop(pid), r.group(1)
            rest = head + ("" if head.endswith("(") or tail.startswith((")", ",")) else " ") + tail.lstrip()
        procs.setdefault(pid, []).append(scrub(rest))
    for pid, head in pending.items():
        procs.setdefault(pid, []).append(scrub(head + " <unfinished ...>"))
    return list(procs.values())


def scrub(s):
    # Result alignment (-a) is compared by tests/options.rs; a joined
    # unfinished/resumed line keeps the padding of its second half.
    s = re.sub(r"\) +(= )", r") \1", s)
    s = re.sub(r"0x[0-9a-f]{5,}", "0xADDR", s)
    s = re.sub(r"\b(st_ino|st_dev|st_rdev|st_blocks|st_[amc]time(?:_nsec)?|tv_sec|tv_nsec|f_ffree|f_bfree|f_bavail|f_files)=[^,}]+",
               lambda m: m.group(1) + "=N", s)
    s = re.sub(r"(pipe|socket|anon_inode|net):\[\d+\]", r"\1:[N]", s)
    s = re.sub(r'getrandom\("[^"]*"(\.\.\.)?', 'getrandom("RANDOM"', s)
    s = re.sub(r"/tmp/fidelity-[^/\s\"]+", "WORK", s)
    name = re.match(r"^(\w+)\(", s)
    if name and name.group(1) in PID_CALLS:
        s = re.sub(r"\b\d{2,}\b", "N", s)
    s = re.sub(r"(si_pid|nl_pid|pid)=-?\d+", r"\1=N", s)
    s = re.sub(r"(si_utime|si_stime)=\d+( /\* [\d.]+ s \*/)?", r"\1=N", s)
    s = re.sub(r"/tmp/cc\w{6}\.", "/tmp/ccTEMP.", s)
    s = re.sub(r"sin6?_port=htons\(\d+\)", "sin_port=htons(N)", s)
    s = re.sub(r"tv_usec=\d+", "tv_usec=N", s)
    # Machine state that changes between any two runs.
    if s.startswith("sysinfo("):
        s = re.sub(r"=\d+", "=N", s)
        s = re.sub(r"loads=\[[^]]*\]", "loads=[N]", s)
    s = re.sub(r"\b[0-9a-f]{8,}-[0-9a-f]{8,}\b", "ADDR-ADDR", s)
    s = re.sub(r"\+\+\+ (killed by|exited with)", r"+++ \1", s)
    return s


def syscall_of(line):
    m = re.match(r"^(\w+)\(", line)
    return m.group(1) if m else ("exit/signal" if line.startswith(("+++", "---")) else "other")


def match(a, b):
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    same = sum(bl.size for bl in sm.get_matching_blocks())
    diff_a, diff_b = [], []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            diff_a += a[i1:i2]
            diff_b += b[j1:j2]
    return same, diff_a, diff_b


def compare(pa, pb):
    """Processes of two traces paired greedily (largest first, each with the
    unpaired process it shares most lines with): interleaving between
    processes is scheduling, not fidelity. Returns (identical lines, lines,
    differing lines of each side)."""
    left = list(range(len(pb)))
    same = total = 0
    da, db = [], []
    for a in sorted(pa, key=len, reverse=True):
        best = max(left, key=lambda j: match(a, pb[j])[0], default=None)
        if best is None:
            total += len(a)
            da += a
            continue
        left.remove(best)
        s, x, y = match(a, pb[best])
        same += s
        total += max(len(a), len(pb[best]))
        da += x
        db += y
    for j in left:
        total += len(pb[j])
        db += pb[j]
    return same, total, da, db


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fast", action="store_true")
    ap.add_argument("--min", type=float, default=None)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--only", action="append")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--renacer", default=os.environ.get("RENACER", os.path.join(ROOT, "target/debug/renacer")))
    args = ap.parse_args()
    chosen = [p for p in PROGRAMS if (not args.fast or p[0] in FAST) and (not args.only or p[0] in args.only)]
    work = tempfile.mkdtemp(prefix="fidelity-", dir="/tmp")
    tmp = tempfile.mkdtemp(prefix="fidelity-out-")
    setup(work)
    rows, groups = [], collections.Counter()
    tot_lines = tot_same = tot_noise_same = tot_noise_lines = 0
    for name, argv in chosen:
        s1 = normalize(run_traced(["strace"], argv, work, os.path.join(tmp, "s1")))
        s2 = normalize(run_traced(["strace"], argv, work, os.path.join(tmp, "s2")))
        r = normalize(run_traced([args.renacer], argv, work, os.path.join(tmp, "r")))
        same, n, da, db = compare(s1, r)
        noise, nn, _, _ = compare(s1, s2)
        tot_lines += n
        tot_same += same
        tot_noise_lines += nn
        tot_noise_same += noise
        rows.append((name, sum(map(len, s1)), sum(map(len, r)), 100.0 * same / max(n, 1),
                     100.0 * noise / max(nn, 1)))
        for l in da + db:
            groups[syscall_of(l)] += 1
        if args.verbose:
            print(f"--- {name}: strace-only / renacer-only lines")
            for l in da:
                print("  S", l)
            for l in db:
                print("  R", l)
    overall = 100.0 * tot_same / max(tot_lines, 1)
    noise = 100.0 * tot_noise_same / max(tot_noise_lines, 1)
    if args.markdown:
        print("| program | strace lines | renacer lines | identical | strace vs strace |")
        print("|---|---:|---:|---:|---:|")
        for name, a, b, pct, nz in rows:
            print(f"| {name} | {a} | {b} | {pct:.1f} % | {nz:.1f} % |")
        print(f"| **all {len(rows)}** | | | **{overall:.2f} %** | {noise:.2f} % |")
    else:
        for name, a, b, pct, nz in rows:
            print(f"{name:20} {a:6} {b:6} {pct:6.1f}% (strace vs strace {nz:5.1f}%)")
        print(f"overall {overall:.2f}% identical over {len(rows)} programs (strace vs strace {noise:.2f}%)")
    if groups:
        print("differing lines by syscall: " + ", ".join(f"{k} {v}" for k, v in groups.most_common(20)))
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if args.min is not None and overall < args.min:
        print(f"fidelity {overall:.2f}% is below the threshold {args.min}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
