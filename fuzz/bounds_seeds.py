#!/usr/bin/env python3
"""Writes the seeds of fuzz.message_bounds: one small message of each hostile
shape of tests/bombs_test.py (many parts, empty parts, many header fields,
many MIME parameters, deep nesting, long hosts, many URLs, deep HTML, many
style rules), about 20 kB each, for libFuzzer to grow and cross.

usage: bounds_seeds.py DIR
"""
import os
import sys

H = b"From: a@example.com\nTo: b@example.org\nSubject: s\nMIME-Version: 1.0\n"
SEEDS = {
    "parts": H + b"Content-Type: multipart/mixed; boundary=B\n\n" +
    b"".join(b"--B\nContent-Type: text/plain\n\np%d\n" % i for i in range(600)) + b"--B--\n",
    "empty-parts": H + b"Content-Type: multipart/mixed; boundary=B\n\n" + b"--B\n\n" * 4000 + b"--B--\n",
    "headers": H + b"".join(b"X-%d: v\n" % i for i in range(2500)) + b"\nbody\n",
    "params": H + b"Content-Type: text/plain" + b"".join(b"; p%d=v" % i for i in range(2500)) + b"\n\nbody\n",
    "nesting": H + b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(400))
    + b"\nx\n",
    "rfc822": b"".join(b"From: a%d@example.com\nContent-Type: message/rfc822\n\n" % i for i in range(400)) +
    b"From: z@example.com\n\nbody\n",
    "host": H + b"Content-Type: text/html\n\n<img src=https://" + b"a." * 10000 + b"example/x>\n",
    "urls": H + b"Content-Type: text/html\n\n" + b"".join(b'<a href="https://h%d.example/p?q=%d">x</a>' % (i, i)
                                                          for i in range(500)),
    "html": H + b"Content-Type: text/html\n\n" + b"<div>" * 4000 + b"<img src=http://t.example/o.gif>",
    "style": H + b"Content-Type: text/html\n\n<style>" + b"".join(b".c%d img{display:none}" % i for i in range(1000))
    + b"</style><img class=c1 src=http://t.example/o.gif>",
}


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(d, "seed-" + name + ".eml"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
