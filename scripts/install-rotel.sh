#!/usr/bin/env bash
# Installs the `rotel` OpenTelemetry collector (PyPI) into target/rotel-venv
# unless it is already there, and writes the path of its binary to
# target/rotel-venv/bin/rotel-agent-path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/rotel-venv
# Pinned: the e2e tests assert on what this collector version accepts.
version=0.0.1a15
if [ ! -s "$venv/bin/rotel-agent-path" ] || [ "$(cat "$venv/rotel-version" 2>/dev/null)" != "$version" ]; then
    mkdir -p target
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "rotel==$version"
    "$venv/bin/python" - > "$venv/bin/rotel-agent-path" <<'PY'
import os, rotel
print(os.path.join(os.path.dirname(rotel.__file__), "rotel-agent"))
PY
    echo "$version" > "$venv/rotel-version"
fi
echo "rotel: $(cat "$venv/bin/rotel-agent-path")"
