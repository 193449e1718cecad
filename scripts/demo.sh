#!/bin/sh
# make demo: scan the bundled example mail, once for people (--explain) and
# once as the JSON Lines a mail system or SIEM would read.
set -eu
PC=${1:-build/portcullis}
echo "### portcullis scan --explain examples/"
"$PC" scan --explain examples/
echo
echo "### portcullis scan examples/  (JSON Lines, one object per message; first 3 shown)"
"$PC" scan examples/ | head -n 3
