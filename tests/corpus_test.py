#!/usr/bin/env python3
"""Corpus test: every message under the corpus gives exactly one valid JSON
line with the contract's fields, the scan exits 0, and the sanitizer build
reports nothing. Exit 77 (CTest: skipped) when the corpus is absent.

usage: corpus_test.py PORTCULLIS CORPUS_DIR
"""
import json
import os
import subprocess
import sys

FIELDS = {"source": str, "message_id": (str, type(None)), "from": (str, type(None)), "rcpt": list,
          "verdict": str, "score": (int, float), "findings": list, "trackers": list,
          "campaign": (str, type(None))}


def main():
    exe, corpus = sys.argv[1], sys.argv[2]
    if not os.path.isdir(corpus):
        print(f"corpus not found at {corpus}: skipped")
        return 77
    files = []
    for root, dirs, names in os.walk(corpus):
        dirs.sort()
        files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".eml")]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    p = subprocess.run([exe, "scan", "-q", corpus], capture_output=True, env=env)
    err = p.stderr.decode(errors="replace")
    bad = []
    if p.returncode != 0:
        bad.append(f"exit status {p.returncode}: {err[-2000:]}")
    for marker in ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer"):
        if marker in err:
            bad.append("sanitizer: " + err[err.index(marker):][:2000])
    seen = {}
    for i, line in enumerate(p.stdout.decode("utf-8").splitlines()):
        try:
            o = json.loads(line)
        except ValueError as e:
            bad.append(f"line {i + 1}: not JSON: {e}")
            continue
        for k, t in FIELDS.items():
            if k not in o or not isinstance(o[k], t):
                bad.append(f"line {i + 1}: field {k} missing or wrong type")
        if o.get("verdict") not in ("accept", "neutralise", "quarantine", "reject"):
            bad.append(f"line {i + 1}: bad verdict {o.get('verdict')}")
        src = o.get("source", "")
        base = src if src in seen or os.path.exists(src) else src.rsplit(":", 1)[0]
        seen[base] = seen.get(base, 0) + 1
    missing = [f for f in files if f not in seen]
    if missing:
        bad.append(f"{len(missing)} files gave no JSON line, e.g. {missing[:3]}")
    multi = {f: n for f, n in seen.items() if n > 1}
    for f in multi:  # only mbox files may give several lines
        with open(f, "rb") as fh:
            if not fh.read(5) == b"From ":
                bad.append(f"{f}: {multi[f]} lines but not an mbox")
    print(f"corpus: {len(files)} files, {sum(seen.values())} messages, "
          f"{len(multi)} multi-message mbox files, {len(bad)} problems")
    for b in bad[:20]:
        print("  " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
