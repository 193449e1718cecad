#!/usr/bin/env python3
"""The architecture as a test (docs/internals.md, "Who may call whom"):
every #include "room/..." in src/ must point down the pipeline or into
core. A room is a folder of src/ (detect/lib is a room of its own, below
the detectors). Front ends never include each other; what two share lives
in app/. usage: layering_test.py SOURCE_DIR"""
import os
import re
import sys

# room -> the rooms it may include (besides itself)
BELOW = {
    "core": set(),
    "net": {"core"},
    "parse": {"core"},
    "extract": {"core", "parse"},
    "store": {"core", "parse"},
    "detect/lib": {"core", "parse", "extract"},
    "detect": {"core", "parse", "extract", "net", "store", "detect/lib"},
    "decide": {"core", "parse"},
    "campaign": {"core", "parse", "extract", "store", "decide", "detect/lib"},
    "act": {"core", "parse", "extract", "store", "decide"},
    "pipeline": {"core", "parse", "extract", "net", "store", "detect", "detect/lib", "decide", "campaign", "act"},
    "hunt": {"core", "parse", "extract", "store", "detect/lib", "decide", "campaign", "act", "pipeline"},
    "evidence": {"core", "parse", "extract", "net", "store", "detect", "detect/lib", "decide", "campaign", "act",
                 "pipeline", "hunt"},
    "app": {"core", "parse", "extract", "net", "store", "detect/lib", "decide", "campaign", "act", "pipeline",
            "hunt", "evidence"},
}
BASE = set(BELOW) - {"app"}
BELOW["cli"] = BASE | {"app"}
BELOW["milter"] = BASE | {"app"}
BELOW["web"] = BASE | {"app"}
BELOW[""] = set(BELOW) - {""}  # src/main.c: dispatches to every front end

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+(?:/lib)?)/[A-Za-z0-9_./]+"', re.M)


def room_of(rel):
    parts = rel.split("/")
    if len(parts) == 1:
        return ""
    if parts[0] == "detect" and len(parts) > 2 and parts[1] == "lib":
        return "detect/lib"
    return parts[0]


def main():
    src = os.path.join(sys.argv[1], "src")
    bad, files, edges = [], 0, set()
    for dirpath, _, names in os.walk(src):
        for n in sorted(names):
            if not n.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, n)
            rel = os.path.relpath(path, src)
            room = room_of(rel)
            files += 1
            if room not in BELOW:
                bad.append("%s: room %r is not in the layering table (tests/layering_test.py)" % (rel, room))
                continue
            text = open(path, encoding="utf-8", errors="replace").read()
            for m in INCLUDE.finditer(text):
                inc = m.group(1)
                to = "detect/lib" if inc == "detect/lib" else inc.split("/")[0]
                if to == room:
                    continue
                edges.add((room, to))
                if to not in BELOW[room]:
                    line = text.count("\n", 0, m.start()) + 1
                    bad.append("%s:%d: %s may not include %s/ (allowed: %s)" % (
                        rel, line, room or "src/", to, ", ".join(sorted(BELOW[room])) or "nothing"))
    for b in bad:
        print(b)
    print("layering: %d files, %d room-to-room edges, %d violations" % (files, len(edges), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
