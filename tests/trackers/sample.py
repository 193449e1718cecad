#!/usr/bin/env python3
"""Draw the candidate set for the labelled tracker set (labelled.tsv).

Deterministic: messages are ordered by the SHA-256 of their corpus path and
taken per label until each quota is filled; from each message every remote
resource (up to 8) and up to 4 remote links are listed. The output is what a
person then judges by reading the message; it carries no judgement itself.

usage: sample.py PORTCULLIS CORPUS > candidates.tsv
"""
import hashlib, json, subprocess, sys, os

QUOTA = {"ham-newsletter": 31, "ham": 45, "phish": 45, "spam": 45}
MAX_RES, MAX_LINKS = 8, 4


def main():
    exe, corpus = sys.argv[1], sys.argv[2]
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(corpus, "index.tsv"))][1:]
    rows.sort(key=lambda r: hashlib.sha256(r[0].encode()).hexdigest())
    taken = {k: 0 for k in QUOTA}
    # unspy newsletters are real newsletters too
    out = []
    for r in rows:
        path, source, label = r[0], r[1], r[2]
        if source == "unspy_newsletters":
            label = "ham-newsletter"
        if label not in QUOTA or taken[label] >= QUOTA[label]:
            continue
        res = subprocess.run([exe, "scan", "--quiet", os.path.join(corpus, path)],
                             capture_output=True, text=True)
        if res.returncode != 0 or not res.stdout.strip():
            continue
        m = json.loads(res.stdout.splitlines()[0])
        remote = [x for x in m["resources"] if x["url"].lower().startswith(("http:", "https:", "//"))]
        links = [x for x in m["links"] if x["url"].lower().startswith(("http:", "https:"))]
        if not remote:
            continue
        taken[label] += 1
        for x in remote[:MAX_RES]:
            out.append([path, label, "resource", x["element"], x["tag"], str(x["width"]), str(x["height"]),
                        ",".join(x["hidden"]) or "-", x["alt"] if x["alt"] is not None else "(none)", x["url"]])
        for x in links[:MAX_LINKS]:
            out.append([path, label, "link", x["tag"], x["tag"], "", "", ",".join(x.get("hidden", [])) or "-",
                        (x.get("text") or "")[:60], x["url"]])
    print("file\tlabel\tkind\telement\ttag\twidth\theight\thidden\talt_or_text\turl")
    for o in out:
        print("\t".join(c.replace("\t", " ").replace("\n", " ") for c in o))
    print(taken, file=sys.stderr)


main()
