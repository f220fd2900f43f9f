#!/usr/bin/env bash
# What `--source` costs: renacer --source and -k vs plain renacer vs strace
# and strace -k, on a syscall-heavy Rust program (benches/source_heavy.rs,
# opt-level 3 with line tables) and on `find`, runs interleaved. Writes the
# `source` section of docs/benchmarks.md.
#
#   benches/source_cost.sh        # RUNS=7 by default
#   NO_DOC=1 benches/source_cost.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-7}
RENACER=${RENACER:-$ROOT/target/release/renacer}
STRACE=${STRACE:-strace}
DOC=$ROOT/docs/benchmarks.md
# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"

if [ ! -x "$RENACER" ]; then
    (cd "$ROOT" && cargo build --release -p renacer-cli)
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
rustc -Copt-level=3 -Cdebuginfo=line-tables-only -o "$TMP/source_heavy" "$ROOT/benches/source_heavy.rs"

WORKLOADS=(
    "source_heavy.rs (60k syscalls)|$TMP/source_heavy"
    "find /usr/share -maxdepth 3|find /usr/share -maxdepth 3"
)
TRACERS=(native renacer renacer_source renacer_k strace strace_k)
run_one() {
    local tracer=$1
    shift
    case $tracer in
        native) once_us "$@" ;;
        renacer) once_us "$RENACER" -f -o "$TMP/out" -- "$@" ;;
        renacer_source) once_us "$RENACER" -f --source -o "$TMP/out" -- "$@" ;;
        renacer_k) once_us "$RENACER" -f -k -o "$TMP/out" -- "$@" ;;
        strace) once_us "$STRACE" -f -o "$TMP/out" -- "$@" ;;
        strace_k) once_us "$STRACE" -f -k -o "$TMP/out" -- "$@" ;;
    esac
}

ROWS=""
for w in "${WORKLOADS[@]}"; do
    name=${w%%|*}
    read -r -a cmd <<<"${w#*|}"
    declare -A samples=()
    for ((i = 0; i < RUNS; i++)); do
        for t in "${TRACERS[@]}"; do
            samples[$t]+="$(run_one "$t" "${cmd[@]}") "
        done
    done
    declare -A med=()
    for t in "${TRACERS[@]}"; do
        med[$t]=$(tr ' ' '\n' <<<"${samples[$t]}" | grep . | median)
    done
    row="| $name | $(ms "${med[native]}") | $(ms "${med[renacer]}") | $(ms "${med[renacer_source]}") | $(ms "${med[renacer_k]}") | $(ms "${med[strace]}") | $(ms "${med[strace_k]}") | $(ratio "${med[renacer_source]}" "${med[renacer]}") | $(ratio "${med[strace_k]}" "${med[renacer_source]}") |"
    echo "$row"
    ROWS+="$row"$'\n'
    unset samples med
done

CPU=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
SECTION=$(cat <<MD
### \`--source\` cost (\`benches/source_cost.sh\`)

Machine: $CPU, $(nproc) cores, kernel $(uname -r). Date: $(date -u +%Y-%m-%d).
Load average at start: $(cut -d' ' -f1-3 /proc/loadavg). $("$STRACE" -V | head -1).
Median wall time of $RUNS interleaved runs per cell, milliseconds, start-up
included, every tracer with \`-f -o FILE\`.

| workload | native | renacer | renacer --source | renacer -k | strace | strace -k | --source / renacer | strace -k / --source |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
$ROWS
Budget (issue 13): \`--source\` ≤ 2× plain renacer. Re-run: \`benches/source_cost.sh\`.
MD
)
if [ -z "${NO_DOC:-}" ]; then
    write_section "$DOC" source
fi
