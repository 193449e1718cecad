#!/usr/bin/env python3
"""`portcullis quarantine` end to end over a quarantine directory written
here in act/quarantine.h's on-disk format (DIR/msg/QID.eml + QID.json,
0600, DIR/tmp/): list and show (text, --json, --raw), release through a
fake sendmail that records its argv and standard input (original
envelope, --to, the null sender, a failing and a missing sendmail, a
sendmail that does not read the message), release of a message held in
Postfix's hold queue through a fake postsuper, delete, the audit log (in
the store), and the refusals (unknown or invalid QID, no directory, no
store, no recipients, hostile queue ID, a release already running).

usage: cli_test.py PORTCULLIS"""
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

PC = sys.argv[1]
T = tempfile.mkdtemp(prefix="pc-quarantine-cli-")
Q = os.path.join(T, "q")
CONF = os.path.join(T, "portcullis.conf")
CALLS = os.path.join(T, "calls")
DB = os.path.join(T, "store.db")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", name, detail)


FAKE = """#!%s
# records argv and standard input, says FAKE_STDERR, exits FAKE_EXIT
import json, os, sys
out = os.environ["FAKE_OUT"]
data = b"" if os.environ.get("FAKE_NOREAD") else sys.stdin.buffer.read()
with open(out + ".argv", "w") as f:
    json.dump(sys.argv, f)
with open(out + ".stdin", "wb") as f:
    f.write(data)
sys.stderr.write(os.environ.get("FAKE_STDERR", ""))
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
""" % sys.executable


def qid(n):
    return "20261126T10%02d00Z-00001234-%016x" % (n, n)


def put(n, body, meta):
    """An entry as pc_quarantine_put leaves it; meta: dict, raw str, or None."""
    q = qid(n)
    if isinstance(meta, dict) and "sha256" in meta and meta["sha256"] is None:
        meta = dict(meta, sha256=hashlib.sha256(body).hexdigest())
    paths = []
    if meta is not None:
        text = meta if isinstance(meta, str) else json.dumps(meta)
        paths.append((os.path.join(Q, "msg", q + ".json"), text.encode()))
    paths.append((os.path.join(Q, "msg", q + ".eml"), body))
    for p, data in paths:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.close(fd)
    return q


def exists(q):
    return os.path.exists(os.path.join(Q, "msg", q + ".eml"))


def run(*args, env=None, conf=True):
    e = dict(os.environ)
    e.update(env or {})
    cmd = [PC, "quarantine"] + list(args) + (["-c", CONF] if conf else [])
    r = subprocess.run(cmd, capture_output=True, env=e, timeout=120)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def release(q, *args, env=None, tag=None):
    tag = tag or q
    e = {"FAKE_OUT": os.path.join(CALLS, tag)}
    e.update(env or {})
    rc, out, err = run("release", q, *args, env=e)
    call = None
    if os.path.exists(os.path.join(CALLS, tag + ".argv")):
        with open(os.path.join(CALLS, tag + ".argv")) as f, open(os.path.join(CALLS, tag + ".stdin"), "rb") as g:
            call = (json.load(f), g.read())
    return rc, out.decode(), err, call


def audit():
    """The quarantine's records in the store's audit log."""
    if not os.path.exists(DB):
        return []
    r = subprocess.run([PC, "quarantine", "audit", "--json", "-c", CONF], capture_output=True, timeout=120)
    return [json.loads(l) for l in r.stdout.splitlines()]


def hostile(text):
    return "\x1b" in text or "\u202e" in text or "\x9b" in text or "\x07" in text


def main():
    os.makedirs(os.path.join(Q, "msg"), 0o700)
    os.makedirs(os.path.join(Q, "tmp"), 0o700)
    os.makedirs(CALLS)
    sendmail = os.path.join(T, "fake-sendmail")
    postsuper = os.path.join(T, "fake-postsuper")
    for p in (sendmail, postsuper):
        with open(p, "w") as f:
            f.write(FAKE)
        os.chmod(p, 0o755)
    with open(CONF, "w") as f:
        f.write("[quarantine]\ndirectory = %s\nsendmail = %s  --config-arg\npostsuper = %s\n[history]\ndatabase = %s\n"
                % (Q, sendmail, postsuper, DB))

    evil_subject = "Invoice \x1b[31mRED\x1b[0m \u202egpj.exe \x9b2J\x07 done"
    # bytes as received: CRLF, a lone "." line, 8-bit, a NUL, no final newline
    body = ("Received: from mx.example.org by mail.example.test; Thu, 26 Nov 2026 10:00:00 +0000\r\n"
            "From: \"Sarah\" <a@example.org>\r\nTo: x@example.test\r\nSubject: =?utf-8?q?Invoice?=\r\n"
            "X-Evil: \x1b]0;owned\x07\r\n"
            "Message-ID: <m1@example.org>\r\n\r\nline one\r\n.\r\n\xff\x00 tail").encode("latin-1")
    scan = {"verdict": "quarantine", "score": 12.0,
            "findings": [{"detector": "impersonation.name-address", "score": 8.0,
                          "summary": "From display name names example.com \u202e",
                          "evidence": {"display_name": "Sarah", "address": "a@example.org"}},
                         {"detector": "tracker.pixel", "score": 4.0, "summary": "1x1 image",
                          "evidence": "https://t.example/p.gif"}],
            "trackers": [{"url": "https://t.example/p.gif", "element": "img", "signals": ["size"], "leak": None}]}

    def milter(mail_from, rcpt, subject="Hello", held=False, queue_id=None, sha=None):
        return {"reason": "milter", "ref": "REF1", "time": "2026-11-26T10:00:00Z", "queue_id": queue_id,
                "held": held, "client_ip": "127.0.0.1", "client_name": "localhost", "helo": "mx.example.org",
                "mail_from": mail_from, "rcpt": rcpt, "verdict": "quarantine", "score": 12.0,
                "reasons": ["impersonation.name-address", "tracker.pixel"], "campaign": 3,
                "message_id": "<m1@example.org>", "from": "a@example.org", "subject": subject,
                "sha256": sha, "scan": scan}

    A = put(1, body, milter("a@example.org", ["x@example.test", "y@example.test"], evil_subject))
    B = put(2, b"Subject: bounce\n\nnull sender\n", milter("", ["z@example.test"], "Undeliverable"))
    C = put(3, b"Subject: held\n\nheld\n", milter("h@example.org", ["x@example.test"], "held", True, "4ABC123"))
    hunt_meta = {"reason": "hunt", "source": "/var/mail/x:3", "mailbox": "/var/mail/x", "index": 3,
                 "campaign": 7, "why": "campaign 7 (malicious: lure)", "message_id": "<h@example.org>",
                 "from": "lure@example.net", "subject": "hunted", "sha256_in_mailbox": "00" * 32,
                 "time": "2026-11-26T10:04:00Z", "actor": "alice"}
    D = put(4, b"Subject: hunted\n\nhunted\n", hunt_meta)
    E = put(5, b"Subject: no metadata\n\nx\n", None)
    F = put(6, b"Subject: bad metadata\n\nx\n", "{not json")
    G = put(7, b"Subject: array metadata\n\nx\n", "[1, 2]")
    H = put(8, b"Subject: fails\n\nx\n", milter("f@example.org", ["x@example.test"]))
    I = put(9, b"Subject: redirect\n\nx\n", milter("r@example.org", ["x@example.test"]))
    J = put(10, b"Subject: held ALL\n\nx\n", milter("h@example.org", ["x@example.test"], "all", True, "ALL"))
    K = put(11, b"Subject: held gone\n\nx\n", milter("h@example.org", ["x@example.test"], "gone", True, "5DEF456"))
    L = put(12, b"X: big\n\n" + b"y" * (1 << 20), milter("b@example.org", ["x@example.test"], sha="00" * 32))
    M = put(13, b"Subject: missing sendmail\n\nx\n", milter("m@example.org", ["x@example.test"]))
    N = put(14, b"Subject: locked\n\nx\n", milter("l@example.org", ["x@example.test"]))
    allq = [A, B, C, D, E, F, G, H, I, J, K, L, M, N]
    # a crash leftover: metadata without its message, a file in tmp/
    with open(os.path.join(Q, "msg", qid(50) + ".json"), "w") as f:
        f.write("{}")
    with open(os.path.join(Q, "tmp", qid(51) + ".eml"), "w") as f:
        f.write("partial")

    # ---- list ----
    rc, out, err = run("list")
    text = out.decode("utf-8")
    lines = text.splitlines()
    check("list exit 0", rc == 0, err)
    check("list: header + one line per entry, oldest first",
          len(lines) == 1 + len(allq) and [l.split()[0] for l in lines[1:]] == allq, text)
    check("list: no control or bidi characters from the subject", not hostile(text), repr(text))
    la = lines[1] if len(lines) > 1 else ""
    check("list: A's fields", "quarantine/milter" in la and "<a@example.org>" in la and "x@example.test (+1)" in la
          and "Invoice" in la and "impersonation.name-address, tracker.pixel" in la, la)
    check("list: null sender shown as <>", "<>" in lines[2] if len(lines) > 2 else False, text)
    check("list: hunt entry (from, why)", "lure@example.net" in lines[4] and "campaign 7" in lines[4], lines[4])
    check("list: entries without usable metadata",
          "no metadata" in lines[5] and "not valid JSON" in lines[6] and "not a JSON object" in lines[7], text)
    rc, out, err = run("--json")  # list is the default subcommand
    objs = [json.loads(l) for l in out.decode().splitlines()]
    check("list --json: one object per entry, in order", rc == 0 and [o["qid"] for o in objs] == allq, err)
    if objs:
        want = dict(milter("a@example.org", ["x@example.test", "y@example.test"], evil_subject,
                           sha=hashlib.sha256(body).hexdigest()), qid=A)
        check("list --json: the metadata plus qid", objs[0] == want, objs[0])
        check("list --json: qid first", list(objs[0])[0] == "qid")
        check("list --json: ASCII only", all(b < 0x80 for b in out))
        check("list --json: no metadata", objs[4] == {"qid": E, "metadata_error": "no metadata"}, objs[4])

    # ---- show ----
    rc, out, err = run("show", A, "--json")
    check("show --json: the metadata plus qid",
          rc == 0 and json.loads(out) == dict(milter("a@example.org", ["x@example.test", "y@example.test"],
                                                     evil_subject, sha=hashlib.sha256(body).hexdigest()), qid=A),
          out)
    rc, out, err = run("show", A, "--raw")
    check("show --raw: byte-identical", rc == 0 and out == body, (rc, err, out[:80]))
    rc, out, err = run("show", A)
    text = out.decode("utf-8")
    check("show text exit 0", rc == 0, err)
    check("show text: no control or bidi characters", not hostile(text), repr(text))
    for want in ("MAIL FROM:  <a@example.org>", "<y@example.test>", "localhost [127.0.0.1]", "score 12.0",
                 "Campaign:   3", "impersonation.name-address (8.0): From display name", "evidence: {",
                 "\"display_name\":\"Sarah\"", "evidence: https://t.example/p.gif", "(as recorded)", "Header:",
                 "Subject: =?utf-8?q?Invoice?=", "X-Evil: ?]0;owned?", "Trackers:"):
        check("show text has " + want, want in text, text)
    check("show text: header block only", "line one" not in text)
    rc, out, err = run("show", L)
    check("show: a stored message that differs from the recorded sha256", rc == 0 and b"DIFFERS" in out, err)
    rc, out, err = run("show", C)
    check("show: held", rc == 0 and b"4ABC123 (held in Postfix's hold queue)" in out, err)
    rc, out, err = run("show", E)
    check("show: entry without metadata", rc == 0 and b"no metadata" in out and b"Subject: no metadata" in out, err)
    rc, out, err = run("show", D)
    check("show: hunt entry", rc == 0 and b"campaign 7 (malicious: lure)" in out and b"/var/mail/x" in out, err)
    rc, out, err = run("show", qid(40))
    check("show: unknown QID exit 1", rc == 1 and qid(40) in err, (rc, err))
    rc, out, err = run("show", qid(50))
    check("show: metadata without message is not an entry", rc == 1, (rc, err))
    for bad in ("..", "a/b", "x.eml", "Z" * 70):
        rc, out, err = run("show", bad)
        check("show: invalid QID %r exit 2" % bad, rc == 2 and "not a quarantine id" in err, (rc, err))

    # ---- refusals ----
    rc, out, err = run("list", conf=False, env={"HOME": T})
    check("no directory configured: exit 2", rc == 2 and "--dir" in err, (rc, err))
    rc, out, err = run("list", "--dir", os.path.join(T, "nowhere"))
    check("a missing directory: exit 2", rc == 2 and "nowhere" in err, (rc, err))
    rc, out, err = run("list", "-s", "quarantine.directory=" + Q, conf=False)
    check("-s quarantine.directory", rc == 0 and A.encode() in out, err)
    for args in (("frobnicate",), ("show",), ("show", A, B), ("list", "--raw"), ("release", A, "--json"),
                 ("delete", A, "--to", "x@example.test"), ("show", A, "--raw", "--json")):
        rc, out, err = run(*args)
        check("usage error: " + " ".join(args), rc == 2 and err, (rc, err))
    check("usage errors touched nothing", exists(A) and not audit())
    # no store: nowhere to audit, so no release or delete
    for sub in ("release", "delete"):
        rc, out, err = run(sub, A, "-s", "quarantine.directory=" + Q, "-s", "quarantine.sendmail=" + sendmail,
                           conf=False, env={"FAKE_OUT": os.path.join(CALLS, "nostore")})
        check("no store: %s refused, nothing run" % sub, rc == 2 and exists(A) and "audit" in err
              and not os.path.exists(os.path.join(CALLS, "nostore.argv")), (rc, err))

    # ---- release: original envelope ----
    rc, out, err, call = release(A, "--reason", "false positive \x1b[2J")
    check("release exit 0", rc == 0, err)
    check("release: argv = config args, -i -f SENDER -- RCPT...",
          call and call[0] == [sendmail, "--config-arg", "-i", "-f", "a@example.org", "--", "x@example.test",
                               "y@example.test"], call and call[0])
    check("release: stdin byte-identical", call and call[1] == body)
    check("release: entry removed", not exists(A) and not os.path.exists(os.path.join(Q, "msg", A + ".json")))
    log = audit()
    rec = log[-1] if log else {}
    check("release: audit record", rec.get("action") == "release" and rec.get("qid") == A
          and rec.get("sha256") == hashlib.sha256(body).hexdigest() and rec.get("mail_from") == "a@example.org"
          and rec.get("rcpt") == ["x@example.test", "y@example.test"] and rec.get("actor")
          and rec.get("time", "").endswith("Z") and "exit status 0" in rec.get("detail", ""), rec)
    check("release: reason kept", rec.get("reason", "").startswith("false positive"), rec)
    check("the store is 0600", os.stat(DB).st_mode & 0o777 == 0o600)
    rc, out, err, call = release(A, tag="again")
    check("release again: exit 1, nothing run", rc == 1 and call is None, (rc, err))

    # ---- the null sender ----
    rc, out, err, call = release(B)
    check("null sender: exit 0", rc == 0, err)
    check("null sender: -f '<>'", call and call[0][2:] == ["-i", "-f", "<>", "--", "z@example.test"],
          call and call[0])
    check("null sender: audited as \"\"", audit()[-1].get("mail_from") == "" and not exists(B), audit()[-1])

    # ---- --to ----
    rc, out, err, call = release(I, "--to", "analyst@example.test", "-t", "-dash@example.test")
    check("--to: exit 0", rc == 0, err)
    check("--to replaces the recipients",
          call and call[0][2:] == ["-i", "-f", "r@example.org", "--", "analyst@example.test", "-dash@example.test"],
          call and call[0])
    check("--to: audited", audit()[-1].get("rcpt") == ["analyst@example.test", "-dash@example.test"], audit()[-1])

    # ---- failures keep the message ----
    n = len(audit())
    rc, out, err, call = release(H, env={"FAKE_EXIT": "75", "FAKE_STDERR": "sendmail: temporary failure\n"})
    check("failing sendmail: exit 2, kept", rc == 2 and exists(H) and call is not None, (rc, err))
    rec = audit()[-1] if len(audit()) > n else {}
    check("failing sendmail: audit release-failed with status and output",
          rec.get("action") == "release-failed" and "exit status 75" in rec.get("detail", "")
          and "temporary failure" in rec.get("detail", "") and rec.get("qid") == H, rec)
    check("failing sendmail: said so", "75" in err and "kept" in err, err)
    rc, out, err, call = release(L, env={"FAKE_NOREAD": "1"})
    check("sendmail not reading the message: exit 2, kept", rc == 2 and exists(L), (rc, err))
    check("... audited", audit()[-1].get("action") == "release-failed" and "whole message" in audit()[-1]["detail"],
          audit()[-1])
    rc, out, err = run("release", M, "-s", "quarantine.sendmail=" + os.path.join(T, "no-such-sendmail"),
                       env={"FAKE_OUT": os.path.join(CALLS, "x")})
    check("missing sendmail: exit 2, kept", rc == 2 and exists(M) and "no-such-sendmail" in err, (rc, err))
    check("... audited", audit()[-1].get("action") == "release-failed" and audit()[-1]["qid"] == M, audit()[-1])
    lockfd = os.open(os.path.join(Q, "msg", N + ".eml"), os.O_RDONLY)
    fcntl.flock(lockfd, fcntl.LOCK_EX)
    rc, out, err, call = release(N)
    os.close(lockfd)
    check("release while another runs: exit 2, nothing run", rc == 2 and call is None and exists(N)
          and "another process" in err, (rc, err))
    rc, out, err, call = release(N)
    check("... then it goes", rc == 0 and not exists(N), err)

    # ---- held in Postfix's hold queue: postsuper -H ----
    held_env = {"FAKE_STDERR": "postsuper: 4ABC123: released from hold\npostsuper: Released from hold: 1 message\n"}
    rc, out, err = run("release", C, env=dict(held_env, FAKE_OUT=os.path.join(CALLS, "held")))
    with open(os.path.join(CALLS, "held.argv")) as f:
        argv = json.load(f)
    check("held: postsuper -H QUEUEID", rc == 0 and argv == [postsuper, "-H", "4ABC123"], (rc, err, argv))
    check("held: removed and audited", not exists(C) and audit()[-1].get("action") == "release"
          and "-H 4ABC123" in audit()[-1].get("detail", "") and audit()[-1].get("rcpt") == ["x@example.test"],
          audit()[-1])
    rc, out, err, call = release(K, env={"FAKE_STDERR": "postsuper: Released from hold: 0 messages\n"})
    check("held but not in the hold queue: exit 2, kept", rc == 2 and exists(K)
          and audit()[-1].get("action") == "release-failed", (rc, err))
    rc, out, err, call = release(J)
    check("held with queue ID ALL: refused, nothing run", rc == 2 and call is None and exists(J), (rc, err))
    rc, out, err, call = release(K, "--to", "x@example.test", tag="heldto")
    check("held with --to: refused", rc == 2 and call is None and exists(K), (rc, err))

    # ---- no recipients recorded ----
    n = len(audit())
    rc, out, err, call = release(D)
    check("hunt entry without --to: refused", rc == 2 and call is None and exists(D) and "--to" in err, (rc, err))
    rc, out, err, call = release(E)
    check("entry without metadata, no --to: refused", rc == 2 and call is None and exists(E), (rc, err))
    check("refusals are not audited", len(audit()) == n)
    rc, out, err, call = release(D, "--to", "victim@example.test")
    check("hunt entry with --to: released with the null sender",
          rc == 0 and call and call[0][2:] == ["-i", "-f", "<>", "--", "victim@example.test"]
          and call[1] == b"Subject: hunted\n\nhunted\n" and "null sender" in audit()[-1]["detail"], (rc, err, call))

    # ---- delete ----
    rc, out, err = run("delete", E, "--reason", "junk")
    check("delete: exit 0, removed", rc == 0 and not exists(E), err)
    rec = audit()[-1]
    check("delete: audited", rec.get("action") == "delete" and rec.get("qid") == E and rec.get("reason") == "junk"
          and rec.get("sha256") == hashlib.sha256(b"Subject: no metadata\n\nx\n").hexdigest()
          and rec.get("mail_from") is None and rec.get("rcpt") == [], rec)
    rc, out, err = run("delete", F)
    check("delete (bad metadata)", rc == 0 and not exists(F) and audit()[-1]["qid"] == F, err)
    rc, out, err = run("delete", E)
    check("delete unknown: exit 1", rc == 1, (rc, err))
    rc, out, err, call = release(qid(41))
    check("release unknown: exit 1", rc == 1 and call is None, (rc, err))
    rc, out, err = run("delete", "../audit")
    check("delete invalid QID: exit 2", rc == 2 and os.path.exists(DB), (rc, err))

    # ---- the audit log ----
    log = audit()
    rc, out, err = run("audit", "--json")
    check("audit --json: every record", rc == 0 and [json.loads(l) for l in out.decode().splitlines()] == log, err)
    rc, out, err = run("audit")
    text = out.decode("utf-8")
    check("audit text: one line per record", rc == 0 and len(text.splitlines()) == len(log), text)
    check("audit text: no control characters", not hostile(text), repr(text))
    check("audit text: content", A in text and "release-failed" in text and "delete" in text
          and "<a@example.org> -> x@example.test (+1)" in text, text)
    check("audit actions", [r["action"] for r in log].count("release") == 6
          and [r["action"] for r in log].count("release-failed") == 4
          and [r["action"] for r in log].count("delete") == 2, [r["action"] for r in log])
    rc, out, err = run("list")
    left = [l.split()[0] for l in out.decode().splitlines()[1:]]
    check("what is left", rc == 0 and left == [G, H, J, K, L, M], left)
    empty = os.path.join(T, "empty")
    os.mkdir(empty)
    rc, out, err = run("list", "--dir", empty)
    check("empty quarantine", rc == 0 and b"no quarantined messages" in out, (rc, err))
    rc, out, err = run("audit", "--dir", empty)
    check("empty audit", rc == 0 and b"no audit records" in out, (rc, err))

    print("quarantine cli: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        if not os.environ.get("PC_KEEP_TMP"):
            shutil.rmtree(T, ignore_errors=True)
        else:
            print("kept", T)
    sys.exit(rc)
