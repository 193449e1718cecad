#!/usr/bin/env python3
"""Precision and recall of tracker detection on the labelled real set.

labelled.tsv holds remote resources and links from ../shared/corpus, each
judged tracker / not by a person reading the message (see README.md). This
scans each message once and compares: a resource row is detected when a
tracker with a non-link element has the row's URL; a link row when a click
tracker has it.

usage: evaluate.py PORTCULLIS LABELLED.tsv CORPUS [--errors] [--with-list]

The bundled tracker list is off unless --with-list: the list was curated
from the same corpus, and detection must not depend on it.
Exit 77 (skip) when the corpus is absent; 1 when below FLOOR.
"""
import json, os, subprocess, sys

TARGET_RECALL, TARGET_PRECISION = 0.99, 0.98
# What this test enforces, per kind (issue 15's targets): remote resources
# recall >= 99% with precision >= 97%, links 97% / 97%. Counted over the
# rows the labeller was sure of; the rows marked "unsure:" are shown beside
# (22 of 1,426; README: How the set was judged).
FLOOR = {"resource": (0.99, 0.97), "link": (0.97, 0.97)}


def main():
    exe, labelled, corpus = sys.argv[1:4]
    show = "--errors" in sys.argv
    if not os.path.isdir(corpus):
        print("corpus absent: skipped")
        return 77
    rows = [l.rstrip("\n").split("\t") for l in open(labelled, encoding="utf-8")]
    head, rows = rows[0], rows[1:]
    col = {h: i for i, h in enumerate(head)}
    files = sorted({r[col["file"]] for r in rows})
    found = {}
    for f in files:
        p = os.path.join(corpus, f)
        if not os.path.exists(p):
            print("missing", f)
            return 77
        opts = [] if "--with-list" in sys.argv else ["--set", "trackers.bundled=no"]
        out = subprocess.run([exe, "scan", "--quiet", *opts, p], capture_output=True, text=True).stdout
        m = json.loads(out.splitlines()[0])
        found[f] = m["trackers"]
    stats = {}
    errors = []
    for r in rows:
        f, kind, url, truth = r[col["file"]], r[col["kind"]], r[col["url"]], r[col["judgement"]] == "tracker"
        ts = found[f]
        if kind == "link":
            hit = [t for t in ts if t["element"] == "a" and t["url"] == url]
        else:
            hit = [t for t in ts if t["element"] not in ("a", "header") and t["url"] == url]
        det = bool(hit)
        cell = (0 if truth else 1) if det else (2 if truth else 3)
        stats.setdefault(kind, [0, 0, 0, 0])[cell] += 1  # tp fp fn tn
        if not r[col["why"]].startswith("unsure"):
            stats.setdefault("sure " + kind, [0, 0, 0, 0])[cell] += 1
        if det != truth:
            errors.append(("FP" if det else "FN", kind, f, url[:140], hit[0]["signals"] if hit else "", r[col["why"]]))
    stats["all"] = [stats.get("resource", [0] * 4)[i] + stats.get("link", [0] * 4)[i] for i in range(4)]
    ok = True
    print("%-13s %5s %5s %5s %5s %8s %8s" % ("kind", "tp", "fp", "fn", "tn", "recall", "precision"))
    for k in ("resource", "link", "all", "sure resource", "sure link"):
        tp, fp, fn, tn = stats.get(k, [0, 0, 0, 0])
        rec = tp / (tp + fn) if tp + fn else 1.0
        prec = tp / (tp + fp) if tp + fp else 1.0
        print("%-13s %5d %5d %5d %5d %7.1f%% %7.1f%%" % (k, tp, fp, fn, tn, 100 * rec, 100 * prec))
        if k == "all":
            target = rec >= TARGET_RECALL and prec >= TARGET_PRECISION
        elif k.startswith("sure ") and (rec < FLOOR[k[5:]][0] or prec < FLOOR[k[5:]][1]):
            k = k[5:]
            ok = False
            print("%s: below the floor (recall >= %.0f%%, precision >= %.0f%%)" % (k, 100 * FLOOR[k][0], 100 * FLOOR[k][1]))
    if show:
        for e in errors:
            print("\t".join(str(x) for x in e))
    print("all rows, both kinds (recall >= %.0f%%, precision >= %.0f%%): %s" % (
        100 * TARGET_RECALL, 100 * TARGET_PRECISION, "met" if target else "not met"))
    return 0 if ok else 1


sys.exit(main())
