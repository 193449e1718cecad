#!/bin/sh
# make demo: scan the bundled example mail, once for people (--explain) and
# once as the JSON Lines a mail system or SIEM reads; then neutralise the
# newsletter's trackers (--rewrite) and show what changed.
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
