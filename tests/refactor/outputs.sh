#!/bin/sh
# tests/refactor/outputs.sh - every output a user sees, from one binary, into
# one directory: for showing a refactor changes nothing (issue 14).
#
#   tests/refactor/outputs.sh PORTCULLIS OUTDIR [CORPUS]
#
# OUTDIR gets: scan.jsonl (the corpus and examples/, with a store),
# rewrite/ (--rewrite files), campaigns.json, campaigns-show.txt,
# explain.txt (examples/), hunt-campaign.jsonl, hunt-ioc.jsonl, and
# MANIFEST (sha256 of each). Compare two OUTDIRs with diff -r.
# Times and store ids that differ between runs are masked.
set -eu
BIN=$(readlink -f "$1"); OUT=$2; CORPUS=${3:-../shared/corpus}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$OUT"; mkdir -p "$OUT/rewrite"
T=$(mktemp -d /tmp/pc-outputs.XXXXXX); trap 'rm -rf "$T"' EXIT
CFG=$T/pc.conf
printf '[history]\ndatabase = %s/store.db\n' "$T" > "$CFG"
set --
[ -d "$CORPUS" ] && set -- "$CORPUS"
"$BIN" scan -q -c "$CFG" -w "$OUT/rewrite" "$ROOT/examples" "$@" > "$T/scan.jsonl"
"$BIN" scan -q -e "$ROOT"/examples/*.eml > "$OUT/explain.txt"
"$BIN" campaigns -c "$CFG" --json > "$T/campaigns.json"
# the largest campaign: shown, marked malicious, hunted
id=$(python3 -c 'import json,sys
c=json.load(open(sys.argv[1]))
c=c if isinstance(c,list) else c.get("campaigns",[])
c.sort(key=lambda x:(-x.get("size",x.get("messages",0)),str(x.get("id"))))
print(c[0]["id"] if c else "")' "$T/campaigns.json")
if [ -n "$id" ]; then
	"$BIN" campaigns show "$id" -c "$CFG" > "$T/show.txt"
	"$BIN" campaigns mark "$id" malicious --reason outputs -c "$CFG" > /dev/null
	"$BIN" hunt -q -c "$CFG" "$ROOT/examples" "$@" > "$T/hunt-campaign.jsonl"
fi
# indicators: a sender domain, a URL host and an address from the examples
printf 'dai1yledger.example\nhannah.reyes@dailyledger.example\nclick.esp.example.net\n' > "$T/ioc.txt"
"$BIN" hunt -q -i "$T/ioc.txt" "$ROOT/examples" "$@" > "$T/hunt-ioc.jsonl" || true
# mask what legitimately changes between runs (wall-clock times)
for f in "$T"/*.jsonl "$T"/*.json "$T"/*.txt; do
	[ -f "$f" ] || continue
	case $f in */ioc.txt) continue ;; esac
	sed -E "s#$T#TMP#g" "$f" | sed -E 's/"(ms|elapsed_ms|scan_ms|time|first_seen|last_seen|marked_at|at)":[^,}]*/"\1":0/g;
	        s/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z?/TIME/g' > "$OUT/$(basename "$f")"
done
(cd "$OUT" && find . -type f ! -name MANIFEST | LC_ALL=C sort | xargs sha256sum > MANIFEST)
wc -l < "$OUT/scan.jsonl" | sed 's/^/scan lines: /'
