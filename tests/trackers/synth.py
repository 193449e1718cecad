#!/usr/bin/env python3
"""Synthetic tracker messages: one per signal and one per leak encoding.

Each generated message carries exactly one planted tracker next to ordinary
content (a logo with alt text, a content image with a content-hash name, a
plain article link), and states what must be found. The test checks that
the planted tracker is reported with the expected element, signal and leak
encoding, and that nothing else in the message is reported; messages
without remote content must report no tracker at all.

usage: synth.py PORTCULLIS [--write DIR]
"""
import base64, hashlib, json, os, subprocess, sys, tempfile, urllib.parse

RCPT = "Jane.Doe@Example.org"
TO = "Jane Doe <%s>" % RCPT


def msg(html, extra_headers=""):
    return ("From: Daily Ledger <news@dailyledger.example>\nTo: %s\nSubject: Today\n%s"
            "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
            "<html><body><img src=\"https://cdn.dailyledger.example/logo.png\" alt=\"Daily Ledger\" width=\"200\" height=\"60\">\n"
            "<p>Story text.</p><img src=\"https://cdn.dailyledger.example/img/8c1e0c7d2b6f4e2a9d3b5f7a1c9e0b2d.jpg\" alt=\"photo\" width=\"600\" height=\"300\">\n"
            "<a href=\"https://www.dailyledger.example/world/2024/story\">Read more</a>\n%s\n</body></html>\n") % (TO, extra_headers, html)


def digests(s):
    out = {}
    for name in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512"):
        d = hashlib.new(name, s.encode()).digest()
        out[name] = d
    return out


def cases():
    c = []
    T = "https://t.mailer.example"
    # strong signals, each alone (no token, no tracking words)
    c.append(("size-1x1", msg('<img src="https://img.example.net/a.gif" width="1" height="1" alt="x">'), "img", "size-1x1", None))
    c.append(("size-3x2", msg('<img src="https://img.example.net/a.gif" style="width:3px;height:2px" alt="x">'), "img", "size-3x2", None))
    c.append(("size-0", msg('<img src="https://img.example.net/a.gif" width="0" height="0" alt="x">'), "img", "size-0x0", None))
    c.append(("display-none", msg('<img src="https://img.example.net/a.gif" style="display:none" alt="x">'), "img", "hidden-display-none", None))
    c.append(("visibility", msg('<img src="https://img.example.net/a.gif" style="visibility:hidden" alt="x">'), "img", "hidden-visibility", None))
    c.append(("opacity", msg('<img src="https://img.example.net/a.gif" style="opacity:0" alt="x">'), "img", "hidden-opacity-0", None))
    c.append(("max-size", msg('<img src="https://img.example.net/a.gif" style="max-width:0" alt="x">'), "img", "hidden-max-size-0", None))
    c.append(("hidden-attr", msg('<img src="https://img.example.net/a.gif" hidden alt="x">'), "img", "hidden-attribute", None))
    c.append(("container", msg('<div style="display:none"><img src="https://img.example.net/a.gif" alt="x"></div>'), "img", "hidden-container", None))
    c.append(("zero-container", msg('<div style="width:0;height:0;overflow:hidden"><img src="https://img.example.net/a.gif" alt="x"></div>'), "img", "hidden-zero-container", None))
    c.append(("stylesheet-class", msg('<style>.x-hide{display:none}</style><img class="x-hide" src="https://img.example.net/a.gif" width="120" height="80" alt="x">'), "img", "hidden-stylesheet", None))
    c.append(("stylesheet-id", msg('<style>#t1 { visibility: hidden; }</style><img id="t1" src="https://img.example.net/a.gif" alt="x">'), "img", "hidden-stylesheet", None))
    c.append(("css-bg-hidden", msg('<div style="display:none;background-image:url(https://img.example.net/b.png)">x</div>'), "css", "hidden-display-none", None))
    # weak signals, two together
    c.append(("token+path", msg('<img src="%s/open/3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f" alt="x">' % T), "img", "token-uuid", None))
    c.append(("hex+query", msg('<img src="https://img.example.net/p?id=5f4dcc3b5aa765d61d8327deb882cf99" alt="">'), "img", "token-hex", None))
    c.append(("b64+wf-open", msg('<img src="https://u123.ct.sendgrid.example/wf/open?upn=Xk9aQ2ZtR3pLmN8bV7cD1eF4gH6jK0" alt="">'), "img", "path-open", None))
    c.append(("beacon-last", msg('<img src="https://stats.example.net/beacon.gif?c=7">'), "img", "path-open", None))
    c.append(("pixel-path", msg('<img src="https://stats.example.net/pixel/track.png?cid=41">'), "img", "path-open", None))
    # click trackers
    c.append(("wrap-url", msg('<a href="https://click.mailer.example/c?u=https%3A%2F%2Fwww.dailyledger.example%2Fa&id=9">x</a>'), "a", "wraps-url", None))
    dest = base64.urlsafe_b64encode(b"https://www.dailyledger.example/b").decode().rstrip("=")
    c.append(("wrap-b64", msg('<a href="https://links.mailer.example/ls/click/%s">x</a>' % dest), "a", "wraps-url", None))
    c.append(("click-token", msg('<a href="https://click.mailer.example/ls/click?upn=Qm9vbGVhbkZsYWdzWGs5YVEyWnQ">x</a>'), "a", "token-b64", None))
    # read receipt
    c.append(("read-receipt", msg("<p>hi</p>", "Disposition-Notification-To: news@dailyledger.example\n"), "header", "read-receipt", None))
    c.append(("return-receipt", msg("<p>hi</p>", "Return-Receipt-To: news@dailyledger.example\n"), "header", "read-receipt", None))
    c.append(("confirm-reading", msg("<p>hi</p>", "X-Confirm-Reading-To: news@dailyledger.example\n"), "header", "read-receipt", None))
    # leaks: every encoding, of the address and the local part, in three cases
    forms = {"address": RCPT, "local": RCPT.split("@")[0]}
    cases_ = {"written": lambda s: s, "lower": str.lower, "upper": str.upper}
    for fname, base_ in forms.items():
        for cname, f in cases_.items():
            v = f(base_)
            tag = "%s-%s" % (fname, cname)
            enc = {}
            if fname == "address" or len(v) >= 4:
                enc["plain"] = v if fname == "local" else None
            if fname == "address":
                enc["urlenc"] = urllib.parse.quote(v, safe="")
            enc["b64"] = base64.b64encode(v.encode()).decode()
            enc["b64url"] = base64.urlsafe_b64encode(v.encode()).decode().rstrip("=")
            enc["hex"] = v.encode().hex()
            enc["hexupper"] = v.encode().hex().upper()
            for algo, d in digests(v).items():
                enc[algo + "-hex"] = d.hex()
                enc[algo + "-b64"] = base64.b64encode(d).decode()
                enc[algo + "-b64url"] = base64.urlsafe_b64encode(d).decode().rstrip("=")
            for e, val in enc.items():
                if val is None:
                    continue
                expect = e.split("-")[0]
                expect = {"b64url": "b64", "hexupper": "hex"}.get(expect, expect)
                q = val if e == "urlenc" else urllib.parse.quote(val, safe="")
                # visible image (no strong signal other than the leak)
                c.append(("leak-%s-%s" % (tag, e),
                          msg('<img src="https://img.example.net/banner.jpg?r=%s" alt="banner" width="600" height="100">' % q),
                          "img", "leak-" + expect, expect))
    # plain address in a path segment and in a fragment, and inside base64 data
    c.append(("leak-path", msg('<img src="https://img.example.net/u/%s/banner.jpg" alt="b" width="600" height="100">' % RCPT), "img", "leak-plain", "plain"))
    c.append(("leak-fragment", msg('<a href="https://www.example.net/page#%s">x</a>' % urllib.parse.quote(RCPT)), "a", "leak-urlenc", "urlenc"))
    blob = base64.b64encode(('{"email":"%s","list":7}' % RCPT).encode()).decode()
    c.append(("leak-in-b64-json", msg('<img src="https://img.example.net/banner.jpg?d=%s" alt="b" width="600" height="100">' % urllib.parse.quote(blob, safe="")), "img", "leak-b64", "b64"))
    return c


NEGATIVE = [
    ("no-remote", "From: a@b.example\nTo: %s\nSubject: x\n\nPlain text, no links.\n" % TO),
    ("local-images", "From: a@b.example\nTo: %s\nSubject: x\nContent-Type: text/html\n\n<img src=\"cid:logo\" width=1 height=1><img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">\n" % TO),
    ("ordinary", msg("")),
    ("logos-and-signature", msg(
        '<table><tr><td><img src="https://www.acme-corp.example/assets/logo-2x.png" alt="ACME" width="160" height="48"></td></tr></table>'
        '<p>Best regards,<br>John</p><img src="https://www.acme-corp.example/email/signature/john-smith.png" width="300" height="90">'
        '<img src="https://www.acme-corp.example/static/social/linkedin.png" alt="in" width="24" height="24">')),
    ("content-hash-names", msg(
        '<img src="https://images.shop.example/p/3f8a1c2e9b7d4f60a1b2c3d4e5f60718.jpg" alt="Shoe" width="280" height="280">'
        '<img src="https://cdn.shop.example/static/app.7c9e2a1f4b8d3e6a.css.png" width="100" height="40" alt="">'
        '<img src="https://images.shop.example/p/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d/large.webp" alt="Bag" width="280" height="280">')),
    ("mobile-twin-revealed-by-media", msg(
        '<style>.mobile-only{display:none} @media screen and (max-width:600px){ .mobile-only{display:block !important} }</style>'
        '<img class="mobile-only" src="https://cdn.dailyledger.example/hero-mobile.jpg" alt="Hero" width="320" height="200">')),
    ("cdn-resized-images", msg(
        '<img src="https://cdn.shop.example/img/summer.jpg?w=600&h=300&fit=crop&auto=format" alt="Summer" width="600">'
        '<img src="https://cdn.shop.example/img/logo.png?v=3" alt="">')),
]


def scan(exe, text):
    with tempfile.NamedTemporaryFile("w", suffix=".eml", delete=False) as f:
        f.write(text)
        p = f.name
    try:
        out = subprocess.run([exe, "scan", "--quiet", p], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(p)
    return json.loads(out.splitlines()[0])


def main():
    exe = sys.argv[1]
    write = sys.argv[sys.argv.index("--write") + 1] if "--write" in sys.argv else None
    ok = bad = 0
    leaks_total = leaks_right = 0
    for name, text, element, signal, leak in cases():
        if write:
            open(os.path.join(write, name + ".eml"), "w").write(text)
        m = scan(exe, text)
        ts = m["trackers"]
        good = len(ts) == 1 and ts[0]["element"] == element and signal in ts[0]["signals"]
        if leak:
            leaks_total += 1
            if ts and ts[0].get("leak") == leak:
                leaks_right += 1
            good = good and ts[0].get("leak") == leak
        if good:
            ok += 1
        else:
            bad += 1
            print("FAIL %s: expected %s/%s/%s, got %s" % (name, element, signal, leak,
                  [(t["element"], t["signals"], t.get("leak")) for t in ts]))
    for name, text in NEGATIVE:
        m = scan(exe, text)
        if m["trackers"]:
            bad += 1
            print("FAIL %s: trackers reported in a message without trackers: %s" % (name, m["trackers"]))
        else:
            ok += 1
    print("synthetic: %d cases passed, %d failed; leaks named right: %d/%d" % (ok, bad, leaks_right, leaks_total))
    return 1 if bad else 0


sys.exit(main())
