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
cargo test --workspace

# Loom models of the lock-free ring and thread registration. A separate
# target dir keeps --cfg loom from invalidating the normal build.
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test -p renacer --release --test loom_ring
