//! Spin or block: how the tracer waits for the next ptrace stop.
//!
//! Why: a full trace is a ping-pong between two tasks — the tracee stops,
//! the tracer wakes, resumes it and waits again — so a stop costs two
//! wake-ups. When the waiting task has blocked, its CPU goes idle, and
//! waking an idle CPU can be the expensive part: an IPI, and on a VM a
//! halted vCPU that the hypervisor must schedule again. On the 2-vCPU build
//! VMs a blocking `waitpid` loop pays ≈ 50 µs per stop on `dd`, the same loop
//! polling `WNOHANG` for up to 50 µs first ≈ 10 µs (`docs/benchmarks.md`).
//! But polling is not free: the polling CPU competes with the tracee's for
//! what they share, and a compiler or a `git` run (forks, page faults,
//! computing between calls) got slower with it on the same VM.
//!
//! So the tracer measures instead of guessing. It waits one way for a probe
//! of [`PROBE_WAITS`] waits, the other way for as many, then keeps the way
//! whose waits took less wall time per stop for [`RUN_WAITS`] waits, and
//! probes again (a program changes phase). Where renacer may run on one CPU
//! only it always blocks: polling would take that CPU from the tracee.

use std::io;
use std::time::{Duration, Instant};

/// How long a polling wait polls before it blocks.
const WINDOW: Duration = Duration::from_micros(50);
/// Waits per probe of one way.
const PROBE_WAITS: u32 = 128;
/// Waits the better way is kept before the next probes.
const RUN_WAITS: u32 = 4096;

/// A way of waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Poll,
    Block,
}

/// Where the policy is in its probe, probe, run cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Probing polling; nothing measured yet this cycle.
    ProbePoll,
    /// Probing blocking; polling took `poll_ns` per wait.
    ProbeBlock { poll_ns: u64 },
    /// Keeping the better way.
    Run,
}

/// The waiting policy of one tracer.
#[derive(Debug)]
pub(super) struct Spin {
    /// `None`: always block (one CPU).
    window: Option<Duration>,
    phase: Phase,
    way: Way,
    /// Waits left in the current phase.
    left: u32,
    /// When the current phase began.
    since: Instant,
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
            phase: Phase::ProbePoll,
            way: if window.is_some() {
                Way::Poll
            } else {
                Way::Block
            },
            left: PROBE_WAITS,
            since: Instant::now(),
        }
    }

    /// The next stop: `poll` (a non-blocking wait) until it reports one or
    /// the window has passed, then `block` (a blocking wait) — or `block`
    /// at once when blocking is the way now.
    pub(super) fn wait<T>(
        &mut self,
        mut poll: impl FnMut() -> io::Result<Option<T>>,
        block: impl FnOnce() -> io::Result<Option<T>>,
    ) -> io::Result<Option<T>> {
        let Some(window) = self.window else {
            return block();
        };
        self.count_wait();
        if self.way == Way::Block {
            return block();
        }
        let start = Instant::now();
        loop {
            if let Some(stop) = poll()? {
                return Ok(Some(stop));
            }
            if start.elapsed() >= window {
                return block();
            }
            std::hint::spin_loop();
        }
    }

    /// One wait more in the current phase (the first wait of the next one
    /// once this one has had all its waits).
    fn count_wait(&mut self) {
        if self.left == 0 {
            self.next_phase();
        }
        self.left -= 1;
    }

    fn next_phase(&mut self) {
        let per_wait = |since: Instant, n: u32| since.elapsed().as_nanos() as u64 / u64::from(n);
        let (phase, way, left) = match self.phase {
            Phase::ProbePoll => (
                Phase::ProbeBlock {
                    poll_ns: per_wait(self.since, PROBE_WAITS),
                },
                Way::Block,
                PROBE_WAITS,
            ),
            Phase::ProbeBlock { poll_ns } => {
                let block_ns = per_wait(self.since, PROBE_WAITS);
                let way = if poll_ns < block_ns {
                    Way::Poll
                } else {
                    Way::Block
                };
                (Phase::Run, way, RUN_WAITS)
            }
            Phase::Run => (Phase::ProbePoll, Way::Poll, PROBE_WAITS),
        };
        (self.phase, self.way, self.left) = (phase, way, left);
        self.since = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Runs `n` waits whose stop `poll` finds at once; returns how many
    /// of them polled.
    fn polled_waits(s: &mut Spin, n: u32, block_delay: Duration) -> u32 {
        let polls = Cell::new(0);
        for _ in 0..n {
            let got = s.wait(
                || {
                    polls.set(polls.get() + 1);
                    Ok(Some(1))
                },
                || {
                    std::thread::sleep(block_delay);
                    Ok(Some(2))
                },
            );
            assert!(got.unwrap().is_some());
        }
        polls.get()
    }

    #[test]
    fn one_cpu_blocks_without_polling() {
        let mut s = Spin::with_window(None);
        assert_eq!(polled_waits(&mut s, 1000, Duration::ZERO), 0);
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
    fn probes_both_ways_then_keeps_the_faster() {
        // Blocking is made slower (each blocking wait sleeps): after one
        // probe of each way, polling is kept for the whole run.
        let mut s = Spin::with_window(Some(Duration::from_secs(60)));
        let probe = PROBE_WAITS;
        assert_eq!(
            polled_waits(&mut s, probe, Duration::from_micros(200)),
            probe
        );
        assert_eq!(
            polled_waits(&mut s, PROBE_WAITS, Duration::from_micros(200)),
            0
        );
        assert_eq!(
            polled_waits(&mut s, RUN_WAITS, Duration::from_micros(200)),
            RUN_WAITS
        );
        assert_eq!(s.way, Way::Poll);
    }

    #[test]
    fn keeps_blocking_when_polling_was_slower() {
        // A zero window makes every polling wait also block (after a poll
        // that found nothing), so polling can only be the slower way.
        let mut s = Spin::with_window(Some(Duration::ZERO));
        let slow_poll = Cell::new(0u32);
        for _ in 0..PROBE_WAITS {
            s.wait(
                || {
                    std::thread::sleep(Duration::from_micros(200));
                    slow_poll.set(slow_poll.get() + 1);
                    Ok(None::<i32>)
                },
                || Ok(Some(0)),
            )
            .unwrap();
        }
        assert_eq!(slow_poll.get(), PROBE_WAITS);
        assert_eq!(polled_waits(&mut s, PROBE_WAITS, Duration::ZERO), 0);
        assert_eq!(polled_waits(&mut s, RUN_WAITS, Duration::ZERO), 0);
        assert_eq!(s.way, Way::Block);
        // Then it probes polling again.
        assert_eq!(polled_waits(&mut s, 1, Duration::ZERO), 1);
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
