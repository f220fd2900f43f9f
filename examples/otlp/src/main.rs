//! Sends renacer spans to an OpenTelemetry collector.
//!
//! ```text
//! # configured by the standard variables:
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 OTEL_SERVICE_NAME=checkout \
//!     cargo run -p otlp-example
//! # or in code, over HTTP/protobuf:
//! cargo run -p otlp-example -- http://127.0.0.1:4318
//! ```
//!
//! With an endpoint argument the example configures OTLP with the builder
//! (HTTP/protobuf); without one it uses `RENACER_OUTPUT=otlp` semantics and
//! the `OTEL_*` environment (gRPC on localhost:4317 by default). It prints
//! renacer's counters at the end, so a collector that was not reachable
//! shows up as `export_dropped`, never as a hang.

use std::time::Duration;

#[renacer::trace(fields(order))]
fn checkout(order: u32) -> Result<u64, String> {
    let price = price(order);
    if order.is_multiple_of(5) {
        return Err(format!("order {order}: card declined"));
    }
    Ok(price + shipping(order))
}

#[renacer::trace]
fn price(order: u32) -> u64 {
    u64::from(order) * 1_299
}

#[renacer::trace]
fn shipping(order: u32) -> u64 {
    if order.is_multiple_of(2) {
        0
    } else {
        499
    }
}

fn main() {
    let builder = renacer::Config::builder().rate_limit(0);
    let builder = match std::env::args().nth(1) {
        Some(endpoint) => builder
            .otlp_endpoint(&endpoint)
            .protocol(renacer::Protocol::HttpProtobuf)
            .service_name("otlp-example")
            .resource_attribute("deployment.environment", "example")
            .otlp_shutdown_timeout(Duration::from_secs(2)),
        None => builder.output("otlp"),
    };
    let guard = builder.init();

    let workers: Vec<_> = (0..2u32)
        .map(|w| {
            std::thread::Builder::new()
                .name(format!("checkout-{w}"))
                .spawn(move || {
                    (1..=5)
                        .map(|i| checkout(w * 10 + i).is_ok())
                        .filter(|ok| *ok)
                        .count()
                })
                .expect("spawn a worker")
        })
        .collect();
    let ok: usize = workers.into_iter().map(|h| h.join().unwrap_or(0)).sum();

    renacer::flush();
    drop(guard); // shuts the exporter down, waiting at most the shutdown timeout
    let s = renacer::stats();
    println!(
        "{ok} orders ok; spans recorded {} exported {} export_dropped {} export_errors {}",
        s.recorded, s.exported, s.export_dropped, s.export_errors
    );
}
