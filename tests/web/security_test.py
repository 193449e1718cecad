#!/usr/bin/env python3
"""The analyst console's defences, from outside, with the standard library's
HTTP client against a real `portcullis serve` on loopback.

- CSRF: every state-changing endpoint (each POST route of src/web/server.c,
  page and /api/v1 form) refuses (403) a missing token, a wrong one, one
  from another session, a request a browser marks cross-site
  (Sec-Fetch-Site) and a foreign Origin; the login form refuses a
  cross-site post too; nothing changed afterwards (store, quarantine,
  sendmail, accounts, jobs). A correct token is accepted (the control).
- Roles: a viewer's session is refused (403) where the role is analyst or
  admin, an analyst's where it is admin.
- No session: every page and API path (including /messages/N/body,
  /campaigns/N/export, /jobs/N, unknown paths) sends a page to /login (303)
  and answers the API with 401; /metrics needs its bearer token and its
  text parses as Prometheus exposition.
- Sessions: a cookie sent before login is not the one after it (fixation);
  the id changes at every login; after logout the old cookie is refused;
  the cookie is HttpOnly, Secure, SameSite=Strict.
- Guessing is slowed: after 5 wrong passwords for one account, or from one
  address, further attempts get 429 and a wait, even with the right
  password; after the wait the right password works; the audit log has
  login-failed and login-refused. Addresses come from X-Forwarded-For
  (the config trusts 127.0.0.1 as the proxy), which is believed from that
  peer only (a client on 127.0.0.2 cannot choose its address).
- Headers: every answer (pages, API, errors, redirects, the style sheet,
  /metrics) has a CSP without script ('unsafe-inline' nowhere) and
  frame-ancestors 'none', nosniff and no-store; the message-body frame has
  its stricter CSP, with sandbox.
- A password change ends the account's sessions; a removed account can
  neither log in nor use a session it had.
- Last: a viewer's GET of a message's rewritten body frame answers and the
  server stays up.

usage: security_test.py PORTCULLIS SOURCE_DIR
"""
import os
import re
import shutil
import socket
import sys
import time
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcweb  # noqa: E402

ok = pcweb.Checks("web.security")
SEEN = []  # every answer, for the header checks: (method, path, Resp)

PW = {"analyst": "analyst-password-0001", "viewer": "viewer-password-00001", "changer": "changer-password-0001",
      "gone": "gone-password-00000001", "victim": "victim-password-00001", "bystander": "bystander-password-001",
      "patient": "patient-password-0001"}


class Seen(pcweb.Client):
    """a client that keeps every answer for the header checks"""

    def request(self, method, path, **kw):
        r = super().request(method, path, **kw)
        SEEN.append((method, path, r))
        return r


def login(port, user, password, xff=None):
    c = Seen(port)
    r = c.request("POST", "/api/v1/login", fields={"user": user, "password": password},
                  headers={"X-Forwarded-For": xff} if xff else None)
    if r.status == 200:
        c.cookie, c.csrf = r.cookie(), r.json()["csrf"]
    return c, r


def build(w, src):
    ex = os.path.join(src, "examples")
    w.scan(os.path.join(ex, "campaign"), *[os.path.join(ex, n) for n in sorted(os.listdir(ex)) if n.endswith(".eml")])
    stage = w.maildir(os.path.join(w.dir, "stage"))
    for i, n in enumerate(("1-novak.eml", "2-okafor.eml")):
        shutil.copy(os.path.join(ex, "campaign", n), os.path.join(stage, "cur", n))
    w.hunt_ioc(["dai1yledger.example", "ledger-politics.example"], stage)
    shutil.copy(os.path.join(ex, "campaign", "3-brennan.eml"), os.path.join(w.md, "cur", "3-brennan.eml"))
    with open(w.conf, "a") as f:
        f.write("trusted_proxy = 127.0.0.1\n")  # in [console], the last section


def accounts(w):
    """after the server's first start made admin (it does so only while there is no account)"""
    for u, role in (("analyst", "analyst"), ("viewer", "viewer"), ("changer", "viewer"), ("gone", "viewer"),
                    ("victim", "viewer"), ("bystander", "analyst"), ("patient", "viewer")):
        w.add_user(u, role, PW[u])


def state(w):
    """what a refused request must not have changed"""
    audit = [(a["action"], a["source"], a["detail"]) for a in w.audit()
             if a["action"] not in ("login", "login-failed", "login-refused")]
    return {"audit": audit, "qids": w.qids(), "sent": len(os.listdir(w.sent)),
            "maildir": sorted(os.listdir(os.path.join(w.md, "cur")))}


def post_routes(qid):
    """(route pattern, concrete path, fields, multipart files, least role) for every POST route"""
    return [
        ("/campaigns/#/mark", "/campaigns/1/mark", {"status": "benign", "reason": "csrf test"}, None, "analyst"),
        ("/campaigns/#/purge", "/campaigns/1/purge", {}, None, "analyst"),
        ("/quarantine/*/release", "/quarantine/%s/release" % qid, {"reason": "csrf test", "to": "x@parliament.example"},
         None, "analyst"),
        ("/quarantine/*/delete", "/quarantine/%s/delete" % qid, {"reason": "csrf test"}, None, "analyst"),
        ("/ioc", "/ioc", {"name": "csrf-set"}, {"file": ("i.txt", b"evil.example\n")}, "analyst"),
        ("/ioc/*/delete", "/ioc/keep-set/delete", {}, None, "admin"),
        ("/users", "/users", {"name": "csrfmade", "role": "admin"}, None, "admin"),
        ("/users/*/delete", "/users/bystander/delete", {}, None, "admin"),
        ("/account/password", "/account/password", {"old": "x", "new": "a-new-password-for-csrf"}, None, "viewer"),
        ("/logout", "/logout", {}, None, "viewer"),
    ]


def send(c, path, fields, files, token, headers=None):
    f = dict(fields)
    if token is not None:
        f["csrf"] = token
    if files:
        body, ctype = pcweb.multipart(f, files)
        return c.request("POST", path, body=body, ctype=ctype, headers=headers)
    return c.request("POST", path, fields=f, headers=headers)


def test_csrf(w, port, admin, other, qid):
    before = state(w)
    origin = "http://127.0.0.1:%d" % port
    for pattern, path, fields, files, _ in post_routes(qid):
        for api in (False, True):
            p = ("/api/v1" + path) if api else path
            cases = [("no token", None, None), ("a wrong token", "A" * 43, None),
                     ("another session's token", other.csrf, None),
                     ("Sec-Fetch-Site: cross-site", admin.csrf, {"Sec-Fetch-Site": "cross-site"}),
                     ("Sec-Fetch-Site: same-site", admin.csrf, {"Sec-Fetch-Site": "same-site"}),
                     ("a foreign Origin", admin.csrf, {"Origin": "http://evil.example"}),
                     ("an Origin on another port", admin.csrf, {"Origin": "http://127.0.0.1:%d" % (port + 1)}),
                     ("Origin: null", admin.csrf, {"Origin": "null"})]
            for what, token, headers in cases:
                r = send(admin, p, fields, files, token, headers)
                ok("POST %s (%s) with %s: 403 for CSRF" % (pattern, "api" if api else "page", what),
                   r.status == 403 and (b"CSRF" in r.body or b"cross-site" in r.body), "%d %s" % (r.status, r.body[:200]))
    # the header instead of the field, and both wrong
    r = admin.request("POST", "/api/v1/campaigns/1/mark", fields={"status": "benign", "reason": "x"},
                      headers={"X-CSRF-Token": other.csrf})
    ok("X-CSRF-Token of another session: 403", r.status == 403, r)
    r = admin.request("POST", "/api/v1/campaigns/1/mark", fields={"status": "benign", "reason": "x", "csrf": ""},
                      headers={"X-CSRF-Token": ""})
    ok("an empty token: 403", r.status == 403, r)
    # the session survived the refused logout
    ok("a refused logout leaves the session", admin.get("/api/v1/campaigns").status == 200)
    # login: a cross-site form post is refused too (login CSRF)
    for what, h in (("Sec-Fetch-Site: cross-site", {"Sec-Fetch-Site": "cross-site"}),
                    ("a foreign Origin", {"Origin": "http://evil.example"})):
        r = Seen(port).request("POST", "/login", fields={"user": "analyst", "password": PW["analyst"]}, headers=h)
        ok("POST /login with %s: 403, no cookie" % what, r.status == 403 and not r.cookie(), r)
    after = state(w)
    ok("the refused requests changed nothing (audit, quarantine, sendmail, mail store)", before == after,
       "%s\n-> %s" % (before, after))
    ok("no purge job was started", admin.get("/api/v1/jobs/1").status == 404)
    users = admin.get("/api/v1/users").json().get("users")
    ok("no account made or removed", sorted(u["name"] for u in users) ==
       sorted(["admin", "analyst", "viewer", "changer", "gone", "victim", "bystander", "patient"]), users)
    camp = admin.get("/api/v1/campaigns/1").json()["campaign"]
    ok("campaign 1 still malicious", camp["status"] == "malicious", camp)
    # the control: the same requests with the right token and same-origin headers pass
    r = admin.request("POST", "/api/v1/campaigns/2/mark", fields={"status": "benign", "reason": "control", "csrf": admin.csrf},
                      headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"})
    ok("control: the right token, same origin: 200", r.status == 200, r)
    r = admin.request("POST", "/api/v1/campaigns/2/mark", fields={"status": "open", "reason": "control"},
                      headers={"X-CSRF-Token": admin.csrf})
    ok("control: the right token in X-CSRF-Token: 200", r.status == 200, r)
    r = admin.request("POST", "/campaigns/2/mark", fields={"status": "open", "reason": "control", "csrf": admin.csrf})
    ok("control: the page form with the right token: 303 back to the campaign",
       r.status == 303 and r.header("Location") == "/campaigns/2", r)


def test_roles(w, port, qid):
    before = state(w)
    viewer, _ = login(port, "viewer", PW["viewer"])
    analyst, _ = login(port, "analyst", PW["analyst"])
    rank = {"viewer": 1, "analyst": 2, "admin": 3}
    for who, c in (("viewer", viewer), ("analyst", analyst)):
        for pattern, path, fields, files, need in post_routes(qid):
            if rank[who] >= rank[need]:
                continue
            for api in (False, True):
                r = send(c, ("/api/v1" + path) if api else path, fields, files, c.csrf)
                ok("a %s's POST %s (%s): 403 for the role" % (who, pattern, "api" if api else "page"),
                   r.status == 403 and b"role" in r.body, "%d %s" % (r.status, r.body[:200]))
    for path in ("/users", "/api/v1/users"):
        ok("a viewer's GET %s: 403" % path, viewer.get(path).status == 403)
        ok("an analyst's GET %s: 403" % path, analyst.get(path).status == 403)
    for path in ("/campaigns/1/export?format=stix", "/api/v1/campaigns/1/export?format=case"):
        r = viewer.get(path)
        ok("a viewer's GET %s: 403 (export is an analyst's)" % path, r.status == 403, r)
    ok("the refused requests changed nothing", state(w) == before, "%s\n-> %s" % (before, state(w)))
    r = analyst.get("/api/v1/campaigns/1/export?format=stix")
    ok("an analyst exports campaign 1 as STIX", r.status == 200 and "attachment" in (r.header("Content-Disposition") or ""),
       r)
    # the viewer reads
    ok("a viewer reads the campaigns", viewer.get("/api/v1/campaigns").status == 200)
    nav = viewer.get("/").text()
    ok("a viewer's pages offer no Accounts", 'href="/users"' not in nav)
    page = viewer.get("/campaigns/1").text()
    ok("a viewer's campaign page has no action forms", "/campaigns/1/mark" not in page and "/purge" not in page)
    return viewer, analyst


GETS = ["/", "/campaigns", "/campaigns/1", "/campaigns/1/export?format=stix", "/jobs/1", "/messages/1",
        "/messages/1/body", "/messages/1/body?v=original&part=text", "/quarantine", "/quarantine/{qid}",
        "/quarantine/{qid}/body", "/search?subject=a", "/ioc", "/audit", "/users", "/nonexistent", "/campaigns/999999"]


def test_no_session(w, port, qid):
    anon = Seen(port)
    bogus = Seen(port, cookie="B" * 43)
    for c, who in ((anon, "no cookie"), (bogus, "an unknown cookie")):
        for g in GETS:
            p = g.format(qid=qid)
            r = c.get(p)
            ok("GET %s with %s: 303 to /login" % (p, who), r.status == 303 and r.header("Location") == "/login",
               "%d %s" % (r.status, r.header("Location")))
            r = c.get("/api/v1" + p)
            ok("GET /api/v1%s with %s: 401" % (p, who), r.status == 401 and r.json().get("ok") is False,
               "%d %s" % (r.status, r.body[:100]))
        for pattern, path, fields, files, _ in post_routes(qid):
            if path == "/logout":
                continue
            r = send(c, path, fields, files, "A" * 43)
            ok("POST %s with %s: 303 to /login" % (pattern, who), r.status == 303, r)
            r = send(c, "/api/v1" + path, fields, files, "A" * 43)
            ok("POST /api/v1%s with %s: 401" % (pattern, who), r.status == 401, r)
    ok("the style sheet needs no session", anon.get("/static/console.css").status == 200)
    ok("the login page needs no session", anon.get("/login").status == 200)


def test_metrics(w, port):
    """/metrics: its own bearer token (after the CSRF tests: it counts their refusals)"""
    anon = Seen(port)
    r = anon.get("/metrics")
    ok("/metrics without a token: 401", r.status == 401, r)
    r = anon.get("/metrics", headers={"Authorization": "Bearer " + "0" * len(w.token)})
    ok("/metrics with a wrong token: 401", r.status == 401, r)
    r = anon.get("/metrics", headers={"Authorization": "Basic " + w.token})
    ok("/metrics with the token but not as Bearer: 401", r.status == 401, r)
    r = anon.get("/api/v1/metrics", headers={"Authorization": "Bearer " + w.token})
    ok("/api/v1/metrics is not a way round: 401", r.status == 401, r)
    r = anon.get("/metrics", headers={"Authorization": "Bearer " + w.token})
    ok("/metrics with the token: 200", r.status == 200, r)
    if r.status == 200:
        errs, names = prometheus(r.text())
        ok("/metrics parses as Prometheus text exposition", not errs, errs[:5])
        for n in ("portcullis_console_requests_total", "portcullis_campaigns", "portcullis_quarantine_messages",
                  "portcullis_console_csrf_refused_total", "portcullis_console_logins_total"):
            ok("/metrics has %s" % n, n in names, sorted(names))
        m = re.search(r"^portcullis_console_csrf_refused_total (\d+)$", r.text(), re.M)
        ok("/metrics counted the CSRF refusals", m and int(m.group(1)) > 0, m and m.group(0))
        ok("/metrics says text/plain; version=0.0.4", (r.header("Content-Type") or "").startswith("text/plain; version=0.0.4"),
           r.header("Content-Type"))


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})?'
                    r' ([-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|NaN|[-+]?Inf))( -?\d+)?$')


def prometheus(text):
    """errors and sample metric names of a text exposition (format 0.0.4)"""
    errs, types, names = [], {}, set()
    if not text.endswith("\n"):
        errs.append("no final newline")
    for i, line in enumerate(text.split("\n")[:-1], 1):
        if not line:
            continue
        if line.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$", line)
            if m and m.group(1) == "TYPE":
                if m.group(3) not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    errs.append("line %d: bad type %r" % (i, line))
                if m.group(2) in types:
                    errs.append("line %d: second TYPE for %s" % (i, m.group(2)))
                types[m.group(2)] = m.group(3)
            continue
        m = SAMPLE.match(line)
        if not m:
            errs.append("line %d: not a sample: %r" % (i, line))
            continue
        names.add(m.group(1))
        if m.group(1) not in types:
            errs.append("line %d: %s has no TYPE before it" % (i, m.group(1)))
    return errs, names


def test_sessions(w, port):
    # fixation: a cookie planted before login is not the session after it
    planted = "P" * 43
    c = Seen(port, cookie=planted)
    r = c.request("POST", "/api/v1/login", fields={"user": "analyst", "password": PW["analyst"]})
    new = r.cookie()
    ok("login with a planted cookie sets a new one", r.status == 200 and new and new != planted, r.all("Set-Cookie"))
    ok("the planted value is no session", Seen(port, cookie=planted).get("/api/v1/campaigns").status == 401)
    r2 = Seen(port, cookie=planted).request("POST", "/login", fields={"user": "analyst", "password": PW["analyst"]})
    ok("the page login replaces a planted cookie too", r2.status == 303 and r2.cookie() not in (None, planted),
       r2.all("Set-Cookie"))
    # a new id at every login; a new CSRF token with it
    ids, tokens = set(), set()
    for _ in range(3):
        a, r = login(port, "analyst", PW["analyst"])
        ids.add(a.cookie)
        tokens.add(a.csrf)
        sc = r.all("Set-Cookie")
        ok("one Set-Cookie at login", len(sc) == 1, sc)
        attrs = [x.strip().lower() for x in sc[0].split(";")[1:]] if sc else []
        ok("the cookie is HttpOnly", "httponly" in attrs, sc)
        ok("the cookie is Secure", "secure" in attrs, sc)
        ok("the cookie is SameSite=Strict", "samesite=strict" in attrs, sc)
        ok("the cookie's Path is /", "path=/" in attrs, sc)
        ok("the session id is long and random-looking", a.cookie and len(a.cookie) >= 32 and
           re.fullmatch(r"[A-Za-z0-9_-]+", a.cookie), a.cookie)
    ok("the session id changes at every login", len(ids) == 3, ids)
    ok("the CSRF token changes at every login", len(tokens) == 3 and not (ids & tokens), tokens)
    r = Seen(port).request("POST", "/login", fields={"user": "analyst", "password": PW["analyst"]})
    sc = r.header("Set-Cookie") or ""
    ok("the page login's cookie: HttpOnly, Secure, SameSite=Strict",
       all(x in sc.lower() for x in ("httponly", "secure", "samesite=strict")), sc)
    # logout: the old cookie is refused afterwards
    a, _ = login(port, "analyst", PW["analyst"])
    b, _ = login(port, "analyst", PW["analyst"])
    old = a.cookie
    r = a.request("POST", "/api/v1/logout", fields={"csrf": a.csrf})
    ok("logout: 200", r.status == 200, r)
    sc = r.header("Set-Cookie") or ""
    ok("logout clears the cookie", sc.startswith("pc_session=;") and "max-age=0" in sc.lower(), sc)
    ok("after logout the old cookie is refused (API)", Seen(port, cookie=old).get("/api/v1/campaigns").status == 401)
    r = Seen(port, cookie=old).get("/campaigns")
    ok("after logout the old cookie is refused (page)", r.status == 303 and r.header("Location") == "/login", r)
    ok("another session of the same account lives on", b.get("/api/v1/campaigns").status == 200)
    r = Seen(port, cookie=old).request("POST", "/api/v1/campaigns/1/mark",
                                       fields={"status": "benign", "reason": "x", "csrf": a.csrf})
    ok("after logout the old cookie and token cannot act", r.status == 401, r)
    r = Seen(port, cookie=b.cookie).request("POST", "/logout", fields={"csrf": b.csrf})
    ok("the page logout sends to /login", r.status == 303 and r.header("Location") == "/login", r)
    ok("after the page logout its cookie is refused", Seen(port, cookie=b.cookie).get("/api/v1/").status == 401)


def test_brute_force(w, port, admin):
    def attempt(user, pw, xff, source=None):
        c = Seen(port)
        if source:  # a client on another loopback address
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
            body = "user=%s&password=%s" % (user, pw)
            conn.request("POST", "/api/v1/login", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": xff})
            r = conn.getresponse()
            res = pcweb.Resp(r.status, r.getheaders(), r.read())
            conn.close()
            SEEN.append(("POST", "/api/v1/login", res))
            return res
        return c.request("POST", "/api/v1/login", fields={"user": user, "password": pw},
                         headers={"X-Forwarded-For": xff})

    def wait_of(r):
        ra = r.header("Retry-After")
        m = re.search(r"(\d+) ?s\b", r.text())
        return int(ra) if ra and ra.isdigit() else (int(m.group(1)) if m else None)

    def late_in_a_second():
        # The 6th attempt comes right after the 5th fails (well inside the
        # first wait, 1 s). The 5th starts late in a wall-clock second and
        # the 6th in the next one (next_second): a wait counted in whole
        # seconds from the start of the 5th attempt would let it through.
        f = time.time() % 1
        time.sleep((1.75 - f) if f > 0.75 else (0.75 - f))

    def next_second(t5):
        # 50 ms into it: the server's time() is the coarse clock, a tick late
        while int(time.time() - 0.05) == int(t5):
            time.sleep(0.005)

    # one account, guessed from many addresses
    for i in range(5):
        if i == 4:
            late_in_a_second()
        t5 = time.time()
        r = attempt("victim", "wrong-%d" % i, "192.0.2.%d" % (10 + i))
        ok("wrong password %d for victim: 403" % (i + 1), r.status == 403, r)
    next_second(t5)
    t6 = time.time()
    r = attempt("victim", PW["victim"], "192.0.2.99")
    ok("6th attempt for victim, right password, new address, right after the 5th failed: 429", r.status == 429,
       "%r (5th attempt started at %.2f, 6th at %.2f; audit: %s)" % (r, t5 % 10, t6 % 10, [
           (a["at"] % 10, a["action"], a["actor"]) for a in w.audit() if a["actor"].startswith("victim")]))
    ok("the 429 for victim says how long to wait", wait_of(r), r.text()[:200])
    ok("no session given while slowed down", not r.cookie(), r.all("Set-Cookie"))
    # the wait a 429 announces is enough: 7 quick failures (a wait of 4 s),
    # one more try at once (refused, announcing a wait), then the right
    # password after that wait
    for i in range(7):
        attempt("patient", "wrong-%d" % i, "192.0.2.%d" % (20 + i))
    r = attempt("patient", PW["patient"], "192.0.2.30")
    ok("the right password, at once after 7 failures: 429", r.status == 429, r)
    ok("the 429 says how long to wait", wait_of(r), r.text()[:200])
    wait = wait_of(r) if r.status == 429 and wait_of(r) is not None else 4
    # one address, guessing many accounts
    for i in range(5):
        if i == 4:
            late_in_a_second()
        t5 = time.time()
        r = attempt("nobody%d" % i, "wrong", "198.51.100.7")
        ok("wrong login %d from 198.51.100.7: 403" % (i + 1), r.status == 403, r)
    next_second(t5)
    t6 = time.time()
    r = attempt("bystander", PW["bystander"], "198.51.100.7")
    ok("from that address, right after, another account's right password: 429", r.status == 429,
       "%r (5th attempt started at %.2f, 6th at %.2f; audit: %s)" % (r, t5 % 10, t6 % 10, [
           (a["at"] % 10, a["action"], a["actor"]) for a in w.audit() if "198.51.100.7" in a["actor"]]))
    ok("the bystander is not slowed from elsewhere", attempt("bystander", PW["bystander"], "198.51.100.8").status == 200)
    # an address is believed from the trusted proxy only
    try:
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.close()
        lo2 = True
    except OSError:
        lo2 = False
    if lo2:
        r = attempt("bystander", PW["bystander"], "198.51.100.7", source="127.0.0.2")
        ok("X-Forwarded-For from an untrusted peer is not believed (not 429)", r.status == 200, r)
    # the audit log
    audit = w.audit()
    failed = [a for a in audit if a["action"] == "login-failed"]
    refused = [a for a in audit if a["action"] == "login-refused"]
    ok("audit: a login-failed record per wrong password of victim",
       len([a for a in failed if a["actor"].startswith("victim (console, 192.0.2.")]) == 5, failed)
    ok("audit: the failures name the address", any("198.51.100.7" in a["actor"] for a in failed), failed)
    ok("audit: the slowed attempts are login-refused", any(a["actor"].startswith("patient") for a in refused), refused)
    # after the wait it announced, the right password works (slowed, not locked out)
    time.sleep(wait + 1.1)
    r = attempt("patient", PW["patient"], "192.0.2.31")
    ok("after the wait the 429 announced (%d s; waited %.1f s), the right password works" % (wait, wait + 1.1),
       r.status == 200, r)


def test_headers():
    checked = 0
    for method, path, r in SEEN:
        csp = r.header("Content-Security-Policy")
        where = "%s %s (%d)" % (method, path, r.status)
        if not ok("%s has a CSP" % where, csp):
            continue
        checked += 1
        d = {}
        for part in csp.split(";"):
            words = part.split()
            if words:
                d[words[0].lower()] = [x.lower() for x in words[1:]]
        script = d.get("script-src", d.get("default-src"))
        ok("%s: script is limited (script-src or default-src)" % where, script is not None, csp)
        ok("%s: no 'unsafe-inline', 'unsafe-eval', data: or * for script" % where,
           script is not None and not {"'unsafe-inline'", "'unsafe-eval'", "data:", "*", "blob:"} & set(script), csp)
        ok("%s: object-src none (default)" % where, d.get("object-src", d.get("default-src")) == ["'none'"], csp)
        body = "/body" in path and "/api/v1" not in path and r.status == 200
        if body:
            ok("%s: the body frame's CSP has sandbox" % where, "sandbox" in d and d["sandbox"] == [], csp)
            ok("%s: the body frame's default-src is 'none'" % where, d.get("default-src") == ["'none'"], csp)
            ok("%s: the body frame may be framed by the console alone" % where,
               d.get("frame-ancestors") == ["'self'"], csp)
        else:
            ok("%s: frame-ancestors 'none'" % where, d.get("frame-ancestors") == ["'none'"], csp)
        ok("%s: nosniff" % where, (r.header("X-Content-Type-Options") or "").lower() == "nosniff",
           r.header("X-Content-Type-Options"))
        ok("%s: no-store" % where, "no-store" in (r.header("Cache-Control") or ""), r.header("Cache-Control"))
        ct = r.header("Content-Type") or ""
        ok("%s: a Content-Type with charset or JSON" % where, "charset=utf-8" in ct or ct == "application/json" or
           r.status == 303 or ct.startswith("application/pdf"), ct)
        if ct == "application/json":
            try:
                r.json()
            except ValueError as e:
                ok("%s: valid JSON" % where, False, e)
    ok("headers checked on many answers", checked > 200, checked)


def test_frames(w, port, viewer, qid):
    for path in ("/messages/1/body", "/messages/1/body?v=original&part=text", "/quarantine/%s/body" % qid):
        r = viewer.get(path)
        ok("GET %s: 200" % path, r.status == 200, r)


def test_password_and_removal(w, port, admin):
    a, r = login(port, "changer", PW["changer"])
    b, _ = login(port, "changer", PW["changer"])
    ok("changer logged in twice", a.cookie and b.cookie and a.cookie != b.cookie, r)
    r = a.request("POST", "/api/v1/account/password", fields={"old": "not-it", "new": "another-password-12", "csrf": a.csrf})
    ok("a password change with the wrong current password: 403", r.status == 403, r)
    ok("... and the sessions live on", a.get("/api/v1/").status == 200 and b.get("/api/v1/").status == 200)
    r = a.request("POST", "/api/v1/account/password",
                  fields={"old": PW["changer"], "new": "changed-password-0001", "csrf": a.csrf})
    ok("the password change: 200", r.status == 200, r)
    ok("the password change ended the session that made it", a.get("/api/v1/campaigns").status == 401)
    ok("the password change ended the account's other sessions", b.get("/api/v1/campaigns").status == 401)
    _, r = login(port, "changer", PW["changer"], xff="203.0.113.50")
    ok("the old password no longer logs in", r.status == 403, r)
    _, r = login(port, "changer", "changed-password-0001", xff="203.0.113.51")
    ok("the new password logs in", r.status == 200, r)
    ok("audit: password-change", any(x["action"] == "password-change" and x["source"] == "changer" for x in w.audit()))
    # removal
    g, r = login(port, "gone", PW["gone"])
    ok("gone logged in", r.status == 200, r)
    r = admin.request("POST", "/api/v1/users/gone/delete", fields={"csrf": admin.csrf})
    ok("the admin removes gone: 200", r.status == 200, r)
    ok("a removed account's session is refused", g.get("/api/v1/campaigns").status == 401)
    r = g.request("POST", "/api/v1/account/password", fields={"old": PW["gone"], "new": "revived-password-01",
                                                              "csrf": g.csrf})
    ok("a removed account's session cannot act", r.status == 401, r)
    _, r = login(port, "gone", PW["gone"], xff="203.0.113.52")
    ok("a removed account cannot log in", r.status == 403, r)
    r = admin.request("POST", "/api/v1/users/admin/delete", fields={"csrf": admin.csrf})
    ok("an admin cannot remove their own account", r.status == 400, r)


def test_rewritten_frame(w, port, viewer, srv):
    """last: a GET any viewer (and the message page's own frame) makes"""
    try:
        r = viewer.get("/messages/1/body?v=rewritten")
        status = r.status
    except (OSError, http.client.HTTPException) as e:
        status = repr(e)
    time.sleep(0.5)
    ok("GET /messages/1/body?v=rewritten answers 200", status == 200, status)
    ok("the server is still running after GET /messages/1/body?v=rewritten", srv.alive(),
       srv.alive() or pcweb.Server.how(srv.proc.returncode))


def main():
    exe, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    t0 = time.time()
    w = pcweb.World(exe, src, "pc-web-security-")
    srv = None
    try:
        build(w, src)
        qid = w.qids()[0]
        srv = pcweb.Server(w)
        accounts(w)
        port = w.port
        admin, r = login(port, "admin", srv.password)
        ok("admin logs in", r.status == 200, r)
        other, r = login(port, "analyst", PW["analyst"])
        ok("analyst logs in", r.status == 200, r)
        r = send(admin, "/api/v1/ioc", {"name": "keep-set"}, {"file": ("k.txt", b"keep.example\n")}, admin.csrf)
        ok("an indicator set to try deleting", r.status == 200, r)
        test_no_session(w, port, qid)
        test_csrf(w, port, admin, other, qid)
        test_metrics(w, port)
        viewer, analyst = test_roles(w, port, qid)
        test_sessions(w, port)
        test_frames(w, port, viewer, qid)
        test_password_and_removal(w, port, admin)
        test_brute_force(w, port, admin)
        test_headers()
        test_rewritten_frame(w, port, viewer, srv)
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
    return ok.done(t0)


if __name__ == "__main__":
    sys.exit(main())
