#!/usr/bin/env python3
"""What the workers' sandbox costs (milter/sandbox.h): one worker driven
directly (drive_worker.py) with [milter] sandbox = yes and = no,
alternating, with a store and DNS off.

  start    spawn to the first answer (a tiny message): ROUNDS starts each
  per msg  the messages under PATHS, REPEAT times, in one worker

usage: bench_sandbox.py PORTCULLIS ROUNDS REPEAT PATH...
As root the worker also drops to nobody (worker_user) when sandbox = yes;
medians are printed.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(bin_, conf, paths, repeat):
    r = subprocess.run([sys.executable, os.path.join(HERE, "drive_worker.py"), "--json", "--repeat", str(repeat),
                        bin_, conf] + paths, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("driver failed: " + r.stdout + r.stderr)
    return json.loads(r.stdout)


def main():
    bin_, rounds, repeat, paths = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    t = tempfile.mkdtemp(prefix="pc-sbbench-")
    os.chmod(t, 0o755)
    confs = {}
    for mode in ("yes", "no"):
        d = os.path.join(t, mode)
        os.mkdir(d)
        user = ""
        if os.geteuid() == 0 and mode == "yes":
            shutil.chown(d, "nobody")
            user = "worker_user = nobody\n"
        confs[mode] = os.path.join(t, mode + ".conf")
        with open(confs[mode], "w") as f:
            f.write("[history]\ndatabase = %s/store.db\n[quarantine]\ndirectory = %s/q\n[dns]\nservers = off\n"
                    "[milter]\nsandbox = %s\n%s" % (d, d, mode, user))
    start = {"yes": [], "no": []}
    per = {"yes": [], "no": []}
    try:
        for i in range(rounds):
            for mode in ("yes", "no") if i % 2 == 0 else ("no", "yes"):
                start[mode].append(run(bin_, confs[mode], [], 1)["start_ms"])
        for i in range(3):
            for mode in ("yes", "no") if i % 2 == 0 else ("no", "yes"):
                per[mode].append(run(bin_, confs[mode], paths, repeat)["ms_per_msg"])
    finally:
        shutil.rmtree(t, ignore_errors=True)
    for mode in ("yes", "no"):
        print("sandbox = %-3s  start: median %.2f ms (min %.2f, max %.2f, n %d)   per message: median %.3f ms %s" %
              (mode, statistics.median(start[mode]), min(start[mode]), max(start[mode]), len(start[mode]),
               statistics.median(per[mode]), per[mode]))


if __name__ == "__main__":
    main()
