"""What the console tests (tests/web/*_test.py) share: a world in a temporary
directory (store, quarantine, Maildirs, a fake sendmail, a metrics token, a
config), `portcullis serve` on a free loopback port, an HTTP client on the
standard library, the store's audit table, and the Node/Chromium set-up.

The server is started with PR_SET_PDEATHSIG, so it dies with the test even
when ctest kills the test on a timeout; every other exit path stops it with
SIGTERM (Server.stop, also from atexit and a SIGTERM handler). Its standard
error is kept: an AddressSanitizer or UBSan report there, or a non-zero exit
at stop, fails the test that ran it (Server.problems).

Python 3 standard library only.
"""
import atexit
import ctypes
import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    # PR_SET_PDEATHSIG = 1: SIGTERM when the test process goes, however it goes
    _libc.prctl(1, signal.SIGTERM, 0, 0, 0)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------- Node and Chromium

def browser_ready():
    """None when node (>= 20), Chromium and playwright-core are there (installed
    with npm ci from tests/web/package-lock.json when missing), else why not.
    The caller exits 77 on a reason that is an absence, 1 on a failed install."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not shutil.which("node") or not os.path.exists(chromium):
        return "skip", "chromium or node absent"
    major = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip().lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < 20:
        return "skip", "node %s: playwright-core needs Node.js 20 or later" % major
    # two tests may start at once (ctest -j): one installs, the other waits
    with open(os.path.join(HERE, ".npm-install.lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
            if not shutil.which("npm"):
                return "skip", "npm absent: cannot install playwright-core"
            r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True)
            if r.returncode != 0:
                return "fail", "npm ci failed: %s %s" % (r.stdout[-2000:], r.stderr[-2000:])
    return None


def run_node(script, config, timeout):
    """Runs tests/web/SCRIPT with CONFIG (a dict, as JSON in the file named by
    argv[2]); returns (exit status, its JSON result or None, stderr)."""
    cfg = os.path.join(config["work"], os.path.basename(script) + ".json")
    with open(cfg, "w") as f:
        json.dump(config, f)
    try:
        p = subprocess.run(["node", os.path.join(HERE, script), cfg], capture_output=True, text=True,
                           timeout=timeout, preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired as e:
        return 124, None, "node timed out after %d s\n%s" % (timeout, (e.stderr or b"")[-4000:])
    try:
        out = json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else None
    except ValueError:
        out = None
    return p.returncode, out, p.stdout[-4000:] + p.stderr[-8000:]


def screens_dir(src, prefix):
    """where the screenshots go; the last run's PREFIX*.png there removed"""
    d = os.environ.get("PC_SCREENS") or os.path.join(src, "build", "web-screens")
    os.makedirs(d, exist_ok=True)
    for n in os.listdir(d):
        if n.startswith(prefix) and n.endswith(".png"):
            os.unlink(os.path.join(d, n))
    return d


# ---------------------------------------------------------------- checks

class Checks:
    """Counts checks; prints each failure; the closing line is 'N passed, N failed'."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def __call__(self, what, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL %s: %s%s" % (self.name, what, (" -- " + str(detail)[:1500]) if detail else ""), flush=True)
        return bool(cond)

    def done(self, t0):
        print("%s: %d passed, %d failed (%.1f s)" % (self.name, self.passed, self.failed, time.time() - t0))
        return 1 if self.failed else 0


# ---------------------------------------------------------------- the world

FAKE_SENDMAIL = """#!%s
# the console's [quarantine] sendmail: keeps argv and standard input
import json, os, sys, time
d = %r
data = sys.stdin.buffer.read()
n = "%%d-%%d" %% (time.time_ns(), os.getpid())
with open(os.path.join(d, n + ".eml"), "wb") as f:
    f.write(data)
with open(os.path.join(d, n + ".argv"), "w") as f:
    json.dump(sys.argv, f)
"""


class World:
    """A temporary directory: store.db, q/ (the quarantine), md/ (the mail
    store the console purges), stage/ (Maildirs hunt empties into the
    quarantine), sent/ (what the fake sendmail got), token, portcullis.conf."""

    def __init__(self, exe, src, prefix):
        self.exe, self.src = exe, src
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.db = os.path.join(self.dir, "store.db")
        self.q = os.path.join(self.dir, "q")
        self.md = os.path.join(self.dir, "md")
        self.sent = os.path.join(self.dir, "sent")
        self.token = uuid.uuid4().hex + uuid.uuid4().hex
        self.port = free_port()
        for d in (self.q, self.sent):
            os.makedirs(d)
        self.maildir(self.md)
        self.sendmail = os.path.join(self.dir, "fake-sendmail")
        with open(self.sendmail, "w") as f:
            f.write(FAKE_SENDMAIL % (sys.executable, self.sent))
        os.chmod(self.sendmail, 0o755)
        with open(os.path.join(self.dir, "token"), "w") as f:
            f.write(self.token + "\n")
        os.chmod(os.path.join(self.dir, "token"), 0o600)
        self.conf = os.path.join(self.dir, "portcullis.conf")
        with open(os.path.join(src, "docs", "demo.conf")) as f:
            demo = f.read()
        with open(self.conf, "w") as f:
            f.write(demo + "\n[history]\ndatabase = %s\n\n[quarantine]\ndirectory = %s\nsendmail = %s\n\n"
                    "[console]\nlisten = 127.0.0.1:%d\nmail_store = %s\nmetrics_token_file = %s\n"
                    % (self.db, self.q, self.sendmail, self.port, self.md, os.path.join(self.dir, "token")))

    @staticmethod
    def maildir(path):
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(path, sub), exist_ok=True)
        return path

    def run(self, *args, stdin=None, check=True):
        p = subprocess.run([self.exe, *args], input=stdin, capture_output=True, timeout=600)
        if check and p.returncode != 0:
            raise RuntimeError("portcullis %s: exit %d\n%s" % (" ".join(args), p.returncode,
                                                               p.stderr.decode(errors="replace")[-3000:]))
        return p

    def scan(self, *paths):
        """scan --db; the JSON lines"""
        p = self.run("scan", "-q", "--config", self.conf, "--db", self.db, *paths)
        return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]

    def hunt_ioc(self, indicators, maildir):
        """moves every message of maildir matching the indicators into the quarantine"""
        f = os.path.join(self.dir, "ioc-%s.txt" % uuid.uuid4().hex[:8])
        with open(f, "w") as fh:
            fh.write("\n".join(indicators) + "\n")
        return self.run("hunt", "-q", "--config", self.conf, "--db", self.db, "--ioc", f, "--purge",
                        "--quarantine", self.q, maildir)

    def add_user(self, name, role, password):
        self.run("user", "add", name, "--role", role, "--db", self.db, "--password-stdin",
                 stdin=(password + "\n").encode())

    def audit(self):
        """the store's audit table, oldest first, as dicts"""
        c = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=30)
        c.row_factory = sqlite3.Row
        c.text_factory = lambda b: b.decode("utf-8", "replace")  # invalid UTF-8 shows as U+FFFD
        try:
            return [dict(r) for r in c.execute("SELECT * FROM audit ORDER BY id")]
        finally:
            c.close()

    def qids(self):
        d = os.path.join(self.q, "msg")
        return sorted(n[:-4] for n in os.listdir(d) if n.endswith(".eml")) if os.path.isdir(d) else []

    def sent_messages(self):
        """[(argv, bytes)] the fake sendmail got, oldest first"""
        out = []
        for n in sorted(os.listdir(self.sent)):
            if n.endswith(".eml"):
                with open(os.path.join(self.sent, n), "rb") as f:
                    data = f.read()
                with open(os.path.join(self.sent, n[:-4] + ".argv")) as f:
                    out.append((json.load(f), data))
        return out

    def cleanup(self):
        if os.environ.get("PC_KEEP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- the server

_servers = []


def _stop_all():
    for s in list(_servers):
        s.stop()


atexit.register(_stop_all)


def _on_term(signum, frame):
    _stop_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_term)
signal.signal(signal.SIGHUP, _on_term)

SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer")


class Server:
    """portcullis serve -c CONF; .password is the one-time admin password"""

    def __init__(self, world, timeout=120):
        self.world = world
        self.out = os.path.join(world.dir, "serve.out")
        self.err = os.path.join(world.dir, "serve.err")
        self.base = "http://127.0.0.1:%d" % world.port
        self.exit = self.died = None
        # Started through a link of another name: on a machine shared with
        # other work, a `pkill -f "portcullis serve"` meant for another
        # console must not stop this one in the middle of a test.
        self.exe = os.path.join(world.dir, "console-under-test")
        if not os.path.exists(self.exe):
            os.symlink(world.exe, self.exe)
        with open(self.out, "wb") as o, open(self.err, "ab") as e:
            self.proc = subprocess.Popen([self.exe, "serve", "-c", world.conf], stdout=o, stderr=e,
                                         stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        _servers.append(self)
        self.password = None
        t0 = time.time()
        while time.time() - t0 < timeout:
            text = open(self.out, errors="replace").read()
            m = re.search(r'made "admin" with the one-time password (\S+)', text)
            if m:
                self.password = m.group(1)
            if "the console is at" in text:
                break
            if self.proc.poll() is not None:
                raise RuntimeError("portcullis serve exited %d:\n%s" % (self.proc.returncode, self.stderr()))
            time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError("portcullis serve did not say where it listens in %d s:\n%s" % (timeout, self.stderr()))

    def stderr(self):
        try:
            return open(self.err, errors="replace").read()
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self in _servers:
            _servers.remove(self)
        if self.proc.poll() is not None and self.exit is None:
            self.died = self.proc.returncode  # before anyone asked it to stop
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.exit = self.proc.returncode
        return self.exit

    @staticmethod
    def how(status):
        if status < 0:
            try:
                return "killed by %s" % signal.Signals(-status).name
            except ValueError:
                return "killed by signal %d" % -status
        return "exit status %d" % status

    def problems(self):
        """what went wrong in the server itself: a sanitizer report, a bad exit"""
        out = []
        err = self.stderr()
        m = SANITIZER.search(err)
        if m:
            out.append("sanitizer report in portcullis serve's stderr:\n" + err[max(0, m.start() - 200):m.start() + 4000])
        if self.died is not None:
            out.append("portcullis serve died during the test: %s (stderr tail: %s)" % (self.how(self.died), err[-1500:]))
        elif self.exit not in (None, 0):
            out.append("portcullis serve, told to stop (SIGTERM): %s (stderr tail: %s)" % (self.how(self.exit), err[-1500:]))
        return out


# ---------------------------------------------------------------- HTTP

class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def cookie(self, name="pc_session"):
        """the value a Set-Cookie gives NAME, or None"""
        for v in self.all("Set-Cookie"):
            k, _, rest = v.partition("=")
            if k.strip() == name:
                return rest.split(";")[0]
        return None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:200])


def multipart(fields, files):
    """(body, content type) for fields {name: value} and files {name: (filename, bytes)}"""
    b = "----pcweb%s" % uuid.uuid4().hex
    out = bytearray()
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (b, k)).encode()
        out += (v if isinstance(v, bytes) else str(v).encode()) + b"\r\n"
    for k, (fn, data) in files.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"" % (b, k)).encode()
        out += (fn if isinstance(fn, bytes) else fn.encode()) + b"\"\r\nContent-Type: text/plain\r\n\r\n"
        out += data + b"\r\n"
    out += ("--%s--\r\n" % b).encode()
    return bytes(out), "multipart/form-data; boundary=" + b


class Client:
    """One user agent: its session cookie and CSRF token."""

    def __init__(self, port, cookie=None, csrf=None):
        self.port, self.cookie, self.csrf = port, cookie, csrf

    def request(self, method, path, fields=None, headers=None, body=None, ctype=None, cookie=None, timeout=120):
        h = {"Host": "127.0.0.1:%d" % self.port}
        c = cookie if cookie is not None else self.cookie
        if c:
            h["Cookie"] = "pc_session=" + c
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            ctype = "application/x-www-form-urlencoded"
        if body is not None:
            h["Content-Type"] = ctype or "application/x-www-form-urlencoded"
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body if body is not None else (b"" if method == "POST" else None),
                         headers=h)
            r = conn.getresponse()
            return Resp(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, fields=None, csrf=True, **kw):
        f = dict(fields or {})
        if csrf is True and self.csrf:
            f.setdefault("csrf", self.csrf)
        return self.request("POST", path, fields=f, **kw)

    def login(self, user, password):
        """POST /api/v1/login; the session and CSRF token kept; the answer"""
        r = self.request("POST", "/api/v1/login", fields={"user": user, "password": password})
        if r.status == 200:
            self.cookie = r.cookie()
            self.csrf = r.json()["csrf"]
        return r


def sha256(b):
    return hashlib.sha256(b).hexdigest()
