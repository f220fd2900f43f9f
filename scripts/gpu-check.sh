#!/usr/bin/env bash
# The GPU layer on a real NVIDIA GPU, in one command (a few minutes, most
# of it the release build): examples/gpu traced by the SDK alone, by the
# CLI + SDK (unified JSON and Perfetto), and by `renacer --cuda` injected
# into the same program run without renacer; scripts/check-gpu-trace.py
# then checks that kernels and copies nest under the spans that launched
# them, with plausible durations. Needs the NVIDIA driver and CUPTI
# (libcupti: found on LD_LIBRARY_PATH or under /usr/local/cuda*/extras).
# No GPU in CI: this runs wherever one is lent.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/gpu-check}"
mkdir -p "$out"

if ! ldconfig -p | grep -q 'libcuda\.so'; then
    echo "gpu-check: no NVIDIA driver (libcuda) on this machine" >&2
    exit 1
fi
for d in /usr/local/cuda*/extras/CUPTI/lib64 /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu; do
    if ls "$d"/libcupti.so* >/dev/null 2>&1; then
        export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        break
    fi
done
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true

cargo build --release -q -p gpu-demo -p renacer-cli -p renacer-cuda-inject
bin=target/release

export RENACER_SAMPLE_RATE=1
RENACER_CUDA=on RENACER_OUTPUT="jsonl:$out/sdk.jsonl" "$bin/gpu-demo" | tee "$out/sdk.txt"
"$bin/renacer" -f --format unified-json -o "$out/unified.json" -- "$bin/gpu-demo" >/dev/null
"$bin/renacer" -f --format perfetto -o "$out/trace.perfetto.json" -- "$bin/gpu-demo" >/dev/null
"$bin/renacer" -f --cuda --format unified-json -o "$out/inject.json" -- "$bin/gpu-demo" --without-renacer >/dev/null
python3 scripts/check-gpu-trace.py "$out"
