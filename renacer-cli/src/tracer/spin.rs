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
//! So the tracer measures instead of guessing. A probe alternates the two
//! ways in short blocks of [`PROBE_BLOCK`] waits (so that a program's phases
//! — loading, then running — weigh on both alike), [`PROBE_BLOCKS`] blocks
//! in all, then keeps the way whose waits took less wall time for
//! [`RUN_WAITS`] waits, and probes again (a program changes phase). Where
//! renacer may run on one CPU only it always blocks: polling would take
//! that CPU from the tracee.

use std::io;
use std::time::{Duration, Instant};

/// How long a polling wait polls before it blocks.
const WINDOW: Duration = Duration::from_micros(50);
/// Waits per probe block (one way).
const PROBE_BLOCK: u32 = 8;
/// Blocks per probe, alternately polling and blocking (even).
const PROBE_BLOCKS: u32 = 8;
/// Waits the better way is kept before the next probe.
const RUN_WAITS: u32 = 4096;

/// A way of waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Poll,
    Block,
}

/// Where the policy is in its probe, run cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Probing: `done` waits so far, and the wall time of the finished
    /// blocks of each way.
    Probe {
        done: u32,
        poll_ns: u64,
        block_ns: u64,
    },
    /// Keeping the better way; `left` waits to go.
    Run { left: u32 },
}

/// The waiting policy of one tracer.
#[derive(Debug)]
pub(super) struct Spin {
    /// `None`: always block (one CPU).
    window: Option<Duration>,
    phase: Phase,
    way: Way,
    /// When the current probe block began.
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
            phase: Phase::Probe {
                done: 0,
                poll_ns: 0,
                block_ns: 0,
            },
            way: Way::Poll,
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
        self.count_wait(Instant::now());
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

    /// Chooses the way of the wait about to happen at `now`.
    fn count_wait(&mut self, now: Instant) {
        match &mut self.phase {
            Phase::Run { left } if *left > 0 => *left -= 1,
            Phase::Run { .. } => {
                self.phase = Phase::Probe {
                    done: 0,
                    poll_ns: 0,
                    block_ns: 0,
                };
                self.count_wait(now);
            }
            Phase::Probe {
                done,
                poll_ns,
                block_ns,
            } => {
                if *done % PROBE_BLOCK == 0 {
                    // A block ends (none before the first): book its time.
                    if *done > 0 {
                        let ns = now.duration_since(self.since).as_nanos() as u64;
                        match self.way {
                            Way::Poll => *poll_ns += ns,
                            Way::Block => *block_ns += ns,
                        }
                    }
                    self.since = now;
                    if *done == PROBE_BLOCK * PROBE_BLOCKS {
                        self.way = if *poll_ns < *block_ns {
                            Way::Poll
                        } else {
                            Way::Block
                        };
                        self.phase = Phase::Run {
                            left: RUN_WAITS - 1,
                        };
                        return;
                    }
                    self.way = if (*done / PROBE_BLOCK) % 2 == 0 {
                        Way::Poll
                    } else {
                        Way::Block
                    };
                }
                *done += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Runs `n` waits whose stop `poll` finds at once; returns how many
    /// of them polled.
    fn polled_waits(s: &mut Spin, n: u32) -> u32 {
        let polls = Cell::new(0);
        for _ in 0..n {
            let got = s.wait(
                || {
                    polls.set(polls.get() + 1);
                    Ok(Some(1))
                },
                || Ok(Some(2)),
            );
            assert!(got.unwrap().is_some());
        }
        polls.get()
    }

    #[test]
    fn one_cpu_blocks_without_polling() {
        let mut s = Spin::with_window(None);
        assert_eq!(polled_waits(&mut s, 1000), 0);
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

    const PROBE_WAITS: u32 = PROBE_BLOCK * PROBE_BLOCKS;

    #[test]
    fn a_probe_alternates_blocks_of_each_way() {
        let mut s = Spin::with_window(Some(Duration::from_secs(60)));
        let mut ways = Vec::new();
        for _ in 0..PROBE_WAITS {
            polled_waits(&mut s, 1);
            ways.push(s.way);
        }
        for (i, w) in ways.iter().enumerate() {
            let expected = if (i as u32 / PROBE_BLOCK) % 2 == 0 {
                Way::Poll
            } else {
                Way::Block
            };
            assert_eq!(*w, expected, "wait {i}");
        }
    }

    /// Runs one probe (its first wait ends a run, if one was on) on a
    /// made-up clock where a polling wait takes `poll` and a blocking one
    /// `block`; returns the way kept.
    fn probe(s: &mut Spin, poll: Duration, block: Duration) -> Way {
        let mut t = s.since;
        for _ in 0..PROBE_WAITS {
            s.count_wait(t);
            t += if s.way == Way::Poll { poll } else { block };
        }
        s.count_wait(t);
        s.way
    }

    #[test]
    fn a_probe_keeps_the_faster_way_for_the_run_then_probes_again() {
        let mut s = Spin::with_window(Some(WINDOW));
        let (fast, slow) = (Duration::from_micros(10), Duration::from_micros(50));
        assert_eq!(probe(&mut s, fast, slow), Way::Poll);
        for _ in 1..RUN_WAITS {
            s.count_wait(s.since);
            assert_eq!(s.way, Way::Poll);
        }
        // The run is over: the next wait starts a new probe, which sees
        // the costs the other way round.
        assert_eq!(probe(&mut s, slow, fast), Way::Block);
    }

    #[test]
    fn a_tie_blocks() {
        let mut s = Spin::with_window(Some(WINDOW));
        let d = Duration::from_micros(20);
        assert_eq!(probe(&mut s, d, d), Way::Block);
    }

    #[test]
    fn a_blocking_way_never_polls() {
        let mut s = Spin::with_window(Some(WINDOW));
        probe(&mut s, Duration::from_micros(50), Duration::from_micros(10));
        assert_eq!(polled_waits(&mut s, RUN_WAITS - 1), 0);
    }

    #[test]
    fn a_poll_that_finds_nothing_in_the_window_blocks() {
        let mut s = Spin::with_window(Some(Duration::ZERO));
        assert_eq!(s.way, Way::Poll);
        let got = s.wait(|| Ok(None::<i32>), || Ok(Some(9)));
        assert_eq!(got.unwrap(), Some(9));
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
