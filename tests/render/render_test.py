#!/usr/bin/env python3
"""Proof by rendering: the HTML of original and rewritten test messages is
opened in headless Chromium (Debian's chromium, driven by playwright-core
from npm), with every request logged and blocked (tests/render/render.mjs).

Checks, per message:
- before rewriting, every tracker image Portcullis reports is requested by
  the browser (so the test set really fires trackers);
- after rewriting, no tracker URL is requested at all;
- after rewriting (remote_images = keep), every non-tracking remote image
  that was requested before is still requested.

Messages: the synthetic set (tests/trackers/synth.py) and, when
../shared/corpus is present, its newsletters and a sample of ham/phish/spam
with remote images. Exit 77 when Chromium or node is absent.

Also the evasion set (tests/trackers/evasions.py), scanned with
docs/demo.conf: every request judged a tracker (style sheets, fonts,
cursors, prefetches ... not only images) must be gone after rewriting.

usage: render_test.py PORTCULLIS SYNTH.py CORPUS [MORE.py ...]
"""
import email, email.policy, json, os, re, shutil, subprocess, sys, tempfile, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))


def html_of(path):
    m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    out = []
    for p in m.walk():
        if p.get_content_type() == "text/html" and not p.is_attachment():
            try:
                h = p.get_content()
            except Exception:
                continue
            # a client that honours Content-Base (old Outlook) or an absolute
            # Content-Location resolves relative URLs against it: so does
            # this page, through the <base> it is given
            cb = str(p.get("Content-Base") or p.get("Content-Location") or "").replace('"', "").strip()
            if re.match(r"(?i)https?://", cb) and not re.search(r"(?i)<base[\s>]", h):
                h = '<base href="%s">' % cb + h
            out.append(h)
    return "\n".join(out)


def norm(u):
    """A URL as the browser requests it, for comparing with the message's."""
    try:
        p = urllib.parse.urlsplit(u.strip())
        if not p.scheme:
            p = urllib.parse.urlsplit("https:" + u.strip() if u.strip().startswith("//") else u.strip())
        host = (p.hostname or "").lower()
        path = urllib.parse.unquote(p.path or "/")
        query = urllib.parse.unquote(p.query or "")
        return (host, path, query)
    except ValueError:
        return (u,)


def main():
    exe, synth, corpus = sys.argv[1:4]
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not shutil.which("node") or not os.path.exists(chromium):
        print("chromium or node absent: skipped")
        return 77
    major = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip().lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < 20:
        print("node %s: playwright-core needs Node.js 20 or later: skipped" % major)
        return 77
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            print("npm ci failed: cannot install playwright-core")
            return 1
    work = tempfile.mkdtemp(prefix="pc-render-")
    src, out = os.path.join(work, "in"), os.path.join(work, "out")
    os.mkdir(src)
    subprocess.run([sys.executable, synth, exe, "--write", src], check=True, capture_output=True)
    for more in sys.argv[4:]:
        subprocess.run([sys.executable, more, exe, "--write", src], check=True, capture_output=True)
    inputs = [os.path.join(src, f) for f in sorted(os.listdir(src))]
    if os.path.isdir(corpus):
        rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(corpus, "index.tsv"))][1:]
        want = {"ham-newsletter": 40, "ham": 25, "phish": 25, "spam": 25}
        for r in rows:
            label = "ham-newsletter" if r[1] == "unspy_newsletters" else r[2]
            if want.get(label, 0) > 0 and r[0].endswith(".eml"):
                p = os.path.join(corpus, r[0])
                if b"<img" in open(p, "rb").read().lower():
                    want[label] -= 1
                    inputs.append(p)
    # scan once with --rewrite; names in the output follow the input file names
    conf = os.path.join(HERE, "..", "..", "docs", "demo.conf")
    res = subprocess.run([exe, "scan", "--quiet", "-c", conf, "--rewrite", out, *inputs], capture_output=True,
                         text=True)
    reports = [json.loads(l) for l in res.stdout.splitlines()]
    names, pages = {}, []
    for i, rep in enumerate(reports):
        base = os.path.basename(rep["source"])
        if base in names:
            continue  # duplicate file names: the rewritten copy is NAME.N.eml
        names[base] = rep
        for tag, path in (("before", rep["source"]), ("after", os.path.join(out, base))):
            h = os.path.join(work, "%d-%s.html" % (i, tag))
            open(h, "w", encoding="utf-8").write(html_of(path))
            pages.append(h)
    r = subprocess.run(["node", os.path.join(HERE, "render.mjs"), *pages], capture_output=True, text=True, timeout=1500)
    if r.returncode != 0:
        print(r.stderr[-3000:])
        print("render.mjs failed")
        return 1
    seen = json.loads(r.stdout)
    fails = 0
    fired = fired_total = kept = kept_total = msgs_with_trackers = 0
    for i, rep in enumerate(reports):
        base = os.path.basename(rep["source"])
        if names.get(base) is not rep:
            continue
        before = {norm(u) for u in seen[os.path.join(work, "%d-before.html" % i)]}
        after = {norm(u) for u in seen[os.path.join(work, "%d-after.html" % i)]}
        # a relative URL is requested as what <base> or Content-Base made it
        resolved = {x["url"]: x["resolved"] for x in rep["resources"] if x.get("resolved")}
        tracker_urls = {norm(resolved.get(t["url"], t["url"])) for t in rep["trackers"]
                        if t["element"] not in ("a", "header")}
        img_trackers = {norm(resolved.get(t["url"], t["url"])) for t in rep["trackers"] if t["element"] == "img"}
        if tracker_urls:
            msgs_with_trackers += 1
        for u in img_trackers:
            fired_total += 1
            fired += u in before
            if u not in before:
                fails += 1
                print("FAIL %s: tracker image not requested before rewriting (test set does not fire it): %s"
                      % (rep["source"], u))
        leaked = tracker_urls & after
        if leaked:
            fails += 1
            print("FAIL %s: after rewriting, the browser still requests %s" % (rep["source"], sorted(leaked)[0]))
        others = {norm(x.get("resolved") or x["url"]) for x in rep["resources"] if x["element"] == "img"} - tracker_urls
        for u in others & before:
            kept_total += 1
            if u in after:
                kept += 1
            else:
                fails += 1
                print("FAIL %s: non-tracking image no longer loaded: %s" % (rep["source"], u))
    print("render: %d messages (%d with trackers); tracker images requested before rewriting: %d/%d; "
          "tracker requests after: %s; non-tracking images still loaded: %d/%d; %d failed"
          % (len(names), msgs_with_trackers, fired, fired_total, "none" if not fails else "some", kept, kept_total, fails))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if fails else 0


sys.exit(main())
