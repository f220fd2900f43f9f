#!/usr/bin/env bash
# Times the renacer CLI (release build) against strace on the same workloads,
# in the same run, and writes medians and ratios into the `cli` section of
# docs/benchmarks.md (with machine and date).
#
#   benches/strace_compare.sh            # RUNS=7 by default
#   RUNS=9 benches/strace_compare.sh
#   NO_DOC=1 benches/strace_compare.sh   # print the table, leave the doc alone
#
# Modes, for each workload: native (no tracer); the floor (benches/c/
# ptrace_floor.c: a bare waitpid + PTRACE_SYSCALL loop following threads and
# forks, what any full ptrace trace pays); the same loop waiting as renacer
# does (`ptrace_floor -s`: polls WNOHANG up to 50 us before it blocks); full
# trace to a file (-f -o); -c; -e trace=openat. The long dd runs the
# filtered mode only (its full traces would take minutes per run). Each cell
# is the median wall time of RUNS runs (date +%s%N around the whole command,
# tracer start-up included), with the runs of all cells of a workload
# interleaved.
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

cc -O2 -o "$TMP/ptrace_floor" "$ROOT/benches/c/ptrace_floor.c"
cc -O2 -pthread -o "$TMP/threads8" "$ROOT/benches/c/threads8.c"
FLOOR=$TMP/ptrace_floor

# name|modes|command
WORKLOADS=(
    "dd|full c openat|dd if=/dev/zero of=/dev/null bs=1 count=20000"
    "dd ×10|openat|dd if=/dev/zero of=/dev/null bs=1 count=200000"
    "find|full c openat|find /usr -maxdepth 3"
    "8 threads|full c openat|$TMP/threads8 5000"
    "python|full c openat|$PY -c pass"
)

# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"

# A median in ms, or a dash for a cell that was not measured.
ms_or_dash() { if [ "${1:-0}" -gt 0 ]; then ms "$1"; else echo "—"; fi; }

mode_flags() {
    case $1 in
        full) FLAGS=(-f) ;;
        c) FLAGS=(-f -c) ;;
        openat) FLAGS=(-f -e trace=openat) ;;
    esac
}
mode_label() {
    case $1 in
        full) echo "full trace -f -o file" ;;
        c) echo "-f -c" ;;
        openat) echo "-f -e trace=openat" ;;
    esac
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=""
for w in "${WORKLOADS[@]}"; do
    name=${w%%|*}
    rest=${w#*|}
    read -r -a MODES <<<"${rest%%|*}"
    cmd=${rest#*|}
    # Samples are interleaved (native, then strace and renacer for each mode,
    # RUNS rounds) so that background load drifts hit every cell alike.
    declare -A samples=()
    for ((i = 0; i < RUNS; i++)); do
        # shellcheck disable=SC2086
        samples[native]+="$(once_us $cmd) "
        # The floors are the reference of the unfiltered modes only.
        if [ "${MODES[*]}" != openat ]; then
            # shellcheck disable=SC2086
            samples[floor]+="$(once_us "$FLOOR" $cmd) "
            # shellcheck disable=SC2086
            samples[floor_spin]+="$(once_us "$FLOOR" -s $cmd) "
        fi
        for mode in "${MODES[@]}"; do
            mode_flags "$mode"
            # shellcheck disable=SC2086
            samples[strace_$mode]+="$(once_us "$STRACE" "${FLAGS[@]}" -o "$TMP/strace.out" -- $cmd) "
            # shellcheck disable=SC2086
            samples[renacer_$mode]+="$(once_us "$RENACER" "${FLAGS[@]}" -o "$TMP/renacer.out" -- $cmd) "
        done
    done
    native=$(tr ' ' '\n' <<<"${samples[native]}" | grep . | median)
    floor=$(tr ' ' '\n' <<<"${samples[floor]:-}" | grep . | median || true)
    floor_spin=$(tr ' ' '\n' <<<"${samples[floor_spin]:-}" | grep . | median || true)
    for mode in "${MODES[@]}"; do
        st=$(tr ' ' '\n' <<<"${samples[strace_$mode]}" | grep . | median)
        rn=$(tr ' ' '\n' <<<"${samples[renacer_$mode]}" | grep . | median)
        # The floor stops at every syscall: the reference of the modes that
        # do too (a filtered trace is compared with native instead).
        f="—" fs="—"
        if [ "$mode" != openat ]; then
            f=$(ratio "$rn" "$floor")
            fs=$(ratio "$rn" "$floor_spin")
        fi
        row="| $name | $(mode_label "$mode") | $(ms "$native") | $(ms_or_dash "$floor") | $(ms_or_dash "$floor_spin") | $(ms "$st") | $(ms "$rn") | $f | $fs | $(ratio "$rn" "$st") | $(ratio "$rn" "$native") |"
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
Load average at start: $LOAD.
Median wall time of $RUNS runs per cell, milliseconds, tracer start-up included;
both tracers write to a file (\`-o\`). renacer is the release build; with
\`-e trace=openat\` it installs a seccomp-bpf filter automatically, strace (no
\`--seccomp-bpf\`) stops on every syscall.

| workload | mode | native | floor | floor -s | strace | renacer | renacer/floor | renacer/floor -s | renacer/strace | renacer/native |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$ROWS
"floor": \`benches/c/ptrace_floor.c\`, a bare \`waitpid\` + \`PTRACE_SYSCALL\` loop
following threads and forks; "floor -s": the same loop polling \`waitpid(WNOHANG)\`
for up to 50 µs before it blocks, as renacer waits. Budgets (issue 14): full trace ≤ 1.1× the floor,
\`-c\` ≤ 1.05× the floor; \`-e trace=openat\` ≤ 0.05× strace and ≤ 1.3× native on dd,
≤ 1.5× native on find. Re-run: \`benches/strace_compare.sh\`.
MD
)

if [ -z "${NO_DOC:-}" ]; then
    write_section "$DOC" cli
fi
