#!/usr/bin/env python3
"""Hostile sizes: a 50 MB message, a 10,000-deep multipart nesting bomb, a
10,000-deep message/rfc822 chain, 100,000 nested HTML elements, 20,000
parts. Each must give one JSON line with the right limit finding, in bounded
memory (peak RSS from /usr/bin/time; no timing assertions).

usage: bombs_test.py PORTCULLIS [RSS_MAX_MB]
"""
import json
import os
import subprocess
import sys
import tempfile

RSS_MAX_MB = 128  # the 50 MB input is mmap'd; parse results stay far below


def nest_multipart(depth):
    out = ["From: a@example.com", "To: b@example.org", "Subject: nest", "MIME-Version: 1.0"]
    for i in range(depth):
        out += ['Content-Type: multipart/mixed; boundary="b%d"' % i, "", "--b%d" % i]
    out += ["Content-Type: text/plain", "", "hi"]
    out += ["--b%d--" % i for i in reversed(range(depth))]
    return "\r\n".join(out).encode()


def nest_rfc822(depth):
    out = []
    for i in range(depth):
        out += ["From: a%d@example.com" % i, "Content-Type: message/rfc822", ""]
    out += ["From: z@example.com", "", "body"]
    return "\n".join(out).encode()


def big_message():
    line = b"A" * 76 + b"\n"
    body = line * (50 * 1024 * 1024 // len(line))
    return (b"From: a@example.com\nTo: b@example.org\nSubject: big\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/html\n\n"
            b"<img src=http://t.example/o.gif width=1 height=1>\n--x\n"
            b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
            + body + b"--x--\n")


def deep_html():
    return (b"From: a@example.com\nContent-Type: text/html\n\n" + b"<div>" * 100000
            + b"<img src=http://x.example/a.gif>" + b"</div>" * 100000)


def many_parts(n):
    parts = b"".join(b"--x\nContent-Type: text/plain\n\npart %d\n" % i for i in range(n))
    return b"From: a@example.com\nContent-Type: multipart/mixed; boundary=x\n\n" + parts + b"--x--\n"


CASES = [
    ("50mb", big_message, ["message_size"], ["--set", "limits.message_size=32M"]),
    ("50mb-within-limit", big_message, [], []),
    ("nest-multipart-10000", lambda: nest_multipart(10000), ["nesting_depth"], []),
    ("nest-rfc822-10000", lambda: nest_rfc822(10000), ["nesting_depth"], []),
    ("html-depth-100000", deep_html, ["html_depth"], []),
    ("parts-20000", lambda: many_parts(20000), ["parts"], []),
]


def main():
    global RSS_MAX_MB
    exe = sys.argv[1]
    if len(sys.argv) > 2:  # sanitizer builds carry shadow memory and quarantine
        RSS_MAX_MB = int(sys.argv[2])
    passed = failed = 0
    with tempfile.TemporaryDirectory() as d:
        for name, make, limits, args in CASES:
            path = os.path.join(d, name + ".eml")
            with open(path, "wb") as f:
                f.write(make())
            p = subprocess.Popen([exe, "scan", "-q", *args, path], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            out, err = p.communicate(timeout=300)
            problems = []
            lines = out.decode().splitlines()
            if p.returncode != 0:
                problems.append("exit %d: %s" % (p.returncode, err.decode(errors="replace")[-500:]))
            if len(lines) != 1:
                problems.append("%d JSON lines" % len(lines))
            else:
                o = json.loads(lines[0])
                hit = [f["evidence"].get("limit") for f in o["findings"] if f["detector"] == "parse.limit"]
                for lim in limits:
                    if lim not in hit:
                        problems.append("no parse.limit finding for %s (got %s)" % (lim, hit))
                if not limits and hit:
                    problems.append("unexpected limit findings %s" % hit)
            # peak RSS of the child, from the kernel's accounting
            rss = subprocess.run(["/usr/bin/time", "-f", "%M", exe, "scan", "-q", *args, path],
                                 capture_output=True)
            try:
                rss_mb = int(rss.stderr.decode().strip().splitlines()[-1]) / 1024
            except (ValueError, IndexError):
                rss_mb = None
            if rss_mb is not None and rss_mb > RSS_MAX_MB:
                problems.append("peak RSS %.0f MB > %d MB" % (rss_mb, RSS_MAX_MB))
            if problems:
                failed += 1
                print("FAIL %s: %s" % (name, "; ".join(problems)))
            else:
                passed += 1
                print("ok   %s (peak RSS %s MB)" % (name, "%.0f" % rss_mb if rss_mb else "?"))
    print("bombs: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
