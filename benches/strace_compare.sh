#!/usr/bin/env bash
# Times the renacer CLI (release build) against strace on the same workloads,
# in the same run, and writes medians and ratios into the `cli` section of
# docs/benchmarks.md (with machine and date).
#
#   benches/strace_compare.sh            # RUNS=7 by default
#   RUNS=9 benches/strace_compare.sh
#   NO_DOC=1 benches/strace_compare.sh   # print the table, leave the doc alone
#
# Modes, for each workload: native (no tracer); full trace to a file; -c;
# -e trace=openat. Each cell is the median wall time of RUNS runs
# (date +%s%N around the whole command, tracer start-up included), with the
# runs of all cells of a workload interleaved.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-7}
RENACER=${RENACER:-$ROOT/target/release/renacer}
STRACE=${STRACE:-strace}
DOC=$ROOT/docs/benchmarks.md

if [ ! -x "$RENACER" ]; then
    (cd "$ROOT" && cargo build --release -p renacer-cli)
fi
command -v "$STRACE" >/dev/null || { echo "strace not found (apt-get install strace)" >&2; exit 1; }

# The real interpreter, not a version-manager shim (a shell script that
# would be traced instead of Python).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

WORKLOADS=(
    "dd|dd if=/dev/zero of=/dev/null bs=1 count=200000"
    "find|find /usr/share -maxdepth 3"
    "ls|ls -la /usr/lib"
    "python|$PY -c pass"
)

# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"

MODES=(full c openat)
mode_flags() {
    case $1 in
        full) FLAGS=() ;;
        c) FLAGS=(-c) ;;
        openat) FLAGS=(-e trace=openat) ;;
    esac
}
mode_label() {
    case $1 in
        full) echo "full trace -o file" ;;
        c) echo "-c" ;;
        openat) echo "-e trace=openat" ;;
    esac
}

ROWS=""
for w in "${WORKLOADS[@]}"; do
    name=${w%%|*}
    cmd=${w#*|}
    # Samples are interleaved (native, then strace and renacer for each mode,
    # RUNS rounds) so that background load drifts hit every cell alike.
    declare -A samples=()
    for ((i = 0; i < RUNS; i++)); do
        # shellcheck disable=SC2086
        samples[native]+="$(once_us $cmd) "
        for mode in "${MODES[@]}"; do
            mode_flags "$mode"
            # shellcheck disable=SC2086
            samples[strace_$mode]+="$(once_us "$STRACE" "${FLAGS[@]}" -o "$TMP/strace.out" -- $cmd) "
            # shellcheck disable=SC2086
            samples[renacer_$mode]+="$(once_us "$RENACER" "${FLAGS[@]}" -o "$TMP/renacer.out" -- $cmd) "
        done
    done
    native=$(tr ' ' '\n' <<<"${samples[native]}" | grep . | median)
    for mode in "${MODES[@]}"; do
        st=$(tr ' ' '\n' <<<"${samples[strace_$mode]}" | grep . | median)
        rn=$(tr ' ' '\n' <<<"${samples[renacer_$mode]}" | grep . | median)
        row="| $name | $(mode_label "$mode") | $(ms "$native") | $(ms "$st") | $(ms "$rn") | $(ratio "$rn" "$st") | $(ratio "$rn" "$native") |"
        echo "$row"
        ROWS+="$row"$'\n'
    done
    unset samples
done

CPU=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
CORES=$(nproc)
DATE=$(date -u +%Y-%m-%d)
STRACE_V=$("$STRACE" -V | head -1)
SECTION=$(cat <<MD
### CLI tracer vs strace (\`benches/strace_compare.sh\`)

Machine: $CPU, $CORES cores, kernel $(uname -r). Date: $DATE. $STRACE_V.
Median wall time of $RUNS runs per cell, milliseconds, tracer start-up included;
both tracers write to a file (\`-o\`). renacer is the release build; with
\`-e trace=openat\` it installs a seccomp-bpf filter automatically, strace (no
\`--seccomp-bpf\`) stops on every syscall.

| workload | mode | native | strace | renacer | renacer/strace | renacer/native |
|---|---|---:|---:|---:|---:|---:|
$ROWS
Budgets (docs/cli.md): full trace and \`-c\` ≤ 0.8× strace; \`-e trace=openat\`
≤ 0.2× strace and ≤ 1.5× native. Re-run: \`benches/strace_compare.sh\`.
MD
)

if [ -z "${NO_DOC:-}" ]; then
    write_section "$DOC" cli
fi
