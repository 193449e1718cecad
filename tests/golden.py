#!/usr/bin/env python3
"""Golden tests: tests/data/NAME.eml scanned must equal tests/data/NAME.json.

usage: golden.py PORTCULLIS DATA_DIR NAME     compare one case (exit 1 on diff)
       golden.py --update PORTCULLIS DATA_DIR  rewrite every NAME.json

NAME.args, when present, holds extra scan options (e.g. a lowered limit).
The scan runs inside DATA_DIR with the file's bare name, so "source" does not
depend on where the repository lives. The .json files are pretty-printed for
readable diffs; review every change to them against tests/data/MANIFEST.md.
"""
import difflib
import glob
import json
import os
import subprocess
import sys


def scan(exe, data, name):
    args = []
    argfile = os.path.join(data, name + ".args")  # extra options for this case
    if os.path.exists(argfile):
        with open(argfile) as f:
            args = f.read().split()
    p = subprocess.run([os.path.abspath(exe), "scan", "-q", *args, name + ".eml"], cwd=data,
                       capture_output=True, timeout=120)
    lines = p.stdout.decode("utf-8").splitlines()
    if p.returncode != 0:
        raise SystemExit(f"{name}: exit {p.returncode}: {p.stderr.decode(errors='replace')}")
    objs = [json.loads(l) for l in lines]
    return json.dumps(objs if len(objs) != 1 else objs[0], indent=1, ensure_ascii=False) + "\n"


def main():
    if sys.argv[1] == "--update":
        exe, data = sys.argv[2], sys.argv[3]
        for eml in sorted(glob.glob(os.path.join(data, "*.eml"))):
            name = os.path.basename(eml)[:-4]
            with open(os.path.join(data, name + ".json"), "w", encoding="utf-8") as f:
                f.write(scan(exe, data, name))
        return 0
    exe, data, name = sys.argv[1:4]
    got = scan(exe, data, name)
    try:
        with open(os.path.join(data, name + ".json"), encoding="utf-8") as f:
            want = f.read()
    except FileNotFoundError:
        print(f"{name}: no {name}.json (run make golden-update and review it)")
        return 1
    if got != want:
        sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                   name + ".json", "scan output"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
