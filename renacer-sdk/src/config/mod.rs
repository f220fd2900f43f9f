//! Configuration: builder + environment.
//!
//! `Config::builder()` starts from the defaults overridden by the
//! environment (`RENACER_SAMPLE_RATE`, `RENACER_RATE_LIMIT`,
//! `RENACER_RING_CAPACITY`, `RENACER_OUTPUT`, `RENACER_FLUSH_INTERVAL_MS`);
//! builder calls override both. A bad value is reported in one line on
//! stderr and replaced by the default — never a panic.

use std::fmt;
use std::time::Duration;

#[cfg(feature = "otlp")]
mod otlp;

use crate::export::{parse_output_with, Exporter, SinkOptions};

/// Default sample rate: record every root.
pub const DEFAULT_SAMPLE_RATE: f64 = 1.0;
/// Default rate limit, spans per second.
pub const DEFAULT_RATE_LIMIT: u64 = 10_000;
/// Default events per thread ring.
pub const DEFAULT_RING_CAPACITY: usize = crate::record::thread::DEFAULT_RING_CAPACITY;
/// Default collector wake-up interval.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_millis(10);
/// Default longest wait for the exporters at shutdown.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything needed to build a [`Config`] again — in a `fork()`ed child,
/// which must open its own sinks (custom exporters, being objects, cannot
/// be rebuilt and are left out there).
#[derive(Clone, Debug)]
pub(crate) struct Recipe {
    pub(crate) sample_rate: f64,
    pub(crate) rate_limit: u64,
    pub(crate) ring_capacity: usize,
    pub(crate) flush_interval: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) exit_summary: bool,
    pub(crate) seed: Option<u64>,
    /// Duration thresholds of compute blocks: (SIMD, GPU).
    pub(crate) compute_thresholds: (Duration, Duration),
    /// Whether to read CUDA activity (`RENACER_CUDA`).
    pub(crate) cuda: crate::gpu::CudaMode,
    specs: Vec<(String, &'static str)>,
    options: SinkOptions,
    env_spool: Option<std::ffi::OsString>,
    pub(crate) custom_exporters: usize,
}

impl Recipe {
    /// A configuration with the sinks of the specs opened now (and the
    /// CLI's spool when `RENACER_SPOOL` named one).
    pub(crate) fn config(&self) -> Config {
        let mut exporters = Vec::new();
        for (spec, origin) in &self.specs {
            let (sinks, errors) = parse_output_with(spec, &self.options);
            for e in errors {
                eprintln!("renacer: {origin}: {e}; sink skipped");
            }
            exporters.extend(sinks);
        }
        // Under the renacer CLI, spans also go to its spool, whatever the
        // other outputs are: the CLI merges them with its syscalls.
        match crate::export::spool::sink_from_env(self.env_spool.clone()) {
            Some(Ok(spool)) => exporters.push(Box::new(spool)),
            Some(Err(e)) => eprintln!("renacer: {e}; spool sink skipped"),
            None => {}
        }
        Config {
            exporters,
            recipe: self.clone(),
        }
    }
}

/// Runtime configuration; build with [`Config::builder`].
pub struct Config {
    pub(crate) exporters: Vec<Box<dyn Exporter>>,
    /// Every setting, and how the sinks were made.
    pub(crate) recipe: Recipe,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("sample_rate", &self.recipe.sample_rate)
            .field("rate_limit", &self.recipe.rate_limit)
            .field("ring_capacity", &self.recipe.ring_capacity)
            .field("flush_interval", &self.recipe.flush_interval)
            .field("exporters", &self.exporters.len())
            .finish()
    }
}

impl Config {
    /// A builder seeded from the defaults and the environment.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::from_env()
    }

    /// The sample rate in effect.
    pub fn sample_rate(&self) -> f64 {
        self.recipe.sample_rate
    }
    /// The rate limit in effect (0 = unlimited).
    pub fn rate_limit(&self) -> u64 {
        self.recipe.rate_limit
    }
    /// Events per thread ring.
    pub fn ring_capacity(&self) -> usize {
        self.recipe.ring_capacity
    }
    /// Number of configured sinks.
    pub fn exporter_count(&self) -> usize {
        self.exporters.len()
    }
}

/// Builder of [`Config`].
pub struct ConfigBuilder {
    sample_rate: f64,
    rate_limit: u64,
    ring_capacity: usize,
    flush_interval: Duration,
    shutdown_timeout: Duration,
    exit_summary: bool,
    compute_thresholds: (Duration, Duration),
    cuda: crate::gpu::CudaMode,
    service_name: Option<String>,
    env_output: Option<String>,
    /// `RENACER_SPOOL`: set by the renacer CLI; always adds a spool sink.
    env_spool: Option<std::ffi::OsString>,
    output: Option<Vec<String>>,
    exporters: Vec<Box<dyn Exporter>>,
    seed: Option<u64>,
    /// OTLP settings (see the builder methods in `config::otlp`).
    #[cfg(feature = "otlp")]
    pub(crate) otlp: Option<crate::export::otlp::OtlpOptions>,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("sample_rate", &self.sample_rate)
            .field("rate_limit", &self.rate_limit)
            .field("ring_capacity", &self.ring_capacity)
            .field("output", &self.output)
            .finish()
    }
}

fn warn(var: &str, value: &str, why: &str, default: impl fmt::Display) {
    eprintln!("renacer: ignoring {var}={value:?}: {why}; using {default}");
}

/// Reads `var` and parses it with `parse`; warns and returns `None` on a
/// bad value.
fn env_parse<T>(
    var: &str,
    parse: impl Fn(&str) -> Result<T, String>,
    default: impl fmt::Display,
) -> Option<T> {
    let value = std::env::var(var).ok()?;
    match parse(value.trim()) {
        Ok(v) => Some(v),
        Err(why) => {
            warn(var, &value, &why, default);
            None
        }
    }
}

use crate::value::{parse_fraction, parse_in, parse_positive, parse_u64};

pub(crate) fn parse_rate(s: &str) -> Result<f64, String> {
    parse_fraction(s)
}

/// Rings index with a mask: the capacity must be a power of two.
pub(crate) fn parse_capacity(s: &str) -> Result<usize, String> {
    let c = parse_in(s, 4..=1 << 30)?;
    if !c.is_power_of_two() {
        return Err("must be a power of two (e.g. 16384)".into());
    }
    Ok(c as usize)
}

impl ConfigBuilder {
    /// Defaults only, ignoring the environment.
    pub fn defaults() -> ConfigBuilder {
        ConfigBuilder {
            sample_rate: DEFAULT_SAMPLE_RATE,
            rate_limit: DEFAULT_RATE_LIMIT,
            ring_capacity: DEFAULT_RING_CAPACITY,
            flush_interval: DEFAULT_FLUSH_INTERVAL,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            exit_summary: true,
            compute_thresholds: (
                crate::compute::DEFAULT_SIMD_THRESHOLD,
                crate::compute::DEFAULT_GPU_THRESHOLD,
            ),
            cuda: crate::gpu::CudaMode::Auto,
            service_name: None,
            env_output: None,
            env_spool: None,
            output: None,
            exporters: Vec::new(),
            seed: None,
            #[cfg(feature = "otlp")]
            otlp: None,
        }
    }

    /// Defaults overridden by the `RENACER_*` environment variables.
    pub fn from_env() -> ConfigBuilder {
        let mut b = ConfigBuilder::defaults();
        if let Some(r) = env_parse("RENACER_SAMPLE_RATE", parse_rate, DEFAULT_SAMPLE_RATE) {
            b.sample_rate = r;
        }
        if let Some(l) = env_parse("RENACER_RATE_LIMIT", parse_u64, DEFAULT_RATE_LIMIT) {
            b.rate_limit = l;
        }
        if let Some(c) = env_parse(
            "RENACER_RING_CAPACITY",
            parse_capacity,
            DEFAULT_RING_CAPACITY,
        ) {
            b.ring_capacity = c;
        }
        if let Some(ms) = env_parse("RENACER_FLUSH_INTERVAL_MS", parse_positive, "10") {
            b.flush_interval = Duration::from_millis(ms);
        }
        if let Some(on) = env_parse(
            "RENACER_EXIT_SUMMARY",
            |s| match s {
                "on" | "1" | "true" => Ok(true),
                "off" | "0" | "false" => Ok(false),
                _ => Err("expected `on` or `off`".to_string()),
            },
            "on",
        ) {
            b.exit_summary = on;
        }
        if let Some(ms) = env_parse("RENACER_SHUTDOWN_TIMEOUT_MS", parse_u64, "5000") {
            b.shutdown_timeout = Duration::from_millis(ms);
        }
        if let Some(us) = env_parse("RENACER_COMPUTE_SIMD_THRESHOLD_US", parse_u64, "50") {
            b.compute_thresholds.0 = Duration::from_micros(us);
        }
        if let Some(us) = env_parse("RENACER_COMPUTE_GPU_THRESHOLD_US", parse_u64, "100") {
            b.compute_thresholds.1 = Duration::from_micros(us);
        }
        if let Some(mode) = env_parse("RENACER_CUDA", crate::gpu::CudaMode::parse, "auto") {
            b.cuda = mode;
        }
        // Read by the clock at init; only checked here, so a typo is not
        // silently taken for the default.
        let _ = env_parse(
            "RENACER_CLOCK",
            |s| match s {
                "monotonic" | "auto" => Ok(()),
                _ => Err("expected `monotonic` or `auto`".to_string()),
            },
            "auto",
        );
        b.env_output = std::env::var("RENACER_OUTPUT").ok();
        b.env_spool = std::env::var_os(crate::export::spool::SPOOL_ENV);
        b
    }

    /// Fraction of root spans recorded, in [0, 1] (out of range: clamped,
    /// with a warning).
    pub fn sample_rate(mut self, rate: f64) -> Self {
        if !(0.0..=1.0).contains(&rate) {
            warn(
                "sample_rate",
                &rate.to_string(),
                "must be within [0, 1]",
                "a clamped value",
            );
        }
        self.sample_rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self
    }

    /// Spans per second across the process (0 = unlimited).
    pub fn rate_limit(mut self, spans_per_second: u64) -> Self {
        self.rate_limit = spans_per_second;
        self
    }

    /// Events per thread ring (rounded up to a power of two, min 4).
    pub fn ring_capacity(mut self, events: usize) -> Self {
        self.ring_capacity = events.clamp(4, 1 << 30);
        self
    }

    /// Longest wait for the collector and exporters when the guard drops or
    /// the process exits (`RENACER_SHUTDOWN_TIMEOUT_MS`, default 5 s): a
    /// hung exporter never keeps the program from exiting.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Compute blocks of `class` shorter than `threshold` are counted
    /// (`Stats::below_threshold`), not recorded (defaults: SIMD 50 µs,
    /// GPU 100 µs; `RENACER_COMPUTE_SIMD_THRESHOLD_US`,
    /// `RENACER_COMPUTE_GPU_THRESHOLD_US`). Zero records every sampled block.
    pub fn compute_threshold(
        mut self,
        class: crate::compute::ComputeClass,
        threshold: Duration,
    ) -> Self {
        match class {
            crate::compute::ComputeClass::Simd => self.compute_thresholds.0 = threshold,
            crate::compute::ComputeClass::Gpu => self.compute_thresholds.1 = threshold,
        }
        self
    }

    /// Whether to read CUDA kernels, copies and sets from CUPTI (feature
    /// `cuda`; `RENACER_CUDA=auto|on|off`, default `auto`: when the driver
    /// and CUPTI are present). `On` says in one line at init why not when
    /// they are not; `Auto` is silent.
    pub fn cuda(mut self, mode: crate::gpu::CudaMode) -> Self {
        self.cuda = mode;
        self
    }

    /// Whether shutdown prints one line on stderr when spans were lost
    /// (rate limit, full rings, sinks) or ended out of order
    /// (`RENACER_EXIT_SUMMARY=off` turns it off; default on), so a thin
    /// trace never goes unexplained.
    pub fn exit_summary(mut self, on: bool) -> Self {
        self.exit_summary = on;
        self
    }

    /// The service name every output carries (`service.name` in JSON lines
    /// and Perfetto, the OTLP resource's): over `OTEL_SERVICE_NAME`; the
    /// default is `unknown_service:<executable>`.
    pub fn service_name(mut self, name: &str) -> Self {
        self.service_name = Some(name.to_string());
        self
    }

    /// How often the collector drains the rings when nobody flushes.
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Adds sinks in the `RENACER_OUTPUT` syntax (`jsonl:PATH,perfetto:PATH`).
    /// Using it replaces the sinks of `RENACER_OUTPUT`.
    pub fn output(mut self, spec: &str) -> Self {
        self.output
            .get_or_insert_with(Vec::new)
            .push(spec.to_owned());
        self
    }

    /// Adds a custom sink.
    pub fn exporter(mut self, exporter: Box<dyn Exporter>) -> Self {
        self.exporters.push(exporter);
        self
    }

    /// Seeds the sampling generators (reproducible sampling in runs and
    /// tests; span and trace ids stay unique per process).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Builds the configuration, opening the output sinks. A sink that
    /// cannot be opened is reported on stderr and skipped.
    pub fn build(self) -> Config {
        #[cfg_attr(not(feature = "otlp"), allow(unused_mut))]
        let mut specs: Vec<(String, &'static str)> = match &self.output {
            Some(v) => v.iter().map(|s| (s.clone(), "output")).collect(),
            None => self
                .env_output
                .iter()
                .map(|s| (s.clone(), "RENACER_OUTPUT"))
                .collect(),
        };
        #[cfg(feature = "otlp")]
        otlp::add_otlp_spec(self.otlp.is_some(), &mut specs);
        let recipe = Recipe {
            sample_rate: self.sample_rate,
            rate_limit: self.rate_limit,
            ring_capacity: self.ring_capacity,
            flush_interval: self.flush_interval,
            shutdown_timeout: self.shutdown_timeout,
            exit_summary: self.exit_summary,
            seed: self.seed,
            compute_thresholds: self.compute_thresholds,
            cuda: self.cuda,
            specs,
            options: SinkOptions {
                service_name: self.service_name.clone(),
                #[cfg(feature = "otlp")]
                otlp: self.otlp.clone(),
            },
            env_spool: self.env_spool,
            custom_exporters: self.exporters.len(),
        };
        let mut config = recipe.config();
        config.exporters.extend(self.exporters);
        config
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn value_parsers_reject_bad_input_with_a_reason() {
        assert_eq!(parse_rate("0.25"), Ok(0.25));
        assert!(parse_rate("1.5").unwrap_err().contains("[0, 1]"));
        assert!(parse_rate("abc").unwrap_err().contains("number"));
        assert_eq!(parse_u64("0"), Ok(0));
        assert!(parse_u64("-1").is_err());
        assert_eq!(parse_capacity("1024"), Ok(1024));
        assert!(parse_capacity("2").is_err());
        assert!(parse_capacity("1000").unwrap_err().contains("power of two"));
    }

    #[test]
    fn builder_overrides_and_clamps() {
        let c = ConfigBuilder::defaults()
            .sample_rate(2.0)
            .rate_limit(0)
            .ring_capacity(1)
            .build();
        assert_eq!(c.sample_rate(), 1.0);
        assert_eq!(c.rate_limit(), 0);
        assert_eq!(c.ring_capacity(), 4);
        assert_eq!(c.exporter_count(), 0);
    }
}
