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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("portcullis")
ap.add_argument("source")
ap.add_argument("--messages", type=int, default=2000)
ap.add_argument("--sessions", type=int, default=20)
ap.add_argument("--workers", type=int, default=0)
ap.add_argument("--json")
a = ap.parse_args()
BIN = os.path.abspath(a.portcullis)
SRC = os.path.abspath(a.source)
HERE = os.path.join(SRC, "tests", "milter")
PFSH = os.path.join(HERE, "postfix.sh")

if os.geteuid() != 0 or not shutil.which("postfix", path="/usr/sbin:/usr/bin"):
    print("skip: needs root and Postfix (make check installs it)")
    sys.exit(77)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def descendants(pid):
    """pid and every process below it (from /proc)."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


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


def run(label, milter_spec):
    pf = os.path.join(T, label)
    port = free_port()
    subprocess.run(["sh", PFSH, "start", pf, str(port), milter_spec, "tempfail"], check=True)
    try:
        out = os.path.join(T, label + ".json")
        t0 = time.time()
        subprocess.run([sys.executable, os.path.join(HERE, "smtpload.py"), "--server", "127.0.0.1:%d" % port,
                        "--sessions", str(a.sessions), "--messages", str(a.messages), "--dir", LOAD, "--json", out],
                       stdout=subprocess.DEVNULL)
        load = json.load(open(out))
        drained = wait_queue_empty(pf)
        load["wall_s"] = round(time.time() - t0, 2)
        load["drained"] = drained
        return pf, out, load
    finally:
        subprocess.run(["sh", PFSH, "stop", pf])


milter = None
try:
    subprocess.run([sys.executable, os.path.join(HERE, "gen_load.py"), LOAD, str(a.messages)], check=True,
                   stdout=subprocess.DEVNULL)
    lure = open(os.path.join(SRC, "examples", "03-journalist-impersonation.eml"), "rb").read()
    for i in range(max(1, a.messages // 50)):  # 2%: quarantined
        with open(os.path.join(LOAD, "zz-lure-%03d.eml" % i), "wb") as f:
            f.write(lure.replace(b"Subject: ", b"Subject: [%d] " % i, 1))
    sizes = [os.path.getsize(os.path.join(LOAD, f)) for f in os.listdir(LOAD)]

    # 1. no milter
    pf_off, out_off, off = run("off", "none")
    check(off["accepted"] == a.messages and off["drained"], "no milter: %d of %d accepted and delivered" %
          (off["accepted"], a.messages))

    # 2. the milter
    q = os.path.join(T, "q")
    conf = os.path.join(T, "portcullis.conf")
    mport = free_port()
    with open(conf, "w") as f:
        store = "" if os.environ.get("PC_NOSTORE") else "[history]\ndatabase = %s/store.db\n" % T
        f.write("[milter]\nsocket = inet:%d@127.0.0.1\nworkers = %d\n[dns]\nservers = off\n"
                "[quarantine]\ndirectory = %s\n%s"
                "[organisation]\ndomains = parliament.example\n[protected]\ndomains = dailyledger.example\n"
                "[person]\nname = Hannah Reyes\naddresses = hannah.reyes@dailyledger.example\n"
                "domains = dailyledger.example\n[auth]\ntrusted_authserv_ids = mx.parliament.example\n"
                % (mport, a.workers, q, store))
    log = open(os.path.join(T, "milter.log"), "w")
    milter = subprocess.Popen([BIN, "milter", "-c", conf], stdout=log, stderr=log)
    for _ in range(100):
        if "listening" in open(os.path.join(T, "milter.log")).read():
            break
        time.sleep(0.05)
    pf_on, out_on, on = run("on", "inet:127.0.0.1:%d" % mport)
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
    milter.send_signal(signal.SIGTERM)
    milter.wait(60)
    lines = [l for l in open(os.path.join(T, "milter.log")) if '"ref"' in l or " ref=" in l]
    check(len(lines) == a.messages, "milter: one log line per message (%d)" % len(lines))

    def ms(x, k):
        return x["latency_ms"][k]

    res = {
        "messages": a.messages, "sessions": a.sessions, "max_size_kb": round(max(sizes) / 1024, 1),
        "quarantined": c.get("quarantined"), "delivered": c.get("delivered"),
        "off": {"msgs_per_s": off["msgs_per_s"], "p50": ms(off, "p50"), "p90": ms(off, "p90"), "p99": ms(off, "p99")},
        "on": {"msgs_per_s": on["msgs_per_s"], "p50": ms(on, "p50"), "p90": ms(on, "p90"), "p99": ms(on, "p99")},
    }
    res["added_ms"] = {k: round(res["on"][k] - res["off"][k], 2) for k in ("p50", "p90", "p99")}
    print("milter load: %(messages)d messages (<= %(max_size_kb)s kB), %(sessions)d sessions" % res)
    print("  no milter : %.0f msgs/s, p50 %.2f ms, p99 %.2f ms" % (res["off"]["msgs_per_s"], res["off"]["p50"],
                                                                 res["off"]["p99"]))
    print("  milter    : %.0f msgs/s, p50 %.2f ms, p99 %.2f ms" % (res["on"]["msgs_per_s"], res["on"]["p50"],
                                                                 res["on"]["p99"]))
    print("  added     : p50 %.2f ms, p99 %.2f ms" % (res["added_ms"]["p50"], res["added_ms"]["p99"]))
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

print("%d passed, %d failed" % (3 + 1 + 1 - len(failures), len(failures)))
sys.exit(1 if failures else 0)
