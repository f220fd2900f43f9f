//! Tracing changes nothing the tracee can see of its scheduling: the same
//! CPU affinity mask, online CPU count, scheduling policy and nice value,
//! and the same thread-count answer, traced or not (renacer pins nothing
//! and sets no priority).

mod common;
use common::*;
use std::process::Command;

const VIEW: &str = r#"
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>
static void *nothing(void *a) { return a; }
int main(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    printf("affinity %d:", CPU_COUNT(&set));
    for (int i = 0; i < CPU_SETSIZE; i++) if (CPU_ISSET(i, &set)) printf(" %d", i);
    printf("\nonline %ld\npolicy %d\nnice %d\n", sysconf(_SC_NPROCESSORS_ONLN),
           sched_getscheduler(0), getpriority(PRIO_PROCESS, 0));
    /* A second thread sees the same mask. */
    pthread_t t;
    pthread_create(&t, NULL, nothing, NULL);
    cpu_set_t other;
    CPU_ZERO(&other);
    pthread_getaffinity_np(t, sizeof other, &other);
    pthread_join(t, NULL);
    printf("thread affinity %d\n", CPU_COUNT(&other));
    return 0;
}
"#;

#[test]
fn affinity_threads_and_priority_are_untouched() {
    let exe = compile("tracee_view", VIEW);
    let untraced = Command::new(&exe).output().unwrap();
    assert!(untraced.status.success());
    for flags in [&["-f"][..], &["-f", "-c"][..], &["-e", "trace=openat"][..]] {
        let mut args = flags.to_vec();
        args.push(exe.to_str().unwrap());
        let (code, _trace, stdout) = trace(&args);
        assert_eq!(code, 0, "{flags:?}");
        assert_eq!(
            stdout,
            String::from_utf8_lossy(&untraced.stdout),
            "{flags:?}"
        );
    }
    // `nproc` (coreutils) answers from the same affinity mask.
    let plain = Command::new("nproc").output().unwrap();
    let (code, _, traced) = trace(&["nproc"]);
    assert_eq!(code, 0);
    assert_eq!(traced, String::from_utf8_lossy(&plain.stdout));
}
