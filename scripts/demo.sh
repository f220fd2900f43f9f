#!/usr/bin/env bash
# The main job: trace a real program with the CLI and the SDK together.
#
# Builds the `renacer` CLI and examples/unified-demo (a program with
# #[renacer::trace] functions doing file I/O, a loopback TCP exchange, two
# threads and a child process), runs the demo under the tracer, and writes
# one unified trace three ways:
#   out/trace.txt            strace lines with → fn / ← fn span markers
#   out/trace.json           unified JSON (schema: docs/formats.md)
#   out/trace.perfetto.json  open in https://ui.perfetto.dev or chrome://tracing
# and, with --source, which line of the demo made each of its file syscalls:
#   out/source.txt           strace lines, each followed by ` > file:line (fn)`
# and examples/compute (trueno operations inside traced functions):
#   out/compute.txt          the unified text with its compute blocks
# and examples/ruchy-programs (Ruchy → Rust, annotated with decision ids):
#   out/ruchy-sum.json       the traced run of the generated array sum
#   out/ruchy-sum.report.txt what each transpiler decision cost (renacer decisions report)
#   out/ruchy-sum.svg        the same as a flame graph labelled by decision
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet -p renacer-cli -p unified-demo -p compute-demo \
    -p ruchy-programs --features ruchy-programs/trace
mkdir -p out
renacer=target/release/renacer
demo=target/release/unified-demo

"$renacer" -f --format unified -o out/trace.txt \
    --export perfetto:out/trace.perfetto.json \
    --export jsonl:out/trace.jsonl \
    -- "$demo"
"$renacer" -f -q --source --format unified-json -o out/trace.json -- "$demo" >/dev/null 2>&1
"$renacer" -q --source -e trace=openat,read -o out/source.txt -- "$demo" >/dev/null 2>&1
"$renacer" -f -q --format unified -o out/compute.txt -- target/release/compute-demo >/dev/null
"$renacer" -f -q --format unified-json -o out/ruchy-sum.json -- target/release/sum >/dev/null
"$renacer" decisions report --manifest examples/ruchy-programs/manifests/sum.json \
    --flamegraph out/ruchy-sum.svg out/ruchy-sum.json > out/ruchy-sum.report.txt

echo
echo "== the unified trace, around load_config (full text: out/trace.txt) =="
grep -n -m1 -A12 -- '→ load_config' out/trace.txt || head -40 out/trace.txt
echo
echo "== --source: the demo's own line behind each syscall (full text: out/source.txt) =="
grep -m1 -A5 -- 'demo.conf' out/source.txt || head -10 out/source.txt
echo
echo "== compute blocks: trueno operations with the kernel that ran (full text: out/compute.txt) =="
grep -m1 -A8 -- '→ statistics' out/compute.txt || head -20 out/compute.txt
echo
echo "== transpiler decisions: examples/ruchy-programs/ruchy/sum.ruchy, traced (out/ruchy-sum.report.txt) =="
cat out/ruchy-sum.report.txt
echo
echo "== summary =="
printf '%-28s %s\n' "syscall lines:" "$(grep -vc -e '→' -e '←' -e '^\[pid [0-9:]*\] *+++' -e '^\[pid [0-9:]*\] *---' out/trace.txt)"
printf '%-28s %s\n' "function spans entered:" "$(grep -c -- '→ ' out/trace.txt)"
echo "wrote out/trace.txt, out/trace.json, out/trace.jsonl, out/trace.perfetto.json, out/source.txt, out/compute.txt,"
echo "      out/ruchy-sum.json, out/ruchy-sum.report.txt, out/ruchy-sum.svg"
echo "open out/trace.perfetto.json in https://ui.perfetto.dev (Open trace file)"
