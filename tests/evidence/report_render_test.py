#!/usr/bin/env python3
"""The case report (evidence/report.h) in a real browser: the hostile
sample case rendered by the test driver render_case, then opened and
printed by headless Chromium.

Checks:
- the HTML, parsed: only the report's own elements, no script, link,
  image, frame or form, no event handler, href, src or style attribute,
  one <style>, two <svg>;
- Chromium loads it (--dump-dom) with a net log: no request the page made
  (initiator the file's opaque origin) that is not file:, data: or
  about:. Chromium 156 makes a few requests of its own at start whatever
  the page (an update check, Google's account list; initiator "not an
  origin"): they are listed, not failed; host names resolve to nothing
  (--host-resolver-rules), as in evidence/pdf.c. A control page with a
  remote image, style sheet and CSS background proves the net log shows
  a page's requests;
- no Content-Security-Policy violation in Chromium's console (the style
  hash is right; a copy with a wrong hash must be reported, as control);
- the PDF (pc_report_pdf through render_case --pdf): A4, more than one
  page, no link or script in it; page 1's text has the TLP label, the
  title, both plots' titles and axis labels; every section title is in
  the document;
- page 1 as an image (pdftoppm): not blank, the TLP banner's amber and
  the plots' bar colour on it.

Skipped (77) without /usr/bin/chromium (or $CHROMIUM) or poppler-utils.
usage: report_render_test.py RENDER_CASE SAMPLE_CASE.json [--save-png PATH]
"""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# what evidence/pdf.c passes, but for the output
FLAGS = ["--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--disable-default-apps", "--disable-breakpad", "--disable-dev-shm-usage", "--mute-audio",
         "--disable-features=NetworkTimeServiceQuerying", "--host-resolver-rules=MAP * ~NOTFOUND"]
if os.geteuid() == 0:
    FLAGS.insert(1, "--no-sandbox")

ELEMENTS = {"html", "head", "meta", "title", "style", "body", "header", "main", "section", "footer", "h1", "h2",
            "h3", "p", "div", "span", "strong", "b", "code", "pre", "br", "table", "thead", "tbody", "tr", "th",
            "td", "dl", "dt", "dd", "ol", "li", "svg", "line", "rect", "text", "tspan"}
ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "class", "colspan", "viewbox", "role",
              "aria-label", "x", "y", "x1", "y1", "x2", "y2", "width", "height", "text-anchor", "transform"}
SECTIONS = ["1. Why it is malicious", "2. Senders and infrastructure", "3. Tracker hosts and URL templates",
            "4. Authentication results", "5. What was done", "6. Indicators", "7. Copies", "8. Hash list"]

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


class Markup(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.bad = {}, []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag not in ELEMENTS:
            self.bad.append("element <%s>" % tag)
        for k, v in attrs:
            if k not in ATTRIBUTES:
                self.bad.append("attribute %s= on <%s>" % (k, tag))

    handle_startendtag = handle_starttag


def chromium(args, work, name, timeout=90):
    prof = os.path.join(work, "profile-" + name)
    r = subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=" + prof] + args, capture_output=True,
                       text=True, errors="replace", timeout=timeout, env=dict(os.environ, HOME=work))
    shutil.rmtree(prof, ignore_errors=True)
    return r


def net_log(path):
    """URL requests in a Chromium net log: (page's, browser's own)."""
    text = open(path, encoding="utf-8", errors="replace").read()
    try:
        log = json.loads(text)
    except ValueError:  # cut short at exit: close it
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    page, own = [], []
    for e in log["events"]:
        p = e.get("params") or {}
        if types.get(e["type"]) != "URL_REQUEST_START_JOB" or "url" not in p:
            continue
        mine = p.get("initiator") == "not an origin" and "file://" not in p.get("network_isolation_key", "")
        (own if mine else page).append(p["url"])
    return page, own


def remote(urls):
    return [u for u in urls if not u.startswith(("file:", "data:", "about:"))]


def ppm(path):
    """A binary PPM (P6) as (width, height, bytes)."""
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        fields.append(data[start:pos])
    assert fields[0] == b"P6" and fields[3] == b"255"
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos + 1:pos + 1 + 3 * w * h]


def near(px, rgb, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(px, rgb))


def main():
    args = sys.argv[1:]
    save = None
    if "--save-png" in args:
        i = args.index("--save-png")
        save = args[i + 1]
        del args[i:i + 2]
    driver, case = args[0], args[1]
    if not os.path.exists(CHROMIUM):
        print("%s absent: skipped" % CHROMIUM)
        return 77
    for tool in ("pdftoppm", "pdftotext", "pdfinfo"):
        if not shutil.which(tool):
            print("%s absent (Debian poppler-utils): skipped" % tool)
            return 77
    work = tempfile.mkdtemp(prefix="pc-report-test-")
    try:
        return run(driver, case, work, save)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(driver, case, work, save):
    page = os.path.join(work, "report.html")
    pdf = os.path.join(work, "report.pdf")
    r = subprocess.run([driver, case, page, "--repeat", "50"], capture_output=True, text=True)
    print(r.stderr.strip())
    check(r.returncode == 0, "render_case renders the sample case")
    if r.returncode:
        return 1
    doc = open(page, encoding="utf-8").read()

    # --- the markup
    m = Markup()
    m.feed(doc)
    check(not m.bad, "only the report's own elements and attributes (%s)" % ", ".join(m.bad[:5]))
    check(m.tags.get("style") == 1 and m.tags.get("svg") == 2, "one <style>, two <svg>")
    check("<script" not in doc.lower(), "no <script")

    # --- the browser: requests and CSP, with controls
    canary = os.path.join(work, "canary.html")
    with open(canary, "w") as f:
        f.write('<!DOCTYPE html><html><head><link rel="stylesheet" href="http://css.canary.invalid/s.css">'
                '<style>body{background:url(http://bg.canary.invalid/b.png)}</style></head><body>'
                '<img src="http://img.canary.invalid/p.png"><p>canary</p></body></html>')
    log = os.path.join(work, "canary.netlog.json")
    chromium(["--log-net-log=" + log, "--net-log-capture-mode=Everything", "--dump-dom", "file://" + canary],
             work, "canary")
    seen, _ = net_log(log)
    check(len(remote(seen)) == 3, "control: the net log shows a page's 3 remote requests (%s)" % remote(seen))

    log = os.path.join(work, "report.netlog.json")
    r = chromium(["--log-net-log=" + log, "--net-log-capture-mode=Everything", "--enable-logging=stderr", "--v=0",
                  "--dump-dom", "file://" + page], work, "report")
    check(r.returncode == 0 and "Campaign 7" in r.stdout, "Chromium loads the report (--dump-dom)")
    check("<script" not in r.stdout.lower(), "no script element in Chromium's DOM")
    seen, own = net_log(log)
    check(not remote(seen), "the report requests nothing but file: (%s)" % remote(seen)[:5])
    if own:
        print("     (Chromium's own requests, whatever the page: %s)" % sorted({u.split("?")[0] for u in own}))
    csp = [l for l in r.stderr.splitlines() if "Content Security Policy" in l]
    check(not csp, "no Content-Security-Policy violation (%s)" % csp[:1])

    tampered = os.path.join(work, "tampered.html")
    i = doc.index("'sha256-") + 8
    with open(tampered, "w", encoding="utf-8") as f:
        f.write(doc[:i] + "A" * 43 + "=" + doc[doc.index("'", i):])
    r = chromium(["--enable-logging=stderr", "--v=0", "--dump-dom", "file://" + tampered], work, "tampered")
    check("Content Security Policy" in r.stderr, "control: a wrong style hash is reported by Chromium")

    # --- the PDF
    t0 = time.monotonic()
    r = subprocess.run([driver, case, page, "--pdf", pdf, "--chromium", CHROMIUM], capture_output=True, text=True,
                       timeout=120)
    elapsed = time.monotonic() - t0
    print(r.stderr.strip())
    check(r.returncode == 0 and os.path.exists(pdf), "pc_report_pdf writes the PDF (%.1f s)" % elapsed)
    if r.returncode:
        return 1
    raw = open(pdf, "rb").read()
    check(raw.startswith(b"%PDF-"), "the PDF starts with %PDF-")
    check(b"/URI" not in raw and b"/JavaScript" not in raw and b"/Launch" not in raw,
          "no link, script or launch action in the PDF")
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    pages = int(next(l.split()[-1] for l in info.splitlines() if l.startswith("Pages:")))
    size = next(l for l in info.splitlines() if l.startswith("Page size:"))
    print("     %d pages, %s, %d bytes" % (pages, size.split(":", 1)[1].strip(), len(raw)))
    check(pages > 1 and "(A4)" in size, "A4, more than one page")
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", pdf, "-"], capture_output=True,
                           text=True).stdout
    for want in ("TLP:AMBER", "Campaign 7", "MALICIOUS", "Copies per hour (UTC)", "Arrival time (UTC)", "15:00",
                 "Recipients by organisation", "Recipients per registrable domain", "example-health.org",
                 "41 copies"):
        check(want in first, "page 1 shows %r" % want)
    whole = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
    for want in SECTIONS:
        check(want in whole, "the PDF has section %r" % want)
    check("\u27e8U+202E\u27e9" in whole, "a bidi override is shown as a visible marker in the PDF")
    check("https://" not in whole.replace("^https://", "").replace("^https?://", ""),
          "no live-looking https:// in the PDF's text but in regular expressions")

    # --- page 1 as an image
    base = os.path.join(work, "page1")
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdf, base], check=True)
    w, h, px = ppm(base + ".ppm")
    pixels = [px[i:i + 3] for i in range(0, len(px), 3)]
    ink = sum(1 for p in pixels if sum(p) < 3 * 235)
    amber = sum(1 for p in pixels[: w * h // 6] if near(p, (0xff, 0xc0, 0x00)))
    bars = sum(1 for p in pixels[h * w // 3:] if near(p, (0x2f, 0x66, 0x90), 30))
    print("     page 1: %dx%d, %.1f%% ink, %d amber pixels at the top, %d bar pixels" %
          (w, h, 100.0 * ink / len(pixels), amber, bars))
    check(ink > len(pixels) * 0.05, "page 1 is not blank")
    check(amber > 50, "page 1 has the TLP:AMBER banner")
    check(bars > 1000, "page 1 has the plots' bars")
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-singlefile", "-png", pdf, base], check=True)
    if save:
        shutil.copyfile(base + ".png", save)
        print("     page 1 saved to %s (%d bytes)" % (save, os.path.getsize(save)))
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
