#!/bin/sh
# Documentation gate: the documentation cannot silently fall behind the code.
#  1. docs/portcullis.8 and docs/portcullis.conf.5 format without a single
#     groff warning (groff -man -ww, for the terminal and the PostScript
#     device).
#  2. Every key pc_config_set() accepts (src/core/config.c: the "section.key"
#     literals compared with strcmp(key, ...), person.* from strcmp(k, ...),
#     limits.* from pc_limit_table) is documented in portcullis.conf(5) as
#     '.TP' + '.BI "key = " ...' under '.SS "[section]"', and that page
#     documents no key the code does not accept.
#  3. Every such key appears in docs/portcullis.conf.example under its
#     [section] (set, or in a comment).
#  4. Every command main() dispatches has a subsection in portcullis(8), and
#     every long option of src/cli/*.c appears there.
# usage: docs_test.sh SOURCE_DIR
cd "$1" || exit 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
no() {
	echo "FAIL: $*"
	fail=1
}
CONF=src/core/config.c
MAN8=docs/portcullis.8
MAN5=docs/portcullis.conf.5
EXAMPLE=docs/portcullis.conf.example

# 1. groff warnings
if command -v groff >/dev/null 2>&1; then
	for page in $MAN8 $MAN5; do
		for dev in utf8 ps; do
			groff -man -ww -z -T$dev "$page" >"$T/w" 2>&1
			if [ -s "$T/w" ]; then
				no "groff -man -ww -T$dev $page warns:"
				cat "$T/w"
			fi
		done
	done
else
	no "groff is not installed (Debian: groff-base; scripts/deps.sh installs it)"
fi

# 2. keys in the code ...
grep -o 'strcmp(key, "[a-z0-9_]*\.[a-z0-9_]*")' $CONF | sed 's/.*"\(.*\)")/\1/' >"$T/plain"
grep -o 'strcmp(k, "[a-z0-9_]*")' $CONF | sed 's/.*"\(.*\)")/person.\1/' >"$T/person"
sed -n '/pc_limit_table\[\] = {/,/^};/p' $CONF | grep -o '{"[a-z0-9_]*"' | sed 's/{"\(.*\)"/limits.\1/' \
	>"$T/limits"
[ -s "$T/plain" ] || no "no strcmp(key, \"section.key\") found in $CONF: update this test"
[ -s "$T/person" ] || no "no person key (strcmp(k, \"...\")) found in $CONF: update this test"
[ -s "$T/limits" ] || no "no pc_limit_table entry found in $CONF: update this test"
# keys matched by prefix must be ones this test knows how to list
for p in $(grep -o 'strncmp(key, "[a-z0-9_]*\.",' $CONF | sed 's/.*"\(.*\)\.",/\1/' | sort -u); do
	case $p in
	limits | person) ;;
	detector) ;; # a detector's own settings: checked below
	*) no "$CONF accepts keys by the prefix \"$p.\": teach tests/docs_test.sh to list them" ;;
	esac
done
sort -u "$T/plain" "$T/person" "$T/limits" >"$T/code"
# a detector's own settings ([detector.NAME], declared in src/detect/NAME.c
# as {"key", PC_SETTING_...}) must be named in the man page too
for f in src/detect/*.c; do
	for k in $(grep -o '{"[a-z0-9_]*", PC_SETTING_' "$f" | sed 's/{"\(.*\)",.*/\1/'); do
		grep -q "^\.B[IR]\? \"\?$k\b" $MAN5 || no "$f declares the setting \"$k\": document it in $MAN5"
	done
done

# ... and in portcullis.conf(5)
awk '
/^\.SS / { sec = ""; if (match($0, /\[[a-z0-9_]+\]/)) sec = substr($0, RSTART + 1, RLENGTH - 2); next }
/^\.TP/ { tp = 1; next }
tp && /^\.B[IR]? / {
	s = $0; sub(/^\.B[IR]? +"?/, "", s); sub(/[ ="].*/, "", s)
	if (sec != "") print sec "." s
}
{ tp = 0 }
' $MAN5 | sort -u >"$T/man5"
comm -23 "$T/code" "$T/man5" >"$T/undocumented"
comm -13 "$T/code" "$T/man5" >"$T/stale"
if [ -s "$T/undocumented" ]; then
	no "accepted by pc_config_set but not documented in $MAN5:"
	sed 's/^/  /' "$T/undocumented"
fi
if [ -s "$T/stale" ]; then
	no "documented in $MAN5 but not accepted by pc_config_set:"
	sed 's/^/  /' "$T/stale"
fi

# 3. keys in the example file ("[section]" and "key =" lines, commented or not)
awk '
/^#? *\[[a-z0-9_]+\] *$/ { s = $0; sub(/^#? *\[/, "", s); sub(/\].*/, "", s); sec = s; next }
/^#? *[a-z0-9_]+ *=/ { k = $0; sub(/^#? */, "", k); sub(/ *=.*/, "", k); if (sec != "") print sec "." k }
' $EXAMPLE | sort -u >"$T/example"
comm -23 "$T/code" "$T/example" >"$T/noexample"
if [ -s "$T/noexample" ]; then
	no "accepted by pc_config_set but missing from $EXAMPLE:"
	sed 's/^/  /' "$T/noexample"
fi

# 4. commands and long options in portcullis(8)
for c in $(grep -o 'strcmp(cmd, "[a-z]*")' src/main.c | sed 's/.*"\(.*\)")/\1/' | sort -u); do
	case $c in help) continue ;; esac
	grep -q "^\.SS \"\?$c\"\?\$" $MAN8 || no "command \"$c\" (src/main.c) has no .SS in $MAN8"
done
for o in $(grep -ho '{"[a-z0-9-]*", *\(no\|required\|optional\)_argument' src/cli/*.c | sed 's/{"\([^"]*\)".*/\1/' |
	sort -u); do
	pat=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	grep -q -- "\\\\-\\\\-$pat" $MAN8 || no "option --$o (src/cli) is not in $MAN8"
done

n=$(wc -l <"$T/code" | tr -d ' ')
[ $fail -eq 0 ] && echo "docs: ok ($n settings documented, pages without groff warnings)"
exit $fail
