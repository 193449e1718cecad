#!/usr/bin/env python3
"""The milter's processes hold as little as they can (issue 13, item 4).

Started as root in front of a private Postfix (tests/milter/postfix.sh)
with [milter] user = daemon and worker_user = nobody, and the test-only
LD_PRELOAD shim (tests/milter/forbidden.c) that makes a worker call what
its filter forbids when a message holds a marker:

  processes     the supervisor stays root; the front end runs as daemon;
                the workers are the supervisor's children and run as
                nobody (all ids, no root group), NoNewPrivs 1, Seccomp 2,
                not dumpable (/proc/PID owned by root), rlimits (core 0,
                32 files, 0 processes, data = limits.memory unless ASan),
                descriptors: 0 socket, 1 /dev/null, 2 the log, the rest
                the store's files
  mail          an ordinary message is delivered
  forbidden     a worker making socket(AF_UNIX), and one making fork(),
                dies with SIGSYS (logged), a new worker replaces it, the
                message is not delivered, the next ordinary one is
  death outcome (DEATH_IS_LIMIT) the message whose worker died is
                quarantined with a parse.limit reason, also with
                fault_action = accept
  check         `milter --check` creates the store as worker_user, and
                fails where the worker could not write
  sandbox = no  after SIGHUP the new workers have no filter (Seccomp 0),
                the marked message is scanned and delivered; the front end
                warns
  front end     killed with SIGKILL: the supervisor starts a new one (as
                daemon) over a new channel, new workers replace the old
  SIGTERM       exit 0, no process left

usage: sandbox_test.py PORTCULLIS SOURCE_DIR FORBIDDEN_SO
Exit 77 (skip) when not root, or Postfix, swaks or the users are missing.
"""
import glob
import json
import os
import pwd
import grp
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import descendants, free_port  # noqa: E402

# The lead's change (a worker that dies while it has a message: the message
# gets parse.limit and policy.limit_action, quarantined by the front end)
# is not in this branch yet. Until it is, the assertions that need it are
# reported as PENDING and do not fail the test; set True when it lands.
DEATH_IS_LIMIT = True

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
SHIM = os.path.abspath(sys.argv[3])
PFSH = os.path.join(SRC, "tests", "milter", "postfix.sh")
EX = os.path.join(SRC, "examples")
USER, WORKER_USER = "daemon", "nobody"

if os.geteuid() != 0 or not shutil.which("postfix", path="/usr/sbin:/usr/bin") or not shutil.which("swaks"):
    print("skip: needs root, Postfix and swaks (make check installs them)")
    sys.exit(77)
try:
    U = pwd.getpwnam(USER)
    W = pwd.getpwnam(WORKER_USER)
except KeyError:
    print("skip: needs the users %s and %s" % (USER, WORKER_USER))
    sys.exit(77)

failures, pending = [], []
checks = 0


def check(cond, what, needs_lead=False):
    global checks
    if needs_lead and not DEATH_IS_LIMIT:
        pending.append(what)
        print("PENDING (lead's change):", what, "-", "holds already" if cond else "not yet", flush=True)
        return
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    else:
        print("ok:", what, flush=True)


T = tempfile.mkdtemp(prefix="pc-sandbox-")
os.chmod(T, 0o755)  # Postfix, daemon and nobody work below it
SMTP, MPORT = free_port(), free_port()
PF = os.path.join(T, "pf")
Q = os.path.join(T, "q")
STORE = os.path.join(T, "store")
CONF = os.path.join(T, "portcullis.conf")
LOG = os.path.join(T, "milter.log")
MAILDIR = os.path.join(PF, "Maildir")
# the store is the workers'; the quarantine the front end's (group: the
# workers', which write it until the front end does)
os.mkdir(STORE, 0o700)
os.chown(STORE, W.pw_uid, W.pw_gid)
os.mkdir(Q, 0o770)
os.chown(Q, U.pw_uid, W.pw_gid)

BASE = """
[organisation]
domains = parliament.example
[history]
database = {STORE}/store.db
[quarantine]
directory = {Q}
[milter]
socket = inet:{MPORT}@127.0.0.1
workers = 2
timeout = 10
fault_action = {fault}
user = {USER}
worker_user = {WORKER_USER}
sandbox = {sandbox}
[limits]
memory = 768M
[log]
format = json
[dns]
servers = off
"""


def write_conf(fault="tempfail", sandbox="yes"):
    with open(CONF, "w") as f:
        f.write(BASE.format(STORE=STORE, Q=Q, MPORT=MPORT, fault=fault, USER=USER, WORKER_USER=WORKER_USER,
                            sandbox=sandbox))


def log_lines():
    try:
        with open(LOG, errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def log_records():
    out = []
    for l in log_lines():
        i = l.find("]: {")
        if i >= 0:
            try:
                out.append(json.loads(l[i + 3:]))
            except ValueError:
                pass
    return out


milter = None


def start_milter():
    global milter
    env = dict(os.environ)
    env["LD_PRELOAD"] = SHIM
    # an ASan build: the shim is preloaded before the sanitizer's runtime
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
    logf = open(LOG, "a")
    milter = subprocess.Popen([BIN, "milter", "-c", CONF], stdout=logf, stderr=logf, env=env)
    for _ in range(200):
        if any("listening on" in l for l in log_lines()):
            return
        if milter.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit("the milter did not start:\n" + "\n".join(log_lines()[-20:]))


def status(pid):
    d = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                d[k] = v.split()
    except OSError:
        pass
    return d


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read()
    except OSError:
        return b""


seen = set()  # every pid of this test's milter: none may outlive it


def workers():
    """The live workers: (pid, ppid)."""
    out = []
    seen.update(descendants(milter.pid))
    for p in descendants(milter.pid):
        if b"--worker" in cmdline(p) and status(p).get("State", ["Z"])[0] != "Z":
            out.append((p, int(status(p).get("PPid", ["0"])[0])))
    return sorted(out)


def front_end():
    for p in descendants(milter.pid):
        if p != milter.pid and b"--worker" not in cmdline(p) and b"milter" in cmdline(p):
            return p
    return None


def limits(pid):
    out = {}
    with open("/proc/%d/limits" % pid) as f:
        for line in f.readlines()[1:]:
            name = line[:26].strip()
            soft, hard = line[26:47].strip(), line[47:68].strip()
            out[name] = (soft, hard)
    return out


def send(data, frm="sender@example.org", to="user@example.test"):
    s = smtplib.SMTP("127.0.0.1", SMTP, timeout=60)
    try:
        s.ehlo("client.example.org")
        s.mail(frm)
        s.rcpt(to)
        code, text = s.data(data)
        return code, text.decode(errors="replace")
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, e.smtp_error.decode(errors="replace")
    finally:
        try:
            s.quit()
        except Exception:
            pass


def with_id(name, tid, extra=b""):
    with open(os.path.join(EX, name), "rb") as f:
        data = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    i = data.find(b"\r\n\r\n")
    return b"X-Test-Id: " + tid.encode() + b"\r\n" + data[:i + 4] + extra + data[i + 4:]


def delivered(tid, timeout=10):
    end = time.time() + timeout
    pat = ("X-Test-Id: " + tid + "\n").encode()
    while True:
        found = [p for p in glob.glob(os.path.join(MAILDIR, "new", "*")) if pat in open(p, "rb").read()]
        if found or time.time() > end:
            return found
        time.sleep(0.1)


def quarantined(tid):
    """Quarantine entries (list --json) whose message carries X-Test-Id: tid."""
    r = subprocess.run([BIN, "quarantine", "-c", CONF, "list", "--json"], capture_output=True, text=True)
    out = []
    for line in r.stdout.splitlines():
        if not line.strip():
            continue
        e = json.loads(line)
        raw = subprocess.run([BIN, "quarantine", "-c", CONF, "show", e["qid"], "--raw"], capture_output=True).stdout
        if ("X-Test-Id: " + tid + "\r\n").encode() in raw:
            out.append(e)
    return out


def wait_workers(n, other_than=(), timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        w = [p for p, _ in workers() if p not in other_than]
        if len(w) >= n:
            return w
        time.sleep(0.05)
    return [p for p, _ in workers() if p not in other_than]


def hup():
    n = len(log_lines())
    milter.send_signal(signal.SIGHUP)
    for _ in range(100):
        if any("reload" in l or "SIGHUP" in l for l in log_lines()[n:]):
            return log_lines()[n:]
        time.sleep(0.05)
    return log_lines()[n:]


def forbidden_run(tid, marker):
    """Sends a message with the marker; (code, died-with-SIGSYS logged, replaced)."""
    before = [p for p, _ in workers()]
    nlog = len(log_lines())
    code, text = send(with_id("01-colleague-plain.eml", tid, b"Marker: " + marker + b"\r\n\r\n"))
    time.sleep(0.3)
    new = log_lines()[nlog:]
    sigsys = any("signal %d" % signal.SIGSYS in l for l in new)
    after = wait_workers(2)
    replaced = len(after) == 2 and set(after) != set(before)
    return code, text, sigsys, replaced, new


def main():
    write_conf()
    start_milter()
    subprocess.run(["sh", PFSH, "start", PF, str(SMTP), "inet:127.0.0.1:%d" % MPORT, "tempfail"], check=True)
    asan = False

    # 1. who runs what
    ws = wait_workers(2)
    check(status(milter.pid)["Uid"] == ["0"] * 4, "supervisor: root (it starts the workers)")
    fe = front_end()
    check(fe and status(fe)["Uid"] == [str(U.pw_uid)] * 4 and status(fe)["Gid"] == [str(U.pw_gid)] * 4,
          "front end: runs as %s (all ids)" % USER)
    check(len(ws) == 2, "two workers")
    for p, ppid in workers():
        st = status(p)
        with open("/proc/%d/maps" % p) as f:
            asan = asan or "libasan" in f.read()
        check(ppid == milter.pid, "worker %d: a child of the supervisor" % p)
        check(st["Uid"] == [str(W.pw_uid)] * 4 and st["Gid"] == [str(W.pw_gid)] * 4,
              "worker %d: runs as %s (uid %s gid %s)" % (p, WORKER_USER, st["Uid"], st["Gid"]))
        check("0" not in st.get("Groups", []), "worker %d: not in group root (%s)" % (p, st.get("Groups")))
        check(st["NoNewPrivs"] == ["1"] and st["Seccomp"] == ["2"],
              "worker %d: NoNewPrivs 1, Seccomp 2 (%s, %s)" % (p, st["NoNewPrivs"], st["Seccomp"]))
        check(os.stat("/proc/%d/status" % p).st_uid == 0, "worker %d: not dumpable (/proc/PID owned by root)" % p)
        lim = limits(p)
        check(lim["Max core file size"] == ("0", "0") and lim["Max open files"] == ("32", "32") and
              lim["Max processes"] == ("0", "0"), "worker %d: rlimits core 0, files 32, processes 0" % p)
        if not asan:
            check(lim["Max data size"] == (str(768 << 20),) * 2, "worker %d: data size = limits.memory" % p)
        fds = {}
        for fd in os.listdir("/proc/%d/fd" % p):
            try:
                fds[int(fd)] = os.readlink("/proc/%d/fd/%s" % (p, fd))
            except OSError:
                pass
        rest = {k: v for k, v in fds.items() if k > 2}
        check(fds.get(0, "").startswith("socket:") and fds.get(1) == "/dev/null" and fds.get(2) == LOG and
              all(v.startswith(STORE + "/store.db") for v in rest.values()),
              "worker %d: fds 0 socket, 1 /dev/null, 2 the log, the rest the store (%s)" % (p, fds))
    check(os.stat(os.path.join(STORE, "store.db")).st_uid == W.pw_uid, "store: owned by %s" % WORKER_USER)

    # 2. ordinary mail
    code, _ = send(with_id("01-colleague-plain.eml", "plain1"))
    check(code == 250 and len(delivered("plain1")) == 1, "ordinary message delivered (%d)" % code)

    # 3. a forbidden system call kills its worker; the next message is fine
    for tid, marker in (("forbid-unix", b"PC-FORBIDDEN-SYSCALL"), ("forbid-fork", b"PC-FORBIDDEN-SYSCALL-FORK")):
        code, text, sigsys, replaced, new = forbidden_run(tid, marker)
        what = tid[7:]
        check(sigsys, "%s: the worker died with SIGSYS (logged) %s" % (what, [l[-160:] for l in new][-2:]))
        check(replaced, "%s: a new worker replaced it" % what)
        check(not delivered(tid, 2), "%s: not delivered (%d %s)" % (what, code, text[:60]))
        q = quarantined(tid)
        check(code == 250 and len(q) == 1, "%s: accepted and quarantined (%d, %d entries)" % (what, code, len(q)),
              needs_lead=True)
        check(q and "parse.limit" in (q[0].get("reasons") or []) + [f.get("detector") for f in
                                                                     q[0].get("scan", {}).get("findings", [])],
              "%s: quarantined with a parse.limit reason" % what, needs_lead=True)
        code, _ = send(with_id("01-colleague-plain.eml", tid + "-next"))
        check(code == 250 and len(delivered(tid + "-next")) == 1, "%s: the next ordinary message delivered" % what)

    # 4. fault_action = accept: a message that kills its worker is still not delivered
    write_conf(fault="accept")
    hup()
    code, text, sigsys, replaced, _ = forbidden_run("forbid-accept", b"PC-FORBIDDEN-SYSCALL")
    check(sigsys and replaced, "fault_action = accept: the worker died with SIGSYS and was replaced")
    check(not delivered("forbid-accept", 2), "fault_action = accept: the message that killed its worker is not "
          "delivered (%d %s)" % (code, text[:60]), needs_lead=True)
    check(len(quarantined("forbid-accept")) == 1, "fault_action = accept: it is quarantined", needs_lead=True)

    # 5. --check: the store is created as worker_user; a store the worker
    # could not write fails the check
    s2 = os.path.join(T, "store2")
    os.mkdir(s2, 0o700)
    os.chown(s2, W.pw_uid, W.pw_gid)
    r = subprocess.run([BIN, "milter", "--check", "-c", CONF, "-s", "history.database=%s/new.db" % s2],
                       capture_output=True, text=True)
    check(r.returncode == 0 and os.stat(os.path.join(s2, "new.db")).st_uid == W.pw_uid,
          "--check: the store it creates belongs to %s (%d %s)" % (WORKER_USER, r.returncode, r.stderr.strip()))
    s3 = os.path.join(T, "rootonly")
    os.mkdir(s3, 0o755)
    r = subprocess.run([BIN, "milter", "--check", "-c", CONF, "-s", "history.database=%s/x.db" % s3],
                       capture_output=True, text=True)
    check(r.returncode == 2 and not os.path.exists(os.path.join(s3, "x.db")),
          "--check: fails where %s cannot write the store (%d %s)" % (WORKER_USER, r.returncode,
                                                                       r.stderr.strip()[-120:]))
    r = subprocess.run([BIN, "milter", "--check", "-c", CONF, "-s", "milter.worker_user=no-such-user-pc"],
                       capture_output=True, text=True)
    check(r.returncode == 2 and "no such user" in r.stderr, "--check: an unknown worker_user is refused")

    # 6. sandbox = no (diagnosing only): new workers unfiltered, the marked
    # message is scanned like any other; the front end warns
    write_conf(sandbox="no")
    lines = hup()
    old = [p for p, _ in workers()]
    for i in range(4):  # workers are replaced as they are picked
        send(with_id("01-colleague-plain.eml", "swap%d" % i))
    ws = [p for p in wait_workers(2) if p not in old]
    check(ws and all(status(p)["Seccomp"] == ["0"] for p in ws), "sandbox = no: new workers without the filter")
    check(any("sandbox = no" in l for l in lines), "sandbox = no: a warning in the log")
    code, _ = send(with_id("01-colleague-plain.eml", "unfiltered", b"Marker: PC-FORBIDDEN-SYSCALL\r\n\r\n"))
    check(code == 250 and len(delivered("unfiltered")) == 1, "sandbox = no: the marked message delivered")

    # 7. the front end killed: the supervisor starts another, with a new
    # channel, and new workers; the old ones end with their sockets
    fe = front_end()
    old = [p for p, _ in workers()]
    os.kill(fe, signal.SIGKILL)
    end = time.time() + 15
    while time.time() < end and (front_end() in (None, fe) or len(wait_workers(2, old, 0.1)) < 2):
        time.sleep(0.1)
    fe2 = front_end()
    time.sleep(0.5)
    check(fe2 not in (None, fe) and status(fe2)["Uid"] == [str(U.pw_uid)] * 4,
          "front end killed: a new one runs as %s" % USER)
    ws = [p for p, _ in workers()]
    check(len(ws) == 2 and not set(ws) & set(old), "front end killed: two new workers, the old ones gone (%s, %s)" %
          (old, ws))
    code, _ = send(with_id("01-colleague-plain.eml", "after-fe"))
    check(code == 250 and len(delivered("after-fe")) == 1, "front end killed: the next message delivered (%d)" % code)

    # 8. SIGTERM
    milter.send_signal(signal.SIGTERM)
    rc = milter.wait(60)
    time.sleep(0.5)
    left = [p for p in seen if b"milter" in cmdline(p) and status(p).get("State", ["Z"])[0] != "Z"]
    check(rc == 0 and not left, "SIGTERM: exit 0, no milter process left (%s, %s)" % (rc, left))


try:
    main()
finally:
    if milter and milter.poll() is None:
        milter.send_signal(signal.SIGTERM)
        try:
            milter.wait(30)
        except subprocess.TimeoutExpired:
            milter.kill()
    subprocess.run(["sh", PFSH, "stop", PF])
    if failures:
        print("--- milter log (tail)")
        print("\n".join(log_lines()[-40:]))
    if not failures and not os.environ.get("PC_KEEP"):
        shutil.rmtree(T, ignore_errors=True)

if pending:
    print("%d assertions pending the lead's change (DEATH_IS_LIMIT = False)" % len(pending))
print("%d passed, %d failed" % (checks - len(failures), len(failures)))
sys.exit(1 if failures else 0)
