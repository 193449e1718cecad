#!/usr/bin/env python3
"""Load through Postfix + milter (issue 6): N messages over S concurrent SMTP
sessions, once with no milter and once with `portcullis milter`, each into
its own private Postfix instance (tests/milter/postfix.sh).

Checks, for the milter run: every message answered 250, and every one
delivered or quarantined exactly once (count.py against the ids smtpload
saw accepted), 0 lost. 2% of the messages are the impersonation lure of
examples/ (quarantined), the rest generated mail under 100 kB
(gen_load.py: plain, HTML newsletters with images and trackers,
attachments).

Reports messages/s and the SMTP latency (MAIL FROM to the reply to the end
of data) p50/p90/p99 of both runs and the difference: the latency the
milter adds. Latency is reported, never asserted (a shared 2-core CI
machine is no place for timing thresholds); bench/milter.sh keeps the
numbers.

usage: load.py PORTCULLIS SOURCE_DIR [--messages N] [--sessions S] [--json OUT]
Exit 77 (skip) without root, Postfix or swaks.
"""
import argparse
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import descendants, free_port  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("portcullis")
ap.add_argument("source")
ap.add_argument("--messages", type=int, default=2000)
ap.add_argument("--sessions", type=int, default=20)
ap.add_argument("--workers", type=int, default=0)
ap.add_argument("--rate", type=float, default=50, help="offered messages/s of the paced runs")
ap.add_argument("--paced", type=int, default=1000, help="messages of the paced runs (0: none)")
ap.add_argument("--socket", choices=("unix", "inet"), default="unix")
ap.add_argument("--peer", help="another milter to measure in the same run (Postfix smtpd_milters value)")
ap.add_argument("--peer-name", default="peer")
ap.add_argument("--json")
a = ap.parse_args()
BIN = os.path.abspath(a.portcullis)
SRC = os.path.abspath(a.source)
HERE = os.path.join(SRC, "tests", "milter")
PFSH = os.path.join(HERE, "postfix.sh")

if os.geteuid() != 0 or not shutil.which("postfix", path="/usr/sbin:/usr/bin"):
    print("skip: needs root and Postfix (make check installs it)")
    sys.exit(77)





T = tempfile.mkdtemp(prefix="pc-load-")
os.chmod(T, 0o755)
LOAD = os.path.join(T, "load")
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def wait_queue_empty(pf, limit=300):
    end = time.time() + limit
    while time.time() < end:
        r = subprocess.run(["sh", PFSH, "queue", pf], capture_output=True, text=True)
        if r.stdout.strip() == "0":
            return True
        time.sleep(0.2)
    return False


def run(label, milter_spec, n, rate=0):
    pf = os.path.join(T, label)
    port = free_port()
    subprocess.run(["sh", PFSH, "start", pf, str(port), milter_spec, "tempfail"], check=True)
    try:
        out = os.path.join(T, label + ".json")
        t0 = time.time()
        subprocess.run([sys.executable, os.path.join(HERE, "smtpload.py"), "--server", "127.0.0.1:%d" % port,
                        "--sessions", str(a.sessions), "--messages", str(n), "--dir", LOAD, "--json", out,
                        "--rate", str(rate)], stdout=subprocess.DEVNULL)
        load = json.load(open(out))
        drained = wait_queue_empty(pf)
        load["wall_s"] = round(time.time() - t0, 2)
        load["drained"] = drained
        return pf, out, load
    finally:
        subprocess.run(["sh", PFSH, "stop", pf])


milter = None
try:
    nlure = max(1, a.messages // 50)  # 2%: quarantined
    subprocess.run([sys.executable, os.path.join(HERE, "gen_load.py"), LOAD, str(a.messages - nlure)], check=True,
                   stdout=subprocess.DEVNULL)
    lure = open(os.path.join(SRC, "examples", "03-journalist-impersonation.eml"), "rb").read()
    for i in range(nlure):  # named to sort among the others: smtpload sends the files in name order
        with open(os.path.join(LOAD, "%04d-lure.eml" % (i * 50 + 25)), "wb") as f:
            f.write(lure.replace(b"Subject: ", b"Subject: [%d] " % i, 1))
    sizes = [os.path.getsize(os.path.join(LOAD, f)) for f in os.listdir(LOAD)]

    # 1. no milter
    pf_off, out_off, off = run("off", "none", a.messages)
    check(off["accepted"] == a.messages and off["drained"], "no milter: %d of %d accepted and delivered" %
          (off["accepted"], a.messages))

    # 2. the milter
    q = os.path.join(T, "q")
    conf = os.path.join(T, "portcullis.conf")
    mport = free_port()
    msock = os.path.join(T, "milter.sock")
    spec = ("unix:%s" % msock, "unix:%s" % msock) if a.socket == "unix" else \
        ("inet:%d@127.0.0.1" % mport, "inet:127.0.0.1:%d" % mport)
    with open(conf, "w") as f:
        # the workers run as nobody (as root the milter requires a
        # worker_user): the store is theirs
        sdir = os.path.join(T, "store")
        os.makedirs(sdir, 0o700, exist_ok=True)
        os.chown(sdir, pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
        store = "" if os.environ.get("PC_NOSTORE") else "[history]\ndatabase = %s/store.db\n" % sdir
        f.write("[milter]\nsocket = %s\nworker_user = nobody\nworkers = %d\n[dns]\nservers = off\n"
                "[quarantine]\ndirectory = %s\n%s"
                "[organisation]\ndomains = parliament.example\n[protected]\ndomains = dailyledger.example\n"
                "[person]\nname = Hannah Reyes\naddresses = hannah.reyes@dailyledger.example\n"
                "domains = dailyledger.example\n[auth]\ntrusted_authserv_ids = mx.parliament.example\n"
                % (spec[0], a.workers, q, store))
    log = open(os.path.join(T, "milter.log"), "w")
    # the socket must be writable by Postfix (user postfix): in production
    # the unit's UMask and a shared group, here the umask
    milter = subprocess.Popen([BIN, "milter", "-c", conf], stdout=log, stderr=log, preexec_fn=lambda: os.umask(0))
    for _ in range(100):
        if "listening" in open(os.path.join(T, "milter.log")).read():
            break
        time.sleep(0.05)
    pf_on, out_on, on = run("on", spec[1], a.messages)
    check(on["accepted"] == a.messages and on["drained"], "milter: %d of %d accepted (250) and the queue drained" %
          (on["accepted"], a.messages))
    r = subprocess.run([sys.executable, os.path.join(HERE, "count.py"), os.path.join(pf_on, "Maildir"), q, "--load",
                        out_on], capture_output=True, text=True)
    try:
        c = json.loads(r.stdout)
    except ValueError:
        c = {}
    print("count:", {k: v for k, v in c.items() if not isinstance(v, list)})
    check(r.returncode == 0, "milter: every message delivered or quarantined exactly once, 0 lost")
    lines = [l for l in open(os.path.join(T, "milter.log")) if '"ref"' in l or " ref=" in l]
    check(len(lines) == a.messages, "milter: one log line per message (%d)" % len(lines))
    # paced: the offered rate well under what either setup takes, so that
    # latency is the work per message, not queueing for the 2 cores
    if a.paced:
        _, _, poff = run("paced-off", "none", a.paced, a.rate)
        _, _, pon = run("paced-on", spec[1], a.paced, a.rate)
        check(pon["accepted"] == a.paced, "paced milter run: %d of %d accepted" % (pon["accepted"], a.paced))
    milter.send_signal(signal.SIGTERM)
    milter.wait(60)
    if a.peer:  # the same load through another milter (bench/milter.sh: Rspamd's)
        _, _, peer = run("peer", a.peer, a.messages)
        _, _, ppeer = run("paced-peer", a.peer, a.paced, a.rate) if a.paced else (None, None, None)

    def ms(x, k):
        return x["latency_ms"][k]

    res = {
        "messages": a.messages, "sessions": a.sessions, "max_size_kb": round(max(sizes) / 1024, 1),
        "quarantined": c.get("quarantined"), "delivered": c.get("delivered"),
        "off": {"msgs_per_s": off["msgs_per_s"], "p50": ms(off, "p50"), "p90": ms(off, "p90"), "p99": ms(off, "p99")},
        "on": {"msgs_per_s": on["msgs_per_s"], "p50": ms(on, "p50"), "p90": ms(on, "p90"), "p99": ms(on, "p99")},
    }
    res["added_ms"] = {k: round(res["on"][k] - res["off"][k], 2) for k in ("p50", "p90", "p99")}
    res["socket"] = a.socket
    if a.peer:
        res["peer"] = {"name": a.peer_name, "msgs_per_s": peer["msgs_per_s"], "accepted": peer["accepted"],
                       "p50": ms(peer, "p50"), "p99": ms(peer, "p99")}
        if ppeer:
            res["peer"]["paced"] = {k: ms(ppeer, k) for k in ("p50", "p90", "p99")}
    if a.paced:
        res["paced"] = {"rate": a.rate, "messages": a.paced,
                        "off": {k: ms(poff, k) for k in ("p50", "p90", "p99")},
                        "on": {k: ms(pon, k) for k in ("p50", "p90", "p99")}}
        res["paced"]["added_ms"] = {k: round(res["paced"]["on"][k] - res["paced"]["off"][k], 2)
                                    for k in ("p50", "p90", "p99")}
    print("milter load: %(messages)d messages (<= %(max_size_kb)s kB), %(sessions)d sessions" % res)
    print("  no milter : %.0f msgs/s, p50 %.2f ms, p99 %.2f ms" % (res["off"]["msgs_per_s"], res["off"]["p50"],
                                                                 res["off"]["p99"]))
    print("  milter    : %.0f msgs/s, p50 %.2f ms, p99 %.2f ms" % (res["on"]["msgs_per_s"], res["on"]["p50"],
                                                                 res["on"]["p99"]))
    print("  added     : p50 %.2f ms, p99 %.2f ms (queueing for the CPUs included)" %
          (res["added_ms"]["p50"], res["added_ms"]["p99"]))
    if a.paced:
        p = res["paced"]
        print("paced at %s msgs/s, %d messages, milter over a %s socket:" % (p["rate"], p["messages"], a.socket))
        print("  no milter : p50 %.2f ms, p99 %.2f ms" % (p["off"]["p50"], p["off"]["p99"]))
        print("  milter    : p50 %.2f ms, p99 %.2f ms" % (p["on"]["p50"], p["on"]["p99"]))
        print("  added     : p50 %.2f ms, p99 %.2f ms" % (p["added_ms"]["p50"], p["added_ms"]["p99"]))
    if a.peer:
        pr = res["peer"]
        print("%s milter: %.0f msgs/s (%d accepted), p50 %.2f ms, p99 %.2f ms" %
              (pr["name"], pr["msgs_per_s"], pr["accepted"], pr["p50"], pr["p99"]))
        if "paced" in pr:
            print("  paced     : p50 %.2f ms, p99 %.2f ms" % (pr["paced"]["p50"], pr["paced"]["p99"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
finally:
    if milter and milter.poll() is None:
        for pid in descendants(milter.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if not failures and not os.environ.get("PC_KEEP"):
        shutil.rmtree(T, ignore_errors=True)
    else:
        print("kept", T)

print("%d passed, %d failed" % (5 + (1 if a.paced else 0) - len(failures), len(failures)))
sys.exit(1 if failures else 0)
