#!/usr/bin/env python3
"""The rewriter's contract, checked on the synthetic set and (when present)
on every 7th message of ../shared/corpus:

- the output re-parses: scanning it finds no new parse damage;
- no neutralisable tracker is left (resources and wrapped/leaking links in
  HTML parts that were rewritten);
- rewriting the output again changes nothing (idempotent);
- every MIME part but the text/html and text/plain ones it may edit is
  byte-identical (Python's email package reads both and compares the raw
  payloads);
- with rewrite.remote_images = block no remote image is left.

usage: rewrite_test.py PORTCULLIS SYNTH.py CORPUS
"""
import email, email.policy, json, os, subprocess, sys, tempfile

DAMAGE = ("parse.bad-boundary", "parse.truncated", "parse.header", "parse.not-mail", "parse.invalid-bytes")


def scan_dir(exe, inputs, outdir, extra=()):
    r = subprocess.run([exe, "scan", "--quiet", "--rewrite", outdir, *extra, *inputs], capture_output=True, text=True)
    if r.returncode not in (0, 2):
        raise SystemExit("scan failed: %s" % r.stderr)
    return [json.loads(l) for l in r.stdout.splitlines()]


def non_html_parts(raw):
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    out = []
    for p in m.walk():
        # the parts the rewriter may edit: HTML, and plain text with links
        if p.is_multipart() or (p.get_content_type() in ("text/html", "text/plain") and "attachment" not in str(p.get("Content-Disposition", "")).lower()):
            continue
        out.append((p.get_content_type(), p.get_payload(decode=False)))
    return out


def main():
    exe, synth, corpus = sys.argv[1:4]
    work = tempfile.mkdtemp(prefix="pc-rewrite-")
    src = os.path.join(work, "in")
    os.mkdir(src)
    subprocess.run([sys.executable, synth, exe, "--write", src], check=True, capture_output=True)
    inputs = sorted(os.path.join(src, f) for f in os.listdir(src))
    if os.path.isdir(corpus):
        idx = [l.split("\t")[0] for l in open(os.path.join(corpus, "index.tsv"))][1:]
        inputs += [os.path.join(corpus, f) for f in idx[::7]]
    fails = 0
    checked = changed = 0
    for mode in ("keep", "block"):
        extra = ["--set", "rewrite.remote_images=" + mode]
        o1, o2 = os.path.join(work, mode + "1"), os.path.join(work, mode + "2")
        before = scan_dir(exe, inputs, o1, extra)
        outs = sorted(os.listdir(o1))
        after = scan_dir(exe, [os.path.join(o1, f) for f in outs], o2, extra)
        by_name = {os.path.basename(a["source"]): a for a in after}
        seen = {}
        for b in before:
            k = os.path.basename(b["source"])
            seen[k] = seen.get(k, 0) + 1
        for b in before:
            if seen[os.path.basename(b["source"])] > 1:
                continue  # same file name twice: written as NAME.N.eml, not matched here
            name = os.path.basename(b["source"]).replace(":", "_")
            if not name.endswith(".eml"):
                name += ".eml"
            a = by_name.get(name)
            if a is None:
                continue  # mbox members and name collisions: covered by the count below
            checked += 1
            orig = open(b["source"].rsplit(":", 1)[0] if not os.path.exists(b["source"]) else b["source"], "rb").read()
            new = open(os.path.join(o1, name), "rb").read()
            again = open(os.path.join(o2, name), "rb").read()
            if new != orig:
                changed += 1
            problems = []
            if again != new:
                problems.append("not idempotent")
            dmg_b = {f["detector"] for f in b["findings"] if f["detector"] in DAMAGE}
            dmg_a = {f["detector"] for f in a["findings"] if f["detector"] in DAMAGE}
            if dmg_a - dmg_b:
                problems.append("new damage %s" % (dmg_a - dmg_b))
            if new != orig and b["source"].endswith(".eml") and b.get("size") == len(orig):
                if non_html_parts(orig) != non_html_parts(new):
                    problems.append("a non-HTML part changed")
            left = [t for t in a["trackers"] if t["element"] not in ("a", "header") and t["url"].lower().startswith(("http", "//"))]
            attached = {p["path"] for p in a["parts"] if p.get("disposition") == "attachment"}
            html_left = [t for t in left if any(r["url"] == t["url"] and r["part"] not in attached for r in a["resources"])]
            if new != orig and html_left:
                problems.append("tracker left: %s" % html_left[0]["url"][:100])
            if mode == "block" and new != orig:
                imgs = [r for r in a["resources"] if r["element"] in ("img", "input") and r["part"] not in attached]
                if imgs:
                    problems.append("remote image left with block: %s" % imgs[0]["url"][:80])
            if problems:
                fails += 1
                print("FAIL %s [%s]: %s" % (b["source"], mode, "; ".join(problems)))
    print("rewrite: %d messages checked (%d changed), %d failed" % (checked, changed, fails))
    return 1 if fails else 0


sys.exit(main())
