#!/bin/sh
# Command-line behaviour: exit codes, inputs (stdin, mbox, Maildir, dirs),
# config errors, --help, --explain. usage: cli_test.sh PORTCULLIS DATA_DIR
PC=$1
DATA=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$2"; then ok; else no "$1"; fi; }
lines() { wc -l <"$1" | tr -d ' '; }

printf 'From: a@example.com\nTo: b@example.org\nSubject: one\n\nhello\n' >"$T/one.eml"

# stdin
"$PC" scan -q - <"$T/one.eml" >"$T/o" 2>"$T/e"; rc=$?
check "stdin exit 0" '[ $rc -eq 0 ]'
check "stdin one line" '[ "$(lines "$T/o")" = 1 ] && grep -q "\"source\":\"-\"" "$T/o"'

# unreadable path: named on stderr, exit 2, other paths still scanned
"$PC" scan -q "$T/nope.eml" "$T/one.eml" >"$T/o" 2>"$T/e"; rc=$?
check "missing path exit 2" '[ $rc -eq 2 ]'
check "missing path named" 'grep -q "nope.eml" "$T/e"'
check "other path scanned" '[ "$(lines "$T/o")" = 1 ]'

# mbox with three messages, one >From quoted line
printf 'From a@example.com Mon Jan  1 00:00:00 2024\nFrom: a@example.com\nSubject: m1\n\n>From the start\n\nFrom b@example.com Mon Jan  1 00:00:01 2024\nFrom: b@example.com\nSubject: m2\n\nbody\n\nFrom c@example.com Mon Jan  1 00:00:02 2024\nFrom: c@example.com\nSubject: m3\n\nbody\n' >"$T/box.mbox"
"$PC" scan -q "$T/box.mbox" >"$T/o"; rc=$?
check "mbox exit 0" '[ $rc -eq 0 ]'
check "mbox three lines" '[ "$(lines "$T/o")" = 3 ]'
check "mbox sources numbered" 'grep -q "box.mbox:3" "$T/o"'

# an .eml is one message even when it starts with a From_ line and its body
# holds an unquoted "From " line after a blank line (an attached patch)
printf 'From a@example.com Mon Jan  1 00:00:00 2024\nFrom: a@example.com\nSubject: patch\n\nsee below\n\nFrom 1234abcd Mon Sep 17 00:00:00 2001\nFrom: b@example.com\n\ndiff\n' >"$T/patch.eml"
"$PC" scan -q "$T/patch.eml" >"$T/o"; rc=$?
check ".eml with From_ line is one message" '[ $rc -eq 0 ] && [ "$(lines "$T/o")" = 1 ]'

# Maildir: cur and new scanned, tmp skipped; directories recurse
mkdir -p "$T/md/cur" "$T/md/new" "$T/md/tmp" "$T/tree/a/b"
cp "$T/one.eml" "$T/md/cur/1:2,S"; cp "$T/one.eml" "$T/md/new/2"; cp "$T/one.eml" "$T/md/tmp/3"
cp "$T/one.eml" "$T/tree/a/b/x.eml"
"$PC" scan -q "$T/md" "$T/tree" >"$T/o"; rc=$?
check "maildir+tree exit 0" '[ $rc -eq 0 ]'
check "maildir cur+new, not tmp; tree recursed" '[ "$(lines "$T/o")" = 3 ] && ! grep -q "/tmp/3" "$T/o"'

# bad input: one line each, exit 0
head -c 4096 /dev/urandom >"$T/garbage.eml"; : >"$T/empty.eml"
printf 'From: a@example.com\r\rSubject: cr only\r\rbody\r' >"$T/cr.eml"
"$PC" scan -q "$T/garbage.eml" "$T/empty.eml" "$T/cr.eml" >"$T/o"; rc=$?
check "bad input exit 0" '[ $rc -eq 0 ]'
check "bad input one line each" '[ "$(lines "$T/o")" = 3 ]'
check "cr-only noted" 'grep -q "parse.line-endings" "$T/o"'
check "empty is not mail" 'grep "empty.eml" "$T/o" | grep -q "parse.not-mail"'

# config: a bad line refuses to start, naming file and line
printf '[limits]\nurls = 10\nbogus = 1\n' >"$T/bad.conf"
"$PC" scan -q -c "$T/bad.conf" "$T/one.eml" >"$T/o" 2>"$T/e"; rc=$?
check "bad config exit 2" '[ $rc -eq 2 ]'
check "bad config file:line" 'grep -q "bad.conf:3" "$T/e"'
printf '[limits]\nurls = 1\n[policy]\nlimit_action = reject\n' >"$T/good.conf"
printf 'From: a@example.com\n\nhttp://a.example/ http://b.example/\n' >"$T/urls.eml"
"$PC" scan -q -c "$T/good.conf" "$T/urls.eml" >"$T/o" 2>"$T/e"; rc=$?
check "config limit applies" 'grep -q "\"verdict\":\"reject\"" "$T/o" && grep -q "parse.limit" "$T/o"'

# the shipped example config stays valid
"$PC" scan -q -c "$DATA/../../docs/portcullis.conf.example" "$T/one.eml" >"$T/o" 2>"$T/e"; rc=$?
check "example config loads" '[ $rc -eq 0 ] && [ "$(lines "$T/o")" = 1 ]'

# help and explain
"$PC" scan --help >"$T/o"; rc=$?
check "scan --help exit 0" '[ $rc -eq 0 ] && grep -q "usage: portcullis scan" "$T/o"'
"$PC" --help >"$T/o"; rc=$?
check "--help exit 0" '[ $rc -eq 0 ]'
"$PC" bogus >/dev/null 2>&1; rc=$?
check "unknown command exit 2" '[ $rc -eq 2 ]'
"$PC" scan -q --explain "$T/one.eml" >"$T/o"; rc=$?
check "explain" '[ $rc -eq 0 ] && grep -q "MIME tree" "$T/o" && grep -q "Verdict: accept" "$T/o"'

# history (--db): an unauthenticated sender never becomes familiar; one
# whose DMARC passed (by a trusted upstream host) does, after one message
"$PC" scan -q --db "$T/h.db" --rcpt me@org.example "$T/one.eml" "$T/one.eml" >"$T/o" 2>"$T/e"; rc=$?
check "db unauthenticated: first contact every time" '[ $rc -eq 0 ] && [ "$(grep -c "history.first-contact" "$T/o")" = 2 ]'
printf 'Authentication-Results: mx.org.example; dmarc=pass header.from=example.com\nFrom: a@example.com\nTo: b@example.org\nSubject: one\n\nhello\n' >"$T/auth.eml"
"$PC" scan -q --db "$T/h.db" --set auth.trusted_authserv_ids=mx.org.example --rcpt me@org.example "$T/auth.eml" "$T/auth.eml" >"$T/o" 2>"$T/e"; rc=$?
check "db first contact once" '[ $rc -eq 0 ] && [ "$(grep -c "history.first-contact" "$T/o")" = 1 ] && head -1 "$T/o" | grep -q "history.first-contact"'
"$PC" scan -q --db "$T/h.db" --set auth.trusted_authserv_ids=mx.org.example --rcpt other@org.example "$T/auth.eml" >"$T/o"; rc=$?
check "db known address, new recipient" 'grep -q "never wrote to this recipient" "$T/o"'
echo "not a database, certainly not one of ours, long enough to be read as a header" >"$T/bad.db"
"$PC" scan -q --db "$T/bad.db" "$T/one.eml" >"$T/o" 2>"$T/e"; rc=$?
check "bad db refused" '[ $rc -eq 2 ] && grep -q "bad.db" "$T/e"'

# envelope and DNS settings are checked before scanning
"$PC" scan -q --client-ip 300.1.2.3 "$T/one.eml" >"$T/o" 2>"$T/e"; rc=$?
check "bad --client-ip refused" '[ $rc -eq 2 ] && grep -q "client-ip" "$T/e"'
"$PC" scan -q --set dns.servers=nonsense "$T/one.eml" >"$T/o" 2>"$T/e"; rc=$?
check "bad dns.servers refused" '[ $rc -eq 2 ] && grep -q "dns.servers" "$T/e"'
printf '[person]\naddresses = x@example.org\n' >"$T/noname.conf"
"$PC" scan -q -c "$T/noname.conf" "$T/one.eml" >"$T/o" 2>"$T/e"; rc=$?
check "person without name refused" '[ $rc -eq 2 ] && grep -q "has no name" "$T/e"'
printf '[protected]\ndomains = not a domain\n' >"$T/baddom.conf"
"$PC" scan -q -c "$T/baddom.conf" "$T/one.eml" >"$T/o" 2>"$T/e"; rc=$?
check "bad protected domain refused with line" '[ $rc -eq 2 ] && grep -q "baddom.conf:2:" "$T/e"'

# --explain shows no control characters from the message (terminal escapes)
printf 'From: a@example.com\nSubject: x\nContent-Type: text/html\n\n<a href="https://e.example/\033]0;t\007">x\302\233y</a>\n' >"$T/esc.eml"
"$PC" scan -q --explain "$T/esc.eml" >"$T/o"; rc=$?
check "explain without control characters" '[ $rc -eq 0 ] && ! LC_ALL=C grep -q "$(printf "[\033\007]")" "$T/o" && ! LC_ALL=C grep -q "$(printf "\302\233")" "$T/o"'

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
