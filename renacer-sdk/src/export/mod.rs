//! Exporters: where the collector hands completed spans.
//!
//! An [`Exporter`] runs on the collector thread. It must not block for long
//! (a network exporter hands spans to its own bounded queue) and reports
//! losses through [`count_export_errors`] / [`count_dropped_spans`], so
//! every drop is visible in [`crate::stats()`].
//!
//! Sinks named in `RENACER_OUTPUT` / `Config::output` (`scheme:argument`,
//! comma-separated) are built by [`make_sink`]: to add a sink, add one match
//! arm there that calls your module's constructor.

mod file;
pub mod jsonl;
#[cfg(feature = "otlp")]
pub mod otlp;
pub mod perfetto;
pub mod spool;

use crate::model::SpanRecord;

/// A sink of completed spans, driven by the collector thread.
pub trait Exporter: Send {
    /// Takes one batch of completed spans (in completion order).
    fn export(&mut self, spans: &[SpanRecord]);

    /// Makes everything exported so far durable / sent. Called by
    /// `renacer::flush()` and before shutdown.
    fn flush(&mut self) {}

    /// Final flush; no more calls follow.
    fn shutdown(&mut self) {
        self.flush();
    }
}

/// Counts `n` export errors (failed writes, rejected requests).
pub fn count_export_errors(n: u64) {
    crate::stats::add_export_errors(n);
}

/// Counts `n` spans an exporter had to drop (full queue, failed batch).
pub fn count_dropped_spans(n: u64) {
    crate::stats::add_export_dropped(n);
}

/// What building a sink may need besides its `scheme:argument` spec: the
/// options given in code (`ConfigBuilder`), passed in rather than through a
/// global.
#[derive(Clone, Debug, Default)]
pub(crate) struct SinkOptions {
    /// `ConfigBuilder::service_name`, over `OTEL_SERVICE_NAME`.
    pub(crate) service_name: Option<String>,
    /// `ConfigBuilder`'s OTLP settings, under the environment's.
    #[cfg(feature = "otlp")]
    pub(crate) otlp: Option<otlp::OtlpOptions>,
}

/// Builds the sink named by `scheme` with `argument`. `None`: no such sink.
pub fn make_sink(scheme: &str, argument: &str) -> Option<Result<Box<dyn Exporter>, String>> {
    make_sink_with(scheme, argument, &SinkOptions::default())
}

fn make_sink_with(
    scheme: &str,
    argument: &str,
    #[cfg_attr(not(feature = "otlp"), allow(unused_variables))] options: &SinkOptions,
) -> Option<Result<Box<dyn Exporter>, String>> {
    match scheme {
        "jsonl" => Some(
            jsonl::JsonLinesExporter::create_for(
                argument,
                &service_name(options.service_name.as_deref()),
            )
            .map(boxed),
        ),
        "perfetto" => Some(
            perfetto::PerfettoExporter::create_for(
                argument,
                &service_name(options.service_name.as_deref()),
            )
            .map(boxed),
        ),
        "spool" => Some(spool::sink(argument).map(boxed)),
        #[cfg(feature = "otlp")]
        "otlp" => {
            // The builder's service name reaches an `otlp` sink named in
            // `RENACER_OUTPUT` too.
            let mut o = options.otlp.clone().unwrap_or_default();
            o.service_name = o.service_name.or_else(|| options.service_name.clone());
            Some(otlp::sink(argument, Some(&o)).map(boxed))
        }
        #[cfg(not(feature = "otlp"))]
        "otlp" => Some(Err("renacer was built without its `otlp` feature".into())),
        _ => None,
    }
}

/// Sink state a `fork()`ed child must not inherit.
#[cfg(not(loom))]
pub(crate) fn reset_after_fork() {
    file::forget_written_after_fork();
}

/// The service name every sink writes: the builder's, else
/// `OTEL_SERVICE_NAME`, else `unknown_service:<executable>` (the
/// OpenTelemetry rule), so a trace names its service in every format.
pub(crate) fn service_name(builder: Option<&str>) -> String {
    builder
        .map(str::to_string)
        .or_else(|| std::env::var("OTEL_SERVICE_NAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(unknown_service)
}

/// `unknown_service:<executable name>`, as the OpenTelemetry spec asks.
pub(crate) fn unknown_service() -> String {
    match own_process_name() {
        Some(exe) => format!("unknown_service:{exe}"),
        None => "unknown_service".into(),
    }
}

/// This process's executable file name (`/proc/self/exe`), else its
/// `comm`: how every sink names the process (Perfetto track, OTLP
/// `service.name` default). The one lookup of it.
pub(crate) fn own_process_name() -> Option<String> {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !n.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/self/comm")
                .ok()
                .map(|s| s.trim_end().to_owned())
                .filter(|n| !n.is_empty())
        })
}

fn boxed<E: Exporter + 'static>(e: E) -> Box<dyn Exporter> {
    Box::new(e)
}

/// Parses a comma-separated sink list (`jsonl:/tmp/a.jsonl,perfetto:t.json`).
/// Returns the sinks that could be built and one message per bad entry.
pub fn parse_output(spec: &str) -> (Vec<Box<dyn Exporter>>, Vec<String>) {
    parse_output_with(spec, &SinkOptions::default())
}

/// [`parse_output`] with the options given in code.
pub(crate) fn parse_output_with(
    spec: &str,
    options: &SinkOptions,
) -> (Vec<Box<dyn Exporter>>, Vec<String>) {
    let mut sinks = Vec::new();
    let mut errors = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (scheme, arg) = item.split_once(':').unwrap_or((item, ""));
        match make_sink_with(scheme, arg, options) {
            Some(Ok(sink)) => sinks.push(sink),
            Some(Err(e)) => errors.push(format!("output `{item}`: {e}")),
            None => errors.push(format!(
                "output `{item}`: unknown sink `{scheme}` (known: jsonl, perfetto, otlp, spool)"
            )),
        }
    }
    (sinks, errors)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn parse_output_reports_bad_entries_and_keeps_good_ones() {
        let dir = std::env::temp_dir().join(format!("renacer-parse-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("a.jsonl");
        let spec = format!("jsonl:{}, nope:x ,jsonl:", good.display());
        let (sinks, errors) = parse_output(&spec);
        assert_eq!(sinks.len(), 1);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("unknown sink `nope`"));
        assert!(errors[1].contains("path"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
