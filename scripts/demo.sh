#!/bin/sh
# make demo: scan the bundled example mail, once for people (--explain) and
# once as the JSON Lines a mail system or SIEM reads.
set -eu
PC=${1:-build/portcullis}
echo "### portcullis scan --explain examples/"
"$PC" scan --explain examples/
echo
echo "### portcullis scan examples/   (JSON Lines: one object per message; the third, pretty-printed)"
"$PC" scan -q examples/ | sed -n 3p | python3 -m json.tool
