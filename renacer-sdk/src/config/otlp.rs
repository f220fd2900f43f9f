//! The OTLP settings of [`ConfigBuilder`] (feature `otlp`). Each also
//! enables the `otlp` sink when no output names it; the options reach the
//! sink through `export::SinkOptions`, not a global.

use std::time::Duration;

use super::ConfigBuilder;
use crate::export::otlp::{OtlpOptions, Protocol};

/// Adds the `otlp` sink when OTLP was configured in code but no output
/// names it (so `otlp_endpoint(..)` alone is enough, and never two sinks).
pub(super) fn add_otlp_spec(configured: bool, specs: &mut Vec<(String, &'static str)>) {
    let named = specs.iter().any(|(s, _)| {
        s.split(',')
            .any(|i| i.trim() == "otlp" || i.trim().starts_with("otlp:"))
    });
    if configured && !named {
        specs.push(("otlp".to_string(), "otlp_endpoint"));
    }
}

impl ConfigBuilder {
    fn otlp_options(&mut self) -> &mut OtlpOptions {
        self.otlp.get_or_insert_with(OtlpOptions::default)
    }

    /// Collector endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`), e.g.
    /// `http://collector:4317` (gRPC) or `http://collector:4318` (HTTP).
    pub fn otlp_endpoint(mut self, endpoint: &str) -> Self {
        self.otlp_options().endpoint = Some(endpoint.to_string());
        self
    }

    /// Wire protocol (`OTEL_EXPORTER_OTLP_PROTOCOL`).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.otlp_options().protocol = Some(protocol);
        self
    }

    /// Adds a resource attribute (`OTEL_RESOURCE_ATTRIBUTES`).
    pub fn resource_attribute(mut self, key: &str, value: &str) -> Self {
        self.otlp_options()
            .resource_attributes
            .push((key.to_string(), value.to_string()));
        self
    }

    /// Adds a request header / gRPC metadata entry (`OTEL_EXPORTER_OTLP_HEADERS`).
    pub fn otlp_header(mut self, key: &str, value: &str) -> Self {
        self.otlp_options()
            .headers
            .push((key.to_string(), value.to_string()));
        self
    }

    /// Per-request timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`).
    pub fn otlp_request_timeout(mut self, timeout: Duration) -> Self {
        self.otlp_options().request_timeout = Some(timeout);
        self
    }

    /// Longest wait for queued spans at flush and shutdown
    /// (`RENACER_OTLP_SHUTDOWN_TIMEOUT_MS`).
    pub fn otlp_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.otlp_options().shutdown_timeout = Some(timeout);
        self
    }

    /// Period of the self-telemetry metrics (`RENACER_OTLP_METRICS_INTERVAL_MS`);
    /// zero: only at flush and shutdown.
    pub fn otlp_metrics_interval(mut self, interval: Duration) -> Self {
        self.otlp_options().metrics_interval = Some(interval);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_otlp_adds_one_sink_only_when_none_is_named() {
        let mut specs = vec![("jsonl:/tmp/x".to_string(), "output")];
        add_otlp_spec(true, &mut specs);
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[1].0, "otlp");
        let mut specs = vec![(
            "jsonl:/tmp/x, otlp:http://c:4317".to_string(),
            "RENACER_OUTPUT",
        )];
        add_otlp_spec(true, &mut specs);
        assert_eq!(specs.len(), 1);
        let mut specs = vec![("jsonl:/tmp/x".to_string(), "output")];
        add_otlp_spec(false, &mut specs);
        assert_eq!(specs.len(), 1);
    }
}
