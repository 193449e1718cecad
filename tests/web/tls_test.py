#!/usr/bin/env python3
"""web.tls: the console speaks HTTPS itself ([console] tls_cert, tls_key).

A self-signed certificate for IP 127.0.0.1 is made with the openssl
command; the console starts with it; a client that trusts only that
certificate (hostname checked) logs in over the API and reads a page;
answers carry Strict-Transport-Security; plain HTTP to the port gets no
HTTP answer; a certificate without its key, or an unreadable key, stops
the console from starting (exit status 2, a message naming the setting).
Skipped (77) without the openssl command.
usage: tls_test.py PORTCULLIS
"""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

exe = sys.argv[1]
if not shutil.which("openssl"):
    print("openssl not found: skipped")
    sys.exit(77)
failed = 0


def check(what, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + str(detail)))
    failed += 0 if ok else 1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


tmp = tempfile.mkdtemp(prefix="pc-web-tls-")
serve = None
try:
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    port = free_port()
    conf = os.path.join(tmp, "c.conf")

    def write_conf(extra):
        with open(conf, "w") as f:
            f.write("[history]\ndatabase = %s/store.db\n[console]\nlisten = 127.0.0.1:%d\n%s" % (tmp, port, extra))

    write_conf("tls_cert = %s\n" % cert)
    r = subprocess.run([exe, "serve", "-c", conf], capture_output=True, text=True, timeout=30)
    check("a certificate without its key is refused", r.returncode == 2 and "tls_key" in r.stderr, r.stderr)
    write_conf("tls_cert = %s\ntls_key = %s/missing.pem\n" % (cert, tmp))
    r = subprocess.run([exe, "serve", "-c", conf], capture_output=True, text=True, timeout=30)
    check("a missing key file is refused", r.returncode == 2, r.stderr)

    write_conf("tls_cert = %s\ntls_key = %s\n" % (cert, key))
    serve = subprocess.Popen([exe, "serve", "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pw, line = None, ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = serve.stdout.readline()
        if "one-time password" in line:
            pw = line.split("one-time password ")[1].split()[0]
        if "console is at" in line or not line:
            break
    check("it says https", "https://127.0.0.1:%d/" % port in line, line)
    ctx = ssl.create_default_context(cafile=cert)
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    c.request("GET", "/login")
    r = c.getresponse()
    r.read()
    check("GET /login over TLS: 200", r.status == 200, r.status)
    check("Strict-Transport-Security", "max-age=" in (r.getheader("Strict-Transport-Security") or ""))
    c.request("POST", "/api/v1/login", body="user=admin&password=%s" % pw,
              headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    body = json.loads(r.read())
    cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
    check("login over TLS", r.status == 200 and body.get("ok"), body)
    c.request("GET", "/api/v1/campaigns", headers={"Cookie": cookie})
    r = c.getresponse()
    check("a page with the session", r.status == 200 and "campaigns" in json.loads(r.read()))
    # plain HTTP to the TLS port: no HTTP answer
    plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        plain.request("GET", "/login")
        pr = plain.getresponse()
        ok = pr.status != 200
    except Exception:
        ok = True
    check("plain HTTP to the HTTPS port gets no page", ok)
finally:
    if serve:
        serve.terminate()
        serve.wait(timeout=30)
    shutil.rmtree(tmp, ignore_errors=True)
print("web.tls: %s" % ("ok" if not failed else "%d failed" % failed))
sys.exit(1 if failed else 0)
