#!/usr/bin/env python3
"""Count X-Load-Id values in delivered and quarantined messages.

usage: count.py MAILDIR [QUARANTINE_DIR] [--expect N | --load LOAD.json] [--json OUT]

Reads the top-level header of every file in MAILDIR/new and MAILDIR/cur and
in QUARANTINE_DIR/msg/*.eml (a bounce quoting a message does not count: only
the message's own header is read) and reports, as JSON, how many ids were
delivered and quarantined, and which ids are duplicated (seen more than once
in all), missing or unexpected. The expected ids are 1..N with --expect N,
or the "accepted" ids of a smtpload.py --json output with --load (then a
delivered tempfailed or rejected message is unexpected). Exit status 1 when
an id is missing, duplicated or unexpected; 0 otherwise (and without an
expectation, when nothing is duplicated).
"""
import argparse, glob, json, os, re, sys

ID_RE = re.compile(rb"^X-Load-Id:[ \t]*(\d+)[ \t]*\r?$", re.I | re.M)


def header_id(path):
    with open(path, "rb") as f:
        data = f.read(256 * 1024)
    head = re.split(rb"\r?\n\r?\n", data, 1)[0]
    m = ID_RE.search(head)
    return int(m.group(1)) if m else None


def scan(paths):
    ids, without = {}, 0
    for p in paths:
        n = header_id(p)
        if n is None:
            without += 1
        else:
            ids[n] = ids.get(n, 0) + 1
    return ids, without


def ranges(nums):
    """[1,2,3,7] -> "1-3,7" (short output for long lists)."""
    out, nums = [], sorted(nums)
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else "%d-%d" % (nums[i], nums[j]))
        i = j + 1
    return ",".join(out)


def main():
    ap = argparse.ArgumentParser(description="count X-Load-Id values")
    ap.add_argument("maildir")
    ap.add_argument("quarantine", nargs="?")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--expect", type=int, metavar="N", help="expect ids 1..N exactly once")
    g.add_argument("--load", metavar="LOAD.json", help="expect the accepted ids of a smtpload run")
    ap.add_argument("--json", help="write the report here too")
    a = ap.parse_args()

    if not os.path.isdir(a.maildir):
        sys.exit("count.py: no such directory: %s" % a.maildir)
    mail = [p for sub in ("new", "cur") for p in glob.glob(os.path.join(a.maildir, sub, "*"))
            if os.path.isfile(p)]
    delivered, d_without = scan(mail)
    quarantined, q_without = {}, 0
    if a.quarantine:
        quarantined, q_without = scan(glob.glob(os.path.join(a.quarantine, "msg", "*.eml")))

    seen = dict(delivered)
    for n, c in quarantined.items():
        seen[n] = seen.get(n, 0) + c
    expected = None
    if a.expect is not None:
        expected = set(range(1, a.expect + 1))
    elif a.load:
        with open(a.load) as f:
            expected = set(json.load(f)["ids"]["accepted"])
    dup = sorted(n for n, c in seen.items() if c > 1)
    rep = {
        "delivered_files": len(mail), "delivered_ids": len(delivered),
        "delivered_without_id": d_without,
        "quarantined_ids": len(quarantined), "quarantined_without_id": q_without,
        "in_both": ranges(set(delivered) & set(quarantined)),
        "duplicates": ranges(dup), "duplicate_count": len(dup),
    }
    if expected is not None:
        missing = expected - set(seen)
        unexpected = set(seen) - expected
        rep.update(expected=len(expected), missing=ranges(missing), missing_count=len(missing),
                   unexpected=ranges(unexpected), unexpected_count=len(unexpected))
    ok = not dup and not rep.get("missing_count") and not rep.get("unexpected_count")
    rep["ok"] = ok
    text = json.dumps(rep, indent=1)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
