# Helpers shared by the CLI benchmark scripts (sourced, not run).

# Median of the numbers on stdin, one per line.
median() {
    sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

# Microseconds as milliseconds with one decimal.
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }

# a / b with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# One timing of "$@" in microseconds (output discarded, failures ignored).
once_us() {
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s%N)
    echo $(((e - s) / 1000))
}

# Replace the text between `<!-- section:NAME -->` and its closing marker
# in the markdown file DOC with $SECTION.
write_section() {
    local doc=$1 name=$2
    SECTION="$SECTION" python3 - "$doc" "$name" <<'PYEOF'
import os, sys
path, name = sys.argv[1], sys.argv[2]
text = open(path).read()
start, end = f"<!-- section:{name} -->", f"<!-- /section:{name} -->"
i, j = text.index(start) + len(start), text.index(end)
text = text[:i] + "\n" + os.environ["SECTION"].rstrip() + "\n" + text[j:]
open(path, "w").write(text)
PYEOF
    echo "wrote the $name section of $doc"
}
