#!/bin/sh
# Style gate (STYLE.md): no banned string functions in our C, and every C
# file formatted by .clang-format. usage: style_test.sh SOURCE_DIR
cd "$1" || exit 2
fail=0
# strcpy, strcat, sprintf, vsprintf, strtok, atoi, atol, gets: unbounded or
# unchecked. (snprintf/vsnprintf are fine: bounded and checked.)
hits=$(grep -nE '(^|[^_a-zA-Z0-9])(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)[[:space:]]*\(' \
	src/*.c src/*/*.c src/*/*.h src/*/*/*.c src/*/*/*.h fuzz/*.c tests/unit/*.c | grep -vE '(snprintf|vsnprintf)[[:space:]]*\(' )
if [ -n "$hits" ]; then
	echo "banned functions:"
	echo "$hits"
	fail=1
fi
if command -v clang-format >/dev/null 2>&1; then
	for f in src/*.c src/*/*.c src/*/*.h src/*/*/*.c src/*/*/*.h fuzz/*.c tests/unit/*.c; do
		if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
			echo "not clang-formatted: $f (clang-format -i $f)"
			fail=1
		fi
	done
else
	echo "clang-format not installed: format check skipped"
fi
[ $fail -eq 0 ] && echo "style: ok"
exit $fail
