#!/usr/bin/env python3
"""Hostile content in every page of the analyst console.

Mail whose every field carries markup, script, event handlers, javascript:
URLs, SVG with script, CSS breaking out, controls, bidi overrides,
zero-width characters, invalid UTF-8 and 10,000-character strings
(tests/web/hostile_mail.py) is put in the store (scan --db: 6 copies that
cluster into one campaign, 5 single messages), in the quarantine (hunt
--ioc --purge, from a Maildir whose file names are hostile too) and in the
mail store a purge empties; the audit log gets hostile text through the
console itself (a mark reason, a failed login's user name, an indicator
file's name, a set name that is refused, a release to a hostile "address",
a delete reason).

Then every page that shows any of it — overview, campaigns (also filtered
by hostile query values, reflected in the form), the campaign, each
message and its inert body frame, the quarantine list and each entry,
search, indicators, audit, the purge job, error pages — is checked twice:

- from Python, the raw answers: every HTML page parses into only the
  elements and attributes the console itself writes (no <script>, no on*
  handler, no style attribute, no link leaving the console), the hostile
  strings are there but escaped; the body frame has no script, handler or
  URL attribute; every /api/v1 twin is valid JSON;
- in Chromium with JavaScript on (tests/web/hostile.mjs): no payload ran
  (window.__pwned unset, the title unchanged, no request to the sentinel
  or anywhere but the console, no CSP violation, no page error), nothing
  renders outside its box at 1280 px (no horizontal overflow, no element
  positioned fixed or absolute, the body frame keeps its size), and bidi,
  control and zero-width characters show as visible marks (⟨U+202E⟩),
  never raw.

Screenshots: $PC_SCREENS (default build/web-screens/), hostile-*.png.
Without Chromium or node, only the Python checks run (exit 77 when they
pass).

usage: hostile_test.py PORTCULLIS SOURCE_DIR
"""
import html.parser
import json
import os
import re
import shutil
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_mail as hm  # noqa: E402
import pcweb  # noqa: E402

ok = pcweb.Checks("web.hostile")

# what the console writes (src/web/*.c); anything else in a page came from mail
TAGS = {"html", "head", "meta", "link", "title", "body", "header", "nav", "span", "a", "div", "form", "input", "button",
        "main", "h1", "h2", "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "svg", "text",
        "line", "rect", "label", "select", "option", "pre", "iframe", "footer", "b", "i", "br"}
ATTRS = {"lang", "charset", "name", "content", "rel", "href", "class", "method", "action", "type", "value", "required",
         "autofocus", "autocomplete", "role", "colspan", "size", "pattern", "maxlength", "minlength", "placeholder",
         "selected", "disabled", "enctype", "http-equiv", "viewbox", "xmlns", "x", "y", "x1", "x2", "y1", "y2", "width",
         "height", "fill", "stroke", "font-size", "font-weight", "text-anchor", "aria-label", "sandbox",
         "referrerpolicy", "title", "src", "id"}
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "data", "srcset", "lowsrc",
             "ping", "cite", "longdesc", "usemap", "manifest", "codebase", "dynsrc", "srcdoc"}
FRAME_BAD_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "link", "form", "input",
                  "button", "textarea", "select", "meta", "noscript", "template", "math", "svg", "portal", "audio",
                  "video", "source", "track"}
HIDDEN = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f"
                    "\ufeff\u061c\u00ad\u034f]")
FRAME_STYLE = ("body{font:14px/1.4 sans-serif;margin:8px;overflow-wrap:anywhere}.pc-img{display:inline-block;border:1px "
               "dashed #999;color:#666;font-size:11px;padding:1px 3px}.pc-link{color:#1f4e79;text-decoration:underline "
               "dotted}pre{white-space:pre-wrap}")


class Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.styles, self.text = [], [], []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)
        else:
            self.text.append(data)


def check_page(where, body):
    """a console page: only the console's own markup"""
    p = Tags()
    p.feed(body)
    bad = []
    for tag, attrs in p.tags:
        if tag not in TAGS:
            bad.append("<%s>" % tag)
        for k, v in attrs:
            if k not in ATTRS:
                bad.append("<%s %s=%r>" % (tag, k, (v or "")[:80]))
            elif k in URL_ATTRS and v is not None and not (v.startswith("/") and not v.startswith("//")):
                bad.append("<%s %s=%r>: a link out of the console" % (tag, k, v[:80]))
            elif k == "http-equiv" and (v or "").lower() == "refresh" and "/jobs/" not in where:
                bad.append("<meta http-equiv=refresh> outside a job page")
    ok("%s: only the console's own elements and attributes" % where, not bad, bad[:8])
    ok("%s: no <script anywhere" % where, "<script" not in body.lower())
    ok("%s: no style element" % where, not p.styles, p.styles[:2])
    hid = HIDDEN.findall("".join(p.text))
    ok("%s: no raw control, bidi or invisible character in the text" % where, not hid,
       sorted({"U+%04X" % ord(c) for c in hid}))
    return p


def check_frame(where, body):
    """the inert body frame: whatever the sanitizer let through cannot act"""
    p = Tags()
    p.feed(body)
    bad = []
    for tag, attrs in p.tags:
        if tag in FRAME_BAD_TAGS and not (tag == "meta" and attrs == [("charset", "utf-8")]):
            bad.append("<%s>" % tag)
        for k, v in attrs:
            v = v or ""
            if k.startswith("on"):
                bad.append("<%s %s=%r>" % (tag, k, v[:60]))
            elif k in URL_ATTRS and not (k == "src" and tag == "img" and v.startswith("data:image/")):
                bad.append("<%s %s=%r>: a URL attribute" % (tag, k, v[:80]))
            elif k == "style" and re.search(r"url\s*\(|expression\s*\(|javascript:|position\s*:\s*(fixed|absolute)", v, re.I):
                bad.append("<%s style=%r>" % (tag, v[:80]))
    for s in p.styles:
        if s != FRAME_STYLE and re.search(r"url\s*\(|@import|expression\s*\(|position\s*:\s*fixed", s, re.I):
            bad.append("<style>%s" % s[:80])
    ok("%s: nothing active, nothing remote" % where, not bad, bad[:8])
    ok("%s: no <script anywhere" % where, "<script" not in body.lower())


def check_json(where, r):
    ok("%s: application/json" % where, r.header("Content-Type") == "application/json", r.header("Content-Type"))
    try:
        d = json.loads(r.body.decode("utf-8"), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except (ValueError, UnicodeDecodeError) as e:
        ok("%s: valid JSON" % where, False, "%s: %r" % (e, r.body[:200]))
        return None
    ok("%s: valid JSON" % where, True)
    ok("%s: JSON in ASCII (non-ASCII escaped)" % where, max(r.body, default=0) < 0x80)
    return d


def build(w, now):
    mail = os.path.join(w.dir, "mail")
    os.makedirs(mail)
    msgs = hm.campaign(now) + hm.singles(now)
    for name, data in msgs:
        with open(os.path.join(mail, name), "wb") as f:
            f.write(data)
    rep = w.scan(mail)
    camps = {str(r["campaign"]) for r in rep if os.path.basename(r["source"]).startswith("c")}
    if len(camps) != 1 or "None" in camps:
        raise RuntimeError("the hostile copies did not cluster into one campaign: %s" % camps)
    # the quarantine, from a Maildir with hostile file names
    stage = w.maildir(os.path.join(w.dir, "stage"))
    for i, (name, data) in enumerate(msgs):
        with open(os.path.join(stage, "cur", "17000000%02d.M%dP1.%s:2,S" % (i, i, name)), "wb") as f:
            f.write(data)
    w.hunt_ioc(["evil-ledger.example"], stage)
    # one copy still delivered, for a purge
    with open(os.path.join(w.md, "cur", "1700000099.M9P9.<img src=x onerror=window.__pwned=1>\u202e:2,S"), "wb") as f:
        f.write(msgs[2][1])
    return int(camps.pop()), len(msgs)


def hostile_actions(w, c, port, camp, qids):
    """hostile text into the audit log through the console itself"""
    # a mark reason; byte 400 (where the console cuts it) falls inside a character
    reason = ("%s %s %s %s " % (hm.SCRIPT, hm.ATTR, hm.BIDI, hm.JSURL))
    reason = reason + "x" * (399 - len(reason.encode())) + "\u20ac" + " tail " + hm.IMG
    r = c.post("/api/v1/campaigns/%d/mark" % camp, {"status": "malicious", "reason": reason})
    ok("mark with a hostile reason: 200", r.status == 200, r)
    # a failed login, hostile user name (cut at byte 64 inside a character)
    user = hm.IMG[:62] + "\u20ac" + hm.BIDI + hm.CTRL
    r = pcweb.Client(port).request("POST", "/api/v1/login", fields={"user": user, "password": "x"})
    ok("a login with a hostile user name: 403", r.status == 403, r)
    # an indicator file with a hostile name; a hostile set name (refused)
    body, ctype = pcweb.multipart({"name": "hostile-set", "csrf": c.csrf},
                                  {"file": (hm.IMG + hm.BIDI + ".txt", b"evil-ledger.example\n")})
    r = c.request("POST", "/api/v1/ioc", body=body, ctype=ctype)
    ok("an indicator file with a hostile file name: 200", r.status == 200, r)
    for api in ("/api/v1", ""):
        body, ctype = pcweb.multipart({"name": hm.SCRIPT, "csrf": c.csrf}, {"file": ("x.txt", b"evil.example\n")})
        r = c.request("POST", api + "/ioc", body=body, ctype=ctype)
        ok("a hostile set name is refused (%s): 400" % (api or "page"), r.status == 400, r)
        if api:
            check_json("POST /api/v1/ioc (hostile name)", r)
        else:
            check_page("POST /ioc (hostile name), the error page", r.text())
    # a delete with a hostile reason
    r = c.post("/api/v1/quarantine/%s/delete" % qids[-1], {"reason": hm.ALL})
    ok("a delete with a hostile reason: 200", r.status == 200, r)
    # a purge of the campaign: a hostile Maildir file name in its output and the audit log
    r = c.post("/api/v1/campaigns/%d/purge" % camp)
    ok("the purge starts", r.status == 200, r)
    job = r.json().get("job") if r.status == 200 else None
    t0 = time.time()
    while job and time.time() - t0 < 300:
        j = c.get("/api/v1/jobs/%d" % job).json()
        if j.get("state") != "running":
            ok("the purge is done", j.get("state") == "done" and j.get("purged") == 1, j)
            break
        time.sleep(0.5)
    return job


def hostile_release(c, qid):
    """a release to hostile "addresses": the error echoes them (late: a
    word without @ made the server read freed memory)"""
    r = c.post("/quarantine/%s/release" % qid, {"reason": "x", "to": hm.SVG + "@evil"})
    ok("a release to a hostile address is refused: 400", r.status == 400, r)
    check_page("POST /quarantine/Q/release (hostile to), the error page", r.text())
    r = c.post("/api/v1/quarantine/%s/release" % qid, {"reason": "x", "to": "%s@x %s" % (hm.SCRIPT, hm.ATTR)})
    ok("a release to a hostile address is refused (api): 400", r.status == 400, r)
    check_json("POST /api/v1/quarantine/Q/release (hostile to)", r)


def pages(w, c, camp, job):
    """(path, kind, expect hostile text, expect a bidi mark)"""
    msgs = c.get("/api/v1/search?limit=1000").json()["messages"]
    qs = c.get("/api/v1/quarantine?limit=1000").json()["messages"]
    H = urllib.parse.quote(hm.BIDI + hm.ZW + hm.CTRL + hm.ALL, safe="")

    def marks(subject):
        return bool(re.search("[<>]", subject or "")), "\u202e" in (subject or "")
    cs = marks(c.get("/api/v1/campaigns/%d" % camp).json()["campaign"]["subject"])
    out = [("/", "page") + cs, ("/campaigns", "page") + cs,
           ("/campaigns?status=%s&verdict=%s&q=%s&min_size=%s&days=%s" % (H, H, H, H, H), "page", True, True),
           ("/campaigns/%d" % camp, "page", True, True), ("/campaigns/%d?offset=%s" % (camp, H), "page", True, True),
           ("/quarantine", "page", True, True),
           ("/quarantine?sender=%s&rcpt=%s&subject=%s&reason=%s&campaign=%s&from=%s&to=%s" % ((H,) * 7), "page", True,
            True),
           ("/search", "page", True, True),
           ("/search?sender=%s&rcpt=%s&subject=%s&verdict=%s&sha256=%s" % ((H,) * 5), "page", True, True),
           ("/ioc", "page", False, False), ("/audit", "page", True, True),
           ("/audit?actor=%s&action=%s" % (H, H), "page", True, True),
           ("/jobs/%d" % job if job else "/jobs/1", "page", False, False), ("/users", "page", False, False),
           ("/campaigns/99999", "page", False, False), ("/nonexistent%3Cscript%3E", "page", False, False)]
    for m in msgs:
        out.append(("/messages/%d/body?v=original" % m["id"], "frame", False, False))
        out.append(("/messages/%d/body?v=original&part=text" % m["id"], "frame", False, False))
    for q in qs:
        out.append(("/quarantine/%s/body?v=original" % q["qid"], "frame", False, False))
    # last: the pages that frame the rewritten body too; what they must
    # show escaped is what the API says the subject is
    for m in msgs:
        out.append(("/messages/%d" % m["id"], "page") + marks(m["subject"]))
    for q in qs:
        out.append(("/quarantine/%s" % q["qid"], "page") + marks(q["subject"]))
    return out, msgs, qs


def main():
    exe, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    t0 = time.time()
    ready = pcweb.browser_ready()
    w = pcweb.World(exe, src, "pc-web-hostile-")
    srv = None
    skipped = False
    try:
        camp, nmsg = build(w, int(time.time()))
        qids = w.qids()
        ok("every hostile message is in the quarantine", len(qids) == nmsg, qids)
        srv = pcweb.Server(w)
        c = pcweb.Client(w.port)
        ok("admin logs in", c.login("admin", srv.password).status == 200)
        job = hostile_actions(w, c, w.port, camp, qids)
        plist, msgs, qs = pages(w, c, camp, job)
        ok("every hostile message has a message page", len(msgs) == nmsg, len(msgs))
        # Python: the raw answers and their JSON twins
        for path, kind, hostile, _ in plist:
            r = c.get(path)
            ok("GET %s: 200 (or the error asked for)" % path[:120],
               r.status == (404 if "99999" in path or "nonexistent" in path else 200), r.status)
            where = "GET " + path[:120]
            if kind == "frame":
                check_frame(where, r.text())
                continue
            check_page(where, r.text())
            if hostile:
                ok("%s: the hostile text is there, escaped" % where, re.search(r"&lt;/?[a-z]", r.text()),
                   "no hostile text on the page: the test shows nothing")
            check_json("GET /api/v1" + path[:120], c.get("/api/v1" + path))
        # Chromium
        if ready and ready[0] == "skip":
            print("browser part skipped: %s" % ready[1])
            skipped = True
        elif ready:
            ok("the browser is ready", False, ready[1])
        else:
            cfg = {"work": w.dir, "base": srv.base, "cookie": c.cookie, "screens": pcweb.screens_dir(src, "hostile-"),
                   "pages": [{"path": p, "kind": k, "bidi": b} for p, k, _, b in plist]}
            rc, res, log = pcweb.run_node("hostile.mjs", cfg, timeout=1500)
            ok("hostile.mjs ran (exit %d)" % rc, rc == 0 and res is not None, log)
            res = res or {}
            for f in res.get("fails", []):
                ok("browser: " + f, False)
            for u in res.get("offsite", []):
                ok("a request left 127.0.0.1:%d" % w.port, False, u)
            for m in res.get("console", []):
                if "status of 404" in m.get("text", "") and re.search("/(campaigns/99999|nonexistent)", m.get("url", "")):
                    continue  # the error pages asked for
                ok("console message on %s" % m.get("url", "")[:120], False, m.get("text"))
            for m in res.get("pageerrors", []):
                ok("page error", False, m)
            ok("the browser visited every page", res.get("visited") == len(plist), "%s of %d" % (res.get("visited"), len(plist)))
        if srv.alive():
            hostile_release(c, qids[0])
        else:
            print("the server is gone: the release to hostile addresses is not tried")
        # the rewritten frames, from Python (after the browser: the server may not survive them)
        for m in msgs[:3]:
            if not srv.alive():
                break
            path = "/messages/%d/body?v=rewritten" % m["id"]
            try:
                r = c.get(path)
                ok("GET %s: 200" % path, r.status == 200, r.status)
                if r.status == 200:
                    check_frame("GET " + path, r.text())
            except OSError as e:
                ok("GET %s answers" % path, False, repr(e))
        # the audit log kept the hostile text (the store), the page escaped it (above)
        audit = w.audit()
        bad = [(a["id"], a["action"], k) for a in audit for k, v in a.items() if isinstance(v, str) and "\ufffd" in v]
        ok("audit records are valid UTF-8 (a cut inside a character is not)", not bad, bad)
        acts = {a["action"] for a in audit}
        for a in ("mark", "login-failed", "ioc-add", "delete", "purge", "purge-start"):
            ok("audit: %s recorded" % a, a in acts, sorted(acts))
        ok("the server is still running", srv.alive(), not srv.alive() and pcweb.Server.how(srv.proc.returncode))
    except Exception as e:
        import traceback
        traceback.print_exc()
        ok("the test ran to its end", False, repr(e))
    finally:
        if srv:
            srv.stop()
            for p in srv.problems():
                ok("the server", False, p)
        w.cleanup()
    rc = ok.done(t0)
    return pcweb.SKIP if rc == 0 and skipped else rc


if __name__ == "__main__":
    sys.exit(main())
