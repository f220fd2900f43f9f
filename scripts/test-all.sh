#!/usr/bin/env bash
# Every test of the project, as CI runs them: formatting, lints, the whole
# workspace's tests (unit, integration, UI, doc, end-to-end against a real
# OpenTelemetry collector and real traced processes), then the loom models.
set -euo pipefail
cd "$(dirname "$0")/.."

# The OTLP end-to-end tests need a real collector: the PyPI package `rotel`
# ships one. Install it into a venv under target/ once.
./scripts/install-rotel.sh
export RENACER_ROTEL="$PWD/target/rotel-venv/bin/rotel-agent-path"
RENACER_ROTEL="$(cat "$RENACER_ROTEL")"
export RENACER_ROTEL

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
python3 scripts/check-module-dag.py

# What users of each crate get: the SDK with no feature and with each one
# alone (workspace feature unification would hide a missing `cfg`), no
# serde and no CLI code in an application's build, docs without warnings.
for features in "" otlp tracing tracing-opentelemetry trueno cuda; do
    echo "sdk features: '${features:-none}'"
    cargo clippy -q -p renacer --no-default-features --features "$features" -- -D warnings
done
if cargo tree -p renacer -e normal --prefix none | grep -E '^(serde|renacer-trace|renacer-cli) '; then
    echo "the SDK's normal dependencies must not include serde or CLI code" >&2
    exit 1
fi
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps --workspace

# renacer --cuda's injection library, next to the renacer binary the CLI's
# tests run (tests/gpu.rs loads it into a real program).
cargo build -q -p renacer-cuda-inject
cargo test --workspace

# Traced trueno with its wgpu backend compiled in: no GPU adapter here, so
# a large matmul must be recorded as a fallback to BLIS, never a panic.
cargo test -q -p renacer --features trueno-gpu --test compute_trueno

# strace fidelity on a fast subset of the harness's programs (docs/cli.md
# has the full table): identical lines after normalization, against strace.
python3 scripts/fidelity.py --fast --min 99.5

# The --source accuracy corpus again, with its table shown (docs/cli.md).
cargo test -q -p renacer-cli --test source accuracy_corpus -- --nocapture

# The README's main job, exactly as a user runs it, and what it must show.
./scripts/demo.sh
python3 scripts/check-demo-output.py out

# Loom models of the lock-free ring and thread registration. A separate
# target dir keeps --cfg loom from invalidating the normal build.
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test -p renacer --release --test loom_ring
