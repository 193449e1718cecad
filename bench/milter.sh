#!/usr/bin/env bash
# bench/milter.sh - Portcullis as a milter against Rspamd's milter (its proxy worker in
# milter mode, scanning itself: the milter setup Rspamd documents for Postfix), each in
# front of a private Postfix with the same load in the same run (tests/milter/load.py):
# messages/s with 20 concurrent SMTP sessions, and the SMTP latency at a paced 50
# messages/s, each against Postfix with no milter. Root, Postfix and Rspamd needed.
#
#   bench/milter.sh [--messages N]          (default 2000)
#
# Environment: PORTCULLIS (default build/portcullis), RSPAMD_PORT (21343),
# RESULTS (bench/results.txt: one line appended), KEEP_TMP=1.
set -euo pipefail
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
PORTCULLIS=${PORTCULLIS:-$ROOT/build/portcullis}
RSPAMD_PORT=${RSPAMD_PORT:-21343}
RSPAMD_CTRL_PORT=$((RSPAMD_PORT + 1))
RSPAMD_START_TIMEOUT=${RSPAMD_START_TIMEOUT:-240}
RESULTS=${RESULTS:-$BENCH_DIR/results.txt}
MESSAGES=2000
[ "${1:-}" = --messages ] && MESSAGES=${2:?--messages needs a number}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }
. "$BENCH_DIR/rspamd.sh"
[ "$(id -u)" = 0 ] || die "needs root (a private Postfix instance)"
command -v rspamd >/dev/null || die "rspamd is not installed (apt-get install rspamd)"
[ -x "$PORTCULLIS" ] || die "$PORTCULLIS not built (make)"

TMP=$(mktemp -d /tmp/pc-bench-milter.XXXXXX)
chmod 755 "$TMP" # Postfix (user postfix) reaches the sockets below it
RS_DIR=$TMP/rspamd
cleanup() {
    stop_rspamd
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SOCK=$TMP/rspamd-milter.sock
RSPAMD_EXTRA_WORKERS="worker \"rspamd_proxy\" {
    bind_socket = \"$SOCK mode=0666\";
    milter = yes;
    timeout = 120s;
    count = 1;
    upstream \"local\" {
        default = yes;
        self_scan = yes;
    }
}"
start_rspamd

python3 "$ROOT/tests/milter/load.py" "$PORTCULLIS" "$ROOT" --messages "$MESSAGES" --workers 1 \
    --peer "unix:$SOCK" --peer-name rspamd --json "$TMP/milter.json"

# one worker process each: Rspamd's proxy is one process scanning itself
python3 - "$TMP/milter.json" "$RESULTS" <<'PY'
import json, sys, time
r = json.load(open(sys.argv[1]))
p, pa = r["peer"], r["paced"]
line = ("%s milter %d msgs %d sessions 1 worker: no milter %.0f msg/s; portcullis %.0f msg/s; rspamd %.0f msg/s; "
        "ratio %.2f; paced %s msg/s added p50/p99 ms: portcullis %.2f/%.2f rspamd %.2f/%.2f" %
        (time.strftime("%Y-%m-%d"), r["messages"], r["sessions"], r["off"]["msgs_per_s"], r["on"]["msgs_per_s"],
         p["msgs_per_s"], r["on"]["msgs_per_s"] / p["msgs_per_s"], pa["rate"], pa["added_ms"]["p50"],
         pa["added_ms"]["p99"], p["paced"]["p50"] - pa["off"]["p50"], p["paced"]["p99"] - pa["off"]["p99"]))
print(line)
open(sys.argv[2], "a").write(line + "\n")
PY
