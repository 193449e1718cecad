#!/usr/bin/env python3
"""bench/console.py - how fast the analyst console answers on a big store.

Issue 17's targets: the campaign page of a 10,000-copy campaign and the
quarantine search over 100,000 messages answer in under 200 ms on this
2-core machine.

  bench/console.py [--portcullis build/portcullis] [--copies 10000]
                   [--quarantine 100000] [--runs 20] [--keep]

1. tests/campaigns/gen.py makes one malicious campaign of --copies copies
   (per-recipient tokens) beside a few newsletters and ordinary mail, and
   `portcullis scan --db` records it (custody, members, values).
2. --quarantine entries are written straight into a quarantine directory
   in act/quarantine.h's layout (msg/QID.eml + QID.json; writing 100,000
   through pc_quarantine_put would be 200,000 fsyncs for a benchmark of
   reads). Senders, recipients, subjects and reasons vary.
3. `portcullis serve` starts on the store (its first index of the
   quarantine directory is timed), an analyst logs in over the API, and
   each request below is made --runs times on one keep-alive connection:
   median, 95th percentile and worst, wall time as the client sees it.
Results are appended to bench/results.txt.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def fill_quarantine(qdir, n, seed=7):
    rnd = random.Random(seed)
    msg = os.path.join(qdir, "msg")
    os.makedirs(msg, exist_ok=True)
    os.makedirs(os.path.join(qdir, "tmp"), exist_ok=True)
    words = ("report invoice committee vote budget hearing draft security briefing interview request comment "
             "minutes agenda urgent update policy review press release").split()
    domains = ["dai1yledger.example", "news-ledger.example", "mailbox.example", "bulk.example.net",
               "courier-news.example", "parl1ament.example"] + ["sender%d.example" % i for i in range(200)]
    detectors = ["impersonation.display-name", "impersonation.lookalike", "tracker.pixel", "campaign.malicious",
                 "ioc.match", "tracker.click"]
    t0 = int(time.time()) - 90 * 86400
    for i in range(n):
        when = t0 + i * 77
        qid = "%s-%08x-%016x" % (time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when)), i, rnd.getrandbits(64))
        sender = "%s.%d@%s" % (rnd.choice(words), rnd.randrange(1000), rnd.choice(domains))
        rcpt = ["%s%d@parliament.example" % (rnd.choice(words), rnd.randrange(5000))]
        subject = " ".join(rnd.choice(words) for _ in range(6)).capitalize()
        body = "From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%d@bench>\n\nHello.\n" % (sender, rcpt[0], subject, i)
        meta = {"reason": "milter", "time": when, "mail_from": sender, "rcpt": rcpt, "verdict": "quarantine",
                "reasons": rnd.sample(detectors, 2), "campaign": rnd.choice([0, 0, 1, 2, 3]),
                "message_id": "<%d@bench>" % i, "from": sender, "subject": subject}
        with open(os.path.join(msg, qid + ".json"), "w") as f:
            json.dump(meta, f)
        with open(os.path.join(msg, qid + ".eml"), "w") as f:
            f.write(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--portcullis", default=os.path.join(ROOT, "build", "portcullis"))
    ap.add_argument("--copies", type=int, default=10000)
    ap.add_argument("--quarantine", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--results", default=os.path.join(HERE, "results.txt"))
    a = ap.parse_args()
    exe = os.path.abspath(a.portcullis)
    tmp = tempfile.mkdtemp(prefix="pc-console-bench-")
    serve = None
    try:
        world = os.path.join(tmp, "world")
        t = time.monotonic()
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "campaigns", "gen.py"), "--seed", "17", "--sizes",
                        str(a.copies), "--newsletters", "2", "--issues", "2", "--subscribers", "150", "--ham", "300",
                        "--format", "mbox", "--per-mbox", "1000", world], check=True, stdout=subprocess.DEVNULL)
        conf = os.path.join(world, "portcullis.conf")
        db = os.path.join(tmp, "store.db")
        mail = [os.path.join(world, d) for d in sorted(os.listdir(world)) if not d.endswith(".conf") and not d.endswith(".json")]
        subprocess.run([exe, "scan", "-q", "--config", conf, "--db", db] + mail, check=True, stdout=subprocess.DEVNULL)
        print("world: %d copies scanned into the store in %.1f s" % (a.copies, time.monotonic() - t))
        t = time.monotonic()
        qdir = os.path.join(tmp, "q")
        fill_quarantine(qdir, a.quarantine)
        print("quarantine: %d entries written in %.1f s" % (a.quarantine, time.monotonic() - t))
        port = free_port()
        cconf = os.path.join(tmp, "console.conf")
        with open(conf) as f, open(cconf, "w") as o:
            o.write(f.read())
            o.write("\n[history]\ndatabase = %s\n[quarantine]\ndirectory = %s\n[console]\nlisten = 127.0.0.1:%d\n"
                    % (db, qdir, port))
        t = time.monotonic()
        serve = subprocess.Popen([exe, "serve", "-c", cconf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        pw = None
        for line in serve.stdout:
            m = re.search(r"one-time password (\S+)", line)
            if m:
                pw = m.group(1)
            if "console is at" in line:
                break
        started = time.monotonic() - t
        print("serve: up in %.1f s (first index of %d quarantine entries)" % (started, a.quarantine))
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("POST", "/api/v1/login", body="user=admin&password=" + pw,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        cookie = r.getheader("Set-Cookie").split(";")[0]
        r.read()
        c.request("GET", "/api/v1/campaigns?limit=1000", headers={"Cookie": cookie})
        r = c.getresponse()
        camps = json.loads(r.read())["campaigns"]
        big = max(camps, key=lambda x: x["size"])
        print("largest campaign: %d (%d copies)" % (big["id"], big["size"]))
        paths = [
            ("campaign page (HTML)", "/campaigns/%d" % big["id"]),
            ("campaign (API)", "/api/v1/campaigns/%d" % big["id"]),
            ("campaign list", "/campaigns"),
            ("overview", "/"),
            ("quarantine, first page", "/quarantine"),
            ("quarantine by subject word", "/quarantine?subject=budget+hearing"),
            ("quarantine by sender", "/quarantine?sender=dai1yledger"),
            ("quarantine by recipient + dates", "/quarantine?rcpt=vote12&from=2026-10-01&to=2026-11-30"),
            ("quarantine by reason, page 20", "/quarantine?reason=lookalike&offset=1000"),
            ("search all messages by subject", "/search?subject=a"),
            ("audit log", "/audit"),
        ]
        lines = []
        for name, p in paths:
            times = []
            for _ in range(a.runs):
                t = time.perf_counter()
                c.request("GET", p, headers={"Cookie": cookie})
                r = c.getresponse()
                body = r.read()
                times.append((time.perf_counter() - t) * 1000)
                if r.status != 200:
                    raise SystemExit("%s: HTTP %d" % (p, r.status))
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            line = "%-34s median %7.1f ms  p95 %7.1f ms  max %7.1f ms  (%d KB)" % (
                name, statistics.median(times), p95, times[-1], len(body) // 1024)
            print(line)
            lines.append(line)
        with open(a.results, "a") as f:
            f.write("\n# console (bench/console.py), %s, %d-copy campaign, %d quarantined, %d runs each; "
                    "serve up in %.1f s\n" % (time.strftime("%Y-%m-%d"), a.copies, a.quarantine, a.runs, started))
            for line in lines:
                f.write(line + "\n")
    finally:
        if serve:
            serve.terminate()
            serve.wait()
        if a.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
