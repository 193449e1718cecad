#!/usr/bin/env python3
"""Drive one `portcullis milter --worker` directly over its socket (fd 0),
without libmilter or Postfix: for tracing (strace) and timing.

usage: drive_worker.py [--wrap CMD] [--repeat N] [--json] PORTCULLIS CONF FILE_OR_DIR...

Sends every .eml under the paths as one request each (envelope: a client
address, a sender and one recipient) and reads the replies. Prints one
line: messages, actions seen, worker start time (spawn to the first
reply of a 1-byte-message request), total and per-message wall time, and
how the worker ended. --wrap runs the worker under a command (e.g.
"strace -f -o /tmp/t"). Exit 0 when every request got a well-formed
reply and the worker ended with status 0 after the end of stream.
"""
import json
import os
import shlex
import socket
import struct
import subprocess
import sys
import threading
import time


def frame(recs):
    body = b"".join(bytes([t]) + struct.pack(">I", len(d)) + d for t, d in recs)
    return struct.pack(">I", len(body)) + body


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c:
            return None
        buf += c
    return buf


def recv_frame(s):
    h = read_exact(s, 4)
    if h is None:
        return None
    n = struct.unpack(">I", h)[0]
    body = read_exact(s, n)
    recs, off = [], 0
    while body is not None and off < len(body):
        t = body[off]
        ln = struct.unpack(">I", body[off + 1:off + 5])[0]
        recs.append((chr(t), body[off + 5:off + 5 + ln]))
        off += 5 + ln
    return recs


def request(msg, i):
    return frame([(ord("R"), b"%018X" % i), (ord("q"), b"Q%d" % i), (ord("c"), b"192.0.2.1"),
                  (ord("n"), b"client.example.org"), (ord("h"), b"client.example.org"),
                  (ord("f"), b"sender@example.org"), (ord("r"), b"user@example.test"), (ord("m"), msg)])


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def files(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                out.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(".eml"))
        else:
            out.append(p)
    return sorted(out)


def main():
    args = sys.argv[1:]
    wrap, repeat, as_json = [], 1, False
    while args and args[0].startswith("--"):
        if args[0] == "--wrap":
            wrap = shlex.split(args[1])
            args = args[2:]
        elif args[0] == "--repeat":
            repeat = int(args[1])
            args = args[2:]
        elif args[0] == "--json":
            as_json = True
            args = args[1:]
        else:
            raise SystemExit(__doc__)
    if len(args) < 2:
        raise SystemExit(__doc__)
    bin_, conf, paths = args[0], args[1], args[2:]
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    t0 = time.monotonic()
    p = subprocess.Popen(wrap + [bin_, "milter", "--worker", "-c", conf], stdin=b, pass_fds=())
    b.close()
    mem = {}
    stop = threading.Event()
    worker_pid = [None]

    def sample():
        # the worker's memory (peak of VmData sampled every 2 ms; VmPeak and
        # VmHWM are the kernel's own peaks)
        while not stop.is_set():
            pid = worker_pid[0]
            if pid:
                try:
                    for line in open("/proc/%d/status" % pid):
                        k, v = line.split(":", 1)
                        if k in ("VmPeak", "VmHWM", "VmData", "VmSize"):
                            kb = int(v.split()[0])
                            if k in ("VmPeak", "VmHWM"):
                                mem[k] = kb
                            else:
                                mem[k + "_max"] = max(mem.get(k + "_max", 0), kb)
                                mem.setdefault(k + "_idle", kb)
                except (OSError, ValueError):
                    pass
            time.sleep(0.002)

    th = threading.Thread(target=sample, daemon=True)
    # the worker: the process running portcullis (under --wrap, a child of the wrapper)
    def find_worker():
        for _ in range(500):
            for pid in [p.pid] + children(p.pid):
                try:
                    if b"--worker" in open("/proc/%d/cmdline" % pid, "rb").read() and \
                            os.readlink("/proc/%d/exe" % pid) == os.path.realpath(bin_):
                        return pid
                except OSError:
                    pass
            time.sleep(0.01)
        return None
    # the worker says it is ready; then the first request: a tiny message,
    # to time the start
    ready = recv_frame(a)
    a.sendall(request(b"Subject: x\r\n\r\nx\r\n", 0))
    first = recv_frame(a) if ready and any(t == "Y" for t, d in ready) else None
    start_ms = (time.monotonic() - t0) * 1000
    worker_pid[0] = find_worker()
    time.sleep(0.01)
    th.start()
    time.sleep(0.05)
    bad = 0 if first else 1
    actions = {}
    msgs = [open(f, "rb").read() for f in files(paths)]
    t1 = time.monotonic()
    n = 0
    for _ in range(repeat):
        for m in msgs:
            n += 1
            a.sendall(request(m, n))
            rep = recv_frame(a)
            if rep is None:
                bad += 1
                break
            act = next((d.decode() for t, d in rep if t == "A"), "?")
            actions[act] = actions.get(act, 0) + 1
        if bad:
            break
    dt = time.monotonic() - t1
    time.sleep(0.01)
    stop.set()
    th.join()
    a.close()
    rc = p.wait(60)
    out = {"messages": n, "actions": actions, "start_ms": round(start_ms, 2), "total_s": round(dt, 3),
           "ms_per_msg": round(dt * 1000 / n, 3) if n else None, "exit": rc, "bad": bad}
    out.update({"mem_kb_" + k: v for k, v in sorted(mem.items())})
    print(json.dumps(out) if as_json else " ".join("%s=%s" % kv for kv in out.items()))
    sys.exit(0 if not bad and rc == 0 else 1)


if __name__ == "__main__":
    main()
