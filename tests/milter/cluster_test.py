#!/usr/bin/env python3
"""Two milter nodes, one shared store on PostgreSQL, one campaign (issue 18).

  sender ──SMTP──> relay Postfix ──smtp──> mx1 Postfix ── unix socket ── node 1 ─┐
  (this script)    (no milter;      └────> mx2 Postfix ── unix socket ── node 2 ─┴─ PostgreSQL
                   retries 4xx)                                                      (tests/lib/pgtest.py)

The relay stands for the sending MTAs of the Internet: it routes each
recipient to mx1 or mx2 (a per-recipient transport map, alternating) and
retries what they tempfail, with short queue run and backoff times. Each
MX is its own private Postfix (tests/milter/postfix.sh) with its own
`portcullis milter` node (own config, socket, 2 workers, metrics listener;
the same [store] section). The quarantine is the store's table
([quarantine] location = store), or with --quarantine directory a
directory per node.

The load: a 2,000-copy campaign (one template, a per-recipient tracking
token in a pixel URL, 2,000 distinct recipients) interleaved with 2,000
ordinary messages (tests/milter/gen_load.py, varied templates). The
campaign's copies come from a sender that is nobody in particular
(neutralised on their own evidence); three copies a few hundred copies in
are from the protected journalist's name on a freemail address (the
copies_test.py lure), quarantined on their own evidence, which makes the
campaign malicious: every later copy, on either node, is quarantined.

During the run node 2 is killed with SIGKILL (every process of it) and
started again 3 s later, and PostgreSQL is restarted (2 s down). Then,
once every queue is empty:

  (a) every message delivered (mx1's and mx2's Maildir) or quarantined
      exactly once, by Message-ID: none lost, none twice, none delivered
      unscanned, nothing bounced; one final answer per message in the
      milters' logs, from its own node; no ordinary message quarantined
      and no worker dead while scanning (the ordinary mail is benign);
  (b) the store holds one campaign with the template's copies, 2,000
      members (member is unique by source and Message-ID), size 2,000,
      and no other message in it;
  (c) once the campaign turned malicious (the first quarantined copy in
      the milters' logs), every later copy of the ordinary sender was
      quarantined, on both nodes (log lines more than 1 s later; a copy
      scanned in that second may have read the store before).

Prints the numbers: messages/s end to end and per node, tempfails (the
milters' 451s and the relay's deferrals), time to drain.

usage: cluster_test.py PORTCULLIS SOURCE_DIR [--campaign N] [--ordinary N]
                       [--quarantine store|directory] [--keep]
Exit 77 (skip) without root, Postfix or PostgreSQL 15; about 1 min on 2
cores (10 s of it generating the mail).
"""
import argparse
import calendar
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from procs import descendants, free_port  # noqa: E402
import pgtest  # noqa: E402

PFSH = os.path.join(HERE, "postfix.sh")
CAMPAIGN_FROM = "desk@ledger-briefings.example"
LURE_FROM = "hannah.reyes.ledger@gmail.com"


def log(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- the load

TEXT = """Dear {name},

I am preparing a piece on Thursday's committee vote on data retention and
would like to include your view before we publish.

Could you comment on the questions in the draft below by Wednesday?
{draft}

Kind regards,
{sig}
"""


def campaign_copy(i, lure):
    """(Message-ID, envelope sender, recipient, bytes) of copy i."""
    rcpt = "member%04d@parliament.test" % i
    name = "Member %d" % i
    token = hashlib.sha256(b"copy-%d" % i).hexdigest()[:16]
    if lure:
        frm, sender, sig = '"Hannah Reyes" <%s>' % LURE_FROM, LURE_FROM, "Hannah Reyes"
    else:
        frm, sender, sig = '"Ledger Briefings" <%s>' % CAMPAIGN_FROM, CAMPAIGN_FROM, "The briefings desk"
    draft = "https://docs.ledger-briefings.example/drafts/7f3a2c"
    html = ("<html><body><p>Dear %s,</p><p>I am preparing a piece on Thursday's committee vote on data "
            "retention and would like to include your view before we publish.</p><p>Could you comment on "
            "the questions in the <a href=\"%s\">draft article</a> by Wednesday?</p><p>Kind regards,<br>%s</p>"
            "<img src=\"https://t.ledger-briefings.example/o/%s.gif\" width=\"1\" height=\"1\" alt=\"\" "
            "style=\"display:none\"></body></html>" % (name, draft, sig, token))
    mid = "camp-%04d@ledger-briefings.example" % i
    b = "=_b%04d" % i
    data = ("From: %s\r\nTo: %s\r\nSubject: Request for comment: committee vote on data retention\r\n"
            "Date: Tue, 13 May 2025 08:%02d:%02d +0000\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"
            "--%s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n--%s--\r\n"
            % (frm, rcpt, (i // 60) % 60, i % 60, mid, b, b,
               TEXT.format(name=name, draft=draft, sig=sig).replace("\n", "\r\n"), b, html, b))
    return mid, sender, rcpt, data.encode()


MID_RE = re.compile(rb"(?im)^Message-ID:[ \t]*<([^>\r\n]+)>")
FROM_RE = re.compile(rb"(?im)^From:[^\r\n]*<([^>\r\n]+)>")


def triggers(ncampaign):
    """The copies sent from the journalist's name: three, 15% into the campaign (300 of 2,000)."""
    t = max(5, ncampaign * 3 // 20)
    return (t, t + 1, t + 2)


def load(tmp, src, ncampaign, nordinary):
    """[(kind, Message-ID, sender, rcpt, bytes)], campaign copies and ordinary messages interleaved."""
    d = os.path.join(tmp, "ordinary")
    subprocess.run([sys.executable, os.path.join(src, "tests", "milter", "gen_load.py"), d, str(nordinary)],
                   check=True, stdout=subprocess.DEVNULL)
    ordinary = []
    for j, path in enumerate(sorted(glob.glob(os.path.join(d, "*.eml")))):
        with open(path, "rb") as f:
            data = re.sub(rb"\r?\n", b"\r\n", f.read())
        head = data.split(b"\r\n\r\n", 1)[0]
        mid = MID_RE.search(head).group(1).decode()
        m = FROM_RE.search(head)
        ordinary.append(("ordinary", mid, m.group(1).decode() if m else "loadgen@example.org",
                         "user%04d@example.test" % j, data))
    out = []
    for i in range(max(ncampaign, len(ordinary))):
        if i < ncampaign:
            out.append(("campaign",) + campaign_copy(i, i in triggers(ncampaign)))
        if i < len(ordinary):
            out.append(ordinary[i])
    return out


def inject(port, msgs, sessions=8):
    """Sends every message (its own envelope) over SESSIONS connections to 127.0.0.1:port, or to
    port[i % len(port)] for message i, each session keeping one port; {Message-ID: code}."""
    ports = port if isinstance(port, (list, tuple)) else [port]
    lock = threading.Lock()
    todo = [list(reversed(msgs[k::len(ports)])) for k in range(len(ports))]
    res = {}

    def session(k):
        port, todo_k = ports[k], todo[k]
        s = None
        while True:
            with lock:
                if not todo_k:
                    break
                m = todo_k.pop()
            _, mid, sender, rcpt, data = m
            for attempt in range(5):
                try:
                    if s is None:
                        s = smtplib.SMTP("127.0.0.1", port, local_hostname="sender.example.org", timeout=60)
                    else:
                        s.rset()
                    s.sendmail(sender, [rcpt], data)
                    res[mid] = 250
                    break
                except smtplib.SMTPResponseException as e:
                    res[mid] = e.smtp_code
                except (smtplib.SMTPException, OSError) as e:
                    res[mid] = str(e)
                try:
                    s and s.close()
                except Exception:
                    pass
                s = None
                time.sleep(0.2)
        if s is not None:
            try:
                s.quit()
            except Exception:
                pass

    threads = [threading.Thread(target=session, args=(i % len(ports),)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return res


# ---------------------------------------------------------------- Postfix

def settle(*paths):
    subprocess.run(["touch", "-d", "10 seconds ago", *paths], check=True)


class Postfix:
    def __init__(self, dir_, port, milter):
        self.dir, self.port, self.milter = dir_, port, milter
        self.etc = os.path.join(dir_, "etc")
        self.started = False

    def start(self):
        subprocess.run(["sh", PFSH, "start", self.dir, str(self.port), self.milter or "none",
                        "tempfail" if self.milter else "accept"], check=True)
        self.started = True
        return self

    def make_relay(self, routes):
        """Turns the instance into the sending side: routes {rcpt: port}, retries every 1-2 s."""
        tmap = os.path.join(self.etc, "cluster_transport")
        with open(tmap, "w") as f:
            for rcpt, port in routes.items():
                f.write("%s smtp:[127.0.0.1]:%d\n" % (rcpt, port))
        subprocess.run(["postconf", "-c", self.etc, "-e", "transport_maps = texthash:" + tmap,
                        "queue_run_delay = 1s", "minimal_backoff_time = 1s", "maximal_backoff_time = 2s",
                        "smtp_helo_name = relay.example.org", "smtp_connect_timeout = 5s",
                        "default_destination_concurrency_limit = 20", "smtp_data_done_timeout = 120s"],
                       check=True)
        with open(os.path.join(self.etc, "master.cf"), "a") as f:
            f.write("smtp       unix  - - n -  - smtp\n")
        settle(tmap, os.path.join(self.etc, "main.cf"), os.path.join(self.etc, "master.cf"))
        subprocess.run(["postfix", "-c", self.etc, "reload"], check=True, capture_output=True)

    def queue(self):
        r = subprocess.run(["sh", PFSH, "queue", self.dir], capture_output=True, text=True)
        try:
            return int(r.stdout.strip())
        except ValueError:
            return -1

    def maillog(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.started:
            subprocess.run(["sh", PFSH, "stop", self.dir], capture_output=True)
            self.started = False


def maildir_ids(maildir):
    """[(Message-ID, scanned: has X-Portcullis-Verdict)] of every delivered file."""
    out = []
    for p in glob.glob(os.path.join(maildir, "new", "*")) + glob.glob(os.path.join(maildir, "cur", "*")):
        with open(p, "rb") as f:
            head = re.split(rb"\r?\n\r?\n", f.read(256 * 1024), 1)[0]
        m = MID_RE.search(head)
        out.append((m.group(1).decode() if m else None, b"\nX-Portcullis-Verdict:" in head))
    return out


def store_quarantine_ids(pg, db):
    """[(Message-ID, qid)] of every message in the store's quarantine table (the header's Message-ID)."""
    rows = pg.psql(db, "SELECT qid || ' ' || coalesce((regexp_match(encode(substring(original from 1 for 65536), "
                       "'escape'), '^Message-ID:[ \t]*<([^>\r\n]+)>', 'in'))[1], '-') FROM quarantine")
    return [(l.split(" ", 1)[1], l.split(" ", 1)[0]) for l in rows.splitlines() if l]


def quarantine_ids(qdir, paths=False):
    """[Message-ID] (or [(Message-ID, file)]) of every quarantined message."""
    out = []
    for p in sorted(glob.glob(os.path.join(qdir, "msg", "*.eml"))):
        with open(p, "rb") as f:
            head = re.split(rb"\r?\n\r?\n", f.read(256 * 1024), 1)[0]
        m = MID_RE.search(head)
        mid = m.group(1).decode() if m else None
        out.append((mid, p) if paths else mid)
    return out


# ---------------------------------------------------------------- milter nodes

NODE_CONF = """[organisation]
domains = parliament.test
[protected]
domains = dailyledger.example
[person]
name = Hannah Reyes
addresses = hannah.reyes@dailyledger.example
domains = dailyledger.example
{store}
[quarantine]
{quarantine}
action = discard
[milter]
socket = unix:{dir}/milter.sock
worker_user = nobody
workers = {workers}
timeout = 30
fault_action = tempfail
drain_timeout = 10
metrics = 127.0.0.1:{metrics}
[log]
format = json
[dns]
servers = off
"""


class Node:
    def __init__(self, bin_, dir_, store, workers=2, quarantine="directory"):
        """quarantine: "directory" (DIR/q, the node's own) or "store" (the shared store's table)."""
        self.bin, self.dir = bin_, dir_
        os.makedirs(os.path.join(dir_, "q"), exist_ok=True)
        os.chmod(dir_, 0o755)  # Postfix (user postfix) reaches the socket
        self.metrics = free_port()
        self.conf = os.path.join(dir_, "portcullis.conf")
        q = "location = store" if quarantine == "store" else "directory = %s/q" % dir_
        with open(self.conf, "w") as f:
            f.write(NODE_CONF.format(store=store, dir=dir_, workers=workers, metrics=self.metrics, quarantine=q))
        self.log = os.path.join(dir_, "milter.log")
        self.spec = "unix:%s/milter.sock" % dir_
        self.proc = None
        self.starts = 0

    def start(self):
        logf = open(self.log, "a")
        before = len(self.lines())
        self.proc = subprocess.Popen([self.bin, "milter", "-c", self.conf], stdout=logf, stderr=logf,
                                     preexec_fn=lambda: os.umask(0))  # the socket: Postfix's too
        logf.close()
        end = time.time() + 30
        while time.time() < end:
            if any("listening on" in l for l in self.lines()[before:]):
                self.starts += 1
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("node %s did not start:\n%s" % (self.dir, "\n".join(self.lines()[-20:])))

    def kill9(self):
        """SIGKILL to every process of the node at once (a crashed host, as far as the node goes)."""
        pids = descendants(self.proc.pid)
        for sig in (signal.SIGSTOP, signal.SIGKILL):  # stopped first: none sees another die
            for p in pids:
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
        self.proc.wait()
        return len(pids)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            pids = descendants(self.proc.pid)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def lines(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def records(self):
        """[(unix time, record)] of the per-message log lines."""
        out = []
        for l in self.lines():
            i = l.find("]: {")
            if i < 0:
                continue
            try:
                r = json.loads(l[i + 3:])
                t = calendar.timegm(time.strptime(l[:20], "%Y-%m-%dT%H:%M:%SZ"))
            except ValueError:
                continue
            if "ref" in r:
                out.append((t, r))
        return out

    def scrape(self):
        """{(name, labels): value} from /metrics, {} when it does not answer."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.metrics, timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out = {}
        for line in text.splitlines():
            m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", line)
            if m:
                out[(m.group(1), m.group(2) or "")] = float(m.group(3))
        return out


# ---------------------------------------------------------------- the test

class Check:
    def __init__(self):
        self.failures = []

    def __call__(self, cond, what):
        log(("ok:   " if cond else "FAIL: ") + what)
        if not cond:
            self.failures.append(what)


def ranges(xs, limit=12):
    xs = sorted(xs)
    return ", ".join(xs[:limit]) + (" ... (%d)" % len(xs) if len(xs) > limit else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("portcullis")
    ap.add_argument("source")
    ap.add_argument("--campaign", type=int, default=2000)
    ap.add_argument("--ordinary", type=int, default=2000)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--quarantine", choices=("store", "directory"), default="store",
                    help="[quarantine] location of both nodes: the store's table (default) or a directory each")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    if os.geteuid() != 0 or not shutil.which("postfix", path="/usr/sbin:/usr/bin"):
        log("skip: needs root and Postfix (make check installs it)")
        return 77
    if not pgtest.available() or not shutil.which("psql"):
        log("skip: needs PostgreSQL 15 (scripts/deps.sh installs it)")
        return 77
    bin_ = os.path.abspath(a.portcullis)
    src = os.path.abspath(a.source)
    check = Check()
    t_begin = time.time()
    tmp = tempfile.mkdtemp(prefix="pc-cluster-")
    os.chmod(tmp, 0o755)
    pg, nodes, pfs = None, [], []
    try:
        msgs = load(tmp, src, a.campaign, a.ordinary)
        total = len(msgs)
        log("load: %d campaign copies, %d ordinary messages (%.1f s to generate)" %
            (a.campaign, total - a.campaign, time.time() - t_begin))

        pg = pgtest.PgServer()
        pg.init().start()
        dsn = pg.create_db("cluster")
        store = "[store]\nbackend = postgresql\nconninfo = %s\ntimeout = 5\non_error = tempfail\n" % dsn
        nodes = [Node(bin_, os.path.join(tmp, "node%d" % k), store, quarantine=a.quarantine) for k in (1, 2)]
        for n in nodes:
            n.start()
        mx = [Postfix(os.path.join(tmp, "mx%d" % k), free_port(), nodes[k - 1].spec) for k in (1, 2)]
        relay = Postfix(os.path.join(tmp, "relay"), free_port(), None)
        pfs = mx + [relay]
        for p in pfs:
            p.start()
        # alternate: campaign copy i to node i % 2, ordinary message j to node (j + 1) % 2
        routes, node_of = {}, {}
        ci = oi = 0
        for kind, mid, _, rcpt, _ in msgs:
            if kind == "campaign":
                k, ci = ci % 2, ci + 1
            else:
                k, oi = (oi + 1) % 2, oi + 1
            routes[rcpt] = mx[k].port
            node_of[mid] = k
        relay.make_relay(routes)
        log("setup: PostgreSQL, 2 nodes, 3 Postfix instances in %.1f s" % (time.time() - t_begin))

        # faults, by progress (answers in the milters' logs)
        events = {}

        def answered():
            return sum(1 for n in nodes for _, r in n.records() if r.get("action") != "tempfail")

        def wait_answers(n):
            """Until n answers; raises when none came for 60 s."""
            last, t_last = -1, time.time()
            while True:
                got = answered()
                if got >= n:
                    return
                if got != last:
                    last, t_last = got, time.time()
                elif time.time() - t_last > 60:
                    raise RuntimeError("no progress: %d answers of %d" % (got, total))
                time.sleep(0.3)

        def faults():
            try:
                wait_answers(total // 4)
                events["kill"] = time.time()
                npids = nodes[1].kill9()
                log("fault: node 2 killed (SIGKILL to %d processes) at %d answers" % (npids, answered()))
                time.sleep(3)
                nodes[1].start()
                events["node_back"] = time.time()
                log("fault: node 2 started again")
                wait_answers(total * 11 // 20)
                events["pg"] = time.time()
                log("fault: PostgreSQL restart (2 s down) at %d answers" % answered())
                pg.restart(down_seconds=2)
                events["pg_back"] = time.time()
                log("fault: PostgreSQL up again")
            except Exception as e:  # reported, the run goes on
                events["error"] = repr(e)

        t0 = time.time()
        ft = threading.Thread(target=faults, daemon=True)
        ft.start()
        sent = inject(relay.port, msgs, a.sessions)
        t_sent = time.time()
        ok = sum(1 for v in sent.values() if v == 250)
        check(ok == total, "the relay accepted %d of %d messages (%.1f s, %.0f msgs/s)" %
              (ok, total, t_sent - t0, total / (t_sent - t0)))
        drained = False
        end = time.time() + 240
        while time.time() < end and "error" not in events:
            if all(p.queue() == 0 for p in pfs) and not ft.is_alive():
                drained = True
                break
            time.sleep(0.25)
        t_drained = time.time()
        check("pg_back" in events, "the faults were made (%s)" % events.get("error", "kill -9, PostgreSQL restart"))
        check(drained, "every queue empty (relay %d, mx1 %d, mx2 %d) %.1f s after the last message was sent" %
              (relay.queue(), mx[0].queue(), mx[1].queue(), t_drained - t_sent))

        # (a) exactly once, by Message-ID
        expect = {m[1]: m[0] for m in msgs}
        seen = {}
        unscanned = []
        delivered = quarantined = 0
        for p in mx:
            for mid, scanned in maildir_ids(os.path.join(p.dir, "Maildir")):
                seen[mid] = seen.get(mid, 0) + 1
                delivered += 1
                if not scanned:
                    unscanned.append(str(mid))
        if a.quarantine == "store":
            qlist = [(mid, "store:" + qid) for mid, qid in store_quarantine_ids(pg, "cluster")]
        else:
            qlist = [(mid, "%s/q/msg/%s" % (os.path.basename(n.dir), os.path.basename(f))) for n in nodes
                     for mid, f in quarantine_ids(os.path.join(n.dir, "q"), True)]
        for mid, _ in qlist:
            seen[mid] = seen.get(mid, 0) + 1
            quarantined += 1
        relay_delivered = maildir_ids(os.path.join(relay.dir, "Maildir"))
        missing = [m for m in expect if m not in seen]
        twice = [m for m, c in seen.items() if c > 1]
        unexpected = [str(m) for m in seen if m not in expect]
        check(not missing, "none lost: %d of %d delivered or quarantined (missing: %s)" %
              (len(expect) - len(missing), len(expect), ranges(missing)))
        check(not twice, "none twice (%d twice: %s)" % (len(twice), ranges(twice)))
        for m in twice[:5]:
            where = [w for mid, w in qlist if mid == m]
            log("  %s: %s" % (m, ", ".join(where) or "delivered twice"))
        check(not unexpected and not relay_delivered, "nothing else delivered (unexpected %d, at the relay %d)" %
              (len(unexpected), len(relay_delivered)))
        check(not unscanned, "every delivered message was scanned (X-Portcullis-Verdict; without: %s)" %
              ranges(unscanned))
        rlog = relay.maillog()
        bounced = len(re.findall(r"status=bounced", rlog))
        check(bounced == 0, "nothing bounced at the relay (%d)" % bounced)
        log("delivered %d, quarantined %d (in %s)" % (delivered, quarantined, "the store's quarantine table"
                                                       if a.quarantine == "store" else "the nodes' directories"))

        # the milters' answers, by Message-ID (the MX's cleanup logs queue id -> Message-ID)
        qid_mid = []
        for p in mx:
            qid_mid.append(dict(re.findall(r"postfix/cleanup\[\d+\]: ([0-9A-F]+): message-id=<([^>]*)>",
                                           p.maillog())))
        answers = {}  # Message-ID -> [(time, node, record)]
        per_node = []
        for k, n in enumerate(nodes):
            recs = n.records()
            per_node.append(recs)
            for t, r in recs:
                mid = qid_mid[k].get(r.get("queue_id") or "")
                answers.setdefault(mid, []).append((t, k, r))
        final = {mid: [x for x in v if x[2].get("action") != "tempfail"] for mid, v in answers.items()}
        nfinal = {mid: len(v) for mid, v in final.items()}
        check(all(nfinal.get(m, 0) == 1 for m in expect),
              "one final answer per message in the milters' logs (0: %d, more: %d)" %
              (sum(1 for m in expect if nfinal.get(m, 0) == 0), sum(1 for m in expect if nfinal.get(m, 0) > 1)))
        benign_q = [(m, v[0][2]) for m, v in final.items() if expect.get(m) == "ordinary" and v and
                    v[0][2].get("verdict") == "quarantine"]
        check(not benign_q, "no ordinary message quarantined (%d: %s)" % (
            len(benign_q), "; ".join("%s %s %s" % (m, r.get("reasons"), r.get("detail")) for m, r in benign_q[:4])))
        died = [(m, x[2]) for m, v in final.items() for x in v if "worker died" in (x[2].get("detail") or "")]
        check(not died, "no worker died while scanning (%d: %s)" % (
            len(died), "; ".join("%s: %s" % (m, r.get("detail")) for m, r in died[:4])))
        wrong_node = [m for m in expect if any(k != node_of[m] for _, k, _ in answers.get(m, []))]
        check(not wrong_node, "every message scanned by its own node only (others: %d)" % len(wrong_node))

        # (b) one campaign of 2,000 in the store
        rows = pg.psql("cluster", "SELECT campaign, count(*), count(DISTINCT message_id) FROM member "
                                  "WHERE message_id LIKE 'camp-%@ledger-briefings.example' GROUP BY campaign "
                                  "ORDER BY 2 DESC")
        camps = [tuple(int(x) for x in l.split("|")) for l in rows.splitlines() if l]
        check(len(camps) == 1, "the template's copies are in one campaign (%s)" %
              ", ".join("campaign %d: %d members" % (c[0], c[1]) for c in camps))
        cid = camps[0][0] if camps else -1
        members = int(pg.psql("cluster", "SELECT count(*) FROM member WHERE campaign = %d" % cid) or 0)
        distinct = int(pg.psql("cluster", "SELECT count(DISTINCT message_id) FROM member WHERE campaign = %d" % cid)
                       or 0)
        size = pg.psql("cluster", "SELECT size FROM campaign WHERE id = %d" % cid) or "-"
        status = pg.psql("cluster", "SELECT status || '/' || verdict FROM campaign WHERE id = %d" % cid) or "-"
        check(members == a.campaign and distinct == a.campaign and size == str(a.campaign),
              "campaign %d: %d members, %d distinct Message-IDs, size %s (want %d)" %
              (cid, members, distinct, size, a.campaign))
        if members != a.campaign:
            have = set(pg.psql("cluster", "SELECT message_id FROM member WHERE campaign = %d" % cid).split())
            lost = sorted(m for m, kind in expect.items() if kind == "campaign" and m not in have)
            for m in lost[:5]:
                log("  not a member: %s, answers %s" % (m, [(time.strftime("%H:%M:%S", time.gmtime(t)), k + 1,
                                                               r.get("queue_id"), r.get("action"), r.get("verdict"))
                                                              for t, k, r in answers.get(m, [])]))
        if members != distinct:
            dup = pg.psql("cluster", "SELECT message_id || ' ' || string_agg(source, ',' ORDER BY id) FROM member "
                                     "WHERE campaign = %d GROUP BY message_id HAVING count(*) > 1 LIMIT 5" % cid)
            log("  recorded twice (Message-ID, sources):\n    " + dup.replace("\n", "\n    "))
        foreign = int(pg.psql("cluster", "SELECT count(*) FROM member WHERE campaign = %d AND message_id NOT LIKE "
                                         "'camp-%%'" % cid) or 0)
        check(foreign == 0, "no other message in it (%d)" % foreign)
        log("campaign %d status/verdict %s; campaigns in the store: %s; members: %s" %
            (cid, status, pg.psql("cluster", "SELECT count(*) FROM campaign"),
             pg.psql("cluster", "SELECT count(*) FROM member")))

        # (c) malicious from the first quarantined copy on, on both nodes
        copies = [(t, k, r, mid) for mid, v in final.items() if expect.get(mid) == "campaign" for t, k, r in v]
        quar = [t for t, _, r, _ in copies if r.get("verdict") == "quarantine"]
        t_mal = min(quar) if quar else None
        lure_q = sum(1 for _, _, r, _ in copies if r.get("from") == LURE_FROM and r.get("verdict") == "quarantine")
        check(lure_q == 3, "the 3 copies from the journalist's name quarantined (%d)" % lure_q)
        before = [x for x in copies if t_mal is not None and x[0] < t_mal and x[2].get("from") == CAMPAIGN_FROM]
        after = [x for x in copies if t_mal is not None and x[0] > t_mal + 1 and x[2].get("from") == CAMPAIGN_FROM]
        for k in (0, 1):
            mine = [x for x in after if x[1] == k]
            q = sum(1 for x in mine if x[2].get("verdict") == "quarantine")
            check(mine and q == len(mine), "node %d: %d of %d later copies quarantined (%s)" %
                  (k + 1, q, len(mine), ranges([x[3] for x in mine if x[2].get("verdict") != "quarantine"], 5)))
        n_before_q = sum(1 for x in before if x[2].get("verdict") == "quarantine")
        log("before the campaign turned malicious: %d copies answered (%d quarantined); after: %d" %
            (len(before), n_before_q, len(after)))
        reason_campaign = sum(1 for x in after if "campaign.malicious" in (x[2].get("reasons") or ""))
        log("later copies with campaign.malicious among their reasons: %d of %d" % (reason_campaign, len(after)))

        # numbers
        tempfails = [sum(1 for _, r in recs if r.get("action") == "tempfail") for recs in per_node]
        why = {}
        for recs in per_node:
            for _, r in recs:
                if r.get("action") == "tempfail":
                    w = (r.get("error") or "-")[:80]
                    why[w] = why.get(w, 0) + 1
        deferred = len(re.findall(r"status=deferred", rlog))
        # the MX's own 451 when its milter does not answer (the node down)
        refused = {k: p.maillog().count("Service unavailable - try again later") for k, p in enumerate(mx)}
        log("")
        log("=== numbers")
        wall = t_drained - t0
        log("messages            %d (%d campaign copies, %d ordinary)" % (total, a.campaign, total - a.campaign))
        log("end to end          %.1f s from the first message sent to every queue empty: %.1f msgs/s" %
            (wall, total / wall))
        log("injection           %.1f s into the relay (%.0f msgs/s)" % (t_sent - t0, total / (t_sent - t0)))
        log("drain               %.1f s after the last message was sent" % (t_drained - t_sent))
        for k, recs in enumerate(per_node):
            fin = [t for t, r in recs if r.get("action") != "tempfail"]
            span = (max(fin) - min(fin) + 1) if fin else 0
            ms = sorted(r.get("ms", 0) for _, r in recs if r.get("action") != "tempfail")
            log("node %d              %d answers in %.0f s (%.1f msgs/s), milter ms p50 %.1f p99 %.1f, "
                "%d tempfails, %d starts" % (k + 1, len(fin), span, len(fin) / span if span else 0,
                                             ms[len(ms) // 2] if ms else 0, ms[int(len(ms) * 0.99)] if ms else 0,
                                             tempfails[k], nodes[k].starts))
        log("tempfails           %d by the milters (%s); %d refused by an MX without its milter; "
            "%d deferrals at the relay" % (sum(tempfails), "; ".join("%s: %d" % kv for kv in why.items()) or "-",
                                           sum(refused.values()), deferred))
        for k, n in enumerate(nodes):
            m = n.scrape()
            log("node %d metrics     store_errors_total %s, quarantined_total %s (since its last start)" %
                (k + 1, m.get(("portcullis_milter_store_errors_total", "")),
                 m.get(("portcullis_milter_quarantined_total", ""))))
        if "kill" in events:
            log("faults              node 2 killed at +%.1f s, back at +%.1f s; PostgreSQL down at +%.1f s, "
                "up at +%.1f s" % (events["kill"] - t0, events.get("node_back", t0) - t0,
                                   events.get("pg", t0) - t0, events.get("pg_back", t0) - t0))
        if t_mal:
            log("campaign malicious  at +%.1f s" % (t_mal - t0))
        if check.failures:
            log("")
            log("=== diagnostics")
            for k, n in enumerate(nodes):
                other = [l for l in n.lines() if '"ref"' not in l]
                log("node %d log, other than per-message lines (last 15 of %d):" % (k + 1, len(other)))
                for l in other[-15:]:
                    log("  " + l[:300])
            errs = {}
            try:
                with open(pg.log, errors="replace") as f:
                    for l in f:
                        if " ERROR: " in l or " FATAL: " in l:
                            e = l.split("]", 1)[-1].strip()
                            errs[e] = errs.get(e, 0) + 1
            except OSError:
                pass
            log("PostgreSQL errors (most frequent first):")
            for e, c in sorted(errs.items(), key=lambda x: -x[1])[:10]:
                log("  %6d  %s" % (c, e[:250]))
        log("outcome             %s (test run %.0f s)" % ("PASS" if not check.failures else
                                                          "FAIL (%d)" % len(check.failures), time.time() - t_begin))
    finally:
        for n in nodes:
            n.stop()
        for p in pfs:
            p.stop()
        if pg:
            if check.failures:
                try:
                    shutil.copy(pg.log, os.path.join(tmp, "postgresql.log"))
                except OSError:
                    pass
            pg.close()
        if a.keep or check.failures:
            log("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
