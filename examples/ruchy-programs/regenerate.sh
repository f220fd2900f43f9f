#!/usr/bin/env bash
# Regenerates transpiled/, src/annotated/ and manifests/ from ruchy/*.ruchy:
#
#   1. ruchy transpile (ruchy 4.2.1: `cargo install ruchy@4.2.1
#      --no-default-features --features repl`), the transpiler's own output;
#   2. renacer decisions annotate, the step ruchy does not do yet: each
#      generated fn gets #[cfg_attr(feature = "trace", renacer::trace(
#      decision = "codegen::NAME", source = "NAME.ruchy:LINE"))] and the
#      decision manifest is written.
#
#   examples/ruchy-programs/regenerate.sh   # RUCHY=/path/to/ruchy to override
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
RUCHY=${RUCHY:-ruchy}
version=$("$RUCHY" --version)
[ "$version" = "ruchy 4.2.1" ] || { echo "need ruchy 4.2.1, found: $version" >&2; exit 1; }
(cd "$root" && cargo build -q -p renacer-cli)
for src in "$here"/ruchy/*.ruchy; do
    name=$(basename "$src" .ruchy)
    # Run from ruchy/ so the transpiler sees the same relative path.
    (cd "$here/ruchy" && "$RUCHY" transpile "$name.ruchy") > "$here/transpiled/$name.rs"
    "$root/target/debug/renacer" decisions annotate --ruchy "$src" \
        --transpiler "$version" --manifest "$here/manifests/$name.json" \
        -o "$here/src/annotated/$name.rs" "$here/transpiled/$name.rs"
done
echo "regenerated: $(ls "$here"/ruchy/*.ruchy | wc -l) programs"
