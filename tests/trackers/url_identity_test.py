#!/usr/bin/env python3
"""URL identity (issue 15, item 3): a tracker's URL written differently
elsewhere in the message is the same tracker, and `scan --rewrite` leaves no
spelling of it.

For each evasion, one message: a 1x1 pixel at
https://px.example/o/p.gif?id=77311, and the same URL spelt the evasive way
in a visible <img> (600x200, alt text: no signal of its own but the URL) and
in a link. Checked:
- the visible image is reported as a tracker, its `url` as written;
- after rewriting, no src or href of the HTML names the beacon's host in any
  spelling (read independently of Portcullis: entities decoded by Python's
  HTML parser, tab/LF/CR removed and the value lower-cased, as a browser
  reads it; every URL of px.example in these messages is the beacon);
- the link is gone too (its href replaced);
- rewriting the output again changes nothing;
- when tests/render can drive Chromium (node_modules installed by
  tests/render/render_test.py), the HTML before and after is rendered:
  before, Chromium requests the beacon from every spelling (the evasions
  are real); after, it requests nothing from px.example.
And for each spelling a browser reads as remote, one message where the
pixel itself is spelt that way and is its only use: it must be judged (a
remote resource, a tracker) and rewritten.

usage: url_identity_test.py PORTCULLIS
"""
import html.parser, json, os, shutil, subprocess, sys, tempfile

BEACON = "https://px.example/o/p.gif?id=77311"

# (name, the beacon as written inside a double-quoted attribute)
EVASIONS = [
    ("scheme-case", "HTTPS://px.example/o/p.gif?id=77311"),
    ("host-case", "https://PX.Example/o/p.gif?id=77311"),
    ("default-port", "https://px.example:443/o/p.gif?id=77311"),
    ("empty-port", "https://px.example:/o/p.gif?id=77311"),
    ("trailing-dot", "https://px.example./o/p.gif?id=77311"),
    ("dot-segment", "https://px.example/o/./p.gif?id=77311"),
    ("dotdot-segment", "https://px.example/o/x/../p.gif?id=77311"),
    ("encoded-dot-segment", "https://px.example/o/x/%2e%2E/p.gif?id=77311"),
    ("newline", "https://px.exa\nmple/o/p.gif?id=77311"),
    ("cr-lf-tab", "ht\r\ntps://px.example/o/p.g\tif?id=77311"),
    ("tab-entity", "https://px.exa&#9;mple/o/p.gif?id=773&#10;11"),
    ("no-slashes", "https:px.example/o/p.gif?id=77311"),
    ("one-slash", "https:/px.example/o/p.gif?id=77311"),
    ("three-slashes", "https:///px.example/o/p.gif?id=77311"),
    ("backslashes", "https:\\\\px.example\\o\\p.gif?id=77311"),
    ("empty-fragment", "https://px.example/o/p.gif?id=77311#"),
    ("fragment", "https://px.example/o/p.gif?id=77311#top"),
    ("userinfo", "https://reader@px.example/o/p.gif?id=77311"),
    ("scheme-relative", "//px.example/o/p.gif?id=77311"),
    ("escaped-unreserved", "https://px.example/o/p%2Egif?id=%377311"),
    ("spaces-around", " \t https://px.example/o/p.gif?id=77311 \t"),
    ("everything", "HTTPS:\\PX.EXAMPLE.:443\\o\\x\\..\\.\\p.gif?id=77311#"),
]


def message(name, pixel, variant):
    body = (
        "<html><body><p>Dear reader, this is %s.</p>\n"
        '<img src="%s" width="1" height="1">\n'
        '<p><img src="%s" width="600" height="200" alt="Our spring issue"></p>\n'
        '<p><a href="%s">Read the spring issue</a></p>\n'
        "</body></html>\n" % (name, pixel, variant, variant)
    )
    return (
        "From: Hannah Reyes <hannah@news.example>\r\n"
        "To: reader@example.org\r\n"
        "Subject: Spring issue (%s)\r\n"
        "Message-ID: <%s@news.example>\r\n"
        "Date: Mon, 1 Apr 2024 09:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n" % (name, name)
    ).encode() + body.replace("\n", "\r\n").encode()


class Urls(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and v is not None:
                self.urls.append((tag, k, v))


def urls_of(raw):
    text = raw.split(b"\r\n\r\n", 1)[1].decode("utf-8", "replace")
    p = Urls()
    p.feed(text)
    return p.urls


def names_beacon(v):
    """Whether an attribute value, read as a browser reads it, names the
    beacon's host: tab/LF/CR removed, case ignored."""
    s = "".join(c for c in v if c not in "\t\r\n").lower()
    return "px.example" in s


def as_written(variant):
    """The attribute value as the message has it (its lines end in CRLF)
    and as HTML reads it (CR LF and CR are LF, entities decoded), trimmed."""
    v = variant.replace("\n", "\r\n").replace("\r\n", "\n").replace("\r", "\n")
    return html.unescape(v).strip(" \t\r\n")


def scan(exe, inputs, outdir):
    r = subprocess.run([exe, "scan", "--quiet", "--rewrite", outdir, *inputs], capture_output=True, text=True)
    if r.returncode not in (0, 2):
        raise SystemExit("scan failed: %s" % r.stderr)
    return {os.path.basename(j["source"]): j for j in map(json.loads, r.stdout.splitlines())}


# Spellings Chromium does not fetch from a page opened without a base URL
# (as render.mjs opens it): a scheme-relative URL (a webmail page is
# https and fetches it), a URL with credentials (Chromium refuses them in
# subresources; other clients send them).
NOT_FETCHED_HERE = {"pix-scheme-relative.eml", "pix-userinfo.eml"}


def render(work, cases, src, out1):
    """Chromium's requests for each message's HTML before and after; the
    number of failures (0 when Chromium cannot be driven: said so)."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "render")
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not (shutil.which("node") and os.path.exists(chromium)
            and os.path.isdir(os.path.join(here, "node_modules", "playwright-core"))):
        print("render: Chromium or playwright-core absent (run tests/render/render_test.py once): skipped")
        return 0
    pages = {}
    for f, (kind, variant) in cases.items():
        for tag, d in (("before", src), ("after", out1)):
            h = os.path.join(work, "%s-%s.html" % (f, tag))
            raw = open(os.path.join(d, f), "rb").read()
            open(h, "wb").write(raw.split(b"\r\n\r\n", 1)[1])
            pages[(f, tag)] = h
    r = subprocess.run(["node", os.path.join(here, "render.mjs"), *pages.values()], capture_output=True, text=True,
                       timeout=900)
    if r.returncode != 0:
        print(r.stderr[-2000:])
        print("FAIL render.mjs failed")
        return 1
    seen = json.loads(r.stdout)
    fails = fired = leaked = 0
    for f, (kind, variant) in sorted(cases.items()):
        before = [u for u in seen[pages[(f, "before")]] if "px.example" in u]
        after = [u for u in seen[pages[(f, "after")]] if "px.example" in u]
        # the visible spelling and the link are fetched as the beacon: the
        # page requests it at least once (twice when it is spelt apart)
        if not before and f in NOT_FETCHED_HERE:
            pass
        elif not before:
            fails += 1
            print("FAIL %s: Chromium did not request the beacon before rewriting" % f)
        else:
            fired += 1
        if after:
            fails += 1
            leaked += 1
            print("FAIL %s: after rewriting Chromium requests %s" % (f, after))
    print("render: Chromium requested the beacon before rewriting in %d/%d messages, after in %d"
          % (fired, len(cases), leaked))
    return fails


def main():
    exe = sys.argv[1]
    work = tempfile.mkdtemp(prefix="pc-urlid-")
    src, out1, out2 = (os.path.join(work, d) for d in ("in", "out1", "out2"))
    os.mkdir(src)
    cases = {}
    for name, variant in EVASIONS:
        # the beacon plain as a pixel, the evasive spelling visible
        cases["vis-%s.eml" % name] = ("visible", variant)
        open(os.path.join(src, "vis-%s.eml" % name), "wb").write(message(name, BEACON, variant))
        # the pixel itself spelt the evasive way, its only use
        cases["pix-%s.eml" % name] = ("pixel", variant)
        open(os.path.join(src, "pix-%s.eml" % name), "wb").write(
            message(name, variant, "https://cdn.news.example/spring.jpg"))
    inputs = sorted(os.path.join(src, f) for f in cases)
    before = scan(exe, inputs, out1)
    after = scan(exe, [os.path.join(out1, f) for f in sorted(os.listdir(out1))], out2)
    fails = 0
    for f in sorted(cases):
        kind, variant = cases[f]
        rep = before.get(f)
        problems = []
        if rep is None:
            problems.append("not scanned")
        else:
            trackers = [t for t in rep["trackers"] if t["element"] != "a"]
            if kind == "visible":
                # the pixel, and the visible image (by its URL alone, or by
                # signals of its own), reported with its URL as written
                written = as_written(variant)
                if not any(t["url"] == written for t in trackers):
                    problems.append("the visible image is not reported as %r (trackers: %s)"
                                    % (written, [t["url"] for t in trackers]))
            elif not any(t["url"] == as_written(variant) for t in trackers):
                problems.append("the pixel is not judged a tracker (resources: %s)"
                                % [r["url"] for r in rep["resources"]])
            path = os.path.join(out1, f)
            if not os.path.exists(path):
                problems.append("not rewritten")
            else:
                left = [u for u in urls_of(open(path, "rb").read()) if names_beacon(u[2])]
                if left:
                    problems.append("left after rewriting: %s" % [("<%s %s>" % (t, k), v) for t, k, v in left])
                again = os.path.join(out2, f)
                if os.path.exists(again) and open(again, "rb").read() != open(path, "rb").read():
                    problems.append("rewriting again changes the output")
                if kind == "pixel" and not any(u[2] == "https://cdn.news.example/spring.jpg"
                                               for u in urls_of(open(path, "rb").read())):
                    problems.append("the ordinary image was removed")
        if problems:
            fails += 1
            print("FAIL %s (%r): %s" % (f, variant, "; ".join(problems)))
    fails += render(work, cases, src, out1)
    print("url identity: %d messages, %d evasions, %d failed" % (len(cases), len(EVASIONS), fails))
    return 1 if fails else 0


sys.exit(main())
