#!/usr/bin/env python3
"""Checks what `scripts/demo.sh` wrote (the README's main job): the unified
text nests the demo's file reads inside `load_config`, the unified JSON has
the demo's process tree with function spans and syscalls under them, and
the Perfetto file is a loadable Trace Event document."""
import json
import os
import re
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "out"
fail = []


def check(cond, what):
    if not cond:
        fail.append(what)


text = open(os.path.join(out, "trace.txt"), encoding="utf-8").read().splitlines()
start = next((i for i, l in enumerate(text) if l.strip().endswith("→ load_config")), None)
check(start is not None, "trace.txt: a `→ load_config` line")
if start is not None:
    end = next((i for i in range(start, len(text)) if text[i].strip().endswith("← load_config")), None)
    check(end is not None, "trace.txt: `← load_config` after it")
    inside = text[start:end or start]
    check(any(re.search(r'openat\(.*demo\.conf', l) for l in inside), "trace.txt: openat of demo.conf inside load_config")
    check(any(re.search(r"\bread\(", l) for l in inside), "trace.txt: a read inside load_config")

doc = json.load(open(os.path.join(out, "trace.json"), encoding="utf-8"))
items = doc.get("items", [])
kinds = {}
for it in items:
    kinds[it["kind"]] = kinds.get(it["kind"], 0) + 1
check(doc.get("format") == "renacer-unified", "trace.json: format renacer-unified")
check(kinds.get("process", 0) >= 2, f"trace.json: the demo and its child process ({kinds})")
check(kinds.get("function", 0) >= 5, f"trace.json: function spans ({kinds})")
by_id = {it["span_id"]: it for it in items}
in_fn = [it for it in items if it["kind"] == "syscall" and by_id.get(it.get("parent_span_id"), {}).get("kind") == "function"]
check(len(in_fn) >= 10, f"trace.json: syscalls nested under function spans ({len(in_fn)})")
opens = [it for it in items if it["kind"] == "syscall" and "demo.conf" in it.get("args", "")]
check(
    any(it.get("source", {}).get("file", "").endswith("unified-demo/src/main.rs") and it["source"].get("line") for it in opens),
    "trace.json: --source names the demo's own file:line for the open of demo.conf",
)
source = open(os.path.join(out, "source.txt"), encoding="utf-8").read().splitlines()
conf = next((i for i, l in enumerate(source) if "demo.conf" in l), None)
check(
    conf is not None and conf + 1 < len(source) and re.match(r" > .*unified-demo/src/main\.rs:\d+ \(", source[conf + 1]),
    "source.txt: the open of demo.conf followed by ` > .../unified-demo/src/main.rs:LINE (fn)`",
)
compute = open(os.path.join(out, "compute.txt"), encoding="utf-8").read()
check(
    re.search(r"→ trueno\.(mean|dot|stddev|matmul) \[[a-z0-9+-]+, \d+ f32", compute) is not None,
    "compute.txt: a trueno block with the kernel that ran and its size",
)
report = open(os.path.join(out, "ruchy-sum.report.txt"), encoding="utf-8").read()
row = next((l for l in report.splitlines() if l.startswith("codegen::array_sum")), "")
check(re.search(r"sum\.ruchy:11\s+20\s", row) is not None, f"ruchy-sum.report.txt: array_sum at sum.ruchy:11, 20 calls ({row!r})")
check("codegen::fill" in report, "ruchy-sum.report.txt: the fill decision")
check(open(os.path.join(out, "ruchy-sum.svg"), encoding="utf-8").read().startswith("<?xml"), "ruchy-sum.svg: an SVG")
procs = [it for it in items if it["kind"] == "process"]
check(all(p.get("argv") for p in procs), "trace.json: every process has its argv")
check(sum(1 for p in procs if p.get("parent_span_id")) >= 1, "trace.json: the child process has a parent")

perf = json.load(open(os.path.join(out, "trace.perfetto.json"), encoding="utf-8"))
events = perf.get("traceEvents", [])
check(any(e.get("ph") == "X" and e.get("cat") == "function" for e in events), "perfetto: function slices")
check(any(e.get("ph") == "X" and e.get("cat") == "syscall" for e in events), "perfetto: syscall slices")
check(any(e.get("name") == "process_name" for e in events), "perfetto: named processes")

if fail:
    for f in fail:
        print("demo output check failed:", f, file=sys.stderr)
    sys.exit(1)
print(f"demo output: {len(items)} unified items {kinds}, {len(in_fn)} syscalls inside functions, {len(events)} Perfetto events")
