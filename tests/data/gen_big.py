#!/usr/bin/env python3
"""Write the golden-test messages that exercise limits (too big to write by hand).

Usage: python3 tests/data/gen_big.py [OUT_DIR]        (default: this folder)

  11-long-header-line.eml      one 20,000-byte header line, a 1,199-char subject
  56-limit-nesting-60.eml      60 nested multipart/mixed containers (limit ~32)
  57-limit-parts-1200.eml      one multipart/mixed with 1,200 leaf parts
  58-limit-headers-600.eml     exactly 600 header fields, Subject is the 600th
  59-limit-links-3000.eml      3,000 <a href> links between two pixels (limit ~2,000)

Deterministic: running it again rewrites byte-identical files. Each file stays
under 300 kB. tests/data/MANIFEST.md says what each must parse to.
"""
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def write(name, text, eol="\n"):
    data = text.replace("\n", eol).encode("ascii")
    assert len(data) < 300_000, (name, len(data))
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(data)


def long_header():
    subject = " ".join("w%03d" % i for i in range(240))          # 1,199 chars
    refs = "\n".join(" <ref.%03d@example.com>" % i for i in range(200))
    return ("From: Long Lines <long@example.com>\n"
            "To: tina@example.org\n"
            "Subject: " + subject + "\n"
            "X-Long-Token: " + "A" * 20000 + "\n"
            "References:\n" + refs + "\n"
            "Date: Thu, 25 Apr 2024 10:00:00 +0000\n"
            "Message-ID: <longheader.0001@example.com>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=us-ascii\n"
            "\n"
            "Body after very long header lines: https://example.com/long-header\n")


def nesting(depth=60):
    out = ["From: Deep Nesting <deep@example.com>\n"
           "To: ugo@example.org\n"
           "Subject: 60 levels of multipart\n"
           "Date: Fri, 26 Apr 2024 10:00:00 +0000\n"
           "Message-ID: <nesting60.0001@example.com>\n"
           "MIME-Version: 1.0\n"]
    # Container k (1..depth) has boundary "nest-kk". Container 1 is the message
    # itself; it alone also holds a text/plain part before the next container.
    for k in range(1, depth + 1):
        out.append('Content-Type: multipart/mixed; boundary="nest-%02d"\n\n' % k)
        if k == 1:
            out.append("--nest-01\n"
                       "Content-Type: text/plain; charset=us-ascii\n\n"
                       "Top level text: https://example.com/top\n")
        out.append("--nest-%02d\n" % k)
    out.append("Content-Type: text/plain; charset=us-ascii\n\n"
               "Deepest text: https://example.com/deep\n")
    for k in range(depth, 0, -1):
        out.append("--nest-%02d--\n" % k)
    return "".join(out)


def many_parts(n=1200):
    out = ["From: Many Parts <parts@example.com>\n"
           "To: vic@example.org\n"
           "Subject: 1200 parts\n"
           "Date: Sat, 27 Apr 2024 10:00:00 +0000\n"
           "Message-ID: <parts1200.0001@example.com>\n"
           "MIME-Version: 1.0\n"
           'Content-Type: multipart/mixed; boundary="p"\n\n']
    for i in range(1, n + 1):
        out.append("--p\nContent-Type: text/plain\n\nPart %04d of %d." % (i, n))
        if i in (1, n):
            out.append(" https://example.com/part-%04d" % i)
        out.append("\n")
    out.append("--p--\n")
    return "".join(out)


def many_headers(n=600):
    fixed = ["From: Header Flood <flood@example.com>",
             "To: wanda@example.org",
             "Date: Sun, 28 Apr 2024 10:00:00 +0000",
             "Message-ID: <headers600.0001@example.com>",
             "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=us-ascii"]
    fillers = ["X-Filler-%04d: value %04d" % (i, i) for i in range(len(fixed) + 1, n)]
    hdrs = fixed + fillers + ["Subject: Header number six hundred"]
    assert len(hdrs) == n
    return "\n".join(hdrs) + "\n\nBody after 600 header fields.\n"


def many_links(n=3000):
    out = ["From: Link Flood <linkflood@example.com>\n"
           "To: xavi@example.org\n"
           "Subject: 3000 links\n"
           "Date: Mon, 29 Apr 2024 10:00:00 +0000\n"
           "Message-ID: <links3000.0001@example.com>\n"
           "MIME-Version: 1.0\n"
           "Content-Type: text/html; charset=us-ascii\n\n"
           "<html><body>\n"
           '<img src="https://t.example.net/before-flood.gif" width="1" height="1" alt="">\n']
    for i in range(1, n + 1):
        out.append('<a href="https://example.com/l/%04d">%04d</a>\n' % (i, i))
    out.append('<img src="https://t.example.net/after-flood.gif" width="1" height="1" alt="">\n'
               "</body></html>\n")
    return "".join(out)


write("11-long-header-line.eml", long_header())
write("56-limit-nesting-60.eml", nesting(), "\r\n")
write("57-limit-parts-1200.eml", many_parts())
write("58-limit-headers-600.eml", many_headers(), "\r\n")
write("59-limit-links-3000.eml", many_links())
