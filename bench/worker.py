#!/usr/bin/env python3
"""bench/worker.py - a milter worker's own cost per message, without Postfix
or the front end: requests straight to `portcullis milter --worker` over
its socket (fd 0), one at a time, as the front end sends them.

usage: bench/worker.py [--messages N] [--runs R] [--nostore] [--conf TEXT] [--rcpts K] DIR PORTCULLIS [PORTCULLIS ...]

DIR holds the messages (*.eml, e.g. tests/milter/gen_load.py DIR 3000;
used in name order, repeated as needed). Each binary gets a fresh store
(SQLite, in a temporary directory) and a worker of its own; with several
binaries the runs alternate (A B A B ...), so that whatever else the
machine does hits all alike. Prints per run the worker's CPU time per
message (utime + stime from /proc/PID/stat after 50 unmeasured messages)
and the answer's latency (request sent to answer read) p50/p99/p99.9/max,
then the best CPU of each binary. DNS is off; the sandbox is on. --conf
appends configuration text (e.g. "[evidence]\nkeep_originals = no") to
measure what one part of the store costs. --rcpts K sends message i to
user<i mod K>@example.test (default 1: one recipient, whose identity
patterns the worker builds once; a real MX's recipients change from message
to message, and each new set costs the leak automaton a rebuild).
"""
import argparse
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("portcullis", nargs="+")
ap.add_argument("--messages", type=int, default=3000)
ap.add_argument("--runs", type=int, default=2)
ap.add_argument("--nostore", action="store_true")
ap.add_argument("--conf", default="", help="configuration text appended (\\n for new lines)")
ap.add_argument("--rcpts", type=int, default=1, help="distinct recipients, one per message in turn")
a = ap.parse_args()
WARM = 50
names = sorted(f for f in os.listdir(a.dir) if f.endswith(".eml"))
if not names:
    sys.exit("no .eml under %s" % a.dir)
msgs = []
for f in names:
    m = open(os.path.join(a.dir, f), "rb").read()
    msgs.append(m if b"\r\n" in m[:4096] else m.replace(b"\n", b"\r\n"))


def rec(t, d):
    return t.encode() + struct.pack(">I", len(d)) + d


def recv_frame(s):
    def exact(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise SystemExit("the worker closed its socket")
            b += c
        return b
    return exact(struct.unpack(">I", exact(4))[0])


def rcpt(i):
    return b"user@example.test" if a.rcpts <= 1 else b"user%d@example.test" % (i % a.rcpts)


def cpu_of(pid):
    st = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")


def run(binary):
    t = tempfile.mkdtemp(prefix="pc-bench-worker.")
    try:
        conf = os.path.join(t, "portcullis.conf")
        store = "" if a.nostore else "[history]\ndatabase = %s/store.db\n" % t
        open(conf, "w").write("[dns]\nservers = off\n[quarantine]\ndirectory = %s/q\n%s%s\n" %
                              (t, store, a.conf.replace("\\n", "\n")))
        ours, theirs = socket.socketpair()
        p = subprocess.Popen([binary, "milter", "--worker", "-c", conf], stdin=theirs, stdout=subprocess.DEVNULL)
        theirs.close()
        recv_frame(ours)  # ready
        lat = []
        for i in range(a.messages + WARM):
            if i == WARM:
                c0 = cpu_of(p.pid)
            body = (rec("R", b"ref%d" % i) + rec("q", b"Q%08d" % i) + rec("c", b"192.0.2.1") +
                    rec("h", b"mx.example.org") + rec("f", b"sender@example.org") + rec("r", rcpt(i)) +
                    rec("m", msgs[i % len(msgs)]))
            t0 = time.monotonic()
            ours.sendall(struct.pack(">I", len(body)) + body)
            recv_frame(ours)
            if i >= WARM:
                lat.append((time.monotonic() - t0) * 1000)
        c1 = cpu_of(p.pid)
        ours.close()
        p.wait(30)
        lat.sort()
        q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))]
        return (c1 - c0) * 1000 / a.messages, (q(.5), q(.99), q(.999), lat[-1])
    finally:
        shutil.rmtree(t, ignore_errors=True)


best = {}
for r in range(a.runs):
    for b in a.portcullis:
        cpu, (p50, p99, p999, mx) = run(b)
        best[b] = min(best.get(b, cpu), cpu)
        print("run %d %-40s CPU %.3f ms/msg  answer ms p50 %.2f p99 %.2f p99.9 %.2f max %.2f"
              % (r + 1, b, cpu, p50, p99, p999, mx), flush=True)
for b in a.portcullis:
    print("best %-40s CPU %.3f ms/msg (%s, %d messages)" % (b, best[b], "no store" if a.nostore else "store", a.messages))
