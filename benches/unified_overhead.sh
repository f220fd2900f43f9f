#!/usr/bin/env bash
# What the unified trace costs: one workload (renacer-cli's example
# `unified_overhead`: N traced calls that each open, read and close a file,
# on 2 threads) run three ways, with the repetitions interleaved so drift
# and noise hit every configuration alike, and medians reported:
#   native    the program alone, SDK not initialised
#   strace    renacer -f -o /dev/null, SDK not initialised (a plain ptrace trace)
#   unified   renacer -f --format unified -o /dev/null, SDK initialised and
#             spooling every span (sample rate 1, no rate limit), then merged
#   unified-nosdk  renacer -f --format unified, SDK not initialised: separates
#             the SDK's spooling from the CLI's in-memory merge
# "workload" is the program's own timing of its loop (tracer stops only);
# "total" is the whole command's wall time, so it includes process start,
# the SDK's final flush and the CLI's merge and output; "cpu" is the user +
# system CPU time of the tracer and the program together, which other load
# on the machine disturbs much less than wall time (on a busy 2-core VM a
# ptrace stop waits for a core, so wall times spread widely).
#
# Usage: benches/unified_overhead.sh [CALLS] [REPS]   (defaults 20000 and 5)
# Release builds; the whole script takes well under 3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

calls=${1:-20000}
reps=${2:-5}
cargo build --release --quiet -p renacer-cli --bin renacer --example unified_overhead
renacer=target/release/renacer
app=target/release/examples/unified_overhead
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

configs=(native strace unified unified-nosdk)
TIMEFORMAT='%U %S'
run() { # config -> prints "workload_ns total_ns cpu_ms"
    local t0 t1 w u s
    t0=$(date +%s%N)
    { time run_one "$1" >"$tmp/w"; } 2>"$tmp/cpu"
    t1=$(date +%s%N)
    read -r u s <"$tmp/cpu"
    echo "$(cat "$tmp/w") $((t1 - t0)) $(awk -v u="$u" -v s="$s" 'BEGIN { print (u + s) * 1000 }')"
}
run_one() { # config -> prints the workload's own ns
    local w
    case $1 in
    native) w=$(env -u RENACER_OUTPUT "$app" "$calls") ;;
    strace) w=$(env -u RENACER_OUTPUT "$renacer" -f -o /dev/null -- "$app" "$calls") ;;
    unified) w=$(env -u RENACER_OUTPUT UNIFIED_OVERHEAD_SDK=1 \
        "$renacer" -f --format unified -o /dev/null -- "$app" "$calls") ;;
    unified-nosdk) w=$(env -u RENACER_OUTPUT \
        "$renacer" -f --format unified -o /dev/null -- "$app" "$calls") ;;
    esac
    echo "$w"
}

run native >/dev/null # warm the page cache
for ((r = 0; r < reps; r++)); do
    for c in "${configs[@]}"; do
        run "$c" >>"$tmp/$c"
    done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
med() { cut -d' ' -f"$2" "$tmp/$1" | median; }
base=$(med native 2)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "workload: $calls traced calls x 3 syscalls (openat, read, close), 2 threads; $reps interleaved runs, medians"
cbase=$(med native 3)
printf '%-14s %11s %9s %15s %7s %7s %12s\n' config workload_ms total_ms total_min-max cpu_ms cpu_x cpu_us/call
for c in "${configs[@]}"; do
    w=$(med "$c" 1)
    t=$(med "$c" 2)
    cpu=$(med "$c" 3)
    lo=$(cut -d' ' -f2 "$tmp/$c" | sort -n | head -1)
    hi=$(cut -d' ' -f2 "$tmp/$c" | sort -n | tail -1)
    awk -v c="$c" -v w="$w" -v t="$t" -v cpu="$cpu" -v cb="$cbase" -v n="$calls" -v lo="$lo" -v hi="$hi" 'BEGIN {
        printf "%-14s %11.1f %9.1f %7.0f-%-7.0f %7.0f %6.1fx %12.2f\n", c, w / 1e6, t / 1e6, lo / 1e6, hi / 1e6, cpu, cpu / cb, (cpu - cb) * 1e3 / n }'
done
