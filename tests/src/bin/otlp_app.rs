//! A small instrumented program the end-to-end tests run in fresh processes
//! (renacer's init is process-global), configured only through the
//! environment (`RENACER_OUTPUT=otlp`, `OTEL_*`, `TRACEPARENT`) exactly as a
//! user's program would be. The scenario is the first argument:
//!
//! * `threads`: a root span fanning out to 4 named threads with nested spans;
//! * `tokio`: async spans on a multi-threaded tokio runtime;
//! * `plain`: no runtime at all, one span tree, an `Err` result;
//! * `builder`: `plain`, with OTLP configured by the `Config` builder from
//!   `OTLP_APP_ENDPOINT` (HTTP/protobuf);
//! * `tracing`: `tracing` spans through `RenacerLayer`, nested with renacer spans;
//! * `otel`: a `#[renacer::trace]` root inside a `tracing-opentelemetry`
//!   span (prints `OTEL <trace id> <span id>` of that span);
//! * `burst`: many spans, for the collector-down case;
//! * `compute`: a `compute!` block that reads a file, inside a function
//!   (every block recorded: threshold 0).
//!
//! At the end it prints `STATS <name>=<value> ...` on stdout.

use std::process::ExitCode;

#[renacer::trace(fields(worker))]
fn work_item(worker: u32, i: u32) -> u64 {
    checksum(u64::from(worker) * 1000 + u64::from(i))
}

#[renacer::trace]
fn checksum(x: u64) -> u64 {
    x.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17)
}

#[renacer::trace]
fn fan_out() -> u64 {
    let handles: Vec<_> = (0..4u32)
        .map(|w| {
            std::thread::Builder::new()
                .name(format!("worker-{w}"))
                .spawn(move || {
                    (0..3)
                        .map(|i| work_item(w, i))
                        .fold(0u64, u64::wrapping_add)
                })
                .expect("spawn a worker thread")
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().unwrap_or(0))
        .fold(0, u64::wrapping_add)
}

#[renacer::trace]
fn load_config(path: &str) -> Result<String, std::io::Error> {
    std::fs::read_to_string(path)
}

#[renacer::trace]
fn compute_main() -> u64 {
    renacer::compute!(
        "digest",
        elements = 4096,
        data_type = "u8",
        backend = "scalar",
        {
            let bytes = std::fs::read("/proc/self/status").unwrap_or_default();
            bytes
                .iter()
                .fold(0u64, |h, &b| h.rotate_left(5) ^ u64::from(b))
        }
    )
}

static GPU_KERNEL: &std::ffi::CStr = c"_Z5scalePfi";

/// A kernel launch inside this span, as CUPTI reports one (synthetic
/// buffers built from cudarc's layouts: no GPU needed).
#[renacer::trace]
fn gpu_main() -> u64 {
    use renacer::gpu::synthetic;
    synthetic::start(1_000_000_000);
    let tp = renacer::context::current_context().expect("recorded span");
    // SAFETY: no preconditions.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u32;
    let t = synthetic::now();
    let mut records: Vec<Vec<u8>> = synthetic::launch_ids(7, tp.trace_id.0, tp.parent_id.0).into();
    records.push(synthetic::api(false, 307, 7, t, t + 200, tid));
    let work = synthetic::Work {
        correlation: 7,
        start: t + 500,
        end: t + 9_500,
        device: 0,
        stream: 3,
    };
    records.push(synthetic::kernel(work, GPU_KERNEL, [32, 2, 1], [128, 1, 1]));
    // SAFETY: the kernel name is a static C string.
    unsafe { synthetic::deliver_buffer(&records) };
    checksum(2)
}

#[renacer::trace]
fn plain_main() -> usize {
    let missing = load_config("/nonexistent/renacer-e2e.toml").is_err();
    usize::from(missing) + checksum(1) as usize % 2
}

#[renacer::trace]
async fn fetch(i: u64) -> u64 {
    tokio::task::yield_now().await;
    checksum(i)
}

#[renacer::trace]
async fn serve() -> u64 {
    let tasks: Vec<_> = (0..4).map(|i| tokio::spawn(fetch(i))).collect();
    let mut sum = 0u64;
    for t in tasks {
        sum = sum.wrapping_add(t.await.unwrap_or(0));
    }
    sum
}

#[renacer::trace]
fn renacer_inside_tracing() -> u64 {
    let span = tracing::info_span!("tracing_child", depth = 2u64);
    let _e = span.enter();
    checksum(2)
}

fn tracing_scenario() {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(renacer::interop::RenacerLayer::new());
    tracing::subscriber::with_default(subscriber, || {
        let root = tracing::info_span!("tracing_root", user = "ada", attempt = 3u64);
        let _e = root.enter();
        std::hint::black_box(renacer_inside_tracing());
        // Created here, entered and closed on another thread.
        let moved = tracing::info_span!("tracing_moved");
        let dispatch = tracing::dispatcher::Dispatch::default();
        std::thread::spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                let _e = moved.enter();
                std::hint::black_box(checksum(5));
            })
        })
        .join()
        .expect("thread");
    });
}

#[renacer::trace]
fn renacer_under_otel() -> u64 {
    checksum(3)
}

fn otel_scenario() {
    use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    use tracing_subscriber::layer::SubscriberExt;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("otlp_app"));
    let subscriber = tracing_subscriber::registry().with(otel);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("otel_request");
        let _e = span.enter();
        let cx = span.context();
        let sc = cx.span().span_context().clone();
        println!("OTEL {} {}", sc.trace_id(), sc.span_id());
        std::hint::black_box(renacer_under_otel());
    });
}

#[renacer::trace]
fn burst_leaf(i: u64) -> u64 {
    i.wrapping_mul(3)
}

fn print_stats() {
    let s = renacer::stats();
    println!(
        "STATS recorded={} exported={} export_errors={} export_dropped={} ring_dropped={} rate_limited={}",
        s.recorded, s.exported, s.export_errors, s.export_dropped, s.ring_dropped, s.rate_limited
    );
}

fn main() -> ExitCode {
    let scenario = std::env::args().nth(1).unwrap_or_default();
    let builder = renacer::Config::builder().rate_limit(0);
    let guard = match (scenario.as_str(), std::env::var("OTLP_APP_ENDPOINT")) {
        // OTLP configured in code only (no RENACER_OUTPUT, no OTEL_*).
        ("builder", Ok(endpoint)) => builder
            .otlp_endpoint(&endpoint)
            .protocol(renacer::Protocol::HttpProtobuf)
            .service_name("builder-app")
            .resource_attribute("configured.by", "builder")
            .otlp_shutdown_timeout(std::time::Duration::from_secs(5))
            .init(),
        ("compute", _) => builder
            .compute_threshold(
                renacer::compute::ComputeClass::Simd,
                std::time::Duration::ZERO,
            )
            .init(),
        _ => builder.init(),
    };
    let mut out = 0u64;
    match scenario.as_str() {
        "threads" => out = fan_out(),
        "plain" | "builder" => out = plain_main() as u64,
        "compute" => out = compute_main(),
        "gpu" => out = gpu_main(),
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            out = rt.block_on(async {
                let v = serve().await;
                // Flushing from inside a runtime must not panic or deadlock:
                // the OTLP exporter's own runtime lives on its own thread.
                tokio::task::spawn_blocking(renacer::flush)
                    .await
                    .unwrap_or(false);
                v
            });
        }
        "tracing" => tracing_scenario(),
        "otel" => otel_scenario(),
        "burst" => {
            for i in 0..20_000 {
                out = out.wrapping_add(burst_leaf(i));
            }
        }
        other => {
            eprintln!("otlp_app: unknown scenario {other:?}");
            return ExitCode::from(2);
        }
    }
    std::hint::black_box(out);
    renacer::flush();
    // Dropping the guard shuts the exporters down (bounded by the OTLP
    // shutdown timeout); the stats printed after it include the final export.
    drop(guard);
    print_stats();
    ExitCode::SUCCESS
}
