#!/usr/bin/env python3
"""The campaign commands end to end: scan --db groups copies of one
template, `campaigns` lists and shows them (JSON contract of DESIGN.md),
`mark` quarantines every member with an audit record, a locked or corrupt
store gives a clear error and the configured fail behaviour without losing
a message, and two scans on one store at once build one campaign.

usage: cli_test.py PORTCULLIS"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

PC = sys.argv[1]
T = tempfile.mkdtemp(prefix="pc-campaign-cli-")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", name, detail)


LURE = ("I am writing a piece on the committee's work on foreign investment screening and would value "
        "your view before publication. The questions are below and should take only a few minutes. Our "
        "readers follow this closely and your perspective as a member would add a great deal to it.")


def copy(i, d, text=LURE, minute=None):
    m = minute if minute is not None else i % 60
    token = "%016x" % ((0x9E3779B97F4A7C15 * (i + 1)) & 0xFFFFFFFFFFFFFFFF)
    msg = ("Received: from out.sendwave.example (out.sendwave.example [203.0.113.5]) by mx.example.org;"
           " Tue, 3 Jun 2025 10:%02d:00 +0000\n"
           "From: \"Sarah O'Connor\" <sarah.oconnor.news@freemail.example>\n"
           "To: \"Member %d\" <member%d@example.org>\n"
           "Subject: Your view on screening, member %d\n"
           "Message-ID: <c%d@sendwave.example>\n"
           "Date: Tue, 3 Jun 2025 10:%02d:00 +0000\n"
           "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
           "<html><body><p>Dear Member %d,</p><p>%s</p>"
           "<img src=\"https://img.newsfeed-cache.example/o/%s.gif\" width=1 height=1>"
           "</body></html>\n") % (m, i, i, i, i, m, i, text, token)
    p = os.path.join(d, "c%04d.eml" % i)
    with open(p, "w") as f:
        f.write(msg)
    return p


def run(*args, timeout=120):
    r = subprocess.run([PC] + list(args), capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def scan(db, *paths, extra=()):
    rc, out, err = run("scan", "-q", "--db", db, *extra, *paths)
    return rc, [json.loads(l) for l in out.splitlines() if l.strip()], err


def main():
    d = os.path.join(T, "mail")
    os.mkdir(d)
    paths = [copy(i, d) for i in range(8)]
    db = os.path.join(T, "c.db")
    rc, msgs, err = scan(db, d)
    check("scan exit 0", rc == 0, err)
    ids = {m["campaign"] for m in msgs}
    check("8 copies, one campaign", len(msgs) == 8 and len(ids) == 1 and None not in ids, ids)
    cid = ids.pop() if ids else None
    check("targeted from the 5th recipient on",
          [any(f["detector"] == "campaign.targeted" for f in m["findings"]) for m in msgs] == [False] * 4 + [True] * 4)

    rc, out, err = run("campaigns", "--db", db, "--json")
    lst = json.loads(out) if rc == 0 else []
    check("campaigns --json", rc == 0 and len(lst) == 1, err)
    if lst:
        c = lst[0]
        for k in ("id", "size", "recipients", "first_seen", "last_seen", "senders", "tracker_hosts", "verdict",
                  "members"):
            check("contract field " + k, k in c)
        check("size and recipients", c["size"] == 8 and c["recipients"] == 8, c)
        check("members are sources", sorted(c["members"]) == sorted(paths), c["members"])
        check("tracker host", c["tracker_hosts"] == ["newsfeed-cache.example"], c["tracker_hosts"])
        check("times are ISO 8601", c["first_seen"] == "2025-06-03T10:00:00Z", c["first_seen"])
    rc, out, err = run("campaigns", "--db", db)
    check("campaigns text", rc == 0 and "ID" in out and cid in out, out + err)
    rc, out, err = run("campaigns", "show", cid, "--db", db)
    check("show text", rc == 0 and "Timeline" in out and "member7@example.org" in out, out + err)
    rc, out, err = run("campaigns", "show", cid, "--db", db, "--json")
    sj = json.loads(out) if rc == 0 else {}
    check("show json", rc == 0 and len(sj.get("timeline", [])) == 8 and sj["evidence"]["templates"], err)

    # analyst marks it malicious: every member (earlier ones too) is quarantine
    rc, out, err = run("campaigns", "mark", cid, "malicious", "--db", db, "--reason", "lure confirmed")
    check("mark exit 0", rc == 0, err)
    rc, out, err = run("campaigns", "--db", db, "--json")
    c = json.loads(out)[0]
    check("campaign verdict quarantine", c["verdict"] == "quarantine" and c["status"] == "malicious", c)
    rc, out, err = run("campaigns", "show", cid, "--db", db, "--json")
    sj = json.loads(out)
    check("every member quarantine", all(m["verdict"] == "quarantine" for m in sj["timeline"]))
    check("audit record", any(a["action"] == "mark" and "lure confirmed" in a["detail"] for a in sj["audit"]),
          sj["audit"])
    late = copy(50, d)
    rc, msgs, err = scan(db, late)
    check("a later copy is quarantined by the campaign",
          rc == 0 and msgs[0]["verdict"] == "quarantine" and msgs[0]["rule"] == "campaign", msgs)
    for args in (("campaigns", "show", "999999"), ("campaigns", "mark", cid, "evil"), ("campaigns", "show", "x"),
                 ("campaigns", "frobnicate")):
        rc, out, err = run(*args, "--db", db)
        check("refused: " + " ".join(args), rc == 2 and err.strip(), (rc, err))
    rc, out, err = run("campaigns")
    check("no store named", rc == 2 and "--db" in err, err)

    # a locked store: the message is scanned and printed, with campaign.error
    # and error_action; nothing is lost
    lock = sqlite3.connect(db, timeout=1, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    t0 = time.time()
    rc, msgs, err = scan(db, copy(60, d), extra=("--set", "campaign.error_action=quarantine"))
    lock.execute("ROLLBACK")
    lock.close()
    check("locked store: exit 0, message printed", rc == 0 and len(msgs) == 1, err)
    if msgs:
        check("locked store: campaign.error and error_action",
              any(f["detector"] == "campaign.error" for f in msgs[0]["findings"])
              and msgs[0]["verdict"] == "quarantine" and msgs[0]["rule"] in ("campaign-error", "campaign"),
              msgs[0]["rule"])
    check("locked store: waited for the busy timeout, not forever", time.time() - t0 < 30)

    # a store that is not a database: refused at open with its name
    bad = os.path.join(T, "bad.db")
    with open(bad, "wb") as f:
        f.write(b"garbage " * 1000)
    rc, msgs, err = scan(bad, paths[0])
    check("not a database refused", rc == 2 and "bad.db" in err and not msgs, err)
    # a store damaged inside: every message still comes out, with the error
    dmg = os.path.join(T, "dmg.db")
    shutil.copy(db, dmg)
    con = sqlite3.connect(dmg)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    size = os.path.getsize(dmg)
    with open(dmg, "r+b") as f:
        for off in range(4096, size, 4096):  # every page but the first
            f.seek(off)
            f.write(os.urandom(4096))
    rc, msgs, err = scan(dmg, *paths[:3])
    check("corrupt store: no crash", rc in (0, 2), (rc, err))
    check("corrupt store: refused or every message printed with campaign.error",
          (rc == 2 and err.strip() and not msgs) or
          (len(msgs) == 3 and all(any(f["detector"] == "campaign.error" for f in m["findings"]) for m in msgs)),
          (rc, err[:200], len(msgs)))

    # hunt: the copies already delivered, in a Maildir and an mbox
    md = os.path.join(T, "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub))
    staged = os.path.join(T, "staged")
    os.mkdir(staged)
    for i in (200, 201, 202):
        os.rename(copy(i, staged), os.path.join(md, "cur", "%d.mx:2,S" % i))
    other = ("From: friend@example.net\nTo: member1@example.org\nSubject: lunch\nMessage-ID: <l@example.net>\n\n"
             "Are you free for lunch on Thursday? The usual place at noon, and bring the minutes.\n")
    with open(os.path.join(md, "new", "999.mx"), "w") as f:
        f.write(other)
    box = os.path.join(T, "mbox")
    parts = []
    for i, kind in enumerate(("copy", "other", "copy", "other")):
        body = open(copy(300 + i, staged)).read() if kind == "copy" else other.replace("lunch", "lunch %d" % i)
        parts.append("From sender@example.net Mon Jun  2 10:00:00 2025\n" + body + "\n")
    with open(box, "w") as f:
        f.write("".join(parts))
    before_other = open(os.path.join(md, "new", "999.mx"), "rb").read()
    rc, out, err = run("hunt", "--db", db, md, box)
    found = [json.loads(l) for l in out.splitlines()]
    check("hunt finds the 5 copies", rc == 0 and sorted(f["source"] for f in found) == sorted(
        [os.path.join(md, "cur", "%d.mx:2,S" % i) for i in (200, 201, 202)] + [box + ":1", box + ":3"]), out + err)
    check("hunt changes nothing without --purge", len(os.listdir(os.path.join(md, "cur"))) == 3)
    rc, out, err = run("hunt", "--db", db, "--campaign", "999", md)
    check("hunt unknown campaign refused", rc == 2 and "no such campaign" in err, err)
    rc, out, err = run("hunt", "--db", db, "--purge", md)
    check("purge without quarantine refused", rc == 2 and "--quarantine" in err, err)
    copies = {os.path.join(md, "cur", "%d.mx:2,S" % i): open(os.path.join(md, "cur", "%d.mx:2,S" % i), "rb").read()
              for i in (200, 201, 202)}
    q = os.path.join(T, "quarantine")
    rc, out, err = run("hunt", "--db", db, "--purge", "--quarantine", q, md, box)
    res = [json.loads(l) for l in out.splitlines()]
    check("purge exit 0, 5 purged", rc == 0 and [r["action"] for r in res].count("purged") == 5, out + err)
    check("Maildir: copies gone, the other message kept byte for byte",
          os.listdir(os.path.join(md, "cur")) == [] and
          open(os.path.join(md, "new", "999.mx"), "rb").read() == before_other)
    left = open(box).read()
    check("mbox: the two others kept, in order",
          left == parts[1] + parts[3] or left == parts[1] + parts[3].rstrip("\n") + "\n", repr(left[:200]))
    qmsg = {r["source"]: r["quarantine_id"] for r in res}
    ok_bytes = all(open(os.path.join(q, "msg", qmsg[src] + ".eml"), "rb").read() == b for src, b in copies.items())
    check("quarantine holds the exact messages", ok_bytes)
    meta = json.load(open(os.path.join(q, "msg", qmsg[box + ":3"] + ".json")))
    check("quarantine metadata", meta["mailbox"] == box and meta["index"] == 3 and meta["campaign"] == int(cid), meta)
    rc, out, err = run("campaigns", "show", cid, "--db", db, "--json")
    check("purges audited", sum(a["action"] == "purge" for a in json.loads(out)["audit"]) == 5)
    rc, out, err = run("hunt", "--db", db, md, box)
    check("hunt again finds nothing", rc == 0 and out == "", out)
    # indicators instead of campaigns
    ioc = os.path.join(T, "ioc.txt")
    with open(ioc, "w") as f:
        f.write("# tracker host of the lure\nnewsfeed-cache.example\n")
    rc, out, err = run("hunt", "--ioc", ioc, d)
    check("hunt --ioc", rc == 0 and len(out.splitlines()) == len(os.listdir(d)), (out[:300], err))

    # two scans on one store at once: one campaign with every member once
    cdb = os.path.join(T, "conc.db")
    a, b = os.path.join(T, "a"), os.path.join(T, "b")
    os.mkdir(a)
    os.mkdir(b)
    for i in range(100, 160):
        copy(i, a if i % 2 else b)
    procs = [subprocess.Popen([PC, "scan", "-q", "--db", cdb, x], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for x in (a, b)]
    outs = [p.communicate(timeout=300) for p in procs]
    check("concurrent scans exit 0", all(p.returncode == 0 for p in procs), [o[1] for o in outs])
    ms = [json.loads(l) for o in outs for l in o[0].splitlines()]
    check("concurrent: 60 messages, none with an error",
          len(ms) == 60 and not any(f["detector"] == "campaign.error" for m in ms for f in m["findings"]))
    rc, out, err = run("campaigns", "--db", cdb, "--json")
    lst = json.loads(out)
    check("concurrent: one campaign of 60", len(lst) == 1 and lst[0]["size"] == 60 and
          len(set(lst[0]["members"])) == 60, [(c["size"]) for c in lst])

    print("campaign cli: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


try:
    sys.exit(main())
finally:
    shutil.rmtree(T, ignore_errors=True)
