#!/usr/bin/env python3
"""Extract every text/html MIME part of a mail corpus into numbered files.

Usage: extract_html.py [CORPUS_DIR] [OUT_DIR]
  defaults: /work/shared/corpus  /tmp/htmlparts

Writes OUT_DIR/NNNNN.html (transfer-decoded bytes, NOT charset-converted)
and OUT_DIR/list.tsv with columns: file, bytes, declared charset, source .eml.
OUT_DIR/list.txt holds just the file paths (one per line) for the C bench.
Only the stdlib `email` package is used. Never renders or fetches anything.
"""
import email
import email.policy
import os
import sys


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpus"
    out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/htmlparts"
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.endswith(".html"):
            os.unlink(os.path.join(out, f))

    emls = []
    for root, _dirs, files in os.walk(corpus):
        for f in files:
            if f.endswith(".eml"):
                emls.append(os.path.join(root, f))
    emls.sort()

    n = 0
    failed = 0
    total = 0
    rows = []
    for path in emls:
        try:
            with open(path, "rb") as fh:
                msg = email.message_from_binary_file(fh, policy=email.policy.compat32)
            parts = list(msg.walk())
        except Exception:  # malformed fixtures: skip the message
            failed += 1
            continue
        for part in parts:
            try:
                if part.is_multipart() or part.get_content_type() != "text/html":
                    continue
                body = part.get_payload(decode=True)  # base64 / QP decoded bytes
                if body is None:
                    continue
                cs = part.get_content_charset() or ""
            except Exception:
                failed += 1
                continue
            n += 1
            name = os.path.join(out, "%05d.html" % n)
            with open(name, "wb") as fh:
                fh.write(body)
            total += len(body)
            rel = os.path.relpath(path, corpus).replace("\t", " ").replace("\n", " ")
            rows.append("%s\t%d\t%s\t%s" % (name, len(body), "".join(ch for ch in cs if " " < ch < "\x7f"), rel))

    with open(os.path.join(out, "list.tsv"), "w") as fh:
        fh.write("file\tbytes\tcharset\tsource\n")
        fh.write("\n".join(rows) + ("\n" if rows else ""))
    with open(os.path.join(out, "list.txt"), "w") as fh:
        fh.write("".join(r.split("\t", 1)[0] + "\n" for r in rows))
    print("messages=%d html_parts=%d bytes=%d errors=%d -> %s"
          % (len(emls), n, total, failed, out))


if __name__ == "__main__":
    main()
