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
    /// Set by the collector thread when its last pass and the exporters'
    /// shutdown are done.
    stopped: bool,
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

    /// Final drain, exporter shutdown, join — waiting at most `timeout`:
    /// an exporter that hangs must not keep the program from exiting. Then
    /// the collector thread is left behind (the process is ending or
    /// re-initializing) with one line on stderr, and `false` is returned.
    pub(crate) fn stop(mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut ctl = self.shared.ctl();
        ctl.stop = true;
        self.shared.cv.notify_all();
        while !ctl.stopped {
            let now = Instant::now();
            if now >= deadline {
                drop(ctl);
                eprintln!(
                    "renacer: exporters did not finish within {} ms; exiting without waiting for them (spans still in them are lost)",
                    timeout.as_millis()
                );
                return false;
            }
            ctl = match self.shared.cv.wait_timeout(ctl, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        drop(ctl);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        true
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
        // At stop, shutdown below flushes: a separate flush first would let
        // an exporter with a wait bound (OTLP) wait twice.
        if !stop && (flushing || last_exporter_flush.elapsed() >= EXPORTER_FLUSH_EVERY) {
            last_exporter_flush = Instant::now();
            for e in exporters.iter_mut() {
                if catch_unwind(AssertUnwindSafe(|| e.flush())).is_err() {
                    stats::add_export_errors(1);
                }
            }
        }
        if stop {
            if catch_unwind(AssertUnwindSafe(|| state.finish_open(&mut exporters))).is_err() {
                stats::add_export_errors(1);
            }
            for e in exporters.iter_mut() {
                if catch_unwind(AssertUnwindSafe(|| e.shutdown())).is_err() {
                    stats::add_export_errors(1);
                }
            }
        }
        {
            let mut ctl = shared.ctl();
            ctl.flush_done = ctl.flush_done.max(ticket);
            ctl.stopped = stop;
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
        for ring in &self.rings {
            // Read `closed` before measuring: everything the owner pushed
            // before closing the ring is then within this pass's budget.
            if ring.is_closed() {
                closed.push(ring.clone());
            }
            self.threads
                .entry(ring.thread_no)
                .or_insert_with(|| ThreadCtx::new(ring.clone()));
        }
        self.drain_and_replay(exporters, &conv, &mut batch);
        // Async spans completed so far are emitted after one more drain,
        // measured now: anything recorded for them before their end (a
        // field on a third thread) was pushed before that end was, so
        // before this measurement, and is replayed first.
        let completed = self.pairing.take_completed();
        self.drain_and_replay(exporters, &conv, &mut batch);
        self.pairing.emit_completed(completed, &conv, &mut batch);
        // GPU items queued by the CUPTI delivery (feature `cuda`): already
        // complete records, exported with this batch.
        let gpu = crate::gpu::drain_into(&mut batch.spans);
        stats::add_recorded(gpu);
        stats::add_gpu_items(gpu);
        for ring in closed {
            let done = ring.is_empty()
                && self
                    .threads
                    .get(&ring.thread_no)
                    .is_none_or(|c| c.pending.is_empty());
            if done {
                if let Some(mut ctx) = self.threads.remove(&ring.thread_no) {
                    // Spans a thread never exited (a leaked guard): ended
                    // when the thread was found gone, flagged unfinished.
                    self.pairing
                        .finish_open(&mut ctx, clock::raw_now(), &conv, &mut batch);
                }
                registry().retire(&ring);
            }
        }
        export(exporters, &mut batch);
        stats::add_recorded(batch.started);
        stats::add_collector_dropped(batch.dropped);
        stats::add_misnested(batch.misnested);
        let open_sync: usize = self.threads.values().map(|c| c.open_spans()).sum();
        stats::set_open((open_sync + self.pairing.open_async()) as u64);
    }

    /// Drains what every ring holds now (measured first, so a busy thread
    /// cannot keep a pass going) in chunks of at most [`CHUNK`] events per
    /// thread, replaying as it goes and exporting whenever a batch is full.
    fn drain_and_replay(
        &mut self,
        exporters: &mut [Box<dyn Exporter>],
        conv: &Converter,
        batch: &mut Batch,
    ) {
        self.budget.clear();
        self.budget.extend(self.rings.iter().map(|r| r.len()));
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
            // Replay every thread's drained events (none waits for another
            // ring), exporting whenever a batch is full.
            let mut any_progress = false;
            for ctx in self.threads.values_mut() {
                while self.pairing.replay(ctx, conv, batch, CHUNK) {
                    any_progress = true;
                    if batch.spans.len() >= CHUNK {
                        export(exporters, batch);
                    }
                }
            }
            export(exporters, batch);
            if moved == 0 && !any_progress {
                break;
            }
        }
    }

    /// At shutdown, after the last pass: every span still open — sync spans
    /// of threads that never exited them (`process::exit` inside a traced
    /// function, a leaked guard), async spans never completed — is exported
    /// as `UNFINISHED`, ending now, so its exported children's parent
    /// exists and the counters add up.
    fn finish_open(&mut self, exporters: &mut [Box<dyn Exporter>]) {
        let conv = Converter::current();
        let now = clock::raw_now();
        let mut batch = Batch::default();
        for ctx in self.threads.values_mut() {
            self.pairing.finish_open(ctx, now, &conv, &mut batch);
        }
        self.pairing.finish_open_async(now, &conv, &mut batch);
        export(exporters, &mut batch);
        stats::set_open(0);
    }
}

/// Hands the batch's spans to every exporter and empties it (counters stay).
/// A batch no sink could take — there is none, or one panicked on it — is
/// counted as dropped, never as exported.
fn export(exporters: &mut [Box<dyn Exporter>], batch: &mut Batch) {
    if batch.spans.is_empty() {
        return;
    }
    let n = batch.spans.len() as u64;
    stats::add_handed(n);
    let mut lost = exporters.is_empty();
    for e in exporters.iter_mut() {
        if catch_unwind(AssertUnwindSafe(|| e.export(&batch.spans))).is_err() {
            stats::add_export_errors(1);
            lost = true;
        }
    }
    if lost {
        stats::add_export_dropped(n);
    }
    batch.spans.clear();
}
