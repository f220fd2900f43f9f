//! Configuration of the OTLP exporter: builder values first, then the standard
//! `OTEL_*` environment variables, then the OpenTelemetry defaults.
//!
//! Resolution is done here rather than left to `opentelemetry-otlp` so that
//! the precedence is one documented rule, testable without a network, and so
//! that a bad value is reported in one line at init instead of surfacing as
//! an export error later.

use std::time::Duration;

/// Wire protocol of the OTLP exporter.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Protocol {
    /// OTLP/gRPC (default port 4317).
    #[default]
    Grpc,
    /// OTLP/HTTP with protobuf bodies (default port 4318).
    HttpProtobuf,
}

impl Protocol {
    /// Parses the values of `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn parse(s: &str) -> Result<Protocol, String> {
        match s.trim() {
            "grpc" => Ok(Protocol::Grpc),
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            "http/json" => {
                Err("OTLP protocol http/json is not supported; use grpc or http/protobuf".into())
            }
            other => Err(format!(
                "unknown OTLP protocol {other:?} (expected grpc or http/protobuf)"
            )),
        }
    }

    fn default_endpoint(self) -> &'static str {
        match self {
            Protocol::Grpc => "http://localhost:4317",
            Protocol::HttpProtobuf => "http://localhost:4318",
        }
    }
}

/// Everything the OTLP exporter needs, as given by the user (all optional).
#[derive(Clone, Debug, Default)]
pub struct OtlpOptions {
    /// Base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`); for HTTP the signal path
    /// (`/v1/traces`, `/v1/metrics`) is appended.
    pub endpoint: Option<String>,
    /// Full traces endpoint (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), used as is.
    pub traces_endpoint: Option<String>,
    /// Wire protocol (`OTEL_EXPORTER_OTLP_PROTOCOL`).
    pub protocol: Option<Protocol>,
    /// `service.name` (`OTEL_SERVICE_NAME`).
    pub service_name: Option<String>,
    /// Extra resource attributes (`OTEL_RESOURCE_ATTRIBUTES`).
    pub resource_attributes: Vec<(String, String)>,
    /// Request headers / gRPC metadata (`OTEL_EXPORTER_OTLP_HEADERS`).
    pub headers: Vec<(String, String)>,
    /// Per-request timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`, ms).
    pub request_timeout: Option<Duration>,
    /// Longest wait for queued spans at shutdown (`RENACER_OTLP_SHUTDOWN_TIMEOUT_MS`).
    pub shutdown_timeout: Option<Duration>,
    /// Batches the export queue holds before dropping (`RENACER_OTLP_QUEUE_BATCHES`).
    pub queue_batches: Option<usize>,
    /// Spans per export request (`RENACER_OTLP_BATCH_SPANS`).
    pub batch_spans: Option<usize>,
    /// Period of self-telemetry metric export (`RENACER_OTLP_METRICS_INTERVAL_MS`; 0 = only at flush).
    pub metrics_interval: Option<Duration>,
}

/// Fully resolved configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct OtlpConfig {
    /// Wire protocol.
    pub protocol: Protocol,
    /// URL requests for spans go to (for HTTP including `/v1/traces`).
    pub traces_endpoint: String,
    /// URL requests for metrics go to (for HTTP including `/v1/metrics`).
    pub metrics_endpoint: String,
    /// `service.name` of the resource.
    pub service_name: String,
    /// Resource attributes besides `service.name`.
    pub resource_attributes: Vec<(String, String)>,
    /// Request headers / gRPC metadata.
    pub headers: Vec<(String, String)>,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Longest wait for queued spans at flush and shutdown.
    pub shutdown_timeout: Duration,
    /// Batches the export queue holds before dropping.
    pub queue_batches: usize,
    /// Spans per export request.
    pub batch_spans: usize,
    /// Period of self-telemetry metric export (`None`: only at flush).
    pub metrics_interval: Option<Duration>,
}

#[doc(hidden)] // exposed for the e2e tests' collector harness only
/// Parses `k=v,k2=v2` lists (percent-decoded values) of `OTEL_RESOURCE_ATTRIBUTES`
/// and `OTEL_EXPORTER_OTLP_HEADERS`.
pub fn parse_key_values(var: &str, s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let Some((k, v)) = item.split_once('=') else {
            return Err(format!("{var}: {item:?} is not key=value"));
        };
        let k = k.trim();
        if k.is_empty() {
            return Err(format!("{var}: empty key in {item:?}"));
        }
        out.push((k.to_string(), percent_decode(v.trim())));
    }
    Ok(out)
}

/// `%XX` decoding as the OTel spec asks for these lists; a bad escape is kept literally.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(hi), Some(lo)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_ms(var: &str, s: &str) -> Result<Duration, String> {
    crate::value::parse_ms(s).map_err(|why| format!("{var}: {s:?} is {why}"))
}

fn parse_count(var: &str, s: &str) -> Result<usize, String> {
    crate::value::parse_positive(s)
        .map(|n| n as usize)
        .map_err(|why| format!("{var}: {s:?} is {why}"))
}

fn join_path(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

fn validate_url(what: &str, url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("{what}: {url:?} must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{what}: {url:?} has no host"));
    }
    Ok(())
}

impl OtlpOptions {
    /// Resolves builder values over environment values (read through `env`)
    /// over defaults.
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<OtlpConfig, String> {
        let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let protocol = match (
            self.protocol,
            env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                .or_else(|| env("OTEL_EXPORTER_OTLP_PROTOCOL")),
        ) {
            (Some(p), _) => p,
            (None, Some(s)) => Protocol::parse(&s)?,
            (None, None) => Protocol::default(),
        };
        let base = self
            .endpoint
            .clone()
            .or_else(|| env("OTEL_EXPORTER_OTLP_ENDPOINT"))
            .unwrap_or_else(|| protocol.default_endpoint().to_string());
        let base = base.trim().to_string();
        let signal = |path: &str| match protocol {
            Protocol::Grpc => base.clone(),
            Protocol::HttpProtobuf => join_path(&base, path),
        };
        // A builder endpoint overrides the traces variable: code wins over env.
        let traces_endpoint = match (&self.traces_endpoint, &self.endpoint) {
            (Some(t), _) => t.clone(),
            (None, Some(_)) => signal("/v1/traces"),
            (None, None) => {
                env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").unwrap_or_else(|| signal("/v1/traces"))
            }
        };
        let metrics_endpoint = env("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
            .filter(|_| self.endpoint.is_none())
            .unwrap_or_else(|| signal("/v1/metrics"));
        validate_url("OTLP traces endpoint", &traces_endpoint)?;
        validate_url("OTLP metrics endpoint", &metrics_endpoint)?;

        let mut resource_attributes = match env("OTEL_RESOURCE_ATTRIBUTES") {
            Some(s) => parse_key_values("OTEL_RESOURCE_ATTRIBUTES", &s)?,
            None => Vec::new(),
        };
        resource_attributes.extend(self.resource_attributes.iter().cloned());
        let service_name = self
            .service_name
            .clone()
            .or_else(|| env("OTEL_SERVICE_NAME"))
            .or_else(|| {
                resource_attributes
                    .iter()
                    .rev()
                    .find(|(k, _)| k == "service.name")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_else(default_service_name);
        resource_attributes.retain(|(k, _)| k != "service.name");

        let mut headers = match env("OTEL_EXPORTER_OTLP_TRACES_HEADERS")
            .or_else(|| env("OTEL_EXPORTER_OTLP_HEADERS"))
        {
            Some(s) => parse_key_values("OTEL_EXPORTER_OTLP_HEADERS", &s)?,
            None => Vec::new(),
        };
        headers.extend(self.headers.iter().cloned());

        let request_timeout = match (self.request_timeout, env("OTEL_EXPORTER_OTLP_TIMEOUT")) {
            (Some(d), _) => d,
            (None, Some(s)) => parse_ms("OTEL_EXPORTER_OTLP_TIMEOUT", &s)?,
            (None, None) => Duration::from_secs(10),
        };
        let shutdown_timeout = match (
            self.shutdown_timeout,
            env("RENACER_OTLP_SHUTDOWN_TIMEOUT_MS"),
        ) {
            (Some(d), _) => d,
            (None, Some(s)) => parse_ms("RENACER_OTLP_SHUTDOWN_TIMEOUT_MS", &s)?,
            (None, None) => Duration::from_secs(5),
        };
        let queue_batches = match (self.queue_batches, env("RENACER_OTLP_QUEUE_BATCHES")) {
            (Some(n), _) => n.max(1),
            (None, Some(s)) => parse_count("RENACER_OTLP_QUEUE_BATCHES", &s)?,
            (None, None) => 64,
        };
        let batch_spans = match (self.batch_spans, env("RENACER_OTLP_BATCH_SPANS")) {
            (Some(n), _) => n.max(1),
            (None, Some(s)) => parse_count("RENACER_OTLP_BATCH_SPANS", &s)?,
            (None, None) => 512,
        };
        let metrics_interval = match (
            self.metrics_interval,
            env("RENACER_OTLP_METRICS_INTERVAL_MS"),
        ) {
            (Some(d), _) => Some(d),
            (None, Some(s)) => Some(parse_ms("RENACER_OTLP_METRICS_INTERVAL_MS", &s)?),
            (None, None) => Some(Duration::from_secs(10)),
        }
        .filter(|d| !d.is_zero());
        Ok(OtlpConfig {
            protocol,
            traces_endpoint,
            metrics_endpoint,
            service_name,
            resource_attributes,
            headers,
            request_timeout,
            shutdown_timeout,
            queue_batches,
            batch_spans,
            metrics_interval,
        })
    }
}

/// `unknown_service:<executable name>`, as the OpenTelemetry spec asks.
fn default_service_name() -> String {
    crate::export::unknown_service()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
