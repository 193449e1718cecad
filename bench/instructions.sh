#!/bin/sh
# bench/instructions.sh - instructions one scan costs, counted by callgrind
# (deterministic, unlike wall time: the way to compare two builds of the
# scanner on this 2-core machine). The sample is every 20th message of the
# corpus index (375 of 7,505), scanned in one process with the defaults.
#
#   bench/instructions.sh [PORTCULLIS] [CORPUS]
#     PORTCULLIS  default build/portcullis
#     CORPUS      default ../shared/corpus
# Prints: instructions=N files=N binary=PATH
set -eu
BIN=${1:-build/portcullis}
CORPUS=${2:-../shared/corpus}
[ -f "$CORPUS/index.tsv" ] || { echo "instructions: no corpus at $CORPUS" >&2; exit 77; }
command -v valgrind >/dev/null || { echo "instructions: valgrind missing" >&2; exit 77; }
TMP=$(mktemp -d /tmp/pc-inst.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
awk -F'\t' -v c="$CORPUS" 'NR > 1 && (NR - 2) % 20 == 0 { print c "/" $1 }' "$CORPUS/index.tsv" > "$TMP/files"
n=$(wc -l < "$TMP/files")
# shellcheck disable=SC2046
valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" "$BIN" scan $(cat "$TMP/files") \
    > /dev/null 2> "$TMP/vg.log" || true
ir=$(sed -n 's/^summary: //p' "$TMP/cg.out")
[ -n "$ir" ] || { cat "$TMP/vg.log" >&2; exit 1; }
echo "instructions=$ir files=$n binary=$BIN"
