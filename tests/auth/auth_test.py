#!/usr/bin/env python3
"""SPF, DKIM and DMARC against a real DNS server on loopback (auth.dns).

usage: auth_test.py PORTCULLIS DKIMSIGN

Generates RSA keys with opendkim-genkey, serves test zones with dnsmasq on
127.0.0.1:<free port> (DKIM keys longer than 255 bytes split into several
character-strings), signs test messages with DKIMSIGN (a libopendkim test
helper), scans them with `portcullis scan --set dns.servers=127.0.0.1:PORT
--client-ip ...` and checks the JSON. Two tiny UDP servers stand behind
dnsmasq for the failure cases: one that reads and drops every query
(timeout) and one that answers SERVFAIL. Exit 77 when dnsmasq or
opendkim-genkey is missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import dnstest  # noqa: E402

failures = []


def check(name, cond, detail=""):
    if cond:
        print(f"ok   {name}")
    else:
        print(f"FAIL {name} {detail}")
        failures.append(name)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    exe, signer = sys.argv[1], sys.argv[2]
    if not dnstest.available():
        print("SKIP: dnsmasq or opendkim-genkey not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="pc-auth-")
    servers = []
    try:
        return run(exe, signer, tmp, servers)
    finally:
        for x in servers:
            x.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(exe, signer, tmp, servers):
    # keys: 2048 bits for example.org (its record needs two character-strings)
    keys = {}
    for dom, bits in [("example.org", 2048), ("mail.example.org", 1024), ("esp.example.com", 1024),
                      ("other.co.uk", 1024)]:
        keys[dom] = dnstest.genkey(tmp, dom, "sel", bits)
    drop = dnstest.FakeUpstream(servfail=False)
    servers.append(drop)
    sfail = dnstest.FakeUpstream(servfail=True)
    servers.append(sfail)
    txt = {
        "example.org": ["v=spf1 ip4:192.0.2.10 -all"],
        "_dmarc.example.org": ["v=DMARC1; p=reject"],
        "sel._domainkey.example.org": [keys["example.org"][1]],
        "sel._domainkey.mail.example.org": [keys["mail.example.org"][1]],
        "soft.example.net": ["v=spf1 ip4:192.0.2.10 ~all"],
        "esp.example.com": ["v=spf1 ip4:198.51.100.7 -all"],
        "bounce.esp.example.com": ["v=spf1 ip4:198.51.100.7 -all"],
        "sel._domainkey.esp.example.com": [keys["esp.example.com"][1]],
        "_dmarc.example.co.uk": ["v=DMARC1; p=reject"],
        "sel._domainkey.other.co.uk": [keys["other.co.uk"][1]],
    }
    # authoritative answers only: every other name under these is NXDOMAIN
    dns = dnstest.DNS(["example.org", "example.net", "example.com", "co.uk", "examp1e.org"], txt,
                      {"mx.example.org": "192.0.2.10"},
                      {"slow.example.net": drop.port, "broken.example.net": sfail.port})
    servers.append(dns)
    port = dns.port
    log = os.path.join(dns.dir, "log")

    def msg(name, frm, body="Hello.\n", extra="", sign=None, tamper=False):
        text = (f"{extra}From: {frm}\nTo: reader@example.net\nSubject: test {name}\n"
                f"Date: Thu, 26 Nov 2026 04:00:00 +0000\nMessage-ID: <{name}@test>\nMIME-Version: 1.0\n"
                f"Content-Type: text/html; charset=utf-8\n\n{body}")
        path = os.path.join(tmp, name + ".eml")
        data = text.encode()
        if sign:
            keyfile, selector, domain = sign
            r = subprocess.run([signer, keyfile, selector, domain], input=data, capture_output=True, check=True)
            data = r.stdout
        if tamper:
            data = data.replace(b"Hello.", b"Hellp.")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def scan(path, ip=None, mail_from=None, helo=None, sets=(), timeout_s=5, rewrite=None):
        cmd = [exe, "scan", "-q", "--set", f"dns.servers=127.0.0.1:{port}", "--set", f"dns.timeout={timeout_s}"]
        for s in sets:
            cmd += ["--set", s]
        if ip:
            cmd += ["--client-ip", ip]
        if mail_from is not None:
            cmd += ["--mail-from", mail_from]
        if helo:
            cmd += ["--helo", helo]
        if rewrite:
            cmd += ["--rewrite", rewrite]
        t0 = time.monotonic()
        r = subprocess.run(cmd + [path], capture_output=True, timeout=120)
        took = time.monotonic() - t0
        if r.returncode != 0:
            print(r.stderr.decode(errors="replace"))
            return None, took
        return json.loads(r.stdout.decode().splitlines()[0]), took

    def auth(j, method, own=True):
        return [a for a in (j or {}).get("auth", []) if a["method"] == method and (a["source"] is None) == own]

    def result(j, method):
        a = auth(j, method)
        return a[0]["result"] if a else None

    def finding(j, det):
        return [f for f in (j or {}).get("findings", []) if f["detector"] == det]

    sign_org = (keys["example.org"][0], "sel", "example.org")
    sign_sub = (keys["mail.example.org"][0], "sel", "mail.example.org")
    sign_esp = (keys["esp.example.com"][0], "sel", "esp.example.com")
    sign_couk = (keys["other.co.uk"][0], "sel", "other.co.uk")

    # --- SPF
    j, _ = scan(msg("spf-pass", "a@example.org"), "192.0.2.10", "bounce@example.org")
    check("spf pass", result(j, "spf") == "pass", j and j.get("auth"))
    check("dmarc pass aligned by spf only", result(j, "dmarc") == "pass" and auth(j, "spf")[0]["aligned"],
          j and j.get("auth"))
    j, _ = scan(msg("spf-fail", "a@example.org"), "203.0.113.5", "bounce@example.org")
    check("spf fail", result(j, "spf") == "fail" and finding(j, "auth.spf") and
          finding(j, "auth.spf")[0]["score"] == 2, j and j.get("findings"))
    check("dmarc fail with p=reject scores 5", result(j, "dmarc") == "fail" and finding(j, "auth.dmarc") and
          finding(j, "auth.dmarc")[0]["score"] == 5 and finding(j, "auth.dmarc")[0]["evidence"]["policy"] == "reject",
          j and j.get("findings"))
    j, _ = scan(msg("spf-soft", "a@soft.example.net"), "203.0.113.5", "x@soft.example.net")
    check("spf softfail", result(j, "spf") == "softfail" and finding(j, "auth.spf")[0]["score"] == 1,
          j and j.get("auth"))
    check("dmarc none without a record", result(j, "dmarc") == "none" and not finding(j, "auth.dmarc"),
          j and j.get("auth"))
    j, _ = scan(msg("spf-none", "a@nospf.example.net"), "203.0.113.5", "x@nospf.example.net")
    check("spf none (no record)", result(j, "spf") == "none" and not finding(j, "auth.spf"), j and j.get("auth"))
    j, _ = scan(msg("spf-helo", "a@example.org"), "192.0.2.10", "", helo="example.org")
    a = auth(j, "spf")
    check("spf null sender uses helo", a and a[0]["result"] == "pass" and a[0]["property"] == "smtp.helo", a)
    j, _ = scan(msg("spf-noip", "a@example.org"), None, "bounce@example.org")
    check("no client ip: no spf check", not auth(j, "spf"), j and j.get("auth"))

    # --- DKIM
    j, _ = scan(msg("dkim-pass", "a@example.org", sign=sign_org), "203.0.113.5", "x@esp.example.com")
    a = auth(j, "dkim")
    check("dkim pass (2048-bit key in two strings)", a and a[0]["result"] == "pass" and a[0]["domain"] == "example.org"
          and a[0]["selector"] == "sel", a)
    check("dmarc pass aligned by dkim only", result(j, "dmarc") == "pass" and a and a[0]["aligned"]
          and not auth(j, "spf")[0]["aligned"], j and j.get("auth"))
    j, _ = scan(msg("dkim-tampered", "a@example.org", sign=sign_org, tamper=True), "203.0.113.5", "x@esp.example.com")
    check("dkim fail after the body changed", result(j, "dkim") == "fail" and finding(j, "auth.dkim")
          and finding(j, "auth.dkim")[0]["score"] == 2, j and j.get("auth"))
    check("dmarc fail when dkim breaks", result(j, "dmarc") == "fail", j and j.get("auth"))
    nokey = (keys["esp.example.com"][0], "gone", "example.net")
    j, _ = scan(msg("dkim-nokey", "a@example.net", sign=nokey), None, None)
    check("dkim key not found: permerror", result(j, "dkim") == "permerror" and finding(j, "auth.permerror"),
          j and j.get("auth"))
    j, _ = scan(msg("dkim-relaxed", "a@example.org", sign=sign_sub), "203.0.113.5", "x@esp.example.com")
    a = auth(j, "dkim")
    check("relaxed alignment: d=mail.example.org with From example.org", result(j, "dmarc") == "pass" and a
          and a[0]["aligned"], j and j.get("auth"))
    j, _ = scan(msg("dkim-couk", "a@example.co.uk", sign=sign_couk), "203.0.113.5", "x@other.co.uk")
    a = auth(j, "dkim")
    check("other.co.uk does not align with example.co.uk", a and a[0]["result"] == "pass" and not a[0]["aligned"]
          and result(j, "dmarc") == "fail", j and j.get("auth"))

    # at most 8 signatures are verified
    path = msg("many-sigs", "a@example.org", sign=sign_org)
    for _ in range(9):
        data = open(path, "rb").read()
        r = subprocess.run([signer, sign_sub[0], "sel", "mail.example.org"], input=data, capture_output=True,
                           check=True)
        open(path, "wb").write(r.stdout)
    j, _ = scan(path, None, None)
    lim = [f for f in finding(j, "auth.dkim") if f["evidence"].get("limit") == "8"]
    check("10 signatures: 8 verified, a finding names the limit", len(auth(j, "dkim")) == 8 and len(lim) == 1
          and all(a["result"] == "pass" for a in auth(j, "dkim")), j and j.get("findings"))

    # --- a mass-mail service sending for a lookalike domain
    j, _ = scan(msg("esp-lookalike", "Journalist <journalist@examp1e.org>", sign=sign_esp), "198.51.100.7",
                "bounce-123@bounce.esp.example.com")
    check("esp: dkim d=esp.example.com pass, not aligned",
          result(j, "dkim") == "pass" and not auth(j, "dkim")[0]["aligned"], j and j.get("auth"))
    check("esp: spf pass for the bounce domain, not aligned",
          result(j, "spf") == "pass" and not auth(j, "spf")[0]["aligned"], j and j.get("auth"))
    check("esp: dmarc of the From domain not passed", result(j, "dmarc") in ("none", "fail"), j and j.get("auth"))

    # --- upstream results
    ar = ("Authentication-Results: mx.trusted.example; spf=pass smtp.mailfrom=bounce@example.org;\n"
          "\tdkim=pass (good) header.d=example.org header.s=sel\n"
          "Authentication-Results: evil.example; dkim=pass header.d=paypal.com; dmarc=pass header.from=paypal.com\n")
    j, _ = scan(msg("upstream", "a@example.org", extra=ar), None, None,
                sets=["auth.trusted_authserv_ids=mx.trusted.example"])
    up = [a for a in (j or {}).get("auth", []) if a["source"]]
    check("trusted upstream results used", len(up) == 2 and all(a["source"] == "mx.trusted.example" for a in up)
          and {a["method"] for a in up} == {"spf", "dkim"}, up)
    check("untrusted upstream results ignored", not any("paypal" in (a["domain"] or "") for a in (j or {}).get("auth", [])),
          j and j.get("auth"))
    check("dmarc uses the trusted upstream dkim pass", result(j, "dmarc") == "pass", j and j.get("auth"))

    # a lower header with the trusted id came with the message: only the topmost counts
    ar3 = ("Authentication-Results: mx.trusted.example; dkim=none; spf=fail smtp.mailfrom=x@example.org\n"
           "Authentication-Results: mx.trusted.example; dkim=pass header.d=example.org header.s=sel\n")
    j, _ = scan(msg("upstream-forged-below", "a@example.org", extra=ar3), None, None,
                sets=["auth.trusted_authserv_ids=mx.trusted.example", "dns.servers=off"])
    check("only the topmost trusted header is read", result(j, "dkim") in (None, "none")
          and result(j, "dmarc") != "pass", j and j.get("auth"))

    ar2 = "Authentication-Results: mx.trusted.example; spf=fail smtp.mailfrom=x@example.org; dmarc=fail header.from=example.org policy.dmarc=reject\n"
    j, _ = scan(msg("upstream-fail", "a@example.org", extra=ar2), None, None,
                sets=["auth.trusted_authserv_ids=mx.trusted.example", "dns.servers=off"])
    check("trusted upstream spf=fail and dmarc=fail become findings (no DNS)",
          finding(j, "auth.spf") and finding(j, "auth.dmarc") and finding(j, "auth.dmarc")[0]["score"] == 5,
          j and j.get("findings"))
    j, _ = scan(msg("unsigned-noip", "a@example.org"), None, None)
    check("no client address, no signature: dmarc not failed", result(j, "dmarc") == "none"
          and not finding(j, "auth.dmarc"), j and j.get("auth"))

    # --- the rewritten copy carries our Authentication-Results
    pixel = ('<p>Hello.</p><img src="https://open.tracker.example.net/o/8f14e45fceea167a5a36dedd4bea2543.gif" '
             'width="1" height="1" alt="">\n')
    forged = "Authentication-Results: portcullis; dkim=pass header.d=example.org\n"
    rw = os.path.join(tmp, "rw")
    path = msg("rewrite", "a@example.org", body=pixel, extra=forged, sign=None)
    j, _ = scan(path, "192.0.2.10", "bounce@example.org", rewrite=rw)
    files = os.listdir(rw) if os.path.isdir(rw) else []
    out = open(os.path.join(rw, files[0]), "rb").read().decode(errors="replace") if files else ""
    hdrs = out.split("\n\n", 1)[0]
    check("rewrite: our Authentication-Results added",
          "Authentication-Results: portcullis;\n\tspf=pass smtp.mailfrom=bounce@example.org;" in hdrs and
          "dmarc=pass header.from=example.org" in hdrs, hdrs)
    check("rewrite: the forged one with our id removed", "dkim=pass header.d=example.org" not in hdrs, hdrs)

    # --- DNS failures: timeout and SERVFAIL are temperror, within the time bound
    j, took = scan(msg("timeout", "a@slow.example.net"), "203.0.113.5", "x@slow.example.net", timeout_s=1)
    t = finding(j, "auth.temperror")
    check("timeout: auth.temperror", bool(t) and all(f["score"] == 0 for f in t), j and j.get("findings"))
    check(f"timeout: done in {took:.2f} s < 3 x 1 s + 2 s", took < 5.0)
    print(f"     worst case measured: {took:.2f} s with dns.timeout=1")
    # worst case: SPF, the DKIM key and DMARC all time out, and the
    # rewriter rescans its output (the answers are kept for the rescan)
    slowsig = (keys["esp.example.com"][0], "sel", "slow.example.net")
    rw2 = os.path.join(tmp, "rw2")
    j, took3 = scan(msg("worst", "a@slow.example.net", body=pixel, sign=slowsig), "203.0.113.5",
                    "x@slow.example.net", timeout_s=1, rewrite=rw2)
    methods = {f["evidence"]["method"] for f in finding(j, "auth.temperror")}
    check("worst case: temperror for spf, dkim and dmarc", methods == {"spf", "dkim", "dmarc"}, methods)
    check(f"worst case: done in {took3:.2f} s < 6 x 1 s + 2 s", took3 < 8.0)
    print(f"     worst case measured: {took3:.2f} s with dns.timeout=1 (3 lookups time out, rewrite included)")
    # the true worst case: the only server drops everything, so lookups
    # wait their full timeout while one more still fits in the message's
    # per-check budgets (SPF 2, DKIM 2, DMARC 2 timeouts: at most 6)
    j, took4 = scan(msg("worst-direct", "a@example.org", body=pixel, sign=sign_org), "203.0.113.5",
                    "x@example.org", timeout_s=1, rewrite=os.path.join(tmp, "rw3"),
                    sets=[f"dns.servers=127.0.0.1:{drop.port}"])
    methods = {f["evidence"]["method"] for f in finding(j, "auth.temperror")}
    check("silent server: temperror for spf, dkim and dmarc", methods == {"spf", "dkim", "dmarc"}, methods)
    check(f"silent server: done in {took4:.2f} s < 6 x 1 s + 2 s", took4 < 8.0)
    print(f"     worst case measured: {took4:.2f} s with dns.timeout=1 (server silent, rewrite included)")
    # a DKIM key lookup answered SERVFAIL is a temporary error, not a missing key
    j, _ = scan(msg("dkim-servfail", "a@example.org", sign=(keys["esp.example.com"][0], "sel", "broken.example.net")),
                "192.0.2.10", "x@example.org", timeout_s=1)
    check("dkim key SERVFAIL: temperror, not permerror", result(j, "dkim") == "temperror"
          and not finding(j, "auth.permerror"), j and j.get("auth"))
    # a message without trackers: the copy still carries our results
    rw4 = os.path.join(tmp, "rw4")
    j, _ = scan(msg("no-trackers-rewrite", "a@example.org", sign=sign_org), "192.0.2.10", "x@example.org",
                rewrite=rw4)
    with open(os.path.join(rw4, "no-trackers-rewrite.eml"), errors="replace") as f:
        head = f.read(4000)
    check("rewrite without trackers: our Authentication-Results added, no tracker header",
          "Authentication-Results: portcullis" in head and "dkim=pass" in head
          and "X-Portcullis-Trackers" not in head, head[:400])
    j, took2 = scan(msg("servfail", "a@broken.example.net"), "203.0.113.5", "x@broken.example.net", timeout_s=1)
    t = finding(j, "auth.temperror")
    check("servfail: auth.temperror", bool(t) and result(j, "spf") == "temperror", j and j.get("auth"))
    check("bad dns.servers refused", subprocess.run([exe, "scan", "-q", "--set", "dns.servers=300.1.1.1:99",
                                                     path], capture_output=True).returncode == 2)
    if failures:
        print(f"{len(failures)} failed: {', '.join(failures)}")
        with open(log, errors="replace") as f:
            print(f.read()[-3000:])
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
