/* The physical floor of a full ptrace trace: launch a command and resume
 * it from every stop with PTRACE_SYSCALL, following forks, vforks and
 * threads, and nothing else — no syscall decoding, no output. Any tracer
 * that stops at every syscall entry and exit pays at least this.
 *
 *   cc -O2 -o ptrace_floor ptrace_floor.c && ./ptrace_floor [-s] CMD [ARGS...]
 *
 * -s: wait the way renacer does (renacer-cli/src/tracer/spin.rs): poll
 * waitpid(WNOHANG) for up to 50 us before blocking, so the tracer's CPU does
 * not go idle between stops. The floor of a tracer that waits like that.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The next stop; with `spin`, polled for up to 50 us first. */
static pid_t next_stop(int spin, int *status) {
    if (spin) {
        long long start = now_ns();
        do {
            pid_t pid = waitpid(-1, status, __WALL | WNOHANG);
            if (pid != 0)
                return pid;
        } while (now_ns() - start < 50000);
    }
    return waitpid(-1, status, __WALL);
}

int main(int argc, char **argv) {
    int spin = argc > 1 && strcmp(argv[1], "-s") == 0;
    argv += spin;
    argc -= spin;
    if (argc < 2) {
        fprintf(stderr, "usage: ptrace_floor [-s] CMD [ARGS...]\n");
        return 2;
    }
    pid_t child = fork();
    if (child == 0) {
        raise(SIGSTOP);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    if (ptrace(PTRACE_SEIZE, child, 0,
               PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
                   PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL) != 0) {
        perror("PTRACE_SEIZE");
        return 1;
    }
    int status, live = 1, code = 0;
    while (live > 0) {
        pid_t pid = next_stop(spin, &status);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            live--;
            if (pid == child)
                code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            continue;
        }
        int sig = 0;
        if (WIFSTOPPED(status)) {
            int stop = WSTOPSIG(status), event = status >> 16;
            if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
                event == PTRACE_EVENT_CLONE)
                live++;
            else if (stop != (SIGTRAP | 0x80) && stop != SIGTRAP && event == 0 &&
                     !(pid == child && stop == SIGSTOP))
                sig = stop; /* a real signal: deliver it */
        }
        ptrace(PTRACE_SYSCALL, pid, 0, sig);
    }
    return code;
}
