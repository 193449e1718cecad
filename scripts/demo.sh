#!/bin/sh
# make demo: scan the bundled example mail, once for people (--explain) and
# once as the JSON Lines a mail system or SIEM reads; then neutralise the
# newsletter's trackers (--rewrite) and show what changed.
set -eu
PC=${1:-build/portcullis}
echo "### portcullis scan --config docs/demo.conf --explain examples/"
"$PC" scan --config docs/demo.conf --explain examples/
echo
echo "### portcullis scan examples/   (JSON Lines: one object per message; the newsletter, pretty-printed)"
"$PC" scan -q examples/02-newsletter-tracking.eml | python3 -m json.tool
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo
echo "### portcullis scan --rewrite DIR examples/02-newsletter-tracking.eml   (what the rewrite changed)"
"$PC" scan -q --rewrite "$out" examples/02-newsletter-tracking.eml >/dev/null
diff -u examples/02-newsletter-tracking.eml "$out/02-newsletter-tracking.eml" || true
