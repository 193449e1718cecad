#!/usr/bin/env python3
"""False positives of the impersonation detectors over the labelled corpus.

usage: fp.py PORTCULLIS CONFIG CORPUS [--show DETECTOR[:WHERE]]

Scans CORPUS (index.tsv gives labels) with CONFIG and prints, per detector
(impersonation.lookalike also per `where`), how many messages of each label
got a finding. --show lists the ham / ham-newsletter hits of one detector.
"""
import collections
import json
import os
import subprocess
import sys

DETECTORS = ("impersonation.", "header.divergence", "header.multiple-from")


def main():
    exe, conf, corpus = sys.argv[1:4]
    show = sys.argv[sys.argv.index("--show") + 1] if "--show" in sys.argv else None
    labels = {}
    with open(os.path.join(corpus, "index.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            labels[os.path.join(corpus, cols[0])] = cols[2]
    out = subprocess.run([exe, "scan", "-q", "--config", conf, corpus], stdout=subprocess.PIPE, check=False).stdout
    per = collections.defaultdict(collections.Counter)
    total = collections.Counter(labels.values())
    hits = []
    for line in out.decode("utf-8", "replace").splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue
        label = labels.get(d.get("source"), "?")
        seen = set()
        for f in d.get("findings", []):
            det = f["detector"]
            if not det.startswith(DETECTORS):
                continue
            ev = f.get("evidence") or {}
            keys = [det]
            if det == "impersonation.lookalike":
                keys.append(det + ":" + ev.get("where", "?"))
            if det == "header.divergence":
                keys.append(det + ":" + ev.get("header", "?") + (">=4" if f["score"] >= 4 else ""))
            for k in keys:
                if k not in seen:
                    per[k][label] += 1
                    seen.add(k)
                if show and k == show and label.startswith("ham"):
                    hits.append((d["source"], f["summary"], ev))
    cols = ["ham", "ham-newsletter", "phish", "spam"]
    print("%-40s %s" % ("detector (messages with a finding)", " ".join("%14s" % c for c in cols)))
    print("%-40s %s" % ("(messages)", " ".join("%14d" % total[c] for c in cols)))
    for k in sorted(per):
        print("%-40s %s" % (k, " ".join("%14d" % per[k][c] for c in cols)))
    for h in hits:
        print(h)


if __name__ == "__main__":
    main()
