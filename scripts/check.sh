#!/bin/sh
# The whole test suite: the release build's tests (unit, golden, CLI, corpus,
# cross-check), the same under AddressSanitizer+UBSan, and each libFuzzer
# target for FUZZ_SECONDS. Ends with one line: "check: N passed, N failed".
# usage: check.sh BUILD_DIR ASAN_BUILD_DIR FUZZ_BUILD_DIR
set -u
B=$1 A=$2 F=$3
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() {
	echo "== $1"
	shift
	"$@" 2>&1 | tee -a "$log"
}
run "release build" ctest --test-dir "$B" --output-on-failure -j2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:suppressions=$(cd "$(dirname "$0")/.." && pwd)/fuzz/asan.supp \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run "sanitizer build (ASan+UBSan)" ctest --test-dir "$A" --output-on-failure -j2 -E "corpus.crosscheck|trackers.render|milter.load|milter.harness|milter.bombs|milter.cluster|milter.store_fault"
run "fuzzing (${FUZZ_SECONDS:-60} s per target)" ctest --test-dir "$F" --output-on-failure -j2 -L fuzz
# "100% tests passed, 0 tests failed out of 57"
passed=0 failed=0
for l in $(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1:\2/'); do
	f=${l%%:*} t=${l##*:}
	failed=$((failed + f)) passed=$((passed + t - f))
done
runs=$(grep -cE "tests failed out of" "$log")
[ "$runs" -eq 3 ] || { echo "check: a test run did not finish ($runs of 3)"; failed=$((failed + 1)); }
# CTest counts a skipped test (corpus absent) among the passed ones
skipped=$(grep -cE "^[[:space:]]*[0-9]+ - .*[(]Skipped[)]" "$log")
passed=$((passed - skipped))
echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
