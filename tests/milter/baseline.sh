#!/bin/sh
# Baseline without a milter: start a private Postfix (smtpd_milters = none),
# send MESSAGES generated messages over SESSIONS sessions with smtpload.py,
# wait until the queue is empty, check with count.py that every message was
# delivered exactly once, stop. Prints the load summary and the timings.
# usage: baseline.sh [MESSAGES [SESSIONS]]   (defaults 2000 20; root)
set -u
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-2000}
sessions=${2:-20}
W=$(mktemp -d /tmp/pc-baseline.XXXXXX) && chmod 755 "$W" || exit 1 # postfix must reach $W/pf
trap 'sh "$here/postfix.sh" stop "$W/pf" >/dev/null 2>&1; rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP
now() { date +%s.%N; }
dt() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

t=$(now)
python3 "$here/gen_load.py" "$W/load" "$n" || exit 1
t_gen=$(dt "$t" "$(now)")

t0=$(now)
sh "$here/postfix.sh" start "$W/pf" "$port" none accept || exit 1
t_start=$(dt "$t0" "$(now)")
t=$(now)
python3 "$here/smtpload.py" --server "127.0.0.1:$port" --sessions "$sessions" --messages "$n" \
	--dir "$W/load" --json "$W/load.json" >/dev/null || echo "smtpload: some messages got no reply"
t_load=$(dt "$t" "$(now)")
t=$(now)
i=0
while [ "$(sh "$here/postfix.sh" queue "$W/pf")" != 0 ]; do
	i=$((i + 1))
	[ $i -le 600 ] || { echo "queue not empty after 120 s"; exit 1; }
	sleep 0.2
done
t_drain=$(dt "$t" "$(now)")
python3 "$here/count.py" "$W/pf/Maildir" --expect "$n" >"$W/count.json"
counted=$?
t=$(now)
sh "$here/postfix.sh" stop "$W/pf"
t_stop=$(dt "$t" "$(now)")
t_total=$(dt "$t0" "$(now)")

python3 - "$W/load.json" "$W/count.json" <<EOF
import json, sys
l, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print("baseline (no milter): %d messages, %d sessions: accepted %d, tempfailed %d, rejected %d, errors %d"
      % ($n, $sessions, l["accepted"], l["tempfailed"], l["rejected"], l["errors"]))
print("  %.1f msgs/s, latency ms p50 %s p90 %s p99 %s max %s"
      % (l["msgs_per_s"], l["latency_ms"]["p50"], l["latency_ms"]["p90"], l["latency_ms"]["p99"], l["latency_ms"]["max"]))
print("  delivered ids %d, duplicates %d, missing %d: %s"
      % (c["delivered_ids"], c["duplicate_count"], c["missing_count"], "ok" if c["ok"] else "NOT OK"))
EOF
echo "  seconds: generate $t_gen (not in total); start $t_start, load $t_load, drain $t_drain, stop $t_stop; total start..stop $t_total"
[ $counted = 0 ]
