#!/usr/bin/env python3
"""List documents where the parsers' per-document counts differ.

Usage: disagreements.py OUTDIR   (reads OUTDIR/counts_{myhtml,gumbo,libxml2}.tsv,
writes OUTDIR/disagreements.tsv and prints a short summary)."""
import csv
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/html_parsers_out"
names = ["myhtml", "gumbo", "libxml2"]
data = {}
for n in names:
    p = os.path.join(out, "counts_%s.tsv" % n)
    if os.path.exists(p):
        with open(p, newline="") as fh:
            data[n] = list(csv.DictReader(fh, delimiter="\t"))
names = [n for n in names if n in data]
fields = ["img_remote", "a_href", "img_src", "style", "elems"]
rows = []
for i, r0 in enumerate(data[names[0]]):
    diff = [f for f in fields if len({data[n][i][f] for n in names}) > 1]
    if diff:
        rows.append((r0["file"], r0["bytes"], ",".join(diff),
                     *["/".join(data[n][i][f] for f in fields) for n in names]))
with open(os.path.join(out, "disagreements.tsv"), "w") as fh:
    fh.write("file\tbytes\tdiffers_in\t" + "\t".join(
        "%s(%s)" % (n, "/".join(fields)) for n in names) + "\n")
    for r in rows:
        fh.write("\t".join(r) + "\n")
for f in ["img_remote", "a_href"]:
    sel = [r for r in rows if f in r[2].split(",")]
    print("%s: %d documents differ; first ones:" % (f, len(sel)))
    for r in sel[:12]:
        print("  " + "  ".join(r[:1] + r[3:]))
