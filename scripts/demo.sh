#!/bin/sh
# make demo: scan the bundled example mail, once for people (--explain) and
# once as the JSON Lines a mail system or SIEM reads; then neutralise the
# newsletter's trackers (--rewrite) and show what changed; campaigns, hunt,
# the milter in front of a private Postfix; last, the analyst console on
# the demo store (in a terminal it stays up until Ctrl-C).
set -eu
PC=${1:-build/portcullis}
echo "### portcullis scan --config docs/demo.conf --explain examples/*.eml examples/mailbox.mbox examples/maildir"
"$PC" scan --config docs/demo.conf --explain examples/*.eml examples/mailbox.mbox examples/maildir
echo
echo "### portcullis scan examples/   (JSON Lines: one object per message; the newsletter, pretty-printed)"
"$PC" scan -q examples/02-newsletter-tracking.eml | python3 -m json.tool
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo
echo "### portcullis scan --rewrite DIR examples/02-newsletter-tracking.eml   (what the rewrite changed)"
"$PC" scan -q --rewrite "$out" examples/02-newsletter-tracking.eml >/dev/null
diff -u examples/02-newsletter-tracking.eml "$out/02-newsletter-tracking.eml" || true

# Campaigns: six copies of one lure to six members, each with its own
# token. The first copy alone looks like a newsletter (neutralised); the
# second impersonates the journalist, which makes the campaign malicious:
# every copy is quarantine, the first one too, and hunt removes the copy
# already delivered to a mailbox.
db="$out/demo.db"
echo
echo "### portcullis scan --config docs/demo.conf --db DB examples/campaign/   (verdict, rule, campaign per message)"
"$PC" scan -q --config docs/demo.conf --db "$db" examples/campaign/ |
	python3 -c 'import json, sys
for l in sys.stdin:
    d = json.loads(l)
    print("%-36s %-10s %-22s campaign %s" % (d["source"], d["verdict"], d["rule"], d["campaign"]))'
echo
echo "### portcullis campaigns --db DB"
"$PC" campaigns --db "$db"
echo
echo "### portcullis campaigns show 1 --db DB"
"$PC" campaigns show 1 --db "$db"
mkdir -p "$out/Maildir/cur" "$out/Maildir/new" "$out/Maildir/tmp"
cp examples/campaign/1-novak.eml "$out/Maildir/cur/1747124451.M1P1.mx:2,S"
cp examples/01-colleague-plain.eml "$out/Maildir/cur/1747124452.M2P1.mx:2,S"
echo
echo "### portcullis hunt --db DB --purge --quarantine Q Maildir   (the delivered copy goes to quarantine)"
"$PC" hunt -q --db "$db" --purge --quarantine "$out/quarantine" "$out/Maildir" | python3 -m json.tool
echo "Maildir now holds: $(ls "$out/Maildir/cur")"

# The milter in front of a real Postfix: a private instance on loopback
# (its own config, queue, port and Maildir; nothing of the system's mail
# setup is touched), the three example messages sent over SMTP with swaks.
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
console() {
	# The analyst console on the demo store: campaign 1, the copy hunt
	# moved into the quarantine, the examples. Releases go to a local
	# stand-in for sendmail that keeps them in $out/released (the demo
	# sends no mail); "purge" hunts through the demo Maildir.
	for f in examples/*.eml examples/campaign/*.eml; do
		cp "$f" "$out/Maildir/cur/$(date +%s).$(basename "$f" .eml).mx:2,S"
	done
	mkdir -p "$out/released"
	cat > "$out/sendmail" <<SM
#!/bin/sh
cat > "$out/released/\$(date +%s%N).eml"
SM
	chmod 755 "$out/sendmail"
	port=8025
	python3 -c 'import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 8025))' 2>/dev/null || port=$(port)
	cat docs/demo.conf > "$out/console.conf"
	cat >> "$out/console.conf" <<CONF
[history]
database = $db
[quarantine]
directory = $out/quarantine
sendmail = $out/sendmail
[console]
listen = 127.0.0.1:$port
mail_store = $out/Maildir
CONF
	echo
	echo "### portcullis serve -c console.conf   (the analyst console on the demo store)"
	if [ -t 0 ] && [ -t 1 ]; then
		echo "Open the address below in a browser and log in as admin with the one-time password."
		echo "Ctrl-C stops the console (and removes the demo files)."
		trap 'exit 130' INT TERM
		"$PC" serve -c "$out/console.conf" || true
	else
		"$PC" serve -c "$out/console.conf" > "$out/serve.out" 2>&1 &
		spid=$!
		i=0
		until grep -q "console is at" "$out/serve.out" 2>/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
		cat "$out/serve.out"
		code=$(python3 -c 'import sys, urllib.request
try:
    print(urllib.request.urlopen("http://127.0.0.1:%s/login" % sys.argv[1], timeout=5).status)
except Exception as e:
    print(e)' "$port")
		echo "GET /login: $code. (Not a terminal: the console stops now; run 'make demo' in a terminal to keep it"
		echo "open, or: $PC serve -c CONFIG, see docs/console.md.)"
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null || true
	fi
}

if [ "$(id -u)" -ne 0 ] || ! command -v swaks >/dev/null 2>&1 || [ ! -x /usr/sbin/postfix ]; then
	echo
	echo "### (the milter demo needs root, Postfix and swaks: skipped)"
	console
	exit 0
fi
chmod 755 "$out" # Postfix (user postfix) works below it
smtp=$(port)
sock="$out/milter.sock"
cat docs/demo.conf > "$out/milter.conf"
# the scanning workers run as an unprivileged user (the milter refuses to
# start as root without one); the store is theirs
mkdir "$out/store" && chown nobody:nogroup "$out/store"
cat >> "$out/milter.conf" <<CONF
[milter]
socket = unix:$sock
workers = 1
worker_user = nobody
[quarantine]
directory = $out/mq
[history]
database = $out/store/milter.db
CONF
(umask 0; exec "$PC" milter -c "$out/milter.conf" 2>"$out/milter.log") &
mpid=$!
trap 'kill "$mpid" 2>/dev/null; sh tests/milter/postfix.sh stop "$out/pf" >/dev/null 2>&1; rm -rf "$out"' EXIT
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sh tests/milter/postfix.sh start "$out/pf" "$smtp" "unix:$sock" tempfail
echo
echo "### portcullis milter beside a private Postfix on 127.0.0.1:$smtp; swaks sends the three examples"
for f in examples/01-colleague-plain.eml examples/02-newsletter-tracking.eml examples/03-journalist-impersonation.eml; do
	printf '%-42s SMTP: ' "$f"
	swaks --server "127.0.0.1:$smtp" --from sender@example.org --to t.lindqvist@parliament.test \
		--data "$f" 2>&1 | sed -n 's/^<-  \(250 .*queued.*\)/\1/p; s/^<\*\* \(.*\)/\1/p' | tail -1
done
sleep 1
echo
echo "### the milter's log (one line per message)"
sed 's/^[^ ]* //' "$out/milter.log"
echo
echo "### delivered to the Maildir: the headers Portcullis added"
for m in "$out"/pf/Maildir/new/*; do
	grep -E "^(Subject|X-Portcullis-[A-Za-z-]+|Authentication-Results: portcullis)" "$m" | sed 's/^/  /'
	echo
done
echo "### portcullis quarantine list"
"$PC" quarantine --dir "$out/mq" list

# stop the milter and Postfix first: the console runs until Ctrl-C
kill "$mpid" 2>/dev/null
sh tests/milter/postfix.sh stop "$out/pf" >/dev/null 2>&1
console
