#!/bin/sh
# Stand-in for `build/portcullis scan DIR`, to test bench/run.sh before the real
# binary exists: reads every .eml under DIR and prints one JSON line per message.
#   PORTCULLIS=bench/standin-portcullis.sh bench/run.sh --limit 200
[ "$1" = scan ] && [ -d "$2" ] || { echo "usage: $0 scan DIR" >&2; exit 2; }
find "$2" -type f -name '*.eml' -exec cat {} + > /dev/null
find "$2" -type f -name '*.eml' | sed 's/["\\]/_/g; s/.*/{"file":"&","verdict":"stand-in"}/'
