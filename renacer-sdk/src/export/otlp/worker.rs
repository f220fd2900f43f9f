//! The OTLP export thread: owns a current-thread tokio runtime, the
//! `opentelemetry-otlp` span exporter and the self-telemetry metrics pipeline,
//! and drains a bounded queue of span batches.
//!
//! Why a thread of its own: the collector thread (and so the application)
//! must never wait on the network, and users without tokio must not need one.
//! The runtime lives only on this thread, so `block_on` is never called from
//! inside a user's runtime. Every network call is wrapped in a timeout, and at
//! shutdown in the remaining shutdown budget, so the thread always finishes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, OnceLock};
use std::time::{Duration, Instant};

use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use opentelemetry_sdk::Resource;
use tokio::sync::mpsc;

use super::config::{OtlpConfig, Protocol};
use super::metrics::{MetricsPipeline, StatsSource};

/// What the collector thread sends to the export thread.
pub(crate) enum Msg {
    Spans(Vec<SpanData>),
    /// Export everything queued before this, then metrics, then answer.
    Flush(std_mpsc::Sender<()>),
}

/// Counters of the OTLP path, shared between both threads and readable by
/// tests and `renacer::stats()`.
#[derive(Debug, Default)]
pub struct OtlpCounters {
    /// Spans the collector accepted (status OK).
    pub exported_spans: AtomicU64,
    /// Spans lost: queue full, export failed or shutdown deadline passed.
    pub dropped_spans: AtomicU64,
    /// Failed export requests (spans and metrics).
    pub export_errors: AtomicU64,
    /// Batches that never reached the queue because it was full.
    pub queue_full_batches: AtomicU64,
    /// Successful metric exports.
    pub metric_exports: AtomicU64,
}

/// State shared with the export thread.
pub(crate) struct Shared {
    pub counters: Arc<OtlpCounters>,
    /// Set once at shutdown: no export may run past it.
    pub deadline: OnceLock<Instant>,
    /// Whether the last export failed; warnings are printed only on change.
    failing: AtomicBool,
    /// Called with (spans dropped, failed requests) so the SDK's global stats see them.
    pub on_drop: Box<dyn Fn(u64, u64) + Send + Sync>,
    /// Spans queued for the export thread and not yet settled (exported or
    /// dropped). Shutdown counts what is left as dropped when it stops
    /// waiting, so an abandoned export thread cannot leave spans uncounted.
    pub in_flight: AtomicU64,
}

impl Shared {
    pub(crate) fn new(
        counters: Arc<OtlpCounters>,
        on_drop: Box<dyn Fn(u64, u64) + Send + Sync>,
    ) -> Shared {
        Shared {
            counters,
            deadline: OnceLock::new(),
            in_flight: AtomicU64::new(0),
            failing: AtomicBool::new(false),
            on_drop,
        }
    }

    /// Settles `n` queued spans: `true` if they are still this thread's to
    /// count, `false` if shutdown already counted them as dropped.
    fn settle(&self, n: u64) -> bool {
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| v.checked_sub(n))
            .is_ok()
    }

    /// Drops `n` queued spans, unless shutdown already counted them.
    fn drop_queued(&self, n: u64, failed_requests: u64) {
        if self.settle(n) {
            self.drop_spans(n, failed_requests);
        } else if failed_requests > 0 {
            self.drop_spans(0, failed_requests);
        }
    }

    /// Counts everything still queued as dropped (shutdown gave up waiting).
    pub(crate) fn abandon_in_flight(&self) {
        let lost = self.in_flight.swap(0, Ordering::AcqRel);
        if lost > 0 {
            self.drop_spans(lost, 0);
        }
    }

    pub(crate) fn drop_spans(&self, spans: u64, failed_requests: u64) {
        self.counters
            .dropped_spans
            .fetch_add(spans, Ordering::Relaxed);
        self.counters
            .export_errors
            .fetch_add(failed_requests, Ordering::Relaxed);
        (self.on_drop)(spans, failed_requests);
    }

    /// Time a request may take now: the request timeout, cut by the shutdown deadline.
    fn budget(&self, request_timeout: Duration) -> Duration {
        match self.deadline.get() {
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .min(request_timeout),
            None => request_timeout,
        }
    }

    fn note_result(&self, what: &str, err: Option<String>) {
        match err {
            Some(e) if !self.failing.swap(true, Ordering::Relaxed) => {
                eprintln!("renacer: OTLP {what} export failed ({e}); dropping and counting until the collector is reachable");
            }
            None if self.failing.swap(false, Ordering::Relaxed) => {
                eprintln!("renacer: OTLP export to the collector works again");
            }
            _ => {}
        }
    }
}

pub(crate) fn header_map(headers: &[(String, String)]) -> Result<http::HeaderMap, String> {
    let mut map = http::HeaderMap::new();
    for (k, v) in headers {
        let name = http::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes())
            .map_err(|_| format!("OTLP header name {k:?} is invalid"))?;
        let value = http::HeaderValue::from_str(v)
            .map_err(|_| format!("OTLP header {k:?} has an invalid value"))?;
        map.insert(name, value);
    }
    Ok(map)
}

/// Builds the span exporter; must run inside the export thread's runtime.
fn span_exporter(cfg: &OtlpConfig) -> Result<opentelemetry_otlp::SpanExporter, String> {
    let built = match cfg.protocol {
        Protocol::Grpc => opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(cfg.traces_endpoint.clone())
            .with_timeout(cfg.request_timeout)
            .with_metadata(
                opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(header_map(
                    &cfg.headers,
                )?),
            )
            .build(),
        Protocol::HttpProtobuf => opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(cfg.traces_endpoint.clone())
            .with_timeout(cfg.request_timeout)
            .with_headers(cfg.headers.iter().cloned().collect())
            .build(),
    };
    built.map_err(|e| format!("cannot build the OTLP span exporter: {e}"))
}

/// Body of the export thread. Returns when every sender is gone and the
/// queue is drained (or the shutdown deadline passed).
pub(crate) fn run(
    cfg: OtlpConfig,
    resource: Resource,
    rx: mpsc::Receiver<Msg>,
    shared: Arc<Shared>,
    stats: Option<StatsSource>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("renacer: OTLP export disabled: cannot start its runtime: {e}");
            drain_dropping(rx, &shared);
            return;
        }
    };
    rt.block_on(serve(cfg, resource, rx, shared, stats));
}

/// Without an exporter every batch is dropped, but still counted.
fn drain_dropping(mut rx: mpsc::Receiver<Msg>, shared: &Shared) {
    while let Some(msg) = rx.blocking_recv() {
        match msg {
            Msg::Spans(batch) => shared.drop_queued(batch.len() as u64, 0),
            Msg::Flush(ack) => {
                let _ = ack.send(());
            }
        }
    }
}

async fn serve(
    cfg: OtlpConfig,
    resource: Resource,
    mut rx: mpsc::Receiver<Msg>,
    shared: Arc<Shared>,
    stats: Option<StatsSource>,
) {
    let mut exporter = match span_exporter(&cfg) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("renacer: OTLP export disabled: {e}");
            while let Some(msg) = rx.recv().await {
                match msg {
                    Msg::Spans(batch) => shared.drop_queued(batch.len() as u64, 0),
                    Msg::Flush(ack) => {
                        let _ = ack.send(());
                    }
                }
            }
            return;
        }
    };
    exporter.set_resource(&resource);
    let metrics = stats.and_then(|s| match MetricsPipeline::new(&cfg, resource, s) {
        Ok(m) => Some(m),
        Err(e) => {
            eprintln!("renacer: OTLP self-telemetry metrics disabled: {e}");
            None
        }
    });
    let period = cfg.metrics_interval.unwrap_or(Duration::from_secs(3600));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let msg = tokio::select! {
            msg = rx.recv() => msg,
            _ = tick.tick(), if cfg.metrics_interval.is_some() && metrics.is_some() => {
                if let Some(m) = &metrics {
                    export_metrics(m, &cfg, &shared).await;
                }
                continue;
            }
        };
        match msg {
            Some(Msg::Spans(batch)) => export_spans(&exporter, batch, &cfg, &shared).await,
            Some(Msg::Flush(ack)) => {
                if let Some(m) = &metrics {
                    export_metrics(m, &cfg, &shared).await;
                }
                let _ = ack.send(());
            }
            None => break,
        }
    }
    // Final self-telemetry, so the counts of the whole run reach the collector.
    if let Some(m) = &metrics {
        export_metrics(m, &cfg, &shared).await;
        m.shutdown();
    }
    let _ = exporter.shutdown();
}

async fn export_spans(
    exporter: &opentelemetry_otlp::SpanExporter,
    batch: Vec<SpanData>,
    cfg: &OtlpConfig,
    shared: &Shared,
) {
    let n = batch.len() as u64;
    let budget = shared.budget(cfg.request_timeout);
    if budget.is_zero() {
        shared.drop_queued(n, 0);
        return;
    }
    let err = match tokio::time::timeout(budget, exporter.export(batch)).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {} ms", budget.as_millis())),
    };
    match &err {
        None => {
            if shared.settle(n) {
                shared
                    .counters
                    .exported_spans
                    .fetch_add(n, Ordering::Relaxed);
            }
        }
        Some(_) => shared.drop_queued(n, 1),
    }
    shared.note_result("span", err);
}

async fn export_metrics(m: &MetricsPipeline, cfg: &OtlpConfig, shared: &Shared) {
    let budget = shared.budget(cfg.request_timeout);
    if budget.is_zero() {
        return;
    }
    match tokio::time::timeout(budget, m.export()).await {
        Ok(Ok(())) => {
            shared
                .counters
                .metric_exports
                .fetch_add(1, Ordering::Relaxed);
        }
        Ok(Err(_)) | Err(_) => {
            shared
                .counters
                .export_errors
                .fetch_add(1, Ordering::Relaxed);
            (shared.on_drop)(0, 1);
        }
    }
}
