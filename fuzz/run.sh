#!/bin/sh
# Runs one libFuzzer target for FUZZ_SECONDS (default 60).
# usage: run.sh TARGET REGRESSION_DIR [SEED_DIR]
# New crashes are written to REGRESSION_DIR as crash-* (slow units as
# timeout-*, memory hogs as oom-*): commit them, fix the bug, and they are
# replayed by every later run.
# FUZZ_TIMEOUT (seconds per input, default 10), FUZZ_RSS_MB (default 2048)
# and FUZZ_MAXLEN (bytes, default 262144) make a bounds run: an input that
# is slow or makes the process big fails it (fuzz.message_bounds).
set -u
T=$1 REG=$2 SEEDS=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
set -- "$work" "$REG"
[ -n "$SEEDS" ] && [ -d "$SEEDS" ] && set -- "$@" "$SEEDS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:suppressions=$(dirname "$0")/asan.supp UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$T" -max_total_time="${FUZZ_SECONDS:-60}" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
	-max_len="${FUZZ_MAXLEN:-262144}" \
	-print_final_stats=1 -artifact_prefix="$REG/" "$@" 2>"$work.log"
rc=$?
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|Done [0-9]+ runs" "$work.log"
if [ $rc -ne 0 ]; then
	tail -60 "$work.log"
	echo "fuzz: $T failed (exit $rc); the input is in $REG"
fi
rm -f "$work.log"
exit $rc
