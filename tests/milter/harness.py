"""A private Postfix with `portcullis milter` in front of it, for tests.

    h = Harness(PORTCULLIS, SOURCE_DIR, "pc-bombs-")
    h.write_conf(fault="accept", extra="[limits]\ncpu = 1\n")
    h.start()                          # milter, then Postfix (tests/milter/postfix.sh)
    code, text, secs = h.send(data)    # one SMTP transaction; the end of data's answer and its time
    h.delivered("tid"), h.quarantined_ids(), h.log_records(), h.held_ids()
    h.stop()

Messages are told apart by an X-Test-Id header field (with_id). Everything
lives in a temporary directory; the Postfix instance is stopped and its
configuration directory unregistered by stop(), which also kills every
process of the milter. Needs root (Postfix does).
"""
import glob
import json
import os
import pwd
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time

from procs import descendants, free_port

BASE = """
[organisation]
domains = parliament.example
[protected]
domains = dailyledger.example
[person]
name = Hannah Reyes
addresses = hannah.reyes@dailyledger.example
domains = dailyledger.example
[history]
database = {T}/store/store.db
[quarantine]
directory = {T}/q
action = discard
[milter]
socket = inet:{MPORT}@127.0.0.1
worker_user = nobody
workers = {workers}
timeout = {timeout}
fault_action = {fault}
max_message = 16M
drain_timeout = 20
[log]
format = json
[dns]
servers = off
"""


class Harness:
    def __init__(self, bin_, src, prefix):
        self.bin = os.path.abspath(bin_)
        self.src = os.path.abspath(src)
        self.pfsh = os.path.join(self.src, "tests", "milter", "postfix.sh")
        self.T = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.T, 0o755)  # Postfix (user postfix) works below it
        # the workers run as nobody (as root the milter requires a
        # worker_user): the store is theirs
        os.makedirs(os.path.join(self.T, "store"))
        nobody = pwd.getpwnam("nobody")
        os.chown(os.path.join(self.T, "store"), nobody.pw_uid, nobody.pw_gid)
        self.smtp = free_port()
        self.mport = free_port()
        self.pf = os.path.join(self.T, "pf")
        self.conf = os.path.join(self.T, "portcullis.conf")
        self.log = os.path.join(self.T, "milter.log")
        self.maildir = os.path.join(self.pf, "Maildir")
        self.milter = None
        self.pids = set()

    def write_conf(self, fault="tempfail", workers=2, timeout=30, extra=""):
        with open(self.conf, "w") as f:
            f.write(BASE.format(T=self.T, MPORT=self.mport, fault=fault, workers=workers, timeout=timeout) + extra)

    def start(self):
        logf = open(self.log, "a")
        self.milter = subprocess.Popen([self.bin, "milter", "-c", self.conf], stdout=logf, stderr=logf)
        for _ in range(400):
            if any("listening on" in l for l in self.log_lines()):
                break
            if self.milter.poll() is not None:
                raise SystemExit("the milter did not start:\n" + "\n".join(self.log_lines()[-20:]))
            time.sleep(0.05)
        else:
            raise SystemExit("the milter did not start:\n" + "\n".join(self.log_lines()[-20:]))
        self.pids.update(descendants(self.milter.pid))
        subprocess.run(["sh", self.pfsh, "start", self.pf, str(self.smtp), "inet:127.0.0.1:%d" % self.mport,
                        "tempfail"], check=True)

    def stop(self):
        subprocess.run(["sh", self.pfsh, "stop", self.pf], capture_output=True)
        if self.milter and self.milter.poll() is None:
            self.pids.update(descendants(self.milter.pid))
            self.milter.send_signal(signal.SIGTERM)
            try:
                self.milter.wait(30)
            except subprocess.TimeoutExpired:
                pass
        for p in self.pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.T, ignore_errors=True)

    def log_lines(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def log_records(self):
        out = []
        for l in self.log_lines():
            i = l.find("]: {")
            if i >= 0:
                try:
                    out.append(json.loads(l[i + 3:]))
                except ValueError:
                    pass
        return out

    def workers(self):
        if self.milter and self.milter.poll() is None:
            self.pids.update(descendants(self.milter.pid))
        out = []
        for p in descendants(self.milter.pid) if self.milter else []:
            try:
                with open("/proc/%d/cmdline" % p, "rb") as f:
                    if b"--worker" in f.read():
                        out.append(p)
            except OSError:
                pass
        return out

    def send(self, data, frm="sender@example.org", to="user@example.test"):
        """(code, text, seconds from the end of data to its answer)."""
        s = smtplib.SMTP("127.0.0.1", self.smtp, timeout=120)
        try:
            s.ehlo("client.example.org")
            s.mail(frm)
            s.rcpt(to)
            # smtplib's data(): the DATA command, then the text and its end;
            # timed from the moment the last byte is written
            code, text = s.docmd("DATA")
            if code != 354:
                return code, text.decode(errors="replace"), 0.0
            q = smtplib.quotedata(data.decode("latin-1")).encode("latin-1")
            if not q.endswith(b"\r\n"):
                q += b"\r\n"
            s.send(q + b".\r\n")
            t0 = time.monotonic()
            code, text = s.getreply()
            return code, text.decode(errors="replace"), time.monotonic() - t0
        except smtplib.SMTPResponseException as e:
            return e.smtp_code, e.smtp_error.decode(errors="replace"), 0.0
        finally:
            try:
                s.quit()
            except Exception:
                pass

    def delivered(self, tid, timeout=0.0):
        """The delivered files that carry X-Test-Id: tid."""
        end = time.time() + timeout
        pat = ("X-Test-Id: " + tid + "\n").encode()
        while True:
            found = []
            for p in glob.glob(os.path.join(self.maildir, "new", "*")) + glob.glob(
                    os.path.join(self.maildir, "cur", "*")):
                try:
                    with open(p, "rb") as f:
                        if pat in f.read(4096):
                            found.append(p)
                except FileNotFoundError:
                    pass
            if found or time.time() >= end:
                return found
            time.sleep(0.1)

    def delivered_ids(self):
        """X-Test-Id of every delivered message (a list: an id twice is a duplicate)."""
        out = []
        for p in glob.glob(os.path.join(self.maildir, "new", "*")) + glob.glob(os.path.join(self.maildir, "cur", "*")):
            with open(p, "rb") as f:
                head = f.read(4096)
            i = head.find(b"X-Test-Id: ")
            if i >= 0:
                out.append(head[i + 11:head.find(b"\n", i)].strip().decode())
        return out

    def quarantined(self):
        """[(X-Test-Id, metadata)] of every quarantined message."""
        out = []
        for meta in glob.glob(os.path.join(self.T, "q", "msg", "*.json")):
            eml = meta[:-5] + ".eml"
            if not os.path.exists(eml):
                continue
            with open(eml, "rb") as f:
                head = f.read(4096)
            i = head.find(b"X-Test-Id: ")
            tid = head[i + 11:head.find(b"\r\n", i)].decode() if i >= 0 else None
            with open(meta) as f:
                out.append((tid, json.load(f)))
        return out

    def held_ids(self):
        """Queue ids of the messages in Postfix's hold queue."""
        r = subprocess.run(["postqueue", "-c", self.pf + "/etc", "-p"], capture_output=True, text=True)
        return [l.split()[0].rstrip("!") for l in r.stdout.splitlines() if l[:1].isalnum() and "!" in l.split()[0]]

    def queue_count(self):
        r = subprocess.run(["sh", self.pfsh, "queue", self.pf], capture_output=True, text=True)
        try:
            return int(r.stdout.strip().split()[-1])
        except (ValueError, IndexError):
            return -1


def with_id(data, tid):
    """data with an X-Test-Id field on top, CRLF line ends."""
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return b"X-Test-Id: " + tid.encode() + b"\r\n" + data
