//! Self-telemetry as OTLP metrics: renacer's counters (recorded, sampled out,
//! rate limited, ring dropped, exported, export errors, export dropped) exported as cumulative
//! monotonic sums `renacer.spans.<counter>`, with the same resource as spans.
//!
//! A manual reader is collected on the export thread itself (periodically and
//! at flush/shutdown), so no extra thread or runtime is needed, and the
//! metric exporter runs on the same current-thread runtime as spans.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter as _;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{
    InstrumentKind, ManualReader, Pipeline, SdkMeterProvider, Temporality,
};
use opentelemetry_sdk::Resource;

use super::config::{OtlpConfig, Protocol};

/// Reads the current value of every counter: `(name, value)` pairs, where
/// `name` becomes the metric `renacer.spans.<name>`.
pub type StatsSource = Arc<dyn Fn() -> Vec<(&'static str, u64)> + Send + Sync>;

/// The counters exported, in a stable order.
pub const COUNTERS: &[&str] = &[
    "recorded",
    "sampled_out",
    "below_threshold",
    "rate_limited",
    "ring_dropped",
    "events_dropped",
    "collector_dropped",
    "exported",
    "export_errors",
    "export_dropped",
];

/// A `ManualReader` the meter provider and the export thread both hold.
#[derive(Debug, Clone)]
struct SharedReader(Arc<ManualReader>);

impl MetricReader for SharedReader {
    fn register_pipeline(&self, pipeline: std::sync::Weak<Pipeline>) {
        self.0.register_pipeline(pipeline)
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

/// Meter provider + reader + OTLP metric exporter.
pub(crate) struct MetricsPipeline {
    provider: SdkMeterProvider,
    reader: SharedReader,
    exporter: opentelemetry_otlp::MetricExporter,
}

impl MetricsPipeline {
    /// Builds the pipeline; must run inside the export thread's runtime.
    pub(crate) fn new(
        cfg: &OtlpConfig,
        resource: Resource,
        stats: StatsSource,
    ) -> Result<Self, String> {
        let exporter = match cfg.protocol {
            Protocol::Grpc => opentelemetry_otlp::MetricExporter::builder()
                .with_tonic()
                .with_endpoint(cfg.metrics_endpoint.clone())
                .with_timeout(cfg.request_timeout)
                .with_metadata(
                    opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(
                        super::worker::header_map(&cfg.headers)?,
                    ),
                )
                .build(),
            Protocol::HttpProtobuf => opentelemetry_otlp::MetricExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_endpoint(cfg.metrics_endpoint.clone())
                .with_timeout(cfg.request_timeout)
                .with_headers(cfg.headers.iter().cloned().collect())
                .build(),
        }
        .map_err(|e| format!("cannot build the OTLP metric exporter: {e}"))?;
        let reader = SharedReader(Arc::new(ManualReader::builder().build()));
        let provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_reader(reader.clone())
            .build();
        let meter = provider.meter("renacer");
        for &name in COUNTERS {
            let stats = stats.clone();
            // The instrument lives as long as the provider; the handle need not be kept.
            let _counter = meter
                .u64_observable_counter(format!("renacer.spans.{name}"))
                .with_description(format!("renacer spans: {}", name.replace('_', " ")))
                .with_unit("{span}")
                .with_callback(move |obs| {
                    if let Some((_, v)) = stats().into_iter().find(|(n, _)| *n == name) {
                        obs.observe(v, &[]);
                    }
                })
                .build();
        }
        Ok(MetricsPipeline {
            provider,
            reader,
            exporter,
        })
    }

    /// Collects the counters now and sends them.
    pub(crate) async fn export(&self) -> OTelSdkResult {
        let mut rm = ResourceMetrics::default();
        self.reader.collect(&mut rm)?;
        self.exporter.export(&rm).await
    }

    pub(crate) fn shutdown(&self) {
        let _ = self.provider.shutdown();
        let _ = self.exporter.shutdown();
    }
}
