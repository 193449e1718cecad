#!/usr/bin/env python3
"""The milter in front of Postfix while the shared store (PostgreSQL) goes
away and comes back (issue 18, faults):

  tempfail (the default with PostgreSQL): with the server stopped a message
  gets 451 at once (not after the milter's timeout), nothing is delivered
  unscanned; with the server back the next message is scanned and recorded
  (the workers reconnect).
  deliver + journal: with the server stopped messages are delivered and
  kept in the journal; `portcullis replay` records each once when the server
  is back and empties the journal; a second replay has nothing to do.

usage: store_fault_test.py PORTCULLIS SOURCE_DIR
Root, Postfix and PostgreSQL 15; skipped (77) otherwise."""

import glob
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import pgtest  # noqa: E402
from harness import Harness, with_id  # noqa: E402

failures = []


def check(name, ok, detail=""):
    print("%-66s %s%s" % (name, "ok" if ok else "FAIL", "" if ok or not detail else "  (%s)" % detail))
    if not ok:
        failures.append(name)


def message(i):
    return with_id(("From: Anna <anna@news%d.example.org>\nTo: user@example.test\nSubject: note %d\n"
                    "Message-ID: <fault-%d@news%d.example.org>\nMIME-Version: 1.0\n"
                    "Content-Type: text/html; charset=utf-8\n\n<p>Hello, note %d.</p>"
                    "<img src=\"https://t.example.net/p/%d.gif\" width=1 height=1>\n"
                    % (i, i, i, i, i, i)).encode(), "f%d" % i)


def store_conf(h, dsn, extra):
    with open(h.conf) as f:
        text = f.read()
    text = text.replace("[history]\ndatabase = %s/store/store.db\n" % h.T, "")
    with open(h.conf, "w") as f:
        f.write(text + "[store]\nbackend = postgresql\nconninfo = %s\ntimeout = 3\n%s" % (dsn, extra))


def count(pg, db, sql):
    return int(pg.psql(db, sql) or 0)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    exe, src = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0 or not shutil.which("postfix") or not pgtest.available():
        print("needs root, Postfix and PostgreSQL 15: skipped")
        return 77
    pg = pgtest.PgServer().init().start()
    h = h2 = None
    try:
        # ---- tempfail ----
        h = Harness(exe, src, "pc-storefault-")
        h.write_conf(timeout=30)
        store_conf(h, pg.create_db("a"), "")
        h.start()
        code, text, _ = h.send(message(1))
        check("server up: 250", code == 250, "%d %s" % (code, text))
        check("server up: delivered", bool(h.delivered("f1", timeout=20)))
        pg.stop()
        code, text, secs = h.send(message(2))
        check("server down: 451 (tempfail), not delivered", code == 451 and not h.delivered("f2", timeout=2),
              "%d %s" % (code, text))
        check("server down: answered within the store's timeout, not the milter's", secs < 10, "%.1f s" % secs)
        pg.start()
        time.sleep(1.2)  # the workers retry a failed connect at most once a second
        code, text, _ = h.send(message(3))
        check("server back: 250 (the workers reconnected)", code == 250, "%d %s" % (code, text))
        check("server back: delivered", bool(h.delivered("f3", timeout=20)))
        n = count(pg, "a", "SELECT count(*) FROM custody")
        check("the store recorded the two scanned messages, not the tempfailed one", n == 2, "%d custody rows" % n)
        errs = [r for r in h.log_records() if r.get("action") == "tempfail"]
        check("the milter's log says why", any("store" in (r.get("error") or "") for r in errs),
              str(errs[:1])[:200])
        h.stop()
        h = None

        # ---- deliver + journal, then replay ----
        h2 = Harness(exe, src, "pc-storefault-j-")
        journal = os.path.join(h2.T, "journal")
        h2.write_conf(timeout=30)
        store_conf(h2, pg.create_db("b"), "on_error = deliver\njournal = %s\n" % journal)
        h2.start()
        pg.stop()
        for i in (11, 12, 13):
            code, text, _ = h2.send(message(i))
            check("server down, deliver: 250 for f%d" % i, code == 250, "%d %s" % (code, text))
        check("server down, deliver: all three delivered",
              all(h2.delivered("f%d" % i, timeout=20) for i in (11, 12, 13)))
        kept = glob.glob(os.path.join(journal, "msg", "*.eml"))
        check("the journal keeps the three", len(kept) == 3, "%d" % len(kept))
        r = subprocess.run([exe, "replay", "-c", h2.conf], capture_output=True, text=True, timeout=120)
        check("replay with the server still down: exit 1, all kept",
              r.returncode == 1 and len(glob.glob(os.path.join(journal, "msg", "*.eml"))) == 3,
              "%d %s" % (r.returncode, (r.stdout + r.stderr)[-300:]))
        pg.start()
        r = subprocess.run([exe, "replay", "-c", h2.conf], capture_output=True, text=True, timeout=120)
        check("replay with the server back: exit 0, three replayed", r.returncode == 0 and "3 replayed" in r.stdout,
              "%d %s" % (r.returncode, (r.stdout + r.stderr)[-300:]))
        check("the journal is empty", not glob.glob(os.path.join(journal, "msg", "*.eml")))
        n = count(pg, "b", "SELECT count(*) FROM custody WHERE source LIKE 'milter:%'")
        check("the store recorded each of the three once, under its milter source", n == 3, "%d" % n)
        r = subprocess.run([exe, "replay", "-c", h2.conf], capture_output=True, text=True, timeout=60)
        check("a second replay has nothing to do", r.returncode == 0 and "nothing to replay" in r.stdout,
              r.stdout[-200:])
    finally:
        for x in (h, h2):
            if x:
                x.stop()
        pg.close()
    print("\nstore_fault: %d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
