#!/usr/bin/env python3
"""A forged copy never condemns the genuine ones (issue 15, item 6).

Seven genuine copies of a newsletter (DMARC pass for its own domain,
recorded by the trusted MTA) and one copy of the same template with a
protected journalist's name on a freemail address, scanned into one store
in three orders: forged first, forged in the middle, forged last. Then the
journalist's own mail (authenticated for her newsroom) sharing the wording
of an attack campaign that imitates her.

Checks: the forged copy is quarantined and in a campaign of its own that
says which campaign it imitates; no genuine copy is quarantined, and all
genuine copies share one campaign; the journalist's own mail is not a
member of the attack campaign.

usage: imitation_test.py PORTCULLIS   (config: docs/demo.conf + a store)
"""
import json, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "docs", "demo.conf")

BODY = ("<html><body><h1>The Ledger Weekly</h1><p>Parliament votes on the budget; committees meet on "
        "Tuesday to hear evidence on procurement, and the opposition asks for a delay of the final reading."
        "</p><p>Also this week: housing, the energy bill and a profile of the new speaker.</p>"
        "<img src=\"https://cdn.dailyledger.example/weekly/hero.jpg\" width=\"600\" height=\"300\" alt=\"Budget\">"
        "<a href=\"https://www.dailyledger.example/weekly/2024-07-01\">Read the issue</a>"
        "<img src=\"https://t.dailyledger.example/o/%s.gif\" width=\"1\" height=\"1\" alt=\"\"></body></html>")


def message(i, sender, auth, rcpt, token):
    ar = ("Authentication-Results: mx.parliament.example; dmarc=pass header.from=%s\n" % auth) if auth else ""
    return ("%sFrom: %s\nTo: <%s>\nSubject: The Ledger Weekly\nMessage-ID: <w%d-%s@mail.example>\n"
            "Date: Mon, 1 Jul 2024 10:%02d:00 +0000\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n%s\n"
            % (ar, sender, rcpt, i, token, i % 60, BODY % token))


def genuine(i):
    return message(i, '"Daily Ledger" <weekly@dailyledger.example>', "dailyledger.example",
                   "member%d@parliament.example" % i, "a%08x" % (i * 7919))


def forged(i):
    return message(i, '"Hannah Reyes" <hannah.reyes.ledger@gmail.com>', None, "member%d@parliament.example" % i,
                   "f%08x" % (i * 104729))


def scan(exe, conf, files):
    out = subprocess.run([exe, "scan", "-q", "-c", conf, *files], capture_output=True, text=True)
    return [json.loads(l) for l in out.stdout.splitlines()]


def campaign_of(r):
    c = r.get("campaign")
    return c.get("id") if isinstance(c, dict) else c


def run_order(exe, work, name, order):
    d = os.path.join(work, name)
    os.makedirs(d)
    conf = os.path.join(d, "pc.conf")
    open(conf, "w").write(open(DEMO).read() + "\n[history]\ndatabase = %s/store.db\n" % d)
    files = []
    for k, (kind, i) in enumerate(order):
        p = os.path.join(d, "%02d-%s.eml" % (k, kind))
        open(p, "w").write(genuine(i) if kind == "genuine" else forged(i))
        files.append(p)
    reps = scan(exe, conf, files)
    fails = []
    gen = [r for r in reps if "genuine" in os.path.basename(r["source"])]
    fake = [r for r in reps if "forged" in os.path.basename(r["source"])]
    gen_campaigns = {campaign_of(r) for r in gen}
    for r in gen:
        if r["verdict"] == "quarantine":
            fails.append("genuine copy %s quarantined (%s)" % (os.path.basename(r["source"]), r.get("rule")))
    if len(gen_campaigns) != 1 or None in gen_campaigns:
        fails.append("genuine copies in campaigns %s" % sorted(map(str, gen_campaigns)))
    for r in fake:
        if r["verdict"] != "quarantine":
            fails.append("forged copy not quarantined: %s" % r["verdict"])
        if campaign_of(r) in gen_campaigns:
            fails.append("forged copy joined the genuine campaign %s" % campaign_of(r))
    imitates = [f for r in fake for f in r["findings"] if f.get("detector") == "campaign.imitates"]
    if order[0][0] != "forged" and not imitates:
        fails.append("the forged copy does not say which campaign it imitates")
    # the same store, asked again: a genuine copy rescanned keeps its verdict
    again = scan(exe, conf, [files[-1]] if "genuine" in os.path.basename(files[-1]) else [files[0]])
    if again and "genuine" in os.path.basename(again[0]["source"]) and again[0]["verdict"] == "quarantine":
        fails.append("a genuine copy scanned again is quarantined")
    return fails


def main():
    exe = sys.argv[1]
    work = tempfile.mkdtemp(prefix="pc-imitation-")
    orders = {
        "forged-first": [("forged", 100)] + [("genuine", i) for i in range(7)],
        "forged-middle": [("genuine", i) for i in range(3)] + [("forged", 100)] + [("genuine", i) for i in range(3, 7)],
        "forged-last": [("genuine", i) for i in range(7)] + [("forged", 100)],
    }
    fails = 0
    for name, order in orders.items():
        f = run_order(exe, work, name, order)
        print("%-14s %s" % (name, "ok" if not f else "FAIL: " + "; ".join(f)))
        fails += bool(f)
    # the journalist's own mail and an attack imitating her, same wording
    d = os.path.join(work, "journalist")
    os.makedirs(d)
    conf = os.path.join(d, "pc.conf")
    open(conf, "w").write(open(DEMO).read() + "\n[history]\ndatabase = %s/store.db\n" % d)
    files = []
    for i in range(5):
        p = os.path.join(d, "attack-%d.eml" % i)
        open(p, "w").write(forged(200 + i))
        files.append(p)
    own = os.path.join(d, "own.eml")
    open(own, "w").write(message(300, '"Hannah Reyes" <hannah.reyes@dailyledger.example>', "dailyledger.example",
                                 "member300@parliament.example", "h%08x" % 300))
    files.append(own)
    reps = scan(exe, conf, files)
    attack = {campaign_of(r) for r in reps if "attack" in r["source"]}
    mine = [r for r in reps if r["source"] == own][0]
    f = []
    if campaign_of(mine) in attack:
        f.append("the journalist's own mail joined the attack campaign %s" % campaign_of(mine))
    if mine["verdict"] == "quarantine":
        f.append("the journalist's own mail quarantined (%s)" % mine.get("rule"))
    if len(attack) != 1:
        f.append("the attack copies are not one campaign: %s" % sorted(map(str, attack)))
    print("%-14s %s" % ("journalist", "ok" if not f else "FAIL: " + "; ".join(f)))
    fails += bool(f)
    print("imitation: %d scenarios, %d failed" % (len(orders) + 1, fails))
    return 1 if fails else 0


sys.exit(main())
