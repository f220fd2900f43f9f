//! How many arguments each system call takes, by name (the same on every
//! ABI). strace prints exactly that many, so an undecoded call shows its real
//! arguments in hex and no garbage registers.

/// Number of arguments of the named syscall; 6 when unknown (print them all,
/// as strace does for calls it has no entry for).
pub(crate) fn nargs(name: &str) -> usize {
    for (n, names) in TABLE.iter().enumerate() {
        if names.split_ascii_whitespace().any(|x| x == name) {
            return n;
        }
    }
    6
}

/// Index = argument count.
const TABLE: [&str; 7] = [
    // 0
    "getpid getppid getuid geteuid getgid getegid gettid sched_yield pause fork vfork setsid \
     getpgrp sync munlockall inotify_init rt_sigreturn restart_syscall vhangup sigreturn \
     getuid32 geteuid32 getgid32 getegid32 sgetmask idle uretprobe",
    // 1
    "close brk exit exit_group dup uname sched_get_priority_max sched_get_priority_min chdir fchdir rmdir unlink umask time alarm setuid \
     setgid getpgid getsid setfsuid setfsgid pipe epoll_create epoll_create1 eventfd \
     set_tid_address mlockall iopl personality sysinfo times acct swapoff chroot fdatasync \
     fsync syncfs shmdt unshare io_destroy timer_getoverrun timer_delete inotify_init1 \
     olduname oldolduname nice stime setuid32 setgid32 setfsuid32 setfsgid32 ssetmask \
     sigpending sigsuspend umount userfaultfd memfd_secret pkey_free set_thread_area \
     get_thread_area adjtimex _sysctl",
    // 2
    "munmap access mkdir creat link symlink rename chmod fchmod truncate ftruncate dup2 \
     getrlimit setrlimit getrusage gettimeofday settimeofday kill tkill flock listen shutdown \
     pipe2 sigaltstack rt_sigsuspend rt_sigpending utime utimes statfs fstatfs stat fstat lstat \
     getcwd getgroups setgroups setreuid setregid capget capset arch_prctl setpgid \
     sched_getparam sched_setparam sched_getscheduler sched_rr_get_interval clock_gettime clock_settime clock_getres \
     getpriority nanosleep mlock munlock umount2 swapon timerfd_gettime eventfd2 \
     memfd_create fanotify_init inotify_rm_watch pidfd_open delete_module io_setup \
     set_robust_list clock_adjtime timer_gettime pivot_root setns signal getitimer statfs64 \
     fstatfs64 stat64 lstat64 fstat64 ftruncate64 truncate64 getgroups32 setgroups32 \
     setreuid32 setregid32 mq_unlink ustat timerfd_create removexattr lremovexattr \
     fremovexattr clone3 pkey_alloc process_mrelease sethostname setdomainname \
     io_uring_setup",
    // 3
    "read write open lseek mprotect ioctl readv writev madvise mincore shmget shmat shmctl \
     socket connect accept getsockname getpeername sendmsg recvmsg bind fcntl getdents \
     getdents64 chown fchown lchown readlink mknod sched_setscheduler setitimer setpriority \
     execve setresuid getresuid setresgid getresgid getrandom msgget semget semop msgctl \
     dup3 mkdirat unlinkat symlinkat fchmodat faccessat futimesat inotify_add_watch \
     get_robust_list sched_getaffinity sched_setaffinity io_cancel io_submit ioprio_set \
     ioprio_get lookup_dcookie tgkill rt_sigqueueinfo mq_notify timer_create init_module \
     finit_module syslog getcpu seccomp pidfd_getfd close_range open_tree fsopen fsmount \
     landlock_create_ruleset landlock_restrict_self fchown32 chown32 lchown32 setresuid32 \
     getresuid32 setresgid32 getresgid32 fcntl64 sigprocmask waitpid readdir mseal \
     signalfd msync mlock2 bpf membarrier listxattr llistxattr flistxattr readahead \
     set_mempolicy modify_ldt sysfs ioperm open_by_handle_at sched_setattr map_shadow_stack",
    // 4
    "pread64 pwrite64 sendfile rt_sigaction rt_sigprocmask wait4 socketpair mknodat fchownat \
     newfstatat fstatat64 renameat linkat readlinkat utimensat accept4 epoll_ctl epoll_wait \
     signalfd4 timerfd_settime fallocate tee sync_file_range rt_tgsigqueueinfo \
     rt_sigtimedwait openat openat2 timer_settime clock_nanosleep prlimit64 msgsnd semctl \
     quotactl fadvise64 request_key vmsplice faccessat2 pidfd_send_signal mq_getsetattr \
     semtimedop sendfile64 migrate_pages fchmodat2 landlock_add_rule kexec_load ptrace \
     lsm_get_self_attr lsm_set_self_attr rseq getxattr lgetxattr fgetxattr sendmmsg \
     preadv pwritev pkey_mprotect sched_getattr io_uring_register futex_wake futex_requeue \
     mq_open reboot cachestat quotactl_fd set_mempolicy_home_node",
    // 5
    "select mremap prctl setsockopt getsockopt waitid keyctl add_key statx renameat2 \
     execveat kcmp perf_event_open process_madvise io_getevents name_to_handle_at ppoll \
     mount fsconfig move_mount mount_setattr remap_file_pages msgrcv futex_waitv listmount \
     statmount _newselect _llseek clone recvmmsg fanotify_mark get_mempolicy setxattr \
     lsetxattr fsetxattr preadv2 pwritev2 mq_timedsend mq_timedreceive kexec_file_load",
    // 6
    "mmap futex sendto recvfrom splice copy_file_range pselect6 epoll_pwait epoll_pwait2 \
     sync_file_range2 move_pages mbind process_vm_readv process_vm_writev ipc mmap2 \
     io_uring_enter futex_wait",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_counts() {
        assert_eq!(nargs("getpid"), 0);
        assert_eq!(nargs("close"), 1);
        assert_eq!(nargs("fstat"), 2);
        assert_eq!(nargs("read"), 3);
        assert_eq!(nargs("openat"), 4);
        assert_eq!(nargs("statx"), 5);
        assert_eq!(nargs("mmap"), 6);
        assert_eq!(nargs("no_such_call"), 6);
    }
}
