//! The collector thread: drains every ring, pairs events into spans and
//! hands batches to the exporters.
//!
//! It wakes every `flush_interval` (default 10 ms) or when `flush()` asks,
//! takes a snapshot of the registry, drains each ring completely, replays
//! the events (see [`pairing`]), converts raw timestamps to
//! `CLOCK_MONOTONIC` ns with the current clock fit, and exports the batch.
//! Rings of exited threads are retired once drained after their exit.

pub(crate) mod pairing;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::export::Exporter;

use crate::record::clock::{self, Converter};
use crate::record::thread::registry;
use crate::stats;
use pairing::{Batch, Pairing, ThreadCtx};

#[derive(Default)]
struct Ctl {
    flush_requested: u64,
    flush_done: u64,
    stop: bool,
}

/// What the application side shares with the collector thread.
#[derive(Default)]
pub(crate) struct Shared {
    ctl: Mutex<Ctl>,
    cv: Condvar,
}

impl Shared {
    fn ctl(&self) -> std::sync::MutexGuard<'_, Ctl> {
        self.ctl.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks for a drain + export + exporter flush and waits until it is done
    /// (at most `timeout`, so a wedged exporter cannot hang the program).
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut ctl = self.ctl();
        ctl.flush_requested += 1;
        let ticket = ctl.flush_requested;
        self.cv.notify_all();
        while ctl.flush_done < ticket {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            ctl = match self.cv.wait_timeout(ctl, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }
}

/// A running collector thread.
pub(crate) struct Collector {
    pub(crate) shared: Arc<Shared>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Collector {
    pub(crate) fn start(
        exporters: Vec<Box<dyn Exporter>>,
        interval: Duration,
    ) -> Result<Collector, String> {
        let shared = Arc::new(Shared::default());
        let s2 = shared.clone();
        let handle = std::thread::Builder::new()
            .name("renacer-collector".into())
            .spawn(move || run(s2, exporters, interval))
            .map_err(|e| format!("cannot start the collector thread: {e}"))?;
        Ok(Collector {
            shared,
            handle: Some(handle),
        })
    }

    /// Final drain, exporter shutdown, join.
    pub(crate) fn stop(mut self) {
        {
            let mut ctl = self.shared.ctl();
            ctl.stop = true;
            self.shared.cv.notify_all();
        }
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn run(shared: Arc<Shared>, mut exporters: Vec<Box<dyn Exporter>>, interval: Duration) {
    let mut state = State {
        pairing: Pairing::new(),
        threads: HashMap::new(),
        rings: Vec::new(),
        budget: Vec::new(),
    };
    let mut last_exporter_flush = Instant::now();
    loop {
        let (ticket, stop) = {
            let mut ctl = shared.ctl();
            if ctl.flush_requested == ctl.flush_done && !ctl.stop {
                ctl = match shared.cv.wait_timeout(ctl, interval) {
                    Ok((g, _)) => g,
                    Err(p) => p.into_inner().0,
                };
            }
            (ctl.flush_requested, ctl.stop)
        };
        // Catch panics of our own code and of exporters: a panic must never
        // kill the collector (flush() would then wait in vain).
        let pass = catch_unwind(AssertUnwindSafe(|| state.pass(&mut exporters)));
        if pass.is_err() {
            stats::add_export_errors(1);
        }
        let flushing = {
            let ctl = shared.ctl();
            ticket > ctl.flush_done || stop
        };
        // Exporters buffer (1 MiB writes); flush them at least every
        // EXPORTER_FLUSH_EVERY so a quiet program's spans still show up.
        if flushing || last_exporter_flush.elapsed() >= EXPORTER_FLUSH_EVERY {
            last_exporter_flush = Instant::now();
            for e in exporters.iter_mut() {
                if catch_unwind(AssertUnwindSafe(|| e.flush())).is_err() {
                    stats::add_export_errors(1);
                }
            }
        }
        if stop {
            for e in exporters.iter_mut() {
                if catch_unwind(AssertUnwindSafe(|| e.shutdown())).is_err() {
                    stats::add_export_errors(1);
                }
            }
        }
        {
            let mut ctl = shared.ctl();
            ctl.flush_done = ctl.flush_done.max(ticket);
            shared.cv.notify_all();
        }
        if stop {
            return;
        }
    }
}

/// Longest time exported spans stay in an exporter's buffer.
const EXPORTER_FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Events drained per thread, and spans per exported batch, at a time.
const CHUNK: usize = 4096;

struct State {
    pairing: Pairing,
    threads: HashMap<u64, ThreadCtx>,
    rings: Vec<crate::sync::Arc<crate::record::ring::Ring>>,
    /// Events each ring held when the pass began, minus those drained.
    budget: Vec<usize>,
}

impl State {
    /// One collector pass: drains what every ring held when the pass began
    /// (events pushed meanwhile wait for the next pass, so a busy thread
    /// cannot keep a flush waiting), in chunks of at most [`CHUNK`] events
    /// per thread and [`CHUNK`] spans per exported batch, so the collector's
    /// own memory stays bounded however large the rings are.
    fn pass(&mut self, exporters: &mut [Box<dyn Exporter>]) {
        clock::refine();
        crate::record::breaker::tick();
        let conv = Converter::current();
        self.pairing.remote = crate::remote::parent();
        registry().snapshot(&mut self.rings);
        let mut batch = Batch::default();
        let mut closed = Vec::new();
        self.budget.clear();
        for ring in &self.rings {
            // Read `closed` before measuring: everything the owner pushed
            // before closing the ring is then within this pass's budget.
            if ring.is_closed() {
                closed.push(ring.clone());
            }
            self.threads
                .entry(ring.thread_no)
                .or_insert_with(|| ThreadCtx::new(ring.clone()));
            self.budget.push(ring.len());
        }
        loop {
            let mut moved = 0;
            for (ring, budget) in self.rings.iter().zip(self.budget.iter_mut()) {
                let Some(ctx) = self.threads.get_mut(&ring.thread_no) else {
                    continue;
                };
                let room = CHUNK.saturating_sub(ctx.pending.len()).min(*budget);
                if room > 0 {
                    // SAFETY: the collector thread is the only consumer.
                    let n = unsafe { ring.drain_into(&mut ctx.pending, room) };
                    *budget -= n;
                    moved += n;
                }
            }
            // Replay until no thread makes progress (a thread blocked on an
            // async span started on another thread resumes after that
            // thread's replay) or the batch is full.
            let mut any_progress = false;
            loop {
                let mut progressed = false;
                for ctx in self.threads.values_mut() {
                    progressed |= self.pairing.replay(ctx, &conv, &mut batch, CHUNK);
                }
                any_progress |= progressed;
                if !progressed || batch.spans.len() >= CHUNK {
                    break;
                }
            }
            export(exporters, &mut batch);
            if moved == 0 && !any_progress {
                break;
            }
        }
        for ctx in self.threads.values_mut() {
            self.pairing.note_stall(ctx, &mut batch);
        }
        for ring in closed {
            let done = ring.is_empty()
                && self
                    .threads
                    .get(&ring.thread_no)
                    .is_none_or(|c| c.pending.is_empty());
            if done {
                if let Some(ctx) = self.threads.remove(&ring.thread_no) {
                    // Spans a thread never exited (leaked guards) are lost.
                    batch.dropped += ctx.open_spans() as u64;
                }
                registry().retire(&ring);
            }
        }
        stats::add_recorded(batch.started);
        stats::add_collector_dropped(batch.dropped);
    }
}

/// Hands the batch's spans to every exporter and empties it (counters stay).
fn export(exporters: &mut [Box<dyn Exporter>], batch: &mut Batch) {
    if batch.spans.is_empty() {
        return;
    }
    for e in exporters.iter_mut() {
        if catch_unwind(AssertUnwindSafe(|| e.export(&batch.spans))).is_err() {
            stats::add_export_errors(1);
        }
    }
    stats::add_exported(batch.spans.len() as u64);
    batch.spans.clear();
}
