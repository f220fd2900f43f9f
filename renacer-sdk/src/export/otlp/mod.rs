//! OTLP exporter (feature `otlp`): sends renacer's spans to any OpenTelemetry
//! collector over gRPC or HTTP/protobuf, and its self-telemetry counters as
//! OTLP metrics.
//!
//! Data flow: the collector thread calls [`OtlpExporter::export`], which
//! converts records to `SpanData`, groups them in batches and `try_send`s each
//! batch into a bounded queue. A dedicated export thread (see `worker`) owns a
//! current-thread tokio runtime and the `opentelemetry-otlp` exporter. When the
//! queue is full or the collector is unreachable, batches are dropped and
//! counted; nothing on the application's side ever waits for the network.
//! Flush and shutdown wait at most the configured shutdown timeout.

mod config;
mod mapping;
mod metrics;
mod sdk;
mod worker;

use std::sync::atomic::Ordering;
use std::sync::{mpsc as std_mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::trace::SpanData;
use tokio::sync::mpsc;

pub use config::{parse_key_values, OtlpConfig, OtlpOptions, Protocol};
#[doc(hidden)]
pub use mapping::ClockOffset;
pub use metrics::{StatsSource, COUNTERS};
pub use worker::OtlpCounters;

pub(crate) use sdk::sink;

use crate::model::SpanRecord;
use worker::{Msg, Shared};

/// Hook through which dropped spans and failed requests reach the SDK-wide
/// statistics: `(spans dropped, failed requests)`.
pub type DropHook = Box<dyn Fn(u64, u64) + Send + Sync>;

/// The OTLP sink. Create it with [`OtlpExporter::new`]; it starts its export
/// thread at once and stops it on [`OtlpExporter::shutdown`] or drop.
pub struct OtlpExporter {
    tx: Option<mpsc::Sender<Msg>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    done: std_mpsc::Receiver<()>,
    pending: Vec<SpanData>,
    batch_spans: usize,
    shutdown_timeout: Duration,
    clock: ClockOffset,
    remote_parent: Option<u64>,
    /// Trace id and `tracestate` of the joined trace: its spans carry it.
    trace_state: Option<(u128, opentelemetry::trace::TraceState)>,
    scope: InstrumentationScope,
    strings: mapping::SiteStrings,
}

impl std::fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpExporter")
            .field("counters", &self.shared.counters)
            .finish()
    }
}

impl OtlpExporter {
    /// Starts the export thread for `cfg`.
    ///
    /// * `remote_parent`: the span id given by `TRACEPARENT`, so that the
    ///   link to it is flagged remote;
    /// * `stats`: counters exported as metrics (none: no metrics);
    /// * `on_drop`: told about every dropped span and failed request.
    pub fn new(
        cfg: OtlpConfig,
        remote_parent: Option<u64>,
        stats: Option<StatsSource>,
        on_drop: DropHook,
    ) -> Result<OtlpExporter, String> {
        let (tx, rx) = mpsc::channel(cfg.queue_batches);
        let shared = Arc::new(Shared::new(Arc::new(OtlpCounters::default()), on_drop));
        let (done_tx, done) = std_mpsc::channel();
        let resource = mapping::resource(&cfg);
        let (batch_spans, shutdown_timeout) = (cfg.batch_spans, cfg.shutdown_timeout);
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("renacer-otlp".into())
            .spawn(move || {
                worker::run(cfg, resource, rx, thread_shared, stats);
                let _ = done_tx.send(());
            })
            .map_err(|e| format!("cannot start the OTLP export thread: {e}"))?;
        Ok(OtlpExporter {
            tx: Some(tx),
            shared,
            thread: Some(thread),
            done,
            pending: Vec::with_capacity(batch_spans),
            batch_spans,
            shutdown_timeout,
            clock: ClockOffset::now(),
            remote_parent,
            trace_state: None,
            scope: mapping::scope(),
            strings: mapping::SiteStrings::default(),
        })
    }

    /// Spans of trace `trace_id` are exported with the W3C `tracestate`
    /// `state` (the `TRACESTATE` that came with the joined `TRACEPARENT`).
    /// A malformed value is refused with a one-line error.
    pub fn set_trace_state(&mut self, trace_id: u128, state: &str) -> Result<(), String> {
        let parsed = state
            .parse::<opentelemetry::trace::TraceState>()
            .map_err(|e| format!("invalid tracestate {state:?}: {e}"))?;
        self.trace_state = Some((trace_id, parsed));
        Ok(())
    }

    /// The counters of this exporter (exported, dropped, errors).
    pub fn counters(&self) -> Arc<OtlpCounters> {
        self.shared.counters.clone()
    }

    /// Converts and queues `spans`; full batches go to the export thread at
    /// once. Never blocks: a batch that does not fit in the queue is dropped
    /// and counted.
    pub fn export(&mut self, spans: &[SpanRecord]) {
        for rec in spans {
            let mut d = mapping::span_data(
                &mut self.strings,
                rec,
                self.clock,
                self.remote_parent,
                &self.scope,
            );
            if let Some((trace, state)) = &self.trace_state {
                if rec.trace_id.0 == *trace {
                    mapping::set_trace_state(&mut d, state);
                }
            }
            self.pending.push(d);
            if self.pending.len() >= self.batch_spans {
                self.send_pending(None);
            }
        }
    }

    /// Sends the partial batch. With a deadline (flush, shutdown) a full queue
    /// is retried until then; without one it is dropped at once.
    fn send_pending(&mut self, deadline: Option<Instant>) {
        if self.pending.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(self.batch_spans));
        let n = batch.len() as u64;
        let Some(tx) = &self.tx else {
            self.shared.drop_spans(n, 0);
            return;
        };
        // Counted as in flight before the export thread can settle it.
        self.shared.in_flight.fetch_add(n, Ordering::AcqRel);
        if send_until(tx, Msg::Spans(batch), deadline).is_err() {
            self.shared.in_flight.fetch_sub(n, Ordering::AcqRel);
            self.shared
                .counters
                .queue_full_batches
                .fetch_add(1, Ordering::Relaxed);
            self.shared.drop_spans(n, 0);
        }
    }

    /// Sends everything recorded so far and the self-telemetry metrics, and
    /// waits until the export thread has handled them, at most the shutdown
    /// timeout. Returns whether it finished in time.
    pub fn flush(&mut self) -> bool {
        let deadline = Instant::now() + self.shutdown_timeout;
        self.send_pending(Some(deadline));
        let Some(tx) = &self.tx else { return false };
        let (ack_tx, ack) = std_mpsc::channel();
        if send_until(tx, Msg::Flush(ack_tx), Some(deadline)).is_err() {
            return false;
        }
        ack.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }

    /// Sends what is pending, closes the queue and waits for the export
    /// thread at most the shutdown timeout. Spans that could not be sent by
    /// then are counted as dropped. Idempotent.
    pub fn shutdown(&mut self) {
        if self.tx.is_none() {
            return;
        }
        let deadline = Instant::now() + self.shutdown_timeout;
        self.send_pending(Some(deadline));
        let _ = self.shared.deadline.set(deadline);
        // Closing the channel is the stop signal: the thread drains what is queued.
        self.tx = None;
        // A little grace past the deadline for the thread to notice it.
        let wait = deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(200);
        if self.done.recv_timeout(wait).is_ok() {
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
        // Whatever the thread has not settled by now (it is left to finish
        // on its own, the process may exit first) is counted as dropped
        // here, exactly once.
        self.shared.abandon_in_flight();
    }
}

fn send_until(tx: &mpsc::Sender<Msg>, mut msg: Msg, deadline: Option<Instant>) -> Result<(), Msg> {
    loop {
        match tx.try_send(msg) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Closed(m)) => return Err(m),
            Err(mpsc::error::TrySendError::Full(m)) => match deadline {
                Some(d) if Instant::now() < d => {
                    msg = m;
                    std::thread::sleep(Duration::from_millis(1));
                }
                _ => return Err(m),
            },
        }
    }
}

impl Drop for OtlpExporter {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
