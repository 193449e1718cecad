#!/usr/bin/env bash
# Build, extract the corpus HTML parts, benchmark the three parsers, list
# disagreements and check the tricky snippets.
#   bash run.sh [--chromium]      (--chromium: recompute snippet ground truth
#                                  with local headless Chromium; needs
#                                  `apt-get install -y chromium`)
# Env: CORPUS (default /work/shared/corpus), PARTS (/tmp/htmlparts),
#      OUT (/tmp/html_parsers_out), REPS (5)
set -euo pipefail
cd "$(dirname "$0")"
CORPUS=${CORPUS:-/work/shared/corpus}
PARTS=${PARTS:-/tmp/htmlparts}
OUT=${OUT:-/tmp/html_parsers_out}
REPS=${REPS:-5}
CHROMIUM=""
[[ "${1:-}" == "--chromium" ]] && CHROMIUM="--chromium"

make -s
python3 extract_html.py "$CORPUS" "$PARTS"
mkdir -p "$OUT"
./html_parsers bench -r "$REPS" -o "$OUT" "$PARTS/list.tsv" | tee "$OUT/bench.md"
echo
python3 disagreements.py "$OUT" | tee "$OUT/disagreements.txt"
echo
python3 snippets.py $CHROMIUM "$OUT" | tee "$OUT/snippets.md"
echo "outputs in $OUT"
