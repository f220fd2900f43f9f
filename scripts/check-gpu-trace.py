#!/usr/bin/env python3
"""Checks what scripts/gpu-check.sh wrote on a machine with an NVIDIA GPU:
every kernel and copy of examples/gpu under the span that launched it
(SDK JSON lines and the CLI's unified JSON), launched inside that span,
with a plausible duration; a GPU stream track with launch flows in the
Perfetto file; and, injected with `renacer --cuda` into the program run
without renacer, the same kernel under the process on the launching thread."""
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "out/gpu-check"
fail = []


def check(cond, what):
    if not cond:
        fail.append(what)


def field(item, key):
    return (item.get("fields") or item.get("attributes") or {}).get(key)


lines = [json.loads(l) for l in open(os.path.join(out, "sdk.jsonl"), encoding="utf-8")]
by_id = {l["span_id"]: l for l in lines}
gpu = [l for l in lines if l["kind"].startswith("gpu_")]
check(any(l["kind"] == "gpu_kernel" and l["name"] == "vec_add" for l in gpu), "sdk.jsonl: a vec_add kernel")
want = {"gpu_kernel": "add_on_gpu", "memcpy HtoD": "upload", "memcpy DtoH": "download"}
for item in gpu:
    key = "gpu_kernel" if item["kind"] == "gpu_kernel" else item["name"]
    parent = by_id.get(item["parent_span_id"])
    if key in want:
        check(parent is not None and parent["name"] == want[key],
              f"sdk.jsonl: {item['name']} under {want[key]} (got {parent and parent['name']})")
    dur = item["end_ns"] - item["start_ns"]
    check(0 < dur < 10_000_000_000, f"sdk.jsonl: {item['name']} duration {dur} ns plausible")
    launch = field(item, "gpu.launch.start_ns")
    err = field(item, "gpu.clock_error_ns") or 0
    check(launch is not None, f"sdk.jsonl: {item['name']} has its launch")
    if parent and launch:
        check(parent["start_ns"] - err <= launch <= parent["end_ns"] + err,
              f"sdk.jsonl: {item['name']} launched inside {parent['name']}")
        check(item["start_ns"] + err >= launch, f"sdk.jsonl: {item['name']} starts after its launch")
        check(item["tid"] == parent["tid"], f"sdk.jsonl: {item['name']} on its launching thread")
check(" 0 GPU records lost" in open(os.path.join(out, "sdk.txt")).read(), "sdk.txt: no GPU record lost")

for name in ("unified.json", "inject.json"):
    doc = json.load(open(os.path.join(out, name), encoding="utf-8"))
    items = doc["items"]
    ids = {i["span_id"]: i for i in items}
    kernels = [i for i in items if i["kind"] == "gpu_kernel"]
    check(kernels, f"{name}: a kernel")
    for k in kernels:
        parent = ids.get(k.get("parent_span_id"))
        expect = "add_on_gpu" if name == "unified.json" else None
        if expect:
            check(parent and parent["name"] == expect, f"{name}: kernel under {expect}")
        else:
            check(parent and parent["kind"] == "process", f"{name}: injected kernel under its process")

trace = json.load(open(os.path.join(out, "trace.perfetto.json"), encoding="utf-8"))
events = trace["traceEvents"]
tracks = {e["tid"] for e in events if e.get("ph") == "M" and str(e["args"].get("name", "")).startswith("GPU ")}
check(tracks, "perfetto: a GPU stream track")
check(any(e.get("ph") == "X" and e.get("tid") in tracks and e.get("cat") == "gpu_kernel" for e in events),
      "perfetto: the kernel on a GPU track")
check(any(e.get("ph") == "s" and e.get("cat") == "gpu_launch" for e in events), "perfetto: launch flows")

for f in fail:
    print("FAIL:", f)
print(f"gpu-check: {len(gpu)} GPU items in sdk.jsonl, {len(fail)} failure(s)")
sys.exit(1 if fail else 0)
