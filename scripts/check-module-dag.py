#!/usr/bin/env python3
"""Fails when a crate's module graph has a cycle.

For every library and binary crate of the workspace, each non-test source
file is a module; each `crate::a::b` / `super::x` path it names is an edge
between the two sibling modules where the paths part (file `a::b::c` naming
`crate::a::d::e` is an edge `b -> d` inside `a`). Test code (files named
`tests.rs` / `*_tests.rs` and the inline `#[cfg(test)] mod tests` block) is
left out: tests may look anywhere. Prints each cycle and exits 1 if any.

Our own parse rather than `cargo modules`: that tool needs a rust-analyzer
build per toolchain and minutes per run; this needs only python3 and reads
the source the way the rule is written.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES = ["renacer-format", "renacer-sdk", "renacer-macros", "renacer-trace", "renacer-cli"]
PATH_RE = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP_RE = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^}]*)\}", re.S)
TEST_MOD_RE = re.compile(r"#\[cfg\(test\)\]\s*(?:#\[path[^\]]*\]\s*)?(?:pub(?:\([a-z]+\))?\s+)?mod\s+\w+\s*(?:;|\{)")


def module_path(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return rel


def strip_tests(text):
    m = TEST_MOD_RE.search(text)
    if m and m.group(0).endswith("{"):
        return text[: m.start()]
    return TEST_MOD_RE.sub("", text)


def strip_comments(text):
    return "\n".join(l.split("//")[0] if not l.strip().startswith("//") else "" for l in text.split("\n"))


def references(text, mod, is_dir_module):
    here = mod if is_dir_module else mod[:-1]
    out = []
    for m in GROUP_RE.finditer(text):
        base = [s for s in m.group(2).split("::") if s]
        for item in m.group(3).split(","):
            first = item.strip().split("::")[0].strip()
            if first and first not in ("self",) and re.match(r"^[A-Za-z_]\w*$", first):
                out.append((m.group(1), base + [first]))
    for m in PATH_RE.finditer(text):
        out.append((m.group(1), [s for s in m.group(2).split("::") if s]))
    for kind, segs in out:
        if kind == "crate":
            target = segs
        else:
            target = (here[:-1] if here else []) + segs
            # `super::super::x`
            while target and target[0] == "super":
                target = target[1:]
        yield target


def crate_modules(src):
    mods = {}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs") or f == "tests.rs" or f.endswith("_tests.rs"):
                continue
            p = os.path.join(dirpath, f)
            mods[tuple(module_path(src, p))] = p
    return mods


def cycles(graph):
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return found


def main():
    bad = 0
    for crate in CRATES:
        src = os.path.join(ROOT, crate, "src")
        mods = crate_modules(src)
        known = set(mods)
        graph = {}
        for mod, path in mods.items():
            text = strip_comments(strip_tests(open(path, encoding="utf-8").read()))
            is_dir = os.path.basename(path) in ("mod.rs", "lib.rs", "main.rs")
            for target in references(text, list(mod), is_dir):
                # Longest known module prefix of the target.
                while target and tuple(target) not in known:
                    target = target[:-1]
                i = 0
                while i < len(mod) and i < len(target) and mod[i] == target[i]:
                    i += 1
                if i < len(mod) and i < len(target):
                    parent = "::".join(mod[:i]) or "crate"
                    graph.setdefault((parent, mod[i]), set()).add((parent, target[i]))
        for cyc in cycles(graph):
            bad += 1
            parent = cyc[0][0]
            print(f"{crate}: module cycle in {parent}: " + " -> ".join(n for _, n in cyc))
    if bad:
        print(f"{bad} module cycle(s); every crate's module graph must be a DAG", file=sys.stderr)
        return 1
    print("module graphs: no cycles in " + ", ".join(CRATES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
