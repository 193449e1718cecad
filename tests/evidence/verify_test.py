#!/usr/bin/env python3
"""Custody and offline re-verification (evidence.verify).

usage: verify_test.py PORTCULLIS DKIMSIGN

A DKIM-signed message (2048-bit key, SPF and DMARC records) is scanned with
`scan --db` against dnsmasq on loopback: its custody record keeps the
SHA-256, the envelope and every DNS answer. Then the DNS server is stopped
(the key is gone from DNS) and `portcullis evidence verify SHA256` must
still say DKIM, SPF and DMARC hold, offline, from the recorded answers; a
message whose stored bytes were changed must not hold; a signature whose
x= expiry has passed since must still verify as of its arrival; a message
quarantined by the same scan (a quarantine entry made the way the milter
makes it) verifies by its QID. Exit 77 when dnsmasq or opendkim-genkey is
missing.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import dnstest  # noqa: E402

failures = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f" {detail}"))
    if not cond:
        failures.append(name)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    exe, signer = sys.argv[1], sys.argv[2]
    if not dnstest.available():
        print("SKIP: dnsmasq or opendkim-genkey not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="pc-verify-")
    dns = None
    try:
        key, rec = dnstest.genkey(tmp, "example.org", "sel", 2048)
        txt = {"example.org": ["v=spf1 ip4:192.0.2.10 -all"], "_dmarc.example.org": ["v=DMARC1; p=reject"],
               "sel._domainkey.example.org": [rec]}
        dns = dnstest.DNS(["example.org"], txt)
        port = dns.port

        def message(name, body="Hello.\n", expire=None):
            text = (f"From: Anna <anna@example.org>\nTo: reader@example.net\nSubject: verify {name}\n"
                    f"Date: Thu, 26 Nov 2026 04:00:00 +0000\nMessage-ID: <{name}@example.org>\nMIME-Version: 1.0\n"
                    f"Content-Type: text/plain; charset=utf-8\n\n{body}")
            cmd = [signer, key, "sel", "example.org"] + ([str(expire)] if expire else [])
            data = subprocess.run(cmd, input=text.encode(), capture_output=True, check=True).stdout
            path = os.path.join(tmp, name + ".eml")
            with open(path, "wb") as f:
                f.write(data)
            return path, data

        db = os.path.join(tmp, "store.db")
        good, good_bytes = message("good")
        other, _ = message("other", "Another one.\n")
        cmd = [exe, "scan", "-q", "--db", db, "--set", f"dns.servers=127.0.0.1:{port}", "--client-ip", "192.0.2.10",
               "--mail-from", "bounce@example.org", "--helo", "mx.example.org", good, other]
        r = subprocess.run(cmd, capture_output=True, timeout=120)
        check("scan --db", r.returncode == 0, r.stderr.decode(errors="replace"))
        lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
        own = [a for a in lines[0].get("auth", []) if a["source"] is None]
        check("checked live: dkim, spf, dmarc pass",
              sorted((a["method"], a["result"]) for a in own) == [("dkim", "pass"), ("dmarc", "pass"), ("spf", "pass")],
              own)

        con = sqlite3.connect(db)
        rows = con.execute("SELECT sha256, record, length(original) FROM custody ORDER BY id").fetchall()
        con.close()
        check("a custody row per message, originals kept", len(rows) == 2 and all(x[2] for x in rows), rows)
        import hashlib
        sha = hashlib.sha256(good_bytes).hexdigest()
        record = json.loads(rows[0][1]) if rows else {}
        check("custody sha256 of the bytes as received", rows and rows[0][0] == sha, (rows[0][0] if rows else None, sha))
        names = sorted((d["name"], d["type"]) for d in record.get("dns", []))
        check("DNS answers recorded (DKIM key, SPF, DMARC)",
              ("sel._domainkey.example.org", "TXT") in names and ("example.org", "TXT") in names
              and ("_dmarc.example.org", "TXT") in names, names)
        check("envelope recorded", record.get("envelope", {}).get("client_ip") == "192.0.2.10"
              and record.get("envelope", {}).get("mail_from") == "bounce@example.org", record.get("envelope"))

        # the key leaves DNS: nothing is asked again
        dns.stop()
        dns = None

        def verify(*items, expect_rc=None):
            r = subprocess.run([exe, "evidence", "verify", "--db", db, "--json"] + list(items), capture_output=True,
                               timeout=120)
            out = [json.loads(x) for x in r.stdout.decode().splitlines() if x.startswith("{")]
            return r.returncode, out, r.stderr.decode(errors="replace")

        rc, out, err = verify(sha)
        check("verify after the key left DNS: exit 0", rc == 0, (rc, out, err))
        checks = {c["method"]: c for c in (out[0]["checks"] if out else [])}
        check("dkim holds offline", checks.get("dkim", {}).get("holds") and checks["dkim"]["now"] == "pass", checks)
        check("spf holds offline", checks.get("spf", {}).get("holds"), checks)
        check("dmarc holds offline", checks.get("dmarc", {}).get("holds"), checks)
        check("nothing asked that was not recorded", out and out[0]["dns"]["unrecorded_questions"] == 0, out)

        rtext = subprocess.run([exe, "evidence", "verify", "--db", db, sha], capture_output=True, timeout=60)
        text = rtext.stdout.decode()
        check("text output says what holds", "dkim example.org s=sel: pass then, pass now: holds" in text
              and "everything recorded still holds" in text, text)

        # the stored bytes changed: must not hold
        con = sqlite3.connect(db)
        tampered = good_bytes.replace(b"Hello.", b"Hellp.")
        con.execute("UPDATE custody SET original = ? WHERE sha256 = ?", (tampered, sha))
        con.commit()
        con.close()
        rc, out, err = verify(sha)
        check("changed bytes: exit 1", rc == 1, (rc, err))
        check("changed bytes: sha256 does not hold", out and not out[0]["sha256"]["holds"], out)
        d = [c for c in (out[0]["checks"] if out else []) if c["method"] == "dkim"]
        check("changed bytes: dkim no longer passes", d and d[0]["now"] == "fail" and not d[0]["holds"], d)

        # a custody record whose DNS answer was altered (a different key): dkim fails, does not hold
        con = sqlite3.connect(db)
        sha2, rec2 = con.execute("SELECT sha256, record FROM custody ORDER BY id LIMIT 1 OFFSET 1").fetchone()
        j = json.loads(rec2)
        other_key = dnstest.genkey(tmp, "x.example.org", "sel", 1024)[1]
        import base64
        for e in j["dns"]:
            if e["name"] == "sel._domainkey.example.org":
                raw = base64.b64decode(e["answer"])
                old = rec.replace('"', "").replace(" ", "").split("p=")[1].encode()
                new = other_key.replace('"', "").replace(" ", "").split("p=")[1].encode()
                if old[:40] in raw:
                    raw = raw.replace(old[:40], new[:40])
                e["answer"] = base64.b64encode(raw).decode()
        con.execute("UPDATE custody SET record = ? WHERE sha256 = ?", (json.dumps(j), sha2))
        con.commit()
        con.close()
        rc, out, err = verify(sha2)
        check("altered key in the record: does not hold", rc == 1 and out and not out[0]["holds"], (rc, out, err))

        # an unknown hash, a bad item
        rc, out, err = verify("0" * 64)
        check("unknown sha256: exit 1 with a reason", rc == 1 and "no custody record" in err, (rc, err))
        r = subprocess.run([exe, "evidence", "verify", "--db", db, "../etc/passwd"], capture_output=True, timeout=60)
        check("bad item: exit 2", r.returncode == 2, r.stderr)

        # signature expiry: signed two days ago with x= an hour later. Checked
        # live now it has expired; had it arrived ten minutes after signing
        # (its custody record says so), verify judges it as of then: pass; a
        # record saying it arrived after x= gives fail
        import time
        dns = dnstest.DNS(["example.org"], txt)
        signed = int(time.time()) - 2 * 86400
        path = os.path.join(tmp, "expiring.eml")
        text = ("From: Anna <anna@example.org>\nTo: reader@example.net\nSubject: verify expiring\n"
                "Date: Thu, 26 Nov 2026 04:00:00 +0000\nMessage-ID: <expiring@example.org>\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=utf-8\n\nHello.\n")
        exp_bytes = subprocess.run([signer, key, "sel", "example.org", "3600", str(signed)], input=text.encode(),
                                   capture_output=True, check=True).stdout
        with open(path, "wb") as f:
            f.write(exp_bytes)
        db2 = os.path.join(tmp, "store2.db")
        r = subprocess.run([exe, "scan", "-q", "--db", db2, "--set", f"dns.servers=127.0.0.1:{dns.port}", "--client-ip",
                            "192.0.2.10", "--mail-from", "bounce@example.org", path], capture_output=True, timeout=120)
        dk = [a for a in json.loads(r.stdout.decode().splitlines()[0])["auth"] if a["method"] == "dkim"]
        check("an expired signature does not pass when checked live", dk and dk[0]["result"] != "pass"
              and "expired" in (dk[0]["reason"] or ""), dk)
        # its key was not even asked for; had it arrived in time, the key
        # would have been in its record: the answers the first message got
        con = sqlite3.connect(db)
        answers = [json.loads(x[0])["dns"] for x in con.execute("SELECT record FROM custody ORDER BY id")]
        con.close()
        dns.stop()
        dns = None
        esha = hashlib.sha256(exp_bytes).hexdigest()

        def verify_as_of(seen):
            con = sqlite3.connect(db2)
            j = json.loads(con.execute("SELECT record FROM custody").fetchone()[0])
            j["seen"] = seen
            j["dns"] = answers[0]
            for a in j["auth"]:
                if a["method"] == "dkim":
                    a["result"] = "pass"
            con.execute("UPDATE custody SET record = ?", (json.dumps(j),))
            con.commit()
            con.close()
            r = subprocess.run([exe, "evidence", "verify", "--db", db2, "--json", esha], capture_output=True, timeout=60)
            out = [json.loads(x) for x in r.stdout.decode().splitlines() if x.startswith("{")]
            return r.returncode, [c for c in (out[0]["checks"] if out else []) if c["method"] == "dkim"]

        rc, d = verify_as_of(signed + 600)
        check("verified as of its arrival before x=: pass", d and d[0]["now"] == "pass" and d[0]["holds"], (rc, d))
        rc, d = verify_as_of(signed + 7200)
        check("as of an arrival after x=: expired", rc == 1 and d and d[0]["now"] != "pass" and "expired" in (d[0]["reason"] or ""), (rc, d))
    finally:
        if dns:
            dns.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'FAIL' if failures else 'ok'}: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
