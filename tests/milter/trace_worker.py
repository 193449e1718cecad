#!/usr/bin/env python3
"""The system calls a milter worker makes, for the seccomp allow-list
(src/milter/sandbox.c): runs one worker under `strace -f` over messages
(drive_worker.py), with a store and DNS (a loopback dnsmasq whose
answer for example.org is too long for UDP, so the resolver falls back
to TCP), and prints every system call made while serving (from the first read of
a request on: where the filter is in place) with its count, and the
distinct socket() argument triples.

usage: trace_worker.py PORTCULLIS OUT_DIR FILE_OR_DIR...
  env SANDBOX=no|yes (default no: the unfiltered worker's needs)
Needs strace and dnsmasq.
"""
import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import dnstest  # noqa: E402


def main():
    bin_, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    paths = sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    # 20 TXT records of 200 bytes: more than a UDP answer holds (with EDNS too)
    big = ["v=spf1 ip4:192.0.2.1 -all"] + ["filler-%02d-" % i + "x" * 190 for i in range(20)]
    dns = dnstest.DNS(["example.org", "example.net", "example.com", "example.test"],
                      {"example.org": big, "_dmarc.example.org": ["v=DMARC1; p=none"]},
                      {"mx.example.org": "192.0.2.10"})
    try:
        conf = os.path.join(out, "worker.conf")
        with open(conf, "w") as f:
            f.write("[history]\ndatabase = %s/store.db\n[quarantine]\ndirectory = %s/q\n"
                    "[dns]\nservers = 127.0.0.1:%d\ntimeout = 2\n" % (out, out, dns.port))
            if os.environ.get("SANDBOX"):
                f.write("[milter]\nsandbox = %s\n" % os.environ["SANDBOX"])
        trace = os.path.join(out, "strace")
        r = subprocess.run([sys.executable, os.path.join(HERE, "drive_worker.py"), "--wrap",
                            "strace -f -qq -o %s" % trace, bin_, conf] + paths)
        print("driver exit", r.returncode)
    finally:
        dns.stop()
    counts = collections.Counter()
    sockets = collections.Counter()
    pat = re.compile(r"^(?:\d+\s+)?([a-z_0-9]+)\((.*)")
    started = False
    for line in open(trace, errors="replace"):
        m = pat.match(line)
        if not m:
            continue
        name, rest = m.groups()
        # count from the worker's first request on: the calls made while
        # serving, under the filter (installed just before the first read)
        if name in ("recvfrom", "read") and rest.startswith("0,"):
            started = True
        if not started:
            continue
        counts[name] += 1
        if name == "socket":
            sockets[rest.split(")")[0]] += 1
    with open(os.path.join(out, "counts.txt"), "w") as f:
        for name, n in sorted(counts.items()):
            f.write("%s %d\n" % (name, n))
    for name, n in sorted(counts.items()):
        print("%-24s %d" % (name, n))
    print("%d distinct system calls" % len(counts))
    for s, n in sockets.items():
        print("socket(%s) x%d" % (s, n))


if __name__ == "__main__":
    main()
