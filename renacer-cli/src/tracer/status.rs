//! What one `waitpid` status means for a ptrace tracer, decoded once into a
//! typed [`Status`] so the event loop matches on meanings, not bit masks.
//!
//! Our own decoding rather than `nix`'s `WaitStatus::from_raw`: that one
//! turns the signal into nix's `Signal` enum and fails on real-time signals
//! (`SIGRTMIN+n`), which a tracer must pass through like any other.

/// `PTRACE_EVENT_STOP`: a group-stop or `PTRACE_INTERRUPT` under `SEIZE`.
const EVENT_STOP: i32 = 128;

/// One decoded `waitpid` status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// The task exited with this code.
    Exited(i32),
    /// The task was killed by `signo`.
    Killed { signo: i32, core: bool },
    /// Syscall-entry or -exit stop (`SIGTRAP | 0x80`, `PTRACE_O_TRACESYSGOOD`).
    Syscall,
    /// A `PTRACE_EVENT_*` stop other than `PTRACE_EVENT_STOP`.
    Event(i32),
    /// `PTRACE_EVENT_STOP` with this signal: a group-stop when the signal
    /// stops the task, else an interrupt.
    EventStop(i32),
    /// Signal-delivery stop: `signo` is about to be delivered.
    Signal(i32),
    /// Anything else (`WIFCONTINUED`): nothing to do.
    Other,
}

impl Status {
    /// Decodes a raw `waitpid` status.
    pub(crate) fn decode(status: i32) -> Status {
        if libc::WIFEXITED(status) {
            return Status::Exited(libc::WEXITSTATUS(status));
        }
        if libc::WIFSIGNALED(status) {
            return Status::Killed {
                signo: libc::WTERMSIG(status),
                core: libc::WCOREDUMP(status),
            };
        }
        if !libc::WIFSTOPPED(status) {
            return Status::Other;
        }
        let sig = libc::WSTOPSIG(status);
        let event = (status >> 16) & 0xff;
        if sig == libc::SIGTRAP | 0x80 {
            Status::Syscall
        } else if event == EVENT_STOP {
            Status::EventStop(sig)
        } else if sig == libc::SIGTRAP && event != 0 {
            Status::Event(event)
        } else {
            Status::Signal(sig)
        }
    }

    /// The exit status renacer returns for a command that ended this way
    /// (`128 + signal` when killed, like a shell); `None` if it did not end.
    pub(crate) fn exit_code(self) -> Option<u8> {
        match self {
            Status::Exited(code) => Some(code as u8),
            Status::Killed { signo, .. } => Some(128u8.wrapping_add(signo as u8)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Raw statuses as the kernel builds them (`wait.h`).
    const fn exited(code: i32) -> i32 {
        code << 8
    }
    const fn stopped(sig: i32, event: i32) -> i32 {
        (event << 16) | (sig << 8) | 0x7f
    }

    #[test]
    fn every_kind_of_stop_decodes() {
        assert_eq!(Status::decode(exited(3)), Status::Exited(3));
        assert_eq!(
            Status::decode(libc::SIGKILL),
            Status::Killed {
                signo: libc::SIGKILL,
                core: false
            }
        );
        assert_eq!(
            Status::decode(libc::SIGSEGV | 0x80),
            Status::Killed {
                signo: libc::SIGSEGV,
                core: true
            }
        );
        assert_eq!(
            Status::decode(stopped(libc::SIGTRAP | 0x80, 0)),
            Status::Syscall
        );
        assert_eq!(Status::decode(stopped(libc::SIGTRAP, 3)), Status::Event(3));
        assert_eq!(
            Status::decode(stopped(libc::SIGSTOP, EVENT_STOP)),
            Status::EventStop(libc::SIGSTOP)
        );
        // A real-time signal is delivered like any other.
        let rt = libc::SIGRTMIN() + 3;
        assert_eq!(Status::decode(stopped(rt, 0)), Status::Signal(rt));
        assert_eq!(Status::decode(0xffff), Status::Other); // WIFCONTINUED
    }

    #[test]
    fn exit_codes_follow_the_shell() {
        assert_eq!(Status::Exited(7).exit_code(), Some(7));
        assert_eq!(
            Status::Killed {
                signo: 9,
                core: false
            }
            .exit_code(),
            Some(137)
        );
        assert_eq!(Status::Syscall.exit_code(), None);
    }
}
