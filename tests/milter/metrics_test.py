#!/usr/bin/env python3
"""The milter's /metrics (issue 17 part 3), in front of a private Postfix.

  --check       a token file that is missing, too short or holds a space
                is refused (exit 2) before anything listens
  privileges    the token file is root's alone (0600) and the front end
                runs as [milter] user: every thread of it (the listener's
                too) has that user's ids, and the token still works (it
                was read before the drop)
  access        without the token, with a wrong one of the same length or
                another scheme: 401 with WWW-Authenticate; with it ("Bearer"
                in any case): 200, text/plain version 0.0.4; another path
                404, another method 405
  exposition    every scrape read by a strict parser of the text format:
                each line a HELP, a TYPE or a sample of the grammar; HELP
                and TYPE once per family, before its samples; no sample
                twice; histogram buckets ascending in le, counts monotone,
                +Inf last and equal to _count
  counters      before and after two accepted, one neutralised and one
                quarantined message: messages_total moved by exactly those,
                as the log's actions say; latency and scan histograms by 4,
                the scan's time within the latency's; connections by 4;
                quarantined by 1; nothing in flight, no worker busy
  store errors  a message scanned while another process holds the store's
                write lock: store_errors_total moves (and only then)
  restarts      every worker killed while idle: the next message restarts
                one (worker_restarts_total{reason="idle"} by 1)

usage: metrics_test.py PORTCULLIS SOURCE_DIR
Exit 77 (skip) without root or Postfix, like the other milter tests.
"""
import math
import os
import pwd
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Harness, with_id  # noqa: E402
from procs import descendants, free_port  # noqa: E402

if os.geteuid() != 0 or not shutil.which("postfix", path="/usr/sbin:/usr/bin"):
    print("skip: needs root and Postfix (make check installs it)")
    sys.exit(77)

BIN, SRC = sys.argv[1], sys.argv[2]
EX = os.path.join(SRC, "examples")
failures = []


def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


# ---- a strict reader of the text exposition format (0.0.4) ----

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
LVALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
NUMBER = r"[+-]?(?:Inf|NaN|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
HELP_RE = re.compile(r"# HELP (%s) ((?:[^\\\n]|\\[\\n])*)$" % NAME)
TYPE_RE = re.compile(r"# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)
SAMPLE_RE = re.compile(r"(%s)(?:\{((?:%s=%s)(?:,%s=%s)*)?,?\})? (%s)(?: -?[0-9]+)?$" %
                       (NAME, LABEL, LVALUE, LABEL, LVALUE, NUMBER))
PAIR_RE = re.compile(r"(%s)=(%s)" % (LABEL, LVALUE))


class Malformed(Exception):
    pass


def unescape(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v[1:-1])


def number(s):
    return float(s.replace("Inf", "inf").replace("NaN", "nan"))


def parse(text):
    """{family: {"type", "help", "samples": {(name, ((label, value), ...)): float}}}; raises Malformed."""
    if not text.endswith("\n"):
        raise Malformed("the text does not end with a line feed")
    fams, current = {}, None
    for i, line in enumerate(text[:-1].split("\n"), 1):
        where = "line %d %r" % (i, line[:120])
        if line.startswith("#"):
            m = HELP_RE.match(line)
            if m:
                name = m.group(1)
                if name in fams:
                    raise Malformed("%s: a second HELP for %s" % (where, name))
                fams[name] = {"help": m.group(2), "type": None, "samples": {}}
                current = name
                continue
            m = TYPE_RE.match(line)
            if m:
                name = m.group(1)
                if name != current or fams[name]["type"] or fams[name]["samples"]:
                    raise Malformed("%s: TYPE not right after its HELP" % where)
                fams[name]["type"] = m.group(2)
                continue
            raise Malformed("%s: a comment that is neither HELP nor TYPE" % where)
        m = SAMPLE_RE.match(line)
        if not m:
            raise Malformed("%s: not a sample" % where)
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        pairs = tuple((k, unescape(v)) for k, v in PAIR_RE.findall(labels))
        if len(set(k for k, _ in pairs)) != len(pairs):
            raise Malformed("%s: a label twice" % where)
        fam = fams.get(current)
        if not fam or not fam["type"]:
            raise Malformed("%s: a sample before its family's HELP and TYPE" % where)
        if fam["type"] == "histogram":
            ok = name in (current + "_bucket", current + "_sum", current + "_count")
            if name == current + "_bucket" and "le" not in dict(pairs):
                raise Malformed("%s: a bucket without le" % where)
        else:
            ok = name == current
        if not ok:
            raise Malformed("%s: %s is not a sample of %s (%s)" % (where, name, current, fam["type"]))
        key = (name, tuple(sorted(pairs)))
        if key in fam["samples"]:
            raise Malformed("%s: the same series twice" % where)
        v = number(value)
        if fam["type"] == "counter" and not v >= 0:
            raise Malformed("%s: a counter below 0" % where)
        fam["samples"][key] = v
    for name, fam in fams.items():
        if not fam["type"]:
            raise Malformed("%s: HELP without TYPE" % name)
        if not fam["samples"]:
            raise Malformed("%s: no samples" % name)
        if fam["type"] == "histogram":
            buckets = [(number(dict(l)["le"]), v) for (n, l), v in fam["samples"].items() if n == name + "_bucket"]
            les = [le for le, _ in buckets]
            if les != sorted(les) or len(set(les)) != len(les) or not les or les[-1] != math.inf:
                raise Malformed("%s: buckets not ascending in le, or not ending with +Inf" % name)
            counts = [c for _, c in buckets]
            if any(b < a for a, b in zip(counts, counts[1:])):
                raise Malformed("%s: bucket counts not cumulative" % name)
            if fam["samples"].get((name + "_count", ())) != counts[-1] or (name + "_sum", ()) not in fam["samples"]:
                raise Malformed("%s: _count is not the +Inf bucket, or no _sum" % name)
    return fams


def selftest():
    """The parser refuses what it must (it is what makes the scrapes' checks mean something)."""
    good = ('# HELP a_total Help \\\\ with \\n escapes.\n# TYPE a_total counter\na_total{v="x\\"y"} 3\n'
            '# HELP h H.\n# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1.5\nh_count 2\n')
    check(parse(good)["a_total"]["samples"][("a_total", (("v", 'x"y'),))] == 3, "parser: reads a correct text")
    bad = {
        "no final line feed": good[:-1],
        "sample without HELP": "a 1\n",
        "TYPE before HELP": "# TYPE a gauge\n# HELP a x\na 1\n",
        "HELP twice": "# HELP a x\n# TYPE a gauge\na 1\n# HELP a x\n",
        "unescaped quote": '# HELP a x\n# TYPE a gauge\na{v="x"y"} 1\n',
        "an unknown escape in HELP": "# HELP a x\\q\n# TYPE a gauge\na 1\n",
        "bad value": "# HELP a x\n# TYPE a gauge\na one\n",
        "other family's sample": "# HELP a x\n# TYPE a gauge\nb 1\n",
        "series twice": "# HELP a x\n# TYPE a gauge\na 1\na 2\n",
        "negative counter": "# HELP a x\n# TYPE a counter\na -1\n",
        "buckets not cumulative": '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\n'
                                  "h_sum 1\nh_count 1\n",
        "no +Inf": '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n',
        "count not +Inf": '# HELP h x\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
        "a blank line": "# HELP a x\n# TYPE a gauge\n\na 1\n",
        "a stray comment": "# HELP a x\n# TYPE a gauge\n# hello\na 1\n",
    }
    for what, text in bad.items():
        try:
            parse(text)
            check(False, "parser: refuses " + what)
        except Malformed:
            check(True, "parser: refuses " + what)


# ---- the milter ----

def scrape(port, token=None, path="/metrics", method="GET", auth=None):
    """(status, headers, body)."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=b"x" if method == "POST" else None)
    if auth is not None:
        req.add_header("Authorization", auth)
    elif token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def values(port, token):
    status, headers, body = scrape(port, token)
    if status != 200:
        raise SystemExit("scrape: %d %s" % (status, body))
    fams = parse(body)
    flat = {}
    for fam in fams.values():
        for (name, labels), v in fam["samples"].items():
            flat[(name, labels)] = v
    return fams, flat


def v(flat, name, **labels):
    return flat.get((name, tuple(sorted(labels.items()))), float("nan"))


def delta(before, after, name, **labels):
    return v(after, name, **labels) - v(before, name, **labels)


def check_refused_tokens(h, mport):
    for what, content in (("missing", None), ("too short", "short\n"), ("with a space", "a" * 20 + " b" * 5 + "\n")):
        path = os.path.join(h.T, "bad-token")
        if os.path.exists(path):
            os.unlink(path)
        if content is not None:
            with open(path, "w") as f:
                f.write(content)
        r = subprocess.run([BIN, "milter", "-c", h.conf, "--check", "-s", "milter.metrics=127.0.0.1:%d" % mport,
                            "-s", "milter.metrics_token_file=" + path], capture_output=True, text=True)
        check(r.returncode == 2 and "metrics_token_file" in r.stderr,
              "--check refuses a token file %s (exit %d: %s)" % (what, r.returncode, r.stderr.strip()[-120:]))


def front_end(h):
    for p in descendants(h.milter.pid):
        try:
            with open("/proc/%d/cmdline" % p, "rb") as f:
                if p != h.milter.pid and b"--worker" not in f.read():
                    return p
        except OSError:
            pass
    return None


def thread_uids(pid):
    """{tid: [real, effective, saved, fs uid]} of every thread of pid."""
    out = {}
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, t)) as f:
            for line in f:
                if line.startswith("Uid:"):
                    out[int(t)] = line.split()[1:]
    return out


def main():
    selftest()
    h = Harness(BIN, SRC, "pc-metrics-")
    try:
        port = free_port()
        token = "pc-" + os.urandom(18).hex()
        tfile = os.path.join(h.T, "metrics.token")
        with open(tfile, "w") as f:
            f.write(token + "\n")
        os.chmod(tfile, 0o600)
        # the front end as daemon (it owns the quarantine), the workers as
        # nobody (the harness's worker_user)
        user = pwd.getpwnam("daemon")
        os.mkdir(os.path.join(h.T, "q"), 0o770)
        os.chown(os.path.join(h.T, "q"), user.pw_uid, pwd.getpwnam("nobody").pw_gid)
        h.write_conf(extra="[milter]\nuser = daemon\nmetrics = 127.0.0.1:%d\nmetrics_token_file = %s\n" %
                     (port, tfile))
        check_refused_tokens(h, port)
        r = subprocess.run([BIN, "milter", "-c", h.conf, "--check"], capture_output=True, text=True)
        check(r.returncode == 0, "--check accepts the token file (%s)" % r.stderr.strip()[-200:])
        h.start()

        # privileges
        fe = front_end(h)
        uids = thread_uids(fe) if fe else {}
        check(len(uids) >= 3 and all(u == [str(user.pw_uid)] * 4 for u in uids.values()),
              "every thread of the front end (%d) runs as daemon: %s" % (len(uids), sorted(set(map(tuple, uids.values())))))

        # access
        for what, kw in (("no token", {}), ("a wrong token", {"auth": "Bearer " + "x" * len(token)}),
                         ("another scheme", {"auth": "Basic " + token}), ("the token alone", {"auth": token})):
            status, headers, _ = scrape(port, **kw)
            check(status == 401 and headers.get("WWW-Authenticate", "").startswith("Bearer"),
                  "401 with WWW-Authenticate: Bearer for %s (got %d)" % (what, status))
        status, headers, _ = scrape(port, path="/nowhere")
        check(status == 401, "401 before 404: nothing is told without the token (got %d)" % status)
        status, headers, body = scrape(port, token)
        check(status == 200 and headers.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
              "200 text/plain; version=0.0.4 with the token (%d %s)" % (status, headers.get("Content-Type")))
        status, _, _ = scrape(port, auth="bearer " + token)
        check(status == 200, "the scheme's name in any case (got %d)" % status)
        status, _, _ = scrape(port, token, path="/")
        check(status == 404, "404 for another path (got %d)" % status)
        status, headers, _ = scrape(port, token, method="POST")
        check(status == 405 and headers.get("Allow") == "GET", "405 with Allow: GET for POST (got %d)" % status)
        status, _, _ = scrape(port, token, method="HEAD")
        check(status == 405, "405 for HEAD (got %d)" % status)

        # counters
        fams, before = values(port, token)
        expected = {"portcullis_build_info", "portcullis_milter_messages_total", "portcullis_milter_latency_seconds",
                    "portcullis_scan_seconds", "portcullis_milter_worker_restarts_total",
                    "portcullis_milter_store_errors_total", "portcullis_milter_quarantined_total",
                    "portcullis_milter_quarantine_errors_total", "portcullis_milter_connections_total",
                    "portcullis_milter_workers"}
        check(expected <= set(fams), "the families are there (missing: %s)" % sorted(expected - set(fams)))
        check(v(before, "portcullis_milter_workers", state="idle") == 2, "2 workers idle before any message")
        check(any(n == "portcullis_build_info" and dict(l).get("version") for (n, l) in before),
              "build_info carries the version")
        sends = [("01-colleague-plain.eml", "a1"), ("02-newsletter-tracking.eml", "n1"),
                 ("03-journalist-impersonation.eml", "q1"), ("01-colleague-plain.eml", "a2")]
        for name, tid in sends:
            with open(os.path.join(EX, name), "rb") as f:
                code, text, _ = h.send(with_id(f.read(), tid))
            check(code == 250, "%s (%s) answered 250 (%d %s)" % (name, tid, code, text))
        _, after = values(port, token)
        actions = [r.get("action") for r in h.log_records() if r.get("ref")]
        check(actions == ["deliver", "rewrite", "discard", "deliver"], "the log's actions: %s" % actions)
        want = {"accept": 2, "neutralise": 1, "quarantine": 1, "reject": 0, "tempfail": 0, "unscanned": 0}
        got = {k: delta(before, after, "portcullis_milter_messages_total", verdict=k) for k in want}
        check(got == want, "messages_total moved by %s (want %s)" % (got, want))
        for hist in ("portcullis_milter_latency_seconds", "portcullis_scan_seconds"):
            check(delta(before, after, hist + "_count") == 4, "%s_count moved by 4" % hist)
        lat = delta(before, after, "portcullis_milter_latency_seconds_sum")
        scan = delta(before, after, "portcullis_scan_seconds_sum")
        check(0 < scan <= lat, "the workers' time (%.4f s) is within the answers' (%.4f s)" % (scan, lat))
        check(delta(before, after, "portcullis_milter_connections_total") == 4, "connections_total moved by 4")
        check(delta(before, after, "portcullis_milter_quarantined_total") == 1, "quarantined_total moved by 1")
        check(delta(before, after, "portcullis_milter_quarantine_errors_total") == 0, "no quarantine errors")
        check(delta(before, after, "portcullis_milter_store_errors_total") == 0, "no store errors")
        check(v(after, "portcullis_milter_messages_in_flight") == 0, "nothing in flight after the answers")
        check(v(after, "portcullis_milter_workers", state="busy") == 0, "no worker busy after the answers")
        check(sum(delta(before, after, "portcullis_milter_worker_restarts_total", reason=r)
                  for r in ("died", "timeout", "cpu", "malformed", "idle", "reload")) == 0, "no worker restarted")

        # store errors: the store's write lock held by another process
        # (WAL: the workers still read; their writes wait 5 s, then fail)
        db = sqlite3.connect(os.path.join(h.T, "store", "store.db"), timeout=30)
        db.execute("BEGIN EXCLUSIVE")
        with open(os.path.join(EX, "01-colleague-plain.eml"), "rb") as f:
            code, text, secs = h.send(with_id(f.read(), "locked"))
        db.rollback()
        db.close()
        _, locked = values(port, token)
        check(code == 250, "a message while the store is locked is still answered (%d %s, %.1f s)" % (code, text, secs))
        n = delta(after, locked, "portcullis_milter_store_errors_total")
        check(n >= 1, "store_errors_total moved (by %g) for the message scanned with the store locked" % n)
        with open(os.path.join(EX, "01-colleague-plain.eml"), "rb") as f:
            h.send(with_id(f.read(), "unlocked"))
        _, unlocked = values(port, token)
        check(delta(locked, unlocked, "portcullis_milter_store_errors_total") == 0,
              "and not for the next one, the lock released")

        # restarts: every worker killed while idle; the next message finds
        # the first one ended and starts another
        ws = h.workers()
        for p in ws:
            os.kill(p, signal.SIGKILL)
        time.sleep(0.5)
        with open(os.path.join(EX, "01-colleague-plain.eml"), "rb") as f:
            code, text, _ = h.send(with_id(f.read(), "after-kill"))
        _, killed = values(port, token)
        check(code == 250, "a message after the workers were killed is answered (%d %s)" % (code, text))
        check(len(ws) == 2 and delta(unlocked, killed, "portcullis_milter_worker_restarts_total", reason="idle") == 1,
              "worker_restarts_total{reason=\"idle\"} moved by 1 (%d workers killed)" % len(ws))
        check(delta(unlocked, killed, "portcullis_milter_messages_total", verdict="accept") == 1,
              "and the message counted as accepted")
    finally:
        if failures:
            print("--- milter log (tail)")
            print("\n".join(h.log_lines()[-30:]))
        h.stop()
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
