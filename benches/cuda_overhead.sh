#!/usr/bin/env bash
# What the SDK's `cuda` feature adds to a span that launches nothing: the
# `span` bench's recorded leaf (recorded_span/renacer, with its TSC floor)
# and the `unsampled` bench's unsampled call (with its bare-call floor), built without and with
# `--features cuda`, runs interleaved (off, on, off, on, ...), criterion
# medians. On a machine without a GPU the CUPTI session is absent; with
# one, nothing changes on this path either (renacer's CUPTI callbacks run
# only on launch API calls). Writes the `cuda` section of docs/benchmarks.md.
#
#   benches/cuda_overhead.sh        # ROUNDS=3 by default
#   NO_DOC=1 benches/cuda_overhead.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3}
DOC=$ROOT/docs/benchmarks.md
# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"
cd "$ROOT"

# One criterion run; prints "ID median_ns" per bench matching FILTER.
crit() {
    local dir=$1 features=$2 bench=$3 filter=$4
    cargo bench -q -p renacer-benches --target-dir "$dir" $features --bench "$bench" -- \
        --noplot --warm-up-time 1 --measurement-time 3 "$filter" 2>/dev/null |
        awk '# A long id is printed on a line of its own, "time:" on the next.
             $1 ~ /\// && $2 != "time:" { id = $1; next }
             # The first "time:" after an id is its estimate (a later one,
             # under "change:", is the change since the previous run).
             /time:/ { if ($1 != "time:") id = $1
                       if (id == "") next
                       for (i = 1; i <= NF; i++) if ($i == "time:") { v = $(i + 3); u = $(i + 4) }
                       if (u == "ps") v /= 1000; if (u == "µs" || u == "us") v *= 1000; print id, v; id = "" }'
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A S=()
for ((r = 0; r < ROUNDS; r++)); do
    for mode in off on; do
        features=""
        [ "$mode" = on ] && features="--features cuda"
        while read -r id v; do
            S[$mode.$id]+="$v "
        done < <(crit "target/cuda-$mode" "$features" span 'recorded_span/(renacer|floor_two_tsc_reads)$'
                 crit "target/cuda-$mode" "$features" unsampled 'not_recorded/(bare|renacer_unsampled)$')
    done
done

med() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ROWS=""
for id in recorded_span/floor_two_tsc_reads recorded_span/renacer not_recorded/bare not_recorded/renacer_unsampled; do
    off=$(med "${S[off.$id]:-}")
    on=$(med "${S[on.$id]:-}")
    [ -n "$off" ] && [ -n "$on" ] || continue
    diff=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%+.2f", a - b }')
    range() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s–%s", lo, hi }'; }
    row="| \`$id\` | $off ($(range "${S[off.$id]}")) | $on ($(range "${S[on.$id]}")) | $diff |"
    echo "$row"
    ROWS+="$row"$'\n'
done

CPU=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
SECTION=$(cat <<MD
## The \`cuda\` feature on a span that launches nothing (\`benches/cuda_overhead.sh\`)

Machine: $CPU, $(nproc) cores, kernel $(uname -r), no NVIDIA driver. Date: $(date -u +%Y-%m-%d).
Load average at the start: $LOAD. Criterion medians (ns), $ROUNDS interleaved rounds of
each build: the median of the rounds (their range in parentheses).

| bench | without \`cuda\` | with \`cuda\` | added |
|---|---:|---:|---:|
$ROWS
Budget: ≤ 1 ns added. The feature puts no code on the span path (enter and exit are
the same instructions; the CUPTI callbacks run only inside launch API calls), so any
difference here is run-to-run noise of the same code; the floor row shows that noise.
MD
)
if [ -z "${NO_DOC:-}" ]; then
    write_section "$DOC" cuda
fi
