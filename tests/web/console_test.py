#!/usr/bin/env python3
"""The analyst console's journey in a real browser: Debian's headless
Chromium, JavaScript on, driven by playwright-core (tests/web/console.mjs).

The world (a temporary directory): the demo world scanned into the store
(campaign 1: malicious, 7 copies, lookalike sender, per-recipient tracker),
a newsletter sent to four people (a second, open campaign), a fifth copy of
that newsletter taken into the quarantine by `hunt --ioc` (the false
positive), one copy of the campaign still delivered in the mail store the
console purges ([console] mail_store, with ordinary mail beside it so the
purge takes a moment), a fake sendmail that keeps what a release sends.

The journey: log in, overview (plot), campaigns, campaign 1, a member's
message (findings with evidence), the quarantine, release the false
positive (reason, recipient), mark the newsletter campaign benign
(reason), purge campaign 1 from the mail store (the job page reloads
itself until done), search, upload an indicator set, the audit page shows
every action, add an account (its password shown once logs in), log out
(a page then sends to /login). A
screenshot of every page goes to $PC_SCREENS (default build/web-screens/).
Any request to another host than the console, any console error (a CSP
violation is one) or page error fails the test.

Then, on disk and in the store: the fake sendmail got the quarantined
bytes unchanged for the recipient typed; the Maildir copy is gone and the
quarantine holds it byte for byte; the campaign is benign; the audit table
has each action with its reason; the server stopped cleanly (no sanitizer
report). Exit 77 when Chromium or node is absent.

usage: console_test.py PORTCULLIS SOURCE_DIR
"""
import hashlib
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcweb  # noqa: E402

NEWSLETTER_RCPT = ["a.berg", "c.duval", "k.osei", "l.moreau"]
FP_RCPT = "p.ivanova@parliament.example"
FILLER = 3000  # ordinary messages beside the copy to purge: the purge takes a moment


def newsletter(src, local, i):
    """examples/02-newsletter-tracking.eml to LOCAL@parliament.example with
    its own subscriber token (the open pixel and the links carry it)"""
    with open(os.path.join(src, "examples", "02-newsletter-tracking.eml"), "rb") as f:
        b = f.read()
    tok = hashlib.sha1(local.encode()).hexdigest()[:10]
    b = b.replace(b"t.lindqvist", local.encode()).replace(b"9c41e07bd2", tok.encode()).replace(b"9c41", tok[:4].encode())
    return b.replace(b"20250513040003.", b"2025051304%04d." % i)


def filler(src, i):
    with open(os.path.join(src, "examples", "01-colleague-plain.eml"), "rb") as f:
        b = f.read()
    return b.replace(b"c0ffee12-7a4e", b"c0ffee12-%04x" % i)


def build(w, src):
    ex = os.path.join(src, "examples")
    rep = w.scan(os.path.join(ex, "campaign"), *[os.path.join(ex, n) for n in sorted(os.listdir(ex)) if n.endswith(".eml")])
    camp1 = {str(r["campaign"]) for r in rep if "/campaign/" in r["source"]}
    if camp1 != {"1"}:
        raise RuntimeError("the demo world did not make campaign 1: %s" % camp1)
    nl = os.path.join(w.dir, "newsletter")
    os.makedirs(nl)
    for i, local in enumerate(NEWSLETTER_RCPT):
        with open(os.path.join(nl, "nl-%d.eml" % i), "wb") as f:
            f.write(newsletter(src, local, i + 1))
    rep = w.scan(nl)
    benign = {r["campaign"] for r in rep}
    if len(benign) != 1 or None in benign:
        raise RuntimeError("the newsletter copies did not make one campaign: %s" % benign)
    benign = int(benign.pop())
    # the false positive: a fifth copy taken from a mailbox by an indicator hunt
    stage = w.maildir(os.path.join(w.dir, "stage"))
    fp = newsletter(src, FP_RCPT.split("@")[0], 9)
    with open(os.path.join(stage, "cur", "nl-fp.eml"), "wb") as f:
        f.write(fp)
    w.hunt_ioc(["gardening.example.com"], stage)
    qids = w.qids()
    if len(qids) != 1 or os.listdir(os.path.join(stage, "cur")):
        raise RuntimeError("hunt --ioc did not quarantine the newsletter copy: %s" % qids)
    # the copy of campaign 1 still delivered, among ordinary mail
    with open(os.path.join(ex, "campaign", "1-novak.eml"), "rb") as f:
        novak = f.read()
    with open(os.path.join(w.md, "cur", "1700000000.M1P1.mx:2,S"), "wb") as f:
        f.write(novak)
    for i in range(FILLER):
        with open(os.path.join(w.md, "cur", "1700000100.M%dP2.mx:2,S" % i), "wb") as f:
            f.write(filler(src, i))
    return {"benign": benign, "fp_qid": qids[0], "fp_bytes": fp, "novak": novak}


def main():
    exe, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    t0 = time.time()
    ready = pcweb.browser_ready()
    if ready:
        print("%s: %s" % ("skipped" if ready[0] == "skip" else "FAIL", ready[1]))
        return pcweb.SKIP if ready[0] == "skip" else 1
    ok = pcweb.Checks("web.console")
    w = pcweb.World(exe, src, "pc-web-console-")
    srv = None
    try:
        facts = build(w, src)
        srv = pcweb.Server(w)
        ok("the server made the first admin account", srv.password)
        shots = pcweb.screens_dir(src, "console-")
        ioc = os.path.join(w.dir, "journey-ioc.txt")
        with open(ioc, "w") as f:
            f.write("dai1yledger.example\nledger-politics.example\n")
        cfg = {
            "work": w.dir, "base": srv.base, "user": "admin", "password": srv.password, "screens": shots,
            "malicious": 1, "benign": facts["benign"], "fp_qid": facts["fp_qid"], "fp_rcpt": FP_RCPT,
            "release_reason": "false positive: the gardening newsletter p.ivanova subscribed to",
            "mark_reason": "ordinary newsletter, per-subscriber pixel only (journey)",
            "ioc_file": ioc, "ioc_name": "journey-set", "maildir_count": FILLER + 1, "new_user": "reader",
        }
        rc, res, log = pcweb.run_node("console.mjs", cfg, timeout=900)
        ok("console.mjs ran (exit %d)" % rc, rc == 0 and res is not None, log)
        res = res or {}
        for f in res.get("fails", []):
            ok("browser: " + f, False)
        for u in res.get("offsite", []):
            ok("a request left 127.0.0.1:%d" % w.port, False, u)
        for m in res.get("console", []):
            ok("console message on %s" % m.get("url"), False, m.get("text"))
        for m in res.get("pageerrors", []):
            ok("page error", False, m)
        want = ["login", "overview", "campaigns", "campaign", "message", "quarantine", "quarantine-entry", "search",
                "indicators", "audit", "accounts", "job"]
        for name in want:
            p = os.path.join(shots, "console-%s.png" % name)
            ok("screenshot of %s" % name, os.path.exists(p) and os.path.getsize(p) > 5000, p)
        ok("the journey reached its end", res.get("finished"), res.get("steps"))
        for n in res.get("notes", []):
            print("note:", n)
        print("job page: first seen %s, reloaded itself %s times" % (res.get("job_first_state"), res.get("job_reloads")))

        # the release: the fake sendmail got the stored bytes for the recipient typed
        sent = w.sent_messages()
        ok("one release reached sendmail", len(sent) == 1, [a for a, _ in sent])
        if sent:
            argv, data = sent[0]
            ok("sendmail got the quarantined bytes unchanged", data == facts["fp_bytes"],
               "%d bytes, sha256 %s, want %d bytes %s" % (len(data), pcweb.sha256(data), len(facts["fp_bytes"]),
                                                          pcweb.sha256(facts["fp_bytes"])))
            ok("sendmail was given the recipient typed", FP_RCPT in argv and argv.index(FP_RCPT) > argv.index("--"),
               argv)
        ok("the released entry left the quarantine", facts["fp_qid"] not in w.qids(), w.qids())
        # the purge: the copy gone from the Maildir, in the quarantine byte for byte
        left = os.listdir(os.path.join(w.md, "cur"))
        ok("the delivered copy is gone from the Maildir", "1700000000.M1P1.mx:2,S" not in left)
        ok("the ordinary mail stayed in the Maildir", len(left) == FILLER, "%d left" % len(left))
        held = []
        for q in w.qids():
            with open(os.path.join(w.q, "msg", q + ".eml"), "rb") as f:
                if f.read() == facts["novak"]:
                    held.append(q)
        ok("the purged copy is in the quarantine, unchanged", len(held) == 1, w.qids())

        # the store: the campaign benign, every action audited with its reason
        if ok("the server is still running after the journey", srv.alive()):
            c = pcweb.Client(w.port)
            c.login("admin", srv.password)
            camp = c.get("/api/v1/campaigns/%d" % facts["benign"]).json()["campaign"]
            ok("the newsletter campaign is benign, by an analyst", camp["status"] == "benign" and camp["analyst"], camp)
            r = pcweb.Client(w.port).login("reader", res.get("new_password") or "-")
            ok("the account made on the Accounts page logs in with the password shown, as a viewer",
               r.status == 200 and r.json().get("role") == "viewer", r)
        audit = w.audit()
        acts = [a["action"] for a in audit]

        def rows(action, **match):
            return [a for a in audit if a["action"] == action and all(v in str(a.get(k)) for k, v in match.items())]

        ok("audit: the journey's login", rows("login", actor="admin (console, 127.0.0.1)"), acts)
        ok("audit: the release with its reason and recipient",
           rows("release", qid=facts["fp_qid"], reason=cfg["release_reason"]), [a for a in audit if a["action"] == "release"])
        ok("audit: the mark with its reason",
           rows("mark", campaign=str(facts["benign"]), detail=cfg["mark_reason"]), [a for a in audit if "mark" in a["action"]])
        ok("audit: the purge started", rows("purge-start", campaign="1"), acts)
        ok("audit: hunt's purge of the copy", rows("purge", campaign="1", source="1700000000.M1P1"), acts)
        ends = rows("purge-end", campaign="1")
        ok("audit: the purge's end", ends, acts)
        ok("audit: the purge's end counts the messages read (%d)" % (FILLER + 1),
           ends and ("%d messages read" % (FILLER + 1)) in ends[0]["detail"], ends and ends[0]["detail"])
        ok("audit: the indicator set added", rows("ioc-add", source=cfg["ioc_name"]), acts)
        ok("audit: the logout", rows("logout", actor="admin (console"), acts)
        ok("audit: the account added", rows("account-add", source="reader"), acts)
    except Exception as e:  # a broken world or server is a failure, not a crash
        import traceback
        traceback.print_exc()
        ok("the test ran to its end", False, repr(e))
    finally:
        if srv:
            srv.stop()
            for p in srv.problems():
                ok("the server", False, p)
        w.cleanup()
    return ok.done(t0)


if __name__ == "__main__":
    sys.exit(main())
