#!/usr/bin/env python3
"""Concurrent SMTP load client.

usage: smtpload.py --server 127.0.0.1:PORT --sessions 20 --messages 2000
                   --dir MSGDIR [--json OUT] [--timeout S]

Sends MESSAGES messages over SESSIONS concurrent SMTP connections. The
messages are MSGDIR/*.eml (sorted, cycled); message n (1..MESSAGES) gets
"X-Load-Id: n" as its first header so delivered or quarantined copies can
be counted (count.py). Each session keeps one connection for many messages
(MAIL/RCPT/DATA, RSET between) and reconnects after an error; envelope
sender is the message's From address, recipient user<k>@example.test.
Messages go out as bytes: CRLF line ends, dot-stuffed by smtplib.

Latency is measured from MAIL FROM to the reply after the end of DATA, and
reported (p50/p90/p99/max, ms) over the accepted messages. Every message
ends in one outcome: accepted (250), tempfailed (4xx), rejected (5xx) or
error (no SMTP reply: connection refused or lost, timeout). Prints the
summary as JSON (with the X-Load-Ids per outcome) and writes it to OUT.
Exit status 0 when every message got an SMTP reply, 1 otherwise.
"""
import argparse, glob, json, os, re, smtplib, sys, threading, time
from email.utils import parseaddr

HELO = "smtpload.example.org"  # never socket.getfqdn(): no DNS here


def load_messages(d):
    files = sorted(glob.glob(os.path.join(d, "*.eml")))
    if not files:
        sys.exit("smtpload: no *.eml in %s" % d)
    out = []
    for f in files:
        with open(f, "rb") as fh:
            data = re.sub(rb"\r?\n", b"\r\n", fh.read())  # CRLF, whatever the file had
        head = data.split(b"\r\n\r\n", 1)[0]
        m = re.search(rb"(?im)^From:[ \t]*(.*(?:\r\n[ \t].*)*)", head)
        sender = parseaddr(m.group(1).decode("ascii", "replace"))[1] if m else ""
        out.append((sender or "loadgen@example.org", data))
    return out


class Load:
    def __init__(self, a):
        self.a = a
        self.host, _, port = a.server.rpartition(":")
        self.port = int(port)
        self.msgs = load_messages(a.dir)
        self.lock = threading.Lock()
        self.next_id = 1
        self.results = {}  # id -> (outcome, code, latency_s or None, detail)

    def take(self):
        with self.lock:
            n = self.next_id
            if n > self.a.messages:
                return None
            self.next_id += 1
        if self.a.rate:  # paced: message n is due at start + (n - 1) / rate
            due = self.t_start + (n - 1) / self.a.rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        return n

    def record(self, n, outcome, code, lat, detail=""):
        with self.lock:
            self.results[n] = (outcome, code, lat, detail)

    def connect(self):
        s = smtplib.SMTP(self.host, self.port, local_hostname=HELO, timeout=self.a.timeout)
        code, msg = s.ehlo()
        if code != 250:
            s.close()
            raise smtplib.SMTPHeloError(code, msg)
        return s

    def ready(self, s):
        """A connection for the next message: RSET the old one, else a new one."""
        if s is not None:
            try:
                if s.rset()[0] == 250:
                    return s
            except (smtplib.SMTPException, OSError):
                pass
            s.close()
        return self.connect()

    def session(self):
        s = None
        while True:
            n = self.take()
            if n is None:
                break
            sender, body = self.msgs[(n - 1) % len(self.msgs)]
            data = b"X-Load-Id: %d\r\n" % n + body
            rcpt = "user%d@example.test" % (n % 50)
            drop = False
            try:
                s, prev = None, s
                s = self.ready(prev)
                t0 = time.perf_counter()
                s.sendmail(sender, [rcpt], data)
                self.record(n, "accepted", 250, time.perf_counter() - t0)
            except smtplib.SMTPRecipientsRefused as e:
                drop = self.refused(n, *e.recipients[rcpt])
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
                drop = self.refused(n, e.smtp_code, e.smtp_error)
            except (smtplib.SMTPHeloError, smtplib.SMTPConnectError) as e:
                self.refused(n, e.smtp_code, e.smtp_error)
                drop = True
            except (smtplib.SMTPException, OSError) as e:
                self.record(n, "error", None, None, "%s: %s" % (type(e).__name__, e))
                drop = True
                time.sleep(0.1)  # don't spin against a dead server
            if s is not None and (drop or s.sock is None):
                s.close()  # 421 or an error: the next message reconnects
                s = None
        if s is not None:
            try:
                s.quit()
            except (smtplib.SMTPException, OSError):
                s.close()

    def refused(self, n, code, msg):
        """Record an SMTP refusal; True when the connection must be dropped."""
        detail = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
        outcome = "tempfailed" if 400 <= code < 500 else "rejected" if 500 <= code < 600 else "error"
        self.record(n, outcome, code, None, detail)
        return code == 421 or outcome == "error"

    def run(self):
        threads = [threading.Thread(target=self.session) for _ in range(self.a.sessions)]
        t0 = self.t_start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - t0


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return round(sorted_vals[i] * 1000, 2)


def main():
    ap = argparse.ArgumentParser(description="concurrent SMTP load client")
    ap.add_argument("--server", required=True, help="HOST:PORT")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--dir", required=True, help="directory of *.eml")
    ap.add_argument("--json", help="write the summary here too")
    ap.add_argument("--timeout", type=float, default=120.0, help="per SMTP command, seconds")
    ap.add_argument("--rate", type=float, default=0, help="messages per second offered in all (0: as fast as the server takes them)")
    a = ap.parse_args()
    load = Load(a)
    elapsed = load.run()
    res = load.results
    ids = {o: sorted(n for n, r in res.items() if r[0] == o)
           for o in ("accepted", "tempfailed", "rejected", "error")}
    lat = sorted(r[2] for r in res.values() if r[0] == "accepted")
    codes = {}
    for r in res.values():
        key = str(r[1]) if r[1] is not None else "none"
        codes[key] = codes.get(key, 0) + 1
    samples = {}
    for n in sorted(res):
        o, code, _, detail = res[n]
        if detail and len(samples.setdefault(o, [])) < 5 and detail not in samples[o]:
            samples[o].append(detail)
    out = {
        "server": a.server, "sessions": a.sessions, "files": len(load.msgs),
        "sent": len(res), "accepted": len(ids["accepted"]), "tempfailed": len(ids["tempfailed"]),
        "rejected": len(ids["rejected"]), "errors": len(ids["error"]),
        "elapsed_s": round(elapsed, 3), "msgs_per_s": round(len(res) / elapsed, 1) if elapsed else None,
        "latency_ms": {"p50": pct(lat, 50), "p90": pct(lat, 90), "p99": pct(lat, 99),
                       "max": round(lat[-1] * 1000, 2) if lat else None},
        "codes": codes, "samples": samples,
        "ids": {"accepted": ids["accepted"], "tempfailed": ids["tempfailed"],
                "rejected": ids["rejected"], "errors": ids["error"]},
    }
    text = json.dumps(out, indent=1)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    brief = {k: v for k, v in out.items() if k != "ids"}
    print(json.dumps(brief, indent=1))
    sys.exit(0 if not ids["error"] else 1)


if __name__ == "__main__":
    main()
