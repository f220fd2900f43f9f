//! Spin, then block: how the tracer waits for the next ptrace stop.
//!
//! Why: a full trace is a ping-pong between two tasks — the tracee stops,
//! the tracer wakes, resumes it and waits again — so a stop costs two
//! wake-ups. When the waiting task has blocked, its CPU goes idle, and
//! waking an idle CPU is the expensive part: an IPI, and on a VM a halted
//! vCPU that the hypervisor must schedule again (measured on the 2-vCPU
//! build VMs: a blocking `waitpid` loop takes ≈ 50 µs per stop, the same
//! loop polling `WNOHANG` for a few tens of µs first ≈ 10 µs;
//! `docs/benchmarks.md`). Most syscalls come back well within that, so the
//! tracer polls for a short window before it blocks.
//!
//! The cost is the tracer's CPU while it polls, and two guards bound it:
//! no polling at all when renacer may run on one CPU only (it would take
//! that CPU from the tracee it waits for), and a run of waits that all
//! missed the window (a tracee computing between its calls, or asleep in
//! one) switches polling off for a while before it tries again.

use std::io;
use std::time::{Duration, Instant};

/// How long a wait polls before it blocks.
const WINDOW: Duration = Duration::from_micros(50);
/// Consecutive missed windows that switch polling off ...
const MISSES_TO_REST: u32 = 8;
/// ... for this many waits.
const REST_WAITS: u32 = 256;

/// The waiting policy of one tracer.
#[derive(Debug)]
pub(super) struct Spin {
    /// `None`: always block (one CPU).
    window: Option<Duration>,
    /// Consecutive waits whose stop did not come within the window.
    misses: u32,
    /// Waits left that block without polling.
    resting: u32,
}

impl Spin {
    /// Polls only where renacer's affinity mask holds more than one CPU.
    /// (Not `available_parallelism`: it also reads the cgroup's CPU quota
    /// files, a millisecond of start-up on the build VMs.)
    pub(super) fn new() -> Self {
        Spin::with_window((super::sys::allowed_cpus() > 1).then_some(WINDOW))
    }

    fn with_window(window: Option<Duration>) -> Self {
        Spin {
            window,
            misses: 0,
            resting: 0,
        }
    }

    /// The next stop: `poll` (a non-blocking wait) until it reports one or
    /// the window has passed, then `block` (a blocking wait).
    pub(super) fn wait<T>(
        &mut self,
        mut poll: impl FnMut() -> io::Result<Option<T>>,
        block: impl FnOnce() -> io::Result<Option<T>>,
    ) -> io::Result<Option<T>> {
        let Some(window) = self.window else {
            return block();
        };
        if self.resting > 0 {
            self.resting -= 1;
            return block();
        }
        let start = Instant::now();
        loop {
            if let Some(stop) = poll()? {
                self.misses = 0;
                return Ok(Some(stop));
            }
            if start.elapsed() >= window {
                break;
            }
            std::hint::spin_loop();
        }
        self.misses += 1;
        if self.misses >= MISSES_TO_REST {
            self.misses = 0;
            self.resting = REST_WAITS;
        }
        block()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn one_cpu_blocks_without_polling() {
        let mut s = Spin::with_window(None);
        let polls = Cell::new(0);
        let got = s.wait(
            || {
                polls.set(polls.get() + 1);
                Ok(Some(1))
            },
            || Ok(Some(2)),
        );
        assert_eq!(got.unwrap(), Some(2));
        assert_eq!(polls.get(), 0);
    }

    #[test]
    fn a_stop_within_the_window_is_taken_from_the_poll() {
        let mut s = Spin::with_window(Some(Duration::from_secs(60)));
        let polls = Cell::new(0);
        let got = s.wait(
            || {
                polls.set(polls.get() + 1);
                Ok((polls.get() == 3).then_some(7))
            },
            || panic!("blocked although the poll found the stop"),
        );
        assert_eq!(got.unwrap(), Some(7));
        assert_eq!(polls.get(), 3);
    }

    #[test]
    fn repeated_misses_rest_then_poll_again() {
        let mut s = Spin::with_window(Some(Duration::ZERO));
        let polls = Cell::new(0);
        let poll = || {
            polls.set(polls.get() + 1);
            Ok(None::<i32>)
        };
        for _ in 0..MISSES_TO_REST {
            assert_eq!(s.wait(poll, || Ok(Some(0))).unwrap(), Some(0));
        }
        assert_eq!(polls.get(), MISSES_TO_REST as usize);
        for _ in 0..REST_WAITS {
            s.wait(poll, || Ok(Some(0))).unwrap();
        }
        assert_eq!(polls.get(), MISSES_TO_REST as usize, "polled while resting");
        s.wait(poll, || Ok(Some(0))).unwrap();
        assert_eq!(polls.get(), MISSES_TO_REST as usize + 1);
    }

    #[test]
    fn a_poll_error_is_returned() {
        let mut s = Spin::with_window(Some(Duration::from_secs(60)));
        let got = s.wait(
            || Err::<Option<i32>, _>(io::Error::from_raw_os_error(libc::ECHILD)),
            || Ok(Some(0)),
        );
        assert_eq!(got.unwrap_err().raw_os_error(), Some(libc::ECHILD));
    }
}
