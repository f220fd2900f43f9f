#!/usr/bin/env bash
# What the decision attributes cost generated code: each ruchy program of
# examples/ruchy-programs (fib(35), the sieve, the array sum) bare (the
# transpiler's file through rustc), `trace` off and `trace` on at 0.1 %
# sampling (RENACER_SAMPLE_RATE=0.001), runs interleaved, medians. Writes
# the `decisions` section of docs/benchmarks.md.
#
#   benches/decisions_overhead.sh         # RUNS=9 by default
#   NO_DOC=1 benches/decisions_overhead.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-9}
DOC=$ROOT/docs/benchmarks.md
# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cd "$ROOT"
cargo build -q --release -p ruchy-programs --target-dir target/ruchy-off
cargo build -q --release -p ruchy-programs --features trace --target-dir target/ruchy-on
PROGRAMS=(fib sieve sum)
for p in "${PROGRAMS[@]}"; do
    # The release profile's settings, on the transpiler's own file.
    rustc --edition 2021 -C opt-level=3 -C debuginfo=1 -C codegen-units=16 \
        -A warnings -o "$TMP/bare-$p" "examples/ruchy-programs/transpiled/$p.rs"
done

ROWS=""
declare -A MED=()
for p in "${PROGRAMS[@]}"; do
    declare -A s=()
    for ((i = 0; i < RUNS; i++)); do
        s[bare]+="$(once_us "$TMP/bare-$p") "
        s[off]+="$(once_us "target/ruchy-off/release/$p") "
        s[on]+="$(once_us env RENACER_SAMPLE_RATE=0.001 RENACER_EXIT_SUMMARY=off "target/ruchy-on/release/$p") "
    done
    declare -A m=()
    for k in bare off on; do
        m[$k]=$(tr ' ' '\n' <<<"${s[$k]}" | grep . | median)
    done
    MED[$p.off]=${m[off]}
    MED[$p.on]=${m[on]}
    row="| $p | $(ms "${m[bare]}") | $(ms "${m[off]}") | $(ms "${m[on]}") | $(ratio "${m[off]}" "${m[bare]}") | $(ratio "${m[on]}" "${m[bare]}") |"
    echo "$row"
    ROWS+="$row"$'\n'
    unset s m
done

# init: the sieve's on − off (one traced call); fib's per-call cost: the rest
# of its on − off over its 29,860,703 calls.
INIT_US=$((MED[sieve.on] - MED[sieve.off]))
PER_CALL=$(awk -v on="${MED[fib.on]}" -v off="${MED[fib.off]}" -v init="$INIT_US" \
    'BEGIN { printf "%.2f", (on - off - init) * 1000 / 29860703 }')
CPU=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
SECTION=$(cat <<MD
## Decision attributes on generated code (\`benches/decisions_overhead.sh\`)

Machine: $CPU, $(nproc) cores, kernel $(uname -r). Date: $(date -u +%Y-%m-%d).
Load average at start: $(cut -d' ' -f1-3 /proc/loadavg). Median wall time of $RUNS
interleaved runs, milliseconds, process start-up included. "bare": the transpiler's
file (\`examples/ruchy-programs/transpiled/\`) through rustc with the release
profile's settings; "off": the annotated crate without the \`trace\` feature; "on":
with it, \`renacer::init()\` in main and \`RENACER_SAMPLE_RATE=0.001\` (no output
configured: what is sampled is counted and dropped at export).

| program | bare | trace off | trace on (0.1 %) | off / bare | on / bare |
|---|---:|---:|---:|---:|---:|
$ROWS
fib(35) makes 29.9 million calls of the traced \`fib\`; with the feature on, each
unsampled call pays the sampling countdown. The sieve and the sum make 1 and 21
traced calls, so their "on − off" is \`renacer::init\` itself (collector thread,
clock calibration with its 2 ms wait): $(ms "$INIT_US") ms for the sieve here. fib's
on − off − init is then $PER_CALL ns per unsampled call (× 29.9 million), the SDK's
unsampled-call cost (SDK section). Re-run: \`benches/decisions_overhead.sh\`.
MD
)
if [ -z "${NO_DOC:-}" ]; then
    write_section "$DOC" decisions
fi
