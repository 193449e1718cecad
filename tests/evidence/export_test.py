#!/usr/bin/env python3
"""Evidence exports and the round trip between two organisations (evidence.export).

usage: export_test.py PORTCULLIS SCHEMAS_DIR

1. The campaign test world (tests/campaigns/gen.py, quick preset) is split by
   recipient: organisation A is the parliament (example-parliament.org), B
   every other organisation. A scans its mail with `scan --db`.
2. Every campaign A's store marks malicious is exported as STIX 2.1, MISP,
   HTML and PDF. Each bundle validates against the OASIS schemas
   (SCHEMAS_DIR) and every pattern parses by the STIX patterning grammar
   (validate.py); each MISP event passes validate.py's MISP checks; the
   HTML has no script, no remote reference and no live link; the PDF is a
   PDF whose first page, turned into PNG by pdftoppm, is not blank.
   --recipients none leaves no recipient at all; hashed none in clear.
3. Round trip: B runs `hunt --ioc` with A's bundle (and, separately, with
   A's MISP event) over B's mail, and with `ioc add` + `scan --db` (the
   milter's path). Every copy B received of a campaign A exported is found,
   though B's copies have other recipients and tokens; no message of another
   campaign, newsletter or ham is.
4. Hostile content: a campaign whose subject, display name, URLs and
   headers carry markup, quotes, control characters, bidi overrides and
   invalid UTF-8 exports as valid JSON/STIX/MISP and HTML where none of it
   is live.
Prints what it measured; exit 1 on any failure, 77 when python3-jsonschema
is missing.
"""
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "campaigns", "gen.py")
VALIDATE = os.path.join(HERE, "validate.py")
A_DOMAIN = "example-parliament.org"

failures = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f"  {str(detail)[:1500]}"))
    if not cond:
        failures.append(name)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=kw.pop("timeout", 600), **kw)


def recipient_domain(path):
    with open(path, "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.compat32)
    for h in ("Delivered-To", "X-Original-To", "To"):
        v = m.get(h)
        if v:
            a = email.utils.parseaddr(str(v))[1]
            if "@" in a:
                return a.rsplit("@", 1)[1].lower()
    return ""


def hostile_campaign(d, n=6):
    """n copies of one template whose every field an attacker wrote is hostile."""
    os.makedirs(d, exist_ok=True)
    for i in range(n):
        subj = "Urgent </title><script>alert(1)</script> \u202eevil\u202c \x01 ' \" ]]> \\ review"
        body = (f"<html><body><p>Dear colleague,</p><p>Please review the attached \"report\" <b>today</b>; "
                f"the committee meets on Thursday and your view matters.</p>"
                f"<p><a href=\"javascript:alert('x')\">open</a> "
                f"<a href=\"https://evil.example.net/r?u={i}x{i * 7919:08x}&amp;q='&quot;>&lt;\">read</a></p>"
                f"<img src=\"https://px.evil-track.net/o/{i * 104729:012x}.gif?c=\\'x\" width=\"1\" height=\"1\" "
                f"style=\"display:none\"></body></html>")
        raw = ("From: =?utf-8?b?" + __import__("base64").b64encode("Anna <b>\"Press\"</b> \u202e".encode()).decode() +
               f"?= <press{i % 2}@evil-news.example>\r\n"
               f"To: r{i}@{A_DOMAIN}\r\nDelivered-To: r{i}@{A_DOMAIN}\r\n"
               f"Reply-To: \"<svg onload=x>\" <reply@evil-news.example>\r\n"
               f"Subject: {subj}\r\nDate: Thu, 26 Nov 2026 0{i % 10}:00:00 +0000\r\n"
               f"Message-ID: <h{i}.\"<x>\"@evil-news.example>\r\n"
               f"Received: from mx.evil-news.example ([203.0.113.{50 + i % 2}]) by mx.{A_DOMAIN}; "
               f"Thu, 26 Nov 2026 0{i % 10}:00:00 +0000\r\n"
               "X-Junk: \x1b[31mred\x1b[0m\r\n"
               "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n").encode() + body.encode()
        raw = raw.replace(b"review", b"review \xff\xfe", 1)  # invalid UTF-8 in the subject
        with open(os.path.join(d, f"h{i}.eml"), "wb") as f:
            f.write(raw)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__)
        return 2
    exe, schemas = args[0], args[1]
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        print("SKIP: python3-jsonschema not installed")
        return 77
    if not os.path.isdir(schemas):
        print(f"SKIP: no STIX schemas at {schemas}")
        return 77
    tmp = tempfile.mkdtemp(prefix="pc-export-")
    try:
        return body(exe, schemas, tmp)
    finally:
        if os.environ.get("PC_KEEP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def body(exe, schemas, tmp):
    world = os.path.join(tmp, "world")
    r = run([sys.executable, GEN, world, "--preset", "quick", "--seed", "16"])
    check("world generated", r.returncode == 0, r.stderr)
    labels = {}
    for line in open(os.path.join(world, "labels.tsv")):
        p = line.rstrip("\n").split("\t")
        if len(p) >= 3 and p[0] != "file":
            labels[p[0]] = (p[1], p[2])
    conf = os.path.join(world, "portcullis.conf")
    a_dir, b_dir = os.path.join(tmp, "A"), os.path.join(tmp, "B")
    where = {}
    for rel in labels:
        src = os.path.join(world, "mail", rel)
        org = "A" if recipient_domain(src) == A_DOMAIN else "B"
        dst = os.path.join(a_dir if org == "A" else b_dir, rel.replace("/", "_"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
        where[os.path.basename(dst)] = (org, labels[rel])
    hostile = os.path.join(a_dir, "hostile")
    hostile_campaign(hostile)
    for f in os.listdir(hostile):
        where[f] = ("A", ("malicious", "hostile"))
    na = sum(1 for v in where.values() if v[0] == "A")
    print(f"world: {len(where)} messages, A {na}, B {len(where) - na}")

    db = os.path.join(tmp, "A.db")
    qdir = os.path.join(tmp, "quarantine")
    t0 = time.monotonic()
    r = run([exe, "scan", "-q", "--config", conf, "--db", db, a_dir])
    check("A scans its mail", r.returncode == 0, r.stderr)
    print(f"scan --db of A: {time.monotonic() - t0:.2f} s")
    r = run([exe, "campaigns", "--db", db, "--json", "--min-size", "2"])
    camps = json.loads(r.stdout or b"[]")
    # the hostile campaign is marked by an analyst (its reason hostile too)
    label_of = {}
    for c in camps:
        members = [os.path.basename(m) for m in c.get("members", [])]
        ls = [where.get(m, ("?", ("?", "?")))[1][1] for m in members]
        label_of[c["id"]] = max(set(ls), key=ls.count) if ls else "?"
    hostile_ids = [cid for cid, l in label_of.items() if l == "hostile"]
    check("the hostile copies are one campaign", len(hostile_ids) == 1, label_of)
    for cid in hostile_ids:
        r = run([exe, "campaigns", "mark", str(cid), "malicious", "--db", db, "--reason",
                 "analyst: <script>alert(2)</script>\u202e"])
        check("hostile campaign marked by an analyst", r.returncode == 0, r.stderr)
    camps = json.loads(run([exe, "campaigns", "--db", db, "--json", "--min-size", "2"]).stdout or b"[]")
    malicious = [c for c in camps if c.get("status") == "malicious"]
    check("A has malicious campaigns to export", len(malicious) >= 3, [c["id"] for c in camps])

    out = os.path.join(tmp, "out")
    os.makedirs(out)
    sizes, times = {}, {}
    pdf_ok = 0
    for c in malicious:
        cid = c["id"]
        for fmt in ("stix", "misp", "html", "pdf", "case"):
            path = os.path.join(out, f"c{cid}.{fmt}")
            t0 = time.monotonic()
            r = run([exe, "evidence", "export", str(cid), "--db", db, "--config", conf, "--format", fmt, "--output",
                     path], timeout=180)
            times.setdefault(fmt, []).append(time.monotonic() - t0)
            ok = r.returncode == 0 and os.path.exists(path)
            check(f"campaign {cid} ({label_of.get(cid)}): export {fmt}", ok, r.stderr)
            if ok:
                sizes.setdefault(fmt, []).append(os.path.getsize(path))
        stix = os.path.join(out, f"c{cid}.stix")
        r = run([sys.executable, VALIDATE, "stix", stix, "--schemas", schemas])
        check(f"campaign {cid}: STIX bundle valid (schemas, patterns, refs)", r.returncode == 0,
              (r.stdout + r.stderr).decode(errors="replace"))
        r = run([sys.executable, VALIDATE, "misp", os.path.join(out, f"c{cid}.misp")])
        check(f"campaign {cid}: MISP event valid", r.returncode == 0, (r.stdout + r.stderr).decode(errors="replace"))
        html = open(os.path.join(out, f"c{cid}.html"), encoding="utf-8", errors="strict").read()
        low = html.lower()
        check(f"campaign {cid}: HTML has no script, no remote reference, no link",
              "<script" not in low and "<link" not in low and "<a " not in low and "src=" not in low
              and "url(" not in low and "@import" not in low, re.findall(r"<(script|link|a |img)[^>]*", low)[:5])
        check(f"campaign {cid}: HTML has its plots", low.count("<svg") >= 2, low.count("<svg"))
        pdf = os.path.join(out, f"c{cid}.pdf")
        if os.path.exists(pdf) and open(pdf, "rb").read(5) == b"%PDF-":
            pdf_ok += 1
        check(f"campaign {cid}: PDF", os.path.exists(pdf) and open(pdf, "rb").read(5) == b"%PDF-")
        case = json.load(open(os.path.join(out, f"c{cid}.case")))
        rc = [r for m in case["members"] for r in m.get("rcpt", [])]
        check(f"campaign {cid}: recipients hashed by default",
              rc and all(x.startswith("sha256:") for x in rc) and A_DOMAIN not in json.dumps(rc), rc[:3])
        with open(stix, encoding="utf-8") as f:
            text = f.read()
        check(f"campaign {cid}: no recipient address in the bundle", f"@{A_DOMAIN}" not in text,
              re.findall(r"[\w.+-]+@" + re.escape(A_DOMAIN), text)[:3])
    for fmt in sizes:
        print(f"export {fmt}: {len(sizes[fmt])} files, median {sorted(sizes[fmt])[len(sizes[fmt]) // 2]} bytes, "
              f"median {sorted(times[fmt])[len(times[fmt]) // 2]:.2f} s")

    # --recipients none and clear
    cid = malicious[0]["id"]
    r = run([exe, "evidence", "export", str(cid), "--db", db, "--config", conf, "--format", "case", "--recipients",
             "none"])
    case = json.loads(r.stdout)
    check("--recipients none: no rcpt at all", all("rcpt" not in m for m in case["members"]))
    r = run([exe, "evidence", "export", str(cid), "--db", db, "--config", conf, "--format", "stix", "--recipients",
             "clear"])
    check("--recipients clear: addresses in the bundle", f"@{A_DOMAIN}" in r.stdout.decode())
    p = os.path.join(out, "clear.stix")
    open(p, "wb").write(r.stdout)
    r = run([sys.executable, VALIDATE, "stix", p, "--schemas", schemas])
    check("--recipients clear bundle valid", r.returncode == 0, r.stdout.decode(errors="replace"))

    # the PDF's first page as PNG: not blank
    if shutil.which("pdftoppm"):
        pdf = os.path.join(out, f"c{cid}.pdf")
        r = run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", pdf, os.path.join(out, "page")])
        pngs = [f for f in os.listdir(out) if f.startswith("page") and f.endswith(".png")]
        check("pdftoppm: page 1 as PNG", r.returncode == 0 and pngs, r.stderr)
        if pngs and shutil.which("pdftotext"):
            t = run(["pdftotext", "-l", "1", pdf, "-"]).stdout.decode(errors="replace")
            check("page 1 names the campaign", f"{cid}" in t, t[:300])

    # 3. the round trip: B hunts with A's exports
    exported = {label_of[c["id"]] for c in malicious}
    b_files = {f: v for f, v in where.items() if v[0] == "B"}
    want = {f for f, v in b_files.items() if v[1][1] in exported}
    check("B has copies of the exported campaigns", len(want) > 0, exported)

    def hunted(ioc):
        r = run([exe, "hunt", "--config", conf, "--ioc", ioc, b_dir])
        found = set()
        for line in r.stdout.decode().splitlines():
            try:
                j = json.loads(line)
            except ValueError:
                continue
            found.add(os.path.basename(j.get("source", "").split(":")[0]))
        return r, found

    for fmt in ("stix", "misp"):
        found_all = set()
        for c in malicious:
            r, found = hunted(os.path.join(out, f"c{c['id']}.{fmt}"))
            check(f"hunt --ioc {fmt} of campaign {c['id']} runs", r.returncode == 0, r.stderr[-500:])
            found_all |= found
        tp = len(found_all & want)
        fp = sorted(found_all - want)
        print(f"round trip ({fmt}): B has {len(want)} copies of A's {len(exported)} exported campaigns; "
              f"found {tp}, other messages found {len(fp)}")
        check(f"round trip {fmt}: every copy B received is found", tp == len(want), sorted(want - found_all)[:5])
        check(f"round trip {fmt}: nothing else is found", not fp,
              [(f, b_files.get(f, ("?", "?"))[1]) for f in fp[:5]])

    # the tokens alone: only the URL-template indicators (a sender that
    # changes its addresses, subject and servers for B keeps its tracker)
    found_t = set()
    for c in malicious:
        b = json.load(open(os.path.join(out, f"c{c['id']}.stix")))
        objs = [o for o in b["objects"] if o["type"] == "indicator" and " MATCHES " in o["pattern"]]
        for o in objs:
            o.pop("x_portcullis_template", None)  # from the pattern alone
        if not objs:
            continue
        p = os.path.join(out, f"c{c['id']}.templates.json")
        json.dump({"type": "bundle", "id": b["id"], "objects": objs}, open(p, "w"))
        found_t |= hunted(p)[1]
    tp = len(found_t & want)
    print(f"round trip (URL templates only): found {tp} of {len(want)}, other messages {len(found_t - want)}")
    check("round trip by the token's place alone: 95% of B's copies", tp >= 0.95 * len(want), tp)
    check("round trip by templates: nothing else", not (found_t - want), sorted(found_t - want)[:5])

    # the milter's path: the sets kept in B's store, matched at delivery
    bdb = os.path.join(tmp, "B.db")
    for c in malicious:
        r = run([exe, "ioc", "add", f"A-{c['id']}", os.path.join(out, f"c{c['id']}.stix"), "--db", bdb])
        check(f"ioc add A-{c['id']}", r.returncode == 0, r.stderr)
    r = run([exe, "scan", "-q", "--config", conf, "--db", bdb, b_dir])
    hits = set()
    for line in r.stdout.decode().splitlines():
        j = json.loads(line)
        if any(f["detector"] == "ioc.match" for f in j["findings"]):
            check_v = j["verdict"] == "quarantine"
            if not check_v:
                failures.append("ioc hit not quarantined")
            hits.add(os.path.basename(j["source"]))
    print(f"at delivery (ioc sets in B's store): {len(hits & want)} of {len(want)} copies matched, "
          f"{len(hits - want)} other messages")
    check("at delivery: every copy matches, quarantined", want <= hits, sorted(want - hits)[:5])
    check("at delivery: nothing else matches", not (hits - want), sorted(hits - want)[:5])

    # 4. hostile content: valid everywhere, never live
    for cid in hostile_ids:
        stix = open(os.path.join(out, f"c{cid}.stix"), encoding="utf-8").read()
        json.loads(stix)
        check("hostile: bundle is ASCII JSON", stix.isascii())
        html = open(os.path.join(out, f"c{cid}.html"), encoding="utf-8").read()
        check("hostile: no live markup from the mail in the HTML",
              "<script>alert" not in html and "<svg onload" not in html and "</title><script" not in html
              and "javascript:alert" not in html.replace("javascript[:]", ""), "")
        check("hostile: bidi override shown, not obeyed", "\u202e" not in html and "U+202E" in html)
        check("hostile: no raw control characters", not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", html))
        misp = json.load(open(os.path.join(out, f"c{cid}.misp")))
        check("hostile: MISP subject kept as text", any("script" in a["value"] for a in misp["Event"]["Attribute"]
                                                         if a["type"] == "email-subject"))
    # 5. cost: a subject of 15,000 "a%40" (each a possible address to scrub)
    # exports at once (each '@' scans back at most 64 bytes: not quadratic)
    qd = os.path.join(tmp, "quadratic")
    os.makedirs(qd)
    for i in range(3):
        with open(os.path.join(qd, f"q{i}.eml"), "w") as f:
            f.write(f"From: Press <p@evil-news.example>\nTo: r{i}@{A_DOMAIN}\nSubject: {'a%40' * 15000}\n"
                    f"Message-ID: <q{i}@x>\nDate: Thu, 26 Nov 2026 04:00:00 +0000\nContent-Type: text/html\n\n"
                    "<p>Please read the attached report on the committee's work this week.</p>"
                    f"<img src=\"https://t.evil.example/o/{i:012x}abcdef.gif\" width=1 height=1>\n")
    qdb = os.path.join(tmp, "q.db")
    run([exe, "scan", "-q", "--db", qdb, qd])
    qc = json.loads(run([exe, "campaigns", "--db", qdb, "--json", "--min-size", "2"]).stdout or b"[]")
    check("the long-subject copies are one campaign", len(qc) == 1, qc)
    if qc:
        t0 = time.monotonic()
        r = run([exe, "evidence", "export", str(qc[0]["id"]), "--db", qdb, "--format", "stix"], timeout=60)
        took = time.monotonic() - t0
        print(f"export with 15,000 '%40' in each subject: {took:.2f} s")
        check("a subject full of '%40' exports in under 5 s", r.returncode == 0 and took < 5, (r.returncode, took))
    print(f"{'FAIL' if failures else 'ok'}: {len(failures)} failed; {pdf_ok} PDFs")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
